"""Saved assessments: the list, where each came from, and reopening one on the Assess page with every answer."""

import streamlit as st

from planner.errors import PlannerError, StoreError
from ui import saved_view, workshop_provenance
from ui.text import literal

st.title("Saved assessments")
try:
    rows = saved_view.summaries()
    links = workshop_provenance.links(r.id for r in rows)
except PlannerError as exc:
    st.error(literal(str(exc)))
    st.stop()
if not rows:
    st.info("Nothing saved yet. Get a recommendation and save it from the Results page.")
    st.stop()

saved_view.render_table(rows, links)
by_id = {r.id: r for r in rows}
picked = st.selectbox("Assessment to reopen", list(by_id), format_func=lambda i: saved_view.title(by_id[i]),
                      key="s.pick")
try:
    saved_view.render_provenance(picked, links)
except PlannerError as exc:
    st.error(literal(str(exc)))
if st.button("Open on the Assess page", key="s.open", type="primary", icon=":material/open_in_new:"):
    try:
        saved_view.reopen(picked)
    except StoreError as exc:
        st.error(literal(str(exc)))
    else:
        st.switch_page("pages/assess.py")
