"""Compare areas (issue 13, item 5): every area with a figure side by side against England, by the
Fingertips rule; comparator groups; the funnel of the areas with counts; ``python -m metrics compare``.

The small fixture below is worked by hand. z = 1.959963985 (z^2 = 3.841458821); Wilson's limits of x out
of n are (2x + z^2 -/+ z * sqrt(z^2 + 4x(1 - x/n))) / 2 / (n + z^2), with n + z^2 = 103.841458821 for
n = 100. The oracle is a real Fingertips download whose own "Compared to England" column is blanked
before loading, so that the product has to work every comparison out.
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

import pytest

from loaders.load import load_file
from loaders.store import Store, open_store
from metrics import compare as cmp
from metrics.__main__ import main
from metrics.indicators import known
from metrics.registry import measure_ids
from metrics.targets import parse_targets
from tests.conftest import FIXTURES, INDICATOR_HEADER, csv_text

# The real download, as published (the shared real-data folder's copy, kept in the repository so that CI
# has it; see tests/fixtures/downloads/README.md).
FINGERTIPS = FIXTURES / "downloads" / "fingertips_93517_unmet_opiates.csv"
FT_COMPARED = "Compared to England value or percentiles"

ENGLAND, NORTH_EAST, LONDON = "E92000001", "E12000001", "E12000007"
HARTLEPOOL, MIDDLESBROUGH, STOCKTON, REDCAR = "E06000001", "E06000002", "E06000004", "E06000003"
BARNET, CAMDEN, NORTHVALE = "E09000003", "E09000007", "E08000999"

# The command line's fields, in order (issue 13, item 5).
FIELDS = ["kpi", "name", "area", "area_name", "period", "numerator", "denominator", "value", "lower95", "upper95",
          "benchmark", "benchmark_comparison", "region_value", "rank", "group"]

HEADER = INDICATOR_HEADER + ",POLARITY,BREAKDOWN,GROUP"
HEP = "hep_tested,Tested for hepatitis C"
WAIT = "waiting_weeks,Waiting time (weeks)"
NEEDLE = "needle_visits,Needle exchange visits per 1000"
ROWS = [
    # Tested for hepatitis C, 2022/23, counts behind a proportion; declared 'up' in the targets file.
    f"{ENGLAND},England,{HEP},2022/23,500,1000,,proportion,,,,,",
    f"{NORTH_EAST},North East region,{HEP},2022/23,120,300,,proportion,,,,,",
    f"{LONDON},London region,{HEP},2022/23,330,600,,proportion,,,,,",
    f"{HARTLEPOOL},Hartlepool,{HEP},2022/23,40,100,,proportion,,,,,",
    f"{MIDDLESBROUGH},Middlesbrough,{HEP},2022/23,70,100,,proportion,,,,,",
    f"{STOCKTON},Stockton-on-Tees,{HEP},2022/23,45,100,,proportion,,,,,",
    f"{BARNET},Barnet,{HEP},2022/23,,,0.6,proportion,0.45,0.75,,,",
    f"{CAMDEN},Camden,{HEP},2022/23,,,0.3,proportion,,,,,",
    f"{NORTHVALE},Northvale,{HEP},2022/23,9,20,,proportion,,,,,",
    # A breakdown is not the area's figure.
    f"{HARTLEPOOL},Hartlepool,{HEP},2022/23,1,100,,proportion,,,,Sex,Female",
    # The year before, without England: nothing is compared.
    f"{HARTLEPOOL},Hartlepool,{HEP},2021/22,30,100,,proportion,,,,,",
    f"{MIDDLESBROUGH},Middlesbrough,{HEP},2021/22,60,100,,proportion,,,,,",
    # Waiting time, 2022/23, values with published limits; lower is better (the POLARITY column).
    f"{ENGLAND},England,{WAIT},2022/23,,,3.0,weeks,2.9,3.1,down,,",
    f"{NORTH_EAST},North East region,{WAIT},2022/23,,,4.0,weeks,3.8,4.2,down,,",
    f"{HARTLEPOOL},Hartlepool,{WAIT},2022/23,,,2.0,weeks,1.5,2.5,down,,",
    f"{MIDDLESBROUGH},Middlesbrough,{WAIT},2022/23,,,5.0,weeks,4.0,6.0,down,,",
    f"{STOCKTON},Stockton-on-Tees,{WAIT},2022/23,,,3.2,weeks,2.0,4.4,down,,",
    f"{BARNET},Barnet,{WAIT},2022/23,,,2.0,weeks,1.0,3.5,down,,",
    # Needle exchange visits, 2022/23, no polarity anywhere: neutral.
    f"{ENGLAND},England,{NEEDLE},2022/23,,,10,per 1000,9.5,10.5,,,",
    f"{HARTLEPOOL},Hartlepool,{NEEDLE},2022/23,,,15,per 1000,12,18,,,",
    f"{MIDDLESBROUGH},Middlesbrough,{NEEDLE},2022/23,,,8,per 1000,6,9,,,",
    f"{STOCKTON},Stockton-on-Tees,{NEEDLE},2022/23,,,11,per 1000,9,13,,,",
    f"{CAMDEN},Camden,{NEEDLE},2022/23,,,10.5,per 1000,,,,,",
    # One of the dashboard's measures, published for a quarter (metrics.published).
    f"{ENGLAND},England,effective_treatment_rate,,2024-25 Q1,600,1000,,proportion,,,,,",
    f"{HARTLEPOOL},Hartlepool,effective_treatment_rate,,2024-25 Q1,50,100,,proportion,,,,,",
    f"{MIDDLESBROUGH},Middlesbrough,effective_treatment_rate,,2024-25 Q1,80,100,,proportion,,,,,",
    # One area alone: nothing to compare it with.
    f"{NORTHVALE},Northvale,iom_cohort,IOM cohort,2022/23,,,136,count,,,,,",
]
TARGETS = """
[[indicator]]
id = "hep_tested"
polarity = "up"

