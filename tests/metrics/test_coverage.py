"""Not uploaded is "no data", not zero: the TOP and criminal-justice measures against the extracts they need.

Hand-worked cases loaded through the real loader (the helpers of test_measures.py). Unless a test says
otherwise the files are for 2024-25 Q3: W runs from S = 2024-01-01 to E = 2024-12-31, which holds the
quarters 2023-24 Q4 to 2024-25 Q3. The ``results`` table keeps the figures as computed (zeros where
nothing was uploaded); the coverage is applied where ``metrics.reports`` reads them.
"""

from __future__ import annotations

import math
from datetime import date

import pandas as pd
import pytest

from loaders.load import withdraw_upload
from loaders.store import Store
from metrics import coverage, reports
from metrics.periods import Quarter
from metrics.registry import MEASURES
from metrics.results import refresh_results
from metrics.statistics import wilson_limits
from metrics.targets import TargetSet, parse_targets
from tests.conftest import DIP_HEADER, TOP_HEADER
from tests.metrics.test_measures import DAT, Q3, dip, journey, load, load_journeys, result, top

OTHER = "E08000002"
TOPS = [m.id for m in MEASURES if m.source == "tops"]
DIPS = [m.id for m in MEASURES if m.source == "dip"]
JOURNEYS = [m.id for m in MEASURES if m.source == "journeys"]
FIGURES = ["numerator", "denominator", "value", "lower95", "upper95", "lower998", "upper998"]

TOPS_NONE = ("No TOPs extract covers the 12 months to 31 December 2024: upload the Treatment Outcomes Profiles "
             "(TOPs) extract for 2023-24 Q4 to 2024-25 Q3.")
DIP_NONE = ("No DIP activity extract covers the 12 months to 31 December 2024: upload the Drug Interventions "
            "Programme (DIP) activity extract for 2023-24 Q4 to 2024-25 Q3.")

TARGETS = parse_targets("""
[[target]]
measure = "top_compliance"
area = "*"
kind = "level"
value = 0.86

[[target]]
measure = "ra_attendance"
area = "*"
kind = "level"
value = 0.9

[[target]]
measure = "top_start_compliance"
area = "*"
kind = "change"
change = 0.02
""")

# One open opiate journey triaged 2024-02-01: a start TOP is due (triaged in the 12 months ending E - 14) and
# a review at 2024-08-01 (in [S, E - 28]), so the stored TOP compliance is 0 of 2 without a TOPs extract.
ONE = journey("a", "1", "2024-02-01")


def top_at(dat: str, client: str, episode: str, topid: str, topdate: str, stage: str) -> str:
    return ",".join((dat, "P1", client, episode, topid, topdate, stage)) + ",,,,,,,,"


def card(store: Store, *, period: str = Q3, area: str = DAT, comparator: str = "E92000001",
         targets: TargetSet = TARGETS) -> pd.DataFrame:
    return reports.scorecard(store, area=area, period=Quarter.parse(period), targets=targets,
                             comparator=comparator).set_index("kpi")


def assert_as_stored(store: Store, row: pd.Series, kpi: str, *, period: str = Q3) -> None:
    """Every figure of the row exactly as the results table holds it."""
    stored = result(store, kpi, period=period)
    for column in FIGURES:
        expected = stored[column]
        assert pd.isna(row[column]) if expected is None else row[column] == expected, (kpi, column)


def assert_no_data(row: pd.Series, note: str) -> None:
    assert row["coverage"] == "none" and row["coverage_note"] == note
    for column in FIGURES + ["gap", "needed"]:
        assert pd.isna(row[column]), column
    assert row["status"] == "grey"


# -- nothing uploaded ---------------------------------------------------------------------------------


