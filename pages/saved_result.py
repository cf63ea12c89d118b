"""A saved assessment's results and PDF as saved (nothing computed again), or re-evaluated with today's prices."""

import streamlit as st

from ui import buildbuy_view, decision_view, estimates_view, resilience_view, results_view, router, saved_result_view

router.enter()  # through app.py's navigation and sign-in, even for a link opened first

st.title("Saved assessment")
stored = saved_result_view.opened()
if stored is None:
    st.page_link("pages/saved.py", label="Go to Saved assessments", icon=":material/folder_open:")
    st.stop()

current = saved_result_view.shown(stored)
saved_result_view.render_header(stored, current)
results_view.render_headline(stored.assessment, current.recommendation)
if current.evaluation is not None:
    estimates_view.render_estimates(stored.assessment, current.evaluation)
    buildbuy_view.render_build_vs_buy(current.evaluation, current.recommendation)
    resilience_view.render_resilience(stored.assessment, current.evaluation)
results_view.render_ranking(current.recommendation)
results_view.render_contributions(current.recommendation)
results_view.render_gaps(current.recommendation)
results_view.render_flip_points(current.recommendation)
results_view.render_roadmap(current.recommendation)
saved_result_view.render_report(stored, current)
st.subheader("Decision record")
decision_view.render_saved(stored.id)
