"""Evaluations stay bounded: the simulated work does not grow with traffic, and a deadline ends the rest.

Issue 13, item 7: peaks of 8,566 and 17,154 requests/s ran for over 300 s, because every peak
simulation ran the whole fleet (planner.estimate.slicing explains the slice that replaces it).
"""

from __future__ import annotations

import inspect
import math
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

import pytest

import planner.estimate.capacity
import planner.estimate.windows
from planner.errors import PlannerError
from planner.estimate.capacity import inference_options, peak_cpu_workers, simulation_input
from planner.estimate.engine import EVALUATE_DEADLINE_S, EvaluationTimeoutError, evaluate, resolve_constants
from planner.estimate.evaluation_cache import clear_evaluation_cache
from planner.estimate.results import Evaluation
from planner.estimate.simulation import (
    DeadlineExceeded,
    InferenceStation,
    Misses,
    SimulationInput,
    SimulationResult,
    simulate,
    simulate_misses,
    time_limit,
)
from planner.estimate.slicing import MAX_SIM_RATE_PER_S, MIN_SLICE_REPLICAS, slice_share, sliced_replicas
from planner.estimate.topology import build_topology
from planner.inputs.catalog import load_gpus, load_instances, load_llms
from planner.inputs.files import load_presets
from planner.inputs.models import Architecture, Assessment
from ui.evaluation import Key, SharedEvaluations, evaluation_key
from ui.evaluation_worker import evaluate_json, prices_json

HEAVY_PEAKS = [8566.0, 17154.0]  # requests/s that ran past 300 s before (issue 13)
MEAN_SHARE_OF_PEAK = 1 / 3
# Arrivals one peak simulation may run: warm-up + measured (3,300) plus the drain at the slice's rate (16 replicas
# at the fleet's load per replica: about 640 requests/s on the blank preset's fleet, at either peak) x the slowest
# end-to-end time (~30 s), with room to spare. It depends on the load per replica, not on the peak.
MAX_ARRIVALS_PER_RUN = 25_000
R = TypeVar("R", SimulationResult, Misses)


def blank_at(peak: float) -> Assessment:
    """The blank preset with its peak (and a mean of a third of it) replaced."""
    a = load_presets()["blank"]
    w = a.workload.model_copy(update={"peak_requests_per_s": peak,
                                      "mean_requests_per_s": round(peak * MEAN_SHARE_OF_PEAK, 1)})
    return a.model_copy(update={"workload": w})


