"""Workshop rows and the repository functions the workshop pages call (DESIGN.md section 7).

Four tables: ``workshops`` (project, join code, SHA-256 of the facilitator token, options, the assessment
it produced), ``workshop_participants`` (display name and SHA-256 of the participant's secret),
``workshop_answers`` (one row per participant and question) and ``workshop_overrides`` (the
facilitator's consensus answers with notes). Migration ``0004_workshops`` creates them.

Access is checked here, not only in the pages: every facilitator function takes the token and finds the
workshop by its hash; every participant function takes the join code and the participant's secret and
only finds a participant of that workshop. A closed workshop accepts no joins and no answers; the check
sits in the same SQL statement as the write, so an answer cannot slip in after the close. Functions
take keyword-only arguments and return pydantic models; ORM rows never leave this module.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from functools import partial
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict
from sqlalchemy import (
    Engine,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    delete,
    distinct,
    false,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, Session, mapped_column

from planner import store
from planner.decide import consensus as workshops
from planner.decide.consensus import NAME_MAX_CHARS, Override, QuestionAggregate
from planner.errors import InputError, PlannerError, StoreError
from planner.estimate.results import RevisitTrigger
from planner.inputs.models import Assessment, GpuSpec, InstancePrice
from planner.store import Base, UtcDateTime

HASH_CHARS = 64  # SHA-256 hex digest
KEY_MAX_CHARS = 40  # question keys
LINK_BATCH = 500  # assessment or workshop ids per IN (...) list, well within every backend's limit
CODE_ATTEMPTS = 5  # fresh codes tried when one collides with an existing workshop (odds ~2^-50 each)

T = TypeVar("T")


class AccessDenied(PlannerError):
    """The token, secret or join code does not grant this action on this workshop."""


class WorkshopClosed(PlannerError):
    """The workshop is closed: it accepts no more participants or answers."""


# Rows ---------------------------------------------------------------------------------------------


class WorkshopRow(Base):
    """One workshop of one project."""

    __tablename__ = "workshops"

    id: Mapped[int] = mapped_column(primary_key=True)
    join_code: Mapped[str] = mapped_column(String(workshops.CODE_CHARS), unique=True)
    facilitator_token_hash: Mapped[str] = mapped_column(String(HASH_CHARS), unique=True)
    project: Mapped[str] = mapped_column(String(store.NAME_MAX_CHARS))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    reveal: Mapped[bool] = mapped_column(default=False, server_default=false())
    workload_enabled: Mapped[bool] = mapped_column(default=False, server_default=false())
    assessment_id: Mapped[int | None] = mapped_column(
        ForeignKey("assessments.id", ondelete="SET NULL"), nullable=True
    )


class ParticipantRow(Base):
    """Someone who joined a workshop under a display name."""

    __tablename__ = "workshop_participants"
    __table_args__ = (UniqueConstraint("workshop_id", "display_name", name="uq_workshop_participants_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"))
    display_name: Mapped[str] = mapped_column(String(NAME_MAX_CHARS))
    secret_hash: Mapped[str] = mapped_column(String(HASH_CHARS), unique=True)
    joined_at: Mapped[datetime] = mapped_column(UtcDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class AnswerRow(Base):
    """One participant's current answer to one question."""

    __tablename__ = "workshop_answers"
    __table_args__ = (UniqueConstraint("participant_id", "question_key", name="uq_workshop_answers_question"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("workshop_participants.id", ondelete="CASCADE"))
    question_key: Mapped[str] = mapped_column(String(KEY_MAX_CHARS))
    value: Mapped[float] = mapped_column(Float())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class OverrideRow(Base):
    """The facilitator's consensus answer to one question, in place of the median, with a note."""

    __tablename__ = "workshop_overrides"
    __table_args__ = (
        UniqueConstraint("workshop_id", "question_key", name="uq_workshop_overrides_question"),
        Index("ix_workshop_overrides_workshop_id", "workshop_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"))
    question_key: Mapped[str] = mapped_column(String(KEY_MAX_CHARS))
    value: Mapped[float] = mapped_column(Float())
    note: Mapped[str] = mapped_column(Text())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


# What the repository returns ----------------------------------------------------------------------


class WorkshopInfo(BaseModel):
    """A workshop as anyone with access sees it (no token, no hashes)."""

    model_config = ConfigDict(frozen=True)

    id: int
    join_code: str
    project: str
    created_at: datetime
    closed_at: datetime | None
    reveal: bool
    workload_enabled: bool
    assessment_id: int | None

    @property
    def closed(self) -> bool:
        """Whether the workshop no longer accepts answers."""
        return self.closed_at is not None

    @property
    def display_code(self) -> str:
        """The join code as people type it: XXXXX-XXXXX."""
        return workshops.format_join_code(self.join_code)


class CreatedWorkshop(BaseModel):
    """A new workshop and its facilitator token; the token is shown once and only its hash is stored."""

    model_config = ConfigDict(frozen=True)

    workshop: WorkshopInfo
    facilitator_token: str


class Joined(BaseModel):
    """A participant who just joined, with the secret that lets them revise their own answers."""

    model_config = ConfigDict(frozen=True)

    participant_id: int
    display_name: str
    secret: str


class ParticipantAnswers(BaseModel):
    """One participant and their current answers by question key."""

    model_config = ConfigDict(frozen=True)

    id: int
    display_name: str
    joined_at: datetime
    answered_at: datetime | None
    answers: dict[str, float]


class ParticipantView(BaseModel):
    """What a participant may see: the workshop, their own answers and, once revealed, the aggregate."""

    model_config = ConfigDict(frozen=True)

    workshop: WorkshopInfo
    me: ParticipantAnswers
    participant_count: int
    aggregate: list[QuestionAggregate] | None  # None until the facilitator reveals it


class FacilitatorView(BaseModel):
    """Everything the facilitator sees: every participant's answers and the overrides."""

    model_config = ConfigDict(frozen=True)

    workshop: WorkshopInfo
    participants: list[ParticipantAnswers]
    overrides: list[Override]

    def aggregates(self) -> list[QuestionAggregate]:
        """Per-question aggregates of the answers (estimates only when the workshop asks for them)."""
        return workshops.aggregate_answers((p.answers for p in self.participants if p.answers),
                                           workload_enabled=self.workshop.workload_enabled)

    def consensus(self) -> list[workshops.ConsensusItem]:
        """The consensus per question: override or median."""
        keys = {a.key for a in self.aggregates()}
        return workshops.consensus(self.aggregates(), [o for o in self.overrides if o.key in keys])


# Facilitator --------------------------------------------------------------------------------------


def create_workshop(engine: Engine, *, project: str, workload_enabled: bool = False) -> CreatedWorkshop:
    """A new workshop for a project, with a fresh join code and facilitator token."""
    name = (project or "").strip() if isinstance(project, str) else ""
    if not 1 <= len(name) <= store.NAME_MAX_CHARS:
        sentence = f"Enter a project name of 1 to {store.NAME_MAX_CHARS} characters."
        raise InputError(sentence, {"project": sentence})
    token = workshops.new_token()
    for _ in range(CODE_ATTEMPTS):
        row = WorkshopRow(join_code=workshops.new_join_code(), facilitator_token_hash=workshops.hash_token(token),
                          project=name, created_at=_now(), reveal=False, workload_enabled=bool(workload_enabled))
        try:
            info = _write(engine, "The workshop could not be created", partial(_add, row=row))
        except _Conflict:
            continue
        return CreatedWorkshop(workshop=info, facilitator_token=token)
    raise StoreError("The workshop could not be created: no free join code was found; try again.")


def facilitator_view(engine: Engine, *, token: str) -> FacilitatorView:
    """The facilitator's view of the workshop the token belongs to."""

    def read(session: Session) -> FacilitatorView:
        row = _by_token(session, token)
        overrides = session.scalars(
            select(OverrideRow).where(OverrideRow.workshop_id == row.id).order_by(OverrideRow.question_key)
        ).all()
        return FacilitatorView(workshop=_info(row), participants=_participants(session, row.id),
                               overrides=[Override(key=o.question_key, value=o.value, note=o.note) for o in overrides])

    return _read(engine, "The workshop could not be read", read)


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
        row = _by_token(session, token)
        if values:
            session.execute(update(WorkshopRow).where(WorkshopRow.id == row.id).values(**values))
            session.refresh(row)
        return _info(row)

    return _write(engine, "The workshop options could not be saved", write)


def set_override(engine: Engine, *, token: str, key: str, value: float, note: str) -> None:
    """Set the consensus answer of one question in place of the median; the note says why."""

    def write(session: Session) -> None:
        row = _by_token(session, token)
        checked = workshops.validate_override(key, value, note, workload_enabled=row.workload_enabled)
        session.execute(delete(OverrideRow).where(OverrideRow.workshop_id == row.id,
                                                  OverrideRow.question_key == checked.key))
        session.add(OverrideRow(workshop_id=row.id, question_key=checked.key, value=checked.value,
                                note=checked.note, updated_at=_now()))

    _write(engine, "The consensus answer could not be saved", write)


def clear_override(engine: Engine, *, token: str, key: str) -> None:
    """Go back to the median for one question."""

    def write(session: Session) -> None:
        row = _by_token(session, token)
        session.execute(delete(OverrideRow).where(OverrideRow.workshop_id == row.id, OverrideRow.question_key == key))

    _write(engine, "The consensus answer could not be reset", write)


def close_workshop(engine: Engine, *, token: str) -> WorkshopInfo:
    """Close the workshop: no more participants or answers. Closing twice keeps the first time."""

    def write(session: Session) -> WorkshopInfo:
        row = _by_token(session, token)
        session.execute(update(WorkshopRow).where(WorkshopRow.id == row.id, WorkshopRow.closed_at.is_(None))
                        .values(closed_at=_now()))
        session.refresh(row)
        return _info(row)

    return _write(engine, "The workshop could not be closed", write)


def save_consensus_assessment(
    engine: Engine, *, token: str, assessment: Assessment, results: dict[str, Any], recommended: str,
    app_version: str, price_snapshot: Sequence[InstancePrice] | None = None,
    gpu_snapshot: Sequence[GpuSpec] | None = None, revisit_by: date | None = None,
    triggers: Sequence[RevisitTrigger] = (),
) -> int:
    """Save the assessment made from a closed workshop's consensus and link it to the workshop; its id.

    The assessment must belong to the workshop's project. The workshop keeps every individual answer.
    ``price_snapshot``, ``gpu_snapshot``, ``revisit_by`` and ``triggers`` are stored as by
    ``store.save_assessment``.
    """
    view = facilitator_view(engine, token=token)
    if not view.workshop.closed:
        raise WorkshopClosed("Close the workshop before creating the assessment, so that the answers are final.")
    if assessment.project != view.workshop.project:
        raise InputError(f"The assessment must belong to the workshop's project “{view.workshop.project}”.",
                         {"project": "This is not the workshop's project."})
    assessment_id = store.save_assessment(
        engine, assessment=assessment, results=results, recommended=recommended, app_version=app_version,
        price_snapshot=None if price_snapshot is None else list(price_snapshot),
        gpu_snapshot=None if gpu_snapshot is None else list(gpu_snapshot), revisit_by=revisit_by,
        triggers=list(triggers))

    def link(session: Session) -> None:
        session.execute(update(WorkshopRow).where(WorkshopRow.id == view.workshop.id)
                        .values(assessment_id=assessment_id))

    try:
        _write(engine, "The assessment was saved but could not be linked to the workshop", link)
    except StoreError:
        store.delete_assessment(engine, assessment_id=assessment_id)
        raise
    return assessment_id


def workshop_for_assessment(engine: Engine, *, assessment_id: int) -> WorkshopInfo | None:
    """The workshop an assessment was made from, or None (the newest one when there are several)."""

    def read(session: Session) -> WorkshopInfo | None:
        row = session.scalars(select(WorkshopRow).where(WorkshopRow.assessment_id == assessment_id)
                              .order_by(WorkshopRow.id.desc()).limit(1)).first()
        return None if row is None else _info(row)

    return _read(engine, "The workshop of the assessment could not be read", read)


def workshop_answers(engine: Engine, *, assessment_id: int) -> list[ParticipantAnswers]:
    """The individual answers kept by the workshop an assessment was made from (empty when none)."""
    workshop = workshop_for_assessment(engine, assessment_id=assessment_id)
    if workshop is None:
        return []
    return _read(engine, "The workshop answers could not be read", lambda s: _participants(s, workshop.id))


class WorkshopLink(BaseModel):
    """Where a saved assessment came from: the workshop and how many participants answered in it."""

    model_config = ConfigDict(frozen=True)

    assessment_id: int
    workshop: WorkshopInfo
    participants: int  # participants with at least one answer, as counted in the consensus notes


def workshop_links(engine: Engine, *, assessment_ids: Iterable[int]) -> dict[int, WorkshopLink]:
    """The workshop each of these assessments was made from, by assessment id; ids without one are absent.

    One query per LINK_BATCH ids (not one per assessment), for lists of many saved assessments. When
    several workshops link to one assessment, the newest wins, as in ``workshop_for_assessment``.
    """
    ids = sorted({_assessment_id(i) for i in assessment_ids})

    def read(session: Session) -> dict[int, WorkshopLink]:
        answered = (select(func.count(distinct(AnswerRow.participant_id)))
                    .join(ParticipantRow, AnswerRow.participant_id == ParticipantRow.id)
                    .where(ParticipantRow.workshop_id == WorkshopRow.id).scalar_subquery())
        links: dict[int, WorkshopLink] = {}
        for start in range(0, len(ids), LINK_BATCH):
            rows = session.execute(
                select(WorkshopRow, answered).where(WorkshopRow.assessment_id.in_(ids[start:start + LINK_BATCH]))
                .order_by(WorkshopRow.id)
            ).all()
            for row, count in rows:
                assert row.assessment_id is not None  # the WHERE clause
                links[row.assessment_id] = WorkshopLink(assessment_id=row.assessment_id, workshop=_info(row),
                                                        participants=count or 0)
        return links

    return {} if not ids else _read(engine, "The workshops of the saved assessments could not be read", read)


def workshop_records(engine: Engine, *, assessment_ids: Iterable[int]) -> dict[int, FacilitatorView]:
    """What each workshop behind these assessments kept: every participant's answers and the overrides.

    Read-only and without the facilitator token: whoever can read the saved assessments can read how
    they were made. Three queries per LINK_BATCH ids, whatever their number; ids without a workshop are absent.
    """
    links = workshop_links(engine, assessment_ids=assessment_ids)
    by_workshop = {link.workshop.id: link for link in links.values()}

    def read(session: Session) -> dict[int, FacilitatorView]:
        participants: dict[int, list[ParticipantAnswers]] = {w: [] for w in by_workshop}
        overrides: dict[int, list[Override]] = {w: [] for w in by_workshop}
        workshop_ids = list(by_workshop)
        for start in range(0, len(workshop_ids), LINK_BATCH):
            batch = workshop_ids[start:start + LINK_BATCH]
            for workshop_id, people in _participants_of(session, batch).items():
                participants[workshop_id] = people
            for o in session.scalars(select(OverrideRow).where(OverrideRow.workshop_id.in_(batch))
                                     .order_by(OverrideRow.question_key)):
                overrides[o.workshop_id].append(Override(key=o.question_key, value=o.value, note=o.note))
        return {link.assessment_id: FacilitatorView(workshop=link.workshop, participants=participants[w],
                                                    overrides=overrides[w])
                for w, link in by_workshop.items()}

    return {} if not links else _read(engine, "The workshop answers could not be read", read)


def workshop_record(engine: Engine, *, assessment_id: int) -> FacilitatorView | None:
    """What the workshop behind one assessment kept (answers and overrides), or None when it has none."""
    return workshop_records(engine, assessment_ids=[assessment_id]).get(_assessment_id(assessment_id))


# Participants -------------------------------------------------------------------------------------


def open_workshop(engine: Engine, *, code: str) -> WorkshopInfo:
    """The workshop a join code opens (project, state, options); InputError for a malformed code."""
    normalized = workshops.normalize_join_code(code)

    def read(session: Session) -> WorkshopInfo:
        return _info(_by_code(session, normalized))

    return _read(engine, "The workshop could not be read", read)


def join_workshop(engine: Engine, *, code: str, display_name: str) -> Joined:
    """Join an open workshop under a display name unique within it; returns the participant's secret."""
    normalized = workshops.normalize_join_code(code)
    name = _display_name(display_name)
    secret = workshops.new_token()
    now = _now()

    def write(session: Session) -> Joined:
        # The closed check and the insert are one statement: a join cannot land after the close.
        chosen = select(WorkshopRow.id, literal(name), literal(workshops.hash_token(secret)),
                        literal(now, UtcDateTime())).where(WorkshopRow.join_code == normalized,
                                                           WorkshopRow.closed_at.is_(None))
        columns = ["workshop_id", "display_name", "secret_hash", "joined_at"]
        participant_id = session.scalar(
            insert(ParticipantRow).from_select(columns, chosen).returning(ParticipantRow.id)
        )
        if participant_id is None:
            row = _by_code(session, normalized)  # AccessDenied when there is no such workshop
            raise WorkshopClosed(f"Workshop {_info(row).display_code} is closed; it accepts no more participants.")
        return Joined(participant_id=participant_id, display_name=name, secret=secret)

    try:
        return _write(engine, "You could not join the workshop", write)
    except _Conflict:
        sentence = f"Someone in this workshop already goes by “{name}”; add an initial or pick another name."
        raise InputError(sentence, {"display_name": sentence}) from None


def participant_view(engine: Engine, *, code: str, secret: str) -> ParticipantView:
    """A participant's own answers and, once the facilitator reveals it, the aggregate of everyone's."""
    normalized = workshops.normalize_join_code(code)
    return _read(engine, "The workshop could not be read", lambda s: _participant_view(s, normalized, secret))


def submit_answers(engine: Engine, *, code: str, secret: str, answers: Mapping[str, Any]) -> ParticipantView:
    """Record (or revise) a participant's answers to the questions given; other answers stay."""
    normalized = workshops.normalize_join_code(code)
    now = _now()

    def write(session: Session) -> ParticipantView:
        workshop, participant = _participant(session, normalized, secret)
        checked = workshops.validate_answers(answers, workload_enabled=workshop.workload_enabled)
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

    return _write(engine, "Your answers could not be saved", write)


# Helpers ------------------------------------------------------------------------------------------


class _Conflict(StoreError):
    """A unique constraint refused the write (a join code or a display name already taken)."""


def _now() -> datetime:
    return datetime.now(UTC)


def _add(session: Session, *, row: WorkshopRow) -> WorkshopInfo:
    session.add(row)
    session.flush()
    return _info(row)


def _info(row: WorkshopRow) -> WorkshopInfo:
    return WorkshopInfo(id=row.id, join_code=row.join_code, project=row.project, created_at=row.created_at,
                        closed_at=row.closed_at, reveal=row.reveal, workload_enabled=row.workload_enabled,
                        assessment_id=row.assessment_id)


def _by_token(session: Session, token: str) -> WorkshopRow:
    try:
        digest = workshops.hash_token(token)
    except InputError:
        raise AccessDenied("This facilitator link is not valid. Use the private link you got when you "
                           "created the workshop.") from None
    row = session.scalars(select(WorkshopRow).where(WorkshopRow.facilitator_token_hash == digest)).first()
    if row is None:
        raise AccessDenied("This facilitator link is not valid. Use the private link you got when you "
                           "created the workshop.")
    return row


def _by_code(session: Session, normalized: str) -> WorkshopRow:
    row = session.scalars(select(WorkshopRow).where(WorkshopRow.join_code == normalized)).first()
    if row is None:
        raise AccessDenied(f"No workshop has the code {workshops.format_join_code(normalized)}. "
                           "Check the code with your facilitator.")
    return row


def _participant(session: Session, normalized: str, secret: str) -> tuple[WorkshopRow, ParticipantRow]:
    workshop = _by_code(session, normalized)
    denied = AccessDenied("Your place in this workshop was not found; join again with your name.")
    try:
        digest = workshops.hash_token(secret)
    except InputError:
        raise denied from None
    participant = session.scalars(select(ParticipantRow).where(ParticipantRow.secret_hash == digest,
                                                               ParticipantRow.workshop_id == workshop.id)).first()
    if participant is None:
        raise denied
    return workshop, participant


def _participants(session: Session, workshop_id: int) -> list[ParticipantAnswers]:
    return _participants_of(session, [workshop_id])[workshop_id]


def _participants_of(session: Session, workshop_ids: Sequence[int]) -> dict[int, list[ParticipantAnswers]]:
    """The participants of several workshops with their answers, in two queries (join order)."""
    people = session.scalars(select(ParticipantRow).where(ParticipantRow.workshop_id.in_(workshop_ids))
                             .order_by(ParticipantRow.joined_at, ParticipantRow.id)).all()
    answers: dict[int, dict[str, float]] = {p.id: {} for p in people}
    rows = session.execute(select(AnswerRow.participant_id, AnswerRow.question_key, AnswerRow.value)
                           .join(ParticipantRow, AnswerRow.participant_id == ParticipantRow.id)
                           .where(ParticipantRow.workshop_id.in_(workshop_ids))).all()
    for participant_id, key, value in rows:
        answers[participant_id][key] = value
    grouped: dict[int, list[ParticipantAnswers]] = {w: [] for w in workshop_ids}
    for p in people:
        grouped[p.workshop_id].append(ParticipantAnswers(id=p.id, display_name=p.display_name, joined_at=p.joined_at,
                                                         answered_at=p.answered_at, answers=answers[p.id]))
    return grouped


def _assessment_id(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InputError(f"An assessment id is a whole number from 1; got {value!r}.",
                         {"assessment_id": "Pick a saved assessment by its number."})
    return value


def _participant_view(session: Session, normalized: str, secret: str) -> ParticipantView:
    workshop, participant = _participant(session, normalized, secret)
    everyone = _participants(session, workshop.id)
    me = next(p for p in everyone if p.id == participant.id)
    aggregate = None
    if workshop.reveal:
        aggregate = workshops.aggregate_answers((p.answers for p in everyone if p.answers),
                                                workload_enabled=workshop.workload_enabled)
    return ParticipantView(workshop=_info(workshop), me=me, participant_count=len(everyone), aggregate=aggregate)


def _display_name(display_name: str) -> str:
    name = " ".join(display_name.split()) if isinstance(display_name, str) else ""
    sentence = None
    if not name:
        sentence = "Enter the name the others know you by."
    elif len(name) > NAME_MAX_CHARS:
        sentence = f"Keep your name within {NAME_MAX_CHARS} characters; it has {len(name)}."
    elif any(not c.isprintable() for c in name):
        sentence = "Your name contains characters that cannot be shown; use letters, digits and punctuation."
    if sentence:
        raise InputError(sentence, {"display_name": sentence})
    return name


def _read(engine: Engine, failure: str, work: Callable[[Session], T]) -> T:
    try:
        with Session(engine) as session:
            return work(session)
    except SQLAlchemyError as exc:
        raise StoreError(f"{failure}: {store.error_reason(exc)}") from exc


def _write(engine: Engine, failure: str, work: Callable[[Session], T]) -> T:
    return store.write_transaction(engine, work, failure=f"{failure}, nothing was changed", conflict=_Conflict)

