"""The questions commissioners ask, answered from the materialised results.

Scorecard, series (with statistical process control), exceptions and funnel comparisons.
Every function only reads: the figures were computed when the data was loaded
(``metrics.results``). Each returns a DataFrame whose columns are the fields of the command
line's csv/json output (see README, "Command line"), so the pages, the exports and the CLI
show the same numbers.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from loaders.extracts import ENGLAND
from loaders.periods import Quarter
from loaders.store import Store
from metrics import spc, statistics
from metrics.registry import MEASURES, UnknownMeasure, measure
from metrics.targets import STATUS_ORDER, TargetSet, apply_targets

FIELDS = [
    "kpi", "name", "area", "breakdown", "group", "period", "window_start", "window_end", "numerator",
    "denominator", "value", "lower95", "upper95", "lower998", "upper998", "provisional", "target", "status",
    "gap", "needed", "benchmark", "benchmark_comparison",
]
SPC_FIELDS = ["spc_mean", "spc_lower", "spc_upper", "spc_point", "spc_rule", "spc_variation", "spc_assurance"]
FUNNEL_FIELDS = ["funnel_centre", "funnel_lower95", "funnel_upper95", "funnel_lower998", "funnel_upper998",
                 "funnel_significance"]

_NAMES = {m.id: m.name for m in MEASURES}
_ORDER = {m.id: i for i, m in enumerate(MEASURES)}

_RESULT_COLUMNS = """kpi, area, breakdown, grp AS "group", period, window_start, window_end, numerator, denominator,
    value, lower95, upper95, lower998, upper998, provisional"""


class NoSuchIndicator(LookupError):
    """Neither a registered measure nor an uploaded indicator has that id."""


def _results(store: Store, where: str, params: list[object]) -> pd.DataFrame:
    df = store.df(f"SELECT {_RESULT_COLUMNS} FROM results WHERE {where}", params)
    df.insert(1, "name", df["kpi"].map(_NAMES))
    return df


def _previous_year(store: Store, rows: pd.DataFrame) -> pd.DataFrame:
    """The same figures one year earlier, keyed by the later period (for change targets)."""
    if rows.empty:
        return rows
    periods = sorted(set(rows["period"]))
    earlier = {Quarter.parse(p).shift(-4).label: p for p in periods}
    areas = sorted(set(rows["area"]))
    kpis = sorted(set(rows["kpi"]))
    prev = store.df(
        'SELECT kpi, area, breakdown, grp AS "group", period, value FROM results '
        "WHERE period IN (SELECT unnest(?)) AND area IN (SELECT unnest(?)) AND kpi IN (SELECT unnest(?))",
        [list(earlier), areas, kpis],
    )
    prev["period"] = prev["period"].map(earlier)
    return prev


def _benchmarks(store: Store, rows: pd.DataFrame, comparator: str) -> pd.Series:
    """The comparator's value for each row's measure and window: another partnership's own
    result when it has data here, else an uploaded indicator for that area (e.g. England)."""
    if rows.empty:
        return pd.Series([], dtype=float)
    keys = rows[["kpi", "period", "window_end"]].drop_duplicates()
    own = store.df(
        "SELECT kpi, period, value AS benchmark FROM results WHERE area = ? AND breakdown = '' "
        "AND kpi IN (SELECT unnest(?)) AND period IN (SELECT unnest(?))",
        [comparator, sorted(set(keys["kpi"])), sorted(set(keys["period"]))],
    )
    if own.empty:
        published = store.df(
            "SELECT indicator AS kpi, period_end AS window_end, "
            "CASE WHEN lower(unit) IN ('percent', '%') THEN value / 100 ELSE value END AS benchmark "
            "FROM current_indicators WHERE area_code = ? AND period_kind IN ('quarter', 'rolling', 'year') "
            "QUALIFY row_number() OVER (PARTITION BY indicator, period_end ORDER BY period_kind = 'year') = 1",
            [comparator],
        )
        merged = rows[["kpi", "window_end"]].merge(published, on=["kpi", "window_end"], how="left")
    else:
        merged = rows[["kpi", "period"]].merge(own, on=["kpi", "period"], how="left")
    return pd.Series(merged["benchmark"].to_numpy(dtype=float), index=rows.index)


def _finish(store: Store, rows: pd.DataFrame, *, targets: TargetSet, comparator: str) -> pd.DataFrame:
    rows = apply_targets(rows, targets=targets, previous=_previous_year(store, rows))
    rows["benchmark"] = _benchmarks(store, rows, comparator)
    comparisons = []
    for r in rows.itertuples(index=False):
        comparisons.append(statistics.benchmark_comparison(
            value=r.value, lower95=r.lower95, upper95=r.upper95, benchmark=r.benchmark,
            polarity=measure(r.kpi).polarity))
    rows["benchmark_comparison"] = comparisons
    for col in ("window_start", "window_end"):
        rows[col] = pd.to_datetime(rows[col]).dt.strftime("%Y-%m-%d")
    return rows


def scorecard(store: Store, *, area: str, period: Quarter, targets: TargetSet, breakdown: str | None = None,
              comparator: str = ENGLAND) -> pd.DataFrame:
    """Every measure for one partnership and quarter, with target, status and benchmark.

    Sorted so that the reds come first, then ambers, greens and figures without a target.
    """
    rows = _results(store, "area = ? AND period = ? AND breakdown = ?", [area, period.label, breakdown or ""])
    rows = _finish(store, rows, targets=targets, comparator=comparator)
    rows["_status"] = rows["status"].map(STATUS_ORDER)
    rows["_order"] = rows["kpi"].map(_ORDER)
    rows = rows.sort_values(["_status", "_order", "group"], kind="stable").drop(columns=["_status", "_order"])
    return rows.reset_index(drop=True)


def series(store: Store, *, kpi: str, area: str, targets: TargetSet, start: Quarter | None = None,
           end: Quarter | None = None, breakdown: str | None = None, comparator: str = ENGLAND) -> pd.DataFrame:
    """One measure over every quarter, with its statistical process control (per group)."""
    try:
        m = measure(kpi)
    except UnknownMeasure:
        return _indicator_series(store, indicator=kpi, area=area, start=start, end=end)
    rows = _results(store, "kpi = ? AND area = ? AND breakdown = ? AND period >= ? AND period <= ?",
                    [kpi, area, breakdown or "", start.label if start else "", end.label if end else "9999"])
    if rows.empty:
        return pd.DataFrame(columns=FIELDS + SPC_FIELDS + ["target_text"])
    rows = rows.sort_values(["group", "period"]).reset_index(drop=True)
    rows = _finish(store, rows, targets=targets, comparator=comparator)
    parts = [_with_spc(part, polarity=m.polarity) for _, part in rows.groupby("group", sort=True)]
    return pd.concat(parts).reset_index(drop=True)


def _with_spc(rows: pd.DataFrame, *, polarity: str) -> pd.DataFrame:
    rows = rows.copy()
    values = [None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v) for v in rows["value"]]
    latest_target = rows["target"].dropna()
    target = float(latest_target.iloc[-1]) if not latest_target.empty else None
    result = spc.xmr(values, polarity=polarity, target=target)
    rows["spc_mean"] = result.mean
    rows["spc_lower"] = result.lower
    rows["spc_upper"] = result.upper
    rows["spc_point"] = [p.point_type for p in result.points]
    rows["spc_rule"] = [p.rule for p in result.points]
    rows["spc_variation"] = result.variation
    rows["spc_assurance"] = result.assurance
    rows["spc_provisional"] = result.provisional
    return rows


def _indicator_series(store: Store, *, indicator: str, area: str, start: Quarter | None,
                      end: Quarter | None) -> pd.DataFrame:
    """An uploaded indicator (e.g. the IOM cohort size) as it was uploaded, in time order."""
    rows = store.df(
        "SELECT indicator AS kpi, coalesce(indicator_name, indicator) AS name, area_code AS area, '' AS breakdown, "
        "'' AS \"group\", period, period_start AS window_start, period_end AS window_end, numerator, denominator, "
        "value, lower_ci AS lower95, upper_ci AS upper95, NULL::DOUBLE AS lower998, NULL::DOUBLE AS upper998, "
        "false AS provisional, unit FROM current_indicators WHERE indicator = ? AND area_code = ? "
        "AND period_end >= ? AND period_start <= ? ORDER BY period_end, period_start",
        [indicator, area, start.start if start else pd.Timestamp("1900-01-01").date(),
         end.end if end else pd.Timestamp("2999-12-31").date()],
    )
    if rows.empty:
        known = store.scalar("SELECT count(*) FROM current_indicators WHERE indicator = ?", [indicator])
        if not known:
            raise NoSuchIndicator(f"There is no measure or uploaded indicator '{indicator}'.")
        return pd.DataFrame(columns=FIELDS + SPC_FIELDS)
    names = rows["name"].dropna()
    rows["name"] = names.iloc[-1] if not names.empty else indicator
    for col in ("target", "gap", "needed", "benchmark"):
        rows[col] = np.nan
    rows["status"] = "grey"
    rows["benchmark_comparison"] = "not compared"
    for col in ("window_start", "window_end"):
        rows[col] = pd.to_datetime(rows[col]).dt.strftime("%Y-%m-%d")
    return _with_spc(rows, polarity="neutral")


def exceptions(store: Store, *, period: Quarter, targets: TargetSet, area: str | None = None) -> pd.DataFrame:
    """Every partnership, provider and team that is red or amber for the quarter."""
    where = "period = ? AND breakdown IN ('', 'provider', 'team') AND kpi IN (SELECT unnest(?))"
    params: list[object] = [period.label, sorted(targets.measures())]
    if area:
        where += " AND area = ?"
        params.append(area)
    rows = _results(store, where, params)
    rows = _finish(store, rows, targets=targets, comparator=ENGLAND)
    rows = rows[rows["status"].isin(["red", "amber"])].copy()
    rows["_status"] = rows["status"].map(STATUS_ORDER)
    rows["_level"] = rows["breakdown"].map({"": 0, "provider": 1, "team": 2})
    rows["_order"] = rows["kpi"].map(_ORDER)
    rows = rows.sort_values(["area", "_level", "_status", "_order", "group"]).drop(columns=["_status", "_level", "_order"])
    return rows.reset_index(drop=True)


def funnel(store: Store, *, kpi: str, period: Quarter, targets: TargetSet, area: str | None = None,
           breakdown: str = "provider") -> pd.DataFrame:
    """A measure compared across partnerships (no area) or across one partnership's providers
    or teams, with funnel-plot limits around the pooled value and each point's significance."""
    try:
        m = measure(kpi)
    except UnknownMeasure:
        rows = _indicator_funnel(store, indicator=kpi, period=period)
    else:
        if m.unit != "proportion":
            raise ValueError(f"A funnel plot compares proportions; {m.name} is a {m.unit}.")
        if area:
            rows = _results(store, "kpi = ? AND period = ? AND area = ? AND breakdown = ?",
                            [kpi, period.label, area, breakdown])
        else:
            rows = _results(store, "kpi = ? AND period = ? AND breakdown = ''", [kpi, period.label])
        rows = _finish(store, rows, targets=targets, comparator=ENGLAND)
    rows = rows[rows["denominator"].fillna(0) > 0].reset_index(drop=True)
    if rows.empty:
        return pd.DataFrame(columns=FIELDS + FUNNEL_FIELDS)
    centre = statistics.pooled_proportion(numerators=rows["numerator"], denominators=rows["denominator"])
    limits = statistics.funnel_limits(centre=centre, denominators=rows["denominator"].to_numpy(dtype=float))
    rows["funnel_centre"] = centre
    rows["funnel_lower95"] = limits.lower_95
    rows["funnel_upper95"] = limits.upper_95
    rows["funnel_lower998"] = limits.lower_998
    rows["funnel_upper998"] = limits.upper_998
    rows["funnel_significance"] = statistics.funnel_significance(
        numerators=rows["numerator"].to_numpy(dtype=float), denominators=rows["denominator"].to_numpy(dtype=float),
        centre=centre)
    return rows.sort_values("value", ascending=False).reset_index(drop=True)


