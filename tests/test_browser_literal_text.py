"""Browser test: a project name made of Markdown and HTML shows as typed in Chromium, and fetches nothing.

The name is planted through the Home page's create form, then used for an assessment that is saved
with today's revisit date, so it shows on Home (the notice and "Needs attention") and on Results (the
caption and the "Saved as" notice). No request may go to the planted image's host, no dialog may open
and no <img> may carry the planted source. Run with ``pytest -m browser``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.conftest import ARTIFACTS, UI_TIMEOUT_MS, settle
from tests.test_browser import chromium_page, nav
from ui.text import JOINER

HOSTILE = "![x](http://127.0.0.1:9/p.png) **b** [l](javascript:alert(1)) <img src=x onerror=alert(1)>"
PLANTED_HOST = "127.0.0.1:9"
VIEWPORT = {"width": 1280, "height": 2000}

pytestmark = pytest.mark.browser


@pytest.fixture
def watched(chromium_path: Path, server_url: str) -> Iterator[tuple[object, list[str], list[str]]]:
    """A page with every request URL and every dialog message it sees recorded."""
    with chromium_page(chromium_path, server_url, viewport=VIEWPORT, timeout_ms=UI_TIMEOUT_MS) as page:
        requests: list[str] = []
        dialogs: list[str] = []
        page.on("request", lambda request: requests.append(request.url))  # type: ignore[attr-defined]

        def on_dialog(dialog: object) -> None:
            dialogs.append(dialog.message)  # type: ignore[attr-defined]
            dialog.dismiss()  # type: ignore[attr-defined]

        page.on("dialog", on_dialog)  # type: ignore[attr-defined]
        yield page, requests, dialogs


def assert_shown_literally(page: object, requests: list[str], dialogs: list[str]) -> None:
    from playwright.sync_api import Page

    assert isinstance(page, Page)
    shown = page.locator('[data-testid="stMain"]').inner_text().replace(JOINER, "")
    assert HOSTILE in shown
    assert page.locator('img[src*="127.0.0.1"], img[src="x"]').count() == 0
    assert page.locator('a[href^="javascript"]').count() == 0
    assert not [url for url in requests if PLANTED_HOST in url]
    assert not dialogs


def test_a_planted_name_shows_as_typed_and_fetches_nothing(watched: tuple[object, list[str], list[str]]) -> None:
    from playwright.sync_api import Page, expect

    page, requests, dialogs = watched
    assert isinstance(page, Page)
    settle(page)
    page.get_by_text("Create a project").click()
    page.get_by_label("Project name", exact=True).fill(HOSTILE)
    page.get_by_role("button", name="Create project").click()
    settle(page)
    expect(page.get_by_text("Created the project")).to_be_visible()
    assert_shown_literally(page, requests, dialogs)

    nav(page, "Assess")
    name = page.get_by_label("Project name", exact=True)
    name.fill(HOSTILE)
    name.press("Enter")
    settle(page)
    page.get_by_role("button", name="Get recommendation").click()
    settle(page)
    expect(page.get_by_role("heading", name="Recommendation", exact=True)).to_be_visible()
    # Revisit by today, so that Home lists the project as due: type into the date field's segments.
    page.get_by_label("Revisit by", exact=True).locator('[role="spinbutton"]').first.click()
    page.keyboard.type(datetime.now(UTC).date().strftime("%Y%m%d"))
    page.keyboard.press("Tab")
    settle(page)
    page.get_by_role("button", name="Save assessment").click()
    settle(page)
    expect(page.get_by_text("Saved as assessment #1")).to_be_visible()
    assert_shown_literally(page, requests, dialogs)
    ARTIFACTS.mkdir(exist_ok=True)
    page.get_by_role("heading", name="Recommendation", exact=True).scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "browser-literal-results.png"), full_page=True)

    nav(page, "Home")
    expect(page.get_by_text("is due: revisit by")).to_be_visible()  # the Needs attention card
    assert_shown_literally(page, requests, dialogs)
    page.screenshot(path=str(ARTIFACTS / "browser-literal-home.png"), full_page=True)
