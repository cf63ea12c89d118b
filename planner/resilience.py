"""Resilience and change: crashes, rolling deploys and model updates of each architecture, in numbers.

What is modelled. Each deployable unit of an architecture (planner.topology) has ``n`` replicas at
peak (GPU instances, or one-vCPU workers), a crash rate per replica, a time to serve again after a crash
or a restart, and a number of rolling restarts a month (its steps' code deploys, plus the model
updates where it holds the model). The monolith is one unit: a crash of any step or of the GPU takes
a whole replica down, and every deploy restarts every replica, model reload included. The hybrid
has a CPU core and an inference unit that fail and deploy apart. Microservices fail and deploy one
step at a time, but every request crosses more hops, and each hop can fail or time out (and is retried).

Why this method. A month holds a few dozen crashes and deploys, each lasting seconds to minutes, and
millions of requests; simulating a whole month request by request would take minutes per
architecture, and almost all of it would repeat the undisturbed peak simulation the capacity step
has already run. So the month is split into what needs which tool:

1. When and how much capacity is down: a Monte Carlo of the replicas' up/down processes (exponential
   times between crashes, a fixed time to serve again), ``OUTAGE_MONTHS`` independent months started
   in the stationary state. It gives the time each unit spends with ``j`` replicas down, the time a
   unit is wholly down (the union over critical units fails requests), crash counts, and a 95 %
   confidence interval of availability across the months. For one replica its down share converges
   to MTTR / (MTBF + MTTR), which a test checks.
2. What a partial outage does to requests: the existing simulation core (planner.simulation) runs the
   peak pipeline with ``j`` replicas of a unit out of service for the window's length, and again
   without the outage on the same random numbers (common random numbers, so the difference is not
   noise); the extra requests over a latency target, per request arriving in the window, is the
   window's slowed share. Only disturbed windows are simulated; a window longer than
   ``WINDOW_REQUESTS`` arrivals is simulated for that many and the extra misses of the requests
   arriving in it are scaled to its full length (those of the backlog after it are counted once, or
   scaled too when the capacity left is below the load). A CPU outage after which Erlang C still
   meets the sizing rule's wait target is not simulated (its share is 0).
3. Closed forms for the rest: deploys are planned and regular, so their effect is exact given the
   window shares (a rolling restart of ``n`` replicas in batches of ``k`` keeps ``k`` down for
   ``ceil(n/k)`` restarts, each ``restart_s`` long); requests held by a replica when it crashes
   (Little's law: rate x time in the unit / ``n``) and requests sent to it before it is detected
   fail, unless the unit is called over an internal hop that retries (then they are slowed); each hop
   fails a request with probability ``f^(retries+1)``, ``f`` the per-try share of transient errors and
   timeouts (lognormal hop latency above the timeout).

Approximations, stated: capacity effects are measured at peak load on the peak fleet (autoscaling keeps
the relative headroom similar at other hours); overlaps of a deploy with a crash are not compounded;
states with a number of replicas down that was not simulated are interpolated from the simulated ones;
retries add no load. Availability counts requests that fail plus those a disturbance pushes over a
latency target (the p95 targets themselves allow 5 % slow requests, so the undisturbed share is not
counted); requests answered without a non-critical step are "degraded" and count as served.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from planner.capacity import CPU_WAIT_SHARE_OF_TTFT, FleetPlan, simulation_input
from planner.models import Assessment, LlmSpec, WorkloadProfile
from planner.queueing import mmc_wait_quantile_s
from planner.results import (
    BlastRadius,
    FailureCause,
    ResilienceEstimate,
    TimelineEvent,
    TimelinePoint,
    UnitResilience,
)
from planner.simulation import T_975, CpuStation, Outage, SimulationInput, simulate
from planner.topology import INFERENCE, Topology, Unit, hop_median_ms, mesh_extra_ms

S_PER_H = 3600.0
S_PER_MIN = 60.0
WEEKS_PER_MONTH = 52.0 / 12.0  # deploys per week -> per month
GB = 1e9  # bytes
OUTAGE_MONTHS = 20  # independent months in the up/down Monte Carlo (the CI is across them)
WINDOW_REQUESTS = 600  # most arrivals simulated inside one disturbed window
TAIL_REQUESTS = 200  # measured arrivals after the window, so its backlog drains within the count
WINDOW_WARMUP = 100  # requests before the window, discarded
P95_Q = 0.95
# Timeline of the chart: a crash, a code deploy and a model update, minutes from its start.
TIMELINE_CRASH_MIN = 2.0
TIMELINE_DEPLOY_MIN = 10.0
TIMELINE_MODEL_UPDATE_MIN = 25.0
TIMELINE_TAIL_MIN = 5.0  # shown after the last disturbance ends
TIMELINE_MIN_LENGTH_MIN = 40.0
TIMELINE_STEP_S = 10.0
MAX_TIMELINE_POINTS = 1500  # per architecture; the step widens for very long rollouts


@dataclass(frozen=True)
class UnitModel:
    """The failure and deploy figures of one unit, as the Monte Carlo and the closed forms use them."""

    name: str
    components: tuple[str, ...]
    critical: bool
    replicas: int
    mtbf_h: float
    mttr_s: float  # after a crash, and for each restart of a rolling deploy
    deploys_per_month: float
    batch: int  # replicas restarted at once
    retried: bool  # called over an internal hop that retries on another replica
    in_unit_s: float  # mean time a request spends in the unit (Little's law for in-flight requests)

    @property
    def batches(self) -> int:
        return math.ceil(self.replicas / self.batch)

    @property
    def rollout_s(self) -> float:
        return self.batches * self.mttr_s


@dataclass(frozen=True)
class MonthOutages:
    """One simulated month: time with ``j`` replicas down per unit, whole-unit outages, crashes."""

    down_h: dict[str, dict[int, float]]  # unit -> replicas down (1..n-1) -> hours
    critical_outage_h: float  # union of the times a critical unit has every replica down
    noncritical_outage_h: float
    crashes: dict[str, int]


def model_load_s(llm: LlmSpec, workload: WorkloadProfile, constants: dict[str, float]) -> float:
    """Seconds to read the weights (params x bytes per param at the load rate) and warm the engine up."""
    weights_gb = llm.params_b * 1e9 * workload.precision.bytes_per_param / GB
    return weights_gb / constants["gpu.model_load_gb_per_s"] + constants["gpu.engine_warmup_s"]


def _critical(stage: str, workload: WorkloadProfile) -> bool:
    return stage == INFERENCE or next(c.critical for c in workload.pipeline if c.name == stage)


def unit_models(topology: Topology, assessment: Assessment, plan: FleetPlan, llm: LlmSpec,
                constants: dict[str, float]) -> list[UnitModel]:
    """Replicas, crash rate, restart time, deploys and rollout batch of every unit of an architecture."""
    w = assessment.workload
    steps = {c.name: c for c in w.pipeline}
    mtbf = {c.name: c.mtbf_h or constants["resilience.replica_mtbf_h"] for c in w.pipeline}
    mttr = {c.name: c.mttr_s or constants["resilience.cpu_restart_s"] for c in w.pipeline}
    gpu_rate = plan.option.instance.gpu_count / constants["resilience.gpu_mtbf_h"]
    server_rate = 1.0 / constants["resilience.replica_mtbf_h"]  # the model server's own crashes
    load_s = model_load_s(llm, w, constants)
    time_in = _time_in_units(topology, assessment, plan, constants)
    retries = int(constants["network.hop_retries"])
    out = []
    for unit in topology.units:
        cpu = [s for s in unit.components if s != INFERENCE]
        rate = sum(1.0 / mtbf[s] for s in cpu)
        restart = max((mttr[s] for s in cpu), default=constants["resilience.cpu_restart_s"])
        deploys = sum(steps[s].deploys_per_week for s in cpu) * WEEKS_PER_MONTH
        if INFERENCE in unit.components:
            rate += server_rate + gpu_rate
            restart = max(restart, constants["resilience.cpu_restart_s"]) + load_s
            deploys += w.model_updates_per_month
        replicas = next(u.peak for u in plan.units if u.name == unit.name)
        first = topology.stages.index(unit.components[0])
        out.append(UnitModel(
            name=unit.name, components=unit.components, critical=any(_critical(s, w) for s in unit.components),
            replicas=replicas, mtbf_h=1.0 / rate if rate > 0 else math.inf, mttr_s=restart,
            deploys_per_month=deploys,
            batch=max(1, math.floor(constants["deploy.max_unavailable_share"] * replicas)),
            retried=topology.hop_before(first) and retries > 0, in_unit_s=time_in[unit.name]))
    return out


def _time_in_units(topology: Topology, assessment: Assessment, plan: FleetPlan,
                   constants: dict[str, float]) -> dict[str, float]:
    """Mean seconds a request spends in each unit at peak (CPU time and queueing; the model gets the rest)."""
    sim = plan.simulation
    cpu_ms = {c.name: c.cpu_ms_per_request for c in assessment.workload.pipeline}
    wait_ms = {s.name: s.mean_wait_ms for s in sim.stations}
    step_ms = {s: cpu_ms[s] + wait_ms.get(s, 0.0) for s in cpu_ms}
    hops_ms = topology.network_hops * hop_median_ms(topology.architecture, constants)
    model_ms = max(0.0, sim.e2e.mean_ms - sum(step_ms.values()) - hops_ms)
    return {u.name: sum(model_ms if s == INFERENCE else step_ms[s] for s in u.components) / 1000.0
            for u in topology.units}


# Monte Carlo of the up/down processes ------------------------------------------------------------------


def _down_intervals(rng: np.random.Generator, mtbf_h: float, mttr_h: float, horizon_h: float
                    ) -> tuple[list[tuple[float, float]], int]:
    """One replica's down intervals within [0, horizon) from the stationary state, and its crash count."""
    intervals: list[tuple[float, float]] = []
    crashes = 0
    if not math.isfinite(mtbf_h):
        return intervals, crashes
    t = 0.0
    if rng.random() < mttr_h / (mtbf_h + mttr_h):  # already down: the rest of a repair
        t = rng.random() * mttr_h
        intervals.append((0.0, min(t, horizon_h)))
    while True:
        t += rng.exponential(mtbf_h)
        if t >= horizon_h:
            return intervals, crashes
        crashes += 1
        intervals.append((t, min(t + mttr_h, horizon_h)))
        t += mttr_h


