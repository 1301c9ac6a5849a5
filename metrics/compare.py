"""Compare areas: every area with a figure of a measure or indicator, side by side, as Fingertips'
"compare areas" view puts them.

For one measure (computed from the extracts, or published) or one uploaded indicator (an ``indicators``
upload, a Fingertips download, a ViewIt export) and one period, each area with a figure is one row: its
value with its 95% limits (as published, else worked out: Wilson's for a proportion, Byar's for a count
or a rate), England's figure as the benchmark, its region's figure, and whether it is better, similar
or worse than England by the Fingertips rule. England and the regions are the lines the areas are read
against, never rows of their own. Areas are sorted best first and ranked (1 = best; for a measure with
no better direction, 1 = highest). A comparator group (a ``[[group]]`` of the targets file, or a region
of England) narrows the rows to its areas.

See docs/compare.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from loaders.areas import ENGLAND, area_list
from loaders.areas import area as listed_area
from loaders.periods import PeriodError, Quarter, parse_indicator_period
from loaders.store import Store
from metrics import coverage, indicators, names, published, reports, statistics
from metrics.registry import MEASURES, UnknownMeasure, measure
from metrics.targets import TargetSet

# The command line's fields, in order.
COMPARE_FIELDS = ["kpi", "name", "area", "area_name", "period", "numerator", "denominator", "value", "lower95",
                  "upper95", "benchmark", "benchmark_comparison", "region_value", "rank", "group"]
# Besides the command line's fields: for the page and the chart.
EXTRA_FIELDS = ["region", "region_name", "unit", "polarity", "window_start", "window_end", "source", "highlight"]
COLUMNS = COMPARE_FIELDS + EXTRA_FIELDS
FUNNEL_COLUMNS = COLUMNS + reports.FUNNEL_FIELDS

# A measure with no better direction is compared by which side of England it lies on.
HIGHER = "higher"
LOWER = "lower"
COMPARISON_WORDS = (statistics.BETTER, statistics.SIMILAR, statistics.WORSE, HIGHER, LOWER,
                    statistics.NOT_COMPARED)

FILE_GROUP = "file"
REGION_GROUP = "region"

_MEASURE_IDS = [m.id for m in MEASURES]
_PROPORTION_UNITS = {"proportion", "percent", "percentage", "%"}


class CompareError(ValueError):
    """The comparison asked for cannot be made; the message says what can be asked for."""


@dataclass(frozen=True)
class Group:
    """A comparator group: a ``[[group]]`` of the targets file (``kind`` 'file', e.g. a partnership's
    statistical neighbours) or a region of England (``kind`` 'region', its upper-tier areas)."""

    name: str
    areas: tuple[str, ...]
    kind: str  # 'file' | 'region'


@dataclass(frozen=True)
class _Subject:
    kpi: str
    name: str
    unit: str
    polarity: str
    is_measure: bool


# --- what can be compared ------------------------------------------------------------------------------------


def _national_and_regions() -> list[str]:
    """England and its regions: the lines areas are read against, never rows of their own."""
    return [ENGLAND, *(a.code for a in area_list() if a.type == "region")]


def _is_line(code: str) -> bool:
    found = listed_area(code)
    return code == ENGLAND or (found is not None and found.type in ("country", "region"))


def _has_indicators(store: Store) -> bool:
    return bool(store.scalar("SELECT count(*) FROM duckdb_views() WHERE view_name = 'current_indicators'"))


# The measures' figures (computed, or published where nothing was computed), each area once a quarter.
_MEASURE_FIGURES = f"""
SELECT kpi, area, period, max(window_end) AS window_end, min(window_start) AS window_start FROM (
    SELECT kpi, area, period, window_start, window_end FROM results WHERE breakdown = '' AND value IS NOT NULL
    UNION ALL
    SELECT kpi, area, period, window_start, window_end FROM ({published.SQL})
    WHERE breakdown = '' AND value IS NOT NULL
) GROUP BY kpi, area, period
"""

_INDICATOR_FIGURES = """
SELECT indicator AS kpi, area_code AS area, period, max(period_end) AS window_end, min(period_start) AS window_start
FROM current_indicators WHERE breakdown = '' AND value IS NOT NULL AND NOT list_contains(?, indicator)
GROUP BY indicator, area_code, period
"""


def _counts(store: Store, *, kpi: str | None = None) -> pd.DataFrame:
    """For each measure or indicator and period: how many areas (England and the regions left out) have a
    figure, and when the period starts and ends."""
    lines = _national_and_regions()
    parts = []
    only = " WHERE kpi = ?" if kpi else ""
    for sql, params in ((_MEASURE_FIGURES, []), (_INDICATOR_FIGURES, [_MEASURE_IDS])):
        if sql is _INDICATOR_FIGURES and not _has_indicators(store):
            continue
        parts.append(store.df(
            f"SELECT kpi, period, count(DISTINCT area) FILTER (WHERE NOT list_contains(?, area)) AS areas, "
            f"max(window_end) AS window_end, min(window_start) AS window_start FROM ({sql}){only} "
            "GROUP BY kpi, period", [lines, *params, *([kpi] if kpi else [])]))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["kpi", "period", "areas", "window_end", "window_start"])


def choices(store: Store, *, targets: TargetSet) -> list[tuple[str, str]]:
    """(id, name) of every measure and indicator that two or more areas (England and the regions aside)
    have a figure of in some period: the measures in the registry's order, then the indicators by name."""
    counts = _counts(store)
    comparable = set(counts.loc[counts["areas"] >= 2, "kpi"])
    found = [(m.id, m.name) for m in MEASURES if m.id in comparable]
    described = indicators.catalogue(store, targets)
    local = [indicators.describe(described, k) for k in comparable if k not in _MEASURE_IDS]
    local.sort(key=lambda i: (i.name.lower(), i.id))
    return found + [(i.id, i.name) for i in local]


