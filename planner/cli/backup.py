"""``planner backup DEST``: a copy of the app's SQLite database, safe to take while the app is running.

The copy goes through SQLite's online backup API (``sqlite3.Connection.backup``), which copies every page inside
one read transaction: the copy is one consistent state of the database, and in WAL mode the app keeps reading and
writing meanwhile. It is written to a temporary file next to DEST and renamed into place, so a failed backup leaves
no half-written file, and it is a single file (rollback journal, not WAL); the app turns WAL back on when it opens
it. An existing DEST is replaced only with ``--force``. PostgreSQL is backed up with ``pg_dump``: the command exits
with code 1 and prints the ``pg_dump`` command to run.
"""

from __future__ import annotations

import os
import shlex
import sqlite3
import tempfile
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.engine import URL, make_url

from planner.errors import PlannerError, StoreError
from planner.inputs.units import size_text
from planner.store.database import SQLITE_BUSY_TIMEOUT_MS
from planner.store.settings import database_url

_SIDE_FILES = ("-journal", "-wal", "-shm")  # what SQLite may keep next to a database file


@dataclass(frozen=True)
class BackupCounts:
    """What a backup copy holds: its projects and assessments (archived ones included)."""

    projects: int
    assessments: int


def sqlite_source(url: str, dest: Path) -> Path:
    """The SQLite file a database URL names; StoreError for PostgreSQL (with its pg_dump command) or no file."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        # pg_dump reads libpq URLs: no "+psycopg", and the password comes from PGPASSWORD or ~/.pgpass.
        libpq = URL.create("postgresql", username=parsed.username, host=parsed.host, port=parsed.port,
                           database=parsed.database, query=parsed.query)
        plain = shlex.quote(libpq.render_as_string(hide_password=False))
        file = shlex.quote(str(dest))
        raise StoreError(
            "planner backup copies SQLite databases only; back up PostgreSQL with pg_dump:\n"
            f"  pg_dump --format=custom --file={file} {plain}\n"
            f"and restore the dump with: pg_restore --clean --if-exists --no-owner --dbname={plain} {file}"
        )
    database = parsed.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        raise StoreError("DATABASE_URL names no SQLite file to back up; give one as sqlite:///path/to/planner.db.")
    return Path(database)


def copy_database(source: Path, dest: Path, *, force: bool = False) -> BackupCounts:
    """Copy a SQLite database to ``dest`` with the online backup API; return what the copy holds."""
    if not source.is_file():
        raise StoreError(f"There is no database at {source} yet: the app creates it on first start.")
    if dest.resolve() == source.resolve():
        raise StoreError(f"{dest} is the database itself; choose another file for the copy.")
    if dest.exists() and not force:
        raise StoreError(f"{dest} already exists; choose another file, or add --force to replace it.")
    if Path(f"{dest}-wal").exists():
        raise StoreError(f"{dest} looks like a database in use (it has a -wal file); choose another file.")
    try:
        handle, name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".tmp")
    except OSError as exc:
        raise StoreError(f"{dest} cannot be written: {exc.strerror}.") from exc
    os.close(handle)
    partial = Path(name)
    try:
        counts = _backup_into(source, partial)
        os.replace(partial, dest)
    except (sqlite3.Error, OSError) as exc:
        raise StoreError(f"The backup to {dest} failed: {exc}.") from exc
    finally:
        for path in [partial, *(Path(f"{partial}{suffix}") for suffix in _SIDE_FILES)]:
            path.unlink(missing_ok=True)
    return counts


def _backup_into(source: Path, target: Path) -> BackupCounts:
    """Copy every page of ``source`` into the empty database file ``target`` and count its rows."""
    with (closing(sqlite3.connect(source, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)) as origin,
          closing(sqlite3.connect(target)) as copy):
        origin.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, whatever mode the source was in
        projects = copy.execute("SELECT count(*) FROM projects").fetchone()[0]
        assessments = copy.execute("SELECT count(*) FROM assessments").fetchone()[0]
    return BackupCounts(projects=projects, assessments=assessments)


def backup(
    dest: Annotated[Path, typer.Argument(metavar="DEST", help="File to write the copy of the database to.")],
    force: Annotated[bool, typer.Option("--force", help="Replace DEST if it exists.")] = False,
) -> None:
    """Copy the SQLite database to DEST, safely while the app runs (PostgreSQL: prints the pg_dump command)."""
    from planner.cli.commands import fail  # late: commands registers this command

    try:
        source = sqlite_source(database_url(), dest)
        counts = copy_database(source, dest, force=force)
    except PlannerError as exc:
        fail(exc)
    typer.echo(f"Backed up {source} to {dest} ({size_text(dest.stat().st_size)}): {counts.projects} project(s), "
               f"{counts.assessments} assessment(s).")
