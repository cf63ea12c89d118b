"""Saved assessments: save, list, load and delete them; what the repository returns for them.

An assessment row keeps the validated inputs (``Assessment`` as JSON), the full results the caller
passes (evaluation, recommendation: any JSON-serialisable dict), the recommended architecture for
listings, the app version that produced it, and (from revision 0002_history) the instance price rows
its evaluation used, its revisit-by date and the roadmap's revisit triggers. Rows saved before 0002
have none of the three and still load.

The price snapshot column holds either a JSON list of instance price rows (as written before GPU specs
were kept) or an object ``{"instances": [...], "gpus": [...]}`` with the GPU spec rows the evaluation
used for the GPU types of those instances, so an assessment priced with a saved price list that brings
its own GPU types can be re-evaluated after the list changes or is deleted. Both forms load.

Saving is idempotent (revision 0008): a row keeps the SHA-256 of its content (``content_hash``: the inputs
but the project's name, the results and the price snapshot), and a save whose content matches an assessment
of the same project that is not archived returns that one's id instead of adding a row. An archived
assessment (``archived_at`` set, ``planner.store.archive``) is left out of every list here; it still loads
by id.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from planner.decide.results import RevisitTrigger
from planner.errors import StoreError
from planner.inputs.models import Assessment, GpuSpec, InstancePrice
from planner.store.access import Actor, Role, current_actor, require, visible_projects
from planner.store.admission import admit, admit_results
from planner.store.audit import record
from planner.store.columns import (
    decode_snapshot,
    encode_results,
    encode_snapshot,
    encode_triggers,
    short_text,
)
from planner.store.database import read_session, write_transaction
from planner.store.projects import ensure_project, existing_project_id
from planner.store.tables import AssessmentRow, ProjectRow

MAX_LIST_LIMIT = 1_000  # rows per listing


class AssessmentSummary(BaseModel):
    """One line of the list of saved assessments."""

    model_config = ConfigDict(frozen=True)

    id: int
    project: str
    label: str
    recommended: str
    created_at: datetime
    app_version: str
    archived_at: datetime | None = None
    created_by: str = ""  # who saved it ("": before authors were kept, revision 0011)


class SavedId(int):
    """A saved assessment's id, and whether this save added it (False: the same assessment was saved before)."""

    created: bool

    def __new__(cls, value: int, *, created: bool) -> SavedId:
        saved = super().__new__(cls, value)
        saved.created = created
        return saved

    def __getnewargs_ex__(self) -> tuple[tuple[int], dict[str, bool]]:  # copies and pickles keep ``created``
        return (int(self),), {"created": self.created}


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
    on_created: Callable[[Session, int], None] | None = None,
    actor: Actor | None = None,
) -> SavedId:
    """Save an assessment and its results under its project (created if new); return its id.

    Saving the same again (same inputs, project, label, results and price snapshot) adds nothing: the id is that
    of the project's assessment already saved (``SavedId.created`` is False), unless that one is archived.

    The assessment and its results are admitted first (``planner.store.admission``): InputError naming
    the field at fault when ``assess`` would refuse the assessment or the results are not a
    recommendation (and estimates) whose first choice is ``recommended``.

    ``price_snapshot`` is the list of instance price rows the evaluation used and ``gpu_snapshot`` the
    GPU specs it used for their GPU types (see ``history.snapshot_gpus``; only with a price snapshot),
    ``revisit_by`` the date by which to re-assess and ``triggers`` the conditions that call for an
    earlier re-assessment. An archived project takes no new assessments (StoreError).

    ``on_created(session, assessment_id)`` runs in the save's transaction once a new row is added (not on a repeated
    save): ``history.save_evaluated`` syncs the project's improvement items with it (``planner.store.items``).
    Saving needs the editor role in the project (``planner.store.access``); a new project is the saver's.
    """
    if not isinstance(assessment, Assessment):
        raise StoreError(f"Only an Assessment can be saved, not {type(assessment).__name__}.")
    columns = assessment_columns(
        engine=engine, inputs=assessment, results=results, recommended=recommended, app_version=app_version,
        price_snapshot=price_snapshot, gpu_snapshot=gpu_snapshot, revisit_by=revisit_by, triggers=triggers)
    project, who = columns.pop("project"), current_actor(actor)

    def write(session: Session) -> SavedId:
        now = datetime.now(UTC)
        project_id = ensure_project(session, name=project, now=now, actor=who, for_saving=True)
        existing = session.scalar(
            select(AssessmentRow.id).where(AssessmentRow.project_id == project_id,
                                           AssessmentRow.content_hash == columns["content_hash"],
                                           AssessmentRow.archived_at.is_(None))
            .order_by(AssessmentRow.id).limit(1))
        if existing is not None:
            return SavedId(existing, created=False)
        row = AssessmentRow(project_id=project_id, created_at=now, created_by=who.author, **columns)
        session.add(row)
        session.flush()
        if on_created is not None:
            on_created(session, row.id)
        record(session, who, "saved assessment", project_id=project_id, subject=f"assessment #{row.id}",
               detail=_described(columns), at=now)
        return SavedId(row.id, created=True)

    return write_transaction(engine, write, failure="The assessment could not be saved, nothing was written")


