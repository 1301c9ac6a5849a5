"""What the board pack says, gathered once for both of its formats.

:func:`pack_content` gathers everything the pack shows: the figures from ``metrics.reports``,
formatted as the pack prints them, and each measure's trajectory chart rendered once as a PNG.
:mod:`charts.pack.pdf` and :mod:`charts.pack.pptx` only lay it out, so both formats say the same
thing; the words and colours they share live here too.

Small numbers are protected as in :mod:`charts.tables`: a count of 1 to 4 people is never
printed, nor anything it could be worked out from (see :func:`protect_levels`). The pack reads
only aggregate results, so no client identifier can reach it.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from charts import plain_text, tables, theme
from charts.compare import compare_figure, compare_reading
from charts.export import figure_bytes
from charts.figures import say_all_withheld, source_text, trend_figure
from loaders.extracts import ENGLAND
from loaders.load import demo_loaded, history_frame
from loaders.periods import PeriodError, Quarter
from loaders.store import Store
from metrics import compare, coverage, reports
from metrics.periods import twelve_months_ending
from metrics.registry import FAMILY_LABELS, MEASURES, Measure, measure
from metrics.targets import STATUS_SYMBOLS, STATUS_WORDS, TargetSet

CHART_WIDTH_MM = 170  # an A4 column; the same PNG goes on the PowerPoint slide
CHART_DPI = 200
PACK_TITLE = "Drug and alcohol treatment performance"
NO_TARGETS = "No measure has a target for this quarter in the targets file, so there is no trajectory to report."
DEMO_MARK = "DEMO DATA — synthetic figures"
PUBLISHED_NOTE = ("Published figures: where no extract was loaded for a measure, the figure NDTMS or Fingertips "
                  "published is shown, from the download named.")
SUPPRESSED_NOTE = "* based on 1 to 4 people (or would let such a number be worked out), so not shown."
PROVISIONAL_NOTE = "(p) provisional: can still change as later data arrive."
NO_DATA = "no data"
COVERAGE_NOTE = ("(pt) partial: the extract the measure needs (TOPs or DIP activity) covers only part of the "
                 "12 months; no data: it covers none of them, so there is no figure (not zero).")
HIDDEN_POINTS_NOTE = "Quarters based on 1 to 4 people are not shown."
ALL_POINTS_HIDDEN = tables.CHART_ALL_HIDDEN
STATUS_TINTS = {"red": "#F8DDD8", "amber": "#FFF0CC", "green": "#DCEEE3", "grey": "#EEEFEF"}
ZEBRA = "#F4F5F6"
_COUNTS = ["numerator", "denominator"]
_RATES = ["value", "lower95", "upper95", "lower998", "upper998", "gap", "needed"]
_UNIT_WORDS = {"proportion": "percentage", "rate": "rate (a ratio)", "count": "count"}
_POLARITY_WORDS = {"up": "higher is better", "down": "lower is better", "neutral": "neither higher nor lower is better"}
MAX_COMPARISONS = 4  # compare-areas charts in a pack: the headline measures, off target first
MIN_COMPARED_AREAS = 3  # the partnership and at least two others
_RUNNING_HEAD_NAME = 40  # characters of the partnership's name in the line at the top of every page


class PackError(ValueError):
    """The pack (or a chart or table) cannot be made for that selection; the message says why."""


# --------------------------------------------------------------------------------------------
# The content, gathered once
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScorecardLine:
    kpi: str
    status: str  # green, amber, red or grey
    measure: str
    value: str
    target: str
    gap: str
    needed: str
    benchmark: str
    comparison: str
    period: str = ""  # an indicator's own period (a year, a month), where it is not the quarter's 12 months


@dataclass(frozen=True)
class MeasureSection:
    kpi: str
    name: str
    status: str
    value: str
    numbers: str  # e.g. '54 of 821'
    target: str
    target_rule: str  # e.g. 'at least 86%', with where the target comes from
    gap: str
    needed: str
    benchmark: str
    comparison: str
    reading: str  # one plain-English line; **bold** marks the status
    variation: str  # the SPC reading, also with **bold**
    definition: str
    chart_png: bytes
    chart_size: tuple[int, int]  # pixels
    indicator: bool = False  # a local or published indicator, read at its own period
    period: str = ""


@dataclass(frozen=True)
class ComparisonSection:
    """A headline measure across every area with a figure (metrics.compare): the partnership highlighted."""

    kpi: str
    name: str
    period: str
    reading: str  # 'Northvale (demo): 52.1%, 2nd of 3; similar to England (50.3%).'
    areas: int
    chart_png: bytes
    chart_size: tuple[int, int]


@dataclass(frozen=True)
class ExceptionLine:
    status: str
    level: str
    unit: str  # the provider or team
    measure: str
    value: str
    target: str
    gap: str
    needed: str


@dataclass(frozen=True)
class Definition:
    family: str
    kpi: str
    name: str
    kind: str  # 'percentage; higher is better'
    definition: str
    target: str


@dataclass(frozen=True)
class PackContent:
    area: str
    area_name: str
    period: Quarter
    window_start: date
    window_end: date
    produced: date
    demo: bool
    comparator: str
    comparator_name: str
    source: str
    counts: dict[str, int]
    scorecard: tuple[ScorecardLine, ...]
    measures: tuple[MeasureSection, ...]
    exceptions: tuple[ExceptionLine, ...]
    definitions: tuple[Definition, ...]
    # Where the extract a measure needs covers none or part of the window: what, and what to upload.
    coverage_notes: tuple[str, ...] = ()
    # Where a figure was published (a Fingertips or ViewIt download, an indicators upload) rather than computed.
    published_notes: tuple[str, ...] = ()
    # The local and published indicators with a target or declared in the targets file (the scorecard's
    # second section), and how many more the partnership has (shown on the dashboard, not in the pack).
    indicators: tuple[ScorecardLine, ...] = ()
    other_indicators: int = 0
    # The headline measures (those with a target) across every area with a figure, where other areas' data
    # are loaded: at most MAX_COMPARISONS, off target first.
    comparisons: tuple[ComparisonSection, ...] = ()

    @property
    def comparator_label(self) -> str:
        """The comparator's name where a narrow column has room for it ('England'), else 'Comparator'."""
        return self.comparator_name if len(self.comparator_name) <= 9 else "Comparator"

    @property
    def running_head(self) -> str:
        area = plain_text.shorten(self.area_name, _RUNNING_HEAD_NAME)
        return f"{area} · {self.period} · rolling 12 months to {reports.long_date(self.window_end)}"


