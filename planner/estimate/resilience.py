"""Resilience and change: crashes, rolling deploys and model updates of each architecture, in numbers.

What is modelled. Each deployable unit of an architecture (planner.estimate.topology) has ``n`` replicas at
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

1. When and how much capacity is down: a Monte Carlo (planner.estimate.outages) of the replicas' up/down
   processes (exponential times between crashes, a fixed time to serve again), ``OUTAGE_MONTHS``
   independent months started in the stationary state. It gives the time each unit spends with
   ``j`` replicas down, the time a unit is wholly down (the union over critical units fails
   requests), crash counts, and a 95 % confidence interval of availability across the months. For
   one replica its down share converges to MTTR / (MTBF + MTTR), which a test checks.
2. What a partial outage does to requests: the existing simulation core (planner.estimate.simulation) runs the
   peak pipeline with each needed outage (``j`` replicas of a unit out of service for its restart
   time) laid out one after another, each followed by a quiet gap for its backlog to drain, and again
   without the outages on the same random numbers (common random numbers, so the difference is not
   noise); the extra requests over a latency target, per request arriving in a window, is that
   window's slowed share. Only disturbed windows are simulated, in two runs per architecture (a run
   costs mostly its drain, so one run of many windows is far cheaper than one run each). A window
   longer than ``WINDOW_REQUESTS`` arrivals is simulated for that many and the extra misses of the
   requests arriving in it are scaled to its full length (those of the backlog after it are counted
   once, or scaled too when the capacity left is below the load). A CPU outage after which Erlang C
   still meets the sizing rule's wait target is not simulated (its share is 0). The noise of each
   window's extra misses (batch means over its requests) widens the availability interval.
3. Closed forms for the rest: deploys are planned and regular, so their effect is exact given the
   window shares (a rolling restart of ``n`` replicas in batches of ``k`` keeps ``k`` down for
   ``ceil(n/k)`` restarts, each ``restart_s`` long); requests held by a replica when it crashes
   (Little's law: rate x time in the unit / ``n``) and requests sent to it before it is detected
   fail, unless the unit is called over an internal hop that retries (then they are slowed); each hop
   fails a request with probability ``f^(retries+1)``, ``f`` the per-try share of transient errors and
   timeouts (lognormal hop latency above the timeout).

Model-update lead time, from a new model being ready to every replica serving it::

    lead_time_min = release_wait_h x 60 + rollout_s / 60      (rollout of the unit that holds the model)

The rollout is the rolling restart above (``ceil(n/k)`` restarts of ``restart_s``, model load included).
The wait depends on whether the model ships on its own. Where the model is a unit of its own (hybrid,
microservices) its deploy is independent: ``release_wait_h = 0``. Where it is baked into one deployable
with other steps (the monolith), a new model leaves only with that deployable's next release, and every
change of a bundled step goes out as one such release::

    releases_per_week = sum of deploys_per_week of the steps bundled with the model
    interval_h        = min(HOURS_PER_WEEK / releases_per_week, deploy.monolith_max_release_interval_h)
                        (deploy.monolith_max_release_interval_h when no bundled step ships code)
    release_wait_h    = interval_h / 2 + deploy.monolith_release_overhead_h

Releases are taken as evenly spaced (a release train), so a model ready at a random moment waits half an
interval on average (releases at random, Poisson, times would make it a whole interval). The maximum
interval keeps the wait finite when no step ships code: a production app still ships its dependency and
security updates. The overhead is the regression run and sign-off a whole-app release needs (0 allowed).

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

import numpy as np

from planner.estimate.capacity import CPU_WAIT_SHARE_OF_TTFT, FleetPlan, simulation_input
from planner.estimate.outages import UnitModel, batch_sizes, mean_ci, simulate_outages
from planner.estimate.queueing import mmc_wait_quantile_s
from planner.estimate.results import (
    BlastRadius,
    FailureCause,
    ResilienceEstimate,
    TimelineEvent,
    TimelinePoint,
    UnitResilience,
)
from planner.estimate.simulation import CpuStation, Outage, simulate
from planner.estimate.topology import INFERENCE, Topology, Unit, hop_median_ms, mesh_extra_ms
from planner.inputs.models import Assessment, LlmSpec, WorkloadProfile
from planner.inputs.units import HOURS_PER_WEEK, MINUTES_PER_HOUR, SECONDS_PER_HOUR, SECONDS_PER_MINUTE, WEEKS_PER_MONTH

GB = 1e9  # bytes
WINDOW_REQUESTS = 400  # most arrivals simulated inside one disturbed window
TAIL_REQUESTS = 150  # measured arrivals after the window, so its backlog drains within the count
WINDOW_WARMUP = 100  # requests before the window, discarded
P95_Q = 0.95
VARIANCE_BATCHES = 10  # batches of a window's requests for the variance of its extra misses
MIN_VARIANCE_BATCH = 10  # requests
Z975 = 1.96  # standard normal 97.5th percentile
ARRIVAL_MARGIN = 1.1  # arrivals drawn beyond the laid-out windows' expected count (Poisson spread)
# Timeline of the chart: a crash, a code deploy and a model update, minutes from its start.
TIMELINE_CRASH_MIN = 2.0
TIMELINE_DEPLOY_MIN = 10.0
TIMELINE_MODEL_UPDATE_MIN = 25.0
TIMELINE_TAIL_MIN = 5.0  # shown after the last disturbance ends
TIMELINE_MIN_LENGTH_MIN = 40.0
TIMELINE_STEP_S = 10.0
MAX_TIMELINE_POINTS = 1500  # per architecture; the step widens for very long rollouts


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


def model_update_wait_h(topology: Topology, workload: WorkloadProfile, constants: dict[str, float]) -> float:
    """Mean hours a ready model waits for a release that can carry it (module docstring: lead time).

    0 where the model is a unit of its own; otherwise half the interval between releases of the unit
    that bundles it (at most ``deploy.monolith_max_release_interval_h``) plus the release overhead.
    """
    bundled = [s for s in topology.unit_of(INFERENCE).components if s != INFERENCE]
    if not bundled:
        return 0.0
    steps = {c.name: c for c in workload.pipeline}
    releases_per_week = sum(steps[s].deploys_per_week for s in bundled)
    max_interval_h = constants["deploy.monolith_max_release_interval_h"]
    interval_h = min(HOURS_PER_WEEK / releases_per_week, max_interval_h) if releases_per_week > 0 else max_interval_h
    return interval_h / 2.0 + constants["deploy.monolith_release_overhead_h"]


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


# Disturbed windows, simulated ---------------------------------------------------------------------------


class WindowShares:
    """Share of the requests arriving in a window that an outage of ``j`` replicas pushes over a target.

    Every outage an architecture needs is laid out in one run, one after the other, each followed by a
    quiet gap at least as long as itself so that its backlog drains before the next; the same run
    without the outages (same random numbers) is the reference. Two runs per architecture, whatever
    the number of windows: the cost of a run is mostly its drain (the slowest requests finishing).
    """

    def __init__(self, topology: Topology, assessment: Assessment, plan: FleetPlan, constants: dict[str, float],
                 seed: int) -> None:
        self.topology, self.assessment, self.plan = topology, assessment, plan
        self.constants, self.seed = constants, seed
        self.rate = assessment.workload.peak_requests_per_s
        self.stations = simulation_input(topology, assessment, plan.option, plan.inference_replicas_peak,
                                         plan.cpu_workers, constants, seed, n_requests=1).stations
        self.simulated = 0  # simulation runs (the benchmark reports it)
        self._shares: dict[tuple[str, int], float] = {}
        self.variances: dict[tuple[str, int], float] = {}  # of each share, from the run's own noise

    def _outages(self, unit: UnitModel, down: int, start_s: float, duration_s: float) -> list[Outage]:
        out = []
        per_instance = self.plan.option.replicas_per_instance
        for i, station in enumerate(self.stations):
            if station.name not in unit.components:
                continue
            size = station.servers if isinstance(station, CpuStation) else station.replicas
            lost = math.floor(size * down / unit.replicas + 0.5) if isinstance(station, CpuStation) else (
                down * per_instance)
            lost = min(lost, size - 1)
            if lost > 0:
                out.append(Outage(station=i, down=lost, start_s=start_s, duration_s=duration_s))
        return out

    def _harmless(self, outages: list[Outage]) -> bool:
        """Whether every outage is on CPU workers that still meet the sizing rule's p95 wait (Erlang C)."""
        target_s = self.assessment.workload.p95_ttft_ms * CPU_WAIT_SHARE_OF_TTFT / 1000.0
        for outage in outages:
            station = self.stations[outage.station]
            if not isinstance(station, CpuStation):
                return False
            left = station.servers - outage.down
            if mmc_wait_quantile_s(self.rate, 1.0 / station.mean_service_s, left, P95_Q) > target_s:
                return False
        return True

    def _overloaded(self, outages: list[Outage]) -> bool:
        """Whether the capacity left is below the peak load, so the backlog grows with the window's length."""
        for outage in outages:
            station = self.stations[outage.station]
            if isinstance(station, CpuStation):
                capacity = (station.servers - outage.down) / station.mean_service_s
            else:
                capacity = (station.replicas - outage.down) * self.plan.option.replica_requests_per_s
            if capacity < self.rate:
                return True
        return False

    def _run(self, n_requests: int, outages: list[Outage]) -> tuple[np.ndarray, np.ndarray]:
        """Arrival times (s after the window start) and target misses of the measured requests."""
        self.simulated += 1
        inp = simulation_input(self.topology, self.assessment, self.plan.option, self.plan.inference_replicas_peak,
                               self.plan.cpu_workers, self.constants, self.seed, n_requests=n_requests,
                               warmup=WINDOW_WARMUP).model_copy(update={"outages": outages})
        result = simulate(inp, keep_samples=True)
        w = self.assessment.workload
        misses = (np.asarray(result.ttft_samples_ms) > w.p95_ttft_ms) | (np.asarray(result.e2e_samples_ms)
                                                                          > w.p95_e2e_ms)
        return np.asarray(result.arrival_samples_s), misses.astype(float)

    def prepare(self, wanted: Sequence[tuple[UnitModel, int]]) -> None:
        """Simulate the windows of every (unit, replicas down) wanted, in one run and its reference."""
        layout = []  # (unit, down, outages, start s, window s, gap s)
        t = 0.0
        for unit, down in wanted:
            if (unit.name, down) in self._shares:
                continue
            window_s = min(unit.mttr_s, WINDOW_REQUESTS / self.rate)
            outages = self._outages(unit, down, t, window_s)
            if not outages or self._harmless(outages):
                self._shares[(unit.name, down)] = 0.0
                continue
            gap_s = max(TAIL_REQUESTS / self.rate, window_s)
            layout.append((unit, down, outages, t, window_s, gap_s))
            t += window_s + gap_s
        if not layout:
            return
        n_requests = math.ceil(self.rate * t * ARRIVAL_MARGIN) + TAIL_REQUESTS
        arrivals, base = self._run(n_requests, [])
        _, hit = self._run(n_requests, [o for entry in layout for o in entry[2]])
        extra = hit - base
        for unit, down, outages, start, window_s, gap_s in layout:
            inside = (arrivals >= start) & (arrivals < start + window_s)
            after = (arrivals >= start + window_s) & (arrivals < start + window_s + gap_s)
            scale = unit.mttr_s / window_s
            after_scale = scale if self._overloaded(outages) else 1.0
            excess = float(extra[inside].sum()) * scale + float(extra[after].sum()) * after_scale
            requests = self.rate * unit.mttr_s
            self._shares[(unit.name, down)] = min(1.0, max(0.0, excess) / requests)
            self.variances[(unit.name, down)] = (_sum_variance(extra[inside]) * scale ** 2
                                                 + _sum_variance(extra[after]) * after_scale ** 2) / requests ** 2

    def share(self, unit: UnitModel, down: int) -> float:
        """The slowed share for ``down`` of the unit's replicas out for its restart time (0 when none).

        Extra misses among the requests arriving in the simulated window scale with the real window's
        length; those arriving after it (the backlog draining) are counted once, or scaled as well when
        the capacity left is below the load (the backlog then grows with the window).
        """
        if (unit.name, down) not in self._shares:
            self.prepare([(unit, down)])
        return self._shares[(unit.name, down)]

    def weights(self, unit: UnitModel, down: int) -> dict[tuple[str, int], float]:
        """The simulated shares whose linear blend stands for ``down`` replicas down (1 and the batch size)."""
        points = sorted({1, unit.batch} & set(range(1, unit.replicas)))
        if not points or down >= unit.replicas:
            return {}
        if down in points:
            return {(unit.name, down): 1.0}
        j0, j1 = (points[0], points[-1]) if len(points) > 1 else (0, points[0])
        alpha = (down - j0) / (j1 - j0)
        blend = {(unit.name, j1): alpha}
        if j0:
            blend[(unit.name, j0)] = 1.0 - alpha
        return blend

    def interpolated(self, unit: UnitModel, down: int) -> float:
        """The share for any replicas down, linear between (and beyond) the simulated 1 and batch sizes."""
        blend = self.weights(unit, down)
        return min(1.0, max(0.0, sum(w * self.share(unit, key[1]) for key, w in blend.items())))


