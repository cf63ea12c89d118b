"""Closed forms of the M/M/c queue (Erlang C), used to size fleets and to validate the simulation.

A pool of ``c`` identical servers takes requests arriving as a Poisson stream at ``lambda`` per
second; each service takes an exponential time with rate ``mu`` per second; a request that finds
every server busy waits in one first-come-first-served queue. The offered load is ``a = lambda/mu``
(in erlangs) and the utilisation ``a/c``. Only a stable system (``a < c``) has a steady state.

Erlang C is computed through the Erlang B recursion, which needs no factorials or powers and so
stays finite for thousands of servers. Unstable systems: ``erlang_c`` returns 1.0 (every request
waits), the waiting-time functions return ``math.inf``.
"""

from __future__ import annotations

import math

# Capacity sizing keeps some headroom even when the wait target alone would allow more load: above
# ~85 % the wait grows steeply with small forecast errors (a common rule of thumb, our assumption).
DEFAULT_MAX_UTILISATION = 0.85  # share of the pool's capacity, 0-1
DEFAULT_QUANTILE = 0.95  # the wait percentile capacity sizing targets
MAX_SERVERS = 10_000_000  # beyond this a search is a runaway, not a fleet


def _check_positive(name: str, value: float) -> None:
    if not value > 0 or not math.isfinite(value):
        raise ValueError(f'"{name}" must be > 0.')


def _check_servers(servers: int) -> None:
    if isinstance(servers, bool) or not isinstance(servers, int):
        raise ValueError('"servers" must be an integer.')
    if servers <= 0:
        raise ValueError('"servers" must be > 0.')


def _check_quantile(q: float) -> None:
    if not 0 < q < 1:
        raise ValueError('"q" must be > 0 and < 1.')


def _erlang_c_from_b(servers: int, offered_load: float, erlang_b: float) -> float:
    """Erlang C from Erlang B of the same pool: C = c B / (c - a (1 - B))."""
    return servers * erlang_b / (servers - offered_load * (1.0 - erlang_b))


def erlang_b(servers: int, offered_load: float) -> float:
    """Blocking probability of an M/M/c/c loss system (Erlang B), by the stable recursion."""
    _check_servers(servers)
    if offered_load < 0 or not math.isfinite(offered_load):
        raise ValueError('"offered_load" must be >= 0.')
    b = 1.0
    for k in range(1, servers + 1):
        b = offered_load * b / (k + offered_load * b)
    return b


def erlang_c(servers: int, offered_load: float) -> float:
    """Probability that a request waits in an M/M/c queue (Erlang C); 1.0 when ``a >= c``."""
    b = erlang_b(servers, offered_load)
    if offered_load >= servers:
        return 1.0
    return _erlang_c_from_b(servers, offered_load, b)


def _check_rates(arrival_rate: float, service_rate: float) -> None:
    if arrival_rate < 0 or not math.isfinite(arrival_rate):
        raise ValueError('"arrival_rate" must be >= 0.')
    _check_positive("service_rate", service_rate)


def mmc_mean_wait_s(arrival_rate: float, service_rate: float, servers: int) -> float:
    """Mean time in queue (before service) of an M/M/c queue, seconds; ``inf`` when unstable."""
    _check_rates(arrival_rate, service_rate)
    _check_servers(servers)
    a = arrival_rate / service_rate
    if a >= servers:
        return math.inf
    return erlang_c(servers, a) / (servers * service_rate - arrival_rate)


def _wait_quantile(prob_wait: float, drain_rate: float, q: float) -> float:
    # P(W > t) = C exp(-(c mu - lambda) t): zero below the atom at 0, exponential tail above it.
    if prob_wait <= 1.0 - q:
        return 0.0
    return math.log(prob_wait / (1.0 - q)) / drain_rate


def mmc_wait_quantile_s(arrival_rate: float, service_rate: float, servers: int, q: float) -> float:
    """The q-quantile of the time in queue of an M/M/c queue, seconds; ``inf`` when unstable."""
    _check_rates(arrival_rate, service_rate)
    _check_servers(servers)
    _check_quantile(q)
    a = arrival_rate / service_rate
    if a >= servers:
        return math.inf
    return _wait_quantile(erlang_c(servers, a), servers * service_rate - arrival_rate, q)


def mm1_sojourn_quantile_s(arrival_rate: float, service_rate: float, q: float) -> float:
    """The q-quantile of the time in system (wait + service) of an M/M/1 queue, seconds."""
    _check_rates(arrival_rate, service_rate)
    _check_quantile(q)
    if arrival_rate >= service_rate:
        return math.inf
    # The M/M/1 sojourn time is exponential with rate mu - lambda.
    return -math.log(1.0 - q) / (service_rate - arrival_rate)


def min_servers_for_wait(
    arrival_rate: float,
    service_rate: float,
    target_wait_quantile_s: float,
    q: float = DEFAULT_QUANTILE,
    max_utilisation: float = DEFAULT_MAX_UTILISATION,
) -> int:
    """Smallest server count whose q-quantile wait is within the target and utilisation within the cap."""
    _check_rates(arrival_rate, service_rate)
    _check_quantile(q)
    if target_wait_quantile_s < 0 or math.isnan(target_wait_quantile_s):
        raise ValueError('"target_wait_quantile_s" must be >= 0.')
    if not 0 < max_utilisation <= 1:
        raise ValueError('"max_utilisation" must be > 0 and <= 1.')
    a = arrival_rate / service_rate
    if a == 0:
        return 1
    # Start at the fewest servers that are stable and within the utilisation cap, then walk up;
    # Erlang B is carried along the walk, so the whole search costs O(final c).
    start = max(1, math.floor(a) + 1, math.ceil(a / max_utilisation - 1e-12))
    if start > MAX_SERVERS:
        raise ValueError('"arrival_rate" needs more than MAX_SERVERS servers.')
    b = erlang_b(start, a)
    c = start
    while True:
        wait = _wait_quantile(_erlang_c_from_b(c, a, b), c * service_rate - arrival_rate, q)
        if wait <= target_wait_quantile_s:
            return c
        c += 1
        if c > MAX_SERVERS:
            raise ValueError('"target_wait_quantile_s" needs more than MAX_SERVERS servers.')
        b = a * b / (c + a * b)
