"""The questions commissioners ask, answered from the materialised results.

Scorecard, series (with statistical process control), exceptions and funnel comparisons.
Every function only reads: the figures were computed when the data was loaded
(``metrics.results``). Each returns a DataFrame whose columns are the fields of the command
line's csv/json output (see README, "Command line"), so the pages, the exports and the CLI
show the same numbers, plus ``coverage`` and ``coverage_note`` (``metrics.coverage``): where the
extract a measure needs covers none of its window, the figure is empty ("no data", not zero)
and the note says which extract to upload; where it covers part, the figure is marked partial.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from loaders.extracts import ENGLAND
from loaders.periods import Quarter
from loaders.store import Store
from metrics import coverage, indicators, names, published, spc, statistics
from metrics.registry import MEASURES, Measure, UnknownMeasure, measure
from metrics.targets import STATUS_ORDER, TargetSet, apply_targets
from metrics.versioned import one_version, per_version

FIELDS = [
    "kpi", "name", "area", "breakdown", "group", "period", "window_start", "window_end", "numerator",
    "denominator", "value", "lower95", "upper95", "lower998", "upper998", "provisional", "target", "status",
    "gap", "needed", "benchmark", "benchmark_comparison", "source",
]
SPC_FIELDS = ["spc_mean", "spc_lower", "spc_upper", "spc_point", "spc_rule", "spc_variation", "spc_assurance"]
# Not in FIELDS (the command line's columns): whether the extract a measure needs covers its window
# ('full', 'partial' or 'none', see metrics/coverage.py) and what to upload where it does not.
COVERAGE_FIELDS = coverage.COVERAGE_FIELDS
FUNNEL_FIELDS = ["funnel_centre", "funnel_lower95", "funnel_upper95", "funnel_lower998", "funnel_upper998",
                 "funnel_significance"]

_NAMES = {m.id: m.name for m in MEASURES}
_ORDER = {m.id: i for i, m in enumerate(MEASURES)}

COMPUTED = "computed"
_RESULT_COLUMNS = """kpi, area, breakdown, grp AS "group", period, window_start, window_end, numerator, denominator,
    value, lower95, upper95, lower998, upper998, provisional"""


class NoSuchIndicator(LookupError):
    """Neither a registered measure nor an uploaded indicator has that id."""


# The figures computed from the extracts (columns: _RESULT_COLUMNS, source, unit).
_COMPUTED_SQL = "SELECT {columns}, 'computed' AS source, NULL::VARCHAR AS unit FROM results WHERE {where}"

_RESULTS_SQL = """WITH computed AS (""" + _COMPUTED_SQL + """),
        shown AS (SELECT {columns}, source, unit FROM ({published}) WHERE {where})
        SELECT *{tag} FROM computed
        UNION ALL
        SELECT *{tag} FROM shown WHERE NOT EXISTS (
            SELECT 1 FROM computed c WHERE c.kpi = shown.kpi AND c.area = shown.area
            AND c.breakdown = shown.breakdown AND c."group" = shown."group" AND c.period = shown.period){more}"""

# The columns _previous_year reads.
_EARLIER_COLUMNS = ["kpi", "area", "breakdown", "group", "period", "window_start", "window_end", "value"]


def _results(store: Store, where: str, params: list[object]) -> pd.DataFrame:
    """Result rows: the figures computed from the extracts, and the published figures of the measures
    (metrics.published) where nothing was computed for the same measure, area, group and quarter.
    ``source`` says which: 'computed', or the kind, file and number of the upload that published it."""
    return _shown(store.df(_RESULTS_SQL.format(columns=_RESULT_COLUMNS, published=published.SQL, where=where,
                                               tag="", more=""), [*params, *params]))


def _results_and_earlier(store: Store, where: str, params: list[object], earlier: str,
                         earlier_params: list[object], *, published_too: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`_results` for ``where``, and the computed rows ``earlier`` selects (the figures a year before
    them, columns _EARLIER_COLUMNS, for :func:`_previous_year`): one statement rather than two. Without
    ``published_too`` (known to find no published figure) the published ones are not looked for."""
    more = f"""
        UNION ALL
        SELECT kpi, area, breakdown, grp, period, window_start, window_end, NULL, NULL, value, NULL, NULL, NULL,
               NULL, false, '', NULL, true FROM results WHERE {earlier}"""
    if published_too:
        sql = _RESULTS_SQL.format(columns=_RESULT_COLUMNS, published=published.SQL, where=where,
                                  tag=", false AS _earlier", more=more)
        df = store.df(sql, [*params, *params, *earlier_params])
    else:  # the computed rows alone: what the statement above gives when nothing was published for them
        computed = _COMPUTED_SQL.format(columns=_RESULT_COLUMNS, where=where)
        sql = f"SELECT *, false AS _earlier FROM ({computed}){more}"
        df = store.df(sql, [*params, *earlier_params])
    before = df.pop("_earlier").to_numpy(dtype=bool)
    return _shown(df[~before].reset_index(drop=True)), df.loc[before, _EARLIER_COLUMNS].reset_index(drop=True)


@per_version
def _published_keys(store: Store) -> frozenset[tuple[str, str, str]]:
    """(area, breakdown, period) of every published figure of the measures (metrics.published), once per
    version of the data: where there is none, a read of the results need not look for one."""
    return frozenset(store.rows(f"SELECT DISTINCT area, breakdown, period FROM ({published.SQL})"))


