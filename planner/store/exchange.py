"""Project export files: a project's assessments written to JSON (optionally gzip) and read back in.

``export_project`` gathers every assessment of a project with its inputs, results, price snapshot,
revisit date and triggers; ``dump_project_export`` writes it, ``parse_project_export`` reads a file
back (refusing, in plain words, anything that is not one) and ``import_project`` adds its assessments
to a project. An import is all or nothing, and assessments already present are skipped. An import leaves the
project's improvement items alone (``planner.store.items``): neither exported nor synced with the imported
assessments, which keep their own saved times rather than coming after the project's latest.
"""

from __future__ import annotations

import json
import zlib
from datetime import UTC, date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from planner.decide.results import RevisitTrigger
from planner.errors import InputError, StoreError
from planner.inputs.limits import NAME_MAX_CHARS, SHORT_TEXT_MAX_CHARS
from planner.inputs.models import GpuSpec, InstancePrice
from planner.inputs.text import SingleLineText
from planner.store.access import Actor, Role, current_actor, require
from planner.store.access_tables import AuditEventRow
from planner.store.admission import admit
from planner.store.assessments import assessment_columns, first_error, project_assessments
from planner.store.audit import MAX_LOG_ROWS, AuditEvent, project_log, record
from planner.store.columns import MAX_SNAPSHOT_ROWS
from planner.store.database import write_transaction
from planner.store.projects import ensure_project, find_project, list_projects, project_name
from planner.store.tables import AssessmentRow, ProjectRow

EXPORT_FORMAT = "genai-architecture-planner/project"  # the "format" of a project export file
EXPORT_VERSION = 3  # 2: assessments may carry "gpu_snapshot"; 3: the project's audit log. Older files still import
MAX_EXPORT_ASSESSMENTS = 1_000  # assessments in one project export
MAX_EXPORT_BYTES = 32 * 1024 * 1024  # an export of 1,000 assessments is about 50 MB; gzip shrinks it ~10x
GZIP_MAGIC = b"\x1f\x8b"


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

    label: SingleLineText = Field(default="", max_length=NAME_MAX_CHARS)
    created_at: datetime
    app_version: SingleLineText = Field(min_length=1, max_length=SHORT_TEXT_MAX_CHARS)
    recommended: SingleLineText = Field(min_length=1, max_length=SHORT_TEXT_MAX_CHARS)
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
    app_version: SingleLineText = Field(min_length=1, max_length=SHORT_TEXT_MAX_CHARS)
    project: SingleLineText = Field(min_length=1, max_length=NAME_MAX_CHARS)
    archived: bool = False
    assessments: list[ExportedAssessment] = Field(min_length=1, max_length=MAX_EXPORT_ASSESSMENTS)
    audit: list[AuditEvent] = Field(default_factory=list, max_length=MAX_LOG_ROWS)  # version 3, newest first


