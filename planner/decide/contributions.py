"""The score of each architecture: ``base_score`` plus a sum of named contributions, each with its reason.

A driver turns answers (and, when an Evaluation is given, estimates) into a signal between 0 and 1
with a formula below; the signal times the driver's weight for an architecture (data/scoring.yaml) is
that architecture's contribution, and its reason quotes the answer or number behind it. Nothing else
moves a score, so the page can show exactly why one architecture leads.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from planner.decide.results import ArchitectureScore, Contribution
from planner.estimate.engine import resolve_constants
from planner.estimate.results import Evaluation
from planner.estimate.topology import INFERENCE, build_topology, hop_median_ms
from planner.inputs.models import Architecture, Assessment, Sourcing
from planner.inputs.questions import READINESS_LEVELS, load_question_bank
from planner.inputs.readiness import readiness_gaps
from planner.inputs.units import MINUTES_PER_HOUR, PERCENT
from planner.inputs.weights import load_weights

# Signal scales: the answer at which a driver's signal reaches 1.
DAILY_UPDATES_PER_MONTH = 30.0  # daily model refreshes: the strongest case for independent deploys
BUSY_DEPLOYS_PER_WEEK = 50.0  # code deploys a week across the pipeline that saturate the signal
PEAK_RATIO_FULL = 5.0  # peak/mean at which GPU and CPU load clearly need separate scaling
SPIKY_BONUS = 0.25  # added to the scaling signal for spiky traffic
TEAMS_FULL = 6  # teams shipping independently
AVAILABILITY_FLOOR_PCT = 99.0  # below this, isolation buys little
AVAILABILITY_FULL_PCT = 99.99
HOP_SHARE_FULL = 0.10  # hops eating 10 % of the TTFT budget is a tight budget
SMALL_TEAM_FULL = 30  # engineers at which team size no longer argues for a monolith
PLATFORM_STAFF_FULL = 4  # platform/SRE people who can run a microservice platform
COST_EXCESS_FULL = 0.5  # 50 % more than the cheapest architecture
DEPLOY_MINUTES_FULL = 480.0  # capacity-minutes a month out of service for deploys: a full working day
LEAD_TIME_MINUTES_SHOWN = 90.0  # lead times above this are quoted in hours
ISOLATION_BUDGET_FULL = 0.5  # requests saved against the worst architecture, as a share of the error budget
MIN_CONTRIBUTION = 0.05  # points; smaller contributions are not shown

AddContribution = Callable[..., None]  # add(driver, signal, extra facts=None): one driver's contribution


def _clamp(x: float) -> float:
    return min(1.0, max(0.0, x))


def _hop_latency_ms(architecture: Architecture, assessment: Assessment) -> tuple[int, float]:
    """Hops and their median latency without an evaluation: hops x (median + mesh overhead)."""
    topology = build_topology(architecture, assessment.workload)
    constants, _ = resolve_constants(assessment)
    return topology.network_hops, topology.network_hops * hop_median_ms(architecture, constants)


def _facts(assessment: Assessment) -> dict[str, Any]:
    w, t = assessment.workload, assessment.team
    levels = t.levels()
    return {
        "model_updates": w.model_updates_per_month,
        "deploys": w.deploys_per_week,
        "components": len(w.pipeline),
        "peak_ratio": w.peak_requests_per_s / w.mean_requests_per_s,
        "shape": w.traffic_shape.value.replace("_", " "),
        "teams": w.teams_contributing,
        "availability": w.availability_target_pct,
        "noncritical": sum(not c.critical for c in w.pipeline),
        "ttft_target": w.p95_ttft_ms,
        "e2e_target": w.p95_e2e_ms,
        "team_size": t.team_size,
        "platform": t.platform_headcount,
        "readiness_mean": sum(levels.values()) / len(levels),
        "budget": t.monthly_budget_usd,
        "stage": t.stage.value.capitalize(),
    }


def _signals(assessment: Assessment, api: bool = False) -> dict[str, float]:
    """Signals (0-1) of the answer-driven drivers; the same for every architecture.

    Behind a managed API (``api``) the provider ships model updates and scales the GPUs, so the update-cadence and
    scaling signals are 0: neither argues for separating inference from the rest.
    """
    w, f = assessment.workload, _facts(assessment)
    update = 0.0 if api else _clamp(math.log1p(w.model_updates_per_month) / math.log1p(DAILY_UPDATES_PER_MONTH))
    deploys = _clamp(math.log1p(w.deploys_per_week) / math.log1p(BUSY_DEPLOYS_PER_WEEK))
    spiky = SPIKY_BONUS if w.traffic_shape.value == "spiky" else 0.0
    scaling = 0.0 if api else _clamp((f["peak_ratio"] - 1.0) / (PEAK_RATIO_FULL - 1.0) + spiky)
    teams = _clamp((w.teams_contributing - 1) / (TEAMS_FULL - 1))
    share_noncritical = f["noncritical"] / len(w.pipeline) if w.pipeline else 0.0
    availability = _clamp(
        (w.availability_target_pct - AVAILABILITY_FLOOR_PCT) / (AVAILABILITY_FULL_PCT - AVAILABILITY_FLOOR_PCT)
    )
    return {
        "update_cadence": update,
        "code_deploys": deploys,
        "scaling_heterogeneity": scaling,
        "teams": teams,
        "isolation": availability * (0.5 + 0.5 * share_noncritical),
        "team_size": _clamp(1.0 - (assessment.team.team_size - 1) / (SMALL_TEAM_FULL - 1)),
        "platform_staff": _clamp(1.0 - assessment.team.platform_headcount / PLATFORM_STAFF_FULL),
        "readiness_fit": f["readiness_mean"] / (READINESS_LEVELS - 1),
        "single_hotspot": max(update, scaling) * (1.0 - teams) * (1.0 - deploys),
    }


def reason_text(driver: str, points: float, signal: float, facts: dict[str, Any]) -> str:
    """A driver's reason, worded for the direction of its points and the size of its signal (data/scoring.yaml).

    Points above zero take the ``positive`` template (the driver argues for this architecture), others the
    ``negative`` one; a signal below ``weak_signal`` takes the ``weak_`` variant when the driver has one,
    so a small contribution is not explained with the words of a strong case.
    """
    weights = load_weights()
    templates = weights["drivers"][driver]["reason"]
    direction = "positive" if points > 0 else "negative"
    weak = templates.get(f"weak_{direction}")
    template = weak if weak and signal < weights["weak_signal"] else templates[direction]
    return str(template).format(**facts)


def _contributions(
    architecture: Architecture, assessment: Assessment, evaluation: Evaluation | None
) -> list[Contribution]:
    weights = load_weights()
    facts = _facts(assessment)
    out: list[Contribution] = []

    def add(driver: str, signal: float, extra: dict[str, Any] | None = None) -> None:
        points = weights["drivers"][driver]["weights"][architecture.value] * signal
        if abs(points) >= MIN_CONTRIBUTION:
            out.append(Contribution(driver=driver, points=round(points, 2),
                                    reason=reason_text(driver, points, signal, {**facts, **(extra or {})})))

    api = evaluation is not None and evaluation.sourcing is Sourcing.API
    for driver, signal in _signals(assessment, api).items():
        add(driver, signal)
    _latency_budget(architecture, assessment, evaluation, add)

    stage = assessment.team.stage.value
    stage_points = weights["stage"]["weights"][stage][architecture.value]
    if stage_points:
        template = weights["stage"]["reason"]["positive" if stage_points > 0 else "negative"]
        out.append(Contribution(driver="stage", points=float(stage_points),
                                reason=template.format(**facts, stage_why=weights["stage"]["why"][stage])))
    out.extend(_readiness_contributions(architecture, assessment))
    if evaluation is not None:
        _estimate_contributions(architecture, assessment, evaluation, add)
    return out


def _latency_budget(architecture: Architecture, assessment: Assessment, evaluation: Evaluation | None,
                    add: AddContribution) -> None:
    """The share of the TTFT target that network hops take (an architecture without hops quotes the worst)."""
    if evaluation is not None:
        estimate = evaluation.estimate(architecture)
        hops, hop_ms = estimate.network_hops, estimate.hop_latency_ms
    else:
        hops, hop_ms = _hop_latency_ms(architecture, assessment)
    worst_hops, worst_ms = _hop_latency_ms(Architecture.MICROSERVICES, assessment)
    if evaluation is not None:
        worst_ms = max(e.hop_latency_ms for e in evaluation.estimates.values())
    shown_ms, shown_hops = (hop_ms, hops) if hops else (worst_ms, worst_hops)
    share = shown_ms / assessment.workload.p95_ttft_ms
    add("latency_budget", _clamp(share / HOP_SHARE_FULL),
        {"hops": shown_hops, "hop_ms": shown_ms, "hop_share": share})


def _readiness_contributions(architecture: Architecture, assessment: Assessment) -> list[Contribution]:
    """Points lost per missing readiness level, one contribution per gap (planner.inputs.readiness)."""
    readiness = load_weights()["readiness"]
    per_level = readiness["points_per_missing_level"][architecture.value]
    out = []
    for gap in readiness_gaps(architecture, assessment):
        bank = load_question_bank()
        question = bank.readiness_question(gap.key)
        points = -per_level * (gap.required - gap.current)
        out.append(Contribution(driver=f"readiness.{gap.key}", points=round(points, 2),
                                reason=readiness["reason"].format(
                                    label=gap.label, current=gap.current, required=gap.required,
                                    required_text=bank.in_sentence(question.levels[gap.required]))))
    return out


def _estimate_contributions(architecture: Architecture, assessment: Assessment, evaluation: Evaluation,
                            add: AddContribution) -> None:
    """Cost, budget and SLO drivers, which need the engine's numbers (added through ``add``)."""
    estimate = evaluation.estimate(architecture)
    cost = estimate.monthly_cost_usd
    cost_min = min(e.monthly_cost_usd for e in evaluation.estimates.values())
    excess = (cost - cost_min) / cost_min if cost_min > 0 else 0.0
    numbers = {"cost": cost, "cost_min": cost_min, "cost_excess": excess,
               "p95_ttft": estimate.ttft.p95_ms, "p95_e2e": estimate.e2e.p95_ms}
    add("cost", _clamp(excess / COST_EXCESS_FULL), numbers)
    budget = assessment.team.monthly_budget_usd
    infrastructure = estimate.cost.infrastructure_usd
    add("budget", _clamp((infrastructure - budget) / budget), {**numbers, "infrastructure": infrastructure})
    add("slo", 0.0 if estimate.meets_targets else 1.0, numbers)
    _resilience_contributions(architecture, assessment, evaluation, add)


