"""The quarterly board pack for the joint commissioning group, as a PDF (A4) or a PowerPoint
deck (16:9).

The pack holds a cover, the RAG scorecard (reds first), one page or slide for each measure
that has a target (its trajectory chart, the figures and a plain-English reading), the
exception report by provider and team, and an appendix of definitions from the registry.

:func:`pack_content` gathers everything once (figures from ``metrics.reports``, each chart
rendered once as a PNG); :func:`render_pdf` and :func:`render_pptx` only lay it out, so both
formats say the same thing. Status is always written in words and symbols, never colour
alone. Small numbers are protected as in :mod:`charts.tables`: a count of 1 to 4 people is
never printed, nor anything it could be worked out from (see :func:`protect_levels`). The
pack reads only aggregate results, so no client identifier can reach it.
"""

from __future__ import annotations

import functools
import io
import re
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from charts import plain_text, tables, theme
from charts.export import figure_bytes
from charts.figures import say_all_withheld, source_text, trend_figure
from loaders.extracts import ENGLAND
from loaders.load import demo_loaded, history_frame
from loaders.periods import PeriodError, Quarter
from loaders.store import Store
from metrics import coverage, reports
from metrics.periods import twelve_months_ending
from metrics.registry import FAMILY_LABELS, MEASURES, Measure, measure
from metrics.targets import STATUS_SYMBOLS, STATUS_WORDS, TargetSet

CHART_WIDTH_MM = 170  # an A4 column; the same PNG goes on the PowerPoint slide
CHART_DPI = 200
SCORECARD_SLIDE_ROWS = 13
EXCEPTION_SLIDE_ROWS = 14
DEFINITION_SLIDE_ROWS = 9
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
TILE_WORDS = {"red": "measures off target", "amber": "measures near target", "green": "measures on target",
              "grey": "measures without a target or data"}
STATUS_TINTS = {"red": "#F8DDD8", "amber": "#FFF0CC", "green": "#DCEEE3", "grey": "#EEEFEF"}
ZEBRA = "#F4F5F6"
_COUNTS = ["numerator", "denominator"]
_RATES = ["value", "lower95", "upper95", "lower998", "upper998", "gap", "needed"]
_UNIT_WORDS = {"proportion": "percentage", "rate": "rate (a ratio)", "count": "count"}
_POLARITY_WORDS = {"up": "higher is better", "down": "lower is better", "neutral": "neither higher nor lower is better"}
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
    rows = series_df[series_df["period"].astype(str) <= quarter.label] if "period" in series_df else series_df
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


def _scorecard_line(raw: pd.Series, shown: pd.Series) -> ScorecardLine:
    m = measure(str(raw["kpi"]))
    return ScorecardLine(
        kpi=m.id, status=_status(raw["status"]), measure=m.name,
        value=_value(raw, shown, m.unit), target=_fmt(raw["target"], m.unit),
        gap=_fmt_gap(shown["gap"], m.unit) if not _missing(raw["target"]) else "–",
        needed=_fmt_needed(shown["needed"]) if not _missing(raw["target"]) else "–",
        benchmark=_fmt(raw["benchmark"], m.unit), comparison=_comparison(raw),
    )


def _plain_dates(text: str) -> str:
    return re.sub(r"\b(\d{4})-(\d{2})-(\d{2})\b",
                  lambda x: reports.long_date(date(int(x[1]), int(x[2]), int(x[3]))), text)


def _png_size(png: bytes) -> tuple[int, int]:
    width, height = struct.unpack(">II", png[16:24])
    return int(width), int(height)