def _shown(df: pd.DataFrame) -> pd.DataFrame:
    outside = df["source"] != COMPUTED
    if outside.any():  # published without limits: worked out as for the measures
        df.loc[outside] = published.with_limits(df.loc[outside])
    df = df.drop(columns=["unit"])
    df.insert(1, "name", df["kpi"].map(_NAMES))
    return df


def _previous_year(store: Store, rows: pd.DataFrame, prev: pd.DataFrame | None = None) -> pd.DataFrame:
    """The same figures one year earlier, keyed by the later period (for change targets). ``prev``: the
    computed figures of the year before, when already read (_results_and_earlier)."""
    if rows.empty:
        return rows
    periods = sorted(set(rows["period"]))
    earlier = {Quarter.parse(p).shift(-4).label: p for p in periods}
    if prev is None:
        areas = sorted(set(rows["area"]))
        kpis = sorted(set(rows["kpi"]))
        breakdowns = sorted(set(rows["breakdown"]))  # only the rows' own are looked up (apply_targets)
        prev = store.df(
            'SELECT kpi, area, breakdown, grp AS "group", period, window_start, window_end, value FROM results '
            "WHERE period IN (SELECT unnest(?)) AND area IN (SELECT unnest(?)) AND kpi IN (SELECT unnest(?)) "
            "AND breakdown IN (SELECT unnest(?))",
            [list(earlier), areas, kpis, breakdowns],
        )
    # A year without the extract the measure needs has no figure to change from (not zero).
    prev = coverage.with_coverage(store, prev)
    prev["period"] = prev["period"].map(earlier)
    return prev[["kpi", "area", "breakdown", "group", "period", "value"]]


def _benchmarks(store: Store, rows: pd.DataFrame, comparator: str) -> pd.Series:
    """The comparator's value for each row's measure and quarter: its own figure, computed from its
    extracts or published (an England figure uploaded from NDTMS, Fingertips or ViewIt)."""
    if rows.empty:
        return pd.Series([], dtype=float)
    theirs = _comparator_figures(store, comparator, tuple(sorted(set(rows["kpi"]))), tuple(sorted(set(rows["period"]))))
    merged = rows[["kpi", "period"]].merge(theirs, on=["kpi", "period"], how="left")
    return pd.Series(merged["benchmark"].to_numpy(dtype=float), index=rows.index)


@per_version
def _comparator_figures(store: Store, comparator: str, kpis: tuple[str, ...], periods: tuple[str, ...]) -> pd.DataFrame:
    """The comparator's figures (columns kpi, period, benchmark): the same for every partnership compared
    with it, so read once per version of the data. Shared: callers must not change it."""
    theirs = _results(store, "area = ? AND breakdown = '' AND kpi IN (SELECT unnest(?)) AND period IN (SELECT unnest(?))",
                      [comparator, list(kpis), list(periods)])
    # A comparator without the extract the measure needs has no figure to compare with (not zero).
    theirs.loc[(coverage.coverage_of(store, theirs)["coverage"] == coverage.NONE).to_numpy(), "value"] = np.nan
    return theirs[["kpi", "period", "value"]].rename(columns={"value": "benchmark"})


def _finish(store: Store, rows: pd.DataFrame, *, targets: TargetSet, comparator: str,
            earlier: pd.DataFrame | None = None) -> pd.DataFrame:
    # First, so that a measure whose extract was not uploaded has no value, hence no status, gap or cases.
    rows = coverage.with_coverage(store, rows)
    rows = apply_targets(rows, targets=targets, previous=_previous_year(store, rows, earlier))
    rows["benchmark"] = _benchmarks(store, rows, comparator)
    rows["benchmark_comparison"] = _comparisons(rows, [measure(k).polarity for k in rows["kpi"]])
    for col in ("window_start", "window_end"):
        rows[col] = pd.to_datetime(rows[col]).dt.strftime("%Y-%m-%d")
    return with_names(store, rows)


def _comparisons(rows: pd.DataFrame, polarity: list[str]) -> object:
    """Each row's benchmark comparison (columns value, lower95, upper95, benchmark), by its polarity: one
    vectorised comparison per polarity rather than one call per row."""
    if rows.empty:
        return statistics.NOT_COMPARED
    result = np.full(len(rows), statistics.NOT_COMPARED, dtype=object)
    sides = np.array(polarity, dtype=object)
    figures = {c: rows[c].astype(float).to_numpy() for c in ("value", "lower95", "upper95", "benchmark")}
    for side in set(polarity):
        part = sides == side
        result[part] = statistics.benchmark_comparisons(
            value=figures["value"][part], lower95=figures["lower95"][part], upper95=figures["upper95"][part],
            benchmark=figures["benchmark"][part], polarity=side)
    return result


def _in_order(rows: pd.DataFrame, *keys: list[object]) -> pd.DataFrame:
    """``rows`` sorted by ``keys`` (one value per row each), as a stable ``sort_values`` on them would,
    a missing key (NaN) after every other: without the frame's columns and sorting machinery."""
    def key(value: object) -> tuple[int, object]:
        return (1, 0) if value is None or (isinstance(value, float) and math.isnan(value)) else (0, value)

    columns = [[key(v) for v in k] for k in keys]
    order = sorted(range(len(rows)), key=lambda i: tuple(c[i] for c in columns))
    return rows.take(order)


