"""Every page shows figures worked out by hand from the sample extracts (tests/fixtures/samples),
as ``test_pages.test_overview_shows_the_fixture_figures`` does for the Overview.

The working is in each test's docstring, from the CSV rows and the definitions in the spec
(kpis.md); the latest quarter is 2024-25 Q2, so W is 2023-10-01 to 2024-09-30 unless a test
says otherwise. The five sample journeys (journeys.csv), in short:

    journey   where       client  sex  ethnic  group    RFLS  triaged     discharged  reason         PRNTSTAT
    NRC-1001  NRC01       a9f3c2  1    A       OPI      4     2023-11-09  (open)                     14
    NRC-1002  NRC01       b71e04  2    J       NOPI     5     2024-01-22  2024-06-03  80 successful  11
    NRC-1003  NRC01/CJIT  c0d4aa  1    M       OPI      13    2024-02-01  2024-03-10  85 unplanned   15
    WAY-0007  WAY02       d5520f  2    A       ALC      3     2024-03-19  (open)                     13
    WAY-0008  WAY02/EAR   e88b19  9    Z       NOPIALC  8     2024-05-30  2024-08-21  83 transfer    (blank)

WAY-0008 also has no REFLD and no INJSTAT; every other journey has both, and a DRUG1.
The targets are the shipped data/targets.toml.
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from tests.pages.helpers import open_page


def _app(page: str) -> AppTest:
    at = open_page(page, timeout=240)
    assert not at.exception, at.exception
    if page not in ("upload", "about"):  # the pages that read the sidebar's selection: the latest quarter
        assert at.session_state["selection"].period.label == "2024-25 Q2"
    return at


def _metrics(at: AppTest) -> dict[str, tuple[str, str]]:
    """Each headline figure on the page: label -> (value, change). A figure whose extract covers only
    part of the window (the sample TOPs and DIP returns end in 2024-25 Q1) may be marked partial; the
    mark is not part of the figure."""
    return {m.label: (m.value.removesuffix(" (partial)"), m.proto.delta) for m in at.metric}


def _captions(at: AppTest) -> list[str]:
    """The captions, without the note on coverage a partial figure's caption may end with."""
    return [c.value.split(". Partial: ")[0] for c in at.caption]


def _array(values: Any) -> np.ndarray:
    """A plotly array as the browser gets it (base64 typed arrays included) as numbers."""
    if isinstance(values, dict) and "bdata" in values:
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=np.dtype(values["dtype"]))
    return np.asarray(values, dtype=object)


def _charts(at: AppTest) -> list[dict[str, Any]]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def _trace(chart: dict[str, Any], name: str) -> dict[str, Any]:
    traces = [t for t in chart["data"] if t.get("name") == name]
    assert len(traces) == 1, [t.get("name") for t in chart["data"]]
    return traces[0]