def _measure_section(store: Store, raw: pd.Series, shown: pd.Series, *, area: str, area_name: str,
                     period: Quarter, targets: TargetSet, comparator: str, comparator_name: str, source: str,
                     demo: bool) -> MeasureSection:
    m = measure(str(raw["kpi"]))
    data = reports.series(store, kpi=m.id, area=area, targets=targets, end=period, comparator=comparator)
    fig = trajectory_chart(data, measure=m, period=period, area_name=area_name, source=source, demo=demo,
                           comparator_name=comparator_name)
    png = figure_bytes(fig, fmt="png", width_mm=CHART_WIDTH_MM, dpi=CHART_DPI)
    latest = reports.describe_latest(data, period=period)
    status = _status(raw["status"])
    variation = latest.spc_reading
    if isinstance(shown["value"], str):
        reading = (f"**{STATUS_WORDS[status]}.** The figure for the 12 months to {reports.long_date(period.end)} is based "
                   "on 1 to 4 people (or would let such a number be worked out), so it is not shown.")
        variation = ""  # read from the figure that is not shown
    else:
        reading = _plain_dates(latest.reading).replace("case(s)", "cases")
    if raw.get("coverage") == coverage.NONE:
        variation = ""  # no figure this quarter: the reading says which extract to upload
    target = targets.for_row(kpi=m.id, area=area, breakdown="", group="", period=period)
    rule = str(raw.get("target_text") or "")
    if target is not None and target.source:
        rule += f" (source: {target.source})"
    return MeasureSection(
        kpi=m.id, name=m.name, status=status, value=_value(raw, shown, m.unit),
        numbers=_numbers(shown, m.unit), target=_fmt(raw["target"], m.unit), target_rule=rule,
        gap=_fmt_gap(shown["gap"], m.unit), needed=_fmt_needed(shown["needed"]),
        benchmark=_fmt(raw["benchmark"], m.unit), comparison=_comparison(raw), reading=reading,
        variation=variation, definition=m.definition, chart_png=png, chart_size=_png_size(png),
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
    card = reports.scorecard(store, area=area, period=quarter, targets=targets, comparator=comparator)
    shown = _shown(card)
    lines = tuple(_scorecard_line(card.loc[i], shown.loc[i]) for i in card.index)
    sections = tuple(
        _measure_section(store, card.loc[i], shown.loc[i], area=area, area_name=area_name, period=quarter,
                         targets=targets, comparator=comparator, comparator_name=comparator_name, source=source,
                         demo=demo)
        for i in card.index if not _missing(card.at[i, "target"])
    )
    counts = {s: sum(1 for line in lines if line.status == s) for s in ("red", "amber", "green", "grey")}
    return PackContent(
        area=area, area_name=area_name, period=quarter, window_start=start, window_end=end,
        produced=produced or date.today(), demo=demo, comparator=comparator, comparator_name=comparator_name,
        source=source, counts=counts, scorecard=lines, measures=sections,
        exceptions=_exception_lines(store, area=area, period=quarter, targets=targets, card=card),
        definitions=_definitions(card, targets=targets, area=area, period=quarter),
        coverage_notes=tuple(coverage.notes(card)),
        published_notes=_published_notes(card),
    )


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


def _bold_runs(text: str) -> list[tuple[str, bool]]:
    """'**Off target**: 6.6%' as runs of (text, bold)."""
    parts = text.split("**")
    return [(part, i % 2 == 1) for i, part in enumerate(parts) if part]


def _status_text(status: str) -> str:
    return f"{STATUS_SYMBOLS[status]} {STATUS_WORDS[status]}"


def _chunks(items: Sequence, size: int) -> list[Sequence]:
    return [items[i:i + size] for i in range(0, len(items), size)] or [items[:0]]


def slide_count(content: PackContent) -> int:
    """How many slides :func:`render_pptx` makes of ``content``."""
    return (1 + len(_chunks(content.scorecard, SCORECARD_SLIDE_ROWS)) + max(1, len(content.measures))
            + len(_chunks(content.exceptions, EXCEPTION_SLIDE_ROWS))
            + len(_chunks(content.definitions, DEFINITION_SLIDE_ROWS)))


# --------------------------------------------------------------------------------------------
# PDF (reportlab, A4 portrait)
# --------------------------------------------------------------------------------------------

_FONT_CANDIDATES = (
    # Arial first (the house font), then Liberation Sans, which has Arial's metrics.
    ("C:/Windows/Fonts/arial.ttf", "C:/Windows/Fonts/arialbd.ttf", "C:/Windows/Fonts/ariali.ttf",
     "C:/Windows/Fonts/arialbi.ttf"),
    ("/Library/Fonts/Arial.ttf", "/Library/Fonts/Arial Bold.ttf", "/Library/Fonts/Arial Italic.ttf",
     "/Library/Fonts/Arial Bold Italic.ttf"),
    ("/usr/share/fonts/truetype/msttcorefonts/Arial.ttf", "/usr/share/fonts/truetype/msttcorefonts/Arial_Bold.ttf",
     "/usr/share/fonts/truetype/msttcorefonts/Arial_Italic.ttf",
     "/usr/share/fonts/truetype/msttcorefonts/Arial_Bold_Italic.ttf"),
    ("/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
     "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
     "/usr/share/fonts/truetype/liberation/LiberationSans-Italic.ttf",
     "/usr/share/fonts/truetype/liberation/LiberationSans-BoldItalic.ttf"),
    ("/usr/share/fonts/liberation-sans/LiberationSans-Regular.ttf",
     "/usr/share/fonts/liberation-sans/LiberationSans-Bold.ttf",
     "/usr/share/fonts/liberation-sans/LiberationSans-Italic.ttf",
     "/usr/share/fonts/liberation-sans/LiberationSans-BoldItalic.ttf"),
)
_SYMBOL_FONT = "ZapfDingbats"  # one of the 14 standard PDF fonts: ✔ ▲ ✖ everywhere, nothing to embed


@dataclass(frozen=True)
class _Fonts:
    regular: str
    bold: str
    italic: str


@functools.cache
def _pdf_fonts() -> _Fonts:
    """Arial (or its metric twin Liberation Sans) embedded when found, else Helvetica."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    for paths in _FONT_CANDIDATES:
        if all(Path(p).is_file() for p in paths):
            names = ("PackSans", "PackSans-Bold", "PackSans-Italic", "PackSans-BoldItalic")
            try:
                for name, path in zip(names, paths, strict=True):
                    pdfmetrics.registerFont(TTFont(name, path))
            except Exception:  # noqa: BLE001 - a damaged font file: try the next, else Helvetica
                continue
            pdfmetrics.registerFontFamily("PackSans", normal=names[0], bold=names[1], italic=names[2],
                                          boldItalic=names[3])
            return _Fonts(*names[:3])
    return _Fonts("Helvetica", "Helvetica-Bold", "Helvetica-Oblique")


def _x(text: str) -> str:
    """Text for a reportlab Paragraph: shown as written (``plain_text.for_reportlab``), with the
    status symbols in the symbol font."""
    out = plain_text.for_reportlab(text)
    for symbol in ("✔", "▲", "✖"):
        out = out.replace(symbol, f'<font name="{_SYMBOL_FONT}">{symbol}</font>')
    return out


def _fitted(text: str, font: str, *, sizes: Sequence[float], room: float) -> tuple[str, float]:
    """A name for one line of ``room`` points: at the first of ``sizes`` it fits at, else at the
    last size, shortened with an ellipsis (a name from a file can be 200 characters long)."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    for size in sizes:
        if stringWidth(text, font, size) <= room:
            return text, size
    size = sizes[-1]
    limit = len(text)
    while limit > 2 and stringWidth(plain_text.shorten(text, limit), font, size) > room:
        limit -= 1
    return plain_text.shorten(text, limit), size


def _x_bold(text: str) -> str:
    return "".join(f"<b>{_x(t)}</b>" if bold else _x(t) for t, bold in _bold_runs(text))


def render_pdf(content: PackContent) -> bytes:
    """The pack as an A4 PDF."""
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_RIGHT
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas as rl_canvas
    from reportlab.platypus import (
        BaseDocTemplate,
        CondPageBreak,
        Flowable,
        Frame,
        Image,
        KeepTogether,
        NextPageTemplate,
        PageBreak,
        PageTemplate,
        Paragraph,
        Spacer,
        Table,
        TableStyle,
    )
    from reportlab.platypus.tableofcontents import TableOfContents

    fonts = _pdf_fonts()
    page_w, page_h = A4
    margin = 18 * mm
    width = page_w - 2 * margin
    hex_ = colors.HexColor

    def style(name: str, **kw: object) -> ParagraphStyle:
        base = {"fontName": fonts.regular, "fontSize": 9.5, "leading": 13, "textColor": hex_(theme.TEXT)}
        base.update(kw)
        return ParagraphStyle(name, **base)  # type: ignore[arg-type]

    body = style("body", spaceAfter=5)
    small = style("small", fontSize=8, leading=10.5, textColor=hex_(theme.SECONDARY_TEXT), spaceAfter=3)
    h1 = style("h1", fontName=fonts.bold, fontSize=17, leading=21, textColor=hex_(theme.DARK_BLUE), spaceAfter=6)
    h2 = style("h2", fontName=fonts.bold, fontSize=12, leading=15, textColor=hex_(theme.DARK_BLUE), spaceBefore=6,
               spaceAfter=3)
    cell = style("cell", fontSize=8, leading=10)
    cell_r = style("cell_r", fontSize=8, leading=10, alignment=TA_RIGHT)
    head = style("head", fontName=fonts.bold, fontSize=8, leading=10, textColor=colors.white)
    head_r = style("head_r", fontName=fonts.bold, fontSize=8, leading=10, textColor=colors.white, alignment=TA_RIGHT)
    big = style("big", fontName=fonts.bold, fontSize=17, leading=20)
    label = style("label", fontSize=7.5, leading=9.5, textColor=hex_(theme.SECONDARY_TEXT))
    badge = style("badge", fontSize=11, leading=14)

    def status_cell(status: str, cell_style: ParagraphStyle = cell) -> Paragraph:
        return Paragraph(f'<font color="{theme.RAG_TEXT_COLOURS[status]}"><b>{_x(_status_text(status))}</b></font>',
                         cell_style)

    class Section(Flowable):
        """Marks where a section starts: the page header names it, and the contents list (and
        the PDF's bookmarks) show ``entry`` at ``level``."""

        def __init__(self, name: str, entry: str = "", level: int = 0) -> None:
            super().__init__()
            self.name, self.entry, self.level = name, entry, level
            self.width = self.height = 0

        def draw(self) -> None:
            self.canv._pack_section = self.name  # type: ignore[attr-defined]

    def data_table(headers: list[str], rows: list[list[object]], widths_mm: list[float], statuses: list[str],
                   right_from: int, group_breaks: Sequence[int] = ()) -> Table:
        header = [Paragraph(_x(h), head_r if j >= right_from else head) for j, h in enumerate(headers)]
        body_rows = [[c if not isinstance(c, str) else Paragraph(_x(c), cell_r if j >= right_from else cell)
                      for j, c in enumerate(r)] for r in rows]
        table = Table([header, *body_rows], colWidths=[w * mm for w in widths_mm], repeatRows=1)
        commands: list[tuple] = [
            ("BACKGROUND", (0, 0), (-1, 0), hex_(theme.DARK_BLUE)),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("TOPPADDING", (0, 0), (-1, -1), 3), ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ("LEFTPADDING", (0, 0), (-1, -1), 4), ("RIGHTPADDING", (0, 0), (-1, -1), 4),
            ("LINEBELOW", (0, 1), (-1, -1), 0.4, hex_(theme.GRIDLINE)),
        ]
        for i, status in enumerate(statuses, start=1):
            if i % 2 == 0:
                commands.append(("BACKGROUND", (1, i), (-1, i), hex_(ZEBRA)))
            commands.append(("BACKGROUND", (0, i), (0, i), hex_(STATUS_TINTS[status])))
            commands.append(("LINEBEFORE", (0, i), (0, i), 3, hex_(theme.RAG_COLOURS[status])))
        for i in group_breaks:
            commands.append(("LINEABOVE", (0, i + 1), (-1, i + 1), 1.2, hex_(theme.AXIS_LINE)))
        table.setStyle(TableStyle(commands))
        return table

    class PackCanvas(rl_canvas.Canvas):
        """Draws the running head and foot once the page count is known ('Page 3 of 17')."""

        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)  # type: ignore[arg-type]
            self._pages: list[dict] = []
            self._pack_section = "cover"

        def showPage(self) -> None:  # noqa: N802 - reportlab's name
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for number, page in enumerate(self._pages, start=1):
                self.__dict__.update(page)
                self._decorate(number, total)
                super().showPage()
            super().save()

        def _decorate(self, number: int, total: int) -> None:
            self.saveState()
            foot_y = 11 * mm
            if self._pack_section != "cover":
                self.setFont(fonts.regular, 8)
                self.setFillColor(hex_(theme.SECONDARY_TEXT))
                self.drawString(margin, page_h - 12 * mm, content.running_head)
                self.setFont(fonts.bold, 8)
                self.drawRightString(page_w - margin, page_h - 12 * mm, self._pack_section)
                self.setStrokeColor(hex_(theme.DARK_BLUE))
                self.setLineWidth(1.2)
                self.line(margin, page_h - 14 * mm, page_w - margin, page_h - 14 * mm)
            self.setStrokeColor(hex_(theme.GRIDLINE))
            self.setLineWidth(0.6)
            self.line(margin, foot_y + 5 * mm, page_w - margin, foot_y + 5 * mm)
            self.setFont(fonts.regular, 7.5)
            self.setFillColor(hex_(theme.SECONDARY_TEXT))
            self.drawString(margin, foot_y, f"{content.source}. Produced {reports.long_date(content.produced)}.")
            self.drawRightString(page_w - margin, foot_y, f"Page {number} of {total}")
            if content.demo:
                self.setFont(fonts.bold, 7.5)
                self.setFillColor(hex_(theme.DARK_PINK))
                self.drawCentredString(page_w / 2, foot_y - 4 * mm, DEMO_MARK)
            self.restoreState()

    def cover_page(canv: rl_canvas.Canvas, _doc: object) -> None:
        canv.saveState()
        band = 82 * mm
        canv.setFillColor(hex_(theme.DARK_BLUE))
        canv.rect(0, page_h - band, page_w, band, stroke=0, fill=1)
        canv.setFillColor(hex_(theme.TURQUOISE))
        canv.rect(0, page_h - band - 2.5 * mm, page_w, 2.5 * mm, stroke=0, fill=1)
        canv.setFillColor(colors.white)
        canv.setFont(fonts.bold, 9)
        canv.drawString(margin, page_h - 22 * mm, "BOARD PACK FOR THE JOINT COMMISSIONING GROUP")
        name, size = _fitted(content.area_name, fonts.bold, sizes=(26, 22, 18), room=width)
        canv.setFont(fonts.bold, size)
        canv.drawString(margin, page_h - 38 * mm, name)
        canv.setFont(fonts.regular, 15)
        canv.drawString(margin, page_h - 49 * mm, f"{PACK_TITLE}, {content.period}")
        canv.setFont(fonts.regular, 11)
        canv.drawString(margin, page_h - 60 * mm, f"Rolling 12 months to {reports.long_date(content.window_end)}")
        canv.drawString(margin, page_h - 67 * mm, f"Produced {reports.long_date(content.produced)}")
        canv.restoreState()

    class Doc(BaseDocTemplate):
        def afterFlowable(self, flowable: object) -> None:  # noqa: N802 - reportlab's name
            if isinstance(flowable, Section) and flowable.entry:
                key = f"s{self.seq.nextf('toc')}"
                self.canv.bookmarkPage(key)
                self.canv.addOutlineEntry(flowable.entry, key, level=flowable.level, closed=False)
                self.notify("TOCEntry", (flowable.level, flowable.entry, self.page, key))

    buffer = io.BytesIO()
    doc = Doc(buffer, pagesize=A4, leftMargin=margin, rightMargin=margin, topMargin=22 * mm, bottomMargin=22 * mm,
              title=f"{PACK_TITLE}: {content.area_name}, {content.period}",
              author="Drug and alcohol treatment dashboard", subject="Board pack for the joint commissioning group",
              creator="python -m charts pack")
    cover_frame = Frame(margin, 22 * mm, width, page_h - 96 * mm - 22 * mm, id="cover", leftPadding=0,
                        rightPadding=0, topPadding=0, bottomPadding=0)
    body_frame = Frame(margin, 22 * mm, width, page_h - 44 * mm, id="body", leftPadding=0, rightPadding=0,
                       topPadding=0, bottomPadding=0)
    doc.addPageTemplates([PageTemplate("cover", [cover_frame], onPage=cover_page),
                          PageTemplate("content", [body_frame])])

    story: list[Flowable] = []
    # Cover: the facts, the quarter at a glance, the demo mark, the contents.
    facts = [
        ("Partnership", f"{content.area_name} ({content.area})"),
        ("Quarter", f"{content.period}: the rolling 12 months {reports.long_date(content.window_start)} to "
                    f"{reports.long_date(content.window_end)}"),
        ("Compared with", content.comparator_name),
        ("Source", content.source),
    ]
    fact_table = Table([[Paragraph(_x(k), label), Paragraph(_x(v), body)] for k, v in facts],
                       colWidths=[32 * mm, width - 32 * mm])
    fact_table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                                    ("TOPPADDING", (0, 0), (-1, -1), 1), ("BOTTOMPADDING", (0, 0), (-1, -1), 1)]))
    story += [fact_table, Spacer(1, 6 * mm), Paragraph("This quarter at a glance", h2)]
    tiles = []
    for status in ("red", "amber", "green", "grey"):
        tiles.append([Paragraph(f'<font color="{theme.RAG_TEXT_COLOURS[status]}">{_x(STATUS_SYMBOLS[status])} '
                                f"{content.counts[status]}</font>", big),
                      Paragraph(_x(TILE_WORDS[status]), label)])
    tile_table = Table([tiles], colWidths=[width / 4] * 4)
    tile_style = [("LEFTPADDING", (0, 0), (-1, -1), 6), ("TOPPADDING", (0, 0), (-1, -1), 5),
                  ("BOTTOMPADDING", (0, 0), (-1, -1), 6)]
    for j, status in enumerate(("red", "amber", "green", "grey")):
        tile_style += [("BACKGROUND", (j, 0), (j, 0), hex_(STATUS_TINTS[status])),
                       ("LINEABOVE", (j, 0), (j, 0), 3, hex_(theme.RAG_COLOURS[status])),
                       ("LINEAFTER", (j, 0), (j, 0), 4, colors.white)]
    tile_table.setStyle(TableStyle(tile_style))
    story += [tile_table, Spacer(1, 5 * mm)]
    if content.demo:
        mark = Table([[Paragraph(f'<font color="{theme.DARK_PINK}"><b>{_x(DEMO_MARK)}</b></font>', h2)],
                      [Paragraph("Every figure in this pack comes from the dashboard's synthetic demo data. It "
                                 "describes no real people and no real service, and must not be used to make "
                                 "decisions.", body)]], colWidths=[width])
        mark.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 1.5, hex_(theme.DARK_PINK)),
                                  ("LEFTPADDING", (0, 0), (-1, -1), 8), ("TOPPADDING", (0, 0), (0, 0), 4)]))
        story += [mark, Spacer(1, 5 * mm)]
    toc = TableOfContents(dotsMinLevel=0)
    toc.levelStyles = [style("toc0", fontName=fonts.bold, fontSize=9.5, leading=13, leftIndent=0),
                       style("toc1", fontSize=8.5, leading=11, leftIndent=5 * mm)]
    story += [Paragraph("Contents", style("contents", fontName=fonts.bold, fontSize=12, leading=15,
                                          textColor=hex_(theme.DARK_BLUE), spaceAfter=3)), toc,
              NextPageTemplate("content"), PageBreak()]

    # 1. The scorecard.
    story += [Section("Scorecard", f"1. Scorecard, {content.period}"), Paragraph(f"1. Scorecard, {content.period}", h1),
              Paragraph(_x(f"Every measure for {content.area_name} in the rolling 12 months to "
                           f"{reports.long_date(content.window_end)}: off target first, then near target, on target, and "
                           f"measures without a target. The comparator, {content.comparator_name}, is compared "
                           "through the 95% "
                           "confidence interval of the partnership's figure."), body)]
    rows, statuses, breaks = [], [], []
    for i, line in enumerate(content.scorecard):
        if i and line.status != content.scorecard[i - 1].status:
            breaks.append(i)
        rows.append([status_cell(line.status), line.measure, line.value, line.target, line.gap, line.needed,
                     line.benchmark, line.comparison])
        statuses.append(line.status)
    story.append(data_table(["Status", "Measure", "Value", "Target", "Gap", "Cases needed", content.comparator_label,
                             f"Compared with {content.comparator_label}"], rows,
                            [29, 47, 16, 15, 17, 15, 15, 20], statuses, right_from=2, group_breaks=breaks))
    story += [Spacer(1, 3 * mm), Paragraph(_x(
        "✖ Off target: misses the target by more than the amber margin (2% of the target unless the targets "
        "file says otherwise). ▲ Near target: misses it by no more than the margin. ✔ On target. – No target "
        "for this quarter, or no data. Gap: value minus target, negative is worse (pp: percentage points). Cases "
        f"needed: how many more people (fewer, where lower is better) would meet the target. {PROVISIONAL_NOTE} "
        f"{SUPPRESSED_NOTE}"), small)]
    if content.coverage_notes:
        story += [Spacer(1, 2 * mm), Paragraph(_x(" ".join((COVERAGE_NOTE, *content.coverage_notes))), small)]
    if content.published_notes:
        story += [Spacer(1, 2 * mm), Paragraph(_x(" ".join((PUBLISHED_NOTE, *content.published_notes))), small)]

    # 2. One page per measure with a target.
    for number, section in enumerate(content.measures, start=1):
        story.append(PageBreak())
        if number == 1:
            story.append(Section("Measures with a target", "2. Measures with a target"))
        story += [Section(f"Measure {number} of {len(content.measures)}", f"2.{number} {section.name}", 1),
                  Paragraph(_x(f"2.{number} {section.name}"), h1)]
        figures = [("Value", section.value), ("Target", section.target), ("Gap", section.gap),
                   ("Cases needed", section.needed), (content.comparator_label, section.benchmark)]
        strip = Table([[status_cell(section.status, badge), *[Paragraph(_x(v), big) for _, v in figures]],
                       ["", *[Paragraph(_x(k), label) for k, _ in figures]]],
                      colWidths=[34 * mm] + [(width - 34 * mm) / 5] * 5)
        strip.setStyle(TableStyle([
            ("SPAN", (0, 0), (0, 1)), ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("BACKGROUND", (0, 0), (0, 1), hex_(STATUS_TINTS[section.status])),
            ("LINEBEFORE", (0, 0), (0, 1), 4, hex_(theme.RAG_COLOURS[section.status])),
            ("BACKGROUND", (1, 0), (-1, 1), hex_(ZEBRA)), ("LEFTPADDING", (0, 0), (-1, -1), 6),
            ("TOPPADDING", (0, 0), (-1, 0), 6), ("BOTTOMPADDING", (0, 1), (-1, 1), 6),
        ]))
        width_px, height_px = section.chart_size
        chart_h = width * height_px / width_px
        details = [f"Numbers: {section.numbers}." if section.numbers else "",
                   f"Compared with {content.comparator_name}: {section.comparison.lower()}." if section.comparison
                   else "", f"Target: {section.target_rule}." if section.target_rule else ""]
        story += [strip, Spacer(1, 4 * mm), Paragraph(_x_bold(section.reading), body),
                  Paragraph(_x(" ".join(d for d in details if d)), small),
                  Image(io.BytesIO(section.chart_png), width=width, height=chart_h), Spacer(1, 2 * mm),
                  Paragraph(_x_bold(section.variation), small),
                  Paragraph(_x(f"Definition: {section.definition}"), small)]

    if not content.measures:
        story += [PageBreak(), Section("Measures with a target", "2. Measures with a target"),
                  Paragraph("2. Measures with a target", h1), Paragraph(_x(NO_TARGETS), body)]

    # 3. The exception report.
    story += [PageBreak(), Section("Exception report", f"3. Exception report, {content.period}"),
              Paragraph(f"3. Exception report, {content.period}", h1),
              Paragraph(_x("Every provider and team off target (red) or near it (amber) on a measure with a "
                           "target, as the joint commissioning group asks providers to report. Partnership "
                           "figures are in the scorecard."), body)]
    if content.exceptions:
        rows = [[status_cell(e.status), e.level, e.unit, e.measure, e.value, e.target, e.gap, e.needed]
                for e in content.exceptions]
        breaks = [i for i in range(1, len(content.exceptions))
                  if content.exceptions[i].level != content.exceptions[i - 1].level]
        story.append(data_table(["Status", "Level", "Provider or team", "Measure", "Value", "Target", "Gap",
                                 "Cases needed"], rows, [27, 16, 26, 44, 14, 14, 17, 16],
                                [e.status for e in content.exceptions], right_from=4, group_breaks=breaks))
        story += [Spacer(1, 3 * mm), Paragraph(_x(f"{PROVISIONAL_NOTE} {SUPPRESSED_NOTE}"), small)]
    else:
        story.append(Paragraph("No provider or team is off or near target this quarter.", body))

    # Appendix: definitions.
    story += [PageBreak(), Section("Appendix: definitions", "Appendix: definitions"), Paragraph("Appendix: definitions", h1),
              Paragraph(_x("Each figure counts the rolling 12 months to the quarter's end, after the NDTMS and "
                           "Public Health Outcomes Framework conventions. Proportions come with Wilson score "
                           "confidence intervals; comparisons with a benchmark use the 95% interval. Trend "
                           "readings use NHS England's Making Data Count statistical process control."), body)]
    family = ""
    for d in content.definitions:
        parts = []
        if d.family != family:
            family = d.family
            parts.append(CondPageBreak(30 * mm))
            parts.append(Paragraph(_x(family), style("fam", fontName=fonts.bold, fontSize=10.5, leading=14,
                                                     textColor=hex_(theme.DARK_BLUE), spaceBefore=6,
                                                     spaceAfter=2)))
        text = f"<b>{_x(d.name)}</b> <font color='{theme.SECONDARY_TEXT}'>({_x(d.kpi)}; {_x(d.kind)})</font><br/>"
        text += _x(d.definition)
        if d.target:
            text += f"<br/><i>Target for {content.period}: {_x(d.target)}</i>"
        parts.append(Paragraph(text, style("def", fontSize=8.5, leading=11, spaceAfter=5)))
        story.append(KeepTogether(parts))

    doc.multiBuild(story, canvasmaker=PackCanvas)
    return buffer.getvalue()