def _resilience_contributions(architecture: Architecture, assessment: Assessment, evaluation: Evaluation,
                              add: AddContribution) -> None:
    """Availability against the target, capacity lost to deploys, and failures contained (estimate.resilience)."""
    own = evaluation.estimate(architecture).resilience
    others = {a: e.resilience for a, e in evaluation.estimates.items() if e.resilience is not None}
    if own is None:
        return
    target = assessment.workload.availability_target_pct
    restarts = sum(u.deploys_per_month * u.replicas for u in own.units)

    def lost(r: Any) -> float:
        return float(r.failed_per_month + r.slowed_per_month)

    worst_architecture, worst = max(others.items(), key=lambda item: lost(item[1]))
    numbers = {"availability_est": own.availability_pct, "failed": own.failed_per_month,
               "slowed": own.slowed_per_month, "deploy_minutes": own.deploy_capacity_minutes_per_month,
               "restarts": restarts, "lost": lost(own), "worst_lost": lost(worst),
               "worst_arch": worst_architecture.label, **_lead_time_facts(own)}
    add("availability", _clamp((target - own.availability_pct) / (PERCENT - target)), numbers)
    add("deploy_disruption", _clamp(own.deploy_capacity_minutes_per_month / DEPLOY_MINUTES_FULL), numbers)
    # Requests saved against the worst architecture, measured against the target's error budget.
    budget = own.requests_per_month * (PERCENT - target) / PERCENT
    add("fault_isolation", _clamp((lost(worst) - lost(own)) / (budget * ISOLATION_BUDGET_FULL)),
        {**numbers, "budget": budget})