def with_names(store: Store, rows: pd.DataFrame) -> pd.DataFrame:
    """Rows with ``area_name`` (every area by its name) and ``group_name`` (a provider or team by the
    names file, with its code; any other group as it is), for people; the codes stay in area and group."""
    known = names.area_names(store)
    units = names.load_names_or_none()
    rows["area_name"] = [names.area_name(known, a) for a in rows["area"]] if len(rows) else []
    rows["group_name"] = [units.label(b, g) for b, g in zip(rows["breakdown"], rows["group"], strict=True)] \
        if len(rows) else []
    return rows


def scorecard(store: Store, *, area: str, period: Quarter, targets: TargetSet, breakdown: str | None = None,
              comparator: str = ENGLAND) -> pd.DataFrame:
    """Every measure for one partnership and quarter, with target, status and benchmark.

    Sorted so that the reds come first, then ambers, greens and figures without a target.
    """
    with one_version(store):  # its several kept reads (coverage, names, indicators) ask the version once
        # The quarter's figures and the year before's (for change targets), in one read.
        rows, earlier = _results_and_earlier(
            store, "area = ? AND period = ? AND breakdown = ?", [area, period.label, breakdown or ""],
            "area = ? AND period = ? AND breakdown = ?", [area, period.shift(-4).label, breakdown or ""],
            published_too=(area, breakdown or "", period.label) in _published_keys(store))
        rows = _finish(store, rows, targets=targets, comparator=comparator, earlier=earlier)
        rows = _in_order(rows, [STATUS_ORDER.get(s, math.nan) for s in rows["status"]],
                         [_ORDER.get(k, math.nan) for k in rows["kpi"]], list(rows["group"]))
        if breakdown is None:  # the partnership's local and published indicators follow its measures
            local = indicator_scorecard(store, area=area, period=period, targets=targets, comparator=comparator)
            if not local.empty:
                rows = pd.concat([rows, local], ignore_index=True) if not rows.empty else local
    return rows.reset_index(drop=True)


def previous_values(store: Store, *, area: str, period: Quarter) -> pd.DataFrame:
    """The measures' figures of one partnership and quarter, whole partnership, as the scorecard shows them
    (computed, else published; no value where the extract a measure needs covers none of its window):
    columns kpi, group, value. What the Overview's changes since the quarter and the year before need,
    without the targets, comparator, names and indicators of a whole scorecard."""
    rows = _results(store, "area = ? AND period = ? AND breakdown = ''", [area, period.label])
    return coverage.with_coverage(store, rows)[["kpi", "group", "value"]].reset_index(drop=True)


def indicator_choices(store: Store, *, area: str, targets: TargetSet) -> list[tuple[str, str]]:
    """The indicators with figures for an area, (id, name), declared and targeted first, then by name."""
    ids = [r[0] for r in store.rows(
        "SELECT DISTINCT indicator FROM current_indicators WHERE area_code = ? AND breakdown = '' "
        "AND NOT list_contains(?, indicator)", [area, list(_ORDER)])]
    described = indicators.catalogue(store, targets)
    targeted = targets.measures()
    info = [indicators.describe(described, i) for i in ids]
    info.sort(key=lambda i: (i.id not in targeted, not i.declared, i.name.lower()))
    return [(i.id, i.name) for i in info]


def measure_of(store: Store, *, kpi: str, targets: TargetSet) -> Measure:
    """The registry's measure, or an indicator as a measure (its declared or uploaded name, unit, polarity)."""
    try:
        return measure(kpi)
    except UnknownMeasure:
        return indicators.describe(indicators.catalogue(store, targets), kpi).measure


def is_indicator(kpi: str) -> bool:
    """Whether an id is an uploaded indicator rather than one of the dashboard's measures."""
    return kpi not in _ORDER


def first_with_value(card: pd.DataFrame, *, preferred: str, among: list[str]) -> str:
    """``preferred`` where the scorecard has a figure for it, else the first of ``among`` that has one (a
    partnership known only from downloads has no computed measures), else ``preferred``."""
    valued = set(card.loc[card["value"].notna(), "kpi"]) if not card.empty else set()
    if preferred in valued or not valued:
        return preferred
    return next((k for k in among if k in valued), preferred)


def steered(local: pd.DataFrame, targets: TargetSet) -> pd.DataFrame:
    """The indicators the targets file speaks of (a target, or an [[indicator]] declaration): those a
    partnership steers by, counted with the measures; the rest of a download is shown, not counted."""
    if local.empty:
        return local
    declared = {d.id for d in targets.indicators}
    return local[local["target"].notna() | local["kpi"].isin(declared)].reset_index(drop=True)


