"""The dashboard's router: page config, sign-in, navigation and the shared sidebar selection."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from pages import state

# A local icon: a page's Material icon would otherwise become the favicon, fetched from the internet.
ICON = Path(__file__).with_name("data") / "favicon.png"
st.set_page_config(page_title="Drug and alcohol treatment performance", page_icon=str(ICON), layout="wide")

PAGES = {
    "Performance": [
        st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
        st.Page("pages/trajectories.py", title="Trajectories", icon=":material/show_chart:"),
        st.Page("pages/providers.py", title="Providers and teams", icon=":material/apartment:"),
        st.Page("pages/compare.py", title="Compare areas", icon=":material/leaderboard:"),
        st.Page("pages/equality.py", title="Equality", icon=":material/diversity_3:"),
        st.Page("pages/criminal_justice.py", title="Criminal justice", icon=":material/local_police:"),
        st.Page("pages/quality.py", title="Data quality and TOPs", icon=":material/fact_check:"),
    ],
    "Data": [
        st.Page("pages/export.py", title="Export", icon=":material/download:"),
        st.Page("pages/upload.py", title="Upload", icon=":material/upload_file:"),
        st.Page("pages/about.py", title="About the measures", icon=":material/menu_book:"),
    ],
}

if state.sign_in_configured() and not st.user.is_logged_in:
    st.navigation([st.Page(state.sign_in_page, title="Sign in", icon=":material/login:")]).run()
    st.stop()

# One list, without the section headings: Streamlit 1.67 puts each section's heading and links in a
# <div> inside the navigation's <ul>, which is not a list to a screen reader (WCAG 1.3.1; axe-core's
# `list` and `listitem`). Ungrouped, the links are a plain <ul> of <li>, in the same order.
navigation = st.navigation([page for section in PAGES.values() for page in section])
st.session_state["selection"] = state.sidebar()
state.access_notice()
navigation.run()
