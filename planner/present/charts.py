"""Altair chart specifications of a recommendation, shared by the Results page and the PDF report.

The builders return plain Altair charts (no Streamlit here): the page renders them with
``st.altair_chart``, the report turns the same specifications into PNG with vl-convert (``chart_png``).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from functools import lru_cache
from typing import Final

import altair as alt
import pandas as pd

from planner.decide.results import Recommendation
from planner.estimate.results import BuildVsBuy, Evaluation
from planner.estimate.token_costs import TokenCosts
from planner.inputs.models import InstancePrice, PricingOption, WorkloadProfile
from planner.inputs.questions import load_question_bank
from planner.present import formats

TOWARD_COLOR = "#2e7d32"  # green: the driver pushes toward the architecture
AGAINST_COLOR = "#c62828"  # red: the driver pushes away from it
TOWARD, AGAINST = "toward", "against"
FACET_WIDTH_PX = 420  # width of one architecture's panel
BAR_HEIGHT_PX = 22  # height per driver row
DRIVER_LABEL_LIMIT_PX = 260  # longer driver names are cut with an ellipsis


def driver_label(driver: str) -> str:
    """A driver key as a reader sees it: 'update_cadence' -> 'Update cadence', readiness by question label."""
    if driver.startswith("readiness."):
        key = driver.split(".", 1)[1]
        return f"Readiness: {load_question_bank().labels().get(key, key.replace('_', ' '))}"
    return driver.replace("_", " ").capitalize()


def contributions_frame(recommendation: Recommendation) -> pd.DataFrame:
    """One row per (architecture, driver): points, direction and reason, architectures in ranked order."""
    rows = []
    for rank, score in enumerate(recommendation.ranked, start=1):
        for contribution in score.contributions:
            rows.append({
                "rank": rank,
                "architecture": score.architecture.label,
                "panel": f"{rank}. {score.architecture.label} ({formats.score(score.score)} points)",
                "driver": driver_label(contribution.driver),
                "points": contribution.points,
                "direction": TOWARD if contribution.points > 0 else AGAINST,
                "reason": contribution.reason,
            })
    columns = ["rank", "architecture", "panel", "driver", "points", "direction", "reason"]
    return pd.DataFrame(rows, columns=columns)


def contributions_chart(recommendation: Recommendation) -> alt.FacetChart:
    """Horizontal bars of each driver's points per architecture, green toward and red against."""
    frame = contributions_frame(recommendation)
    panels = list(dict.fromkeys(frame["panel"]))
    bars = alt.Chart(frame).mark_bar().encode(
        x=alt.X("points:Q", title="Points (toward + / against −)"),
        y=alt.Y("driver:N", title=None, sort=alt.EncodingSortField(field="points", op="sum", order="descending"),
                axis=alt.Axis(labelLimit=DRIVER_LABEL_LIMIT_PX)),
        color=alt.Color("direction:N", title="Pushes",
                        scale=alt.Scale(domain=[TOWARD, AGAINST], range=[TOWARD_COLOR, AGAINST_COLOR])),
        tooltip=[alt.Tooltip("architecture:N", title="Architecture"), alt.Tooltip("driver:N", title="Driver"),
                 alt.Tooltip("points:Q", title="Points", format="+.2f"), alt.Tooltip("reason:N", title="Why")],
    ).properties(width=FACET_WIDTH_PX, height=alt.Step(BAR_HEIGHT_PX))
    return bars.facet(
        row=alt.Row("panel:N", title=None, sort=panels, header=alt.Header(labelAngle=0, labelAlign="left",
                                                                          labelAnchor="start", labelFontSize=13,
                                                                          labelFontWeight="bold",
                                                                          labelOrient="top")),
    ).resolve_scale(y="independent")


# Estimates ------------------------------------------------------------------------------------------

