"""The house style every chart shares: palette, fonts, titles, source line and demo mark.

Colours follow the UK Government Analysis Function's accessible categorical palette, used in
its order, and GOV.UK's status colours for red, amber and green. Colour is never the only
signal: a status always has a word and a symbol too (``metrics.targets``), lines differ by
dash as well as colour, and markers by shape.

The layout is worked out in pixels for a figure of known height, so the title, legend,
plot, notes and source line never overlap, on screen or in a static export. Pages should
render figures with ``st.plotly_chart(fig, theme=None)`` so Streamlit's own theme does not
replace this one.
"""

from __future__ import annotations

import html
import math
import textwrap
from collections.abc import Sequence
from datetime import date

import plotly.graph_objects as go

from charts import plain_text
from metrics.registry import Measure

# --------------------------------------------------------------------------------------------
# Colours
# --------------------------------------------------------------------------------------------

DARK_BLUE = "#12436D"
TURQUOISE = "#28A197"
DARK_PINK = "#801650"
ORANGE = "#F46A25"
DARK_GREY = "#3D3D3D"
LIGHT_PURPLE = "#A285D1"
CATEGORICAL = (DARK_BLUE, TURQUOISE, DARK_PINK, ORANGE, DARK_GREY, LIGHT_PURPLE)
"""The Analysis Function's categorical palette, in the order it should be used."""

RAG_COLOURS = {"green": "#00703C", "amber": "#FFBF47", "red": "#D4351C", "grey": "#B1B4B6"}
RAG_TEXT_COLOURS = {"green": "#00703C", "amber": "#594D00", "red": "#AA2A16", "grey": "#505A5F"}
"""For status words written in colour, each at least 4.5:1 (WCAG 2.2 AA) on white, on its own tint in the
board pack and on a selected table row: amber is a dark olive, and red is GOV.UK's red shaded 20% (its
#D4351C is 4.9:1 on white but 3.8:1 on the pack's pale red)."""

TEXT = "#0B0C0C"
SECONDARY_TEXT = "#505A5F"
GRIDLINE = "#E1E1E1"
AXIS_LINE = "#8C8C8C"
LIMIT_GREY = "#6F777B"
POINT_GREY = "#7F7F7F"  # ordinary points: common cause, not significant
CONNECTOR_GREY = "#A6A6A6"  # the thin line joining points on an SPC chart
BAND_FILL = "rgba(18, 67, 109, 0.14)"  # dark blue, light enough for the line to stay readable

# Lines that mean the same thing look the same on every chart.
TARGET_LINE = {"color": DARK_PINK, "width": 2, "dash": "longdash"}
BENCHMARK_LINE = {"color": TURQUOISE, "width": 2, "dash": "dot"}

# --------------------------------------------------------------------------------------------
# Type
# --------------------------------------------------------------------------------------------

FONT_FAMILY = 'Arial, "Helvetica Neue", Helvetica, "Liberation Sans", sans-serif'
BASE_FONT_SIZE = 13
TITLE_FONT_SIZE = 17
LEGEND_FONT_SIZE = 12
NOTE_FONT_SIZE = 11

DEFAULT_HEIGHT = 480
DESIGN_WIDTH = 640
"""The narrowest width a chart is laid out for: an A4 column (170 mm at 96 px per inch).
Titles are wrapped and legends sized to fit it; a wider chart only gains white space."""

NO_DATA_MESSAGE = "No data for this selection"
DEMO_MARK = "DEMO DATA"
DEMO_SOURCE = "Source: synthetic demo data — not real figures"

# Pixel geometry of the frame around the plot.
_PAD = 12
_TITLE_LINE = 22
_LEGEND_ROW = 22
_NOTE_LINE = 15
_TICK_LINE = 16
_AXIS_TITLE = 22
_CHAR_WIDTH = 0.55  # average Arial character width as a share of the font size (generous)

