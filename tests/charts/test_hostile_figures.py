"""Every chart builder and display table shows the names it is given (areas, providers, teams,
custody suites, groups, the comparator) as written: escaped for plotly, cleaned of control and
bidirectional characters, shortened in titles and legends, whole in tables."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import plotly.graph_objects as go
import pytest

from charts import display, figures, plain_text, theme
from metrics.registry import measure
from tests.charts import sample_frames as frames

AREA = "[Click](https://evil.example/login) <b>Northvale</b> %{meta} \u202eevil\x07 and more words to shorten it"
GROUP = "<a href=\"https://evil.example\">T</a>%{y}\u2066x\u2069"
COMPARATOR = "<i>Westdale</i> [x](https://evil.example) %{meta}\u202e"
RAW = ["<b>Northvale</b>", "<a href=", "<i>Westdale</i>", "%{meta}", "%{y}\u2066", "\u202e", "\u2066", "\x07"]


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def _check(fig: go.Figure) -> dict[str, Any]:
    spec = json.loads(fig.to_json())
    spec["layout"].pop("meta", None)  # the plain title kept for the page, never drawn
    for text in _strings(spec):
        for raw in RAW:
            assert raw not in text, (raw, text)
    return spec


def _with_group(df, group: str = GROUP):  # noqa: ANN001, ANN202
    out = df.copy()
    first = sorted(g for g in out["group"].unique() if g)[0]
    out.loc[out["group"] == first, "group"] = group
    return out


def _title(spec: dict[str, Any]) -> str:
    return spec["layout"]["title"]["text"].replace("<br>", " ")


def test_trend_names_the_area_and_the_comparator_as_written() -> None:
    fig = figures.trend_figure(frames.series_frame(), measure="completions_opiate", area_name=AREA, source="s",
                               demo=False, benchmark_name=COMPARATOR)
    spec = _check(fig)
    names = [t.get("name") for t in spec["data"]]
    assert plain_text.for_plotly(AREA, limit=plain_text.LEGEND) in names
    assert plain_text.for_plotly(COMPARATOR, limit=plain_text.LEGEND) in names
    assert plain_text.for_plotly(plain_text.shorten(AREA, plain_text.TITLE)) in _title(spec)
    assert fig.layout.meta["title"].endswith(plain_text.shorten(AREA, plain_text.TITLE) + ", 2021-22 Q3 to 2026-27 Q2")


def test_spc_and_no_data_titles_show_the_area_as_written() -> None:
    spec = _check(figures.spc_figure(frames.series_frame(), measure="completions_opiate", area_name=AREA,
                                     source="s", demo=True))
    assert plain_text.for_plotly(plain_text.shorten(AREA, plain_text.TITLE)) in _title(spec)
    spec = _check(figures.trend_figure(frames.series_frame().iloc[:0], measure="completions_opiate",
                                       area_name=AREA, source="s", demo=False))
    assert plain_text.for_plotly(plain_text.shorten(AREA, plain_text.TITLE)) in _title(spec)


def test_funnel_labels_and_hover_show_the_team_as_written() -> None:
    spec = _check(figures.funnel_figure(_with_group(frames.funnel_frame()), measure="top_compliance",
                                        period_label="2026-27 Q2", area_name=AREA, level_label="team", source="s",
                                        demo=False))
    shown = plain_text.for_plotly(GROUP)
    assert shown in [text for t in spec["data"] for text in t.get("text") or []]
    assert shown in [row[0] for t in spec["data"] for row in t.get("customdata") or []]


def test_breakdown_bars_name_the_group_and_the_area_as_written() -> None:
    spec = _check(figures.breakdown_figure(_with_group(frames.breakdown_frame()), measure="effective_treatment_rate",
                                           period_label="2026-27 Q2", area_name=AREA, breakdown_label="Team",
                                           source="s", demo=False))
    assert plain_text.for_plotly(GROUP) in spec["data"][0]["y"]  # the bar's category label
    overall = [s["name"] for s in spec["layout"]["shapes"] if s.get("showlegend")]
    assert any(n.startswith(plain_text.for_plotly(AREA, limit=plain_text.LEGEND) + " overall") for n in overall)


def test_monthly_lines_name_the_suite_as_written() -> None:
    spec = _check(figures.monthly_figure(_with_group(frames.monthly_frame()), measure="toa_test_rate",
                                         area_name=AREA, source="s", demo=False))
    shown = plain_text.for_plotly(GROUP, limit=plain_text.LEGEND)
    line = next(t for t in spec["data"] if t.get("name") == shown)
    assert line["hovertemplate"].startswith(shown + ": %{customdata[0]}")


def test_house_layout_escapes_its_plain_texts() -> None:
    fig = go.Figure(go.Scatter(x=[1, 2], y=[1, 2], name="a"))
    theme.apply_house_layout(fig, title=AREA, source=f"Source: {AREA}", demo=False, x_title=AREA, y_title=AREA)
    spec = _check(fig)
    assert spec["layout"]["xaxis"]["title"]["text"] == plain_text.for_plotly(AREA)
    source = next(a for a in spec["layout"]["annotations"] if a["name"] == "source")
    assert "&lt;b&gt;Northvale&lt;/b&gt;" in source["text"]


def test_tables_show_names_whole_and_cleaned() -> None:
    table = display.comparison_table(_with_group(frames.funnel_frame()), measure=measure("top_compliance"))
    assert plain_text.clean(GROUP) in list(table["Group"])
    card = figures.scorecard_table(frames.scorecard_frame(), comparator_name=COMPARATOR)
    heading = plain_text.shorten(COMPARATOR, plain_text.LEGEND)
    assert heading in card.columns and f"Compared with {heading}" in card.columns
    assert not [c for c in card.columns if set(c) & set("\u202e\u2066\x07")]


@pytest.mark.parametrize("name", ["Status", "Value", "Compared with England", "Trend"])
def test_a_comparator_named_like_a_column_gets_its_own_column(name: str) -> None:
    card = figures.scorecard_table(frames.scorecard_frame(), comparator_name=name, trends={})
    assert card.columns.is_unique and f"{name} (comparator)" in card.columns
