"""The History page's waterfalls of a monthly cost change by cause, checked on the spec and on Vega's layout.

The attribution is made by hand (no engine), so every figure the charts must show follows from it:
the first bar is the older monthly cost, the last the newer, each cause a step of its share between.
vl-convert lays the charts out as Vega would in the browser, which gives the bars' pixel sizes.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest
import vl_convert

from planner.history import FACTOR_LABELS, ArchitectureAttribution, Attribution, FactorShare
from planner.history.attribution import describe_mixture
from planner.inputs.models import Architecture
from planner.present import history_charts

OLD_COSTS = {Architecture.MONOLITH: 10_000.0, Architecture.HYBRID: 12_000.0, Architecture.MICROSERVICES: 30_000.0}
SHARES = {"prices": -1_500.0, "workload": 600.0, "team": -100.0, "other": 0.0}  # USD a month; sum -1,000
NARROW_PX, WIDE_PX = 560, 900  # narrower than the page at a 1024 px window; the page at 1280-1440 px


def made_up(changes: dict[str, float] = SHARES) -> Attribution:
    parts = []
    for architecture, old in OLD_COSTS.items():
        shares = tuple(FactorShare(factor=f, label=FACTOR_LABELS[f], cost_usd=v, p95_e2e_ms=0.0, score=0.0)
                       for f, v in changes.items())
        parts.append(ArchitectureAttribution(
            architecture=architecture, old_cost_usd=old, new_cost_usd=old + sum(changes.values()),
            old_p95_e2e_ms=1_000.0, new_p95_e2e_ms=1_000.0, old_score=50.0, new_score=50.0, shares=shares))
    return Attribution(old_id=3, new_id=7, architectures=tuple(parts), notes=())


def marks(scene: dict[str, Any], marktype: str, role: str) -> list[dict[str, Any]]:
    """Every item of the marks of one type and role in a Vega scenegraph, in drawing order."""
    found = []
    if scene.get("marktype") == marktype and scene.get("role") == role:
        found += scene.get("items", [])
    for child in scene.get("items", []):
        found += marks(child, marktype, role)
    return found


def layout(chart: Any) -> dict[str, Any]:
    """The chart as Vega lays it out (the same Vega as the browser's)."""
    scene: dict[str, Any] = vl_convert.vegalite_to_scenegraph(json.loads(chart.to_json()))["scenegraph"]
    return scene


def test_one_waterfall_per_architecture_titled_with_its_move() -> None:
    charts = history_charts.waterfall_charts(made_up())
    titles = [chart.to_dict()["title"]["text"] for chart in charts]
    assert titles == ["Monolith: $10,000 → $9,000 a month (−$1,000)", "Hybrid: $12,000 → $11,000 a month (−$1,000)",
                      "Microservices: $30,000 → $29,000 a month (−$1,000)"]


@pytest.mark.parametrize("architecture", list(Architecture))
def test_the_steps_run_from_the_older_monthly_cost_to_the_newer(architecture: Architecture) -> None:
    attribution = made_up()
    frame = history_charts.waterfall_frame(attribution, attribution.of(architecture))
    old, new = OLD_COSTS[architecture], OLD_COSTS[architecture] - 1_000.0
    assert list(frame["step"]) == ["Older (#3)", *(FACTOR_LABELS[f] for f in SHARES), "Newer (#7)"]
    assert (frame["start"].iloc[0], frame["end"].iloc[0]) == (0.0, old)
    assert (frame["start"].iloc[-1], frame["end"].iloc[-1]) == (0.0, new)
    causes = frame.iloc[1:-1]
    assert causes["start"].iloc[0] == old and causes["end"].iloc[-1] == pytest.approx(new)
    assert list(causes["start"].iloc[1:]) == list(causes["end"].iloc[:-1])  # each step starts where the last ended
    assert list(causes["amount"]) == pytest.approx(list(SHARES.values()))
    assert list(causes["kind"]) == ["decrease", "increase", "decrease", "no change"]
    assert list(frame["label"]) == [f"${old:,.0f}", "−$1,500", "+$600", "−$100", "$0", f"${new:,.0f}"]


@pytest.mark.parametrize("width", [NARROW_PX, WIDE_PX])
@pytest.mark.parametrize("architecture", list(Architecture))
def test_every_cause_that_moved_the_cost_has_a_visible_bar_in_proportion(architecture: Architecture,
                                                                          width: int) -> None:
    attribution = made_up()
    bars = marks(layout(history_charts.waterfall_chart(attribution, attribution.of(architecture), width=width)),
                 "rect", "mark")
    assert len(bars) == len(SHARES) + 2
    assert all(bar["height"] >= 12 for bar in bars)  # the old chart's bars were 1 px high
    older, prices, workload, team, other, newer = bars
    px_per_usd = prices["width"] / abs(SHARES["prices"])
    for bar, share in ((workload, SHARES["workload"]), (team, SHARES["team"]), (other, SHARES["other"])):
        assert bar["width"] == pytest.approx(px_per_usd * abs(share))
    assert min(workload["width"], team["width"]) >= 4 and other["width"] == 0
    # The steps chain: the older total ends where the price cut starts, the newer where the team's step ends.
    assert older["x"] + older["width"] == pytest.approx(prices["x"] + prices["width"])
    assert newer["x"] + newer["width"] == pytest.approx(team["x"])
    assert newer["x"] == pytest.approx(older["x"]) and older["x"] <= 0  # both from $0, cut at the left edge


@pytest.mark.parametrize(("changes", "cut"), [(SHARES, True), ({**SHARES, "prices": -6_000.0}, False)])
def test_the_axis_starts_above_zero_only_when_the_steps_are_small(changes: dict[str, float], cut: bool) -> None:
    attribution = made_up(changes)
    spec = history_charts.waterfall_chart(attribution, attribution.of(Architecture.MONOLITH)).to_dict()
    domain = spec["layer"][1]["encoding"]["x"]["scale"]["domain"]
    assert (domain[0] > 0) == cut
    assert bool(spec["title"]["subtitle"]) == cut
    if cut:  # a round figure below the lowest running total ($8,500) by at least the steps' span ($1,500)
        assert domain[0] == 7_000 and "$7,000" in spec["title"]["subtitle"]


@pytest.mark.parametrize("width", [NARROW_PX, WIDE_PX])
def test_every_step_is_named_on_its_own_row_and_its_label_fits(width: int) -> None:
    attribution = made_up()
    scene = layout(history_charts.waterfall_chart(attribution, attribution.of(Architecture.MICROSERVICES),
                                                  width=width))
    rows = [t for t in marks(scene, "text", "axis-label") if not str(t["text"]).startswith("$")]
    assert [t["text"] for t in rows] == list(history_charts.waterfall_frame(attribution, attribution.of(
        Architecture.MICROSERVICES))["step"])
    assert all(t.get("opacity", 1) == 1 for t in rows)  # Vega hides a label that would overprint another
    gaps = [b["y"] - a["y"] for a, b in itertools.pairwise(rows)]
    assert min(gaps) >= 2 * 12  # two font heights apart
    plot_width = scene["items"][0]["width"]
    # The dollar labels start right of their bar, inside the plot, with room for "−$1,500" (~7 px a character).
    for label in marks(scene, "text", "mark"):
        assert label["x"] + 5 + 7 * len(label["text"]) <= plot_width, (label["text"], plot_width)


@pytest.mark.parametrize(("usd", "text"), [(380.0, "+$380"), (-1_930.4, "−$1,930"), (0.4, "$0"), (-0.4, "$0"),
                                            (12_345.6, "+$12,346")])
def test_signed_money(usd: float, text: str) -> None:
    assert history_charts.signed_money(usd) == text


@pytest.mark.parametrize(("take_new", "words"), [
    (frozenset(), "The older assessment (its inputs and prices)"),
    (frozenset({"prices", "workload", "team"}), "The newer assessment (its inputs and prices)"),
    (frozenset({"prices"}), "Newer prices; older traffic, model, sourcing and assumptions; older team"),
    (frozenset({"workload", "team"}), "Older prices; newer traffic, model, sourcing and assumptions; newer team"),
])
def test_each_re_evaluation_is_named_for_the_progress_lines(take_new: frozenset[str], words: str) -> None:
    assert describe_mixture(take_new) == words
