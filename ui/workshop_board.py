"""The facilitator's live board: who has answered, the answers per question, discussion prompts, the consensus.

While the workshop is open the board refreshes every ``REFRESH_S`` seconds (a ``st.fragment``) unless
the facilitator pauses that; once closed nothing can change it. Names and notes typed by people are
shown with ``st.dataframe`` or ``ui.text.literal``.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import streamlit as st

from planner.decide import consensus as workshops
from planner.decide.consensus import ConsensusItem, QuestionAggregate
from planner.store.workshops import FacilitatorView
from ui.text import literal
from ui.workshop_charts import distribution_chart
from ui.workshop_view import REFRESH_S, load

TABLE_ROW_PX = 35  # height of a st.dataframe row, to show every question without a scrollbar


def names(view: FacilitatorView) -> dict[int, str]:
    """Each participant's name as shown: their own, or 'Participant n' when names are anonymised."""
    if st.session_state.get("wf.anonymise"):
        return {p.id: f"Participant {i}" for i, p in enumerate(view.participants, start=1)}
    return {p.id: p.display_name for p in view.participants}


def render_live(token_: str, *, closed: bool) -> None:
    """Who answered, the distributions, the discussion prompts and the current consensus.

    While the workshop is open they refresh every REFRESH_S seconds unless the facilitator pauses that
    (say while editing the consensus); once closed nothing can change them.
    """
    if closed or not st.session_state.get("wf.live", True):
        _board(token_, live=False)
    else:
        _live_board(token_)


@st.fragment(run_every=REFRESH_S)
def _live_board(token_: str) -> None:
    _board(token_, live=True)


def _board(token_: str, *, live: bool) -> None:
    view = load(token_)
    if view is None:
        return
    aggregates = view.aggregates()
    shown = names(view)
    answered = [p for p in view.participants if p.answers]
    st.subheader("Who has answered")
    paused = " · live refresh paused" if not view.workshop.closed else " · closed"
    st.caption(f"{len(view.participants)} joined · {len(answered)} answered"
               + (f" · refreshes every {REFRESH_S} s" if live else paused))
    if view.participants:
        keys = [a.key for a in aggregates]
        st.dataframe(pd.DataFrame([{
            "Participant": shown[p.id],
            "Answered": f"{sum(k in p.answers for k in keys)} of {len(keys)}",
            "Last change (UTC)": _time(p.answered_at),
        } for p in view.participants]), hide_index=True, width="stretch", key="wf.who")
    else:
        st.info("Nobody has joined yet. Share the join code or the join link.")
    if not answered:
        return
    st.subheader("Answers per question")
    st.caption(workshops.MEDIAN_RULE)
    st.altair_chart(distribution_chart(aggregates), width="content")
    _estimates_table(aggregates)
    _discussion_prompts(view, aggregates, shown)
    st.subheader("Consensus so far")
    items = view.consensus()
    st.dataframe(_consensus_frame(items), hide_index=True, width="stretch", key="wf.consensus_table",
                 height=(len(items) + 1) * TABLE_ROW_PX + 3,
                 column_config={"Consensus": st.column_config.TextColumn(width="medium"),
                                "Median": st.column_config.TextColumn(width="small"),
                                "Note": st.column_config.TextColumn(width="medium")})


def _time(when: datetime | None) -> str:
    return "not yet" if when is None else f"{when:%H:%M:%S}"


def _estimates_table(aggregates: list[QuestionAggregate]) -> None:
    estimates = [a for a in aggregates if a.kind == "estimate"]
    if not estimates:
        return
    st.markdown("**Workload estimates**")
    st.dataframe(pd.DataFrame([{
        "Question": a.label, "Answers": a.answered,
        "Lowest": f"{min(a.values):g}" if a.values else "", "Median": "" if a.median is None else f"{a.median:g}",
        "Highest": f"{max(a.values):g}" if a.values else "",
        "Discuss": "yes: a factor of two apart" if a.disagreement else "",
    } for a in estimates]), hide_index=True, width="stretch", key="wf.estimates")


def _discussion_prompts(view: FacilitatorView, aggregates: list[QuestionAggregate], shown: dict[int, str]) -> None:
    flagged = [a for a in aggregates if a.disagreement]
    st.subheader("Discussion prompts")
    if not flagged:
        st.success("The room agrees within one level on every question answered so far.")
        return
    for agg in flagged:
        low, high = agg.values[0], agg.values[-1]
        who: dict[float, list[str]] = {}
        for p in view.participants:
            if agg.key in p.answers:
                who.setdefault(p.answers[agg.key], []).append(shown[p.id])
        ends = "  \n".join(f"{literal(', '.join(who[v]))} answered {literal(workshops.level_text(agg.key, v))}"
                           for v in (low, high))
        st.warning(f"**{literal(agg.label)}**: answers range from {low:g} to {high:g}. Ask the people at both "
                   f"ends what they see.  \n{ends}", icon=":material/forum:")


def _consensus_frame(items: list[ConsensusItem]) -> pd.DataFrame:
    return pd.DataFrame([{
        "Question": i.label,
        "Consensus": workshops.level_text(i.key, i.value),
        "From": {"median": "median", "override": "your override", "unanswered": "nobody answered"}[i.source],
        "Median": "" if i.median is None else f"{i.median:g}",
        "Note": i.note,
    } for i in items])