def test_journeys_only_every_top_and_dip_measure_is_no_data(store: Store) -> None:
    """Journeys only: TOP compliance is stored as 0 of 2 (nothing done, two due) and DIP as 0 of 0, but
    neither extract was uploaded, so every TOP and DIP measure is "no data" with the extract to upload:
    no figure, no limits, grey (not red against the 86% target), no cases needed, no exception."""
    load_journeys(store, ONE)
    stored = result(store, "top_compliance")
    assert (stored["numerator"], stored["denominator"]) == (0, 2)  # the table is unchanged
    rows = card(store)
    for kpi in TOPS:
        assert_no_data(rows.loc[kpi], TOPS_NONE)
    for kpi in DIPS:
        assert_no_data(rows.loc[kpi], DIP_NONE)
    for kpi in JOURNEYS:
        assert (rows.at[kpi, "coverage"], rows.at[kpi, "coverage_note"]) == ("full", "")
    assert rows.at["in_treatment", "value"] == 1
    assert rows.at["top_compliance", "target"] == 0.86  # the target is still shown

    exceptions = reports.exceptions(store, period=Quarter.parse(Q3), targets=TARGETS)
    assert not set(exceptions["kpi"]) & set(TOPS + DIPS)

    headline = reports.headline(rows.reset_index(), kpi="top_compliance")
    assert headline.value_text == "no data"
    assert headline.caption == f"{TOPS_NONE} The target is {rows.at['top_compliance', 'target_text']}."

    series = reports.series(store, kpi="top_compliance", area=DAT, targets=TARGETS)
    latest = reports.describe_latest(series, period=Quarter.parse(Q3))
    assert latest.value_text == "no data" and latest.needed_text == "–"
    assert TOPS_NONE in latest.reading and "0.0%" not in latest.reading
    assert reports.recent_values(store, area=DAT, period=Quarter.parse(Q3))["top_compliance"][-1] is None

    by_provider = reports.measure_frame(store, area=DAT, period=Quarter.parse(Q3), targets=TARGETS,
                                        breakdown="provider", kpi="top_compliance")
    assert list(by_provider["coverage"]) == ["none"] and by_provider["value"].isna().all()
    assert reports.funnel(store, kpi="top_compliance", period=Quarter.parse(Q3), targets=TARGETS, area=DAT).empty

    months = reports.monthly(store, area=DAT, kpi="ra_attendance")
    assert list(months["month"]) == ["2024-10", "2024-11", "2024-12"]
    assert list(months["coverage"]) == ["none"] * 3 and months["numerator"].isna().all()
    assert months["coverage_note"].iloc[0] == ("No DIP activity extract covers October 2024: upload the Drug "
                                               "Interventions Programme (DIP) activity extract for 2024-25 Q3.")


# -- part of the window -------------------------------------------------------------------------------