CATEGORY_ORDER = ("GPU", "API tokens", "CPU", "Platform", "People")  # CostBreakdown.as_dict's categories
CATEGORY_COLORS = ("#1f77b4", "#6a51a3", "#9ecae1", "#ff7f0e", "#7f7f7f")
PERCENTILE_ORDER = ("p50", "p95", "p99")
PERCENTILE_COLORS = ("#9ecae1", "#3182bd", "#08306b")  # light to dark blue; red is the target rule
LATENCY_PANEL_WIDTH_PX = 300
ESTIMATE_CHART_HEIGHT_PX = 220


def cost_frame(evaluation: Evaluation) -> pd.DataFrame:
    """One row per (architecture, cost category) with its monthly USD."""
    rows = [{"architecture": e.architecture.label, "category": category, "monthly_usd": usd}
            for e in evaluation.estimates.values() for category, usd in e.cost.as_dict().items()]
    return pd.DataFrame(rows, columns=["architecture", "category", "monthly_usd"])


def cost_chart(evaluation: Evaluation) -> alt.Chart:
    """Stacked horizontal bars of monthly cost by category, one bar per architecture.

    The legend lists the categories that cost something in some architecture: behind a managed API the GPU is
    nothing and the API tokens are the inference, on our own GPUs there are no API tokens.
    """
    frame = cost_frame(evaluation)
    spent = frame.groupby("category")["monthly_usd"].sum()
    shown = [c for c in CATEGORY_ORDER if spent.get(c, 0.0) > 0]
    colours = [CATEGORY_COLORS[CATEGORY_ORDER.index(c)] for c in shown]
    frame = frame[frame["category"].isin(shown)]
    return alt.Chart(frame).mark_bar().encode(
        y=alt.Y("architecture:N", title=None, sort=[e.architecture.label for e in evaluation.estimates.values()]),
        x=alt.X("sum(monthly_usd):Q", title="USD per month", axis=alt.Axis(format="$,.0f")),
        color=alt.Color("category:N", title="Category",
                        scale=alt.Scale(domain=shown, range=colours)),
        order=alt.Order("category_rank:Q"),
        tooltip=[alt.Tooltip("architecture:N", title="Architecture"), alt.Tooltip("category:N", title="Category"),
                 alt.Tooltip("monthly_usd:Q", title="USD per month", format="$,.0f")],
    ).transform_calculate(
        category_rank=f"indexof({list(CATEGORY_ORDER)}, datum.category)",
    ).properties(height=ESTIMATE_CHART_HEIGHT_PX)


def latency_frame(evaluation: Evaluation) -> pd.DataFrame:
    """One row per (architecture, metric, percentile) with the value and its 95 % interval, ms."""
    rows = []
    for e in evaluation.estimates.values():
        for metric, stats in (("TTFT", e.ttft), ("End-to-end", e.e2e)):
            for name, value, ci in (("p50", stats.p50_ms, stats.p50_ci_ms), ("p95", stats.p95_ms, stats.p95_ci_ms),
                                    ("p99", stats.p99_ms, stats.p99_ci_ms)):
                rows.append({"architecture": e.architecture.label, "metric": metric, "percentile": name,
                             "ms": value, "low_ms": ci[0], "high_ms": ci[1]})
    return pd.DataFrame(rows, columns=["architecture", "metric", "percentile", "ms", "low_ms", "high_ms"])


