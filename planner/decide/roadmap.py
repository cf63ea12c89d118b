"""The roadmap after a recommendation: three stages from today's architecture, and when to re-assess.

The stages depend on the top architecture: what to build now, the readiness gaps to close before the
next step, and when to take it (the nearest flip point, or a rule of thumb). Revisit triggers are the
workload and team flip points plus a doubling of peak traffic.
"""

from __future__ import annotations

from planner.decide.results import FlipPoint, RevisitTrigger, RoadmapStage
from planner.inputs.models import Architecture, Assessment, Sourcing
from planner.inputs.readiness import ReadinessGap

TRIGGER_PEAK_FACTOR = 2.0  # re-assess when peak traffic doubles
GAPS_SHOWN = 3  # readiness gaps named in the "prepare" stage
TRIGGER_TEAM_KEYS = frozenset({"team.team_size", "team.platform_headcount"})  # team inputs that trigger a revisit

# (title, detail) per stage; details are filled with {raise_gaps} (the gaps to close, a sentence),
# {raise_gaps_lower} (the same, starting in lower case) and {when} (when to take the next step).
STAGES: dict[Architecture, tuple[tuple[str, str], ...]] = {
    Architecture.MONOLITH: (
        ("Now: a modular monolith",
         "One deployable with inference behind an internal interface and one pipeline; keep module "
         "boundaries clean so parts can be extracted later."),
        ("Prepare: close the readiness gaps for a hybrid", "{raise_gaps}"),
        ("Next: extract inference (hybrid)", "Split inference into its own GPU service when {when}."),
    ),
    Architecture.HYBRID: (
        ("Now: core plus a separate inference service",
         "Scale GPU inference on queue depth apart from the CPU core; ship model updates with rolling "
         "deploys of the inference service only."),
        ("Prepare: readiness for more services", "{raise_gaps}"),
        ("Later: split steps with their own cadence",
         "Extract a step into its own service when a separate team owns it or its deploys outpace the core's."),
    ),
    Architecture.MICROSERVICES: (
        ("First: close the readiness gaps", "Before splitting: {raise_gaps_lower}"),
        ("Then: one service per step, inference first",
         "Extract inference, then the steps with their own teams or cadence; canary each model update on "
         "live metrics."),
        ("Watch: hop latency and operating cost",
         "Consolidate services whose hops take a growing share of the latency budget or whose owners are "
         "the same people."),
    ),
}


def next_architecture(top: Architecture) -> Architecture:
    """The architecture a roadmap prepares for: one step more distributed (microservices stay)."""
    return Architecture.HYBRID if top is Architecture.MONOLITH else Architecture.MICROSERVICES


def revisit_triggers(assessment: Assessment, flips: list[FlipPoint]) -> list[RevisitTrigger]:
    """Workload and team-size flip points as conditions on future answers, plus a doubling of peak traffic."""
    triggers = []
    for f in flips:
        if f.key.startswith("workload.") or f.key in TRIGGER_TEAM_KEYS:
            op, sign = (">=", "≥") if f.threshold > f.current else ("<=", "≤")
            outcome = (f"{'self-hosting' if f.new_sourcing is Sourcing.SELF_HOSTED else 'the API'} would be cheaper"
                       if f.new_sourcing is not None else f"{f.new_top.label} would lead")
            triggers.append(RevisitTrigger(
                key=f.key, op=op, threshold=f.threshold,
                text=f"{f.label} {sign} {f.threshold:g} (now {f.current:g}): {outcome}"))
    peak = assessment.workload.peak_requests_per_s
    peak_threshold = round(peak * TRIGGER_PEAK_FACTOR, 3)
    triggers.append(RevisitTrigger(
        key="workload.peak_requests_per_s", op=">=", threshold=peak_threshold,
        text=f"Peak traffic ≥ {peak_threshold:g} requests/s (now {peak:g}): re-size the fleet"))
    return triggers


def roadmap_stages(top: Architecture, flips: list[FlipPoint], gaps: list[ReadinessGap]) -> list[RoadmapStage]:
    """The three stages for a top architecture, given the flip points and the gaps that stand in the way."""
    next_gaps = "; ".join(f"{g.label} to level {g.required}" for g in gaps[:GAPS_SHOWN])
    raise_gaps = f"Raise {next_gaps}." if next_gaps else "No readiness gaps stand in the way."
    extract = next((f for f in flips if f.new_top is not Architecture.MONOLITH and f.new_sourcing is None), None)
    when = (f"“{extract.label}” reaches {extract.threshold:g} (now {extract.current:g})" if extract
            else "model updates become weekly or more, or a second team starts shipping")
    facts = {"raise_gaps": raise_gaps, "raise_gaps_lower": raise_gaps[0].lower() + raise_gaps[1:], "when": when}
    return [RoadmapStage(title=title, detail=detail.format(**facts)) for title, detail in STAGES[top]]
