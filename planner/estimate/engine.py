"""The one entry point of the estimates: ``evaluate(assessment) -> Evaluation``.

Pages, the CLI, the report and the tests all call this; nothing else recomputes a number. Per
architecture: topology -> serving model -> capacity (closed form, confirmed by simulation) -> costs.
Constants come from data/assumptions.yaml and the serving model's calibrated defaults, each
replaceable through ``Assessment.assumption_overrides``.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping, Sequence

from planner.errors import InfeasibleError, InputError, PlannerError
from planner.estimate.api import ApiService, api_service, requests_per_month, token_cost_lines
from planner.estimate.capacity import (
    MIN_SERVICE_MS,
    FleetPlan,
    InferenceOption,
    cheapest_option,
    confirm_replicas,
    first_replicas,
    inference_options,
)
from planner.estimate.costs import estimate_cost, fleet_items
from planner.estimate.evaluation_cache import CACHE, cache_key
from planner.estimate.fleets import FleetJob, simulate_fleets
from planner.estimate.pricing import priced_instances
from planner.estimate.results import (
    ArchitectureEstimate,
    AssumptionUsed,
    Evaluation,
    LatencyEstimate,
    ResilienceEstimate,
    StationLoad,
)
from planner.estimate.serving import OVERRIDE_PREFIX, ServingConstants, describe_constants
from planner.estimate.serving_constants import LEGACY_KEYS, RETIRED_KEYS, SOURCE_AS_OF, SOURCES
from planner.estimate.simulation import (
    DeadlineExceeded,
    LatencyStats,
    check_deadline,
    time_limit,
)
from planner.estimate.slicing import slice_share
from planner.estimate.sourcing import against_self_hosting, api_row, choose
from planner.estimate.timeline import timeline_events
from planner.estimate.topology import Topology, build_topology, hop_median_ms
from planner.estimate.traffic import day_mean_requests_per_s
from planner.inputs.api_catalog import ApiPrice
from planner.inputs.calibration import load_efficiencies
from planner.inputs.catalog import load_assumptions, load_gpus, load_instances, load_llms
from planner.inputs.models import Architecture, Assessment, GpuSpec, InstancePrice, LlmSpec, Sourcing
from planner.inputs.overrides import override_errors
from planner.inputs.units import ms_to_s

DEFAULT_SEED = 20261129  # every evaluation of the same inputs simulates the same requests
STAGE_START = 0.05  # share of an evaluation the serving model and the candidate instances take
EVALUATE_DEADLINE_S = 60.0  # seconds of wall-clock time an evaluation may take before it is stopped
SERVING_SOURCE = "engine default (vLLM, SGLang and TensorRT-LLM ship it)"
SERVING_AS_OF = "2026-11"  # the engine versions the lever defaults describe
CALIBRATION_SOURCE = ("fitted per vendor stack by bench/calibrate.py to data/serving_measurements.csv "
                      "(data/serving_efficiency.csv)")


def resolve_constants(assessment: Assessment) -> tuple[dict[str, float], ServingConstants]:
    """The assumption values after the user's overrides; a bad override raises InputError at its key."""
    overrides = assessment.assumption_overrides
    errors = override_errors(overrides, other_prefix=OVERRIDE_PREFIX)
    constants = {k: a.value for k, a in load_assumptions().items()}
    constants.update({k: v for k, v in overrides.items()
                      if k in constants and f"assumption_overrides.{k}" not in errors})
    try:
        serving = ServingConstants().with_overrides(dict(assessment.assumption_overrides))
    except ValueError as exc:
        errors["assumption_overrides"] = str(exc)
        serving = ServingConstants()
    if errors:
        raise InputError(f"An assumption override is not valid: {next(iter(errors.values()))}", errors)
    return constants, serving


