"""Each architecture's simulated fleet: sizing, peak simulation and resilience, made once per simulated input.

This is where an evaluation spends its time (planner.estimate.engine prices the result in a few milliseconds).
``simulate_fleets`` runs one ``FleetJob`` per architecture side by side (planner.estimate.parallel) and keeps
each result by what the simulation reads: the architecture, its topology, the instance type's replica plan
without its prices, the replicas, the workload without its pricing option, the assumptions and the seed. Prices
and team readiness are not in it, so re-evaluating with another price list or another team (History's
"Explain the change" mixes the older and newer ones) re-simulates nothing when the cheapest instance type is
the same; the job's own instance type, with its prices, goes back into the plan.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from planner.estimate.api import ApiService
from planner.estimate.capacity import FleetPlan, InferenceOption, confirm_replicas, size_api_fleet, size_fleet
from planner.estimate.evaluation_cache import Lru
from planner.estimate.parallel import run_all
from planner.estimate.resilience import assess_resilience
from planner.estimate.results import ResilienceEstimate
from planner.estimate.topology import Topology
from planner.inputs.models import Architecture, Assessment, LlmSpec

KEPT_FLEETS = 96  # simulated fleets kept per process: the three architectures of the last 32 evaluations
INSTANCE_FIELDS = {"provider", "instance", "region", "gpu", "gpu_count", "vcpus", "tier"}  # not its prices or source
NOT_SIMULATED: dict[str, Any] = {"project": True, "label": True, "notes": True, "team": True, "price_list": True,
                 "workload": {"pricing"}}  # what no simulation reads: descriptive text, team, prices


@dataclass(frozen=True)
class FleetJob:
    """One architecture to size and simulate: its topology, its inference (an instance type of ours or the API),
    and its replicas (``confirm``: confirm them by simulation first; otherwise these, confirmed in ``rounds``)."""

    architecture: Architecture
    topology: Topology
    option: InferenceOption | ApiService
    replicas: int = 0
    rounds: int = 1
    confirm: bool = False


Simulated = tuple[FleetPlan, ResilienceEstimate]
_KEPT: Lru[str, Simulated] = Lru(KEPT_FLEETS)


def simulate_fleet(job: FleetJob, assessment: Assessment, llm: LlmSpec, constants: dict[str, float],
                   seed: int) -> Simulated:
    """One architecture's fleet, its peak simulation and its resilience (a job of a worker process)."""
    a, topology, option = job.architecture, job.topology, job.option
    if isinstance(option, ApiService):
        plan = size_api_fleet(a, topology, assessment, option, constants, seed)
    elif job.confirm:
        replicas, run, rounds = confirm_replicas(topology, assessment, option, constants, seed)
        plan = size_fleet(a, topology, assessment, option, replicas, constants, seed, rounds, simulation=run)
    else:
        plan = size_fleet(a, topology, assessment, option, job.replicas, constants, seed, job.rounds)
    resilience = assess_resilience(topology, assessment, plan, llm, constants, seed,
                                   provider_sla_pct=option.sla_pct if isinstance(option, ApiService) else None)
    return plan, resilience


def _key(job: FleetJob, assessment: Assessment, llm: LlmSpec, constants: dict[str, float], seed: int) -> str:
    """Everything ``simulate_fleet`` reads, as text, without prices or the team."""
    option = job.option
    if isinstance(option, InferenceOption):
        inference = repr((option.instance.model_dump(mode="json", include=INSTANCE_FIELDS), option.replica,
                          option.replicas_per_instance, option.max_batch, option.replica_requests_per_s))
    else:
        inference = repr(option)
    return json.dumps([job.architecture.value, repr(job.topology), inference, job.replicas, job.rounds, job.confirm,
                       assessment.model_dump_json(exclude=NOT_SIMULATED), llm.model_dump_json(), constants, seed])


def _priced(simulated: Simulated, job: FleetJob) -> Simulated:
    """A kept fleet with the job's own instance type (its prices) in the plan."""
    plan, resilience = simulated
    return (plan if plan.option == job.option else dataclasses.replace(plan, option=job.option)), resilience


def simulate_fleets(jobs: Sequence[FleetJob], assessment: Assessment, llm: LlmSpec, constants: dict[str, float],
                    seed: int, on_done: Callable[[FleetJob], None]) -> dict[Architecture, Simulated]:
    """Every job's simulated fleet: kept ones at once, the others side by side (the one with the most units first:
    its resilience simulates the most windows); ``on_done`` hears each job as it is ready."""
    keys = {job.architecture: _key(job, assessment, llm, constants, seed) for job in jobs}
    out: dict[Architecture, Simulated] = {}
    for job in jobs:
        kept = _KEPT.get(keys[job.architecture])
        if kept is not None:
            out[job.architecture] = _priced(kept, job)
            on_done(job)
    todo = sorted((j for j in jobs if j.architecture not in out),
                  key=lambda j: (-len(j.topology.own_units), -j.confirm))
    made = run_all(simulate_fleet, [(j, assessment, llm, constants, seed) for j in todo],
                   on_done=lambda i: on_done(todo[i]))
    for job, simulated in zip(todo, made, strict=True):
        _KEPT.put(keys[job.architecture], simulated)
        out[job.architecture] = _priced(simulated, job)
    return out