HOUSE_TEMPLATE = go.layout.Template(
    layout=go.Layout(
        font={"family": FONT_FAMILY, "size": BASE_FONT_SIZE, "color": TEXT},
        colorway=list(CATEGORICAL),
        paper_bgcolor="white",
        plot_bgcolor="white",
        hoverlabel={"font": {"family": FONT_FAMILY, "size": 12}, "bgcolor": "white", "bordercolor": AXIS_LINE},
        xaxis={"title": {"standoff": 8, "font": {"size": BASE_FONT_SIZE}}, "showgrid": False, "zeroline": False, "showline": True, "linecolor": AXIS_LINE,
               "ticks": "outside", "tickcolor": AXIS_LINE, "ticklen": 4},
        yaxis={"showgrid": True, "gridcolor": GRIDLINE, "gridwidth": 1, "zeroline": False, "showline": False,
               "ticks": "", "title": {"standoff": 10, "font": {"size": BASE_FONT_SIZE}}},
        separators=".,",
    )
)


def contrast_ratio(foreground: str, background: str = "#FFFFFF") -> float:
    """WCAG 2.2's contrast ratio of two colours written '#RRGGBB', from 1 to 21. Text needs 4.5 on its
    background (AA), a line or marker that carries meaning 3 (the tests hold the house colours to it)."""

    def luminance(colour: str) -> float:
        channels = [int(colour.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4)]
        r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    lighter, darker = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


# --------------------------------------------------------------------------------------------
# Words and numbers
# --------------------------------------------------------------------------------------------