def periods(store: Store, *, kpi: str, least: int = 2) -> list[str]:
    """The periods in which ``least`` or more areas (England and the regions aside) have a figure of
    ``kpi``, oldest first (by the period's end, then its start): quarter labels for a measure, the
    periods as uploaded (normalised: '2018/19' is '2018-19') for an indicator."""
    counts = _counts(store, kpi=kpi)
    counts = counts[counts["areas"] >= least]
    counts = counts.sort_values(["window_end", "window_start", "period"])
    return list(dict.fromkeys(counts["period"]))


def _subject(store: Store, *, kpi: str, targets: TargetSet) -> _Subject:
    try:
        m = measure(kpi)
    except UnknownMeasure:
        pass
    else:
        return _Subject(m.id, m.name, m.unit, m.polarity, True)
    described = indicators.catalogue(store, targets)
    if kpi not in described:
        known = choices(store, targets=targets)
        listed = "; ".join(f"{k} ({n})" for k, n in known)
        raise CompareError(
            f"There is no measure or uploaded indicator '{kpi}'. "
            + (f"Those two or more areas have figures of: {listed}." if known else
               "No measure or indicator has figures for two or more areas yet: load a Fingertips download "
               "or an indicators file with figures for several areas."))
    i = described[kpi]
    polarity = i.polarity if i.polarity in ("up", "down") else "neutral"
    return _Subject(i.id, i.name, i.unit, polarity, False)


def _period_label(subject: _Subject, period: str) -> str:
    text = " ".join((period or "").split())
    try:
        return Quarter.parse(text).label if subject.is_measure else parse_indicator_period(text).label
    except PeriodError:
        return text


# --- groups --------------------------------------------------------------------------------------------------


def groups(store: Store, *, targets: TargetSet) -> list[Group]:
    """Every comparator group: the targets file's ``[[group]]`` entries in the file's order, then one per
    region of England, named by the region's name, holding its upper-tier areas from the shipped area list
    (retired codes too, so that older periods are grouped as they were published)."""
    found = [Group(g.name, tuple(g.areas), FILE_GROUP) for g in targets.groups]
    for region in (a for a in area_list() if a.type == "region"):
        members = tuple(a.code for a in area_list() if a.type == "utla" and a.region_code == region.code)
        found.append(Group(region.name, members, REGION_GROUP))
    return found


def group_named(store: Store, *, targets: TargetSet, name: str) -> Group:
    """The group called ``name`` (a file's group before a region of the same name), or CompareError
    listing the groups there are."""
    every = groups(store, targets=targets)
    wanted = " ".join(name.split())
    for g in every:
        if g.name == wanted:
            return g
    raise CompareError(f"There is no comparator group '{name}'. The groups are: "
                       + "; ".join(g.name for g in every) + ".")


# --- the comparison ------------------------------------------------------------------------------------------


