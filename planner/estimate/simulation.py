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
of service for a while (a crash or a rolling restart), so that planner.estimate.resilience can simulate the
disturbed windows on the same core.

The module is independent of the rest of the planner: plain numbers in, plain numbers out. It
follows simpy's examples: ``ServingPipeline`` owns the resources, ``request`` is the entity process and
``arrivals`` the setup process that spawns requests. Worker pools are ``WorkerPool``, a lean FIFO
equivalent of ``simpy.Resource`` (same service order and times, fewer events).

Continuous batching, and what it approximates: prefill is done whole in the admitting iteration (no
chunked prefill); admission happens only at iteration boundaries; a replica holds at most
``max_batch`` sequences whatever their length (KV-cache memory is folded into ``max_batch``); the
iteration time is a deterministic function ``step_s(batch_size, prefill_tokens)``; routing is decided
at arrival and never rebalanced. Within those assumptions the fast path is exact: between two
completions nothing changes the batch unless a request arrives, so a replica advances all the
iterations up to its next completion in one timeout, cut short at the next boundary when a request
arrives that could be admitted. The per-iteration cost of a batch at zero prefill is cached per batch
size, so ``step_s`` must be a pure function.

Confidence intervals (95 %) use batch means: the measured requests, in arrival order, are cut into
``CI_BATCHES`` consecutive batches; the statistic (mean, percentile, share) is computed per batch and
the interval is the whole-sample estimate +- t(0.975, B-1) x the batch standard deviation / sqrt(B).
Latencies of successive requests in a queue are strongly correlated, so an interval that assumes
independent samples (such as the order-statistic binomial interval) would be far too narrow; batches of
hundreds of requests are nearly independent of each other, which is what batch means needs.
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from collections.abc import Callable, Generator
from typing import Any, Literal

import numpy as np
import simpy
from pydantic import BaseModel, ConfigDict, model_validator
from simpy.events import PENDING

CI_BATCHES = 20  # batches for the batch-means confidence intervals
MIN_BATCH_SIZE = 10  # requests; with fewer per batch the batch count shrinks (None below 2 batches)
# Student t 0.975 quantiles by degrees of freedom (B - 1), for the batch-means intervals.
T_975 = {
    1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262,
    10: 2.228, 11: 2.201, 12: 2.179, 13: 2.160, 14: 2.145, 15: 2.131, 16: 2.120, 17: 2.110, 18: 2.101,
    19: 2.093,
}  # fmt: skip
PERCENTILES = (50.0, 95.0, 99.0)
MS_PER_S = 1000.0
EXTRA_DRAW_SHARE = 0.25  # arrivals drawn per extra chunk, as a share of warm-up + measured requests
MIN_DRAW_CHUNK = 256  # requests

CPU = 0  # kinds of pipeline step
INFERENCE = 1


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _positive(value: float, name: str) -> None:
    if not value > 0 or not math.isfinite(value):
        raise ValueError(f'"{name}" must be > 0.')


def _non_negative(value: float, name: str) -> None:
    if not value >= 0 or not math.isfinite(value):
        raise ValueError(f'"{name}" must be >= 0.')


class CpuStation(_Frozen):
    """A pool of ``servers`` identical workers behind one FIFO queue; service time in seconds."""

    name: str
    servers: int
    mean_service_s: float
    service_cv: float = 1.0  # 1 = exponential, 0 = deterministic, otherwise gamma

    @model_validator(mode="after")
    def _check(self) -> CpuStation:
        _positive(self.servers, "servers")
        _positive(self.mean_service_s, "mean_service_s")
        _non_negative(self.service_cv, "service_cv")
        return self


class InferenceStation(_Frozen):
    """``replicas`` model replicas, each continuously batching up to ``max_batch`` sequences.

    ``step_s(batch_size, prefill_tokens)`` is the duration in seconds of one iteration that decodes
    one token for each of ``batch_size`` running sequences and prefills ``prefill_tokens`` prompt
    tokens of the requests admitted in that iteration.
    """

    name: str
    replicas: int
    max_batch: int
    step_s: Callable[[int, int], float]

    @model_validator(mode="after")
    def _check(self) -> InferenceStation:
        _positive(self.replicas, "replicas")
        _positive(self.max_batch, "max_batch")
        return self


