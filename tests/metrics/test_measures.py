"""Every measure of kpis.md, worked out by hand on a few CSV rows loaded through the real loader.

Unless a test says otherwise the files are for the quarter 2024-25 Q3, so E = 2024-12-31 and the
window W runs from S = 2024-01-01 (the 12 calendar months to E, 366 days in this leap year). The
data end is E as well, unless a later upload extends it. Each test's docstring gives the
arithmetic; the assertions read the materialised ``results`` table.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from loaders.load import LoadResult, withdraw_upload
from loaders.store import Store
from metrics.registry import MEASURES
from metrics.results import RESULT_COLUMNS, refresh_all, refresh_results
from metrics.statistics import byar_limits, wilson_limits
from tests.conftest import DIP_HEADER, INDICATOR_HEADER, JOURNEY_HEADER, TOP_HEADER, csv_text, load_text

DAT = "E08000001"
Q3 = "2024-25 Q3"


# -- building fixtures -------------------------------------------------------------------------


def journey(client: str, episode: str, triaged: str, disd: str = "", disrsn: str = "", *, agncy: str = "P1",
            team: str = "", age: int = 30, sex: str = "1", ethnic: str = "A", subgrp: str = "OPI",
            drug1: str = "HEROIN", rfls: str = "4", refld: str | None = None, prntstat: str = "14",
            injstat: str = "N", dat: str = DAT) -> str:
    """One journeys row; the referral date defaults to the triage date."""
    refld = triaged if refld is None else refld
    return ",".join((dat, agncy, team, client, episode, str(age), sex, ethnic, subgrp, drug1, rfls, refld,
                     triaged, disd, disrsn, prntstat, injstat))


def top(client: str, episode: str, topid: str, topdate: str, stage: str, *, agncy: str = "P1") -> str:
    return ",".join((DAT, agncy, client, episode, topid, topdate, stage)) + ",,,,,,,,"


def dip(suite: str, month: str, arrests: int, tests: int, pos_opi: int, pos_coc: int, pos_both: int,
        ra_required: int, ra_attended: int, referred: int, entered: int) -> str:
    return ",".join(str(v) for v in (DAT, suite, month, arrests, tests, pos_opi, pos_coc, pos_both, ra_required,
                                     ra_attended, "", "", referred, entered))


def load(store: Store, header: str, *rows: str, period: str = Q3) -> LoadResult:
    result = load_text(store, csv_text(header, *rows), period=period, on_change=refresh_results)
    assert result.status == "loaded", (result.message, result.problems)
    return result


def load_journeys(store: Store, *rows: str, period: str = Q3) -> LoadResult:
    return load(store, JOURNEY_HEADER, *rows, period=period)


def result(store: Store, kpi: str, *, period: str = Q3, breakdown: str = "", grp: str = "",
           area: str = DAT) -> dict[str, Any]:
    """The one results row of a measure, period and group."""
    rows = store.rows(
        f"SELECT {', '.join(RESULT_COLUMNS)} FROM results "
        "WHERE kpi = ? AND area = ? AND period = ? AND breakdown = ? AND grp = ?",
        [kpi, area, period, breakdown, grp],
    )
    assert len(rows) == 1, f"{len(rows)} rows for {kpi} {period} {breakdown}={grp!r}"
    return dict(zip(RESULT_COLUMNS, rows[0], strict=True))


def groups(store: Store, kpi: str, breakdown: str, *, period: str = Q3) -> dict[str, tuple]:
    """{group: (numerator, denominator)} of one breakdown of a measure."""
    return {
        grp: (num, den)
        for grp, num, den in store.rows(
            "SELECT grp, numerator, denominator FROM results WHERE kpi = ? AND area = ? AND period = ? "
            "AND breakdown = ? ORDER BY grp", [kpi, DAT, period, breakdown])
    }


def assert_share(store: Store, kpi: str, numerator: int, denominator: int, **where: str) -> dict[str, Any]:
    """A proportion: its counts, value and Wilson limits exactly."""
    row = result(store, kpi, **where)
    assert (row["numerator"], row["denominator"]) == (numerator, denominator), kpi
    if denominator == 0:
        assert row["value"] is None and row["lower95"] is None and row["upper998"] is None
    else:
        assert row["value"] == numerator / denominator
        lower, upper = wilson_limits(numerator, denominator, confidence=0.95)
        assert (row["lower95"], row["upper95"]) == (lower, upper)
        lower, upper = wilson_limits(numerator, denominator, confidence=0.998)
        assert (row["lower998"], row["upper998"]) == (lower, upper)
    return row


def assert_count(store: Store, kpi: str, count: int, **where: str) -> dict[str, Any]:
    """A count: numerator and value the count, no denominator, Byar's limits."""
    row = result(store, kpi, **where)
    assert (row["numerator"], row["denominator"], row["value"]) == (count, None, count), kpi
    assert (row["lower95"], row["upper95"]) == byar_limits(count, confidence=0.95)
    assert (row["lower998"], row["upper998"]) == byar_limits(count, confidence=0.998)
    return row


# -- numbers in treatment and effective treatment ----------------------------------------------------


def test_in_treatment_and_effective_treatment(store: Store) -> None:
    """In treatment: TRIAGED <= E and (no DISD or DISD >= S); effective: lasted 84+ days to min(DISD, E).

    A triaged 2024-10-08, open: E - TRIAGED = 84 days -> effective.
    B triaged 2024-10-09, open: 83 days -> not effective.
    C 2023-06-01 to 2024-01-01 (S, first day of W), unplanned: 214 days -> effective.
    D 2023-06-01 to 2023-12-31 (the day before S): not in treatment during W.
    E triaged 2024-12-31 (E, last day of W): in treatment, 0 days -> not effective.
    F 2024-11-01 to 2024-11-20 successful (80): 19 days but successful -> effective.
    G 2024-11-01 to 2024-11-20 unplanned (85): not effective.
    H two journeys: 2024-02-01 to 2024-03-01 unplanned, and 2024-06-01 open -> one client, effective.
    J 2024-09-20 to 2024-12-13 unplanned: 84 days -> effective; K to 2024-12-12: 83 days -> not.
    In treatment: A B C E F G H J K = 9; effective: A C F H J = 5; rate 5/9.
    """
    load_journeys(
        store,
        journey("A", "1", "2024-10-08"),
        journey("B", "2", "2024-10-09"),
        journey("C", "3", "2023-06-01", "2024-01-01", "85"),
        journey("D", "4", "2023-06-01", "2023-12-31", "85"),
        journey("E", "5", "2024-12-31"),
        journey("F", "6", "2024-11-01", "2024-11-20", "80"),
        journey("G", "7", "2024-11-01", "2024-11-20", "85"),
        journey("H", "8", "2024-02-01", "2024-03-01", "85"),
        journey("H", "9", "2024-06-01"),
        journey("J", "10", "2024-09-20", "2024-12-13", "86"),
        journey("K", "11", "2024-09-20", "2024-12-12", "86"),
    )
    row = assert_count(store, "in_treatment", 9)
    assert (row["window_start"], row["window_end"]) == (date(2024, 1, 1), date(2024, 12, 31))
    assert row["provisional"] is False
    assert_count(store, "effective_treatment", 5)
    assert_share(store, "effective_treatment_rate", 5, 9)


