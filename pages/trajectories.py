"""Trajectories: one measure over every quarter, against its target path, with SPC."""

from __future__ import annotations

import streamlit as st

from charts import display, figures, plain_text
from metrics import reports
from metrics.registry import MEASURES, measure
from metrics.reports import describe_latest, published_beside
from pages import downloads, state

selection = state.selection_or_stop()
version, targets = state.data_version(), state.targets()
st.title(f"Trajectories: {plain_text.for_markdown(selection.area_name, limit=plain_text.TITLE)}")
# The measures, then the partnership's local and published indicators, each by its name.
local = dict(state.indicator_choices(version, selection.area, targets))
ids = [m.id for m in MEASURES] + list(local)
if st.session_state.get("kpi") in ids:
    default = ids.index(st.session_state["kpi"])
else:  # Numbers in effective treatment, or where it has no figure (a partnership with downloads only) the first that has
    shown = state.scorecard(version, selection.area, selection.period.label, selection.comparator, None, targets)
    default = ids.index(reports.first_with_value(shown, preferred="effective_treatment", among=ids))
kpi = st.selectbox("Measure or indicator", ids, index=default,
                   format_func=lambda i: plain_text.clean(local[i]) if i in local else measure(i).name)
st.session_state["kpi"] = kpi
m = state.measure_of(version, kpi, targets)
st.caption(plain_text.for_markdown(m.definition) + (" Each point is the rolling 12 months to a quarter's end."
                                                  if kpi not in local else " Each point is a period as published."))

data = state.series(version, kpi, selection.area, selection.comparator, None, targets)
if data.empty:
    st.info(f"No figures for {plain_text.for_markdown(m.name)} in {plain_text.for_markdown(selection.area_name)} yet"
            + (f": it is computed from the {m.source} extract, and none has been uploaded for this partnership."
               if kpi not in local else "."))
    st.stop()
latest = describe_latest(data, period=selection.period)
cols = st.columns(4)
cols[0].metric(f"Value, {latest.period}", latest.value_text, latest.change_text, delta_color=latest.delta_color,
               help="The arrow shows the change on the previous quarter.")
cols[1].metric("Target", latest.target_text)
cols[2].metric("Gap to target", latest.gap_text)
cols[3].metric("Cases needed", latest.needed_text)
st.markdown(latest.reading)
beside = published_beside(data, period=selection.period)
if beside:
    st.info(plain_text.for_markdown(beside), icon=":material/compare_arrows:")

source = state.source_line(version)
demo = state.is_demo(version)
downloads.show_figure(figures.trend_figure, data, measure=m, area_name=selection.area_name, source=source, demo=demo,
                      benchmark_name=selection.comparator_name, name=f"{kpi} trajectory {selection.area_name}")
st.subheader("Statistical process control")
downloads.show_figure(figures.spc_figure, data, measure=m, area_name=selection.area_name, source=source, demo=demo,
                      name=f"{kpi} spc {selection.area_name}")
st.markdown(latest.spc_reading)
with st.expander("The figures in these charts"):  # the charts' text alternative
    st.dataframe(display.series_table(data, measure=m, benchmark_name=selection.comparator_name), hide_index=True,
                 width="stretch")
downloads.table_downloads(data, name=f"series-{kpi}-{selection.area}")