def _quarter(period: Quarter | str) -> Quarter:
    if isinstance(period, Quarter):
        return period
    try:
        return Quarter.parse(str(period))
    except PeriodError as exc:
        raise PackError(str(exc)) from exc


def area_names(store: Store) -> dict[str, str]:
    """Every area the figures know, partnerships and comparators, by code."""
    found = reports.comparators(store)
    names = {str(a): str(n) for a, n in zip(found["area"], found["name"], strict=True)}
    if names.get(ENGLAND, ENGLAND) == ENGLAND:  # England's figures uploaded without a name, or not at all
        names[ENGLAND] = "England"
    return names


def check_selection(store: Store, *, area: str, period: Quarter | str) -> str:
    """The partnership's name, when it has figures for the quarter; else :class:`PackError`
    saying what there is."""
    quarter = _quarter(period)
    found = reports.areas(store)
    if found.empty:
        raise PackError("No figures have been loaded yet: load the quarterly extracts (python -m loaders load) "
                        "or the demo data (python -m loaders demo) first.")
    names = dict(zip(found["area"], found["name"], strict=True))
    if area not in names:
        known = ", ".join(f"{code} ({name})" for code, name in names.items())
        raise PackError(f"There are no figures for partnership '{area}'. Partnerships with figures: {known}.")
    quarters = reports.quarters(store, area=area)
    if quarter not in quarters:
        raise PackError(f"There are no figures for {names[area]} in {quarter}: its figures run from "
                        f"{quarters[0]} to {quarters[-1]}.")
    return str(names[area])


def data_source(store: Store) -> tuple[str, bool]:
    """The source line for every chart and page, and whether the data are the synthetic demo."""
    if demo_loaded(store):
        return theme.source_text(demo=True), True
    uploads = history_frame(store)
    active = uploads[uploads["status"] == "active"] if not uploads.empty else uploads
    latest = pd.to_datetime(active["when"]).max().date() if not active.empty else None
    kinds = sorted(set(active["kind"])) if not active.empty else []
    return theme.source_text(demo=False, uploaded=latest, kinds=kinds), False


