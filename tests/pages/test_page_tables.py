"""The tables and headline figures on the pages read as a board paper needs: every measure in
view, headings in words, no 'None', one way of writing percentage points."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
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
                                             "when": ["2026-11-20 10:00"] * n + ["2026-11-22 09:00"],
                                             "kind": ["journeys"] * n + ["viewit"]})

    monkeypatch.setattr(state, "is_demo", lambda version: False)
    monkeypatch.setattr(state, "uploads", uploads_of(1))
    assert state.source_line("v") == "Source: NDTMS-style extracts, 1 upload, latest 20 Nov 2026"
    monkeypatch.setattr(state, "uploads", uploads_of(3))
    assert state.source_line("v") == "Source: NDTMS-style extracts, 3 uploads, latest 20 Nov 2026"
    monkeypatch.setattr(state, "uploads", lambda version: pd.DataFrame(
        {"status": ["active", "active"], "when": ["2026-11-20 10:00"] * 2, "kind": ["viewit", "fingertips"]}))
    assert state.source_line("v") == ("Source: NDTMS ViewIt and OHID Fingertips downloads, 2 uploads, "
                                      "latest 20 Nov 2026")


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


# Every chart on the pages with chart downloads, as the sample extracts draw it (worked by hand; the
# working for each is in tests/pages/test_page_figures.py): its title, the figures it draws that rest on
# 1 to 4 people, and those that rest on 5 or more. The screen draws both; a chart file only the second.
SAMPLE_CHARTS: dict[tuple[str, str | None], list[tuple[str, tuple[float, ...], tuple[float, ...]]]] = {
    # Numbers in effective treatment: 3 clients in 2024-25 Q1 and Q2 (the trend, and the SPC chart's
    # points, mean and limits).
    ("trajectories", None): [
        ("Numbers in effective treatment: Northvale, 2024-25 Q1 to 2024-25 Q2", (3,), ()),
        ("Numbers in effective treatment: Northvale, 2024-25 Q1 to 2024-25 Q2", (3,), ()),
    ],
    # Effective treatment rate: NRC01 2 of 3, WAY02 1 of 2, pooled 3 of 5 (a numerator of 3).
    ("providers", None): [
        ("Effective treatment rate by provider: Northvale, 2024-25 Q2", (2 / 3, 1 / 2, 3 / 5), ()),
    ],
    # BME and ethnic-minority shares: 2 of 4 in both quarters; in treatment by ethnic group 1, 1, 1, 2.
    ("equality", None): [
        ("Black and minority ethnic share: Northvale, 2024-25 Q1 to 2024-25 Q2", (1 / 2,), ()),
        ("Ethnic minority share incl. white minorities: Northvale, 2024-25 Q1 to 2024-25 Q2", (1 / 2,), ()),
        ("Numbers in treatment by ethnic group: Northvale, 2024-25 Q2", (1, 2), ()),
    ],
    # Data quality by provider: NRC01 3 of 3, WAY02 1 of 2.
    ("quality", None): [("Data quality by provider: Northvale, 2024-25 Q2", (1, 1 / 2), ())],
    # Tests per trigger arrest: hundreds of arrests (April 268 of 299, May 250 of 289; CS01 359 of 410,
    # CS02 159 of 178); criminal-justice referrals: 3 in each quarter.
    ("criminal_justice", None): [
        ("Tests per trigger arrest, month by month: Northvale, Apr 2024 to Sep 2024", (),
         (268 / 299, 250 / 289)),
        ("Tests per trigger arrest by custody suite: Northvale, 2024-25 Q2", (), (359 / 410, 159 / 178)),
        ("Criminal-justice referrals: Northvale, 2024-25 Q1 to 2024-25 Q2", (3,), ()),
    ],
    # Numbers in treatment: 5 in each quarter; numbers in effective treatment: 3. The Export page's chart
    # leaves the dashboard as it is on the screen, so it hides small numbers on the screen too.
    ("export", None): [("Numbers in treatment: Northvale, 2024-25 Q1 to 2024-25 Q2", (), (5,))],
    ("export", "effective_treatment"): [
        ("Numbers in effective treatment: Northvale, 2024-25 Q1 to 2024-25 Q2", (3,), ()),
    ],
    # The other pages draw no chart (the Overview's trend lines are cells of its table).
    ("overview", None): [], ("upload", None): [], ("about", None): [],
}
_COUNT = re.compile(r"\s*(\d[\d,]*)\s*")
_COUNTS = re.compile(r"(\d[\d,]*) of (\d[\d,]*)")


def _array(values: Any) -> np.ndarray:
    """A plotly array as the browser gets it (base64 typed arrays included)."""
    if isinstance(values, dict) and "bdata" in values:
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=np.dtype(values["dtype"]))
    return np.asarray(values if values is not None else [], dtype=object).ravel()


def _visible(chart: dict[str, Any]) -> list[dict[str, Any]]:
    return [trace for trace in chart["data"] if trace.get("visible", True) is not False]


def _drawn(chart: dict[str, Any]) -> list[float]:
    """Every number a chart draws: the x and y of its visible traces."""
    numbers = []
    for trace in _visible(chart):
        for axis in ("x", "y"):
            for v in _array(trace.get(axis)):
                if isinstance(v, int | float | np.number) and not isinstance(v, bool) and np.isfinite(v):
                    numbers.append(float(v))
    return numbers


def _small_counts(chart: dict[str, Any]) -> list[str]:
    """The hover and label texts of a chart's visible points that give a count of 1 to 4 people
    ('3', '2 of 4', '1 of 12')."""
    found = []
    for trace in _visible(chart):
        for cell in [*_array(trace.get("customdata")), *_array(trace.get("text"))]:
            text = str(cell)
            counts = [m.group(1) for m in [_COUNT.fullmatch(text)] if m]
            counts += [n for m in _COUNTS.finditer(text) for n in m.groups()]
            if any(1 <= int(c.replace(",", "")) <= 4 for c in counts):
                found.append(text)
    return found


def _draws(chart: dict[str, Any], value: float) -> bool:
    return any(np.isclose(value, drawn, rtol=1e-9, atol=0) for drawn in _drawn(chart))


@pytest.mark.parametrize(("page", "kpi"), list(SAMPLE_CHARTS))
def test_chart_downloads_hide_small_numbers_the_screen_shows(sample_db: Path, page: str, kpi: str | None,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Every chart offered for download on every page: the file draws no figure based on 1 to 4
    people (by its hover texts and by the hand-worked sample figures above), and its source line says
    figures were left out exactly when some were; figures based on 5 or more are still drawn. The screen
    shows every figure (but on the Export page, whose chart is the file)."""
    from charts import pack, tables
    from pages import downloads

    exported: list[dict[str, Any]] = []
    monkeypatch.setattr(downloads, "chart_downloads",
                        lambda fig, *, name: exported.append(json.loads(fig.to_json())))
    at = _app(page)
    if kpi is not None:
        exported.clear()
        at.selectbox(key="export_kpi").set_value(kpi).run()
    assert not at.exception, at.exception
    screen = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
    expected = SAMPLE_CHARTS[(page, kpi)]
    assert len(exported) == len(screen) == len(expected), "each chart on the screen offered, and no other"
    note = pack.HIDDEN_POINTS_NOTE if page == "export" else tables.CHART_HIDDEN_NOTE
    for shown, download, (title, small, large) in zip(screen, exported, expected, strict=True):
        assert shown["layout"]["meta"]["title"] == download["layout"]["meta"]["title"] == title
        assert not _small_counts(download), (title, _small_counts(download))
        assert not [v for v in small if _draws(download, v)], title
        assert all(_draws(download, v) for v in large), title
        assert (note in download["layout"]["meta"]["source"]) == bool(small), title
        if small and not large:  # every figure here is small: nothing is left to draw, and it says why
            assert not _drawn(download), title
            assert [a["text"] for a in download["layout"]["annotations"] if a.get("name") == "no_data"] == [
                tables.CHART_ALL_HIDDEN]
        if page == "export":
            assert shown == download
        else:
            assert all(_draws(shown, v) for v in (*small, *large)), title
            assert bool(_small_counts(shown)) == bool(small), title
