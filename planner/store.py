"""Saved assessments: projects and their assessments, in SQLite or PostgreSQL (DESIGN.md section 6).

Pages take an Engine from ``get_engine()`` and call the repository functions below. Each opens one
short session (``with Session(engine) as s, s.begin()``) and returns small pydantic summaries; ORM
rows never leave this module. The first ``get_engine()`` for a URL migrates the database to the newest
Alembic revision, so a new SQLite file or an empty PostgreSQL database needs no set-up.

An assessment row keeps the validated inputs (``Assessment`` as JSON), the full results the caller
passes (evaluation, recommendation, pricing snapshot: any JSON-serialisable dict), the recommended
architecture for listings, and the app version that produced it.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.util import CommandError
from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy import (
    CheckConstraint,
    Connection,
    DateTime,
    Dialect,
    Engine,
    ForeignKey,
    Index,
    MetaData,
    String,
    Text,
    create_engine,
    delete,
    event,
    false,
    func,
    select,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from sqlalchemy.pool import StaticPool
from sqlalchemy.types import TypeDecorator

from planner.errors import StoreError
from planner.models import Assessment
from planner.settings import database_url, normalize_database_url

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
SQLITE_BUSY_TIMEOUT_MS = 10_000  # how long a writer waits for another one before "database is locked"
POSTGRES_MIGRATION_LOCK = 4_517_001  # advisory lock key: one app instance migrates at a time
MAX_LIST_LIMIT = 1_000  # rows per listing
NAME_MAX_CHARS = 120  # project names and labels, as in Assessment
SHORT_TEXT_MAX_CHARS = 40  # architecture names and app versions

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend (SQLite keeps the UTC wall-clock time)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base; constraint names follow one convention so batch migrations can find them."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class ProjectRow(Base):
    """A named group of assessments (one product or initiative)."""

    __tablename__ = "projects"
    __table_args__ = (CheckConstraint(f"length(name) BETWEEN 1 AND {NAME_MAX_CHARS}", name="name_length"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX_CHARS), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    archived: Mapped[bool] = mapped_column(default=False, server_default=false())


class AssessmentRow(Base):
    """One saved assessment: inputs, results and the version of the app that computed them."""

    __tablename__ = "assessments"
    __table_args__ = (
        Index("ix_assessments_created_at", "created_at"),
        Index("ix_assessments_project_id_created_at", "project_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="RESTRICT"))
    label: Mapped[str] = mapped_column(String(NAME_MAX_CHARS), default="")
    inputs_json: Mapped[str] = mapped_column(Text)
    results_json: Mapped[str] = mapped_column(Text)
    recommended: Mapped[str] = mapped_column(String(SHORT_TEXT_MAX_CHARS))
    app_version: Mapped[str] = mapped_column(String(SHORT_TEXT_MAX_CHARS))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


# What the repository returns -----------------------------------------------------------------------


class AssessmentSummary(BaseModel):
    """One line of the list of saved assessments."""

    model_config = ConfigDict(frozen=True)

    id: int
    project: str
    label: str
    recommended: str
    created_at: datetime
    app_version: str


class StoredAssessment(AssessmentSummary):
    """A saved assessment in full: its summary, the re-validated inputs and the stored results."""

    assessment: Assessment
    results: dict[str, Any]


class ProjectSummary(BaseModel):
    """A project with how many assessments it holds and when the last one was saved."""

    model_config = ConfigDict(frozen=True)

    name: str
    archived: bool
    assessment_count: int
    last_assessed_at: datetime | None


# Engines and migrations ------------------------------------------------------------------------------

_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def get_engine(url: str | None = None) -> Engine:
    """The engine for a database URL (default: DATABASE_URL), migrated to the newest revision; cached."""
    key = database_url() if url is None else normalize_database_url(url)
    with _engines_lock:
        engine = _engines.get(key)
        if engine is None:
            engine = create_store_engine(key)
            try:
                migrate(engine)
            except Exception:
                engine.dispose()
                raise
            _engines[key] = engine
        return engine


def dispose_engines() -> None:
    """Close every cached engine and forget it (tests, or a change of DATABASE_URL)."""
    with _engines_lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


def create_store_engine(url: str) -> Engine:
    """A new engine for a URL with the planner's connection settings, without migrating it."""
    parsed = make_url(normalize_database_url(url))
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, pool_pre_ping=True)
    database = parsed.database or ""
    if database in ("", ":memory:") or "mode=memory" in database:
        # One shared connection: each new connection to :memory: would see a new, empty database.
        engine = create_engine(parsed, poolclass=StaticPool, connect_args={"check_same_thread": False})
    else:
        if not database.startswith("file:"):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
    event.listen(engine, "connect", _sqlite_on_connect)
    return engine