def assessment_columns(
    *, inputs: Assessment | dict[str, Any], results: dict[str, Any], recommended: str, app_version: str,
    price_snapshot: Sequence[InstancePrice] | None, gpu_snapshot: Sequence[GpuSpec] | None,
    revisit_by: date | None, triggers: Sequence[RevisitTrigger], engine: Engine | None = None,
) -> dict[str, Any]:
    """The columns of an assessment row but its time, admitted and checked; ``project`` is the project's name.

    Every write of an assessment row builds its columns here, so every one is admitted: InputError when
    ``assess`` would refuse the inputs (their saved API price list is read from ``engine``; without one, naming
    a saved API price list is refused) or the results are not a recommendation of ``recommended``
    (``planner.store.admission``), StoreError when a column cannot be kept.
    """
    inputs = admit(inputs, engine=engine)
    architecture = short_text("recommended architecture", recommended)
    inputs_json = json.dumps(inputs.model_dump(mode="json"), ensure_ascii=False)
    results_json, snapshot_json = encode_results(results), encode_snapshot(price_snapshot, gpu_snapshot)
    columns = {
        "project": inputs.project,
        "label": inputs.label,
        "inputs_json": inputs_json,
        "recommended": architecture,
        "results_json": results_json,
        "app_version": short_text("app version", app_version),
        "price_snapshot_json": snapshot_json,
        "triggers_json": encode_triggers(triggers),
        "content_hash": content_hash(inputs_json, results_json, snapshot_json),
    }
    admit_results(results, recommended=architecture)
    if revisit_by is not None and (not isinstance(revisit_by, date) or isinstance(revisit_by, datetime)):
        raise StoreError("The revisit-by date must be a date (YYYY-MM-DD).")
    return {**columns, "revisit_by": revisit_by}


def content_hash(inputs_json: str, results_json: str, snapshot_json: str | None) -> str:
    """SHA-256 (hex) of what makes two saves of a project the same assessment, from the row's JSON columns.

    The inputs count without the project's name (the row belongs to its project by id, and a project may be
    renamed), the label included; the results and the price snapshot count in full. The JSON is read and
    written again with sorted keys, so the order of keys does not matter. Migration 0008 hashes the rows
    saved before it the same way.
    """
    inputs = json.loads(inputs_json)
    if isinstance(inputs, dict):
        inputs.pop("project", None)
    document = {"inputs": inputs, "results": json.loads(results_json),
                "prices": None if snapshot_json is None else json.loads(snapshot_json)}
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def list_assessments(engine: Engine, *, project: str | None = None, limit: int = 200,
                     archived: bool = False, actor: Actor | None = None) -> list[AssessmentSummary]:
    """Saved assessments that are not archived, newest first, of the projects the actor may read, optionally of
    one project only. With ``archived``: the archived ones instead, most recently archived first.
    """
    stmt = _newest_first(limit, archived=archived).where(visible_projects(current_actor(actor)))
    if project is not None:
        stmt = stmt.where(ProjectRow.name == project)
    rows = read_session(engine, lambda s: s.execute(stmt).all(), failure="The saved assessments could not be read")
    return [AssessmentSummary.model_validate(r._asdict()) for r in rows]


_FULL_COLUMNS = (
    AssessmentRow.inputs_json,
    AssessmentRow.results_json,
    AssessmentRow.price_snapshot_json,
    AssessmentRow.revisit_by,
    AssessmentRow.triggers_json,
)


def load_assessment(engine: Engine, *, assessment_id: int, actor: Actor | None = None) -> StoredAssessment:
    """One saved assessment with its inputs re-validated and its results as stored; needs the viewer role."""
    who = current_actor(actor)
    stmt = (_joined(select(*_summary_columns())).add_columns(AssessmentRow.project_id, *_FULL_COLUMNS)
            .where(AssessmentRow.id == assessment_id))

    def read(session: Session) -> Any:
        found = session.execute(stmt).first()
        if found is None:
            raise StoreError(f"No saved assessment with id {assessment_id}")
        require(session, who, found.project_id, Role.VIEWER, doing="read its assessments")
        return found

    found = read_session(engine, read, failure=f"Saved assessment {assessment_id} could not be read")
    return _stored({k: v for k, v in found._asdict().items() if k != "project_id"})


