"""Saved assessments: projects and their assessments, in SQLite or PostgreSQL (DESIGN.md section 6).

Pages take an Engine from ``get_engine()`` and call the repository functions below. Each opens one
short session (``with Session(engine) as s, s.begin()``) and returns small pydantic summaries; ORM
rows never leave this module. The first ``get_engine()`` for a URL migrates the database to the newest
Alembic revision, so a new SQLite file or an empty PostgreSQL database needs no set-up.

An assessment row keeps the validated inputs (``Assessment`` as JSON), the full results the caller
passes (evaluation, recommendation: any JSON-serialisable dict), the recommended architecture for
listings, the app version that produced it, and (from revision 0002_history) the instance price rows
its evaluation used, its revisit-by date and the roadmap's revisit triggers. Rows saved before 0002
have none of the three and still load.

The price snapshot column holds either a JSON list of instance price rows (as written before GPU specs
were kept) or an object ``{"instances": [...], "gpus": [...]}`` with the GPU spec rows the evaluation
used for the GPU types of those instances, so an assessment priced with a saved price list that brings
its own GPU types can be re-evaluated after the list changes or is deleted. Both forms load.

Projects are created, renamed and archived here; an archived project keeps its assessments but takes
no new ones. Every write retries a few times when SQLite reports a busy database, so concurrent
writers never see "database is locked". Project exports (JSON) round-trip through ``export_project``
and ``import_project``; an import is all or nothing, and assessments already present are skipped.
"""

from __future__ import annotations

import json
import random
import threading
import time
import zlib
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal, TypeVar

