"""What a disturbance looks like from outside: each step's blast radius and the capacity timeline of the chart.

The blast radius says, for each step, what one replica crash of it takes down. The timeline plays the
same scenario on every architecture (a crash, a rolling code deploy, a rolling model update, at fixed
minutes) and gives the share of the critical capacity in service over it, for the resilience chart.
"""

from __future__ import annotations

from collections.abc import Sequence

from planner.estimate.outages import UnitModel, batch_sizes
from planner.estimate.results import BlastRadius, TimelineEvent, TimelinePoint
from planner.estimate.topology import INFERENCE, Topology, Unit, is_critical
from planner.inputs.models import WorkloadProfile
from planner.inputs.units import PERCENT, SECONDS_PER_MINUTE

# Timeline of the chart: a crash, a code deploy and a model update, minutes from its start.
TIMELINE_CRASH_MIN = 2.0
TIMELINE_DEPLOY_MIN = 10.0
TIMELINE_MODEL_UPDATE_MIN = 25.0
TIMELINE_TAIL_MIN = 5.0  # shown after the last disturbance ends
TIMELINE_MIN_LENGTH_MIN = 40.0
TIMELINE_STEP_S = 10.0
MAX_TIMELINE_POINTS = 1500  # per architecture; the step widens for very long rollouts


def blast_radius(topology: Topology, workload: WorkloadProfile, units: Sequence[UnitModel]) -> tuple[BlastRadius, ...]:
    """For each step, what one replica crash of it takes down.

    The crashed replica's unit loses every step it holds; when that unit holds a critical step, the
    requests it held fail there, so the steps after that critical step (which need its output) lose
    them too. A non-critical step alone loses only itself: the requests go on without it (degraded).
    """
    by_name = {u.name: u for u in units}
    out = []
    for stage in topology.stages:
        unit: Unit = topology.unit_of(stage)
        if unit.name not in by_name:  # a provider's API: its outages are its SLA's, not a replica of ours
            continue
        affected = set(unit.components)
        critical = [topology.stages.index(s) for s in unit.components if is_critical(s, workload)]
        if critical:
            affected |= set(topology.stages[min(critical):])
        out.append(BlastRadius(
            component=stage, unit=unit.name, affected=tuple(s for s in topology.stages if s in affected),
            effect="fails requests" if critical else "degrades requests",
            capacity_lost_share=1.0 / by_name[unit.name].replicas))
    return tuple(out)



def _scenario(workload: WorkloadProfile) -> tuple[str | None, str | None]:
    """The step that crashes (the first non-critical one, else the first) and the step deployed (most deploys)."""
    steps = workload.pipeline
    if not steps:
        return None, None
    crashed = next((c.name for c in steps if not c.critical), steps[0].name)
    deployed = max(steps, key=lambda c: c.deploys_per_week).name
    return crashed, deployed


def timeline_events(workload: WorkloadProfile, *, model_update: bool = True) -> tuple[TimelineEvent, ...]:
    """The disturbances of the chart's window, the same for every architecture (without the model update when a
    provider's API serves the model: it ships its updates, nothing of ours restarts)."""
    crashed, deployed = _scenario(workload)
    events = []
    if crashed:
        events.append(TimelineEvent(minute=TIMELINE_CRASH_MIN, label=f"{crashed} replica crashes"))
    if deployed:
        events.append(TimelineEvent(minute=TIMELINE_DEPLOY_MIN, label=f"{deployed} code deploy"))
    if model_update:
        events.append(TimelineEvent(minute=TIMELINE_MODEL_UPDATE_MIN, label="model update"))
    return tuple(events)


def timeline(topology: Topology, workload: WorkloadProfile, units: Sequence[UnitModel]) -> tuple[TimelinePoint, ...]:
    """Capacity in service over the scenario: a crash, a rolling code deploy, a rolling model update."""
    crashed, deployed = _scenario(workload)
    by_name = {u.name: u for u in units}
    # Per unit: (start s, end s, replicas down) of every disturbance that touches it.
    spans: dict[str, list[tuple[float, float, int]]] = {u.name: [] for u in units}
    if crashed:
        unit = by_name[topology.unit_of(crashed).name]
        start = TIMELINE_CRASH_MIN * SECONDS_PER_MINUTE
        spans[unit.name].append((start, start + unit.mttr_s, 1))
    rollouts = [(TIMELINE_MODEL_UPDATE_MIN, INFERENCE)]
    if deployed:
        rollouts.append((TIMELINE_DEPLOY_MIN, deployed))
    end_s = TIMELINE_MIN_LENGTH_MIN * SECONDS_PER_MINUTE
    for minute, stage in rollouts:
        if topology.unit_of(stage).name not in by_name:  # the provider ships its model updates
            continue
        unit = by_name[topology.unit_of(stage).name]
        t = minute * SECONDS_PER_MINUTE
        for size in batch_sizes(unit):
            spans[unit.name].append((t, t + unit.mttr_s, size))
            t += unit.mttr_s
        end_s = max(end_s, t + TIMELINE_TAIL_MIN * SECONDS_PER_MINUTE)
    step = max(TIMELINE_STEP_S, end_s / MAX_TIMELINE_POINTS)
    points = []
    for i in range(int(end_s // step) + 1):
        t = i * step
        share = 1.0
        for u in units:
            if u.critical:
                down = min(u.replicas, sum(n for start, stop, n in spans[u.name] if start <= t < stop))
                share = min(share, (u.replicas - down) / u.replicas)
        points.append(TimelinePoint(minute=t / SECONDS_PER_MINUTE, capacity_pct=PERCENT * share))
    return tuple(points)