class Hop(_Frozen):
    """Network latency: lognormal with this median (ms) and shape ``sigma``, plus a fixed extra (ms)."""

    median_ms: float
    sigma: float
    extra_ms: float = 0.0  # e.g. service-mesh proxy overhead

    @model_validator(mode="after")
    def _check(self) -> Hop:
        _non_negative(self.median_ms, "median_ms")
        _non_negative(self.sigma, "sigma")
        _non_negative(self.extra_ms, "extra_ms")
        return self


class Outage(_Frozen):
    """``down`` workers (CPU) or replicas (inference) of station ``station`` out of service for a while.

    The outage starts ``start_s`` after the first measured request arrives and lasts ``duration_s``.
    A CPU worker that is busy when the outage starts finishes its request first (a drained restart);
    an inference replica stops receiving new requests and finishes the ones it holds.
    """

    station: int
    down: int
    start_s: float = 0.0
    duration_s: float

    @model_validator(mode="after")
    def _check(self) -> Outage:
        _positive(self.down, "down")
        _non_negative(self.start_s, "start_s")
        _positive(self.duration_s, "duration_s")
        return self


class SimulationInput(_Frozen):
    """Pipeline, workload and run length of one simulation; ``hops[i]`` is paid before ``stations[i]``.

    ``None`` as a hop means in-process (no latency); an empty ``hops`` means every hop is in-process.
    ``outages`` take capacity away for a while (crashes, rolling restarts); each leaves at least one
    worker or replica of its station in service.
    """

    stations: list[CpuStation | InferenceStation]
    hops: list[Hop | None] = []
    return_hop: Hop | None = None
    arrival_rate_per_s: float
    mean_input_tokens: float = 1.0
    input_tokens_cv: float = 0.0
    mean_output_tokens: float = 1.0
    output_tokens_cv: float = 0.0
    n_requests: int
    warmup_requests: int = 0
    seed: int = 0
    ttft_slo_ms: float | None = None
    e2e_slo_ms: float | None = None
    outages: list[Outage] = []

    @model_validator(mode="after")
    def _check(self) -> SimulationInput:
        if not self.stations:
            raise ValueError('"stations" must not be empty.')
        for outage in self.outages:
            if not 0 <= outage.station < len(self.stations):
                raise ValueError(f'"outages" names station {outage.station}, which does not exist.')
            station = self.stations[outage.station]
            size = station.servers if isinstance(station, CpuStation) else station.replicas
            if outage.down >= size:
                raise ValueError(f'an outage must leave one of the {size} servers of "{station.name}" in service.')
        if self.hops and len(self.hops) != len(self.stations):
            raise ValueError('"hops" must have one entry per station (or be empty).')
        _positive(self.arrival_rate_per_s, "arrival_rate_per_s")
        _positive(self.mean_input_tokens, "mean_input_tokens")
        _positive(self.mean_output_tokens, "mean_output_tokens")
        _non_negative(self.input_tokens_cv, "input_tokens_cv")
        _non_negative(self.output_tokens_cv, "output_tokens_cv")
        _positive(self.n_requests, "n_requests")
        _non_negative(self.warmup_requests, "warmup_requests")
        for name in ("ttft_slo_ms", "e2e_slo_ms"):
            value = getattr(self, name)
            if value is not None:
                _positive(value, name)
        return self


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
    kind: Literal["cpu", "inference"]
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


