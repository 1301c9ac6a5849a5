"""Local and published indicators as measures (issue 13): declared polarity, targets of each kind at each
grain, status, gap and what meeting the target takes, the scorecard's figure for a quarter, the exception
report, the series at the indicator's own grain; the targets file's [[indicator]] and [[group]] entries.

Every figure is worked by hand in the test's docstring. The quarter is 2024-25 Q3 (to 31 December 2024).
"""

from __future__ import annotations

import pytest

from loaders.periods import Quarter
from loaders.store import Store
from metrics import indicators, reports
from metrics.statistics import wilson_limits
from metrics.targets import KnownIndicator, TargetsError, parse_targets
from tests.conftest import INDICATOR_HEADER, csv_text, load_text

AREA = "E08000001"
Q3 = Quarter.parse("2024-25 Q3")
HEADER = INDICATOR_HEADER + ",POLARITY"

ROWS = [
    # IOM cohort, each quarter, a count (Haringey's plan: 70 to 310 over four years)
    f"{AREA},Haringey,iom_cohort,IOM cohort size,2024-25 Q1,,,120,count,,,",
    f"{AREA},Haringey,iom_cohort,IOM cohort size,2024-25 Q2,,,130,count,,,",
    f"{AREA},Haringey,iom_cohort,IOM cohort size,2024-25 Q3,,,140,count,,,",
    # Re-offending of the cohort, each financial year, a percentage; lower is better (POLARITY column)
    f"{AREA},Haringey,reoffending_iom,Re-offending rate,2022-23,,,50,percent,,,down",
    f"{AREA},Haringey,reoffending_iom,Re-offending rate,2023-24,,,40,percent,,,down",
    f"{AREA},Haringey,reoffending_iom,Re-offending rate,2024-25,,,35,percent,,,down",
    # People in custody, each month, a count (declared down in the targets file)
    f"{AREA},Haringey,custody_numbers,People in custody,2023-12,,,60,count,,,",
    f"{AREA},Haringey,custody_numbers,People in custody,2024-11,,,50,count,,,",
    f"{AREA},Haringey,custody_numbers,People in custody,2024-12,,,45,count,,,",
    # Hepatitis C testing, each quarter, counts behind a proportion (declared up)
    f"{AREA},Haringey,hepc_tested,Tested for hepatitis C,2024-25 Q3,40,100,,proportion,,,",
    "E92000001,England,hepc_tested,Tested for hepatitis C,2024-25 Q3,5000,10000,,proportion,,,",
    # Needle sharing, a year, no polarity anywhere: neutral
    f"{AREA},Haringey,needle_sharing,Sharing needles,2024,,,0.12,proportion,0.08,0.16,",
]

TARGETS = """
[[indicator]]
id = "iom_cohort"
polarity = "up"
name = "IOM cohort"

[[indicator]]
id = "custody_numbers"
polarity = "down"
unit = "count"

[[indicator]]
id = "hepc_tested"
polarity = "up"
definition = "Of homeless clients, the share tested for hepatitis C."
source = "Oxfordshire DAAT action plan 2011-12"

[[target]]
measure = "iom_cohort"
area = "*"
kind = "trajectory"
start_period = "2022-23 Q4"
start_value = 70
end_period = "2026-27 Q4"
end_value = 310

[[target]]
measure = "reoffending_iom"
area = "*"
kind = "change"
change = -0.40

[[target]]
measure = "custody_numbers"
area = "*"
kind = "change"
change = -0.11

[[target]]
measure = "hepc_tested"
area = "*"
kind = "level"
value = 0.43
"""


@pytest.fixture
def loaded(store: Store) -> Store:
    assert load_text(store, csv_text(HEADER, *ROWS)).status == "loaded"
    return store


def _targets(store: Store, text: str = TARGETS):
    return parse_targets(text, known_indicators=indicators.known(store))


def _by_kpi(frame):
    return {r["kpi"]: r for _, r in frame.iterrows()}


