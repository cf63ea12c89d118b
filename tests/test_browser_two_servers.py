"""Browser test of several servers (issue 19): two `streamlit run` servers on one PostgreSQL serve one workshop.

Servers A and B share nothing but the database, a fresh one per run. The facilitator creates the workshop
on A; Ana joins on A and Ben on B, and they answer differently. The facilitator's board on A shows both
and their disagreement, and the same private link opened on B shows the same board. Revealing the answers
on A reaches Ben on B. The facilitator then overrides one answer, closes the workshop and makes the
assessment on B; A shows the workshop closed (to Ana too) and the assessment with its provenance, and the
database holds each answer once. Run with ``pytest -m browser``; needs PLANNER_TEST_PG_URL (.ci/run sets
it), and a screenshot goes to test-artifacts/.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, make_url, text

from planner import store
from planner.store import workshops as workshop_store
from planner.store.settings import normalize_database_url
from tests.conftest import (
    ARTIFACTS,
    CHROMIUM_ARGS,
    POSTGRES_URL_ENV,
    ROOT,
    UI_TIMEOUT_MS,
    _free_port,
    _wait_until_healthy,
    settle,
)
from tests.test_browser import nav
from tests.test_browser_workshop import VIEWPORT, join, open_page, record_consensus

SERVERS = 2
STOP_TIMEOUT_S = 10  # a terminated server that has not exited by then is killed
LIVE_UPDATE_MS = 15_000  # the boards and the room's answers refresh every few seconds
PROJECT = "Two servers"
NOTE = "Both clusters moved to Kubernetes last month"
ANA = {"Containers and orchestration": 1, "Incident response and on-call": 2}  # answered on server A
BEN = {"Containers and orchestration": 4, "Incident response and on-call": 2}  # answered on server B

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    """A new database on PLANNER_TEST_PG_URL's server, named per run: reruns and parallel workers never share it."""
    url = os.environ.get(POSTGRES_URL_ENV)
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{POSTGRES_URL_ENV} is not set: .ci/run must start PostgreSQL for the two-server test")
        pytest.skip(f"{POSTGRES_URL_ENV} is not set (.ci/run starts a PostgreSQL server and sets it)")
    parsed = make_url(normalize_database_url(url))
    name = f"{parsed.database}_servers_{uuid.uuid4().hex[:12]}"
    admin = create_engine(parsed, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield parsed.set(database=name).render_as_string(hide_password=False)
        store.dispose_engines()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))  # PostgreSQL 13+
    finally:
        admin.dispose()


@contextmanager
def serve_together(database_url: str, count: int, logs: Path) -> Iterator[list[str]]:
    """``count`` servers of the app on one DATABASE_URL, started at once on free ports; stopped on exit.

    Each server writes its output to ``logs/server-<n>.log``, to read when the test fails.
    """
    env = {**os.environ, "DATABASE_URL": database_url}
    started: list[tuple[str, subprocess.Popen[bytes]]] = []
    ports: set[int] = set()
    try:
        for n in range(count):
            port = _free_port()
            while port in ports:  # the OS may hand out a just-closed port again
                port = _free_port()
            ports.add(port)
            command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
                       "--server.address", "127.0.0.1", "--server.headless", "true",
                       "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
            with (logs / f"server-{n}.log").open("wb") as log:
                server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
            started.append((f"http://127.0.0.1:{port}", server))
        for url, server in started:
            _wait_until_healthy(url, server)
        yield [url for url, _ in started]
    finally:
        for _, server in started:
            server.terminate()
        for _, server in started:
            try:
                server.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=STOP_TIMEOUT_S)


@pytest.fixture(scope="module")
def servers(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[str]]:
    """Servers A and B on the same fresh PostgreSQL database."""
    with serve_together(database_url, SERVERS, tmp_path_factory.mktemp("servers")) as urls:
        yield urls


@pytest.fixture
def browser(chromium_path: Path) -> Iterator[Any]:
    """One Chromium; each person and server gets a separate context (own cookies, own Streamlit session)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    sync_api.expect.set_options(timeout=UI_TIMEOUT_MS)
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(chromium_path), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def first_use(browser: Any, server_a: str, server_b: str) -> Any:
    """The facilitator's tab on A's Workshop page, opened together with B's (empty) Saved assessments.

    The new database is migrated on its first use: B's first page is asked for while A's first run may
    still be going, so B either waits on A's migration lock or finds the tables made; either way B then
    serves a database another server set up.
    """
    from playwright.sync_api import expect

    tabs = []
    for url in (f"{server_a}/workshop", f"{server_b}/saved"):
        tab = browser.new_context(viewport=VIEWPORT).new_page()
        tab.set_default_timeout(UI_TIMEOUT_MS)
        tab.goto(url)
        tabs.append(tab)
    for tab in tabs:
        settle(tab)
    expect(tabs[1].get_by_text("Nothing saved yet")).to_be_visible()
    tabs[1].context.close()
    return tabs[0]


def create_workshop(host: Any) -> tuple[str, str]:
    """The facilitator creates a workshop of PROJECT on their Workshop page: the join code and the token."""
    from playwright.sync_api import expect

    expect(host.get_by_role("heading", name="Workshop", exact=True)).to_be_visible()
    project = host.get_by_role("combobox", name="Project")
    project.click()
    project.fill(PROJECT)
    project.press("Enter")
    settle(host)
    host.get_by_role("button", name="Create workshop").click()
    settle(host)
    expect(host).to_have_url(re.compile(r"token="))
    token = host.url.rsplit("token=", 1)[1]
    code = host.locator('[data-testid="stMetricValue"]').first.inner_text().strip()
    assert len(code) == 11 and code[5] == "-"
    return code, token


def expect_board(host: Any, code: str) -> None:
    """A facilitator's board shows the join code, both participants, their answers and the disagreement."""
    from playwright.sync_api import expect

    expect(host.locator('[data-testid="stMetricValue"]').first).to_have_text(code)
    expect(host.get_by_text("2 joined · 2 answered")).to_be_visible(timeout=LIVE_UPDATE_MS)
    expect(host.get_by_text("Containers and orchestration: answers range from 1 to 4")).to_be_visible()
    expect(host.get_by_text("Ana answered 1")).to_be_visible()
    expect(host.get_by_text("Ben answered 4")).to_be_visible()
    expect(host.locator('[data-testid="stVegaLiteChart"]')).to_have_count(1)


