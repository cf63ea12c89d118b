"""What the workshop repository returns, and how workshop rows become it.

Pydantic records only: a workshop as anyone with access sees it (no token, no hashes), a participant's
answers, the participant's and the facilitator's views, and the link from a saved assessment to the
workshop it was made from. ``participants_of`` and ``overrides_of`` read several workshops at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.orm import Session

from planner.decide import consensus
from planner.decide.consensus import ConsensusItem, Override, QuestionAggregate
from planner.store.tables import AnswerRow, OverrideRow, ParticipantRow, WorkshopRow


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
        return consensus.format_join_code(self.join_code)


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
        return consensus.aggregate_answers((p.answers for p in self.participants if p.answers),
                                           workload_enabled=self.workshop.workload_enabled)

    def consensus(self) -> list[ConsensusItem]:
        """The consensus per question: override or median."""
        keys = {a.key for a in self.aggregates()}
        return consensus.consensus(self.aggregates(), [o for o in self.overrides if o.key in keys])



class WorkshopLink(BaseModel):
    """Where a saved assessment came from: the workshop and how many participants answered in it."""

    model_config = ConfigDict(frozen=True)

    assessment_id: int
    workshop: WorkshopInfo
    participants: int  # participants with at least one answer, as counted in the consensus notes


# Rows to records -----------------------------------------------------------------------------------


def workshop_info(row: WorkshopRow) -> WorkshopInfo:
    """The record of a workshop row."""
    return WorkshopInfo(id=row.id, join_code=row.join_code, project=row.project, created_at=row.created_at,
                        closed_at=row.closed_at, reveal=row.reveal, workload_enabled=row.workload_enabled,
                        assessment_id=row.assessment_id)


def participants_of(session: Session, workshop_ids: Sequence[int]) -> dict[int, list[ParticipantAnswers]]:
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


def overrides_of(session: Session, workshop_ids: Sequence[int]) -> dict[int, list[Override]]:
    """The facilitator's overrides of several workshops, by question key, in one query."""
    grouped: dict[int, list[Override]] = {w: [] for w in workshop_ids}
    for o in session.scalars(select(OverrideRow).where(OverrideRow.workshop_id.in_(workshop_ids))
                             .order_by(OverrideRow.question_key)):
        grouped[o.workshop_id].append(Override(key=o.question_key, value=o.value, note=o.note))
    return grouped


def facilitator_record(session: Session, workshop: WorkshopInfo) -> FacilitatorView:
    """Everything one workshop kept: every participant's answers and the overrides."""
    return FacilitatorView(workshop=workshop, participants=participants_of(session, [workshop.id])[workshop.id],
                           overrides=overrides_of(session, [workshop.id])[workshop.id])
