"""The list of saved assessments, where each came from, reopening one, and deleting one (an undoable archive).

Deleting archives (``store.archive_assessment``): the assessment leaves the lists, its project's history and
comparisons, and can be brought back with Undo right after, or later from the Archived list.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from planner import store
from planner.errors import StoreError
from planner.store import AssessmentSummary
from planner.store.workshops import WorkshopLink
from ui import confirm, db, state, workshop_provenance
from ui.shown import shown_index
from ui.text import literal

DELETE_KEY = "s.delete"  # the Delete button, and the confirmation of deleting (ui.confirm): s.delete_confirm...
UNDO_KEY = "saved.undo"  # session key: the id deleted last, offered for Undo
NOTICE_KEY = "saved.notice"  # session key: one message for the next run of the Saved page
SELECT_KEY = "saved.select"  # session key: the id the picker shows on the next run (a restored assessment)
PICK_KEY = "s.pick"


def summaries() -> list[AssessmentSummary]:
    """Saved assessments, newest first."""
    return store.list_assessments(db.engine())


def render_table(rows: list[AssessmentSummary], links: dict[int, WorkshopLink]) -> None:
    """One line per saved assessment, with the join code of the workshop it came from, if any."""
    frame = pd.DataFrame([{
        "Id": r.id, "Project": r.project, "Label": r.label, "Recommendation": r.recommended.capitalize(),
        "Saved at (UTC)": r.created_at.strftime("%Y-%m-%d %H:%M"), "Saved by": r.created_by or "—",
        "From workshop": workshop_provenance.code_column(links, r.id), "Version": r.app_version,
    } for r in rows])
    st.dataframe(frame, hide_index=True, width="stretch",
                 column_config={"Id": st.column_config.NumberColumn(format="%d", width=40),
                                "Version": st.column_config.TextColumn(width=60),
                                "From workshop": st.column_config.TextColumn(width=110)})


def title(row: AssessmentSummary) -> str:
    """How a saved assessment is named in the picker."""
    label = f" · {row.label}" if row.label else ""
    return f"#{row.id} {row.project}{label} ({row.created_at:%Y-%m-%d %H:%M})"


def pick(rows: list[AssessmentSummary]) -> AssessmentSummary:
    """The picker of saved assessments; after a restore it shows the restored one."""
    by_id = {r.id: r for r in rows}
    wanted = st.session_state.pop(SELECT_KEY, None)
    if wanted in by_id:
        st.session_state[PICK_KEY] = wanted
    picked = st.selectbox("Assessment", list(by_id), shown_index(list(by_id), PICK_KEY),
                          format_func=lambda i: title(by_id[i]), key=PICK_KEY)
    return by_id[picked]


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


def archived() -> list[AssessmentSummary]:
    """Archived assessments, most recently archived first."""
    return store.list_assessments(db.engine(), archived=True)


def show_notice() -> None:
    """Show (once) the message of the last action."""
    notice: state.Notice | None = st.session_state.pop(NOTICE_KEY, None)
    if notice is not None:
        (st.success if notice.kind == "success" else st.error)(literal(notice.text))


def render_delete(row: AssessmentSummary) -> None:
    """The Delete button, then a confirmation naming the assessment in a dialog; confirmed, it is archived (with
    Undo)."""
    if st.button("Delete…", key=DELETE_KEY, icon=":material/delete:"):
        confirm.ask(DELETE_KEY, row.id, title="Delete this saved assessment?", action_label="Delete",
                    icon=":material/delete:",
                    message=f"Delete {literal(title(row))}? It leaves the lists, its project's history and "
                            "comparisons. You can undo it right after, or restore it later from Archived assessments.")
    confirm.dialog(DELETE_KEY, lambda assessment_id: _act(assessment_id, archive=True))


def render_undo() -> None:
    """After a deletion: what was deleted, with Undo."""
    deleted = st.session_state.get(UNDO_KEY)
    if deleted is None:
        return
    text, action = st.columns([4, 1], vertical_alignment="center")
    text.info(f"Deleted assessment #{deleted}. It is kept under Archived assessments.", icon=":material/delete:")
    if action.button("Undo", key="s.undo", icon=":material/undo:"):
        _act(deleted, archive=False)


def render_archived(rows: list[AssessmentSummary]) -> None:
    """The archived assessments, to restore one."""
    with st.expander(f"Archived assessments ({len(rows)})"):
        if not rows:
            st.write("None.")
            return
        by_id = {r.id: r for r in rows}
        picked = st.selectbox("Archived assessment", list(by_id), key="s.archived_pick",
                              format_func=lambda i: f"{title(by_id[i])}, archived {by_id[i].archived_at:%Y-%m-%d}")
        if st.button("Restore", key="s.restore", icon=":material/unarchive:"):
            _act(picked, archive=False)


def _act(assessment_id: int, *, archive: bool) -> None:
    """Archive or restore, leave the message for the next run, and run the page again."""
    try:
        if archive:
            store.archive_assessment(db.engine(), assessment_id=assessment_id)
            st.session_state[UNDO_KEY] = assessment_id
            notice = None
        else:
            store.restore_assessment(db.engine(), assessment_id=assessment_id)
            st.session_state.pop(UNDO_KEY, None)
            st.session_state[SELECT_KEY] = assessment_id
            notice = state.Notice("success", f"Restored assessment #{assessment_id}.")
    except StoreError as exc:
        notice = state.Notice("error", str(exc))
    if notice is not None:
        st.session_state[NOTICE_KEY] = notice
    st.rerun()
