"""The benchmark's floor: the pandas reference's two measures in SQL written for them alone.

``bench/two_measures.sql`` computes ``effective_treatment`` and ``completions_opiate`` for every
partnership and quarter (whole partnership) from the stored journey versions, as directly as we could
write it. It is not the product: the product computes 25 measures for every breakdown in one pass
(metrics/sql/). Its time says what SQL doing only the reference's work takes on the machine, and so how
large a speed ratio against the pandas reference that work shows here. Its figures must equal the
reference's (the benchmark and tests/bench check them) or its time means nothing.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from loaders.store import Store

SQL = Path(__file__).with_name("two_measures.sql")


@dataclass(frozen=True)
class FloorRun:
    """The figures (kpi, area, period, numerator, denominator) and the seconds of each statement."""

    figures: pd.DataFrame
    steps: list[tuple[str, float]]

    @property
    def seconds(self) -> float:
        return sum(seconds for _, seconds in self.steps)

    def step_seconds(self, prefix: str) -> float:
        return sum(seconds for name, seconds in self.steps if name.startswith(prefix))


def statements() -> list[tuple[str, str]]:
    """(label, SQL) of each statement of two_measures.sql, labelled by its numbered comment."""
    out: list[tuple[str, str]] = []
    for chunk in SQL.read_text().split(";"):
        lines = chunk.strip().splitlines()
        label = next((line.lstrip("- ").strip() for line in lines
                      if line.startswith("-- ") and line[3:4].isdigit()), "")
        code = "\n".join(line for line in lines if not line.lstrip().startswith("--")).strip()
        if code:
            out.append((label, code))
    return out


def floor_measures(store: Store) -> FloorRun:
    """Run two_measures.sql on ``store`` (read-only is enough: it writes temp tables only)."""
    steps: list[tuple[str, float]] = []
    *prepare, (last_label, query) = statements()
    for label, sql in prepare:
        started = time.perf_counter()
        store.execute(sql)
        steps.append((label, time.perf_counter() - started))
    started = time.perf_counter()
    figures = store.df(query)
    steps.append((last_label, time.perf_counter() - started))
    for name in ("floor_current", "floor_quarters", "floor_clients", "floor_journeys", "floor_single",
                 "floor_several"):
        store.execute(f"DROP TABLE IF EXISTS temp.{name}")
    return FloorRun(figures, steps)


READ_SQL = Path(__file__).with_name("floor.sql")


@dataclass(frozen=True)
class ReadFloorRun:
    """bench/floor.sql once: its seconds and how many rows it read and groups it made."""

    seconds: float
    rows_read: int
    groups: int


def _timed_query(store: Store, path: Path, *, source: str | None = None) -> tuple[pa.Table, float]:
    """The answer of the one statement in ``path`` (its comment lines left out), and its seconds; with
    ``source``, that subquery read instead of the statement's one ``refreshed_journeys``."""
    sql = "\n".join(line for line in path.read_text().splitlines() if not line.lstrip().startswith("--"))
    if source is not None:
        if sql.count("FROM refreshed_journeys") != 1:
            raise ValueError(f"{path.name} must read refreshed_journeys exactly once to be restricted")
        sql = sql.replace("FROM refreshed_journeys", f"FROM {source}")
    started = time.perf_counter()
    answer = store.arrow(sql)
    return answer, time.perf_counter() - started


def read_floor(store: Store) -> ReadFloorRun:
    """Run bench/floor.sql on ``store`` (read-only is enough): the least work any correct refresh must do."""
    groups, seconds = _timed_query(store, READ_SQL)
    return ReadFloorRun(seconds, int(pc.sum(groups["rows_read"]).as_py() or 0), groups.num_rows)


WINDOW_SQL = Path(__file__).with_name("window_floor.sql")

# The product's whole-partnership numbers in treatment against window_floor.sql's, quarter by quarter. A
# quarter where no client's merged interval starts or ends has no row of its own in window_floor.sql's
# answer: its count is that of the latest quarter before it (an ASOF join), or 0 before the first.
# {scope} limits the comparison to the quarters an upload's refresh recomputed (see window_floor).
_WINDOW_COMPARE = """
WITH product AS (
    SELECT area AS dat, period, numerator,
           left(period, 4)::INTEGER * 4 + right(period, 1)::INTEGER - 1 AS qi
    FROM results
    WHERE kpi = 'in_treatment' AND breakdown = ''
)
SELECT count(*) AS compared, count(*) FILTER (WHERE coalesce(w.clients, 0) <> p.numerator) AS mismatches
FROM product p
ASOF LEFT JOIN bench_window_floor w ON p.dat = w.dat AND p.qi >= w.qi
{scope}
"""

# An upload's refresh recomputes, for each partnership it reaches, the quarters from ``first_qi`` on, from
# the current journeys not discharged before ``lookback`` (NULL: every journey; metrics/results.py): the
# window floor of that work reads the same journeys.
_REACHED_JOURNEYS = """(
        SELECT j.* FROM refreshed_journeys j
        JOIN bench_reach r USING (dat)
        WHERE r.lookback IS NULL OR j.disd IS NULL OR j.disd >= r.lookback
    )"""
_REACHED_QUARTERS = "SEMI JOIN bench_reach r ON r.dat = p.dat AND p.qi >= r.first_qi"


def reach_table(rows: list[list[object]]) -> pa.Table:
    """[partnership, lookback (ISO day or None), first recomputed quarter index] rows (bench.worker's
    ``load``) as the table window_floor reads."""
    return pa.table({
        "dat": pa.array([r[0] for r in rows], type=pa.string()),
        "lookback": pa.array([r[1] for r in rows], type=pa.string()).cast(pa.date32()),
        "first_qi": pa.array([r[2] for r in rows], type=pa.int32()),
    })


@dataclass(frozen=True)
class WindowFloorRun:
    """bench/window_floor.sql once: its seconds, its rows, and its agreement with the product."""

    seconds: float
    rows: int
    compared: int
    mismatches: int


def window_floor(store: Store, reach: pa.Table | None = None) -> WindowFloorRun:
    """Run bench/window_floor.sql on ``store`` (read-only is enough), then compare it with the results.

    With ``reach`` (dat, lookback, first_qi: what an upload's refresh recomputed, bench.worker's ``load``),
    the floor of that refresh: only those partnerships, from the journeys their recomputed windows can hold,
    compared on the recomputed quarters only (earlier quarters lack the journeys left out).
    """
    registered = ["bench_window_floor"]
    try:
        if reach is None:
            counts, seconds = _timed_query(store, WINDOW_SQL)
            scope = ""
        else:
            store.register("bench_reach", reach)
            registered.append("bench_reach")
            counts, seconds = _timed_query(store, WINDOW_SQL, source=_REACHED_JOURNEYS)
            scope = _REACHED_QUARTERS
        store.register("bench_window_floor", counts)
        compared, mismatches = store.rows(_WINDOW_COMPARE.format(scope=scope))[0]
    finally:
        for name in registered:
            with contextlib.suppress(Exception):  # not registered: an earlier step failed
                store.unregister(name)
    return WindowFloorRun(seconds, counts.num_rows, int(compared), int(mismatches))