[[group]]
name = "Tees Valley"
areas = ["E06000001", "E06000004", "E06000003"]
"""


def _load(store: Store, data: bytes, name: str) -> None:
    result = load_file(store, data=data, file_name=name, measure_ids=measure_ids())
    assert result.status == "loaded", result.problems


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """The fixture loaded through the real loader into a database file, closed for the command line."""
    path = tmp_path / "compare.duckdb"
    with open_store(path) as store:
        _load(store, csv_text(HEADER, *ROWS).encode("utf-8"), "indicators.csv")
    return path


@pytest.fixture
def targets_path(tmp_path: Path) -> Path:
    path = tmp_path / "targets.toml"
    path.write_text(TARGETS, encoding="utf-8")
    return path


@pytest.fixture
def loaded(db: Path):
    with open_store(db) as store:
        yield store


def _targets(store: Store, text: str = TARGETS):
    return parse_targets(text, known_indicators=known(store))


def _rows(frame) -> dict[str, dict]:
    return {r["area"]: r for r in frame.to_dict("records")}


# --- the hand-worked fixture ----------------------------------------------------------------------------------


def test_an_up_indicator_compared_with_england_and_the_region(loaded: Store) -> None:
    """Hepatitis C testing, 2022/23 (written 2022/23, stored 2022-23), higher is better; England 500/1000 = 50%.

    - Middlesbrough 70/100: sqrt(3.841459 + 4*70*0.3) = 9.372377; (140 + 3.841459 -/+ 1.959964*9.372377)
      / 207.682918 = 0.604151 to 0.781051: England below the interval: better.
    - Barnet 60%, published limits 45% to 75% (kept as given): similar.
    - Stockton 45/100 and Northvale 9/20, both 45%: a tie, both ranked 3; Stockton's limits
      sqrt(3.841459 + 99) = 10.141078; (93.841459 -/+ 19.876147) / 207.682918 = 0.356145 to 0.547554: similar.
    - Hartlepool 40/100: sqrt(3.841459 + 96) = 9.992070; (83.841459 -/+ 19.584097) / 207.682918 =
      0.309401 to 0.497997: England (0.5) above the interval, just: worse.
    - Camden 30%, no counts and no limits: no interval, not compared; last.
    Regions: North East 120/300 = 40% (Hartlepool, Middlesbrough, Stockton); London 330/600 = 55% (Barnet,
    Camden); Northvale is on no list, so no region. England and the regions are not rows; nor is the
    Female breakdown of Hartlepool (1 of 100)."""
    frame = cmp.compare(loaded, kpi="hep_tested", period="2022/23", targets=_targets(loaded), area=HARTLEPOOL)
    assert list(frame.columns[:len(FIELDS)]) == FIELDS
    assert list(frame["area"]) == [MIDDLESBROUGH, BARNET, NORTHVALE, STOCKTON, HARTLEPOOL, CAMDEN]
    assert list(frame["rank"]) == [1, 2, 3, 3, 5, 6]
    assert list(frame["benchmark_comparison"]) == ["better", "similar", "similar", "similar", "worse",
                                                   "not compared"]
    rows = _rows(frame)
    assert rows[HARTLEPOOL]["lower95"] == pytest.approx(0.309401, abs=5e-7)
    assert rows[HARTLEPOOL]["upper95"] == pytest.approx(0.497997, abs=5e-7)
    assert rows[MIDDLESBROUGH]["lower95"] == pytest.approx(0.604151, abs=5e-7)
    assert rows[MIDDLESBROUGH]["upper95"] == pytest.approx(0.781051, abs=5e-7)
    assert rows[STOCKTON]["lower95"] == pytest.approx(0.356145, abs=5e-7)
    assert rows[STOCKTON]["upper95"] == pytest.approx(0.547554, abs=5e-7)
    assert (rows[BARNET]["lower95"], rows[BARNET]["upper95"]) == (0.45, 0.75)
    assert math.isnan(rows[CAMDEN]["lower95"]) and math.isnan(rows[CAMDEN]["upper95"])
    assert set(frame["benchmark"]) == {0.5}
    assert {a: rows[a]["region_value"] for a in (HARTLEPOOL, MIDDLESBROUGH, STOCKTON, BARNET, CAMDEN)} == {
        HARTLEPOOL: 0.4, MIDDLESBROUGH: 0.4, STOCKTON: 0.4, BARNET: 0.55, CAMDEN: 0.55}
    assert math.isnan(rows[NORTHVALE]["region_value"]) and rows[NORTHVALE]["region"] == ""
    assert (rows[BARNET]["region"], rows[BARNET]["region_name"]) == (LONDON, "London")
    assert (rows[HARTLEPOOL]["numerator"], rows[HARTLEPOOL]["denominator"], rows[HARTLEPOOL]["value"]) == (
        40, 100, 0.4)
    assert rows[NORTHVALE]["area_name"] == "Northvale" and rows[STOCKTON]["area_name"] == "Stockton-on-Tees"
    assert list(frame["highlight"]) == [False, False, False, False, True, False]
    assert set(frame["period"]) == {"2022-23"} and set(frame["group"]) == {""}
    assert set(frame["name"]) == {"Tested for hepatitis C"} and set(frame["polarity"]) == {"up"}
    assert set(frame["window_end"]) == {"2023-03-31"}


def test_a_down_indicator_is_best_lowest_first_and_ties_share_the_better_rank(loaded: Store) -> None:
    """Waiting time, lower is better (POLARITY column); England 3.0 weeks, North East 4.0.
    Barnet 2.0 (1.0-3.5): similar; Hartlepool 2.0 (1.5-2.5): England above, better; both rank 1 (by name);
    Stockton 3.2 (2.0-4.4): similar, rank 3; Middlesbrough 5.0 (4.0-6.0): England below, worse, rank 4.
    No London figure: Barnet has no region value."""
    frame = cmp.compare(loaded, kpi="waiting_weeks", period="2022-23", targets=_targets(loaded))
    assert list(frame["area"]) == [BARNET, HARTLEPOOL, STOCKTON, MIDDLESBROUGH]
    assert list(frame["rank"]) == [1, 1, 3, 4]
    assert list(frame["benchmark_comparison"]) == ["similar", "better", "similar", "worse"]
    assert list(frame["region_value"].fillna(-1)) == [-1, 4.0, 4.0, 4.0]
    assert set(frame["polarity"]) == {"down"} and not frame["highlight"].any()


def test_a_neutral_indicator_is_higher_or_lower_never_better_or_worse(loaded: Store) -> None:
    """Needle exchange visits, no polarity: neutral. England 10 per 1000. Hartlepool 15 (12-18): higher;
    Stockton 11 (9-13): similar; Camden 10.5 with no limits (a rate without counts): not compared;
    Middlesbrough 8 (6-9): lower. Ranked highest first."""
    frame = cmp.compare(loaded, kpi="needle_visits", period="2022/23", targets=_targets(loaded))
    assert list(frame["area"]) == [HARTLEPOOL, STOCKTON, CAMDEN, MIDDLESBROUGH]
    assert list(frame["rank"]) == [1, 2, 3, 4]
    assert list(frame["benchmark_comparison"]) == ["higher", "similar", "not compared", "lower"]
    assert set(frame["polarity"]) == {"neutral"}


def test_declared_polarity_wins_over_the_upload(loaded: Store) -> None:
    """Declared 'up' in the targets file, the waiting time reads the other way round: Middlesbrough first
    and better, Hartlepool worse."""
    targets = _targets(loaded, TARGETS + '\n[[indicator]]\nid = "waiting_weeks"\npolarity = "up"\n')
    frame = cmp.compare(loaded, kpi="waiting_weeks", period="2022-23", targets=targets)
    assert list(frame["area"]) == [MIDDLESBROUGH, STOCKTON, BARNET, HARTLEPOOL]
    assert list(frame["benchmark_comparison"]) == ["better", "similar", "similar", "worse"]


def test_without_an_england_figure_nothing_is_compared(loaded: Store) -> None:
    """2021/22 has no England figure: no benchmark, every area 'not compared' though each has limits."""
    frame = cmp.compare(loaded, kpi="hep_tested", period="2021/22", targets=_targets(loaded))
    assert list(frame["area"]) == [MIDDLESBROUGH, HARTLEPOOL]
    assert frame["benchmark"].isna().all() and frame["lower95"].notna().all()
    assert set(frame["benchmark_comparison"]) == {"not compared"}


def test_a_published_measure_is_compared_by_its_quarter(loaded: Store) -> None:
    """Effective treatment rate (up), published for 2024-25 Q1; England 600/1000 = 60%.
    Middlesbrough 80/100: sqrt(3.841459 + 64) = 8.236593; (163.841459 - 16.143425) / 207.682918 = 0.711171:
    better. Hartlepool 50/100: sqrt(103.841459) = 10.190263; (103.841459 + 19.972548) / 207.682918 =
    0.596168 < 0.6: worse."""
    frame = cmp.compare(loaded, kpi="effective_treatment_rate", period="2024-25 Q1", targets=_targets(loaded))
    assert list(frame["area"]) == [MIDDLESBROUGH, HARTLEPOOL]
    assert list(frame["benchmark_comparison"]) == ["better", "worse"]
    assert frame["lower95"].iloc[0] == pytest.approx(0.711171, abs=5e-7)
    assert frame["upper95"].iloc[1] == pytest.approx(0.596168, abs=5e-7)
    assert set(frame["benchmark"]) == {0.6} and set(frame["name"]) == {"Effective treatment rate"}
    assert set(frame["period"]) == {"2024-25 Q1"}


def test_groups_from_the_file_then_the_regions(loaded: Store) -> None:
    """The file's group first, then the nine regions of England by name, each with its upper-tier areas
    (London's 33 boroughs and the City)."""
    found = cmp.groups(loaded, targets=_targets(loaded))
    assert found[0] == cmp.Group("Tees Valley", (HARTLEPOOL, STOCKTON, REDCAR), "file")
    assert [g.name for g in found[1:]] == [
        "North East", "North West", "Yorkshire and The Humber", "East Midlands", "West Midlands",
        "East of England", "London", "South East", "South West"]
    assert {g.kind for g in found[1:]} == {"region"}
    london = next(g for g in found if g.name == "London")
    assert len(london.areas) == 33 and BARNET in london.areas and HARTLEPOOL not in london.areas


def test_a_group_narrows_the_rows_and_names_itself(loaded: Store) -> None:
    """Tees Valley: Stockton (45%) above Hartlepool (40%), ranked within the group; Redcar has no figure;
    the highlighted Barnet is not in the group, so it is not a row. The region London: Barnet, Camden."""
    targets = _targets(loaded)
    tees = cmp.compare(loaded, kpi="hep_tested", period="2022/23", targets=targets, group="Tees Valley",
                       area=BARNET)
    assert list(tees["area"]) == [STOCKTON, HARTLEPOOL]
    assert list(tees["rank"]) == [1, 2]
    assert set(tees["group"]) == {"Tees Valley"} and not tees["highlight"].any()
    london = cmp.compare(loaded, kpi="hep_tested", period="2022/23", targets=targets, group="London")
    assert list(london["area"]) == [BARNET, CAMDEN] and set(london["group"]) == {"London"}


def test_unknown_kpi_group_and_period_say_what_there_is(loaded: Store) -> None:
    targets = _targets(loaded)
    with pytest.raises(cmp.CompareError) as kpi:
        cmp.compare(loaded, kpi="hep_testing", period="2022/23", targets=targets)
    assert "'hep_testing'" in str(kpi.value)
    for known_one in ("effective_treatment_rate", "hep_tested", "waiting_weeks", "needle_visits"):
        assert known_one in str(kpi.value)
    assert "iom_cohort" not in str(kpi.value)  # one area alone cannot be compared
    with pytest.raises(cmp.CompareError) as group:
        cmp.compare(loaded, kpi="hep_tested", period="2022/23", targets=targets, group="Teesside")
    assert "'Teesside'" in str(group.value) and "Tees Valley; North East; North West;" in str(group.value)
    with pytest.raises(cmp.CompareError) as period:
        cmp.compare(loaded, kpi="hep_tested", period="2023/24", targets=targets)
    assert str(period.value).endswith("Periods with figures: 2021-22, 2022-23.")
    with pytest.raises(cmp.CompareError) as quarter:
        cmp.compare(loaded, kpi="effective_treatment_rate", period="2024-25 Q2", targets=targets)
    assert str(quarter.value).endswith("Periods with figures: 2024-25 Q1.")


def test_choices_and_periods(loaded: Store) -> None:
    """Measures first, then indicators by name; an indicator of one area is not a choice."""
    assert cmp.choices(loaded, targets=_targets(loaded)) == [
        ("effective_treatment_rate", "Effective treatment rate"),
        ("needle_visits", "Needle exchange visits per 1000"),
        ("hep_tested", "Tested for hepatitis C"),
        ("waiting_weeks", "Waiting time (weeks)"),
    ]
    assert cmp.periods(loaded, kpi="hep_tested") == ["2021-22", "2022-23"]
    assert cmp.periods(loaded, kpi="effective_treatment_rate") == ["2024-25 Q1"]
    assert cmp.periods(loaded, kpi="iom_cohort") == []
    assert cmp.periods(loaded, kpi="iom_cohort", least=1) == ["2022-23"]


def test_the_funnel_of_the_areas_with_counts(loaded: Store) -> None:
    """Counts for Middlesbrough 70/100, Stockton 45/100, Northvale 9/20 and Hartlepool 40/100 (Barnet and Camden
    have none): pooled (70 + 45 + 9 + 40) / (100 + 100 + 20 + 100) = 164/320 = 0.5125. At n = 100 the 95% lines
    lie about 1.96 x sqrt(0.5125 x 0.4875 / 100) = 0.098 either side and the 99.8% ones about 3.09 x 0.04998 =
    0.154: Middlesbrough (0.70) is above both, Hartlepool (0.40) below the 95% line only."""
    funnel = cmp.compare_funnel(loaded, kpi="hep_tested", period="2022/23", targets=_targets(loaded))
    assert list(funnel["area"]) == [MIDDLESBROUGH, NORTHVALE, STOCKTON, HARTLEPOOL]
    assert set(funnel["funnel_centre"]) == {0.5125}
    assert list(funnel["funnel_significance"]) == ["High (0.001)", "Not significant", "Not significant",
                                                   "Low (0.025)"]
    hartlepool = funnel[funnel["area"] == HARTLEPOOL].iloc[0]
    assert hartlepool["funnel_lower95"] == pytest.approx(0.5125 - 0.098, abs=0.005)
    assert list(funnel.columns[-6:]) == ["funnel_centre", "funnel_lower95", "funnel_upper95", "funnel_lower998",
                                         "funnel_upper998", "funnel_significance"]
    # Not a proportion: no funnel, but the columns are there for the page.
    weeks = cmp.compare_funnel(loaded, kpi="waiting_weeks", period="2022/23", targets=_targets(loaded))
    assert weeks.empty and list(weeks.columns) == list(funnel.columns)


# --- the oracle: Fingertips' own comparisons --------------------------------------------------------------------


def _without_comparisons(path: Path) -> tuple[bytes, list[dict[str, str]]]:
    """The download with its "Compared to England" column blanked (header kept), and its rows as published."""
    text = path.read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    at = rows[0].index(FT_COMPARED)
    published = [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]
    for r in rows[1:]:
        r[at] = ""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode("utf-8"), published


def test_fingertips_own_comparisons_are_reproduced(tmp_path: Path) -> None:
    """Indicator 93517 (opiate and crack users not in treatment): lower is better. Fingertips marks it
    so (its RAG is 'low is good'), and its own column says as much: Middlesbrough, 41.1% against
    England's 52.1%, is 'Better'. The file holds 13 rows: England in 2019/20 and 2020/21, 11 area figures;
    Fingertips compared 9 of them (2018/19 has no England figure: 'Not compared')."""
    blanked, published = _without_comparisons(FINGERTIPS)
    assert FT_COMPARED.encode() in blanked and b"Better" not in blanked and b"Similar" not in blanked
    with open_store(tmp_path / "ft.duckdb") as store:
        _load(store, blanked, "fingertips_93517_unmet_opiates.csv")
        targets = _targets(store, '[[indicator]]\nid = "ft_93517"\npolarity = "down"\n')
        ours: dict[tuple[str, str], str] = {}
        for period in cmp.periods(store, kpi="ft_93517", least=1):
            frame = cmp.compare(store, kpi="ft_93517", period=period, targets=targets)
            ours.update({(r["area"], r["period"]): r["benchmark_comparison"] for r in frame.to_dict("records")})
    assert {p for _, p in ours} == {"2018-19", "2019-20", "2020-21"}
    checked = compared = 0
    for row in published:
        if row["Area Code"] == ENGLAND:
            continue
        theirs = row[FT_COMPARED].split()[0].lower()  # 'Better 95%' -> 'better'
        theirs = "not compared" if theirs == "not" else theirs
        key = (row["Area Code"], row["Time period"].replace("/", "-"))
        assert ours[key] == theirs, key
        checked += 1
        compared += theirs != "not compared"
    assert (checked, compared) == (11, 9)
    assert len(ours) == checked


# --- the command line -----------------------------------------------------------------------------------------


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_the_command_line_in_csv_json_and_text(db: Path, targets_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    base = ["compare", "--db", str(db), "--targets", str(targets_path), "--kpi", "hep_tested", "--period",
            "2022/23", "--area", HARTLEPOOL]
    code, out, _ = _run(capsys, *base, "--format", "csv")
    assert code == 0
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == FIELDS
    assert [r[2] for r in rows[1:]] == [MIDDLESBROUGH, BARNET, NORTHVALE, STOCKTON, HARTLEPOOL, CAMDEN]
    hartlepool = dict(zip(FIELDS, rows[5], strict=True))
    assert hartlepool == {
        "kpi": "hep_tested", "name": "Tested for hepatitis C", "area": HARTLEPOOL, "area_name": "Hartlepool",
        "period": "2022-23", "numerator": "40.0", "denominator": "100.0", "value": "0.4",
        "lower95": hartlepool["lower95"], "upper95": hartlepool["upper95"], "benchmark": "0.5",
        "benchmark_comparison": "worse", "region_value": "0.4", "rank": "5", "group": ""}
    assert float(hartlepool["upper95"]) == pytest.approx(0.497997, abs=5e-7)
    assert dict(zip(FIELDS, rows[6], strict=True))["lower95"] == ""  # Camden: no interval

    code, out, _ = _run(capsys, *base, "--format", "json", "--group", "Tees Valley")
    assert code == 0
    records = json.loads(out)
    assert [list(r) for r in records] == [FIELDS, FIELDS]
    assert [(r["area"], r["rank"], r["group"], r["benchmark_comparison"]) for r in records] == [
        (STOCKTON, 1, "Tees Valley", "similar"), (HARTLEPOOL, 2, "Tees Valley", "worse")]
    assert records[1]["region_value"] == 0.4

    code, out, _ = _run(capsys, *base)
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "Tested for hepatitis C (hep_tested), 2022-23:"
    assert lines[1] == f"   1 {MIDDLESBROUGH}  Middlesbrough: 70.0% (60.4% to 78.1%) better"
    assert lines[5] == f"   5 {HARTLEPOOL}  Hartlepool *: 40.0% (30.9% to 49.8%) worse"
    assert lines[6] == f"   6 {CAMDEN}  Camden: 30.0% (no interval) not compared"
    assert lines[7] == f"     {ENGLAND}  England: 50.0%"
    assert len(lines) == 8


def test_the_command_line_says_what_is_wrong(db: Path, targets_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "compare", "--db", str(db), "--targets", str(targets_path), "--kpi", "nothing",
                          "--period", "2022/23")
    assert (code, out) == (1, "")
    assert err.startswith("error: There is no measure or uploaded indicator 'nothing'.") and "hep_tested" in err
    code, out, err = _run(capsys, "compare", "--db", str(db), "--targets", str(targets_path), "--kpi",
                          "hep_tested", "--period", "2022/23", "--group", "Nowhere")
    assert (code, out) == (1, "")
    assert err.startswith("error: There is no comparator group 'Nowhere'. The groups are: Tees Valley; North East")
