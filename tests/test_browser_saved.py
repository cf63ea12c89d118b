"""Browser test at 1280 px: Home with a fired and an acknowledged trigger; Saved with delete, undo and saved results.

The app runs under `streamlit run` on a database seeded before it starts; screenshots go to test-artifacts/
(browser-home-1280.png, browser-saved-confirm-1280.png, browser-saved-1280.png, browser-saved-result-1280.png).
Run with ``pytest -m browser``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from planner import history, store
from planner.decide.results import RevisitTrigger
from planner.decide.scoring import recommend
from planner.estimate.engine import evaluate
from planner.inputs.files import load_presets
from planner.inputs.models import Assessment
from tests.conftest import ARTIFACTS, ROOT, _free_port, _wait_until_healthy, settle
from tests.test_browser import chromium_page, nav

VIEWPORT = {"width": 1280, "height": 1800}
TIMEOUT_MS = 60_000

pytestmark = pytest.mark.browser


def blank(project: str, label: str, **workload: float) -> Assessment:
    base = load_presets()["blank"]
    return base.model_copy(update={"project": project, "label": label,
                                   "workload": base.workload.model_copy(update=workload)})


def seed(url: str) -> None:
    """Chat: a fired trigger; Support bot: an acknowledged one; Docs: one assessment saved with its estimates."""
    engine = store.get_engine(url)
    for project in ("Chat", "Support bot"):
        first = blank(project, "first")
        mean = RevisitTrigger(key="workload.mean_requests_per_s", op=">=", threshold=8,
                              text="Mean traffic ≥ 8 requests/s (now 5): re-size the fleet")
        rec = recommend(first)
        set_by = store.save_assessment(engine, assessment=first, results=history.results_document(rec, None),
                                       recommended=rec.top.value, app_version="0.1.0", triggers=[*rec.triggers, mean])
        busier = blank(project, "launch week", mean_requests_per_s=10, peak_requests_per_s=25)
        history.save_evaluated(engine, busier, recommend(busier), None)
        if project == "Support bot":
            store.acknowledge_trigger(engine, assessment_id=set_by, trigger=mean, value=10, by="Ana",
                                      note="Launch week only; traffic falls back next Monday.")
    docs = blank("Docs", "baseline")
    evaluation = evaluate(docs)
    history.save_evaluated(engine, docs, recommend(docs, evaluation), evaluation)
    store.dispose_engines()


@pytest.fixture(scope="module")
def seeded_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app served on a free port with a database seeded before the server starts."""
    database = tmp_path_factory.mktemp("browser-saved-db") / "planner.db"
    url = f"sqlite:///{database.as_posix()}"
    seed(url)
    port = _free_port()
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
               "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
               "--server.fileWatcherType", "none"]
    server = subprocess.Popen(command, cwd=ROOT, env={**os.environ, "DATABASE_URL": url},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    address = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(address, server)
        yield address
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_home_shows_alarms_and_acknowledged_triggers(chromium_path: Path, seeded_url: str) -> None:
    from playwright.sync_api import Page, expect

    with chromium_page(chromium_path, seeded_url, viewport=VIEWPORT, timeout_ms=TIMEOUT_MS) as page:
        assert isinstance(page, Page)
        settle(page)
        expect(page.get_by_text("a re-assessment trigger fired on its latest inputs")).to_have_count(1)
        page.get_by_text("Acknowledged triggers (1)").click()
        expect(page.get_by_text("Launch week only; traffic falls back next Monday.")).to_be_visible()
        expect(page.get_by_text("by Ana:", exact=False)).to_be_visible()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "browser-home-1280.png"), full_page=True)


def test_saved_deletes_with_confirmation_undoes_and_opens_saved_results(chromium_path: Path, seeded_url: str) -> None:
    from playwright.sync_api import Page, expect

    with chromium_page(chromium_path, seeded_url, viewport=VIEWPORT, timeout_ms=TIMEOUT_MS) as page:
        assert isinstance(page, Page)
        settle(page)
        nav(page, "Saved assessments")
        page.get_by_role("button", name="Delete…").click()
        settle(page)
        confirm = page.locator('[data-testid="stDialog"]')  # ui/confirm.py asks in a dialog
        expect(confirm.get_by_text("It leaves the lists, its project's history and comparisons.")).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / "browser-saved-confirm-1280.png"), full_page=True)
        confirm.get_by_role("button", name="Delete", exact=True).click()
        settle(page)
        expect(confirm).to_be_hidden()
        expect(page.get_by_text("Deleted assessment #5.")).to_be_visible()
        expect(page.get_by_text("Archived assessments (1)")).to_be_visible()
        page.get_by_role("button", name="Undo").click()
        settle(page)
        expect(page.get_by_text("Restored assessment #5.")).to_be_visible()
        expect(page.get_by_text("Archived assessments (0)")).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / "browser-saved-1280.png"), full_page=True)

        page.get_by_role("button", name="Open its results").click()
        settle(page)
        expect(page.get_by_role("heading", name="Saved assessment")).to_be_visible()
        expect(page.get_by_text("The results as saved: nothing was computed again.")).to_be_visible()
        expect(page.get_by_role("heading", name="Estimates at peak and per month")).to_be_visible()
        expect(page.locator('[data-testid="stVegaLiteChart"]')).to_have_count(4)  # cost, latency, resilience, why
        expect(page.locator("table.planner-table").first).to_contain_text("Monolith")
        page.wait_for_timeout(2_500)  # let the charts draw before the screenshot
        page.screenshot(path=str(ARTIFACTS / "browser-saved-result-1280.png"), full_page=True)