def expect_saved_from_workshop(browser: Any, server: str, host: Any, code: str, assessment_id: int) -> None:
    """On the other server: the facilitator's tab shows the workshop closed, Saved assessments its assessment."""
    from playwright.sync_api import expect

    host.reload()
    settle(host)
    expect(host.get_by_text("workshop closed since")).to_be_visible()
    expect(host.get_by_text(f"This workshop created assessment #{assessment_id}")).to_be_visible()
    saved = open_page(browser, server)  # from Home, as the sidebar names pages only there (not after a deep link)
    nav(saved, "Saved assessments")
    expect(saved.get_by_text(re.compile(rf"From workshop {code} \(closed .*, 2 participants\)"))).to_be_visible()
    saved.get_by_text(f"Individual answers behind assessment #{assessment_id}").click()
    expect(saved.get_by_text("The facilitator's choices")).to_be_visible()
    expect(saved.get_by_text(f"Containers and orchestration: 3 instead of the median 1. {NOTE}")).to_be_visible()
    expect(saved.get_by_text("Each participant's answers")).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    saved.screenshot(path=str(ARTIFACTS / "two-servers-saved.png"), full_page=True, animations="disabled")


def check_database(database_url: str, code: str, assessment_id: int) -> None:
    """What both servers wrote, read back directly: one workshop, each answer once, the consensus assessment."""
    engine = store.create_store_engine(database_url)
    try:
        answers = workshop_store.workshop_answers(engine, assessment_id=assessment_id)
        assert {p.display_name: p.answers for p in answers} == {
            "Ana": {"containers": 1.0, "on_call": 2.0}, "Ben": {"containers": 4.0, "on_call": 2.0}}
        with engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT p.display_name, a.question_key, COUNT(*) FROM workshop_answers a "
                "JOIN workshop_participants p ON p.id = a.participant_id GROUP BY p.display_name, a.question_key"
            )).all()
            assert sorted(rows) == [("Ana", "containers", 1), ("Ana", "on_call", 1),
                                    ("Ben", "containers", 1), ("Ben", "on_call", 1)]
            workshops = conn.execute(text("SELECT join_code, assessment_id FROM workshops")).all()
            assert workshops == [(code.replace("-", ""), assessment_id)]
            assert conn.execute(text("SELECT COUNT(*) FROM workshop_overrides")).scalar_one() == 1
        assert [a.id for a in store.list_assessments(engine)] == [assessment_id]
        team = store.load_assessment(engine, assessment_id=assessment_id).assessment.team
        assert (team.containers, team.on_call) == (3, 2)  # the override; the median of 2 and 2
    finally:
        engine.dispose()


def test_two_servers_on_one_database_run_one_workshop(browser: Any, servers: list[str], database_url: str) -> None:
    from playwright.sync_api import expect

    server_a, server_b = servers
    host_a = first_use(browser, server_a, server_b)
    code, token = create_workshop(host_a)
    ana = join(browser, f"{server_a}/join?code={code}", "Ana", ANA)
    ben = join(browser, f"{server_b}/join?code={code}", "Ben", BEN)
    expect(ben.get_by_text("2 participant(s)")).to_be_visible()  # B counts the participant who joined on A

    expect_board(host_a, code)
    host_b = open_page(browser, f"{server_b}/workshop?token={token}")  # the private link, opened on B
    expect_board(host_b, code)

    host_a.get_by_text("Show participants the room's answers").click()  # revealed on A ...
    settle(host_a)
    expect(ben.get_by_role("heading", name="The room's answers")).to_be_visible()  # ... seen on B
    expect(ben.locator('[data-testid="stVegaLiteChart"]')).to_have_count(1, timeout=LIVE_UPDATE_MS)

    assessment_id = record_consensus(host_b, NOTE)
    ana.reload()  # closed on B, seen on A
    settle(ana)
    expect(ana.get_by_text("The facilitator has closed the workshop")).to_be_visible()
    expect(ana.get_by_role("button", name="Save my answers")).to_be_disabled()
    expect_saved_from_workshop(browser, server_a, host_a, code, assessment_id)
    check_database(database_url, code, assessment_id)
