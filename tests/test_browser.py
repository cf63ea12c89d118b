"""Browser test: the real app under `streamlit run`, driven in Chromium through Playwright.

One journey a tech lead takes: start from the content-generation startup preset, change an answer,
get the recommendation (a monolith), save it, find it under Saved assessments, reopen it and see the
answers back. No page may show a Streamlit exception. Run with ``pytest -m browser``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import ARTIFACTS, CHROMIUM_ARGS, UI_TIMEOUT_MS, settle

VIEWPORT = {"width": 1400, "height": 2400}

pytestmark = pytest.mark.browser


@contextmanager
def chromium_page(chromium_path: Path, server_url: str, *, viewport: dict[str, int], timeout_ms: int,
                  **options: object) -> Iterator[object]:
    """A fresh Chromium page (a new Streamlit session) on the app's default page; options go to new_page."""
    sync_api = pytest.importorskip("playwright.sync_api")
    sync_api.expect.set_options(timeout=timeout_ms)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium_path), args=CHROMIUM_ARGS)
        try:
            tab = browser.new_page(viewport=viewport, **options)
            tab.set_default_timeout(max(UI_TIMEOUT_MS, timeout_ms))
            tab.goto(server_url)
            yield tab
        finally:
            browser.close()


@pytest.fixture
def page(chromium_path: Path, server_url: str) -> Iterator[object]:
    """A fresh Chromium page (a new Streamlit session) on the app's default page."""
    with chromium_page(chromium_path, server_url, viewport=VIEWPORT, timeout_ms=UI_TIMEOUT_MS) as tab:
        yield tab


def load_preset(page: object, title: str) -> None:
    """Pick a preset on the Assess page and load it."""
    from playwright.sync_api import Page

    assert isinstance(page, Page)
    page.get_by_role("combobox", name="Preset").click()
    page.get_by_role("option", name=title).click()
    settle(page)
    page.get_by_role("button", name="Load preset").click()
    settle(page)


def nav(page: object, name: str) -> None:
    """Follow a sidebar link, as a user switches pages (a URL change would start a new session)."""
    from playwright.sync_api import Page

    assert isinstance(page, Page)
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=name, exact=True).click()
    settle(page)


def test_startup_journey_recommend_save_reopen(page: object) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    expect(page.get_by_role("heading", name="GenAI Architecture Planner")).to_be_visible()  # Home, the default
    nav(page, "Assess")
    expect(page.get_by_role("heading", name="Assess your generative-AI platform")).to_be_visible()
    expect(page.locator('[data-testid="stRadio"]')).to_have_count(7)  # six readiness levels, where inference runs
    settle(page)

    load_preset(page, "Content-generation startup")
    expect(page.get_by_text("Loaded the preset “Content-generation startup”")).to_be_visible()
    expect(page.get_by_label("Project name", exact=True)).to_have_value("Content-generation startup")

    mean = page.get_by_label("Mean traffic (requests/s)", exact=True)
    mean.fill("0.75")
    mean.press("Enter")
    settle(page)
    label = page.get_by_label("Label", exact=True)
    label.fill("Browser run")
    label.press("Enter")
    settle(page)

    page.get_by_role("button", name="Get recommendation").click()
    settle(page)
    expect(page.get_by_role("heading", name="Recommendation", exact=True)).to_be_visible()
    expect(page.locator('[data-testid="stMetricValue"]').first).to_have_text("Monolith")
    # cost, latency, build or buy (the startup compares an API), resilience, contributions
    expect(page.locator('[data-testid="stVegaLiteChart"]')).to_have_count(5)
    expect(page.get_by_text("Estimates at peak and per month")).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "browser-results.png"), full_page=True)

    page.get_by_role("button", name="Save assessment").click()
    settle(page)
    expect(page.get_by_text("Saved as assessment #1")).to_be_visible()

    nav(page, "Assess")
    settle(page)
    load_preset(page, "Blank start")
    expect(page.get_by_label("Mean traffic (requests/s)", exact=True)).to_have_value("5.0")

    nav(page, "Saved assessments")
    settle(page)
    expect(page.get_by_role("heading", name="Saved assessments", exact=True)).to_be_visible()
    page.get_by_role("button", name="Open on the Assess page").click()
    settle(page)
    expect(page.get_by_text("Reopened saved assessment #1")).to_be_visible()
    expect(page.get_by_label("Project name", exact=True)).to_have_value("Content-generation startup")
    expect(page.get_by_label("Label", exact=True)).to_have_value("Browser run")
    expect(page.get_by_label("Mean traffic (requests/s)", exact=True)).to_have_value("0.75")
    expect(page.get_by_label("Engineers on the product", exact=True)).to_have_value("4")