def test_effective_treatment_measures_a_journey_still_open_at_e_to_e(store: Store) -> None:
    """A journey discharged after E (known from a later file) counts to E, not to its DISD.

    Quarter 2024-25 Q2 (E = 2024-09-30, S = 2023-10-01), data from a Q3 file:
    A 2024-07-09 to 2024-10-15 unplanned: min(DISD, E) - TRIAGED = 2024-09-30 - 2024-07-09 = 83 -> not
    effective in Q2 (but 98 days, effective, in Q3). B 2024-07-08 to 2024-10-15: 84 -> effective in Q2.
    (The Q2 file had both open; the Q3 file's versions count for Q2 too.) Z triaged 2024-12-01: 30 days.
    Q2: 1/2; Q3: 2/3.
    """
    load_journeys(store, journey("A", "1", "2024-07-09"), journey("B", "2", "2024-07-08"), period="2024-25 Q2")
    load_journeys(store, journey("A", "1", "2024-07-09", "2024-10-15", "85"),
                  journey("B", "2", "2024-07-08", "2024-10-15", "85"), journey("Z", "3", "2024-12-01"))
    assert_share(store, "effective_treatment_rate", 1, 2, period="2024-25 Q2")
    assert_share(store, "effective_treatment_rate", 2, 3, period=Q3)


# -- successful completions ---------------------------------------------------------------------------


COMPLETIONS = (
    # c1 opiate: successful 2024-03-01, back on 2024-08-30 (day 182) -> re-presented, not completed
    journey("c1", "1", "2023-10-01", "2024-03-01", "80"),
    journey("c1", "2", "2024-08-30"),
    # c2 opiate: successful 2024-03-01, back on 2024-08-31 (day 183) -> completed
    journey("c2", "3", "2023-10-01", "2024-03-01", "80"),
    journey("c2", "4", "2024-08-31"),
    # c3 non-opiate only: successful on S itself, 2024-01-01 -> completed
    journey("c3", "5", "2023-10-01", "2024-01-01", "81", subgrp="NOPI", drug1="COCAINE"),
    # c4 alcohol: successful 2023-12-31, the day before S -> not in treatment during W at all
    journey("c4", "6", "2023-10-01", "2023-12-31", "81", subgrp="ALC", drug1="ALCOHOL"),
    # c5 alcohol: successful on E itself, 2024-12-31 -> completed (nothing known after: provisional)
    journey("c5", "7", "2024-10-01", "2024-12-31", "81", subgrp="ALC", drug1="ALCOHOL"),
    # c6 non-opiate and alcohol: unplanned -> not completed
    journey("c6", "8", "2024-01-10", "2024-05-01", "85", subgrp="NOPIALC", drug1="CANNABIS"),
    # c7 opiate, open -> not completed
    journey("c7", "9", "2024-02-01"),
    # c8: opiate journey ended successfully 2024-02-01; an alcohol journey from 2024-09-01 (213 days later,
    # no re-presentation). The latest triaged journey makes c8 an alcohol client, completed.
    journey("c8", "10", "2023-11-01", "2024-02-01", "80"),
    journey("c8", "11", "2024-09-01", subgrp="ALC", drug1="ALCOHOL"),
    # c9 non-opiate: successful 2024-02-01 (no return within 182 days), again successful 2024-11-15, then
    # back on 2024-12-01. kpis.md: "a journey discharged successfully in W who then did not re-present":
    # the 2024-02-01 discharge was not followed by a return within 182 days (next triage 243 days on),
    # so c9 is completed although the later discharge was followed by one.
    journey("c9", "12", "2023-11-01", "2024-02-01", "80", subgrp="NOPI", drug1="COCAINE"),
    journey("c9", "13", "2024-10-01", "2024-11-15", "80", subgrp="NOPI", drug1="COCAINE"),
    journey("c9", "14", "2024-12-01", subgrp="NOPI", drug1="COCAINE"),
    # c10 non-opiate: successful 2024-06-01 and a new journey triaged the same day: not in (DISD, DISD + 182]
    journey("c10", "15", "2024-01-05", "2024-06-01", "80", subgrp="NOPI", drug1="COCAINE"),
    journey("c10", "16", "2024-06-01", subgrp="NOPI", drug1="COCAINE"),
)


def test_successful_completions_by_substance_group(store: Store) -> None:
    """Of clients in treatment during W in the group: completed in W and not back within 182 days.

    Clients in treatment (c4 is not): opiate c1 c2 c7 = 3, completed c2 -> 1/3.
    Non-opiate (NOPI and NOPIALC): c3 c6 c9 c10 = 4, completed c3 c9 c10 -> 3/4.
    Alcohol: c5 c8 = 2, both completed -> 2/2.
    All: 9 clients, completed c2 c3 c5 c8 c9 c10 -> 6/9.
    Data end = E = 2024-12-31 < E + 182, so every completion figure is provisional.
    """
    load_journeys(store, *COMPLETIONS)
    for kpi, numerator, denominator in (("completions_opiate", 1, 3), ("completions_non_opiate", 3, 4),
                                        ("completions_alcohol", 2, 2), ("completions_all", 6, 9)):
        row = assert_share(store, kpi, numerator, denominator)
        assert row["provisional"]
    assert_count(store, "in_treatment", 9)
    assert not result(store, "effective_treatment_rate")["provisional"]


