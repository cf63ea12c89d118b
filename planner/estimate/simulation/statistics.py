"""Figures of a finished run: latency percentiles, per-station waits and load, SLO misses, with intervals.

Confidence intervals (95 %) use batch means: the measured requests, in arrival order, are cut into
``CI_BATCHES`` consecutive batches; the statistic (mean, percentile, share) is computed per batch and
the interval is the whole-sample estimate +- t(0.975, B-1) x the batch standard deviation / sqrt(B).
Latencies of successive requests in a queue are strongly correlated, so an interval that assumes
independent samples (such as the order-statistic binomial interval) would be far too narrow; batches of
hundreds of requests are nearly independent of each other, which is what batch means needs.

Means (of a latency, of a station's wait, the share of requests that wait) get two corrections of
that interval, as the Skart procedure does (Tafazzoli, Wilson et al., "Skart", INFORMS J. Computing
2011): the batch variance is inflated by (1 + phi) / (1 - phi), phi the lag-1 autocorrelation of the
batch means, for what correlation is left between batches (only when phi passes a one-sided 95 % test
of independence: with 20 batches an estimate scatters by ~0.22 around 0); and Johnson's
(1978) skewness adjustment (Willink 2005's closed form) moves the interval towards the long tail.
Queue waits come in bursts: a short run that met no long busy period has a low mean *and* a low batch
variance, so the plain t-interval falls short from below far more often than 2.5 % of runs.
tests/test_interval_coverage.py runs 200 seeds of an M/M/2 queue and checks that the mean-wait
interval covers the exact Erlang C value at least 93 % of the time (the plain interval: ~89 %).
"""

from __future__ import annotations

import math
from typing import Literal, NamedTuple

import numpy as np
from pydantic import BaseModel

from planner.estimate.simulation.inputs import ApiStation, CpuStation
from planner.estimate.simulation.processes import ServingPipeline
from planner.inputs.units import MS_PER_S, s_to_ms

CI_BATCHES = 20  # batches for the batch-means confidence intervals
MIN_BATCH_SIZE = 10  # requests; with fewer per batch the batch count shrinks (None below 2 batches)
# Student t 0.975 quantiles by degrees of freedom (B - 1), for the batch-means intervals.
T_975 = {
    1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262,
    10: 2.228, 11: 2.201, 12: 2.179, 13: 2.160, 14: 2.145, 15: 2.131, 16: 2.120, 17: 2.110, 18: 2.101,
    19: 2.093,
}  # fmt: skip
PERCENTILES = (50.0, 95.0, 99.0)
MAX_LAG1 = 0.9  # cap of the lag-1 autocorrelation correction (batches far too short show up as ~1)
MIN_SKEW_ADJUSTMENT = 1e-9  # below this Johnson's adjustment is the plain t-interval

Interval = tuple[float, float]


class LatencyStats(BaseModel):
    """Percentiles and mean of one latency, ms, each with its 95 % batch-means interval (None if too few)."""

    mean_ms: float
    mean_ci_ms: Interval | None
    p50_ms: float
    p50_ci_ms: Interval | None
    p95_ms: float
    p95_ci_ms: Interval | None
    p99_ms: float
    p99_ci_ms: Interval | None


class StationStats(BaseModel):
    """Per-station figures over the measured requests.

    CPU: ``utilisation`` is the busy share of the workers; a request waits when it finds every worker
    busy. Inference: ``utilisation`` is the occupied share of the batch slots; the wait runs from
    arrival to admission (it includes waiting for the next iteration boundary), and a request counts
    as waiting (``prob_wait``) when its replica had no free slot.
    """

    name: str
    kind: Literal["cpu", "inference", "api"]
    visits: int  # every visit in the run, warm-up and requests still in flight at the end included
    utilisation: float
    mean_wait_ms: float
    mean_wait_ci_ms: Interval | None
    p95_wait_ms: float
    prob_wait: float
    prob_wait_ci: Interval | None


class SimulationResult(BaseModel):
    """Latencies of the measured requests, per-station figures, SLO misses; optional raw samples."""

    n_requests: int
    ttft: LatencyStats
    e2e: LatencyStats
    stations: list[StationStats]
    slo_miss_share: float  # share of measured requests over either SLO (0 when none is set)
    simulated_s: float  # simulated clock at the end of the run
    station_visits: int
    ttft_samples_ms: list[float] | None = None  # in arrival order, when asked for
    e2e_samples_ms: list[float] | None = None
    arrival_samples_s: list[float] | None = None  # arrival times after the first measured arrival


