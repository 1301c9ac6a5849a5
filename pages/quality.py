"""Data quality and TOPs: is the data good enough to trust, and are outcomes being recorded."""

from __future__ import annotations

import streamlit as st

from charts import display, figures, plain_text
from metrics import coverage, reports
from metrics.registry import measure
from pages import downloads, state

selection = state.selection_or_stop()
version, targets = state.data_version(), state.targets()
source, demo = state.source_line(version), state.is_demo(version)
st.title(f"Data quality and TOPs: {plain_text.for_markdown(selection.area_name, limit=plain_text.TITLE)}")
st.caption(f"Rolling 12 months to {selection.period.end:%d %B %Y}, by provider.")
card = state.scorecard(version, selection.area, selection.period.label, selection.comparator, None, targets)
kpis = ("data_quality", "parental_status_recorded", "top_compliance", "top_start_compliance",
        "top_review_compliance", "top_exit_compliance")
for col, kpi in zip(st.columns(3) + st.columns(3), kpis, strict=True):
    headline = reports.headline(card, kpi=kpi, comparator_name=plain_text.for_markdown(selection.comparator_name))
    col.metric(measure(kpi).name, headline.value_text, help=measure(kpi).definition)
    col.caption(headline.caption)

kpi = st.selectbox("Measure by provider", kpis, format_func=lambda i: measure(i).name)
by_provider = state.measure_frame(version, selection.area, selection.period.label, "provider", kpi, targets)
downloads.show_figure(figures.breakdown_figure, by_provider, measure=measure(kpi),
                      period_label=selection.period.label, area_name=selection.area_name, breakdown_label="Provider",
                      source=source, demo=demo, name=f"{kpi} by provider {selection.area_name} {selection.period}")
st.dataframe(display.comparison_table(by_provider, measure=measure(kpi)), hide_index=True, width="stretch")
if coverage_notes := coverage.caption(by_provider):  # no data (which extract to upload), or partial
    st.caption(coverage_notes)

st.subheader("The fields most often missing")
st.caption("Journeys in treatment in the 12 months with each field not recorded (sex 'not stated' and ethnicity "
           "'not stated' count as not recorded; injecting status 'declined' is an answer).")
missing = state.missing_fields(version, selection.area, selection.period.label)
st.dataframe(display.missing_fields_table(missing), hide_index=True, width="stretch",
             column_config={"Journeys missing it": st.column_config.NumberColumn(format="localized"),
                            "Journeys in treatment": st.column_config.NumberColumn(format="localized"),
                            "Share missing": st.column_config.ProgressColumn(format="%.1f%%", min_value=0,
                                                                             max_value=100)})
downloads.table_downloads(missing, name=f"missing-fields-{selection.area}")
