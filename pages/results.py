"""Results: the recommendation for the submitted answers, why, what would change it, and saving it."""

import streamlit as st

from ui import buildbuy_view, estimates_view, resilience_view, results_view, router, state, whatif_view

router.enter()  # through app.py's navigation and sign-in, even for a link opened first

st.title("Recommendation")
assessment = state.submitted_assessment()
if assessment is None:
    if state.has_stale_submission():
        st.info("The answers changed since the last recommendation. Press **Get recommendation** on the "
                "Assess page to see the new one.")
    else:
        st.info("No recommendation yet. Answer the questions on the Assess page (or load a preset) and press "
                "**Get recommendation**.")
    st.page_link("pages/assess.py", label="Go to Assess", icon=":material/edit_note:")
    st.stop()

shown = estimates_view.what_if(assessment)
evaluation = estimates_view.evaluation_for(shown)
recommendation = results_view.recommendation_for(shown, evaluation)
results_view.render_headline(shown, recommendation)
whatif_view.render_toolbar(assessment, shown, evaluation, recommendation)
whatif_view.render_comparison(assessment, shown, evaluation, recommendation)
if evaluation is not None:
    estimates_view.render_estimates(shown, evaluation)
    buildbuy_view.render_build_vs_buy(evaluation, recommendation)
    resilience_view.render_resilience(shown, evaluation)
results_view.render_ranking(recommendation)
results_view.render_contributions(recommendation)
results_view.render_gaps(recommendation)
results_view.render_flip_points(recommendation)
results_view.render_roadmap(recommendation)
