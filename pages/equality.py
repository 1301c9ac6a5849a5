"""Equality: who is reached, and how outcomes vary by ethnic group, sex and age."""

from __future__ import annotations

import streamlit as st

from charts import display, figures, plain_text
from metrics import reports
from metrics.registry import BREAKDOWN_LABELS, MEASURES, measure
from pages import downloads, state

selection = state.selection_or_stop()
version, targets = state.data_version(), state.targets()
st.title(f"Equality: {plain_text.for_markdown(selection.area_name, limit=plain_text.TITLE)}")
st.caption(f"Rolling 12 months to {selection.period.end:%d %B %Y}. The Home Office action plan asks for "
           "'analysis of varying rates of client engagement, by race, gender and age'.")
source, demo = state.source_line(version), state.is_demo(version)

card = state.scorecard(version, selection.area, selection.period.label, selection.comparator, None, targets)
cols = st.columns(2)
for col, kpi in zip(cols, ("bme_share", "ethnic_minority_share"), strict=True):
    headline = reports.headline(card, kpi=kpi, comparator_name=plain_text.for_markdown(selection.comparator_name))
    col.metric(measure(kpi).name, headline.value_text, help=measure(kpi).definition)
    col.caption(headline.caption)

for kpi in ("bme_share", "ethnic_minority_share"):
    data = state.series(version, kpi, selection.area, selection.comparator, None, targets)
    downloads.show_figure(figures.trend_figure, data, measure=measure(kpi), area_name=selection.area_name,
                          benchmark_name=selection.comparator_name, source=source, demo=demo,
                          name=f"{kpi} trend {selection.area_name}")
    with st.expander(f"The figures in this chart: {measure(kpi).name}"):  # the chart's text alternative
        st.dataframe(display.series_table(data, measure=measure(kpi), benchmark_name=selection.comparator_name),
                     hide_index=True, width="stretch")

st.subheader("Every measure by group")
if not state.has_computed(version, selection.area):
    st.info(state.no_extracts_note(selection.area_name, "Figures by ethnic group, sex and age band"))
    st.stop()
left, right = st.columns([3, 2])
ids = [m.id for m in MEASURES if {"ethnic_group", "sex", "age_band"} & set(m.breakdowns)]
kpi = left.selectbox("Measure", ids, format_func=lambda i: measure(i).name)
choices = [b for b in ("ethnic_group", "sex", "age_band") if b in measure(kpi).breakdowns]
breakdown = right.radio("By", choices, format_func=BREAKDOWN_LABELS.get, horizontal=True)
data = state.measure_frame(version, selection.area, selection.period.label, breakdown, kpi, targets)
downloads.show_figure(figures.breakdown_figure, data, measure=measure(kpi), period_label=selection.period.label,
                      area_name=selection.area_name, breakdown_label=BREAKDOWN_LABELS[breakdown], source=source,
                      demo=demo, name=f"{kpi} by {breakdown} {selection.area_name} {selection.period}")
st.dataframe(display.comparison_table(data, measure=measure(kpi)), hide_index=True, width="stretch")
downloads.table_downloads(data, name=f"{kpi}-by-{breakdown}-{selection.area}")