def latency_chart(evaluation: Evaluation, workload: WorkloadProfile) -> alt.FacetChart:
    """Points with 95 % interval bars for p50/p95/p99 per architecture; the workload's p95 targets as red rules."""
    frame = latency_frame(evaluation)
    targets = pd.DataFrame([{"metric": "TTFT", "target_ms": workload.p95_ttft_ms},
                            {"metric": "End-to-end", "target_ms": workload.p95_e2e_ms}])
    frame = frame.merge(targets, on="metric")
    base = alt.Chart(frame).encode(
        y=alt.Y("architecture:N", title=None, sort=[e.architecture.label for e in evaluation.estimates.values()]),
        yOffset=alt.YOffset("percentile:N", sort=list(PERCENTILE_ORDER)),
        color=alt.Color("percentile:N", title="Percentile", sort=list(PERCENTILE_ORDER),
                        scale=alt.Scale(domain=list(PERCENTILE_ORDER), range=list(PERCENTILE_COLORS)),
                        legend=alt.Legend(orient="bottom", direction="horizontal")),  # a side legend is cut at 1280 px
    )
    points = base.mark_point(filled=True, size=60).encode(
        x=alt.X("ms:Q", title="ms"),
        tooltip=[alt.Tooltip("architecture:N"), alt.Tooltip("percentile:N"), alt.Tooltip("ms:Q", format=",.0f"),
                 alt.Tooltip("low_ms:Q", title="95 % CI low", format=",.0f"),
                 alt.Tooltip("high_ms:Q", title="95 % CI high", format=",.0f")],
    )
    bars = base.mark_rule().encode(x="low_ms:Q", x2="high_ms:Q")
    target = alt.Chart(frame).mark_rule(color="#c62828", strokeDash=[4, 3]).encode(
        x="target_ms:Q", tooltip=[alt.Tooltip("target_ms:Q", title="p95 target (ms)", format=",.0f")])
    panel = alt.layer(bars, points, target).properties(height=ESTIMATE_CHART_HEIGHT_PX / 1.6,
                                                       width=LATENCY_PANEL_WIDTH_PX)
    return panel.facet(
        row=alt.Row("metric:N", title=None, sort=["TTFT", "End-to-end"]),
    ).resolve_scale(x="independent")


# Prices ---------------------------------------------------------------------------------------------

PRICE_CHART_HEIGHT_PER_GPU_PX = 34  # one row per GPU type
PRICE_CHART_WIDTH_PX = 640
PROVIDER_SCHEME: Final = "tableau10"  # distinct hues for up to ten providers


def gpu_hour_frame(instances: Sequence[InstancePrice], option: PricingOption) -> pd.DataFrame:
    """One row per instance with a price under ``option``: provider, GPU and USD per GPU-hour."""
    rows = []
    for row in instances:
        price = row.price_usd_h(option)
        if price is not None:
            rows.append({"provider": row.provider, "instance": row.instance, "region": row.region, "gpu": row.gpu,
                         "gpu_count": row.gpu_count, "usd_h": price, "usd_per_gpu_hour": price / row.gpu_count,
                         "as_of": row.as_of})
    columns = ["provider", "instance", "region", "gpu", "gpu_count", "usd_h", "usd_per_gpu_hour", "as_of"]
    return pd.DataFrame(rows, columns=columns)


def gpu_hour_chart(instances: Sequence[InstancePrice], option: PricingOption) -> alt.Chart:
    """USD per GPU-hour of every instance, one row per GPU type (cheapest median first), coloured by provider."""
    frame = gpu_hour_frame(instances, option)
    order = list(frame.groupby("gpu")["usd_per_gpu_hour"].median().sort_values().index)
    return alt.Chart(frame).mark_point(filled=True, size=90, opacity=0.85).encode(
        x=alt.X("usd_per_gpu_hour:Q", title="USD per GPU-hour", axis=alt.Axis(format="$,.2f")),
        y=alt.Y("gpu:N", title=None, sort=order),
        color=alt.Color("provider:N", title="Provider", scale=alt.Scale(scheme=PROVIDER_SCHEME)),
        shape=alt.Shape("provider:N", title="Provider"),
        tooltip=[alt.Tooltip("provider:N", title="Provider"), alt.Tooltip("instance:N", title="Instance"),
                 alt.Tooltip("region:N", title="Region"), alt.Tooltip("gpu_count:Q", title="GPUs"),
                 alt.Tooltip("usd_h:Q", title="USD per hour", format="$,.3f"),
                 alt.Tooltip("usd_per_gpu_hour:Q", title="USD per GPU-hour", format="$,.3f"),
                 alt.Tooltip("as_of:N", title="As of")],
    ).properties(width=PRICE_CHART_WIDTH_PX, height=alt.Step(PRICE_CHART_HEIGHT_PER_GPU_PX))


