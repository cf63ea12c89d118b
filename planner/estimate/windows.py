"""Disturbed windows, re-simulated: the share of requests an outage of ``j`` replicas pushes over a target.

The existing simulation core (planner.estimate.simulation) runs the peak pipeline with each needed
outage (``j`` replicas of a unit out of service for its restart time) laid out one after another, each
followed by a quiet gap for its backlog to drain, and again without the outages on the same random
numbers (common random numbers, so the difference is not noise; the run without them is the
architecture's own peak run when that one has enough requests, see ``simulation.draws._Draws``); the
extra requests over a latency target, per request arriving in a window, is that window's slowed share.
A window longer than ``WINDOW_REQUESTS`` arrivals is simulated for that many and the extra misses of
the requests arriving in it are scaled to its full length (those of the backlog after it are counted once, or scaled too
when the capacity left is below the load). A CPU outage after which Erlang C still meets the sizing
rule's wait target is not simulated (its share is 0). The noise of each window's extra misses (batch
means over its requests) is kept as a variance, which widens the availability interval
(planner.estimate.resilience, step 2 of its method). On a fleet too large to simulate whole, the windows
run on its slice (planner.estimate.slicing): the slice's rate, and outages of the same share of its replicas.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from planner.estimate.capacity import CPU_WAIT_SHARE_OF_TTFT, SIM_WARMUP, FleetPlan, InferenceOption, simulation_input
from planner.estimate.outages import UnitModel
from planner.estimate.queueing import mmc_wait_quantile_s
from planner.estimate.simulation import (
    CpuStation,
    InferenceStation,
    Outage,
    over_targets,
    simulate_misses,
    station_size,
)
from planner.estimate.slicing import slice_share, sliced_down
from planner.estimate.topology import Topology
from planner.inputs.models import Assessment
from planner.inputs.units import ms_to_s

WINDOW_REQUESTS = 400  # most arrivals simulated inside one disturbed window
TAIL_REQUESTS = 150  # measured arrivals after the window, so its backlog drains within the count
WINDOW_WARMUP = SIM_WARMUP  # requests before the window, discarded: the peak run's, so it is the reference
P95_Q = 0.95
VARIANCE_BATCHES = 10  # batches of a window's requests for the variance of its extra misses
MIN_VARIANCE_BATCH = 10  # requests
ARRIVAL_MARGIN = 1.1  # arrivals drawn beyond the laid-out windows' expected count (Poisson spread)


class WindowShares:
    """Share of the requests arriving in a window that an outage of ``j`` replicas pushes over a target.

    Every outage an architecture needs is laid out in one run, one after the other, each followed by a
    quiet gap at least as long as itself so that its backlog drains before the next; the same run
    without the outages (same random numbers) is the reference. Two runs per architecture, whatever
    the number of windows: the cost of a run is mostly its drain (the slowest requests finishing).
    """

    def __init__(self, topology: Topology, assessment: Assessment, plan: FleetPlan, constants: dict[str, float],
                 seed: int) -> None:
        self.topology, self.assessment, self.plan = topology, assessment, plan
        self.constants, self.seed = constants, seed
        # The simulated rate: the whole peak, or the slice's share of it on a large fleet (planner.estimate.slicing).
        probe = simulation_input(topology, assessment, plan.option, plan.inference_replicas_peak, plan.cpu_workers,
                                 constants, seed, n_requests=1)
        self.rate, self.stations = probe.arrival_rate_per_s, probe.stations
        self.slice_share = slice_share(plan.inference_replicas_peak, assessment.workload.peak_requests_per_s)
        self.simulated = 0  # simulation runs (the benchmark reports it)
        self._shares: dict[tuple[str, int], float] = {}
        self.variances: dict[tuple[str, int], float] = {}  # of each share, from the run's own noise

    def _outages(self, unit: UnitModel, down: int, start_s: float, duration_s: float) -> list[Outage]:
        out = []
        for i, station in enumerate(self.stations):
            if station.name not in unit.components:
                continue
            size = station_size(station)
            if isinstance(station, CpuStation):
                lost = math.floor(size * down / unit.replicas + 0.5)
            else:  # our own model replicas (a provider's API is no unit of ours, so never here)
                assert isinstance(self.plan.option, InferenceOption)
                lost = sliced_down(down * self.plan.option.replicas_per_instance, self.slice_share)
            lost = min(lost, size - 1)
            if lost > 0:
                out.append(Outage(station=i, down=lost, start_s=start_s, duration_s=duration_s))
        return out

    def _harmless(self, outages: list[Outage]) -> bool:
        """Whether every outage is on CPU workers that still meet the sizing rule's p95 wait (Erlang C)."""
        target_s = ms_to_s(self.assessment.workload.p95_ttft_ms * CPU_WAIT_SHARE_OF_TTFT)
        for outage in outages:
            station = self.stations[outage.station]
            if not isinstance(station, CpuStation):
                return False
            left = station.servers - outage.down
            if mmc_wait_quantile_s(self.rate, 1.0 / station.mean_service_s, left, P95_Q) > target_s:
                return False
        return True

    def _overloaded(self, outages: list[Outage]) -> bool:
        """Whether the capacity left is below the peak load, so the backlog grows with the window's length."""
        for outage in outages:
            station = self.stations[outage.station]
            if isinstance(station, CpuStation):
                capacity = (station.servers - outage.down) / station.mean_service_s
            else:
                assert isinstance(station, InferenceStation) and isinstance(self.plan.option, InferenceOption)
                capacity = (station.replicas - outage.down) * self.plan.option.replica_requests_per_s
            if capacity < self.rate:
                return True
        return False

    def _run(self, n_requests: int, outages: list[Outage]) -> tuple[np.ndarray, np.ndarray]:
        """Arrival times (s after the window start) and target misses (1.0 or 0.0) of the measured requests."""
        reference = self.plan.simulation
        if not outages and reference.arrival_samples_s is not None and reference.n_requests >= n_requests:
            # The peak run has the same inputs, warm-up and random numbers: its first requests are this run.
            w = self.assessment.workload
            ttft, e2e = np.asarray(reference.ttft_samples_ms), np.asarray(reference.e2e_samples_ms)
            misses = over_targets(ttft[:n_requests], e2e[:n_requests], w.p95_ttft_ms, w.p95_e2e_ms)
            return np.asarray(reference.arrival_samples_s)[:n_requests], misses.astype(float)
        self.simulated += 1
        inp = simulation_input(self.topology, self.assessment, self.plan.option,
                               self.plan.inference_replicas_peak, self.plan.cpu_workers, self.constants, self.seed,
                               n_requests=n_requests, warmup=WINDOW_WARMUP).model_copy(update={"outages": outages})
        run = simulate_misses(inp)
        return run.arrival_s, run.missed.astype(float)

    def prepare(self, wanted: Sequence[tuple[UnitModel, int]]) -> None:
        """Simulate the windows of every (unit, replicas down) wanted, in one run and its reference."""
        layout = []  # (unit, down, outages, start s, window s, gap s)
        t = 0.0
        for unit, down in wanted:
            if (unit.name, down) in self._shares:
                continue
            window_s = min(unit.mttr_s, WINDOW_REQUESTS / self.rate)
            outages = self._outages(unit, down, t, window_s)
            if not outages or self._harmless(outages):
                self._shares[(unit.name, down)] = 0.0
                continue
            gap_s = max(TAIL_REQUESTS / self.rate, window_s)
            layout.append((unit, down, outages, t, window_s, gap_s))
            t += window_s + gap_s
        if not layout:
            return
        n_requests = math.ceil(self.rate * t * ARRIVAL_MARGIN) + TAIL_REQUESTS
        arrivals, base = self._run(n_requests, [])
        _, hit = self._run(n_requests, [o for entry in layout for o in entry[2]])
        extra = hit - base
        for unit, down, outages, start, window_s, gap_s in layout:
            inside = (arrivals >= start) & (arrivals < start + window_s)
            after = (arrivals >= start + window_s) & (arrivals < start + window_s + gap_s)
            scale = unit.mttr_s / window_s
            after_scale = scale if self._overloaded(outages) else 1.0
            excess = float(extra[inside].sum()) * scale + float(extra[after].sum()) * after_scale
            requests = self.rate * unit.mttr_s
            self._shares[(unit.name, down)] = min(1.0, max(0.0, excess) / requests)
            self.variances[(unit.name, down)] = (_sum_variance(extra[inside]) * scale ** 2
                                                 + _sum_variance(extra[after]) * after_scale ** 2) / requests ** 2

    def share(self, unit: UnitModel, down: int) -> float:
        """The slowed share for ``down`` of the unit's replicas out for its restart time (0 when none).

        Extra misses among the requests arriving in the simulated window scale with the real window's
        length; those arriving after it (the backlog draining) are counted once, or scaled as well when
        the capacity left is below the load (the backlog then grows with the window).
        """
        if (unit.name, down) not in self._shares:
            self.prepare([(unit, down)])
        return self._shares[(unit.name, down)]

    def weights(self, unit: UnitModel, down: int) -> dict[tuple[str, int], float]:
        """The simulated shares whose linear blend stands for ``down`` replicas down (1 and the batch size)."""
        points = sorted({1, unit.batch} & set(range(1, unit.replicas)))
        if not points or down >= unit.replicas:
            return {}
        if down in points:
            return {(unit.name, down): 1.0}
        j0, j1 = (points[0], points[-1]) if len(points) > 1 else (0, points[0])
        alpha = (down - j0) / (j1 - j0)
        blend = {(unit.name, j1): alpha}
        if j0:
            blend[(unit.name, j0)] = 1.0 - alpha
        return blend

    def interpolated(self, unit: UnitModel, down: int) -> float:
        """The share for any replicas down, linear between (and beyond) the simulated 1 and batch sizes."""
        blend = self.weights(unit, down)
        return min(1.0, max(0.0, sum(w * self.share(unit, key[1]) for key, w in blend.items())))


def _sum_variance(x: np.ndarray) -> float:
    """Variance of the sum of a correlated series, by batch means (0 when too short to tell)."""
    b = min(VARIANCE_BATCHES, len(x) // MIN_VARIANCE_BATCH)
    if b < 2:
        return 0.0
    m = len(x) // b
    sums = x[len(x) - b * m:].reshape(b, m).sum(axis=1)
    return float(np.var(sums, ddof=1)) * b * (len(x) / (b * m)) ** 2