def test_trajectories_shows_retention_against_its_target(sample_db: Path) -> None:
    """Retained 12 weeks or more: journeys with TRIAGED in the 12 months ending 84 days before E,
    the share lasting 84 days or more (or ending successfully sooner).

    2024-25 Q2: E - 84 days = 2024-07-08, so TRIAGED in 2023-07-09..2024-07-08: all five journeys.
    Retained: NRC-1001 (open), NRC-1002 (2024-01-22 to 06-03, 133 days), WAY-0007 (open since
    2024-03-19, 195 days at E); not: NRC-1003 (38 days, dropped out), WAY-0008 (2024-05-30 to
    08-21 is 83 days, a transfer). 3 of 5 = 60.0%.
    2024-25 Q1: E - 84 days = 2024-04-07: NRC-1001, NRC-1002, NRC-1003, WAY-0007 (WAY-0008 starts
    later); retained as above (WAY-0007 open 103 days at 2024-06-30). 3 of 4 = 75.0%.
    Change on the previous quarter 60.0 - 75.0 = -15.0 pp. Target 81% (level): gap -21.0 pp; cases
    needed ceil(0.81 x 5) - 3 = 5 - 3 = 2.
    SPC: mean of 75% and 60% = 67.5%; one moving range 15 pp, so limits 67.5 +/- 2.66 x 15 =
    27.6% to 107.4%; the 81% target lies inside them: hit and miss.
    """
    at = _app("trajectories")
    at.selectbox[0].set_value("retention_12wk")
    at.run()
    assert not at.exception, at.exception
    shown = _metrics(at)
    assert shown["Value, 2024-25 Q2"] == ("60.0%", "-15.0 pp")
    assert shown["Target"][0] == "81.0%"
    assert shown["Gap to target"][0] == "-21.0 pp"
    assert shown["Cases needed"][0] == "2"
    assert "current denominator of 5" in at.markdown[0].value

    trend, spc = _charts(at)
    line = _trace(trend, "Northvale")
    assert list(line["x"]) == ["2024-25 Q1", "2024-25 Q2"]
    np.testing.assert_allclose(_array(line["y"]), [0.75, 0.60])
    assert [row[2] for row in line["customdata"]] == ["3 of 4", "3 of 5"]
    np.testing.assert_allclose(_array(_trace(trend, "Target")["y"]), [0.81, 0.81])
    np.testing.assert_allclose(_array(_trace(spc, "Mean")["y"]), [0.675, 0.675])
    limits = [_array(t["y"]) for t in spc["data"] if t.get("name", "").startswith("Process limits")]
    np.testing.assert_allclose(sorted(float(limit[0]) for limit in limits), [0.675 - 0.399, 0.675 + 0.399])
    assert "Assurance: hit and miss" in at.markdown[1].value
    # The charts' text alternative: the same figures as a table on the page.
    [table] = [d.value for d in at.dataframe if "SPC" in d.value.columns]
    assert list(table["Period"]) == ["2024-25 Q1", "2024-25 Q2"]
    assert list(table["Value"]) == ["75.0%", "60.0%"] and list(table["Target"]) == ["81.0%", "81.0%"]
    assert list(table["Numerator"]) == ["3", "3"] and list(table["Denominator"]) == ["4", "5"]
    assert list(table["Status"]) == ["✖ Off target", "✖ Off target"]


def test_providers_shows_each_provider_and_the_funnel_centre(sample_db: Path) -> None:
    """Effective treatment rate by provider (the first measure), 2024-25 Q2.

    NRC01: clients a9f3c2, b71e04, c0d4aa; effective NRC-1001 (open, 326 days) and NRC-1002 (133
    days), not NRC-1003 (38 days): 2 of 3 = 66.7%. WAY02: d5520f, e88b19; effective WAY-0007 (open,
    195 days), not WAY-0008 (83 days): 1 of 2 = 50.0%. The funnel's centre is the pooled value,
    3 of 5 = 60.0%.
    Exception report, partnership, retention (see the Trajectories test): 60.0% against 81.0%,
    gap -21.0 pp, 2 cases needed. Team NRC01/CJIT, successful exits as a share of exits:
    NRC-1003 ended unplanned, no successful exit: 0 of 1 = 0.0% against 40.0%, ceil(0.4) = 1 case.
    """
    at = _app("providers")
    table = at.dataframe[0].value
    rows = {r["Group"]: r for r in table.to_dict("records")}
    assert set(rows) == {"NRC01", "WAY02"}
    assert [rows["NRC01"][c] for c in ("Value", "Numerator", "Denominator")] == ["66.7%", "2", "3"]
    assert [rows["WAY02"][c] for c in ("Value", "Numerator", "Denominator")] == ["50.0%", "1", "2"]

    (funnel,) = _charts(at)
    centre = _trace(funnel, "Pooled value (60.0%)")
    np.testing.assert_allclose(_array(centre["y"]).astype(float), [0.6, 0.6])
    points = _trace(funnel, "Not significant")
    np.testing.assert_allclose(_array(points["x"]), [3, 2])
    np.testing.assert_allclose(_array(points["y"]), [2 / 3, 1 / 2])

    report = at.dataframe[1].value
    partnership = report[report["Level"] == "Partnership"]
    retention = partnership[partnership["Measure"] == "Retained 12 weeks or more"]
    assert retention[["Value", "Target", "Gap", "Cases needed"]].values.tolist() == [
        ["60.0%", "81.0%", "-21.0 pp", "2"]]
    exits = report[(report["Provider or team"] == "NRC01/CJIT")
                   & (report["Measure"] == "Successful exits as a share of exits")]
    assert exits[["Value", "Target", "Cases needed"]].values.tolist() == [["0.0%", "40.0%", "1"]]


