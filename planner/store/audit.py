"""The audit log: who did what to a project, and when (saves, archives, deletes, renames, imports, role changes,
workshops, triggers, items), and to the price lists.

Each repository write records its event with ``record`` in its own transaction, so a change and its line in the
log are written together or not at all. ``project_log`` reads a project's log (viewers may), ``price_list_log``
the log of the price lists; a project export carries its log (``planner.store.exchange``).
"""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from planner.errors import StoreError
from planner.inputs.limits import NAME_MAX_CHARS
from planner.inputs.text import MultilineText, SingleLineText
from planner.store.access import Actor, Role, current_actor, require
from planner.store.access_tables import ACTION_CHARS, AuditEventRow
from planner.store.database import read_session
from planner.store.tables import ProjectRow

MAX_LOG_ROWS = 2_000  # the newest events a page or an export shows


class AuditEvent(BaseModel):
    """One line of the audit log."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    at: datetime
    actor: SingleLineText = Field(min_length=1, max_length=NAME_MAX_CHARS)
    action: SingleLineText = Field(min_length=1, max_length=ACTION_CHARS)
    subject: MultilineText = Field(default="", max_length=2_000)
    detail: MultilineText = Field(default="", max_length=4_000)


def record(session: Session, actor: Actor, action: str, *, project_id: int | None = None, subject: str = "",
           detail: str = "", at: datetime | None = None) -> None:
    """Add one event to the log, in the caller's transaction."""
    session.add(AuditEventRow(project_id=project_id, at=at or datetime.now(UTC), actor=actor.author[:NAME_MAX_CHARS],
                              action=action[:ACTION_CHARS], subject=subject, detail=detail))


def project_log(engine: Engine, *, project: str, actor: Actor | None = None,
                limit: int = MAX_LOG_ROWS) -> list[AuditEvent]:
    """A project's audit log, newest first; needs the viewer role. Unknown project -> StoreError."""
    who = current_actor(actor)

    def read(session: Session) -> list[AuditEvent]:
        project_id = session.scalar(select(ProjectRow.id).where(ProjectRow.name == project))
        if project_id is None:
            raise StoreError(f"No project named “{project}”.")
        require(session, who, project_id, Role.VIEWER, doing="read the log")
        return _events(session, AuditEventRow.project_id == project_id, limit)

    return read_session(engine, read, failure=f"The log of “{project}” could not be read")


def price_list_log(engine: Engine, *, limit: int = MAX_LOG_ROWS) -> list[AuditEvent]:
    """The changes to saved price lists and API price lists, newest first (anyone who sees the lists may read it)."""
    return read_session(engine, lambda s: _events(s, AuditEventRow.project_id.is_(None), limit),
                        failure="The log of the price lists could not be read")


def _events(session: Session, where: object, limit: int) -> list[AuditEvent]:
    rows = session.execute(select(AuditEventRow.at, AuditEventRow.actor, AuditEventRow.action, AuditEventRow.subject,
                                  AuditEventRow.detail).where(where)  # type: ignore[arg-type]
                           .order_by(AuditEventRow.at.desc(), AuditEventRow.id.desc()).limit(limit)).all()
    return [AuditEvent.model_validate(r._asdict()) for r in rows]
