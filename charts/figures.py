"""Pure chart builders: a DataFrame from ``metrics.reports`` in, a plotly Figure out.

Each builder takes the frame a ``metrics.reports`` function returns (columns ``FIELDS``, plus
``SPC_FIELDS`` for a series and ``FUNNEL_FIELDS`` for a funnel), the measure, the names to put
in the title and the source line, and returns a figure in the house style
(:mod:`charts.theme`). None of them reads a database or changes its input. An empty frame, or
one with no values, gives a figure that says "No data for this selection" rather than an
error.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from charts import plain_text
from charts.tables import CHART_ALL_HIDDEN, HIDDEN_COLUMN
from charts.theme import (
    BAND_FILL,
    BENCHMARK_LINE,
    CATEGORICAL,
    CONNECTOR_GREY,
    DARK_BLUE,
    DARK_GREY,
    DARK_PINK,
    DESIGN_WIDTH,
    FONT_FAMILY,
    LIGHT_PURPLE,
    LIMIT_GREY,
    ORANGE,
    POINT_GREY,
    RAG_TEXT_COLOURS,
    TARGET_LINE,
    TEXT,
    TURQUOISE,
    apply_house_layout,
    axis_title,
    chart_title,
    format_change,
    format_interval,
    format_value,
    is_missing,
    no_data_figure,
    period_span,
)
from metrics import spc, statistics
from metrics.registry import Measure, UnknownMeasure
from metrics.registry import measure as registered_measure
from metrics.targets import STATUS_SYMBOLS, STATUS_WORDS

QUARTER_AXIS_TITLE = "Quarter (each point: the 12 months to the quarter's end)"
PERIOD_AXIS_TITLE = "Period (each point: the period the figure was published for)"  # an uploaded indicator
MONTH_AXIS_TITLE = "Month"
BAND_NAME = "95% confidence interval"
PROVISIONAL_NAME = "provisional"
TARGET_NAME = "Target"


def _standing_alone(present: np.ndarray) -> np.ndarray:
    """Which points have no present neighbour on either side: a line or band cannot show them."""
    return present & ~np.concatenate([[False], present[:-1]]) & ~np.concatenate([present[1:], [False]])


def _x_title(m: Measure) -> str:
    """What a trend chart's points are: quarters' rolling 12 months, or an indicator's own periods."""
    return PERIOD_AXIS_TITLE if m.family == "indicator" else QUARTER_AXIS_TITLE


def _reference_line(values: np.ndarray, line: dict[str, object]) -> dict[str, object]:
    """How to draw a target or comparator line: a line, with a short dash marking any quarter that has
    no neighbour to join (a single quarter, or one between gaps), which a plain line would not show."""
    alone = _standing_alone(np.isfinite(np.asarray(values, dtype=float)))
    if not alone.any():
        return {"mode": "lines"}
    return {"mode": "lines+markers",
            "marker": {"symbol": "line-ew", "size": np.where(alone, 18, 0).tolist(),
                       "line": {"color": line["color"], "width": 3}}}

def say_all_withheld(fig: go.Figure) -> go.Figure:
    """A chart drawn from ``charts.tables.hide_small``'s figures: when nothing was left to draw, it
    says the figures were withheld instead of "No data for this selection"."""
    return fig.update_annotations(selector={"name": "no_data"}, text=CHART_ALL_HIDDEN)


# Making Data Count: blue for improvement, orange for concern, grey for common cause; purple
# for special cause on a measure with no better direction. Each also has its own marker shape.
SPC_STYLES: dict[str, dict[str, str]] = {
    spc.COMMON_CAUSE: {"name": "Common cause variation", "color": POINT_GREY, "symbol": "circle"},
    spc.IMPROVEMENT: {"name": "Special cause: improvement", "color": DARK_BLUE, "symbol": "diamond"},
    spc.CONCERN: {"name": "Special cause: concern", "color": ORANGE, "symbol": "square"},
    spc.NEUTRAL: {"name": "Special cause: neither better nor worse", "color": LIGHT_PURPLE,
                  "symbol": "hexagon"},
}

VARIATION_WORDS = {
    spc.VARIATION_IMPROVEMENT: "special cause improvement — the latest quarter shows a significant change for "
                               "the better",
    spc.VARIATION_CONCERN: "special cause concern — the latest quarter shows a significant change for the worse",
    spc.VARIATION_NEUTRAL_HIGH: "special cause, higher — a significant rise in the latest quarter (neither "
                                "better nor worse)",
    spc.VARIATION_NEUTRAL_LOW: "special cause, lower — a significant fall in the latest quarter (neither "
                               "better nor worse)",
    spc.VARIATION_COMMON_CAUSE: "common cause — no significant change in the latest quarter",
    "": "not assessed — too few points",
}
ASSURANCE_WORDS = {
    spc.ASSURANCE_PASS: "consistent pass — the process will meet the target in almost every quarter",
    spc.ASSURANCE_FAIL: "consistent fail — the process will miss the target unless something changes",
    spc.ASSURANCE_HIT_AND_MISS: "hit and miss — the target lies within the process limits, so it will be met "
                                "in some quarters and missed in others",
    "": "not assessed — no target, or no better direction",
}
SPC_EXPLAINER = ("Statistical process control (XmR) chart: points beyond the dashed process limits, or unusual "
                 "runs, show special cause variation.")

# Funnel significance: colour and shape, direction shown by the triangle's point.
FUNNEL_STYLES: dict[str, dict[str, str]] = {
    statistics.HIGH_0001: {"color": DARK_BLUE, "symbol": "triangle-up"},
    statistics.HIGH_0025: {"color": TURQUOISE, "symbol": "triangle-up-open"},
    statistics.NOT_SIGNIFICANT: {"color": POINT_GREY, "symbol": "circle"},
    statistics.LOW_0025: {"color": ORANGE, "symbol": "triangle-down-open"},
    statistics.LOW_0001: {"color": DARK_PINK, "symbol": "triangle-down"},
}
FUNNEL_ORDER = (statistics.HIGH_0001, statistics.HIGH_0025, statistics.NOT_SIGNIFICANT, statistics.LOW_0025,
                statistics.LOW_0001)
BAR_FILL = "#A0B4C5"  # dark blue at 40% on white: error bars and values in black stay legible on it
FUNNEL_LABEL_LIMIT = 15  # label points by name up to this many; beyond it, names are in the hover


# --------------------------------------------------------------------------------------------
# Shared pieces
# --------------------------------------------------------------------------------------------