def _union_h(intervals: list[tuple[float, float]]) -> float:
    total, end = 0.0, -math.inf
    for start, stop in sorted(intervals):
        if stop > end:
            total += stop - max(start, end)
            end = stop
    return total


def simulate_outages(units: Sequence[UnitModel], *, hours_per_month: float, months: int = OUTAGE_MONTHS,
                     seed: int = 0) -> list[MonthOutages]:
    """Crashes and repairs of every replica over ``months`` independent months (seeded per unit)."""
    if months < 1:
        raise ValueError('"months" must be >= 1.')
    rngs = [np.random.default_rng([seed, i]) for i in range(len(units))]
    out = []
    for _ in range(months):
        down_h: dict[str, dict[int, float]] = {}
        crashes: dict[str, int] = {}
        critical_full: list[tuple[float, float]] = []
        other_full: list[tuple[float, float]] = []
        for unit, rng in zip(units, rngs, strict=True):
            events: list[tuple[float, int]] = []
            count = 0
            for _replica in range(unit.replicas):
                intervals, n = _down_intervals(rng, unit.mtbf_h, unit.mttr_s / S_PER_H, hours_per_month)
                count += n
                for start, stop in intervals:
                    events += [(start, 1), (stop, -1)]
            events.sort()
            times: dict[int, float] = {}
            down, last, full_since = 0, 0.0, 0.0
            for t, change in events:
                if down:
                    times[down] = times.get(down, 0.0) + t - last
                if down + change == unit.replicas:
                    full_since = t
                elif down == unit.replicas:
                    (critical_full if unit.critical else other_full).append((full_since, t))
                down, last = down + change, t
            times.pop(unit.replicas, None)
            down_h[unit.name], crashes[unit.name] = times, count
        out.append(MonthOutages(down_h=down_h, critical_outage_h=_union_h(critical_full),
                                noncritical_outage_h=_union_h(other_full), crashes=crashes))
    return out


