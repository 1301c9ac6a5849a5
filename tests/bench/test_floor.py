"""bench/floor.sql, the floor of a refresh (issue 15), reads what the measures read and only the current rows.

``refresh_all_ratio`` in bench/results.md divides refresh_all's time by the floor's: the ratio means
something only if the floor reads every column that metrics/sql/ reads, from the same current rows.
"""

from __future__ import annotations

import re
from pathlib import Path

from bench.floor import READ_SQL, read_floor, window_floor
from loaders.store import Store
from metrics.current import KINDS
from metrics.results import SQL_DIR, refresh_results
from tests.conftest import DIP_HEADER, JOURNEY_HEADER, TOP_HEADER, csv_text, load_text

# Columns that say which version a row is, not anything a measure reads (metrics/current.py).
VERSION_COLUMNS = {"upload_id", "period_end", "source_row"}


def _code(path: Path) -> str:
    return re.sub(r"--[^\n]*", "", path.read_text(encoding="utf-8")).lower()


def _columns(store: Store, table: str) -> list[str]:
    return [r[0] for r in store.rows(
        "SELECT column_name FROM duckdb_columns() WHERE table_name = ? AND database_name = current_database() "
        "ORDER BY column_index", [table])]


def test_the_floor_reads_every_column_the_measures_read(store: Store) -> None:
    measures = " ".join(_code(path) for path in sorted(SQL_DIR.glob("*.sql")))
    floor = _code(READ_SQL)
    used: dict[str, list[str]] = {}
    for kind in KINDS:
        columns = [c for c in _columns(store, kind.table) if c not in VERSION_COLUMNS]
        used[kind.table] = [c for c in columns if re.search(rf"\b{c}\b", measures)]
        # The copy of the current rows is what both read.
        assert re.search(rf"\bfrom\s+{kind.copy}\b", floor), kind.copy
        missing = [c for c in used[kind.table] if not re.search(rf"\b{c}\b", floor)]
        assert not missing, f"bench/floor.sql does not read {kind.table}.{missing}"
    # Not vacuous: the measures read these, so the floor must too.
    assert {"client_key", "triaged", "disd", "disrsn", "ethnic", "prntstat", "injstat"} <= set(used["journeys"])
    assert {"topdate", "trstage", "episodid"} <= set(used["tops"])
    assert {"suite", "month", "tests", "entered"} <= set(used["dip"])


def _load(store: Store, header: str, *rows: str, period: str = "2024-25 Q2") -> None:
    result = load_text(store, csv_text(header, *rows), period=period, on_change=refresh_results)
    assert result.status == "loaded", (result.message, result.problems)


def test_the_floor_reads_each_current_row_once(store: Store) -> None:
    journey = "E08000001,P1,,C1,{episode},30,1,A,OPI,HEROIN,4,2024-04-01,2024-04-01,{disd},{reason},14,N"
    _load(store, JOURNEY_HEADER, journey.format(episode="1", disd="", reason=""), period="2024-25 Q1")
    _load(store, JOURNEY_HEADER, journey.format(episode="1", disd="2024-09-30", reason="80"),
          journey.format(episode="2", disd="", reason=""))
    _load(store, TOP_HEADER, "E08000001,P1,C1,1,T1,2024-04-03,S" + ",,,,,,,,")
    _load(store, DIP_HEADER, "E08000001,CS1,2024-05,10,5,1,0,0,2,1,,,2,1")
    assert store.scalar("SELECT count(*) FROM journeys") == 3
    run = read_floor(store)
    # Two journeys (episode 1's newer version only), one TOP, one DIP month: each current row read once.
    assert (run.rows_read, run.groups) == (4, 3)
    assert run.seconds > 0