def test_equality_shows_each_groups_share(sample_db: Path) -> None:
    """2024-25 Q2: five clients in treatment. Ethnicity stated for four (e88b19 is Z, not stated):
    A (a9f3c2), J Pakistani (b71e04), M Caribbean (c0d4aa), A (d5520f).
    BME share (D to S): J and M, 2 of 4 = 50.0%, against the 17% target: on target.
    Ethnic minority share (everything but A): J and M again, 2 of 4 = 50.0%.
    The same five clients are in treatment in 2024-25 Q1 (W 2023-07-01 to 2024-06-30), so the trend
    is 50.0% (2 of 4) in both quarters.
    Numbers in treatment by ethnic group (the first measure and breakdown): White (A-C) 2, Asian
    (H-L) 1, Black (M-P) 1, Not stated 1.
    """
    at = _app("equality")
    shown = _metrics(at)
    assert shown["Black and minority ethnic share"][0] == "50.0%"
    assert shown["Ethnic minority share incl. white minorities"][0] == "50.0%"
    captions = _captions(at)
    assert "✔ On target: target at least 17%; 2 of 4" in captions
    assert captions.count("2 of 4") == 1  # the ethnic minority share has no target

    bme, minority, by_group = _charts(at)
    for chart in (bme, minority):
        line = _trace(chart, "Northvale")
        np.testing.assert_allclose(_array(line["y"]), [0.5, 0.5])
        assert [row[2] for row in line["customdata"]] == ["2 of 4", "2 of 4"]
    bars = dict(zip(_array(by_group["data"][0]["y"]), _array(by_group["data"][0]["x"]), strict=True))
    assert bars == {"Asian": 1, "Black": 1, "Not stated": 1, "White": 2}

    [table] = [d.value for d in at.dataframe if "Group" in d.value.columns]
    assert dict(zip(table["Group"], table["Value"], strict=True)) == {
        "Asian": "1", "Black": "1", "Not stated": "1", "White": "2"}


