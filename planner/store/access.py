"""Who acts on the store, and what their role in a project lets them do (roles are checked here, not in pages).

Every repository function that reads or changes a project takes ``actor`` (None: ``current_actor()``):

- With sign-in off, the one user of the instance acts as ``LOCAL``: an instance admin, so everything is
  allowed and nothing is asked. The command line acts as ``command_line()``, an admin too (it holds the
  database URL).
- With sign-in on, the app gives every script run the signed-in user (``set_actor_provider``); a visitor
  who has not signed in is ``ANONYMOUS`` and may do nothing with projects (workshop participants join by
  code, without an account: the join code and their own secret are the capability).

Roles per project (``Role``): viewers read; editors also save, re-assess, archive assessments, import, act on
triggers and items and run workshops; owners also rename, archive and restore the project, delete assessments
and manage members. Instance admins (``Actor.admin``) are owners of every project. A project with no members
(made before sign-in was on, or from the command line) is open: every signed-in user is its editor, and only
an admin can make the first member. Whoever creates a project while signed in becomes its owner.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict
from sqlalchemy import ColumnElement, exists, or_, select, true
from sqlalchemy.orm import Session

from planner.errors import StoreError
from planner.inputs.limits import NAME_MAX_CHARS
from planner.inputs.text import check_text
from planner.store.access_tables import MemberRow
from planner.store.tables import ProjectRow


class Role(StrEnum):
    """A member's role in one project; each includes the ones before it."""

    VIEWER = "viewer"
    EDITOR = "editor"
    OWNER = "owner"

    @property
    def rank(self) -> int:
        return _RANKS[self]


_RANKS = {Role.VIEWER: 1, Role.EDITOR: 2, Role.OWNER: 3}


class AccessDenied(StoreError):
    """The actor's role does not allow what was asked; nothing was read or written."""


class Actor(BaseModel):
    """Who acts: the local user (sign-in off), the command line, a signed-in user, or an anonymous visitor."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["local", "user", "anonymous"]
    user: str = ""  # a signed-in user's e-mail address (lower case), or the identity provider's subject
    name: str = ""  # display name; for a local actor, what is recorded as its author
    admin: bool = False

    @property
    def author(self) -> str:
        """What the store records as the author of a change."""
        if self.kind == "user":
            return self.user
        return self.name or ("anonymous" if self.kind == "anonymous" else "local user")

    @property
    def described(self) -> str:
        """The actor in a sentence ("alice@example.com", "a visitor who has not signed in")."""
        return self.author if self.kind != "anonymous" else "a visitor who has not signed in"


LOCAL = Actor(kind="local", admin=True)
ANONYMOUS = Actor(kind="anonymous")


def command_line() -> Actor:
    """The command line's actor: an admin (it holds the database URL), recorded as "command line"."""
    return Actor(kind="local", name="command line", admin=True)


def signed_in(user: str, *, name: str = "", admins: frozenset[str] = frozenset()) -> Actor:
    """A signed-in user by e-mail address (or subject), admin when listed in ``admins`` (any case)."""
    identity = member_identity(user)
    return Actor(kind="user", user=identity, name=name.strip()[:NAME_MAX_CHARS] or identity,
                 admin=identity in {a.strip().lower() for a in admins})


def member_identity(user: str) -> str:
    """A member's identity as stored: trimmed, lower case, 1 to 120 characters without control characters."""
    clean = user.strip().lower() if isinstance(user, str) else ""
    if not 1 <= len(clean) <= NAME_MAX_CHARS:
        raise StoreError(f"A member must be named by an e-mail address of 1 to {NAME_MAX_CHARS} characters.")
    try:
        return check_text(clean)
    except ValueError as exc:
        raise StoreError(f"A member's address {exc}.") from None


ActorProvider = Callable[[], "Actor | None"]
_provider: ActorProvider | None = None


def set_actor_provider(provider: ActorProvider | None) -> None:
    """Where ``current_actor()`` asks who acts (the app: the signed-in user of the running script); None: LOCAL."""
    global _provider
    _provider = provider


def current_actor(actor: Actor | None = None) -> Actor:
    """``actor`` when given, else the provider's actor, else LOCAL (no provider: the CLI, scripts, tests)."""
    if actor is not None:
        return actor
    provided = _provider() if _provider is not None else None
    return LOCAL if provided is None else provided


def project_role(session: Session, actor: Actor, project_id: int) -> Role | None:
    """The actor's role in a project: owner for admins, editor in an open project, a member's role, or None."""
    if actor.admin:
        return Role.OWNER
    if actor.kind != "user":
        return None
    members = dict(session.execute(select(MemberRow.member, MemberRow.role)
                                   .where(MemberRow.project_id == project_id)).all())
    if not members:
        return Role.EDITOR
    role = members.get(actor.user)
    return None if role is None else Role(role)


def require(session: Session, actor: Actor, project_id: int, needed: Role, *, doing: str) -> Role:
    """The actor's role, when it is at least ``needed``; else AccessDenied saying who, what and which role."""
    role = project_role(session, actor, project_id)
    if role is not None and role.rank >= needed.rank:
        return role
    name = session.scalar(select(ProjectRow.name).where(ProjectRow.id == project_id)) or f"#{project_id}"
    if actor.kind == "anonymous":
        raise AccessDenied(f"Sign in to {doing} in “{name}”.")
    held = f"you are its {role}" if role is not None else "you are not a member"
    raise AccessDenied(f"{actor.described} cannot {doing} in “{name}”: that needs the {needed} role, and {held}. "
                       "Ask one of its owners.")


def require_signed_in(actor: Actor, *, doing: str) -> None:
    """Anyone but an anonymous visitor may create projects and price lists; AccessDenied otherwise."""
    if actor.kind == "anonymous":
        raise AccessDenied(f"Sign in to {doing}.")


def visible_projects(actor: Actor) -> ColumnElement[bool]:
    """A condition on ProjectRow: the projects the actor may read (admins: all; users: open ones and theirs)."""
    if actor.admin:
        return true()
    if actor.kind != "user":
        return ProjectRow.id.is_(None)  # none
    has_members = exists().where(MemberRow.project_id == ProjectRow.id)
    is_member = exists().where(MemberRow.project_id == ProjectRow.id, MemberRow.member == actor.user)
    return or_(~has_members, is_member)


def become_owner(session: Session, actor: Actor, project_id: int, *, now: datetime) -> None:
    """A signed-in user who creates a project becomes its owner; local and command-line projects stay open."""
    if actor.kind == "user":
        session.add(MemberRow(project_id=project_id, member=actor.user, role=Role.OWNER.value,
                              added_at=now, added_by=actor.author))
