"""The simulation against Erlang C, hand-computed pipelines and a naive reference of continuous batching."""

import math
from collections import deque

import pytest
import simpy

from planner.estimate.queueing import erlang_c, mmc_mean_wait_s
from planner.estimate.simulation import (
    EXTRA_DRAW_SHARE,
    MIN_DRAW_CHUNK,
    CpuStation,
    Hop,
    InferenceStation,
    SimulationInput,
    simulate,
)
from planner.estimate.simulation.processes import _Draws

CI_WIDENING = 1.5  # the closed form must lie within 1.5 half-widths (~3 sigma) of the estimate


def _constant_step(seconds: float):
    return lambda batch, prefill: seconds


def _single_station(servers: int, utilisation: float, n: int = 30_000, seed: int = 7) -> SimulationInput:
    return SimulationInput(
        stations=[CpuStation(name="worker", servers=servers, mean_service_s=1.0)],
        arrival_rate_per_s=utilisation * servers,
        n_requests=n,
        warmup_requests=1_000,
        seed=seed,
    )


def _within(value: float, interval: tuple[float, float] | None, estimate: float) -> bool:
    assert interval is not None
    lo, hi = interval
    return estimate - CI_WIDENING * (estimate - lo) <= value <= estimate + CI_WIDENING * (hi - estimate)


@pytest.mark.parametrize("servers", [1, 2, 4])
@pytest.mark.parametrize("utilisation", [0.5, 0.7])
def test_single_station_matches_erlang_c(servers: int, utilisation: float) -> None:
    result = simulate(_single_station(servers, utilisation))
    station = result.stations[0]
    lam = utilisation * servers
    mean_wait_ms = mmc_mean_wait_s(lam, 1.0, servers) * 1000
    prob_wait = erlang_c(servers, lam)
    assert _within(mean_wait_ms, station.mean_wait_ci_ms, station.mean_wait_ms)
    assert _within(prob_wait, station.prob_wait_ci, station.prob_wait)
    # The interval must be tight enough to mean something (it allows for the batch means' correlation, so a few
    # thousand requests of a busy pool give about +-17 % of the mean wait).
    assert station.mean_wait_ci_ms is not None
    assert station.mean_wait_ci_ms[1] - station.mean_wait_ci_ms[0] < 0.4 * mean_wait_ms
    assert station.utilisation == pytest.approx(utilisation, rel=0.03)
    # No model and no hops: the sojourn is wait + service, and TTFT is the end-to-end time.
    assert result.e2e.mean_ms == pytest.approx(station.mean_wait_ms + 1000, rel=0.03)
    assert result.ttft == result.e2e


def test_worker_pool_serves_like_simpy_resource() -> None:
    """Same draws through a plain simpy.Resource: every request leaves at the same time."""
    inp = SimulationInput(
        stations=[CpuStation(name="worker", servers=3, mean_service_s=1.0, service_cv=0.7)],
        arrival_rate_per_s=2.6,
        n_requests=3_000,
        seed=4,
    )
    draws = _Draws(inp)
    env = simpy.Environment()
    pool = simpy.Resource(env, capacity=3)
    sojourn_ms = [0.0] * inp.n_requests

    def customer(env: simpy.Environment, i: int):
        t0 = env.now
        with pool.request() as req:
            yield req
            yield env.timeout(draws.service_s[0][i])
        sojourn_ms[i] = (env.now - t0) * 1000

    def source(env: simpy.Environment):
        for i in range(inp.n_requests):
            yield env.timeout(draws.gap_s[i])
            env.process(customer(env, i))

    env.process(source(env))
    env.run()
    assert simulate(inp, keep_samples=True).e2e_samples_ms == pytest.approx(sojourn_ms, rel=1e-12)


def test_same_seed_same_result_other_seed_other_result() -> None:
    inp = _single_station(2, 0.7, n=3_000)
    assert simulate(inp) == simulate(inp)
    other = simulate(inp.model_copy(update={"seed": 8}))
    assert other.e2e.p95_ms != simulate(inp).e2e.p95_ms


def _one_worker(hops: list[Hop | None], return_hop: Hop | None, n: int = 2_000) -> SimulationInput:
    # A deterministic 10 ms worker at 1 % load: almost nobody waits.
    return SimulationInput(
        stations=[CpuStation(name="worker", servers=1, mean_service_s=0.010, service_cv=0.0)],
        hops=hops,
        return_hop=return_hop,
        arrival_rate_per_s=1.0,
        n_requests=n,
        seed=3,
    )


def test_fixed_hops_add_exactly_their_latency() -> None:
    base = simulate(_one_worker([None], None))
    hopped = simulate(_one_worker([Hop(median_ms=20.0, sigma=0.0)], Hop(median_ms=30.0, sigma=0.0, extra_ms=5.0)))
    assert base.e2e.p50_ms == pytest.approx(10.0)
    assert hopped.e2e.p50_ms == pytest.approx(10.0 + 20.0 + 30.0 + 5.0)


