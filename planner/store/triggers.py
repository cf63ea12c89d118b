"""Revisit triggers of saved assessments: each assessment's triggers, and acknowledgements of fired ones.

A trigger is stored with the assessment whose roadmap set it (``assessments.triggers_json``);
``project_triggers`` reads them for a whole project without its results. When one fires
(``planner.history.status``), a person may acknowledge it with a note and, optionally, their name; the
acknowledgement keeps the value of the input it fired at, so the Home page shows the trigger as
acknowledged while that value stays and as an alarm again once a newer assessment changes it. The table
is ``trigger_acknowledgements`` (revision 0008); an acknowledgement goes with its assessment.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from planner.decide.results import RevisitTrigger
from planner.errors import InputError, StoreError
from planner.inputs.limits import ACKNOWLEDGEMENT_NOTE_MAX_CHARS, NAME_MAX_CHARS
from planner.inputs.text import MultilineText, SingleLineText
from planner.store.access import Actor, Role, current_actor, require, visible_projects
from planner.store.audit import record
from planner.store.database import read_session, write_transaction
from planner.store.tables import AssessmentRow, ProjectRow, TriggerAcknowledgementRow

MAX_READ_IDS = 1_000  # assessments whose acknowledgements are read at once


class AcknowledgementText(BaseModel):
    """What a person types to acknowledge a trigger: a note (required) and their name (optional)."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    note: MultilineText = Field(min_length=1, max_length=ACKNOWLEDGEMENT_NOTE_MAX_CHARS)
    by: SingleLineText = Field(default="", max_length=NAME_MAX_CHARS)


class TriggerAcknowledgement(BaseModel):
    """A fired trigger acknowledged: the trigger (by the assessment that set it), the value, the note, who and when."""

    model_config = ConfigDict(frozen=True)

    assessment_id: int
    key: str
    op: str
    threshold: float
    value: float
    note: str
    by: str
    at: datetime

    def covers(self, trigger: RevisitTrigger, value: float, set_by: int) -> bool:
        """Whether this acknowledges that trigger of assessment ``set_by`` at that value."""
        return (self.assessment_id, self.key, self.op, self.threshold, self.value) == (
            set_by, trigger.key, trigger.op, trigger.threshold, value)

    @field_validator("at")
    @classmethod
    def _utc(cls, at: datetime) -> datetime:
        return at.astimezone(UTC)


def project_triggers(engine: Engine, *, project: str,
                     actor: Actor | None = None) -> list[tuple[int, tuple[RevisitTrigger, ...]]]:
    """The triggers each assessment of a project set that is not archived, oldest first, with its id.

    Unknown project, or one the actor may not read: an empty list. Triggers that no longer read as triggers are
    left out.
    """
    stmt = (select(AssessmentRow.id, AssessmentRow.triggers_json).join(ProjectRow)
            .where(ProjectRow.name == project, AssessmentRow.archived_at.is_(None),
                   visible_projects(current_actor(actor)))
            .order_by(AssessmentRow.created_at, AssessmentRow.id))
    rows = read_session(engine, lambda s: s.execute(stmt).all(),
                        failure=f"The triggers of “{project}” could not be read")
    return [(row_id, _triggers(triggers_json)) for row_id, triggers_json in rows]


def _triggers(triggers_json: str | None) -> tuple[RevisitTrigger, ...]:
    try:
        stored = json.loads(triggers_json or "[]")
    except ValueError:
        return ()
    out = []
    for item in stored if isinstance(stored, list) else []:
        try:
            out.append(RevisitTrigger.model_validate(item))
        except ValidationError:
            continue
    return tuple(out)


