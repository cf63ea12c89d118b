"""Lists saved under a name (price lists, API price lists): the repository steps every kind of list shares.

A kind of list (``ListKind``) is a ``NamedList`` table (a unique name, when the list was created and last
saved) and the child tables that hold its rows, each pointing at the list by a foreign key. Saving under a
taken name is refused unless replacing (then the rows are replaced, the creation time kept), an unknown name
is an InputError at the kind's field, and a list is deleted with its rows. Each list keeps its author: only
they or an instance admin replace or delete it, and every save, replacement and deletion goes to the audit
log. ``planner.store.price_lists`` and ``planner.store.api_price_lists`` each describe their kind once and
read their rows themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from planner.errors import InputError, StoreError
from planner.inputs.price_files import check_name
from planner.store.access import AccessDenied, Actor, current_actor, require_signed_in
from planner.store.audit import record
from planner.store.database import write_transaction
from planner.store.tables import NamedList, Row


class _NameTaken(StoreError):
    """The unique name refused the write: another session saved a list of that name at the same moment."""


@dataclass(frozen=True)
class ListKind:
    """One kind of named list: its table, its child tables with their foreign-key column, and its words.

    ``what`` names the kind in messages ("price list"); ``field`` is where an unknown name is reported.
    """

    table: type[NamedList]
    children: tuple[tuple[type[Row], str], ...]
    what: str
    field: str

    def list_id(self, session: Session, name: str) -> int:
        """The id of the saved list of that name; InputError at ``field`` when there is none."""
        list_id = session.scalar(select(self.table.id).where(self.table.name == name))
        if list_id is None:
            message = f"There is no saved {self.what} named '{name}'."
            raise InputError(message, {self.field: message})
        return list_id

    def delete_rows(self, session: Session, list_id: int) -> None:
        """Delete a saved list's rows (not the list itself)."""
        for child, key in self.children:
            session.execute(delete(child).where(getattr(child, key) == list_id))

    def save(self, engine: Engine, *, name: str, replace: bool, rows: Callable[[int], Iterable[Row]],
             columns: Mapping[str, Any] | None = None, actor: Actor | None = None) -> tuple[str, datetime, datetime]:
        """Save a list under a name: the list row with ``columns``, and the child ``rows(list_id)``.

        An existing name is an InputError at "name" unless ``replace``. Returns the cleaned name, when the
        list was first created and when it was saved now. Saving needs a signed-in user, replacing the list's
        author or an admin (``may_change``).
        """
        name, who = check_name(name, what=self.what), current_actor(actor)
        require_signed_in(who, doing=f"save a {self.what}")
        now = datetime.now(UTC)
        article = "An" if self.what[:1].lower() in "aeiou" else "A"
        taken = f"{article} {self.what} named '{name}' already exists; choose another name or replace it."
        extra = dict(columns or {})

        def write(session: Session) -> datetime:
            row = session.scalar(select(self.table).where(self.table.name == name))
            if row is not None and not replace:
                raise InputError(taken, {"name": taken})
            if row is None:
                row = self.table(name=name, created_at=now, updated_at=now, created_by=who.author, **extra)
                session.add(row)
                session.flush()
            else:
                self.may_change(who, row, doing="replace")
                row.updated_at = now
                for column, value in extra.items():
                    setattr(row, column, value)
                self.delete_rows(session, row.id)
            session.add_all(rows(row.id))
            record(session, who, f"{'replaced' if row.created_at != now else 'saved'} {self.what}", subject=name)
            return row.created_at

        try:
            created_at = write_transaction(engine, write, conflict=_NameTaken,
                                           failure=f"The {self.what} could not be saved, nothing was written")
        except _NameTaken as exc:  # another session saved the same name a moment ago
            raise InputError(taken, {"name": taken}) from exc
        return name, created_at, now

    def delete(self, engine: Engine, name: str, *, actor: Actor | None = None) -> None:
        """Delete a saved list and its rows (its author or an admin); an unknown name is an InputError at
        ``field``."""
        who = current_actor(actor)

        def write(session: Session) -> None:
            list_id = self.list_id(session, name)
            row = session.get(self.table, list_id)
            assert row is not None  # list_id found it
            self.may_change(who, row, doing="delete")
            self.delete_rows(session, list_id)
            session.execute(delete(self.table).where(self.table.id == list_id))
            record(session, who, f"deleted {self.what}", subject=name)

        write_transaction(engine, write, failure=f"The {self.what} '{name}' could not be deleted")

    def may_change(self, actor: Actor, row: NamedList, *, doing: str) -> None:
        """A list is changed by its author or an admin; one saved before authors were kept, by anyone signed in."""
        require_signed_in(actor, doing=f"{doing} a {self.what}")
        if actor.admin or not row.created_by or row.created_by == actor.author:
            return
        raise AccessDenied(f"The {self.what} '{row.name}' was saved by {row.created_by}; only they or an instance "
                           f"admin may {doing} it. Save yours under another name.")
