"""The tables formatted for people: what a commissioner reads in each cell and column."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from charts import display
from metrics.registry import measure


def _report(areas: tuple[str, ...] = ("E99000103",)) -> pd.DataFrame:
    rows = []
    for area in areas:
        rows.append({"kpi": "completions_opiate", "area": area, "breakdown": "", "group": "", "status": "red",
                     "value": 0.062, "target": 0.1425, "gap": -0.081, "needed": 60.0, "provisional": True})
        rows.append({"kpi": "effective_treatment", "area": area, "breakdown": "provider", "group": "EBA04",
                     "status": "red", "value": 270.0, "target": 286.0, "gap": -16.0, "needed": 16.0,
                     "provisional": False})
    return pd.DataFrame(rows)


def test_exception_gaps_are_percentage_points_as_on_the_scorecard_and_in_the_pack() -> None:
    table = display.exception_table(_report())
    assert list(table["Gap"]) == ["-8.1 pp", "-16"]
    assert not table["Gap"].str.contains("pts").any()


def test_exception_report_for_one_partnership_has_no_column_of_its_code() -> None:
    assert "Area" not in display.exception_table(_report()).columns
    assert "Area" in display.exception_table(_report(("E99000101", "E99000103"))).columns
    assert "Area" not in display.exception_table(_report().iloc[0:0]).columns


def _frame(kpi: str, **extra: object) -> pd.DataFrame:
    base = {"area": "E99000103", "group": "EBK01", "value": 514.0, "lower95": 470.5, "upper95": 560.4,
            "numerator": 514.0, "denominator": None, "status": "grey", "target": None}
    return pd.DataFrame([{**base, "kpi": kpi, **extra}])


def test_comparison_table_leaves_out_columns_blank_in_every_row() -> None:
    count = display.comparison_table(_frame("in_treatment"), measure=measure("in_treatment"))
    assert list(count.columns) == ["Group", "Value", "95% interval", "Numerator", "Status"]

    share = display.comparison_table(
        _frame("effective_treatment_rate", value=0.84, lower95=0.81, upper95=0.87, denominator=610.0,
               target=0.8, status="green", funnel_significance="High (0.001)"),
        measure=measure("effective_treatment_rate"))
    assert list(share.columns) == ["Group", "Value", "95% interval", "Numerator", "Denominator", "Status", "Target",
                                   "Significance"]
    assert share.iloc[0]["Target"] == "80.0%" and share.iloc[0]["Denominator"] == "610"


def test_missing_fields_table_names_its_columns_and_gives_the_share_in_percent() -> None:
    missing = pd.DataFrame({"field": ["Sex (SEX)"], "journeys missing it": [179], "journeys": [1759],
                            "share": [179 / 1759]})
    table = display.missing_fields_table(missing)
    assert list(table.columns) == ["Field", "Journeys missing it", "Journeys in treatment", "Share missing"]
    assert round(table.iloc[0]["Share missing"], 1) == 10.2


def test_preview_never_shows_none_and_separates_thousands() -> None:
    table = pd.DataFrame({"Numerator": [1316, "*"], "Denominator": [None, float("nan")],
                          "Lower 95%": [1245.9, 6.25], "Window end": [dt.date(2026, 9, 30), None]}, dtype=object)
    shown = display.preview_table(table)
    assert shown.to_dict("list") == {"Numerator": ["1,316", "*"], "Denominator": ["", ""],
                                     "Lower 95%": ["1,245.9", "6.25"], "Window end": ["30 Sep 2026", ""]}
