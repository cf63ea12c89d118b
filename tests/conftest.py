"""Shared fixtures: a throw-away database for every app test, and a fresh AppTest of the app."""

from __future__ import annotations

import functools
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from sqlalchemy import MetaData, create_engine, make_url, text
from streamlit.testing.v1 import AppTest

from planner import store
from planner.store.settings import normalize_database_url
from ui.sections import KEY_PREFIX
from ui.tables import TABLE_CLASS

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_URL_ENV = "PLANNER_TEST_PG_URL"  # an empty PostgreSQL database the tests may wipe
APP_TIMEOUT_S = 30  # first runs import pandas/altair and migrate a new SQLite file
CHROMIUM = Path("/usr/bin/chromium")  # Debian's chromium package, for the browser tests
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
ARTIFACTS = ROOT / "test-artifacts"  # screenshots of the browser tests (git-ignored)
SERVER_START_TIMEOUT_S = 60
UI_TIMEOUT_MS = 30_000  # a cold first run imports pandas and altair and migrates the database

# `streamlit run app.py` puts the app's folder on sys.path, which makes the `ui` package importable;
# do the same for the tests that import it directly.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


class _TableReader(HTMLParser):
    """The static tables (``ui.tables.table_html``) in one ``st.html`` body: each a header and rows of cell text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[list[list[str]]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table" and ("class", TABLE_CLASS) in attrs:
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th") and self.tables:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def tables_in_html(body: str) -> list[pd.DataFrame]:
    """The static tables of an HTML text, each cell's text as the browser shows it."""
    reader = _TableReader()
    reader.feed(body)
    return [pd.DataFrame(rows[1:], columns=rows[0]) for rows in reader.tables if rows]


def tables_shown(at: AppTest) -> list[pd.DataFrame]:
    """Every static table (``ui.tables.show_table``) of an AppTest run, in page order, its cells as the browser
    shows them (text)."""
    return [table for element in at.get("html") for table in tables_in_html(element.proto.body)]


def pytest_configure(config: pytest.Config) -> None:
    """The suite runs its own processes side by side (pytest-xdist), so an evaluation in a test (and in the servers
    and commands it starts) estimates its architectures one after another in its own process;
    tests/test_parallel.py checks that worker processes give the same numbers. Not at import: the benchmarks
    import this module and measure the app as it runs."""
    os.environ.setdefault("PLANNER_SIMULATION_WORKERS", "1")


def open_sections(at: AppTest) -> AppTest:
    """Open every section of the page (``ui.sections``: built only while open) and run again, as a user who
    opens them all; the sections a run opens reveal (none today) stay as they were."""
    state = at.session_state._state  # AppTest's wrapper lists no keys; the state it wraps does
    for key in list(state.filtered_state):
        if key.startswith(KEY_PREFIX):
            at.session_state[key] = True
    return at.run()


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
    # Follow Home's button rather than at.switch_page(), which would pin every later run to Assess.
    at.button(key="home.assess").click().run()
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
    url = worker_database(url)
    drop_everything(url)
    yield url
    store.dispose_engines()
    drop_everything(url)


@functools.cache
def worker_database(url: str) -> str:
    """The database of this pytest-xdist worker: ``<name>_gw0``, ... next to PLANNER_TEST_PG_URL's, created once.

    Workers run different test files at the same time; on one shared database one file's wipe would
    drop the tables another file is using.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    parsed = make_url(normalize_database_url(url))
    name = f"{parsed.database}_{worker}"
    admin = create_engine(parsed, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            if conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first() is None:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return parsed.set(database=name).render_as_string(hide_password=False)


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


# Browser tests (tests/test_browser*.py): a `streamlit run` server per test module and the system Chromium.


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _wait_until_healthy(url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"streamlit exited with code {server.returncode} before it served {url}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"streamlit did not answer at {url} within {SERVER_START_TIMEOUT_S} s")


@pytest.fixture(scope="module")
def chromium_path() -> Path:
    """The system Chromium; missing is a failure on CI and a skip on a developer machine."""
    if not CHROMIUM.exists():
        reason = f"browser tests need Chromium at {CHROMIUM} (Debian package 'chromium')"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return CHROMIUM


@contextmanager
def serve_app(database: Path, *options: str) -> Iterator[str]:
    """The app served by `streamlit run` on a free port on the SQLite file ``database``, with more Streamlit
    ``options`` (e.g. ``--secrets.files PATH``); killed on exit."""
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database.as_posix()}"}
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
               "--server.address", "127.0.0.1", "--server.headless", "true",
               "--browser.gatherUsageStats", "false",
               "--server.fileWatcherType", "none",  # edits to the working tree must not rerun the pages
               *options]
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(url, server)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app served by `streamlit run` on a free port with its own database; killed after the module."""
    with serve_app(tmp_path_factory.mktemp("browser-db") / "planner.db") as url:
        yield url


def settle(page: object) -> None:
    """Wait until Streamlit has finished the current script run and shows no exception."""
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    page.wait_for_timeout(300)  # let a triggered rerun start before waiting for it to end
    expect(page.locator('[data-testid="stApp"]')).to_have_attribute("data-test-script-state", "notRunning")
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)
