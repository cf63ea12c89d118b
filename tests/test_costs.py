"""Monthly costs: every line recomputed by hand from data/assumptions.yaml and a hand-built fleet.

The fleets here are written out hour by hour with round day means (e.g. 1 instance for 12 hours and 3
for the other 12: a mean of 2), so each expected dollar figure is a short product of the constants.
The preset tests check the evaluated lines against the formulas they print and the breakdown
against its lines.
"""

import functools
import re

import pytest

from planner.estimate.capacity import FleetPlan, InferenceOption, UnitPlan
from planner.estimate.costs import estimate_cost, fleet_items
from planner.estimate.engine import evaluate, resolve_constants
from planner.estimate.results import Evaluation
from planner.estimate.serving import plan_replica
from planner.estimate.simulation import CpuStation, SimulationInput, SimulationResult, simulate
from planner.estimate.topology import build_topology
from planner.inputs.catalog import load_gpus, load_llms
from planner.inputs.files import load_presets
from planner.inputs.models import Architecture, Assessment, InstancePrice
from tests.presets import self_hosted

# Values of data/assumptions.yaml, written out so that the expected figures are independent of the code.
HOURS = 730.0
VCPU_USD_H = 0.0504
HOP_CPU_MS = 0.1
SIDECAR_VCPU_PER_1000_RPS = 0.20
MESH_CONTROL_PLANE_VCPU = 1.0
K8S_USD_MONTH = 73.0
OBSERVABILITY_USD_HOST = 15.0
TRACING_USD_PER_M_SPANS = 0.5
SPANS_PER_CALL = 2
TRACE_SAMPLE_RATE = 0.1
CI_CD_USD_SERVICE = 50.0
FTE_USD_MONTH = 15_000.0
FTE_BASE = 0.25
FTE_PER_SERVICE = 0.08
GAP_MULTIPLIER = 0.15

GPU_USD_H = 2.5  # the hand-built instance's price
GPU_HOURLY = (1,) * 12 + (3,) * 12  # instances each hour: day mean 2
CPU_HOURLY = (2,) * 12 + (4,) * 12  # vCPUs each hour: day mean 3
MEAN_RPS = 5.0  # spiky traffic, 5 req/s mean and 15 peak: the curve needs no clipping, so the mean holds


def cost_assessment(level: int = 2) -> Assessment:
    """The blank preset with spiky traffic and every readiness level at ``level``."""
    data = load_presets()["blank"].model_dump()
    data["workload"].update(traffic_shape="spiky", mean_requests_per_s=MEAN_RPS, peak_requests_per_s=15.0)
    data["team"].update({k: level for k in ("containers", "observability", "cicd", "on_call", "api_design",
                                            "service_security")})
    return Assessment.model_validate(data)


@functools.cache
def tiny_simulation() -> SimulationResult:
    """A real but meaningless simulation result: costs never read it, FleetPlan needs one."""
    return simulate(SimulationInput(stations=[CpuStation(name="x", servers=1, mean_service_s=0.01)],
                                    arrival_rate_per_s=1.0, n_requests=50))


def hand_plan(architecture: Architecture, assessment: Assessment) -> FleetPlan:
    """Every GPU unit on GPU_HOURLY instances at GPU_USD_H, every CPU unit on CPU_HOURLY vCPUs."""
    row = InstancePrice(provider="acme", instance="gpu-1x", region="r1", gpu="H100-SXM", gpu_count=1, vcpus=16,
                        on_demand_usd_h=GPU_USD_H, source="hand-made row for tests", as_of="2026-11")
    replica = plan_replica(load_llms()["llama-3.1-8b"], load_gpus()["H100-SXM"], assessment.workload.precision,
                           max_gpus=1, mean_context_tokens=1300)
    option = InferenceOption(instance=row, price_usd_h=GPU_USD_H, replica=replica, replicas_per_instance=1,
                             max_batch=64, replica_requests_per_s=10.0)
    topology = build_topology(architecture, assessment.workload)
    units = tuple(UnitPlan(name=u.name, components=u.components, kind=u.kind, peak=max(hourly),
                           hourly=hourly, minimum=min(hourly))
                  for u in topology.units for hourly in [GPU_HOURLY if u.kind == "gpu" else CPU_HOURLY])
    return FleetPlan(architecture=architecture, option=option, inference_replicas_peak=3, units=units,
                     cpu_workers={}, simulation=tiny_simulation(), sim_rounds=1)


