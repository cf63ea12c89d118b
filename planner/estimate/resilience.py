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
2. What a partial outage does to requests (planner.estimate.windows): the simulation core runs the
   peak pipeline with each needed outage (``j`` replicas of a unit out of service for its restart
   time) laid out one after another, and again without them on the same random numbers; the extra
   requests over a latency target, per request arriving in a window, is that window's slowed share.
   Only disturbed windows are simulated, in two runs per architecture; the noise of each window's
   extra misses widens the availability interval.
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
counted); requests answered without a non-critical step are "degraded" and count as served. The
blast radius and the chart's timeline of each architecture are in planner.estimate.timeline.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from planner.estimate.capacity import FleetPlan, InferenceOption
from planner.estimate.outages import MonthOutages, UnitModel, batch_sizes, mean_ci, simulate_outages
from planner.estimate.results import FailureCause, ResilienceEstimate, UnitResilience
from planner.estimate.timeline import blast_radius, timeline
from planner.estimate.topology import INFERENCE, Topology, hop_median_ms, is_critical, mesh_extra_ms
from planner.estimate.windows import WindowShares
from planner.inputs.models import Assessment, LlmSpec, WorkloadProfile
from planner.inputs.units import (
    BILLION,
    GB,
    HOURS_PER_WEEK,
    MINUTES_PER_HOUR,
    PERCENT,
    SECONDS_PER_HOUR,
    SECONDS_PER_MINUTE,
    WEEKS_PER_MONTH,
    ms_to_s,
)

Z975 = 1.96  # standard normal 97.5th percentile


def model_load_s(llm: LlmSpec, workload: WorkloadProfile, constants: dict[str, float]) -> float:
    """Seconds to read the weights (params x bytes per param at the load rate) and warm the engine up."""
    weights_gb = llm.params_b * BILLION * workload.precision.bytes_per_param / GB
    return weights_gb / constants["gpu.model_load_gb_per_s"] + constants["gpu.engine_warmup_s"]


def unit_models(topology: Topology, assessment: Assessment, plan: FleetPlan, llm: LlmSpec,
                constants: dict[str, float]) -> list[UnitModel]:
    """Replicas, crash rate, restart time, deploys and rollout batch of every unit of an architecture."""
    w = assessment.workload
    steps = {c.name: c for c in w.pipeline}
    mtbf = {c.name: c.mtbf_h or constants["resilience.replica_mtbf_h"] for c in w.pipeline}
    mttr = {c.name: c.mttr_s or constants["resilience.cpu_restart_s"] for c in w.pipeline}
    gpus = plan.option.instance.gpu_count if isinstance(plan.option, InferenceOption) else 0
    gpu_rate = gpus / constants["resilience.gpu_mtbf_h"]
    server_rate = 1.0 / constants["resilience.replica_mtbf_h"]  # the model server's own crashes
    load_s = model_load_s(llm, w, constants)
    time_in = _time_in_units(topology, assessment, plan, constants)
    retries = int(constants["network.hop_retries"])
    out = []
    for unit in topology.own_units:
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
            name=unit.name, components=unit.components, critical=any(is_critical(s, w) for s in unit.components),
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
    return {u.name: ms_to_s(sum(model_ms if s == INFERENCE else step_ms[s] for s in u.components))
            for u in topology.own_units}


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
    critical = sum(is_critical(s, w) for s in callees) + int(topology.return_hop)
    failed = critical * lost
    degraded = (len(callees) + int(topology.return_hop) - critical) * lost
    slowed = (len(callees) + int(topology.return_hop)) * p_timeout * (1.0 - lost) if retries else 0.0
    return failed, slowed, degraded


class Losses(NamedTuple):
    """Requests a month that fail, that a disturbance pushes over a latency target, and served degraded."""

    failed: float
    slowed: float
    degraded: float


Exposure = dict[tuple[str, int], float]  # requests a month weighing each simulated window share


def _expose(exposure: Exposure, blend: dict[tuple[str, int], float], requests: float, per: float = 1.0) -> None:
    """Add ``requests`` (divided by ``per``) to the exposure of each simulated share of a blend."""
    for key, weight in blend.items():
        exposure[key] = exposure.get(key, 0.0) + requests * weight / per