def mean_ci(values: Sequence[float]) -> tuple[float, tuple[float, float]]:
    """Mean and 95 % t-interval of independent replications."""
    mean = float(np.mean(values))
    if len(values) < 2:
        return mean, (mean, mean)
    half = T_975[min(len(values) - 1, max(T_975))] * float(np.std(values, ddof=1)) / math.sqrt(len(values))
    return mean, (mean - half, mean + half)


# Disturbed windows, simulated ---------------------------------------------------------------------------


class WindowShares:
    """Share of the requests arriving in a window that an outage of ``j`` replicas pushes over a target."""

    def __init__(self, topology: Topology, assessment: Assessment, plan: FleetPlan, constants: dict[str, float],
                 seed: int) -> None:
        self.topology, self.assessment, self.plan = topology, assessment, plan
        self.rate = assessment.workload.peak_requests_per_s
        self.base = simulation_input(topology, assessment, plan.option, plan.inference_replicas_peak,
                                     plan.cpu_workers, constants, seed, n_requests=WINDOW_REQUESTS + TAIL_REQUESTS,
                                     warmup=WINDOW_WARMUP)
        self._base_misses: np.ndarray | None = None
        self.simulated = 0  # window simulations run (the benchmark reports it)
        self._shares: dict[tuple[str, int], float] = {}

    def _outages(self, unit: UnitModel, down: int, duration_s: float) -> list[Outage]:
        out = []
        per_instance = self.plan.option.replicas_per_instance
        for i, station in enumerate(self.base.stations):
            if station.name not in unit.components:
                continue
            size = station.servers if isinstance(station, CpuStation) else station.replicas
            if isinstance(station, CpuStation):
                lost = math.floor(size * down / unit.replicas + 0.5)
            else:
                lost = down * per_instance
            lost = min(lost, size - 1)
            if lost > 0:
                out.append(Outage(station=i, down=lost, duration_s=duration_s))
        return out

    def _harmless(self, outages: list[Outage]) -> bool:
        """Whether every outage is on CPU workers that still meet the sizing rule's p95 wait (Erlang C)."""
        target_s = self.assessment.workload.p95_ttft_ms * CPU_WAIT_SHARE_OF_TTFT / 1000.0
        for outage in outages:
            station = self.base.stations[outage.station]
            if not isinstance(station, CpuStation):
                return False
            left = station.servers - outage.down
            if mmc_wait_quantile_s(self.rate, 1.0 / station.mean_service_s, left, P95_Q) > target_s:
                return False
        return True

    def _misses(self, inp: SimulationInput) -> np.ndarray:
        """Whether each measured request (in arrival order) misses a latency target."""
        self.simulated += 1
        result = simulate(inp, keep_samples=True)
        w = self.assessment.workload
        return ((np.asarray(result.ttft_samples_ms) > w.p95_ttft_ms)
                | (np.asarray(result.e2e_samples_ms) > w.p95_e2e_ms))

    def _overloaded(self, outages: list[Outage]) -> bool:
        """Whether the capacity left is below the peak load, so the backlog grows with the window's length."""
        for outage in outages:
            station = self.base.stations[outage.station]
            if isinstance(station, CpuStation):
                capacity = (station.servers - outage.down) / station.mean_service_s
            else:
                capacity = (station.replicas - outage.down) * self.plan.option.replica_requests_per_s
            if capacity < self.rate:
                return True
        return False

    def share(self, unit: UnitModel, down: int) -> float:
        """The slowed share for ``down`` of the unit's replicas out for its restart time (0 when none).

        Extra misses among the requests arriving in the simulated window scale with the real window's
        length; those arriving after it (the backlog draining) are counted once, or scaled as well when
        the capacity left is below the load (the backlog then grows with the window).
        """
        key = (unit.name, down)
        if key in self._shares:
            return self._shares[key]
        duration_s = min(unit.mttr_s, WINDOW_REQUESTS / self.rate)
        outages = self._outages(unit, down, duration_s)
        share = 0.0
        if outages and not self._harmless(outages):
            if self._base_misses is None:
                self._base_misses = self._misses(self.base)
            extra = self._misses(self.base.model_copy(update={"outages": outages})).astype(float) - self._base_misses
            inside = min(len(extra), round(self.rate * duration_s))
            scale = unit.mttr_s / duration_s
            after = float(extra[inside:].sum()) * (scale if self._overloaded(outages) else 1.0)
            excess = float(extra[:inside].sum()) * scale + after
            share = min(1.0, max(0.0, excess) / (self.rate * unit.mttr_s))
        self._shares[key] = share
        return share

    def interpolated(self, unit: UnitModel, down: int) -> float:
        """The share for any replicas down, linear between (and beyond) the simulated 1 and batch sizes."""
        points = sorted({1, unit.batch} & set(range(1, unit.replicas)))
        if not points:
            return 0.0
        if down in points:
            return self.share(unit, down)
        (j0, j1) = (points[0], points[-1]) if len(points) > 1 else (0, points[0])
        s0 = self.share(unit, j0) if j0 else 0.0
        s1 = self.share(unit, j1)
        return min(1.0, max(0.0, s0 + (s1 - s0) * (down - j0) / (j1 - j0)))


