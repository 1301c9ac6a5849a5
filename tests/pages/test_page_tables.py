"""The tables and headline figures on the pages read as a board paper needs: every measure in
view, headings in words, no 'None', one way of writing percentage points."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import streamlit
from streamlit.testing.v1 import AppTest

from charts import theme
from tests.pages.helpers import ROOT, open_page


def _app(page: str) -> AppTest:
    return open_page(page, timeout=240)


def _columns(at: AppTest, index: int) -> dict[str, Any]:
    return json.loads(at.dataframe[index].proto.columns)


def test_overview_shows_every_measure_with_trend_lines_in_the_house_blue(
        sample_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict[str, Any]] = []
    real = streamlit.dataframe

    def spy(*args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(streamlit, "dataframe", spy)
    at = _app("overview")
    assert not at.exception, at.exception
    scorecard = next(c for c in calls if c.get("key") == "scorecard")
    # Streamlit's default height shows ten of the 25 measures and hides the rest behind a scroll bar.
    assert scorecard["height"] == "content"
    trend = _columns(at, 0)["Trend"]
    assert trend["type_config"]["color"] == theme.DARK_BLUE  # not Streamlit's red, which reads as "off target"
    assert trend["label"] == "Trend" and "8 quarters" in trend["help"]


def test_trajectories_says_what_the_change_arrow_compares_with(sample_db: Path) -> None:
    at = _app("trajectories")
    assert not at.exception, at.exception
    assert "previous quarter" in at.metric[0].proto.help


def test_exception_report_writes_gaps_in_percentage_points_without_the_area_code(sample_db: Path) -> None:
    at = _app("providers")
    assert not at.exception, at.exception
    report = at.dataframe[-1].value
    assert "Area" not in report.columns
    gaps = report.loc[report["Value"].str.endswith("%"), "Gap"]
    assert len(gaps) and gaps.str.endswith(" pp").all(), list(gaps)


def test_export_table_on_screen_shows_blanks_not_none(sample_db: Path) -> None:
    at = _app("export")
    assert not at.exception, at.exception
    shown = at.dataframe[-1].value
    assert "Denominator" in shown.columns
    assert shown.notna().all().all()
    assert not shown.isin(["None", "nan", "NaN"]).any().any()


def test_missing_fields_table_has_headings_in_words_and_one_decimal_percent(sample_db: Path) -> None:
    at = _app("quality")
    assert not at.exception, at.exception
    table = at.dataframe[-1]
    assert list(table.value.columns) == ["Field", "Journeys missing it", "Journeys in treatment", "Share missing"]
    share = _columns(at, -1)["Share missing"]["type_config"]
    assert share["format"] == "%.1f%%" and share["max_value"] == 100
    assert _columns(at, -1)["Journeys in treatment"]["type_config"]["format"] == "localized"


def test_upload_history_has_headings_in_words_and_thousands_separators(sample_db: Path) -> None:
    at = _app("upload")
    assert not at.exception, at.exception
    config = _columns(at, 0)
    assert config["rows"]["label"] == "Rows" and config["rows"]["type_config"]["format"] == "localized"
    assert config["when"]["label"] == "When" and config["demo"]["label"] == "Demo data"


def test_the_source_line_counts_uploads_in_words(monkeypatch: pytest.MonkeyPatch) -> None:
    from pages import state

    def uploads_of(n: int):  # noqa: ANN202
        return lambda version: pd.DataFrame({"status": ["active"] * n + ["withdrawn"],
                                             "when": ["2026-11-20 10:00"] * n + ["2026-11-22 09:00"]})

    monkeypatch.setattr(state, "is_demo", lambda version: False)
    monkeypatch.setattr(state, "uploads", uploads_of(1))
    assert state.source_line("v") == "Source: NDTMS-style extracts, 1 upload, latest 20 Nov 2026"
    monkeypatch.setattr(state, "uploads", uploads_of(3))
    assert state.source_line("v") == "Source: NDTMS-style extracts, 3 uploads, latest 20 Nov 2026"


def test_a_rejected_file_is_reported_in_words_with_headed_columns(sample_db: Path) -> None:
    from loaders.load import LoadResult
    from loaders.problems import Problem

    def rejected(*problems: Problem) -> LoadResult:
        return LoadResult(status="rejected", file_name="bad.csv", problems=problems)

    one = Problem(2, "AGE", "12", "AGE must be a whole number from 18 to 110.")
    two = Problem(3, "SEX", "Q", "SEX must be one of the codes in the sex code list.")
    for problems, words in (((one,), "with 1 problem; nothing was loaded. Fix it and"),
                            ((one, two), "with 2 problems; nothing was loaded. Fix them and")):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=240)
        at.run()
        at.switch_page("pages/upload.py")
        at.session_state["upload_results"] = [rejected(*problems)]
        at.run()
        assert not at.exception, at.exception
        assert words in at.error[0].value
        table = next(d.value for d in at.dataframe if "Problem" in d.value.columns)
        assert list(table.columns) == ["Row", "Column", "Value", "Problem"]
        assert len(table) == len(problems)


@pytest.mark.parametrize("page", ["equality", "providers", "quality", "criminal_justice", "trajectories"])
def test_chart_downloads_hide_small_numbers_the_screen_shows(sample_db: Path, page: str,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """The sample extracts are a handful of clients: every chart file leaving the dashboard is drawn from
    figures with small numbers hidden, and its source line says so; the screen shows the figures."""
    from charts import tables
    from pages import downloads

    exported: list[Any] = []
    monkeypatch.setattr(downloads, "chart_downloads", lambda fig, *, name: exported.append(fig))
    at = _app(page)
    assert not at.exception, at.exception
    assert exported, "no chart offered for download"
    screen = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
    assert len(screen) == len(exported)
    hidden = [fig for fig in exported if tables.CHART_HIDDEN_NOTE in str(fig.layout.meta["source"])]
    assert hidden, "no chart's download hid anything, though the treatment figures here rest on a few people"
    for fig in hidden:  # every treatment figure of the samples is small: nothing is left to draw, and it says why
        assert [a.text for a in fig.layout.annotations if a.name == "no_data"] == [tables.CHART_ALL_HIDDEN]
        assert not [trace for trace in fig.data if trace.visible is not False]