class _Draws:
    """Per-request random numbers, drawn in vectorised chunks in a fixed order (so runs are seeded)."""

    def __init__(self, inp: SimulationInput) -> None:
        self.inp = inp
        self.rng = np.random.default_rng(inp.seed)
        self.size = 0
        self.gap_s: list[float] = []
        self.input_tokens: list[int] = []
        self.output_tokens: list[int] = []
        self.cpu_stations = {i: st for i, st in enumerate(inp.stations) if isinstance(st, CpuStation)}
        self.service_s: dict[int, list[float]] = {i: [] for i in self.cpu_stations}
        # Hop i is paid before station i; the last one is the return hop.
        hops = [*(inp.hops or [None] * len(inp.stations)), inp.return_hop]
        self.hop_models = {i: hop for i, hop in enumerate(hops) if hop is not None}
        self.hop_s: dict[int, list[float]] = {i: [] for i in self.hop_models}
        self.extend(inp.warmup_requests + inp.n_requests)

    def _tokens(self, mean: float, cv: float, m: int) -> list[int]:
        if cv == 0:
            return [max(1, round(mean))] * m
        sigma2 = math.log1p(cv * cv)
        x = self.rng.lognormal(math.log(mean) - sigma2 / 2, math.sqrt(sigma2), m)
        return np.maximum(1, np.rint(x)).astype(np.int64).tolist()

    def _service(self, station: CpuStation, m: int) -> list[float]:
        mean, cv = station.mean_service_s, station.service_cv
        if cv == 0:
            return [mean] * m
        if cv == 1:
            return self.rng.exponential(mean, m).tolist()
        return self.rng.gamma(1.0 / (cv * cv), mean * cv * cv, m).tolist()

    def _hop(self, hop: Hop, m: int) -> list[float]:
        if hop.median_ms == 0 or hop.sigma == 0:
            return [(hop.median_ms + hop.extra_ms) / MS_PER_S] * m
        x = self.rng.lognormal(math.log(hop.median_ms), hop.sigma, m)
        return ((x + hop.extra_ms) / MS_PER_S).tolist()

    def extend(self, m: int) -> None:
        inp = self.inp
        self.gap_s.extend(self.rng.exponential(1.0 / inp.arrival_rate_per_s, m).tolist())
        self.input_tokens.extend(self._tokens(inp.mean_input_tokens, inp.input_tokens_cv, m))
        self.output_tokens.extend(self._tokens(inp.mean_output_tokens, inp.output_tokens_cv, m))
        for i, station in self.cpu_stations.items():
            self.service_s[i].extend(self._service(station, m))
        for i, hop in self.hop_models.items():
            self.hop_s[i].extend(self._hop(hop, m))
        self.size += m


class _Replica:
    """One continuously batching model replica, driven by timeout callbacks (no process per iteration)."""

    __slots__ = (
        "busy",
        "cap",
        "d",
        "env",
        "input_tokens",
        "iteration",
        "k",
        "load",
        "output_tokens",
        "pending",
        "running",
        "seq",
        "step0",
        "step_s",
        "t_first_end",
        "waiting",
    )

    def __init__(
        self, env: simpy.Environment, station: InferenceStation, draws: _Draws, step0: dict[int, float]
    ) -> None:
        self.env = env
        self.cap = station.max_batch
        self.step_s = station.step_s
        self.step0 = step0  # shared per station: step time at zero prefill, by batch size
        self.input_tokens = draws.input_tokens
        self.output_tokens = draws.output_tokens
        # (last iteration index, admission order, event, admitted at, first token at)
        self.running: list[tuple[int, int, simpy.Event, float, float]] = []
        self.waiting: deque[tuple[int, simpy.Event]] = deque()
        self.load = 0  # outstanding requests: running + waiting
        self.iteration = 0  # iterations completed
        self.busy = False
        self.t_first_end = 0.0  # end of the first iteration of the current stretch
        self.d = 0.0  # duration of each later iteration of the stretch
        self.k = 0  # iterations in the current stretch
        self.pending: simpy.Event | None = None
        self.seq = 0

    def _step(self, batch: int, prefill: int) -> float:
        if prefill:
            d = self.step_s(batch, prefill)
        else:
            d = self.step0.get(batch, -1.0)
            if d < 0:
                d = self.step0[batch] = self.step_s(batch, 0)
        if not d > 0:
            raise ValueError(f'"step_s" must return > 0 seconds (got {d} for batch {batch}).')
        return d

    def arrive(self, rid: int, event: simpy.Event) -> bool:
        """Queue a request; return whether it found no free batch slot."""
        full = self.load >= self.cap
        self.waiting.append((rid, event))
        self.load += 1
        if not self.busy:
            self._boundary()
        elif not full and self.k > 1:
            self._cut()
        return full

    def _boundary(self) -> None:
        """At an iteration boundary: admit waiting requests, then run until the next completion."""
        env, running, waiting = self.env, self.running, self.waiting
        now = env.now
        admitted: list[tuple[int, simpy.Event]] = []
        prefill = 0
        free = self.cap - len(running)
        while waiting and free > 0:
            entry = waiting.popleft()
            admitted.append(entry)
            prefill += self.input_tokens[entry[0]]
            free -= 1
        batch = len(running) + len(admitted)
        if batch == 0:
            self.busy = False
            return
        self.busy = True
        d0 = self._step(batch, prefill)
        t_first = now + d0
        it = self.iteration
        for rid, event in admitted:
            self.seq += 1
            heapq.heappush(running, (it + self.output_tokens[rid] - 1, self.seq, event, now, t_first))
        k = running[0][0] - it + 1
        d = self._step(batch, 0) if k > 1 else d0
        self.t_first_end, self.d, self.k = t_first, d, k
        timeout = env.timeout(d0 + (k - 1) * d)
        timeout.callbacks.append(self._stretch_end)
        self.pending = timeout

    def _cut(self) -> None:
        """A request arrived that could be admitted: end the stretch at the next iteration boundary."""
        now = self.env.now
        if now <= self.t_first_end:
            m, boundary = 1, self.t_first_end
        else:
            j = math.ceil((now - self.t_first_end) / self.d)
            m, boundary = j + 1, self.t_first_end + j * self.d
        if m >= self.k:
            return
        self.k = m
        timeout = self.env.timeout(max(0.0, boundary - now))
        timeout.callbacks.append(self._stretch_end)
        self.pending = timeout  # the stretch's original timeout is now stale and ignored

    def _stretch_end(self, timeout: simpy.Event) -> None:
        if timeout is not self.pending:
            return
        self.iteration += self.k
        last, running = self.iteration - 1, self.running
        while running and running[0][0] <= last:
            _, _, event, t_admit, t_first = heapq.heappop(running)
            self.load -= 1
            event.succeed((t_admit, t_first))
        self._boundary()