def token_cost_chart(costs: TokenCosts) -> alt.Chart:
    """Bars of USD per million output tokens on the cheapest instance of each GPU type, cheapest first."""
    frame = pd.DataFrame(
        [{"gpu": r.gpu, "provider": r.provider, "instance": r.instance, "usd": r.usd_per_million_output_tokens,
          "batch": r.batch, "tp": r.tensor_parallel, "tokens_s": r.replica_output_tokens_per_s}
         for r in costs.cheapest_per_gpu()],
        columns=["gpu", "provider", "instance", "usd", "batch", "tp", "tokens_s"])
    return alt.Chart(frame).mark_bar().encode(
        x=alt.X("usd:Q", title="USD per million output tokens", axis=alt.Axis(format="$,.2f")),
        y=alt.Y("gpu:N", title=None, sort=list(frame["gpu"])),
        color=alt.Color("provider:N", title="Cheapest at", scale=alt.Scale(scheme=PROVIDER_SCHEME)),
        tooltip=[alt.Tooltip("gpu:N", title="GPU"), alt.Tooltip("provider:N", title="Provider"),
                 alt.Tooltip("instance:N", title="Instance"),
                 alt.Tooltip("usd:Q", title="USD per million output tokens", format="$,.3f"),
                 alt.Tooltip("batch:Q", title="Batch"), alt.Tooltip("tp:Q", title="GPUs per replica"),
                 alt.Tooltip("tokens_s:Q", title="Output tokens/s per replica", format=",.0f")],
    ).properties(width=PRICE_CHART_WIDTH_PX, height=alt.Step(PRICE_CHART_HEIGHT_PER_GPU_PX))


# Resilience -----------------------------------------------------------------------------------------

ARCHITECTURE_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c")  # monolith, hybrid, microservices
EVENT_LABEL_BOTTOM_PCT = 5.0  # first event label, in capacity % (the y scale), so it holds at any chart height
EVENT_LABEL_STEP_PCT = 9.0  # one line of label text at the usual chart heights
EVENT_COLOR = "#7f7f7f"
RESILIENCE_CHART_HEIGHT_PX = 240


def resilience_frame(evaluation: Evaluation) -> pd.DataFrame:
    """One row per (architecture, moment) of the incident-and-deploy timeline: capacity in service, %."""
    rows = [{"architecture": e.architecture.label, "minute": p.minute, "capacity_pct": p.capacity_pct}
            for e in evaluation.estimates.values() if e.resilience is not None for p in e.resilience.timeline]
    return pd.DataFrame(rows, columns=["architecture", "minute", "capacity_pct"])


def resilience_chart(evaluation: Evaluation) -> alt.LayerChart:
    """Capacity in service over a crash, a code deploy and a model update, one line per architecture."""
    frame = resilience_frame(evaluation)
    order = [e.architecture.label for e in evaluation.estimates.values()]
    lines = alt.Chart(frame).mark_line(interpolate="step-after", strokeWidth=2).encode(
        x=alt.X("minute:Q", title="Minutes"),
        y=alt.Y("capacity_pct:Q", title="Capacity in service (%)", scale=alt.Scale(domain=[0, 105])),
        color=alt.Color("architecture:N", title="Architecture", sort=order,
                        scale=alt.Scale(domain=order, range=list(ARCHITECTURE_COLORS[:len(order)]))),
        strokeDash=alt.StrokeDash("architecture:N", title="Architecture", sort=order,
                                  scale=alt.Scale(domain=order, range=[[1, 0], [6, 3], [2, 2]][:len(order)])),
        tooltip=[alt.Tooltip("architecture:N", title="Architecture"), alt.Tooltip("minute:Q", format=".1f"),
                 alt.Tooltip("capacity_pct:Q", title="Capacity (%)", format=".0f")],
    )
    # Labels of nearby events would overprint: each event's label gets its own line, up from the x axis.
    events = pd.DataFrame(
        [{"minute": e.minute, "label": e.label, "y_pct": EVENT_LABEL_BOTTOM_PCT + i * EVENT_LABEL_STEP_PCT}
         for i, e in enumerate(evaluation.resilience_events)],
        columns=["minute", "label", "y_pct"],
    )
    rules = alt.Chart(events).mark_rule(color=EVENT_COLOR, strokeDash=[3, 3]).encode(
        x="minute:Q", tooltip=[alt.Tooltip("label:N", title="Event")])
    labels = alt.Chart(events).mark_text(align="left", dx=4, fontSize=11, color=EVENT_COLOR).encode(
        x="minute:Q", y="y_pct:Q", text="label:N")
    return alt.LayerChart(layer=[lines, rules, labels], height=RESILIENCE_CHART_HEIGHT_PX)