def _sum_variance(x: np.ndarray) -> float:
    """Variance of the sum of a correlated series, by batch means (0 when too short to tell)."""
    b = min(VARIANCE_BATCHES, len(x) // MIN_VARIANCE_BATCH)
    if b < 2:
        return 0.0
    m = len(x) // b
    sums = x[len(x) - b * m:].reshape(b, m).sum(axis=1)
    return float(np.var(sums, ddof=1)) * b * (len(x) / (b * m)) ** 2


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
    requests = w.mean_requests_per_s * SECONDS_PER_HOUR * hours
    rate_h = w.mean_requests_per_s * SECONDS_PER_HOUR  # requests an hour
    slack_ms = w.p95_ttft_ms - plan.simulation.ttft.p50_ms
    timeout_slows = constants["network.hop_timeout_ms"] > slack_ms
    detection_s = constants["resilience.detection_s"]

    windows.prepare([(u, j) for u in units for j in sorted({1, u.batch, *batch_sizes(u)}) if j < u.replicas])
    # Deploys (closed form): each rolling restart keeps a batch down for ceil(n/k) restarts.
    deploy = [0.0, 0.0, 0.0]  # failed, slowed, degraded a month
    exposure: dict[tuple[str, int], float] = {}  # requests a month weighing each simulated share
    for u in units:
        windows_h = u.deploys_per_month * u.mttr_s / SECONDS_PER_HOUR
        for size in batch_sizes(u):
            if size >= u.replicas:
                deploy[0 if u.critical else 2] += windows_h * rate_h
            else:
                deploy[1] += windows_h * rate_h * windows.share(u, size)
                for key, weight in windows.weights(u, size).items():
                    exposure[key] = exposure.get(key, 0.0) + windows_h * rate_h * weight

    # Crashes (Monte Carlo of when, simulated windows of what it does).
    months = simulate_outages(units, hours_per_month=hours, seed=seed)
    hop_failed, hop_slowed, hop_degraded = (share * requests for share in _hop_shares(topology, assessment, constants))
    crash_rows, availability = [], []
    for month in months:
        failed = month.critical_outage_h * rate_h
        degraded = month.noncritical_outage_h * rate_h
        slowed = sum(h * rate_h * windows.interpolated(u, j) for u in units for j, h in month.down_h[u.name].items())
        for u in units:
            for j, h in month.down_h[u.name].items():
                for key, weight in windows.weights(u, j).items():
                    exposure[key] = exposure.get(key, 0.0) + h * rate_h * weight / len(months)
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
    # The windows' own simulation noise widens the interval of the months' crash timing.
    window_variance = sum(e * e * windows.variances.get(k, 0.0) for k, e in exposure.items())
    window_sd_pct = 100.0 * math.sqrt(window_variance) / requests
    half = math.hypot(ci[1] - availability_pct, Z975 * window_sd_pct)
    ci = (availability_pct - half, availability_pct + half)
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
        deploy_capacity_minutes_per_month=sum(u.deploys_per_month * u.mttr_s for u in units) / SECONDS_PER_MINUTE,
        model_update_lead_time_min=(model_update_wait_h(topology, w, constants) * MINUTES_PER_HOUR
                                    + model_unit.rollout_s / SECONDS_PER_MINUTE),
        crashes_per_month=sum(crashes_by_unit.values()),
        units=tuple(UnitResilience(
            unit=u.name, components=u.components, critical=u.critical, replicas=u.replicas, mtbf_h=u.mtbf_h,
            mttr_s=u.mttr_s, deploys_per_month=u.deploys_per_month, rollout_batch=u.batch,
            rollout_min=u.rollout_s / SECONDS_PER_MINUTE, crashes_per_month=crashes_by_unit[u.name],
            deploy_capacity_minutes_per_month=u.deploys_per_month * u.mttr_s / SECONDS_PER_MINUTE) for u in units),
        blast_radius=blast_radius(topology, w, units),
        causes=(FailureCause(cause="Replica crashes", failed_per_month=crash[0], slowed_per_month=crash[1],
                             degraded_per_month=crash[2]),
                FailureCause(cause="Deploys and model updates", failed_per_month=deploy[0],
                             slowed_per_month=deploy[1], degraded_per_month=deploy[2]),
                FailureCause(cause="Network hops (errors and timeouts after retries)", failed_per_month=hop_failed,
                             slowed_per_month=hop_slowed, degraded_per_month=hop_degraded)),
        timeline=timeline(topology, w, units))


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
        start = TIMELINE_CRASH_MIN * SECONDS_PER_MINUTE
        spans[unit.name].append((start, start + unit.mttr_s, 1))
    rollouts = [(TIMELINE_MODEL_UPDATE_MIN, INFERENCE)]
    if deployed:
        rollouts.append((TIMELINE_DEPLOY_MIN, deployed))
    end_s = TIMELINE_MIN_LENGTH_MIN * SECONDS_PER_MINUTE
    for minute, stage in rollouts:
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
        points.append(TimelinePoint(minute=t / SECONDS_PER_MINUTE, capacity_pct=100.0 * share))
    return tuple(points)
