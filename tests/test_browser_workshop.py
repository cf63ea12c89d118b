"""Browser test of workshop mode: a facilitator and two participants, each in their own browser context.

The facilitator creates a workshop, two participants join through the join link (the code is filled in)
and answer; the facilitator sees the disagreement live, overrides one answer with a note, reveals the
answers, closes the workshop and turns the consensus into the project's assessment. A participant then
finds the workshop closed. Run with ``pytest -m browser``; screenshots go to test-artifacts/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ARTIFACTS, CHROMIUM_ARGS, UI_TIMEOUT_MS, settle

VIEWPORT = {"width": 1400, "height": 1800}
LIVE_UPDATE_MS = 15_000  # the facilitator's board refreshes every few seconds
ASSESSMENT_TIMEOUT_MS = 120_000  # evaluating the consensus assessment on a busy two-core machine

pytestmark = pytest.mark.browser


@pytest.fixture
def browser(chromium_path: Path) -> Iterator[Any]:
    """One Chromium; each person gets a separate context (own cookies, own Streamlit session)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    sync_api.expect.set_options(timeout=UI_TIMEOUT_MS)
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(chromium_path), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def open_page(browser: Any, url: str) -> Any:
    tab = browser.new_context(viewport=VIEWPORT).new_page()
    tab.set_default_timeout(UI_TIMEOUT_MS)
    tab.goto(url)
    settle(tab)
    return tab


def join(browser: Any, join_link: str, name: str, levels: dict[str, int]) -> Any:
    """A participant opens the join link, joins under a name and answers some readiness questions."""
    from playwright.sync_api import expect

    tab = open_page(browser, join_link)
    expect(tab.get_by_label("Join code", exact=True)).to_have_value(join_link.rsplit("=", 1)[1])
    tab.get_by_label("Your name", exact=True).fill(name)
    tab.get_by_role("button", name="Join").click()
    settle(tab)
    expect(tab.get_by_text("Welcome,")).to_be_visible()
    for label, level in levels.items():
        group = tab.get_by_role("radiogroup", name=label)
        group.locator("label").nth(level).click()
    tab.get_by_role("button", name="Save my answers").click()
    settle(tab)
    expect(tab.get_by_text(f"Saved your {len(levels)} answer(s)")).to_be_visible()
    return tab


def test_two_participants_and_a_facilitator_reach_a_consensus_assessment(browser: Any, server_url: str) -> None:
    from playwright.sync_api import expect

    host = open_page(browser, server_url)  # the home page, then the sidebar, as a facilitator finds it
    host.locator('[data-testid="stSidebarNav"]').get_by_role("link", name="Workshop", exact=True).click()
    settle(host)
    expect(host.get_by_role("heading", name="Workshop", exact=True)).to_be_visible()
    project = host.get_by_role("combobox", name="Project")
    project.click()
    project.fill("Support bot")
    project.press("Enter")
    settle(host)
    host.get_by_role("button", name="Create workshop").click()
    settle(host)
    assert "token=" in host.url
    code = host.locator('[data-testid="stMetricValue"]').first.inner_text().strip()
    assert len(code) == 11 and code[5] == "-"
    join_link = f"{server_url}/join?code={code}"

    ana = join(browser, join_link, "Ana <b>", {"Containers and orchestration": 1, "Incident response and on-call": 2})
    ben = join(browser, join_link, "Ben", {"Containers and orchestration": 4, "Incident response and on-call": 2})
    expect(ana.get_by_text("The facilitator has not revealed")).to_be_visible()

    # The board refreshes by itself: both answers and the disagreement appear without a click.
    expect(host.get_by_text("2 joined · 2 answered")).to_be_visible(timeout=LIVE_UPDATE_MS)
    expect(host.get_by_text("Containers and orchestration: answers range from 1 to 4")).to_be_visible()
    expect(host.get_by_text("Ana <b> answered 1")).to_be_visible()  # the name shows as typed
    expect(host.locator('[data-testid="stVegaLiteChart"]')).to_have_count(1)

    host.get_by_text("Show participants the room's answers").click()
    settle(host)
    expect(ben.get_by_role("heading", name="The room's answers")).to_be_visible()
    expect(ben.locator('[data-testid="stVegaLiteChart"]')).to_have_count(1, timeout=LIVE_UPDATE_MS)

    assert record_consensus(host, "Production moved to Kubernetes last month") == 1
    expect(host.get_by_text("The individual answers stay with the workshop")).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    host.screenshot(path=str(ARTIFACTS / "workshop-facilitator.png"), full_page=True)

    ana.reload()
    settle(ana)
    expect(ana.get_by_text("The facilitator has closed the workshop")).to_be_visible()
    expect(ana.get_by_role("button", name="Save my answers")).to_be_disabled()
    ana.screenshot(path=str(ARTIFACTS / "workshop-participant.png"), full_page=True)

    host.get_by_role("button", name="See the recommendation").click()
    settle(host)
    expect(host.get_by_role("heading", name="Recommendation", exact=True)).to_be_visible()
    expect(host.get_by_text("Support bot")).to_be_visible()


def record_consensus(host: Any, note: str) -> int:
    """On a facilitator's tab: override containers to 3 with ``note``, close the workshop, make the assessment from
    the consensus (the content-generation preset's workload); the new assessment's id."""
    from playwright.sync_api import expect

    host.get_by_text("Live refresh").click()  # pause the board while editing the consensus
    settle(host)
    expect(host.get_by_text("live refresh paused")).to_be_visible()
    override = host.get_by_role("combobox", name="Containers and orchestration")
    override.click()
    override.fill("3 · Production")
    override.press("Enter")
    host.get_by_label("Why the room chose this (required with an override)").first.fill(note)
    host.get_by_role("button", name="Save the consensus").click()
    settle(host)
    expect(host.get_by_text("1 override(s)")).to_be_visible()
    host.get_by_role("button", name="Close the workshop").click()
    host.get_by_role("button", name="Close now").click()
    settle(host)
    expect(host.get_by_text("workshop closed since")).to_be_visible()
    preset = host.get_by_role("combobox", name="The project has no saved assessment yet")
    preset.click()
    preset.fill("Content-generation")
    preset.press("Enter")
    settle(host)
    host.get_by_role("button", name="Create the assessment from the consensus").click()
    saved = host.get_by_text(re.compile(r"Saved the consensus as assessment #\d+"))
    expect(saved).to_be_visible(timeout=ASSESSMENT_TIMEOUT_MS)
    settle(host)
    found = re.search(r"#(\d+)", saved.inner_text())
    assert found is not None
    return int(found.group(1))
