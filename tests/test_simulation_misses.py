"""``simulate_misses``: the same misses as a whole ``simulate`` run, from a run stopped at its horizon (issue 16).

Resilience only asks which requests miss a target; a request still running longer than the end-to-end target
after the last measured arrival has missed it, so the run may stop there instead of draining the longest outputs.
"""

from __future__ import annotations

import numpy as np
import pytest

from planner.estimate.simulation import (
    CpuStation,
    Hop,
    InferenceStation,
    Outage,
    SimulationInput,
    simulate,
    simulate_misses,
)


def _pipeline(e2e_slo_ms: float | None, outages: list[Outage], ttft_slo_ms: float | None = 800.0) -> SimulationInput:
    """A CPU step, a hop and a batching model with long-tailed outputs (the drain is long), near peak load."""
    return SimulationInput(
        stations=[CpuStation(name="gateway", servers=2, mean_service_s=0.01),
                  InferenceStation(name="llm", replicas=3, max_batch=16,
                                   step_s=lambda b, p: 0.015 + 0.0004 * b + 2e-5 * p)],
        hops=[None, Hop(median_ms=1.0, sigma=0.3)],
        arrival_rate_per_s=12.0, mean_input_tokens=600, input_tokens_cv=0.6,
        mean_output_tokens=150, output_tokens_cv=0.9, n_requests=1_500, warmup_requests=150, seed=11,
        outages=outages, ttft_slo_ms=ttft_slo_ms, e2e_slo_ms=e2e_slo_ms)


def _full_run_misses(inp: SimulationInput) -> tuple[np.ndarray, np.ndarray, float]:
    result = simulate(inp, keep_samples=True)
    assert result.ttft_samples_ms is not None and result.e2e_samples_ms is not None
    missed = np.zeros(inp.n_requests, dtype=bool)
    if inp.ttft_slo_ms is not None:
        missed |= np.asarray(result.ttft_samples_ms) > inp.ttft_slo_ms
    if inp.e2e_slo_ms is not None:
        missed |= np.asarray(result.e2e_samples_ms) > inp.e2e_slo_ms
    return np.asarray(result.arrival_samples_s), missed, result.simulated_s


OUTAGES = [Outage(station=1, down=2, start_s=20.0, duration_s=15.0), Outage(station=0, down=1, start_s=60.0,
                                                                         duration_s=10.0)]


@pytest.mark.parametrize("e2e_slo_ms", [3_000.0, 6_000.0, 60_000.0, None])
@pytest.mark.parametrize("outages", [[], OUTAGES], ids=["quiet", "outages"])
def test_the_misses_equal_those_of_the_whole_run(e2e_slo_ms: float | None, outages: list[Outage]) -> None:
    inp = _pipeline(e2e_slo_ms, outages)
    arrivals, missed, whole_s = _full_run_misses(inp)
    short = simulate_misses(inp)
    assert np.array_equal(short.arrival_s, arrivals)
    assert np.array_equal(short.missed, missed)
    assert 0.0 < missed.mean() < 1.0
    assert short.simulated_s <= whole_s


def test_a_tight_target_stops_the_run_before_the_drain() -> None:
    inp = _pipeline(3_000.0, OUTAGES)
    _, _, whole_s = _full_run_misses(inp)
    short = simulate_misses(inp)
    # It stops the target (plus a millisecond) after the last measured arrival, long before the last output ends.
    assert short.simulated_s < whole_s - 10.0


def test_without_an_end_to_end_target_it_runs_to_the_end() -> None:
    inp = _pipeline(None, [], ttft_slo_ms=300.0)
    _, missed, whole_s = _full_run_misses(inp)
    short = simulate_misses(inp)
    assert short.simulated_s == whole_s
    assert np.array_equal(short.missed, missed)