# Everything together --------------------------------------------------------------------------------------


def _hop_shares(topology: Topology, assessment: Assessment, constants: dict[str, float]) -> tuple[float, ...]:
    """Per request: shares failed, slowed (a timed-out try) and degraded by the network hops."""
    w = assessment.workload
    error = constants["network.hop_error_rate"]
    retries = int(constants["network.hop_retries"])
    timeout_ms = constants["network.hop_timeout_ms"]
    median, sigma = constants["network.hop_median_ms"], constants["network.hop_sigma"]
    over_ms = timeout_ms - mesh_extra_ms(topology.architecture, constants)
    if over_ms <= 0:
        p_timeout = 1.0
    elif sigma == 0 or median == 0:
        p_timeout = 1.0 if median >= over_ms else 0.0
    else:
        p_timeout = 0.5 * math.erfc((math.log(over_ms) - math.log(median)) / (sigma * math.sqrt(2.0)))
    per_try = error + (1.0 - error) * p_timeout
    lost = per_try ** (retries + 1)
    callees = [s for i, s in enumerate(topology.stages) if topology.hop_before(i)]
    critical = sum(_critical(s, w) for s in callees) + int(topology.return_hop)
    failed = critical * lost
    degraded = (len(callees) + int(topology.return_hop) - critical) * lost
    slowed = (len(callees) + int(topology.return_hop)) * p_timeout * (1.0 - lost) if retries else 0.0
    return failed, slowed, degraded