def _indicator_funnel(store: Store, *, indicator: str, period: Quarter) -> pd.DataFrame:
    rows = store.df(
        "SELECT indicator AS kpi, coalesce(indicator_name, indicator) AS name, area_code AS area, '' AS breakdown, "
        "'' AS \"group\", period, strftime(period_start, '%Y-%m-%d') AS window_start, "
        "strftime(period_end, '%Y-%m-%d') AS window_end, numerator, denominator, value, lower_ci AS lower95, "
        "upper_ci AS upper95, NULL::DOUBLE AS lower998, NULL::DOUBLE AS upper998, false AS provisional, "
        "NULL::DOUBLE AS target, 'grey' AS status, NULL::DOUBLE AS gap, NULL::DOUBLE AS needed, "
        "NULL::DOUBLE AS benchmark, 'not compared' AS benchmark_comparison "
        "FROM current_indicators WHERE indicator = ? AND period = ? AND area_code <> ? "
        "AND numerator IS NOT NULL AND denominator > 0",
        [indicator, period.label, ENGLAND],
    )
    if rows.empty and not store.scalar("SELECT count(*) FROM current_indicators WHERE indicator = ?", [indicator]):
        raise NoSuchIndicator(f"There is no measure or uploaded indicator '{indicator}'.")
    return rows


