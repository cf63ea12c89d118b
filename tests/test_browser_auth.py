"""Browser test of sign-in through a real server (app.py's router, which AppTest's switch_page bypasses): with an
``[auth]`` section configured and nobody signed in, every page and every shareable link shows the sign-in prompt and
no project data, while the workshop join page stays open to participants without an account."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from planner import store
from planner.store import LOCAL
from tests.conftest import ARTIFACTS, serve_app, settle
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
