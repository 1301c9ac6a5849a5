"""Materialise every measure into the ``results`` table, so that the dashboard only reads.

After each load or withdrawal, :func:`refresh_results` recomputes the figures of the partnerships
the change touched: every measure of :data:`metrics.registry.MEASURES`, for every quarter from the
partnership's earliest to its latest uploaded reporting period, for the whole partnership and
for every breakdown the registry declares (DIP measures month by month as well). Each figure
carries its numerator, denominator, value, 95% and 99.8% confidence limits and a provisional
flag, ready for the scorecard, the charts and the exports.

The measures themselves are SQL, one file per family in ``metrics/sql/``, computing all quarters
of all the partnerships at once. This module prepares their inputs (the quarters' windows and the
current version of each row), runs them, fills in the gaps, adds the statistics and writes the rows.
"""

from __future__ import annotations

import contextlib
import re
from functools import cache
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from loaders.store import Store
from metrics.periods import (
    Quarter,
    add_months,
    data_ends,
    quarter_index,
    quarter_ranges,
    quarters_between,
    window,
)
from metrics.registry import MEASURES
from metrics.statistics import CONFIDENCE_95, CONFIDENCE_998, byar_limits, wilson_limits

SQL_DIR = Path(__file__).with_name("sql")

# treatment.sql builds the journey and client tables that tops.sql and equality.sql read, so it runs first.
FAMILIES = ("treatment", "tops", "equality", "criminal_justice")

# DIP figures are also stored month by month, as rows of this extra breakdown.
MONTH_BREAKDOWN = "month"

RESULT_COLUMNS = (
    "kpi", "area", "breakdown", "grp", "period", "window_start", "window_end", "numerator", "denominator",
    "value", "lower95", "upper95", "lower998", "upper998", "provisional",
)

# The current version of each row of the partnerships being refreshed, materialised once: the newest
# reporting period wins, then the newest upload, exactly as the current_* views rank versions. Ranking the
# uploads (a few hundred rows) and keeping each row's best-ranked version with a GROUP BY is several times
# faster than the views' window over every version of every row (24 million journeys at national scale).
_CURRENT_ROWS = {
    "refresh_current_journeys": ("journeys", "dat, agncy, episodid"),
    "refresh_current_tops": ("tops", "dat, agncy, topid"),
    "refresh_current_dip": ("dip", "dat, suite, month"),
}

_CURRENT = """
CREATE OR REPLACE TEMP TABLE {target} AS
WITH versions AS (
    SELECT upload_id, row_number() OVER (ORDER BY period_end, upload_id) AS version
    FROM uploads
    WHERE kind = '{kind}'
),
latest AS (
    SELECT arg_max(t.rowid, v.version) AS row_id
    FROM {kind} t
    JOIN versions v USING (upload_id)
    WHERE t.dat IN ({placeholders})
    GROUP BY {key}
)
SELECT t.* EXCLUDE (period_end, source_row)
FROM {kind} t
SEMI JOIN latest ON latest.row_id = t.rowid
WHERE t.dat IN ({placeholders})
"""

_RAW = """
CREATE OR REPLACE TEMP TABLE refresh_raw (
    kpi VARCHAR, dat VARCHAR, period VARCHAR, breakdown VARCHAR, grp VARCHAR,
    window_start DATE, window_end DATE, numerator DOUBLE, denominator DOUBLE
)
"""

# Every measure gets a row for each group that any measure of its family has in that quarter (with zero
# counts, or an empty denominator giving no value), so that a provider or custody suite is never missing
# from one measure and present in the next; and always a row for the whole partnership.
_ASSEMBLE = """
WITH groups AS (
    SELECT DISTINCT m.family, r.dat, r.period, r.breakdown, r.grp, r.window_start, r.window_end
    FROM refresh_raw r
    JOIN refresh_measures m USING (kpi)
    UNION
    SELECT f.family, q.dat, q.period, '', '', q.s, q.e
    FROM refresh_quarters q, (SELECT DISTINCT family FROM refresh_measures) f
)
SELECT
    m.kpi,
    g.dat AS area,
    g.breakdown,
    g.grp,
    g.period,
    g.window_start,
    g.window_end,
    coalesce(r.numerator, 0) AS numerator,
    CASE WHEN m.unit <> 'count' THEN coalesce(r.denominator, 0) END AS denominator,
    m.unit,
    m.provisional_after_data_end AND q.completions_provisional AND g.breakdown <> 'month' AS provisional
FROM groups g
JOIN refresh_measures m
  ON m.family = g.family AND (g.breakdown = '' OR list_contains(m.breakdowns, g.breakdown))
JOIN refresh_quarters q ON q.dat = g.dat AND q.period = g.period
LEFT JOIN refresh_raw r
  ON r.kpi = m.kpi AND r.dat = g.dat AND r.period = g.period AND r.breakdown = g.breakdown AND r.grp = g.grp
"""

