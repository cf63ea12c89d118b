"""Project members and their roles: listed by anyone who may read the project, changed by its owners.

A project with members keeps at least one owner, so it never becomes a project nobody can manage; in an open
project (no members) only an instance admin can name the first member, who must then be an owner. Every change
is written to the project's audit log in the same transaction.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from planner.errors import StoreError
from planner.store.access import Actor, Role, current_actor, member_identity, project_role, require
from planner.store.access_tables import MemberRow
from planner.store.audit import record
from planner.store.database import read_session, write_transaction
from planner.store.projects import existing_project_id


class Member(BaseModel):
    """One member of a project."""

    model_config = ConfigDict(frozen=True)

    member: str
    role: Role
    added_at: datetime
    added_by: str


def project_members(engine: Engine, *, project: str, actor: Actor | None = None) -> list[Member]:
    """A project's members, owners first then by address; needs the viewer role."""
    who = current_actor(actor)

    def read(session: Session) -> list[Member]:
        project_id = existing_project_id(session, project)
        require(session, who, project_id, Role.VIEWER, doing="see the members")
        return _members(session, project_id)

    return read_session(engine, read, failure=f"The members of “{project}” could not be read")


def role_in(engine: Engine, *, project: str, actor: Actor | None = None) -> Role | None:
    """The actor's role in a project (None: may not read it), for pages to offer only what it allows."""
    who = current_actor(actor)
    return read_session(engine, lambda s: project_role(s, who, existing_project_id(s, project)),
                        failure=f"The role in “{project}” could not be read")


def set_member(engine: Engine, *, project: str, member: str, role: Role | str, actor: Actor | None = None) -> Member:
    """Add a member or change a member's role; needs the owner role. Leaving no owner -> StoreError."""
    who, identity = current_actor(actor), member_identity(member)
    try:
        new_role = Role(role)
    except ValueError:
        raise StoreError(f"A role is one of {', '.join(r.value for r in Role)}, not “{role}”.") from None

    def write(session: Session) -> Member:
        project_id = existing_project_id(session, project)
        require(session, who, project_id, Role.OWNER, doing="manage members")
        row = session.scalar(select(MemberRow).where(MemberRow.project_id == project_id,
                                                     MemberRow.member == identity))
        before = None if row is None else row.role
        if row is None:
            row = MemberRow(project_id=project_id, member=identity, role=new_role.value,
                            added_at=datetime.now(UTC), added_by=who.author)
            session.add(row)
        row.role = new_role.value
        session.flush()
        _keep_an_owner(session, project_id)
        change = f"added as {new_role}" if before is None else f"{before} → {new_role}"
        record(session, who, "set role", project_id=project_id, subject=identity, detail=change)
        return Member(member=row.member, role=Role(row.role), added_at=row.added_at, added_by=row.added_by)

    return write_transaction(engine, write, failure=f"The members of “{project}” could not be changed")


def remove_member(engine: Engine, *, project: str, member: str, actor: Actor | None = None) -> None:
    """Take a member out of a project; needs the owner role. Unknown member or leaving no owner -> StoreError."""
    who, identity = current_actor(actor), member_identity(member)

    def write(session: Session) -> None:
        project_id = existing_project_id(session, project)
        require(session, who, project_id, Role.OWNER, doing="manage members")
        gone = session.execute(delete(MemberRow).where(MemberRow.project_id == project_id,
                                                       MemberRow.member == identity)
                               .returning(MemberRow.role)).first()
        if gone is None:
            raise StoreError(f"“{identity}” is not a member of “{project}”.")
        _keep_an_owner(session, project_id, removing=True)
        record(session, who, "removed member", project_id=project_id, subject=identity, detail=f"was {gone.role}")

    write_transaction(engine, write, failure=f"The members of “{project}” could not be changed")


def _members(session: Session, project_id: int) -> list[Member]:
    rows = session.execute(select(MemberRow.member, MemberRow.role, MemberRow.added_at, MemberRow.added_by)
                           .where(MemberRow.project_id == project_id)).all()
    members = [Member.model_validate(r._asdict()) for r in rows]
    return sorted(members, key=lambda m: (-m.role.rank, m.member))


def _keep_an_owner(session: Session, project_id: int, *, removing: bool = False) -> None:
    """Refuse a change that leaves members without an owner (removing the last member too: that would open the
    project to everyone)."""
    roles = set(session.scalars(select(MemberRow.role).where(MemberRow.project_id == project_id)))
    if (roles or removing) and Role.OWNER.value not in roles:
        raise StoreError("A project with members keeps at least one owner: make someone else an owner first "
                         "(a project without members is open to every signed-in user as an editor).")