def resolve_measure(measure: Measure | str, df: pd.DataFrame | None = None) -> Measure:
    """The registry's measure, or for an uploaded indicator a stand-in built from its rows
    (its name, and 'percent' when it was uploaded as a percentage)."""
    if isinstance(measure, Measure):
        return measure
    try:
        return registered_measure(measure)
    except UnknownMeasure:
        name, unit = measure, "count"
        if df is not None and not df.empty:
            if "name" in df and df["name"].notna().any():
                name = str(df["name"].dropna().iloc[-1])
            if "unit" in df and df["unit"].notna().any():
                raw = str(df["unit"].dropna().iloc[-1]).strip().lower()
                unit = "percent" if raw in ("percent", "%", "percentage") else (
                    "proportion" if raw == "proportion" else "rate" if raw == "rate" else "count")
        return Measure(measure, name, unit, "neutral", "indicator", "indicators", "", ())


def status_label(status: object) -> str:
    """A status as symbol and word, e.g. '✖ Off target'."""
    key = str(status) if not is_missing(status) and str(status) in STATUS_WORDS else "grey"
    return f"{STATUS_SYMBOLS[key]} {STATUS_WORDS[key]}"


def _select_group(df: pd.DataFrame, group: str | None) -> tuple[pd.DataFrame, str]:
    """The rows of one series: the group asked for, else the partnership as a whole ('' group),
    else the first group; with the group's name for the title ('' for the whole)."""
    rows, chosen = df, ""
    if not df.empty and "group" in df:
        groups = df["group"].fillna("").astype(str)
        chosen = group if group is not None else "" if (groups == "").any() else sorted(groups.unique())[0]
        rows = df[groups == chosen]
    if "period" in rows:
        rows = rows.sort_values("period", kind="stable")
    return rows.reset_index(drop=True), chosen


def _has_values(df: pd.DataFrame, column: str = "value") -> bool:
    return not df.empty and column in df and pd.to_numeric(df[column], errors="coerce").notna().any()


def _numbers(df: pd.DataFrame, column: str) -> np.ndarray:
    if column not in df:
        return np.full(len(df), np.nan)
    return pd.to_numeric(df[column], errors="coerce").to_numpy(dtype=float)


def _count_text(numerator: object, denominator: object, unit: str) -> str:
    if unit in ("proportion", "rate", "percent") and not is_missing(numerator) and not is_missing(denominator):
        return f"{float(numerator):,.0f} of {float(denominator):,.0f}"  # type: ignore[arg-type]
    if unit == "count" and not is_missing(numerator):
        return f"{float(numerator):,.0f}"  # type: ignore[arg-type]
    return "–"


def _flag(value: object) -> bool:
    if is_missing(value):
        return False
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes", "provisional")
    return bool(value)


def _quarter_ticks(periods: Sequence[str], *, max_labels: int = 8) -> dict[str, object]:
    """Category ticks for quarter labels: year over quarter, thinned so that no more than
    ``max_labels`` show (about 65 px each at the design width), never rotated."""
    labels = list(periods)
    # Steps of 1, 2 or 4 quarters (then whole years), so the labels fall on the same quarter.
    step = next(s for s in itertools.chain((1, 2), itertools.count(4, 4)) if len(labels) <= s * max_labels)
    # Keep the latest quarter labelled: count back from it.
    shown = labels[::-1][::step][::-1]
    return {"type": "category", "categoryorder": "array", "categoryarray": labels, "tickmode": "array",
            "tickvals": shown, "ticktext": [str(p).replace(" ", "<br>", 1) for p in shown], "tickangle": 0}


def _name_for(row: pd.Series, labels: Mapping[str, str] | None) -> str:
    """A point's or bar's name, as its file gave it: ``plain_text.for_plotly`` it before plotly sees it."""
    key = str(row.get("group") or "") or str(row.get("area") or "")
    if labels and key in labels:
        return labels[key]
    # metrics.reports names providers, teams and areas (group_name, area_name) where it can.
    named = str(row.get("group_name") or "") if row.get("group") else str(row.get("area_name") or "")
    return named or key or "All"


def _legend_name(name: str) -> str:
    """A name from a file as a legend entry (or in hover text): shown as written, shortened."""
    return plain_text.for_plotly(name, limit=plain_text.LEGEND)


def _target_values(df: pd.DataFrame) -> np.ndarray:
    return _numbers(df, "target")


# --------------------------------------------------------------------------------------------
# 1. Trend over quarters
# --------------------------------------------------------------------------------------------


