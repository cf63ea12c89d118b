"""Flip points: for each key input, the nearest tried value at which the top architecture changes.

The inputs and the values tried come from data/scoring.yaml (``flip_inputs``); each candidate is
scored again with the estimates held fixed, nearest value first, so the flip point is the smallest
change to one answer that changes the recommendation.
"""

from __future__ import annotations

from planner.decide.contributions import score
from planner.decide.results import FlipPoint
from planner.estimate.results import Evaluation
from planner.inputs.models import Architecture, Assessment, Sourcing
from planner.inputs.questions import load_question_bank
from planner.inputs.weights import load_weights


def _with(assessment: Assessment, key: str, value: float) -> Assessment:
    """The assessment with one dotted input changed (team size caps the platform headcount)."""
    section, field = key.split(".")
    data = assessment.model_dump()
    current = data[section][field]
    data[section][field] = int(value) if isinstance(current, int) and not isinstance(current, bool) else value
    if key == "team.team_size":
        data["team"]["platform_headcount"] = min(data["team"]["platform_headcount"], int(value))
    if key == "team.platform_headcount" and value > data["team"]["team_size"]:
        return assessment
    return Assessment.model_validate(data)


def sourcing_flip(assessment: Assessment, evaluation: Evaluation | None, top: Architecture) -> FlipPoint | None:
    """The mean traffic at which the cheaper inference sourcing changes (the break-even: re-evaluated, not
    re-scored), or None when there is no break-even within the chart's range."""
    decision = evaluation.build_vs_buy if evaluation is not None else None
    if decision is None or decision.break_even_requests_per_month is None or decision.requests_per_month <= 0:
        return None
    current = assessment.workload.mean_requests_per_s
    threshold = float(f"{current * decision.break_even_requests_per_month / decision.requests_per_month:.3g}")
    new = Sourcing.API if decision.cheaper is Sourcing.SELF_HOSTED else Sourcing.SELF_HOSTED
    label = load_question_bank().labels().get("mean_requests_per_s", "mean_requests_per_s")
    direction = "Raising" if threshold > current else "Lowering"
    winner = "self-hosting" if new is Sourcing.SELF_HOSTED else decision.api_label
    loser = decision.api_label if new is Sourcing.SELF_HOSTED else "self-hosting"
    return FlipPoint(
        key="workload.mean_requests_per_s", label=label, current=current, threshold=threshold, new_top=top,
        new_sourcing=new,
        text=f"{direction} “{label}” from {current:g} to {threshold:g} "
             f"({decision.break_even_requests_per_month / 1e6:,.3g} M requests a month) would make {winner} cheaper "
             f"than {loser} for inference: re-evaluate.")


def flip_points(assessment: Assessment, evaluation: Evaluation | None = None) -> list[FlipPoint]:
    """For each key input, the nearest tried value at which the top architecture changes, and the traffic at which
    the cheaper inference sourcing changes (``sourcing_flip``)."""
    top = score(assessment, evaluation)[0].architecture
    labels = load_question_bank().labels()
    out = []
    for key, grid in load_weights()["flip_inputs"].items():
        section, field = key.split(".")
        current = float(getattr(getattr(assessment, section), field))
        candidates = sorted((float(v) for v in grid if float(v) != current), key=lambda v: abs(v - current))
        for value in candidates:
            changed = _with(assessment, key, value)
            new_top = score(changed, evaluation)[0].architecture
            if new_top is not top:
                label = labels.get(field, field)
                direction = "Raising" if value > current else "Lowering"
                out.append(FlipPoint(
                    key=key, label=label, current=current, threshold=value, new_top=new_top,
                    text=f"{direction} “{label}” from {current:g} to {value:g} would make "
                         f"{new_top.label} the top choice."))
                break
    sourcing = sourcing_flip(assessment, evaluation, top)
    if sourcing is not None:
        out.append(sourcing)
    return out
