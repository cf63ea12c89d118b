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
from planner.store.database import read_session, write_transaction
from planner.store.tables import AssessmentRow, ProjectRow


class ProjectSummary(BaseModel):
    """A project with how many assessments it holds and when the last one was saved."""

    model_config = ConfigDict(frozen=True)

    name: str
    archived: bool
    assessment_count: int
    last_assessed_at: datetime | None


def list_projects(engine: Engine) -> list[ProjectSummary]:
    """Every project by name, with its number of assessments (archived ones aside) and the time of the latest one."""
    stmt = (
        select(
            ProjectRow.name.label("name"),
            ProjectRow.archived.label("archived"),
            func.count(AssessmentRow.id).label("assessment_count"),
            func.max(AssessmentRow.created_at).label("last_assessed_at"),
        )
        .outerjoin(AssessmentRow, (AssessmentRow.project_id == ProjectRow.id) & AssessmentRow.archived_at.is_(None))
        .group_by(ProjectRow.id, ProjectRow.name, ProjectRow.archived)
        .order_by(ProjectRow.name)
    )
    rows = read_session(engine, lambda s: s.execute(stmt).all(), failure="The projects could not be read")
    return [ProjectSummary.model_validate(r._asdict()) for r in rows]


def create_project(engine: Engine, *, name: str) -> str:
    """Create an empty project; return its name as stored (trimmed). A taken name -> StoreError."""
    clean = project_name(name)

    def write(session: Session) -> str:
        if find_project(session, clean) is not None:
            raise StoreError(f"A project named “{clean}” already exists.")
        session.add(ProjectRow(name=clean, created_at=datetime.now(UTC), archived=False))
        session.flush()
        return clean

    return write_transaction(engine, write, failure=f"The project “{clean}” could not be created")


def rename_project(engine: Engine, *, name: str, new_name: str) -> str:
    """Give a project a new name; its assessments follow. Unknown or taken names -> StoreError."""
    clean = project_name(new_name)

    def write(session: Session) -> str:
        project_id = _existing_project_id(session, name)
        if clean != name and find_project(session, clean) is not None:
            raise StoreError(f"A project named “{clean}” already exists; choose another name.")
        session.execute(update(ProjectRow).where(ProjectRow.id == project_id).values(name=clean))
        return clean

    return write_transaction(engine, write, failure=f"The project “{name}” could not be renamed")


def set_project_archived(engine: Engine, *, name: str, archived: bool) -> None:
    """Archive a project (kept, listed apart, takes no new assessments) or restore it."""

    def write(session: Session) -> None:
        project_id = _existing_project_id(session, name)
        session.execute(update(ProjectRow).where(ProjectRow.id == project_id).values(archived=archived))

    done = "archived" if archived else "restored"
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


def _existing_project_id(session: Session, name: str) -> int:
    project_id = find_project(session, name)
    if project_id is None:
        raise StoreError(f"No project named “{name}”.")
    return project_id


def ensure_project(session: Session, *, name: str, now: datetime, for_saving: bool = False) -> int:
    """The id of the project of that name, created when new; ``for_saving`` refuses an archived one."""
    by_name = select(ProjectRow.id, ProjectRow.archived).where(ProjectRow.name == name)
    found = session.execute(by_name).first()
    if found is not None:
        if for_saving and found.archived:
            raise StoreError(f"The project “{name}” is archived; restore it on the Home page before saving to it.")
        return int(found.id)
    # ON CONFLICT DO NOTHING: another app instance may create the same project at the same moment.
    dialect_insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(
        dialect_insert(ProjectRow)
        .values(name=name, created_at=now, archived=False)
        .on_conflict_do_nothing(index_elements=["name"])
    )
    project_id = find_project(session, name)
    if project_id is None:
        raise StoreError(f"The project '{name}' could not be created.")
    return project_id
