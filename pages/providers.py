"""Providers and teams: who differs from the rest by more than chance, and the exception report."""

from __future__ import annotations

import streamlit as st

from charts import display, figures, plain_text
from metrics.registry import MEASURES, measure
from pages import downloads, state

selection = state.selection_or_stop()
version, targets = state.data_version(), state.targets()
st.title(f"Providers and teams: {plain_text.for_markdown(selection.area_name, limit=plain_text.TITLE)}")
ids = [m.id for m in MEASURES if m.is_proportion and "provider" in m.breakdowns]
left, right = st.columns([3, 1])
kpi = left.selectbox("Measure", ids, format_func=lambda i: measure(i).name,
                     index=ids.index(st.session_state["kpi"]) if st.session_state.get("kpi") in ids else 0)
level = right.radio("Compare", ["provider", "team"], format_func=str.capitalize, horizontal=True)
m = measure(kpi)
st.caption(f"{m.definition} Rolling 12 months to {selection.period.end:%d %B %Y}. Points outside the funnel "
           "differ from the partnership's pooled value by more than chance would explain.")

if not state.has_computed(version, selection.area):
    st.info(state.no_extracts_note(selection.area_name, "Providers and teams"))
else:
    data = state.funnel(version, kpi, selection.period.label, selection.area, level, targets)
    downloads.show_figure(figures.funnel_figure, data, measure=m, period_label=selection.period.label,
                          area_name=selection.area_name, level_label=level, source=state.source_line(version),
                          demo=state.is_demo(version),
                          name=f"{kpi} funnel {level} {selection.area_name} {selection.period}")
    st.dataframe(display.comparison_table(data, measure=m), hide_index=True, width="stretch")
    downloads.table_downloads(data, name=f"funnel-{kpi}-{selection.area}-{level}")

st.subheader(f"Exception report, {selection.period}")
st.caption("Every measure with a target that is off target (red) or near it (amber), for the partnership, each "
           "provider and each team, as the joint commissioning group asks providers to report.")
report = state.exceptions(version, selection.period.label, selection.area, targets)
if report.empty:
    st.success("Nothing is red or amber this quarter.")
else:
    st.dataframe(display.exception_table(report), hide_index=True, width="stretch")
    downloads.table_downloads(report, name=f"exceptions-{selection.area}-{selection.period.label.replace(' ', '-')}")