def test_completions_become_final_once_the_data_reach_182_days_past_e(store: Store) -> None:
    """Provisional while E + 182 > data end. A DIP file moves the data end on.

    Data end 2025-06-30 (2025-26 Q1): Q3 (E + 182 = 2025-07-01) is provisional, Q4 too.
    Data end 2025-09-30 (2025-26 Q2): Q3 final; Q4 (E = 2025-03-31, E + 182 = 2025-09-29) final;
    2025-26 Q1 (E + 182 = 2025-12-29) provisional. Representations are never provisional.
    """
    load_journeys(store, *COMPLETIONS)
    load(store, DIP_HEADER, dip("CS1", "2025-06", 1, 1, 0, 0, 0, 0, 0, 0, 0), period="2025-26 Q1")
    assert result(store, "completions_all", period=Q3)["provisional"]
    assert result(store, "completions_all", period="2024-25 Q4")["provisional"]
    load(store, DIP_HEADER, dip("CS1", "2025-09", 1, 1, 0, 0, 0, 0, 0, 0, 0), period="2025-26 Q2")
    for period, provisional in ((Q3, False), ("2024-25 Q4", False), ("2025-26 Q1", True), ("2025-26 Q2", True)):
        for kpi in ("completions_opiate", "completions_non_opiate", "completions_alcohol", "completions_all"):
            assert bool(result(store, kpi, period=period)["provisional"]) is provisional, (kpi, period)
        assert not result(store, "representations", period=period)["provisional"]
        assert not result(store, "in_treatment", period=period)["provisional"]
    assert_share(store, "completions_all", 6, 9, period=Q3)


def test_a_zero_denominator_gives_no_value(store: Store) -> None:
    """Only opiate clients: no alcohol client, so completions_alcohol is 0 / 0: no value, no limits."""
    load_journeys(store, journey("a", "1", "2024-02-01"), journey("b", "2", "2024-03-01"))
    assert_share(store, "completions_alcohol", 0, 0)
    assert_share(store, "completions_opiate", 0, 2)
    assert_share(store, "representations", 0, 0)
    assert_share(store, "toa_test_rate", 0, 0)  # no DIP returns at all


# -- exits and re-presentations -----------------------------------------------------------------------


def test_successful_exits_share_leaves_transfers_out(store: Store) -> None:
    """Journeys discharged in W: successful 80 and 82, transfer 83, unplanned 85 and 89 -> 2 / 4.

    A successful discharge on 2023-12-31 is before S and does not count. By provider: P1 holds the two
    successful exits and the transfer (2/2), P2 the unplanned ones (0/2).
    """
    load_journeys(
        store,
        journey("a", "1", "2023-11-01", "2024-01-01", "80"),
        journey("b", "2", "2024-02-01", "2024-12-31", "82"),
        journey("c", "3", "2024-02-01", "2024-05-01", "83"),
        journey("d", "4", "2024-02-01", "2024-05-01", "85", agncy="P2"),
        journey("e", "5", "2024-02-01", "2024-05-01", "89", agncy="P2"),
        journey("f", "6", "2023-11-01", "2023-12-31", "80"),
    )
    assert_share(store, "successful_exits_share", 2, 4)
    assert groups(store, "successful_exits_share", "provider") == {"P1": (2, 2), "P2": (0, 2)}


def test_representations_within_182_days(store: Store) -> None:
    """Journeys discharged successfully in W with DISD + 182 <= data end (2024-12-31, so DISD <= 2024-07-02).

    r1 successful 2024-03-01, client back 2024-08-30 (day 182): re-presented.
    r2 successful 2024-03-01, back 2024-08-31 (day 183): not.
    r3 successful 2024-07-02 (+182 = 2024-12-31, the data end): counted, not re-presented.
    r4 successful 2024-07-03: too recent, left out. r5 unplanned: left out.
    r6 successful 2024-02-01, back 2024-03-01 (re-presented) and successful again 2024-04-01, back only
       2024-12-01 (244 days): two journeys counted, one re-presented.
    Re-presented r1, r6 = 2 of r1 r2 r3 r6 r6 = 5.
    """
    load_journeys(
        store,
        journey("r1", "1", "2023-12-01", "2024-03-01", "80"), journey("r1", "2", "2024-08-30"),
        journey("r2", "3", "2023-12-01", "2024-03-01", "80"), journey("r2", "4", "2024-08-31"),
        journey("r3", "5", "2024-01-15", "2024-07-02", "80"),
        journey("r4", "6", "2024-01-15", "2024-07-03", "80"),
        journey("r5", "7", "2023-12-01", "2024-03-01", "85"), journey("r5", "8", "2024-04-01"),
        journey("r6", "9", "2023-12-01", "2024-02-01", "80"),
        journey("r6", "10", "2024-03-01", "2024-04-01", "80"),
        journey("r6", "11", "2024-12-01"),
    )
    row = assert_share(store, "representations", 2, 5)
    assert not row["provisional"]


def test_retention_12_weeks(store: Store) -> None:
    """Journeys triaged in the 12 months ending E - 84 = 2024-10-08, i.e. from 2023-10-09.

    t1 triaged 2024-10-08 (last day), open: retained. t2 triaged 2024-10-09: not in the cohort.
    t3 2023-10-09 (first day) to 2023-12-31 unplanned, 83 days: in the cohort although not in W; not retained.
    t4 triaged 2023-10-08: not in the cohort.
    t5 2024-01-10 to 2024-04-03 unplanned, 84 days: retained. t6 to 2024-04-02, 83 days: not.
    t7 2024-01-10 to 2024-02-01 successful: retained. t8 the same, transferred (83): not.
    Retained t1 t5 t7 = 3 of t1 t3 t5 t6 t7 t8 = 6.
    """
    load_journeys(
        store,
        journey("t1", "1", "2024-10-08"),
        journey("t2", "2", "2024-10-09"),
        journey("t3", "3", "2023-10-09", "2023-12-31", "85"),
        journey("t4", "4", "2023-10-08", "2024-03-01", "85"),
        journey("t5", "5", "2024-01-10", "2024-04-03", "85"),
        journey("t6", "6", "2024-01-10", "2024-04-02", "85"),
        journey("t7", "7", "2024-01-10", "2024-02-01", "80"),
        journey("t8", "8", "2024-01-10", "2024-02-01", "83"),
    )
    assert_share(store, "retention_12wk", 3, 6)


def test_long_term_four_years(store: Store) -> None:
    """Of clients with a journey open at E, those with one open at E and triaged by E - 1461 = 2020-12-31.

    l1 triaged 2020-12-31, open: long term. l2 triaged 2021-01-01, open: not.
    l3 2020-01-01 to 2024-12-31: discharged on E, so not open at E: left out.
    l4 open since 2019-05-01 at P1 and since 2024-06-01 at P2: one client, long term.
    l5 2019-01-01 to 2024-06-01: not open at E.
    2 of l1 l2 l4 = 3. By provider: P1 has l1 l2 l3 l5 and l4's old journey -> 2/3; P2 only l4's new one -> 0/1.
    """
    load_journeys(
        store,
        journey("l1", "1", "2020-12-31"),
        journey("l2", "2", "2021-01-01"),
        journey("l3", "3", "2020-01-01", "2024-12-31", "80"),
        journey("l4", "4", "2019-05-01"),
        journey("l4", "5", "2024-06-01", agncy="P2"),
        journey("l5", "6", "2019-01-01", "2024-06-01", "85"),
    )
    assert_share(store, "long_term_4yr", 2, 3)
    assert groups(store, "long_term_4yr", "provider") == {"P1": (2, 3), "P2": (0, 1)}