def comparisons(*, value: pd.Series, lower95: pd.Series, upper95: pd.Series, benchmark: pd.Series,
                polarity: str) -> pd.Series:
    """The Fingertips rule, with words for a measure with no better direction: 'similar' when the benchmark
    lies inside the area's 95% interval; outside it, 'better' or 'worse' by polarity, or for a neutral
    measure 'higher' or 'lower'; 'not compared' without an interval or a benchmark.
    (metrics.statistics.benchmark_comparisons says 'not compared' for every neutral figure.)"""
    side = polarity if polarity in ("up", "down") else "up"
    words = statistics.benchmark_comparisons(
        value=value.astype(float), lower95=lower95.astype(float), upper95=upper95.astype(float),
        benchmark=benchmark.astype(float), polarity=side)
    words = pd.Series(words, index=value.index, dtype=object)
    if side != polarity:
        words = words.replace({statistics.BETTER: HIGHER, statistics.WORSE: LOWER})
    return words


def _measure_rows(store: Store, subject: _Subject, label: str) -> pd.DataFrame:
    # reports._results: the figures computed from the extracts, and published figures where none was computed.
    rows = reports._results(store, "kpi = ? AND period = ? AND breakdown = ''", [subject.kpi, label])
    computed = rows["source"] == reports.COMPUTED
    if computed.any():
        # A computed figure whose extract covers none of its window is no figure ("no data", not zero); a
        # published figure stands as published.
        uncovered = coverage.coverage_of(store, rows.loc[computed])["coverage"] == coverage.NONE
        rows["value"] = pd.to_numeric(rows["value"], errors="coerce").astype(float)
        rows.loc[uncovered[uncovered].index, "value"] = np.nan
    return rows.drop(columns=["name"])


_INDICATOR_ROWS = """
SELECT i.indicator AS kpi, i.area_code AS area, i.period, i.period_start AS window_start,
       i.period_end AS window_end, i.numerator, i.denominator, i.value, i.lower_ci AS lower95,
       i.upper_ci AS upper95, i.lower998, i.upper998, i.unit,
       u.kind || ': ' || u.file_name || ' (upload ' || i.upload_id || ')' AS source
FROM current_indicators i JOIN uploads u USING (upload_id)
WHERE i.indicator = ? AND i.period = ? AND i.breakdown = ''
"""


def _indicator_rows(store: Store, subject: _Subject, label: str) -> pd.DataFrame:
    rows = store.df(_INDICATOR_ROWS, [subject.kpi, label]) if _has_indicators(store) else pd.DataFrame()
    return published.with_limits(rows).drop(columns=["unit"]) if not rows.empty else rows


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(columns=columns)


def compare(store: Store, *, kpi: str, period: str, targets: TargetSet, group: str | None = None,
            area: str | None = None) -> pd.DataFrame:
    """Every area with a figure of ``kpi`` for ``period``, best first, against England.

    One row per area (England and the regions are not rows: England's figure is each row's
    ``benchmark``, the area's region's its ``region_value``). ``benchmark_comparison`` is the Fingertips
    rule (see :func:`comparisons`); ``rank`` 1 is the best (the highest for a measure with no better
    direction), ties sharing the better rank. With ``group``, only the group's areas are rows (the
    highlighted ``area`` too only if it is in the group); ``group`` then names it in every row.
    ``highlight`` marks ``area``. Columns: COMPARE_FIELDS, then EXTRA_FIELDS.

    ``kpi`` is a measure of the registry (``period`` a quarter, '2024-25 Q3') or an uploaded indicator
    (``period`` as uploaded, '2018/19' or '2018-19'). Raises CompareError for an unknown kpi or group, or a
    period without figures (the message lists what there is).
    """
    subject = _subject(store, kpi=kpi, targets=targets)
    chosen = group_named(store, targets=targets, name=group) if group else None
    label = _period_label(subject, period)
    rows = (_measure_rows if subject.is_measure else _indicator_rows)(store, subject, label)
    if not rows.empty:
        rows = rows[pd.to_numeric(rows["value"], errors="coerce").notna()]
    line = rows["area"].map(_is_line) if not rows.empty else pd.Series([], dtype=bool)
    if rows.empty or not (~line).any():
        there = periods(store, kpi=subject.kpi, least=1)
        raise CompareError(
            f"No area has a figure of {subject.name} for {period}. "
            + (f"Periods with figures: {', '.join(there)}." if there else
               "No area has a figure of it for any period yet."))
    rows = rows.reset_index(drop=True)
    by_area = dict(zip(rows["area"], pd.to_numeric(rows["value"], errors="coerce").astype(float), strict=True))
    rows = rows[~rows["area"].map(_is_line)].copy()
    if chosen is not None:
        rows = rows[rows["area"].isin(chosen.areas)].copy()
    if rows.empty:
        return _empty(COLUMNS)
    known = names.area_names(store)
    listed = [listed_area(a) for a in rows["area"]]
    rows["kpi"] = subject.kpi
    rows["name"] = subject.name
    rows["period"] = label
    rows["area_name"] = [names.area_name(known, a) for a in rows["area"]]
    rows["region"] = [a.region_code if a is not None else "" for a in listed]
    # The region by the shipped list's name (as its group is named), whatever an upload calls it.
    rows["region_name"] = [a.region_name if a is not None else "" for a in listed]
    for column in ("numerator", "denominator", "value", "lower95", "upper95"):
        rows[column] = pd.to_numeric(rows[column], errors="coerce").astype(float)
    rows["benchmark"] = by_area.get(ENGLAND, np.nan)
    rows["region_value"] = [by_area.get(r, np.nan) if r else np.nan for r in rows["region"]]
    rows["benchmark_comparison"] = comparisons(
        value=rows["value"], lower95=rows["lower95"], upper95=rows["upper95"], benchmark=rows["benchmark"],
        polarity=subject.polarity)
    lowest_first = subject.polarity == "down"
    rows["rank"] = rows["value"].rank(method="min", ascending=lowest_first).astype(int)
    rows = rows.sort_values(["rank", "area_name", "area"], kind="stable")
    rows["group"] = chosen.name if chosen is not None else ""
    rows["unit"] = subject.unit
    rows["polarity"] = subject.polarity
    for column in ("window_start", "window_end"):
        rows[column] = pd.to_datetime(rows[column]).dt.strftime("%Y-%m-%d")
    rows["highlight"] = rows["area"] == area if area else False
    return rows[COLUMNS].reset_index(drop=True)


