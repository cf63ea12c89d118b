"""The random numbers of a simulation run: one seeded stream per random quantity, drawn in vectorised chunks."""

from __future__ import annotations

import math

import numpy as np

from planner.estimate.simulation.inputs import ApiStation, CpuStation, Hop, SimulationInput
from planner.inputs.units import MS_PER_S, ms_to_s

GAPS, INPUT_TOKENS, OUTPUT_TOKENS, SERVICE, HOP, API_TTFT = range(6)  # the random streams of a run, by what they draw


def draw_tokens(rng: np.random.Generator, mean: float, cv: float, m: int) -> list[int]:
    """``m`` token counts, lognormal with this mean and coefficient of variation (exactly the mean when cv is 0),
    rounded, at least 1."""
    if cv == 0:
        return [max(1, round(mean))] * m
    sigma2 = math.log1p(cv * cv)
    x = rng.lognormal(math.log(mean) - sigma2 / 2, math.sqrt(sigma2), m)
    return np.maximum(1, np.rint(x)).astype(np.int64).tolist()


class _Draws:
    """Per-request random numbers, drawn in vectorised chunks, one seeded stream per quantity.

    Each quantity (arrival gaps, prompt and output lengths, each CPU station's service times, each hop's
    latency) has its own stream, seeded by (seed, quantity, station), and a stream gives the same
    numbers however it is cut into chunks. So request ``rid`` gets the same draws whatever the run's
    length, and the same arrivals and sizes whatever hops and stations the pipeline has: runs of one
    seed share their random numbers (common random numbers), and a run of ``n`` requests is exactly
    the first ``n`` requests of a longer run with the same warm-up.
    """

    def __init__(self, inp: SimulationInput) -> None:
        self.inp = inp
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
        seed = inp.seed
        self.rng_gap, self.rng_in, self.rng_out = (np.random.default_rng([seed, q]) for q in
                                                   (GAPS, INPUT_TOKENS, OUTPUT_TOKENS))
        self.rng_service = {i: np.random.default_rng([seed, SERVICE, i]) for i in self.cpu_stations}
        self.rng_hop = {i: np.random.default_rng([seed, HOP, i]) for i in self.hop_models}
        self.api_stations = {i: st for i, st in enumerate(inp.stations) if isinstance(st, ApiStation)}
        self.api_ttft_s: dict[int, list[float]] = {i: [] for i in self.api_stations}
        self.rng_api = {i: np.random.default_rng([seed, API_TTFT, i]) for i in self.api_stations}
        self.extend(inp.warmup_requests + inp.n_requests)

    @staticmethod
    def _service(rng: np.random.Generator, station: CpuStation, m: int) -> list[float]:
        mean, cv = station.mean_service_s, station.service_cv
        if cv == 0:
            return [mean] * m
        if cv == 1:
            return rng.exponential(mean, m).tolist()
        return rng.gamma(1.0 / (cv * cv), mean * cv * cv, m).tolist()

    @staticmethod
    def _hop(rng: np.random.Generator, hop: Hop, m: int) -> list[float]:
        if hop.median_ms == 0 or hop.sigma == 0:
            return [ms_to_s(hop.median_ms + hop.extra_ms)] * m
        x = rng.lognormal(math.log(hop.median_ms), hop.sigma, m)
        return ((x + hop.extra_ms) / MS_PER_S).tolist()

    def extend(self, m: int) -> None:
        inp = self.inp
        self.gap_s.extend(self.rng_gap.exponential(1.0 / inp.arrival_rate_per_s, m).tolist())
        self.input_tokens.extend(draw_tokens(self.rng_in, inp.mean_input_tokens, inp.input_tokens_cv, m))
        self.output_tokens.extend(draw_tokens(self.rng_out, inp.mean_output_tokens, inp.output_tokens_cv, m))
        for i, station in self.cpu_stations.items():
            self.service_s[i].extend(self._service(self.rng_service[i], station, m))
        for i, hop in self.hop_models.items():
            self.hop_s[i].extend(self._hop(self.rng_hop[i], hop, m))
        for i, api in self.api_stations.items():
            ttft = (api.ttft_median_s * np.exp(api.ttft_sigma * self.rng_api[i].standard_normal(m))
                    + api.prefill_s_per_token
                    * np.maximum(0.0, np.asarray(self.input_tokens[-m:], dtype=float) - api.reference_input_tokens))
            self.api_ttft_s[i].extend(ttft.tolist())
        self.size += m