def _batches(x: np.ndarray) -> np.ndarray | None:
    """Consecutive batches (rows) for batch means; the earliest remainder is dropped."""
    b = min(CI_BATCHES, len(x) // MIN_BATCH_SIZE)
    if b < 2:
        return None
    m = len(x) // b
    return x[len(x) - b * m :].reshape(b, m)


def _interval(estimate: float, per_batch: np.ndarray, scale: float = 1.0, floor: float = 0.0) -> Interval:
    b = len(per_batch)
    half = T_975[b - 1] * float(np.std(per_batch, ddof=1)) / math.sqrt(b)
    return (max(floor, (estimate - half) * scale), (estimate + half) * scale)


def _mean_interval(estimate: float, means: np.ndarray, scale: float = 1.0) -> Interval:
    """Batch-means interval of a mean, corrected for lag-1 correlation and skewness (module docstring)."""
    b = len(means)
    d = means - means.mean()
    ss = float(np.dot(d, d))
    if ss <= 0.0:
        return (estimate * scale, estimate * scale)
    # The sample lag-1 autocorrelation of b means is biased low: E[r] = phi - (1 + 3 phi) / b (Marriott and Pope
    # 1954), so phi = (r + 1/b) / (1 - 3/b); a negative one counts as none (a narrower interval is not earned).
    r = float(np.dot(d[1:], d[:-1])) / ss
    phi = min(MAX_LAG1, max(0.0, (r + 1.0 / b) / (1.0 - 3.0 / b))) if b > 3 else 0.0
    sd = math.sqrt(ss / (b - 1))
    se = sd * math.sqrt((1.0 + phi) / (1.0 - phi)) / math.sqrt(b)
    # Correlated batches carry fewer independent observations: the t quantile of (b - 1)(1 - phi)/(1 + phi) degrees
    # of freedom (at least one).
    t = T_975[max(1, math.floor((b - 1) * (1.0 - phi) / (1.0 + phi)))]
    skew = b / ((b - 1) * (b - 2)) * float(np.sum(d**3)) / sd**3 if b > 2 else 0.0
    a = skew / (6.0 * math.sqrt(b))
    if abs(a) < MIN_SKEW_ADJUSTMENT:
        low, high = estimate - t * se, estimate + t * se
    else:
        # Willink's G(r) = (cbrt(1 + 6a(r - a)) - 1) / (2a); the interval is [x - G(t) se, x - G(-t) se].
        low = estimate - (np.cbrt(1.0 + 6.0 * a * (t - a)) - 1.0) / (2.0 * a) * se
        high = estimate - (np.cbrt(1.0 + 6.0 * a * (-t - a)) - 1.0) / (2.0 * a) * se
    return (float(low) * scale, float(high) * scale)


def _latency_stats(samples_s: np.ndarray) -> LatencyStats:
    mean = float(samples_s.mean())
    pct = np.percentile(samples_s, PERCENTILES)
    batches = _batches(samples_s)
    cis: list[Interval | None] = [None] * 4
    if batches is not None:
        cis[0] = _mean_interval(mean, batches.mean(axis=1), MS_PER_S)
        per_batch = np.percentile(batches, PERCENTILES, axis=1)
        for i in range(3):
            cis[i + 1] = _interval(float(pct[i]), per_batch[i], MS_PER_S)
    return LatencyStats(
        mean_ms=s_to_ms(mean),
        mean_ci_ms=cis[0],
        p50_ms=s_to_ms(float(pct[0])),
        p50_ci_ms=cis[1],
        p95_ms=s_to_ms(float(pct[1])),
        p95_ci_ms=cis[2],
        p99_ms=s_to_ms(float(pct[2])),
        p99_ci_ms=cis[3],
    )


def _station_stats(pipe: ServingPipeline, s: int, window_s: float) -> StationStats:
    station = pipe.inp.stations[s]
    waits = np.asarray(pipe.waits_s[s])
    if isinstance(station, ApiStation):  # the provider's capacity is not ours to measure: no wait, no load
        busy_s, capacity, queued = 0.0, 1, waits > 0
    elif isinstance(station, CpuStation):
        lo = pipe.warmup
        busy_s = math.fsum(pipe.draws.service_s[s][lo : lo + pipe.n])
        capacity = station.servers
        queued = waits > 0
    else:
        busy_s = pipe.occupancy_s[s]
        capacity = station.replicas * station.max_batch
        queued = np.asarray(pipe.queued[s], dtype=bool)
    mean_wait = float(waits.mean())
    prob_wait = float(queued.mean())
    batches = _batches(waits)
    wait_ci = prob_ci = None
    if batches is not None:
        wait_ci = _mean_interval(mean_wait, batches.mean(axis=1), MS_PER_S)
        wait_ci = (max(0.0, wait_ci[0]), wait_ci[1])
        q_batches = queued[len(waits) - batches.size :].reshape(batches.shape)
        prob_ci = _mean_interval(prob_wait, q_batches.mean(axis=1))
        prob_ci = (max(0.0, prob_ci[0]), min(1.0, prob_ci[1]))
    return StationStats(
        name=station.name,
        kind="api" if isinstance(station, ApiStation) else "cpu" if isinstance(station, CpuStation) else "inference",
        visits=pipe.visits[s],
        utilisation=min(1.0, busy_s / (capacity * window_s)) if window_s > 0 else 0.0,
        mean_wait_ms=s_to_ms(mean_wait),
        mean_wait_ci_ms=wait_ci,
        p95_wait_ms=s_to_ms(float(np.percentile(waits, 95.0))),
        prob_wait=prob_wait,
        prob_wait_ci=prob_ci,
    )


class Misses(NamedTuple):
    """Which measured requests missed a latency target, in arrival order (``simulate_misses``)."""

    arrival_s: np.ndarray  # arrival times after the first measured arrival
    missed: np.ndarray  # bool: over the TTFT or the end-to-end target, or still running past the latter
    simulated_s: float  # simulated clock at the end of the run
    station_visits: int  # every visit in the run, as ``SimulationResult.station_visits``


def over_targets(ttft_ms: np.ndarray, e2e_ms: np.ndarray, ttft_slo_ms: float | None,
                 e2e_slo_ms: float | None) -> np.ndarray:
    """Which requests are over the TTFT or the end-to-end target (None: no such target; NaN is over neither)."""
    miss = np.zeros(len(e2e_ms), dtype=bool)
    if ttft_slo_ms is not None:
        miss |= ttft_ms > ttft_slo_ms
    if e2e_slo_ms is not None:
        miss |= e2e_ms > e2e_slo_ms
    return miss


def run_misses(pipe: ServingPipeline, now_s: float) -> Misses:
    """The misses of a run that may have stopped at its horizon: a request still running then has missed the
    end-to-end target already, every other one is judged on its own latencies as ``simulation_result`` does."""
    inp = pipe.inp
    arrived = np.cumsum(pipe.draws.gap_s[: pipe.warmup + pipe.n])[pipe.warmup :]  # the arrivals process's own sums
    ttft, e2e = np.asarray(pipe.ttft_s), np.asarray(pipe.e2e_s)
    missed = np.isnan(e2e) | over_targets(ttft * MS_PER_S, e2e * MS_PER_S, inp.ttft_slo_ms, inp.e2e_slo_ms)
    return Misses(arrival_s=arrived - arrived[0], missed=missed, simulated_s=float(now_s),
                  station_visits=sum(pipe.visits))


def simulation_result(pipe: ServingPipeline, now_s: float, *, keep_samples: bool) -> SimulationResult:
    """The figures of a run that ended at ``now_s`` (simulated clock) with every measured request done."""
    inp = pipe.inp
    n = inp.n_requests
    # Utilisation window: the arrival span of the measured requests (n arrivals span n - 1 gaps);
    # busy time is what the measured requests brought, so by Little's law the ratio is the load.
    span_s = pipe.last_arrival_s - pipe.first_arrival_s
    window_s = span_s * n / (n - 1) if n > 1 else now_s - pipe.first_arrival_s
    ttft = np.asarray(pipe.ttft_s)
    e2e = np.asarray(pipe.e2e_s)
    miss = over_targets(ttft * MS_PER_S, e2e * MS_PER_S, inp.ttft_slo_ms, inp.e2e_slo_ms)
    return SimulationResult(
        n_requests=n,
        ttft=_latency_stats(ttft),
        e2e=_latency_stats(e2e),
        stations=[_station_stats(pipe, s, window_s) for s in range(len(inp.stations))],
        slo_miss_share=float(miss.mean()),
        simulated_s=float(now_s),
        station_visits=sum(pipe.visits),
        ttft_samples_ms=(ttft * MS_PER_S).tolist() if keep_samples else None,
        e2e_samples_ms=(e2e * MS_PER_S).tolist() if keep_samples else None,
        arrival_samples_s=list(pipe.arrival_s) if keep_samples else None,
    )