class _Grant(simpy.Event):
    """A request for a worker of a ``WorkerPool``; use as ``with pool.request() as req: yield req``."""

    def __init__(self, pool: WorkerPool) -> None:
        self.env = pool.env
        self.pool = pool
        if pool.free > 0:
            # Granted on the spot: born processed, so the yielding process goes on without a round
            # trip through the event queue (simpy resumes at once on an already processed event).
            pool.free -= 1
            self._ok = True
            self._value = None
            self.callbacks = None  # type: ignore[assignment]
        else:
            self.callbacks = []
            self._value = PENDING
            pool.queue.append(self)

    def __enter__(self) -> _Grant:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._value is PENDING:  # left before being served (its process was interrupted)
            self.pool.queue.remove(self)
        else:
            self.pool.release()


class WorkerPool:
    """``servers`` identical workers behind one FIFO queue: ``simpy.Resource`` without its overhead.

    It serves requests in the same order at the same times as ``simpy.Resource`` (a test compares the
    two request by request), but a request that finds a free worker is granted without an event, and
    a release hands the worker straight to the next in line instead of scheduling a release event.
    That is three events per visit down to one, and ~45 % off a realistic pipeline run.
    """

    __slots__ = ("env", "free", "queue")

    def __init__(self, env: simpy.Environment, capacity: int) -> None:
        self.env = env
        self.free = capacity
        self.queue: deque[_Grant] = deque()

    def request(self) -> _Grant:
        return _Grant(self)

    def release(self) -> None:
        if self.free < 0:  # workers are being taken out of service: this one leaves
            self.free += 1
        elif self.queue:
            self.queue.popleft().succeed()
        else:
            self.free += 1

    def take(self, workers: int) -> None:
        """Take workers out of service: idle ones at once, busy ones when they finish their request."""
        self.free -= workers

    def give(self, workers: int) -> None:
        """Return workers to service; each serves the next waiting request at once."""
        self.free += workers
        while self.free > 0 and self.queue:
            self.free -= 1
            self.queue.popleft().succeed()


