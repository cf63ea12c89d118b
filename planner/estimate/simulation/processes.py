"""The simulated entities: random draws, worker pools, batching replicas, and the request processes.

As in simpy's examples, ``ServingPipeline`` owns the resources, ``request`` is the entity process and
``arrivals`` the setup process that spawns requests; ``outage`` takes capacity away for a while. Worker
pools are ``WorkerPool``, a lean FIFO equivalent of ``simpy.Resource`` (same service order and times,
fewer events).

Continuous batching, and what it approximates: prefill is done whole in the admitting iteration (no
chunked prefill); admission happens only at iteration boundaries; a replica holds at most
``max_batch`` sequences whatever their length (KV-cache memory is folded into ``max_batch``); the
iteration time is a deterministic function ``step_s(batch_size, prefill_tokens)``; routing is decided
at arrival and never rebalanced. Within those assumptions the fast path is exact: between two
completions nothing changes the batch unless a request arrives, so a replica advances all the
iterations up to its next completion in one timeout, cut short at the next boundary when a request
arrives that could be admitted. The per-iteration cost of a batch at zero prefill is cached per batch
size, so ``step_s`` must be a pure function.

The code in ``_Replica``, ``WorkerPool`` and ``request`` runs once per event: it keeps to local names
and plain tuples on purpose (bench/bench_simulation.py measures it).
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from collections.abc import Generator
from typing import Any

import numpy as np
import simpy
from simpy.events import PENDING

from planner.estimate.simulation.deadline import CHECK_EVERY_ARRIVALS, check_deadline
from planner.estimate.simulation.inputs import CpuStation, Hop, InferenceStation, Outage, SimulationInput
from planner.inputs.units import MS_PER_S, ms_to_s

EXTRA_DRAW_SHARE = 0.25  # arrivals drawn per extra chunk, as a share of warm-up + measured requests
MIN_DRAW_CHUNK = 256  # requests

CPU = 0  # kinds of pipeline step
INFERENCE = 1


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
            return [ms_to_s(hop.median_ms + hop.extra_ms)] * m
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
        "busy", "cap", "d", "env", "input_tokens", "iteration", "k", "load", "output_tokens",
        "pending", "running", "seq", "step0", "step_s", "t_first_end", "waiting",
    )  # fmt: skip

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
    """Setup process: Poisson arrivals, kept going past the measured requests so the load stays on.

    It looks at the wall clock every ``CHECK_EVERY_ARRIVALS`` arrivals (see ``deadline``).
    """
    draws = pipe.draws
    chunk = max(MIN_DRAW_CHUNK, int(EXTRA_DRAW_SHARE * (pipe.warmup + pipe.n)))
    rid = 0
    while True:
        if rid >= draws.size:
            draws.extend(chunk)
        if rid % CHECK_EVERY_ARRIVALS == 0:
            check_deadline()
        yield env.timeout(draws.gap_s[rid])
        if rid == pipe.warmup:
            pipe.first_arrival_s = env.now
            for spec in pipe.inp.outages:
                env.process(outage(env, pipe, spec))
        if rid == pipe.warmup + pipe.n - 1:
            pipe.last_arrival_s = env.now
        env.process(request(env, pipe, rid))
        rid += 1
