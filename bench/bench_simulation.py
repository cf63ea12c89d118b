"""Speed of the serving simulation, against a minimal bare-simpy M/M/c model run in the same process.

Prints one ``name=value`` line per figure:

- ``sim_visits_per_s``: station visits per wall-clock second of ``planner.estimate.simulation.simulate`` on a
  single pool of workers (M/M/c, utilisation 0.7, ~100k requests), setup and statistics included;
- ``bare_simpy_visits_per_s``: the same queue written as the shortest simpy model (a source process,
  a customer process, ``random.expovariate``), nothing recorded;
- ``sim_to_bare_ratio``: the first over the second (target >= 0.5);
- ``pipeline_sim_seconds``: wall-clock seconds of one realistic pipeline run (4 CPU stations and a
  model served by 8 continuously batching replicas, 20 requests/s, 5,000 measured requests);
- ``pipeline_hops_sim_seconds``: the same pipeline with a network hop and mesh overhead between stations.

Each figure is the best of ``REPEATS`` runs, as timeit does: noise only ever slows a run down.
Run from the repository root: ``python bench/bench_simulation.py``.
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Generator
from pathlib import Path
from typing import Any

import simpy

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from planner.estimate.simulation import CpuStation, Hop, InferenceStation, SimulationInput, simulate

REPEATS = 3
MMC_SERVERS = 4
MMC_SERVICE_S = 1.0  # mean service time, seconds (exponential)
MMC_UTILISATION = 0.7
MMC_REQUESTS = 100_000
MMC_WARMUP = 1_000
SEED = 42

PIPELINE_RATE_PER_S = 20.0
PIPELINE_REQUESTS = 5_000
PIPELINE_WARMUP = 500
PIPELINE_REPLICAS = 8
PIPELINE_MAX_BATCH = 64
PIPELINE_INPUT_TOKENS = 1_000  # mean, cv 0.5
PIPELINE_OUTPUT_TOKENS = 300  # mean, cv 0.5


def _step_s(batch: int, prefill_tokens: int) -> float:
    """Iteration time: 12 ms fixed, 0.2 ms per running sequence, 10 us per prefilled token."""
    return 0.012 + 0.0002 * batch + 1e-5 * prefill_tokens


def bare_mmc_visits_per_s(n: int, servers: int, arrival_rate: float, service_rate: float, seed: int) -> float:
    """Visits per second of the shortest simpy M/M/c model."""
    rng = random.Random(seed)
    env = simpy.Environment()
    pool = simpy.Resource(env, capacity=servers)

    def customer(env: simpy.Environment) -> Generator[simpy.Event, Any, None]:
        with pool.request() as req:
            yield req
            yield env.timeout(rng.expovariate(service_rate))

    def source(env: simpy.Environment) -> Generator[simpy.Event, Any, None]:
        for _ in range(n):
            yield env.timeout(rng.expovariate(arrival_rate))
            env.process(customer(env))

    env.process(source(env))
    start = time.perf_counter()
    env.run()
    return n / (time.perf_counter() - start)


def sim_mmc_visits_per_s() -> float:
    """Visits per second of ``simulate`` on the same M/M/c queue."""
    inp = SimulationInput(
        stations=[CpuStation(name="workers", servers=MMC_SERVERS, mean_service_s=MMC_SERVICE_S)],
        arrival_rate_per_s=MMC_UTILISATION * MMC_SERVERS / MMC_SERVICE_S,
        n_requests=MMC_REQUESTS,
        warmup_requests=MMC_WARMUP,
        seed=SEED,
    )
    start = time.perf_counter()
    result = simulate(inp)
    return result.station_visits / (time.perf_counter() - start)


def pipeline_input(hop: Hop | None) -> SimulationInput:
    """Gateway, retrieval, prompt building, the model, an output filter."""
    stations: list[CpuStation | InferenceStation] = [
        CpuStation(name="gateway", servers=4, mean_service_s=0.002),
        CpuStation(name="retrieval", servers=4, mean_service_s=0.015),
        CpuStation(name="prompt", servers=4, mean_service_s=0.003),
        InferenceStation(name="llm", replicas=PIPELINE_REPLICAS, max_batch=PIPELINE_MAX_BATCH, step_s=_step_s),
        CpuStation(name="output_filter", servers=4, mean_service_s=0.005),
    ]
    return SimulationInput(
        stations=stations,
        hops=[hop] * len(stations),
        return_hop=hop,
        arrival_rate_per_s=PIPELINE_RATE_PER_S,
        mean_input_tokens=PIPELINE_INPUT_TOKENS,
        input_tokens_cv=0.5,
        mean_output_tokens=PIPELINE_OUTPUT_TOKENS,
        output_tokens_cv=0.5,
        n_requests=PIPELINE_REQUESTS,
        warmup_requests=PIPELINE_WARMUP,
        seed=SEED,
    )


def pipeline_seconds(inp: SimulationInput) -> float:
    start = time.perf_counter()
    simulate(inp)
    return time.perf_counter() - start


def main() -> None:
    sim = max(sim_mmc_visits_per_s() for _ in range(REPEATS))
    bare = max(
        bare_mmc_visits_per_s(
            MMC_REQUESTS + MMC_WARMUP,
            MMC_SERVERS,
            MMC_UTILISATION * MMC_SERVERS / MMC_SERVICE_S,
            1.0 / MMC_SERVICE_S,
            SEED,
        )
        for _ in range(REPEATS)
    )
    print(f"sim_visits_per_s={sim:.0f}")
    print(f"bare_simpy_visits_per_s={bare:.0f}")
    print(f"sim_to_bare_ratio={sim / bare:.2f}")
    plain = pipeline_input(None)
    print(f"pipeline_sim_seconds={min(pipeline_seconds(plain) for _ in range(REPEATS)):.3f}")
    meshed = pipeline_input(Hop(median_ms=0.5, sigma=0.5, extra_ms=1.0))
    print(f"pipeline_hops_sim_seconds={min(pipeline_seconds(meshed) for _ in range(REPEATS)):.3f}")


if __name__ == "__main__":
    main()