# --------------------------------------------------------------------------------------------
# Small numbers
# --------------------------------------------------------------------------------------------


def _shown(frame: pd.DataFrame) -> pd.DataFrame:
    """Whole-partnership rows with counts of 1 to 4 (and what is built on them) as '*'."""
    if frame.empty:
        return frame
    return tables.suppress(frame, count_columns=[c for c in _COUNTS if c in frame],
                           rate_columns=[c for c in _RATES if c in frame])


def _starred(frame: pd.DataFrame) -> np.ndarray:
    return frame[_COUNTS].map(lambda v: isinstance(v, str) and v == tables.SUPPRESSED).to_numpy(dtype=bool)


def _provider_of(group: str) -> str:
    return group.split("/", 1)[0]


def protect_levels(frame: pd.DataFrame) -> pd.DataFrame:
    """One measure's partnership, provider and team rows for a quarter, with small counts and
    every count that would give one away shown as '*'.

    :func:`charts.tables.suppress` protects each breakdown against the partnership's figure.
    Teams also sit inside providers, so here each provider's teams are protected against the
    provider's figure too, a hidden provider keeps at least one of its teams hidden, and a
    provider whose hidden team cannot be covered by another is hidden itself; repeated until
    nothing changes. Like every such rule it is greedy: it hides enough, not the fewest cells.
    """
    if frame.empty:
        return frame
    counts, rates = _COUNTS, [c for c in _RATES if c in frame]
    work = frame.reset_index(drop=True).astype({c: object for c in counts + rates})
    breakdown = work["breakdown"].fillna("").astype(str)
    group = work["group"].fillna("").astype(str)
    teams = work.index[breakdown == "team"]
    providers = {g: i for i, (b, g) in enumerate(zip(breakdown, group, strict=True)) if b == "provider"}
    for _ in range(20):
        before = _starred(work)
        # Within each provider first, so that a team's hidden neighbour is found in its own
        # provider where possible, rather than in another provider (which would hide more).
        for provider, row in providers.items():
            own = [i for i in teams if _provider_of(group[i]) == provider]
            if not own:
                continue
            part = work.loc[[row, *own]].copy()
            part.loc[row, "breakdown"] = ""
            done = tables.suppress(part, count_columns=counts, rate_columns=rates, block_columns=())
            work.loc[[row, *own], counts + rates] = done.loc[[row, *own], counts + rates]
            for column in counts:
                hidden = [i for i in own if work.at[i, column] == tables.SUPPRESSED]
                visible = [i for i in own if work.at[i, column] != tables.SUPPRESSED
                           and float(work.at[i, column] or 0) > 0]
                provider_hidden = work.at[row, column] == tables.SUPPRESSED
                if provider_hidden and not hidden and visible:
                    smallest = min(visible, key=lambda i: float(work.at[i, column]))
                    work.at[smallest, column] = tables.SUPPRESSED
                elif len(hidden) == 1 and not provider_hidden:
                    work.at[row, column] = tables.SUPPRESSED
        work = tables.suppress(work, count_columns=counts, rate_columns=rates)
        if (_starred(work) == before).all():
            break
    return tables.suppress(work, count_columns=counts, rate_columns=rates)


def _hide_small_points(series_df: pd.DataFrame) -> tuple[pd.DataFrame, bool]:
    """The series with quarters based on 1 to 4 people blanked (each quarter judged on its own)."""
    return tables.hide_small(series_df, block_columns=("kpi", "group", "period"))


def trajectory_chart(series_df: pd.DataFrame, *, measure: Measure | str, period: Quarter | str, area_name: str,
                     source: str, demo: bool, comparator_name: str = "England") -> go.Figure:
    """A measure's trajectory up to ``period``: value, confidence band, target path and
    benchmark (``charts.figures.trend_figure``), with quarters based on 1 to 4 people left out.

    ``series_df`` is ``metrics.reports.series`` (a registered measure or an uploaded indicator).
    """
    quarter = _quarter(period)
    rows = reports.up_to(series_df, quarter) if "period" in series_df else series_df
    rows, hidden = _hide_small_points(rows.reset_index(drop=True))
    if hidden:
        source = f"{source.rstrip('.')}. {HIDDEN_POINTS_NOTE}"
    fig = trend_figure(rows, measure=measure, area_name=area_name, source=source, demo=demo,
                       benchmark_name=comparator_name)
    return say_all_withheld(fig) if hidden else fig


