"""Where a saved assessment came from: the workshop line and the individual answers behind a consensus.

Shown on the Saved assessments and History pages. The data comes from ``planner.store.workshops``
(``workshop_links`` for a list, ``workshop_records`` for the answers), each one batch of queries for
all the assessments a page shows. Participant names and facilitator notes are people's own text: they
are rendered only inside ``st.dataframe`` cells or ``st.text``, never as Markdown.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
import streamlit as st

from planner.decide.consensus import MEDIAN_RULE
from planner.inputs.models import READINESS_KEYS
from planner.store import workshops as workshop_store
from planner.store.workshops import FacilitatorView, WorkshopInfo, WorkshopLink
from ui import db

NO_ANSWER = "—"
SOURCES = {"median": "Median", "override": "Facilitator", "unanswered": "Nobody answered"}


def links(assessment_ids: Iterable[int]) -> dict[int, WorkshopLink]:
    """The workshop behind each of these saved assessments that came from one, by assessment id."""
    return workshop_store.workshop_links(db.engine(), assessment_ids=assessment_ids)


def records(assessment_ids: Iterable[int]) -> dict[int, FacilitatorView]:
    """The answers and overrides kept by the workshop behind each of these assessments, by assessment id."""
    return workshop_store.workshop_records(db.engine(), assessment_ids=assessment_ids)


def _closed(workshop: WorkshopInfo) -> str:
    if workshop.closed_at is None:
        return "still open"
    return f"closed {workshop.closed_at:%Y-%m-%d %H:%M} UTC"


def line(workshop: WorkshopInfo, participants: int) -> str:
    """'From workshop ABCDE-FGHJK (closed 2026-11-29 03:40 UTC, 2 participants)'; no user text in it."""
    people = f"{participants} participant{'' if participants == 1 else 's'}"
    return f"From workshop {workshop.display_code} ({_closed(workshop)}, {people})"


def code_column(found: dict[int, WorkshopLink], assessment_id: int) -> str:
    """A table cell: the join code of the workshop behind the assessment, or empty."""
    link = found.get(assessment_id)
    return "" if link is None else link.workshop.display_code


def _value(key: str, value: float | None) -> str:
    if value is None:
        return NO_ANSWER
    return str(int(value)) if key in READINESS_KEYS else f"{value:g}"


def summary_frame(record: FacilitatorView) -> pd.DataFrame:
    """One row per question: the consensus, where it came from, median, spread and answers (notes apart)."""
    by_key = {a.key: a for a in record.aggregates()}
    rows = []
    for item in record.consensus():
        agg = by_key[item.key]
        rows.append({
            "Question": item.label, "Consensus": _value(item.key, item.value), "From": SOURCES[item.source],
            "Median": _value(item.key, agg.median_answer),
            "Spread": _value(item.key, agg.spread), "Answers": agg.answered,
            "Disagreement": "yes" if agg.disagreement else "",
        })
    return pd.DataFrame(rows)


SUMMARY_HELP = {  # column tooltips of the per-question table
    "Consensus": "The answer the assessment took: a readiness level 0-4 or the estimate",
    "From": "The median answer, or the facilitator's choice (the notes below say why)",
    "Spread": "The highest minus the lowest answer",
    "Answers": "Participants who answered this question",
    "Disagreement": "Readiness answers two or more levels apart, or estimates a factor of two apart: "
                    "a discussion prompt",
}


def answers_frame(record: FacilitatorView) -> pd.DataFrame:
    """One row per participant who answered, one column per question, in the workshop's question order."""
    questions = [(a.key, a.label) for a in record.aggregates()]
    rows = []
    for p in record.participants:
        if not p.answers:
            continue
        row: dict[str, str] = {"Participant": p.display_name}
        row |= {label: _value(key, p.answers.get(key)) for key, label in questions}
        rows.append(row)
    return pd.DataFrame(rows, columns=["Participant", *(label for _, label in questions)])


def override_lines(record: FacilitatorView) -> list[str]:
    """One sentence per overridden question: the answer chosen, the median it replaced and the note."""
    lines = []
    for item in record.consensus():
        if item.source == "override":
            median = "nobody answered" if item.median is None else f"median {_value(item.key, item.median)}"
            lines.append(f"{item.label}: {_value(item.key, item.value)} instead of the {median}. {item.note}")
    return lines


def render_line(workshop: WorkshopInfo, participants: int) -> None:
    """The provenance line of one assessment."""
    st.markdown(f":material/groups: {line(workshop, participants)}")


def render_answers(record: FacilitatorView, *, key: str) -> None:
    """The consensus per question and every participant's answers, in two tables."""
    answered = sum(1 for p in record.participants if p.answers)
    st.caption(f"Readiness answers are levels 0-4. {MEDIAN_RULE} The consensus is the median unless the facilitator "
               "chose another answer (with the note saying why). Spread is the highest minus the lowest answer.")
    st.dataframe(summary_frame(record), hide_index=True, width="stretch", key=f"{key}.summary",
                 column_config={column: st.column_config.Column(help=text) for column, text in SUMMARY_HELP.items()})
    overrides = override_lines(record)
    if overrides:
        st.markdown("**The facilitator's choices**")
        for sentence in overrides:
            st.text(sentence)  # the note is the facilitator's own text: plain text, never Markdown
    if answered:
        st.markdown("**Each participant's answers**")
        st.dataframe(answers_frame(record), hide_index=True, width="stretch", key=f"{key}.answers")
    else:
        st.info("Nobody answered in this workshop; the assessment kept its starting answers.")
    idle = len(record.participants) - answered
    if idle:
        st.caption(f"{idle} participant{' who' if idle == 1 else 's who'} joined without answering "
                   f"{'is' if idle == 1 else 'are'} not shown.")


def render(assessment_id: int, record: FacilitatorView, *, key: str, expanded: bool = False) -> None:
    """The provenance line and, in an expander, the individual answers behind one assessment."""
    answered = sum(1 for p in record.participants if p.answers)
    render_line(record.workshop, answered)
    with st.expander(f"Individual answers behind assessment #{assessment_id}", expanded=expanded,
                     icon=":material/how_to_vote:", key=f"{key}.expander"):
        render_answers(record, key=key)