def test_tops_covering_half_the_window_are_partial(store: Store) -> None:
    """TOPs dated 2024-07-15 and 2024-10-01 in a Q3 file cover 1 July 2024 (the start of the quarter holding
    the earliest TOPDATE) to 31 December 2024 (the file's period end): half of W. The figure stands, marked.

    Journeys Q1 and Q3 files make three quarters. Q2 (W 2023-10-01 to 2024-09-30): TOPs cover 1 July to
    30 September 2024, partial. Q1 (W to 2024-06-30): the TOPs start after E, so no data.
    """
    load_journeys(store, ONE, period="2024-25 Q1")
    load_journeys(store, ONE, journey("b", "2", "2024-07-15"))
    load(store, TOP_HEADER, top("b", "2", "T1", "2024-07-15", "S"), top("a", "1", "T2", "2024-10-01", "R"))
    rows = card(store)
    note = ("Partial: TOPs cover 1 July 2024 to 31 December 2024 of the 12 months to 31 December 2024; upload "
            "the Treatment Outcomes Profiles (TOPs) extract for 2023-24 Q4 to 2024-25 Q1 to complete it.")
    for kpi in TOPS:
        assert (rows.at[kpi, "coverage"], rows.at[kpi, "coverage_note"]) == ("partial", note), kpi
        assert_as_stored(store, rows.loc[kpi], kpi)
    # Start: a's (none) and b's (on the day); review at 2024-08-01: a's TOP of 2024-10-01 is too late.
    assert (rows.at["top_compliance", "numerator"], rows.at["top_compliance", "denominator"]) == (1, 3)
    assert rows.at["top_compliance", "status"] == "red"  # a partial figure is still judged

    headline = reports.headline(rows.reset_index(), kpi="top_compliance")
    assert headline.value_text == "33.3% (partial)" and headline.caption.endswith(note)
    series = reports.series(store, kpi="top_compliance", area=DAT, targets=TARGETS)
    latest = reports.describe_latest(series, period=Quarter.parse(Q3))
    assert latest.value_text == "33.3% (partial)" and latest.reading.endswith(note)

    q2 = card(store, period="2024-25 Q2")
    assert q2.at["top_compliance", "coverage_note"] == (
        "Partial: TOPs cover 1 July 2024 to 30 September 2024 of the 12 months to 30 September 2024; upload the "
        "Treatment Outcomes Profiles (TOPs) extract for 2023-24 Q3 to 2024-25 Q1 to complete it.")
    q1 = card(store, period="2024-25 Q1")
    assert_no_data(q1.loc["top_compliance"], TOPS_NONE.replace("31 December 2024", "30 June 2024").replace(
        "2023-24 Q4 to 2024-25 Q3", "2023-24 Q2 to 2024-25 Q1"))
    assert [v is None for v in reports.recent_values(store, area=DAT, period=Quarter.parse(Q3))["top_compliance"]
            ][-3:] == [True, False, False]


def test_tops_ending_before_the_window_are_no_data(store: Store) -> None:
    """A TOPs file for 2023-24 Q1 (TOPDATE 2023-05-10) covers 1 April to 30 June 2023: nothing of the
    2024-25 Q3 window (no data), and the first quarter of the 2023-24 Q4 window (2023-04-01 to 2024-03-31)."""
    load(store, TOP_HEADER, top("a", "1", "T1", "2023-05-10", "S"), period="2023-24 Q1")
    load_journeys(store, ONE)
    assert_no_data(card(store).loc["top_compliance"], TOPS_NONE)
    assert card(store, period="2023-24 Q4").at["top_compliance", "coverage_note"] == (
        "Partial: TOPs cover 1 April 2023 to 30 June 2023 of the 12 months to 31 March 2024; upload the Treatment "
        "Outcomes Profiles (TOPs) extract for 2023-24 Q2 to 2023-24 Q4 to complete it.")


def test_dip_for_nine_of_twelve_months_is_partial(store: Store) -> None:
    """DIP returns for March to October and December 2024: 9 of the 12 months of W, none for January,
    February and November. The figures stand (the sums of the months there are), marked partial; month by
    month, November has no data and December its figure."""
    months = ["2024-03", "2024-04", "2024-05", "2024-06", "2024-07", "2024-08", "2024-09", "2024-10", "2024-12"]
    load_journeys(store, ONE)
    load(store, DIP_HEADER, *(dip("CS1", m, 10, 5, 1, 0, 0, 2, 1, 2, 1) for m in months))
    rows = card(store)
    note = ("Partial: DIP activity for 9 of the 12 months to 31 December 2024; none for January 2024 to February "
            "2024 and November 2024 (upload the Drug Interventions Programme (DIP) activity extract for 2023-24 Q4 "
            "and 2024-25 Q3).")
    for kpi in DIPS:
        assert (rows.at[kpi, "coverage"], rows.at[kpi, "coverage_note"]) == ("partial", note), kpi
        assert_as_stored(store, rows.loc[kpi], kpi)
    assert (rows.at["ra_attendance", "numerator"], rows.at["ra_attendance", "denominator"]) == (9, 18)
    assert rows.at["ra_attendance", "value"] == 0.5 and rows.at["ra_attendance", "status"] == "red"
    assert rows.at["toa_test_rate", "value"] == 45 / 90
    monthly = reports.monthly(store, area=DAT, kpi="ra_attendance").set_index("month")
    assert list(monthly["coverage"]) == ["full", "none", "full"]
    assert math.isnan(monthly.at["2024-11", "denominator"]) and monthly.at["2024-12", "value"] == 0.5
    by_suite = reports.measure_frame(store, area=DAT, period=Quarter.parse(Q3), targets=TARGETS, breakdown="suite",
                                     kpi="ra_attendance")
    assert list(by_suite["coverage_note"]) == [note]


