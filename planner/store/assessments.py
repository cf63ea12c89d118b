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
from planner.inputs.limits import SHORT_TEXT_MAX_CHARS
from planner.inputs.models import Assessment, GpuSpec, InstancePrice
from planner.inputs.text import control_characters
from planner.store.admission import admit, admit_results
from planner.store.database import read_session, write_transaction
from planner.store.projects import ensure_project, find_project
from planner.store.tables import AssessmentRow, ProjectRow

MAX_LIST_LIMIT = 1_000  # rows per listing
MAX_SNAPSHOT_ROWS = 5_000  # instance price rows (and GPU spec rows) kept with one assessment


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
    """
    if not isinstance(assessment, Assessment):
        raise StoreError(f"Only an Assessment can be saved, not {type(assessment).__name__}.")
    columns = assessment_columns(
        engine=engine, inputs=assessment, results=results, recommended=recommended, app_version=app_version,
        price_snapshot=price_snapshot, gpu_snapshot=gpu_snapshot, revisit_by=revisit_by, triggers=triggers)
    project = columns.pop("project")

    def write(session: Session) -> SavedId:
        now = datetime.now(UTC)
        project_id = ensure_project(session, name=project, now=now, for_saving=True)
        existing = session.scalar(
            select(AssessmentRow.id).where(AssessmentRow.project_id == project_id,
                                           AssessmentRow.content_hash == columns["content_hash"],
                                           AssessmentRow.archived_at.is_(None))
            .order_by(AssessmentRow.id).limit(1))
        if existing is not None:
            return SavedId(existing, created=False)
        row = AssessmentRow(project_id=project_id, created_at=now, **columns)
        session.add(row)
        session.flush()
        if on_created is not None:
            on_created(session, row.id)
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
    architecture = _short_text("recommended architecture", recommended)
    inputs_json = json.dumps(inputs.model_dump(mode="json"), ensure_ascii=False)
    results_json, snapshot_json = _results_json(results), _snapshot_json(price_snapshot, gpu_snapshot)
    columns = {
        "project": inputs.project,
        "label": inputs.label,
        "inputs_json": inputs_json,
        "recommended": architecture,
        "results_json": results_json,
        "app_version": _short_text("app version", app_version),
        "price_snapshot_json": snapshot_json,
        "triggers_json": _triggers_json(triggers),
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
                     archived: bool = False) -> list[AssessmentSummary]:
    """Saved assessments that are not archived, newest first, optionally of one project only.

    With ``archived``: the archived ones instead, most recently archived first.
    """
    stmt = _newest_first(limit, archived=archived)
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


def load_assessment(engine: Engine, *, assessment_id: int) -> StoredAssessment:
    """One saved assessment with its inputs re-validated and its results as stored."""
    stmt = _joined(select(*_summary_columns())).add_columns(*_FULL_COLUMNS).where(AssessmentRow.id == assessment_id)
    found = read_session(engine, lambda s: s.execute(stmt).first(),
                         failure=f"Saved assessment {assessment_id} could not be read")
    if found is None:
        raise StoreError(f"No saved assessment with id {assessment_id}")
    return _stored(found._asdict())


def project_assessments(engine: Engine, *, project: str, limit: int = 200) -> list[StoredAssessment]:
    """A project's saved assessments that are not archived, in full, oldest first (the newest ``limit`` of them)."""
    stmt = _newest_first(limit, full=True).where(ProjectRow.name == project)

    def read(session: Session) -> Sequence[Any]:
        if find_project(session, project) is None:
            raise StoreError(f"No project named “{project}”.")
        return session.execute(stmt).all()

    rows = read_session(engine, read, failure=f"The assessments of “{project}” could not be read")
    return [_stored(r._asdict()) for r in reversed(rows)]


def latest_assessment(engine: Engine, *, project: str) -> StoredAssessment | None:
    """The project's newest saved assessment not archived, or None when it has none; unknown project -> StoreError."""
    found = project_assessments(engine, project=project, limit=1)
    return found[0] if found else None


def delete_assessment(engine: Engine, *, assessment_id: int) -> None:
    """Delete one saved assessment for good; its project stays. Unknown id -> StoreError.

    The pages archive instead (``planner.store.archive``), which can be undone.
    """

    def write(session: Session) -> None:
        deleted = session.execute(
            delete(AssessmentRow).where(AssessmentRow.id == assessment_id).returning(AssessmentRow.id)
        ).first()
        if deleted is None:
            raise StoreError(f"No saved assessment with id {assessment_id}")

    write_transaction(engine, write, failure=f"Saved assessment {assessment_id} could not be deleted")


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
        snapshot, gpus = _snapshot_rows(snapshot_json)
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
    )


def _joined(stmt: Any) -> Any:
    return stmt.join(ProjectRow, AssessmentRow.project_id == ProjectRow.id)


def _snapshot_json(rows: Sequence[InstancePrice] | None, gpus: Sequence[GpuSpec] | None = None) -> str | None:
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


def _triggers_json(triggers: Sequence[RevisitTrigger]) -> str:
    if not all(isinstance(t, RevisitTrigger) for t in triggers):
        raise StoreError("The revisit triggers must be RevisitTrigger records.")
    return json.dumps([t.model_dump(mode="json") for t in triggers], ensure_ascii=False)


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
    if not isinstance(value, str) or not 1 <= len(value.strip()) <= SHORT_TEXT_MAX_CHARS or control_characters(value):
        raise StoreError(f"The {what} must be text of 1 to {SHORT_TEXT_MAX_CHARS} characters, without control "
                         "characters.")
    return value.strip()
