"""The Resilience section of the Results page: availability, failed and slowed requests, deploys, blast radius.

Every number comes from ``ArchitectureEstimate.resilience`` (planner.estimate.resilience, through
``planner.estimate.engine.evaluate``); the chart is ``planner.present.charts.resilience_chart``, which the PDF report
reuses. Nothing here computes an estimate.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from planner.decide.scoring import lead_time_text
from planner.estimate.results import Evaluation
from planner.inputs.models import Assessment
from planner.present.charts import resilience_chart


def _count(x: float) -> str:
    """Requests a month as a reader wants them: whole numbers, and "< 1" for a rare but possible loss."""
    return "< 1" if 0 < x < 0.5 else f"{x:,.0f}"


def render_resilience(assessment: Assessment, evaluation: Evaluation) -> None:
    """Availability against the target, requests lost, deploy losses, the timeline and the blast radius."""
    pairs = [(e.architecture.label, r) for e in evaluation.estimates.values() if (r := e.resilience) is not None]
    st.subheader("Resilience and change")
    if not pairs:
        st.info("These estimates were saved before the planner modelled failures and deploys. Press **Get "
                "recommendation** on the Assess page to compute them.")
        return
    rows = []
    for label, r in pairs:
        rows.append({
            "Architecture": label,
            "Availability": f"{r.availability_pct:.3f} %",
            "95 % CI": f"{r.availability_ci_pct[0]:.3f}–{r.availability_ci_pct[1]:.3f}",
            "Meets target": "yes" if r.meets_availability_target else "no",
            "Failed / month": _count(r.failed_per_month),
            "Slowed / month": _count(r.slowed_per_month),
            "Degraded / month": _count(r.degraded_per_month),
            "Capacity-min lost to deploys / month": f"{r.deploy_capacity_minutes_per_month:,.0f}",
            "Model update lead time": lead_time_text(r.model_update_lead_time_min),
            "Crashes / month": f"{r.crashes_per_month:.1f}",
        })
    st.table(pd.DataFrame(rows), hide_index=True, border="horizontal")
    w = assessment.workload
    st.caption(f"Availability target {w.availability_target_pct:g} %: the share of requests that succeed within the "
               f"latency targets, with its 95 % confidence interval over simulated months. Slowed: pushed over a "
               f"latency target by a crash, a restart or a retry. Degraded: answered without a non-critical step. "
               f"{w.model_updates_per_month:g} model updates and {w.deploys_per_week:g} code deploys a week as "
               f"rolling restarts. Model update lead time: from a new model being ready to every replica serving "
               f"it. A monolith carries the model in its one deployable, so the model waits for the next release "
               f"(on average half the time between releases, one per code deploy and at least one a month, plus the "
               f"release overhead; both are assumptions in What if); the hybrid and microservices deploy inference "
               f"on its own, so only its rolling restart counts.")
    st.markdown("**Capacity in service through a crash, a code deploy and a model update**")
    st.altair_chart(resilience_chart(evaluation), width="stretch")
    st.caption("The smallest share of any critical unit's replicas in service. A monolith restarts whole replicas, "
               "model reload included; split architectures restart only the unit that changed, and a crash of a "
               "non-critical step degrades requests instead of taking capacity away.")
    with st.expander("Blast radius: what one replica crash of each step takes down"):
        blast = [{"Architecture": label, "Step": b.component, "Unit": b.unit, "Affected": ", ".join(b.affected),
                  "Effect": b.effect, "Capacity lost": f"{b.capacity_lost_share:.0%} of its unit"}
                 for label, r in pairs for b in r.blast_radius]
        st.dataframe(pd.DataFrame(blast), hide_index=True, width="stretch")
    with st.expander("Where requests are lost, by cause (per month)"):
        causes = [{"Architecture": label, "Cause": c.cause, "Failed": _count(c.failed_per_month),
                   "Slowed": _count(c.slowed_per_month), "Degraded": _count(c.degraded_per_month)}
                  for label, r in pairs for c in r.causes]
        st.dataframe(pd.DataFrame(causes), hide_index=True, width="stretch")
    with st.expander("Units: crash rates, restart times and rolling deploys"):
        units = [{"Architecture": label, "Unit": u.unit, "Runs": ", ".join(u.components),
                  "Critical": "yes" if u.critical else "no", "Replicas": u.replicas,
                  "MTBF per replica (h)": round(u.mtbf_h, 1), "Restart (s)": round(u.mttr_s, 1),
                  "Restarts / month": round(u.deploys_per_month, 1), "Batch": u.rollout_batch,
                  "Rollout (min)": round(u.rollout_min, 1), "Crashes / month": round(u.crashes_per_month, 1),
                  "Capacity-min lost / month": round(u.deploy_capacity_minutes_per_month, 1)}
                 for label, r in pairs for u in r.units]
        st.dataframe(pd.DataFrame(units), hide_index=True, width="stretch")
        st.caption("Set per-step MTBF and restart time in the Assess page's pipeline editor; the model's load time, "
                   "rollout batch, hop timeout, retries and error rate are assumptions you can change in What if.")
