"""The Export page under Streamlit's AppTest: on an empty database, and on the sample extracts,
where it shows a chart and a suppressed table with their downloads and builds the board pack."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
PAGE = "pages/export.py"


def _export_page() -> AppTest:
    """The Export page as a user reaches it: through the app's navigation and sidebar."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=240)
    at.run()
    at.switch_page(PAGE)
    at.run()
    return at


def _text(at: AppTest) -> str:
    parts = [e.value for e in at.markdown] + [e.value for e in at.title] + [e.value for e in at.caption]
    parts += [e.value for e in at.info] + [e.value for e in at.error]
    return "\n".join(str(p) for p in parts)


def _downloads(at: AppTest) -> list[str]:
    return [b.proto.label for b in at.get("download_button")]


def test_on_an_empty_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KPI_DB", str(tmp_path / "empty.duckdb"))
    at = _export_page()
    assert not at.exception, at.exception
    assert "No data yet" in _text(at)


def test_on_the_samples(sample_db: Path) -> None:
    at = _export_page()
    assert not at.exception, at.exception
    assert at.title[0].value == "Export: Northvale, 2024-25 Q2"
    assert at.get("plotly_chart"), "the measure's chart"
    table = at.dataframe[0].value
    assert list(table["Group"])[0] == "All"
    assert "*" in set(table["Numerator"].astype(str))  # five clients: small numbers suppressed
    labels = _downloads(at)
    assert {"PNG, print quality (300 dpi)", "SVG, vector (for editing)", "PDF, vector"} <= set(labels)
    assert {"Download as CSV", "Download as Excel"} <= set(labels)
    assert not [label for label in labels if label.startswith("Download the board pack")]  # built on request


def test_builds_the_board_pack(sample_db: Path) -> None:
    at = _export_page()
    at.radio(key="pack_format").set_value("pptx")
    at.button[0].click()
    at.run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    pack = [label for label in _downloads(at) if label.startswith("Download the board pack")]
    assert pack and "PPTX" in pack[0]
    at.selectbox(key="export_kpi").set_value("bme_share")
    at.run()  # another widget: the pack stays ready, from the cache
    assert [label for label in _downloads(at) if label.startswith("Download the board pack")]
