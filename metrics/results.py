"""Materialise every measure into the ``results`` table, so that the dashboard only reads.

Every measure of :data:`metrics.registry.MEASURES` is stored for every quarter from each
partnership's earliest to its latest uploaded reporting period, for the whole partnership and for
every breakdown the registry declares (DIP measures month by month as well). Each figure carries
its numerator, denominator, value, 95% and 99.8% confidence limits and a provisional flag, ready
for the scorecard, the charts and the exports.

After each load or withdrawal, :func:`refresh_results` brings the table up to date inside the same
transaction. It recomputes only what the change can alter: metrics/current.py keeps a copy of the
current rows as the results were last computed, applies the uploads and withdrawals since, and says
for each partnership the earliest day a changed row reaches; the quarters whose windows end on or
after that day are recomputed (after a quarterly file, typically the last six or seven of forty).
:func:`refresh_all` recomputes everything, and so does the next refresh after the measure
definitions change (a fingerprint of this package's SQL and Python is stored with the results).

The measures themselves are SQL, one file per family in ``metrics/sql/``, computing all quarters
of a batch of partnerships at once. This module prepares their inputs (the quarters' windows and the
current rows), runs them batch by batch, fills in the gaps, adds the statistics and writes the rows.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from datetime import date, timedelta
from functools import cache
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from loaders.store import Store
from metrics import current
from metrics.periods import (
    REPRESENTATION_DAYS,
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

# The current rows of the partnerships being refreshed, as temp tables for metrics/sql/, taken from the
# refresh's copy (metrics/current.py). When only the later quarters are recomputed, rows that ended before
# every window they could reach are left out: a journey discharged before the earliest day any of those
# windows looks at (the retention cohort's start, the earliest), a TOP dated before it less the tolerance.
# Only the TOP columns that metrics/sql/tops.sql reads are copied (no measure reads the outcome scores).
_ALL_COLUMNS = "c.* EXCLUDE (period_end, source_row)"
_CURRENT_ROWS = {
    "refresh_current_journeys": ("refreshed_journeys", _ALL_COLUMNS, "c.disd IS NULL OR c.disd >= b.lookback"),
    "refresh_current_tops": ("refreshed_tops", "c.dat, c.agncy, c.episodid, c.topdate, c.trstage",
                             "c.topdate >= b.lookback - 28"),
    "refresh_current_dip": ("refreshed_dip", _ALL_COLUMNS, "c.month >= b.lookback"),
}

_CURRENT = """
CREATE OR REPLACE TEMP TABLE {target} AS
SELECT {columns}
FROM {copy} c
JOIN refresh_bounds b USING (dat)
WHERE c.dat IN ({partnerships}) AND (b.lookback IS NULL OR {keep})
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
    SELECT area FROM refreshed_areas
    UNION ALL
    SELECT DISTINCT area FROM results
)
ORDER BY area
"""

# Whatever decides a figure besides the data: when it changes, every result is recomputed.
_DEFINITION_FILES = ("results.py", "current.py", "periods.py", "registry.py", "statistics.py")

# Partnerships are computed in batches of about this many current journeys (see _batches).
BATCH_JOURNEYS = 400_000

# What each refresh leaves behind in temp tables, dropped on success.
_REFRESH_TEMP = ("refresh_quarters", "refresh_measures", "refresh_days", "refresh_bounds", "refresh_periods",
                 *_CURRENT_ROWS, "refresh_raw")


def refresh_results(store: Store, partnerships: tuple[str, ...] = ()) -> None:
    """Bring the results up to date with the data, recomputing only what the changes since can alter.

    This is the ``on_change`` callback of :func:`loaders.load.load_file` and
    :func:`loaders.load.withdraw_upload`: it runs inside their transaction (and opens none), so
    the figures change together with the data or not at all. Every upload and withdrawal since the
    last refresh is taken into account, whichever partnerships they were for (``partnerships`` are
    those the caller knows it changed; they are always examined). For each partnership, the quarters
    whose windows end on or after the earliest day a changed row reaches are recomputed
    (metrics/current.py says how far back each kind of change reaches), and all of them when its
    first reporting period or the measure definitions changed.
    """
    _refresh(store, set(partnerships), rebuild=False)


def refresh_all(store: Store, *, rank_versions: bool = False) -> None:
    """Recompute every result of every partnership from scratch, in a transaction of its own.

    Loads and withdrawals keep the results up to date already, and a change of the measure
    definitions makes the next refresh recompute everything; use this to rebuild the table or to
    check the incremental refreshes (both must give the same rows). Partnerships whose uploads were
    all withdrawn lose their results.

    The current version of each row is taken from the refresh's copies (metrics/current.py), which
    every refresh keeps up to date with the uploads loaded and withdrawn since (as here), so that
    no refresh ranks every stored version again; ``rank_versions`` does (so does the first refresh of a
    new or migrated database, and the first after the definitions change).
    """
    with store.transaction():
        _refresh(store, set(), rebuild=True, rank_versions=rank_versions)


def _refresh(store: Store, requested: set[str], *, rebuild: bool, rank_versions: bool = False) -> None:
    fingerprint = _definitions_fingerprint()
    if store.scalar("SELECT any_value(fingerprint) FROM refreshed_definitions") != fingerprint:
        rebuild = rank_versions = True
    if rank_versions or current.never_synced(store):
        rebuild = True
        current.rebuild(store)
        reached: dict[str, date] = {}
    else:
        reached = current.sync(store)
    areas = set(requested) | set(reached) | {r[0] for r in store.rows(_AREAS_WITH_DATA)}
    ranges = quarter_ranges(store, tuple(sorted(areas)))
    before = {area: (first, last) for area, first, last in store.rows(
        "SELECT area, first_end, last_end FROM refreshed_areas")}
    since: dict[str, date | None] = {}   # partnership -> recompute windows ending on or after (None: all)
    for area in sorted(areas):
        now = ranges.get(area)
        if now is None:
            continue
        ends = (now[0].end, now[1].end)
        old = before.get(area)
        if rebuild or old is None or old[0] != ends[0]:
            since[area] = None
            continue
        days = [reached[area]] if area in reached else []
        if old[1] != ends[1]:
            # The data end moved: re-presentations become due and completions stop being provisional
            # for discharges up to 182 days before it; new quarters begin.
            days.append(min(old[1], ends[1]) - timedelta(days=REPRESENTATION_DAYS + 1))
        if days:
            since[area] = min(days)
    quarters = _quarters_table(ranges, data_ends(store, tuple(sorted(since))), since)
    # The results to replace: the quarters recomputed, and every quarter no longer in a range.
    valid = {(area, q.label) for area, (first, last) in ranges.items() for q in quarters_between(first, last)}
    stale = [(area, period) for area, period in store.rows(
        "SELECT DISTINCT area, period FROM results WHERE list_contains(?, area)", [sorted(areas)])
        if (area, period) not in valid]
    replaced = pa.table({
        "area": quarters["dat"].to_pylist() + [a for a, _ in stale],
        "period": quarters["period"].to_pylist() + [p for _, p in stale],
    }, schema=pa.schema([("area", pa.string()), ("period", pa.string())]))
    registered = ("refresh_measures_input", "refresh_periods_input", "refresh_bounds_input")
    try:
        store.register("refresh_periods_input", replaced)
        store.execute("CREATE OR REPLACE TEMP TABLE refresh_periods AS SELECT * FROM refresh_periods_input")
        store.execute("DELETE FROM results r USING refresh_periods p WHERE r.area = p.area AND r.period = p.period")
        store.execute("DELETE FROM refreshed_areas")
        for area, (first, last) in sorted(ranges.items()):
            store.execute("INSERT INTO refreshed_areas VALUES (?, ?, ?)", [area, first.end, last.end])
        store.execute("DELETE FROM refreshed_definitions")
        store.execute("INSERT INTO refreshed_definitions VALUES (?)", [fingerprint])
        if quarters.num_rows:
            store.register("refresh_measures_input", _measures_table())
            store.execute("CREATE OR REPLACE TEMP TABLE refresh_measures AS SELECT * FROM refresh_measures_input")
            store.register("refresh_bounds_input", _bounds_table(quarters, since))
            store.execute("CREATE OR REPLACE TEMP TABLE refresh_bounds AS SELECT * FROM refresh_bounds_input")
            for batch in _batches(store, quarters):
                _compute(store, batch)
    finally:
        for name in registered:
            with contextlib.suppress(Exception):  # not registered: an earlier step failed
                store.unregister(name)
    # Only reached on success: after a failure the caller's transaction rolls the temp tables back.
    for table in _REFRESH_TEMP:
        store.execute(f"DROP TABLE IF EXISTS temp.{table}")
    for kind, name in _family_temp_objects():
        store.execute(f"DROP {kind} IF EXISTS temp.{name}")


def _compute(store: Store, quarters: pa.Table) -> None:
    """Compute and write the results of one batch of partnerships' quarters."""
    registered = ("refresh_quarters_input", "refresh_days_input", "refresh_results_output")
    try:
        store.register("refresh_quarters_input", quarters)
        store.execute("CREATE OR REPLACE TEMP TABLE refresh_quarters AS SELECT * FROM refresh_quarters_input")
        store.register("refresh_days_input", _days_table(quarters))
        store.execute("CREATE OR REPLACE TEMP TABLE refresh_days AS SELECT * FROM refresh_days_input")
        # The batch's partnerships as constants, which DuckDB checks against each row group's range of
        # partnerships (the copies are written in partnership order, metrics/current.py) to skip the others.
        batch = sorted(set(quarters["dat"].to_pylist()))
        marks = ", ".join("?" * len(batch))
        for target, (copy, columns, keep) in _CURRENT_ROWS.items():
            store.execute(_CURRENT.format(target=target, copy=copy, columns=columns, keep=keep, partnerships=marks),
                          batch)
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