def _deploy_losses(units: Sequence[UnitModel], windows: WindowShares, rate_h: float, exposure: Exposure) -> Losses:
    """Deploys (closed form): each rolling restart keeps a batch down for ceil(n/k) restarts."""
    deploy = [0.0, 0.0, 0.0]  # failed, slowed, degraded a month
    for u in units:
        windows_h = u.deploys_per_month * u.mttr_s / SECONDS_PER_HOUR
        for size in batch_sizes(u):
            if size >= u.replicas:
                deploy[0 if u.critical else 2] += windows_h * rate_h
            else:
                deploy[1] += windows_h * rate_h * windows.share(u, size)
                _expose(exposure, windows.weights(u, size), windows_h * rate_h)
    return Losses(*deploy)


def _crash_losses(month: MonthOutages, units: Sequence[UnitModel], windows: WindowShares, rate_s: float,
                  detection_s: float, timeout_slows: bool) -> Losses:
    """One month's crashes: units wholly down, partial outages (simulated windows), requests caught in a crash.

    A crashed replica's requests (Little's law: rate x time in the unit / replicas) and those sent to it
    before it is detected fail, unless the unit is called over a hop that retries (then they are slowed).
    """
    rate_h = rate_s * SECONDS_PER_HOUR
    failed = month.critical_outage_h * rate_h
    degraded = month.noncritical_outage_h * rate_h
    slowed = sum(h * rate_h * windows.interpolated(u, j) for u in units for j, h in month.down_h[u.name].items())
    for u in units:
        if u.replicas == 1:  # the whole outage is counted above
            continue
        held = month.crashes[u.name] * rate_s * u.in_unit_s / u.replicas
        sent = month.crashes[u.name] * rate_s * min(detection_s, u.mttr_s) / u.replicas
        if u.retried:
            slowed += held + (sent if timeout_slows else 0.0)
        elif u.critical:
            failed += held + sent
        else:
            degraded += held + sent
    return Losses(failed, slowed, degraded)


def _availability(crash_rows: Sequence[Losses], deploy: Losses, hop: Losses, requests: float,
                  window_variance: float) -> tuple[float, tuple[float, float]]:
    """Mean availability over the months, %, and its 95 % interval widened by the windows' own noise."""
    availability = [PERCENT * max(0.0, 1.0 - (c.failed + c.slowed + deploy.failed + deploy.slowed + hop.failed
                                            + hop.slowed) / requests) for c in crash_rows]
    availability_pct, ci = mean_ci(availability)
    window_sd_pct = PERCENT * math.sqrt(window_variance) / requests
    half = math.hypot(ci[1] - availability_pct, Z975 * window_sd_pct)
    return availability_pct, (availability_pct - half, availability_pct + half)


def _unit_rows(units: Sequence[UnitModel], crashes_by_unit: dict[str, float]) -> tuple[UnitResilience, ...]:
    return tuple(UnitResilience(
        unit=u.name, components=u.components, critical=u.critical, replicas=u.replicas, mtbf_h=u.mtbf_h,
        mttr_s=u.mttr_s, deploys_per_month=u.deploys_per_month, rollout_batch=u.batch,
        rollout_min=u.rollout_s / SECONDS_PER_MINUTE, crashes_per_month=crashes_by_unit[u.name],
        deploy_capacity_minutes_per_month=u.deploys_per_month * u.mttr_s / SECONDS_PER_MINUTE) for u in units)


def _causes(crash: Losses, deploy: Losses, hop: Losses, provider: Losses | None = None,
            sla_pct: float | None = None) -> tuple[FailureCause, ...]:
    rows = [("Replica crashes", crash), ("Deploys and model updates", deploy),
            ("Network hops (errors and timeouts after retries)", hop)]
    if provider is not None:
        rows.append((f"Provider API outages (SLA {sla_pct:g} %)", provider))
    return tuple(FailureCause(cause=cause, failed_per_month=losses.failed, slowed_per_month=losses.slowed,
                              degraded_per_month=losses.degraded) for cause, losses in rows)


