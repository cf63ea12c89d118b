"""Improvement items: the readiness gaps and roadmap steps of a project's saved assessments, kept across re-assessments.

Each item (``improvement_items``, revision 0010) belongs to a project under a stable key
(``gap:<architecture>:<readiness key>`` or ``step:<architecture>:<n>``, ``planner.store.item_sync``) and has a
short display id, ``ITEM-<id>``, unique in the database, which the CLI and the exports use. Every change of its
status is kept in ``improvement_item_events``: to what, from what, who and when, and the assessment when the
planner made it.

* ``sync_items`` is the save hook: ``history.save_evaluated`` hands it to ``store.save_assessment``, which runs it
  in the save's transaction after adding a new row (saving the same assessment again adds none, so it changes
  nothing). It applies ``item_sync.plan_sync``: closed gaps done, gaps that came back reopened, new gaps and
  steps opened, "won't do" kept; it never touches an owner or a due date.
* ``project_items`` and ``load_item`` read items with their status changes, oldest first.
* ``set_item`` is a person's change of status (with their name and a note), owner or due date, checked in
  plain words (InputError naming the field).

What leaves the items alone: assessments added by a project import (``planner.store.exchange``) or saved
without the hook, and archiving or restoring one. An assessment deleted for good keeps the items it changed
(its events lose the link to it); items and their events go with their project.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from enum import Enum

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from planner.errors import InputError, StoreError
from planner.inputs.limits import ITEM_NOTE_MAX_CHARS, NAME_MAX_CHARS
from planner.inputs.models import Architecture
from planner.inputs.text import SingleLineText
from planner.store.access import Actor, Role, current_actor, require
from planner.store.audit import record
from planner.store.database import read_session, write_transaction
from planner.store.item_sync import (
    KIND_LABELS,
    ItemChange,
    ItemKind,
    ItemSource,
    ItemState,
    ItemStatus,
    parse_status,
    plan_sync,
    sources_of,
)
from planner.store.projects import existing_project_id
from planner.store.tables import AssessmentRow, ImprovementItemRow, ItemEventRow, ProjectRow

ITEM_PREFIX = "ITEM-"  # the display id: ITEM-<id>
PLANNER = "planner"  # who changed a status when an assessment did
_ID_TEXT = re.compile(r"(?:ITEM-|#)?([0-9]{1,12})", re.IGNORECASE)


class ItemEvent(BaseModel):
    """One change of an item's status: to what and from what (None: opened), who, why and when."""

    model_config = ConfigDict(frozen=True)

    status: ItemStatus
    previous: ItemStatus | None
    by: str
    note: str
    at: datetime
    assessment_id: int | None  # the assessment that made the change; None: a person did

    @property
    def who(self) -> str:
        """Who made the change, in words."""
        if self.assessment_id is not None:
            return f"assessment #{self.assessment_id}"
        return "the planner" if self.by == PLANNER else (self.by or "someone unnamed")


class Item(BaseModel):
    """An improvement item of a project, with its status changes oldest first."""

    model_config = ConfigDict(frozen=True)

    id: int
    project: str
    key: str
    kind: ItemKind
    architecture: Architecture
    title: str
    detail: str
    size: int  # a gap: readiness levels missing; a step: its number in the roadmap (1 first)
    status: ItemStatus
    owner: str
    due: date | None
    named: bool  # whether the project's latest synced assessment names its gap or step
    created_at: datetime
    updated_at: datetime
    events: tuple[ItemEvent, ...] = ()

    @property
    def display_id(self) -> str:
        return display_id(self.id)

    @property
    def source(self) -> str:
        """'Readiness gap' or 'Roadmap step'."""
        return KIND_LABELS[self.kind]


def display_id(item_id: int) -> str:
    """``ITEM-<id>``."""
    return f"{ITEM_PREFIX}{item_id}"


def parse_item_id(text: str) -> int:
    """An item's id from ``ITEM-12``, ``#12`` or ``12``; InputError otherwise."""
    match = _ID_TEXT.fullmatch(str(text).strip())
    if match is None or int(match.group(1)) < 1:
        sentence = f"“{text}” is not an item id: give it as ITEM-12 or 12 (planner items list PROJECT shows them)."
        raise InputError(sentence, {"item": sentence})
    return int(match.group(1))


# The save hook ----------------------------------------------------------------------------------------------


