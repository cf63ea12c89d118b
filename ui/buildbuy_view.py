"""The Build or buy inference section of the Results page: a managed API against self-hosted GPUs.

Shown when the assessment names a managed API (``Evaluation.build_vs_buy``, planner.estimate.sourcing): both monthly
inference bills at the assessment's traffic, the break-even, the chart of cost against traffic
(``planner.present.charts.build_vs_buy_chart``, which the PDF report renders too), why the estimates use the
sourcing they use, what rules the API out, its rate limits, and in compare mode each architecture's monthly total
with the other sourcing. Nothing here computes an estimate.
"""

from __future__ import annotations

import streamlit as st

from planner.decide.results import Recommendation
from planner.estimate.results import BuildVsBuy, Evaluation
from planner.inputs.models import Sourcing
from planner.present import buildbuy_tables
from planner.present import formats as fmt
from planner.present.charts import build_vs_buy_chart
from ui import charts
from ui.tables import show_wrapped
from ui.text import literal


def render_build_vs_buy(evaluation: Evaluation, recommendation: Recommendation) -> None:
    """The section, when the evaluation compared a managed API with self-hosting; nothing otherwise."""
    decision = evaluation.build_vs_buy
    if decision is None:
        return
    st.subheader("Build or buy inference")
    st.markdown(literal(buildbuy_tables.build_vs_buy_text(decision)))
    _render_figures(decision)
    st.markdown(f"**{literal(decision.break_even_text)}**")
    charts.show(build_vs_buy_chart, decision)
    st.caption(buildbuy_tables.BUILD_VS_BUY_NOTE)
    show_wrapped(buildbuy_tables.build_vs_buy_table(decision))
    if decision.ruled_out:
        st.warning("A managed API is ruled out: " + "; ".join(literal(r) for r in decision.ruled_out) + ".",
                   icon=":material/block:")
    if decision.rate_limit.warning:
        st.warning(literal(decision.rate_limit.text), icon=":material/speed:")
    else:
        st.caption(literal(decision.rate_limit.text))
    reasons = buildbuy_tables.sourcing_reasons(recommendation, decision)
    if reasons:
        st.markdown(f"**{buildbuy_tables.WHY_HEADINGS[decision.chosen]}**")
        st.markdown("\n".join(f"- {literal(reason)}" for reason in reasons))
    for note in decision.notes:
        st.caption(literal(note))
    alternative = buildbuy_tables.alternative_table(evaluation)
    if alternative is not None:
        st.markdown("**Each architecture with the other sourcing**")
        show_wrapped(alternative)
        st.caption(buildbuy_tables.ALTERNATIVE_NOTE)


def _render_figures(decision: BuildVsBuy) -> None:
    """Both monthly inference bills at the assessment's traffic and the break-even volume, as metrics."""
    api, own, even = st.columns(3)
    def label(sourcing: Sourcing) -> str:
        used = " (used)" if decision.chosen is sourcing else ""
        return f"{buildbuy_tables.SOURCING_NAMES[sourcing]}, a month{used}"

    api.metric(label(Sourcing.API), fmt.money(decision.api_monthly_usd), border=True)
    own.metric(label(Sourcing.SELF_HOSTED), fmt.money(decision.self_hosted_monthly_usd), border=True)
    even.metric("Break-even, requests a month", buildbuy_tables.break_even_figure(decision), border=True)