_AREAS_WITH_DATA = """
SELECT DISTINCT area FROM (
    SELECT unnest(partnerships) AS area FROM uploads WHERE withdrawn_at IS NULL AND period_end IS NOT NULL
    UNION ALL
    SELECT area FROM results
)
ORDER BY area
"""


def refresh_results(store: Store, partnerships: tuple[str, ...]) -> None:
    """Recompute the results of ``partnerships`` from their current data, replacing the old rows.

    This is the ``on_change`` callback of :func:`loaders.load.load_file` and
    :func:`loaders.load.withdraw_upload`: it runs inside their transaction (and opens none), so
    the figures change together with the data or not at all.
    """
    areas = tuple(sorted(set(partnerships)))
    if not areas:
        return
    store.execute("DELETE FROM results WHERE list_contains(?, area)", [list(areas)])
    quarters = _quarters_table(store, areas)
    if quarters.num_rows == 0:
        return
    registered = ("refresh_quarters_input", "refresh_measures_input", "refresh_days_input", "refresh_results_output")
    try:
        store.register("refresh_quarters_input", quarters)
        store.execute("CREATE OR REPLACE TEMP TABLE refresh_quarters AS SELECT * FROM refresh_quarters_input")
        store.register("refresh_measures_input", _measures_table())
        store.execute("CREATE OR REPLACE TEMP TABLE refresh_measures AS SELECT * FROM refresh_measures_input")
        store.register("refresh_days_input", _days_table(quarters))
        store.execute("CREATE OR REPLACE TEMP TABLE refresh_days AS SELECT * FROM refresh_days_input")
        _materialise_current_rows(store, tuple(sorted(set(quarters["dat"].to_pylist()))))
        store.execute(_RAW)
        for family in FAMILIES:
            *prepare, query = _statements(family)
            for statement in prepare:
                store.execute(statement)
            store.execute(f"INSERT INTO refresh_raw {query}")
        rows = _with_statistics(store.arrow(_ASSEMBLE))
        store.register("refresh_results_output", rows)
        columns = ", ".join(RESULT_COLUMNS)
        store.execute(f"INSERT INTO results ({columns}) SELECT {columns} FROM refresh_results_output")
    finally:
        for name in registered:
            with contextlib.suppress(Exception):  # not registered: an earlier step failed
                store.unregister(name)
    # Only reached on success: after a failure the caller's transaction rolls the temp tables back.
    for table in ("refresh_quarters", "refresh_measures", "refresh_days", *_CURRENT_ROWS, "refresh_raw"):
        store.execute(f"DROP TABLE IF EXISTS temp.{table}")
    for kind, name in _family_temp_objects():
        store.execute(f"DROP {kind} IF EXISTS temp.{name}")


def refresh_all(store: Store) -> None:
    """Recompute the results of every partnership with data, in a transaction of its own.

    Use it after the measure definitions change, or to rebuild the table from scratch; loads and
    withdrawals refresh their own partnerships already. Partnerships whose uploads were all
    withdrawn lose their results.
    """
    with store.transaction():
        areas = tuple(r[0] for r in store.rows(_AREAS_WITH_DATA))
        refresh_results(store, areas)


# -- inputs ----------------------------------------------------------------------------------------


def _materialise_current_rows(store: Store, areas: tuple[str, ...]) -> None:
    """Temp tables refresh_current_journeys / _tops / _dip: the current rows of ``areas``."""
    # One placeholder per partnership (not a list parameter), so DuckDB filters while it scans.
    placeholders = ", ".join("?" * len(areas))
    for target, (kind, key) in _CURRENT_ROWS.items():
        store.execute(_CURRENT.format(target=target, kind=kind, key=key, placeholders=placeholders), [*areas, *areas])


def _quarters_table(store: Store, areas: tuple[str, ...]) -> pa.Table:
    """One row per partnership and quarter with every window the SQL needs (computed here, once)."""
    ranges = quarter_ranges(store, areas)
    ends = data_ends(store, areas)
    columns: dict[str, list] = {name: [] for name in (
        "dat", "period", "qi", "qs", "s", "e", "s84", "e84", "s14", "e14", "review_end", "data_end",
        "completions_provisional")}
    for area, (first, last) in sorted(ranges.items()):
        for quarter in quarters_between(first, last):
            w = window(quarter)
            values = (
                area, quarter.label, quarter_index(quarter), quarter.start, w.start, w.end, *w.retention_cohort,
                *w.top_due, w.review_bounds[1], ends[area], w.completions_provisional(ends[area]),
            )
            for name, value in zip(columns, values, strict=True):
                columns[name].append(value)
    types = {"dat": pa.string(), "period": pa.string(), "qi": pa.int32(), "completions_provisional": pa.bool_()}
    return pa.table({name: pa.array(values, type=types.get(name, pa.date32())) for name, values in columns.items()})