def test_the_window_floor_counts_what_the_product_counts(store: Store) -> None:
    """bench/window_floor.sql's numbers in treatment equal the product's, quarter by quarter, and a wrong
    figure in the results is caught."""
    line = "{dat},P1,,{client},{episode},30,1,A,OPI,HEROIN,4,{triaged},{triaged},{disd},{reason},14,N"
    rows = (
        # C1: a journey ended in 2022, a gap of more than a year, a new journey still open: two intervals.
        line.format(dat="E08000001", client="C1", episode="1", triaged="2022-04-05", disd="2022-06-20", reason="80"),
        line.format(dat="E08000001", client="C1", episode="2", triaged="2024-05-01", disd="", reason=""),
        # C2: two overlapping journeys and a third starting the quarter after the first window ends.
        line.format(dat="E08000001", client="C2", episode="3", triaged="2023-01-10", disd="2023-05-01", reason="80"),
        line.format(dat="E08000001", client="C2", episode="4", triaged="2023-03-01", disd="2023-04-15", reason="80"),
        line.format(dat="E08000001", client="C2", episode="5", triaged="2024-04-01", disd="", reason=""),
        # C3: the same client key in another partnership is another client.
        line.format(dat="E08000002", client="C1", episode="6", triaged="2023-07-01", disd="2023-07-30", reason="80"),
    )
    # The first journey's own quarter as an earlier reporting period: the product's quarters run from it.
    _load(store, JOURNEY_HEADER, rows[0], period="2022-23 Q1")
    _load(store, JOURNEY_HEADER, *rows)
    run = window_floor(store)
    assert run.compared > 8 and run.mismatches == 0, run
    # Not vacuous: the product's counts vary by quarter, and one wrong count is found.
    assert store.scalar("SELECT count(DISTINCT numerator) FROM results WHERE kpi = 'in_treatment' "
                        "AND breakdown = ''") >= 3
    store.execute("UPDATE results SET numerator = numerator + 1 WHERE kpi = 'in_treatment' AND breakdown = '' "
                  "AND area = 'E08000001' AND period = '2023-24 Q1'")
    assert window_floor(store).mismatches == 1


def test_the_upload_window_floor_covers_what_the_upload_recomputed(store: Store, monkeypatch) -> None:
    """The upload's window floor (bench.worker records what the refresh recomputed) reads only the journeys
    those windows can hold and agrees with the product on every recomputed quarter, and only on those."""
    import metrics.results as results
    from bench.floor import reach_table
    from bench.worker import _record_reach

    line = "{dat},P1,,{client},{episode},30,1,A,OPI,HEROIN,4,{triaged},{triaged},{disd},{reason},14,N"
    old = line.format(dat="E08000001", client="C4", episode="6", triaged="2022-04-11", disd="2022-06-01", reason="80")
    open_1 = line.format(dat="E08000001", client="C1", episode="1", triaged="2023-05-01", disd="", reason="")
    open_2 = line.format(dat="E08000001", client="C2", episode="2", triaged="2024-04-10", disd="", reason="")
    other = line.format(dat="E08000002", client="C1", episode="3", triaged="2023-09-01", disd="2024-01-10", reason="80")
    _load(store, JOURNEY_HEADER, old, period="2022-23 Q1")
    _load(store, JOURNEY_HEADER, open_1, open_2, other, period="2024-25 Q2")
    monkeypatch.setattr(results, "_bounds_table", results._bounds_table)   # restored after the test
    reach = _record_reach(results)
    # The next quarter's file for one partnership: a discharge, and a new journey of the same client.
    _load(store, JOURNEY_HEADER, line.format(dat="E08000001", client="C1", episode="1", triaged="2023-05-01",
                                             disd="2024-11-20", reason="80"),
          open_2, line.format(dat="E08000001", client="C1", episode="5", triaged="2024-12-01", disd="", reason=""),
          period="2024-25 Q3")
    assert [area for area, _lookback, _first in reach] == ["E08000001"]
    _area, lookback, first_qi = reach[0]
    assert lookback is not None and lookback > "2022-06-01"   # the 2022 journey is left out
    quarters = store.rows("SELECT DISTINCT period FROM results WHERE area = 'E08000001' ORDER BY period")
    recomputed = [p for (p,) in quarters if int(p[:4]) * 4 + int(p[-1]) - 1 >= first_qi]
    assert 1 < len(recomputed) < len(quarters)

    run = window_floor(store, reach_table(reach))
    assert (run.compared, run.mismatches) == (len(recomputed), 0), run
    # A wrong count in a recomputed quarter is found; one in an earlier quarter is outside this floor's scope
    # (the journeys it leaves out count there), though the whole floor finds it.
    store.execute("UPDATE results SET numerator = numerator + 1 WHERE kpi = 'in_treatment' AND breakdown = '' "
                  "AND area = 'E08000001' AND period = ?", [recomputed[-1]])
    assert window_floor(store, reach_table(reach)).mismatches == 1
    store.execute("UPDATE results SET numerator = numerator - 1 WHERE kpi = 'in_treatment' AND breakdown = '' "
                  "AND area = 'E08000001' AND period = ?", [recomputed[-1]])
    store.execute("UPDATE results SET numerator = numerator + 1 WHERE kpi = 'in_treatment' AND breakdown = '' "
                  "AND area = 'E08000001' AND period = '2022-23 Q2'")
    assert window_floor(store, reach_table(reach)).mismatches == 0
    assert window_floor(store).mismatches == 1
