"""The rows of access and accountability (revision 0011): project members with their roles, and the audit log.

They sit beside ``planner.store.tables`` (on its ``Base``, so migrations and the schema check see them) to keep
that module to one screenful per concept.
"""

from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from planner.inputs.limits import NAME_MAX_CHARS
from planner.store.tables import FreeText, Moment, Row, parent

ROLE_CHARS = 8  # "viewer", "editor", "owner"
ACTION_CHARS = 40  # planner.store.audit actions


class MemberRow(Row):
    """One person's role in one project, by the e-mail address (or subject) they sign in with."""

    __tablename__ = "project_members"
    __table_args__ = (
        UniqueConstraint("project_id", "member", name="uq_project_members_member"),
        CheckConstraint("role IN ('viewer', 'editor', 'owner')", name="role"),
        Index("ix_project_members_member", "member"),
    )

    project_id: Mapped[int] = parent("projects")
    member: Mapped[str] = mapped_column(String(NAME_MAX_CHARS))
    role: Mapped[str] = mapped_column(String(ROLE_CHARS))
    added_at: Mapped[Moment]
    added_by: Mapped[str] = mapped_column(String(NAME_MAX_CHARS))


class AuditEventRow(Row):
    """Who did what, when: one change to a project (or, without a project, to a price list)."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_project_id_at", "project_id", "at"),)

    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), nullable=True)
    at: Mapped[Moment]
    actor: Mapped[str] = mapped_column(String(NAME_MAX_CHARS))
    action: Mapped[str] = mapped_column(String(ACTION_CHARS))
    subject: Mapped[FreeText]  # what it was done to: "assessment #12", a price list's name, a member
    detail: Mapped[FreeText]
