"""The Compare areas page on a small indicators upload worked by hand, and with nothing to compare.

The upload (``hepc_test``, polarity up, 2023-24): England 5,000 of 10,000 = 50.0%; North East 600 of
1,000 = 60.0%; and four of its upper-tier areas, each with its published 95% limits:

    area                  figure          95% limits     England (50%) is   so
    Hartlepool            70 of 100 = 70%  60% to 78%    below the limits   better
    Middlesbrough         55 of 100 = 55%  45% to 64%    inside             similar
    Stockton-on-Tees      45% (no counts)  none          -                  not compared
    Redcar and Cleveland  30 of 100 = 30%  22% to 40%    above              worse

Best first: Hartlepool 1st, Middlesbrough 2nd, Stockton-on-Tees 3rd, Redcar and Cleveland 4th. A
2022-23 figure for two areas makes an older period; ``iom_size``, uploaded for one area only, cannot be
compared, so it is not offered. The funnel has the three areas with counts, around their pooled
155 / 300 = 51.7%.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from loaders.load import load_file
from loaders.store import open_store
from metrics.registry import measure_ids
from metrics.results import refresh_results
from tests.conftest import INDICATOR_HEADER, csv_text
from tests.pages.helpers import ROOT, open_page
from tests.pages.test_page_figures import _array

NAME = "Hepatitis C tests among people who inject"
ROWS = [
    f"E92000001,England,hepc_test,{NAME},2023-24,5000,10000,,proportion,0.49,0.51,up",
    f"E12000001,North East,hepc_test,{NAME},2023-24,600,1000,,proportion,0.57,0.63,up",
    f"E06000001,Hartlepool,hepc_test,{NAME},2023-24,70,100,,proportion,0.60,0.78,up",
    f"E06000002,Middlesbrough,hepc_test,{NAME},2023-24,55,100,,proportion,0.45,0.64,up",
    f"E06000003,Redcar and Cleveland,hepc_test,{NAME},2023-24,30,100,,proportion,0.22,0.40,up",
    f"E06000004,Stockton-on-Tees,hepc_test,{NAME},2023-24,,,0.45,proportion,,,up",
    f"E06000001,Hartlepool,hepc_test,{NAME},2022-23,60,100,,proportion,0.50,0.69,up",
    f"E06000002,Middlesbrough,hepc_test,{NAME},2022-23,50,100,,proportion,0.40,0.60,up",
    "E06000002,Middlesbrough,iom_size,IOM cohort size,2023-24,,,120,count,,,up",
]


@pytest.fixture
def areas_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "areas.duckdb"
    monkeypatch.setenv("KPI_DB", str(path))
    text = csv_text(INDICATOR_HEADER + ",POLARITY", *ROWS)
    with open_store(path) as store:
        result = load_file(store, data=text.encode(), file_name="areas.csv", kind="indicators",
                           measure_ids=measure_ids(), on_change=refresh_results)
        assert result.status == "loaded", result.problems
    return path


def _charts(at: AppTest) -> list[dict[str, Any]]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def _compare(*, area: str | None = None) -> AppTest:
    """The page as a person reaches it, with ``area`` chosen in the sidebar. Under AppTest the sidebar is
    drawn on the first run only (test_hostile_names.py), so the partnership is set before it."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=240)
    if area:
        at.session_state["area"] = area
    at.run()
    at.switch_page("pages/compare.py")
    at.run()
    assert not at.exception, at.exception
    return at


def _box(at: AppTest, label: str) -> Any:
    return next(box for box in at.selectbox if box.label == label)