def test_random_hops_add_about_their_medians() -> None:
    base = simulate(_one_worker([None], None))
    hopped = simulate(_one_worker([Hop(median_ms=2.0, sigma=0.4)], Hop(median_ms=2.0, sigma=0.4, extra_ms=1.0)))
    # The median of a sum of two lognormals is a little above the sum of their medians.
    assert hopped.e2e.p50_ms - base.e2e.p50_ms == pytest.approx(5.0, rel=0.1)


def test_lone_request_ttft_is_one_step_and_e2e_is_one_step_per_token() -> None:
    inp = SimulationInput(
        stations=[InferenceStation(name="llm", replicas=1, max_batch=8, step_s=_constant_step(0.020))],
        arrival_rate_per_s=0.01,  # one request every 100 s, each done in 0.2 s: always alone
        mean_input_tokens=500,
        mean_output_tokens=10,
        n_requests=50,
        seed=1,
    )
    result = simulate(inp, keep_samples=True)
    assert result.ttft_samples_ms == pytest.approx([20.0] * 50)
    assert result.e2e_samples_ms == pytest.approx([200.0] * 50)
    assert result.stations[0].prob_wait == 0.0
    assert result.stations[0].mean_wait_ms == 0.0


def test_ttft_counts_hops_after_the_model_but_not_its_cpu_work() -> None:
    # gateway (5 ms) -> hop 2 ms -> model (step 20 ms, 4 tokens) -> hop 3 ms -> filter (7 ms) -> return 4 ms
    fixed = [Hop(median_ms=1.0, sigma=0.0), Hop(median_ms=2.0, sigma=0.0), Hop(median_ms=3.0, sigma=0.0)]
    inp = SimulationInput(
        stations=[
            CpuStation(name="gateway", servers=1, mean_service_s=0.005, service_cv=0.0),
            InferenceStation(name="llm", replicas=2, max_batch=4, step_s=_constant_step(0.020)),
            CpuStation(name="filter", servers=1, mean_service_s=0.007, service_cv=0.0),
        ],
        hops=fixed,
        return_hop=Hop(median_ms=4.0, sigma=0.0),
        arrival_rate_per_s=0.1,
        mean_output_tokens=4,
        n_requests=20,
        seed=2,
    )
    result = simulate(inp, keep_samples=True)
    assert result.ttft_samples_ms == pytest.approx([1 + 5 + 2 + 20 + 3 + 4] * 20)
    assert result.e2e_samples_ms == pytest.approx([1 + 5 + 2 + 4 * 20 + 3 + 7 + 4] * 20)


def _reference_one_replica(inp: SimulationInput, station: InferenceStation) -> tuple[list[float], list[float]]:
    """Naive continuous batching with chunked prefill, one iteration at a time, on the simulation's own draws."""
    draws = _Draws(inp)
    chunk = max(MIN_DRAW_CHUNK, int(EXTRA_DRAW_SHARE * (inp.warmup_requests + inp.n_requests)))
    for _ in range(4):
        draws.extend(chunk)
    arrivals = [sum(draws.gap_s[: i + 1]) for i in range(draws.size)]
    measured = range(inp.warmup_requests, inp.warmup_requests + inp.n_requests)
    budget = station.token_budget or math.inf
    first: dict[int, float] = {}
    leave: dict[int, float] = {}
    waiting: deque[int] = deque()
    prefilling: dict[int, int] = {}  # request -> prompt tokens still to prefill, in admission order
    decoding: dict[int, int] = {}  # request -> decode iterations still to run
    t, nxt = 0.0, 0
    while not all(r in leave for r in measured):
        if not decoding and not prefilling and not waiting:
            t = max(t, arrivals[nxt])
        while arrivals[nxt] <= t:
            waiting.append(nxt)
            nxt += 1
        while waiting and len(decoding) + len(prefilling) < station.max_batch:
            r = waiting.popleft()
            prefilling[r] = max(1, round(draws.input_tokens[r] * (1 - station.cached_share)))
        left, chunk_tokens, done = budget - len(decoding) * station.verify_tokens, 0, []
        for r in list(prefilling):
            if left <= 0:
                break
            take = prefilling[r] if prefilling[r] <= left else int(left)
            prefilling[r] -= take
            chunk_tokens += take
            left -= take
            if prefilling[r]:
                break
            done.append(r)
            del prefilling[r]
        t += station.step_s(len(decoding), chunk_tokens)
        for r in list(decoding):
            decoding[r] -= 1
            if decoding[r] == 0:
                del decoding[r]
                leave[r] = t
        for r in done:
            first[r] = t
            n = math.ceil((draws.output_tokens[r] - 1) / station.tokens_per_step - 1e-9)
            if n > 0:
                decoding[r] = n
            else:
                leave[r] = t
    ttft = [(first[r] - arrivals[r]) * 1000 for r in measured]
    e2e = [(leave[r] - arrivals[r]) * 1000 for r in measured]
    return ttft, e2e