def assumptions_used(assessment: Assessment, serving: ServingConstants) -> tuple[AssumptionUsed, ...]:
    """Every constant behind the estimates, with source, date and whether the user replaced it."""
    overrides = assessment.assumption_overrides
    rows = [AssumptionUsed(key=a.key, value=overrides.get(a.key, a.value), unit=a.unit, description=a.description,
                           source=a.source, as_of=a.as_of, overridden=a.key in overrides)
            for a in load_assumptions().values()]
    efficiencies = load_efficiencies()
    replaced = {OVERRIDE_PREFIX + field for key in overrides if key.startswith(OVERRIDE_PREFIX)
                for field in LEGACY_KEYS.get(key.removeprefix(OVERRIDE_PREFIX), (key.removeprefix(OVERRIDE_PREFIX),))}
    for key, description in describe_constants().items():
        name = key.removeprefix(OVERRIDE_PREFIX)
        own = getattr(serving, name)
        if own is None:  # an efficiency left to the calibration: NVIDIA's figure, every vendor's in the source
            per_vendor = ", ".join(f"{v.upper() if v == 'amd' else v.title()} {getattr(e, name):g}"
                                   for v, e in efficiencies.items())
            rows.append(AssumptionUsed(
                key=key, value=serving.value(name), unit="", description=description,
                source=f"{CALIBRATION_SOURCE}: {per_vendor}", as_of=max(e.as_of for e in efficiencies.values()),
                overridden=False))
            continue
        rows.append(AssumptionUsed(
            key=key, value=float(own), unit="", description=description,
            source="your override" if key in replaced else SOURCES.get(name, SERVING_SOURCE),
            as_of=SOURCE_AS_OF.get(name, SERVING_AS_OF),
            overridden=key in replaced))
    for key, value in sorted(overrides.items()):  # an override an earlier model used, kept but not applied
        if (retired := RETIRED_KEYS.get(key.removeprefix(OVERRIDE_PREFIX))) and key.startswith(OVERRIDE_PREFIX):
            rows.append(AssumptionUsed(key=key, value=value, unit="", description=f"Not used: {retired}.",
                                       source="your override", as_of=SERVING_AS_OF,
                                       overridden=True))
    return tuple(rows)


def list_assumptions(assessment: Assessment) -> tuple[AssumptionUsed, ...]:
    """The constants an evaluation of this assessment would use (raises InputError on a bad override)."""
    _, serving = resolve_constants(assessment)
    return assumptions_used(assessment, serving)


def _latency(stats: LatencyStats) -> LatencyEstimate:
    def ci(interval: tuple[float, float] | None, point: float) -> tuple[float, float]:
        return interval if interval is not None else (point, point)

    return LatencyEstimate(p50_ms=stats.p50_ms, p95_ms=stats.p95_ms, p99_ms=stats.p99_ms,
                           p50_ci_ms=ci(stats.p50_ci_ms, stats.p50_ms), p95_ci_ms=ci(stats.p95_ci_ms, stats.p95_ms),
                           p99_ci_ms=ci(stats.p99_ci_ms, stats.p99_ms))


def _meets(p95_ms: float, ci_ms: tuple[float, float] | None, target_ms: float) -> bool:
    """A p95 meets its target when it is below it, or the target lies within its confidence interval."""
    return p95_ms <= target_ms or (ci_ms is not None and ci_ms[0] <= target_ms)


class EvaluationTimeoutError(PlannerError):
    """An evaluation ran past its deadline and was stopped."""


def _station_loads(plan: FleetPlan, assessment: Assessment) -> tuple[StationLoad, ...]:
    """Per-station load at peak; on a simulated slice, a CPU pool's utilisation is the whole pool's closed form."""
    sliced = slice_share(plan.inference_replicas_peak, assessment.workload.peak_requests_per_s) < 1.0
    cpu_ms = {c.name: c.cpu_ms_per_request for c in assessment.workload.pipeline}
    rows = []
    for s in plan.simulation.stations:
        utilisation = s.utilisation
        if sliced and s.kind == "cpu":
            offered = assessment.workload.peak_requests_per_s * ms_to_s(max(cpu_ms[s.name], MIN_SERVICE_MS))
            utilisation = min(1.0, offered / max(1, plan.cpu_workers[s.name]))
        rows.append(StationLoad(station=s.name, utilisation=utilisation, mean_wait_ms=s.mean_wait_ms,
                                p95_wait_ms=s.p95_wait_ms))
    return tuple(rows)


