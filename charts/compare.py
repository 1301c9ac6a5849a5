"""Areas compared side by side, the way Fingertips' "compare areas" view does: pure builders.

``rows`` is ``metrics.compare.compare``: one row per area, best first, each with its value, 95%
interval, England's value (``benchmark``), how the area compares with it (``benchmark_comparison``),
its rank and its region's value; ``highlight`` marks the selected partnership. The builders draw
a bar chart of every area (a funnel plot where there are counts), write the one-line reading and
the table of figures beside the chart (its text alternative), and make the table safe to download.
Area and indicator names come from uploaded files: they are plain text throughout.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from charts import plain_text, tables, theme
from charts.figures import funnel_figure
from charts.theme import (
    DARK_BLUE,
    DARK_GREY,
    DESIGN_WIDTH,
    LEGEND_FONT_SIZE,
    TEXT,
    apply_house_layout,
    axis_title,
    chart_title,
    format_interval,
    format_value,
    is_missing,
    no_data_figure,
)
from metrics.registry import Measure

# Fingertips' colours, shaded so each bar keeps 3:1 against the white plot (WCAG 1.4.11): better
# green, similar amber, worse red, higher and lower blues, not compared grey. Worse and
# lower are also hatched, so red is not told from amber nor one blue from the other by colour alone; the
# table beside the chart says each in words (WCAG 1.4.1).
COMPARISON_STYLES: dict[str, dict[str, str]] = {
    "better": {"color": "#00703C", "pattern": "", "words": "Better than {0}"},
    "similar": {"color": "#B58500", "pattern": "", "words": "Similar to {0}"},
    "worse": {"color": "#D4351C", "pattern": "x", "words": "Worse than {0}"},
    "higher": {"color": DARK_BLUE, "pattern": "", "words": "Higher than {0}"},
    "lower": {"color": "#5694CA", "pattern": "/", "words": "Lower than {0}"},
    "not compared": {"color": "#8C8C8C", "pattern": "", "words": "Not compared"},
}
COMPARISON_ORDER = tuple(COMPARISON_STYLES)
ENGLAND_LINE = {"color": TEXT, "width": 2}
REGION_LINE = {"color": DARK_GREY, "width": 2, "dash": "dash"}
HIGHLIGHT_OUTLINE = {"color": TEXT, "width": 3}
OUTLINE_NAME = "Selected partnership's outline"
TICK_NAME_LIMIT = 30  # an area's name beside its bar; the table and the hover give it whole
MANY_AREAS = 25  # beyond this many bars, each gets a thinner row and smaller label

TABLE_COLUMNS = ["Rank", "Area code", "Area", "Value", "95% interval", "Compared with England", "Region",
                 "Region value", "Selected"]
EXPORT_COLUMNS = ["Indicator", "Area code", "Area name", "Region", "Period", "Numerator", "Denominator", "Value",
                  "Lower 95%", "Upper 95%", "Unit", "England value", "Compared with England", "Rank",
                  "Region value", "Comparator group"]
PERCENT_WORDS = ("percent", "%", "percentage")


def display_unit(measure: Measure, rows: pd.DataFrame) -> str:
    """How to write the figures: the measure's unit, or 'percent' for an indicator uploaded in percent
    (0-100), which ``metrics`` describes as a rate."""
    if measure.unit in ("proportion", "count") or rows.empty or "unit" not in rows:
        return measure.unit
    units = {str(u).strip().lower() for u in rows["unit"].dropna()}
    return "percent" if units and units <= set(PERCENT_WORDS) else measure.unit


def _numbers(rows: pd.DataFrame, column: str) -> np.ndarray:
    if column not in rows:
        return np.full(len(rows), np.nan)
    return pd.to_numeric(rows[column], errors="coerce").to_numpy(dtype=float)


def _highlights(rows: pd.DataFrame) -> np.ndarray:
    if "highlight" not in rows:
        return np.zeros(len(rows), dtype=bool)
    return np.array([not is_missing(h) and bool(h) for h in rows["highlight"]], dtype=bool)


def _text(value: object) -> str:
    return "" if is_missing(value) else plain_text.clean(value)


def _area_names(rows: pd.DataFrame) -> list[str]:
    """Each area's name as its file gave it (plain text), else its code."""
    names = rows["area_name"] if "area_name" in rows else pd.Series([""] * len(rows), index=rows.index)
    return [_text(n) or _text(a) for n, a in zip(names, rows["area"], strict=True)]