def hand_cost(architecture: Architecture, level: int = 2):
    assessment = cost_assessment(level)
    constants, _ = resolve_constants(assessment)
    plan = hand_plan(architecture, assessment)
    return estimate_cost(plan, build_topology(architecture, assessment.workload), assessment, constants)


def line(lines, item: str):
    (found,) = [x for x in lines if x.item.startswith(item)]
    return found


# Hand-built fleets -----------------------------------------------------------------------------------


def test_monolith_lines():
    breakdown, lines = hand_cost(Architecture.MONOLITH)
    gpu = 2 * HOURS * GPU_USD_H  # 3,650
    assert line(lines, "monolith: acme gpu-1x").monthly_usd == pytest.approx(gpu)
    assert line(lines, "observability").monthly_usd == pytest.approx(2 * OBSERVABILITY_USD_HOST)
    assert line(lines, "CI/CD").monthly_usd == pytest.approx(CI_CD_USD_SERVICE)
    # The monolith needs levels 0-1 only: no gap at level 2.
    assert line(lines, "operations").monthly_usd == pytest.approx((FTE_BASE + FTE_PER_SERVICE) * FTE_USD_MONTH)
    items = {x.item for x in lines}
    assert not {"Kubernetes control plane", "distributed tracing", "service-mesh sidecars"} & items
    assert not any(x.category == "CPU" for x in lines)
    assert breakdown.gpu_usd == pytest.approx(gpu)
    assert breakdown.cpu_usd == 0.0


def test_hybrid_lines():
    breakdown, lines = hand_cost(Architecture.HYBRID)
    hops = 2  # core -> inference and back
    assert line(lines, "inference: acme gpu-1x").monthly_usd == pytest.approx(2 * HOURS * GPU_USD_H)
    assert line(lines, "core (").monthly_usd == pytest.approx(3 * HOURS * VCPU_USD_H)
    serialising = MEAN_RPS * hops * HOP_CPU_MS / 1000 * HOURS * VCPU_USD_H
    assert line(lines, "serialising").monthly_usd == pytest.approx(serialising)
    assert line(lines, "Kubernetes control plane").monthly_usd == K8S_USD_MONTH
    # 2 GPU hosts + 3 vCPUs on 4-vCPU hosts.
    assert line(lines, "observability").monthly_usd == pytest.approx((2 + 3 / 4) * OBSERVABILITY_USD_HOST)
    spans_m = MEAN_RPS * 3600 * HOURS * hops * SPANS_PER_CALL * TRACE_SAMPLE_RATE / 1e6
    assert line(lines, "distributed tracing").monthly_usd == pytest.approx(spans_m * TRACING_USD_PER_M_SPANS)
    assert line(lines, "CI/CD").monthly_usd == pytest.approx(2 * CI_CD_USD_SERVICE)
    assert not any("mesh" in x.item for x in lines)
    assert breakdown.cpu_usd == pytest.approx(3 * HOURS * VCPU_USD_H + serialising)


