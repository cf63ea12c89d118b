"""The cheapest fleet per architecture that meets the p95 latency targets at peak.

Sizing starts from closed forms and is then confirmed by simulation:

1. Inference: for every allowed instance type, the serving model sizes one replica (tensor
   parallelism from memory fit) and picks the largest batch whose time per output token still fits
   the end-to-end budget for a p95-long answer; replicas at peak = peak rate / (replica throughput
   at that batch x ``INFERENCE_TARGET_UTILISATION``).
2. CPU steps: Erlang C gives the fewest workers (one vCPU each) whose p95 queue wait stays within a
   small share of the TTFT budget at ``cpu.target_utilisation``.
3. The cheapest candidate (instance-hours over the day at the chosen option's price, or on-demand where a
   row has none: ``planner.estimate.pricing``) is simulated at peak; while a p95 target is missed,
   inference replicas grow and it runs again.

Over the day, each unit follows the traffic shape (data/traffic_shapes.yaml) hour by hour at its
scaling granularity (whole GPU instances; single vCPUs for CPU services), never below the minimum
replica count the availability target asks for, and sized for the busier of the current and the next
hour so that scale-up lag does not leave an hour short.

The monolith runs its CPU steps on the GPU hosts' vCPUs and scales as a whole: when the CPU work
needs more vCPUs than the GPU instances have, it buys more GPU instances.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from planner.errors import InfeasibleError
from planner.estimate.api import ApiService, api_station_args
from planner.estimate.pricing import ON_DEMAND, PricedInstance
from planner.estimate.queueing import min_servers_for_wait
from planner.estimate.serving import ReplicaModel, ServingConstants, replica_degrees
from planner.estimate.simulation import (
    ApiStation,
    CpuStation,
    Hop,
    InferenceStation,
    SimulationInput,
    SimulationResult,
    simulate,
)
from planner.estimate.slicing import slice_share, sliced_replicas, sliced_workers
from planner.estimate.topology import INFERENCE, Topology, build_topology, mesh_extra_ms
from planner.estimate.traffic import HOURS_PER_DAY, hourly_rates
from planner.inputs.models import Architecture, Assessment, InstancePrice, LlmSpec
from planner.inputs.units import MS_PER_S, ms_to_s, s_to_ms

INFERENCE_TARGET_UTILISATION = 0.8  # share of a replica's throughput at its batch cap used at peak
BATCH_BACKOFF = 0.8  # each try of a smaller batch cap keeps this share of the previous one
TPOT_SAFETY = 0.85  # share of the per-token budget the chosen batch may use (queueing needs the rest)
CPU_WAIT_SHARE_OF_TTFT = 0.02  # p95 queue wait allowed per CPU step, as a share of the TTFT target
Z95 = 1.6449  # standard normal 95th percentile
SIM_REQUESTS = 3000  # measured requests per confirming simulation
SIM_WARMUP = 300  # requests discarded before measuring
MIN_SERVICE_MS = 1e-3  # a step without CPU time still needs a positive service time in the simulation
MAX_CONFIRM_ROUNDS = 5  # simulations per architecture before giving up on the targets
GROWTH_PER_ROUND = 0.15  # extra inference replicas per failed round, as a share
# Confirmation sizes to this share of each target, so that every architecture's own simulation (with
# its own sampling noise, a few % at p95) still meets the target itself.
CONFIRM_HEADROOM = 0.97


@dataclass(frozen=True)
class InferenceOption:
    """One instance type able to serve the model, with its replica plan and per-replica capacity."""

    instance: InstancePrice
    price_usd_h: float
    replica: ReplicaModel
    replicas_per_instance: int
    max_batch: int
    replica_requests_per_s: float
    price_basis: str = ON_DEMAND  # which of the row's prices price_usd_h is (planner.estimate.pricing)


@dataclass(frozen=True)
class UnitPlan:
    """A scaling unit's size at peak and hour by hour over the day."""

    name: str
    components: tuple[str, ...]
    kind: str  # "gpu" or "cpu"
    peak: int  # instances (gpu) or vCPUs (cpu)
    hourly: tuple[int, ...]  # same unit as peak, for each hour of the day
    minimum: int


