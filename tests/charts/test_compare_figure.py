"""The compare-areas chart, its reading, its tables and its funnel, on frames made by hand.

Four areas of a measure where higher is better (a proportion), England 45.0%, the selected
partnership (Beta, in London, whose figure is 48.0%) second:

    rank  area  name             value   95% interval   compared with England
    1     A1    Alpha            60.0%   55.0 to 65.0   better (45% below the interval)
    2     A2    Beta <script>    50.0%   40.0 to 58.0   similar (45% inside)
    3     A3    Gamma & Co       40.0%   35.0 to 44.0   worse (45% above)
    4     A4    Delta            30.0%   no interval    not compared
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from charts import compare, tables, theme
from charts.compare import (
    COMPARISON_STYLES,
    compare_export_table,
    compare_figure,
    compare_funnel_figure,
    compare_reading,
    compare_table,
    funnel_table,
)
from metrics.registry import Measure

UP = Measure("ft_1", "Share in treatment", "proportion", "up", "indicator", "fingertips", "", ())
NEUTRAL = Measure("ft_2", "Share of something", "proportion", "neutral", "indicator", "fingertips", "", ())
SOURCE = "Source: OHID Fingertips downloads, 1 upload, latest 01 Dec 2026"


def _rows() -> pd.DataFrame:
    return pd.DataFrame({
        "kpi": "ft_1", "name": "Share in treatment", "area": ["A1", "A2", "A3", "A4"],
        "area_name": ["Alpha", "Beta <script>", "Gamma & Co", "Delta"], "period": "2024-25",
        "numerator": [600.0, 50.0, 3.0, 30.0], "denominator": [1000.0, 100.0, 7.5, 100.0],
        "value": [0.60, 0.50, 0.40, 0.30], "lower95": [0.55, 0.40, 0.35, np.nan],
        "upper95": [0.65, 0.58, 0.44, np.nan], "benchmark": 0.45,
        "benchmark_comparison": ["better", "similar", "worse", "not compared"], "region_value": 0.48,
        "rank": [1, 2, 3, 4], "group": "", "region": "E12000007", "region_name": "London", "unit": "proportion",
        "polarity": "up", "window_start": "2024-04-01", "window_end": "2025-03-31", "source": "fingertips: x.csv",
        "highlight": [False, True, False, False],
    })


def _figure(rows: pd.DataFrame | None = None, **options):
    return compare_figure(_rows() if rows is None else rows, **{
        "measure": UP, "period_label": "2024-25", "area_name": "Beta <script>", "source": SOURCE, "demo": False,
        **options})


def _trace(fig, name: str):
    found = [t for t in fig.data if t.name == name]
    assert len(found) == 1, [t.name for t in fig.data]
    return found[0]


def test_bars_keep_the_order_given_best_at_the_top_named_as_written() -> None:
    fig = _figure()
    axis = fig.layout.yaxis
    assert list(axis.categoryarray) == ["0", "1", "2", "3"]
    assert axis.autorange == "reversed"  # the first row, the best, at the top
    # Names from a file are shown as written (escaped for plotly), the selected one in bold.
    assert list(axis.ticktext) == ["Alpha", "<b>Beta &lt;script&gt;</b>", "Gamma &amp; Co", "Delta"]
    assert fig.layout.meta["title"] == "Share in treatment, all areas: Beta <script> highlighted, 2024-25"
    assert "&lt;script&gt;" in fig.layout.title.text and "<script>" not in fig.layout.title.text


def test_each_comparison_is_a_trace_of_its_own_colour_named_in_the_legend() -> None:
    fig = _figure()
    better, similar = _trace(fig, "Better than England"), _trace(fig, "Similar to England")
    worse, unmatched = _trace(fig, "Worse than England"), _trace(fig, "Not compared")
    assert (list(better.y), list(better.x)) == (["0"], [0.60])
    assert (list(similar.y), list(similar.x)) == (["1"], [0.50])
    assert (list(worse.y), list(worse.x)) == (["2"], [0.40])
    assert (list(unmatched.y), list(unmatched.x)) == (["3"], [0.30])
    assert (better.marker.color, similar.marker.color, worse.marker.color, unmatched.marker.color) == (
        "#00703C", "#B58500", "#D4351C", "#8C8C8C")
    # Not by colour alone: worse is hatched (and lower, below); the table says each in words.
    assert (worse.marker.pattern.shape, unmatched.marker.pattern.shape) == ("x", "")


def test_every_comparison_colour_stands_out_from_the_white_plot() -> None:
    for name, style in COMPARISON_STYLES.items():
        assert theme.contrast_ratio(style["color"]) >= 3, name


def test_neutral_measures_are_higher_or_lower_in_blues() -> None:
    rows = _rows().assign(benchmark_comparison=["higher", "similar", "lower", "not compared"])
    fig = _figure(rows, measure=NEUTRAL)
    assert _trace(fig, "Higher than England").marker.color == theme.DARK_BLUE
    assert _trace(fig, "Lower than England").marker.color == "#5694CA"
    assert _trace(fig, "Lower than England").marker.pattern.shape == "/"


def test_the_selected_partnership_is_outlined_bold_and_marked() -> None:
    fig = _figure()
    outline = _trace(fig, compare.OUTLINE_NAME)
    assert (list(outline.y), list(outline.x)) == (["1"], [0.50])
    assert (outline.marker.line.width, outline.marker.line.color, outline.showlegend) == (3, theme.TEXT, False)
    assert _trace(fig, "Similar to England").marker.line.width == 0  # its legend entry stays plain
    marker = _trace(fig, "Beta &lt;script&gt; (selected)")
    # Just beyond its interval's end (58%): the axis runs to 65%, padded by 6% of it (3.9 points), half of it.
    assert list(marker.y) == ["1"]
    assert marker.x[0] == pytest.approx(0.58 + 0.0195)
    assert marker.marker.symbol == "triangle-left"
    # The hover names the area as written, with its figures and rank.
    assert list(_trace(fig, "Similar to England").customdata[0]) == [
        "Beta &lt;script&gt;", "50.0%", "40.0% to 58.0%", "2nd"]


def test_england_and_the_region_are_lines_at_their_values() -> None:
    fig = _figure()
    lines = {s.name: s for s in fig.layout.shapes}
    assert set(lines) == {"England (45.0%)", "London region (48.0%)"}
    england, region = lines["England (45.0%)"], lines["London region (48.0%)"]
    assert (england.x0, england.x1, england.line.dash) == (0.45, 0.45, None)
    assert (region.x0, region.x1, region.line.dash) == (0.48, 0.48, "dash")
    assert england.showlegend and region.showlegend


def test_error_bars_are_the_95_percent_intervals() -> None:
    fig = _figure()
    better, similar = _trace(fig, "Better than England"), _trace(fig, "Similar to England")
    assert list(better.error_x.array) == pytest.approx([0.05]) and list(better.error_x.arrayminus) == pytest.approx([0.05])
    assert list(similar.error_x.array) == pytest.approx([0.08]) and list(similar.error_x.arrayminus) == pytest.approx([0.10])
    assert np.isnan(_trace(fig, "Not compared").error_x.array[0])  # no interval, no bar


def test_the_chart_grows_with_the_areas() -> None:
    many = pd.concat([_rows()] * 40, ignore_index=True).assign(area=[f"E{i:08d}" for i in range(160)])
    many["highlight"] = False
    few, tall = _figure(), _figure(many)
    plot = lambda f: f.layout.height - f.layout.margin.t - f.layout.margin.b  # noqa: E731
    assert (plot(few), plot(tall)) == (140, 160 * 15)
    assert "highlighted" not in tall.layout.meta["title"]  # nobody to highlight


def test_no_figures_say_so() -> None:
    for rows in (_rows().iloc[0:0], _rows().assign(value=np.nan)):
        fig = _figure(rows)
        assert [a.text for a in fig.layout.annotations if a.name == "no_data"] == [theme.NO_DATA_MESSAGE]
        assert not fig.data


def test_the_reading_in_one_line() -> None:
    assert compare_reading(_rows(), measure=UP, area_name="Beta <script>") == \
        "Beta <script>: 50.0%, 2nd of 4; similar to England (45.0%)."
    neutral = _rows().assign(benchmark_comparison=["higher", "higher", "lower", "not compared"])
    assert compare_reading(neutral, measure=NEUTRAL, area_name="Beta") == \
        "Beta: 50.0%, 2nd highest of 4; higher than England (45.0%)."
    assert compare_reading(_rows().assign(highlight=False), measure=UP, area_name="Nowhere") == \
        "Nowhere has no figure for this period; 4 areas have one."
    assert compare_reading(_rows().assign(highlight=False), measure=UP, area_name="England") == \
        "England: 45.0%, the line the 4 areas are compared with."


def test_the_table_beside_the_chart() -> None:
    table = compare_table(_rows(), measure=UP)
    assert list(table.columns) == compare.TABLE_COLUMNS
    assert table.iloc[1].tolist() == [2, "A2", "Beta <script>", "50.0%", "40.0% to 58.0%", "Similar to England",
                                      "London", "48.0%", "Selected"]
    assert table.iloc[3].tolist() == [4, "A4", "Delta", "30.0%", "", "Not compared", "London", "48.0%", ""]


def test_the_download_suppresses_small_counts() -> None:
    table = compare_export_table(_rows(), measure=UP)
    assert list(table.columns) == compare.EXPORT_COLUMNS
    gamma = table.iloc[2]
    # 3 of 7.5: a count of 1 to 4, so it and every figure built on it are starred.
    assert (gamma["Numerator"], gamma["Value"], gamma["Lower 95%"], gamma["Upper 95%"]) == ("*", "*", "*", "*")
    assert table.iloc[0][["Numerator", "Denominator", "Value", "Lower 95%", "England value", "Rank"]].tolist() == \
        [600, 1000, 60.0, 55.0, 45.0, 1]
    assert table.iloc[1]["Compared with England"] == "Similar to England"
    text = tables.to_csv_bytes(table).decode("utf-8-sig")  # the writer's own check for unsuppressed counts passes
    assert "Gamma & Co,London,2024-25,*,7.5,*,*,*,%,45.0,Worse than England,3,48.0,All areas" in text


def test_the_funnel_rings_the_selected_partnership_and_draws_percentages_as_shares() -> None:
    rows = _rows().iloc[[0, 1, 3]].assign(unit="percent")
    for column in ("value", "lower95", "upper95", "benchmark"):
        rows[column] = rows[column] * 100
    rows["funnel_centre"] = 680 / 1200  # pooled: (600 + 50 + 30) / (1000 + 100 + 100)
    rows["funnel_significance"] = ["Not significant"] * 3
    rows["group"] = "Neighbours"
    fig = compare_funnel_figure(rows, measure=Measure("ft_1", "Share", "rate", "up", "indicator", "", "", ()),
                                period_label="2024-25", group_name="Neighbours", highlight="A2", source=SOURCE,
                                demo=False)
    ring = _trace(fig, "Beta &lt;script&gt; (selected)")
    assert (list(ring.x), list(ring.y)) == ([100.0], [pytest.approx(0.50)])
    points = _trace(fig, "Not significant")
    assert list(points.y) == pytest.approx([0.60, 0.50, 0.30])
    assert fig.layout.meta["title"] == "Share by area: Neighbours, 2024-25"
    assert list(funnel_table(rows, measure=UP)["Area"]) == ["Alpha", "Beta <script>", "Delta"]