from alembic import command
from alembic.config import Config
from alembic.util import CommandError
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from sqlalchemy import (
    CheckConstraint,
    Connection,
    Date,
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
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from sqlalchemy.pool import StaticPool
from sqlalchemy.types import TypeDecorator

from planner.errors import InputError, StoreError
from planner.estimate.results import RevisitTrigger
from planner.inputs.models import Assessment, GpuSpec, InstancePrice
from planner.store.settings import database_url, normalize_database_url

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
SQLITE_BUSY_TIMEOUT_MS = 10_000  # how long a writer waits for another one before "database is locked"
POSTGRES_MIGRATION_LOCK = 4_517_001  # advisory lock key: one app instance migrates at a time
MAX_LIST_LIMIT = 1_000  # rows per listing
NAME_MAX_CHARS = 120  # project names and labels, as in Assessment
SHORT_TEXT_MAX_CHARS = 40  # architecture names and app versions
WRITE_ATTEMPTS = 8  # a write that finds SQLite busy (beyond the busy timeout) is retried this often
RETRY_BASE_DELAY_S = 0.05  # first back-off between attempts; doubles each time, with jitter
MAX_SNAPSHOT_ROWS = 5_000  # instance price rows (and GPU spec rows) kept with one assessment
EXPORT_FORMAT = "genai-architecture-planner/project"  # the "format" of a project export file
EXPORT_VERSION = 2  # 2: assessments may carry "gpu_snapshot"; version 1 files (without it) still import
MAX_EXPORT_ASSESSMENTS = 1_000  # assessments in one project export
MAX_EXPORT_BYTES = 32 * 1024 * 1024  # an export of 1,000 assessments is about 50 MB; gzip shrinks it ~10x
GZIP_MAGIC = b"\x1f\x8b"

T = TypeVar("T")

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
    # Revision 0002_history; NULL on rows saved before it.
    price_snapshot_json: Mapped[str | None] = mapped_column(Text, default=None)
    revisit_by: Mapped[date | None] = mapped_column(Date, default=None)
    triggers_json: Mapped[str | None] = mapped_column(Text, default=None)


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
    """A saved assessment in full: its summary, the re-validated inputs and the stored results.

    ``assessment.project`` is the project's current name (it may have been renamed since the save).
    ``price_snapshot`` is None and ``triggers`` empty for assessments saved before revision 0002.
    ``gpu_snapshot`` holds the GPU specs of the snapshot's GPU types; None when saved without one
    (no price snapshot, or a price snapshot written before GPU specs were kept with it).
    """

    assessment: Assessment
    results: dict[str, Any]
    price_snapshot: tuple[InstancePrice, ...] | None = None
    gpu_snapshot: tuple[GpuSpec, ...] | None = None
    revisit_by: date | None = None
    triggers: tuple[RevisitTrigger, ...] = ()


class ProjectSummary(BaseModel):
    """A project with how many assessments it holds and when the last one was saved."""

    model_config = ConfigDict(frozen=True)

    name: str
    archived: bool
    assessment_count: int
    last_assessed_at: datetime | None


class ImportReport(BaseModel):
    """What an import did: the project it filled, the new assessment ids and how many were already there."""

    model_config = ConfigDict(frozen=True)

    project: str
    created_project: bool
    imported_ids: tuple[int, ...]
    skipped_duplicates: int


class ExportedAssessment(BaseModel):
    """One assessment in a project export file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    label: str = Field(default="", max_length=NAME_MAX_CHARS)
    created_at: datetime
    app_version: str = Field(min_length=1, max_length=SHORT_TEXT_MAX_CHARS)
    recommended: str = Field(min_length=1, max_length=SHORT_TEXT_MAX_CHARS)
    inputs: dict[str, Any]
    results: dict[str, Any]
    price_snapshot: list[InstancePrice] | None = Field(default=None, max_length=MAX_SNAPSHOT_ROWS)
    gpu_snapshot: list[GpuSpec] | None = Field(default=None, max_length=MAX_SNAPSHOT_ROWS)
    revisit_by: date | None = None
    triggers: list[RevisitTrigger] = Field(default_factory=list, max_length=100)

    @model_validator(mode="after")
    def _gpus_go_with_prices(self) -> ExportedAssessment:
        if self.gpu_snapshot is not None:
            if self.price_snapshot is None:
                raise ValueError("gpu_snapshot is kept only with a price_snapshot (the instance rows that use it)")
            names = [g.gpu for g in self.gpu_snapshot]
            if len(set(names)) != len(names):
                raise ValueError("gpu_snapshot names a GPU type more than once")
        return self


class ProjectExport(BaseModel):
    """A project export file: the project and every assessment in it, oldest first."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: Literal["genai-architecture-planner/project"]
    version: int = Field(ge=1, le=EXPORT_VERSION)
    exported_at: datetime
    app_version: str = Field(min_length=1, max_length=SHORT_TEXT_MAX_CHARS)
    project: str = Field(min_length=1, max_length=NAME_MAX_CHARS)
    archived: bool = False
    assessments: list[ExportedAssessment] = Field(min_length=1, max_length=MAX_EXPORT_ASSESSMENTS)


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
            command.upgrade(alembic_config(connection), "head")
    except SQLAlchemyError as exc:
        raise StoreError(f"The database could not be prepared: {error_reason(exc)}") from exc
    except CommandError as exc:
        # Typically a revision this copy of the planner does not know: a newer version migrated it.
        raise StoreError(f"The database is at a schema this version of the planner cannot use: {exc}") from exc


# Repository --------------------------------------------------------------------------------------------


def save_assessment(
    engine: Engine,
    *,
    assessment: Assessment,
    results: dict[str, Any],
    recommended: str,
    app_version: str,
    price_snapshot: list[InstancePrice] | tuple[InstancePrice, ...] | None = None,
    gpu_snapshot: list[GpuSpec] | tuple[GpuSpec, ...] | None = None,
    revisit_by: date | None = None,
    triggers: list[RevisitTrigger] | tuple[RevisitTrigger, ...] = (),
) -> int:
    """Save an assessment and its results under its project (created if new); return the new id.

    ``price_snapshot`` is the list of instance price rows the evaluation used and ``gpu_snapshot`` the
    GPU specs it used for their GPU types (see ``history.snapshot_gpus``; only with a price snapshot),
    ``revisit_by`` the date by which to re-assess and ``triggers`` the conditions that call for an
    earlier re-assessment. An archived project takes no new assessments (StoreError).
    """
    checked = _validated(assessment)
    inputs_json = json.dumps(checked.model_dump(mode="json"), ensure_ascii=False)
    results_json = _results_json(results)
    recommended = _short_text("recommended architecture", recommended)
    app_version = _short_text("app version", app_version)
    snapshot_json = _snapshot_json(price_snapshot, gpu_snapshot)
    triggers_json = _triggers_json(triggers)
    if revisit_by is not None and (not isinstance(revisit_by, date) or isinstance(revisit_by, datetime)):
        raise StoreError("The revisit-by date must be a date (YYYY-MM-DD).")

    def write(session: Session) -> int:
        now = datetime.now(UTC)
        row = AssessmentRow(
            project_id=_project_id(session, name=checked.project, now=now, for_saving=True),
            label=checked.label,
            inputs_json=inputs_json,
            results_json=results_json,
            recommended=recommended,
            app_version=app_version,
            created_at=now,
            price_snapshot_json=snapshot_json,
            revisit_by=revisit_by,
            triggers_json=triggers_json,
        )
        session.add(row)
        session.flush()
        return row.id

    return write_transaction(engine, write, failure="The assessment could not be saved, nothing was written")


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
        raise StoreError(f"The saved assessments could not be read: {error_reason(exc)}") from exc
    return [AssessmentSummary.model_validate(r._asdict()) for r in rows]


_FULL_COLUMNS = (
    AssessmentRow.inputs_json,
    AssessmentRow.results_json,
    AssessmentRow.price_snapshot_json,
    AssessmentRow.revisit_by,
    AssessmentRow.triggers_json,
)


def load_assessment(engine: Engine, *, assessment_id: int) -> StoredAssessment:
    """One saved assessment with its inputs re-validated and its results as stored."""
    stmt = _joined(select(*_summary_columns())).add_columns(*_FULL_COLUMNS)
    try:
        with Session(engine) as session:
            found = session.execute(stmt.where(AssessmentRow.id == assessment_id)).first()
    except SQLAlchemyError as exc:
        raise StoreError(f"Saved assessment {assessment_id} could not be read: {error_reason(exc)}") from exc
    if found is None:
        raise StoreError(f"No saved assessment with id {assessment_id}")
    return _stored(found._asdict())


def project_assessments(engine: Engine, *, project: str, limit: int = 200) -> list[StoredAssessment]:
    """A project's saved assessments in full, oldest first (the newest ``limit`` of them)."""
    if not 1 <= limit <= MAX_LIST_LIMIT:
        raise ValueError(f'"limit" must be between 1 and {MAX_LIST_LIMIT}.')
    stmt = (
        _joined(select(*_summary_columns()))
        .add_columns(*_FULL_COLUMNS)
        .where(ProjectRow.name == project)
        .order_by(AssessmentRow.created_at.desc(), AssessmentRow.id.desc())
        .limit(limit)
    )
    try:
        with Session(engine) as session:
            if session.scalar(select(ProjectRow.id).where(ProjectRow.name == project)) is None:
                raise StoreError(f"No project named “{project}”.")
            rows = session.execute(stmt).all()
    except SQLAlchemyError as exc:
        raise StoreError(f"The assessments of “{project}” could not be read: {error_reason(exc)}") from exc
    return [_stored(r._asdict()) for r in reversed(rows)]


def latest_assessment(engine: Engine, *, project: str) -> StoredAssessment | None:
    """The project's newest saved assessment, or None when it has none; unknown project -> StoreError."""
    found = project_assessments(engine, project=project, limit=1)
    return found[0] if found else None


def _stored(fields: dict[str, Any]) -> StoredAssessment:
    assessment_id = fields["id"]
    inputs_json, results_json = fields.pop("inputs_json"), fields.pop("results_json")
    snapshot_json, triggers_json = fields.pop("price_snapshot_json"), fields.pop("triggers_json")
    try:
        assessment = Assessment.model_validate_json(inputs_json)
    except ValidationError as exc:
        raise StoreError(
            f"Saved assessment {assessment_id} no longer matches the current input format "
            f"({exc.error_count()} problem(s), first: {_first_error(exc)})"
        ) from exc
    if assessment.project != fields["project"]:  # the project was renamed after this save
        assessment = assessment.model_copy(update={"project": fields["project"]})
    try:
        results = json.loads(results_json)
        snapshot, gpus = _snapshot_rows(snapshot_json)
        triggers = tuple(RevisitTrigger.model_validate(t) for t in json.loads(triggers_json or "[]"))
    except (ValueError, TypeError, KeyError) as exc:
        raise StoreError(f"The stored results of saved assessment {assessment_id} are damaged: {exc}") from exc
    return StoredAssessment(
        **fields, assessment=assessment, results=results, price_snapshot=snapshot, gpu_snapshot=gpus,
        triggers=triggers,
    )


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
        raise StoreError(f"The projects could not be read: {error_reason(exc)}") from exc
    return [ProjectSummary.model_validate(r._asdict()) for r in rows]


def delete_assessment(engine: Engine, *, assessment_id: int) -> None:
    """Delete one saved assessment; its project stays. Unknown id -> StoreError."""

    def write(session: Session) -> None:
        deleted = session.execute(
            delete(AssessmentRow).where(AssessmentRow.id == assessment_id).returning(AssessmentRow.id)
        ).first()
        if deleted is None:
            raise StoreError(f"No saved assessment with id {assessment_id}")

    write_transaction(engine, write, failure=f"Saved assessment {assessment_id} could not be deleted")


def create_project(engine: Engine, *, name: str) -> str:
    """Create an empty project; return its name as stored (trimmed). A taken name -> StoreError."""
    clean = project_name(name)

    def write(session: Session) -> str:
        if session.scalar(select(ProjectRow.id).where(ProjectRow.name == clean)) is not None:
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
        if clean != name and session.scalar(select(ProjectRow.id).where(ProjectRow.name == clean)) is not None:
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
    """A project name trimmed and checked: 1 to 120 characters of text."""
    clean = name.strip() if isinstance(name, str) else ""
    if not 1 <= len(clean) <= NAME_MAX_CHARS:
        raise StoreError(f"A project name must be 1 to {NAME_MAX_CHARS} characters long.")
    return clean


# Export and import ---------------------------------------------------------------------------------------


def export_project(engine: Engine, *, project: str, app_version: str) -> ProjectExport:
    """Every assessment of a project with its inputs, results, price snapshot, revisit date and triggers."""
    stored = project_assessments(engine, project=project, limit=MAX_EXPORT_ASSESSMENTS)
    if not stored:
        raise StoreError(f"The project “{project}” has no saved assessments to export.")
    archived = next(p.archived for p in list_projects(engine) if p.name == project)
    return ProjectExport(
        format=EXPORT_FORMAT, version=EXPORT_VERSION, exported_at=datetime.now(UTC), app_version=app_version,
        project=project, archived=archived,
        assessments=[
            ExportedAssessment(
                label=a.label, created_at=a.created_at, app_version=a.app_version, recommended=a.recommended,
                inputs=a.assessment.model_dump(mode="json"), results=a.results,
                price_snapshot=None if a.price_snapshot is None else list(a.price_snapshot),
                gpu_snapshot=None if a.gpu_snapshot is None else list(a.gpu_snapshot),
                revisit_by=a.revisit_by, triggers=list(a.triggers),
            )
            for a in stored
        ],
    )


def import_project(engine: Engine, export: ProjectExport, *, project: str | None = None) -> ImportReport:
    """Add an export's assessments to the project it names (or ``project``), all in one transaction.

    An assessment already present (same project, same saved-at time, same inputs) is skipped, so the
    same file imported twice adds nothing: then, and for an archived project, StoreError and nothing
    changes. Inputs that fail validation also refuse the whole file.
    """
    name = project_name(project if project is not None else export.project)
    checked: list[tuple[ExportedAssessment, Assessment]] = []
    for i, item in enumerate(export.assessments, start=1):
        try:
            inputs = Assessment.model_validate({**item.inputs, "project": name})
        except ValidationError as exc:
            raise StoreError(
                f"Assessment {i} of the file has invalid inputs ({exc.error_count()} problem(s), first: "
                f"{_first_error(exc)}); nothing was imported."
            ) from exc
        checked.append((item, inputs))

    def write(session: Session) -> ImportReport:
        existing_id = session.scalar(select(ProjectRow.id).where(ProjectRow.name == name))
        if existing_id is not None and session.scalar(select(ProjectRow.archived).where(ProjectRow.id == existing_id)):
            raise StoreError(f"The project “{name}” is archived; restore it before importing into it.")
        project_id = existing_id if existing_id is not None else _project_id(session, name=name, now=datetime.now(UTC))
        # An assessment is "already there" when the project holds one saved at the same moment with the
        # same inputs (inputs name the project as it was then; compare under the current name).
        known = {
            (created.astimezone(UTC).isoformat(), _canonical({**json.loads(inputs), "project": name}))
            for created, inputs in session.execute(
                select(AssessmentRow.created_at, AssessmentRow.inputs_json).where(
                    AssessmentRow.project_id == project_id
                )
            ).all()
        }
        new_ids: list[int] = []
        skipped = 0
        for item, inputs in checked:
            dumped = inputs.model_dump(mode="json")
            key = (item.created_at.astimezone(UTC).isoformat(), _canonical(dumped))
            if key in known:
                skipped += 1
                continue
            known.add(key)
            row = AssessmentRow(
                project_id=project_id, label=inputs.label, inputs_json=json.dumps(dumped, ensure_ascii=False),
                results_json=_results_json(item.results),
                recommended=_short_text("recommended architecture", item.recommended),
                app_version=_short_text("app version", item.app_version), created_at=item.created_at,
                price_snapshot_json=_snapshot_json(item.price_snapshot, item.gpu_snapshot), revisit_by=item.revisit_by,
                triggers_json=_triggers_json(item.triggers),
            )
            session.add(row)
            session.flush()
            new_ids.append(row.id)
        if not new_ids:
            raise StoreError(
                f"Every assessment in this file is already in “{name}” (the same file imported twice?); "
                "nothing was imported."
            )
        if existing_id is None and export.archived:
            session.execute(update(ProjectRow).where(ProjectRow.id == project_id).values(archived=True))
        return ImportReport(project=name, created_project=existing_id is None, imported_ids=tuple(new_ids),
                            skipped_duplicates=skipped)

    return write_transaction(engine, write, failure="The file could not be imported, nothing was written")


def dump_project_export(export: ProjectExport, *, compress: bool = False) -> bytes:
    """An export as JSON bytes (gzip-compressed when ``compress``), readable by ``parse_project_export``."""
    raw = (json.dumps(export.model_dump(mode="json"), indent=1, ensure_ascii=False) + "\n").encode("utf-8")
    return _gzip(raw) if compress else raw


def _gzip(raw: bytes) -> bytes:
    compressor = zlib.compressobj(level=9, wbits=31)
    return compressor.compress(raw) + compressor.flush()


def parse_project_export(content: bytes, *, filename: str) -> ProjectExport:
    """Read a project export (JSON, or gzip-compressed JSON); InputError in plain words if it is not one."""
    limit = f"{MAX_EXPORT_BYTES // (1024 * 1024)} MB"
    if len(content) > MAX_EXPORT_BYTES:
        raise InputError(f"{filename} is {len(content) / 1024 / 1024:,.1f} MB; a project export is at most {limit}.")
    if content[:2] == GZIP_MAGIC:
        inflater = zlib.decompressobj(wbits=31)
        try:
            content = inflater.decompress(content, MAX_EXPORT_BYTES + 1)
        except zlib.error as exc:
            raise InputError(f"{filename} is a damaged gzip file ({exc}).") from exc
        if len(content) > MAX_EXPORT_BYTES or inflater.unconsumed_tail:
            raise InputError(f"{filename} unpacks to more than {limit}; a project export is at most {limit}.")
        if not inflater.eof:
            raise InputError(f"{filename} is a damaged or truncated gzip file.")
    if not content.strip():
        raise InputError(f"{filename} is empty.")
    try:
        data = json.loads(content.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise InputError(f"{filename} is not UTF-8 text (byte {exc.start} is not valid).") from exc
    except json.JSONDecodeError as exc:
        raise InputError(f"{filename} is not valid JSON: {exc.msg} at line {exc.lineno}.") from exc
    except RecursionError as exc:
        raise InputError(f"{filename} is nested too deeply to be a project export.") from exc
    if isinstance(data, dict) and "workload" in data:
        raise InputError(
            f"{filename} is a single assessment, not a project export; assess it with `planner assess "
            f"{filename} --save` or open it on the Assess page.")
    if not isinstance(data, dict) or data.get("format") != EXPORT_FORMAT:
        raise InputError(f"{filename} is not a project export of this planner (its \"format\" must be "
                         f"\"{EXPORT_FORMAT}\").", {"format": f"expected \"{EXPORT_FORMAT}\""})
    version = data.get("version")
    if isinstance(version, int) and not isinstance(version, bool) and version > EXPORT_VERSION:
        message = (f"{filename} was written by a newer version of the planner (export format version {version}; "
                   f"this one reads versions 1 to {EXPORT_VERSION}); update the planner to import it.")
        raise InputError(message, {"version": message})
    try:
        return ProjectExport.model_validate(data)
    except ValidationError as exc:
        errors = {".".join(str(p) for p in e["loc"]) or "file": e["msg"] for e in exc.errors()}
        raise InputError(f"{filename} is not a valid project export ({exc.error_count()} problem(s), first: "
                         f"{_first_error(exc)}); nothing was imported.", errors) from exc


def _canonical(data: Any) -> str:
    return json.dumps(data, sort_keys=True, ensure_ascii=False)


# Helpers ---------------------------------------------------------------------------------------------


def write_transaction(engine: Engine, work: Callable[[Session], T], *, failure: str,
                      conflict: type[StoreError] = StoreError) -> T:
    """Run ``work`` in one transaction; retry when SQLite is busy; wrap database errors in StoreError.

    The busy timeout covers most waits, but SQLite answers "database is locked" at once when a read
    transaction cannot become a write transaction; a fresh attempt then succeeds. A unique or foreign-key
    refusal raises ``conflict`` (a StoreError subclass a caller can tell apart). Rows stay readable after
    the commit, so ``work`` may return them. Every repository module writes through here.
    """
    for attempt in range(1, WRITE_ATTEMPTS + 1):
        try:
            with Session(engine, expire_on_commit=False) as session, session.begin():
                return work(session)
        except OperationalError as exc:
            if attempt < WRITE_ATTEMPTS and _is_busy(exc):
                time.sleep(RETRY_BASE_DELAY_S * 2 ** (attempt - 1) * random.uniform(0.5, 1.5))
                continue
            raise StoreError(f"{failure}: {error_reason(exc)}") from exc
        except IntegrityError as exc:
            raise conflict(f"{failure}: {error_reason(exc)}") from exc
        except SQLAlchemyError as exc:
            raise StoreError(f"{failure}: {error_reason(exc)}") from exc
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises


def _is_busy(exc: OperationalError) -> bool:
    detail = str(exc.orig or exc).lower()
    return "database is locked" in detail or "database is busy" in detail or "database table is locked" in detail


def _snapshot_json(rows: list[InstancePrice] | tuple[InstancePrice, ...] | None,
                   gpus: list[GpuSpec] | tuple[GpuSpec, ...] | None = None) -> str | None:
    """The price snapshot column: a plain list of instance rows, or with GPU specs an object of both."""
    if rows is None:
        if gpus is not None:
            raise StoreError("GPU specs are kept only with a price snapshot (the instance rows that use them).")
        return None
    if len(rows) > MAX_SNAPSHOT_ROWS or not all(isinstance(r, InstancePrice) for r in rows):
        raise StoreError(f"The price snapshot must be at most {MAX_SNAPSHOT_ROWS} instance price rows.")
    instances = [r.model_dump(mode="json") for r in rows]
    if gpus is None:
        return json.dumps(instances, ensure_ascii=False)
    if len(gpus) > MAX_SNAPSHOT_ROWS or not all(isinstance(g, GpuSpec) for g in gpus):
        raise StoreError(f"The GPU specs of a price snapshot must be at most {MAX_SNAPSHOT_ROWS} GPU spec rows.")
    names = [g.gpu for g in gpus]
    if len(set(names)) != len(names):
        twice = sorted({n for n in names if names.count(n) > 1})
        raise StoreError(f"The GPU specs of a price snapshot name a GPU type more than once: {', '.join(twice)}.")
    return json.dumps({"instances": instances, "gpus": [g.model_dump(mode="json") for g in gpus]},
                      ensure_ascii=False)


def _snapshot_rows(
    snapshot_json: str | None,
) -> tuple[tuple[InstancePrice, ...] | None, tuple[GpuSpec, ...] | None]:
    """The instance rows and GPU specs of a price snapshot column (GPU specs None in the older list form)."""
    if snapshot_json is None:
        return None, None
    data = json.loads(snapshot_json)
    if isinstance(data, list):  # written before GPU specs were kept with the snapshot
        return tuple(InstancePrice.model_validate(r) for r in data), None
    if not isinstance(data, dict):
        raise ValueError("the price snapshot is neither a list of instance rows nor an object of rows and GPU specs")
    return (tuple(InstancePrice.model_validate(r) for r in data["instances"]),
            tuple(GpuSpec.model_validate(g) for g in data["gpus"]))


def _triggers_json(triggers: list[RevisitTrigger] | tuple[RevisitTrigger, ...]) -> str:
    if not all(isinstance(t, RevisitTrigger) for t in triggers):
        raise StoreError("The revisit triggers must be RevisitTrigger records.")
    return json.dumps([t.model_dump(mode="json") for t in triggers], ensure_ascii=False)


def _existing_project_id(session: Session, name: str) -> int:
    project_id = session.scalar(select(ProjectRow.id).where(ProjectRow.name == name))
    if project_id is None:
        raise StoreError(f"No project named “{name}”.")
    return project_id


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


def _project_id(session: Session, *, name: str, now: datetime, for_saving: bool = False) -> int:
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
    project_id = session.scalar(select(ProjectRow.id).where(ProjectRow.name == name))
    if project_id is None:
        raise StoreError(f"The project '{name}' could not be created.")
    return project_id


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"]) or "assessment"
    return f"{where}: {error['msg']}"


def error_reason(exc: SQLAlchemyError) -> str:
    """A database error's first line in plain words, for StoreError messages of every repository module."""
    detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    if "database is locked" in detail:
        return "the database is busy with another writer; try again in a moment"
    return detail