def is_missing(value: object) -> bool:
    """True for None, NaN and pandas' missing markers."""
    if value is None:
        return True
    try:
        return math.isnan(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def format_value(value: object, unit: str, *, decimals: int | None = None) -> str:
    """A figure as the dashboard writes it: 12.3% for a proportion, 1,234 for a count, 0.92
    for a rate; 'no data' when there is none. ``unit`` 'percent' is a value already 0-100."""
    if is_missing(value):
        return "no data"
    v = float(value)  # type: ignore[arg-type]
    if unit == "proportion":
        return f"{v * 100:.{1 if decimals is None else decimals}f}%"
    if unit == "percent":
        return f"{v:.{1 if decimals is None else decimals}f}%"
    if unit == "count":
        return f"{v:,.{0 if decimals is None else decimals}f}"
    return f"{v:,.{2 if decimals is None else decimals}f}"


def format_interval(lower: object, upper: object, unit: str) -> str:
    """A confidence interval in words, e.g. '10.1% to 14.6%'; '' when either end is missing."""
    if is_missing(lower) or is_missing(upper):
        return ""
    return f"{format_value(lower, unit)} to {format_value(upper, unit)}"


def format_change(change: object, unit: str) -> str:
    """A difference between two figures of one measure: '+1.2 pp' (percentage points) for a
    proportion, '+12' for a count, '+0.05' for a rate; '' when it cannot be worked out."""
    if is_missing(change):
        return ""
    c = float(change)  # type: ignore[arg-type]
    if unit == "proportion":
        return f"{c * 100:+.1f} pp"
    if unit == "percent":
        return f"{c:+.1f} pp"
    if unit == "count":
        return f"{c:+,.0f}"
    return f"{c:+,.2f}"


def axis_title(measure: Measure) -> str:
    """The value axis title, with its unit."""
    if measure.unit in ("proportion", "percent"):
        return "Percentage (%)"
    if measure.unit == "count":
        return "Number"
    return measure.name if len(measure.name) <= 32 else "Rate (ratio)"


def value_axis(unit: str) -> dict[str, object]:
    """Plotly axis settings for a value axis of this unit: percent ticks for proportions."""
    if unit == "proportion":
        return {"tickformat": ".0%", "hoverformat": ".1%"}
    if unit == "percent":
        return {"ticksuffix": "%", "tickformat": ",.0f", "hoverformat": ".1f"}
    if unit == "count":
        return {"tickformat": ",.0f", "hoverformat": ",.0f"}
    return {"tickformat": ",.2f", "hoverformat": ",.2f"}


def chart_title(what: str, area_name: str, when: str) -> str:
    """A title that says what and when, e.g.
    'Successful completions, opiate (PHOF C19a): Northvale (demo), 2021-22 Q3 to 2026-27 Q2'.

    Plain text (``apply_house_layout`` escapes it for plotly); a long name from a file is
    shortened, and an uploaded indicator's name may be long too."""
    where = ", ".join(part for part in (plain_text.shorten(area_name, plain_text.TITLE), when) if part)
    what = plain_text.shorten(what, 2 * plain_text.TITLE)
    return f"{what}: {where}" if where else what


def period_span(periods: Sequence[str]) -> str:
    """'2021-22 Q3 to 2026-27 Q2' for a run of period labels (in any order); one label alone."""
    labels = sorted({str(p) for p in periods if not is_missing(p) and str(p)})
    if not labels:
        return ""
    return labels[0] if len(labels) == 1 else f"{labels[0]} to {labels[-1]}"


def sources_in_words(kinds: Sequence[str] = ()) -> str:
    """What the uploads were, for a source line: 'NDTMS-style extracts', 'NDTMS ViewIt and OHID Fingertips
    downloads', or both joined ('NDTMS-style extracts; NDTMS ViewIt downloads')."""
    downloads = [name for kind, name in (("viewit", "NDTMS ViewIt"), ("fingertips", "OHID Fingertips"))
                 if kind in kinds]
    extracts = not kinds or any(k not in ("viewit", "fingertips") for k in kinds)
    parts = (["NDTMS-style extracts"] if extracts else []) + (
        [f"{' and '.join(downloads)} download{'s' if len(downloads) > 1 else ''}"] if downloads else [])
    return "; ".join(parts)


def source_text(*, demo: bool, uploaded: date | str | None = None, upload_ids: Sequence[int] = (),
                kinds: Sequence[str] = ()) -> str:
    """The source line: 'Source: NDTMS-style extracts uploaded 2026-11-22 (uploads 3, 7)' (naming the
    published downloads among the uploads), or the demo wording so a demo chart can never pass for real
    figures."""
    if demo:
        return DEMO_SOURCE
    text = f"Source: {sources_in_words(kinds)}"
    if uploaded:
        text += f" uploaded {uploaded.isoformat() if isinstance(uploaded, date) else uploaded}"
    ids = sorted(set(upload_ids))
    if ids:
        text += f" ({'upload' if len(ids) == 1 else 'uploads'} {', '.join(str(i) for i in ids)})"
    return text


def _as_source(source: str, demo: bool) -> str:
    text = (source or "").strip() or (DEMO_SOURCE if demo else "Source: not recorded")
    return text if text.lower().startswith("source") else f"Source: {text}"


def wrap_text(text: str, *, width_px: float, font_size: float, break_at_colon: bool = False,
              char_width: float = _CHAR_WIDTH) -> list[str]:
    """Lines of ``text`` that fit ``width_px`` at ``font_size``. With ``break_at_colon`` (for
    titles) a long text breaks after its colon when what comes before it fits on one line,
    so where and when start a line of their own."""
    per_line = max(20, int(width_px / (font_size * char_width)))
    if len(text) <= per_line:
        return [text]
    head, colon, tail = text.partition(": ")
    if break_at_colon and colon and len(head) + 1 <= per_line:
        return [head + ":", *textwrap.wrap(tail, per_line)]
    return textwrap.wrap(text, per_line)


def _legend_items(fig: go.Figure) -> list[str]:
    names = []
    for trace in fig.data:
        if trace.showlegend is False or not trace.name:
            continue
        if trace.showlegend is None and len(fig.data) == 1:
            continue  # plotly hides the legend of a lone trace
        names.append(str(trace.name))
    names += [str(shape.name) for shape in fig.layout.shapes if shape.showlegend and shape.name]
    # Names are written for plotly ('&lt;' for '<'): their width is that of the characters shown.
    return [html.unescape(name) for name in names]


def _legend_rows(fig: go.Figure, *, title: str = "") -> int:
    """How many rows the horizontal legend takes at the design width."""
    seen: set[str] = set()
    widths = []
    for name in _legend_items(fig):
        if name in seen:  # traces of one legend group share an entry
            continue
        seen.add(name)
        widths.append(len(name) * LEGEND_FONT_SIZE * _CHAR_WIDTH + 48)
    if not widths:
        return 0
    rows, used = 1, len(title) * LEGEND_FONT_SIZE * _CHAR_WIDTH + (12 if title else 0)
    available = DESIGN_WIDTH - 2 * _PAD
    for w in widths:
        if used and used + w > available:
            rows, used = rows + 1, 0.0
        used += w
    return rows


def _tick_label_chars(fig: go.Figure, axis: str, unit: str | None) -> int:
    """The widest tick label the value axis will probably show, in characters."""
    values = []
    letter = axis[0]
    for trace in fig.data:
        data = getattr(trace, letter, None)
        if data is None:
            continue
        for v in data:
            if isinstance(v, int | float) and not is_missing(v):
                values.append(abs(float(v)))
    top = max(values, default=1.0)
    if unit == "proportion":
        return 4
    if unit == "percent":
        return 4
    if unit == "count":
        return len(f"{top * 1.1:,.0f}")
    return len(f"{top * 1.1:,.2f}")


# --------------------------------------------------------------------------------------------
# The house layout
# --------------------------------------------------------------------------------------------


def apply_house_layout(
    fig: go.Figure,
    *,
    title: str,
    source: str,
    demo: bool,
    x_title: str = "",
    y_title: str = "",
    unit: str | None = None,
    value_axis_name: str = "yaxis",
    notes: Sequence[str] = (),
    height: int = DEFAULT_HEIGHT,
    plot_height: int | None = None,
    x_tick_lines: int = 1,
    y_tick_chars: int | None = None,
    legend_title: str = "",
) -> go.Figure:
    """Style ``fig`` the house way and return it.

    ``title``, the axis titles, ``legend_title`` and ``source`` are plain text: they are shown
    as written (``charts.plain_text.for_plotly``), so a name from a file cannot add a link or
    markup. ``notes`` are plotly markup (``<b>`` for bold): a name in a note must go through
    ``plain_text.for_plotly`` first.

    Sets the template, a title that wraps to fit (the plain title is kept in
    ``layout.meta['title']``), the legend above the plot, axis titles, a percent axis for
    proportions (``unit``), any ``notes`` under the plot, the source line at the foot and, when
    ``demo``, a visible "DEMO DATA" mark and watermark. Call it after adding the traces: the
    space for the legend and the tick labels is worked out from them (``y_tick_chars``
    overrides the widest y tick label, e.g. for category labels). ``plot_height``, when
    given, fixes the height of the plotting area instead of the whole figure (for bar
    charts whose height grows with their bars).

    Every margin is fixed in pixels (no auto-expansion), so the notes and source line sit at
    the same place on screen and on paper.
    """
    title = plain_text.clean(title)
    source_line = _as_source(plain_text.clean(source), demo)
    title_width = DESIGN_WIDTH - 2 * _PAD - (110 if demo else 0)
    title_lines = wrap_text(title, width_px=title_width, font_size=TITLE_FONT_SIZE, break_at_colon=True)
    legend_rows = _legend_rows(fig, title=legend_title)
    foot_width = DESIGN_WIDTH - 2 * _PAD
    # Notes are plain sentences, whose average character is narrower than a title's.
    foot = [("note", wrap_text(note, width_px=foot_width, font_size=NOTE_FONT_SIZE, char_width=0.5))
            for note in notes]
    foot.append(("source", [plain_text.for_plotly(line) for line in
                            wrap_text(source_line, width_px=foot_width, font_size=NOTE_FONT_SIZE, char_width=0.5)]))
    foot_lines = sum(len(lines) for _, lines in foot)

    legend_top = _PAD + _TITLE_LINE * len(title_lines) + 8
    top = legend_top + _LEGEND_ROW * legend_rows + (16 if legend_rows else 12)
    x_axis_space = (_TICK_LINE * x_tick_lines + 10 if x_tick_lines else 0) + (_AXIS_TITLE if x_title else 0)
    bottom = x_axis_space + 8 + _NOTE_LINE * foot_lines + _PAD
    height = top + bottom + plot_height if plot_height else max(height, top + bottom + 160)
    y_axis = "yaxis" if value_axis_name == "yaxis" else None
    chars = y_tick_chars if y_tick_chars is not None else _tick_label_chars(fig, "y", unit if y_axis else None)
    left_title = y_title if value_axis_name == "yaxis" else ""
    left = _PAD + (24 if left_title else 0) + int(chars * BASE_FONT_SIZE * _CHAR_WIDTH) + 12

    fig.update_layout(
        template=HOUSE_TEMPLATE,
        height=height,
        margin={"t": top, "b": bottom, "l": left, "r": 28, "pad": 0, "autoexpand": False},
        title={"text": "<br>".join(plain_text.for_plotly(line) for line in title_lines), "x": 0,
               "xref": "container", "xanchor": "left",
               # plotly anchors the first line of a multi-line title and hangs the rest below it,
               # so the title is placed by its first line's foot.
               "y": 1 - (_PAD + _TITLE_LINE - 4) / height, "yref": "container", "yanchor": "bottom",
               "pad": {"l": _PAD, "t": 0, "b": 0},
               "font": {"size": TITLE_FONT_SIZE, "color": TEXT, "family": FONT_FAMILY}},
        legend={"orientation": "h", "x": 0, "xref": "container", "xanchor": "left", "y": 1 - legend_top / height,
                "yref": "container", "yanchor": "top", "font": {"size": LEGEND_FONT_SIZE},
                "title": ({"text": plain_text.for_plotly(legend_title), "side": "left"} if legend_title
                          else {"text": ""}),
                "bgcolor": "rgba(255,255,255,0)", "tracegroupgap": 0, "indentation": _PAD - 2},
        showlegend=legend_rows > 0,
        meta={"title": title, "source": source_line, "demo": demo, "notes": list(notes)},
    )
    fig.update_xaxes(title_text=plain_text.for_plotly(x_title), automargin=False)
    fig.update_yaxes(automargin=False)
    if y_title:
        fig.layout["yaxis"].title.text = plain_text.for_plotly(y_title)
    if unit:
        fig.layout[value_axis_name].update(value_axis(unit))

    # Notes, then the source line, stacked upwards from the foot of the figure.
    lines_below = 0
    for name, lines in reversed(foot):
        fig.add_annotation(
            text="<br>".join(lines), name=name, showarrow=False, xref="paper", yref="paper", x=0, y=0,
            xanchor="left", yanchor="bottom", xshift=-left + _PAD, yshift=-bottom + _PAD + _NOTE_LINE * lines_below,
            align="left", font={"size": NOTE_FONT_SIZE, "color": SECONDARY_TEXT}, borderpad=0, borderwidth=0,
        )
        lines_below += len(lines)
    if demo:
        _add_demo_mark(fig, top=top)
    return fig


def _add_demo_mark(fig: go.Figure, *, top: int) -> None:
    fig.add_annotation(
        text=f"<b>{DEMO_MARK}</b>", name="demo_mark", showarrow=False, xref="paper", yref="paper", x=1, y=1,
        xanchor="right", yanchor="top", xshift=fig.layout.margin.r - _PAD, yshift=top - _PAD,
        font={"size": 12, "color": DARK_PINK}, bordercolor=DARK_PINK, borderwidth=1.5, borderpad=4,
        bgcolor="white",
    )
    fig.add_annotation(
        text=DEMO_MARK, name="demo_watermark", showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5,
        textangle=-18, font={"size": 64, "color": "rgba(128, 22, 80, 0.07)"},
    )


def no_data_figure(*, title: str, source: str, demo: bool, message: str = NO_DATA_MESSAGE,
                   height: int = 320) -> go.Figure:
    """A figure that says plainly there is nothing to show, styled like every other chart."""
    fig = go.Figure()
    apply_house_layout(fig, title=title, source=source, demo=demo, height=height, x_tick_lines=0)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.add_annotation(
        text=message, name="no_data", showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5,
        xanchor="center", yanchor="middle", font={"size": 16, "color": SECONDARY_TEXT},
    )
    return fig