@pytest.mark.parametrize("levers", [
    {},  # every admitted prompt prefilled whole
    {"token_budget": 300},  # prompts of 400 tokens on average, chunked over iterations
    {"token_budget": 256, "verify_tokens": 3, "tokens_per_step": 2.2, "cached_share": 0.3},
], ids=["whole-prefill", "chunked", "speculative-cached"])
def test_fast_continuous_batching_matches_a_naive_reference(levers) -> None:
    station = InferenceStation(name="llm", replicas=1, max_batch=6,
                               step_s=lambda b, p: 0.010 + 0.002 * b + 2e-5 * p, **levers)
    inp = SimulationInput(
        stations=[station],
        arrival_rate_per_s=10.0,  # busy: batches fill and requests queue for slots
        mean_input_tokens=400,
        input_tokens_cv=0.8,
        mean_output_tokens=30,
        output_tokens_cv=1.0,
        n_requests=600,
        warmup_requests=50,
        seed=11,
    )
    result = simulate(inp, keep_samples=True)
    ttft, e2e = _reference_one_replica(inp, station)
    assert result.ttft_samples_ms == pytest.approx(ttft, rel=1e-6, abs=1e-6)
    assert result.e2e_samples_ms == pytest.approx(e2e, rel=1e-6, abs=1e-6)
    assert result.stations[0].prob_wait > 0.1  # the run did exercise queueing for slots


def _batched(max_batch: int) -> SimulationInput:
    step = lambda b, p: 0.012 + 0.0002 * b + 1e-5 * p  # noqa: E731
    return SimulationInput(
        stations=[InferenceStation(name="llm", replicas=2, max_batch=max_batch, step_s=step)],
        arrival_rate_per_s=6.0,
        mean_input_tokens=800,
        input_tokens_cv=0.5,
        mean_output_tokens=200,
        output_tokens_cv=0.5,
        n_requests=2_000,
        warmup_requests=200,
        seed=5,
    )


def test_larger_batches_reduce_queueing_under_load() -> None:
    small, large = simulate(_batched(8)), simulate(_batched(64))
    assert small.stations[0].prob_wait > 0.5
    assert large.stations[0].prob_wait < 0.05
    assert large.stations[0].mean_wait_ms < small.stations[0].mean_wait_ms / 10
    assert large.ttft.p95_ms < small.ttft.p95_ms


def test_slo_miss_share_and_samples() -> None:
    inp = _one_worker([None], None, n=200)
    assert simulate(inp.model_copy(update={"e2e_slo_ms": 5.0})).slo_miss_share == 1.0
    assert simulate(inp.model_copy(update={"e2e_slo_ms": 500.0, "ttft_slo_ms": 500.0})).slo_miss_share == 0.0
    result = simulate(inp, keep_samples=True)
    assert result.e2e_samples_ms is not None and len(result.e2e_samples_ms) == 200
    assert simulate(inp).e2e_samples_ms is None
    assert result.station_visits >= 200


def test_few_requests_have_no_interval() -> None:
    result = simulate(_one_worker([None], None, n=5))
    assert result.e2e.p95_ci_ms is None
    assert result.e2e.p95_ms == pytest.approx(10.0)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: CpuStation(name="a", servers=0, mean_service_s=1.0), '"servers" must be > 0'),
        (lambda: CpuStation(name="a", servers=1, mean_service_s=-1.0), '"mean_service_s" must be > 0'),
        (lambda: CpuStation(name="a", servers=1, mean_service_s=1.0, service_cv=-0.1), '"service_cv"'),
        (lambda: InferenceStation(name="m", replicas=0, max_batch=4, step_s=_constant_step(0.01)), '"replicas"'),
        (lambda: InferenceStation(name="m", replicas=1, max_batch=0, step_s=_constant_step(0.01)), '"max_batch"'),
        (lambda: Hop(median_ms=-1.0, sigma=0.1), '"median_ms" must be >= 0'),
        (lambda: _single_station(1, -0.5), '"arrival_rate_per_s" must be > 0'),
        (lambda: _single_station(1, 0.5, n=0), '"n_requests" must be > 0'),
        (lambda: _one_worker([None, None], None), '"hops" must have one entry per station'),
        (lambda: SimulationInput(stations=[], arrival_rate_per_s=1.0, n_requests=1), '"stations" must not'),
    ],
)
def test_bad_inputs_raise_with_a_clear_message(build, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build()


def test_step_time_must_be_positive() -> None:
    inp = SimulationInput(
        stations=[InferenceStation(name="m", replicas=1, max_batch=2, step_s=_constant_step(0.0))],
        arrival_rate_per_s=1.0,
        n_requests=3,
    )
    with pytest.raises(ValueError, match='"step_s" must return > 0 seconds'):
        simulate(inp)


def test_unstable_station_saturates() -> None:
    # Offered 1.5x the capacity: utilisation is capped at 1 and waits grow along the run.
    result = simulate(_single_station(1, 1.5, n=2_000))
    assert result.stations[0].utilisation == pytest.approx(1.0, abs=0.02)
    assert math.isfinite(result.e2e.p99_ms)
