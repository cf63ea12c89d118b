"""Monthly cost of a sized fleet: GPU, CPU, platform and people, each line with its formula.

Every constant comes from data/assumptions.yaml (or the user's override of it) by its key, and each
``CostLine`` names the formula and the numbers it used, so a total can be checked by hand:

- GPU: mean GPU instances over the day x hours a month x the instance's hourly price;
- CPU: mean vCPUs of CPU services (plus service-mesh sidecars, the mesh control plane and the CPU of
  serialising service-to-service calls) x hours a month x ``cpu.vcpu_hour_usd``;
- platform: Kubernetes control plane (hybrid and microservices), observability per host, distributed
  tracing per span, CI/CD per deployable unit;
- people: operations FTE (a base plus more per deployable unit, scaled up per missing readiness level) x
  ``people.loaded_cost_usd_month``.
"""

from __future__ import annotations

from planner.estimate.capacity import HOURS_PER_DAY, FleetPlan, InferenceOption
from planner.estimate.pricing import price_reason
from planner.estimate.results import CostBreakdown, CostLine, FleetItem
from planner.estimate.topology import Topology, uses_mesh
from planner.estimate.traffic import day_mean_requests_per_s
from planner.inputs.models import Architecture, Assessment
from planner.inputs.readiness import readiness_shortfall
from planner.inputs.units import MILLION, SECONDS_PER_HOUR, ms_to_s

VCPUS_PER_CPU_HOST = 4  # CPU services pack onto 4-vCPU hosts (the cpu.vcpu_hour_usd instance)
# Each hop passes two sidecar proxies; Istio's sidecar figure is per 1000 requests/s through one proxy.
PROXIES_PER_HOP = 2
SIDECAR_FIGURE_RPS = 1000.0  # requests/s of the mesh.sidecar_vcpu_per_1000_rps figure
CPU_PRICE_BASIS = "per vCPU-hour"
CPU_PRICE_REASON = ("CPU services are priced per vCPU-hour (cpu.vcpu_hour_usd), whatever the pricing option "
                    "of the GPU instances.")


def fleet_items(plan: FleetPlan, constants: dict[str, float]) -> tuple[FleetItem, ...]:
    """The fleet table: one row per scaling unit, with its monthly cost."""
    hours = constants["hours.per_month"]
    vcpu_price = constants["cpu.vcpu_hour_usd"]
    items = []
    for unit in plan.units:
        mean = sum(unit.hourly) / HOURS_PER_DAY
        if unit.kind == "gpu":
            assert isinstance(plan.option, InferenceOption)  # a GPU unit serves the model on an instance type
            row, reason = plan.option.instance, price_reason(plan.option.price_basis)
            items.append(FleetItem(
                unit=unit.name, components=unit.components, kind="gpu", instance=row.instance,
                provider=row.provider, region=row.region, gpu=row.gpu, gpus_per_replica=row.gpu_count,
                vcpus_per_replica=row.vcpus, replicas_peak=unit.peak, replicas_min=unit.minimum,
                replicas_mean=round(mean, 2), usd_per_replica_hour=plan.option.price_usd_h,
                monthly_usd=mean * hours * plan.option.price_usd_h, price_source=row.source,
                price_as_of=row.as_of, price_basis=plan.option.price_basis, price_reason=reason, tier=row.tier))
        else:
            items.append(FleetItem(
                unit=unit.name, components=unit.components, kind="cpu", instance="1 vCPU worker",
                provider="any", region="any", vcpus_per_replica=1, replicas_peak=unit.peak,
                replicas_min=unit.minimum, replicas_mean=round(mean, 2), usd_per_replica_hour=vcpu_price,
                monthly_usd=mean * hours * vcpu_price, price_source="data/assumptions.yaml cpu.vcpu_hour_usd",
                price_as_of="", price_basis=CPU_PRICE_BASIS, price_reason=CPU_PRICE_REASON))
    return tuple(items)


def _fleet_lines(items: tuple[FleetItem, ...], hours: float) -> list[CostLine]:
    """One line per fleet row: GPU instances or vCPUs (day mean) x hours a month x the hourly price."""
    lines = []
    for item in items:
        gpu = item.kind == "gpu"
        lines.append(CostLine(
            category="GPU" if gpu else "CPU",
            item=f"{item.unit}: {item.provider} {item.instance}" if gpu else (
                f"{item.unit} ({', '.join(item.components)})"),
            formula=f"{item.replicas_mean:g} {'instances' if gpu else 'vCPUs'} (day mean) x {hours:g} h x "
                    f"${item.usd_per_replica_hour:g}/h",
            monthly_usd=item.monthly_usd))
    return lines