def test_each_indicators_figure_for_the_quarter_and_its_standing(loaded: Store) -> None:
    """2024-25 Q3:
    - IOM cohort: its own quarter, 140. Trajectory 70 (2022-23 Q4) to 310 (2026-27 Q4), 16 quarters; Q3 is
      the 7th: 70 + 240 x 7/16 = 175. Short by 35 (more than 2% of 175): red; 35 more people needed.
    - Re-offending: yearly; 2024-25 ends after the quarter, so the latest in the 12 months to 31 December
      2024 is 2023-24, 40%. Change -40% on the year before (2022-23, 50%): target 30%. Lower is better:
      10 points above, red; no counts, so what it takes is the change in value, 10 points.
    - Custody: monthly; the latest month is December 2024, 45. Change -11% on December 2023 (60): target
      53.4; lower is better and 45 is below it: green.
    - Hepatitis C: 40 of 100 (Wilson's limits); target 43%: red (3 points, over 2% of 43%); 3 more cases;
      England 50% lies above the interval: worse.
    - Needle sharing: 12% for 2024, no polarity: no target, grey; neutral, never better or worse."""
    targets = _targets(loaded)
    card = reports.indicator_scorecard(loaded, area=AREA, period=Q3, targets=targets)
    rows = _by_kpi(card)
    iom = rows["iom_cohort"]
    assert (iom["period"], iom["value"], iom["target"], iom["status"], iom["needed"]) == (
        "2024-25 Q3", 140, 175, "red", 35)
    assert iom["name"] == "IOM cohort" and iom["polarity"] == "up"
    reoff = rows["reoffending_iom"]
    assert (reoff["period"], reoff["value"], reoff["status"]) == ("2023-24", 0.4, "red")
    assert reoff["target"] == pytest.approx(0.3) and reoff["needed"] == pytest.approx(0.1)
    assert reoff["polarity"] == "down"
    custody = rows["custody_numbers"]
    assert (custody["period"], custody["value"], custody["status"]) == ("2024-12", 45, "green")
    assert custody["target"] == pytest.approx(53.4) and custody["needed"] == 0
    hepc = rows["hepc_tested"]
    assert (hepc["numerator"], hepc["denominator"], hepc["status"], hepc["needed"]) == (40, 100, "red", 3)
    assert (hepc["lower95"], hepc["upper95"]) == wilson_limits(40, 100)
    assert (hepc["benchmark"], hepc["benchmark_comparison"]) == (0.5, "worse")
    needles = rows["needle_sharing"]
    assert (needles["period"], needles["status"], needles["polarity"]) == ("2024", "grey", "neutral")
    assert needles["benchmark_comparison"] == "not compared"
    # Reds first, then the rest with targets, then the declared, then by name.
    assert list(card["kpi"]) == ["iom_cohort", "hepc_tested", "reoffending_iom", "custody_numbers",
                                 "needle_sharing"]


def test_the_scorecard_carries_the_indicators_after_the_measures(loaded: Store) -> None:
    card = reports.scorecard(loaded, area=AREA, period=Q3, targets=_targets(loaded))
    measures, local = reports.split_scorecard(card)
    assert measures.empty  # no extracts loaded for this area
    assert set(local["kpi"]) == {"iom_cohort", "reoffending_iom", "custody_numbers", "hepc_tested", "needle_sharing"}


def test_red_and_amber_indicators_are_in_the_exception_report(loaded: Store) -> None:
    report = reports.exceptions(loaded, period=Q3, targets=_targets(loaded))
    assert set(report["kpi"]) == {"iom_cohort", "reoffending_iom", "hepc_tested"}
    assert set(report["area"]) == {AREA} and set(report["breakdown"]) == {""}


def test_a_series_at_the_indicators_own_grain_with_its_targets(loaded: Store) -> None:
    """Custody by month: each month's target is the change on the same month a year earlier; December 2024
    has one (60 x 0.89 = 53.4), November 2024 none (no November 2023). The IOM cohort by quarter follows its
    trajectory: Q1 70 + 240 x 5/16 = 145, Q2 160, Q3 175; SPC reads up as better."""
    targets = _targets(loaded)
    custody = reports.series(loaded, kpi="custody_numbers", area=AREA, targets=targets)
    assert list(custody["period"]) == ["2023-12", "2024-11", "2024-12"]
    assert custody["target"].iloc[-1] == pytest.approx(53.4) and custody["target"].iloc[:2].isna().all()
    iom = reports.series(loaded, kpi="iom_cohort", area=AREA, targets=targets)
    assert list(iom["target"]) == [145, 160, 175]
    assert list(iom["status"]) == ["red", "red", "red"]
    assert set(iom["spc_variation"]) <= {"common cause", "special cause improvement", "special cause concern"}


def test_without_a_declaration_an_indicator_is_neutral(loaded: Store) -> None:
    described = indicators.catalogue(loaded, _targets(loaded, ""))
    assert described["iom_cohort"].polarity == "neutral"  # no POLARITY column value, no declaration
    assert described["reoffending_iom"].polarity == "down"  # the upload's POLARITY column
    assert described["iom_cohort"].measure.name == "IOM cohort size"


