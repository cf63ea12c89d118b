"""The Resilience section of the Results page: availability, failed and slowed requests, deploys, blast radius.

Every number comes from ``ArchitectureEstimate.resilience`` (planner.estimate.resilience, through
``planner.estimate.engine.evaluate``); the chart is ``planner.present.charts.resilience_chart``, which the PDF report
reuses. Nothing here computes an estimate.
"""

from __future__ import annotations

import streamlit as st

from planner.estimate.results import Evaluation
from planner.inputs.models import Assessment
from planner.present import resilience_tables, tables
from planner.present.charts import resilience_chart
from ui import charts, sections
from ui.tables import show_dataframe, show_table, show_wrapped


def render_resilience(assessment: Assessment, evaluation: Evaluation) -> None:
    """Availability against the target, requests lost, deploy losses, the timeline and the blast radius."""
    st.subheader("Resilience and change")
    if not resilience_tables.has_resilience(evaluation):
        st.info("These estimates were saved before the planner modelled failures and deploys. Press **Get "
                "recommendation** on the Assess page to compute them.")
        return
    show_table(resilience_tables.resilience_table(evaluation).frame())
    w = assessment.workload
    model_update = resilience_tables.api_resilience_text(evaluation) or (
        "Model update lead time: from a new model being ready to every replica serving it. A monolith carries the "
        "model in its one deployable, so the model waits for the next release (on average half the time between "
        "releases, one per code deploy and at least one a month, plus the release overhead; both are assumptions "
        "in What if); the hybrid and microservices deploy inference on its own, so only its rolling restart counts.")
    st.caption(f"Availability target {w.availability_target_pct:g} %: the share of requests that succeed within the "
               "latency targets, with its 95 % confidence interval over simulated months. Slowed: pushed over a "
               "latency target by a crash, a restart or a retry. Degraded: answered without a non-critical step. "
               f"{tables.change_rates_text(assessment)}, each as rolling restarts. {model_update}")
    st.markdown("**Capacity in service through a crash, a code deploy and a model update**")
    charts.show(resilience_chart, evaluation)
    st.caption(resilience_tables.capacity_chart_note(evaluation))
    if box := sections.expander("Blast radius: what one replica crash of each step takes down", "blast_radius"):
        with box:
            show_wrapped(resilience_tables.blast_radius_table(evaluation))
    if box := sections.expander("Where requests are lost, by cause (per month)", "loss_causes"):
        with box:
            show_dataframe(resilience_tables.loss_causes_table(evaluation))
    if box := sections.expander("Units: crash rates, restart times and rolling deploys", "resilience_units"):
        with box:
            show_wrapped(resilience_tables.resilience_units_table(evaluation))
            st.caption("Set per-step MTBF and restart time in the Assess page's pipeline editor; the model's load "
                       "time, rollout batch, hop timeout, retries and error rate are assumptions you can change in "
                       "What if.")
