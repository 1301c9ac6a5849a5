"""Every page under Streamlit's AppTest: on an empty database, on a fixture database with
known figures, and on the demo data."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.pages.helpers import open_page

PAGES = ["overview", "trajectories", "providers", "equality", "criminal_justice", "quality", "export", "upload",
         "about"]


def _app(page: str) -> AppTest:
    return open_page(page, timeout=120)


def _text(at: AppTest) -> str:
    parts = [e.value for e in at.markdown] + [e.value for e in at.title] + [e.value for e in at.caption]
    parts += [e.value for e in at.info] + [e.value for e in at.success] + [e.value for e in at.warning]
    return "\n".join(str(p) for p in parts)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_on_an_empty_database(page: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KPI_DB", str(tmp_path / "empty.duckdb"))
    at = _app(page)
    assert not at.exception, at.exception
    text = _text(at)
    if page in ("upload", "about"):
        assert at.title
    else:
        assert "No data yet" in text and "Upload" in text


@pytest.mark.parametrize("page", PAGES)
def test_every_page_on_the_samples(page: str, sample_db: Path) -> None:
    at = _app(page)
    assert not at.exception, at.exception


def test_overview_shows_the_fixture_figures(sample_db: Path) -> None:
    """Sample journeys, 2024-25 Q2 (the latest quarter): 5 clients in treatment in the 12 months
    to 2024-09-30. Effective: NRC-1001 (open, 326 days), NRC-1002 (133 days), WAY-0007 (open, 195
    days); not effective: NRC-1003 (38 days, dropped out) and WAY-0008 (2024-05-30 to 2024-08-21 is
    83 days, a transfer). So 3 of 5: 60.0%."""
    at = _app("overview")
    assert at.sidebar.selectbox(key="period").value == "2024-25 Q2"
    table = at.dataframe[0].value
    values = dict(zip(table["Measure"], table["Value"], strict=True))
    assert values["Numbers in treatment"] == "5"
    assert values["Numbers in effective treatment"] == "3"
    assert values["Effective treatment rate"] == "60.0%"
    assert table["Status"].iloc[0].split()[0] in ("✖", "▲", "✔", "–")


def test_upload_page_lists_history(sample_db: Path) -> None:
    at = _app("upload")
    history = at.dataframe[0].value
    assert list(history["file"]) == ["indicators.csv", "dip.csv", "tops.csv", "journeys.csv"]
    assert set(history["status"]) == {"active"}


def test_about_lists_every_measure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from metrics.registry import MEASURES

    monkeypatch.setenv("KPI_DB", str(tmp_path / "empty.duckdb"))
    at = _app("about")
    text = _text(at)
    for m in MEASURES:
        assert f"`{m.id}`" in text
