"""Closed-loop load on model replicas: a fixed number of clients, each waiting for its answer before it asks again.

Scenario, as a serving benchmark runs it (``vllm bench serve --max-concurrency``, GenAI-Perf's concurrency
mode): ``concurrency`` clients start together; each sends a request to the replica with the fewest outstanding
requests, waits until its last output token arrives and sends its next one at once. Prompt and output lengths
are lognormal around the means with a small spread (``TOKENS_CV``), so the clients fall out of step as a real
load does. The replicas are the simulation's own (``processes._Replica``, continuous batching with chunked
prefill), running the step model of ``planner.estimate.serving``.

The first completions are a warm-up and are discarded (the clients all start at once): ``WARMUP_PER_CLIENT``
per client, so that every client is past its first request. The figures are the means over the next
``measured`` completions, at least ``MIN_MEASURED_PER_CLIENT`` per client so that the window spans whole
cycles of every client, and the throughput is the output tokens those completions carry over the time they
took to complete. The work is bounded: a run simulates at most ``MAX_ITERATIONS`` engine iterations' worth
of completions (``run_sizes``) whatever the concurrency; only prompts of several token budgets at thousands
of clients shorten the run below those counts.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import Any, cast

import numpy as np
import simpy
from pydantic import BaseModel, ConfigDict, Field

from planner.estimate.simulation.deadline import check_deadline
from planner.estimate.simulation.inputs import InferenceStation
from planner.estimate.simulation.processes import _Draws, _least_loaded, _Replica, draw_tokens
from planner.inputs.units import s_to_ms

TOKENS_CV = 0.1  # spread of prompt and output lengths around their means, so the clients desynchronise
WARMUP_PER_CLIENT = 3  # completions discarded per client (the start, when all clients send at once)
MEASURED_PER_CLIENT = 20  # completions measured per client, up to MAX_MEASURED_REQUESTS
MIN_MEASURED_PER_CLIENT = 2  # completions measured per client at least, so that the window spans whole cycles
MIN_MEASURED_REQUESTS = 200  # a few clients still average over enough requests
MAX_MEASURED_REQUESTS = 3_000  # measured completions beyond MIN_MEASURED_PER_CLIENT's
MAX_ITERATIONS = 100_000  # bound on the work of one run: engine iterations that a request's prefill chunks cost
ITERATIONS_PER_REQUEST = 3  # besides its prefill chunks: the cut stretch, the completion, the next admission


class ClosedLoopResult(BaseModel):
    """Steady-state means of a closed-loop run (times from a client sending to its tokens arriving)."""

    model_config = ConfigDict(frozen=True)

    concurrency: int = Field(ge=1, description="Clients, each with one request outstanding.")
    measured_requests: int = Field(ge=1, description="Completions the means are taken over.")
    ttft_ms: float = Field(ge=0, description="Mean time to first token, ms.")
    itl_ms: float | None = Field(None, ge=0, description="Mean time between output tokens after the first, ms "
                                                     "(None: every request had one output token).")
    e2e_ms: float = Field(ge=0, description="Mean time from sending a request to its last token, ms.")
    output_tokens_per_s: float = Field(ge=0, description="Output tokens completed per second, all replicas.")
    requests_per_s: float = Field(ge=0, description="Requests completed per second, all replicas.")


class _Lengths:
    """Prompt and output lengths per request id, drawn up front (the attributes ``_Replica`` reads)."""

    def __init__(self, input_tokens: float, output_tokens: float, size: int, cv: float, seed: int) -> None:
        rng = np.random.default_rng(seed)
        self.input_tokens = draw_tokens(rng, input_tokens, cv, size)
        self.output_tokens = draw_tokens(rng, output_tokens, cv, size)


class _Loop:
    """The replicas, the request ids handed out so far and what the completed requests recorded."""

    def __init__(self, env: simpy.Environment, station: InferenceStation, lengths: _Lengths, warmup: int,
                 measured: int) -> None:
        self.env = env
        step0: dict[int, float] = {}
        # _Replica reads only the token lists of its draws, which _Lengths has.
        draws = cast(_Draws, lengths)
        self.replicas = [_Replica(env, station, draws, step0) for _ in range(station.replicas)]
        self.output_tokens = lengths.output_tokens
        self.warmup, self.measured = warmup, measured
        self.next_rid = 0
        self.completed = 0
        self.window_start_s = 0.0  # when the last warm-up request completed
        # per measured request: (time to first token, time after it per later token or None, end to end), s
        self.records: list[tuple[float, float | None, float]] = []
        self.tokens = 0  # output tokens of the measured requests
        self.done = env.event()

    def complete(self, rid: int, sent_s: float, first_s: float) -> None:
        """Record a completed request: warm-up, measured, or past the end of the run."""
        now = self.env.now
        self.completed += 1
        if self.completed <= self.warmup:
            self.window_start_s = now
        elif len(self.records) < self.measured:
            out = self.output_tokens[rid]
            itl = (now - first_s) / (out - 1) if out > 1 else None
            self.records.append((first_s - sent_s, itl, now - sent_s))
            self.tokens += out
            if len(self.records) == self.measured:
                self.done.succeed(now)


def _client(env: simpy.Environment, loop: _Loop) -> Generator[simpy.Event, Any, None]:
    """One client: send a request, wait for its last token, send the next, until the run has its completions."""
    while not loop.done.triggered:
        rid = loop.next_rid
        loop.next_rid += 1
        if rid % 256 == 0:
            check_deadline()
        sent = env.now
        event = env.event()
        _least_loaded(loop.replicas).arrive(rid, event)
        _, first = yield event
        loop.complete(rid, sent, first)


def run_sizes(concurrency: int, prefill_chunks: float = 1.0) -> tuple[int, int]:
    """(warm-up, measured) completions of a run with ``concurrency`` clients, within the work bound.

    A prompt of many token budgets costs an iteration per chunk, so long prompts get fewer requests (at
    least one).
    """
    warmup = WARMUP_PER_CLIENT * concurrency  # every client past its first requests, which all start at once
    measured = max(MIN_MEASURED_REQUESTS, MIN_MEASURED_PER_CLIENT * concurrency,
                   min(MAX_MEASURED_REQUESTS, MEASURED_PER_CLIENT * concurrency))
    affordable = int(MAX_ITERATIONS // (prefill_chunks + ITERATIONS_PER_REQUEST))
    if warmup + measured > affordable:
        share = affordable / (warmup + measured)
        warmup, measured = int(warmup * share), max(1, int(measured * share))
    return warmup, measured


def simulate_closed_loop(station: InferenceStation, concurrency: int, input_tokens: float, output_tokens: float,
                         *, seed: int = 0, tokens_cv: float = TOKENS_CV) -> ClosedLoopResult:
    """Run ``concurrency`` closed-loop clients against ``station``'s replicas; steady-state means after a warm-up."""
    if concurrency < 1:
        raise ValueError('"concurrency" must be >= 1.')
    if not input_tokens >= 1 or not output_tokens >= 1:
        raise ValueError('"input_tokens" and "output_tokens" must be >= 1.')
    if not 0 <= tokens_cv < math.inf:
        raise ValueError('"tokens_cv" must be >= 0.')
    budget = station.token_budget or math.inf
    warmup, measured = run_sizes(concurrency, math.ceil(input_tokens * (1.0 - station.cached_share) / budget))
    # Every client may have one request in flight when the last measured one completes.
    lengths = _Lengths(input_tokens, output_tokens, warmup + measured + concurrency, tokens_cv, seed)
    env = simpy.Environment()
    loop = _Loop(env, station, lengths, warmup, measured)
    for _ in range(concurrency):
        env.process(_client(env, loop))
    env.run(until=loop.done)
    elapsed = env.now - loop.window_start_s
    ttft, itl, e2e = zip(*loop.records, strict=True)
    itls = [x for x in itl if x is not None]
    return ClosedLoopResult(
        concurrency=concurrency, measured_requests=measured,
        ttft_ms=s_to_ms(float(np.mean(ttft))), itl_ms=s_to_ms(float(np.mean(itls))) if itls else None,
        e2e_ms=s_to_ms(float(np.mean(e2e))),
        output_tokens_per_s=loop.tokens / elapsed if elapsed > 0 else 0.0,
        requests_per_s=measured / elapsed if elapsed > 0 else 0.0,
    )
