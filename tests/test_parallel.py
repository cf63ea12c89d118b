"""Architectures estimated side by side in worker processes give the same numbers, bit for bit (issue 16).

planner.estimate.parallel: the order of results, progress per job, errors and the deadline carried into the
workers, a worker that dies, and the engine's estimates with one worker and with two.
"""

from __future__ import annotations

import os
import time

import pytest

from planner.estimate import parallel
from planner.estimate.engine import EvaluationTimeoutError, evaluate
from planner.estimate.evaluation_cache import clear_evaluation_cache
from planner.estimate.simulation import (
    CpuStation,
    DeadlineExceeded,
    SimulationInput,
    simulate,
    time_limit,
)
from planner.inputs.files import load_presets
from planner.inputs.models import Assessment

DEADLINE_S = 0.5
DEADLINE_SLACK_S = 20.0  # the workers may still be starting on a busy machine


@pytest.fixture
def two_workers(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(parallel.WORKERS_ENV, "2")
    yield
    parallel.shutdown()


def _pid(_: int) -> int:
    return os.getpid()


def _fail(n: int) -> int:
    if n == 2:
        raise ValueError("job 2 failed")
    return n


def _endless(_: int) -> float:
    huge = SimulationInput(stations=[CpuStation(name="worker", servers=1, mean_service_s=1.0)],
                           arrival_rate_per_s=0.5, n_requests=10_000_000, seed=1)
    return simulate(huge).e2e.p95_ms


def _die_unless_in(parent: int, n: int) -> int:
    if os.getpid() != parent:
        os._exit(1)  # a worker killed (out of memory, say)
    return n * n


def test_results_come_back_in_order_from_other_processes(two_workers: None) -> None:
    heard: list[int] = []
    assert parallel.run_all(pow, [(2, n) for n in range(6)], on_done=heard.append) == [1, 2, 4, 8, 16, 32]
    assert sorted(heard) == list(range(6))
    pids = parallel.run_all(_pid, [(n,) for n in range(4)])
    assert os.getpid() not in pids


def test_one_worker_runs_every_job_here(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(parallel.WORKERS_ENV, "1")
    heard: list[int] = []
    assert parallel.run_all(_pid, [(n,) for n in range(3)], on_done=heard.append) == [os.getpid()] * 3
    assert heard == [0, 1, 2]


def test_a_failing_job_raises_its_own_error(two_workers: None) -> None:
    with pytest.raises(ValueError, match="job 2 failed"):
        parallel.run_all(_fail, [(n,) for n in range(4)])


def test_the_deadline_stops_the_workers_too(two_workers: None) -> None:
    parallel.start()
    started = time.monotonic()
    with pytest.raises(DeadlineExceeded), time_limit(DEADLINE_S):
        parallel.run_all(_endless, [(n,) for n in range(2)])
    assert time.monotonic() - started < DEADLINE_S + DEADLINE_SLACK_S


def test_a_dead_worker_leaves_the_jobs_to_this_process(two_workers: None) -> None:
    heard: list[int] = []
    assert parallel.run_all(_die_unless_in, [(os.getpid(), n) for n in range(3)], on_done=heard.append) == [0, 1, 4]
    assert sorted(set(heard)) == [0, 1, 2]  # each job heard, done here


def test_without_process_support_the_jobs_run_here(two_workers: None, monkeypatch: pytest.MonkeyPatch) -> None:
    parallel.shutdown()

    def unsupported(method: str) -> None:
        raise ValueError(f"cannot find context for {method!r}")

    monkeypatch.setattr(parallel.multiprocessing, "get_context", unsupported)
    heard: list[int] = []
    assert parallel.run_all(_pid, [(n,) for n in range(3)], on_done=heard.append) == [os.getpid()] * 3
    assert heard == [0, 1, 2]


@pytest.mark.parametrize(("raw", "expected"), [("1", 1), ("2", 2), ("64", parallel.MAX_WORKERS), ("0", 1),
                                               ("-3", 1)])
def test_the_worker_count_comes_from_the_setting(monkeypatch: pytest.MonkeyPatch, raw: str, expected: int) -> None:
    monkeypatch.setenv(parallel.WORKERS_ENV, raw)
    assert parallel.worker_count() == expected


def test_a_setting_that_is_no_number_counts_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(parallel.WORKERS_ENV, "many")
    assert 1 <= parallel.worker_count() <= parallel.MAX_WORKERS


def _tight_blank() -> Assessment:
    """The blank preset with a TTFT target the closed form's replicas miss: the confirmation adds replicas, so the
    other architectures, first estimated at the closed form's, are estimated again."""
    data = load_presets()["blank"].model_dump(mode="json")
    data["workload"]["p95_ttft_ms"] = 250
    return Assessment.model_validate(data)


@pytest.mark.parametrize("case", ["chatbot_daily_updates", "content_startup", "tight_blank"])
def test_the_estimates_are_the_same_with_one_worker_or_two(monkeypatch: pytest.MonkeyPatch, case: str) -> None:
    assessment = _tight_blank() if case == "tight_blank" else load_presets()[case]
    monkeypatch.setenv(parallel.WORKERS_ENV, "1")
    clear_evaluation_cache()
    alone = evaluate(assessment).model_dump_json()
    monkeypatch.setenv(parallel.WORKERS_ENV, "2")
    clear_evaluation_cache()
    try:
        side_by_side = evaluate(assessment).model_dump_json()
    finally:
        parallel.shutdown()
        clear_evaluation_cache()
    assert side_by_side == alone


def test_an_evaluation_past_its_deadline_stops_in_the_workers(two_workers: None) -> None:
    parallel.start()
    clear_evaluation_cache()
    started = time.monotonic()
    with pytest.raises(EvaluationTimeoutError, match="longer than"):
        evaluate(load_presets()["chatbot_daily_updates"], deadline_s=0.3)
    assert time.monotonic() - started < DEADLINE_SLACK_S