def areas(store: Store) -> pd.DataFrame:
    """The partnerships with results, with their names where an upload gave one."""
    return store.df(
        "WITH named AS (SELECT area_code, arg_max(area_name, upload_id) AS name FROM current_indicators "
        "WHERE area_name IS NOT NULL GROUP BY area_code) "
        "SELECT r.area, coalesce(n.name, r.area) AS name FROM (SELECT DISTINCT area FROM results) r "
        "LEFT JOIN named n ON n.area_code = r.area ORDER BY name"
    )


def comparators(store: Store) -> pd.DataFrame:
    """Areas a partnership can be compared with: England (when uploaded) and every other area."""
    return store.df(
        "WITH named AS (SELECT area_code, arg_max(area_name, upload_id) AS name FROM current_indicators "
        "GROUP BY area_code) "
        "SELECT a.area, coalesce(n.name, a.area) AS name FROM "
        "(SELECT DISTINCT area_code AS area FROM current_indicators UNION SELECT DISTINCT area FROM results) a "
        "LEFT JOIN named n ON n.area_code = a.area ORDER BY a.area <> ?, name",
        [ENGLAND],
    )


def quarters(store: Store, *, area: str) -> list[Quarter]:
    """The quarters with results for a partnership, oldest first."""
    return [Quarter.parse(r[0]) for r in store.rows(
        "SELECT DISTINCT period FROM results WHERE area = ? ORDER BY period", [area])]
