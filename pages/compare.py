"""Compare areas: every area with a figure side by side, against England and its region, as Fingertips does."""

from __future__ import annotations

import streamlit as st

from charts import compare as compare_charts
from charts import plain_text, tables
from metrics.compare import CompareError
from pages import downloads, state

selection = state.selection_or_stop()
version, targets = state.data_version(), state.targets()
area, area_name = selection.area, selection.area_name  # the sidebar's partnership, highlighted
st.title("Compare areas")
choices = dict(state.compare_choices(version, targets))
if not choices:
    st.info("No measure or indicator has figures for two or more areas yet, so there is nothing to compare. "
            "Upload a Fingertips download (Fingertips' 'Download data' for an indicator holds every upper-tier "
            "area of England, with England and the regions), a ViewIt export of several areas, or an indicators "
            "file with figures for several areas, on the Upload page.")
    st.page_link("pages/upload.py", label="Go to the Upload page", icon=":material/upload_file:")
    st.stop()

left, middle, right = st.columns([3, 1, 2])
kpi = left.selectbox("Measure or indicator", list(choices), format_func=lambda k: plain_text.clean(choices[k]))
periods = state.compare_periods(version, kpi)[::-1]  # newest first; the sidebar's quarter where it is one
period = middle.selectbox("Period", periods, index=periods.index(selection.period.label)
                          if selection.period.label in periods else 0)
group = right.selectbox("Areas to compare", ["", *state.compare_groups(version, targets)],
                        format_func=lambda g: plain_text.clean(g) or "All areas")
m = state.measure_of(version, kpi, targets)
try:
    rows = state.compare_areas(version, kpi, period, group or None, area, targets)
except CompareError as exc:
    st.warning(plain_text.for_markdown(exc))
    st.stop()
st.caption(f"{plain_text.for_markdown(m.definition)} Each area's value with its 95% confidence interval, best "
           "first; coloured by whether England's value lies outside the interval (better or worse, or higher or "
           "lower where neither direction is better) or inside it (similar).")
if rows.empty:
    st.info(f"No area in {plain_text.for_markdown(group)} has a figure for {plain_text.for_markdown(period)}. "
            "Choose All areas, or another group.")
    st.stop()
st.markdown(f"**{plain_text.for_markdown(compare_charts.compare_reading(rows, measure=m, area_name=area_name))}**")

name = f"compare {kpi} {period} {group or 'all areas'}"
source, demo = state.source_line(version), state.is_demo(version)
downloads.show_figure(compare_charts.compare_figure, rows, measure=m, period_label=period, area_name=area_name,
                      group_name=group, demo=demo, source=source, name=name)
with st.expander("The figures in a table", expanded=True):
    st.dataframe(compare_charts.compare_table(rows, measure=m), hide_index=True, width="stretch")
    export, stem = compare_charts.compare_export_table(rows, measure=m), downloads.file_stem(name)
    csv, xlsx = st.columns(2)
    csv.download_button("Download as CSV", data=lambda: tables.to_csv_bytes(export), file_name=f"{stem}.csv",
                        mime="text/csv", on_click="ignore", icon=":material/download:")
    xlsx.download_button("Download as Excel", data=lambda: tables.to_xlsx_bytes(export, title=name),
                         file_name=f"{stem}.xlsx", on_click="ignore", icon=":material/download:",
                         mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

funnel = state.compare_funnel(version, kpi, period, group or None, area, targets)
if not funnel.empty:
    st.subheader("Funnel plot: the areas with counts")
    st.caption("Each area at its denominator; points outside the funnel differ from the areas' pooled value by "
               "more than chance would explain.")
    downloads.show_figure(compare_charts.compare_funnel_figure, funnel, measure=m, period_label=period,
                          group_name=group, highlight=area, demo=demo, source=source, name=f"{name} funnel")
    st.dataframe(compare_charts.funnel_table(funnel, measure=m), hide_index=True, width="stretch")
