"""Discrete-event simulation (simpy) of requests flowing through a serving pipeline.

Scenario: clients send requests as a Poisson stream. Each request walks a fixed, linear pipeline of
stations (gateway, retrieval, guardrails, the model, post-processing...), paying a network hop before
a station when the two sides are deployed apart. A CPU station is a pool of identical workers with one
first-come-first-served queue. An inference station is a set of model replicas, each running
continuous batching: a request joins the replica with the fewest outstanding requests, waits for a
batch slot, is admitted at the next iteration boundary (its prefill runs in that iteration, which also
emits its first token), then gets one token per iteration until it has all its output tokens. Tokens
stream back through the hops after the model, so the time to first token (TTFT) counts those hops but
not the CPU work of the stations after the model. The end-to-end time runs from arrival to the
response leaving the last station, plus the return hop. An ``Outage`` takes workers or replicas out
of service for a while (a crash or a rolling restart), so that planner.estimate.resilience can
simulate the disturbed windows on the same core.

The package is independent of the rest of the planner (it only takes the unit factors): plain numbers
in, plain numbers out. One concept per module:

- ``inputs``: what a run is given (``SimulationInput`` and its stations, hops and outages), checked;
- ``processes``: the simpy entities (draws, worker pools, batching replicas, request and arrivals);
- ``statistics``: the figures of a finished run, with batch-means confidence intervals, or only its misses;
- ``deadline``: a wall-clock limit on the runs inside a block (``time_limit``), checked as arrivals come.
"""

from __future__ import annotations

import simpy

from planner.estimate.simulation.deadline import DeadlineExceeded, check_deadline, time_limit
from planner.estimate.simulation.inputs import (
    ApiStation,
    CpuStation,
    Hop,
    InferenceStation,
    Outage,
    SimulationInput,
    station_size,
)
from planner.estimate.simulation.processes import EXTRA_DRAW_SHARE, MIN_DRAW_CHUNK, ServingPipeline, arrivals
from planner.estimate.simulation.statistics import (
    T_975,
    LatencyStats,
    Misses,
    SimulationResult,
    StationStats,
    over_targets,
    run_misses,
    simulation_result,
)
from planner.inputs.units import ms_to_s

__all__ = [
    "EXTRA_DRAW_SHARE",
    "MIN_DRAW_CHUNK",
    "T_975",
    "ApiStation",
    "CpuStation",
    "DeadlineExceeded",
    "Hop",
    "InferenceStation",
    "LatencyStats",
    "Misses",
    "Outage",
    "SimulationInput",
    "SimulationResult",
    "StationStats",
    "check_deadline",
    "over_targets",
    "simulate",
    "simulate_misses",
    "station_size",
    "time_limit",
]


def simulate(inp: SimulationInput, *, keep_samples: bool = False) -> SimulationResult:
    """Run the pipeline until every measured request has completed; same input, same numbers."""
    env = simpy.Environment()
    pipe = ServingPipeline(env, inp)
    env.process(arrivals(env, pipe))
    env.run(until=pipe.done)
    return simulation_result(pipe, env.now, keep_samples=keep_samples)


HORIZON_MARGIN_S = 1e-3  # past the end-to-end target: a request still running then is over it by at least this


def simulate_misses(inp: SimulationInput) -> Misses:
    """Which measured requests miss a target: the same answer as ``simulate`` on the same input, sooner.

    With an end-to-end target the run stops that long (plus ``HORIZON_MARGIN_S``) after the last measured
    arrival: every request still running then has been in the system longer than the target, so it misses it
    whatever it would have taken; the drain after that point (long outputs finishing) is not simulated.
    """
    env = simpy.Environment()
    pipe = ServingPipeline(env, inp)
    if inp.e2e_slo_ms is not None:
        pipe.horizon_s = ms_to_s(inp.e2e_slo_ms) + HORIZON_MARGIN_S
    env.process(arrivals(env, pipe))
    env.run(until=pipe.done)
    return run_misses(pipe, env.now)