def acknowledge_trigger(engine: Engine, *, assessment_id: int, trigger: RevisitTrigger, value: float, note: str,
                        by: str = "", actor: Actor | None = None) -> TriggerAcknowledgement:
    """Record that a trigger set by a saved assessment fired at ``value`` and was seen; return the record.

    InputError naming ``note`` or ``by`` when the note is empty or too long or either holds control
    characters (``planner.inputs.text``); StoreError when the assessment does not exist or did not set
    that trigger, or the value is not a finite number. Needs the editor role; a signed-in user is recorded under
    their identity, whatever ``by`` says.
    """
    who = current_actor(actor)
    text = _checked_text(note, who.author if who.kind == "user" else by)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise StoreError("The acknowledged value must be a finite number.")

    def write(session: Session) -> TriggerAcknowledgement:
        project_id = _require_trigger(session, assessment_id, trigger)
        require(session, who, project_id, Role.EDITOR, doing="acknowledge triggers")
        record(session, who, "acknowledged trigger", project_id=project_id, subject=f"assessment #{assessment_id}",
               detail=f"{trigger.text} at {value:g}: {text.note}")
        row = TriggerAcknowledgementRow(
            assessment_id=assessment_id, trigger_key=trigger.key, op=trigger.op, threshold=trigger.threshold,
            value=float(value), note=text.note, acknowledged_by=text.by, acknowledged_at=datetime.now(UTC))
        session.add(row)
        session.flush()
        return _record(row)

    return write_transaction(engine, write, failure="The acknowledgement could not be saved")


def acknowledgements(engine: Engine, *, assessment_ids: Iterable[int]) -> list[TriggerAcknowledgement]:
    """The acknowledgements of triggers set by these assessments, newest first."""
    ids = sorted(set(assessment_ids))
    if len(ids) > MAX_READ_IDS:
        raise ValueError(f'at most {MAX_READ_IDS} "assessment_ids" at once')
    if not ids:
        return []
    stmt = (select(TriggerAcknowledgementRow).where(TriggerAcknowledgementRow.assessment_id.in_(ids))
            .order_by(TriggerAcknowledgementRow.acknowledged_at.desc(), TriggerAcknowledgementRow.id.desc()))
    return read_session(engine, lambda s: [_record(r) for r in s.scalars(stmt)],
                        failure="The acknowledged triggers could not be read")


def _checked_text(note: str, by: str) -> AcknowledgementText:
    try:
        return AcknowledgementText(note=note, by=by)
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else "note"
            what = "The note" if field == "note" else "The name"
            errors.setdefault(field, f"{what} {_sentence(error['msg'], field)}")
        raise InputError(" ".join(errors.values()), errors) from exc


def _sentence(message: str, field: str) -> str:
    """A pydantic message as the end of a sentence about the note or the name."""
    if "at least 1 character" in message:
        return "is empty: say in a few words what was done about the trigger."
    if "at most" in message:
        limit = ACKNOWLEDGEMENT_NOTE_MAX_CHARS if field == "note" else NAME_MAX_CHARS
        return f"must be at most {limit} characters long."
    return message.removeprefix("Value error, ") + "."


def _require_trigger(session: Session, assessment_id: int, trigger: RevisitTrigger) -> int:
    """The project of the assessment, when it set that trigger; StoreError otherwise."""
    found = session.execute(select(AssessmentRow.project_id, AssessmentRow.triggers_json)
                            .where(AssessmentRow.id == assessment_id)).first()
    if found is None:
        raise StoreError(f"No saved assessment with id {assessment_id}")
    stored = json.loads(found.triggers_json or "[]")
    wanted = (trigger.key, trigger.op, trigger.threshold)
    if not any((t.get("key"), t.get("op"), t.get("threshold")) == wanted for t in stored if isinstance(t, dict)):
        raise StoreError(f"Saved assessment #{assessment_id} set no trigger “{trigger.text}”.")
    return int(found.project_id)


def _record(row: TriggerAcknowledgementRow) -> TriggerAcknowledgement:
    return TriggerAcknowledgement(assessment_id=row.assessment_id, key=row.trigger_key, op=row.op,
                                  threshold=row.threshold, value=row.value, note=row.note, by=row.acknowledged_by,
                                  at=row.acknowledged_at)
