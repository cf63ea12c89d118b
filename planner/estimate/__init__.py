"""The estimates: from an assessment to the latency, fleet, cost and resilience of each architecture.

``evaluate(assessment) -> Evaluation`` (``engine``) is the one entry point; per architecture it runs:

1. ``topology``: the deployable units of the architecture and the network hops between them;
2. ``serving``: one model replica's memory plan and roofline timings on an instance's GPUs;
3. ``capacity``: the fleet at each hour of the day, sized by closed forms (``queueing``, Erlang C) and
   confirmed at peak by the discrete-event ``simulation`` of the whole pipeline;
4. ``costs``: the monthly cost lines of that fleet (``token_costs``: the price of output tokens per
   instance type, for comparison);
5. ``resilience``: crashes (``outages``, a Monte Carlo of the replicas), deploys and model updates, the
   disturbed windows re-simulated (``windows``), and each step's blast radius and the chart's
   ``timeline``.

The figures come back as the pydantic records of ``results``. Modules inside the package import each
other's submodules, never ``planner.estimate`` itself, so importing this package has no cycles. No name
re-exported here is also the name of a submodule (it would hide the module).
"""

from __future__ import annotations

from planner.estimate.engine import evaluate, list_assumptions, resolve_constants
from planner.estimate.results import ArchitectureEstimate, Evaluation
from planner.estimate.serving import ReplicaModel, ServingConstants, plan_replica
from planner.estimate.simulation import SimulationInput, SimulationResult, simulate
from planner.estimate.token_costs import TokenCosts
from planner.estimate.topology import Topology, build_topology

__all__ = [
    "ArchitectureEstimate",
    "Evaluation",
    "ReplicaModel",
    "ServingConstants",
    "SimulationInput",
    "SimulationResult",
    "TokenCosts",
    "Topology",
    "build_topology",
    "evaluate",
    "list_assumptions",
    "plan_replica",
    "resolve_constants",
    "simulate",
]
