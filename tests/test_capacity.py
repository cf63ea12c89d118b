"""Capacity sizing: traffic over the day, closed-form sizes, model fit per GPU and the monolith's coarse scaling.

Expected values are worked out here from the formulas in planner/estimate/capacity.py's docstring, the
constants in data/assumptions.yaml and the GPU datasheet figures, not copied from a previous run.
"""

import functools
import math
from statistics import NormalDist

import pytest

from planner.estimate.capacity import (
    CPU_WAIT_SHARE_OF_TTFT,
    INFERENCE_TARGET_UTILISATION,
    Z95,
    confirm_replicas,
    cpu_workers,
    hourly_rates,
    inference_options,
    lognormal_quantile,
    min_replicas,
)
from planner.estimate.engine import evaluate, resolve_constants
from planner.estimate.queueing import min_servers_for_wait
from planner.estimate.serving import ServingConstants
from planner.estimate.topology import build_topology
from planner.estimate.traffic import traffic_profile
from planner.inputs.catalog import load_gpus, load_instances, load_llms
from planner.inputs.files import load_presets
from planner.inputs.models import Architecture, Assessment, InstancePrice, TrafficShape

HOURS_PER_DAY = 24
GB_80 = 80.0  # memory of an H100 / A100-80GB, GB
GB_24 = 24.0  # memory of an L4 / A10G, GB
LLAMA_70B_BF16_WEIGHTS_GB = 70.6 * 2  # 70.6 B parameters x 2 bytes


@functools.cache
def blank() -> Assessment:
    """The blank preset, parsed once: every test here starts from its answers."""
    return load_presets()["blank"]


def with_workload(assessment: Assessment, **changes: object) -> Assessment:
    """A validated copy of an assessment with some workload answers replaced."""
    data = assessment.model_dump()
    data["workload"].update(changes)
    return Assessment.model_validate(data)


def priced_on_demand() -> list[tuple[InstancePrice, float]]:
    return [(row, row.on_demand_usd_h) for row in load_instances()]


def options_for(assessment: Assessment):
    llm = load_llms()[assessment.workload.model_id]
    return inference_options(assessment, llm, priced_on_demand(), dict(load_gpus()), ServingConstants())


# Traffic over the day --------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", list(TrafficShape))
def test_traffic_profile_has_mean_one(shape):
    profile = traffic_profile(shape.value)
    assert len(profile) == HOURS_PER_DAY
    assert sum(profile) / HOURS_PER_DAY == pytest.approx(1.0, rel=1e-12)


# With a 3x peak, the steady and business-hours curves are stretched so far that their quietest
# hours reach the MIN_RATE_SHARE floor; the mean must still hold (it once drifted to 6.26 req/s for 5).


@pytest.mark.parametrize(("shape", "peak_ratio"), [
    (TrafficShape.STEADY, 1.05),
    (TrafficShape.BUSINESS_HOURS, 1.5),
    (TrafficShape.SPIKY, 1.5),
    (TrafficShape.SPIKY, 3.0),
    (TrafficShape.STEADY, 3.0),
    (TrafficShape.BUSINESS_HOURS, 3.0),
])
def test_hourly_rates_keep_the_mean_and_hit_the_peak(shape, peak_ratio):
    mean = 5.0
    assessment = with_workload(blank(), traffic_shape=shape.value, mean_requests_per_s=mean,
                               peak_requests_per_s=mean * peak_ratio)
    rates = hourly_rates(assessment)
    assert len(rates) == HOURS_PER_DAY
    assert max(rates) == pytest.approx(mean * peak_ratio, rel=1e-12)
    assert sum(rates) / HOURS_PER_DAY == pytest.approx(mean, rel=1e-9)


def test_hourly_rates_follow_the_shape_hour_by_hour():
    # The busiest hour of the shape is the busiest hour of the rates.
    assessment = with_workload(blank(), traffic_shape="spiky")
    profile = traffic_profile("spiky")
    rates = hourly_rates(assessment)
    assert rates.index(max(rates)) == profile.index(max(profile))
    assert rates.index(min(rates)) == profile.index(min(profile))


def test_equal_mean_and_peak_is_flat():
    rates = hourly_rates(with_workload(blank(), mean_requests_per_s=7.0, peak_requests_per_s=7.0))
    assert rates == pytest.approx([7.0] * HOURS_PER_DAY)