def test_criminal_justice_referrals(store: Store) -> None:
    """Journeys triaged in W referred by arrest referral (5), DRR (6), probation (8) or prison (13): 4.

    A self-referral (4) does not count, nor a referral from source 5 triaged 2023-12-31 (before S, though
    still in treatment). By referral group: Criminal justice 4, Other 0. By provider: P1 3, P2 1.
    """
    load_journeys(
        store,
        journey("a", "1", "2024-01-01", rfls="5"),
        journey("b", "2", "2024-05-01", rfls="6"),
        journey("c", "3", "2024-12-31", rfls="8"),
        journey("d", "4", "2024-05-01", rfls="13", agncy="P2"),
        journey("e", "5", "2024-05-01", rfls="4"),
        journey("f", "6", "2023-12-31", rfls="5"),
    )
    assert_count(store, "cj_referrals", 4)
    assert groups(store, "cj_referrals", "referral") == {"Criminal justice": (4, None), "Other": (0, None)}
    assert groups(store, "cj_referrals", "provider") == {"P1": (3, None), "P2": (1, None)}


# -- Treatment Outcomes Profiles --------------------------------------------------------------------


def test_top_start_compliance(store: Store) -> None:
    """Start TOPs: journeys triaged in the 12 months ending E - 14 = 2024-12-17 (from 2023-12-18).

    s1 triaged 2024-06-01, start TOP 2024-06-15 (14 days after): done. s2: TOP 2024-06-16 (15): not.
    s3: TOP 2024-05-18 (14 days before): done. s4 triaged 2024-12-17, no TOP: due, not done.
    s5 triaged 2024-12-18: not yet due. s6: only a review TOP on the triage day: not done.
    s7 triaged 2023-12-18 (first day), TOP that day: done. s8 triaged 2023-12-17: not due.
    No review is due (s1-s3, s6 end 2024-08-01 before their 2024-11-30 anniversary); no successful exit.
    Start 3/6 (s1 s3 s7 of s1 s2 s3 s4 s6 s7); overall compliance the same 3/6.
    """
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
    assert_share(store, "top_start_compliance", 3, 6)
    assert_share(store, "top_review_compliance", 0, 0)
    assert_share(store, "top_exit_compliance", 0, 0)
    assert_share(store, "top_compliance", 3, 6)


def test_top_review_compliance(store: Store) -> None:
    """Review TOPs: anniversaries A = TRIAGED + 182k in [S, E - 28] = [2024-01-01, 2024-12-03], open at A.

    v1 triaged 2024-06-04: A = 2024-12-03 (E - 28): due; review TOP 2024-12-31 (28 days after): done.
    v2 triaged 2024-06-05: A = 2024-12-04 (E - 27): not due.
    v3-v6 triaged 2023-01-01: anniversaries 2023-07-02, 2023-12-31, 2024-06-30, 2024-12-29; only 2024-06-30
    is in the bounds. v3 open, review TOP 2024-06-01 (29 days before): not done. v4 open, TOP 2024-06-02
    (28 days before): done. v5 discharged on 2024-06-30 itself: not open at A, not due. v6 discharged
    2024-07-01: due, no TOP.
    Review 2/4 (v1 v4 of v1 v3 v4 v6). v1 and v2 also owe start TOPs, both done on the triage day: 2/2.
    Overall 4/6.
    """
    load_journeys(
        store,
        journey("v1", "1", "2024-06-04"), journey("v2", "2", "2024-06-05"),
        journey("v3", "3", "2023-01-01"), journey("v4", "4", "2023-01-01"),
        journey("v5", "5", "2023-01-01", "2024-06-30", "85"), journey("v6", "6", "2023-01-01", "2024-07-01", "85"),
    )
    load(store, TOP_HEADER,
         top("v1", "1", "T1", "2024-06-04", "S"), top("v1", "1", "T2", "2024-12-31", "R"),
         top("v2", "2", "T3", "2024-06-05", "S"), top("v2", "2", "T4", "2024-12-04", "R"),
         top("v3", "3", "T5", "2024-06-01", "R"), top("v4", "4", "T6", "2024-06-02", "R"),
         top("v5", "5", "T7", "2024-06-30", "R"))
    assert_share(store, "top_review_compliance", 2, 4)
    assert_share(store, "top_start_compliance", 2, 2)
    assert_share(store, "top_exit_compliance", 0, 0)
    assert_share(store, "top_compliance", 4, 6)


def test_top_exit_compliance_and_exit_tops(store: Store) -> None:
    """Exit TOPs: successful discharges in the 12 months ending E - 14 (2023-12-18 to 2024-12-17).

    x1 (P1) 2023-12-01 to 2024-02-01 successful, exit TOP 2024-02-15 (14 days after): done.
    x2 (P1) the same, exit TOP 2024-02-16 (15 days): not done.
    x3 (P1) unplanned, with an exit TOP 2024-02-01: not due.
    x4 (P2) 2024-12-01 to 2024-12-17 (E - 14) successful, exit TOP 2024-12-03 (14 days before): done.
    x5 (P2) 2024-12-01 to 2024-12-18 successful: not due yet; exit TOP 2024-12-18.
    x6 (P1) 2023-12-01 to 2023-12-31 successful (before S, inside the exit window), exit TOP that day: done.
    x4 and x5 owe start TOPs (done on the triage day); no review is due.
    Exit 3/4 (x1 x4 x6 of x1 x2 x4 x6); start 2/2; overall 5/6. By provider: P1 exit 2/3, overall 2/3;
    P2 exit 1/1, start 2/2, overall 3/3.
    Exit TOPs dated in W: x1 x2 x3 x4 x5 = 5 (x6's is dated before S); P1 3, P2 2.
    """
    load_journeys(
        store,
        journey("x1", "1", "2023-12-01", "2024-02-01", "80"), journey("x2", "2", "2023-12-01", "2024-02-01", "81"),
        journey("x3", "3", "2023-12-01", "2024-02-01", "85"),
        journey("x4", "4", "2024-12-01", "2024-12-17", "80", agncy="P2"),
        journey("x5", "5", "2024-12-01", "2024-12-18", "80", agncy="P2"),
        journey("x6", "6", "2023-12-01", "2023-12-31", "82"),
    )
    load(store, TOP_HEADER,
         top("x1", "1", "T1", "2024-02-15", "E"), top("x2", "2", "T2", "2024-02-16", "E"),
         top("x3", "3", "T3", "2024-02-01", "E"),
         top("x4", "4", "T4", "2024-12-01", "S", agncy="P2"), top("x4", "4", "T5", "2024-12-03", "E", agncy="P2"),
         top("x5", "5", "T6", "2024-12-01", "S", agncy="P2"), top("x5", "5", "T7", "2024-12-18", "E", agncy="P2"),
         top("x6", "6", "T8", "2023-12-31", "E"))
    assert_share(store, "top_exit_compliance", 3, 4)
    assert_share(store, "top_start_compliance", 2, 2)
    assert_share(store, "top_compliance", 5, 6)
    assert groups(store, "top_exit_compliance", "provider") == {"P1": (2, 3), "P2": (1, 1)}
    assert groups(store, "top_compliance", "provider") == {"P1": (2, 3), "P2": (3, 3)}
    assert groups(store, "top_compliance", "team") == {"P1/(no team)": (2, 3), "P2/(no team)": (3, 3)}
    assert_count(store, "top_exits", 5)
    assert groups(store, "top_exits", "provider") == {"P1": (3, None), "P2": (2, None)}
    assert groups(store, "top_exits", "team") == {}


