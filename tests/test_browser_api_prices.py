"""Browser test: the Prices page's Managed APIs tab at 1280 and 1440 px: its three API tables show every column
inside their box (no table scrolls sideways), nothing raises; a screenshot of each width goes to test-artifacts/."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import ARTIFACTS, settle
from tests.test_browser import chromium_page, nav

pytestmark = pytest.mark.browser

TAB = "Managed APIs"
TAB_TRIES = 10  # a tab that a rerun has just redrawn may ignore the first click
# Each visible data frame's scrolling width against its visible width (a glide grid scrolls in .dvn-scroller).
GRID_WIDTHS_JS = """() => [...document.querySelectorAll('[data-testid="stDataFrame"]')].filter(e => e.checkVisibility())
  .map(e => { const s = e.querySelector('.dvn-scroller');
              return {scroll: s.scrollWidth, client: s.clientWidth, text: e.innerText.slice(0, 40)}; })"""
GRIDS = 3  # prices, a million output tokens, rate limits / latency / SLA
GRIDS_READY_JS = """(n) => [...document.querySelectorAll('[data-testid="stDataFrame"]')]
  .filter(e => e.checkVisibility() && e.querySelector('.dvn-scroller')).length >= n"""


def open_tab(page: object, name: str) -> None:
    """Click a tab of the page until it is the selected one."""
    from playwright.sync_api import Page

    assert isinstance(page, Page)
    tab = page.locator('[data-testid="stTab"]', has_text=name).first
    for _ in range(TAB_TRIES):
        box = tab.bounding_box()
        assert box is not None
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.wait_for_timeout(300)
        if tab.get_attribute("aria-selected") == "true":
            settle(page)
            return
    raise AssertionError(f"the tab {name!r} could not be selected")


@pytest.mark.parametrize("width", [1280, 1440])
def test_the_api_tables_fit_the_page(chromium_path: Path, server_url: str, width: int) -> None:
    from playwright.sync_api import Page, expect

    ARTIFACTS.mkdir(exist_ok=True)
    with chromium_page(chromium_path, server_url, viewport={"width": width, "height": 1000},
                       timeout_ms=120_000) as page:
        assert isinstance(page, Page)
        settle(page)
        nav(page, "Prices")
        open_tab(page, TAB)
        expect(page.get_by_text("A million output tokens of this workload")).to_be_visible()
        assert page.locator('[data-testid="stException"]').count() == 0
        page.wait_for_function(GRIDS_READY_JS, arg=GRIDS)  # grids mount asynchronously on a busy machine
        grids = page.evaluate(GRID_WIDTHS_JS)
        page.screenshot(path=str(ARTIFACTS / f"prices-managed-apis-{width}.png"))
    assert len(grids) == GRIDS, grids
    assert all(g["scroll"] <= g["client"] for g in grids), grids