def assess_resilience(topology: Topology, assessment: Assessment, plan: FleetPlan, llm: LlmSpec,
                      constants: dict[str, float], seed: int) -> ResilienceEstimate:
    """Availability, failed/slowed/degraded requests, deploy losses, blast radius and timeline of one architecture."""
    w = assessment.workload
    units = unit_models(topology, assessment, plan, llm, constants)
    windows = WindowShares(topology, assessment, plan, constants, seed)
    hours = constants["hours.per_month"]
    requests = w.mean_requests_per_s * S_PER_H * hours
    rate_h = w.mean_requests_per_s * S_PER_H  # requests an hour
    slack_ms = w.p95_ttft_ms - plan.simulation.ttft.p50_ms
    timeout_slows = constants["network.hop_timeout_ms"] > slack_ms
    detection_s = constants["resilience.detection_s"]

    # Deploys (closed form): each rolling restart keeps a batch down for ceil(n/k) restarts.
    deploy = [0.0, 0.0, 0.0]  # failed, slowed, degraded a month
    for u in units:
        windows_h = u.deploys_per_month * u.mttr_s / S_PER_H
        for size in _batch_sizes(u):
            if size >= u.replicas:
                deploy[0 if u.critical else 2] += windows_h * rate_h
            else:
                deploy[1] += windows_h * rate_h * windows.share(u, size)

    # Crashes (Monte Carlo of when, simulated windows of what it does).
    months = simulate_outages(units, hours_per_month=hours, seed=seed)
    hop_failed, hop_slowed, hop_degraded = (share * requests for share in _hop_shares(topology, assessment, constants))
    crash_rows, availability = [], []
    for month in months:
        failed = month.critical_outage_h * rate_h
        degraded = month.noncritical_outage_h * rate_h
        slowed = sum(h * rate_h * windows.interpolated(u, j) for u in units for j, h in month.down_h[u.name].items())
        for u in units:
            if u.replicas == 1:  # the whole outage is counted above
                continue
            held = month.crashes[u.name] * w.mean_requests_per_s * u.in_unit_s / u.replicas
            sent = month.crashes[u.name] * w.mean_requests_per_s * min(detection_s, u.mttr_s) / u.replicas
            if u.retried:
                slowed += held + (sent if timeout_slows else 0.0)
            elif u.critical:
                failed += held + sent
            else:
                degraded += held + sent
        crash_rows.append((failed, slowed, degraded))
        lost = failed + slowed + deploy[0] + deploy[1] + hop_failed + hop_slowed
        availability.append(100.0 * max(0.0, 1.0 - lost / requests))
    crash = [float(np.mean([r[i] for r in crash_rows])) for i in range(3)]
    availability_pct, ci = mean_ci(availability)
    failed_total = crash[0] + deploy[0] + hop_failed
    slowed_total = crash[1] + deploy[1] + hop_slowed
    degraded_total = crash[2] + deploy[2] + hop_degraded
    crashes_by_unit = {u.name: float(np.mean([m.crashes[u.name] for m in months])) for u in units}
    model_unit = next(u for u in units if INFERENCE in u.components)
    return ResilienceEstimate(
        availability_pct=availability_pct, availability_ci_pct=(max(0.0, ci[0]), min(100.0, ci[1])),
        availability_target_pct=w.availability_target_pct,
        meets_availability_target=availability_pct >= w.availability_target_pct,
        requests_per_month=requests, failed_per_month=failed_total, failed_share=failed_total / requests,
        slowed_per_month=slowed_total, slowed_share=slowed_total / requests,
        degraded_per_month=degraded_total, degraded_share=degraded_total / requests,
        deploy_capacity_minutes_per_month=sum(u.deploys_per_month * u.mttr_s for u in units) / S_PER_MIN,
        model_update_lead_time_min=model_unit.rollout_s / S_PER_MIN,
        crashes_per_month=sum(crashes_by_unit.values()),
        units=tuple(UnitResilience(
            unit=u.name, components=u.components, critical=u.critical, replicas=u.replicas, mtbf_h=u.mtbf_h,
            mttr_s=u.mttr_s, deploys_per_month=u.deploys_per_month, rollout_batch=u.batch,
            rollout_min=u.rollout_s / S_PER_MIN, crashes_per_month=crashes_by_unit[u.name],
            deploy_capacity_minutes_per_month=u.deploys_per_month * u.mttr_s / S_PER_MIN) for u in units),
        blast_radius=blast_radius(topology, w, units),
        causes=(FailureCause(cause="Replica crashes", failed_per_month=crash[0], slowed_per_month=crash[1],
                             degraded_per_month=crash[2]),
                FailureCause(cause="Deploys and model updates", failed_per_month=deploy[0],
                             slowed_per_month=deploy[1], degraded_per_month=deploy[2]),
                FailureCause(cause="Network hops (errors and timeouts after retries)", failed_per_month=hop_failed,
                             slowed_per_month=hop_slowed, degraded_per_month=hop_degraded)),
        timeline=timeline(topology, w, units))


