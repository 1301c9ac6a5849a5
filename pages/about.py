"""About the measures: every definition in plain words, from the registry."""

from __future__ import annotations

import streamlit as st

from metrics.registry import FAMILY_LABELS, MEASURES
from metrics.targets import STATUS_SYMBOLS, STATUS_WORDS

st.title("About the measures")
st.write(
    "Every figure is for the rolling 12 months to the end of the chosen quarter, per partnership, counting "
    "only the newest version of each journey, TOP and DIP return. Proportions come with 95% and 99.8% "
    "confidence intervals (Wilson score method), counts with 95% intervals (Byar's method)."
)
for family, label in FAMILY_LABELS.items():
    st.subheader(label)
    for m in (m for m in MEASURES if m.family == family):
        better = {"up": "higher is better", "down": "lower is better", "neutral": "neither higher nor lower is better"}
        st.markdown(f"**{m.name}** (`{m.id}`): {m.definition} *{m.unit.capitalize()}; {better[m.polarity]}.*")

st.subheader("Status against target")
st.markdown("\n".join(f"- {STATUS_SYMBOLS[s]} **{STATUS_WORDS[s]}** ({s})" for s in STATUS_WORDS))
st.write(
    "Green meets the target; amber misses it by no more than the amber margin (2% of the target unless the "
    "targets file says otherwise); red misses by more; grey has no value or no target. Completion figures are "
    "provisional until six months after the window has passed, because a client may still come back."
)
