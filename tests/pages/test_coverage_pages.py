"""The pages when an extract a measure needs was not uploaded: "no data" and what to upload, never 0.0% in red.

One open journey loaded through the real loader, and nothing else: no TOPs, no DIP activity. The shipped
targets (data/targets.toml) give TOP compliance a target of 86%, so without the coverage rule the
Overview would show TOP compliance as 0.0%, off target, with cases needed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from loaders.store import open_store
from metrics.results import refresh_results
from tests.conftest import JOURNEY_HEADER, csv_text, load_text
from tests.metrics.test_coverage import DIP_NONE, ONE, TOPS_NONE
from tests.pages.helpers import open_page


@pytest.fixture
def journeys_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "journeys-only.duckdb"
    monkeypatch.setenv("KPI_DB", str(path))
    with open_store(path) as store:
        result = load_text(store, csv_text(JOURNEY_HEADER, ONE), period="2024-25 Q3", on_change=refresh_results)
        assert result.status == "loaded", result.problems
    return path


def _captions(at: AppTest) -> str:
    return "\n".join(str(c.value) for c in at.caption)


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_overview_says_no_data_and_which_extract_to_upload(journeys_only: Path) -> None:
    at = open_page("overview", timeout=120)
    assert not at.exception, at.exception
    table = at.dataframe[0].value.set_index("Measure")
    top = table.loc["TOP compliance"]
    assert top["Value"] == "no data" and top["95% interval"] == "" and top["Cases needed"] == ""
    assert top["Status"].startswith("–") and top["Target"] == "86.0%"
    assert top["Coverage"] == TOPS_NONE
    assert table.loc["Required assessments attended", "Coverage"] == DIP_NONE
    assert table.loc["Numbers in treatment", "Value"] == "1" and table.loc["Numbers in treatment", "Coverage"] == ""
    needing = table.loc[table["Coverage"] != "", "Status"]
    assert len(needing) == 9 and needing.str.startswith("–").all()  # none off target for want of a file
    assert TOPS_NONE in _captions(at) and DIP_NONE in _captions(at)


def test_quality_page_headlines_say_which_extract_to_upload(journeys_only: Path) -> None:
    at = open_page("quality", timeout=120)
    assert not at.exception, at.exception
    assert _metrics(at)["TOP compliance"] == "no data"
    captions = _captions(at)
    assert f"{TOPS_NONE} The target is" in captions and "0.0%" not in captions


def test_criminal_justice_page_says_which_extract_to_upload(journeys_only: Path) -> None:
    at = open_page("criminal_justice", timeout=120)
    assert not at.exception, at.exception
    assert set(_metrics(at).values()) == {"no data"}
    assert DIP_NONE in _captions(at)


def test_trajectory_reads_no_data_with_the_note(journeys_only: Path) -> None:
    at = open_page("trajectories", timeout=120)
    next(s for s in at.selectbox if s.label == "Measure or indicator").set_value("top_compliance").run()
    assert not at.exception, at.exception
    assert _metrics(at)["Value, 2024-25 Q3"] == "no data"
    assert any(TOPS_NONE in str(m.value) for m in at.markdown)