@dataclass(frozen=True)
class FleetPlan:
    """An architecture's sized fleet and the simulation that confirmed it."""

    architecture: Architecture
    option: InferenceOption | ApiService  # the instance type serving the model, or the provider's API
    inference_replicas_peak: int  # 0 behind an API
    units: tuple[UnitPlan, ...]
    cpu_workers: dict[str, int]  # vCPU workers per CPU step at peak
    simulation: SimulationResult
    sim_rounds: int


def lognormal_quantile(mean: float, cv: float, z: float = Z95) -> float:
    """The quantile at standard score z of a lognormal with this mean and coefficient of variation."""
    if cv <= 0:
        return mean
    sigma2 = math.log1p(cv * cv)
    return math.exp(math.log(mean) - sigma2 / 2 + z * math.sqrt(sigma2))


def min_replicas(assessment: Assessment, constants: dict[str, float]) -> int:
    """The fewest replicas of a unit that the availability target allows."""
    target = assessment.workload.availability_target_pct
    if target >= 99.99:
        return int(constants["gpu.min_replicas_for_99_99"])
    if target >= 99.9:
        return int(constants["gpu.min_replicas_for_99_9"])
    return 1


def inference_options(
    assessment: Assessment, llm: LlmSpec, instances: Sequence[PricedInstance | tuple[InstancePrice, float]],
    gpus: dict, serving: ServingConstants,
) -> tuple[list[InferenceOption], list[str]]:
    """Every priced instance type that can hold the model and meet the per-token budget, and why others cannot.

    ``instances`` are ``PricedInstance`` rows or (row, price) pairs, which count as on-demand prices.
    """
    w = assessment.workload
    context = w.mean_input_tokens + w.mean_output_tokens
    out_p95 = lognormal_quantile(w.mean_output_tokens, w.output_tokens_cv)
    tpot_budget_s = ms_to_s(w.p95_e2e_ms - w.p95_ttft_ms) / out_p95 * TPOT_SAFETY
    options, problems = [], []
    for item in instances:
        row, price, basis = PricedInstance(*item)
        try:
            # More tensor parallelism shortens each step: try every power of two the instance holds.
            replicas = replica_degrees(llm, gpus[row.gpu], w.precision, max_gpus=row.gpu_count,
                                       mean_context_tokens=context, constants=serving, kv_precision=w.kv_precision)
        except InfeasibleError as exc:
            problems.append(f"{row.provider} {row.instance}: {exc}")
            continue
        found = False
        for replica in replicas:
            option = _option(PricedInstance(row, price, basis), replica, w.mean_input_tokens, w.mean_output_tokens,
                             tpot_budget_s)
            if option is not None:
                options.append(option)
                found = True
        if not found:
            problems.append(f"{row.provider} {row.instance}: one output token takes longer than the end-to-end "
                            f"target allows ({s_to_ms(tpot_budget_s):.0f} ms per token for a p95-long answer)")
    return options, problems


def _option(priced: PricedInstance, replica: ReplicaModel, input_tokens: int, output_tokens: int,
            tpot_budget_s: float) -> InferenceOption | None:
    """The replica at the largest batch cap whose steady-state time per token fits the budget, or None."""
    batch = replica.max_concurrent_sequences
    estimate = replica.throughput(input_tokens, output_tokens, batch=batch)
    while batch > 1 and ms_to_s(estimate.tpot_ms) > tpot_budget_s:
        batch = max(1, int(batch * BATCH_BACKOFF))
        estimate = replica.throughput(input_tokens, output_tokens, batch=batch)
    if ms_to_s(estimate.tpot_ms) > tpot_budget_s:
        return None
    row = priced.row
    return InferenceOption(instance=row, price_usd_h=priced.price_usd_h, replica=replica,
                           replicas_per_instance=row.gpu_count // replica.tensor_parallel, max_batch=batch,
                           replica_requests_per_s=estimate.requests_per_s, price_basis=priced.basis)