def export_project(engine: Engine, *, project: str, app_version: str, actor: Actor | None = None) -> ProjectExport:
    """Every assessment of a project with its inputs, results, price snapshot, revisit date and triggers, and the
    project's audit log; needs the viewer role."""
    stored = project_assessments(engine, project=project, limit=MAX_EXPORT_ASSESSMENTS, actor=actor)
    if not stored:
        raise StoreError(f"The project “{project}” has no saved assessments to export.")
    archived = next(p.archived for p in list_projects(engine, actor=actor) if p.name == project)
    return ProjectExport(
        format=EXPORT_FORMAT, version=EXPORT_VERSION, exported_at=datetime.now(UTC), app_version=app_version,
        project=project, archived=archived, audit=project_log(engine, project=project, actor=actor),
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


def import_project(engine: Engine, export: ProjectExport, *, project: str | None = None,
                   actor: Actor | None = None) -> ImportReport:
    """Add an export's assessments to the project it names (or ``project``), all in one transaction.

    An assessment already present (same project, same saved-at time, same inputs) is skipped, so the
    same file imported twice adds nothing: then, and for an archived project, StoreError and nothing
    changes. An assessment that a save would refuse (``planner.store.admission``: inputs ``assess``
    rejects, results that are not a recommendation) refuses the whole file with InputError. Importing into a project
    needs the editor role; a new project is the importer's. The file's audit log is kept as it was written, below a
    line saying who imported it.
    """
    name, who = project_name(project if project is not None else export.project), current_actor(actor)
    admitted = _admitted(engine, export, name)

    def write(session: Session) -> ImportReport:
        existing_id = find_project(session, name)
        if existing_id is not None and session.scalar(select(ProjectRow.archived).where(ProjectRow.id == existing_id)):
            require(session, who, existing_id, Role.VIEWER, doing="import assessments")
            raise StoreError(f"The project “{name}” is archived; restore it before importing into it.")
        project_id = ensure_project(session, name=name, now=datetime.now(UTC), actor=who,
                                    doing="import assessments")
        known = _known_keys(session, project_id, name)
        new_ids: list[int] = []
        for created_at, columns in admitted:
            key = _key(created_at, json.loads(columns["inputs_json"]))
            if key in known:
                continue
            known.add(key)
            row = AssessmentRow(project_id=project_id, created_at=created_at,
                                **{k: v for k, v in columns.items() if k != "project"})
            session.add(row)
            session.flush()
            new_ids.append(row.id)
        if not new_ids:
            raise StoreError(f"Every assessment in this file is already in “{name}” (the same file imported "
                             "twice?); nothing was imported.")
        if existing_id is None and export.archived:
            session.execute(update(ProjectRow).where(ProjectRow.id == project_id).values(archived=True))
        _keep_log(session, who, project_id, export, len(new_ids))
        return ImportReport(project=name, created_project=existing_id is None, imported_ids=tuple(new_ids),
                            skipped_duplicates=len(admitted) - len(new_ids))

    return write_transaction(engine, write, failure="The file could not be imported, nothing was written")


def _keep_log(session: Session, actor: Actor, project_id: int, export: ProjectExport, imported: int) -> None:
    """The file's log lines (as written by the planner that exported it), then the import itself."""
    for event in reversed(export.audit):
        detail = f"{event.detail} (from the export of “{export.project}”)".strip()
        session.add(AuditEventRow(project_id=project_id, at=event.at, actor=event.actor, action=event.action,
                                  subject=event.subject, detail=detail))
    record(session, actor, "imported", project_id=project_id, subject=f"{imported} assessment(s)",
           detail=f"from an export of “{export.project}” written {export.exported_at:%Y-%m-%d %H:%M} UTC")


def _admitted(engine: Engine, export: ProjectExport, name: str) -> list[tuple[datetime, dict[str, Any]]]:
    """Each exported assessment's saved-at time and row columns under ``name``, admitted as a save admits them.

    InputError at the first assessment ``assess`` would refuse or whose results are not a recommendation
    (``planner.store.admission``); its fields are named as in the file (``assessments.1.inputs.workload...``).
    """
    admitted: list[tuple[datetime, dict[str, Any]]] = []
    for i, item in enumerate(export.assessments):
        try:
            inputs = admit({**item.inputs, "project": name}, engine=engine)
        except InputError as exc:
            raise _refused(i, exc, f"assessments.{i}.inputs") from exc
        try:
            columns = assessment_columns(
                engine=engine, inputs=inputs, results=item.results, recommended=item.recommended,
                app_version=item.app_version, price_snapshot=item.price_snapshot, gpu_snapshot=item.gpu_snapshot,
                revisit_by=item.revisit_by, triggers=item.triggers)
        except InputError as exc:
            raise _refused(i, exc, f"assessments.{i}") from exc
        admitted.append((item.created_at, columns))
    return admitted


def _refused(index: int, exc: InputError, prefix: str) -> InputError:
    errors = {f"{prefix}.{field}": sentence for field, sentence in exc.field_errors.items()}
    return InputError(f"Assessment {index + 1} of the file is not valid: {exc}; nothing was imported.", errors)


def _known_keys(session: Session, project_id: int, name: str) -> set[tuple[str, str]]:
    """What identifies the project's assessments: saved-at time and inputs.

    An assessment is "already there" when the project holds one saved at the same moment with the same
    inputs (inputs name the project as it was then; compare under the current name).
    """
    rows = session.execute(select(AssessmentRow.created_at, AssessmentRow.inputs_json)
                           .where(AssessmentRow.project_id == project_id)).all()
    return {_key(created, {**json.loads(inputs), "project": name}) for created, inputs in rows}


def _key(created_at: datetime, inputs: dict[str, Any]) -> tuple[str, str]:
    return created_at.astimezone(UTC).isoformat(), json.dumps(inputs, sort_keys=True, ensure_ascii=False)


def dump_project_export(export: ProjectExport, *, compress: bool = False) -> bytes:
    """An export as JSON bytes (gzip-compressed when ``compress``), readable by ``parse_project_export``."""
    raw = (json.dumps(export.model_dump(mode="json"), indent=1, ensure_ascii=False) + "\n").encode("utf-8")
    return _gzip(raw) if compress else raw


def _gzip(raw: bytes) -> bytes:
    compressor = zlib.compressobj(level=9, wbits=31)
    return compressor.compress(raw) + compressor.flush()


def _inflated(content: bytes, filename: str) -> bytes:
    """The file's bytes, unpacked when gzip; InputError when larger than MAX_EXPORT_BYTES either way."""
    limit = f"{MAX_EXPORT_BYTES // (1024 * 1024)} MB"
    if len(content) > MAX_EXPORT_BYTES:
        raise InputError(f"{filename} is {len(content) / 1024 / 1024:,.1f} MB; a project export is at most {limit}.")
    if content[:2] != GZIP_MAGIC:
        return content
    inflater = zlib.decompressobj(wbits=31)
    try:
        content = inflater.decompress(content, MAX_EXPORT_BYTES + 1)
    except zlib.error as exc:
        raise InputError(f"{filename} is a damaged gzip file ({exc}).") from exc
    if len(content) > MAX_EXPORT_BYTES or inflater.unconsumed_tail:
        raise InputError(f"{filename} unpacks to more than {limit}; a project export is at most {limit}.")
    if not inflater.eof:
        raise InputError(f"{filename} is a damaged or truncated gzip file.")
    return content


def parse_project_export(content: bytes, *, filename: str) -> ProjectExport:
    """Read a project export (JSON, or gzip-compressed JSON); InputError in plain words if it is not one."""
    content = _inflated(content, filename)
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
                         f"{first_error(exc)}); nothing was imported.", errors) from exc
