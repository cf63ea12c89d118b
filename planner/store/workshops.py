"""The workshop repository: what the workshop pages call (DESIGN.md section 7).

Four tables (``planner.store.tables``): ``workshops`` (project, join code, SHA-256 of the facilitator
token, options, the assessment it produced), ``workshop_participants`` (display name and SHA-256 of the
participant's secret), ``workshop_answers`` (one row per participant and question) and
``workshop_overrides`` (the facilitator's consensus answers with notes). Migration ``0004_workshops``
creates them.

Access is checked here, not only in the pages (``planner.store.workshop_access``): every facilitator
function takes the token and finds the workshop by its hash; every participant function takes the join
code and the participant's secret and only finds a participant of that workshop. A closed workshop
accepts no joins and no answers; the check sits in the same SQL statement as the write, so an answer
cannot slip in after the close. Functions take keyword-only arguments and return the pydantic records of
``planner.store.workshop_views``; ORM rows never leave the package. The records, the access errors and
the provenance reads (``planner.store.workshop_provenance``) are re-exported here.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from functools import partial
from typing import Any

from sqlalchemy import Engine, delete, insert, literal, select, update
from sqlalchemy.orm import Session

from planner.decide import consensus
from planner.errors import InputError, StoreError
from planner.inputs.limits import NAME_MAX_CHARS, PARTICIPANT_NAME_MAX_CHARS
from planner.inputs.models import Assessment
from planner.inputs.text import control_characters
from planner.store.access import LOCAL, Actor, Role, current_actor, require, require_signed_in
from planner.store.assessments import SavedId, delete_assessment, save_assessment
from planner.store.audit import record
from planner.store.database import read_session
from planner.store.projects import project_name
from planner.store.tables import (
    AnswerRow,
    AssessmentRow,
    OverrideRow,
    ParticipantRow,
    ProjectRow,
    UtcDateTime,
    WorkshopRow,
)
from planner.store.workshop_access import (
    AccessDenied,
    Conflict,
    WorkshopClosed,
    by_code,
    by_token,
    participant_of,
    workshop_write,
)
from planner.store.workshop_provenance import (
    workshop_answers,
    workshop_for_assessment,
    workshop_links,
    workshop_record,
    workshop_records,
)
from planner.store.workshop_views import (
    CreatedWorkshop,
    FacilitatorView,
    Joined,
    ParticipantAnswers,
    ParticipantView,
    WorkshopInfo,
    WorkshopLink,
    facilitator_record,
    participants_of,
    workshop_info,
)

CODE_ATTEMPTS = 5  # fresh codes tried when one collides with an existing workshop (odds ~2^-50 each)

__all__ = [
    "AccessDenied", "CreatedWorkshop", "FacilitatorView", "Joined", "ParticipantAnswers", "ParticipantView",
    "WorkshopClosed", "WorkshopInfo", "WorkshopLink", "clear_override", "close_workshop", "create_workshop",
    "facilitator_view", "join_workshop", "open_workshop", "participant_view", "save_consensus_assessment",
    "set_options", "set_override", "submit_answers", "workshop_answers", "workshop_for_assessment",
    "workshop_links", "workshop_record", "workshop_records",
]


# Facilitator --------------------------------------------------------------------------------------


def create_workshop(engine: Engine, *, project: str, workload_enabled: bool = False,
                    actor: Actor | None = None) -> CreatedWorkshop:
    """A new workshop for a project, with a fresh join code and facilitator token.

    Running a workshop of an existing project needs the editor role in it; for a project not yet saved, a signed-in
    user (the consensus save then creates it). The token is then the facilitator's capability.
    """
    try:
        name = project_name(project)
    except StoreError:
        sentence = (f"Enter a project name of 1 to {NAME_MAX_CHARS} characters, without line breaks or other "
                    "control characters.")
        raise InputError(sentence, {"project": sentence}) from None
    token, who = consensus.new_token(), current_actor(actor)
    require_signed_in(who, doing="run a workshop")
    for _ in range(CODE_ATTEMPTS):
        row = WorkshopRow(join_code=consensus.new_join_code(), facilitator_token_hash=consensus.hash_token(token),
                          project=name, created_at=datetime.now(UTC), reveal=False,
                          workload_enabled=bool(workload_enabled), created_by=who.author)
        try:
            info = workshop_write(engine, "The workshop could not be created", partial(_add, row=row, actor=who))
        except Conflict:
            continue
        return CreatedWorkshop(workshop=info, facilitator_token=token)
    raise StoreError("The workshop could not be created: no free join code was found; try again.")


def facilitator_view(engine: Engine, *, token: str) -> FacilitatorView:
    """The facilitator's view of the workshop the token belongs to."""

    def read(session: Session) -> FacilitatorView:
        return facilitator_record(session, workshop_info(by_token(session, token)))

    return read_session(engine, read, failure="The workshop could not be read")


