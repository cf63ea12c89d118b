"""The serving calculator's figures as text and as a chart, built once for the Serving calculator page and the CLI.

``point_table`` is what ``planner serving`` prints and the page shows, in the same words and rounding, so the
two always agree; ``point_json`` the keys of ``planner serving --json``; ``throughput_chart`` and
``time_per_token_chart`` the page's curves against concurrency.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import altair as alt
import pandas as pd

from planner.estimate.calculator import ServingPoint
from planner.estimate.serving import MAX_BATCH
from planner.present import formats as fmt
from planner.present.tables import Table

CLOSED_FORM_BASIS = "modelled: closed form, every replica at its batch cap"
SIMULATED_BASIS = "modelled: closed-loop simulation, mean after warm-up"
SPLIT_BASIS = "how the planner splits the GPUs (Auto: the split serving the most tokens/s)"
CHART_HEIGHT_PX = 240
CEILING_COLOR = "#7f7f7f"  # the closed-form maximum throughput
X_PADDING_PX = 8  # so the end points are not cut at the plot's edges
TPOT_COLOR = "#ff7f0e"  # the time-per-token curve, apart from the throughput's default blue


def tokens_per_s(value: float) -> str:
    """Tokens per second, whole: ``14,446``."""
    return f"{value:,.0f}"


def latency_ms(value: float | None) -> str:
    """A latency in ms with its unit: one decimal below 100 ms (times per token), whole above."""
    if value is None:
        return fmt.DASH
    return fmt.ms(value, digits=1 if value < 100 else 0, unit=True)


def _split_rows(point: ServingPoint) -> list[tuple[str, str, str]]:
    idle = point.gpus - point.tp * point.replicas
    replicas = f"{point.replicas:,}" + (f" ({fmt.counted(idle, 'GPU')} idle)" if idle else "")
    return [
        ("GPUs per replica (tensor parallel)", f"{point.tp}", SPLIT_BASIS),
        ("Replicas", replicas, SPLIT_BASIS),
        ("Batch cap per replica", f"{point.batch:,} sequences",
         f"KV cache at full context (prompt + output), at most {MAX_BATCH:,}"),
    ]


def point_table(point: ServingPoint) -> Table:
    """Figure, value and how it was obtained, one row per figure (the split first, then throughput and latency)."""
    rows = _split_rows(point)
    if point.concurrency is None:
        rows += [
            ("Output tokens/s (all replicas)", tokens_per_s(point.output_tokens_per_s), CLOSED_FORM_BASIS),
            ("Requests/s (all replicas)", fmt.rate(point.requests_per_s), CLOSED_FORM_BASIS),
            ("Time to first token", latency_ms(point.ttft_ms), "modelled: prefill on an idle replica"),
            ("Time per output token", latency_ms(point.tpot_ms), CLOSED_FORM_BASIS),
        ]
    else:
        rows += [
            ("Concurrency", f"{point.concurrency:,} clients", "closed loop: each sends again when answered"),
            ("Output tokens/s (all replicas)", tokens_per_s(point.output_tokens_per_s), SIMULATED_BASIS),
            ("Requests/s (all replicas)", fmt.rate(point.requests_per_s), SIMULATED_BASIS),
            ("Time to first token (mean)", latency_ms(point.ttft_ms), SIMULATED_BASIS),
            ("Inter-token latency (mean)", latency_ms(point.itl_ms), SIMULATED_BASIS),
            ("End to end (mean)", latency_ms(point.e2e_ms), SIMULATED_BASIS),
            ("Max output tokens/s", tokens_per_s(point.max_output_tokens_per_s), CLOSED_FORM_BASIS),
        ]
    return Table(("Figure", "Value", "Basis"), tuple(rows))


def point_value(point: ServingPoint, figure: str) -> str:
    """The text of one figure of ``point_table`` (the page's metrics use it, so they read as the CLI prints)."""
    return next(str(row[1]) for row in point_table(point).rows if row[0] == figure)


def point_json(point: ServingPoint) -> dict[str, Any]:
    """The figures as JSON-ready values: always ``output_tokens_per_s``, ``tp``, ``replicas``, ``batch``,
    ``ttft_ms``; ``tpot_ms`` without a concurrency, ``itl_ms`` and ``e2e_ms`` with one."""
    drop = {"concurrency", "itl_ms", "e2e_ms"} if point.concurrency is None else {"tpot_ms"}
    return point.model_dump(mode="json", exclude=drop)


def sweep_frame(points: Sequence[ServingPoint]) -> pd.DataFrame:
    """One row per concurrency: throughput of all replicas and mean time per output token."""
    rows = [{"concurrency": p.concurrency, "tokens_s": p.output_tokens_per_s, "itl_ms": p.itl_ms,
             "ttft_ms": p.ttft_ms, "ceiling": p.max_output_tokens_per_s} for p in points]
    return pd.DataFrame(rows, columns=["concurrency", "tokens_s", "itl_ms", "ttft_ms", "ceiling"])


def _x(frame: pd.DataFrame) -> alt.X:
    return alt.X("concurrency:Q", title="Concurrency (clients)",
                 scale=alt.Scale(type="log", base=2, padding=X_PADDING_PX),
                 axis=alt.Axis(values=list(frame["concurrency"]), format="d"))


def _tips() -> list[alt.Tooltip]:
    return [alt.Tooltip("concurrency:Q", title="Concurrency"),
            alt.Tooltip("tokens_s:Q", title="Output tokens/s", format=",.0f"),
            alt.Tooltip("itl_ms:Q", title="Time per output token (ms)", format=",.1f"),
            alt.Tooltip("ttft_ms:Q", title="Time to first token (ms)", format=",.0f")]


def throughput_chart(points: Sequence[ServingPoint]) -> alt.LayerChart:
    """Output tokens/s of all replicas against concurrency (log-2 scale), the closed-form maximum dashed."""
    frame = sweep_frame(points)
    base = alt.Chart(frame).properties(width="container", height=CHART_HEIGHT_PX)
    line = base.mark_line(point=True).encode(
        x=_x(frame), y=alt.Y("tokens_s:Q", title="Output tokens/s (all replicas)"), tooltip=_tips())
    ceiling = base.mark_rule(strokeDash=[4, 4], color=CEILING_COLOR).encode(
        y="mean(ceiling):Q", tooltip=[alt.Tooltip("mean(ceiling):Q", title="Closed-form maximum", format=",.0f")])
    return alt.LayerChart(layer=[line, ceiling])


def time_per_token_chart(points: Sequence[ServingPoint]) -> alt.Chart:
    """Mean time between output tokens against concurrency (log-2 scale)."""
    frame = sweep_frame(points)
    return alt.Chart(frame).mark_line(point=alt.OverlayMarkDef(color=TPOT_COLOR), color=TPOT_COLOR).encode(
        x=_x(frame), y=alt.Y("itl_ms:Q", title="Time per output token (ms)"), tooltip=_tips(),
    ).properties(width="container", height=CHART_HEIGHT_PX)
