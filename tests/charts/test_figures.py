"""The chart builders: each figure's data and layout say what the board needs to read."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from charts import figures, theme
from charts.figures import (
    SCORECARD_COLUMNS,
    breakdown_figure,
    funnel_figure,
    monthly_figure,
    scorecard_table,
    sparkline,
    sparkline_values,
    spc_figure,
    style_scorecard,
    trend_figure,
)
from metrics import spc, statistics
from metrics.registry import measure
from metrics.reports import FIELDS, FUNNEL_FIELDS, SPC_FIELDS
from tests.charts import sample_frames as sf

DEMO_SOURCE = theme.source_text(demo=True)
REAL_SOURCE = "Source: NDTMS-style extracts uploaded 2026-11-22 (uploads 3, 7)"
TREND_TITLE = "Successful completions, opiate (PHOF C19a): Northvale (demo), 2021-22 Q3 to 2026-27 Q2"

# Every colour a chart may use: the palette, the RAG colours, and the greys and tints of the house.
ALLOWED_COLOURS = {c.upper() for c in (
    *theme.CATEGORICAL, *theme.RAG_COLOURS.values(), theme.TEXT, theme.LIMIT_GREY, theme.POINT_GREY,
    theme.CONNECTOR_GREY,
    "WHITE", figures.BAR_FILL,
)} | {theme.BAND_FILL.upper()}


def _trend(demo: bool = True, **kwargs) -> go.Figure:
    return trend_figure(kwargs.pop("df", sf.series_frame()), measure="completions_opiate", area_name=sf.AREA_NAME,
                        source=DEMO_SOURCE if demo else REAL_SOURCE, demo=demo, **kwargs)


def _spc(df: pd.DataFrame | None = None, **kwargs) -> go.Figure:
    return spc_figure(sf.series_frame() if df is None else df, measure="completions_opiate",
                      area_name=sf.AREA_NAME, source=REAL_SOURCE, demo=False, **kwargs)


def _funnel(df: pd.DataFrame | None = None, **kwargs) -> go.Figure:
    return funnel_figure(sf.funnel_frame() if df is None else df, measure="top_compliance",
                         period_label="2026-27 Q2", area_name=sf.AREA_NAME, level_label="Provider",
                         source=DEMO_SOURCE, demo=True, **kwargs)


def _breakdown(df: pd.DataFrame | None = None) -> go.Figure:
    return breakdown_figure(sf.breakdown_frame() if df is None else df, measure="effective_treatment_rate",
                            period_label="2026-27 Q2", area_name=sf.AREA_NAME, breakdown_label="Ethnic group",
                            source=DEMO_SOURCE, demo=True)


def _monthly(df: pd.DataFrame | None = None) -> go.Figure:
    return monthly_figure(sf.monthly_frame() if df is None else df, measure="toa_test_rate",
                          area_name=sf.AREA_NAME, source=DEMO_SOURCE, demo=True)


def _trace(fig: go.Figure, name: str) -> go.Scatter:
    found = [t for t in fig.data if t.name == name]
    assert found, f"no trace named {name!r} in {[t.name for t in fig.data]}"
    return found[0]


def _annotations(fig: go.Figure, name: str) -> list[str]:
    """The text of the named annotations, top to bottom, with wrapped lines joined again."""
    found = [a for a in fig.layout.annotations if a.name == name]
    return [a.text.replace("<br>", " ") for a in sorted(found, key=lambda a: -(a.yshift or 0))]


def _plain_title(fig: go.Figure) -> str:
    return fig.layout.title.text.replace("<br>", " ")


def _colours(fig: go.Figure) -> set[str]:
    found: set[str] = set()
    for t in fig.data:
        for part in ("line", "marker", "fillcolor"):
            obj = getattr(t, part, None)
            colour = obj if isinstance(obj, str) else getattr(obj, "color", None) if obj is not None else None
            if isinstance(colour, str):
                found.add(colour.upper())
            elif colour is not None:
                found.update(str(c).upper() for c in colour)
    for shape in fig.layout.shapes:
        found.add(shape.line.color.upper())
    return found


# --------------------------------------------------------------------------------------------
# The house layout
# --------------------------------------------------------------------------------------------


def test_trend_title_says_what_and_when():
    fig = _trend()
    assert fig.layout.meta["title"] == TREND_TITLE
    assert _plain_title(fig) == TREND_TITLE
    # Wrapped after the colon so where and when start their own line, and every line fits.
    lines = fig.layout.title.text.split("<br>")
    assert lines[0] == "Successful completions, opiate (PHOF C19a):"
    assert all(len(line) * theme.TITLE_FONT_SIZE * 0.55 <= theme.DESIGN_WIDTH for line in lines)


def test_source_line_sits_under_the_plot():
    fig = _trend(demo=False)
    assert _annotations(fig, "source") == [REAL_SOURCE]
    source = next(a for a in fig.layout.annotations if a.name == "source")
    assert source.yref == "paper" and source.y == 0 and source.yshift < 0  # below the plot area
    assert fig.layout.meta["source"] == REAL_SOURCE


def test_demo_mark_only_on_demo_charts():
    assert _annotations(_trend(demo=True), "demo_mark") == ["<b>DEMO DATA</b>"]
    assert _annotations(_trend(demo=True), "source") == ["Source: synthetic demo data — not real figures"]
    assert _annotations(_trend(demo=False), "demo_mark") == []
    assert _annotations(_trend(demo=False), "demo_watermark") == []


def test_house_theme_font_background_and_gridlines():
    fig = _trend()
    template = fig.layout.template.layout
    assert "Arial" in template.font.family and "sans-serif" in template.font.family
    assert template.font.size >= 12
    assert template.paper_bgcolor == "white" and template.plot_bgcolor == "white"
    assert template.yaxis.showgrid and template.yaxis.gridcolor == theme.GRIDLINE
    assert not template.xaxis.showgrid
    assert list(template.colorway) == list(theme.CATEGORICAL)


def test_margins_are_fixed_so_notes_and_source_do_not_move():
    fig = _trend()
    assert fig.layout.margin.autoexpand is False
    # The legend starts below the title and ends above the plot.
    title_lines = fig.layout.title.text.count("<br>") + 1
    legend_top_px = (1 - fig.layout.legend.y) * fig.layout.height
    assert legend_top_px >= 12 + 22 * title_lines
    assert fig.layout.margin.t > legend_top_px + 22


@pytest.mark.parametrize("unit, expected", [("proportion", "12.3%"), ("count", "1,234"), ("rate", "0.92"),
                                            ("percent", "12.3%")])
def test_format_value(unit, expected):
    value = {"proportion": 0.12345, "count": 1234.0, "rate": 0.9213, "percent": 12.34}[unit]
    assert theme.format_value(value, unit) == expected
    assert theme.format_value(float("nan"), unit) == "no data"


def test_source_text_and_period_span():
    assert theme.source_text(demo=False, uploaded="2026-11-22", upload_ids=[7, 3]) == REAL_SOURCE
    assert theme.source_text(demo=False, uploaded="2026-11-22", upload_ids=[3]) == (
        "Source: NDTMS-style extracts uploaded 2026-11-22 (upload 3)")
    assert theme.source_text(demo=True, uploaded="2026-11-22") == theme.DEMO_SOURCE
    assert theme.period_span(["2022-23 Q1", "2021-22 Q3", "2026-27 Q2"]) == "2021-22 Q3 to 2026-27 Q2"
    assert theme.period_span(["2026-27 Q2"]) == "2026-27 Q2"


# --------------------------------------------------------------------------------------------
# 1. Trend
# --------------------------------------------------------------------------------------------


def test_trend_axes_have_titles_and_percent_ticks():
    fig = _trend()
    assert fig.layout.xaxis.title.text.startswith("Quarter")
    assert fig.layout.yaxis.title.text == "Percentage (%)"
    assert fig.layout.yaxis.tickformat == ".0%"
    assert fig.layout.xaxis.tickangle == 0
    assert fig.layout.xaxis.tickvals[-1] == "2026-27 Q2"  # the latest quarter is always labelled


def test_trend_count_measure_has_number_axis():
    df = sf.series_frame("in_treatment")
    fig = trend_figure(df, measure="in_treatment", area_name=sf.AREA_NAME, source=REAL_SOURCE, demo=False)
    assert fig.layout.yaxis.title.text == "Number"
    assert fig.layout.yaxis.tickformat == ",.0f"
    assert fig.layout.meta["title"].startswith("Numbers in treatment: Northvale (demo), ")


def test_trend_of_a_count_leaves_out_the_benchmark_count():
    """England's count beside a partnership's is its size, not a comparison: on one axis it flattens the
    partnership's line (Barnet 1,435 under England's 300,000), so the line is not drawn."""
    df = sf.series_frame("in_treatment").assign(benchmark=300_000.0)
    fig = trend_figure(df, measure="in_treatment", area_name=sf.AREA_NAME, source=REAL_SOURCE, demo=False,
                       benchmark_name="England")
    assert "England" not in [t.name for t in fig.data]
    notes = " ".join(a.text for a in fig.layout.annotations)
    assert "England's count is not drawn" in notes  # said under the chart, not left to be wondered at
    share = trend_figure(sf.series_frame().assign(benchmark=0.5), measure="effective_treatment_rate",
                         area_name=sf.AREA_NAME, source=REAL_SOURCE, demo=False, benchmark_name="England")
    assert "England" in [t.name for t in share.data]
    assert "not drawn" not in " ".join(a.text for a in share.layout.annotations)


def test_trend_draws_value_band_target_provisional_and_benchmark():
    df = sf.series_frame()
    fig = _trend(df=df)
    value = _trace(fig, sf.AREA_NAME)
    assert list(value.x) == df["period"].tolist()
    np.testing.assert_allclose(value.y, df["value"])
    assert value.line.color == theme.DARK_BLUE and value.mode == "lines+markers"

    band = _trace(fig, figures.BAND_NAME)
    assert band.fill == "tonexty"
    np.testing.assert_allclose(band.y, df["lower95"])
    upper = fig.data[list(fig.data).index(band) - 1]
    np.testing.assert_allclose(upper.y, df["upper95"])

    target = _trace(fig, "Target")
    assert target.line.dash in ("dash", "longdash")
    np.testing.assert_allclose(target.y, df["target"])  # NaN before the trajectory starts
    assert np.isnan(target.y[0]) and target.y[-1] > target.y[-5]  # varies by quarter

    provisional = _trace(fig, "provisional")
    assert list(provisional.x) == df.loc[df["provisional"], "period"].tolist() == ["2026-27 Q1", "2026-27 Q2"]
    assert provisional.marker.color == "white" and provisional.marker.line.color == theme.DARK_BLUE
    assert provisional.showlegend is not False

    england = _trace(fig, "England")
    assert england.line.dash == "dot"
    np.testing.assert_allclose(england.y, df["benchmark"])


def test_trend_hover_has_value_interval_counts_target_and_status():
    df = sf.series_frame()
    fig = _trend(df=df)
    value = _trace(fig, sf.AREA_NAME)
    last = list(value.customdata[-1])
    row = df.iloc[-1]
    assert last[0] == f"{row['value'] * 100:.1f}% (provisional)"
    assert last[1] == f"{row['lower95'] * 100:.1f}% to {row['upper95'] * 100:.1f}%"
    assert last[2] == f"{row['numerator']:,.0f} of {row['denominator']:,.0f}"
    assert last[3] == f"{row['target'] * 100:.1f}%"
    assert last[4] == figures.status_label(row["status"])
    assert "Status" in value.hovertemplate and "95% interval" in value.hovertemplate
    assert _trace(fig, figures.BAND_NAME).hoverinfo == "skip"


def test_trend_without_target_benchmark_or_provisional_leaves_them_out():
    df = sf.series_frame().assign(target=np.nan, benchmark=np.nan, provisional=False)
    names = {t.name for t in _trend(df=df).data}
    assert not names & {"Target", "England", "provisional"}
    assert not any("Hollow" in text for text in _annotations(_trend(df=df), "note"))


def test_trend_picks_the_partnership_row_of_a_breakdown_series():
    whole = sf.series_frame()
    provider = whole.assign(group="P01", breakdown="provider", value=whole["value"] / 2)
    fig = _trend(df=pd.concat([provider, whole]))
    np.testing.assert_allclose(_trace(fig, sf.AREA_NAME).y, whole["value"])
    one = _trend(df=pd.concat([provider, whole]), group="P01")
    np.testing.assert_allclose(_trace(one, sf.AREA_NAME).y, provider["value"])
    assert one.layout.meta["title"].startswith("Successful completions, opiate (PHOF C19a), P01: ")


def test_builders_do_not_change_their_input():
    df = sf.series_frame()
    before = df.copy()
    _trend(df=df)
    _spc(df)
    pd.testing.assert_frame_equal(df, before)
    funnel = sf.funnel_frame()
    funnel_before = funnel.copy()
    _funnel(funnel)
    pd.testing.assert_frame_equal(funnel, funnel_before)


def test_colours_come_from_the_palette():
    figs = [_trend(), _spc(), _funnel(labels=sf.PROVIDER_NAMES), _breakdown(), _monthly()]
    for fig in figs:
        assert _colours(fig) <= ALLOWED_COLOURS, fig.layout.meta["title"]


# --------------------------------------------------------------------------------------------
# Accessible to WCAG 2.2 AA: contrast, and never colour alone
# --------------------------------------------------------------------------------------------


def _text_colours(fig: go.Figure) -> set[str]:
    """Every colour a chart writes text in, on its white paper: the template's (ticks, legend,
    axis titles) and any set on the title, a trace's labels or a note. The demo watermark is left
    out: it is decoration (the boxed "DEMO DATA" mark says the same in full contrast)."""
    found = {fig.layout.template.layout.font.color, fig.layout.title.font.color}
    found |= {a.font.color for a in fig.layout.annotations if a.name != "demo_watermark"}
    found |= {t.textfont.color for t in fig.data if getattr(t, "textfont", None) is not None}
    return {str(c) for c in found if c is not None}


def test_every_text_on_a_chart_reaches_4_5_to_1():
    figs = [_trend(), _trend(demo=False), _spc(), _funnel(labels=sf.PROVIDER_NAMES), _breakdown(), _monthly(),
            theme.no_data_figure(title="Nothing", source=DEMO_SOURCE, demo=True)]
    for fig in figs:
        colours = _text_colours(fig)
        for colour in colours:
            assert theme.contrast_ratio(colour) >= 4.5, (colour, fig.layout.meta["title"])
        assert {theme.TEXT, theme.SECONDARY_TEXT} <= colours  # the title's, and the source line's (and notes')


def test_status_words_reach_4_5_to_1_wherever_they_are_written():
    from charts.pack.content import STATUS_TINTS

    # Streamlit's default primary colour at 10% on white: a selected row of the scorecard.
    selected_row = "#F9EBED"
    for status, colour in theme.RAG_TEXT_COLOURS.items():
        for background in ("#FFFFFF", selected_row, STATUS_TINTS[status]):
            assert theme.contrast_ratio(colour, background) >= 4.5, (status, colour, background)


def test_lines_and_markers_that_carry_meaning_reach_3_to_1():
    meaningful = {*theme.CATEGORICAL, theme.TARGET_LINE["color"], theme.BENCHMARK_LINE["color"], theme.LIMIT_GREY,
                  *(s["color"] for s in figures.SPC_STYLES.values()), *(s["color"] for s in figures.FUNNEL_STYLES.values())}
    for colour in meaningful:
        assert theme.contrast_ratio(colour) >= 3, colour


def test_no_line_is_told_apart_by_colour_alone():
    monthly = _monthly()
    assert len(monthly.data) == 4  # three suites and the total
    dashes = [t.line.dash for t in monthly.data]
    assert len(set(dashes)) == len(dashes), dashes
    assert theme.TARGET_LINE["dash"] not in dashes and theme.BENCHMARK_LINE["dash"] != theme.TARGET_LINE["dash"]
    funnel_symbols = [s["symbol"] for s in figures.FUNNEL_STYLES.values()]
    assert len(set(funnel_symbols)) == len(funnel_symbols)  # significance by shape as well as colour


# --------------------------------------------------------------------------------------------
# 2. SPC
# --------------------------------------------------------------------------------------------


def test_spc_draws_mean_limits_and_target():
    df = sf.series_frame()
    fig = _spc(df)
    limits = [t for t in fig.data if t.legendgroup == "limits"]
    assert len(limits) == 2 and sum(bool(t.showlegend) for t in limits) == 1
    assert all(t.line.dash == "dash" and t.line.color == theme.LIMIT_GREY for t in limits)
    np.testing.assert_allclose(limits[0].y, df["spc_upper"])
    np.testing.assert_allclose(limits[1].y, df["spc_lower"])
    np.testing.assert_allclose(_trace(fig, "Mean").y, df["spc_mean"])
    np.testing.assert_allclose(_trace(fig, "Target").y, df["target"])
    assert fig.layout.meta["title"] == TREND_TITLE


def test_spc_points_are_coloured_and_shaped_by_their_variation():
    df = sf.series_frame()
    fig = _spc(df)
    kinds = set(df["spc_point"])
    assert {spc.IMPROVEMENT, spc.CONCERN} <= kinds  # the sample has both, so both must be drawn
    for kind in kinds:
        style = figures.SPC_STYLES[kind]
        trace = _trace(fig, style["name"])
        assert list(trace.x) == df.loc[df["spc_point"] == kind, "period"].tolist()
        assert trace.marker.color == style["color"] and trace.marker.symbol == style["symbol"]
    assert figures.SPC_STYLES[spc.IMPROVEMENT]["color"] == theme.DARK_BLUE
    assert figures.SPC_STYLES[spc.CONCERN]["color"] == theme.ORANGE
    symbols = {s["symbol"] for s in figures.SPC_STYLES.values()}
    assert len(symbols) == len(figures.SPC_STYLES)  # shape, not only colour


def test_spc_writes_the_icons_in_words():
    df = sf.series_frame()
    notes = " ".join(_annotations(_spc(df), "note"))
    variation, assurance = df["spc_variation"].iloc[-1], df["spc_assurance"].iloc[-1]
    assert variation and assurance
    assert figures.VARIATION_WORDS[variation] in notes
    assert figures.ASSURANCE_WORDS[assurance] in notes
    assert "provisional" not in notes  # 20 points


def test_spc_with_a_short_series_says_the_limits_are_provisional():
    fig = _spc(sf.series_frame(quarters=8))
    notes = " ".join(_annotations(fig, "note"))
    assert "limits are provisional (fewer than 12 points)" in notes
    assert any(t.name == "Process limits (provisional)" for t in fig.data)


def test_spc_with_one_point_draws_it_without_limits():
    fig = _spc(sf.series_frame(quarters=1))
    assert not [t for t in fig.data if t.legendgroup == "limits"]
    assert "Too few points for process limits" in " ".join(_annotations(fig, "note"))
    assert _annotations(fig, "no_data") == []


# --------------------------------------------------------------------------------------------
# 3. Funnel
# --------------------------------------------------------------------------------------------


def test_funnel_limits_are_smooth_and_match_the_statistics():
    df = sf.funnel_frame()
    fig = _funnel(df)
    centre = df["funnel_centre"].iloc[0]
    for name in ("95% limits", "99.8% limits"):
        upper, lower = [t for t in fig.data if t.name == name]
        assert len(upper.x) >= 100  # a smooth curve, not one point per provider
        expected = statistics.funnel_limits(centre=centre, denominators=np.asarray(upper.x))
        attr = "95" if name.startswith("95") else "998"
        np.testing.assert_allclose(upper.y, getattr(expected, f"upper_{attr}"))
        np.testing.assert_allclose(lower.y, getattr(expected, f"lower_{attr}"))
        assert upper.x[-1] >= df["denominator"].max()
    pooled = next(t for t in fig.data if t.name.startswith("Pooled value"))
    np.testing.assert_allclose(pooled.y, [centre, centre])
    assert theme.format_value(centre, "proportion") in pooled.name


def test_funnel_points_by_significance_with_names_and_hover():
    df = sf.funnel_frame()
    fig = _funnel(df, labels=sf.PROVIDER_NAMES)
    point_traces = [t for t in fig.data if t.name in statistics.FUNNEL_LABELS]
    assert {t.name for t in point_traces} == set(df["funnel_significance"])
    assert len({t.marker.symbol for t in point_traces}) == len(point_traces)
    for t in point_traces:
        rows = df[df["funnel_significance"] == t.name]
        assert list(t.x) == rows["denominator"].tolist()
        np.testing.assert_allclose(t.y, rows["value"])
        assert list(t.text) == [sf.PROVIDER_NAMES[g] for g in rows["group"]]
        assert len(t.textposition) == len(rows)
        assert all(c[3] == t.name for c in t.customdata)
        assert "Significance" in t.hovertemplate
    assert fig.layout.meta["title"] == "TOP compliance by provider: Northvale (demo), 2026-27 Q2"
    assert fig.layout.xaxis.title.text.startswith("Denominator")
    assert fig.layout.yaxis.tickformat == ".0%"


def test_funnel_with_many_points_uses_hover_not_labels():
    fig = funnel_figure(sf.partnerships_frame(150), measure="top_compliance", period_label="2026-27 Q2", area_name="England",
                        level_label="partnership", source=REAL_SOURCE, demo=False)
    points = [t for t in fig.data if t.name in statistics.FUNNEL_LABELS]
    assert sum(len(t.x) for t in points) == 150  # significance worked out when the frame lacks it
    assert all(t.mode == "markers" for t in points)


def test_funnel_drops_rows_without_a_denominator():
    df = pd.concat([sf.funnel_frame(), sf.funnel_frame().iloc[[0]].assign(group="P99", numerator=0,
                                                                          denominator=0, value=np.nan)])
    fig = _funnel(df)
    points = [t for t in fig.data if t.name in statistics.FUNNEL_LABELS]
    assert sum(len(t.x) for t in points) == len(sf.PROVIDERS)


# --------------------------------------------------------------------------------------------
# 4. Breakdown
# --------------------------------------------------------------------------------------------


def test_breakdown_bars_with_error_bars_target_and_overall():
    df = sf.breakdown_frame()
    fig = _breakdown(df)
    bar = next(t for t in fig.data if isinstance(t, go.Bar))
    groups = df[df["group"] != ""]
    assert bar.orientation == "h"
    assert list(bar.y) == groups["group"].tolist()
    stated = groups["denominator"] > 0
    np.testing.assert_allclose(np.asarray(bar.error_x.array)[stated.to_numpy()],
                               (groups["upper95"] - groups["value"])[stated])
    np.testing.assert_allclose(np.asarray(bar.error_x.arrayminus)[stated.to_numpy()],
                               (groups["value"] - groups["lower95"])[stated])
    assert "n: " in bar.hovertemplate
    assert bar.customdata[0][2] == f"{groups['numerator'].iloc[0]:,.0f} of {groups['denominator'].iloc[0]:,.0f}"
    target = [s for s in fig.layout.shapes if s.name and s.name.startswith("Target")]
    assert len(target) == 1 and target[0].x0 == pytest.approx(0.8) and target[0].line.dash == "longdash"
    overall = [s for s in fig.layout.shapes if s.name and "overall" in s.name]
    assert overall[0].x0 == pytest.approx(df.loc[df["group"] == "", "value"].iloc[0])
    assert fig.layout.yaxis.autorange == "reversed"  # first group at the top
    assert fig.layout.xaxis.tickformat == ".0%"
    assert fig.layout.meta["title"] == ("Effective treatment rate by ethnic group: Northvale (demo), 2026-27 Q2")
    # Values are written on the bars; a group with no clients says so.
    assert bar.text[0] == theme.format_value(groups["value"].iloc[0], "proportion")
    texts = [t for t in fig.data if getattr(t, "mode", None) == "text"]
    assert [t.strip("\xa0") for t in texts[0].text] == ["no data"]
    assert list(texts[0].y) == ["Not stated (Z)"]


def test_breakdown_grows_with_its_groups():
    df = sf.breakdown_frame()
    small = _breakdown(df.iloc[:3])
    large = _breakdown(df)
    assert large.layout.height > small.layout.height


# --------------------------------------------------------------------------------------------
# 5. Monthly
# --------------------------------------------------------------------------------------------


def test_monthly_one_line_per_suite_and_the_total():
    df = sf.monthly_frame()
    fig = _monthly(df)
    names = [t.name for t in fig.data]
    assert names == ["Harbour Road", "Millbrook", "Northvale Central", "All suites"]
    total = _trace(fig, "All suites")
    assert total.line.color == theme.TEXT and total.line.width > _trace(fig, "Millbrook").line.width
    assert pd.Timestamp(total.x[0]) == pd.Timestamp("2025-01-01")
    assert fig.layout.xaxis.type == "date"
    assert fig.layout.meta["title"] == "Tests per trigger arrest, month by month: Northvale (demo), Jan 2025 to Jun 2026"
    assert fig.layout.xaxis.title.text == "Month"


def test_monthly_single_line():
    df = sf.monthly_frame()
    fig = _monthly(df[df["group"] == ""].drop(columns=["group"]))
    assert [t.name for t in fig.data] == [sf.AREA_NAME]


# --------------------------------------------------------------------------------------------
# Empty data
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("build", [
    lambda: _trend(df=pd.DataFrame(columns=FIELDS + SPC_FIELDS)),
    lambda: _spc(pd.DataFrame(columns=FIELDS + SPC_FIELDS)),
    lambda: _funnel(pd.DataFrame(columns=FIELDS + FUNNEL_FIELDS)),
    lambda: _breakdown(pd.DataFrame(columns=FIELDS)),
    lambda: _monthly(pd.DataFrame(columns=["month", "group", "value"])),
    lambda: _trend(df=sf.series_frame().assign(value=np.nan)),
    lambda: _breakdown(sf.breakdown_frame().iloc[[0]]),  # the partnership row alone: no groups to show
], ids=["trend", "spc", "funnel", "breakdown", "monthly", "trend-all-missing", "breakdown-no-groups"])
def test_empty_data_gives_a_no_data_figure(build):
    fig = build()
    assert isinstance(fig, go.Figure)
    note = next(a for a in fig.layout.annotations if a.name == "no_data")
    assert note.text == "No data for this selection"
    assert (note.x, note.y, note.xanchor, note.yanchor) == (0.5, 0.5, "center", "middle")
    assert fig.layout.meta["title"]  # still says what it would have shown
    assert _annotations(fig, "source")


# --------------------------------------------------------------------------------------------
# 6. Sparklines and 7. the scorecard table
# --------------------------------------------------------------------------------------------


def test_sparkline_values_oldest_first_without_gaps():
    df = sf.series_frame().sample(frac=1, random_state=3)  # shuffled
    df.loc[df["period"] == "2023-24 Q1", "value"] = np.nan
    values = sparkline_values(df)
    expected = sf.series_frame().set_index("period")["value"].drop("2023-24 Q1")
    assert values == pytest.approx(expected.sort_index().tolist())
    assert sparkline_values(pd.DataFrame(columns=FIELDS)) == []


def test_sparkline_is_tiny_and_bare():
    fig = sparkline([0.1, None, 0.12, 0.15])
    assert fig.layout.height <= 60
    assert fig.layout.xaxis.visible is False and fig.layout.yaxis.visible is False
    assert fig.layout.showlegend is False
    assert list(fig.data[1].x) == [3]  # the latest point is marked


def test_scorecard_table_formats_every_column():
    current, last_quarter = sf.scorecard_frame(), sf.scorecard_frame(shift=-0.05)
    table = scorecard_table(current, previous_quarter=last_quarter, previous_year=sf.scorecard_frame(shift=-0.1))
    assert list(table.columns) == SCORECARD_COLUMNS
    by_measure = table.set_index("Measure")
    opiate = by_measure.loc[measure("completions_opiate").name]
    row = current[current["kpi"] == "completions_opiate"].iloc[0]
    assert opiate["Status"] == "✖ Off target"
    assert opiate["Value"] == f"{row['value'] * 100:.1f}%"
    assert opiate["95% interval"] == f"{row['lower95'] * 100:.1f}% to {row['upper95'] * 100:.1f}%"
    assert opiate["Target"] == "9.0%"
    assert opiate["Gap"] == f"{row['gap'] * 100:+.1f} pp"
    assert opiate["Cases needed"] == f"{row['needed']:,.0f}" and row["needed"] > 0
    assert opiate["England"] == "5.5%"
    assert opiate["Compared with England"] == row["benchmark_comparison"].capitalize()
    assert opiate["Provisional"] == "provisional"
    previous = last_quarter.loc[last_quarter["kpi"] == "completions_opiate", "value"].iloc[0]
    assert previous != row["value"]
    assert opiate["Change on previous quarter"] == f"{(row['value'] - previous) * 100:+.1f} pp"

    counted = by_measure.loc["Numbers in treatment"]
    assert counted["Value"] == "1,234"
    assert counted["Status"] == "– No target or data"
    assert counted["Target"] == "" and counted["Cases needed"] == ""
    year_ago = round(1234 * 0.9)
    assert counted["Change on previous year"] == f"{1234 - year_ago:+,} ({(1234 - year_ago) / year_ago:+.1%})"
    assert counted["Provisional"] == ""
    assert by_measure.loc["Tests per trigger arrest", "Value"] == "0.87"
    assert by_measure.loc["TOP compliance", "Status"] == "▲ Near target"


def test_scorecard_table_without_previous_quarters_leaves_changes_blank():
    table = scorecard_table(sf.scorecard_frame())
    assert set(table["Change on previous quarter"]) == {""}
    assert set(table["Change on previous year"]) == {""}
    assert scorecard_table(pd.DataFrame(columns=FIELDS)).columns.tolist() == SCORECARD_COLUMNS


def test_scorecard_table_trend_column_and_status_colours():
    series = sf.series_frame()
    table = scorecard_table(sf.scorecard_frame(), trends={"completions_opiate": sparkline_values(series)})
    assert table.columns[2] == "Trend"
    assert table.loc[0, "Trend"] == pytest.approx(series["value"].tolist())
    assert table.loc[1, "Trend"] == []
    # Quarters without a value (before the first upload, or no denominator) are left out of the line.
    gappy = scorecard_table(sf.scorecard_frame(), trends={"completions_opiate": [None, 0.2, float("nan"), 0.3]})
    assert gappy.loc[0, "Trend"] == [0.2, 0.3]
    html = style_scorecard(table).to_html()
    assert theme.RAG_TEXT_COLOURS["red"].lower() in html.lower()
    assert theme.RAG_TEXT_COLOURS["amber"].lower() in html.lower()


def test_status_label_has_a_symbol_and_a_word():
    labels = {status: figures.status_label(status) for status in ("green", "amber", "red", "grey")}
    assert labels == {"green": "✔ On target", "amber": "▲ Near target", "red": "✖ Off target",
                      "grey": "– No target or data"}
    assert figures.status_label(None) == figures.status_label(float("nan")) == labels["grey"]


def test_a_target_or_comparator_with_a_single_quarter_is_still_drawn():
    """A line needs two points: one quarter of data (or a quarter between gaps) gets a short dash there, so
    the legend's "Target" and "England" match something on the chart; joined quarters stay a plain line."""
    one = sf.series_frame().tail(1)
    for fig in (_trend(df=one), _spc(df=one)):
        target = _trace(fig, "Target")
        assert target.mode == "lines+markers" and target.marker.symbol == "line-ew"
        assert list(target.marker.size) == [18]
    assert _trace(_trend(df=one), "England").mode == "lines+markers"
    gap = sf.series_frame().tail(4).reset_index(drop=True)
    gap.loc[[0, 2], "target"] = np.nan  # quarters 1 and 3 stand alone
    target = _trace(_trend(df=gap), "Target")
    assert list(target.marker.size) == [0, 18, 0, 18]
    whole = _trace(_trend(), "Target")  # NaN before the trajectory starts, then joined: a plain line
    assert whole.mode == "lines"