Progress = Callable[[str, float], None]  # (the stage in words, the share done between 0 and 1)


def evaluate(assessment: Assessment, *, instances: Sequence[InstancePrice] | None = None,
             gpus: Mapping[str, GpuSpec] | None = None, seed: int = DEFAULT_SEED,
             deadline_s: float = EVALUATE_DEADLINE_S, progress: Progress | None = None,
             api_prices: Mapping[str, ApiPrice] | None = None) -> Evaluation:
    """Fleet, monthly cost and peak latency of every architecture for one assessment.

    ``instances`` and ``gpus`` replace the catalog's prices and GPU specs (a saved price list, see
    ``planner.store.price_lists.instances_for`` and ``gpus_for``); ``api_prices`` replaces data/api_prices.csv
    (a saved API price list). With a managed API (``assessment.sourcing``) each architecture is estimated
    with the API serving the model, and the break-even against self-hosting is computed
    (planner.estimate.sourcing); when the assessment asks to compare, both are estimated and ``estimates``
    holds the chosen sourcing's, ``alternative`` the other's. An evaluation still running after
    ``deadline_s`` seconds of wall-clock time stops with ``EvaluationTimeoutError``. The same inputs
    evaluated before in this process (the last ``evaluation_cache.CACHE_SIZE``) return a copy of the earlier result at
    once, or the same timeout when that one took longer than ``deadline_s``. ``progress``, if given, hears
    each stage as it starts (serving model, confirming the replicas, the architectures' sizing, simulation and
    resilience), each architecture once it is estimated, and ``("done", 1.0)`` at the end.
    """
    report = progress or _silent
    key = cache_key(assessment, instances, gpus, seed, api_prices)
    cached = CACHE.get(key)
    try:
        if cached is not None:
            evaluation, seconds = cached
            if seconds > deadline_s:  # the same answer as computing it again: it took longer than allowed
                raise DeadlineExceeded
            report(DONE, 1.0)
            return evaluation.model_copy(deep=True)
        started = time.perf_counter()
        with time_limit(deadline_s):
            evaluation = _evaluate(assessment, instances=instances, gpus=gpus, seed=seed, progress=report,
                                   api_prices=api_prices)
    except DeadlineExceeded:
        raise EvaluationTimeoutError(
            f"The estimate took longer than {deadline_s:g} s; it was stopped so that it does not hold up the "
            "server. Try again when fewer estimates are running, or narrow the allowed GPU types and "
            "providers.") from None
    CACHE.put(key, (evaluation, time.perf_counter() - started))
    report(DONE, 1.0)
    return evaluation.model_copy(deep=True)


DONE = "done"


def _silent(stage: str, share: float) -> None:
    """The progress of an evaluation nobody watches."""


