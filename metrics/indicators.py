"""Every indicator a partnership steers by, as a measure: the local and published indicators.

An indicator is any figure uploaded for an area that is not one of the dashboard's own measures:
an ``indicators`` upload (the IOM cohort, re-offending), a Fingertips download (``ft_93517``) or a
ViewIt export (``viewit_intreatment_allintx``). What it means comes from the uploads (its name and
unit, a POLARITY column) and from the targets file's ``[[indicator]]`` entries, which win: polarity
is declared, never guessed, and an undeclared indicator is neutral (never better or worse).

For a quarter's scorecard an indicator's figure is the one for that quarter; for an indicator
published by year, month or range, the latest figure whose period ends within the 12 months to the
quarter's end (the scorecard says which period it is). Targets apply to that figure as to a
measure's, at the quarter it counts for.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pandas as pd

from loaders.periods import Quarter
from loaders.store import Store
from metrics.published import with_limits
from metrics.registry import MEASURES, Measure
from metrics.targets import KnownIndicator, TargetSet
from metrics.versioned import per_version

_MEASURE_IDS = [m.id for m in MEASURES]


@dataclass(frozen=True)
class Indicator:
    """What an indicator is: its name, unit, polarity, definition and where it comes from."""

    id: str
    name: str
    unit: str  # as uploaded or declared: 'proportion', 'count', 'per 100,000', 'value', ...
    polarity: str  # up | down | neutral
    definition: str
    source: str  # declared source, else the uploads it came from
    declared: bool = False

    @property
    def measure(self) -> Measure:
        """The indicator as a Measure, for the charts and tables that show measures."""
        kind = "proportion" if self.unit == "proportion" else "count" if self.unit == "count" else "rate"
        return Measure(self.id, self.name, kind, self.polarity, "indicator", self.source,
                       self.definition or f"{self.name}, as uploaded ({self.source}).", ())


_KNOWN_SQL = """
SELECT i.indicator, arg_max(i.indicator_name, i.upload_id) FILTER (WHERE i.indicator_name IS NOT NULL) AS name,
       arg_max(i.unit, i.upload_id) FILTER (WHERE i.unit IS NOT NULL) AS unit,
       arg_max(i.polarity, i.upload_id) FILTER (WHERE i.polarity IS NOT NULL) AS polarity,
       string_agg(DISTINCT u.kind || ': ' || u.file_name || ' (upload ' || u.upload_id || ')', '; ') AS uploads