def test_criminal_justice_shows_the_dip_measures(sample_db: Path) -> None:
    """dip.csv, months 2024-04 and 2024-05 (both in W), suites CS01 and CS02.
    Trigger arrests 212 + 198 + 87 + 91 = 588; tests 188 + 171 + 80 + 79 = 518: 518 / 588 = 0.88.
    Positive (opiates + cocaine + both): (21+30+17) + (18+27+15) + (5+14+6) + (7+11+4) = 175; 175 / 518
    = 33.8%. Required assessments 64 + 55 + 22 + 19 = 160, attended 41 + 37 + 13 + 12 = 103: 64.4%.
    Referred 19 + 15 + 6 + 5 = 45, entered 12 + 9 + 4 + 2 = 27: 60.0%.
    By suite, tests per trigger arrest: CS01 (188 + 171) / (212 + 198) = 359 / 410 = 0.88; CS02
    (80 + 79) / (87 + 91) = 159 / 178 = 0.89. By month: April 268 / 299 = 0.90, May 250 / 289 = 0.87.
    Criminal-justice referrals (RFLS 5, 6, 8, 13, TRIAGED in W): NRC-1002, NRC-1003, WAY-0008 = 3,
    in 2024-25 Q1 (W 2023-07-01 to 2024-06-30) as in Q2.
    """
    at = _app("criminal_justice")
    shown = _metrics(at)
    assert shown["Tests per trigger arrest"][0] == "0.88"
    assert shown["Positive test rate"][0] == "33.8%"
    assert shown["Required assessments attended"][0] == "64.4%"
    assert shown["DIP referrals entering treatment"][0] == "60.0%"
    captions = _captions(at)
    assert ["518 of 588", "175 of 518", "103 of 160", "27 of 45"] == [
        c for c in captions if re.fullmatch(r"\d+ of \d+", c)]

    suites = at.dataframe[0].value
    assert suites[["Group", "Value", "Numerator", "Denominator"]].values.tolist() == [
        ["CS01", "0.88", "359", "410"], ["CS02", "0.89", "159", "178"]]

    monthly, by_suite, referrals = _charts(at)
    months = _trace(monthly, "Northvale")
    np.testing.assert_allclose(_array(months["y"])[:2], [268 / 299, 250 / 289])
    assert [row for row in months["customdata"][:2]] == [["0.90", "268 of 299"], ["0.87", "250 of 289"]]
    np.testing.assert_allclose(_array(by_suite["data"][0]["x"]), [359 / 410, 159 / 178])
    np.testing.assert_allclose(_array(_trace(referrals, "Northvale")["y"]), [3, 3])


def test_quality_shows_top_compliance_and_missing_fields(sample_db: Path) -> None:
    """2024-25 Q2, E = 2024-09-30.
    TOP start: journeys triaged in the 12 months ending E - 14 = 2024-09-16 (all five); a start TOP
    within 14 days of TRIAGED: NRC-1001 (same day), NRC-1002 (same day), WAY-0007 (03-25, 6 days);
    none for NRC-1003 or WAY-0008: 3 of 5 = 60.0%.
    Review: anniversaries TRIAGED + 182 in [S, E - 28 = 2024-09-02] while open: NRC-1001's 2024-05-09
    (R TOP 05-10): 1 of 1. (NRC-1002's 2024-07-22 and NRC-1003's fall after discharge; WAY-0007's
    2024-09-17 and WAY-0008's are too late.) Exit: NRC-1002's successful discharge 2024-06-03 has its
    E TOP that day: 1 of 1. TOP compliance (3 + 1 + 1) / (5 + 1 + 1) = 5 of 7 = 71.4%, against 86%.
    Data quality: WAY-0008 has sex 9, ethnicity Z, no PRNTSTAT, REFLD or INJSTAT; the other four have
    everything: 4 of 5 = 80.0%. By provider: NRC01 3 of 3 = 100.0%; WAY02 1 of 2 = 50.0%.
    Parental status recorded (TRIAGED in W: all five): all but WAY-0008, 4 of 5 = 80.0%.
    Missing fields, of 5 journeys in treatment: ETHNIC, INJSTAT, PRNTSTAT, REFLD, SEX 1 each (20.0%),
    DRUG1 none.
    """
    at = _app("quality")
    shown = _metrics(at)
    assert shown["Data quality"][0] == "80.0%"
    assert shown["Parental status recorded"][0] == "80.0%"
    assert shown["TOP compliance"][0] == "71.4%"
    assert shown["TOP compliance at treatment start"][0] == "60.0%"
    assert shown["TOP compliance at 6-month reviews"][0] == "100.0%"
    assert shown["TOP compliance at successful exits"][0] == "100.0%"
    captions = _captions(at)
    assert "✖ Off target: target at least 86%; 5 of 7" in captions
    assert "✖ Off target: target at least 98%; 4 of 5" in captions
    assert captions.count("1 of 1") == 2 and "3 of 5" in captions

    by_provider = at.dataframe[0].value
    assert by_provider[["Group", "Value", "Numerator", "Denominator"]].values.tolist() == [
        ["NRC01", "100.0%", "3", "3"], ["WAY02", "50.0%", "1", "2"]]
    missing = at.dataframe[1].value
    counts = dict(zip(missing["Field"], missing["Journeys missing it"], strict=True))
    assert counts == {"Ethnicity (ETHNIC)": 1, "Injecting status (INJSTAT)": 1,
                      "Parental status (PRNTSTAT)": 1, "Referral date (REFLD)": 1, "Sex (SEX)": 1,
                      "Primary drug (DRUG1)": 0}
    assert set(missing["Journeys in treatment"]) == {5}
    np.testing.assert_allclose(sorted(missing["Share missing"]), [0.0] + [20.0] * 5)


