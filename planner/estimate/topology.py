"""The three architectures as deployable units and the network hops between them.

A request passes the pipeline's CPU steps that run before inference, LLM inference, then the steps
that run on its output, and returns to the first step. Each step belongs to one deployable unit:

- monolith: one unit on GPU hosts holds every step; calls between steps are in-process;
- hybrid: the CPU steps form one "core" unit on CPU hosts; inference is its own unit on GPU hosts;
- microservices: every step is its own unit.

With a managed API (``api=True``) inference is no unit of ours: it is a unit of kind "api" that the step before
it calls over the internet (the provider hop, ``provider_hop``), and the answer comes back to that caller. The
monolith then runs on CPU hosts. In-cluster hops (``hop_before``, ``network_hops``) never count the provider hop.

A hop is one service-to-service call between consecutive steps in different units (and the return to
the first step's unit); its latency is that of one call, request and response.
"""

from __future__ import annotations

from dataclasses import dataclass

from planner.inputs.models import Architecture, WorkloadProfile

INFERENCE = "inference"  # the stage name of LLM inference in every topology


@dataclass(frozen=True)
class Unit:
    """A separately deployed and scaled piece of an architecture."""

    name: str
    components: tuple[str, ...]
    kind: str  # "gpu", "cpu" or "api" (inference behind a provider's API: not deployed by us)


@dataclass(frozen=True)
class Topology:
    """Request order of the stages and the unit each stage runs in."""

    architecture: Architecture
    stages: tuple[str, ...]
    units: tuple[Unit, ...]

    def unit_of(self, stage: str) -> Unit:
        """The unit that runs a stage."""
        return next(u for u in self.units if stage in u.components)

    def is_api(self, stage: str) -> bool:
        """Whether a stage runs behind a provider's API."""
        return self.unit_of(stage).kind == "api"

    @property
    def uses_api(self) -> bool:
        """Whether inference is a managed API."""
        return any(u.kind == "api" for u in self.units)

    @property
    def own_units(self) -> tuple[Unit, ...]:
        """The units we deploy and scale (every unit but a provider's API)."""
        return tuple(u for u in self.units if u.kind != "api")

    def provider_hop(self, index: int) -> bool:
        """Whether stage ``index`` is the provider's API, reached over the internet (request and answer)."""
        return self.is_api(self.stages[index])

    def _caller(self, index: int) -> str | None:
        """The stage whose unit hands a request to stage ``index``: the one before it, skipping an API (its answer
        returns to its caller); None for the first stage."""
        prev = index - 1
        while prev >= 0 and self.is_api(self.stages[prev]):
            prev -= 1
        return self.stages[prev] if prev >= 0 else None

    def hop_before(self, index: int) -> bool:
        """Whether an in-cluster network hop precedes stage ``index`` (never before the first stage, and never
        before a provider's API: that is ``provider_hop``)."""
        caller = self._caller(index)
        if caller is None or self.is_api(self.stages[index]):
            return False
        return self.unit_of(caller) != self.unit_of(self.stages[index])

    @property
    def return_hop(self) -> bool:
        """Whether the response crosses the network back to the first stage's unit."""
        own = [s for s in self.stages if not self.is_api(s)]
        return bool(own) and self.unit_of(own[-1]) != self.unit_of(own[0])

    @property
    def network_hops(self) -> int:
        """Hops a request crosses, the return included."""
        return sum(self.hop_before(i) for i in range(len(self.stages))) + int(self.return_hop)

    def hops_after_inference(self) -> int:
        """Hops between the first token leaving inference and the client (they delay TTFT)."""
        start = self.stages.index(INFERENCE)
        after = sum(self.hop_before(i) for i in range(start + 1, len(self.stages)))
        return after + int(self.return_hop)


def is_critical(stage: str, workload: WorkloadProfile) -> bool:
    """Whether a request fails when this stage fails: inference always, a CPU step as the workload marks it."""
    return stage == INFERENCE or next(c.critical for c in workload.pipeline if c.name == stage)


def uses_mesh(architecture: Architecture, constants: dict[str, float]) -> bool:
    """Whether an architecture's hops pass a service mesh (microservices, when ``mesh.enabled``)."""
    return architecture is Architecture.MICROSERVICES and constants["mesh.enabled"] >= 0.5


def mesh_extra_ms(architecture: Architecture, constants: dict[str, float]) -> float:
    """Latency the service mesh's proxies add to each hop, ms (0 without a mesh)."""
    return constants["mesh.per_hop_ms"] if uses_mesh(architecture, constants) else 0.0


def hop_median_ms(architecture: Architecture, constants: dict[str, float]) -> float:
    """Median latency of one hop: the network median plus any mesh overhead, ms."""
    return constants["network.hop_median_ms"] + mesh_extra_ms(architecture, constants)


def build_topology(architecture: Architecture, workload: WorkloadProfile, *, api: bool = False) -> Topology:
    """The units and request order of one architecture for a workload's pipeline; ``api``: inference is a
    provider's API, so the monolith and the hybrid core are the CPU steps and the API is no unit of ours."""
    before = tuple(c.name for c in workload.pipeline if not c.after_inference)
    after = tuple(c.name for c in workload.pipeline if c.after_inference)
    stages = (*before, INFERENCE, *after)
    cpu_steps = before + after
    if api:
        if architecture is Architecture.MONOLITH:
            own: tuple[Unit, ...] = (Unit("monolith", cpu_steps, "cpu"),) if cpu_steps else ()
        elif architecture is Architecture.HYBRID:
            own = (Unit("core", cpu_steps, "cpu"),) if cpu_steps else ()
        else:
            own = tuple(Unit(s, (s,), "cpu") for s in cpu_steps)
        units: tuple[Unit, ...] = (*own, Unit(INFERENCE, (INFERENCE,), "api"))
    elif architecture is Architecture.MONOLITH:
        units = (Unit("monolith", stages, "gpu"),)
    elif architecture is Architecture.HYBRID:
        core = (Unit("core", cpu_steps, "cpu"),) if cpu_steps else ()
        units = (*core, Unit(INFERENCE, (INFERENCE,), "gpu"))
    else:
        units = tuple(Unit(s, (s,), "gpu" if s == INFERENCE else "cpu") for s in stages)
    return Topology(architecture=architecture, stages=stages, units=units)
