"""Shared fixtures: a throw-away database for every app test, and a fresh AppTest of the app."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from sqlalchemy import MetaData
from streamlit.testing.v1 import AppTest

from planner import store

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_URL_ENV = "PLANNER_TEST_PG_URL"  # an empty PostgreSQL database the tests may wipe
APP_TIMEOUT_S = 30  # first runs import pandas/altair and migrate a new SQLite file

# `streamlit run app.py` puts the app's folder on sys.path, which makes the `ui` package importable;
# do the same for the tests that import it directly.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@pytest.fixture
def temp_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A DATABASE_URL in tmp_path, so app tests never touch var/planner.db or each other's rows."""
    url = f"sqlite:///{(tmp_path / 'planner.db').as_posix()}"
    monkeypatch.setenv("DATABASE_URL", url)
    yield url
    st.cache_resource.clear()
    store.dispose_engines()


@pytest.fixture
def app(temp_database: str) -> AppTest:
    """The whole app (router and pages) after its first run, on the Assess page, with its own database."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=APP_TIMEOUT_S)
    at.run()  # the default page: Home
    assert not at.exception
    at.switch_page("pages/assess.py").run()
    assert not at.exception
    return at


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL to an empty database, one param per backend; add "postgresql" to run on PLANNER_TEST_PG_URL."""
    if request.param == "sqlite":
        yield f"sqlite:///{(tmp_path / 'planner.db').as_posix()}"
        store.dispose_engines()
        return
    url = os.environ.get(POSTGRES_URL_ENV)
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{POSTGRES_URL_ENV} is not set: .ci/run must start PostgreSQL for the store tests")
        pytest.skip(f"{POSTGRES_URL_ENV} is not set (.ci/run starts a PostgreSQL server and sets it)")
    drop_everything(url)
    yield url
    store.dispose_engines()
    drop_everything(url)


def drop_everything(url: str) -> None:
    """Leave a shared PostgreSQL test database empty, including Alembic's version table."""
    engine = store.create_store_engine(url)
    try:
        with engine.begin() as conn:
            # Reflect rather than use Base.metadata: tables of every feature module and Alembic's own.
            tables = MetaData()
            tables.reflect(conn)
            tables.drop_all(conn)
    finally:
        engine.dispose()