def test_microservices_carry_mesh_and_tracing():
    breakdown, lines = hand_cost(Architecture.MICROSERVICES)
    hops = 5  # gateway -> orchestration -> retrieval -> inference -> safety -> back to gateway
    cpu_units = 4
    sidecars = SIDECAR_VCPU_PER_1000_RPS * MEAN_RPS / 1000 * 2 * hops * HOURS * VCPU_USD_H
    control_plane = MESH_CONTROL_PLANE_VCPU * HOURS * VCPU_USD_H  # 36.79
    serialising = MEAN_RPS * hops * HOP_CPU_MS / 1000 * HOURS * VCPU_USD_H
    assert line(lines, "service-mesh sidecars").monthly_usd == pytest.approx(sidecars)
    assert line(lines, "service-mesh control plane").monthly_usd == pytest.approx(control_plane)
    assert line(lines, "serialising").monthly_usd == pytest.approx(serialising)
    for name in ("gateway", "orchestration", "retrieval", "safety"):
        assert line(lines, f"{name} ({name})").monthly_usd == pytest.approx(3 * HOURS * VCPU_USD_H)
    spans_m = MEAN_RPS * 3600 * HOURS * hops * SPANS_PER_CALL * TRACE_SAMPLE_RATE / 1e6  # 13.14 M
    assert line(lines, "distributed tracing").monthly_usd == pytest.approx(spans_m * TRACING_USD_PER_M_SPANS)
    assert line(lines, "Kubernetes control plane").monthly_usd == K8S_USD_MONTH
    assert line(lines, "observability").monthly_usd == pytest.approx(
        (2 + cpu_units * 3 / 4) * OBSERVABILITY_USD_HOST)
    assert line(lines, "CI/CD").monthly_usd == pytest.approx(5 * CI_CD_USD_SERVICE)
    assert breakdown.cpu_usd == pytest.approx(cpu_units * 3 * HOURS * VCPU_USD_H + serialising + sidecars
                                              + control_plane)
    assert breakdown.gpu_usd == pytest.approx(2 * HOURS * GPU_USD_H)


def test_mesh_override_removes_the_mesh_lines():
    assessment = cost_assessment().model_copy(update={"assumption_overrides": {"mesh.enabled": 0.0}})
    constants, _ = resolve_constants(assessment)
    plan = hand_plan(Architecture.MICROSERVICES, assessment)
    _, lines = estimate_cost(plan, build_topology(Architecture.MICROSERVICES, assessment.workload), assessment,
                             constants)
    assert not any("mesh" in x.item for x in lines)
    assert any(x.item == "distributed tracing" for x in lines)


# Microservices need level 3 in all six readiness questions (data/scoring.yaml).
@pytest.mark.parametrize(("level", "missing"), [(4, 0), (3, 0), (2, 6), (1, 12), (0, 18)])
def test_people_cost_rises_with_readiness_gaps(level, missing):
    breakdown, lines = hand_cost(Architecture.MICROSERVICES, level)
    fte = (FTE_BASE + FTE_PER_SERVICE * 5) * (1 + GAP_MULTIPLIER * missing)
    assert breakdown.people_usd == pytest.approx(fte * FTE_USD_MONTH)
    assert f"x {missing} missing readiness levels" in line(lines, "operations").formula


def test_people_cost_is_monotone_in_readiness():
    people = [hand_cost(Architecture.MICROSERVICES, level)[0].people_usd for level in range(5)]
    assert people == sorted(people, reverse=True)
    assert people[0] > people[3]


def test_fleet_items_price_each_unit():
    assessment = cost_assessment()
    constants, _ = resolve_constants(assessment)
    items = {i.unit: i for i in fleet_items(hand_plan(Architecture.HYBRID, assessment), constants)}
    assert items["inference"].replicas_mean == 2.0
    assert items["inference"].replicas_peak == 3
    assert items["inference"].replicas_min == 1
    assert items["inference"].monthly_usd == pytest.approx(2 * HOURS * GPU_USD_H)
    assert items["core"].replicas_mean == 3.0
    assert items["core"].monthly_usd == pytest.approx(3 * HOURS * VCPU_USD_H)


# Evaluated presets -----------------------------------------------------------------------------------


@functools.cache
def preset_evaluation(name: str) -> Evaluation:
    """Each preset evaluated once for this module (the chatbot takes ~5 s)."""
    return evaluate(self_hosted(name))


PRESETS = ["blank", "chatbot_daily_updates", "content_startup"]
CASES = [(p, a) for p in PRESETS for a in Architecture]