# -- equality and data quality ------------------------------------------------------------------------


def test_ethnicity_shares_use_the_clients_latest_journey(store: Store) -> None:
    """Of clients whose ethnicity is stated: BME (outside A, B, C) and ethnic minority (all but A).

    e1 A, e2 B, e3 C, e4 D, e5 N, e6 Z (not stated: left out).
    e7 older journey Z, latest H: stated, BME. e8 older journey M, latest Z: not stated, left out.
    e9 two journeys triaged the same day, EPISODID 9 (A) and 10 (R): the greatest EPISODID, 10 as a
       number, wins: R, BME.
    Stated e1 e2 e3 e4 e5 e7 e9 = 7; BME e4 e5 e7 e9 = 4; minority e2 e3 e4 e5 e7 e9 = 6.
    """
    load_journeys(
        store,
        journey("e1", "1", "2024-02-01", ethnic="A"), journey("e2", "2", "2024-02-01", ethnic="B"),
        journey("e3", "3", "2024-02-01", ethnic="C"), journey("e4", "4", "2024-02-01", ethnic="D"),
        journey("e5", "5", "2024-02-01", ethnic="N"), journey("e6", "6", "2024-02-01", ethnic="Z"),
        journey("e7", "7", "2023-06-01", "2024-01-15", "85", ethnic="Z"), journey("e7", "8", "2024-03-01", ethnic="H"),
        journey("e8", "11", "2023-06-01", "2024-01-15", "85", ethnic="M"),
        journey("e8", "12", "2024-03-01", ethnic="Z"),
        journey("e9", "9", "2024-04-01", ethnic="A"), journey("e9", "10", "2024-04-01", ethnic="R", agncy="P2"),
    )
    assert_share(store, "bme_share", 4, 7)
    assert_share(store, "ethnic_minority_share", 6, 7)
    # In a provider breakdown the client's ethnicity is that of their latest journey with that provider.
    assert groups(store, "bme_share", "provider") == {"P1": (3, 7), "P2": (1, 1)}  # e9 is White at P1
    assert groups(store, "bme_share", "ethnic_group") == {}  # not a breakdown of this measure


def test_parental_status_and_data_quality(store: Store) -> None:
    """Parental status: journeys triaged in W with PRNTSTAT 11-15 (15, declined, counts).

    Triaged in W: p1 (11), p2 (15), p3 (blank), p4 (14) -> 3/4; q0 triaged before S (blank) is left out.
    Data quality, journeys in treatment during W: p1 p2 p4 complete; p3 (PRNTSTAT blank); q0 (PRNTSTAT
    blank); q1 SEX 9; q2 ETHNIC Z; q3 REFLD blank; q4 DRUG1 blank; q5 INJSTAT blank; q6 INJSTAT Z (an
    answer: complete) -> p1 p2 p4 q6 = 4 of 11.
    """
    load_journeys(
        store,
        journey("p1", "1", "2024-02-01", prntstat="11"), journey("p2", "2", "2024-02-01", prntstat="15"),
        journey("p3", "3", "2024-02-01", prntstat=""), journey("p4", "4", "2024-02-01", prntstat="14"),
        journey("q0", "5", "2023-11-01", prntstat=""),
        journey("q1", "6", "2023-11-01", sex="9"), journey("q2", "7", "2023-11-01", ethnic="Z"),
        journey("q3", "8", "2023-11-01", refld=""), journey("q4", "9", "2023-11-01", drug1=""),
        journey("q5", "10", "2023-11-01", injstat=""), journey("q6", "11", "2023-11-01", injstat="Z"),
    )
    assert_share(store, "parental_status_recorded", 3, 4)
    assert_share(store, "data_quality", 4, 11)


# -- criminal justice (DIP) ---------------------------------------------------------------------------


def test_dip_measures_sum_the_twelve_months_and_are_kept_by_month(store: Store) -> None:
    """Sums over the months of W (2024-01 to 2024-12); 2023-12 is outside.

    CS1 2023-12: 100 arrests, 100 tests ... (left out)
    CS1 2024-01: 10 arrests, 8 tests, positives 1+1+0, RA 4 required 3 attended, 2 referred 1 entered.
    CS1 2024-12: 20 arrests, 10 tests, positives 2+1+1, RA 6/2, 4 referred 4 entered.
    CS2 2024-06: 0 arrests, 5 tests, no positives, nothing else.
    W: tests 23 per 30 arrests; positive 6/23; RA 5/10; entered 5/6.
    CS2 alone: 5 tests per 0 arrests has no value; positivity 0/5.
    Months of Q3: 2024-10 and 2024-11 have no returns (no value); 2024-12: 10/20 tests per arrest.
    """
    load(store, DIP_HEADER,
         dip("CS1", "2023-12", 100, 100, 10, 10, 10, 100, 100, 100, 100),
         dip("CS1", "2024-01", 10, 8, 1, 1, 0, 4, 3, 2, 1),
         dip("CS1", "2024-12", 20, 10, 2, 1, 1, 6, 2, 4, 4),
         dip("CS2", "2024-06", 0, 5, 0, 0, 0, 0, 0, 0, 0))
    row = result(store, "toa_test_rate")
    assert (row["numerator"], row["denominator"], row["value"]) == (23, 30, 23 / 30)
    lower, upper = byar_limits(23, confidence=0.95)
    assert (row["lower95"], row["upper95"]) == (lower / 30, upper / 30)
    lower, upper = byar_limits(23, confidence=0.998)
    assert (row["lower998"], row["upper998"]) == (lower / 30, upper / 30)
    assert_share(store, "toa_positivity", 6, 23)
    assert_share(store, "ra_attendance", 5, 10)
    assert_share(store, "dip_treatment_entry", 5, 6)

    assert groups(store, "toa_test_rate", "suite") == {"CS1": (18, 30), "CS2": (5, 0)}
    cs2 = result(store, "toa_test_rate", breakdown="suite", grp="CS2")
    assert cs2["value"] is None and cs2["lower95"] is None
    assert_share(store, "toa_positivity", 0, 5, breakdown="suite", grp="CS2")
    assert_share(store, "dip_treatment_entry", 0, 0, breakdown="suite", grp="CS2")

    assert groups(store, "toa_test_rate", "month") == {"2024-10": (0, 0), "2024-11": (0, 0), "2024-12": (10, 20)}
    december = result(store, "toa_test_rate", breakdown="month", grp="2024-12")
    assert (december["value"], december["window_start"], december["window_end"]) == (
        0.5, date(2024, 12, 1), date(2024, 12, 31))
    assert result(store, "toa_test_rate", breakdown="month", grp="2024-10")["value"] is None
    assert_share(store, "ra_attendance", 2, 6, breakdown="month", grp="2024-12")
    assert groups(store, "in_treatment", "month") == {}