def _network_lines(arch: Architecture, hops: int, mean_rps: float, c: dict[str, float]) -> list[CostLine]:
    """CPU of service-to-service calls: serialising them, and the service mesh's proxies and control plane."""
    hours, vcpu_price = c["hours.per_month"], c["cpu.vcpu_hour_usd"]
    lines = []
    if hops:
        hop_vcpu = ms_to_s(mean_rps * hops * c["network.hop_cpu_ms"])
        lines.append(CostLine(
            category="CPU", item="serialising service-to-service calls",
            formula=f"{mean_rps:.3g} req/s x {hops} hops x {c['network.hop_cpu_ms']:g} ms CPU x {hours:g} h x "
                    f"${vcpu_price:g}/vCPU-h", monthly_usd=hop_vcpu * hours * vcpu_price))
    if uses_mesh(arch, c):
        sidecar_vcpu = c["mesh.sidecar_vcpu_per_1000_rps"] * mean_rps / SIDECAR_FIGURE_RPS * PROXIES_PER_HOP * hops
        lines.append(CostLine(
            category="CPU", item="service-mesh sidecars",
            formula=f"{c['mesh.sidecar_vcpu_per_1000_rps']:g} vCPU per 1000 req/s x {mean_rps:.3g} req/s x 2 proxies "
                    f"x {hops} hops x {hours:g} h x ${vcpu_price:g}/vCPU-h",
            monthly_usd=sidecar_vcpu * hours * vcpu_price))
        lines.append(CostLine(
            category="CPU", item="service-mesh control plane",
            formula=f"{c['mesh.control_plane_vcpu']:g} vCPU x {hours:g} h x ${vcpu_price:g}/vCPU-h",
            monthly_usd=c["mesh.control_plane_vcpu"] * hours * vcpu_price))
    return lines


def _platform_lines(arch: Architecture, topology: Topology, items: tuple[FleetItem, ...], mean_rps: float,
                    c: dict[str, float]) -> list[CostLine]:
    """Kubernetes control plane, observability per host, distributed tracing per span, CI/CD per unit."""
    hops, units = topology.network_hops, len(topology.own_units)
    lines = []
    if arch is not Architecture.MONOLITH:
        lines.append(CostLine(category="Platform", item="Kubernetes control plane",
                              formula=f"${c['platform.k8s_control_plane_usd_month']:g} a month",
                              monthly_usd=c["platform.k8s_control_plane_usd_month"]))
    gpu_hosts = sum(i.replicas_mean for i in items if i.kind == "gpu")
    cpu_hosts = sum(i.replicas_mean for i in items if i.kind == "cpu") / VCPUS_PER_CPU_HOST
    lines.append(CostLine(
        category="Platform", item="observability (metrics, logs)",
        formula=f"{gpu_hosts + cpu_hosts:.3g} hosts x ${c['platform.observability_usd_per_host_month']:g}/host-month",
        monthly_usd=(gpu_hosts + cpu_hosts) * c["platform.observability_usd_per_host_month"]))
    if hops:
        spans_m = (mean_rps * SECONDS_PER_HOUR * c["hours.per_month"] * hops * c["platform.spans_per_service_call"]
                   * c["platform.trace_sample_rate"] / MILLION)
        lines.append(CostLine(
            category="Platform", item="distributed tracing",
            formula=f"{spans_m:.3g} M sampled spans x ${c['platform.tracing_usd_per_million_spans']:g}/M",
            monthly_usd=spans_m * c["platform.tracing_usd_per_million_spans"]))
    lines.append(CostLine(
        category="Platform", item="CI/CD pipelines",
        formula=f"{units} deployable units x ${c['platform.ci_cd_usd_month_per_service']:g}",
        monthly_usd=units * c["platform.ci_cd_usd_month_per_service"]))
    return lines


def _people_line(arch: Architecture, units: int, assessment: Assessment, c: dict[str, float]) -> CostLine:
    """Operations FTE: a base plus more per deployable unit, scaled up per missing readiness level."""
    shortfall = readiness_shortfall(arch, assessment)
    base_fte = c["people.ops_fte_base"] + c["people.ops_fte_per_service"] * units
    fte = base_fte * (1.0 + c["people.gap_fte_multiplier"] * shortfall)
    return CostLine(
        category="People", item="operations effort",
        formula=f"({c['people.ops_fte_base']:g} + {c['people.ops_fte_per_service']:g} x {units} units) FTE x "
                f"(1 + {c['people.gap_fte_multiplier']:g} x {shortfall} missing readiness levels) x "
                f"${c['people.loaded_cost_usd_month']:,.0f}", monthly_usd=fte * c["people.loaded_cost_usd_month"])


def estimate_cost(plan: FleetPlan, topology: Topology, assessment: Assessment,
                  constants: dict[str, float]) -> tuple[CostBreakdown, tuple[CostLine, ...]]:
    """The monthly cost breakdown of a fleet and the lines that add up to it."""
    arch = plan.architecture
    items = fleet_items(plan, constants)
    mean_rps = day_mean_requests_per_s(assessment)
    lines = [*_fleet_lines(items, constants["hours.per_month"]),
             *_network_lines(arch, topology.network_hops, mean_rps, constants),
             *_platform_lines(arch, topology, items, mean_rps, constants),
             _people_line(arch, len(topology.own_units), assessment, constants)]

    def total(category: str) -> float:
        return sum(line.monthly_usd for line in lines if line.category == category)

    breakdown = CostBreakdown(gpu_usd=total("GPU"), cpu_usd=total("CPU"), platform_usd=total("Platform"),
                              people_usd=total("People"))
    return breakdown, tuple(lines)
