"""The recommendation: ranked architectures with reasons, readiness gaps, flip points and a roadmap.

``recommend`` is the one entry point; it puts together the scores (planner.decide.contributions), the
readiness gaps (planner.inputs.readiness), the flip points (planner.decide.flips) and the roadmap
(planner.decide.roadmap). ``score``, ``lead_time_text`` and ``load_weights`` are importable from here
too, where the pages, the report and the history have always found them.
"""

from __future__ import annotations

from planner.decide.contributions import lead_time_text, score
from planner.decide.flips import flip_points
from planner.decide.results import ArchitectureScore, Recommendation
from planner.decide.roadmap import next_architecture, revisit_triggers, roadmap_stages
from planner.estimate.results import Evaluation
from planner.inputs.models import Architecture, Assessment
from planner.inputs.readiness import readiness_gaps
from planner.inputs.weights import load_weights

__all__ = ["confidence", "lead_time_text", "load_weights", "recommend", "scale_text", "score", "score_range"]

REASONS_IN_SUMMARY = 2  # the leader's strongest positive reasons quoted in the summary


def confidence(margin: float) -> str:
    """'high', 'medium' or 'low' for the points between the first and the second (data/scoring.yaml)."""
    thresholds = load_weights()["confidence"]
    return ("high" if margin >= thresholds["high_margin"]
            else "medium" if margin >= thresholds["medium_margin"] else "low")


def score_range(architecture: Architecture) -> tuple[float, float]:
    """The lowest and highest score an architecture can reach: the base plus every driver's weight at a signal of
    0 or 1 (each driver's signal lies between them, planner/decide/contributions.py)."""
    weights = load_weights()
    signed = [float(d["weights"][architecture.value]) for d in weights["drivers"].values()]
    base = float(weights["base_score"])
    return base + sum(w for w in signed if w < 0), base + sum(w for w in signed if w > 0)


def scale_text() -> str:
    """What a score and a lead mean: the base, each architecture's reachable range and the confidence thresholds."""
    weights = load_weights()
    thresholds = weights["confidence"]
    ranges = ", ".join(f"{a.label.lower()} {low:g} to {high:g}" for a in Architecture
                       for low, high in [score_range(a)])
    return (f"Scores start at {weights['base_score']:g} points; each driver adds or takes away up to its weight, so "
            f"they can range: {ranges}. A lead of {thresholds['high_margin']:g} points or more is high confidence, "
            f"{thresholds['medium_margin']:g} or more medium, less is low.")


def _summary(first: ArchitectureScore, second: ArchitectureScore, margin: float, level: str) -> str:
    reasons = [c.reason for c in first.contributions if c.points > 0][:REASONS_IN_SUMMARY]
    return (f"{first.architecture.label} leads {second.architecture.label} by {margin:g} points "
            f"({level} confidence)" + (": " + "; ".join(reasons) if reasons else "") + ".")


def sourcing_text(top: Architecture, evaluation: Evaluation | None) -> str:
    """'Hybrid, inference through <provider model>' or 'Monolith, self-hosted on 2x H100 (...)'; the label alone
    without estimates."""
    if evaluation is None:
        return top.label
    own = evaluation.estimate(top).inference_text
    if not own:  # saved before it existed
        return top.label
    return f"{top.label}, inference {own}" if own.startswith("through") else f"{top.label}, {own}"


def sourcing_reasons(evaluation: Evaluation | None) -> tuple[str, ...]:
    """Why the estimates use the sourcing they use (the build-or-buy factors, planner.estimate.sourcing)."""
    decision = evaluation.build_vs_buy if evaluation is not None else None
    if evaluation is None or decision is None:
        return ()
    return tuple(decision.reasons)  # the factors say what an API changes about model updates


def recommend(assessment: Assessment, evaluation: Evaluation | None = None) -> Recommendation:
    """Rank the architectures, explain why, and say what would change the ranking."""
    ranked = score(assessment, evaluation)
    first, second = ranked[0], ranked[1]
    top = first.architecture
    margin = round(first.score - second.score, 2)
    level = confidence(margin)
    gaps = [g for a in Architecture for g in readiness_gaps(a, assessment)]
    flips = flip_points(assessment, evaluation)
    prepare_for = next_architecture(top)  # the roadmap closes the gaps of the next step
    roadmap = roadmap_stages(top, flips, [g for g in gaps if g.architecture is prepare_for])
    headline = sourcing_text(top, evaluation)
    summary = _summary(first, second, margin, level)
    if headline != top.label:
        summary = f"{headline}. {summary}"
    return Recommendation(
        ranked=tuple(ranked), margin=margin, confidence=level, summary=summary,
        sourcing_text=headline, sourcing_reasons=sourcing_reasons(evaluation),
        gaps=tuple(gaps), flip_points=tuple(flips), roadmap=tuple(roadmap),
        triggers=tuple(revisit_triggers(assessment, flips)), used_estimates=evaluation is not None)