# Closed forms ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("mean", "cv"), [(300, 0.5), (1000, 0.6), (50, 2.0), (1, 0.1)])
def test_lognormal_quantile_matches_the_closed_form(mean, cv):
    sigma = math.sqrt(math.log(1 + cv * cv))
    mu = math.log(mean) - sigma * sigma / 2
    # Z95 is rounded to 4 decimals; NormalDist gives the exact 95th percentile of N(0, 1).
    expected = math.exp(mu + sigma * NormalDist().inv_cdf(0.95))
    assert lognormal_quantile(mean, cv) == pytest.approx(expected, rel=1e-4)
    # The distribution has the asked-for mean: exp(mu + sigma^2 / 2).
    assert math.exp(mu + sigma * sigma / 2) == pytest.approx(mean)
    assert lognormal_quantile(mean, cv, z=0.0) == pytest.approx(math.exp(mu))


def test_lognormal_quantile_of_a_constant_is_the_mean():
    assert lognormal_quantile(300, 0.0) == 300
    assert abs(Z95 - NormalDist().inv_cdf(0.95)) < 1e-4


@pytest.mark.parametrize(("availability_pct", "replicas"), [
    (90.0, 1), (99.0, 1), (99.5, 1), (99.89, 1),
    (99.9, 2), (99.95, 2),  # gpu.min_replicas_for_99_9 = 2
    (99.99, 3), (99.999, 3),  # gpu.min_replicas_for_99_99 = 3
])
def test_min_replicas_by_availability_target(availability_pct, replicas):
    assessment = with_workload(blank(), availability_target_pct=availability_pct)
    constants, _ = resolve_constants(assessment)
    assert min_replicas(assessment, constants) == replicas


@pytest.mark.parametrize(("rate", "cpu_ms"), [(15.0, 2.0), (15.0, 25.0), (180.0, 30.0), (0.5, 1000.0)])
def test_cpu_workers_is_erlang_c_with_the_assumed_constants(rate, cpu_ms):
    assessment = blank()
    constants, _ = resolve_constants(assessment)
    target_wait_s = assessment.workload.p95_ttft_ms * CPU_WAIT_SHARE_OF_TTFT / 1000.0
    expected = min_servers_for_wait(rate, 1000.0 / cpu_ms, target_wait_s,
                                    max_utilisation=constants["cpu.target_utilisation"])
    workers = cpu_workers(rate, cpu_ms, assessment, constants)
    assert workers == expected
    # Never above the 0.6 utilisation target of data/assumptions.yaml.
    assert workers >= math.ceil(rate * cpu_ms / 1000.0 / 0.6 - 1e-9)


def test_cpu_workers_follow_the_utilisation_override():
    # A 10-minute TTFT target allows 12 s of queue wait, so only the utilisation target binds.
    assessment = with_workload(blank(), p95_ttft_ms=600_000.0, p95_e2e_ms=600_000.0)
    constants, _ = resolve_constants(assessment)
    # 180 req/s x 30 ms = 5.4 erlangs: 5.4 / 0.6 = 9 workers; 5.4 / 0.9 = 6.
    assert cpu_workers(180.0, 30.0, assessment, constants) == 9
    assert cpu_workers(180.0, 30.0, assessment, {**constants, "cpu.target_utilisation": 0.9}) == 6
    assert cpu_workers(180.0, 0.0, assessment, constants) == 0


# Model fit -------------------------------------------------------------------------------------------


def test_70b_in_bf16_needs_at_least_two_80gb_gpus():
    # A relaxed end-to-end target, so that memory, not speed, decides which instances qualify.
    assessment = with_workload(blank(), model_id="llama-3.3-70b", precision="bf16", p95_e2e_ms=60_000.0)
    options, problems = options_for(assessment)
    on_80gb = [o for o in options if o.replica.gpu.memory_gb == GB_80]
    assert on_80gb, "some 8-GPU 80 GB instance must serve a 70B model"
    assert all(o.replica.tensor_parallel >= 2 for o in on_80gb)
    assert any(o.replica.tensor_parallel == 2 for o in on_80gb)
    # 141.2 GB of weights with 10 % of memory kept free need more than 156 GB of GPU memory per replica.
    for o in options:
        assert o.replica.tensor_parallel * o.replica.gpu.memory_gb >= LLAMA_70B_BF16_WEIGHTS_GB / 0.9
    # Every single-GPU 80 GB instance is refused for memory, with the size in the reason.
    singles = [r.instance for r in load_instances() if r.gpu_count == 1 and r.gpu in {"H100-SXM", "A100-80GB"}]
    assert singles
    for name in singles:
        assert any(name in p and "needs about 157 GB" in p for p in problems)