def _comparison(value: object) -> str:
    text = "" if is_missing(value) else str(value).strip().lower()
    return text if text in COMPARISON_STYLES else "not compared"


def comparison_words(value: object, comparator_name: str = "England") -> str:
    """'Better than England', 'Similar to England', ..., 'Not compared'."""
    return COMPARISON_STYLES[_comparison(value)]["words"].format(plain_text.clean(comparator_name) or "England")


def _first(rows: pd.DataFrame, column: str, where: np.ndarray | None = None) -> object:
    if column not in rows:
        return None
    values = rows[column] if where is None else rows[column][where]
    values = values[values.map(lambda v: not is_missing(v) and v != "")]
    return values.iloc[0] if len(values) else None


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def compare_reading(rows: pd.DataFrame, *, measure: Measure, area_name: str,
                    comparator_name: str = "England") -> str:
    """The selected partnership in one line of plain text: 'Barnet: 52.1%, 12th of 150; similar to England
    (50.3%).' The rank counts from the best (from the highest for a measure with no better direction)."""
    unit = display_unit(measure, rows)
    mine = _highlights(rows)
    ranked = int(np.isfinite(_numbers(rows, "rank")).sum())
    name = plain_text.clean(area_name) or "The selected partnership"
    comparator = plain_text.clean(comparator_name) or "England"
    benchmark = _first(rows, "benchmark")
    areas = f"{len(rows)} area{'s' if len(rows) != 1 else ''}"
    if name == comparator and benchmark is not None:  # England itself: the line every area is read against
        return f"{name}: {format_value(benchmark, unit)}, the line the {areas} are compared with."
    if not mine.any() or not np.isfinite(_numbers(rows, "value")[mine]).any():
        return f"{name} has no figure for this period; {areas} {'has' if len(rows) == 1 else 'have'} one."
    row = rows[mine].iloc[0]
    text = f"{name}: {format_value(row['value'], unit)}"
    rank = row.get("rank")
    if not is_missing(rank):
        text += f", {_ordinal(int(rank))} {'highest ' if measure.polarity == 'neutral' else ''}of {ranked}"
    comparison = _comparison(row.get("benchmark_comparison"))
    if comparison == "not compared":
        text += f"; not compared with {comparator}"
    else:
        text += f"; {comparison_words(comparison, comparator)[:1].lower()}{comparison_words(comparison, comparator)[1:]}"
    if not is_missing(benchmark):
        text += f" ({format_value(benchmark, unit)})"
    return text + "."