class ServingPipeline:
    """Owns the simulated resources (worker pools, model replicas), the random draws and the records."""

    def __init__(self, env: simpy.Environment, inp: SimulationInput) -> None:
        self.env = env
        self.inp = inp
        self.draws = _Draws(inp)
        self.warmup = inp.warmup_requests
        self.n = inp.n_requests
        self.remaining = inp.n_requests
        self.done = env.event()
        n_stations = len(inp.stations)
        self.visits = [0] * n_stations
        self.waits_s = [[0.0] * self.n for _ in range(n_stations)]
        self.queued = [[False] * self.n for _ in range(n_stations)]  # inference: found no free slot
        self.occupancy_s = [0.0] * n_stations  # inference: slot-seconds held by measured requests
        self.ttft_s = [0.0] * self.n
        self.e2e_s = [0.0] * self.n
        self.arrival_s = [0.0] * self.n
        self.first_arrival_s = 0.0
        self.last_arrival_s = 0.0
        inference = [i for i, st in enumerate(inp.stations) if isinstance(st, InferenceStation)]
        self.has_inference = bool(inference)
        last_inference = inference[-1] if inference else len(inp.stations)
        # One tuple per step: kind, station index, hop draws (None: in-process), hop after the last
        # model (counts in TTFT), then the worker pool and service draws, or the replicas.
        self.plan: list[tuple[Any, ...]] = []
        for i, station in enumerate(inp.stations):
            hop_s = self.draws.hop_s.get(i)
            if isinstance(station, CpuStation):
                pool = WorkerPool(env, station.servers)
                self.plan.append((CPU, i, hop_s, i > last_inference, pool, self.draws.service_s[i]))
            else:
                step0: dict[int, float] = {}
                replicas = [_Replica(env, station, self.draws, step0) for _ in range(station.replicas)]
                self.plan.append((INFERENCE, i, hop_s, i > last_inference, replicas, None))
        self.return_hop_s = self.draws.hop_s.get(len(inp.stations))


def outage(env: simpy.Environment, pipe: ServingPipeline, spec: Outage) -> Generator[simpy.Event, Any, None]:
    """Take capacity out of a station for ``spec.duration_s``, then put it back."""
    yield env.timeout(spec.start_s)
    kind, resource = pipe.plan[spec.station][0], pipe.plan[spec.station][4]
    if kind == CPU:
        resource.take(spec.down)
    else:
        removed = resource[-spec.down:]  # routing sees only the replicas left in the list
        del resource[-spec.down:]
    yield env.timeout(spec.duration_s)
    if kind == CPU:
        resource.give(spec.down)
    else:
        resource.extend(removed)


def _least_loaded(replicas: list[_Replica]) -> _Replica:
    # Fewest outstanding requests; ties go to the lowest index (min keeps the first minimum).
    best = replicas[0]
    for replica in replicas:
        if replica.load < best.load:
            best = replica
    return best


def request(env: simpy.Environment, pipe: ServingPipeline, rid: int) -> Generator[simpy.Event, Any, None]:
    """One request walking the pipeline; records its waits and latencies when it is measured."""
    t0 = env.now
    j = rid - pipe.warmup
    if j >= pipe.n:
        j = -1
    visits = pipe.visits
    post_hops_s = 0.0  # hop latency after the last model: streamed tokens pay it too
    t_first = t0
    for kind, s, hop_s, after_model, resource, service_s in pipe.plan:
        if hop_s is not None:
            h = hop_s[rid]
            if after_model:
                post_hops_s += h
            yield env.timeout(h)
        visits[s] += 1
        if kind == CPU:
            t = env.now
            with resource.request() as req:
                yield req
                if j >= 0:
                    pipe.waits_s[s][j] = env.now - t
                yield env.timeout(service_s[rid])
        else:
            t = env.now
            event = env.event()
            full = _least_loaded(resource).arrive(rid, event)
            t_admit, t_first = yield event
            if j >= 0:
                pipe.waits_s[s][j] = t_admit - t
                pipe.queued[s][j] = full
                pipe.occupancy_s[s] += env.now - t_admit
    if j < 0:
        return
    ret = pipe.return_hop_s[rid] if pipe.return_hop_s is not None else 0.0
    e2e = env.now - t0 + ret
    pipe.e2e_s[j] = e2e
    pipe.arrival_s[j] = t0 - pipe.first_arrival_s
    pipe.ttft_s[j] = t_first - t0 + post_hops_s + ret if pipe.has_inference else e2e
    pipe.remaining -= 1
    if pipe.remaining == 0:
        pipe.done.succeed()


