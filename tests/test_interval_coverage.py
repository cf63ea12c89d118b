"""The simulation's 95 % intervals cover the exact M/M/c values as often as they claim (issue 16).

200 seeds of one M/M/2 queue at 70 % utilisation, each a short run (3,000 measured requests after a
300-request warm-up); Erlang C gives the exact mean wait and probability of waiting. A 95 % interval
should cover them in about 95 % of the runs; the test asks for at least 93 %. The seeds are fixed, so
the count is the same on every run: with 200 runs a true 95 % gives fewer than 93 % hits about 7 % of
the time, and a true 89 % (the plain batch-means interval's) at least 93 % about 5 % of the time. The batch means'
lag-1 correlation, corrected for its small-sample bias, widens the intervals and lowers their degrees of freedom
(planner/estimate/simulation/statistics.py); without it they covered 89.5 % (mean wait) and 90 % (probability of
waiting) of these seeds.
"""

from planner.estimate.queueing import erlang_c, mmc_mean_wait_s
from planner.estimate.simulation import CpuStation, SimulationInput, simulate

SEEDS = 200
SERVERS = 2
UTILISATION = 0.7
MEAN_SERVICE_S = 1.0  # exponential
MEASURED_REQUESTS = 3_000
WARMUP_REQUESTS = 300
MIN_COVERAGE = 0.93


def test_intervals_cover_erlang_c_in_95_percent_of_seeds() -> None:
    rate = UTILISATION * SERVERS / MEAN_SERVICE_S
    exact_wait_ms = mmc_mean_wait_s(rate, 1.0 / MEAN_SERVICE_S, SERVERS) * 1000.0
    exact_prob_wait = erlang_c(SERVERS, rate * MEAN_SERVICE_S)
    wait_hits = prob_hits = 0
    for seed in range(SEEDS):
        inp = SimulationInput(
            stations=[CpuStation(name="worker", servers=SERVERS, mean_service_s=MEAN_SERVICE_S)],
            arrival_rate_per_s=rate,
            n_requests=MEASURED_REQUESTS,
            warmup_requests=WARMUP_REQUESTS,
            seed=seed,
        )
        station = simulate(inp).stations[0]
        assert station.mean_wait_ci_ms is not None and station.prob_wait_ci is not None
        wait_hits += station.mean_wait_ci_ms[0] <= exact_wait_ms <= station.mean_wait_ci_ms[1]
        prob_hits += station.prob_wait_ci[0] <= exact_prob_wait <= station.prob_wait_ci[1]
    assert wait_hits / SEEDS >= MIN_COVERAGE
    assert prob_hits / SEEDS >= MIN_COVERAGE
