"""Criminal justice: testing on arrest, required assessments, and the route into treatment."""

from __future__ import annotations

import streamlit as st

from charts import display, figures, plain_text
from metrics import coverage, reports
from metrics.registry import MEASURES, measure
from pages import downloads, state

selection = state.selection_or_stop()
version, targets = state.data_version(), state.targets()
source, demo = state.source_line(version), state.is_demo(version)
st.title(f"Criminal justice: {plain_text.for_markdown(selection.area_name, limit=plain_text.TITLE)}")
st.caption(f"Drug Interventions Programme activity in custody, rolling 12 months to {selection.period.end:%d %B %Y}, "
           "then month by month and by custody suite.")
card = state.scorecard(version, selection.area, selection.period.label, selection.comparator, None, targets)
dip = [m for m in MEASURES if m.family == "criminal_justice"]
for col, m in zip(st.columns(len(dip)), dip, strict=True):
    headline = reports.headline(card, kpi=m.id, comparator_name=plain_text.for_markdown(selection.comparator_name))
    col.metric(m.name, headline.value_text, help=m.definition)
    col.caption(headline.caption)

kpi = st.selectbox("Measure", [m.id for m in dip], format_func=lambda i: measure(i).name)
m = measure(kpi)
downloads.show_figure(figures.monthly_figure, state.monthly(version, selection.area, kpi), measure=m,
                      area_name=selection.area_name, source=source, demo=demo,
                      name=f"{kpi} by month {selection.area_name}")
by_suite = state.measure_frame(version, selection.area, selection.period.label, "suite", kpi, targets)
downloads.show_figure(figures.breakdown_figure, by_suite, measure=m, period_label=selection.period.label,
                      area_name=selection.area_name, breakdown_label="Custody suite", source=source, demo=demo,
                      name=f"{kpi} by suite {selection.area_name} {selection.period}")
st.dataframe(display.comparison_table(by_suite, measure=m), hide_index=True, width="stretch")
if coverage_notes := coverage.caption(by_suite):  # no data (which extract to upload), or partial
    st.caption(coverage_notes)
downloads.table_downloads(by_suite, name=f"{kpi}-by-suite-{selection.area}")

st.subheader("Criminal-justice referrals into treatment")
referrals = state.series(version, "cj_referrals", selection.area, selection.comparator, None, targets)
downloads.show_figure(figures.trend_figure, referrals, measure=measure("cj_referrals"),
                      area_name=selection.area_name, benchmark_name=selection.comparator_name, source=source, demo=demo,
                      name=f"cj referrals {selection.area_name}")
with st.expander("The figures in this chart"):  # the chart's text alternative
    st.dataframe(display.series_table(referrals, measure=measure("cj_referrals"),
                                      benchmark_name=selection.comparator_name), hide_index=True, width="stretch")