def project_assessments(engine: Engine, *, project: str, limit: int = 200,
                        actor: Actor | None = None) -> list[StoredAssessment]:
    """A project's saved assessments that are not archived, in full, oldest first (the newest ``limit`` of them);
    needs the viewer role."""
    stmt, who = _newest_first(limit, full=True).where(ProjectRow.name == project), current_actor(actor)

    def read(session: Session) -> Sequence[Any]:
        require(session, who, existing_project_id(session, project), Role.VIEWER, doing="read its assessments")
        return session.execute(stmt).all()

    rows = read_session(engine, read, failure=f"The assessments of “{project}” could not be read")
    return [_stored(r._asdict()) for r in reversed(rows)]


def latest_assessment(engine: Engine, *, project: str, actor: Actor | None = None) -> StoredAssessment | None:
    """The project's newest saved assessment not archived, or None when it has none; unknown project -> StoreError."""
    found = project_assessments(engine, project=project, limit=1, actor=actor)
    return found[0] if found else None


def delete_assessment(engine: Engine, *, assessment_id: int, actor: Actor | None = None) -> None:
    """Delete one saved assessment for good (owners); its project stays. Unknown id -> StoreError.

    The pages archive instead (``planner.store.archive``), which can be undone.
    """
    who = current_actor(actor)

    def write(session: Session) -> None:
        project_id = session.scalar(select(AssessmentRow.project_id).where(AssessmentRow.id == assessment_id))
        if project_id is None:
            raise StoreError(f"No saved assessment with id {assessment_id}")
        require(session, who, project_id, Role.OWNER, doing="delete assessments")
        session.execute(delete(AssessmentRow).where(AssessmentRow.id == assessment_id))
        record(session, who, "deleted assessment", project_id=project_id, subject=f"assessment #{assessment_id}")

    write_transaction(engine, write, failure=f"Saved assessment {assessment_id} could not be deleted")


def _described(columns: dict[str, Any]) -> str:
    label = f"“{columns['label']}”, " if columns["label"] else ""
    return f"{label}recommends {columns['recommended']}"


def first_error(exc: ValidationError) -> str:
    """Where and what the first problem of a validation error is, for one-line messages."""
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"]) or "assessment"
    return f"{where}: {error['msg']}"


# Rows to records and back ------------------------------------------------------------------------


def _stored(fields: dict[str, Any]) -> StoredAssessment:
    assessment_id = fields["id"]
    inputs_json, results_json = fields.pop("inputs_json"), fields.pop("results_json")
    snapshot_json, triggers_json = fields.pop("price_snapshot_json"), fields.pop("triggers_json")
    try:
        assessment = Assessment.model_validate_json(inputs_json)
    except ValidationError as exc:
        raise StoreError(
            f"Saved assessment {assessment_id} no longer matches the current input format "
            f"({exc.error_count()} problem(s), first: {first_error(exc)})"
        ) from exc
    if assessment.project != fields["project"]:  # the project was renamed after this save
        assessment = assessment.model_copy(update={"project": fields["project"]})
    try:
        results = json.loads(results_json)
        snapshot, gpus = decode_snapshot(snapshot_json)
        triggers = tuple(RevisitTrigger.model_validate(t) for t in json.loads(triggers_json or "[]"))
    except (ValueError, TypeError, KeyError) as exc:
        raise StoreError(f"The stored results of saved assessment {assessment_id} are damaged: {exc}") from exc
    return StoredAssessment(
        **fields, assessment=assessment, results=results, price_snapshot=snapshot, gpu_snapshot=gpus,
        triggers=triggers,
    )


def _newest_first(limit: int, *, full: bool = False, archived: bool = False) -> Any:
    """Assessment summaries (with ``full``, every stored column too), newest first, at most ``limit``.

    Only those not archived, or with ``archived`` only the archived ones, most recently archived first.
    """
    if not 1 <= limit <= MAX_LIST_LIMIT:
        raise ValueError(f'"limit" must be between 1 and {MAX_LIST_LIMIT}.')
    stmt = _joined(select(*_summary_columns()))
    if full:
        stmt = stmt.add_columns(*_FULL_COLUMNS)
    if archived:
        return stmt.where(AssessmentRow.archived_at.is_not(None)).order_by(
            AssessmentRow.archived_at.desc(), AssessmentRow.id.desc()).limit(limit)
    stmt = stmt.where(AssessmentRow.archived_at.is_(None))
    return stmt.order_by(AssessmentRow.created_at.desc(), AssessmentRow.id.desc()).limit(limit)


def _summary_columns() -> tuple[Any, ...]:
    # Labels match the AssessmentSummary fields, so a row converts with model_validate(row._asdict()).
    return (
        AssessmentRow.id.label("id"),
        ProjectRow.name.label("project"),
        AssessmentRow.label.label("label"),
        AssessmentRow.recommended.label("recommended"),
        AssessmentRow.created_at.label("created_at"),
        AssessmentRow.app_version.label("app_version"),
        AssessmentRow.archived_at.label("archived_at"),
        AssessmentRow.created_by.label("created_by"),
    )


def _joined(stmt: Any) -> Any:
    return stmt.join(ProjectRow, AssessmentRow.project_id == ProjectRow.id)