def test_targets_name_indicators_and_unknown_ones_are_listed_with_their_uploads(loaded: Store) -> None:
    text = '[[target]]\nmeasure = "iom_cohrot"\narea = "*"\nkind = "level"\nvalue = 100\n'
    with pytest.raises(TargetsError) as raised:
        _targets(loaded, text)
    message = str(raised.value)
    assert "unknown measure or indicator 'iom_cohrot'" in message
    assert "iom_cohort (indicators: upload.csv (upload 1))" in message
    with pytest.raises(TargetsError) as raised:
        parse_targets('[[target]]\nmeasure = "hepc_tested"\narea = "*"\nkind = "level"\nvalue = 43\n',
                      known_indicators={"hepc_tested": KnownIndicator(unit="proportion")})
    assert "value 43 is not a proportion: write 17% as 0.17." in str(raised.value)
    # Declared in the file: known without any upload.
    declared = parse_targets('[[indicator]]\nid = "new_thing"\n[[target]]\nmeasure = "new_thing"\narea = "*"\n'
                             'kind = "level"\nvalue = 3\n')
    assert declared.targets[0].measure == "new_thing"


def test_indicator_and_group_entries_are_validated() -> None:
    text = """
[[indicator]]
id = "a"
polarity = "sideways"
colour = "red"

[[indicator]]
id = "a"

[[indicator]]
id = "bme_share"

[[indicator]]
polarity = "up"

[[group]]
name = "Statistical neighbours"
areas = ["E09000003", "E09000003", "not a code!"]

[[group]]
name = "Statistical neighbours"
areas = []

[[group]]
areas = ["E09000003"]
"""
    with pytest.raises(TargetsError) as raised:
        parse_targets(text)
    message = str(raised.value)
    for expected in (
        "Indicator 1 (a): polarity must be up, down or neutral, not 'sideways'.",
        "Indicator 1 (a): unknown setting 'colour'.",
        "Indicator 2 (a): 'a' is declared more than once.",
        "Indicator 3 (bme_share): 'bme_share' is one of the dashboard's own measures",
        "Indicator 4 (no id): an indicator needs its 'id'",
        "Group 1 (Statistical neighbours): 'not a code!' is not an area code (1 to 12 letters or digits).",
        "Group 1 (Statistical neighbours): E09000003 listed more than once.",
        "Group 2 (Statistical neighbours): the name 'Statistical neighbours' is used by another group.",
        "Group 2 (Statistical neighbours): a group needs 'areas'",
        "Group 3 (no name): a group needs its 'name'.",
    ):
        assert expected in message, expected
    good = parse_targets('[[group]]\nname = "London"\nareas = ["E09000003", "E09000014"]\n')
    assert good.group("London").areas == ("E09000003", "E09000014")


def test_status_counts_leave_out_what_the_targets_file_does_not_speak_of() -> None:
    """A Fingertips download brings hundreds of figures: the tiles count the measures and the indicators with
    a target or an [[indicator]] declaration, not every figure of every download."""
    import pandas as pd

    from metrics.targets import IndicatorDeclaration, TargetSet

    card = pd.DataFrame({"kpi": ["bme_share", "top_compliance", "ft_93517", "iom_cohort", "viewit_x"],
                         "status": ["green", "red", "grey", "grey", "red"],
                         "target": [0.17, 0.86, None, None, 5.0]})
    targets = TargetSet((), indicators=(IndicatorDeclaration(id="iom_cohort", polarity="up", name="", unit="",
                                                             definition="", source=""),))
    counts = reports.status_counts(card, targets)
    # bme_share green, top_compliance red, iom_cohort (declared) grey, viewit_x (a target) red; ft_93517 not.
    assert list(counts.values()) == [2, 0, 1, 1]


def test_the_first_measure_shown_is_one_with_a_figure() -> None:
    """Trajectories opens on Numbers in effective treatment; a partnership known only from downloads has none,
    so it opens on the first measure or indicator that has a figure."""
    import pandas as pd

    card = pd.DataFrame({"kpi": ["effective_treatment", "in_treatment", "ft_93517"], "value": [None, 1435.0, 0.5]})
    ids = ["in_treatment", "effective_treatment", "ft_93517"]
    assert reports.first_with_value(card, preferred="effective_treatment", among=ids) == "in_treatment"
    card.loc[0, "value"] = 1200.0
    assert reports.first_with_value(card, preferred="effective_treatment", among=ids) == "effective_treatment"
    empty = card.assign(value=None)
    assert reports.first_with_value(empty, preferred="effective_treatment", among=ids) == "effective_treatment"