def test_a_later_dip_return_replaces_the_month(store: Store) -> None:
    """A corrected return for CS1 2024-12 in the 2024-25 Q4 file replaces the first one in every window."""
    load(store, DIP_HEADER, dip("CS1", "2024-12", 20, 10, 2, 1, 1, 6, 2, 4, 4))
    load(store, DIP_HEADER, dip("CS1", "2024-12", 20, 12, 2, 1, 1, 6, 2, 4, 4),
         dip("CS1", "2025-01", 10, 10, 0, 0, 0, 0, 0, 0, 0), period="2024-25 Q4")
    assert result(store, "toa_test_rate")["numerator"] == 12
    assert result(store, "toa_test_rate", period="2024-25 Q4")["numerator"] == 22
    assert result(store, "toa_test_rate", period="2024-25 Q4", breakdown="month", grp="2025-01")["value"] == 1.0


# -- breakdowns -------------------------------------------------------------------------------------


BREAKDOWN_JOURNEYS = (
    journey("b1", "1", "2024-02-01", agncy="P1", team="T1", subgrp="OPI", sex="1", age=24, ethnic="A", rfls="5"),
    journey("b2", "2", "2024-02-01", agncy="P1", subgrp="NOPI", sex="2", age=25, ethnic="D", rfls="4",
            drug1="COCAINE"),
    # b3: an earlier journey at P1/T1 (non-opiate and alcohol, sex not stated, 64, Caribbean, GP referral),
    # then the latest at P2/T2 (alcohol, other, 65, Indian, probation): the client's attributes are the latter's.
    journey("b3", "3", "2023-11-01", "2024-03-01", "85", agncy="P1", team="T1", subgrp="NOPIALC", sex="9", age=64,
            ethnic="M", rfls="3", drug1="CANNABIS"),
    journey("b3", "4", "2024-04-01", agncy="P2", team="T2", subgrp="ALC", sex="3", age=65, ethnic="H", rfls="8",
            drug1="ALCOHOL"),
    journey("b4", "5", "2024-05-01", agncy="P2", team="T2", subgrp="NOPIALC", sex="9", age=40, ethnic="Z",
            rfls="13", drug1="CANNABIS"),
)


def test_client_breakdowns(store: Store) -> None:
    """Client measures break down by the client's latest journey in W; a client counts in each provider.

    In treatment 4. Provider: P1 b1 b2 b3 = 3, P2 b3 b4 = 2 (b3 in both). Team: P1/T1 b1 b3, P1/(no team)
    b2, P2/T2 b3 b4. Substance: one client each. Sex: one each (b3 is 'Other' from the latest journey).
    Age: 18-24 b1, 25-34 b2, 35-44 b4, 65+ b3. Ethnic group: White b1, Mixed b2, Asian b3, Not stated b4.
    Referral: criminal justice b1 b3 b4, other b2. The 55-64 band (b3's earlier journey) and Black
    (b3's earlier ethnicity) appear with 0 clients, because journey-level measures of the family have them.
    """
    load_journeys(store, *BREAKDOWN_JOURNEYS)

    def counts(breakdown: str) -> dict[str, float]:
        return {grp: num for grp, (num, _den) in groups(store, "in_treatment", breakdown).items()}

    assert counts("provider") == {"P1": 3, "P2": 2}
    assert counts("team") == {"P1/(no team)": 1, "P1/T1": 2, "P2/T2": 2}
    assert counts("substance") == {"Alcohol only": 1, "Non-opiate and alcohol": 1, "Non-opiate only": 1,
                                   "Opiate": 1}
    assert counts("sex") == {"Female": 1, "Male": 1, "Not stated": 1, "Other": 1}
    assert counts("age_band") == {"18-24": 1, "25-34": 1, "35-44": 1, "55-64": 0, "65+": 1}
    assert counts("ethnic_group") == {"Asian": 1, "Black": 0, "Mixed": 1, "Not stated": 1, "White": 1}
    assert counts("referral") == {"Criminal justice": 3, "Other": 1}
    # Completions by the client's group: b3 counts as an alcohol client only.
    assert groups(store, "completions_alcohol", "substance")["Alcohol only"] == (0, 1)
    assert groups(store, "completions_alcohol", "substance")["Opiate"] == (0, 0)
    assert result(store, "completions_alcohol")["denominator"] == 1


def test_journey_breakdowns(store: Store) -> None:
    """Journey measures break down by each journey's own attributes.

    Criminal-justice referrals triaged in W: b1 (5), b3's latest (8), b4 (13); b3's earlier journey is a
    GP referral triaged before S. By sex: Male 1, Other 1, Not stated 1 (b4; b3's earlier journey, sex 9,
    is not a referral), Female 0. By age band: 18-24 b1, 65+ b3, 35-44 b4; 25-34 (b2) and 55-64 (b3's
    earlier journey) 0. Data quality by provider: P1 b1 b2 complete, b3's earlier journey (sex 9) not: 2/3;
    P2 b3's latest complete, b4 (sex 9, ethnicity Z) not: 1/2.
    """
    load_journeys(store, *BREAKDOWN_JOURNEYS)
    assert_count(store, "cj_referrals", 3)
    assert groups(store, "cj_referrals", "sex") == {"Female": (0, None), "Male": (1, None), "Not stated": (1, None),
                                                   "Other": (1, None)}
    assert groups(store, "cj_referrals", "age_band") == {
        "18-24": (1, None), "25-34": (0, None), "35-44": (1, None), "55-64": (0, None), "65+": (1, None)}
    assert groups(store, "cj_referrals", "team") == {"P1/(no team)": (0, None), "P1/T1": (1, None),
                                                    "P2/T2": (2, None)}
    assert groups(store, "data_quality", "provider") == {"P1": (2, 3), "P2": (1, 2)}