def trend_figure(series_df: pd.DataFrame, *, measure: Measure | str, area_name: str, source: str, demo: bool,
                 group: str | None = None, benchmark_name: str = "England") -> go.Figure:
    """A measure quarter by quarter: the value with its 95% confidence interval as a band,
    the target path (dashed), the benchmark (dotted) and provisional points as hollow markers.

    ``series_df`` is ``metrics.reports.series``. With breakdown rows, ``group`` picks one
    (default: the partnership as a whole). ``benchmark_name`` names the benchmark line: the
    comparator the series was worked out against (``reports.series(comparator=...)``).
    """
    m = resolve_measure(measure, series_df)
    rows, chosen = _select_group(series_df, group)
    what = f"{m.name}, {chosen}" if chosen else m.name
    if not _has_values(rows):
        return no_data_figure(title=chart_title(what, area_name, period_span(rows.get("period", []))),
                              source=source, demo=demo)

    periods = rows["period"].astype(str).tolist()
    value, lower, upper = _numbers(rows, "value"), _numbers(rows, "lower95"), _numbers(rows, "upper95")
    target, benchmark = _target_values(rows), _numbers(rows, "benchmark")
    provisional = np.array([_flag(v) for v in rows.get("provisional", [False] * len(rows))], dtype=bool)
    covered = [str(c) for c in rows.get("coverage", ["full"] * len(rows))]  # metrics/coverage.py
    partial = np.array([c == "partial" for c in covered], dtype=bool)
    statuses = rows.get("status", pd.Series(["grey"] * len(rows)))

    fig = go.Figure()
    if np.isfinite(lower).any() and np.isfinite(upper).any():
        fig.add_trace(go.Scatter(x=periods, y=upper, mode="lines", line={"width": 0}, hoverinfo="skip",
                                 showlegend=False, name="Upper 95% limit", legendgroup="band"))
        fig.add_trace(go.Scatter(x=periods, y=lower, mode="lines", line={"width": 0}, fill="tonexty",
                                 fillcolor=BAND_FILL, hoverinfo="skip", name=BAND_NAME, legendgroup="band"))
        # A band needs two quarters side by side: a quarter standing alone gets its interval as a bar.
        alone = _standing_alone(np.isfinite(lower) & np.isfinite(upper) & np.isfinite(value))
        if alone.any():
            fig.add_trace(go.Scatter(
                x=[p for p, a in zip(periods, alone, strict=True) if a], y=value[alone], mode="markers",
                marker={"size": 1, "opacity": 0}, hoverinfo="skip", showlegend=False, name="Interval of a lone quarter",
                legendgroup="band", error_y={"type": "data", "symmetric": False, "array": (upper - value)[alone],
                                             "arrayminus": (value - lower)[alone], "color": BAND_FILL,
                                             "thickness": 14, "width": 0}))

    custom = np.array([
        [format_value(v, m.unit) + (" (provisional)" if p else ""), format_interval(lo, hi, m.unit) or "–",
         _count_text(n, d, m.unit), format_value(t, m.unit) if not is_missing(t) else "none",
         status_label(s)]
        for v, lo, hi, n, d, t, s, p in zip(value, lower, upper, rows.get("numerator", [None] * len(rows)),
                                            rows.get("denominator", [None] * len(rows)), target, statuses,
                                            provisional, strict=True)
    ], dtype=object)
    if partial.any():
        custom[partial, 0] = [f"{text} (partial)" for text in custom[partial, 0]]
    fig.add_trace(go.Scatter(
        x=periods, y=value, mode="lines+markers", name=_legend_name(area_name or m.name),
        line={"color": DARK_BLUE, "width": 2.5}, marker={"color": DARK_BLUE, "size": 7},
        customdata=custom,
        hovertemplate=("Value: %{customdata[0]}<br>95% interval: %{customdata[1]}<br>"
                       "Numerator / denominator: %{customdata[2]}<br>Target: %{customdata[3]}<br>"
                       "Status: %{customdata[4]}<extra></extra>"),
    ))
    if provisional.any():
        fig.add_trace(go.Scatter(
            x=[p for p, flag in zip(periods, provisional, strict=True) if flag], y=value[provisional],
            mode="markers", name=PROVISIONAL_NAME, hoverinfo="skip",
            marker={"color": "white", "size": 10, "symbol": "circle", "line": {"color": DARK_BLUE, "width": 2}},
        ))
    if np.isfinite(target).any():
        fig.add_trace(go.Scatter(x=periods, y=target, name=TARGET_NAME, line=TARGET_LINE,
                                 hovertemplate="Target: %{y}<extra></extra>", **_reference_line(target, TARGET_LINE)))
    # A count is the area's size, not its performance: England's count on the same axis would flatten the
    # partnership's line to nothing (Barnet's 1,435 under England's 300,000), so it is not drawn.
    hidden_count = np.isfinite(benchmark).any() and m.unit == "count"
    if np.isfinite(benchmark).any() and not hidden_count:
        fig.add_trace(go.Scatter(x=periods, y=benchmark, name=_legend_name(benchmark_name), line=BENCHMARK_LINE,
                                 hovertemplate=f"{_legend_name(benchmark_name)}: %{{y}}<extra></extra>",
                                 **_reference_line(benchmark, BENCHMARK_LINE)))

    notes = []
    if provisional.any():
        notes.append("Hollow markers: provisional figures, which may change as later data arrive.")
    if partial.any():
        notes.append("Partial: in some quarters the extract this measure needs covers only part of the 12 months.")
    if "none" in covered:
        notes.append("Gaps: quarters whose 12 months no uploaded extract for this measure covers (no data, not zero).")
    if hidden_count:
        notes.append(f"{plain_text.for_plotly(benchmark_name or 'The comparator', limit=plain_text.LEGEND)}'s count "
                     "is not drawn (a count is the size of an area); it is in the table of figures.")
    apply_house_layout(fig, title=chart_title(what, area_name, period_span(periods)), source=source, demo=demo,
                       x_title=_x_title(m), y_title=axis_title(m), unit=m.unit, notes=notes,
                       x_tick_lines=2)
    fig.update_xaxes(**_quarter_ticks(periods))
    fig.update_yaxes(rangemode="tozero")
    fig.update_layout(hovermode="x unified")
    return fig


# --------------------------------------------------------------------------------------------
# 2. Statistical process control (Making Data Count XmR chart)
# --------------------------------------------------------------------------------------------


def spc_words(series_df: pd.DataFrame) -> tuple[str, str]:
    """The variation and assurance icons of a series in words (for captions and alt text)."""
    rows = series_df.dropna(subset=["value"]) if "value" in series_df else series_df
    variation = str(rows["spc_variation"].iloc[-1]) if not rows.empty and "spc_variation" in rows else ""
    assurance = str(rows["spc_assurance"].iloc[-1]) if not rows.empty and "spc_assurance" in rows else ""
    variation, assurance = ("" if is_missing(variation) else variation), ("" if is_missing(assurance) else assurance)
    return (f"Variation: {VARIATION_WORDS.get(variation, variation)}.",
            f"Assurance: {ASSURANCE_WORDS.get(assurance, assurance)}.")


