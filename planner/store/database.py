"""The database itself: engines, migrations, and the one way repository modules read and write.

``get_engine()`` gives the engine for a URL (default: DATABASE_URL), migrated to the newest Alembic
revision on first use, so a new SQLite file or an empty PostgreSQL database needs no set-up.
``write_transaction`` runs a write in one transaction and retries it a few times when SQLite reports a
busy database, so concurrent writers never see "database is locked"; ``read_session`` runs a read.
Both word database errors as StoreError with ``error_reason``.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from planner.errors import StoreError
from planner.store.settings import database_url, normalize_database_url

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
SQLITE_BUSY_TIMEOUT_MS = 10_000  # how long a writer waits for another one before "database is locked"
POSTGRES_MIGRATION_LOCK = 4_517_001  # advisory lock key: one app instance migrates at a time
WRITE_ATTEMPTS = 8  # a write that finds SQLite busy (beyond the busy timeout) is retried this often
RETRY_BASE_DELAY_S = 0.05  # first back-off between attempts; doubles each time, with jitter

T = TypeVar("T")

_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def get_engine(url: str | None = None) -> Engine:
    """The engine for a database URL (default: DATABASE_URL), migrated to the newest revision; cached."""
    key = database_url() if url is None else normalize_database_url(url)
    with _engines_lock:
        engine = _engines.get(key)
        if engine is None:
            engine = create_store_engine(key)
            try:
                migrate(engine)
            except Exception:
                engine.dispose()
                raise
            _engines[key] = engine
        return engine


def dispose_engines() -> None:
    """Close every cached engine and forget it (tests, or a change of DATABASE_URL)."""
    with _engines_lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


def create_store_engine(url: str) -> Engine:
    """A new engine for a URL with the planner's connection settings, without migrating it."""
    parsed = make_url(normalize_database_url(url))
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, pool_pre_ping=True)
    database = parsed.database or ""
    if database in ("", ":memory:") or "mode=memory" in database:
        # One shared connection: each new connection to :memory: would see a new, empty database.
        engine = create_engine(parsed, poolclass=StaticPool, connect_args={"check_same_thread": False})
    else:
        if not database.startswith("file:"):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
    event.listen(engine, "connect", _sqlite_on_connect)
    return engine


def _sqlite_on_connect(dbapi_connection: Any, connection_record: Any) -> None:
    # WAL lets readers work while one writer writes; foreign keys are off in SQLite unless asked.
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic configuration for the planner's migrations, optionally bound to an open connection."""
    config = Config()
    config.set_main_option("script_location", MIGRATIONS_DIR.as_posix().replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def migrate(engine: Engine) -> None:
    """Upgrade the database to the newest Alembic revision; a no-op when it is already there.

    A database already at the newest revision is left without taking the migration lock, so processes that
    open it at once do not queue behind each other; one that finds SQLite busy (many writers on a new file)
    tries again with a growing pause, as writes do.
    """
    def upgrade() -> None:
        if _at_newest_revision(engine):
            return
        with engine.begin() as connection:
            _lock_for_migration(connection)
            command.upgrade(alembic_config(connection), "head")

    try:
        _retry_when_busy(upgrade)
    except SQLAlchemyError as exc:
        raise StoreError(f"The database could not be prepared: {error_reason(exc)}") from exc
    except CommandError as exc:
        # Typically a revision this copy of the planner does not know: a newer version migrated it.
        raise StoreError(f"The database is at a schema this version of the planner cannot use: {exc}") from exc


def _at_newest_revision(engine: Engine) -> bool:
    """Whether the database's Alembic version is the newest head (a read, no lock)."""
    heads = set(ScriptDirectory.from_config(alembic_config()).get_heads())
    with engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    return current == heads


def _lock_for_migration(connection: Connection) -> None:
    """Hold the database for this migration until its transaction ends, so one process migrates at a time.

    Alembic reads the version inside the same transaction, so the processes that waited find the schema
    at the newest revision and do nothing. Without the lock, processes opening a new SQLite file at once
    all create the tables and all but one fail with "table ... already exists".
    """
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": POSTGRES_MIGRATION_LOCK})
    elif connection.dialect.name == "sqlite":
        # The driver has begun nothing yet (it begins lazily, before the first write); an exclusive
        # transaction makes the other migrators wait (busy timeout) until this one commits.
        connection.exec_driver_sql("BEGIN EXCLUSIVE")


def write_transaction(engine: Engine, work: Callable[[Session], T], *, failure: str,
                      conflict: type[StoreError] = StoreError) -> T:
    """Run ``work`` in one transaction; retry when SQLite is busy; wrap database errors in StoreError.

    The busy timeout covers most waits, but SQLite answers "database is locked" at once when a read
    transaction cannot become a write transaction; a fresh attempt then succeeds. A unique or foreign-key
    refusal raises ``conflict`` (a StoreError subclass a caller can tell apart). Rows stay readable after
    the commit, so ``work`` may return them. Every repository module writes through here.
    """
    def attempt() -> T:
        with Session(engine, expire_on_commit=False) as session, session.begin():
            return work(session)

    try:
        return _retry_when_busy(attempt)
    except IntegrityError as exc:
        raise conflict(f"{failure}: {error_reason(exc)}") from exc
    except SQLAlchemyError as exc:
        raise StoreError(f"{failure}: {error_reason(exc)}") from exc


def _retry_when_busy(attempt: Callable[[], T]) -> T:
    """``attempt()``, tried again with a growing, jittered pause while SQLite answers that it is busy."""
    for number in range(1, WRITE_ATTEMPTS):
        try:
            return attempt()
        except OperationalError as exc:
            if not _is_busy(exc):
                raise
            time.sleep(RETRY_BASE_DELAY_S * 2 ** (number - 1) * random.uniform(0.5, 1.5))
    return attempt()


def read_session(engine: Engine, work: Callable[[Session], T], *, failure: str) -> T:
    """Run ``work`` in one short session; a database error becomes StoreError("{failure}: {reason}")."""
    try:
        with Session(engine) as session:
            return work(session)
    except SQLAlchemyError as exc:
        raise StoreError(f"{failure}: {error_reason(exc)}") from exc


def _is_busy(exc: OperationalError) -> bool:
    detail = str(exc.orig or exc).lower()
    return "database is locked" in detail or "database is busy" in detail or "database table is locked" in detail


def error_reason(exc: SQLAlchemyError) -> str:
    """A database error's first line in plain words, for StoreError messages of every repository module."""
    detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    if "database is locked" in detail:
        return "the database is busy with another writer; try again in a moment"
    return detail