# Build or buy inference ----------------------------------------------------------------------------

API_SERIES, SELF_HOSTED_SERIES = "Managed API", "Self-hosted GPUs"
SOURCING_COLORS = ("#6a51a3", "#1f77b4")  # the cost chart's API-tokens and GPU colours
MARKER_COLOR = "#7f7f7f"
BUILD_BUY_CHART_HEIGHT_PX = 260
TRAFFIC_LABEL_Y_PX, BREAK_EVEN_LABEL_Y_PX = 8, 24  # one line each below the top, so the two never overprint
LABEL_HEADROOM = 10.0  # the y axis runs to ten times the dearest figure: a decade above the lines for the labels
EDGE_SHARE = 0.75  # a break-even this far toward the edge it points to (share of the log x axis) labels inward


def build_vs_buy_frame(decision: BuildVsBuy) -> pd.DataFrame:
    """One row per (volume, sourcing) of the break-even curve: requests a month and monthly inference USD."""
    rows = []
    for p in decision.curve:
        rows.append({"requests_per_month": p.requests_per_month, "sourcing": API_SERIES, "monthly_usd": p.api_usd})
        if p.self_hosted_usd is not None:
            rows.append({"requests_per_month": p.requests_per_month, "sourcing": SELF_HOSTED_SERIES,
                         "monthly_usd": p.self_hosted_usd})
    return pd.DataFrame(rows, columns=["requests_per_month", "sourcing", "monthly_usd"])


def _decades(low: float, high: float) -> list[float]:
    """Powers of ten from below ``low`` to above ``high``: a log axis labelled once a decade, never crowded."""
    return [10.0 ** k for k in range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1)]


def _marker(requests: float, label: str, y_px: float, *, left: bool) -> dict[str, object]:
    return {"requests_per_month": requests, "label": label, "y_px": y_px, "align": "right" if left else "left",
            "dx": -4 if left else 4}


def _markers(decision: BuildVsBuy) -> pd.DataFrame:
    """The assessment's traffic and the break-even, each labelled on the side away from the other (a break-even
    near the chart's edge keeps its label inside), on its own line, so no label crosses the other's rule."""
    traffic, even = decision.requests_per_month, decision.break_even_requests_per_month
    rows = [_marker(traffic, f"Your traffic: {formats.million_requests(traffic)} requests a month", TRAFFIC_LABEL_Y_PX,
                    left=even is not None and even > traffic)]
    if even is not None:
        low, high = decision.curve[0].requests_per_month, decision.curve[-1].requests_per_month
        position = math.log(even / low) / math.log(high / low)  # 0 at the left edge, 1 at the right
        left = position > EDGE_SHARE if even > traffic else position > 1 - EDGE_SHARE
        rows.append(_marker(even, f"Break-even: {formats.million_requests(even)}", BREAK_EVEN_LABEL_Y_PX, left=left))
    return pd.DataFrame(rows, columns=["requests_per_month", "label", "y_px", "align", "dx"])