def _evaluate(assessment: Assessment, *, instances: Sequence[InstancePrice] | None,
              gpus: Mapping[str, GpuSpec] | None, seed: int, progress: Progress,
              api_prices: Mapping[str, ApiPrice] | None = None) -> Evaluation:
    """The body of ``evaluate``, without its deadline."""
    progress("serving model and candidate instances", 0.0)
    constants, serving = resolve_constants(assessment)
    llm = load_llms()[assessment.workload.model_id]
    mode = assessment.sourcing.mode
    api = api_row(assessment, api_prices)
    gpu_specs = dict(load_gpus() if gpus is None else gpus)
    priced = priced_instances(assessment.workload, load_instances() if instances is None else instances)
    unknown = sorted({p.row.gpu for p in priced} - set(gpu_specs))
    if unknown:
        message = f"The price list names GPU types without a spec: {', '.join(unknown)}."
        raise InputError(message, {"price_list": message})
    options, problems = inference_options(assessment, llm, priced, gpu_specs, serving)
    if not options and mode is not Sourcing.API and (mode is Sourcing.SELF_HOSTED or api is None):
        detail = "; ".join(problems[:3])
        raise InfeasibleError(f"No allowed instance can serve {llm.name} within the targets: {detail}")
    w = assessment.workload
    # The sourcings to estimate: the one named, or both to compare (self-hosting only where an instance can serve).
    sourcings = [s for s in (Sourcing.SELF_HOSTED, Sourcing.API)
                 if (mode is Sourcing.COMPARE or mode is s) and (s is Sourcing.API or options)]
    service = api_service(api, constants) if api is not None else None
    per_sourcing: dict[Sourcing, dict[Architecture, ArchitectureEstimate]] = {}
    hybrid_plan: FleetPlan | None = None
    part = (1.0 - STAGE_START) / len(sourcings)
    for n, sourcing in enumerate(sourcings):
        per_sourcing[sourcing], plan = _sourcing_estimates(
            assessment, llm, options, service if sourcing is Sourcing.API else None, constants, seed, progress,
            STAGE_START + part * n, part)
        hybrid_plan = hybrid_plan or plan
    decision = None
    if api is not None:
        decision = against_self_hosting(assessment, api, llm, constants, options, hybrid_plan)
        decision = choose(mode, decision, per_sourcing.get(Sourcing.API), per_sourcing.get(Sourcing.SELF_HOSTED))
    chosen = decision.chosen if decision is not None else Sourcing.SELF_HOSTED
    if chosen not in per_sourcing:  # the API was ruled out or cannot be evaluated: keep what was
        chosen = next(iter(per_sourcing))
    other = next((e for s, e in per_sourcing.items() if s is not chosen), None)
    events = timeline_events(w, model_update=chosen is not Sourcing.API)
    return Evaluation(estimates=per_sourcing[chosen], assumptions=assumptions_used(assessment, serving),
                      model_name=llm.name, seed=seed, resilience_events=events,
                      allowed_instance_count=len(priced), sourcing=chosen, alternative=other, build_vs_buy=decision)


def _sourcing_estimates(assessment: Assessment, llm: LlmSpec, options: list[InferenceOption],
                        service: ApiService | None, constants: dict[str, float], seed: int, progress: Progress,
                        start: float, part: float) -> tuple[dict[Architecture, ArchitectureEstimate], FleetPlan | None]:
    """Every architecture sized, simulated and costed with the model self-hosted on ``options`` (``service`` None)
    or behind the API; also the self-hosted hybrid's plan (its inference fleet is the break-even's).

    The inference replicas are confirmed on the widest topology (planner.estimate.capacity): the widest
    architecture's job confirms them itself, while the others are estimated side by side with it at the closed
    form's replicas (planner.estimate.parallel), and again at the confirmed ones when the confirmation added some.
    An option the widest architecture does not use is confirmed before the jobs start.
    """
    topologies = {a: build_topology(a, assessment.workload, api=service is not None) for a in Architecture}
    widest = max(topologies.values(), key=lambda t: t.network_hops)
    jobs: dict[Architecture, FleetJob] = {}
    if service is not None:
        jobs = {a: FleetJob(a, t, service) for a, t in topologies.items()}
    else:
        chosen = {a: cheapest_option(a, t, assessment, options, constants) for a, t in topologies.items()}
        confirming = chosen[widest.architecture]
        for architecture, topology in topologies.items():
            option = chosen[architecture]
            if topology is widest:
                jobs[architecture] = FleetJob(architecture, topology, option, confirm=True)
            elif option is confirming:
                guess = first_replicas(assessment, option, constants)
                jobs[architecture] = FleetJob(architecture, topology, option, guess)
            else:  # rare: confirmed here, on the widest topology, before the jobs
                check_deadline()
                replicas, _, rounds = confirm_replicas(widest, assessment, option, constants, seed)
                jobs[architecture] = FleetJob(architecture, topology, option, replicas, rounds)
    done = _run_jobs(list(jobs.values()), assessment, llm, constants, seed, progress, start, part)
    if service is None:  # the replicas the widest architecture confirmed, where a job guessed them before
        confirmed = done[widest.architecture][1]
        again = [job for job in jobs.values() if not job.confirm and job.option is confirming
                 and job.replicas != confirmed.inference_replicas_peak]
        redone = [dataclasses.replace(j, replicas=confirmed.inference_replicas_peak, rounds=confirmed.sim_rounds)
                  for j in again]
        done.update(_run_jobs(redone, assessment, llm, constants, seed, progress, start + part, 0.0))
    estimates = {a: done[a][0] for a in Architecture}
    return estimates, (done[Architecture.HYBRID][1] if service is None else None)