def spc_figure(series_df: pd.DataFrame, *, measure: Measure | str, area_name: str, source: str, demo: bool,
               group: str | None = None) -> go.Figure:
    """A Making Data Count XmR chart: values with the mean, the process limits (dashed grey)
    and the target, each point coloured and shaped by its variation, and the variation and
    assurance icons written out under the chart.

    ``series_df`` is ``metrics.reports.series`` (with ``SPC_FIELDS``).
    """
    m = resolve_measure(measure, series_df)
    rows, chosen = _select_group(series_df, group)
    what = f"{m.name}, {chosen}" if chosen else m.name
    if not _has_values(rows):
        return no_data_figure(title=chart_title(what, area_name, period_span(rows.get("period", []))),
                              source=source, demo=demo)

    periods = rows["period"].astype(str).tolist()
    value = _numbers(rows, "value")
    mean, lower, upper = _numbers(rows, "spc_mean"), _numbers(rows, "spc_lower"), _numbers(rows, "spc_upper")
    target = _target_values(rows)
    point_types = [("" if is_missing(p) else str(p)) for p in rows.get("spc_point", [""] * len(rows))]
    rules = [("" if is_missing(r) else str(r)) for r in rows.get("spc_rule", [""] * len(rows))]
    points = int(np.isfinite(value).sum())
    has_limits = np.isfinite(mean).any()
    provisional = points < spc.RECOMMENDED_POINTS or any(
        _flag(v) for v in rows.get("spc_provisional", [False]))

    fig = go.Figure()
    if has_limits:
        limit_name = "Process limits (provisional)" if provisional else "Process limits"
        for i, (line, label) in enumerate(((upper, "Upper process limit"), (lower, "Lower process limit"))):
            fig.add_trace(go.Scatter(
                x=periods, y=line, mode="lines", name=limit_name, legendgroup="limits", showlegend=i == 0,
                line={"color": LIMIT_GREY, "width": 1.5, "dash": "dash"},
                hovertemplate=f"{label}: %{{y}}<extra></extra>",
            ))
        fig.add_trace(go.Scatter(x=periods, y=mean, mode="lines", name="Mean",
                                 line={"color": DARK_GREY, "width": 1.5},
                                 hovertemplate="Mean: %{y}<extra></extra>"))
    if np.isfinite(target).any():
        fig.add_trace(go.Scatter(x=periods, y=target, name=TARGET_NAME, line=TARGET_LINE,
                                 hovertemplate="Target: %{y}<extra></extra>", **_reference_line(target, TARGET_LINE)))
    fig.add_trace(go.Scatter(x=periods, y=value, mode="lines", name=_legend_name(area_name or m.name), showlegend=False,
                             line={"color": CONNECTOR_GREY, "width": 1.5}, hoverinfo="skip"))
    for point_type, style in SPC_STYLES.items():
        chosen_points = [i for i, p in enumerate(point_types) if p == point_type and np.isfinite(value[i])]
        if not chosen_points:
            continue
        fig.add_trace(go.Scatter(
            x=[periods[i] for i in chosen_points], y=value[chosen_points], mode="markers", name=style["name"],
            marker={"color": style["color"], "symbol": style["symbol"], "size": 10 if point_type != spc.COMMON_CAUSE
                    else 8, "line": {"color": "white", "width": 1}},
            customdata=[[format_value(value[i], m.unit), style["name"], rules[i] or "–"] for i in chosen_points],
            hovertemplate=("<b>%{x}</b><br>Value: %{customdata[0]}<br>%{customdata[1]}<br>"
                           "Rule: %{customdata[2]}<extra></extra>"),
        ))
    unplaced = [i for i, p in enumerate(point_types) if p not in SPC_STYLES and np.isfinite(value[i])]
    if unplaced:  # too few points for the chart to classify them
        fig.add_trace(go.Scatter(
            x=[periods[i] for i in unplaced], y=value[unplaced], mode="markers", name="Value",
            marker={"color": DARK_GREY, "size": 8},
            hovertemplate="<b>%{x}</b><br>Value: %{y}<extra></extra>",
        ))

    variation_text, assurance_text = spc_words(rows)
    notes = [SPC_EXPLAINER, variation_text.replace("Variation:", "<b>Variation:</b>", 1),
             assurance_text.replace("Assurance:", "<b>Assurance:</b>", 1)]
    if not has_limits:
        notes.append(f"Too few points for process limits (at least {spc.MINIMUM_POINTS} are needed).")
    elif provisional:
        notes.append(f"The limits are provisional (fewer than {spc.RECOMMENDED_POINTS} points).")
    apply_house_layout(fig, title=chart_title(what, area_name, period_span(periods)), source=source,
                       demo=demo, x_title=_x_title(m), y_title=axis_title(m), unit=m.unit, notes=notes,
                       x_tick_lines=2)
    fig.update_xaxes(**_quarter_ticks(periods))
    fig.update_layout(hovermode="closest")
    return fig


# --------------------------------------------------------------------------------------------
# 3. Funnel plot
# --------------------------------------------------------------------------------------------


def funnel_figure(funnel_df: pd.DataFrame, *, measure: Measure | str, period_label: str, area_name: str,
                  level_label: str, source: str, demo: bool, labels: Mapping[str, str] | None = None) -> go.Figure:
    """Providers, teams or partnerships compared on a funnel plot: each at x = its denominator
    and y = its value, around the pooled value with smooth 95% and 99.8% control limits; each
    point coloured and shaped by how far it sits from the pooled value.

    ``funnel_df`` is ``metrics.reports.funnel``. ``level_label`` names what is compared
    ('provider', 'team', 'partnership'); ``labels`` maps codes to display names.
    """
    m = resolve_measure(measure, funnel_df)
    level = level_label.strip().lower() or "group"
    title = chart_title(f"{m.name} by {level}", area_name, period_label)
    rows = funnel_df.copy() if not funnel_df.empty else funnel_df
    if not rows.empty:
        rows = rows[(_numbers(rows, "denominator") > 0) & np.isfinite(_numbers(rows, "value"))]
    if rows.empty:
        return no_data_figure(title=title, source=source, demo=demo)

    numerators, denominators = _numbers(rows, "numerator"), _numbers(rows, "denominator")
    values = _numbers(rows, "value")
    centre_values = _numbers(rows, "funnel_centre")
    centre = float(centre_values[np.isfinite(centre_values)][0]) if np.isfinite(centre_values).any() else \
        statistics.pooled_proportion(numerators=numerators, denominators=denominators)
    if "funnel_significance" in rows:
        significance = rows["funnel_significance"].fillna(statistics.FUNNEL_NO_DATA).astype(str).to_numpy()
    else:
        significance = np.asarray(statistics.funnel_significance(numerators=numerators, denominators=denominators,
                                                                 centre=centre), dtype=object)
    names = [_name_for(r, labels) for _, r in rows.iterrows()]
    shown_names = [plain_text.for_plotly(n) for n in names]

    x_max = _nice_ceiling(float(denominators.max()) * 1.06)
    smooth_n = np.unique(np.concatenate([
        np.geomspace(max(1.0, float(denominators.min()) / 4), x_max, 160),
        statistics.funnel_plot_denominators(denominators),
    ]))
    smooth_n = smooth_n[smooth_n <= x_max]
    limits = statistics.funnel_limits(centre=centre, denominators=smooth_n)

    fig = go.Figure()
    for line, name, dash, show in (
        (limits.upper_998, "99.8% limits", "dot", True), (limits.lower_998, "99.8% limits", "dot", False),
        (limits.upper_95, "95% limits", "dash", True), (limits.lower_95, "95% limits", "dash", False),
    ):
        fig.add_trace(go.Scatter(x=smooth_n, y=np.asarray(line, dtype=float), mode="lines", name=name,
                                 legendgroup=name, showlegend=show, hoverinfo="skip",
                                 line={"color": LIMIT_GREY if name.startswith("99.8") else DARK_GREY,
                                       "width": 1.5, "dash": dash}))
    fig.add_trace(go.Scatter(x=[0, x_max], y=[centre, centre], mode="lines",
                             name=f"Pooled value ({format_value(centre, m.unit)})",
                             line={"color": DARK_GREY, "width": 1.5}, hoverinfo="skip"))

    show_names = len(rows) <= FUNNEL_LABEL_LIMIT
    point_traces: list[tuple[int, np.ndarray]] = []
    for label in FUNNEL_ORDER + tuple(sorted(set(significance) - set(FUNNEL_ORDER))):
        idx = np.flatnonzero(significance == label)
        if idx.size == 0 or label == statistics.FUNNEL_NO_DATA:
            continue
        style = FUNNEL_STYLES.get(label, {"color": DARK_GREY, "symbol": "x"})
        point_traces.append((len(fig.data), idx))
        fig.add_trace(go.Scatter(
            x=denominators[idx], y=values[idx], mode="markers+text" if show_names else "markers", name=label,
            text=[shown_names[i] for i in idx] if show_names else None, textfont={"size": 11, "color": TEXT},
            marker={"color": style["color"], "symbol": style["symbol"], "size": 11 if show_names else 9,
                    "opacity": 1 if show_names else 0.8, "line": {"color": style["color"], "width": 2}},
            customdata=[[shown_names[i], format_value(values[i], m.unit),
                         _count_text(numerators[i], denominators[i], m.unit), label] for i in idx],
            hovertemplate=("<b>%{customdata[0]}</b><br>Value: %{customdata[1]}<br>"
                           "Numerator / denominator: %{customdata[2]}<br>Significance: %{customdata[3]}"
                           "<extra></extra>"),
        ))

    # Frame the points: the funnel flares towards 0 and 100% at tiny denominators, which
    # would squash the points into a thin strip.
    lowest = float(denominators.min())
    at_lowest = statistics.funnel_limits(centre=centre, denominators=np.array([lowest]))
    y_low = min(float(values.min()), float(np.asarray(at_lowest.lower_998)[0]))
    y_high = max(float(values.max()), float(np.asarray(at_lowest.upper_998)[0]))
    pad = (y_high - y_low) * 0.08 or 0.02
    y_range = [y_low - pad, y_high + pad]
    if m.unit == "proportion":
        y_range = [max(0.0, y_range[0]), min(1.0, y_range[1])]
    apply_house_layout(
        fig, title=title, source=source, demo=demo, x_title="Denominator (number of people or events measured)",
        y_title=axis_title(m), unit=m.unit, height=520,
        notes=["Points outside the dashed lines differ from the pooled value at the 95% level; outside the "
               "dotted lines, at 99.8%."],
    )
    fig.update_xaxes(range=[0, x_max], tickformat=",.0f", showgrid=True, gridcolor="#EFEFEF")
    fig.update_yaxes(range=y_range)
    fig.update_layout(hovermode="closest")
    if show_names:
        positions = _label_positions(fig, x=denominators, y=values, names=names, x_range=(0, x_max),
                                     y_range=(y_range[0], y_range[1]))
        for trace_index, idx in point_traces:
            fig.data[trace_index].textposition = [positions[i] for i in idx]
    return fig


