"""Saved assessments: the list, where each came from, opening one's results or answers, deleting and restoring."""

import streamlit as st

from planner.errors import PlannerError, StoreError
from ui import router, saved_result_view, saved_view, workshop_provenance
from ui.text import literal

router.enter()  # through app.py's navigation and sign-in, even for a link opened first

st.title("Saved assessments")
saved_view.show_notice()
saved_view.render_undo()
try:
    rows = saved_view.summaries()
    gone = saved_view.archived()
    links = workshop_provenance.links(r.id for r in rows)
except PlannerError as exc:
    st.error(literal(str(exc)))
    st.stop()
if not rows:
    st.info("Nothing saved yet. Get a recommendation and save it from the Results page.")
    saved_view.render_archived(gone)
    st.stop()

saved_view.render_table(rows, links)
picked = saved_view.pick(rows)
try:
    saved_view.render_provenance(picked.id, links)
except PlannerError as exc:
    st.error(literal(str(exc)))
results, answers, delete = st.columns(3)
if results.button("Open its results", key="s.results", type="primary", icon=":material/insights:",
                  help="The results and PDF as saved; nothing is computed again."):
    saved_result_view.open_saved(picked.id)
    st.switch_page(saved_result_view.PAGE)
if answers.button("Open on the Assess page", key="s.open", icon=":material/open_in_new:"):
    try:
        saved_view.reopen(picked.id)
    except StoreError as exc:
        st.error(literal(str(exc)))
    else:
        st.switch_page("pages/assess.py")
with delete:
    saved_view.render_delete(picked)
saved_view.render_archived(gone)
