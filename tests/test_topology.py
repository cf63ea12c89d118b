"""Deployable units and hops of the three architectures (planner/estimate/topology.py)."""

import pytest

from planner.estimate.topology import INFERENCE, build_topology
from planner.inputs.files import load_presets
from planner.inputs.models import Architecture

WORKLOAD = load_presets()["blank"].workload  # gateway, orchestration, retrieval | inference | safety


@pytest.mark.parametrize(
    ("architecture", "units", "hops", "after_inference"),
    [
        (Architecture.MONOLITH, 1, 0, 0),
        # core -> inference -> core (safety); safety is in core, so no return hop
        (Architecture.HYBRID, 2, 2, 1),
        # gateway -> orchestration -> retrieval -> inference -> safety -> back to gateway
        (Architecture.MICROSERVICES, 5, 5, 2),
    ],
)
def test_units_and_hops(architecture, units, hops, after_inference):
    topology = build_topology(architecture, WORKLOAD)
    assert len(topology.units) == units
    assert topology.network_hops == hops
    assert topology.hops_after_inference() == after_inference
    assert topology.stages == ("gateway", "orchestration", "retrieval", INFERENCE, "safety")


def test_monolith_runs_everything_on_gpu_hosts_and_hybrid_splits_cpu_from_gpu():
    mono = build_topology(Architecture.MONOLITH, WORKLOAD)
    assert [u.kind for u in mono.units] == ["gpu"]
    hybrid = build_topology(Architecture.HYBRID, WORKLOAD)
    assert {u.name: u.kind for u in hybrid.units} == {"core": "cpu", INFERENCE: "gpu"}
    assert hybrid.unit_of("safety").name == "core"


def test_hybrid_without_cpu_steps_is_inference_alone():
    bare = WORKLOAD.model_copy(update={"pipeline": []})
    topology = build_topology(Architecture.HYBRID, bare)
    assert [u.name for u in topology.units] == [INFERENCE]
    assert topology.network_hops == 0