def _batch_sizes(unit: UnitModel) -> list[int]:
    """Replicas down in each batch of one rolling restart (the last batch takes the rest)."""
    full, rest = divmod(unit.replicas, unit.batch)
    return [unit.batch] * full + ([rest] if rest else [])


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
        affected = set(unit.components)
        critical = [topology.stages.index(s) for s in unit.components if _critical(s, workload)]
        if critical:
            affected |= set(topology.stages[min(critical):])
        out.append(BlastRadius(
            component=stage, unit=unit.name, affected=tuple(s for s in topology.stages if s in affected),
            effect="fails requests" if critical else "degrades requests",
            capacity_lost_share=1.0 / by_name[unit.name].replicas))
    return tuple(out)


# Timeline of the chart -----------------------------------------------------------------------------------


def _scenario(workload: WorkloadProfile) -> tuple[str | None, str | None]:
    """The step that crashes (the first non-critical one, else the first) and the step deployed (most deploys)."""
    steps = workload.pipeline
    if not steps:
        return None, None
    crashed = next((c.name for c in steps if not c.critical), steps[0].name)
    deployed = max(steps, key=lambda c: c.deploys_per_week).name
    return crashed, deployed


def timeline_events(workload: WorkloadProfile) -> tuple[TimelineEvent, ...]:
    """The disturbances of the chart's window, the same for every architecture."""
    crashed, deployed = _scenario(workload)
    events = []
    if crashed:
        events.append(TimelineEvent(minute=TIMELINE_CRASH_MIN, label=f"{crashed} replica crashes"))
    if deployed:
        events.append(TimelineEvent(minute=TIMELINE_DEPLOY_MIN, label=f"{deployed} code deploy"))
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
        start = TIMELINE_CRASH_MIN * S_PER_MIN
        spans[unit.name].append((start, start + unit.mttr_s, 1))
    rollouts = [(TIMELINE_MODEL_UPDATE_MIN, INFERENCE)]
    if deployed:
        rollouts.append((TIMELINE_DEPLOY_MIN, deployed))
    end_s = TIMELINE_MIN_LENGTH_MIN * S_PER_MIN
    for minute, stage in rollouts:
        unit = by_name[topology.unit_of(stage).name]
        t = minute * S_PER_MIN
        for size in _batch_sizes(unit):
            spans[unit.name].append((t, t + unit.mttr_s, size))
            t += unit.mttr_s
        end_s = max(end_s, t + TIMELINE_TAIL_MIN * S_PER_MIN)
    step = max(TIMELINE_STEP_S, end_s / MAX_TIMELINE_POINTS)
    points = []
    for i in range(int(end_s // step) + 1):
        t = i * step
        share = 1.0
        for u in units:
            if u.critical:
                down = min(u.replicas, sum(n for start, stop, n in spans[u.name] if start <= t < stop))
                share = min(share, (u.replicas - down) / u.replicas)
        points.append(TimelinePoint(minute=t / S_PER_MIN, capacity_pct=100.0 * share))
    return tuple(points)