def _nice_ceiling(x: float) -> float:
    """The next round number at or above ``x`` (1, 2, 2.5 or 5 times a power of ten)."""
    if x <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(x))
    for step in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if step * power >= x:
            return step * power
    return 10 * power


_LABEL_POSITIONS = ("middle right", "middle left", "top center", "bottom center", "top right", "bottom right",
                    "top left", "bottom left")


def _label_positions(fig: go.Figure, *, x: np.ndarray, y: np.ndarray, names: Sequence[str],
                     x_range: tuple[float, float], y_range: tuple[float, float]) -> list[str]:
    """A text position for each point's name that keeps the names off each other, off the
    points and inside the plot, worked out in pixels at the design width."""
    margin = fig.layout.margin
    width = DESIGN_WIDTH - margin.l - margin.r
    height = fig.layout.height - margin.t - margin.b
    px = (x - x_range[0]) / ((x_range[1] - x_range[0]) or 1) * width
    py = (y_range[1] - y) / ((y_range[1] - y_range[0]) or 1) * height
    point_boxes = [(a - 7, b - 7, a + 7, b + 7) for a, b in zip(px, py, strict=True)]
    placed: list[tuple[float, float, float, float]] = []
    result = ["middle right"] * len(names)

    def box(i: int, position: str) -> tuple[float, float, float, float]:
        w, h = len(names[i]) * 11 * 0.55, 14.0
        vertical, horizontal = position.split()
        cx, cy = px[i], py[i]
        if horizontal == "right":
            x0 = cx + 8 if vertical == "middle" else cx + 2
        elif horizontal == "left":
            x0 = cx - 8 - w if vertical == "middle" else cx - 2 - w
        else:
            x0 = cx - w / 2
        y0 = {"top": cy - 8 - h, "bottom": cy + 8, "middle": cy - h / 2}[vertical]
        return (x0, y0, x0 + w, y0 + h)

    def overlaps(b: tuple[float, float, float, float], o: tuple[float, float, float, float]) -> bool:
        return b[0] < o[2] and o[0] < b[2] and b[1] < o[3] and o[1] < b[3]

    def cost(b: tuple[float, float, float, float], own: int) -> float:
        """Lower is better: off the plot, then over another name, then over a point, then
        hovering just above or below another point (where it would seem to be that point's)."""
        total = 1000.0 if b[0] < 0 or b[2] > width + 20 or b[1] < -4 or b[3] > height + 4 else 0.0
        total += 100 * sum(overlaps(b, o) for o in placed)
        for j, (a0, b0, a1, b1) in enumerate(point_boxes):
            if j != own:
                total += 10 * overlaps(b, (a0, b0, a1, b1)) + overlaps(b, (a0 - 4, b0 - 14, a1 + 4, b1 + 14))
        return total

    for i in sorted(range(len(names)), key=lambda k: -px[k]):
        # The first position of least cost, so ties go to the conventional 'middle right'.
        position = min(_LABEL_POSITIONS, key=lambda p: cost(box(i, p), i))
        result[i] = position
        placed.append(box(i, position))
    return result


# --------------------------------------------------------------------------------------------
# 4. Breakdown (equality) bars
# --------------------------------------------------------------------------------------------