def test_export_preview_shows_numbers_in_treatment_with_providers_suppressed(sample_db: Path) -> None:
    """Numbers in treatment (the first measure) by provider, 2024-25 Q2 (W 1 Oct 2023 to 30 Sep 2024).
    The partnership: 5 clients; its 95% interval, exact Poisson below 10: chi-squared(0.025, 10) / 2
    = 3.247 / 2 = 1.6 and chi-squared(0.975, 12) / 2 = 23.337 / 2 = 11.7. The providers have 3 (NRC01)
    and 2 (WAY02), both 1 to 4: shown as *. The chart: 5 in both quarters (the same five clients are
    in treatment in 2024-25 Q1).
    """
    at = _app("export")
    table = at.dataframe[0].value
    rows = table[["Breakdown", "Group", "Window start", "Window end", "Numerator", "Value", "Lower 95%",
                  "Upper 95%"]].astype(str).values.tolist()
    assert rows == [
        ["Partnership", "All", "1 Oct 2023", "30 Sep 2024", "5", "5", "1.6", "11.7"],
        ["Provider", "NRC01", "1 Oct 2023", "30 Sep 2024", "*", "*", "*", "*"],
        ["Provider", "WAY02", "1 Oct 2023", "30 Sep 2024", "*", "*", "*", "*"],
    ]
    (chart,) = _charts(at)
    np.testing.assert_allclose(_array(_trace(chart, "Northvale")["y"]), [5, 5])


def test_upload_history_counts_each_files_rows(sample_db: Path) -> None:
    """The four sample files, by their data rows (header excluded): journeys.csv 5, tops.csv 5,
    dip.csv 4, indicators.csv 4 (18 rows in all), newest upload first. The reporting quarter of each
    is the one holding its latest date: journeys 2024-08-21 (a discharge) -> 2024-25 Q2; tops
    2024-06-03 -> 2024-25 Q1; dip 2024-05 -> 2024-25 Q1. Indicators keep their own periods:
    2017-18, 2024-25 and 2024-25 Q1, for E08000999 and England (E92000001)."""
    at = _app("upload")
    history = at.dataframe[0].value
    assert dict(zip(history["file"], history["rows"], strict=True)) == {
        "indicators.csv": 4, "dip.csv": 4, "tops.csv": 5, "journeys.csv": 5}
    assert int(history["rows"].sum()) == 18
    assert list(history["upload"]) == [4, 3, 2, 1]
    assert dict(zip(history["file"], history["periods"], strict=True)) == {
        "indicators.csv": "2017-18, 2024-25, 2024-25 Q1", "dip.csv": "2024-25 Q1", "tops.csv": "2024-25 Q1",
        "journeys.csv": "2024-25 Q2"}
    assert history.loc[history["file"] == "indicators.csv", "partnerships"].item() == "E08000999, E92000001"