def sync_items(session: Session, assessment_id: int, *, recommendation: object) -> None:
    """Bring the items of a new assessment's project up to it (the module docstring); in the save's session.

    ``recommendation`` is the assessment's as stored (``Recommendation.model_dump(mode="json")``); one that cannot
    be read as a recommendation changes nothing.
    """
    sources = sources_of(recommendation)
    assessment = session.get(AssessmentRow, assessment_id)
    if sources is None or assessment is None:
        return
    at = assessment.created_at
    # One sync of a project at a time (PostgreSQL; SQLite writes one at a time anyway): two saves at once would
    # both open the same new items and the second would fail on their unique key.
    session.execute(select(ProjectRow.id).where(ProjectRow.id == assessment.project_id).with_for_update())
    rows = {r.item_key: r for r in session.scalars(
        select(ImprovementItemRow).where(ImprovementItemRow.project_id == assessment.project_id))}
    previous = {key: ItemState(ItemStatus(r.status), r.named) for key, r in rows.items()}
    for change in plan_sync(previous, sources):
        row = rows.get(change.key)
        if row is None:
            if change.source is None:
                continue
            row = ImprovementItemRow(project_id=assessment.project_id, item_key=change.key, status=change.status.value,
                                     owner="", due=None, named=True, created_at=at, updated_at=at,
                                     **_source_columns(change.source))
            session.add(row)
            session.flush()
        _apply(row, change, at)
        if change.changed:
            session.add(ItemEventRow(
                item_id=row.id, status=change.status.value,
                previous_status=change.before.value if change.before is not None else None,
                changed_by=PLANNER, note="", changed_at=at, assessment_id=assessment_id))


def _source_columns(source: ItemSource) -> dict[str, object]:
    return {"kind": source.kind, "architecture": source.architecture.value, "title": source.title,
            "detail": source.detail, "size": source.size}


def _apply(row: ImprovementItemRow, change: ItemChange, at: datetime) -> None:
    """Set what an assessment says of an item: its text, whether it names it, its status."""
    before = (row.title, row.detail, row.size, row.named, row.status)
    for name, value in (_source_columns(change.source) if change.source is not None else {}).items():
        setattr(row, name, value)
    row.named = change.source is not None
    row.status = change.status.value
    if before != (row.title, row.detail, row.size, row.named, row.status):
        row.updated_at = at


# Reading ----------------------------------------------------------------------------------------------------


def project_items(engine: Engine, *, project: str, statuses: Iterable[ItemStatus] | None = None,
                  actor: Actor | None = None) -> list[Item]:
    """A project's improvement items, in the order they were opened, optionally of some statuses only.

    Unknown project: StoreError; needs the viewer role.
    """
    wanted = [s.value for s in statuses] if statuses is not None else None
    who = current_actor(actor)

    def read(session: Session) -> list[Item]:
        project_id = existing_project_id(session, project)
        require(session, who, project_id, Role.VIEWER, doing="read its improvement items")
        stmt = select(ImprovementItemRow).where(ImprovementItemRow.project_id == project_id)
        if wanted is not None:
            stmt = stmt.where(ImprovementItemRow.status.in_(wanted))
        return _records(session, session.scalars(stmt.order_by(ImprovementItemRow.id)).all(), project)

    return read_session(engine, read, failure=f"The improvement items of “{project}” could not be read")


def load_item(engine: Engine, *, item_id: int, actor: Actor | None = None) -> Item:
    """One improvement item with its status changes (viewers); StoreError when there is none of that id."""
    who = current_actor(actor)
    return read_session(engine, lambda s: _one(s, item_id, who, Role.VIEWER),
                        failure=f"Item {display_id(item_id)} could not be read")


def _one(session: Session, item_id: int, actor: Actor, needed: Role) -> Item:
    return _record(session, _row(session, item_id, actor, needed))


def _record(session: Session, row: ImprovementItemRow) -> Item:
    project = session.scalar(select(ProjectRow.name).where(ProjectRow.id == row.project_id)) or ""
    return _records(session, [row], project)[0]


def _row(session: Session, item_id: int, actor: Actor, needed: Role) -> ImprovementItemRow:
    """The item's row, when the actor holds ``needed`` in its project; StoreError or AccessDenied otherwise."""
    row = session.get(ImprovementItemRow, item_id)
    if row is None:
        raise StoreError(f"No improvement item {display_id(item_id)}.")
    require(session, actor, row.project_id, needed, doing="read or change its improvement items")
    return row


def _records(session: Session, rows: Sequence[ImprovementItemRow], project: str) -> list[Item]:
    events: dict[int, list[ItemEvent]] = {row.id: [] for row in rows}
    if events:
        stmt = (select(ItemEventRow).where(ItemEventRow.item_id.in_(list(events)))
                .order_by(ItemEventRow.changed_at, ItemEventRow.id))
        for event in session.scalars(stmt):
            events[event.item_id].append(ItemEvent(
                status=ItemStatus(event.status), by=event.changed_by, note=event.note, at=event.changed_at,
                previous=ItemStatus(event.previous_status) if event.previous_status is not None else None,
                assessment_id=event.assessment_id))
    return [Item(id=r.id, project=project, key=r.item_key, kind=r.kind, architecture=Architecture(r.architecture),
                 title=r.title, detail=r.detail, size=r.size, status=ItemStatus(r.status), owner=r.owner, due=r.due,
                 named=r.named, created_at=r.created_at, updated_at=r.updated_at, events=tuple(events[r.id]))
            for r in rows]