def compare_figure(rows: pd.DataFrame, *, measure: Measure, period_label: str, area_name: str,
                   comparator_name: str = "England", group_name: str = "", source: str, demo: bool) -> go.Figure:
    """Every area's value as a horizontal bar, in the order given (best first, at the top), with its 95%
    interval; England as a solid line and the selected partnership's region as a dashed one; each bar
    coloured (and, for worse and lower, hatched) by how it compares with England; the selected
    partnership outlined, its name in bold and marked with an arrow."""
    unit = display_unit(measure, rows)
    scope = plain_text.clean(group_name) or "all areas"
    shown = plain_text.clean(area_name) if area_name and _highlights(rows).any() else ""
    title = chart_title(f"{measure.name}, {scope}", f"{shown} highlighted" if shown else "", period_label)
    values = _numbers(rows, "value") if not rows.empty else np.array([])
    if rows.empty or not np.isfinite(values).any():
        return no_data_figure(title=title, source=source, demo=demo)
    rows = rows[np.isfinite(values)].reset_index(drop=True)
    value, lower, upper = _numbers(rows, "value"), _numbers(rows, "lower95"), _numbers(rows, "upper95")
    has_interval = np.isfinite(lower) & np.isfinite(upper)
    mine = _highlights(rows)
    names = _area_names(rows)
    comparisons = [_comparison(c) for c in rows.get("benchmark_comparison", [None] * len(rows))]
    # Each bar's place on the axis is its row (names may repeat); its label is its name, as written.
    keys = [str(i) for i in range(len(rows))]
    labels = [plain_text.for_plotly(n, limit=TICK_NAME_LIMIT) for n in names]
    labels = [f"<b>{label}</b>" if m else label for label, m in zip(labels, mine, strict=True)]
    comparator = plain_text.clean(comparator_name) or "England"
    many = len(rows) > MANY_AREAS
    ranks = ["–" if is_missing(r) else _ordinal(int(r)) for r in rows.get("rank", [None] * len(rows))]

    fig = go.Figure()
    for comparison in COMPARISON_ORDER:
        idx = [i for i, c in enumerate(comparisons) if c == comparison]
        if not idx:
            continue
        style = COMPARISON_STYLES[comparison]
        fig.add_trace(go.Bar(
            y=[keys[i] for i in idx], x=value[idx], orientation="h",
            name=plain_text.for_plotly(style["words"].format(comparator), limit=plain_text.LEGEND),
            marker={"color": style["color"], "line": {"width": 0},
                    "pattern": {"shape": style["pattern"], "bgcolor": style["color"], "fgcolor": "white",
                                "fgopacity": 0.8, "size": 7, "solidity": 0.25}},
            error_x={"type": "data", "symmetric": False, "array": np.where(has_interval, upper - value, np.nan)[idx],
                     "arrayminus": np.where(has_interval, value - lower, np.nan)[idx], "color": TEXT,
                     "thickness": 1.2, "width": 2 if many else 4},
            customdata=[[plain_text.for_plotly(names[i]), format_value(value[i], unit),
                         format_interval(lower[i], upper[i], unit) or "–", ranks[i]] for i in idx],
            hovertemplate=("<b>%{customdata[0]}</b><br>Value: %{customdata[1]}<br>95% interval: %{customdata[2]}"
                           "<br>Rank: %{customdata[3]}<extra>%{fullData.name}</extra>"),
        ))

    ends = np.where(has_interval, upper, value)
    x_top = float(np.nanmax(np.concatenate([ends, [0.0]])))
    x_low = float(np.nanmin(np.concatenate([np.where(has_interval, lower, value), [0.0]])))
    benchmark = _first(rows, "benchmark")
    if benchmark is not None:
        b = float(benchmark)
        fig.add_shape(type="line", xref="x", yref="paper", x0=b, x1=b, y0=0, y1=1, line=ENGLAND_LINE,
                      name=plain_text.for_plotly(f"{comparator} ({format_value(b, unit)})"), showlegend=True)
        x_top = max(x_top, b)
    region_value = _first(rows, "region_value", mine) if mine.any() else None
    if region_value is not None:
        r = float(region_value)
        region = _text(_first(rows, "region_name", mine)) or "Region"
        fig.add_shape(type="line", xref="x", yref="paper", x0=r, x1=r, y0=0, y1=1, line=REGION_LINE,
                      name=plain_text.for_plotly(f"{plain_text.shorten(region, plain_text.LEGEND)} region "
                                                 f"({format_value(r, unit)})"), showlegend=True)
        x_top = max(x_top, r)
    pad = (x_top - min(x_low, 0.0)) * 0.06 or 1.0
    if mine.any():
        at = np.flatnonzero(mine)
        # The outline is a bar of its own over the partnership's, so the legend's colours stay plain.
        fig.add_trace(go.Bar(y=[keys[i] for i in at], x=value[at], orientation="h", name=OUTLINE_NAME,
                             showlegend=False, hoverinfo="skip",
                             marker={"color": "rgba(0,0,0,0)", "line": HIGHLIGHT_OUTLINE}))
        fig.add_trace(go.Scatter(
            y=[keys[i] for i in at], x=ends[at] + pad / 2, mode="markers",
            name=plain_text.for_plotly(f"{names[at[0]]} (selected)", limit=plain_text.LEGEND),
            marker={"symbol": "triangle-left", "size": 11 if many else 13, "color": TEXT}, hoverinfo="skip",
            cliponaxis=False))
        x_top += pad

    notes = ["Error bars: 95% confidence intervals. Colours compare each area's interval with "
             f"{plain_text.for_plotly(comparator)}'s value."]
    if mine.any():
        notes.append(f"{plain_text.for_plotly(names[np.flatnonzero(mine)[0]])}: outlined, in bold and marked ◀.")
    apply_house_layout(fig, title=title, source=source, demo=demo, x_title=axis_title(measure) if unit != "percent"
                       else "Percentage (%)", unit=unit, value_axis_name="xaxis",
                       plot_height=max(140, (15 if many else 28) * len(rows)),
                       y_tick_chars=min(TICK_NAME_LIMIT, max(len(n) for n in names)), notes=notes)
    fig.update_xaxes(range=[min(x_low, 0.0), x_top + pad], showgrid=True, gridcolor="#E1E1E1", showline=False,
                     ticks="")
    fig.update_yaxes(type="category", categoryorder="array", categoryarray=keys, tickmode="array", tickvals=keys,
                     ticktext=labels, autorange="reversed", showgrid=False, showline=True, linecolor="#8C8C8C",
                     ticks="", tickfont={"size": 11 if many else 12})
    fig.update_layout(hovermode="closest", barmode="overlay", bargap=0.25 if many else 0.35)
    return _legend_in_columns(fig)