# -- everything uploaded --------------------------------------------------------------------------------


def test_full_coverage_leaves_every_figure_as_computed(store: Store) -> None:
    """The start-TOP case of test_measures.py (3 of 6 done; the earliest TOP, 2023-12-17, is in 2023-24 Q3, so
    the TOPs cover all of W) and a DIP return for each of the 12 months: every figure is exactly as stored
    (and as worked by hand: 3/6 with its Wilson limits), coverage full, no note."""
    ended = {"disd": "2024-08-01", "disrsn": "85"}
    load_journeys(
        store,
        journey("s1", "1", "2024-06-01", **ended), journey("s2", "2", "2024-06-01", **ended),
        journey("s3", "3", "2024-06-01", refld="2024-05-18", **ended), journey("s4", "4", "2024-12-17"),
        journey("s5", "5", "2024-12-18"), journey("s6", "6", "2024-06-01", **ended),
        journey("s7", "7", "2023-12-18", "2024-01-15", "85"), journey("s8", "8", "2023-12-17", "2024-01-15", "85"),
    )
    load(store, TOP_HEADER,
         top("s1", "1", "T1", "2024-06-15", "S"), top("s2", "2", "T2", "2024-06-16", "S"),
         top("s3", "3", "T3", "2024-05-18", "S"), top("s5", "5", "T5", "2024-12-18", "S"),
         top("s6", "6", "T6", "2024-06-01", "R"), top("s7", "7", "T7", "2023-12-18", "S"),
         top("s8", "8", "T8", "2023-12-17", "S"))
    load(store, DIP_HEADER, *(dip("CS1", f"2024-{m:02d}", 10, 5, 1, 0, 0, 2, 1, 2, 1) for m in range(1, 13)))
    rows = card(store)
    assert set(rows["coverage"]) == {"full"} and set(rows["coverage_note"]) == {""}
    for kpi in rows.index:
        assert_as_stored(store, rows.loc[kpi], kpi)
    top_row = rows.loc["top_compliance"]
    assert (top_row["numerator"], top_row["denominator"], top_row["value"]) == (3, 6, 0.5)
    assert (top_row["lower95"], top_row["upper95"]) == wilson_limits(3, 6, confidence=0.95)
    assert top_row["status"] == "red" and top_row["needed"] == 3  # ceil(0.86 * 6) - 3
    assert rows.at["ra_attendance", "value"] == 0.5
    assert reports.headline(rows.reset_index(), kpi="top_compliance").value_text == "50.0%"


def test_withdrawing_the_tops_upload_brings_no_data_back(store: Store) -> None:
    """TOPs for the whole window (the start TOP on the triage day, 2024-02-01, in 2023-24 Q4): full, 1 of 2
    (the review due at 2024-08-01 was not done). Withdrawn: no data again."""
    load_journeys(store, ONE)
    tops = load(store, TOP_HEADER, top("a", "1", "T1", "2024-02-01", "S"))
    rows = card(store)
    assert rows.at["top_compliance", "coverage"] == "full"
    assert (rows.at["top_compliance", "numerator"], rows.at["top_compliance", "denominator"]) == (1, 2)
    withdraw_upload(store, upload_id=tops.upload_id, on_change=refresh_results)
    assert_no_data(card(store).loc["top_compliance"], TOPS_NONE)