def formula_value(formula: str) -> float:
    """The number a line's formula states, read as arithmetic: 'x' multiplies, 'per' divides, 'ms' is / 1000.

    Other words and units ('$', '/h', 'M', 'hosts') are labels; the figures they sit between are the factors.
    """
    tokens = re.findall(r"\d[\d,]*(?:\.\d+)?(?:e[+-]?\d+)?|[()+]|\bx\b|\bper\b|\bms\b", formula)
    words = {"x": "*", "per": "/", "ms": "/ 1000"}
    expression = " ".join(words.get(t, t.replace(",", "")) for t in tokens).replace("( )", "")
    return float(eval(expression, {"__builtins__": {}}))  # digits, parentheses and + * / only


def test_formula_reader():
    assert formula_value("1.46 instances (day mean) x 730 h x $2.69/h") == pytest.approx(1.46 * 730 * 2.69)
    assert formula_value("(0.25 + 0.08 x 5 units) FTE x (1 + 0.15 x 6 missing) x $15,000") == pytest.approx(
        0.65 * 1.9 * 15000)
    assert formula_value("0.2 vCPU per 1000 req/s x 6.11 req/s x 2 proxies") == pytest.approx(0.2 / 1000 * 6.11 * 2)


@pytest.mark.parametrize(("preset", "architecture"), CASES)
def test_every_line_equals_the_product_its_formula_states(preset, architecture):
    estimate = preset_evaluation(preset).estimate(architecture)
    for x in estimate.cost_lines:
        # Formulas print day means to 2 decimals and rates to 3 significant digits: within 1 %.
        assert x.monthly_usd == pytest.approx(formula_value(x.formula), rel=0.01, abs=0.01), x


@pytest.mark.parametrize(("preset", "architecture"), CASES)
def test_breakdown_categories_are_the_sums_of_their_lines(preset, architecture):
    estimate = preset_evaluation(preset).estimate(architecture)
    by_category = {"GPU": 0.0, "CPU": 0.0, "Platform": 0.0, "People": 0.0}
    for x in estimate.cost_lines:
        by_category[x.category] += x.monthly_usd
    assert estimate.cost.as_dict() == pytest.approx(by_category, rel=1e-12)
    assert estimate.monthly_cost_usd == pytest.approx(sum(by_category.values()), rel=1e-12)


@pytest.mark.parametrize(("preset", "architecture"), CASES)
def test_gpu_line_is_mean_instances_times_hours_times_price(preset, architecture):
    estimate = preset_evaluation(preset).estimate(architecture)
    (gpu,) = [f for f in estimate.fleet if f.kind == "gpu"]
    (gpu_line,) = [x for x in estimate.cost_lines if x.category == "GPU"]
    assert gpu_line.monthly_usd == gpu.monthly_usd == estimate.cost.gpu_usd
    # replicas_mean is rounded to 0.01 instance; a mean of exactly x.xx5 (e.g. 51/24) is off by the whole
    # half step, so the bound carries a hair of floating-point slack.
    assert gpu_line.monthly_usd == pytest.approx(gpu.replicas_mean * HOURS * gpu.usd_per_replica_hour,
                                                 abs=0.005 * HOURS * gpu.usd_per_replica_hour * (1 + 1e-9))
    assert gpu.replicas_min <= gpu.replicas_mean <= gpu.replicas_peak


@pytest.mark.parametrize("preset", PRESETS)
def test_platform_lines_by_architecture(preset):
    evaluation = preset_evaluation(preset)

    def items(architecture: Architecture) -> set[str]:
        return {x.item for x in evaluation.estimate(architecture).cost_lines}

    assert "Kubernetes control plane" not in items(Architecture.MONOLITH)
    assert "distributed tracing" not in items(Architecture.MONOLITH)
    assert "Kubernetes control plane" in items(Architecture.HYBRID)
    assert {"Kubernetes control plane", "distributed tracing", "service-mesh sidecars",
            "service-mesh control plane"} <= items(Architecture.MICROSERVICES)