def _sqlite_on_connect(dbapi_connection: Any, connection_record: Any) -> None:
    # WAL lets readers work while one writer writes; foreign keys are off in SQLite unless asked.
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic configuration for the planner's migrations, optionally bound to an open connection."""
    config = Config()
    config.set_main_option("script_location", MIGRATIONS_DIR.as_posix().replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def migrate(engine: Engine) -> None:
    """Upgrade the database to the newest Alembic revision; a no-op when it is already there."""
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": POSTGRES_MIGRATION_LOCK})
            command.upgrade(alembic_config(connection), "heads")
    except SQLAlchemyError as exc:
        raise StoreError(f"The database could not be prepared: {_reason(exc)}") from exc
    except CommandError as exc:
        # Typically a revision this copy of the planner does not know: a newer version migrated it.
        raise StoreError(f"The database is at a schema this version of the planner cannot use: {exc}") from exc


# Repository --------------------------------------------------------------------------------------------


def save_assessment(
    engine: Engine, *, assessment: Assessment, results: dict[str, Any], recommended: str, app_version: str
) -> int:
    """Save an assessment and its results under its project (created if new); return the new id."""
    checked = _validated(assessment)
    inputs_json = json.dumps(checked.model_dump(mode="json"), ensure_ascii=False)
    results_json = _results_json(results)
    recommended = _short_text("recommended architecture", recommended)
    app_version = _short_text("app version", app_version)
    now = datetime.now(UTC)
    try:
        with Session(engine) as session, session.begin():
            row = AssessmentRow(
                project_id=_project_id(session, name=checked.project, now=now),
                label=checked.label,
                inputs_json=inputs_json,
                results_json=results_json,
                recommended=recommended,
                app_version=app_version,
                created_at=now,
            )
            session.add(row)
            session.flush()
            return row.id
    except SQLAlchemyError as exc:
        raise StoreError(f"The assessment could not be saved, nothing was written: {_reason(exc)}") from exc


def list_assessments(engine: Engine, *, project: str | None = None, limit: int = 200) -> list[AssessmentSummary]:
    """Saved assessments, newest first, optionally of one project only."""
    if not 1 <= limit <= MAX_LIST_LIMIT:
        raise ValueError(f'"limit" must be between 1 and {MAX_LIST_LIMIT}.')
    stmt = (
        _joined(select(*_summary_columns()))
        .order_by(AssessmentRow.created_at.desc(), AssessmentRow.id.desc())
        .limit(limit)
    )
    if project is not None:
        stmt = stmt.where(ProjectRow.name == project)
    try:
        with Session(engine) as session:
            rows = session.execute(stmt).all()
    except SQLAlchemyError as exc:
        raise StoreError(f"The saved assessments could not be read: {_reason(exc)}") from exc
    return [AssessmentSummary.model_validate(r._asdict()) for r in rows]


def load_assessment(engine: Engine, *, assessment_id: int) -> StoredAssessment:
    """One saved assessment with its inputs re-validated and its results as stored."""
    stmt = _joined(select(*_summary_columns())).add_columns(AssessmentRow.inputs_json, AssessmentRow.results_json)
    try:
        with Session(engine) as session:
            found = session.execute(stmt.where(AssessmentRow.id == assessment_id)).first()
    except SQLAlchemyError as exc:
        raise StoreError(f"Saved assessment {assessment_id} could not be read: {_reason(exc)}") from exc
    if found is None:
        raise StoreError(f"No saved assessment with id {assessment_id}")
    fields = found._asdict()
    inputs_json, results_json = fields.pop("inputs_json"), fields.pop("results_json")
    try:
        assessment = Assessment.model_validate_json(inputs_json)
    except ValidationError as exc:
        raise StoreError(
            f"Saved assessment {assessment_id} no longer matches the current input format "
            f"({exc.error_count()} problem(s), first: {_first_error(exc)})"
        ) from exc
    try:
        results = json.loads(results_json)
    except ValueError as exc:
        raise StoreError(f"The results of saved assessment {assessment_id} are damaged: {exc}") from exc
    return StoredAssessment(**fields, assessment=assessment, results=results)


def list_projects(engine: Engine) -> list[ProjectSummary]:
    """Every project by name, with its number of assessments and the time of the latest one."""
    stmt = (
        select(
            ProjectRow.name.label("name"),
            ProjectRow.archived.label("archived"),
            func.count(AssessmentRow.id).label("assessment_count"),
            func.max(AssessmentRow.created_at).label("last_assessed_at"),
        )
        .outerjoin(AssessmentRow, AssessmentRow.project_id == ProjectRow.id)
        .group_by(ProjectRow.id, ProjectRow.name, ProjectRow.archived)
        .order_by(ProjectRow.name)
    )
    try:
        with Session(engine) as session:
            rows = session.execute(stmt).all()
    except SQLAlchemyError as exc:
        raise StoreError(f"The projects could not be read: {_reason(exc)}") from exc
    return [ProjectSummary.model_validate(r._asdict()) for r in rows]


def delete_assessment(engine: Engine, *, assessment_id: int) -> None:
    """Delete one saved assessment; its project stays. Unknown id -> StoreError."""
    try:
        with Session(engine) as session, session.begin():
            deleted = session.execute(
                delete(AssessmentRow).where(AssessmentRow.id == assessment_id).returning(AssessmentRow.id)
            ).first()
            if deleted is None:
                raise StoreError(f"No saved assessment with id {assessment_id}")
    except SQLAlchemyError as exc:
        raise StoreError(f"Saved assessment {assessment_id} could not be deleted: {_reason(exc)}") from exc


# Helpers ---------------------------------------------------------------------------------------------


def _validated(assessment: Assessment) -> Assessment:
    if not isinstance(assessment, Assessment):
        raise StoreError(f"Only an Assessment can be saved, not {type(assessment).__name__}.")
    try:
        # Re-validate: model_construct() and model_copy(update=...) skip the field rules.
        return Assessment.model_validate(assessment.model_dump())
    except ValidationError as exc:
        raise StoreError(
            f"The assessment is not valid and was not saved ({exc.error_count()} problem(s), first: "
            f"{_first_error(exc)})"
        ) from exc


def _results_json(results: dict[str, Any]) -> str:
    if not isinstance(results, dict):
        raise StoreError(f"The results to save must be a dict, not {type(results).__name__}.")
    try:
        encoded = json.dumps(results, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise StoreError(
            f"The results cannot be written as JSON and were not saved ({exc}); pass plain numbers, "
            "text, lists and dicts, e.g. model.model_dump(mode='json')."
        ) from exc
    if json.loads(encoded) != results:
        raise StoreError(
            "The results would change when written as JSON (non-text dict keys or tuples?) and were not "
            "saved; pass model.model_dump(mode='json')."
        )
    return encoded


def _short_text(what: str, value: str) -> str:
    if not isinstance(value, str) or not 1 <= len(value.strip()) <= SHORT_TEXT_MAX_CHARS:
        raise StoreError(f"The {what} must be text of 1 to {SHORT_TEXT_MAX_CHARS} characters.")
    return value.strip()


def _summary_columns() -> tuple[Any, ...]:
    # Labels match the AssessmentSummary fields, so a row converts with model_validate(row._asdict()).
    return (
        AssessmentRow.id.label("id"),
        ProjectRow.name.label("project"),
        AssessmentRow.label.label("label"),
        AssessmentRow.recommended.label("recommended"),
        AssessmentRow.created_at.label("created_at"),
        AssessmentRow.app_version.label("app_version"),
    )


def _joined(stmt: Any) -> Any:
    return stmt.join(ProjectRow, AssessmentRow.project_id == ProjectRow.id)


def _project_id(session: Session, *, name: str, now: datetime) -> int:
    by_name = select(ProjectRow.id).where(ProjectRow.name == name)
    project_id = session.scalar(by_name)
    if project_id is not None:
        return project_id
    # ON CONFLICT DO NOTHING: another app instance may create the same project at the same moment.
    dialect_insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(
        dialect_insert(ProjectRow)
        .values(name=name, created_at=now, archived=False)
        .on_conflict_do_nothing(index_elements=["name"])
    )
    project_id = session.scalar(by_name)
    if project_id is None:
        raise StoreError(f"The project '{name}' could not be created.")
    return project_id


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"]) or "assessment"
    return f"{where}: {error['msg']}"


def _reason(exc: SQLAlchemyError) -> str:
    detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    if "database is locked" in detail:
        return "the database is busy with another writer; try again in a moment"
    return detail