Estimated = dict[Architecture, tuple[ArchitectureEstimate, FleetPlan]]


def _run_jobs(jobs: list[FleetJob], assessment: Assessment, llm: LlmSpec, constants: dict[str, float], seed: int,
              progress: Progress, start: float, part: float) -> Estimated:
    """The jobs' fleets simulated side by side (planner.estimate.fleets), then priced here; ``progress`` hears each
    architecture as its fleet is ready."""
    if not jobs:
        return {}
    progress("sizing, simulating and the resilience of each architecture", start)
    finished: list[FleetJob] = []

    def heard(job: FleetJob) -> None:
        finished.append(job)
        progress(f"estimated the {job.architecture.label.lower()}", start + part * len(finished) / len(jobs))

    simulated = simulate_fleets(jobs, assessment, llm, constants, seed, on_done=heard)
    out = {}
    for job in jobs:
        plan, resilience = simulated[job.architecture]
        service = job.option if isinstance(job.option, ApiService) else None
        out[job.architecture] = (_estimate(job.architecture, job.topology, plan, assessment, llm, constants, service,
                                           resilience), plan)
    return out


def _estimate(architecture: Architecture, topology: Topology, plan: FleetPlan, assessment: Assessment,
              llm: LlmSpec, constants: dict[str, float], service: ApiService | None,
              resilience: ResilienceEstimate) -> ArchitectureEstimate:
    """Cost and latency against the targets of one simulated fleet, with its resilience."""
    w = assessment.workload
    cost, lines = estimate_cost(plan, topology, assessment, constants)
    notes = []
    if service is not None:
        tokens = token_cost_lines(service.api, assessment,
                                  requests_per_month(day_mean_requests_per_s(assessment), constants))
        cost = cost.model_copy(update={"api_usd": sum(line.monthly_usd for line in tokens)})
        lines = (*tokens, *lines)
        inference_text = f"through {service.label}"
        if architecture is Architecture.HYBRID:
            notes.append("Behind an API the hybrid's inference unit is the provider's: it deploys the same code as "
                         "the monolith, on Kubernetes.")
    else:
        assert isinstance(plan.option, InferenceOption)
        row = plan.option.instance
        inference_text = f"self-hosted on {row.gpu_count}x {row.gpu} ({row.provider} {row.instance})"
    sim = plan.simulation
    meets_ttft = _meets(sim.ttft.p95_ms, sim.ttft.p95_ci_ms, w.p95_ttft_ms)
    meets_e2e = _meets(sim.e2e.p95_ms, sim.e2e.p95_ci_ms, w.p95_e2e_ms)
    if not (meets_ttft and meets_e2e):
        notes.append(f"Misses a p95 target at peak after {plan.sim_rounds} simulated sizing rounds."
                     if service is None else f"Misses a p95 target at peak with {service.label}'s latency.")
    elif sim.ttft.p95_ms > w.p95_ttft_ms or sim.e2e.p95_ms > w.p95_e2e_ms:
        notes.append("The simulated p95 is a little over a target but within the simulation's 95 % "
                     "confidence interval of it.")
    provider_ms = constants["api.network_rtt_ms"] if service is not None else 0.0
    return ArchitectureEstimate(
        architecture=architecture, deployable_units=len(topology.own_units), network_hops=topology.network_hops,
        hop_latency_ms=topology.network_hops * hop_median_ms(architecture, constants) + provider_ms,
        fleet=fleet_items(plan, constants), cost=cost,
        cost_lines=lines, ttft=_latency(sim.ttft), e2e=_latency(sim.e2e),
        meets_ttft_target=meets_ttft, meets_e2e_target=meets_e2e,
        slo_miss_share=sim.slo_miss_share, stations=_station_loads(plan, assessment),
        notes=tuple(notes), resilience=resilience,
        sourcing=Sourcing.API if service is not None else Sourcing.SELF_HOSTED, inference_text=inference_text)
