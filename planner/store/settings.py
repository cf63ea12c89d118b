"""Settings read from the environment at start-up: where the database lives, and the app's public address.

``DATABASE_URL`` selects the database (DESIGN.md section 6). Unset or blank, the planner uses an
embedded SQLite file ``var/planner.db`` under the working directory, created on first start.
PostgreSQL URLs (``postgresql://``, ``postgres://`` or ``postgresql+psycopg://``) are sent to the
psycopg 3 driver, which is the only PostgreSQL driver the planner ships with.

``PLANNER_PUBLIC_URL`` is the address people reach the app at (behind a proxy, say), for every link the planner
gives out: workshop join links, Copy link, and the links back from decision records, written by the app or the
command line. ``PLANNER_BASE_URL``, the command line's earlier name for it, is still read when it is not set.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from planner.errors import StoreError

DATABASE_URL_ENV = "DATABASE_URL"
PUBLIC_URL_ENV = "PLANNER_PUBLIC_URL"
FORMER_PUBLIC_URL_ENV = "PLANNER_BASE_URL"  # read when PUBLIC_URL_ENV is not set
DEFAULT_SQLITE_PATH = Path("var") / "planner.db"  # relative to the working directory at start-up

_SQLITE_DRIVERS = {"sqlite", "sqlite+pysqlite"}
_POSTGRES_DRIVERS = {"postgres", "postgresql", "postgresql+psycopg"}
_POSTGRES_DRIVER = "postgresql+psycopg"
_SQLITE_MEMORY = {None, "", ":memory:"}


class Settings(BaseModel):
    """Everything the planner reads from the environment, checked once."""

    model_config = ConfigDict(frozen=True)

    database_url: str


def default_database_url() -> str:
    """The embedded SQLite file ``var/planner.db`` under the current working directory."""
    return f"sqlite:///{(Path.cwd() / DEFAULT_SQLITE_PATH).as_posix()}"


def normalize_database_url(url: str) -> str:
    """Check a database URL and map PostgreSQL URLs to psycopg 3; relative SQLite paths become absolute."""
    try:
        parsed = make_url(url.strip())
    except ArgumentError as exc:
        raise StoreError(
            f"DATABASE_URL is not a database URL ({exc}); use sqlite:///path/to/file.db or "
            "postgresql://user:password@host/dbname"
        ) from exc
    driver = parsed.drivername
    if driver in _POSTGRES_DRIVERS:
        parsed = parsed.set(drivername=_POSTGRES_DRIVER)
    elif driver in _SQLITE_DRIVERS:
        database = parsed.database
        if database not in _SQLITE_MEMORY and database is not None and not database.startswith("file:"):
            # Pin the file now: a later change of working directory must not move the database.
            parsed = parsed.set(database=Path(database).absolute().as_posix())
    else:
        raise StoreError(
            f"DATABASE_URL uses '{driver}', which the planner does not support; use sqlite:///... "
            "or postgresql://..."
        )
    return parsed.render_as_string(hide_password=False)


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read the settings from the environment (``os.environ`` unless another mapping is given)."""
    env = os.environ if environ is None else environ
    raw = env.get(DATABASE_URL_ENV, "").strip()
    url = normalize_database_url(raw) if raw else default_database_url()
    return Settings(database_url=url)


def database_url(environ: Mapping[str, str] | None = None) -> str:
    """The database URL from ``DATABASE_URL``, or the default SQLite file."""
    return load_settings(environ).database_url


def normalize_public_url(url: str) -> str:
    """An http(s) address as ``scheme://host[:port][/path]`` without a trailing slash; '' for anything else."""
    parts = urlsplit(url.strip())
    if parts.scheme in ("http", "https") and parts.netloc:
        return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"
    return ""


def public_url(environ: Mapping[str, str] | None = None) -> str:
    """The app's public address from ``PLANNER_PUBLIC_URL`` (else ``PLANNER_BASE_URL``); '' when neither is an
    http(s) URL."""
    env = os.environ if environ is None else environ
    return normalize_public_url(env.get(PUBLIC_URL_ENV) or env.get(FORMER_PUBLIC_URL_ENV) or "")