class Recorder:
    """Wraps ``simulate`` where capacity calls it and ``simulate_misses`` where windows calls it, keeping each run's
    input and arrivals."""

    def __init__(self) -> None:
        self.runs: list[tuple[SimulationInput, int]] = []

    def wrap(self, original: Callable[..., R]) -> Callable[..., R]:
        def recorded(inp: SimulationInput, **kwargs: object) -> R:
            result = original(inp, **kwargs)
            # Every request visits every station once: visits / stations = arrivals simulated.
            self.runs.append((inp, result.station_visits // len(inp.stations)))
            return result

        return recorded


@pytest.mark.parametrize("peak", HEAVY_PEAKS)
def test_heavy_peaks_simulate_a_bounded_slice(peak: float, monkeypatch: pytest.MonkeyPatch) -> None:
    recorder = Recorder()
    monkeypatch.setattr(planner.estimate.capacity, "simulate", recorder.wrap(simulate))
    monkeypatch.setattr(planner.estimate.windows, "simulate_misses", recorder.wrap(simulate_misses))
    started = time.perf_counter()
    evaluation = evaluate(blank_at(peak))
    elapsed = time.perf_counter() - started
    arrivals = [n for _, n in recorder.runs]
    print(f"peak {peak:g}/s: {elapsed:.1f} s, {len(arrivals)} runs, most arrivals in one run {max(arrivals)}, "
          f"total {sum(arrivals)}")
    assert max(arrivals) < MAX_ARRIVALS_PER_RUN
    for inp, _ in recorder.runs:  # the bounded rate, or the smallest slice (its rate is that of 16 replicas)
        replicas = next(s.replicas for s in inp.stations if isinstance(s, InferenceStation))
        assert inp.arrival_rate_per_s <= MAX_SIM_RATE_PER_S or replicas == MIN_SLICE_REPLICAS
    for estimate in evaluation.estimates.values():
        assert estimate.meets_ttft_target and estimate.meets_e2e_target
        assert all(0.0 < s.utilisation <= 1.0 for s in estimate.stations)


def test_the_slice_keeps_the_load_per_replica() -> None:
    """Closed form: the simulated rate per simulated replica equals the fleet's rate per replica."""
    assessment = blank_at(HEAVY_PEAKS[1])
    constants, serving = resolve_constants(assessment)
    w = assessment.workload
    priced = [(row, row.price_usd_h(w.pricing) or 0.0) for row in load_instances() if row.gpu in load_gpus()]
    options, _ = inference_options(assessment, load_llms()[w.model_id], priced, load_gpus(), serving)
    option = options[0]
    topology = build_topology(Architecture.MICROSERVICES, w)
    replicas = 4000
    inp = simulation_input(topology, assessment, option, replicas, peak_cpu_workers(assessment, constants),
                           constants, seed=1)
    inference = next(s for s in inp.stations if s.name == "inference")
    assert inference.replicas == math.floor(replicas * MAX_SIM_RATE_PER_S / w.peak_requests_per_s)
    assert inp.arrival_rate_per_s / inference.replicas == pytest.approx(w.peak_requests_per_s / replicas)
    workers = peak_cpu_workers(assessment, constants)
    share = slice_share(replicas, w.peak_requests_per_s)
    for station in inp.stations:
        if station.name != "inference":  # never busier per worker than the whole pool
            assert station.servers >= workers[station.name] * share - 1e-9


@pytest.mark.parametrize(("replicas", "rate", "expected"), [
    (80, 180.0, 80),  # the chatbot preset: at or below the bounded rate, the whole fleet
    (10, 5000.0, 10),  # a small fleet is never cut below itself
    (100, 5000.0, MIN_SLICE_REPLICAS),  # 4 replicas' worth of traffic: the slice keeps its minimum
    (4000, 17154.0, 46),  # floor(4000 x 200 / 17154)
])
def test_sliced_replicas(replicas: int, rate: float, expected: int) -> None:
    assert sliced_replicas(replicas, rate) == expected


def test_a_tiny_deadline_ends_the_evaluation_with_a_clear_message() -> None:
    clear_evaluation_cache()  # an earlier test in this process may hold the fleets, which end long before any deadline
    with pytest.raises(EvaluationTimeoutError, match=r"The estimate took longer than 0\.01 s; "):
        evaluate(load_presets()["blank"], deadline_s=0.01)


def test_evaluate_has_a_deadline_by_default() -> None:
    assert inspect.signature(evaluate).parameters["deadline_s"].default == EVALUATE_DEADLINE_S == 60.0


def test_time_limit_stops_a_long_simulation_and_nests() -> None:
    inp = blank_inputs()
    started = time.perf_counter()
    with pytest.raises(DeadlineExceeded), time_limit(0.05), time_limit(60.0):
        simulate(inp)  # the inner, later deadline does not extend the outer one
    assert time.perf_counter() - started < 30.0
    with pytest.raises(ValueError, match=r'"seconds" must be > 0\.'), time_limit(0.0):
        pass


def blank_inputs() -> SimulationInput:
    """A long peak simulation of the blank preset (many measured requests), to be cut short."""
    assessment = load_presets()["blank"]
    constants, serving = resolve_constants(assessment)
    w = assessment.workload
    priced = [(row, row.price_usd_h(w.pricing) or 0.0) for row in load_instances() if row.gpu in load_gpus()]
    options, _ = inference_options(assessment, load_llms()[w.model_id], priced, load_gpus(), serving)
    topology = build_topology(Architecture.MICROSERVICES, w)
    return simulation_input(topology, assessment, options[0], 4, peak_cpu_workers(assessment, constants),
                            constants, seed=1, n_requests=200_000)


# The server's evaluation pool (ui/evaluation.py): shared, and run in the page's thread when there is no pool.


def test_the_evaluation_key_ignores_only_the_text_evaluate_never_reads() -> None:
    a = load_presets()["content_startup"]
    renamed = a.model_copy(update={"project": "Other", "label": "Mine", "notes": "Notes"})
    assert evaluation_key(renamed) == evaluation_key(a)
    assert evaluate(renamed) == evaluate(a)
    busier = a.model_copy(update={"workload": a.workload.model_copy(update={"peak_requests_per_s": 2.0})})
    assert evaluation_key(busier) != evaluation_key(a)


@pytest.mark.parametrize("workers", [0, 1])  # in the page's thread, and in a pool of one process
def test_concurrent_identical_requests_are_computed_once(workers: int) -> None:
    """Eight threads ask for the same evaluation at once (it takes ~0.5 s): one computation, eight equal answers."""
    shared = SharedEvaluations(workers)
    started: list[Key] = []
    submit = shared._submit

    def counted(key: Key, progress_id: str = "") -> tuple[Future[Evaluation], bool]:
        started.append(key)
        return submit(key, progress_id)

    shared._submit = counted  # type: ignore[method-assign]
    key = (evaluation_key(load_presets()["content_startup"]), "", "")
    try:
        with ThreadPoolExecutor(max_workers=8) as threads:
            results = list(threads.map(lambda _: shared.evaluate(key), range(8)))
        assert started == [key]
        assert (shared.pool is None) == (workers == 0)
        assert all(r == results[0] for r in results)
        assert results[0] == evaluate_json(*key)
        assert shared.in_flight == {}
    finally:
        if shared.pool is not None:
            shared.pool.shutdown()


def test_a_planner_error_in_the_pool_reaches_the_page() -> None:
    shared = SharedEvaluations(1)
    a = load_presets()["content_startup"]
    try:
        with pytest.raises(PlannerError, match="No instance in the price list"):
            shared.evaluate((evaluation_key(a), prices_json([], None)[0], ""))
    finally:
        if shared.pool is not None:
            shared.pool.shutdown()


@pytest.mark.parametrize("workers", [0, 1])  # in the page's thread, and in a pool worker (through its queue)
def test_a_waiting_page_hears_the_stages_of_its_evaluation(workers: int) -> None:
    shared = SharedEvaluations(workers)
    heard: list[tuple[str, float]] = []
    key = (evaluation_key(load_presets()["chatbot_daily_updates"]), "", "", "")
    try:
        evaluation = shared.evaluate(key, on_progress=lambda stage, share: heard.append((stage, share)))
    finally:
        shared.close()
    assert evaluation.model_name
    assert heard, "no stage was reported"
    shares = [share for _, share in heard]
    assert shares == sorted(shares) and shares[0] >= 0.0 and shares[-1] <= 1.0
    assert all(stage.startswith(("serving model", "sizing, simulating", "estimated the", "done"))
               for stage, _ in heard)
    if workers == 0:  # in this thread every stage is heard, the last one "done"
        assert heard[0][0].startswith("serving model") and heard[-1] == ("done", 1.0)
    assert shared.stages == {}  # forgotten once the evaluation is over


@pytest.mark.parametrize("workers", [0, 1])  # in the page's thread, and in one pool worker (through its queue)
def test_a_batch_is_evaluated_in_turn_and_kept(workers: int) -> None:
    blank = load_presets()["blank"]
    other_team = blank.model_copy(update={"team": blank.team.model_copy(update={"containers": 1})})
    keys: list[Key] = [(evaluation_key(a), "", "", "") for a in (blank, other_team)]
    shared = SharedEvaluations(workers)
    heard: list[int] = []
    try:
        evaluations = shared.evaluate_many(keys, heard.append)
        kept = shared.evaluate(keys[1])  # answered from what the batch kept
    finally:
        shared.close()
    assert [e.model_dump_json() for e in evaluations] == [evaluate_json(*k).model_dump_json() for k in keys]
    assert kept.model_dump_json() == evaluations[1].model_dump_json()
    assert heard == [1, 2]  # every count, in order, even those a worker reported while the page was not looking
    assert shared.stages == {}