def set_options(
    engine: Engine, *, token: str, reveal: bool | None = None, workload_enabled: bool | None = None
) -> WorkshopInfo:
    """Reveal (or hide) the aggregate to participants, or ask for (or stop asking for) workload estimates."""
    values: dict[str, Any] = {}
    if reveal is not None:
        values["reveal"] = bool(reveal)
    if workload_enabled is not None:
        values["workload_enabled"] = bool(workload_enabled)

    def write(session: Session) -> WorkshopInfo:
        row = by_token(session, token)
        if values:
            session.execute(update(WorkshopRow).where(WorkshopRow.id == row.id).values(**values))
            session.refresh(row)
        return workshop_info(row)

    return workshop_write(engine, "The workshop options could not be saved", write)


def set_override(engine: Engine, *, token: str, key: str, value: float, note: str) -> None:
    """Set the consensus answer of one question in place of the median; the note says why."""

    def write(session: Session) -> None:
        row = by_token(session, token)
        checked = consensus.validate_override(key, value, note, workload_enabled=row.workload_enabled)
        session.execute(delete(OverrideRow).where(OverrideRow.workshop_id == row.id,
                                                  OverrideRow.question_key == checked.key))
        session.add(OverrideRow(workshop_id=row.id, question_key=checked.key, value=checked.value,
                                note=checked.note, updated_at=datetime.now(UTC)))

    workshop_write(engine, "The consensus answer could not be saved", write)


def clear_override(engine: Engine, *, token: str, key: str) -> None:
    """Go back to the median for one question."""

    def write(session: Session) -> None:
        row = by_token(session, token)
        session.execute(delete(OverrideRow).where(OverrideRow.workshop_id == row.id, OverrideRow.question_key == key))

    workshop_write(engine, "The consensus answer could not be reset", write)


def close_workshop(engine: Engine, *, token: str) -> WorkshopInfo:
    """Close the workshop: no more participants or answers. Closing twice keeps the first time."""

    def write(session: Session) -> WorkshopInfo:
        row = by_token(session, token)
        session.execute(update(WorkshopRow).where(WorkshopRow.id == row.id, WorkshopRow.closed_at.is_(None))
                        .values(closed_at=datetime.now(UTC)))
        session.refresh(row)
        return workshop_info(row)

    return workshop_write(engine, "The workshop could not be closed", write)


def save_consensus_assessment(engine: Engine, *, token: str, assessment: Assessment, actor: Actor | None = None,
                              **saved: Any) -> SavedId:
    """Save the assessment made from a closed workshop's consensus and link it to the workshop; its id.

    The assessment must belong to the workshop's project. The workshop keeps every individual answer.
    ``saved`` (results, recommended, app_version, price_snapshot, ...) is what ``store.save_assessment``
    takes, and the save is that one, admission included (the same consensus saved again keeps its one row), and
    it needs the editor role in the project.
    """
    view = facilitator_view(engine, token=token)
    if not view.workshop.closed:
        raise WorkshopClosed("Close the workshop before creating the assessment, so that the answers are final.")
    if assessment.project != view.workshop.project:
        raise InputError(f"The assessment must belong to the workshop's project “{view.workshop.project}”.",
                         {"project": "This is not the workshop's project."})
    who = current_actor(actor)
    assessment_id = save_assessment(engine, assessment=assessment, actor=who, **saved)

    def link(session: Session) -> None:
        session.execute(update(WorkshopRow).where(WorkshopRow.id == view.workshop.id)
                        .values(assessment_id=assessment_id))
        project_id = session.scalar(select(AssessmentRow.project_id).where(AssessmentRow.id == assessment_id))
        record(session, who, "recorded consensus", project_id=project_id, subject=f"assessment #{assessment_id}",
               detail=f"workshop {consensus.format_join_code(view.workshop.join_code)}, "
                      f"{len(view.participants)} participant(s)")

    try:
        workshop_write(engine, "The assessment was saved but could not be linked to the workshop", link)
    except StoreError:
        if assessment_id.created:  # one saved before stays, as it was; undoing our own save needs no owner
            delete_assessment(engine, assessment_id=assessment_id, actor=LOCAL)
        raise
    return assessment_id


# Participants -------------------------------------------------------------------------------------


def open_workshop(engine: Engine, *, code: str) -> WorkshopInfo:
    """The workshop a join code opens (project, state, options); InputError for a malformed code."""
    normalized = consensus.normalize_join_code(code)

    def read(session: Session) -> WorkshopInfo:
        return workshop_info(by_code(session, normalized))

    return read_session(engine, read, failure="The workshop could not be read")


