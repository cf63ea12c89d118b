"""Browser test: every page of the navigation opens at 1280 and 1440 px without an exception, and nothing on it
runs past its box; a screenshot of each goes to test-artifacts/ (issue 15: look at every page before resolving)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import ARTIFACTS, settle
from tests.test_browser import chromium_page, nav
from tests.test_browser_layout import overflowing

pytestmark = pytest.mark.browser

PAGES = ("Home", "Assess", "Results", "History", "Saved assessments", "Members and log", "Prices",
         "Serving calculator", "Workshop", "Join a workshop")


@pytest.mark.parametrize("width", [1280, 1440])
def test_every_page_opens_and_fits(chromium_path: Path, server_url: str, width: int) -> None:
    from playwright.sync_api import Page

    ARTIFACTS.mkdir(exist_ok=True)
    with chromium_page(chromium_path, server_url, viewport={"width": width, "height": 1000},
                       timeout_ms=120_000) as page:
        assert isinstance(page, Page)
        settle(page)
        for name in PAGES:
            nav(page, name)
            settle(page)
            assert page.locator('[data-testid="stException"]').count() == 0, name
            page.screenshot(path=str(ARTIFACTS / f"page-{name.lower().replace(' ', '-')}-{width}.png"))
            cut = overflowing(page)
            assert not cut, (name, cut)
