"""Where saved assessments came from: the workshop behind each, and what it kept.

Read-only and without the facilitator token: whoever can read the saved assessments can read how they
were made. Lists of many saved assessments are read a batch of LINK_BATCH ids per query, not one
query per assessment. When several workshops link to one assessment, the newest wins.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Engine, distinct, func, select
from sqlalchemy.orm import Session

from planner.decide.consensus import Override
from planner.errors import InputError
from planner.store.database import read_session
from planner.store.tables import AnswerRow, ParticipantRow, WorkshopRow
from planner.store.workshop_views import (
    FacilitatorView,
    ParticipantAnswers,
    WorkshopInfo,
    WorkshopLink,
    overrides_of,
    participants_of,
    workshop_info,
)

LINK_BATCH = 500  # assessment or workshop ids per IN (...) list, well within every backend's limit


def workshop_for_assessment(engine: Engine, *, assessment_id: int) -> WorkshopInfo | None:
    """The workshop an assessment was made from, or None (the newest one when there are several)."""

    def read(session: Session) -> WorkshopInfo | None:
        row = session.scalars(select(WorkshopRow).where(WorkshopRow.assessment_id == assessment_id)
                              .order_by(WorkshopRow.id.desc()).limit(1)).first()
        return None if row is None else workshop_info(row)

    return read_session(engine, read, failure="The workshop of the assessment could not be read")


def workshop_answers(engine: Engine, *, assessment_id: int) -> list[ParticipantAnswers]:
    """The individual answers kept by the workshop an assessment was made from (empty when none)."""
    workshop = workshop_for_assessment(engine, assessment_id=assessment_id)
    if workshop is None:
        return []
    return read_session(engine, lambda s: participants_of(s, [workshop.id])[workshop.id],
                        failure="The workshop answers could not be read")


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
                links[row.assessment_id] = WorkshopLink(assessment_id=row.assessment_id, workshop=workshop_info(row),
                                                        participants=count or 0)
        return links

    if not ids:
        return {}
    return read_session(engine, read, failure="The workshops of the saved assessments could not be read")


def workshop_records(engine: Engine, *, assessment_ids: Iterable[int]) -> dict[int, FacilitatorView]:
    """What each workshop behind these assessments kept: every participant's answers and the overrides.

    Read-only and without the facilitator token: whoever can read the saved assessments can read how
    they were made. Three queries per LINK_BATCH ids, whatever their number; ids without a workshop are absent.
    """
    links = workshop_links(engine, assessment_ids=assessment_ids)
    by_workshop = {link.workshop.id: link for link in links.values()}

    def read(session: Session) -> dict[int, FacilitatorView]:
        participants: dict[int, list[ParticipantAnswers]] = {}
        overrides: dict[int, list[Override]] = {}
        workshop_ids = list(by_workshop)
        for start in range(0, len(workshop_ids), LINK_BATCH):
            batch = workshop_ids[start:start + LINK_BATCH]
            participants.update(participants_of(session, batch))
            overrides.update(overrides_of(session, batch))
        return {link.assessment_id: FacilitatorView(workshop=link.workshop, participants=participants[w],
                                                    overrides=overrides[w])
                for w, link in by_workshop.items()}

    return {} if not links else read_session(engine, read, failure="The workshop answers could not be read")


def workshop_record(engine: Engine, *, assessment_id: int) -> FacilitatorView | None:
    """What the workshop behind one assessment kept (answers and overrides), or None when it has none."""
    return workshop_records(engine, assessment_ids=[assessment_id]).get(_assessment_id(assessment_id))


def _assessment_id(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InputError(f"An assessment id is a whole number from 1; got {value!r}.",
                         {"assessment_id": "Pick a saved assessment by its number."})
    return value