def _legend_in_columns(fig: go.Figure) -> go.Figure:
    """Plotly lays a legend that wraps out in columns as wide as its widest entry, which the house layout
    (which reckons each entry at its own width) does not foresee: fix the columns' width, and make room
    above the plot for as many rows as they take."""
    entries = list(dict.fromkeys(theme._legend_items(fig)))  # the house's own reckoning of the entries
    if not entries:
        return fig
    # Measured in Chromium: the legend wraps at the plot's width, and an entry takes its entrywidth and
    # 54 px more (its symbol and gaps).
    available = DESIGN_WIDTH - fig.layout.margin.l - fig.layout.margin.r
    text = max(len(e) for e in entries) * LEGEND_FONT_SIZE * 0.55
    per_row = max(1, int(available // (text + 62)))
    rows = -(-len(entries) // per_row)
    extra = (rows - theme._legend_rows(fig)) * 22
    fig.update_layout(legend={"entrywidth": max(int(text) + 4, int(available / per_row) - 58),
                              "entrywidthmode": "pixels"})
    if extra <= 0:
        return fig
    old, new = fig.layout.height, fig.layout.height + extra
    fig.layout.height = new
    fig.layout.margin.t += extra
    fig.layout.title.y = 1 - (1 - fig.layout.title.y) * old / new
    fig.layout.legend.y = 1 - (1 - fig.layout.legend.y) * old / new
    for note in fig.layout.annotations:
        if note.name == "demo_mark":
            note.yshift += extra
    return fig


def compare_funnel_figure(funnel_rows: pd.DataFrame, *, measure: Measure, period_label: str, group_name: str = "",
                          highlight: str | None = None, source: str, demo: bool) -> go.Figure:
    """The areas with numerators and denominators on a funnel plot (``charts.figures.funnel_figure``), the
    selected partnership (area code ``highlight``) ringed and named in the legend. ``funnel_rows`` is
    ``metrics.compare.compare_funnel``; a figure published in percent is drawn as the proportion it is."""
    rows = funnel_rows.copy()
    unit = display_unit(measure, rows)
    shown = measure
    if unit == "percent" and not rows.empty:
        for column in ("value", "lower95", "upper95"):
            if column in rows:
                rows[column] = _numbers(rows, column) / 100
        centre = _numbers(rows, "funnel_centre")
        if np.isfinite(centre).any() and np.nanmax(centre) > 1:
            rows["funnel_centre"] = centre / 100
    if unit == "percent":
        shown = Measure(measure.id, measure.name, "proportion", measure.polarity, measure.family, measure.source,
                        measure.definition, measure.breakdowns)
    if "group" in rows:  # a comparator group's name, not a provider: the points are areas
        rows = rows.drop(columns=["group"])
    fig = funnel_figure(rows, measure=shown, period_label=period_label,
                        area_name=plain_text.clean(group_name) or "all areas", level_label="area",
                        source=source, demo=demo)
    if not highlight or rows.empty or "area" not in rows:
        return fig
    mine = rows[(rows["area"].astype(str) == highlight) & (_numbers(rows, "denominator") > 0)
                & np.isfinite(_numbers(rows, "value"))]
    if not mine.empty:
        name = _area_names(mine)[0]
        fig.add_trace(go.Scatter(
            x=_numbers(mine, "denominator"), y=_numbers(mine, "value"), mode="markers",
            name=plain_text.for_plotly(f"{name} (selected)", limit=plain_text.LEGEND), hoverinfo="skip",
            marker={"symbol": "circle-open", "size": 22, "color": TEXT, "line": {"width": 3, "color": TEXT}}))
    return fig


def compare_table(rows: pd.DataFrame, *, measure: Measure, comparator_name: str = "England") -> pd.DataFrame:
    """The figures beside the chart, for people (its text alternative): rank, area, value, 95% interval,
    how it compares with England, its region's value; the selected partnership marked 'Selected'."""
    comparator = plain_text.shorten(comparator_name, plain_text.LEGEND) or "England"
    columns = [c.replace("England", comparator) for c in TABLE_COLUMNS]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    unit = display_unit(measure, rows)
    mine = _highlights(rows)
    out = []
    for i, (_, r) in enumerate(rows.reset_index(drop=True).iterrows()):
        out.append([
            "" if is_missing(r.get("rank")) else int(r["rank"]),
            _text(r.get("area")),
            _area_names(rows.iloc[[i]])[0],
            format_value(r.get("value"), unit),
            format_interval(r.get("lower95"), r.get("upper95"), unit),
            comparison_words(r.get("benchmark_comparison"), comparator),
            _text(r.get("region_name")),
            "" if is_missing(r.get("region_value")) else format_value(r.get("region_value"), unit),
            "Selected" if mine[i] else "",
        ])
    return pd.DataFrame(out, columns=columns)


def funnel_table(funnel_rows: pd.DataFrame, *, measure: Measure) -> pd.DataFrame:
    """The funnel plot's points for people: each area's value, its counts and how far it sits from the
    areas' pooled value."""
    columns = ["Area code", "Area", "Value", "Numerator", "Denominator", "Significance"]
    if funnel_rows.empty:
        return pd.DataFrame(columns=columns)
    unit = display_unit(measure, funnel_rows)
    rows = funnel_rows.reset_index(drop=True)
    return pd.DataFrame({
        "Area code": [_text(a) for a in rows["area"]],
        "Area": _area_names(rows),
        "Value": [format_value(v, unit) for v in rows["value"]],
        "Numerator": ["" if is_missing(n) else f"{float(n):,.0f}" for n in rows["numerator"]],
        "Denominator": ["" if is_missing(d) else f"{float(d):,.0f}" for d in rows["denominator"]],
        "Significance": [_text(s) for s in rows.get("funnel_significance", [""] * len(rows))],
    }, columns=columns)


def compare_export_table(rows: pd.DataFrame, *, measure: Measure) -> pd.DataFrame:
    """The comparison to download (CSV, Excel): small counts, and the values built on them, shown as '*'
    (``charts.tables.suppress``), figures rounded as on screen, every text cell made inert."""
    if rows.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in EXPORT_COLUMNS})
    tables.check_no_client_identifiers(rows.columns)
    unit = display_unit(measure, rows)
    counts = [c for c in ("numerator", "denominator") if c in rows]
    rates = [c for c in ("value", "lower95", "upper95") if c in rows]
    safe = tables.suppress(rows.reset_index(drop=True), count_columns=counts, rate_columns=rates,
                           block_columns=("kpi", "area", "period"))
    unit_word = {"proportion": "%", "percent": "%", "count": "count"}.get(unit, _text(_first(rows, "unit")))
    out = []
    for r in safe.to_dict("records"):
        out.append({
            "Indicator": _text(r.get("name")) or measure.name,
            "Area code": _text(r.get("area")),
            "Area name": _text(r.get("area_name")) or _text(r.get("area")),
            "Region": _text(r.get("region_name")),
            "Period": _text(r.get("period")),
            "Numerator": tables.count_figure(r.get("numerator")),
            "Denominator": tables.count_figure(r.get("denominator")),
            "Value": tables.round_figure(r.get("value"), unit),
            "Lower 95%": tables.round_figure(r.get("lower95"), unit),
            "Upper 95%": tables.round_figure(r.get("upper95"), unit),
            "Unit": unit_word,
            "England value": tables.round_figure(r.get("benchmark"), unit),
            "Compared with England": comparison_words(r.get("benchmark_comparison")),
            "Rank": None if is_missing(r.get("rank")) else int(r["rank"]),
            "Region value": tables.round_figure(r.get("region_value"), unit),
            "Comparator group": _text(r.get("group")) or "All areas",
        })
    return tables.neutralise_frame(pd.DataFrame(out, columns=EXPORT_COLUMNS).astype(object))


__all__ = ["COMPARISON_STYLES", "EXPORT_COLUMNS", "TABLE_COLUMNS", "compare_export_table", "compare_figure",
           "compare_funnel_figure", "compare_reading", "compare_table", "comparison_words", "display_unit",
           "funnel_table"]