def assess_resilience(topology: Topology, assessment: Assessment, plan: FleetPlan, llm: LlmSpec,
                      constants: dict[str, float], seed: int, provider_sla_pct: float | None = None,
                      ) -> ResilienceEstimate:
    """Availability, failed/slowed/degraded requests, deploy losses, blast radius and timeline of one architecture.

    Behind a managed API (``provider_sla_pct`` given) the provider's unavailability, 1 - SLA, fails that share of
    the requests our own units serve, so availability is ours x the SLA; the provider ships model updates, so
    none of our units restarts for one (lead time 0: the version is pinned until we move the pin).
    """
    w = assessment.workload
    units = unit_models(topology, assessment, plan, llm, constants)
    windows = WindowShares(topology, assessment, plan, constants, seed)
    hours = constants["hours.per_month"]
    requests = w.mean_requests_per_s * SECONDS_PER_HOUR * hours
    rate_h = w.mean_requests_per_s * SECONDS_PER_HOUR  # requests an hour
    timeout_slows = constants["network.hop_timeout_ms"] > w.p95_ttft_ms - plan.simulation.ttft.p50_ms

    windows.prepare([(u, j) for u in units for j in sorted({1, u.batch, *batch_sizes(u)}) if j < u.replicas])
    exposure: Exposure = {}
    deploy = _deploy_losses(units, windows, rate_h, exposure)
    # Crashes (Monte Carlo of when, simulated windows of what it does).
    months = simulate_outages(units, hours_per_month=hours, seed=seed)
    hop = Losses(*(share * requests for share in _hop_shares(topology, assessment, constants)))
    crash_rows = [_crash_losses(month, units, windows, w.mean_requests_per_s, constants["resilience.detection_s"],
                                timeout_slows) for month in months]
    for month in months:
        for u in units:
            for j, h in month.down_h[u.name].items():
                _expose(exposure, windows.weights(u, j), h * rate_h, len(months))
    crash = Losses(*(float(np.mean([r[i] for r in crash_rows])) for i in range(3)))
    window_variance = sum(e * e * windows.variances.get(k, 0.0) for k, e in exposure.items())
    availability_pct, ci = _availability(crash_rows, deploy, hop, requests, window_variance)
    provider = Losses(0.0, 0.0, 0.0)
    if provider_sla_pct is not None:
        share = provider_sla_pct / PERCENT
        provider = Losses(requests * availability_pct / PERCENT * (1.0 - share), 0.0, 0.0)
        availability_pct, ci = availability_pct * share, (ci[0] * share, ci[1] * share)
    total = Losses(*(c + d + h + p for c, d, h, p in zip(crash, deploy, hop, provider, strict=True)))
    crashes_by_unit = {u.name: float(np.mean([m.crashes[u.name] for m in months])) for u in units}
    model_unit = next((u for u in units if INFERENCE in u.components), None)
    lead_time_min = 0.0 if model_unit is None else (model_update_wait_h(topology, w, constants) * MINUTES_PER_HOUR
                                                    + model_unit.rollout_s / SECONDS_PER_MINUTE)
    return ResilienceEstimate(
        availability_pct=availability_pct, availability_ci_pct=(max(0.0, ci[0]), min(PERCENT, ci[1])),
        availability_target_pct=w.availability_target_pct,
        meets_availability_target=availability_pct >= w.availability_target_pct,
        requests_per_month=requests, failed_per_month=total.failed, failed_share=total.failed / requests,
        slowed_per_month=total.slowed, slowed_share=total.slowed / requests,
        degraded_per_month=total.degraded, degraded_share=total.degraded / requests,
        deploy_capacity_minutes_per_month=sum(u.deploys_per_month * u.mttr_s for u in units) / SECONDS_PER_MINUTE,
        model_update_lead_time_min=lead_time_min,
        crashes_per_month=sum(crashes_by_unit.values()), units=_unit_rows(units, crashes_by_unit),
        blast_radius=blast_radius(topology, w, units),
        causes=_causes(crash, deploy, hop, provider if provider_sla_pct is not None else None, provider_sla_pct),
        timeline=timeline(topology, w, units))