def join_workshop(engine: Engine, *, code: str, display_name: str) -> Joined:
    """Join an open workshop under a display name unique within it; returns the participant's secret."""
    normalized = consensus.normalize_join_code(code)
    name = _display_name(display_name)
    secret = consensus.new_token()
    now = datetime.now(UTC)

    def write(session: Session) -> Joined:
        # The closed check and the insert are one statement: a join cannot land after the close.
        chosen = select(WorkshopRow.id, literal(name), literal(consensus.hash_token(secret)),
                        literal(now, UtcDateTime())).where(WorkshopRow.join_code == normalized,
                                                           WorkshopRow.closed_at.is_(None))
        columns = ["workshop_id", "display_name", "secret_hash", "joined_at"]
        participant_id = session.scalar(
            insert(ParticipantRow).from_select(columns, chosen).returning(ParticipantRow.id)
        )
        if participant_id is None:
            row = by_code(session, normalized)  # AccessDenied when there is no such workshop
            code = workshop_info(row).display_code
            raise WorkshopClosed(f"Workshop {code} is closed; it accepts no more participants.")
        return Joined(participant_id=participant_id, display_name=name, secret=secret)

    try:
        return workshop_write(engine, "You could not join the workshop", write)
    except Conflict:
        sentence = f"Someone in this workshop already goes by “{name}”; add an initial or pick another name."
        raise InputError(sentence, {"display_name": sentence}) from None


def participant_view(engine: Engine, *, code: str, secret: str) -> ParticipantView:
    """A participant's own answers and, once the facilitator reveals it, the aggregate of everyone's."""
    normalized = consensus.normalize_join_code(code)
    return read_session(engine, lambda s: _participant_view(s, normalized, secret),
                        failure="The workshop could not be read")


def submit_answers(engine: Engine, *, code: str, secret: str, answers: Mapping[str, Any]) -> ParticipantView:
    """Record (or revise) a participant's answers to the questions given; other answers stay."""
    normalized = consensus.normalize_join_code(code)
    now = datetime.now(UTC)

    def write(session: Session) -> ParticipantView:
        workshop, participant = participant_of(session, normalized, secret)
        checked = consensus.validate_answers(answers, workload_enabled=workshop.workload_enabled)
        # Writing first, guarded by "still open", makes the close check and the write one statement.
        still_open = select(WorkshopRow.id).where(WorkshopRow.id == workshop.id, WorkshopRow.closed_at.is_(None))
        mine = (ParticipantRow.id == participant.id, ParticipantRow.workshop_id.in_(still_open))
        touched = session.scalar(
            update(ParticipantRow).where(*mine).values(answered_at=now).returning(ParticipantRow.id)
        )
        if touched is None:
            raise WorkshopClosed("The workshop is closed; your answers can no longer change.")
        if checked:
            session.execute(delete(AnswerRow).where(AnswerRow.participant_id == participant.id,
                                                    AnswerRow.question_key.in_(list(checked))))
            session.add_all(AnswerRow(participant_id=participant.id, question_key=k, value=v, updated_at=now)
                            for k, v in checked.items())
        session.flush()
        return _participant_view(session, normalized, secret)

    return workshop_write(engine, "Your answers could not be saved", write)


def _add(session: Session, *, row: WorkshopRow, actor: Actor) -> WorkshopInfo:
    """Add a workshop; in an existing project the actor needs the editor role, and the log says so."""
    project_id = session.scalar(select(ProjectRow.id).where(ProjectRow.name == row.project))
    if project_id is not None:
        require(session, actor, project_id, Role.EDITOR, doing="run workshops")
    session.add(row)
    session.flush()
    if project_id is not None:
        record(session, actor, "created workshop", project_id=project_id,
               subject=f"workshop {consensus.format_join_code(row.join_code)}")
    return workshop_info(row)


def _participant_view(session: Session, normalized: str, secret: str) -> ParticipantView:
    workshop, participant = participant_of(session, normalized, secret)
    everyone = participants_of(session, [workshop.id])[workshop.id]
    me = next(p for p in everyone if p.id == participant.id)
    aggregate = None
    if workshop.reveal:
        aggregate = consensus.aggregate_answers((p.answers for p in everyone if p.answers),
                                                workload_enabled=workshop.workload_enabled)
    return ParticipantView(workshop=workshop_info(workshop), me=me, participant_count=len(everyone),
                           aggregate=aggregate)


def _display_name(display_name: str) -> str:
    name = " ".join(display_name.split()) if isinstance(display_name, str) else ""
    sentence = None
    if not name:
        sentence = "Enter the name the others know you by."
    elif len(name) > PARTICIPANT_NAME_MAX_CHARS:
        sentence = f"Keep your name within {PARTICIPANT_NAME_MAX_CHARS} characters; it has {len(name)}."
    elif control_characters(name) or any(not c.isprintable() for c in name):
        sentence = "Your name contains characters that cannot be shown; use letters, digits and punctuation."
    if sentence:
        raise InputError(sentence, {"display_name": sentence})
    return name