def cpu_workers(rate: float, cpu_ms: float, assessment: Assessment, constants: dict[str, float]) -> int:
    """Fewest one-vCPU workers for a CPU step at a rate (Erlang C on the p95 wait, utilisation cap)."""
    return _cpu_workers(rate, cpu_ms, assessment.workload.p95_ttft_ms, constants["cpu.target_utilisation"])


@lru_cache(maxsize=4096)
def _cpu_workers(rate: float, cpu_ms: float, p95_ttft_ms: float, max_utilisation: float) -> int:
    """``cpu_workers`` of plain numbers, kept: sizing asks for the same hours once per instance type."""
    if cpu_ms <= 0:
        return 0
    target_wait_s = ms_to_s(p95_ttft_ms * CPU_WAIT_SHARE_OF_TTFT)
    return min_servers_for_wait(rate, MS_PER_S / cpu_ms, target_wait_s, max_utilisation=max_utilisation)


def _replicas_for(rate: float, option: InferenceOption, factor: float) -> int:
    return math.ceil(rate / (option.replica_requests_per_s * INFERENCE_TARGET_UTILISATION) * factor - 1e-9)


def replicas_for(rate: float, option: InferenceOption) -> int:
    """Closed-form inference replicas at a rate: the rate over ``INFERENCE_TARGET_UTILISATION`` of a replica's."""
    return _replicas_for(rate, option, 1.0)


def _units(architecture: Architecture, topology: Topology, assessment: Assessment,
           option: InferenceOption | ApiService, factor: float, constants: dict[str, float]) -> tuple[UnitPlan, ...]:
    """Size every unit hour by hour, given the inference replicas' confirmation factor."""
    rates = hourly_rates(assessment)
    ahead = [max(rates[h], rates[(h + 1) % HOURS_PER_DAY]) for h in range(HOURS_PER_DAY)]
    cpu_ms = {c.name: c.cpu_ms_per_request for c in assessment.workload.pipeline}
    floor = min_replicas(assessment, constants)
    cpu_floor = int(constants["cpu.min_replicas_per_service"])

    def gpu_instances(rate: float, vcpus_needed: int = 0) -> int:
        # The availability floor counts instances: replicas sharing a host fail together.
        assert isinstance(option, InferenceOption)  # only a self-hosted model has GPU units
        by_gpu = math.ceil(_replicas_for(rate, option, factor) / option.replicas_per_instance)
        by_cpu = math.ceil(vcpus_needed / option.instance.vcpus) if vcpus_needed else 0
        return max(floor, by_gpu, by_cpu)

    def vcpus(rate: float, steps: tuple[str, ...]) -> int:
        return sum(cpu_workers(rate, cpu_ms[s], assessment, constants) for s in steps if s != INFERENCE)

    units = []
    for unit in topology.own_units:
        if unit.kind == "gpu":
            cpu_steps = tuple(s for s in unit.components if s != INFERENCE)
            hourly = tuple(gpu_instances(r, vcpus(r, cpu_steps)) for r in ahead)
            peak = gpu_instances(assessment.workload.peak_requests_per_s,
                                 vcpus(assessment.workload.peak_requests_per_s, cpu_steps))
            minimum = floor
        else:
            hourly = tuple(max(cpu_floor, vcpus(r, unit.components)) for r in ahead)
            peak = max(cpu_floor, vcpus(assessment.workload.peak_requests_per_s, unit.components))
            minimum = cpu_floor
        units.append(UnitPlan(name=unit.name, components=unit.components, kind=unit.kind, peak=peak,
                              hourly=hourly, minimum=minimum))
    return tuple(units)


def inference_station(replica: ReplicaModel, max_batch: int, input_tokens: float, output_tokens: float,
                      replicas: int) -> InferenceStation:
    """The simulated replicas running ``replica``'s step model at the workload's mean contexts."""
    context = input_tokens + output_tokens / 2.0
    prefill_context = replica.prefill_context(input_tokens)
    return InferenceStation(
        name=INFERENCE, replicas=replicas, max_batch=max_batch,
        step_s=lambda decoding, prefill: replica.step_s(decoding, prefill, context, prefill_context),
        token_budget=replica.token_budget, verify_tokens=replica.verify_tokens,
        tokens_per_step=replica.tokens_per_step, cached_share=replica.cached_share)