def breakdown_figure(scorecard_like_df: pd.DataFrame, *, measure: Measure | str, period_label: str,
                     area_name: str, breakdown_label: str, source: str, demo: bool,
                     labels: Mapping[str, str] | None = None) -> go.Figure:
    """A measure for each group of a breakdown (ethnic group, sex, age band, ...) as
    horizontal bars with 95% error bars; the target as a dashed line and the partnership's
    overall figure (the '' group, when present) as a solid one.

    Groups are drawn top to bottom in the order of the frame's rows.
    """
    m = resolve_measure(measure, scorecard_like_df)
    breakdown = breakdown_label.strip() or "group"
    title = chart_title(f"{m.name} by {breakdown[:1].lower() + breakdown[1:]}", area_name, period_label)
    df = scorecard_like_df
    if df.empty:
        return no_data_figure(title=title, source=source, demo=demo)
    groups = df["group"].fillna("").astype(str) if "group" in df else pd.Series([""] * len(df), index=df.index)
    bars = df[groups != ""]
    overall = df[groups == ""]
    if not _has_values(bars):
        return no_data_figure(title=title, source=source, demo=demo)

    plain_names = [_name_for(r, labels) for _, r in bars.iterrows()]
    names = [plain_text.for_plotly(n) for n in plain_names]  # the category labels: plotly draws them as HTML
    value, lower, upper = _numbers(bars, "value"), _numbers(bars, "lower95"), _numbers(bars, "upper95")
    numerators, denominators = _numbers(bars, "numerator"), _numbers(bars, "denominator")
    shown = np.where(np.isfinite(value), value, 0.0)
    has_interval = np.isfinite(lower) & np.isfinite(upper) & np.isfinite(value)

    fig = go.Figure()
    fig.add_trace(go.Bar(
        y=names, x=shown, orientation="h", name=_legend_name(m.name), showlegend=False, marker={"color": BAR_FILL},
        width=0.62,
        error_x={"type": "data", "symmetric": False, "array": np.where(has_interval, upper - value, np.nan),
                 "arrayminus": np.where(has_interval, value - lower, np.nan), "color": TEXT,
                 "thickness": 1.5, "width": 5},
        customdata=[[format_value(v, m.unit), format_interval(lo, hi, m.unit) or "–",
                     _count_text(n, d, m.unit)] for v, lo, hi, n, d in
                    zip(value, lower, upper, numerators, denominators, strict=True)],
        hovertemplate=("<b>%{y}</b><br>Value: %{customdata[0]}<br>95% interval: %{customdata[1]}<br>"
                       "n: %{customdata[2]}<extra></extra>"),
    ))
    x_top = float(np.nanmax(np.concatenate([np.where(has_interval, upper, shown), [0.0]])))
    target = _target_values(bars)
    if np.isfinite(target).any():
        distinct = np.unique(target[np.isfinite(target)])
        if distinct.size == 1:
            t = float(distinct[0])
            fig.add_shape(type="line", xref="x", yref="paper", x0=t, x1=t, y0=0, y1=1, line=TARGET_LINE,
                          name=f"{TARGET_NAME} ({format_value(t, m.unit)})", showlegend=True)
        else:
            fig.add_trace(go.Scatter(y=names, x=target, mode="markers", name=TARGET_NAME,
                                     marker={"symbol": "line-ns-open", "size": 22, "color": DARK_PINK,
                                             "line": {"width": 3, "color": DARK_PINK}},
                                     hovertemplate="Target: %{x}<extra></extra>"))
        x_top = max(x_top, float(np.nanmax(target)))
    overall_value = _numbers(overall, "value")
    if np.isfinite(overall_value).any():
        o = float(overall_value[np.isfinite(overall_value)][0])
        fig.add_shape(type="line", xref="x", yref="paper", x0=o, x1=o, y0=0, y1=1,
                      line={"color": TEXT, "width": 1.5}, name=f"{_legend_name(area_name or 'All')} overall "
                      f"({format_value(o, m.unit)})", showlegend=True)
        x_top = max(x_top, o)
    x_range = [0.0, x_top * 1.12 or 1.0]
    if m.unit == "proportion":
        x_range[1] = min(x_range[1], 1.1)

    # Values are written on the bars, at their base, where no line or error bar can cross
    # them; a bar too short to hold its value has it written beyond its error bar instead.
    # Rows charts.tables.hide_small blanked say so, unlike rows that have no figure.
    withheld = (bars[HIDDEN_COLUMN].fillna(False).astype(bool).to_numpy() if HIDDEN_COLUMN in bars
                else np.zeros(len(bars), dtype=bool))
    texts = ["not shown (small numbers)" if w else format_value(v, m.unit)
             for v, w in zip(value, withheld, strict=True)]
    inside = np.isfinite(value) & (shown >= 0.16 * x_range[1])
    bar = fig.data[0]
    bar.text = [t if fits else "" for t, fits in zip(texts, inside, strict=True)]
    bar.textposition = "inside"
    bar.insidetextanchor = "start"
    bar.textfont = {"color": TEXT, "size": 12}
    outside = ~inside
    if outside.any():
        fig.add_trace(go.Scatter(
            y=[n for n, o in zip(names, outside, strict=True) if o],
            x=np.where(has_interval, upper, shown)[outside], mode="text",
            text=["\u00a0\u00a0" + t for t in np.asarray(texts, dtype=object)[outside]],
            textposition="middle right", textfont={"size": 12, "color": TEXT}, showlegend=False,
            hoverinfo="skip", cliponaxis=False,
        ))

    apply_house_layout(fig, title=title, source=source, demo=demo, x_title=axis_title(m),
                       y_title="", unit=m.unit, value_axis_name="xaxis", plot_height=max(120, 36 * len(names)),
                       y_tick_chars=max(len(n) for n in plain_names),
                       notes=["Error bars: 95% confidence intervals."])
    fig.update_xaxes(range=x_range, showgrid=True, gridcolor="#E1E1E1", showline=False, ticks="")
    fig.update_yaxes(autorange="reversed", showgrid=False, showline=True, linecolor="#8C8C8C", ticks="",
                     type="category")
    fig.update_layout(hovermode="closest", bargap=0.3, uniformtext={"mode": "hide", "minsize": 10})
    return fig


# --------------------------------------------------------------------------------------------
# 5. Month by month (criminal justice)
# --------------------------------------------------------------------------------------------


def _months(df: pd.DataFrame) -> pd.Series:
    column = "month" if "month" in df else "period"
    return pd.to_datetime(df[column].astype(str).str.slice(0, 7), format="%Y-%m", errors="coerce")


