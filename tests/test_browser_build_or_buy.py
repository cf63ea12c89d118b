"""Browser test: the build-or-buy chart on Results (issue 17) at 1280 and 1440 px.

The content-startup preset, compared with the Bedrock API, drawn by Chromium: the chart keeps its plot height, both
curves are drawn across it in their colours (the pixels of a screenshot say so, not only the SVG), the marks of the
traffic and the break-even stand inside the plot, their labels overprint neither each other nor a curve, and nothing
on the page runs past its box. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from planner.inputs.api_catalog import load_api_prices
from planner.present.charts import BUILD_BUY_CHART_HEIGHT_PX, SOURCING_COLORS
from tests.conftest import ARTIFACTS, settle
from tests.test_browser import chromium_page, load_preset, nav
from tests.test_browser_layout import overflowing
from ui.sourcing_form import api_choice_text

pytestmark = pytest.mark.browser

API = "bedrock-llama-3.1-8b"  # a break-even inside the chart for this preset (data/api_prices.csv)
COLOUR_TOLERANCE = 60  # summed RGB distance of an anti-aliased line pixel from its colour
MIN_LINE_PIXELS = 400  # a 2.5 px line across a 700 px plot paints well over this many
CURVE_SAMPLES = 300  # points along each curve checked against the labels

CHART_JS = """([samples]) => {
  const el = [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')]
    .find(c => c.textContent.includes('Your traffic'));
  const rect = e => { const r = e.getBoundingClientRect();
                      return {left: r.left, right: r.right, top: r.top, bottom: r.bottom}; };
  const points = p => { const m = p.getScreenCTM(), n = p.getTotalLength(), out = [];
    for (let i = 0; i <= samples; i++) { const q = p.getPointAtLength(n * i / samples);
      out.push([m.a * q.x + m.c * q.y + m.e, m.b * q.x + m.d * q.y + m.f]); }
    return out; };
  return {
    box: rect(el),
    frame: rect(el.querySelector('.role-frame.root path.background')),
    lines: [...el.querySelectorAll('.mark-line.role-mark path')].map(p => ({
      stroke: p.getAttribute('stroke'), length: p.getTotalLength(), points: points(p), ...rect(p)})),
    rules: [...el.querySelectorAll('.mark-rule.role-mark line')].map(rect),
    labels: [...el.querySelectorAll('.mark-text.role-mark text')].map(t => ({text: t.textContent, ...rect(t)})),
  };
}"""


def _inside(point: list[float], box: dict[str, float]) -> bool:
    return box["left"] <= point[0] <= box["right"] and box["top"] <= point[1] <= box["bottom"]


def _line_pixels(png: bytes, colour: str) -> int:
    from PIL import Image

    target = tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))
    image = Image.open(io.BytesIO(png)).convert("RGB")
    raw = image.tobytes()
    return sum(1 for pixel in zip(raw[0::3], raw[1::3], raw[2::3], strict=True)
               if sum(abs(a - b) for a, b in zip(pixel, target, strict=True)) <= COLOUR_TOLERANCE)


@pytest.mark.parametrize("width", [1280, 1440])
def test_the_build_or_buy_chart_draws_both_curves_and_fits(chromium_path: Path, server_url: str, width: int) -> None:
    from playwright.sync_api import Page, expect

    with chromium_page(chromium_path, server_url, viewport={"width": width, "height": 1000},
                       timeout_ms=180_000) as page:
        assert isinstance(page, Page)
        nav(page, "Assess")
        load_preset(page, "Content-generation startup")
        page.get_by_text("Compare self-hosted and API").click()
        settle(page)
        page.get_by_role("combobox", name="Managed API").click()
        page.get_by_role("option", name=api_choice_text(load_api_prices()[API]), exact=True).click()
        settle(page)
        page.get_by_role("button", name="Get recommendation").first.click()
        expect(page.get_by_role("heading", name="Build or buy inference")).to_be_visible()
        settle(page)
        for summary in page.locator('[data-testid="stExpander"] summary').all():  # every table laid out
            summary.click()
        settle(page)
        chart = page.locator('[data-testid="stVegaLiteChart"]').filter(has_text="Your traffic")
        chart.scroll_into_view_if_needed()
        page.wait_for_timeout(500)
        ARTIFACTS.mkdir(exist_ok=True)
        png = chart.screenshot(path=str(ARTIFACTS / f"build-or-buy-chart-{width}.png"))
        page.screenshot(path=str(ARTIFACTS / f"build-or-buy-{width}.png"))
        drawn = page.evaluate(CHART_JS, [CURVE_SAMPLES])
        cut = overflowing(page)
    box, frame = drawn["box"], drawn["frame"]
    assert frame["bottom"] - frame["top"] == pytest.approx(BUILD_BUY_CHART_HEIGHT_PX, abs=1)  # not squeezed
    assert box["left"] <= frame["left"] and frame["right"] <= box["right"]
    plot_width = frame["right"] - frame["left"]
    assert sorted(line["stroke"] for line in drawn["lines"]) == sorted(SOURCING_COLORS)
    for line in drawn["lines"]:
        assert line["right"] - line["left"] >= 0.95 * plot_width  # each curve crosses the whole traffic range
        assert line["length"] >= plot_width
        assert frame["top"] - 2 <= line["top"] and line["bottom"] <= frame["bottom"] + 2
    for colour in SOURCING_COLORS:
        assert _line_pixels(png, colour) >= MIN_LINE_PIXELS, colour  # painted, not only present in the SVG
    assert len(drawn["rules"]) == 2  # the traffic and the break-even
    assert all(frame["left"] <= rule["left"] <= frame["right"] for rule in drawn["rules"])
    traffic, even = drawn["labels"]
    assert traffic["text"].startswith("Your traffic:") and even["text"].startswith("Break-even:")
    assert traffic["bottom"] <= even["top"] or even["bottom"] <= traffic["top"]  # one line each
    for label in (traffic, even):
        assert box["left"] <= label["left"] and label["right"] <= box["right"], label
        assert not any(_inside(point, label) for line in drawn["lines"] for point in line["points"]), label
    assert not cut, cut
