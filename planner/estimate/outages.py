"""When and how much capacity is down: a Monte Carlo of every replica's crashes and repairs.

Each replica of a deployable unit alternates between up (exponential, mean ``mtbf_h``) and down (a
fixed ``mttr_s``, the time to serve again). A month starts in the stationary state (down with
probability MTTR / (MTBF + MTTR), then for a uniform rest of a repair), so a replica's expected down
share is exactly MTTR / (MTBF + MTTR) and months are independent replications: the confidence
interval of any monthly figure is a t-interval across them. Each unit draws from its own seeded
stream, so changing one unit leaves the others' months unchanged. planner.estimate.resilience turns the
time spent with ``j`` replicas down into requests failed or slowed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from planner.estimate.simulation import T_975
from planner.inputs.units import SECONDS_PER_HOUR

OUTAGE_MONTHS = 20  # independent months simulated by default (the CI is across them)


@dataclass(frozen=True)
class UnitModel:
    """The failure and deploy figures of one unit, as the Monte Carlo and the closed forms use them."""

    name: str
    components: tuple[str, ...]
    critical: bool
    replicas: int
    mtbf_h: float
    mttr_s: float  # after a crash, and for each restart of a rolling deploy
    deploys_per_month: float
    batch: int  # replicas restarted at once
    retried: bool  # called over an internal hop that retries on another replica
    in_unit_s: float  # mean time a request spends in the unit (Little's law for in-flight requests)

    @property
    def batches(self) -> int:
        return math.ceil(self.replicas / self.batch)

    @property
    def rollout_s(self) -> float:
        return self.batches * self.mttr_s


@dataclass(frozen=True)
class MonthOutages:
    """One simulated month: time with ``j`` replicas down per unit, whole-unit outages, crashes."""

    down_h: dict[str, dict[int, float]]  # unit -> replicas down (1..n-1) -> hours
    critical_outage_h: float  # union of the times a critical unit has every replica down
    noncritical_outage_h: float
    crashes: dict[str, int]


def batch_sizes(unit: UnitModel) -> list[int]:
    """Replicas down in each batch of one rolling restart (the last batch takes the rest)."""
    full, rest = divmod(unit.replicas, unit.batch)
    return [unit.batch] * full + ([rest] if rest else [])


def _down_intervals(rng: np.random.Generator, mtbf_h: float, mttr_h: float, horizon_h: float
                    ) -> tuple[list[tuple[float, float]], int]:
    """One replica's down intervals within [0, horizon) from the stationary state, and its crash count."""
    intervals: list[tuple[float, float]] = []
    crashes = 0
    if not math.isfinite(mtbf_h):
        return intervals, crashes
    t = 0.0
    if rng.random() < mttr_h / (mtbf_h + mttr_h):  # already down: the rest of a repair
        t = rng.random() * mttr_h
        intervals.append((0.0, min(t, horizon_h)))
    while True:
        t += rng.exponential(mtbf_h)
        if t >= horizon_h:
            return intervals, crashes
        crashes += 1
        intervals.append((t, min(t + mttr_h, horizon_h)))
        t += mttr_h


def _union_h(intervals: list[tuple[float, float]]) -> float:
    total, end = 0.0, -math.inf
    for start, stop in sorted(intervals):
        if stop > end:
            total += stop - max(start, end)
            end = stop
    return total


def simulate_outages(units: Sequence[UnitModel], *, hours_per_month: float, months: int = OUTAGE_MONTHS,
                     seed: int = 0) -> list[MonthOutages]:
    """Crashes and repairs of every replica over ``months`` independent months (seeded per unit)."""
    if months < 1:
        raise ValueError('"months" must be >= 1.')
    rngs = [np.random.default_rng([seed, i]) for i in range(len(units))]
    out = []
    for _ in range(months):
        down_h: dict[str, dict[int, float]] = {}
        crashes: dict[str, int] = {}
        critical_full: list[tuple[float, float]] = []
        other_full: list[tuple[float, float]] = []
        for unit, rng in zip(units, rngs, strict=True):
            events: list[tuple[float, int]] = []
            count = 0
            for _replica in range(unit.replicas):
                intervals, n = _down_intervals(rng, unit.mtbf_h, unit.mttr_s / SECONDS_PER_HOUR, hours_per_month)
                count += n
                for start, stop in intervals:
                    events += [(start, 1), (stop, -1)]
            events.sort()
            times: dict[int, float] = {}
            down, last, full_since = 0, 0.0, 0.0
            for t, change in events:
                if down:
                    times[down] = times.get(down, 0.0) + t - last
                if down + change == unit.replicas:
                    full_since = t
                elif down == unit.replicas:
                    (critical_full if unit.critical else other_full).append((full_since, t))
                down, last = down + change, t
            times.pop(unit.replicas, None)
            down_h[unit.name], crashes[unit.name] = times, count
        out.append(MonthOutages(down_h=down_h, critical_outage_h=_union_h(critical_full),
                                noncritical_outage_h=_union_h(other_full), crashes=crashes))
    return out


def mean_ci(values: Sequence[float]) -> tuple[float, tuple[float, float]]:
    """Mean and 95 % t-interval of independent replications."""
    mean = float(np.mean(values))
    if len(values) < 2:
        return mean, (mean, mean)
    half = T_975[min(len(values) - 1, max(T_975))] * float(np.std(values, ddof=1)) / math.sqrt(len(values))
    return mean, (mean - half, mean + half)