def monthly_figure(df: pd.DataFrame, *, measure: Measure | str, area_name: str, source: str, demo: bool,
                   group_label: str = "custody suite", all_label: str = "All suites") -> go.Figure:
    """A criminal-justice measure month by month: one line per custody suite (the ``group``
    column) and the partnership's line (the '' group) in black, or a single line.

    ``df`` has a ``month`` column ('2024-11', or a date; ``period`` is used when there is no
    ``month``), ``value`` and optionally ``group``, ``numerator``, ``denominator`` and ``target``.
    """
    m = resolve_measure(measure, df)
    what = f"{m.name}, month by month"
    if df.empty or not _has_values(df):
        return no_data_figure(title=chart_title(what, area_name, ""), source=source, demo=demo)
    rows = df.assign(_month=_months(df)).dropna(subset=["_month"]).sort_values("_month")
    if rows.empty:
        return no_data_figure(title=chart_title(what, area_name, ""), source=source, demo=demo)
    groups = rows["group"].fillna("").astype(str) if "group" in rows else pd.Series("", index=rows.index)
    first, last = rows["_month"].min(), rows["_month"].max()
    when = first.strftime("%b %Y") if first == last else f"{first.strftime('%b %Y')} to {last.strftime('%b %Y')}"

    fig = go.Figure()
    named = sorted(g for g in groups.unique() if g)
    colours = [c for c in CATEGORICAL if c != DARK_GREY]
    # Each suite's line differs from the next by its dash as well as its colour, and from the total (solid)
    # and the target (long dashes), so no line is told apart by colour alone (WCAG 1.4.1).
    dashes = ("dash", "dot", "dashdot", "longdashdot")
    for i, g in enumerate(named):
        part = rows[groups == g]
        fig.add_trace(_month_trace(part, m, name=g, color=colours[i % len(colours)],
                                   dash=dashes[i % len(dashes)], width=2))
    if (groups == "").any():
        part = rows[groups == ""]
        fig.add_trace(_month_trace(part, m, name=all_label if named else (area_name or m.name),
                                   color=TEXT if named else DARK_BLUE, dash="solid", width=3))
    target = _numbers(rows[groups == ""] if (groups == "").any() else rows, "target")
    if np.isfinite(target).any():
        part = rows[groups == ""] if (groups == "").any() else rows.drop_duplicates("_month")
        fig.add_trace(go.Scatter(x=part["_month"], y=_numbers(part, "target"), mode="lines", name=TARGET_NAME,
                                 line=TARGET_LINE, hovertemplate="Target: %{y}<extra></extra>"))

    months = rows["_month"].nunique()
    apply_house_layout(fig, title=chart_title(what, area_name, when), source=source, demo=demo,
                       x_title=MONTH_AXIS_TITLE, y_title=axis_title(m), unit=m.unit, x_tick_lines=2,
                       notes=[f"One line for each {group_label}; {all_label.lower()} together in the thick black line."]
                       if named and (groups == "").any() else ())
    fig.update_xaxes(type="date", tickformat="%b<br>%Y", dtick="M1" if months <= 12 else "M3",
                     ticklabelmode="instant", tick0=first,
                     range=[first - pd.Timedelta(days=12), last + pd.Timedelta(days=12)])
    fig.update_yaxes(rangemode="tozero")
    fig.update_layout(hovermode="x unified")
    return fig


def _month_trace(part: pd.DataFrame, m: Measure, *, name: str, color: str, dash: str, width: float) -> go.Scatter:
    """One line of the monthly chart; ``name`` is plain text (a custody suite or an area's name)."""
    name = _legend_name(name)
    custom = [[format_value(v, m.unit), _count_text(n, d, m.unit)] for v, n, d in
              zip(_numbers(part, "value"), _numbers(part, "numerator"), _numbers(part, "denominator"), strict=True)]
    return go.Scatter(
        x=part["_month"], y=_numbers(part, "value"), mode="lines+markers", name=name,
        line={"color": color, "width": width, "dash": dash}, marker={"color": color, "size": 5},
        customdata=custom, hovertemplate=f"{name}: %{{customdata[0]}} (%{{customdata[1]}})<extra></extra>",
    )


# --------------------------------------------------------------------------------------------
# 6. Sparklines
# --------------------------------------------------------------------------------------------


def sparkline_values(series_df: pd.DataFrame, *, group: str | None = None) -> list[float]:
    """A series' values oldest first, for ``st.column_config.LineChartColumn`` (gaps left out)."""
    rows, _ = _select_group(series_df, group)
    if rows.empty or "value" not in rows:
        return []
    return [float(v) for v in _numbers(rows, "value") if np.isfinite(v)]


def sparkline(values: Sequence[float | None]) -> go.Figure:
    """A tiny line for a scorecard cell: no axes, no legend, the latest point marked."""
    y = [math.nan if is_missing(v) else float(v) for v in values]  # type: ignore[arg-type]
    fig = go.Figure()
    fig.add_trace(go.Scatter(y=y, mode="lines", line={"color": DARK_BLUE, "width": 1.5}, hoverinfo="skip",
                             showlegend=False))
    last = [i for i, v in enumerate(y) if not math.isnan(v)]
    if last:
        fig.add_trace(go.Scatter(x=[last[-1]], y=[y[last[-1]]], mode="markers", hoverinfo="skip",
                                 marker={"color": DARK_BLUE, "size": 5}, showlegend=False))
    fig.update_layout(height=40, width=140, margin={"l": 2, "r": 4, "t": 4, "b": 4}, paper_bgcolor="white",
                      plot_bgcolor="white", showlegend=False, font={"family": FONT_FAMILY})
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig


# --------------------------------------------------------------------------------------------
# 7. Scorecard table
# --------------------------------------------------------------------------------------------

SCORECARD_COLUMNS = ["Status", "Measure", "Value", "95% interval", "Target", "Gap", "Cases needed",
                     "Change on previous quarter", "Change on previous year", "England", "Compared with England",
                     "Provisional", "Coverage", "Source"]
# What the Source column says of a figure published elsewhere (metrics.reports' source: 'viewit: file (upload 2)').
SOURCE_WORDS = {"viewit": "Published by NDTMS ViewIt", "fingertips": "Published by OHID Fingertips",
                "indicators": "Published (indicators upload)"}


def _previous(current: pd.DataFrame, previous: pd.DataFrame | None) -> np.ndarray:
    """The previous figure for each current row, matched on measure (and group)."""
    if previous is None or previous.empty or "value" not in previous:
        return np.full(len(current), np.nan)
    keys = ["kpi", "group"] if "group" in current and "group" in previous else ["kpi"]
    prev = previous[keys + ["value"]].copy()
    for k in keys:
        prev[k] = prev[k].fillna("").astype(str)
    prev = prev.drop_duplicates(keys).rename(columns={"value": "_previous"})
    left = current[keys].copy()
    for k in keys:
        left[k] = left[k].fillna("").astype(str)
    merged = left.merge(prev, on=keys, how="left")
    return pd.to_numeric(merged["_previous"], errors="coerce").to_numpy(dtype=float)