def test_8b_fits_one_24gb_gpu():
    # A 24 GB GPU's memory bandwidth (0.3-0.6 TB/s) gives 50-100 ms per token for 16 GB of weights,
    # so the default 20 s end-to-end target rules it out; 120 s allows it.
    assessment = with_workload(blank(), p95_e2e_ms=120_000.0)
    options, _ = options_for(assessment)
    small = [o for o in options if o.instance.gpu_count == 1 and o.replica.gpu.memory_gb == GB_24]
    assert {o.instance.gpu for o in small} == {"L4", "A10G"}
    assert all(o.replica.tensor_parallel == 1 and o.replicas_per_instance == 1 for o in small)


def test_one_24gb_gpu_is_too_slow_for_the_default_targets():
    # Tensor parallelism over 4 or 8 of them can still be fast enough.
    options, problems = options_for(blank())
    assert not [o for o in options if o.replica.gpu.memory_gb == GB_24 and o.replica.tensor_parallel == 1]
    assert any("g6.xlarge" in p and "per token" in p for p in problems)


# Fleet sizes -----------------------------------------------------------------------------------------


def test_monolith_buys_gpu_instances_for_cpu_work():
    # One runpod 1x H100 secure-cloud instance (16 vCPUs; the community one would need
    # allow_community_instances) and a pipeline step of 3 s CPU per request: at 15 req/s peak that
    # is 45 erlangs, so at least 45 / 0.6 = 75 vCPUs, i.e. 5 instances, while 15 req/s of an 8B
    # model fit on two H100 replicas. The hybrid runs the CPU step on CPU hosts.
    row = next(r for r in load_instances() if r.instance == "h100-sxm-1x-secure")
    heavy = with_workload(blank(), p95_ttft_ms=15_000.0, p95_e2e_ms=60_000.0, pipeline=[
        {"name": "gateway", "cpu_ms_per_request": 2.0},
        {"name": "orchestration", "cpu_ms_per_request": 3000.0},
    ])
    estimates = evaluate(heavy, instances=[row]).estimates
    monolith = estimates[Architecture.MONOLITH].fleet[0]
    inference = next(f for f in estimates[Architecture.HYBRID].fleet if f.kind == "gpu")
    assert monolith.replicas_peak >= math.ceil(15 * 3.0 / 0.6 / row.vcpus)
    assert monolith.replicas_peak > inference.replicas_peak
    assert monolith.replicas_mean > inference.replicas_mean
    assert estimates[Architecture.MONOLITH].cost.gpu_usd > estimates[Architecture.HYBRID].cost.gpu_usd


def test_inference_replicas_grow_with_peak_traffic():
    base = blank()
    constants, serving = resolve_constants(base)
    row = next(r for r in load_instances() if r.instance == "h100-sxm-1x-community")
    llm = load_llms()[base.workload.model_id]
    topology = build_topology(Architecture.MICROSERVICES, base.workload)
    (option, *_), _ = inference_options(base, llm, [(row, row.on_demand_usd_h)], dict(load_gpus()), serving)
    replicas = []
    for peak in (5.0, 20.0, 60.0):
        assessment = with_workload(base, peak_requests_per_s=peak)
        count, result, _ = confirm_replicas(topology, assessment, option, constants, seed=1)
        # Never fewer than the closed form: peak / (replica throughput x target utilisation).
        assert count >= math.ceil(peak / (option.replica_requests_per_s * INFERENCE_TARGET_UTILISATION))
        assert result.ttft.p95_ms <= assessment.workload.p95_ttft_ms
        replicas.append(count)
    assert replicas == sorted(replicas)
    assert replicas[-1] > replicas[0]
