"""Altair charts of the History page: why a monthly cost changed between two assessments, as waterfalls.

One chart per architecture (the page stacks them, each as wide as the page): the older assessment's
monthly cost as a bar from zero, then one floating step per cause of ``planner.history.attribute``
(prices; traffic, model, sourcing and assumptions; team readiness; other), then the newer monthly cost. Steps
that raise the cost are red, steps that lower it green; every bar is labelled in dollars, so a step
too small to see against the total still reads. No Streamlit here: the page renders the charts.
"""

from __future__ import annotations

import itertools
import math
from typing import Final

import altair as alt
import pandas as pd

from planner.history import ArchitectureAttribution, Attribution
from planner.present import formats

TOTAL, INCREASE, DECREASE, NO_CHANGE = "total", "increase", "decrease", "no change"
KIND_COLORS: Final = {TOTAL: "#546e7a", INCREASE: "#c62828", DECREASE: "#2e7d32", NO_CHANGE: "#9e9e9e"}
ROW_HEIGHT_PX = 34  # height of one step's row; the bar fills BAR_SHARE of it
BAR_SHARE = 0.7  # share of a row a bar fills
WIDTH_PX = 640  # default width of the whole chart; the page stretches it to its column
STEP_LABEL_LIMIT_PX = 250  # longer cause names are cut with an ellipsis
LABEL_ROOM = 0.28  # share of the x scale's extent added on the right, for the dollar label right of a bar
ZOOM_BELOW = 0.25  # the axis starts above zero when the steps span less than this share of the largest total
COLUMNS = ["architecture", "order", "step", "next_step", "start", "end", "low", "high", "amount", "kind", "label"]


def signed_money(usd: float) -> str:
    """A change in whole dollars with its sign: ``+$380``, ``−$1,930``, ``$0``."""
    rounded = round(usd)
    if rounded == 0:
        return "$0"
    return ("+" if rounded > 0 else "−") + formats.money(abs(rounded))


def older_label(attribution: Attribution) -> str:
    """The first bar's name: the older assessment."""
    return f"Older (#{attribution.old_id})"


def newer_label(attribution: Attribution) -> str:
    """The last bar's name: the newer assessment."""
    return f"Newer (#{attribution.new_id})"


def _row(architecture: str, order: int, step: str, start: float, end: float, kind: str,
         label: str) -> dict[str, object]:
    return {"architecture": architecture, "order": order, "step": step, "start": start, "end": end,
            "low": min(start, end), "high": max(start, end), "amount": end - start, "kind": kind, "label": label}


def waterfall_frame(attribution: Attribution, part: ArchitectureAttribution) -> pd.DataFrame:
    """One architecture's steps in order: older total, one step per cause, newer total (USD a month)."""
    name = part.architecture.label
    rows = [_row(name, 0, older_label(attribution), 0.0, part.old_cost_usd, TOTAL, formats.money(part.old_cost_usd))]
    running = part.old_cost_usd
    for order, share in enumerate(part.shares, start=1):
        change = share.cost_usd
        kind = NO_CHANGE if round(change) == 0 else INCREASE if change > 0 else DECREASE
        rows.append(_row(name, order, share.label, running, running + change, kind, signed_money(change)))
        running += change
    rows.append(_row(name, len(rows), newer_label(attribution), 0.0, part.new_cost_usd, TOTAL,
                     formats.money(part.new_cost_usd)))
    for row, following in itertools.pairwise(rows):
        row["next_step"] = following["step"]
    return pd.DataFrame(rows, columns=COLUMNS)


def waterfall_title(part: ArchitectureAttribution) -> str:
    """The chart's title: the architecture and its move, e.g. ``Monolith: $8,635 → $7,084 a month (−$1,551)``."""
    change = signed_money(part.new_cost_usd - part.old_cost_usd)
    return (f"{part.architecture.label}: {formats.money(part.old_cost_usd)} → {formats.money(part.new_cost_usd)} "
            f"a month ({change})")