def simulation_input(topology: Topology, assessment: Assessment, option: InferenceOption | ApiService, replicas: int,
                     workers: dict[str, int], constants: dict[str, float], seed: int,
                     n_requests: int = SIM_REQUESTS, warmup: int = SIM_WARMUP) -> SimulationInput:
    """The peak-load simulation of one architecture's pipeline with these inference replicas and CPU workers.

    A peak above ``MAX_SIM_RATE_PER_S`` is simulated on a slice of the fleet at the same load per
    replica (planner.estimate.slicing), so the simulated work does not grow with the traffic.
    """
    w = assessment.workload
    cpu_ms = {c.name: c.cpu_ms_per_request for c in w.pipeline}
    share = slice_share(replicas, w.peak_requests_per_s)
    rate = w.peak_requests_per_s * share
    hop = Hop(median_ms=constants["network.hop_median_ms"], sigma=constants["network.hop_sigma"],
              extra_ms=mesh_extra_ms(topology.architecture, constants))
    stations: list[CpuStation | InferenceStation | ApiStation] = []
    hops: list[Hop | None] = []
    for i, stage in enumerate(topology.stages):
        hops.append(hop if topology.hop_before(i) else None)
        if isinstance(option, ApiService) and stage == INFERENCE:
            hops[-1] = Hop(median_ms=constants["api.network_rtt_ms"], sigma=constants["api.network_sigma"])
            stations.append(ApiStation(**api_station_args(option, constants)))  # type: ignore[arg-type]
        elif stage == INFERENCE:
            assert isinstance(option, InferenceOption)
            stations.append(inference_station(option.replica, option.max_batch, w.mean_input_tokens,
                                              w.mean_output_tokens, sliced_replicas(replicas, w.peak_requests_per_s)))
        else:
            rule = cpu_workers(rate, cpu_ms[stage], assessment, constants) if share < 1.0 else 0
            servers = sliced_workers(workers[stage], share, rule)
            stations.append(CpuStation(name=stage, servers=max(1, servers),
                                       mean_service_s=ms_to_s(max(cpu_ms[stage], MIN_SERVICE_MS))))
    return SimulationInput(
        stations=stations, hops=hops,
        return_hop=hop if topology.return_hop else None, arrival_rate_per_s=rate,
        mean_input_tokens=w.mean_input_tokens, input_tokens_cv=w.input_tokens_cv,
        mean_output_tokens=w.mean_output_tokens, output_tokens_cv=w.output_tokens_cv,
        n_requests=n_requests, warmup_requests=warmup, seed=seed,
        ttft_slo_ms=w.p95_ttft_ms, e2e_slo_ms=w.p95_e2e_ms)


def _monthly_gpu_usd(units: tuple[UnitPlan, ...], option: InferenceOption) -> float:
    return sum(sum(u.hourly) / HOURS_PER_DAY for u in units if u.kind == "gpu") * option.price_usd_h


def inference_monthly_usd(assessment: Assessment, option: InferenceOption, factor: float,
                          constants: dict[str, float]) -> float:
    """A month of the GPU instances that serve the model on their own (the hybrid's inference unit), USD: the day
    mean of whole instances, autoscaled hour by hour, x ``hours.per_month`` x the hourly price. ``factor`` is the
    simulation's confirmation of the closed-form replicas (1: the closed form alone)."""
    topology = build_topology(Architecture.HYBRID, assessment.workload)
    units = _units(Architecture.HYBRID, topology, assessment, option, factor, constants)
    return _monthly_gpu_usd(units, option) * constants["hours.per_month"]


