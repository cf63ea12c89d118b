"""Who may act on a workshop: the facilitator by token, a participant by join code and secret.

Every facilitator function of ``planner.store.workshops`` finds the workshop by the SHA-256 of the
token (``by_token``); every participant function finds only a participant of the workshop the join
code names (``participant_of``). A wrong token, code or secret is AccessDenied; a closed workshop
refuses joins and answers with WorkshopClosed. Workshop writes go through ``workshop_write``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from planner.decide import consensus
from planner.errors import InputError, PlannerError, StoreError
from planner.store.access import AccessDenied  # also a wrong token, secret or join code
from planner.store.database import write_transaction
from planner.store.tables import ParticipantRow, WorkshopRow

T = TypeVar("T")

BAD_TOKEN = "This facilitator link is not valid. Use the private link you got when you created the workshop."


class WorkshopClosed(PlannerError):
    """The workshop is closed: it accepts no more participants or answers."""


class Conflict(StoreError):
    """A unique constraint refused the write (a join code or a display name already taken)."""


def workshop_write(engine: Engine, failure: str, work: Callable[[Session], T]) -> T:
    """Run a workshop write in one transaction; a unique-constraint refusal raises Conflict."""
    return write_transaction(engine, work, failure=f"{failure}, nothing was changed", conflict=Conflict)


def by_token(session: Session, token: str) -> WorkshopRow:
    """The workshop the facilitator token belongs to; AccessDenied for any other token."""
    try:
        digest = consensus.hash_token(token)
    except InputError:
        raise AccessDenied(BAD_TOKEN) from None
    row = session.scalars(select(WorkshopRow).where(WorkshopRow.facilitator_token_hash == digest)).first()
    if row is None:
        raise AccessDenied(BAD_TOKEN)
    return row


def by_code(session: Session, normalized: str) -> WorkshopRow:
    """The workshop of a (normalized) join code; AccessDenied when no workshop has it."""
    row = session.scalars(select(WorkshopRow).where(WorkshopRow.join_code == normalized)).first()
    if row is None:
        raise AccessDenied(f"No workshop has the code {consensus.format_join_code(normalized)}. "
                           "Check the code with your facilitator.")
    return row


def participant_of(session: Session, normalized: str, secret: str) -> tuple[WorkshopRow, ParticipantRow]:
    """The workshop of the join code and its participant with that secret; AccessDenied otherwise."""
    workshop = by_code(session, normalized)
    denied = AccessDenied("Your place in this workshop was not found; join again with your name.")
    try:
        digest = consensus.hash_token(secret)
    except InputError:
        raise denied from None
    participant = session.scalars(select(ParticipantRow).where(ParticipantRow.secret_hash == digest,
                                                               ParticipantRow.workshop_id == workshop.id)).first()
    if participant is None:
        raise denied
    return workshop, participant