# A person's changes -----------------------------------------------------------------------------------------


class Keep(Enum):
    """A field ``set_item`` leaves as it is."""

    KEEP = "keep"


KEEP = Keep.KEEP  # set_item's default for the due date: leave it as it is (None clears it)


class ItemText(BaseModel):
    """What a person types when changing an item: the owner, their own name and a note, each on one line."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    owner: SingleLineText = Field(default="", max_length=NAME_MAX_CHARS)
    by: SingleLineText = Field(default="", max_length=NAME_MAX_CHARS)
    note: SingleLineText = Field(default="", max_length=ITEM_NOTE_MAX_CHARS)


_FIELD_WORDS = {"owner": "The owner", "by": "Your name", "note": "The note"}


def checked_text(*, owner: str = "", by: str = "", note: str = "") -> ItemText:
    """The owner, name and note trimmed, or InputError naming each field at fault in plain words."""
    try:
        return ItemText(owner=owner, by=by, note=note)
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else "note"
            limit = (error.get("ctx") or {}).get("max_length")
            reason = (f"must be at most {limit} characters long" if limit is not None
                      else "must be text" if error["type"] == "string_type"
                      else error["msg"].removeprefix("Value error, "))
            errors.setdefault(field, f"{_FIELD_WORDS.get(field, field)} {reason}.")
        raise InputError(" ".join(errors.values()), errors) from exc


def checked_status(status: ItemStatus | str | None) -> ItemStatus | None:
    """A status given as a value or in words (``item_sync.parse_status``), or InputError naming ``status``."""
    if status is None or isinstance(status, ItemStatus):
        return status
    try:
        return parse_status(status)
    except ValueError as exc:
        raise InputError(str(exc), {"status": str(exc)}) from None


def _checked_due(due: date | Keep | None) -> date | Keep | None:
    if due is KEEP or due is None or (isinstance(due, date) and not isinstance(due, datetime)):
        return due
    sentence = "The due date must be a date (YYYY-MM-DD)."
    raise InputError(sentence, {"due": sentence})


def set_item(engine: Engine, *, item_id: int, status: ItemStatus | str | None = None, owner: str | None = None,
             due: date | Keep | None = KEEP, by: str = "", note: str = "", actor: Actor | None = None) -> Item:
    """A person's change of an item: its status (kept with ``by``, the time and ``note``), owner or due date.

    ``None`` (and ``KEEP`` for ``due``) leaves a field as it is; an empty owner or a ``None`` due date clears it.
    Returns the item as it now is. InputError naming the field: a status not one of open, in progress, done and
    won't do, an owner, name or note that is not single-line text within its limit, a due date that is not a date,
    a note without a change of status; StoreError when there is no such item. Needs the editor role; a
    signed-in user's change is recorded under their identity, whatever ``by`` says.
    """
    new_status, new_due, who = checked_status(status), _checked_due(due), current_actor(actor)
    text = checked_text(owner=owner or "", by=who.author if who.kind == "user" else by, note=note)
    now = datetime.now(UTC)

    def write(session: Session) -> Item:
        row = _row(session, item_id, who, Role.EDITOR)
        moves = new_status is not None and new_status.value != row.status
        if text.note and not moves:
            sentence = "A note explains a change of status: change the status too, or leave the note empty."
            raise InputError(sentence, {"note": sentence})
        if new_status is not None and moves:
            session.add(ItemEventRow(item_id=row.id, status=new_status.value, previous_status=row.status,
                                     changed_by=text.by, note=text.note, changed_at=now, assessment_id=None))
        before = (row.status, row.owner, row.due)
        row.status = new_status.value if new_status is not None else row.status
        row.owner = text.owner if owner is not None else row.owner
        row.due = new_due if not isinstance(new_due, Keep) else row.due
        if (row.status, row.owner, row.due) != before:
            row.updated_at = now
            record(session, who, "changed item", project_id=row.project_id, subject=display_id(item_id),
                   detail=_change_words(before, (row.status, row.owner, row.due)), at=now)
        session.flush()
        return _record(session, row)


    return write_transaction(engine, write, failure=f"Item {display_id(item_id)} could not be changed")

def _change_words(before: tuple[str, str, date | None], after: tuple[str, str, date | None]) -> str:
    words = [f"{name} {old or '—'} → {new or '—'}" for name, old, new in zip(("status", "owner", "due"), before, after,
                                                                             strict=True) if old != new]
    return "; ".join(words)