def cheapest_option(architecture: Architecture, topology: Topology, assessment: Assessment,
                    options: list[InferenceOption], constants: dict[str, float]) -> InferenceOption:
    """The candidate whose GPU instance-hours over the day cost least (closed form; ties by name)."""
    if not options:
        raise InfeasibleError("No allowed instance type can serve this model within the targets.")
    return min(options, key=lambda o: (_monthly_gpu_usd(_units(architecture, topology, assessment, o, 1.0, constants),
                                                        o), o.instance.provider, o.instance.instance))


def first_replicas(assessment: Assessment, option: InferenceOption, constants: dict[str, float]) -> int:
    """The closed form's inference replicas at peak (at least what the availability target asks): the first round
    of ``confirm_replicas``, and what ``size_fleet`` scales the hourly fleet from."""
    return max(min_replicas(assessment, constants),
               _replicas_for(assessment.workload.peak_requests_per_s, option, 1.0))


def peak_cpu_workers(assessment: Assessment, constants: dict[str, float]) -> dict[str, int]:
    """vCPU workers per CPU step at peak."""
    peak = assessment.workload.peak_requests_per_s
    return {c.name: cpu_workers(peak, c.cpu_ms_per_request, assessment, constants)
            for c in assessment.workload.pipeline}


def confirm_replicas(topology: Topology, assessment: Assessment, option: InferenceOption,
                     constants: dict[str, float], seed: int) -> tuple[int, SimulationResult, int]:
    """Inference replicas at peak: the closed form, grown until the simulated p95s meet the targets.

    Returns the replicas, the last simulation and the number of rounds. Run it on the topology with
    the most hops: inference is the same service in every architecture, and the other architectures
    only remove hop latency, so replicas that suffice there suffice everywhere.
    """
    w = assessment.workload
    workers = peak_cpu_workers(assessment, constants)
    replicas = first_replicas(assessment, option, constants)
    result = simulate(simulation_input(topology, assessment, option, replicas, workers, constants, seed),
                      keep_samples=True)
    rounds = 1
    while rounds < MAX_CONFIRM_ROUNDS and (result.ttft.p95_ms > w.p95_ttft_ms * CONFIRM_HEADROOM
                                           or result.e2e.p95_ms > w.p95_e2e_ms * CONFIRM_HEADROOM):
        replicas += max(1, math.ceil(replicas * GROWTH_PER_ROUND))
        result = simulate(simulation_input(topology, assessment, option, replicas, workers, constants, seed),
                          keep_samples=True)
        rounds += 1
    return replicas, result, rounds


def size_api_fleet(architecture: Architecture, topology: Topology, assessment: Assessment, service: ApiService,
                   constants: dict[str, float], seed: int) -> FleetPlan:
    """The fleet of one architecture whose model is a provider's API: its CPU units hour by hour and the peak
    simulation of the pipeline with the API in it (no inference replicas of ours, nothing to confirm)."""
    workers = peak_cpu_workers(assessment, constants)
    result = simulate(simulation_input(topology, assessment, service, 0, workers, constants, seed), keep_samples=True)
    units = _units(architecture, topology, assessment, service, 1.0, constants)
    return FleetPlan(architecture=architecture, option=service, inference_replicas_peak=0, units=units,
                     cpu_workers=workers, simulation=result, sim_rounds=1)


def size_fleet(architecture: Architecture, topology: Topology, assessment: Assessment, option: InferenceOption,
               replicas: int, constants: dict[str, float], seed: int, rounds: int = 1,
               simulation: SimulationResult | None = None) -> FleetPlan:
    """The fleet of one architecture with confirmed inference replicas, and its own peak simulation.

    ``simulation``: that peak run when it was made already (the confirming run on this topology).
    """
    workers = peak_cpu_workers(assessment, constants)
    base = first_replicas(assessment, option, constants)
    result = simulation or simulate(simulation_input(topology, assessment, option, replicas, workers, constants, seed),
                                    keep_samples=True)
    units = _units(architecture, topology, assessment, option, replicas / base, constants)
    return FleetPlan(architecture=architecture, option=option, inference_replicas_peak=replicas, units=units,
                     cpu_workers=workers, simulation=result, sim_rounds=rounds)