def build_vs_buy_chart(decision: BuildVsBuy) -> alt.LayerChart:
    """Monthly inference cost against requests a month (log-log): the API's token bill as a line, self-hosted GPUs
    as the step function whole instances make, dots at the assessment's traffic; rules mark that traffic and the
    break-even."""
    frame = build_vs_buy_frame(decision)
    frame = frame[frame["monthly_usd"] > 0]  # a log axis has no zero (an API priced at nothing, say)
    series = [API_SERIES, *([SELF_HOSTED_SERIES] if (frame["sourcing"] == SELF_HOSTED_SERIES).any() else [])]
    low, high = decision.curve[0].requests_per_month, decision.curve[-1].requests_per_month
    x = alt.X("requests_per_month:Q", title="Requests a month (log scale)",
              scale=alt.Scale(type="log", domain=[low, high], nice=False),
              axis=alt.Axis(values=[v for v in _decades(low, high) if low <= v <= high], format="~s"))
    bottom, top = (float(frame["monthly_usd"].min()), float(frame["monthly_usd"].max()) * LABEL_HEADROOM
                   ) if len(frame) else (1.0, LABEL_HEADROOM)
    y = alt.Y("monthly_usd:Q", title="Inference, USD a month (log scale)",
              scale=alt.Scale(type="log", domain=[bottom, top], nice=False),
              axis=alt.Axis(values=[v for v in _decades(bottom, top) if bottom <= v <= top], format="$,.2~f"))
    color = alt.Color("sourcing:N", title=None, sort=series,
                      scale=alt.Scale(domain=series, range=list(SOURCING_COLORS[:len(series)])),
                      legend=alt.Legend(orient="bottom", direction="horizontal"))  # a side legend is cut at 1280 px
    tooltip = [alt.Tooltip("sourcing:N", title="Inference"),
               alt.Tooltip("requests_per_month:Q", title="Requests a month", format=",.0f"),
               alt.Tooltip("monthly_usd:Q", title="USD a month", format="$,.0f")]
    base = alt.Chart(frame).encode(x=x, y=y, color=color, tooltip=tooltip)
    api = base.mark_line(strokeWidth=2.5).transform_filter(alt.datum.sourcing == API_SERIES)
    own = base.mark_line(strokeWidth=2.5, interpolate="step-after").transform_filter(
        alt.datum.sourcing == SELF_HOSTED_SERIES)
    here = base.mark_point(filled=True, size=70, opacity=1).transform_filter(
        alt.datum.requests_per_month == decision.requests_per_month)
    markers = _markers(decision)
    rules = alt.Chart(markers).mark_rule(color=MARKER_COLOR, strokeDash=[4, 3]).encode(
        x=alt.X("requests_per_month:Q"), tooltip=[alt.Tooltip("label:N", title="Marks")])
    labels = [alt.Chart(markers.iloc[[i]]).mark_text(align=m.align, dx=m.dx, fontSize=11, color=MARKER_COLOR)
              .encode(x=alt.X("requests_per_month:Q"), y=alt.value(m.y_px), text="label:N")
              for i, m in enumerate(markers.itertuples())]
    # fit-x: the plot keeps its height on the page (Streamlit's default "fit" squeezes axes and legend into it).
    return alt.LayerChart(layer=[api, own, here, rules, *labels], height=BUILD_BUY_CHART_HEIGHT_PX,
                          autosize=alt.AutoSizeParams(type="fit-x", contains="padding"))


# PNG for the report ---------------------------------------------------------------------------------

CHART_SCALE = 2.0  # PNG pixels per chart pixel: about 180 dpi at the report's figure widths, sharp when printed
RENDERED_CHARTS_KEPT = 32  # PNGs kept per process: the last 8 reports' (about 1 MB a report with their specs)

_vl_lock = threading.Lock()  # vl-convert keeps one JavaScript engine per process


def chart_png(chart: alt.TopLevelMixin, *, width_px: int | None = None) -> bytes:
    """An Altair chart as a PNG, rendered by vl-convert (no browser); width_px sets an unsized chart's width.

    The same specification (data included) gives the same PNG, so a chart is rendered once per process: a
    second export of the same results, or a chart that did not change between two reports, costs nothing.
    """
    if width_px is not None:
        chart = chart.properties(width=width_px)
    return _render_png(chart.to_json())


def forget_rendered_charts() -> None:
    """Drop the PNGs rendered so far (a benchmark of a first export calls it)."""
    _render_png.cache_clear()


@lru_cache(maxsize=RENDERED_CHARTS_KEPT)
def _render_png(spec_json: str) -> bytes:
    import vl_convert  # its JavaScript engine starts on first use; the Results page never needs it

    with _vl_lock:
        png: bytes = vl_convert.vegalite_to_png(spec_json, scale=CHART_SCALE)
    return png
