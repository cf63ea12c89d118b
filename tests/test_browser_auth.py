"""Browser test of sign-in through a real server (app.py's router, which AppTest's switch_page bypasses): with an
``[auth]`` section configured and nobody signed in, every page and every shareable link shows the sign-in prompt and
no project data, while the workshop join page stays open to participants without an account."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from planner import store
from planner.store import LOCAL
from tests.conftest import ARTIFACTS, CHROMIUM_ARGS, serve_app, settle
from tests.test_app_history import blank, seed
from tests.test_browser import VIEWPORT, chromium_page

pytestmark = pytest.mark.browser

SECRET_PROJECT = "Secret roadmap"
SECRETS = """
[auth]
redirect_uri = "http://127.0.0.1:8501/oauth2callback"
cookie_secret = "browser-test-cookie-secret"
client_id = "planner"
client_secret = "not-used"
server_metadata_url = "http://127.0.0.1:9/.well-known/openid-configuration"
"""
LINKS = ("", "history?project=Secret%20roadmap", "saved-result?assessment=1", "project?project=Secret%20roadmap",
         "prices", "serving", "saved", "workshop")


@pytest.fixture(scope="module")
def signin_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server with sign-in configured (an identity provider that is never reached) and one saved project."""
    folder = tmp_path_factory.mktemp("signin")
    (folder / "secrets.toml").write_text(SECRETS, encoding="utf-8")
    database = folder / "planner.db"
    url = f"sqlite:///{database.as_posix()}"
    store.create_project(store.get_engine(url), name=SECRET_PROJECT, actor=LOCAL)
    seed(url, blank(SECRET_PROJECT))
    store.dispose_engines()
    with serve_app(database, "--secrets.files", str(folder / "secrets.toml")) as served:
        yield served


def test_every_page_and_link_asks_to_sign_in_and_shows_nothing(chromium_path: Path, signin_url: str) -> None:
    from playwright.sync_api import Page, expect

    with chromium_page(chromium_path, signin_url, viewport=VIEWPORT, timeout_ms=60_000) as page:
        assert isinstance(page, Page)
        for link in LINKS:
            page.goto(f"{signin_url}/{link}")
            settle(page)
            expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
            expect(page.get_by_role("button", name="Sign in")).to_be_visible()
            assert SECRET_PROJECT not in page.inner_text("body"), link
            if "?" in link:
                expect(page.get_by_text("open the same link again")).to_be_visible()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "sign-in-prompt.png"))


def test_the_join_page_needs_no_account(chromium_path: Path, signin_url: str) -> None:
    from playwright.sync_api import Page, expect

    with chromium_page(chromium_path, f"{signin_url}/join", viewport=VIEWPORT, timeout_ms=60_000) as page:
        assert isinstance(page, Page)
        settle(page)
        expect(page.get_by_role("heading", name="Sign in")).to_have_count(0)
        expect(page.get_by_role("heading", name="Join a workshop")).to_be_visible()


def _first_visit(chromium_path: Path, database: Path, link: str, *options: str) -> tuple[str, str, bool]:
    """A new server whose very first visitor opens ``link``: the sidebar's text, the page's text, and whether the
    sign-in prompt shows. (Streamlit runs such a page file alone until some session has called st.navigation.)"""
    from playwright.sync_api import sync_playwright

    with serve_app(database, *options) as served, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium_path), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport=VIEWPORT)
            page.set_default_timeout(60_000)
            page.goto(f"{served}/{link}")
            settle(page)
            prompt = page.get_by_role("heading", name="Sign in").count() > 0
            return page.locator('[data-testid="stSidebarNav"]').inner_text(), page.inner_text("body"), prompt
        finally:
            browser.close()


def test_a_link_opened_first_after_a_start_goes_through_the_navigation_and_the_sign_in(
        chromium_path: Path, tmp_path: Path) -> None:
    nav_text, _, prompt = _first_visit(chromium_path, tmp_path / "open.db", "serving")
    assert "Serving calculator" in nav_text and "saved result" not in nav_text and not prompt
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(SECRETS, encoding="utf-8")
    database = tmp_path / "closed.db"
    url = f"sqlite:///{database.as_posix()}"
    seed(url, blank(SECRET_PROJECT))
    store.dispose_engines()
    _, body, prompt = _first_visit(chromium_path, database, "saved", "--secrets.files", str(secrets))
    assert prompt and SECRET_PROJECT not in body