def lead_time_text(minutes: float) -> str:
    """A lead time as a reader wants it: minutes up to LEAD_TIME_MINUTES_SHOWN, hours beyond (page, PDF, reasons)."""
    return f"{minutes:,.0f} min" if minutes <= LEAD_TIME_MINUTES_SHOWN else f"{minutes / MINUTES_PER_HOUR:,.1f} h"


def _lead_time_facts(resilience: Any) -> dict[str, Any]:
    """The model-update lead time and what it is made of (the wait for a release and the rolling restart)."""
    rollout_min = next((u.rollout_min for u in resilience.units if INFERENCE in u.components), None)
    lead_min = resilience.model_update_lead_time_min
    if rollout_min is None:  # a managed API serves the model
        return {"lead_time": lead_min, "lead_time_text": lead_time_text(lead_min),
                "lead_time_clause": "a model update restarts nothing of yours (the provider ships it; you pin a "
                                    "version and move the pin when ready)"}
    wait_min = max(0.0, lead_min - rollout_min)
    if wait_min > 0:
        how = (f"{lead_time_text(wait_min)} waiting for the next release of the whole app, then a "
               f"{lead_time_text(rollout_min)} rolling restart")
    else:
        how = f"the model deploys on its own, a {lead_time_text(rollout_min)} rolling restart"
    return {"lead_time": lead_min, "lead_time_text": lead_time_text(lead_min),
            "lead_time_clause": f"a model update takes {lead_time_text(lead_min)} from ready to every replica ({how})"}


def score(assessment: Assessment, evaluation: Evaluation | None = None) -> list[ArchitectureScore]:
    """Every architecture's score and contributions, best first (ties: simpler architecture first)."""
    base = float(load_weights()["base_score"])
    scores = []
    for architecture in Architecture:
        contributions = _contributions(architecture, assessment, evaluation)
        total = base + sum(c.points for c in contributions)
        ordered = tuple(sorted(contributions, key=lambda c: -abs(c.points)))
        scores.append(ArchitectureScore(architecture=architecture, score=round(total, 2), contributions=ordered))
    order = list(Architecture)
    return sorted(scores, key=lambda s: (-s.score, order.index(s.architecture)))