def arrivals(env: simpy.Environment, pipe: ServingPipeline) -> Generator[simpy.Event, Any, None]:
    """Setup process: Poisson arrivals, kept going past the measured requests so the load stays on."""
    draws = pipe.draws
    chunk = max(MIN_DRAW_CHUNK, int(EXTRA_DRAW_SHARE * (pipe.warmup + pipe.n)))
    rid = 0
    while True:
        if rid >= draws.size:
            draws.extend(chunk)
        yield env.timeout(draws.gap_s[rid])
        if rid == pipe.warmup:
            pipe.first_arrival_s = env.now
            for spec in pipe.inp.outages:
                env.process(outage(env, pipe, spec))
        if rid == pipe.warmup + pipe.n - 1:
            pipe.last_arrival_s = env.now
        env.process(request(env, pipe, rid))
        rid += 1


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


def _latency_stats(samples_s: np.ndarray) -> LatencyStats:
    mean = float(samples_s.mean())
    pct = np.percentile(samples_s, PERCENTILES)
    batches = _batches(samples_s)
    cis: list[Interval | None] = [None] * 4
    if batches is not None:
        cis[0] = _interval(mean, batches.mean(axis=1), MS_PER_S)
        per_batch = np.percentile(batches, PERCENTILES, axis=1)
        for i in range(3):
            cis[i + 1] = _interval(float(pct[i]), per_batch[i], MS_PER_S)
    return LatencyStats(
        mean_ms=mean * MS_PER_S,
        mean_ci_ms=cis[0],
        p50_ms=float(pct[0]) * MS_PER_S,
        p50_ci_ms=cis[1],
        p95_ms=float(pct[1]) * MS_PER_S,
        p95_ci_ms=cis[2],
        p99_ms=float(pct[2]) * MS_PER_S,
        p99_ci_ms=cis[3],
    )


def _station_stats(pipe: ServingPipeline, s: int, window_s: float) -> StationStats:
    station = pipe.inp.stations[s]
    waits = np.asarray(pipe.waits_s[s])
    if isinstance(station, CpuStation):
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
        wait_ci = _interval(mean_wait, batches.mean(axis=1), MS_PER_S)
        q_batches = queued[len(waits) - batches.size :].reshape(batches.shape)
        prob_ci = _interval(prob_wait, q_batches.mean(axis=1))
        prob_ci = (prob_ci[0], min(1.0, prob_ci[1]))
    return StationStats(
        name=station.name,
        kind="cpu" if isinstance(station, CpuStation) else "inference",
        visits=pipe.visits[s],
        utilisation=min(1.0, busy_s / (capacity * window_s)) if window_s > 0 else 0.0,
        mean_wait_ms=mean_wait * MS_PER_S,
        mean_wait_ci_ms=wait_ci,
        p95_wait_ms=float(np.percentile(waits, 95.0)) * MS_PER_S,
        prob_wait=prob_wait,
        prob_wait_ci=prob_ci,
    )


def simulate(inp: SimulationInput, *, keep_samples: bool = False) -> SimulationResult:
    """Run the pipeline until every measured request has completed; same input, same numbers."""
    env = simpy.Environment()
    pipe = ServingPipeline(env, inp)
    env.process(arrivals(env, pipe))
    env.run(until=pipe.done)
    n = inp.n_requests
    # Utilisation window: the arrival span of the measured requests (n arrivals span n - 1 gaps);
    # busy time is what the measured requests brought, so by Little's law the ratio is the load.
    span_s = pipe.last_arrival_s - pipe.first_arrival_s
    window_s = span_s * n / (n - 1) if n > 1 else env.now - pipe.first_arrival_s
    ttft = np.asarray(pipe.ttft_s)
    e2e = np.asarray(pipe.e2e_s)
    miss = np.zeros(n, dtype=bool)
    if inp.ttft_slo_ms is not None:
        miss |= ttft * MS_PER_S > inp.ttft_slo_ms
    if inp.e2e_slo_ms is not None:
        miss |= e2e * MS_PER_S > inp.e2e_slo_ms
    return SimulationResult(
        n_requests=n,
        ttft=_latency_stats(ttft),
        e2e=_latency_stats(e2e),
        stations=[_station_stats(pipe, s, window_s) for s in range(len(inp.stations))],
        slo_miss_share=float(miss.mean()),
        simulated_s=float(env.now),
        station_visits=sum(pipe.visits),
        ttft_samples_ms=(ttft * MS_PER_S).tolist() if keep_samples else None,
        e2e_samples_ms=(e2e * MS_PER_S).tolist() if keep_samples else None,
        arrival_samples_s=list(pipe.arrival_s) if keep_samples else None,
    )