def test_every_area_against_england_with_the_partnership_highlighted(areas_db: Path) -> None:
    at = _compare(area="E06000002")
    assert [t.value for t in at.title] == ["Compare areas"]
    measure, period, group = _box(at, "Measure or indicator"), _box(at, "Period"), \
        _box(at, "Areas to compare")
    assert measure.options == [NAME]  # the IOM cohort has one area's figure: nothing to compare it with
    assert (period.options, period.value) == (["2023-24", "2022-23"], "2023-24")
    assert group.options[0] == "All areas" and "North East" in group.options and group.value == ""
    assert "Middlesbrough: 55.0%, 2nd of 4; similar to England (50.0%)." in \
        [m.value.replace("\\", "").strip("*") for m in at.markdown]

    table = at.dataframe[0].value
    assert table["Area"].tolist() == ["Hartlepool", "Middlesbrough", "Stockton-on-Tees", "Redcar and Cleveland"]
    assert table["Value"].tolist() == ["70.0%", "55.0%", "45.0%", "30.0%"]
    assert table["95% interval"].tolist() == ["60.0% to 78.0%", "45.0% to 64.0%", "", "22.0% to 40.0%"]
    assert table["Compared with England"].tolist() == [
        "Better than England", "Similar to England", "Not compared", "Worse than England"]
    assert table["Rank"].tolist() == [1, 2, 3, 4]
    assert table["Region value"].tolist() == ["60.0%"] * 4
    assert table["Selected"].tolist() == ["", "Selected", "", ""]

    bars, funnel = _charts(at)
    named = {t["name"]: t for t in bars["data"]}
    assert [list(_array(named[n]["x"])) for n in ("Better than England", "Similar to England",
                                                   "Not compared", "Worse than England")] == \
        [[0.7], [0.55], [0.45], [0.3]]
    assert bars["layout"]["yaxis"]["ticktext"] == [
        "Hartlepool", "<b>Middlesbrough</b>", "Stockton-on-Tees", "Redcar and Cleveland"]
    lines = {s["name"]: s["x0"] for s in bars["layout"]["shapes"]}
    assert lines == {"England (50.0%)": 0.5, "North East region (60.0%)": 0.6}
    assert "Middlesbrough (selected)" in named
    assert bars["layout"]["meta"]["title"] == f"{NAME}, all areas: Middlesbrough highlighted, 2023-24"

    points = at.dataframe[1].value
    assert points["Area"].tolist() == ["Hartlepool", "Middlesbrough", "Redcar and Cleveland"]
    significance = dict(zip(points["Area"], points["Significance"], strict=True))
    assert significance["Middlesbrough"] == "Not significant"
    assert significance["Redcar and Cleveland"] == "Low (0.001)"
    assert significance["Hartlepool"].startswith("High")
    pooled = [t for t in funnel["data"] if t["name"].startswith("Pooled value")]
    assert [t["name"] for t in pooled] == ["Pooled value (51.7%)"]
    ring = [t for t in funnel["data"] if t["name"] == "Middlesbrough (selected)"][0]
    assert (list(_array(ring["x"])), list(_array(ring["y"]))) == ([100.0], [0.55])


def test_a_group_and_an_older_period(areas_db: Path) -> None:
    at = _compare(area="E06000001")
    _box(at, "Period").set_value("2022-23").run()
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    assert table["Area"].tolist() == ["Hartlepool", "Middlesbrough"]
    # England and the region have no 2022-23 figure: nothing to compare with, no region value.
    assert table["Compared with England"].tolist() == ["Not compared", "Not compared"]
    assert "Hartlepool: 60.0%, 1st of 2; not compared with England." in \
        [m.value.replace("\\", "").strip("*") for m in at.markdown]
    _box(at, "Areas to compare").set_value("London").run()
    assert not at.exception, at.exception
    assert any("No area in London has a figure for 2022" in i.value.replace("\\", "") for i in at.info)
    assert not at.get("plotly_chart")


def test_nothing_to_compare_says_what_to_upload(sample_db: Path) -> None:
    at = open_page("compare")
    assert not at.exception, at.exception
    words = " ".join(i.value for i in at.info)
    assert "No measure or indicator has figures for two or more areas yet" in words
    assert "Fingertips download" in words
    assert [s.label for s in at.selectbox if s.label == "Measure or indicator"] == []
    assert not at.get("plotly_chart")


def test_an_empty_database_says_there_is_no_data_yet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KPI_DB", str(tmp_path / "empty.duckdb"))
    at = open_page("compare")
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["No data yet"]
    assert not at.get("plotly_chart")
