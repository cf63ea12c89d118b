"""History: a project's assessments over time, its improvement items, what changed between two of them, and why."""

import streamlit as st

from planner import history
from planner.errors import PlannerError
from ui import decision_view, history_view, items_view, router, saved_result_view, workshop_provenance
from ui.text import literal

router.enter()  # through app.py's navigation and sign-in, even for a link opened first

st.title("History")
history_view.open_link()
project = history_view.pick_project()
if project is None:
    st.stop()
stored = history_view.assessments_of(project)
if not stored:
    st.info(f"“{literal(project)}” has no saved assessments yet. Start one from the Home page.")
    st.stop()

points = history.timeline(stored)
history_view.render_timeline(points)
try:
    links = workshop_provenance.links(s.id for s in stored)
except PlannerError as exc:
    st.error(literal(str(exc)))
    links = {}
history_view.render_table(points, links)
saved_result_view.render_open_picker(stored)
decision_view.render_chain(project)
items_view.render(project)
try:
    history_view.render_workshops(stored, links)
except PlannerError as exc:
    st.error(literal(str(exc)))

st.subheader("Compare two assessments")
pair = history_view.pick_pair(project, stored)
if pair is None:
    st.stop()
old_id, new_id = pair
by_id = {s.id: s for s in stored}
if old_id == new_id:
    st.info("Pick two different assessments.")
    st.stop()
history_view.render_comparison(history.compare(by_id[old_id], by_id[new_id]))

st.subheader("Why the numbers changed")
st.caption("Re-evaluates the older inputs with the newer prices, the newer workload with the older team, and so on.")
if st.button("Explain the change", key="h.attribute", icon=":material/troubleshoot:"):
    st.session_state[history_view.EXPLAINED_KEY] = (old_id, new_id)
if st.session_state.get(history_view.EXPLAINED_KEY) == (old_id, new_id):
    try:
        explained = history_view.attribution_for(old_id, new_id)
    except PlannerError as exc:
        st.error(literal(str(exc)))
    else:
        history_view.render_attribution(explained)