def _batches(store: Store, quarters: pa.Table) -> list[pa.Table]:
    """The quarters to compute, split by partnership into batches of about BATCH_JOURNEYS journeys.

    The measures of one partnership never read another's rows, so computing a few dozen partnerships at a
    time gives the same figures as all at once, while DuckDB's memory stays within its limit (a national
    refresh at once needs several GiB) and its hash tables stay small enough to be fast.
    """
    weights = dict(store.rows(
        "SELECT c.dat, count(*) FROM refreshed_journeys c JOIN refresh_bounds b USING (dat) "
        "WHERE b.lookback IS NULL OR c.disd IS NULL OR c.disd >= b.lookback GROUP BY ALL"))
    areas = quarters["dat"].to_pylist()
    batches: list[list[str]] = [[]]
    size = 0
    for area in sorted(set(areas)):
        weight = weights.get(area, 0)
        if batches[-1] and size + weight > BATCH_JOURNEYS:
            batches.append([])
            size = 0
        batches[-1].append(area)
        size += weight
    return [quarters.filter(pc.is_in(quarters["dat"], pa.array(batch, type=pa.string()))) for batch in batches]


# -- inputs ----------------------------------------------------------------------------------------


@cache
def _definitions_fingerprint() -> str:
    """A digest of the SQL and Python that define the figures (see _DEFINITION_FILES)."""
    digest = hashlib.sha256()
    here = Path(__file__).parent
    for path in [*sorted(SQL_DIR.glob("*.sql")), *(here / name for name in _DEFINITION_FILES)]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def _quarters_table(ranges: dict[str, tuple[Quarter, Quarter]], ends: dict[str, date],
                    since: dict[str, date | None]) -> pa.Table:
    """One row per partnership and quarter to recompute, with every window the SQL needs (computed here,
    once): every quarter of the partnership's range whose window ends on or after ``since[area]``."""
    columns: dict[str, list] = {name: [] for name in (
        "dat", "period", "qi", "qs", "s", "e", "s84", "e84", "s14", "e14", "review_end", "data_end",
        "completions_provisional")}
    for area in sorted(since):
        for quarter in quarters_between(*ranges[area]):
            w = window(quarter)
            if since[area] is not None and w.end < since[area]:
                continue
            values = (
                area, quarter.label, quarter_index(quarter), quarter.start, w.start, w.end, *w.retention_cohort,
                *w.top_due, w.review_bounds[1], ends[area], w.completions_provisional(ends[area]),
            )
            for name, value in zip(columns, values, strict=True):
                columns[name].append(value)
    types = {"dat": pa.string(), "period": pa.string(), "qi": pa.int32(), "completions_provisional": pa.bool_()}
    return pa.table({name: pa.array(values, type=types.get(name, pa.date32())) for name, values in columns.items()})


def _bounds_table(quarters: pa.Table, since: dict[str, date | None]) -> pa.Table:
    """Per partnership recomputed, the earliest day its windows look at (NULL: every quarter, keep every row).

    The retention cohort (the 12 months ending E - 84) starts earliest; a margin of a month is added.
    """
    earliest: dict[str, date] = {}
    for area, s84 in zip(quarters["dat"].to_pylist(), quarters["s84"].to_pylist(), strict=True):
        earliest[area] = min(s84, earliest.get(area, s84))
    areas = sorted(earliest)
    return pa.table({
        "dat": pa.array(areas, type=pa.string()),
        "lookback": pa.array([None if since[a] is None else earliest[a] - timedelta(days=31) for a in areas],
                             type=pa.date32()),
    })


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