# --------------------------------------------------------------------------------------------
# PowerPoint (python-pptx, 16:9)
# --------------------------------------------------------------------------------------------

_SLIDE_EMU = (12_192_000, 6_858_000)  # PowerPoint's own 16:9 (13.333 x 7.5 inches)
_SLIDE_W, _SLIDE_H = _SLIDE_EMU[0] / 914_400, _SLIDE_EMU[1] / 914_400
_PPT_FONT = "Arial"


def render_pptx(content: PackContent) -> bytes:
    """The pack as a 16:9 PowerPoint deck."""
    from pptx import Presentation
    from pptx.dml.color import RGBColor
    from pptx.enum.shapes import MSO_SHAPE
    from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
    from pptx.util import Emu, Inches, Pt

    def rgb(hex_colour: str) -> RGBColor:
        return RGBColor.from_string(hex_colour.lstrip("#").upper())

    prs = Presentation()
    prs.slide_width, prs.slide_height = Emu(_SLIDE_EMU[0]), Emu(_SLIDE_EMU[1])
    props = prs.core_properties
    props.title = f"{PACK_TITLE}: {content.area_name}, {content.period}"
    props.subject = "Board pack for the joint commissioning group"
    props.author = "Drug and alcohol treatment dashboard"
    blank = prs.slide_layouts[6]
    total = slide_count(content)

    def text(slide, x: float, y: float, w: float, h: float, paragraphs: Sequence[object], *, size: float = 14,
             colour: str = theme.TEXT, bold: bool = False, align: object = None, anchor: object = None,
             space_after: float = 0) -> object:
        box = slide.shapes.add_textbox(Inches(x), Inches(y), Inches(w), Inches(h))
        frame = box.text_frame
        frame.word_wrap = True
        frame.margin_left = frame.margin_right = frame.margin_top = frame.margin_bottom = 0
        if anchor is not None:
            frame.vertical_anchor = anchor
        for i, para in enumerate(paragraphs):
            p = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
            if align is not None:
                p.alignment = align
            p.space_after = Pt(space_after)
            runs = para if isinstance(para, list) else [(str(para), bold)]
            for run_text, run_bold, *rest in runs:
                run = p.add_run()
                run.text = run_text
                run.font.name = _PPT_FONT
                run.font.size = Pt(rest[1] if len(rest) > 1 else size)
                run.font.bold = run_bold
                run.font.color.rgb = rgb(rest[0] if rest and rest[0] else colour)
        return box

    def rect(slide, x: float, y: float, w: float, h: float, fill: str, line: str | None = None) -> object:
        shape = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, Inches(x), Inches(y), Inches(w), Inches(h))
        shape.fill.solid()
        shape.fill.fore_color.rgb = rgb(fill)
        if line:
            shape.line.color.rgb = rgb(line)
            shape.line.width = Pt(1.5)
        else:
            shape.line.fill.background()
        shape.shadow.inherit = False
        return shape

    def new_slide(title: str, section: str, number: int) -> object:
        slide = prs.slides.add_slide(blank)
        text(slide, 0.5, 0.25, 9.5, 0.3, [content.running_head], size=11, colour=theme.SECONDARY_TEXT)
        text(slide, 0.5, 0.55, 12.3, 0.6, [title], size=26, bold=True, colour=theme.DARK_BLUE,
             anchor=MSO_ANCHOR.TOP)
        rect(slide, 0.5, 1.17, 12.333, 0.03, theme.DARK_BLUE)
        footer(slide, number, section)
        return slide

    def footer(slide, number: int, section: str) -> None:
        rect(slide, 0.5, 6.98, 12.333, 0.01, theme.GRIDLINE)
        text(slide, 0.5, 7.05, 9.8, 0.3, [f"{content.source}. Produced {reports.long_date(content.produced)}."], size=10,
             colour=theme.SECONDARY_TEXT)
        text(slide, 10.3, 7.05, 2.533, 0.3, [f"{section} · {number} / {total}"], size=10,
             colour=theme.SECONDARY_TEXT, align=PP_ALIGN.RIGHT)
        if content.demo:
            badge = rect(slide, 10.25, 0.2, 2.583, 0.34, "#FFFFFF", line=theme.DARK_PINK)
            frame = badge.text_frame
            frame.margin_left = frame.margin_right = frame.margin_top = frame.margin_bottom = 0
            p = frame.paragraphs[0]
            p.alignment = PP_ALIGN.CENTER
            run = p.add_run()
            run.text = DEMO_MARK
            run.font.name, run.font.size, run.font.bold = _PPT_FONT, Pt(11), True
            run.font.color.rgb = rgb(theme.DARK_PINK)

    def table(slide, y: float, headers: list[str], widths: list[float], rows: list[list[str]],
              statuses: list[str], *, right_from: int, size: float, row_h: float) -> None:
        shape = slide.shapes.add_table(len(rows) + 1, len(headers), Inches(0.5), Inches(y),
                                       Inches(sum(widths)), Inches(row_h * (len(rows) + 1)))
        tbl = shape.table
        # "No Style, No Grid": every fill below is set by hand, so the theme's banding cannot recolour it.
        tbl._tbl.tblPr.find("{http://schemas.openxmlformats.org/drawingml/2006/main}tableStyleId").text = (
            "{2D5ABB26-0587-4C30-8999-92F81FD0307C}")
        for j, w in enumerate(widths):
            tbl.columns[j].width = Inches(w)
        for i in range(len(rows) + 1):
            tbl.rows[i].height = Inches(row_h)
        for i, values in enumerate([headers, *rows]):
            status = statuses[i - 1] if i else ""
            for j, value in enumerate(values):
                c = tbl.cell(i, j)
                c.margin_left = c.margin_right = Inches(0.06)
                c.margin_top = c.margin_bottom = Inches(0.02)
                c.vertical_anchor = MSO_ANCHOR.MIDDLE
                c.fill.solid()
                if i == 0:
                    c.fill.fore_color.rgb = rgb(theme.DARK_BLUE)
                elif j == 0:
                    c.fill.fore_color.rgb = rgb(STATUS_TINTS[status])
                else:
                    c.fill.fore_color.rgb = rgb(ZEBRA if i % 2 == 0 else "#FFFFFF")
                p = c.text_frame.paragraphs[0]
                p.alignment = PP_ALIGN.RIGHT if j >= right_from else PP_ALIGN.LEFT
                run = p.add_run()
                run.text = value
                run.font.name, run.font.size = _PPT_FONT, Pt(size)
                run.font.bold = i == 0 or j == 0
                run.font.color.rgb = rgb("#FFFFFF" if i == 0 else theme.RAG_TEXT_COLOURS[status] if j == 0
                                         else theme.TEXT)

    number = 1
    # Cover.
    slide = prs.slides.add_slide(blank)
    rect(slide, 0, 0, _SLIDE_W, 3.6, theme.DARK_BLUE)
    rect(slide, 0, 3.6, _SLIDE_W, 0.08, theme.TURQUOISE)
    text(slide, 0.7, 0.7, 11.5, 0.4, ["BOARD PACK FOR THE JOINT COMMISSIONING GROUP"], size=13, bold=True,
         colour="#FFFFFF")
    cover_name = plain_text.shorten(content.area_name, plain_text.TITLE)
    cover_size = 40 if len(cover_name) <= 30 else 30 if len(cover_name) <= 42 else 24  # a long name on one line
    text(slide, 0.7, 1.15, 11.5, 0.9, [cover_name], size=cover_size, bold=True, colour="#FFFFFF")
    text(slide, 0.7, 2.1, 11.5, 0.5, [f"{PACK_TITLE}, {content.period}"], size=22, colour="#FFFFFF")
    text(slide, 0.7, 2.7, 11.5, 0.7, [f"Rolling 12 months to {reports.long_date(content.window_end)}",
                                      f"Produced {reports.long_date(content.produced)} · compared with "
                                      f"{content.comparator_name}"], size=15, colour="#FFFFFF")
    for j, status in enumerate(("red", "amber", "green", "grey")):
        x = 0.7 + j * 3.0
        rect(slide, x, 4.05, 2.8, 1.35, STATUS_TINTS[status])
        rect(slide, x, 4.05, 2.8, 0.07, theme.RAG_COLOURS[status])
        text(slide, x + 0.2, 4.2, 2.5, 0.6, [f"{STATUS_SYMBOLS[status]} {content.counts[status]}"], size=30,
             bold=True, colour=theme.RAG_TEXT_COLOURS[status])
        text(slide, x + 0.2, 4.85, 2.5, 0.45, [STATUS_WORDS[status]], size=14, colour=theme.TEXT)
    if content.demo:
        box = rect(slide, 0.7, 5.65, 11.8, 0.95, "#FFFFFF", line=theme.DARK_PINK)
        box.text_frame.text = ""
        text(slide, 0.9, 5.73, 11.4, 0.8, [[(DEMO_MARK, True, theme.DARK_PINK, 16)],
                                           [("Every figure comes from the dashboard's synthetic demo data: no "
                                             "real people, no real service.", False, theme.TEXT, 13)]])
    text(slide, 0.7, 7.05, 12.0, 0.3, [f"{content.source}."], size=10, colour=theme.SECONDARY_TEXT)

    # Scorecard.
    chunks = _chunks(content.scorecard, SCORECARD_SLIDE_ROWS)
    for k, chunk in enumerate(chunks, start=1):
        number += 1
        more = f" ({k} of {len(chunks)})" if len(chunks) > 1 else ""
        slide = new_slide(f"Scorecard, {content.period}{more}", "Scorecard", number)
        table(slide, 1.35, ["Status", "Measure", "Value", "Target", "Gap", "Cases needed", content.comparator_label,
                            f"vs {content.comparator_label}"],
              [1.75, 4.1, 1.0, 1.0, 1.05, 1.25, 1.0, 1.183],
              [[_status_text(x.status), x.measure, x.value, x.target, x.gap, x.needed, x.benchmark, x.comparison]
               for x in chunk], [x.status for x in chunk], right_from=2, size=11, row_h=0.36)
        # With measures lacking an extract, the key says what 'no data' and '(pt)' mean (a size smaller, to
        # keep to its two lines) and the speaker notes say which extracts to upload.
        covered = f" {COVERAGE_NOTE}" if content.coverage_notes else ""
        text(slide, 0.5, 6.45, 12.3, 0.45, [
            "✖ Off target · ▲ Near target (within the amber margin) · ✔ On target · – No target or data. "
            f"Gap: value minus target, negative is worse. {PROVISIONAL_NOTE} {SUPPRESSED_NOTE}{covered}"],
            size=9 if covered else 10, colour=theme.SECONDARY_TEXT)
        if content.coverage_notes or content.published_notes:
            slide.notes_slide.notes_text_frame.text = "\n".join(
                (*content.coverage_notes, *((PUBLISHED_NOTE, *content.published_notes) if content.published_notes
                                             else ())))

    # One slide per measure with a target.
    for k, section in enumerate(content.measures, start=1):
        number += 1
        slide = new_slide(section.name, f"Measure {k} of {len(content.measures)}", number)
        width_px, height_px = section.chart_size
        chart_h = 5.6
        chart_w = chart_h * width_px / height_px
        if chart_w > 7.4:
            chart_w, chart_h = 7.4, 7.4 * height_px / width_px
        slide.shapes.add_picture(io.BytesIO(section.chart_png), Inches(0.5), Inches(1.3), Inches(chart_w),
                                 Inches(chart_h))
        x = 0.5 + chart_w + 0.3
        w = _SLIDE_W - 0.5 - x
        rect(slide, x, 1.35, w, 0.5, STATUS_TINTS[section.status])
        rect(slide, x, 1.35, 0.08, 0.5, theme.RAG_COLOURS[section.status])
        text(slide, x + 0.2, 1.35, w - 0.3, 0.5, [_status_text(section.status)], size=18, bold=True,
             colour=theme.RAG_TEXT_COLOURS[section.status], anchor=MSO_ANCHOR.MIDDLE)
        tiles = [("Value", section.value), ("Target", section.target), ("Gap", section.gap),
                 ("Cases needed", section.needed), (content.comparator_label, section.benchmark),
                 (f"Compared with {content.comparator_label}", section.comparison or "–")]
        tile_w = (w - 0.15) / 2
        for t, (name, value) in enumerate(tiles):
            tx, ty = x + (t % 2) * (tile_w + 0.15), 2.0 + (t // 2) * 0.95
            rect(slide, tx, ty, tile_w, 0.85, ZEBRA)
            text(slide, tx + 0.15, ty + 0.06, tile_w - 0.2, 0.45, [value], size=20 if len(value) < 12 else 15,
                 bold=True)
            text(slide, tx + 0.15, ty + 0.55, tile_w - 0.2, 0.25, [name], size=10, colour=theme.SECONDARY_TEXT)
        reading = [(t, b) for t, b in _bold_runs(section.reading)]
        text(slide, x, 4.95, w, 1.3, [reading], size=13, space_after=4)
        variation = section.variation.split(". ", 1)[0].replace("**", "") + "." if section.variation else ""
        text(slide, x, 6.3, w, 0.6, [" ".join(t for t in (variation, f"Numbers: {section.numbers}."
                                                           if section.numbers else "") if t)],
             size=10, colour=theme.SECONDARY_TEXT)
        notes = slide.notes_slide.notes_text_frame
        notes.text = "\n".join([section.reading.replace("**", ""), section.variation.replace("**", ""),
                                f"Target: {section.target_rule}.", f"Definition: {section.definition}"])

    if not content.measures:
        number += 1
        slide = new_slide("Measures with a target", "Measures", number)
        text(slide, 0.5, 1.5, 12.3, 0.6, [NO_TARGETS], size=18)

    # Exception report.
    chunks = _chunks(content.exceptions, EXCEPTION_SLIDE_ROWS)
    for k, chunk in enumerate(chunks, start=1):
        number += 1
        more = f" ({k} of {len(chunks)})" if len(chunks) > 1 else ""
        slide = new_slide(f"Exception report, {content.period}{more}", "Exception report", number)
        if not chunk:
            text(slide, 0.5, 1.5, 12.3, 0.6, ["No provider or team is off or near target this quarter."], size=18)
            continue
        table(slide, 1.35, ["Status", "Level", "Provider or team", "Measure", "Value", "Target", "Gap",
                            "Cases needed"], [1.6, 0.9, 1.75, 4.1, 0.95, 0.9, 1.0, 1.133],
              [[_status_text(e.status), e.level, e.unit, e.measure, e.value, e.target, e.gap, e.needed]
               for e in chunk], [e.status for e in chunk], right_from=4, size=10.5, row_h=0.34)
        text(slide, 0.5, 6.55, 12.3, 0.35, [f"Providers and teams off or near target. {PROVISIONAL_NOTE} "
                                            f"{SUPPRESSED_NOTE}"], size=10, colour=theme.SECONDARY_TEXT)

    # Appendix: definitions.
    chunks = _chunks(content.definitions, DEFINITION_SLIDE_ROWS)
    for k, chunk in enumerate(chunks, start=1):
        number += 1
        slide = new_slide(f"Appendix: definitions ({k} of {len(chunks)})", "Appendix", number)
        y = 1.35
        for d in chunk:
            text(slide, 0.5, y, 3.6, 0.55, [[(d.name, True)], [(f"{d.kpi}; {d.kind}", False,
                                                                 theme.SECONDARY_TEXT, 9)]], size=11)
            body = [d.definition] + ([[(f"Target for {content.period}: {d.target}", False, theme.DARK_BLUE, 10)]]
                                     if d.target else [])
            text(slide, 4.3, y, 8.5, 0.55, body, size=10.5)
            y += 0.6
    buffer = io.BytesIO()
    prs.save(buffer)
    return buffer.getvalue()


# --------------------------------------------------------------------------------------------
# The two entry points
# --------------------------------------------------------------------------------------------


def board_pack_pdf(store: Store, *, area: str, period: Quarter | str, targets: TargetSet,
                   comparator: str = ENGLAND, produced: date | None = None) -> bytes:
    """The quarterly board pack for one partnership as an A4 PDF's bytes.

    Raises :class:`PackError` when the partnership has no figures for the quarter, and
    ``charts.export.ExportUnavailable`` when the charts cannot be drawn (no Chromium).
    """
    return render_pdf(pack_content(store, area=area, period=period, targets=targets, comparator=comparator,
                                   produced=produced))


def board_pack_pptx(store: Store, *, area: str, period: Quarter | str, targets: TargetSet,
                    comparator: str = ENGLAND, produced: date | None = None) -> bytes:
    """The quarterly board pack for one partnership as a 16:9 PowerPoint deck's bytes (errors as
    :func:`board_pack_pdf`)."""
    return render_pptx(pack_content(store, area=area, period=period, targets=targets, comparator=comparator,
                                    produced=produced))


__all__ = [
    "PackContent", "PackError", "area_names", "board_pack_pdf", "board_pack_pptx", "breakdown_frame",
    "check_selection", "data_source", "pack_content", "protect_levels", "render_pdf", "render_pptx",
    "slide_count", "trajectory_chart",
]
