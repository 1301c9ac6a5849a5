"""Overview: are we on track, where not, and by how much."""

from __future__ import annotations

import streamlit as st

from charts import figures, plain_text, theme
from metrics import coverage, reports
from pages import downloads, state

selection = state.selection_or_stop()
version, targets = state.data_version(), state.targets()
st.title(f"{plain_text.for_markdown(selection.area_name, limit=plain_text.TITLE)}: performance scorecard")
st.caption(f"Rolling 12 months to {selection.period.end:%d %B %Y} ({selection.period}); compared with "
           f"{plain_text.for_markdown(selection.comparator_name)}. Reds first. Select a row to see the measure's "
           "trajectory.")

card = state.scorecard(version, selection.area, selection.period.label, selection.comparator, None, targets)
if card.empty:
    st.info(f"There are no figures for {selection.period}. Choose another quarter, or upload its extracts.")
    st.stop()
# The changes since the quarter and the year before need those quarters' figures only (not two more scorecards).
previous_quarter = state.previous_values(version, selection.area, selection.period.shift(-1).label)
previous_year = state.previous_values(version, selection.area, selection.period.shift(-4).label)
counts = reports.status_counts(card, targets)
cols = st.columns(4)
for col, (status, count) in zip(cols, counts.items(), strict=True):
    col.metric(status, count)
card, local = reports.split_scorecard(card)

table = figures.scorecard_table(card, previous_quarter=previous_quarter, previous_year=previous_year,
                                trends=state.trends(version, selection.area, selection.period.label),
                                comparator_name=selection.comparator_name)
if card.empty:
    st.info("No measure is computed or published for this partnership in this quarter: upload its extracts, or "
            "an NDTMS ViewIt export. Its local and published indicators are below.")
picked = st.dataframe(
    figures.style_scorecard(table), hide_index=True, width="stretch", height="content", on_select="rerun",
    selection_mode="single-row", key="scorecard",
    # The house blue: Streamlit's default red would read as "off target" on every row of a RAG table.
    column_config={"Trend": st.column_config.LineChartColumn("Trend", width="small", color=theme.DARK_BLUE,
                                                             help="The last 8 quarters, each the rolling 12 months")},
)
if coverage_notes := coverage.caption(card):  # no data (which extract to upload) and partial figures
    st.caption(coverage_notes)
if picked.selection.rows:
    st.session_state["kpi"] = card.iloc[picked.selection.rows[0]]["kpi"]
    st.switch_page("pages/trajectories.py")
downloads.table_downloads(card, name=f"scorecard-{selection.area}-{selection.period.label.replace(' ', '-')}")
if card["provisional"].any():
    st.caption("Provisional: successful-completion figures can still change until 6 months after the window "
               "ends, because a client may re-present.")

if not local.empty:
    st.subheader("Local and published indicators")
    st.caption("Figures uploaded for the partnership (an indicators file, a Fingertips download, a ViewIt export), "
               "each for its own period: the quarter's, or the latest ending in the 12 months to "
               f"{selection.period.end:%d %B %Y}. Better or worse only where the targets file declares which way is "
               "better. Select a row to see its trajectory.")
    chosen = st.dataframe(figures.style_scorecard(figures.indicator_table(
        local, comparator_name=selection.comparator_name)), hide_index=True, width="stretch",
        height="content" if len(local) <= 15 else 560, on_select="rerun", selection_mode="single-row",
        key="indicators")
    if chosen.selection.rows:
        st.session_state["kpi"] = local.iloc[chosen.selection.rows[0]]["kpi"]
        st.switch_page("pages/trajectories.py")
    downloads.table_downloads(local, name=f"indicators-{selection.area}-{selection.period.label.replace(' ', '-')}")