def test_a_breakdown_drawn_from_hidden_figures_says_which_groups_are_withheld():
    from charts import tables

    df = sf.breakdown_frame()
    small = df.index[df["group"] == "Chinese or other (R-S)"][0]
    df.loc[small, ["numerator", "denominator", "value"]] = [3, 11, 3 / 11]
    safe, hidden = tables.hide_small(df)
    assert hidden
    fig = figures.breakdown_figure(safe, measure="effective_treatment_rate", period_label="2026-27 Q2",
                                   area_name=sf.AREA_NAME, breakdown_label="Ethnic group", source=REAL_SOURCE,
                                   demo=False)
    bar = next(trace for trace in fig.data if trace.type == "bar")
    labels = {name: text for name, text in zip(bar.y, bar.text, strict=True) if text}
    for trace in fig.data:  # labels too long for their bar sit beside it
        if trace.type == "scatter" and trace.mode == "text":
            labels.update({name: text.strip("\u00a0") for name, text in zip(trace.y, trace.text, strict=True)})
    assert labels["Chinese or other (R-S)"] == labels["Mixed (D-G)"] == "not shown (small numbers)"
    assert labels["Not stated (Z)"] == "no data"  # no figure at all, not a withheld one
    assert labels["White (A-C)"].endswith("%")


def test_a_lone_quarter_shows_its_interval():
    one = _trend(df=sf.series_frame().tail(1))
    bar = _trace(one, "Interval of a lone quarter")
    row = sf.series_frame().iloc[-1]
    assert bar.error_y.array[0] == pytest.approx(row["upper95"] - row["value"])
    assert bar.error_y.arrayminus[0] == pytest.approx(row["value"] - row["lower95"])
    assert not [t for t in _trend().data if t.name == "Interval of a lone quarter"]  # a band does it