def breakdown_frame(store: Store, *, kpi: str, area: str, period: Quarter | str, breakdown: str,
                    targets: TargetSet) -> pd.DataFrame:
    """A measure for the partnership and every group of a breakdown, for one quarter: the rows
    ``charts.tables.figures_table`` suppresses (the partnership row is the groups' total)."""
    m = measure(kpi)
    if breakdown not in m.breakdowns:
        raise PackError(f"{m.name} is not broken down by {breakdown}; it is broken down by "
                        f"{', '.join(m.breakdowns)}.")
    quarter = _quarter(period)
    whole = reports.measure_frame(store, area=area, period=quarter, targets=targets, breakdown="", kpi=kpi)
    groups = reports.measure_frame(store, area=area, period=quarter, targets=targets, breakdown=breakdown, kpi=kpi)
    return pd.concat([frame for frame in (whole, groups) if not frame.empty] or [whole], ignore_index=True)


# --------------------------------------------------------------------------------------------
# Gathering
# --------------------------------------------------------------------------------------------


def _missing(v: object) -> bool:
    return theme.is_missing(v) and not isinstance(v, str)


def _fmt(v: object, unit: str) -> str:
    if isinstance(v, str):
        return v
    return "–" if _missing(v) else theme.format_value(v, unit)


def _fmt_gap(v: object, unit: str) -> str:
    if isinstance(v, str):
        return v
    return "–" if _missing(v) else theme.format_change(v, unit)


def _fmt_needed(v: object) -> str:
    if isinstance(v, str):
        return v
    return "–" if _missing(v) else f"{float(v):,.0f}"  # type: ignore[arg-type]


def _numbers(row: pd.Series, unit: str) -> str:
    """'54 of 821' for a proportion or rate; '' for a count, whose value says it already."""
    num, den = row.get("numerator"), row.get("denominator")
    if unit == "count" or _missing(den) or _missing(num) or tables.SUPPRESSED in (num, den):
        return ""
    return f"{_fmt_needed(num)} of {_fmt_needed(den)}"


def _provisional(row: pd.Series) -> str:
    flag = row.get("provisional")
    return " (p)" if not _missing(flag) and bool(flag) else ""


def _value(raw: pd.Series, shown: pd.Series, unit: str) -> str:
    """The figure as the pack prints it: marked (p) provisional or (pt) partial, and 'no data' where
    the extract the measure needs covers none of the window (see COVERAGE_NOTE)."""
    if raw.get("coverage") == coverage.NONE:
        return NO_DATA
    return _fmt(shown["value"], unit) + _provisional(raw) + (" (pt)" if raw.get("coverage") == coverage.PARTIAL
                                                              else "")


def _comparison(row: pd.Series) -> str:
    text = "" if _missing(row.get("benchmark")) else str(row.get("benchmark_comparison") or "")
    return "" if text in ("", "not compared") else text[:1].upper() + text[1:]


def _status(v: object) -> str:
    return str(v) if isinstance(v, str) and v in STATUS_WORDS else "grey"


def _needed_text(raw: pd.Series, shown: pd.Series, m: Measure) -> str:
    """Cases needed; for an indicator published without its counts, the change in value it takes."""
    if m.family == "indicator" and _missing(raw.get("numerator")) and m.unit != "count" \
            and not isinstance(shown["needed"], str) and not _missing(shown["needed"]):
        size = theme.format_change(float(shown["needed"]), m.unit).lstrip("+")
        return f"{'fall' if m.polarity == 'down' else 'rise'} of {size}"
    return _fmt_needed(shown["needed"])