FROM current_indicators i JOIN uploads u USING (upload_id)
WHERE NOT list_contains(?, i.indicator)
GROUP BY i.indicator
"""


def _has_indicators(store: Store) -> bool:
    return bool(store.scalar("SELECT count(*) FROM duckdb_views() WHERE view_name = 'current_indicators'"))


@per_version
def _known_rows(store: Store) -> tuple[tuple, ...]:
    """Every indicator loaded, as _KNOWN_SQL gives it (none without the indicators view); read once per
    version of the data."""
    return tuple(store.rows(_KNOWN_SQL, [_MEASURE_IDS])) if _has_indicators(store) else ()


def known(store: Store) -> dict[str, KnownIndicator]:
    """Every indicator loaded (the measures' own ids left out), with its unit and polarity as uploaded and
    the uploads it came from: what the targets file may name besides the measures."""
    return {r[0]: KnownIndicator(unit=r[2] or "", polarity=r[3] or "", uploads=r[4] or "")
            for r in _known_rows(store)}


def load_targets_for(store: Store, path: str | None = None) -> TargetSet:
    """The targets file in force, checked against the measures, its own [[indicator]] entries and the
    indicators loaded in this database (a target naming none of them is an error listing what is known)."""
    from metrics.targets import load_targets

    return load_targets(path, known_indicators=known(store))


def catalogue(store: Store, targets: TargetSet) -> dict[str, Indicator]:
    """Every indicator loaded or declared, by id (declarations win over what the uploads say)."""
    found: dict[str, Indicator] = {}
    for ident, name, unit, polarity, uploads in _known_rows(store):
        found[ident] = Indicator(ident, " ".join((name or ident).split()), unit or "value", polarity or "neutral",
                                 "", uploads or "")
    for d in targets.indicators:
        base = found.get(d.id, Indicator(d.id, d.id, "value", "neutral", "", "not loaded yet"))
        found[d.id] = Indicator(d.id, d.name or base.name, d.unit or base.unit, d.polarity or base.polarity,
                                d.definition or base.definition, d.source or base.source, declared=True)
    return found


# Each area's indicators, one figure each for a quarter: its own quarter's, else the latest whose period ends
# in the 12 months to the quarter's end (the longer period first on a tie, e.g. a year over its last month).
_SCORECARD_SQL = """
SELECT i.indicator AS kpi, i.area_code AS area, i.breakdown, i.grp AS "group", i.period, i.period_kind,
       i.period_start AS window_start, i.period_end AS window_end, i.numerator, i.denominator, i.value,
       i.lower_ci AS lower95, i.upper_ci AS upper95, i.lower998, i.upper998, false AS provisional, i.unit,
       u.kind || ': ' || u.file_name || ' (upload ' || i.upload_id || ')' AS source
FROM {source} i JOIN uploads u USING (upload_id)
WHERE NOT list_contains($measures, i.indicator) AND i.area_code IN (SELECT unnest($areas))
  AND i.breakdown = '' AND i.period_end <= $end AND i.period_end > $start_before
  {only}
QUALIFY row_number() OVER (PARTITION BY i.indicator, i.area_code
                           ORDER BY i.period_end DESC, i.period_start, i.upload_id DESC) = 1
"""


def figures_for_quarter(store: Store, *, areas: list[str], period: Quarter,
                        indicators: list[str] | None = None) -> pd.DataFrame:
    """Each area's figure of each indicator (or of ``indicators``) for the quarter, with limits worked out
    where none were published, and ``target_quarter`` (the quarter it counts for)."""
    from loaders.periods import add_months

    only = "AND list_contains($only, i.indicator)" if indicators is not None else ""
    params: dict[str, object] = {"measures": _MEASURE_IDS, "areas": areas, "end": period.end,
                                 "start_before": add_months(period.end, -12)}
    if indicators is not None:
        params["only"] = indicators
    frame = store.df(_SCORECARD_SQL.format(source="current_indicators", only=only), params)
    frame["target_quarter"] = period.label
    return with_limits(frame)


# The scorecard's figures (_SCORECARD_SQL) with, for each, the values previous_year finds for it (as a list);
# both from the areas' current indicators, read once.
_WITH_PREVIOUS_SQL = """
WITH mine AS MATERIALIZED (SELECT * FROM current_indicators WHERE area_code IN (SELECT unnest($areas))),
figures AS ({figures})
SELECT f.*, (SELECT list(i.value) FROM mine i WHERE {year_before}) AS _previous
FROM figures f
"""

# An indicator row i is the figure a year before the later figure {later}: the same indicator, area, group and
# kind of period, ending 12 months before.
_YEAR_BEFORE = """i.indicator = {later}.kpi AND i.area_code = {later}.area AND i.breakdown = {later}.breakdown
    AND i.grp = {later}."group" AND i.period_kind = {later}.period_kind
    AND i.period_end = last_day({later}.window_end - INTERVAL 12 MONTH)"""


def figures_and_previous(store: Store, *, areas: list[str], period: Quarter) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`figures_for_quarter` (every indicator) and :func:`previous_year` of its rows, in one statement
    rather than two: what a scorecard needs."""
    from loaders.periods import add_months

    params: dict[str, object] = {"measures": _MEASURE_IDS, "areas": areas, "end": period.end,
                                 "start_before": add_months(period.end, -12)}
    frame = store.df(_WITH_PREVIOUS_SQL.format(figures=_SCORECARD_SQL.format(source="mine", only=""),
                                               year_before=_YEAR_BEFORE.format(later="f")), params)
    earlier = frame.pop("_previous")
    frame["target_quarter"] = period.label
    keys = ["kpi", "area", "breakdown", "group", "period"]
    found = [(*key, v) for key, values in zip(frame[keys].itertuples(index=False, name=None), earlier, strict=True)
             for v in (values if pd.api.types.is_list_like(values) else ())]  # no earlier figure: NULL
    previous = pd.DataFrame(found, columns=[*keys, "value"]).astype({"value": float})
    return with_limits(frame), previous


def previous_year(store: Store, rows: pd.DataFrame) -> pd.DataFrame:
    """Each indicator figure's value one year earlier (the same indicator, area, group and kind of period,
    ending 12 months before), keyed by the later figure's period, for change targets."""
    if rows.empty:
        return pd.DataFrame(columns=["kpi", "area", "breakdown", "group", "period", "value"])
    keys = rows[["kpi", "area", "breakdown", "group", "period", "period_kind", "window_end"]].copy()
    keys["window_end"] = pd.to_datetime(keys["window_end"]).dt.date
    # A name of its own per call: sessions share the connection, and another's frame must never be read.
    name = f"later_figures_{uuid.uuid4().hex}"
    store.register(name, keys)
    try:
        return store.df(
            f"""SELECT l.kpi, l.area, l.breakdown, l."group", l.period, i.value
               FROM {name} l JOIN current_indicators i ON {_YEAR_BEFORE.format(later="l")}""")
    finally:
        store.unregister(name)


def benchmarks(store: Store, rows: pd.DataFrame, comparator: str) -> pd.Series:
    """The comparator's figure of the same indicator, group and period for each row."""
    if rows.empty:
        return pd.Series([], dtype=float)
    theirs = _comparator_figures(store, comparator, tuple(sorted(set(rows["kpi"]))))
    merged = rows[["kpi", "breakdown", "group", "period"]].merge(
        theirs, on=["kpi", "breakdown", "group", "period"], how="left")
    return pd.Series(merged["benchmark"].to_numpy(dtype=float), index=rows.index)


@per_version
def _comparator_figures(store: Store, comparator: str, kpis: tuple[str, ...]) -> pd.DataFrame:
    """The comparator's figures of the indicators (the same for every partnership compared with it), read once
    per version of the data. Shared: callers must not change it."""
    return store.df(
        'SELECT indicator AS kpi, breakdown, grp AS "group", period, value AS benchmark FROM current_indicators '
        "WHERE area_code = ? AND indicator IN (SELECT unnest(?))", [comparator, list(kpis)])


def describe(indicators: dict[str, Indicator], kpi: str) -> Indicator:
    return indicators.get(kpi) or Indicator(kpi, kpi, "value", "neutral", "", "")
