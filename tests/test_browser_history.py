"""Browser test: the History page's "Why the numbers changed" in Chromium at 1280 and 1440 px.

A project with saved assessments (the newer ones with cheaper GPUs and more traffic): explain a
change, see a line per re-evaluation while it runs, and check that each architecture's waterfall
has bars of visible length and thickness for every cause that moved the cost, that every label
shows and that no two pieces of text in a chart overprint. Screenshots go to test-artifacts/.
Run with ``pytest -m browser``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from planner import store
from planner.inputs.catalog import load_instances
from planner.inputs.models import Architecture
from tests.conftest import ARTIFACTS, serve_app, settle
from tests.test_app_history import blank, seed
from tests.test_browser import chromium_page, nav

EXPLAIN_TIMEOUT_MS = 180_000  # re-evaluating four mixtures on a busy two-core machine
TIMELINE_CHARTS = 4  # recommendation, scores, monthly cost, readiness
BEFORE_WATERFALLS = TIMELINE_CHARTS + 1  # and what each assessment did to the improvement items
MIN_BAR_PX = 2  # a bar shorter than this reads as a line
MIN_BAR_THICKNESS_PX = 12  # a row's bar at least this thick (the old chart's collapsed to 1 px)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app on a database with three assessments of "Chat": #2 and #3 pay half the GPU price for more traffic.

    Each test explains its own pair (the app keeps an explained pair for the life of the server): the
    width checks #1 against #2, the progress #1 against #3.
    """
    database = tmp_path_factory.mktemp("history-db") / "planner.db"
    url = f"sqlite:///{database.as_posix()}"
    cheaper = [r.model_copy(update={"on_demand_usd_h": round(r.on_demand_usd_h * 0.5, 4)}) for r in load_instances()]
    seed(url, blank("Chat"), estimate=True)
    for label, mean in (("cheaper GPUs", 5.0), ("more traffic", 8.0)):
        busier = blank("Chat", mean_requests_per_s=mean, peak_requests_per_s=30.0)
        seed(url, busier.model_copy(update={"label": label}), prices=cheaper, estimate=True)
    store.dispose_engines()
    with serve_app(database) as served:
        yield served


PICK_TRIES, PICK_TIMEOUT_MS = 4, 15_000


def pick_pair(page: object, old: int, new: int) -> None:
    """Choose the older and the newer assessment to compare by their ids."""
    from playwright.sync_api import Page
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    assert isinstance(page, Page)
    for name, assessment in (("Older", old), ("Newer", new)):
        combobox = page.get_by_role("combobox", name=name)
        combobox.evaluate("e => e.scrollIntoView({block: 'center'})")  # room below for its list
        for attempt in range(PICK_TRIES):  # a list re-drawn by a late rerun detaches its options: open it again
            combobox.click()
            try:
                page.get_by_role("option", name=re.compile(rf"^#{assessment} ")).click(timeout=PICK_TIMEOUT_MS)
                break
            except PlaywrightTimeout:
                if attempt == PICK_TRIES - 1:
                    raise
                page.keyboard.press("Escape")
                settle(page)
        settle(page)


# Boxes (x, y, width, height in CSS px) of one chart's SVG: its texts (with their opacity, as Vega hides an
# overlapping axis label by making it transparent), its bars and the dollar labels beside them.
CHART_BOXES_JS = """svg => {
  const box = e => { const r = e.getBoundingClientRect(); return [r.x, r.y, r.width, r.height]; };
  const texts = [...svg.querySelectorAll('text')].filter(t => t.textContent.trim())
    .map(t => ({text: t.textContent, box: box(t), opacity: parseFloat(t.getAttribute('opacity') ?? '1'),
                axis: t.closest('.role-axis-label') !== null}));
  return {texts, bars: [...svg.querySelectorAll('.role-mark.mark-rect path')].map(box),
          labels: [...svg.querySelectorAll('.role-mark.mark-text text')].map(t => t.textContent)};
}"""


def overlaps(a: list[float], b: list[float]) -> bool:
    """Whether two boxes (x, y, width, height) share more than a pixel's sliver."""
    return min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]) > 1 and min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]) > 1


def check_waterfall(found: dict[str, list], width: int, index: int) -> None:
    """Every bar of a cause that moved the cost has length and thickness; every text shows; none overprint."""
    labels, bars = found["labels"], found["bars"]
    assert len(bars) == len(labels) == 2 + 4, found  # older, prices, workload, team, other, newer
    moved = [bar for bar, label in zip(bars, labels, strict=True) if label != "$0"]
    assert len(moved) >= 4, labels  # both totals, prices and traffic at least
    assert all(bar[2] >= MIN_BAR_PX and bar[3] >= MIN_BAR_THICKNESS_PX for bar in moved), (width, index, moved)
    texts = found["texts"]
    hidden = [t["text"] for t in texts if t["opacity"] < 1]
    assert not hidden, f"labels hidden for lack of room at {width} px: {hidden}"
    for i, a in enumerate(texts):
        for b in texts[i + 1:]:
            assert not overlaps(a["box"], b["box"]), f"{a['text']!r} overprints {b['text']!r} at {width} px"


def test_explaining_shows_a_line_per_re_evaluation(chromium_path: Path, server_url: str) -> None:
    from playwright.sync_api import expect

    with chromium_page(chromium_path, server_url, viewport={"width": 1280, "height": 900},
                       timeout_ms=EXPLAIN_TIMEOUT_MS) as page:
        settle(page)
        nav(page, "History")
        pick_pair(page, 1, 3)
        page.get_by_role("button", name="Explain the change").click()
        status = page.locator('[data-testid="stExpander"]').filter(has_text="of 4:")
        expect(status.get_by_text(re.compile(r"\b1 of 4: "))).to_be_visible()
        ARTIFACTS.mkdir(exist_ok=True)
        status.screenshot(path=str(ARTIFACTS / "browser-history-progress.png"))
        settle(page)
        expect(page.get_by_text("Explained the change in")).to_be_visible()


@pytest.mark.parametrize("width", [1280, 1440])
def test_explained_change_reads_at_common_widths(chromium_path: Path, server_url: str, width: int) -> None:
    from playwright.sync_api import expect

    with chromium_page(chromium_path, server_url, viewport={"width": width, "height": 900},
                       timeout_ms=EXPLAIN_TIMEOUT_MS) as page:
        settle(page)
        nav(page, "History")
        pick_pair(page, 1, 2)
        page.get_by_role("button", name="Explain the change").click()
        settle(page)
        charts = page.locator('[data-testid="stVegaLiteChart"]')
        expect(charts).to_have_count(BEFORE_WATERFALLS + len(Architecture))
        for index in range(len(Architecture)):
            chart = charts.nth(BEFORE_WATERFALLS + index)
            chart.scroll_into_view_if_needed()
            expect(chart.locator("svg.marks")).to_be_visible()
            check_waterfall(chart.locator("svg.marks").evaluate(CHART_BOXES_JS), width, index)
        charts.nth(BEFORE_WATERFALLS).scroll_into_view_if_needed()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"browser-history-{width}.png"))
        charts.last.screenshot(path=str(ARTIFACTS / f"browser-history-{width}-microservices.png"))
