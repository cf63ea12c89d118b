"""A what-if beside the answers it varies: each architecture's cost, latency and score in both, with the change.

One table for the Results page (and anything else that compares a variant with its base): a cell reads
``$7,064 → $9,120 (+$2,056)``, so the base, the what-if and the delta sit side by side.
"""

from __future__ import annotations

from collections.abc import Callable

from planner.decide.results import Recommendation
from planner.estimate.results import ArchitectureEstimate, Evaluation
from planner.present import formats as fmt
from planner.present.tables import Table

Measure = Callable[[ArchitectureEstimate], float]
MEASURES: tuple[tuple[str, Measure, Callable[[float], str], Callable[[float], str]], ...] = (
    ("Monthly cost", lambda e: e.monthly_cost_usd, fmt.money, lambda d: ("+" if d >= 0 else "−") + fmt.money(abs(d))),
    ("p95 TTFT (ms)", lambda e: e.ttft.p95_ms, fmt.ms, lambda d: fmt.signed(d)),
    ("p95 end-to-end (ms)", lambda e: e.e2e.p95_ms, fmt.ms, lambda d: fmt.signed(d)),
)


def _moved(before: float, after: float, text: Callable[[float], str], delta: Callable[[float], str]) -> str:
    return f"{text(before)} → {text(after)} ({delta(after - before)})"


def whatif_table(base: Evaluation, base_recommendation: Recommendation, variant: Evaluation,
                 variant_recommendation: Recommendation) -> Table:
    """Per architecture: each measure and the score in your answers → in the what-if (the change)."""
    base_scores = {s.architecture: s.score for s in base_recommendation.ranked}
    variant_scores = {s.architecture: s.score for s in variant_recommendation.ranked}
    rows = []
    for architecture, estimate in variant.estimates.items():
        before = base.estimate(architecture)
        cells = [_moved(m(before), m(estimate), text, delta) for _, m, text, delta in MEASURES]
        score = _moved(base_scores[architecture], variant_scores[architecture], fmt.score,
                       lambda d: fmt.signed(d, digits=1))
        rows.append((architecture.label, *cells, score))
    return Table(("Architecture", *(name for name, *_ in MEASURES), "Score"), tuple(rows))


def verdict(base_recommendation: Recommendation, variant_recommendation: Recommendation) -> str:
    """Whether the what-if changes the recommendation, in one sentence."""
    before, after = base_recommendation.top, variant_recommendation.top
    if before is after:
        return f"The what-if keeps the recommendation: {after.label}."
    return f"The what-if changes the recommendation from {before.label} to {after.label}."