def is_proportion(unit: str) -> bool:
    """Whether a unit is a share (a funnel plot compares shares)."""
    return str(unit or "").strip().lower() in _PROPORTION_UNITS


def compare_funnel(store: Store, *, kpi: str, period: str, targets: TargetSet, group: str | None = None,
                   area: str | None = None) -> pd.DataFrame:
    """The areas of :func:`compare` that have a numerator and a denominator (above 0), on a funnel plot:
    control limits around the pooled proportion of those areas (England and the regions not pooled) and
    each area's significance, as PHEindicatormethods computes them. Empty (with the columns) when no area
    has counts or the measure is not a proportion. Columns: those of :func:`compare`, then
    reports.FUNNEL_FIELDS; ``rank`` stays the area's rank among every area compared."""
    rows = compare(store, kpi=kpi, period=period, targets=targets, group=group, area=area)
    if rows.empty or not is_proportion(str(rows["unit"].iloc[0])):
        return _empty(FUNNEL_COLUMNS)
    counted = rows["numerator"].notna() & (rows["denominator"] > 0) & (rows["numerator"] >= 0) \
        & (rows["numerator"] <= rows["denominator"])
    rows = rows[counted].reset_index(drop=True)
    if rows.empty:
        return _empty(FUNNEL_COLUMNS)
    return reports.with_funnel_limits(rows)[FUNNEL_COLUMNS]


# --- in words, for the command line --------------------------------------------------------------------------


def format_value(value: object, unit: str) -> str:
    """A figure as people read it: 52.3% for a proportion, 1,234 for a count, 12.35 otherwise."""
    if value is None or pd.isna(value):
        return "no data"
    number = float(value)  # type: ignore[arg-type]
    if is_proportion(unit):
        return f"{number * 100:.1f}%"
    if str(unit).strip().lower() == "count":
        return f"{number:,.0f}"
    return f"{number:,.2f}"


def text_lines(frame: pd.DataFrame, *, kpi: str, period: str) -> list[str]:
    """One line per area (rank, code, name, value, 95% interval, comparison), then England's."""
    if frame.empty:
        return [f"No area of that group has a figure of {kpi} for {period}."]
    unit = str(frame["unit"].iloc[0])
    first = frame.iloc[0]
    group = f", {first['group']}" if first["group"] else ""
    lines = [f"{first['name']} ({first['kpi']}), {first['period']}{group}:"]
    for r in frame.itertuples(index=False):
        interval = (f"({format_value(r.lower95, unit)} to {format_value(r.upper95, unit)})"
                    if pd.notna(r.lower95) and pd.notna(r.upper95) else "(no interval)")
        mark = " *" if r.highlight else ""
        lines.append(f"{r.rank:>4} {r.area:<10} {r.area_name}{mark}: {format_value(r.value, unit)} {interval} "
                     f"{r.benchmark_comparison}")
    lines.append(f"     {ENGLAND:<10} England: {format_value(first['benchmark'], unit)}")
    return lines