def _days_table(quarters: pa.Table) -> pa.Table:
    """For each day that can matter, the run of quarters [lo, hi] (quarter indices) whose windows hold it.

    Computed here from the quarters' windows, so the calendar arithmetic stays in metrics.periods:
    ``w`` is W itself, ``top`` the 12 months ending E - 14 (start and exit TOPs due), ``review`` the
    bounds [S, E - 28] for review anniversaries. A day no window holds gets lo > hi.
    """
    first = min(quarters["qi"].to_pylist())
    last = max(quarters["qi"].to_pylist())
    windows = [window(Quarter(qi // 4, qi % 4 + 1)) for qi in range(first, last + 1)]
    days = np.arange(np.datetime64(add_months(windows[0].start, -12)), np.datetime64(windows[-1].end) + 1)
    columns: dict[str, object] = {"day": pa.array(days.astype("datetime64[D]"), type=pa.date32())}
    bounds = {
        "w": [(w.start, w.end) for w in windows],
        "top": [w.top_due for w in windows],
        "review": [w.review_bounds for w in windows],
    }
    for name, spans in bounds.items():
        starts = np.array([start for start, _end in spans], dtype="datetime64[D]")
        ends = np.array([end for _start, end in spans], dtype="datetime64[D]")
        # Both bounds grow with the quarter, so the quarters holding a day form one run.
        columns[f"{name}_lo"] = pa.array(first + np.searchsorted(ends, days, side="left"), type=pa.int32())
        columns[f"{name}_hi"] = pa.array(first + np.searchsorted(starts, days, side="right") - 1, type=pa.int32())
    return pa.table(columns)


def _measures_table() -> pa.Table:
    """The registry as the SQL needs it: which breakdowns each measure has, and its unit."""
    return pa.table({
        "kpi": [m.id for m in MEASURES],
        "family": [m.family for m in MEASURES],
        "unit": [m.unit for m in MEASURES],
        "breakdowns": [
            list(m.breakdowns) + ([MONTH_BREAKDOWN] if m.family == "criminal_justice" else [])
            for m in MEASURES
        ],
        # Successful completions wait 182 days after E for re-presentations (kpis.md).
        "provisional_after_data_end": [m.id.startswith("completions_") for m in MEASURES],
    })


@cache
def _statements(family: str) -> tuple[str, ...]:
    """The statements of ``metrics/sql/<family>.sql``, comments removed; the last one is the query."""
    text = (SQL_DIR / f"{family}.sql").read_text(encoding="utf-8")
    text = re.sub(r"--[^\n]*", "", text)
    return tuple(part.strip() for part in text.split(";") if part.strip())


@cache
def _family_temp_objects() -> tuple[tuple[str, str], ...]:
    """The temp tables and macros the family files create, as (TABLE | MACRO, name), to drop afterwards."""
    found: list[tuple[str, str]] = []
    for family in FAMILIES:
        for statement in _statements(family):
            match = re.match(r"CREATE\s+OR\s+REPLACE\s+TEMP\s+(TABLE|MACRO)\s+(\w+)", statement, re.IGNORECASE)
            if match:
                found.append((match[1].upper(), match[2]))
    return tuple(found)


# -- statistics ------------------------------------------------------------------------------------


def _with_statistics(table: pa.Table) -> pa.Table:
    """Add value and confidence limits: Wilson for proportions, Byar for counts and for rates' numerators."""
    numerator = _floats(table["numerator"])
    denominator = _floats(table["denominator"])
    proportion, rate, count = (
        pc.equal(table["unit"], unit).to_numpy(zero_copy_only=False) for unit in ("proportion", "rate", "count")
    )

    with np.errstate(divide="ignore", invalid="ignore"):
        per_denominator = np.where(denominator > 0, numerator / denominator, np.nan)
    value = np.where(count, numerator, per_denominator)

    limits = {name: np.full(len(value), np.nan) for name in ("lower95", "upper95", "lower998", "upper998")}
    for suffix, confidence in (("95", CONFIDENCE_95), ("998", CONFIDENCE_998)):
        lower, upper = limits[f"lower{suffix}"], limits[f"upper{suffix}"]
        if proportion.any():
            lower[proportion], upper[proportion] = wilson_limits(
                numerator[proportion], denominator[proportion], confidence=confidence)
        counted = count | rate
        if counted.any():
            low, high = byar_limits(numerator[counted], confidence=confidence)
            scale = np.where(count[counted], 1.0, denominator[counted])
            with np.errstate(divide="ignore", invalid="ignore"):
                low = np.where(scale > 0, np.asarray(low) / scale, np.nan)
                high = np.where(scale > 0, np.asarray(high) / scale, np.nan)
            lower[counted], upper[counted] = low, high

    columns = {name: table[name] for name in RESULT_COLUMNS if name in table.column_names}
    columns["value"] = pa.array(value, type=pa.float64(), from_pandas=True)
    for name, values in limits.items():
        columns[name] = pa.array(values, type=pa.float64(), from_pandas=True)
    return pa.table({name: columns[name] for name in RESULT_COLUMNS})


def _floats(column: pa.ChunkedArray) -> np.ndarray:
    """A numeric column as float64, NULL as NaN."""
    return np.asarray(column.to_numpy(zero_copy_only=False), dtype=float)