def split_scorecard(card: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A scorecard's measures, and its local and published indicators (the Overview's second section)."""
    local = card["kpi"].map(is_indicator) if not card.empty else pd.Series([], dtype=bool)
    return card[~local].reset_index(drop=True), card[local].reset_index(drop=True)


def _finish_indicators(store: Store, rows: pd.DataFrame, *, targets: TargetSet, comparator: str,
                       previous: pd.DataFrame | None = None) -> pd.DataFrame:
    """Indicator rows (metrics.indicators) with name, unit and polarity, target, status and benchmark
    (``previous``: the rows' values a year earlier, indicators.previous_year, when already read)."""
    described = indicators.catalogue(store, targets)
    info = [indicators.describe(described, k) for k in rows["kpi"]]
    rows.insert(1, "name", [i.name for i in info])
    rows["unit"] = [i.unit for i in info]
    rows["polarity"] = [i.polarity for i in info]
    if previous is None:
        previous = indicators.previous_year(store, rows)
    rows = apply_targets(rows, targets=targets, previous=previous)
    rows["benchmark"] = indicators.benchmarks(store, rows, comparator)
    rows["benchmark_comparison"] = _comparisons(rows, list(rows["polarity"]))
    rows["coverage"], rows["coverage_note"] = coverage.FULL, ""  # as uploaded: nothing else to need
    for col in ("window_start", "window_end"):
        rows[col] = pd.to_datetime(rows[col]).dt.strftime("%Y-%m-%d")
    rows["declared"] = [i.declared for i in info]
    return with_names(store, rows)


def indicator_scorecard(store: Store, *, area: str, period: Quarter, targets: TargetSet,
                        comparator: str = ENGLAND) -> pd.DataFrame:
    """The partnership's local and published indicators for a quarter: each one's figure for the quarter
    (or its latest in the 12 months to the quarter's end, ``period`` saying which), with target, status,
    gap, what meeting it takes, and the comparator's figure for the same period. Reds first; then the
    indicators with targets or declared in the targets file; then by name."""
    rows, previous = indicators.figures_and_previous(store, areas=[area], period=period)
    if rows.empty:
        return pd.DataFrame(columns=FIELDS + COVERAGE_FIELDS)
    rows = _finish_indicators(store, rows, targets=targets, comparator=comparator, previous=previous)
    rows["_status"] = rows["status"].map(STATUS_ORDER)
    rows["_targeted"] = ~rows["target"].notna()
    rows["_declared"] = ~rows["declared"]
    rows = rows.sort_values(["_status", "_targeted", "_declared", "name"], kind="stable")
    return rows.drop(columns=["_status", "_targeted", "_declared"]).reset_index(drop=True)


def series(store: Store, *, kpi: str, area: str, targets: TargetSet, start: Quarter | None = None,
           end: Quarter | None = None, breakdown: str | None = None, comparator: str = ENGLAND) -> pd.DataFrame:
    """One measure over every quarter, with its statistical process control (per group)."""
    try:
        m = measure(kpi)
    except UnknownMeasure:
        return _indicator_series(store, indicator=kpi, area=area, start=start, end=end, breakdown=breakdown,
                                 targets=targets, comparator=comparator)
    rows = _results(store, "kpi = ? AND area = ? AND breakdown = ? AND period >= ? AND period <= ?",
                    [kpi, area, breakdown or "", start.label if start else "", end.label if end else "9999"])
    if rows.empty:
        return pd.DataFrame(columns=FIELDS + SPC_FIELDS + ["target_text"] + COVERAGE_FIELDS)
    rows = rows.sort_values(["group", "period"]).reset_index(drop=True)
    rows = _finish(store, rows, targets=targets, comparator=comparator)
    rows = _published_beside(store, rows)
    parts = [_with_spc(part, polarity=m.polarity) for _, part in rows.groupby("group", sort=True)]
    return pd.concat(parts).reset_index(drop=True)


def _published_beside(store: Store, rows: pd.DataFrame) -> pd.DataFrame:
    """Computed rows with the figure published for the same measure, area, group and quarter beside
    them (``published_value``, ``published_source``): reconciling the two is a board's question."""
    rows = rows.copy()
    rows["published_value"], rows["published_source"] = np.nan, ""
    computed = rows["source"] == COMPUTED
    if not computed.any():
        return rows
    beside = published.published(store, where="kpi = ? AND area IN (SELECT unnest(?)) AND period IN (SELECT unnest(?))",
                                 params=[rows["kpi"].iloc[0], sorted(set(rows["area"])), sorted(set(rows["period"]))])
    if beside.empty:
        return rows
    beside = beside.rename(columns={"grp": "group", "value": "_value", "source": "_source"})
    merged = rows[["area", "breakdown", "group", "period"]].merge(
        beside[["area", "breakdown", "group", "period", "_value", "_source"]], how="left",
        on=["area", "breakdown", "group", "period"])
    rows.loc[computed, "published_value"] = merged.loc[computed.to_numpy(), "_value"].to_numpy(dtype=float)
    rows.loc[computed, "published_source"] = merged.loc[computed.to_numpy(), "_source"].fillna("").to_numpy()
    return rows


def published_beside(data: pd.DataFrame, *, period: Quarter) -> str | None:
    """'Our figure 21.3%, NDTMS ViewIt published 20.9% (viewit: file.csv (upload 3)): a difference of
    +0.4 pp.' for the quarter of a series from :func:`series`, or None when nothing was published for it."""
    if "published_value" not in data:
        return None
    rows = data[(data["period"] == period.label) & data["published_value"].notna()]
    if rows.empty or _float(rows.iloc[0]["value"]) is None:
        return None
    row = rows.iloc[0]
    m = measure(row["kpi"])
    ours, theirs = float(row["value"]), float(row["published_value"])
    kind = str(row["published_source"]).split(":")[0]
    who = {"viewit": "NDTMS ViewIt", "fingertips": "Fingertips", "indicators": "the indicators upload"}.get(kind, kind)
    return (f"Our figure {m.format(ours)}, {who} published {m.format(theirs)} ({row['published_source']}): a "
            f"difference of {m.format(ours - theirs, signed=True)} for {period.label}. Ours is worked out from the "
            "extracts loaded here; differences come from the versions of the data each used and from NDTMS's "
            "rounding and rules.")


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


_INDICATOR_COLUMNS = """i.indicator AS kpi, coalesce(i.indicator_name, i.indicator) AS name, i.area_code AS area,
    i.breakdown, i.grp AS "group", i.period, i.period_start AS window_start, i.period_end AS window_end, i.numerator,
    i.denominator, i.value, i.lower_ci AS lower95, i.upper_ci AS upper95, i.lower998, i.upper998,
    false AS provisional, i.unit, u.kind || ': ' || u.file_name || ' (upload ' || i.upload_id || ')' AS source"""


def _indicator_series(store: Store, *, indicator: str, area: str, start: Quarter | None,
                      end: Quarter | None, breakdown: str | None = None, targets: TargetSet | None = None,
                      comparator: str = ENGLAND) -> pd.DataFrame:
    """An uploaded indicator (e.g. the IOM cohort size, a Fingertips or ViewIt figure) as it was
    uploaded, in time order at its own grain, with limits worked out where none were published."""
    rows = store.df(
        f"SELECT {_INDICATOR_COLUMNS} FROM current_indicators i JOIN uploads u USING (upload_id) "
        "WHERE i.indicator = ? AND i.area_code = ? AND i.breakdown = ? AND i.period_end >= ? AND i.period_start <= ? "
        "ORDER BY i.grp, i.period_end, i.period_start",
        [indicator, area, breakdown or "", start.start if start else pd.Timestamp("1900-01-01").date(),
         end.end if end else pd.Timestamp("2999-12-31").date()],
    )
    if rows.empty:
        known = store.scalar("SELECT count(*) FROM current_indicators WHERE indicator = ?", [indicator])
        if not known:
            raise NoSuchIndicator(f"There is no measure or uploaded indicator '{indicator}'.")
        return pd.DataFrame(columns=FIELDS + SPC_FIELDS + COVERAGE_FIELDS)
    rows = published.with_limits(rows).drop(columns=["name"])
    # Each figure counts for the quarter its period ends in: that quarter's target applies to it.
    rows["target_quarter"] = [Quarter.containing(pd.Timestamp(d).date()).label for d in rows["window_end"]]
    rows["period_kind"] = store.df(
        "SELECT period, any_value(period_kind) AS period_kind FROM current_indicators WHERE indicator = ? "
        "GROUP BY period", [indicator]).set_index("period")["period_kind"].reindex(rows["period"]).to_numpy()
    rows = _finish_indicators(store, rows.drop(columns=["unit"]), targets=targets or TargetSet(()),
                              comparator=comparator)
    polarity = str(rows["polarity"].iloc[0]) if len(rows) else "neutral"
    parts = [_with_spc(part, polarity=polarity) for _, part in rows.groupby("group", sort=True)]
    return pd.concat(parts).reset_index(drop=True)


def exceptions(store: Store, *, period: Quarter, targets: TargetSet, area: str | None = None) -> pd.DataFrame:
    """Every partnership, provider and team that is red or amber for the quarter."""
    where = "period = ? AND breakdown IN ('', 'provider', 'team') AND kpi IN (SELECT unnest(?))"
    params: list[object] = [period.label, sorted(targets.measures())]
    if area:
        where += " AND area = ?"
        params.append(area)
    rows = _results(store, where, params)
    rows = _finish(store, rows, targets=targets, comparator=ENGLAND)
    # The local and published indicators with targets, for every area that has them (or the one asked for).
    targeted = sorted(k for k in targets.measures() if is_indicator(k))
    if targeted:
        areas = [area] if area else [r[0] for r in store.rows(
            "SELECT DISTINCT area_code FROM current_indicators WHERE indicator IN (SELECT unnest(?))", [targeted])]
        local = indicators.figures_for_quarter(store, areas=areas, period=period, indicators=targeted)
        if not local.empty:
            local = _finish_indicators(store, local, targets=targets, comparator=ENGLAND)
            rows = pd.concat([rows, local], ignore_index=True) if not rows.empty else local
    # A measure whose extract covers none of the window has no value (_finish), so it is grey, never here.
    rows = rows[rows["status"].isin(["red", "amber"])].copy()
    rows["_status"] = rows["status"].map(STATUS_ORDER)
    rows["_level"] = rows["breakdown"].map({"": 0, "provider": 1, "team": 2})
    rows["_order"] = rows["kpi"].map(_ORDER).fillna(len(_ORDER))
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
        return pd.DataFrame(columns=FIELDS + FUNNEL_FIELDS + COVERAGE_FIELDS)
    return with_funnel_limits(rows).sort_values("value", ascending=False).reset_index(drop=True)


def with_funnel_limits(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows with numerators and denominators, given FUNNEL_FIELDS: limits around their pooled proportion
    and each row's significance against it (metrics.statistics, after PHEindicatormethods)."""
    numerators = rows["numerator"].to_numpy(dtype=float)
    denominators = rows["denominator"].to_numpy(dtype=float)
    centre = statistics.pooled_proportion(numerators=numerators, denominators=denominators)
    limits = statistics.funnel_limits(centre=centre, denominators=denominators)
    rows["funnel_centre"] = centre
    rows["funnel_lower95"] = limits.lower_95
    rows["funnel_upper95"] = limits.upper_95
    rows["funnel_lower998"] = limits.lower_998
    rows["funnel_upper998"] = limits.upper_998
    rows["funnel_significance"] = statistics.funnel_significance(
        numerators=numerators, denominators=denominators, centre=centre)
    return rows


def _indicator_funnel(store: Store, *, indicator: str, period: Quarter) -> pd.DataFrame:
    rows = store.df(
        f"SELECT {_INDICATOR_COLUMNS}, NULL::DOUBLE AS target, 'grey' AS status, NULL::DOUBLE AS gap, "
        "NULL::DOUBLE AS needed, NULL::DOUBLE AS benchmark, 'not compared' AS benchmark_comparison, "
        "'full' AS coverage, '' AS coverage_note "
        "FROM current_indicators i JOIN uploads u USING (upload_id) WHERE i.indicator = ? AND i.period = ? "
        "AND i.area_code <> ? AND i.breakdown = '' AND i.numerator IS NOT NULL AND i.denominator > 0",
        [indicator, period.label, ENGLAND],
    )
    if rows.empty and not store.scalar("SELECT count(*) FROM current_indicators WHERE indicator = ?", [indicator]):
        raise NoSuchIndicator(f"There is no measure or uploaded indicator '{indicator}'.")
    for col in ("window_start", "window_end"):
        rows[col] = pd.to_datetime(rows[col]).dt.strftime("%Y-%m-%d")
    return with_names(store, published.with_limits(rows).drop(columns=["unit"]))


def has_computed(store: Store, *, area: str) -> bool:
    """Whether any figure was computed from the partnership's own extracts (a partnership known only from
    downloads has published whole-partnership figures, and no providers, teams or groups)."""
    return bool(store.rows("SELECT 1 FROM results WHERE area = ? LIMIT 1", [area]))


def areas(store: Store) -> pd.DataFrame:
    """The areas with figures to show, by name (metrics.names): the partnerships with figures computed
    from their extracts first, then every area with published figures (measures or indicators)."""
    computed = {r[0] for r in store.rows("SELECT DISTINCT area FROM results")}
    shown = computed | {r[0] for r in store.rows("SELECT DISTINCT area_code FROM current_indicators")}
    known = names.area_names(store)
    frame = pd.DataFrame({"area": sorted(shown)})
    frame["name"] = frame["area"].map(lambda a: names.area_name(known, a))
    frame["_order"] = ~frame["area"].isin(computed)
    return frame.sort_values(["_order", "name"]).drop(columns="_order").reset_index(drop=True)


def comparators(store: Store) -> pd.DataFrame:
    """Areas a partnership can be compared with, by name: England first, then the regions, then every
    other area with figures."""
    rows = store.rows("SELECT DISTINCT area_code FROM current_indicators UNION SELECT DISTINCT area FROM results")
    known = names.area_names(store)
    frame = pd.DataFrame({"area": sorted({r[0] for r in rows} | {ENGLAND})})
    frame["name"] = frame["area"].map(lambda a: names.area_name(known, a))
    frame["_order"] = frame["area"].map(lambda a: 0 if a == ENGLAND else 1 if names.area_type(a) == "region" else 2)
    return frame.sort_values(["_order", "name"]).drop(columns="_order").reset_index(drop=True)


def quarters(store: Store, *, area: str) -> list[Quarter]:
    """The quarters with figures for a partnership (computed or published; for an area with only indicators,
    the quarters its figures end in), oldest first."""
    found = {r[0] for r in store.rows(
        f"SELECT period FROM results WHERE area = ? UNION SELECT period FROM ({published.SQL}) WHERE area = ?",
        [area, area])}
    # An area with indicators alone: the quarters its figures end in.
    ends = store.rows("SELECT DISTINCT period_end FROM current_indicators WHERE area_code = ? AND breakdown = ''",
                      [area]) if not found else []
    found |= {Quarter.containing(r[0]).label for r in ends}
    return sorted(Quarter.parse(p) for p in found)


def recent_values(store: Store, *, area: str, period: Quarter, quarters: int = 8) -> dict[str, list[float | None]]:
    """Each measure's whole-partnership values over the last ``quarters`` quarters to ``period``,
    oldest first, for the scorecard's small trend lines."""
    labels = [period.shift(-i).label for i in range(quarters - 1, -1, -1)]
    rows = store.df(
        "SELECT kpi, area, period, window_start, window_end, value FROM results WHERE area = ? AND breakdown = '' "
        "AND period IN (SELECT unnest(?))",
        [area, labels],
    )
    # Quarters without the extract a measure needs are gaps in its line, not zeros.
    rows = coverage.with_coverage(store, rows)
    found: dict[str, dict[str, float | None]] = {}
    for kpi, label, value in zip(rows["kpi"], rows["period"], rows["value"], strict=True):
        found.setdefault(kpi, {})[label] = None if pd.isna(value) else float(value)
    return {kpi: [values.get(label) for label in labels] for kpi, values in found.items()}


def measure_frame(store: Store, *, area: str, period: Quarter, targets: TargetSet, breakdown: str,
                  kpi: str) -> pd.DataFrame:
    """One measure for every group of a breakdown (e.g. each ethnic group), for one quarter."""
    rows = _results(store, "area = ? AND period = ? AND breakdown = ? AND kpi = ?",
                    [area, period.label, breakdown, kpi])
    rows = _finish(store, rows, targets=targets, comparator=ENGLAND)
    return rows.sort_values("group").reset_index(drop=True)


def monthly(store: Store, *, area: str, kpi: str) -> pd.DataFrame:
    """A criminal-justice measure month by month (breakdown 'month'), for the whole partnership."""
    rows = _results(store, "area = ? AND kpi = ? AND breakdown = 'month'", [area, kpi])
    rows = with_names(store, coverage.with_coverage(store, rows))  # a month without a DIP return is no data
    rows["month"] = rows["group"]
    rows["group"] = ""
    return rows.sort_values("month").reset_index(drop=True)


def status_counts(card: pd.DataFrame, targets: TargetSet) -> dict[str, int]:
    """How many measures are off, near and on target, and without one, with their symbols: every measure of
    the scorecard, and the indicators the targets file speaks of (:func:`steered`); a download's other
    figures are listed, not counted."""
    from metrics.targets import STATUS_SYMBOLS, STATUS_WORDS

    measures, local = split_scorecard(card)
    counted = pd.concat([measures, steered(local, targets)], ignore_index=True)
    counts = counted["status"].value_counts() if not counted.empty else pd.Series(dtype=int)
    return {f"{STATUS_SYMBOLS[s]} {STATUS_WORDS[s]}": int(counts.get(s, 0)) for s in ("red", "amber", "green", "grey")}



SPC_MEANINGS = {
    "special cause improvement": "the latest quarter is a real improvement, beyond what normal variation explains",
    "special cause concern": "the latest quarter is a real deterioration, beyond what normal variation explains",
    "special cause neutral high": "the latest quarter is unusually high (neither better nor worse for this measure)",
    "special cause neutral low": "the latest quarter is unusually low (neither better nor worse for this measure)",
    "common cause": "the latest quarter is within normal variation: no significant change",
    "consistent pass": "the target lies beyond the process limits on the good side: it will be met consistently "
                       "if nothing changes",
    "consistent fail": "the target lies beyond the process limits on the bad side: it will not be met unless the "
                       "process changes",
    "hit and miss": "the target lies within the process limits: it will be met in some quarters and missed in "
                    "others by chance",
}


@dataclass(frozen=True)
class LatestReading:
    """The figures and plain-English reading of a series at the chosen quarter."""

    period: str
    value_text: str
    change_text: str | None
    delta_color: str
    target_text: str
    gap_text: str
    needed_text: str
    reading: str
    spc_reading: str


def long_date(day: object) -> str:
    """A day as the dashboard writes it in sentences: 30 September 2026."""
    try:
        d = pd.Timestamp(day)
    except (TypeError, ValueError):
        return str(day)
    return str(day) if pd.isna(d) else f"{d.day} {d:%B %Y}"


def indicator_measure(row: pd.Series) -> Measure:
    """An indicator row (from :func:`series`) as a Measure: its own unit and polarity, for the words."""
    unit = str(row.get("unit") or "")
    kind = "proportion" if unit in ("proportion", "percent") else "count" if unit == "count" else "rate"
    polarity = str(row.get("polarity") or "neutral")
    name = str(row.get("name") or row["kpi"])
    return Measure(str(row["kpi"]), name, kind, polarity if polarity in ("up", "down") else "neutral",
                   "indicator", "", "", ())


def up_to(data: pd.DataFrame, period: Quarter) -> pd.DataFrame:
    """The rows of a series up to ``period``: those whose period ends by the quarter's end (an indicator
    published by year or month has its own periods), else by label."""
    if "window_end" in data and len(data):
        ends = pd.to_datetime(data["window_end"], errors="coerce")
        if ends.notna().all():
            return data[(ends.dt.date <= period.end).to_numpy()]
    return data[data["period"] <= period.label]


def describe_latest(data: pd.DataFrame, *, period: Quarter) -> LatestReading:
    """Read a series (from :func:`series`) at ``period`` (or its latest quarter) in words. An uploaded
    indicator is read at its own grain (its latest period ending by the quarter's end), in its own unit."""
    from metrics.targets import STATUS_WORDS

    rows = up_to(data, period)
    if rows.empty:
        rows = data
    row = rows.iloc[-1]
    before = rows.iloc[-2] if len(rows) > 1 else None
    try:
        m = measure(row["kpi"])
        span = "in the 12 months to {}"
    except UnknownMeasure:
        m = indicator_measure(row)
        span = f"for {row['period']} (to {{}})"
    fmt, unit, polarity = m.format, m.unit, m.polarity
    value = _float(row["value"])
    change = None
    if before is not None and value is not None and _float(before["value"]) is not None:
        change = fmt(value - _float(before["value"]), signed=True)
    target = _float(row.get("target"))
    gap = _float(row.get("gap"))
    needed = _float(row.get("needed"))
    status = row.get("status", "grey")
    provisional = " (provisional)" if bool(row.get("provisional")) else ""
    state, note = _coverage(row)
    if state == coverage.PARTIAL:
        provisional += " (partial)"
    window = span.format(long_date(row["window_end"]))
    if state == coverage.NONE:
        reading = f"**No data**: {note}" + (f" The target is {fmt(target)}." if target is not None else "")
    elif target is None:
        reading = f"**{fmt(value)}**{provisional} {window}; there is no target."
    else:
        cases = ""
        if needed and _float(row.get("numerator")) is None and unit != "count":
            # Published without its counts: what it takes is a change in the value itself.
            size = f"{100 * needed:.1f} percentage points" if unit == "proportion" else f"{needed:,.2f}"
            cases = f" Meeting it takes a {'fall' if polarity == 'down' else 'rise'} of {size}."
        elif needed:
            what = "more" if polarity != "down" else "fewer"
            noun = "case" if round(needed) == 1 else "cases"
            cases = f" Meeting it takes {needed:,.0f} {what} {noun}" + (
                f" at the current denominator of {row['denominator']:,.0f}." if unit != "count" else ".")
        reading = (f"**{STATUS_WORDS[status]}**: {fmt(value)}{provisional} against a target of {fmt(target)} "
                   f"{window}.{cases}")
    if state == coverage.PARTIAL:
        reading += f" {note}"
    variation, assurance = row.get("spc_variation", ""), row.get("spc_assurance", "")
    spc_reading = f"**Variation: {variation}.** {SPC_MEANINGS.get(variation, '').capitalize()}."
    if assurance:
        spc_reading += f" **Assurance: {assurance}.** {SPC_MEANINGS[assurance].capitalize()}."
    if bool(row.get("spc_provisional")):
        spc_reading += " The limits are provisional: there are fewer than 12 quarters."
    return LatestReading(
        period=str(row["period"]), value_text=fmt(value) + provisional, change_text=change,
        delta_color="normal" if polarity == "up" else "inverse" if polarity == "down" else "off",
        target_text=fmt(target) if target is not None else "none",
        gap_text=fmt(gap, signed=True) if gap is not None else "–",
        needed_text=f"{needed:,.0f}" if needed is not None else "–", reading=reading, spc_reading=spc_reading,
    )


def _coverage(row: pd.Series) -> tuple[str, str]:
    """A row's coverage and its note ('full' and '' for frames without them)."""
    state, note = row.get("coverage"), row.get("coverage_note")
    return (state if isinstance(state, str) and state else coverage.FULL), (note if isinstance(note, str) else "")


def _float(v: object) -> float | None:
    if v is None:
        return None
    try:
        f = float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if f != f else f


@dataclass(frozen=True)
class Headline:
    value_text: str
    caption: str


def headline(card: pd.DataFrame, *, kpi: str, comparator_name: str = "benchmark") -> Headline:
    """One measure's value from a scorecard, and a line on its target and on the comparator (named)."""
    from metrics.targets import STATUS_SYMBOLS, STATUS_WORDS

    m = measure(kpi)
    rows = card[card["kpi"] == kpi]
    if rows.empty:
        return Headline("no data", "No figure for this quarter.")
    row = rows.iloc[0]
    value = _float(row["value"])
    state, note = _coverage(row)
    if state == coverage.NONE:  # the extract it needs was not uploaded for the window: say which
        target = f" The target is {row['target_text']}." if _float(row["target"]) is not None else ""
        return Headline(m.format(None), f"{note}{target}")
    if value is None:  # nothing counted ("0 of 0"), e.g. no DIP activity uploaded for the quarter
        target = f"; the target is {row['target_text']}" if _float(row["target"]) is not None else ""
        return Headline(m.format(value), f"No figure for this quarter{target}.")
    parts = []
    if _float(row["target"]) is not None:
        parts.append(f"{STATUS_SYMBOLS[row['status']]} {STATUS_WORDS[row['status']]}: target {row['target_text']}")
    if _float(row["benchmark"]) is not None:
        parts.append(f"{comparator_name} {m.format(_float(row['benchmark']))} ({row['benchmark_comparison']})")
    if _float(row["denominator"]) is not None:
        parts.append(f"{_float(row['numerator']):,.0f} of {_float(row['denominator']):,.0f}")
    caption = "; ".join(parts) or "No target."
    if state == coverage.PARTIAL:  # the figure stands, and says what it covers
        return Headline(f"{m.format(value)} (partial)", f"{caption.rstrip('.')}. {note}")
    return Headline(m.format(value), caption)


_MISSING_SQL = """
-- The current journeys of one partnership, chosen as metrics/results.py chooses them: rank the
-- uploads (a few hundred rows) and keep each journey's best version, which is far cheaper than the
-- current_journeys view's window over every version of every partnership's rows.
WITH versions AS (
    SELECT upload_id, row_number() OVER (ORDER BY period_end, upload_id) AS version
    FROM uploads WHERE kind = 'journeys'
),
latest AS (
    SELECT arg_max(j.rowid, v.version) AS row_id
    FROM journeys j JOIN versions v USING (upload_id)
    WHERE j.dat = $area
    GROUP BY j.agncy, j.episodid
),
current AS (
    SELECT * FROM journeys j SEMI JOIN latest ON latest.row_id = j.rowid WHERE j.dat = $area
)
SELECT field, missing, total, missing / nullif(total, 0) AS share FROM (
    SELECT count(*) AS total,
           count(*) FILTER (WHERE sex = '9') AS "Sex (SEX)",
           count(*) FILTER (WHERE ethnic = 'Z') AS "Ethnicity (ETHNIC)",
           count(*) FILTER (WHERE prntstat IS NULL) AS "Parental status (PRNTSTAT)",
           count(*) FILTER (WHERE refld IS NULL) AS "Referral date (REFLD)",
           count(*) FILTER (WHERE drug1 IS NULL) AS "Primary drug (DRUG1)",
           count(*) FILTER (WHERE injstat IS NULL) AS "Injecting status (INJSTAT)"
    FROM current
    WHERE triaged <= $end AND (disd IS NULL OR disd >= $start)
) UNPIVOT (missing FOR field IN (COLUMNS(* EXCLUDE total)))
ORDER BY missing DESC, field
"""


def missing_fields(store: Store, *, area: str, period: Quarter) -> pd.DataFrame:
    """For journeys in treatment in the window, how often each data-quality field is missing."""
    from metrics.periods import window

    w = window(period)
    frame = store.df(_MISSING_SQL, {"area": area, "start": w.start, "end": w.end})
    return frame.rename(columns={"field": "field", "missing": "journeys missing it", "total": "journeys"})