def _scorecard_line(raw: pd.Series, shown: pd.Series, m: Measure | None = None) -> ScorecardLine:
    m = m or measure(str(raw["kpi"]))
    return ScorecardLine(
        period=str(raw["period"]) if m.family == "indicator" else "",
        kpi=m.id, status=_status(raw["status"]), measure=plain_text.clean(m.name),
        value=_value(raw, shown, m.unit), target=_fmt(raw["target"], m.unit),
        gap=_fmt_gap(shown["gap"], m.unit) if not _missing(raw["target"]) else "–",
        needed=_needed_text(raw, shown, m) if not _missing(raw["target"]) else "–",
        benchmark=_fmt(raw["benchmark"], m.unit), comparison=_comparison(raw),
    )


def _target_quarter(row: pd.Series, period: Quarter | None) -> Quarter:
    """The quarter a figure's target is read at: an indicator's ``target_quarter``, else the pack's."""
    found = row.get("target_quarter")
    if isinstance(found, str) and found:
        return Quarter.parse(found)
    return period if period is not None else Quarter.parse(str(row["period"]))


def _plain_dates(text: str) -> str:
    return re.sub(r"\b(\d{4})-(\d{2})-(\d{2})\b",
                  lambda x: reports.long_date(date(int(x[1]), int(x[2]), int(x[3]))), text)


def _png_size(png: bytes) -> tuple[int, int]:
    width, height = struct.unpack(">II", png[16:24])
    return int(width), int(height)


def _measure_section(store: Store, raw: pd.Series, shown: pd.Series, *, area: str, area_name: str,
                     period: Quarter, targets: TargetSet, comparator: str, comparator_name: str, source: str,
                     demo: bool) -> MeasureSection:
    m = reports.measure_of(store, kpi=str(raw["kpi"]), targets=targets)
    indicator = m.family == "indicator"
    data = reports.series(store, kpi=m.id, area=area, targets=targets, end=period, comparator=comparator)
    fig = trajectory_chart(data, measure=m, period=period, area_name=area_name, source=source, demo=demo,
                           comparator_name=comparator_name)
    png = figure_bytes(fig, fmt="png", width_mm=CHART_WIDTH_MM, dpi=CHART_DPI)
    latest = reports.describe_latest(data, period=period)
    status = _status(raw["status"])
    variation = latest.spc_reading
    if isinstance(shown["value"], str):
        span = f"{raw['period']}" if indicator else f"the 12 months to {reports.long_date(period.end)}"
        reading = (f"**{STATUS_WORDS[status]}.** The figure for {span} is based "
                   "on 1 to 4 people (or would let such a number be worked out), so it is not shown.")
        variation = ""  # read from the figure that is not shown
    else:
        reading = _plain_dates(latest.reading).replace("case(s)", "cases")
    if raw.get("coverage") == coverage.NONE:
        variation = ""  # no figure this quarter: the reading says which extract to upload
    target = targets.for_row(kpi=m.id, area=area, breakdown="", group="", period=_target_quarter(raw, period))
    rule = str(raw.get("target_text") or "")
    if target is not None and target.source:
        rule += f" (source: {target.source})"
    return MeasureSection(
        kpi=m.id, name=plain_text.clean(m.name), status=status, value=_value(raw, shown, m.unit),
        numbers=_numbers(shown, m.unit), target=_fmt(raw["target"], m.unit), target_rule=rule,
        gap=_fmt_gap(shown["gap"], m.unit), needed=_needed_text(raw, shown, m),
        benchmark=_fmt(raw["benchmark"], m.unit), comparison=_comparison(raw), reading=reading,
        variation=variation, definition=plain_text.clean(m.definition), chart_png=png, chart_size=_png_size(png),
        indicator=indicator, period=str(raw["period"]) if indicator else "",
    )


