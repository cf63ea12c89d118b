"""A what-if shown beside the answers it varies, and the toolbar that saves or exports what the page shows."""

from __future__ import annotations

import streamlit as st

from planner.decide.results import Recommendation
from planner.estimate.results import Evaluation
from planner.inputs.models import Assessment
from planner.present.whatif import verdict, whatif_table
from ui import decision_view, estimates_view, report_view, results_view
from ui.tables import show_wrapped


def render_comparison(submitted: Assessment, shown: Assessment, evaluation: Evaluation | None,
                      recommendation: Recommendation) -> None:
    """When the page shows a what-if: each architecture's cost, latency and score in your answers and in the
    what-if, with the change, and whether the recommendation moved (issue 15 item 16)."""
    if shown == submitted or evaluation is None:
        return
    base = estimates_view.evaluation_for(submitted)
    if base is None:
        return
    base_recommendation = results_view.recommendation_for(submitted, base)
    st.subheader("What-if beside your answers")
    st.markdown(verdict(base_recommendation, recommendation))
    show_wrapped(whatif_table(base, base_recommendation, evaluation, recommendation))
    st.caption("Each cell: your answers → the what-if (the change). The sections below show the what-if.")


def render_toolbar(submitted: Assessment, shown: Assessment, evaluation: Evaluation | None,
                   recommendation: Recommendation) -> None:
    """Save and PDF at the top of Results, for what the page shows (the answers or the what-if)."""
    with st.container(border=True):
        save_tab, report_tab, record_tab = st.tabs(["Save this assessment", "PDF report", "Decision record"])
        with save_tab:
            results_view.render_save_form(shown, recommendation, evaluation)
        with report_tab:
            report_view.render_report(shown, evaluation, recommendation, submitted=submitted)
        with record_tab:
            decision_view.render_proposed(shown, evaluation, recommendation)