def test_provider_figures_use_that_providers_journeys(store: Store) -> None:
    """A client with journeys at two providers counts once in each, on that provider's journeys.

    m1: P1 2024-01-10 to 2024-02-01 unplanned (22 days), P2 2024-03-01 open (305 days to E): effective at
    P2 and in the partnership, not at P1. Completion at P1 2024-05-01 successful for m2, who is back at P2
    on 2024-06-01: re-presented (in the whole partnership) so not completed anywhere.
    Effective rate: partnership 2/2, P1 1/2 (m2's P1 journey lasted 2024-01-02 to 2024-05-01, 120 days),
    P2 2/2 (m2's P2 journey, 2024-06-01 to E, 213 days).
    """
    load_journeys(
        store,
        journey("m1", "1", "2024-01-10", "2024-02-01", "85", agncy="P1"),
        journey("m1", "2", "2024-03-01", agncy="P2"),
        journey("m2", "3", "2024-01-02", "2024-05-01", "80", agncy="P1"),
        journey("m2", "4", "2024-06-01", agncy="P2"),
    )
    assert_share(store, "effective_treatment_rate", 2, 2)
    assert groups(store, "effective_treatment_rate", "provider") == {"P1": (1, 2), "P2": (2, 2)}
    assert groups(store, "completions_all", "provider") == {"P1": (0, 2), "P2": (0, 2)}
    assert_share(store, "completions_all", 0, 2)


def test_every_measure_has_every_quarter_and_only_its_breakdowns(store: Store) -> None:
    """Two journeys files (Q1 and Q3) make three quarters, Q2 filled in; each measure has a whole-partnership
    row for each, and rows only for the breakdowns the registry gives it (DIP measures also by month)."""
    load_journeys(store, *BREAKDOWN_JOURNEYS[:2], period="2024-25 Q1")
    load_journeys(store, *BREAKDOWN_JOURNEYS)
    load(store, TOP_HEADER, top("b1", "1", "T1", "2024-02-01", "S"))
    load(store, DIP_HEADER, dip("CS1", "2024-12", 20, 10, 2, 1, 1, 6, 2, 4, 4))
    found = store.rows("SELECT DISTINCT kpi, period FROM results WHERE breakdown = ''")
    assert sorted(found) == sorted((m.id, p) for m in MEASURES for p in ("2024-25 Q1", "2024-25 Q2", Q3))
    for m in MEASURES:
        breakdowns = {r[0] for r in store.rows(
            "SELECT DISTINCT breakdown FROM results WHERE kpi = ? AND period = ? AND breakdown <> ''", [m.id, Q3])}
        expected = set(m.breakdowns) | ({"month"} if m.family == "criminal_justice" else set())
        assert breakdowns == expected, m.id
    assert store.scalar("SELECT count(*) FROM results WHERE window_start <> DATE '2024-01-01' "
                        "AND period = ? AND breakdown <> 'month'", [Q3]) == 0


# -- versions: newer uploads, back-filling, withdrawal ---------------------------------------------------


def _quarter_results(store: Store, period: str) -> list[tuple]:
    return store.rows("SELECT * FROM results WHERE period = ? ORDER BY ALL", [period])


def test_newer_upload_wins_backfill_does_not_and_withdrawal_restores(store: Store) -> None:
    """J1 (opiate) triaged 2024-05-01, open in the 2024-25 Q2 file.

    Q2 (W 2023-10-01 to 2024-09-30), after the Q2 file: J1 and J2 (open) in treatment, nothing completed:
    completions_all 0/2. The Q3 file discharges J1 successfully on 2024-09-15: Q2 becomes 1/2. Back-filling a
    Q1 file afterwards (J1 open, as known then, and female) changes nothing in Q2 (the Q3 version stands) but
    adds the Q1 quarter. Withdrawing the Q3 file restores Q2 exactly as it was after the Q2 file, and Q3
    goes (no upload reaches it any more).
    """
    j1_open = journey("j1", "J1", "2024-05-01")
    j2 = journey("j2", "J2", "2024-04-01")
    load_journeys(store, j1_open, j2, period="2024-25 Q2")
    before = _quarter_results(store, "2024-25 Q2")
    assert_share(store, "completions_all", 0, 2, period="2024-25 Q2")

    newer = load_journeys(store, journey("j1", "J1", "2024-05-01", "2024-09-15", "80"), j2)
    assert_share(store, "completions_all", 1, 2, period="2024-25 Q2")
    assert_share(store, "completions_all", 1, 2, period=Q3)

    load_journeys(store, journey("j1", "J1", "2024-05-01", sex="2"), period="2024-25 Q1")
    assert_share(store, "completions_all", 1, 2, period="2024-25 Q2")
    assert groups(store, "in_treatment", "sex", period="2024-25 Q2") == {"Male": (2, None)}
    assert_count(store, "in_treatment", 2, period="2024-25 Q1")

    withdraw_upload(store, upload_id=newer.upload_id, on_change=refresh_results)
    assert _quarter_results(store, "2024-25 Q2") == before
    assert _quarter_results(store, Q3) == []
    assert_count(store, "in_treatment", 2, period="2024-25 Q1")


def test_refresh_touches_only_the_partnerships_named_and_refresh_all_rebuilds(store: Store) -> None:
    """Loading a second partnership leaves the first one's rows alone; refresh_all gives the same table."""
    load_journeys(store, journey("a", "1", "2024-02-01"))
    first = store.rows("SELECT * FROM results ORDER BY ALL")
    load_journeys(store, journey("a", "1", "2024-02-01", dat="E08000002"), journey("b", "2", "2024-03-01",
                                                                                   dat="E08000002"))
    assert store.rows("SELECT * FROM results WHERE area = ? ORDER BY ALL", [DAT]) == first
    assert_count(store, "in_treatment", 2, area="E08000002")
    everything = store.rows("SELECT * FROM results ORDER BY ALL")
    store.execute("DELETE FROM results")
    refresh_all(store)
    assert store.rows("SELECT * FROM results ORDER BY ALL") == everything
    assert store.scalar("SELECT count(*) FROM duckdb_tables() WHERE temporary") == 0