def _exception_lines(store: Store, *, area: str, period: Quarter, targets: TargetSet,
                     card: pd.DataFrame) -> tuple[ExceptionLine, ...]:
    report = reports.exceptions(store, period=period, targets=targets, area=area)
    report = report[report["breakdown"].isin(["provider", "team"])]
    if report.empty:
        return ()
    kpis = sorted(set(report["kpi"]))
    levels = [card[card["kpi"].isin(kpis)]]
    for breakdown in ("provider", "team"):
        rows = reports.scorecard(store, area=area, period=period, targets=targets, breakdown=breakdown)
        levels.append(rows[rows["kpi"].isin(kpis)])
    everything = pd.concat([lv for lv in levels if not lv.empty], ignore_index=True)
    shown: dict[tuple[str, str, str], pd.Series] = {}
    for _, rows in everything.groupby("kpi", sort=False):
        for _, r in protect_levels(rows).iterrows():
            shown[(r["kpi"], r["breakdown"], r["group"])] = r
    lines = []
    for _, raw in report.iterrows():
        m = measure(str(raw["kpi"]))
        safe = shown.get((raw["kpi"], raw["breakdown"], raw["group"]))
        if safe is None:  # not in the breakdown frames: show nothing that could be small
            safe = raw.copy()
            for column in ("value", "gap", "needed"):
                safe[column] = tables.SUPPRESSED
        lines.append(ExceptionLine(
            status=_status(raw["status"]), level=str(raw["breakdown"]).capitalize(),
            unit=plain_text.clean(raw.get("group_name") or raw["group"]),
            measure=m.name, value=_value(raw, safe, m.unit), target=_fmt(raw["target"], m.unit),
            gap=_fmt_gap(safe["gap"], m.unit), needed=_fmt_needed(safe["needed"]),
        ))
    return tuple(lines)


def _definitions(card: pd.DataFrame, *, targets: TargetSet, area: str, period: Quarter) -> tuple[Definition, ...]:
    rules = {r["kpi"]: str(r["target_text"] or "") for _, r in card.iterrows()} if not card.empty else {}
    out = []
    for m in MEASURES:
        rule = rules.get(m.id, "")
        target = targets.for_row(kpi=m.id, area=area, breakdown="", group="", period=period)
        if rule and target is not None and target.source:
            rule += f" ({target.source})"
        out.append(Definition(family=FAMILY_LABELS.get(m.family, m.family), kpi=m.id, name=m.name,
                              kind=f"{_UNIT_WORDS.get(m.unit, m.unit).capitalize()}; {_POLARITY_WORDS[m.polarity]}",
                              definition=m.definition, target=rule))
    return tuple(out)


def pack_content(store: Store, *, area: str, period: Quarter | str, targets: TargetSet,
                 comparator: str = ENGLAND, produced: date | None = None) -> PackContent:
    """Everything the board pack shows, figures formatted and charts rendered (once)."""
    quarter = _quarter(period)
    # Names from files, as plain text for every renderer (each escapes them for its own markup).
    area_name = plain_text.clean(check_selection(store, area=area, period=quarter))
    comparator_name = plain_text.clean(area_names(store).get(comparator, comparator))
    source, demo = data_source(store)
    start, end = twelve_months_ending(quarter.end)
    card, local = reports.split_scorecard(
        reports.scorecard(store, area=area, period=quarter, targets=targets, comparator=comparator))
    shown = _shown(card)
    lines = tuple(_scorecard_line(card.loc[i], shown.loc[i]) for i in card.index)
    # The local and published indicators the targets file speaks of: a target, or a declaration.
    kept = reports.steered(local, targets)
    local_shown = _shown(kept)
    local_lines = tuple(
        _scorecard_line(kept.loc[i], local_shown.loc[i], reports.measure_of(store, kpi=str(kept.at[i, "kpi"]),
                                                                           targets=targets))
        for i in kept.index)
    sections = tuple(
        _measure_section(store, frame.loc[i], frame_shown.loc[i], area=area, area_name=area_name, period=quarter,
                         targets=targets, comparator=comparator, comparator_name=comparator_name, source=source,
                         demo=demo)
        for frame, frame_shown in ((card, shown), (kept, local_shown))
        for i in frame.index if not _missing(frame.at[i, "target"])
    )
    counts = {s: sum(1 for line in lines + local_lines if line.status == s) for s in ("red", "amber", "green", "grey")}
    return PackContent(
        area=area, area_name=area_name, period=quarter, window_start=start, window_end=end,
        produced=produced or date.today(), demo=demo, comparator=comparator, comparator_name=comparator_name,
        source=source, counts=counts, scorecard=lines, measures=sections,
        exceptions=_exception_lines(store, area=area, period=quarter, targets=targets, card=card),
        definitions=_definitions(card, targets=targets, area=area, period=quarter)
        + _indicator_definitions(store, kept, targets=targets),
        coverage_notes=tuple(coverage.notes(card)),
        published_notes=_published_notes(card),
        indicators=local_lines, other_indicators=len(local) - len(kept),
        comparisons=_comparisons(store, pd.concat([card, kept], ignore_index=True), area=area, area_name=area_name,
                                 targets=targets, source=source, demo=demo),
    )


