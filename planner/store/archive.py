"""Archiving saved assessments: the undoable delete of the Saved page.

An archived assessment keeps every column and gains ``archived_at`` (revision 0008). It is left out of the
lists, a project's history and comparisons, the Home page's status and exports
(``planner.store.assessments`` reads only rows without it), and restoring it puts it back as it was.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from planner.errors import StoreError
from planner.store.access import Actor, Role, current_actor, require
from planner.store.audit import record
from planner.store.database import write_transaction
from planner.store.tables import AssessmentRow


def archive_assessment(engine: Engine, *, assessment_id: int, actor: Actor | None = None) -> datetime:
    """Archive a saved assessment (editors); return when. Unknown or already archived -> StoreError."""
    now, who = datetime.now(UTC), current_actor(actor)

    def write(session: Session) -> datetime:
        _set_archived(session, who, assessment_id, archived=True, when=now)
        return now

    return write_transaction(engine, write, failure=f"Saved assessment {assessment_id} could not be archived")


def restore_assessment(engine: Engine, *, assessment_id: int, actor: Actor | None = None) -> None:
    """Bring an archived assessment back into the lists and its project's history (editors). Not archived ->
    StoreError."""
    who = current_actor(actor)

    def write(session: Session) -> None:
        _set_archived(session, who, assessment_id, archived=False, when=None)

    write_transaction(engine, write, failure=f"Saved assessment {assessment_id} could not be restored")


def _set_archived(session: Session, actor: Actor, assessment_id: int, *, archived: bool,
                  when: datetime | None) -> None:
    project_id = session.scalar(select(AssessmentRow.project_id).where(AssessmentRow.id == assessment_id))
    if project_id is None:
        raise StoreError(f"No saved assessment with id {assessment_id}")
    require(session, actor, project_id, Role.EDITOR, doing="archive or restore assessments")
    # The condition on archived_at makes archiving twice (two tabs, a double click) a plain-words refusal.
    state = AssessmentRow.archived_at.is_(None) if archived else AssessmentRow.archived_at.is_not(None)
    changed = session.execute(
        update(AssessmentRow).where(AssessmentRow.id == assessment_id, state).values(archived_at=when)
        .returning(AssessmentRow.id)).first()
    if changed is not None:
        record(session, actor, "archived assessment" if archived else "restored assessment", project_id=project_id,
               subject=f"assessment #{assessment_id}")
        return
    raise StoreError(f"Saved assessment #{assessment_id} is {'already' if archived else 'not'} archived.")