# The measures of the spec (kpis.md), by its sections, with the polarity its tables give each.
SPEC_MEASURES = {
    "Treatment": {
        "in_treatment": "neutral", "effective_treatment": "up", "effective_treatment_rate": "up",
        "completions_opiate": "up", "completions_non_opiate": "up", "completions_alcohol": "up",
        "completions_all": "up", "successful_exits_share": "up", "representations": "down",
        "retention_12wk": "up", "long_term_4yr": "down", "cj_referrals": "up",
    },
    "Treatment Outcomes Profiles": {
        "top_compliance": "up", "top_start_compliance": "up", "top_review_compliance": "up",
        "top_exit_compliance": "up", "top_exits": "up",
    },
    "Equality and data quality": {
        "bme_share": "up", "ethnic_minority_share": "up", "parental_status_recorded": "up",
        "data_quality": "up",
    },
    "Criminal justice": {
        "toa_test_rate": "up", "toa_positivity": "neutral", "ra_attendance": "up",
        "dip_treatment_entry": "up",
    },
}
POLARITY_WORDS = {"up": "higher is better", "down": "lower is better",
                  "neutral": "neither higher nor lower is better"}
# An entry as the About page writes it: **Name** (`id`): definition *Unit; polarity.*
ENTRY = re.compile(r"\*\*(?P<name>.+?)\*\* \(`(?P<id>\w+)`\): (?P<definition>.+) "
                   r"\*(?P<unit>\w+); (?P<polarity>[^.]+)\.\*")


def test_about_lists_the_25_measures_of_the_spec_under_their_headings(sample_db: Path) -> None:
    """kpis.md defines 12 treatment measures, 5 TOP measures (compliance, its three parts and exit
    TOPs), 4 equality and data-quality measures and 4 criminal-justice measures: 25. Each is listed
    once, under its section's heading, with the polarity the spec's table gives it (re-presentations
    and 4 years or more: lower is better; numbers in treatment and the positive test rate: neither).
    Definitions keep the spec's day counts: retention 84 days, re-presentation 182 days, long-term
    1,461 days."""
    at = _app("about")
    listed: dict[str, dict[str, re.Match[str]]] = {}
    heading = None
    for node in at.main:
        if node.type == "subheader":
            heading = node.value
        elif node.type == "markdown" and (entry := ENTRY.fullmatch(node.value)):
            assert heading is not None, node.value
            assert entry["id"] not in {i for section in listed.values() for i in section}, entry["id"]
            listed.setdefault(heading, {})[entry["id"]] = entry
    assert sum(len(section) for section in listed.values()) == 25
    assert {h: set(section) for h, section in listed.items()} == {h: set(s) for h, s in SPEC_MEASURES.items()}
    for h, section in SPEC_MEASURES.items():
        for kpi, polarity in section.items():
            assert listed[h][kpi]["polarity"] == POLARITY_WORDS[polarity], kpi
    assert "84 days" in listed["Treatment"]["retention_12wk"]["definition"]
    assert "182 days" in listed["Treatment"]["representations"]["definition"]
    assert "1,461 days" in listed["Treatment"]["long_term_4yr"]["definition"]
    assert listed["Criminal justice"]["toa_test_rate"]["unit"] == "Rate"


def test_trajectories_opens_on_numbers_in_effective_treatment(sample_db: Path) -> None:
    """The default measure, numbers in effective treatment: 3 in 2024-25 Q2 (NRC-1001, NRC-1002,
    WAY-0007, as on the Overview) and 3 in Q1 (W 2023-07-01 to 2024-06-30: NRC-1001 open 234 days,
    NRC-1002 133 days, WAY-0007 open 103 days; NRC-1003 38 days; WAY-0008 only 31 days by
    2024-06-30): no change."""
    at = _app("trajectories")
    assert _metrics(at)["Value, 2024-25 Q2"] == ("3", "+0")
    trend, _ = _charts(at)
    np.testing.assert_allclose(_array(_trace(trend, "Northvale")["y"]), [3, 3])