def _comparisons(store: Store, card: pd.DataFrame, *, area: str, area_name: str, targets: TargetSet, source: str,
                 demo: bool) -> tuple[ComparisonSection, ...]:
    """The compare-areas chart of each headline measure (a target, off target first, as the scorecard orders
    them) for which the partnership and at least two other areas have a figure, up to MAX_COMPARISONS."""
    out: list[ComparisonSection] = []
    headline = card[card["target"].notna() & card["value"].notna()] if not card.empty else card
    for _, raw in headline.iterrows():
        if len(out) >= MAX_COMPARISONS:
            break
        kpi, period = str(raw["kpi"]), str(raw["period"])
        try:
            rows = compare.compare(store, kpi=kpi, period=period, targets=targets, area=area)
        except compare.CompareError:
            continue
        if len(rows) < MIN_COMPARED_AREAS or not rows["highlight"].any():
            continue
        # A figure based on 1 to 4 people is not drawn (as in the scorecard, where it is '*').
        small = [(0 < float(v) < 5) if not _missing(v) else False
                 for pair in zip(rows["numerator"], rows["denominator"], strict=True) for v in pair]
        small = np.array(small, dtype=bool).reshape(-1, 2).any(axis=1) if len(rows) else np.zeros(0, bool)
        rows = rows.assign(value=rows["value"].where(~small), lower95=rows["lower95"].where(~small),
                           upper95=rows["upper95"].where(~small))
        m = reports.measure_of(store, kpi=kpi, targets=targets)
        fig = compare_figure(rows, measure=m, period_label=period, area_name=area_name, source=source, demo=demo)
        png = figure_bytes(fig, fmt="png", width_mm=CHART_WIDTH_MM, dpi=CHART_DPI)
        out.append(ComparisonSection(kpi=kpi, name=plain_text.clean(m.name), period=period,
                                     reading=compare_reading(rows, measure=m, area_name=area_name),
                                     areas=len(rows), chart_png=png, chart_size=_png_size(png)))
    return tuple(out)


def _indicator_definitions(store: Store, kept: pd.DataFrame, *, targets: TargetSet) -> tuple[Definition, ...]:
    """The definitions of the indicators in the pack: as declared in the targets file, else as uploaded."""
    out = []
    for _, row in kept.iterrows():
        m = reports.measure_of(store, kpi=str(row["kpi"]), targets=targets)
        polarity = _POLARITY_WORDS.get(m.polarity, m.polarity)
        rule = str(row.get("target_text") or "")
        target = targets.for_row(kpi=m.id, area=str(row["area"]), breakdown="", group="",
                                 period=_target_quarter(row, None))
        if rule and target is not None and target.source:
            rule += f" ({target.source})"
        out.append(Definition(family="Local and published indicators", kpi=m.id, name=plain_text.clean(m.name),
                              kind=f"{_UNIT_WORDS.get(m.unit, m.unit).capitalize()}; {polarity}",
                              definition=plain_text.clean(m.definition), target=rule))
    return tuple(out)


def _published_notes(card: pd.DataFrame) -> tuple[str, ...]:
    """'Published by NDTMS ViewIt: ndtms_viewit_LAs.csv (upload 3): Numbers in treatment, Successful
    completions, all.' for the figures of the scorecard that were not computed from extracts."""
    if "source" not in card:
        return ()
    notes = []
    for source, rows in card[card["source"].fillna("computed") != "computed"].groupby("source", sort=True):
        measures = ", ".join(plain_text.clean(n) for n in rows["name"])
        notes.append(f"{source_text(source)}: {measures}.")
    return tuple(notes)


# --------------------------------------------------------------------------------------------
# What both layouts share
# --------------------------------------------------------------------------------------------


def _bold_runs(text: str) -> list[tuple[str, bool]]:
    """'**Off target**: 6.6%' as runs of (text, bold)."""
    parts = text.split("**")
    return [(part, i % 2 == 1) for i, part in enumerate(parts) if part]


def _status_text(status: str) -> str:
    return f"{STATUS_SYMBOLS[status]} {STATUS_WORDS[status]}"