def scorecard_table(scorecard_df: pd.DataFrame, *, previous_quarter: pd.DataFrame | None = None,
                    previous_year: pd.DataFrame | None = None,
                    trends: Mapping[str, Sequence[float]] | None = None,
                    comparator_name: str = "England") -> pd.DataFrame:
    """The scorecard for display: every figure formatted, status as symbol and word.

    ``previous_quarter`` and ``previous_year`` are scorecards for the quarter before and the
    same quarter a year earlier (matched on measure, and group for breakdown rows); without
    them the change columns are blank. ``trends`` maps measure ids to values for a 'Trend'
    column (``sparkline_values``). Rows keep the scorecard's order (reds first). ``comparator_name``
    heads the comparator's columns: plain text, shortened, and never one of the table's own headings.
    """
    columns = list(SCORECARD_COLUMNS)
    heading = plain_text.shorten(comparator_name, plain_text.LEGEND) or "Comparator"
    if heading != "England":
        if {heading, f"Compared with {heading}"} & {*columns, "Trend"}:
            heading = f"{heading} (comparator)"
        columns[columns.index("England")] = heading
        columns[columns.index("Compared with England")] = f"Compared with {heading}"
    if trends is not None:
        columns.insert(2, "Trend")
    if scorecard_df.empty:
        return pd.DataFrame(columns=columns)

    df = scorecard_df.reset_index(drop=True)
    prev_q, prev_y = _previous(df, previous_quarter), _previous(df, previous_year)
    out: list[list[object]] = []
    for i, r in df.iterrows():
        try:  # a row frame only for an uploaded indicator: taking one per row cost 90 ms a scorecard
            m = registered_measure(str(r["kpi"]))
        except UnknownMeasure:
            m = resolve_measure(str(r["kpi"]), df.iloc[[i]])
        name = plain_text.clean(r.get("name") or m.name)
        group = "" if is_missing(r.get("group")) else plain_text.clean(r.get("group") or "")
        value = r.get("value")
        target = r.get("target")
        gap, needed = r.get("gap"), r.get("needed")
        comparison = r.get("benchmark_comparison")
        row = [
            status_label(r.get("status")),
            f"{name}: {group}" if group else name,
            format_value(value, m.unit),
            format_interval(r.get("lower95"), r.get("upper95"), m.unit),
            "" if is_missing(target) else format_value(target, m.unit),
            "" if is_missing(gap) else format_change(gap, m.unit),
            "" if is_missing(needed) else f"{float(needed):,.0f}",
            _change_text(value, prev_q[i], m.unit),
            _change_text(value, prev_y[i], m.unit),
            "" if is_missing(r.get("benchmark")) else format_value(r.get("benchmark"), m.unit),
            "" if is_missing(comparison) else str(comparison)[:1].upper() + str(comparison)[1:],
            PROVISIONAL_NAME if _flag(r.get("provisional")) else "",
            # No data because the extract it needs was not uploaded (which one to upload), or partial.
            "" if is_missing(r.get("coverage_note")) else str(r.get("coverage_note")),
            source_text(r.get("source")),
        ]
        if trends is not None:
            # Quarters without a value are left out: the table's line chart cannot draw a gap (a None
            # there shows the list as text with an error mark), and the quarter labels are not shown.
            row.insert(2, [v for v in trends.get(str(r["kpi"]), []) if v is not None and v == v])
        out.append(row)
    return pd.DataFrame(out, columns=columns)


INDICATOR_COLUMNS = ["Status", "Indicator", "Period", "Value", "95% interval", "Target", "Gap", "Needed",
                     "England", "Compared with England", "Source"]


def _unit_kind(unit: object) -> str:
    text = "" if is_missing(unit) else str(unit).strip().lower()
    return "proportion" if text == "proportion" else "count" if text == "count" else "value"


def indicator_table(indicators_df: pd.DataFrame, *, comparator_name: str = "England") -> pd.DataFrame:
    """The partnership's local and published indicators for display: each one's own period (a year, a
    quarter, a month), value and interval in its unit, target, status, gap and what meeting the target
    takes (cases where the figure has a numerator, else the change in value), the comparator's figure."""
    heading = plain_text.shorten(comparator_name, plain_text.LEGEND) or "Comparator"
    columns = [c.replace("England", heading) for c in INDICATOR_COLUMNS]
    if indicators_df.empty:
        return pd.DataFrame(columns=columns)
    out = []
    for _, r in indicators_df.reset_index(drop=True).iterrows():
        unit = _unit_kind(r.get("unit"))
        needed = r.get("needed")
        if is_missing(needed):
            needed_text = ""
        elif is_missing(r.get("numerator")) and unit != "count":
            # Published without its counts: the change in value it takes, in words ('fall of 4.1 pp').
            needed_text = (f"{'fall' if r.get('polarity') == 'down' else 'rise'} of "
                           f"{format_change(float(needed), unit).lstrip('+')}") if float(needed) else "0"
        else:
            needed_text = f"{float(needed):,.0f}" + (" cases" if float(needed) != 1 else " case")
        comparison = r.get("benchmark_comparison")
        out.append([
            status_label(r.get("status")),
            plain_text.clean(r.get("name") or r.get("kpi")),
            plain_text.clean(r.get("period") or ""),
            format_value(r.get("value"), unit),
            format_interval(r.get("lower95"), r.get("upper95"), unit),
            "" if is_missing(r.get("target")) else format_value(r.get("target"), unit),
            "" if is_missing(r.get("gap")) else format_change(r.get("gap"), unit),
            needed_text,
            "" if is_missing(r.get("benchmark")) else format_value(r.get("benchmark"), unit),
            "" if is_missing(comparison) else str(comparison)[:1].upper() + str(comparison)[1:],
            source_text(r.get("source")),
        ])
    return pd.DataFrame(out, columns=columns)


def source_text(source: object) -> str:
    """Where a figure comes from, for people: 'Computed from the extracts', or who published it and in which
    upload ('Published by NDTMS ViewIt: ndtms_viewit.csv (upload 2)')."""
    if is_missing(source) or not str(source) or str(source) == "computed":
        return "Computed from the extracts"
    kind, _, rest = str(source).partition(": ")
    return plain_text.clean(f"{SOURCE_WORDS.get(kind, 'Published')}: {rest}" if rest else SOURCE_WORDS.get(kind, kind))


def style_scorecard(table: pd.DataFrame) -> pd.io.formats.style.Styler:
    """The display table with each status written in its RAG colour (bold), for
    ``st.dataframe``: the colour repeats what the symbol and word already say."""
    colours = {status_label(key): RAG_TEXT_COLOURS[key] for key in STATUS_WORDS}

    def colour(cell: object) -> str:
        c = colours.get(str(cell))
        return f"color: {c}; font-weight: bold" if c else ""

    return table.style.map(colour, subset=["Status"] if "Status" in table else [])


def _change_text(value: object, previous: object, unit: str) -> str:
    if is_missing(value) or is_missing(previous):
        return ""
    change = float(value) - float(previous)  # type: ignore[arg-type]
    text = format_change(change, unit)
    if unit == "count" and float(previous) != 0:  # type: ignore[arg-type]
        text += f" ({change / float(previous):+.1%})"  # type: ignore[arg-type]
    return text


__all__ = [
    "ASSURANCE_WORDS", "FUNNEL_STYLES", "INDICATOR_COLUMNS", "SCORECARD_COLUMNS", "SPC_STYLES", "VARIATION_WORDS", "breakdown_figure",
    "funnel_figure", "monthly_figure", "resolve_measure", "scorecard_table", "sparkline", "sparkline_values",
    "spc_figure", "spc_words", "status_label", "style_scorecard", "trend_figure",
]
