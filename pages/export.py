"""Export: the quarterly board pack, and any measure's chart or table as a file for board papers."""

from __future__ import annotations

import streamlit as st

from charts import display, pack, plain_text, tables
from metrics.registry import BREAKDOWN_LABELS, MEASURES, measure
from pages import downloads, state

selection = state.selection_or_stop()
version, targets = state.data_version(), state.targets()
st.title(f"Export: {plain_text.for_markdown(selection.area_name, limit=plain_text.TITLE)}, {selection.period}")
st.caption(f"Files for the joint commissioning group and board papers: the rolling 12 months to "
           f"{selection.period.end:%d %B %Y}, compared with {plain_text.for_markdown(selection.comparator_name)}. "
           "Numbers of 1 to 4 people are never shown.")

st.subheader("Board pack")
st.markdown("A cover, the scorecard (reds first), a page for each measure with a target (its trajectory and "
            "what meeting the target takes), the exception report by provider and team, and the definitions.")
fmt = st.radio("Format", list(downloads.PACK_FORMATS), format_func=lambda f: downloads.PACK_FORMATS[f][0],
               horizontal=True, key="pack_format")
request = (version, selection, fmt)
if st.button("Build the board pack", type="primary", icon=":material/description:"):
    st.session_state["pack_request"] = request
if st.session_state.get("pack_request") == request:
    with st.spinner("Building the board pack: a chart for each measure with a target takes a few seconds..."):
        data, problem = downloads.board_pack(version, selection, fmt, targets)
    if problem:
        st.error(plain_text.for_markdown(problem))  # it may name an area, as its file gave it
    else:
        st.download_button(f"Download the board pack ({fmt.upper()}, {len(data) / 1e6:.1f} MB)", data,
                           file_name=downloads.file_stem(f"board pack {selection.area_name} {selection.period}")
                           + f".{fmt}", mime=downloads.PACK_FORMATS[fmt][1], on_click="ignore",
                           icon=":material/download:")

st.subheader("One measure: chart and table")
ids = [m.id for m in MEASURES]
kpi = st.selectbox("Measure", ids, format_func=lambda i: measure(i).name, key="export_kpi",
                   index=ids.index(st.session_state["kpi"]) if st.session_state.get("kpi") in ids else 0)
m = measure(kpi)
series = state.series(version, kpi, selection.area, selection.comparator, None, targets)
fig = pack.trajectory_chart(series, measure=m, period=selection.period, area_name=selection.area_name,
                            source=state.source_line(version), demo=state.is_demo(version),
                            comparator_name=selection.comparator_name)
downloads.show_chart(fig, name=f"{kpi} {selection.area} {selection.period}")

breakdown = st.selectbox("Table by", m.breakdowns, format_func=lambda b: BREAKDOWN_LABELS.get(b, b),
                         key="export_breakdown")
frame = downloads.breakdown_table(version, kpi, selection.area, selection.period.label, breakdown, targets)
st.dataframe(display.preview_table(tables.safe_table(frame)), hide_index=True, width="stretch")
downloads.table_downloads(frame, name=f"{kpi} by {breakdown} {selection.area} {selection.period}",
                          title=f"{m.name} by {BREAKDOWN_LABELS.get(breakdown, breakdown).lower()}: "
                                f"{plain_text.clean(selection.area_name)}, {selection.period}")