def test_indicators_upload_adds_no_results(store: Store) -> None:
    """An indicators file names areas but holds no journeys: nothing is computed for England."""
    load(store, INDICATOR_HEADER, "E92000001,England,in_treatment,,2024-25 Q3,,,1000,count,,", period=None)
    assert store.scalar("SELECT count(*) FROM results") == 0


# One open opiate journey triaged 2024-02-01 (client a; White British, referred by self, parental status and
# every data-quality field recorded), nothing else loaded; window 2024-01-01 to 2024-12-31.
# (numerator, denominator) of each measure; denominator None for counts.
ONE_JOURNEY = {
    "in_treatment": (1, None),
    "effective_treatment": (1, None),  # open: 2024-12-31 - 2024-02-01 = 334 days >= 84
    "effective_treatment_rate": (1, 1),
    "completions_opiate": (0, 1),  # an opiate client in treatment, no completion
    "completions_non_opiate": (0, 0),
    "completions_alcohol": (0, 0),
    "completions_all": (0, 1),
    "successful_exits_share": (0, 0),  # nothing ended
    "representations": (0, 0),
    "retention_12wk": (1, 1),  # triaged in the 12 months to 2024-10-08, open for 84+ days
    "long_term_4yr": (0, 1),  # open at E for 334 days, not 1,461
    "cj_referrals": (0, None),  # referred by self (4)
    "top_compliance": (0, 2),  # a start TOP due, and a review at 2024-08-01 (triage + 182), neither done
    "top_start_compliance": (0, 1),
    "top_review_compliance": (0, 1),
    "top_exit_compliance": (0, 0),
    "top_exits": (0, None),
    "bme_share": (0, 1),  # White British, stated
    "ethnic_minority_share": (0, 1),
    "parental_status_recorded": (1, 1),  # triaged in W, 14 (not a parent) recorded
    "data_quality": (1, 1),
    "toa_test_rate": (0, 0),  # no DIP activity
    "toa_positivity": (0, 0),
    "ra_attendance": (0, 0),
    "dip_treatment_entry": (0, 0),
}


def test_the_one_journey_table_covers_every_measure() -> None:
    assert set(ONE_JOURNEY) == {m.id for m in MEASURES}


@pytest.mark.parametrize("kpi", [m.id for m in MEASURES])
def test_every_measure_is_computed(store: Store, kpi: str) -> None:
    """Each registry measure has its whole-partnership figure, worked out by hand, once a journeys file of
    one journey is loaded (see ONE_JOURNEY): counts with Byar's limits, proportions with Wilson's, and no
    value where nothing is counted."""
    load_journeys(store, journey("a", "1", "2024-02-01"))
    numerator, denominator = ONE_JOURNEY[kpi]
    if denominator is None:
        assert_count(store, kpi, numerator)
    else:
        assert_share(store, kpi, numerator, denominator)


def test_clients_with_several_journeys_in_one_provider_or_team(store: Store) -> None:
    """A client counts once in each provider and team, however many journeys they had there.

    n1: two journeys at P1 in team T1 (2024-01-10 to 2024-02-01 unplanned, 22 days; 2024-03-01 open).
    n2: two journeys at P1, one in T1 (2024-02-01 open) and one with no team (2024-11-15 open, 46 days).
    n3: one journey at P2 (2024-12-01 open, 30 days).
    In treatment: P1 2 (n1, n2), P2 1; teams P1/T1 2 (n1, n2), P1/(no team) 1 (n2), P2/(no team) 1.
    Effective: n1 (second journey, 305 days) and n2 (T1 journey, 334 days) everywhere they are, except
    n2 in P1/(no team) (46 days); n3 not. Attributes: n2 counts as female from the latest journey (sex 2)
    in the partnership and in P1/(no team), but as male in P1/T1.
    """
    load_journeys(
        store,
        journey("n1", "1", "2024-01-10", "2024-02-01", "85", team="T1"),
        journey("n1", "2", "2024-03-01", team="T1"),
        journey("n2", "3", "2024-02-01", team="T1"),
        journey("n2", "4", "2024-11-15", sex="2"),
        journey("n3", "5", "2024-12-01", agncy="P2"),
    )
    assert_share(store, "effective_treatment_rate", 2, 3)
    assert groups(store, "effective_treatment_rate", "provider") == {"P1": (2, 2), "P2": (0, 1)}
    assert groups(store, "effective_treatment_rate", "team") == {
        "P1/(no team)": (0, 1), "P1/T1": (2, 2), "P2/(no team)": (0, 1)}
    assert groups(store, "in_treatment", "sex") == {"Female": (1, None), "Male": (2, None)}


def test_current_rows_follow_the_same_precedence_as_the_views(store: Store) -> None:
    """The refresh keeps its own copy of the current rows, updated load by load (metrics/current.py) or
    rebuilt by ranking versions; both must hold exactly the rows the current_* views pick."""
    from metrics import current

    load_journeys(store, journey("a", "1", "2024-02-01"), journey("b", "2", "2024-02-01"), period="2024-25 Q3")
    load_journeys(store, journey("a", "1", "2024-02-01", "2024-03-01", "85"), period="2024-25 Q3")  # same period
    load_journeys(store, journey("b", "2", "2024-02-01", sex="2"), journey("c", "3", "2024-03-01"),
                  period="2024-25 Q1")  # back-filled: b stays as the Q3 file has it, c is new
    load(store, TOP_HEADER, top("a", "1", "T1", "2024-02-01", "S"), period="2024-25 Q3")
    load(store, TOP_HEADER, top("a", "1", "T1", "2024-02-02", "S"), period="2024-25 Q2")
    load(store, DIP_HEADER, dip("CS1", "2024-12", 20, 10, 2, 1, 1, 6, 2, 4, 4))
    load(store, DIP_HEADER, dip("CS1", "2024-12", 20, 12, 2, 1, 1, 6, 2, 4, 4))

    def copies() -> dict[str, list[tuple]]:
        found = {}
        for kind in ("journeys", "tops", "dip"):
            mine = store.rows(f"SELECT * EXCLUDE (period_end, source_row) FROM refreshed_{kind} ORDER BY ALL")
            assert mine == store.rows(f"SELECT * FROM current_{kind} ORDER BY ALL"), kind
            assert mine
            found[kind] = mine
        return found

    kept = copies()
    with store.transaction():
        current.rebuild(store)
    assert copies() == kept
    assert store.scalar("SELECT disd FROM current_journeys WHERE episodid = '1'") == date(2024, 3, 1)
