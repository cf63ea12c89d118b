"""Projects: named groups of saved assessments, created, renamed, archived and listed.

An archived project keeps its assessments but takes no new ones. Saving an assessment under a new
project name creates the project (``ensure_project``), so two app instances may race to create it;
the insert then does nothing for the second and both use the one row.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Engine, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from planner.errors import StoreError
from planner.inputs.limits import NAME_MAX_CHARS
from planner.inputs.text import check_text
from planner.store.access import Actor, Role, become_owner, current_actor, require, require_signed_in, visible_projects
from planner.store.audit import record
from planner.store.database import read_session, write_transaction
from planner.store.tables import AssessmentRow, ProjectRow


class ProjectSummary(BaseModel):
    """A project with how many assessments it holds and when the last one was saved."""

    model_config = ConfigDict(frozen=True)

    name: str
    archived: bool
    assessment_count: int
    last_assessed_at: datetime | None


def list_projects(engine: Engine, *, actor: Actor | None = None) -> list[ProjectSummary]:
    """The projects the actor may read, by name, with their number of assessments (archived ones aside) and the
    time of the latest one."""
    stmt = (
        select(
            ProjectRow.name.label("name"),
            ProjectRow.archived.label("archived"),
            func.count(AssessmentRow.id).label("assessment_count"),
            func.max(AssessmentRow.created_at).label("last_assessed_at"),
        )
        .outerjoin(AssessmentRow, (AssessmentRow.project_id == ProjectRow.id) & AssessmentRow.archived_at.is_(None))
        .where(visible_projects(current_actor(actor)))
        .group_by(ProjectRow.id, ProjectRow.name, ProjectRow.archived)
        .order_by(ProjectRow.name)
    )
    rows = read_session(engine, lambda s: s.execute(stmt).all(), failure="The projects could not be read")
    return [ProjectSummary.model_validate(r._asdict()) for r in rows]


def create_project(engine: Engine, *, name: str, actor: Actor | None = None) -> str:
    """Create an empty project, owned by its signed-in creator; return its name as stored (trimmed).

    A taken name -> StoreError; an anonymous visitor -> AccessDenied.
    """
    clean, who = project_name(name), current_actor(actor)
    require_signed_in(who, doing="create a project")

    def write(session: Session) -> str:
        if find_project(session, clean) is not None:
            raise StoreError(f"A project named “{clean}” already exists.")
        now = datetime.now(UTC)
        row = ProjectRow(name=clean, created_at=now, archived=False)
        session.add(row)
        session.flush()
        become_owner(session, who, row.id, now=now)
        record(session, who, "created project", project_id=row.id, subject=clean, at=now)
        return clean

    return write_transaction(engine, write, failure=f"The project “{clean}” could not be created")


def rename_project(engine: Engine, *, name: str, new_name: str, actor: Actor | None = None) -> str:
    """Give a project a new name (owners); its assessments follow. Unknown or taken names -> StoreError."""
    clean, who = project_name(new_name), current_actor(actor)

    def write(session: Session) -> str:
        project_id = existing_project_id(session, name)
        require(session, who, project_id, Role.OWNER, doing="rename the project")
        if clean == name:
            return clean  # the same name: nothing to change or log
        if find_project(session, clean) is not None:
            raise StoreError(f"A project named “{clean}” already exists; choose another name.")
        session.execute(update(ProjectRow).where(ProjectRow.id == project_id).values(name=clean))
        record(session, who, "renamed project", project_id=project_id, subject=clean, detail=f"was “{name}”")
        return clean

    return write_transaction(engine, write, failure=f"The project “{name}” could not be renamed")


def set_project_archived(engine: Engine, *, name: str, archived: bool, actor: Actor | None = None) -> None:
    """Archive a project (kept, listed apart, takes no new assessments) or restore it; owners only."""
    who = current_actor(actor)
    done = "archived" if archived else "restored"

    def write(session: Session) -> None:
        project_id = existing_project_id(session, name)
        require(session, who, project_id, Role.OWNER, doing="archive or restore the project")
        session.execute(update(ProjectRow).where(ProjectRow.id == project_id).values(archived=archived))
        record(session, who, f"{done} project", project_id=project_id, subject=name)

    write_transaction(engine, write, failure=f"The project “{name}” could not be {done}")


def project_name(name: str) -> str:
    """A project name trimmed and checked: 1 to 120 characters of text without control characters."""
    clean = name.strip() if isinstance(name, str) else ""
    if not 1 <= len(clean) <= NAME_MAX_CHARS:
        raise StoreError(f"A project name must be 1 to {NAME_MAX_CHARS} characters long.")
    try:
        return check_text(clean)
    except ValueError as exc:  # the rule of every name a user types (planner.inputs.text)
        raise StoreError(f"A project name {exc}.") from None


def find_project(session: Session, name: str) -> int | None:
    """The id of the project of that name, or None."""
    return session.scalar(select(ProjectRow.id).where(ProjectRow.name == name))


def existing_project_id(session: Session, name: str) -> int:
    """The id of the project of that name; unknown -> StoreError."""
    project_id = find_project(session, name)
    if project_id is None:
        raise StoreError(f"No project named “{name}”.")
    return project_id


def ensure_project(session: Session, *, name: str, now: datetime, actor: Actor, needed: Role = Role.EDITOR,
                   doing: str = "save assessments", for_saving: bool = False) -> int:
    """The id of the project of that name, where the actor holds ``needed``; created when new (the signed-in
    creator becomes its owner). ``for_saving`` refuses an archived one."""
    by_name = select(ProjectRow.id, ProjectRow.archived).where(ProjectRow.name == name)
    found = session.execute(by_name).first()
    if found is not None:
        require(session, actor, int(found.id), needed, doing=doing)
        if for_saving and found.archived:
            raise StoreError(f"The project “{name}” is archived; restore it on the Home page before saving to it.")
        return int(found.id)
    require_signed_in(actor, doing="create a project")
    # ON CONFLICT DO NOTHING: another app instance may create the same project at the same moment.
    dialect_insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    created = session.execute(
        dialect_insert(ProjectRow)
        .values(name=name, created_at=now, archived=False)
        .on_conflict_do_nothing(index_elements=["name"])
        .returning(ProjectRow.id)
    ).scalar()
    if created is not None:
        become_owner(session, actor, created, now=now)
        record(session, actor, "created project", project_id=created, subject=name, at=now)
        return int(created)
    project_id = find_project(session, name)  # the other instance's project: the actor needs a role in it
    if project_id is None:
        raise StoreError(f"The project '{name}' could not be created.")
    require(session, actor, project_id, needed, doing=doing)
    return project_id
