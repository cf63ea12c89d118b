"""The list of saved assessments, where each came from, and reopening one into the Assess page's answers."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from planner import store
from planner.store import AssessmentSummary
from planner.store.workshops import WorkshopLink
from ui import db, state, workshop_provenance


def summaries() -> list[AssessmentSummary]:
    """Saved assessments, newest first."""
    return store.list_assessments(db.engine())


def render_table(rows: list[AssessmentSummary], links: dict[int, WorkshopLink]) -> None:
    """One line per saved assessment, with the join code of the workshop it came from, if any."""
    frame = pd.DataFrame([{
        "Id": r.id, "Project": r.project, "Label": r.label, "Recommendation": r.recommended.capitalize(),
        "Saved at (UTC)": r.created_at.strftime("%Y-%m-%d %H:%M"),
        "From workshop": workshop_provenance.code_column(links, r.id), "Version": r.app_version,
    } for r in rows])
    st.dataframe(frame, hide_index=True, width="stretch",
                 column_config={"Id": st.column_config.NumberColumn(format="%d", width="small")})


def title(row: AssessmentSummary) -> str:
    """How a saved assessment is named in the picker."""
    label = f" · {row.label}" if row.label else ""
    return f"#{row.id} {row.project}{label} ({row.created_at:%Y-%m-%d %H:%M})"


def reopen(assessment_id: int) -> None:
    """Load a saved assessment's answers into the session, to be shown by the Assess page."""
    stored = store.load_assessment(db.engine(), assessment_id=assessment_id)
    state.replace_answers(stored.assessment)
    state.set_notice(state.Notice("success", f"Reopened saved assessment #{stored.id} ({title(stored)}). "
                                             "Every answer is as it was saved."))


def render_provenance(assessment_id: int, links: dict[int, WorkshopLink]) -> None:
    """For an assessment made in a workshop: the workshop line and the individual answers behind it."""
    if assessment_id not in links:
        return
    record = workshop_provenance.records([assessment_id]).get(assessment_id)
    if record is not None:
        workshop_provenance.render(assessment_id, record, key=f"s.workshop.{assessment_id}")
