"""The simulated entities: random draws, worker pools, batching replicas, and the request processes.

As in simpy's examples, ``ServingPipeline`` owns the resources, ``request`` is the entity process and
``arrivals`` the setup process that spawns requests; ``outage`` takes capacity away for a while. Worker
pools are ``WorkerPool``, a lean FIFO equivalent of ``simpy.Resource`` (same service order and times,
fewer events; ``planner.estimate.simulation.workers``).

Continuous batching with chunked prefill, as ``planner.estimate.serving`` models an iteration, and what
it approximates: admission happens only at iteration boundaries; a replica holds at most ``max_batch``
sequences whatever their length (KV-cache memory is folded into ``max_batch``); the iteration time is a
deterministic function ``step_s(decoding, prefill_tokens)``; speculative decoding emits its expected
tokens per iteration every iteration; routing is decided at arrival and never rebalanced. Within those
assumptions the fast path is exact: between two completions nothing changes the batch unless a request
arrives or a prefill is under way, so a replica with no prefill pending advances all the iterations up to
its next completion in one timeout, cut short at the next boundary when a request arrives that could be
admitted. The per-iteration cost of a batch at zero prefill is cached per batch size, so ``step_s`` must
be a pure function.

The code in ``_Replica``, ``WorkerPool`` and ``request`` runs once per event: it keeps to local names
and plain tuples on purpose (bench/bench_simulation.py measures it).
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from collections.abc import Generator
from typing import Any

import simpy

from planner.estimate.simulation.deadline import CHECK_EVERY_ARRIVALS, check_deadline
from planner.estimate.simulation.draws import _Draws as _Draws
from planner.estimate.simulation.draws import draw_tokens as draw_tokens
from planner.estimate.simulation.inputs import ApiStation, CpuStation, InferenceStation, Outage, SimulationInput
from planner.estimate.simulation.workers import WorkerPool

EXTRA_DRAW_SHARE = 0.25  # arrivals drawn per extra chunk, as a share of warm-up + measured requests
MIN_DRAW_CHUNK = 256  # requests

CPU = 0  # kinds of pipeline step
INFERENCE = 1
API = 2


class _Replica:
    """One continuously batching model replica with chunked prefill, driven by timeout callbacks.

    Sequences in ``prefilling`` (arrival order) share what the token budget leaves after the decoding ones;
    while any is there the replica runs one iteration per timeout. With none, nothing changes the batch
    before the next completion unless a request arrives, so it runs every iteration up to that completion in
    one timeout (a stretch), cut short at the next boundary when a request arrives that could be admitted.
    """

    __slots__ = (
        "budget", "busy", "cached", "cap", "d", "env", "finishing", "input_tokens", "iteration", "k", "load",
        "output_tokens", "pending", "per_step", "prefilling", "running", "seq", "step0", "step_s", "t_first_end",
        "verify", "waiting",
    )  # fmt: skip

    def __init__(
        self, env: simpy.Environment, station: InferenceStation, draws: _Draws, step0: dict[int, float]
    ) -> None:
        self.env = env
        self.cap = station.max_batch
        self.step_s = station.step_s
        self.budget = station.token_budget if station.token_budget is not None else math.inf
        self.verify = station.verify_tokens
        self.per_step = station.tokens_per_step
        self.cached = station.cached_share
        self.step0 = step0  # shared per station: step time at zero prefill, by batch size
        self.input_tokens = draws.input_tokens
        self.output_tokens = draws.output_tokens
        # (last decode iteration, admission order, event, admitted at, first token at)
        self.running: list[tuple[int, int, simpy.Event, float, float]] = []
        self.prefilling: deque[list[Any]] = deque()  # [request, prompt tokens left, event, admitted at]
        self.finishing: list[list[Any]] = []  # prefills the current iteration completes
        self.waiting: deque[tuple[int, simpy.Event]] = deque()
        self.load = 0  # outstanding requests: running + prefilling + waiting
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

    def _admit(self, now: float) -> None:
        waiting, prefilling = self.waiting, self.prefilling
        free = self.cap - len(self.running) - len(prefilling)
        keep = 1.0 - self.cached
        while waiting and free > 0:
            rid, event = waiting.popleft()
            prefilling.append([rid, max(1, round(self.input_tokens[rid] * keep)), event, now])
            free -= 1

    def _boundary(self) -> None:
        """At an iteration boundary: admit waiting requests, then run one iteration or a stretch."""
        now = self.env.now
        self._admit(now)
        running, prefilling = self.running, self.prefilling
        batch = len(running)
        if not batch and not prefilling:
            self.busy = False
            return
        self.busy = True
        if prefilling:
            left = self.budget - batch * self.verify
            prefill = 0
            finishing = self.finishing
            while prefilling and left > 0:
                entry = prefilling[0]
                take = entry[1] if entry[1] <= left else int(left)
                entry[1] -= take
                prefill += take
                left -= take
                if entry[1] > 0:
                    break
                finishing.append(prefilling.popleft())
            d0 = self._step(batch, prefill)
            k = 1
        else:
            d0 = self._step(batch, 0)
            k = running[0][0] - self.iteration + 1
        self.t_first_end, self.d, self.k = now + d0, d0, k
        timeout = self.env.timeout(d0 * k)
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
        it, running = self.iteration, self.running
        while running and running[0][0] < it:
            _, _, event, t_admit, t_first = heapq.heappop(running)
            self.load -= 1
            event.succeed((t_admit, t_first))
        if self.finishing:
            now, per_step = self.env.now, self.per_step
            for rid, _, event, t_admit in self.finishing:
                n = math.ceil((self.output_tokens[rid] - 1) / per_step - 1e-9)
                if n <= 0:
                    self.load -= 1
                    event.succeed((t_admit, now))
                else:
                    self.seq += 1
                    heapq.heappush(running, (it + n - 1, self.seq, event, t_admit, now))
            self.finishing = []
        self._boundary()


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
        # Seconds after the last measured arrival at which the run may stop (None: when every measured request is
        # done): ``simulate_misses`` sets it just past the end-to-end target, when every request still running misses.
        self.horizon_s: float | None = None
        n_stations = len(inp.stations)
        self.visits = [0] * n_stations
        self.waits_s = [[0.0] * self.n for _ in range(n_stations)]
        self.queued = [[False] * self.n for _ in range(n_stations)]  # inference: found no free slot
        self.occupancy_s = [0.0] * n_stations  # inference: slot-seconds held by measured requests
        self.ttft_s = [math.nan] * self.n  # NaN until the request completes
        self.e2e_s = [math.nan] * self.n
        self.arrival_s = [0.0] * self.n
        self.first_arrival_s = 0.0
        self.last_arrival_s = 0.0
        inference = [i for i, st in enumerate(inp.stations) if isinstance(st, InferenceStation | ApiStation)]
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
            elif isinstance(station, ApiStation):
                self.plan.append((API, i, hop_s, i > last_inference, station, self.draws.api_ttft_s[i]))
            else:
                step0: dict[int, float] = {}
                replicas = [_Replica(env, station, self.draws, step0) for _ in range(station.replicas)]
                self.plan.append((INFERENCE, i, hop_s, i > last_inference, replicas, None))
        self.return_hop_s = self.draws.hop_s.get(len(inp.stations))


    def stop(self, _: simpy.Event) -> None:
        """End the run at its horizon (the requests still running are left unfinished)."""
        if not self.done.triggered:
            self.done.succeed()


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
        elif kind == API:  # served at once: the first token after its TTFT, then the rest at the provider's rate
            ttft = service_s[rid]
            t_first = env.now + ttft
            yield env.timeout(ttft + pipe.draws.output_tokens[rid] / resource.output_tokens_per_s)
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
            if pipe.horizon_s is not None:
                env.timeout(pipe.horizon_s).callbacks.append(pipe.stop)
        env.process(request(env, pipe, rid))
        rid += 1