def test_overview_lists_the_local_indicators_with_their_targets(sample_db: Path, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The samples' indicators.csv gives Northvale an IOM cohort of 136 for 2024-25 Q1 (April to June 2024) and
    a re-offending rate of 31.5% for the year 2024-25. At 2024-25 Q2 (12 months to 30 September 2024) the
    scorecard's second section shows the cohort at its own quarter, Q1, the latest ending by 30 September; the
    year 2024-25 ends on 31 March 2025, after the quarter, so re-offending is not shown.

    Targets file: the cohort declared higher-is-better, level 150: 136 is 14 short, more than 2% of 150 (3), so
    off target; 150 - 136 = 14 more cases needed. Comparator England has no cohort figure: blank."""
    targets = tmp_path / "targets.toml"
    targets.write_text('[[indicator]]\nid = "iom_cohort"\npolarity = "up"\nname = "IOM cohort"\n\n'
                       '[[target]]\nmeasure = "iom_cohort"\narea = "*"\nkind = "level"\nvalue = 150\n',
                       encoding="utf-8")
    monkeypatch.setenv("KPI_TARGETS", str(targets))
    at = _app("overview")
    assert "Local and published indicators" in [s.value for s in at.subheader]
    [table] = [d.value for d in at.dataframe if "Indicator" in d.value.columns]
    assert list(table["Indicator"]) == ["IOM cohort"]
    row = table.iloc[0]
    assert (row["Status"], row["Period"], row["Value"], row["Target"], row["Gap"], row["Needed"]) == (
        "✖ Off target", "2024-25 Q1", "136", "150", "-14", "14 cases")
    assert row["England"] == "" and "indicators.csv" in row["Source"]
    # The measures' table does not hold it: each section has its own rows.
    measures = at.dataframe[0].value
    assert "IOM cohort" not in set(measures["Measure"]) and len(measures) == 25
    # The tiles count the 25 measures and the declared indicator, which is off target.
    tiles = {m.label: int(m.value) for m in at.metric}
    assert sum(tiles.values()) == 26
    assert tiles["✖ Off target"] == 1 + int((measures["Status"] == "✖ Off target").sum())


def test_overview_without_indicators_has_no_second_section(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the journeys, TOPs and DIP samples loaded: no indicators, so no 'Local and published indicators'."""
    from loaders.load import load_file
    from loaders.store import open_store
    from metrics.registry import measure_ids
    from metrics.results import refresh_results
    from tests.conftest import SAMPLES

    path = tmp_path / "no-indicators.duckdb"
    monkeypatch.setenv("KPI_DB", str(path))
    with open_store(path) as store:
        for name in ("journeys.csv", "tops.csv", "dip.csv"):
            assert load_file(store, data=(SAMPLES / name).read_bytes(), file_name=name, measure_ids=measure_ids(),
                             on_change=refresh_results).status == "loaded"
    at = _app("overview")
    assert "Local and published indicators" not in [s.value for s in at.subheader]
    assert not [d for d in at.dataframe if "Indicator" in d.value.columns]


def test_a_partnership_known_only_from_downloads_is_told_what_to_upload(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the real Fingertips download loaded (published whole-area figures): Providers says providers and teams
    come from the partnership's own extracts and names none uploaded, instead of an empty chart and table."""
    from loaders.load import load_file
    from loaders.store import open_store
    from tests.conftest import FIXTURES

    path = tmp_path / "downloads.duckdb"
    monkeypatch.setenv("KPI_DB", str(path))
    download = FIXTURES / "downloads" / "fingertips_93517_unmet_opiates.csv"
    with open_store(path) as store:
        assert load_file(store, data=download.read_bytes(), file_name=download.name).status == "loaded"
    at = open_page("providers", timeout=240)
    assert not at.exception, at.exception
    notes = [i.value for i in at.info]
    assert any(n.startswith("Providers and teams come from the partnership's own extracts") for n in notes), notes
    assert not at.get("plotly_chart") and not [d for d in at.dataframe if "Group" in d.value.columns]