def _x_domain(frame: pd.DataFrame) -> tuple[list[float], bool]:
    """The x scale's extent, and whether it starts above zero.

    From zero, unless the causes' steps would span less than ZOOM_BELOW of the largest total: then
    from the lowest running total less the steps' span, so that a small step is still a bar (the two
    totals are cut at the left edge, and the subtitle says so). Room is left right of the highest
    bar for its dollar label.
    """
    high = max(float(frame["high"].max()), 1.0)
    steps = frame.iloc[1:-1]
    span = float(steps["high"].max() - steps["low"].min()) if len(steps) else 0.0
    low = 0.0
    if 0 < span < ZOOM_BELOW * high:
        unit = 10.0 ** math.floor(math.log10(span))  # start at a round figure: $18,000, not $18,991
        low = max(0.0, math.floor((float(steps["low"].min()) - span) / unit) * unit)
    return [low, high + LABEL_ROOM * (high - low)], low > 0


def waterfall_chart(attribution: Attribution, part: ArchitectureAttribution, *,
                    width: int = WIDTH_PX) -> alt.LayerChart:
    """One architecture's waterfall from the older monthly cost to the newer, one labelled bar per cause."""
    frame = waterfall_frame(attribution, part)
    steps = list(frame["step"])
    y = alt.Y("step:N", sort=steps, title=None, scale=alt.Scale(paddingInner=1 - BAR_SHARE, paddingOuter=0.2),
              axis=alt.Axis(labelLimit=STEP_LABEL_LIMIT_PX, labelFontSize=12, ticks=False, domain=False))
    domain, cut = _x_domain(frame)
    x_scale = alt.Scale(domain=domain, nice=False, zero=False)
    base = alt.Chart(frame)
    colors = alt.Scale(domain=list(KIND_COLORS), range=list(KIND_COLORS.values()))
    bars = base.mark_bar(cornerRadius=2, clip=True).encode(
        y=y,
        x=alt.X("low:Q", scale=x_scale, title=None,  # the title says "a month"
                axis=alt.Axis(format="$,.0f", labelOverlap="greedy", grid=True, tickCount=5)),
        x2="high:Q",
        color=alt.Color("kind:N", scale=colors, legend=None),
        tooltip=[alt.Tooltip("step:N", title="Step"), alt.Tooltip("label:N", title="Monthly cost"),
                 alt.Tooltip("start:Q", title="From", format="$,.0f"),
                 alt.Tooltip("end:Q", title="To", format="$,.0f")],
    )
    labels = base.mark_text(align="left", baseline="middle", dx=5, fontSize=12).encode(
        y=y, x=alt.X("high:Q", scale=x_scale), text="label:N",
        color=alt.Color("kind:N", scale=colors, legend=None),
    )
    # Dashed connectors carry each running total down to the next step, so a step of $0 still shows where it is.
    connectors = base.transform_filter("isValid(datum.next_step)").mark_rule(
        strokeDash=[3, 3], color=KIND_COLORS[NO_CHANGE]).encode(
        y=y, y2="next_step:N", x=alt.X("end:Q", scale=x_scale))
    subtitle = f"The axis starts at {formats.money(domain[0])}, so the totals are cut." if cut else ""
    title = alt.TitleParams(waterfall_title(part), subtitle=subtitle, anchor="start", fontSize=14, subtitlePadding=6)
    # fit-x: the page stretches the width to its column; the height stays a row per step (Streamlit's
    # default, "fit", would squeeze the rows into the height given).
    return alt.layer(connectors, bars, labels, title=title, width=width, height=ROW_HEIGHT_PX * len(steps),
                     autosize=alt.AutoSizeParams(type="fit-x", contains="padding")).configure_view(stroke=None)


def waterfall_charts(attribution: Attribution, *, width: int = WIDTH_PX) -> list[alt.LayerChart]:
    """One waterfall per architecture, in the attribution's order (monolith, hybrid, microservices)."""
    return [waterfall_chart(attribution, part, width=width) for part in attribution.architectures]