# -- comparisons ------------------------------------------------------------------------------------------


def test_a_comparator_without_tops_has_no_figure_to_compare_with(store: Store) -> None:
    """Two partnerships, each with the one journey (0 of 2 TOPs due without TOPs); only DAT uploaded TOPs
    (1 of 2). Compared with OTHER, DAT's TOP compliance has no benchmark (not 0%); the other way round, OTHER
    has no figure and DAT's 50% is its benchmark. Across partnerships, the funnel leaves OTHER out."""
    load_journeys(store, ONE, journey("a", "1", "2024-02-01", dat=OTHER))
    load(store, TOP_HEADER, top_at(DAT, "a", "1", "T1", "2024-02-01", "S"))
    mine = card(store, comparator=OTHER)
    assert mine.at["top_compliance", "value"] == 0.5 and pd.isna(mine.at["top_compliance", "benchmark"])
    theirs = card(store, area=OTHER, comparator=DAT)
    assert theirs.at["top_compliance", "coverage"] == "none" and theirs.at["top_compliance", "benchmark"] == 0.5
    assert result(store, "top_compliance", area=OTHER)["denominator"] == 2  # stored: 0 of 2
    funnel = reports.funnel(store, kpi="top_compliance", period=Quarter.parse(Q3), targets=TARGETS)
    assert list(funnel["area"]) == [DAT]


def test_a_change_target_needs_a_figure_a_year_earlier(store: Store) -> None:
    """Journeys for 2023-24 Q3 and 2024-25 Q3, TOPs only from 2024 (the earliest dated 2024-01-05, so all of
    the later window is covered). The start-TOP target is +2% on a year earlier, when no TOPs were uploaded:
    there is no figure to change from (not 0%, which any figure would beat), so no target and grey."""
    load_journeys(store, journey("y", "9", "2023-06-01"), period="2023-24 Q3")
    load_journeys(store, ONE)
    load(store, TOP_HEADER, top("y", "9", "T1", "2024-01-05", "R"), top("a", "1", "T2", "2024-02-01", "S"))
    rows = card(store)
    assert rows.at["top_start_compliance", "coverage"] == "full" and rows.at["top_start_compliance", "value"] == 1
    assert pd.isna(rows.at["top_start_compliance", "target"]) and rows.at["top_start_compliance", "status"] == "grey"
    assert card(store, period="2023-24 Q3").at["top_start_compliance", "coverage"] == "none"


# -- the words ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("first_top", "last_end", "expected"), [
    (None, None, "none"),
    (date(2024, 1, 1), date(2024, 12, 31), "full"),
    (date(2024, 3, 31), date(2025, 3, 31), "full"),     # the quarter holding the first TOP starts on S
    (date(2024, 4, 1), date(2024, 12, 31), "partial"),
    (date(2023, 1, 1), date(2024, 9, 30), "partial"),
    (date(2023, 1, 1), date(2023, 12, 31), "none"),     # ends the day before S
    (date(2025, 1, 1), date(2025, 3, 31), "none"),      # starts the day after E
])
def test_tops_coverage_rule(first_top: date | None, last_end: date | None, expected: str) -> None:
    state, note = coverage.tops_coverage(start=date(2024, 1, 1), end=date(2024, 12, 31), first_top=first_top,
                                         last_end=last_end)
    assert state == expected and (note == "") == (expected == "full")


def test_notes_lists_each_note_once() -> None:
    frame = pd.DataFrame({"coverage_note": ["", "b", "a", "b", None]})
    assert coverage.notes(frame) == ["b", "a"]
    assert coverage.quarter_list([Quarter(2024, 1), Quarter(2023, 4), Quarter(2024, 3)]) == (
        "2023-24 Q4 to 2024-25 Q1 and 2024-25 Q3")
