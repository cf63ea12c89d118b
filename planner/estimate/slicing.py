"""A representative slice of a large fleet: what the peak simulations run when the fleet is big.

Why. A simulation measures a fixed number of requests, but it keeps arrivals coming until the last
measured request has left, so it also simulates every request that arrives during that drain: about
peak rate x the slowest end-to-end time. Routing also looks at every replica for every request. With
the whole fleet at 17,000 requests/s (4,500 replicas) one run simulated hundreds of thousands of
requests and never finished. So the simulated work grew with traffic without limit.

What instead. The work of a run is about its arrival rate times its length, so the rate is what is
bounded. A fleet of ``R`` identical inference replicas behind least-loaded routing, at a peak above
``MAX_SIM_RATE_PER_S``, is simulated as ``r`` of them at the same load per replica: ``r`` is the largest
count whose share of the traffic stays within that rate (never fewer than ``MIN_SLICE_REPLICAS``), and
the arrival rate is ``peak x r / R``, exactly ``r / R`` of the traffic. Each replica keeps its batch
cap, step times and request sizes. A fleet at or below that rate is simulated whole, unchanged (so are
the shipped presets; the busiest, the chatbot, peaks at 180 requests/s).

What it approximates, and in which direction:

- each replica's batching is exact: its arrivals are Poisson at the same rate per replica, the thinned
  share of a Poisson stream;
- least-loaded routing over ``r`` replicas instead of ``R`` balances a little less well, so queues in
  the slice are, if anything, a little longer (conservative); the gain of least-loaded routing comes
  from comparing a handful of replicas, and ``MIN_SLICE_REPLICAS`` is past that point;
- a CPU step's pool in the slice gets ``ceil(c x r / R)`` workers (never busier per worker than the
  whole pool), and at least as many as the planner's own Erlang C rule asks for at the slice's rate, so
  its p95 queue wait meets the same small budget (2 % of the TTFT target) as the whole pool's; its
  waits are those of a smaller pool, which at a given load wait longer (conservative, within that
  budget). Per-station utilisation is therefore the slice's; the engine reports the whole pool's
  from the closed form (offered load / workers);
- network hops add latency per request and are unchanged.

Outages in the slice take the same share of its replicas as they take of the fleet, rounded to whole
replicas (an error of at most half a replica of the slice), so a single replica down in a very large
fleet rounds to nothing: its true effect is a fraction of a percent of capacity.

A stated limit, not of the slice: the warm-up is a fixed count of requests (``SIM_WARMUP``), so when a
run holds more requests at once than that (rate x mean end-to-end time), its first measured requests
see batches still filling up (whole-fleet runs too: the chatbot preset holds about 1,600 at once).
Bounding the rate keeps that from growing with the traffic.
"""

from __future__ import annotations

import math

MAX_SIM_RATE_PER_S = 200.0  # requests/s: a peak above this is simulated as a slice of the fleet
MIN_SLICE_REPLICAS = 16  # inference replicas a slice keeps at least, so least-loaded routing still has a choice
ROUNDING_SLACK = 1e-9  # keeps ceil() from adding a worker to a product that is whole up to float error


def sliced_replicas(replicas: int, rate_per_s: float) -> int:
    """Inference replicas a peak simulation runs: all of them, or the slice that keeps the rate bounded."""
    if rate_per_s <= MAX_SIM_RATE_PER_S:
        return replicas
    return min(replicas, max(MIN_SLICE_REPLICAS, math.floor(replicas * MAX_SIM_RATE_PER_S / rate_per_s)))


def slice_share(replicas: int, rate_per_s: float) -> float:
    """The share of the fleet, and of the traffic, a peak simulation runs (1 when it runs all of it).

    Without inference replicas of our own (a managed API serves the model) the slice is the share of the traffic
    that keeps the rate at ``MAX_SIM_RATE_PER_S``: the API serves each request alike, so only the CPU pools shrink.
    """
    if replicas == 0:
        return min(1.0, MAX_SIM_RATE_PER_S / rate_per_s)
    return sliced_replicas(replicas, rate_per_s) / replicas


def sliced_workers(workers: int, share: float, rule_workers: int) -> int:
    """Workers of a CPU pool in the slice: its share rounded up, and at least what the sizing rule asks."""
    if share >= 1.0:
        return workers
    return max(1, rule_workers, math.ceil(workers * share - ROUNDING_SLACK))


def sliced_down(down: int, share: float) -> int:
    """Replicas an outage takes out of the slice: the same share of it, rounded to the nearest."""
    if share >= 1.0:
        return down
    return math.floor(down * share + 0.5)
