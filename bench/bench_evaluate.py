"""Speed and memory of ``planner.estimate.engine.evaluate``, and of the simulation it rests on.

Prints one ``name=value`` line per figure, each followed where one exists by its target:

- ``evaluation_workers``: the processes an evaluation spreads its architectures over (planner.estimate.parallel:
  one per core, at most 3; ``PLANNER_SIMULATION_WORKERS`` sets it);
- ``evaluate_default_median_s``: median wall-clock seconds of ``evaluate`` on the blank preset over
  ``DEFAULT_RUNS`` runs, after one warm-up run (imports, catalog loading and starting the workers excluded),
  each with the engine's cache of evaluations emptied first; target <= 0.5 (issue 16);
- ``evaluate_default_serial_median_s``: the same with every architecture estimated in this process, one after
  the other (``PLANNER_SIMULATION_WORKERS=1``), measured first in the same run;
- ``resilience_default_median_s`` and ``resilience_share``: of the serial runs, the median seconds spent in
  ``planner.estimate.resilience.assess_resilience`` (crashes, deploys and model updates of the three
  architectures) and its share of the ``evaluate`` time;
- ``evaluate_chatbot_median_s`` and ``evaluate_chatbot_serial_median_s``: the same for the chatbot preset (a
  70B model at 180 requests/s), over ``CHATBOT_RUNS`` runs, with ``resilience_chatbot_share`` and
  ``parallel_speedup_chatbot`` (serial over parallel); target <= 1.5;
- ``attribution_chatbot_s``: median seconds of History's "Explain the change" (``planner.history.attribute``)
  between two saved chatbot assessments that differ in prices (GPUs ``ATTRIBUTION_PRICES`` of the older ones),
  traffic (``ATTRIBUTION_TRAFFIC`` times) and team readiness, over ``ATTRIBUTION_RUNS`` runs, every cache
  emptied before each (as on a server that evaluated neither before); target <= 3;
- ``whatif_cached_median_s``: median seconds of ``evaluate`` on a what-if evaluated before in the
  process (the chatbot preset at 10x its traffic), over ``WHATIF_RUNS`` runs: the engine's cache
  answers; target <= 0.1;
- ``sim_visits_per_s``, ``bare_simpy_visits_per_s``, ``sim_to_bare_ratio``: ``simulate`` on one M/M/c
  pool against the shortest bare-simpy M/M/c model in the same process, same requests, measured by
  bench/bench_simulation.py's functions (best of its ``REPEATS``); target ratio >= 0.8;
- ``peak_rss_mb``: the process's peak resident set size (``resource.getrusage`` ru_maxrss), read at
  the end, so it covers the imports, every evaluation and the simulations; target <= 300;
  ``peak_rss_worker_mb``: the largest worker process's, read once the workers have ended (forked workers
  share most of their pages with this process, which each one's figure counts again).

Run from the repository root: ``python bench/bench_evaluate.py``.
"""

from __future__ import annotations

import os
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

# The repository root, for `planner`; bench_simulation sits next to this script, on the path already.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_simulation import (
    MMC_REQUESTS,
    MMC_SERVERS,
    MMC_SERVICE_S,
    MMC_UTILISATION,
    MMC_WARMUP,
    REPEATS,
    SEED,
    bare_mmc_visits_per_s,
    sim_mmc_visits_per_s,
)
from sqlalchemy import Engine

import planner.estimate.fleets
from planner import history, store
from planner.decide.scoring import recommend
from planner.estimate.engine import evaluate
from planner.estimate.evaluation_cache import clear_evaluation_cache
from planner.estimate.parallel import WORKERS_ENV, shutdown, worker_count
from planner.inputs.catalog import load_instances
from planner.inputs.files import load_presets
from planner.inputs.models import Assessment
from planner.inputs.units import KIB

DEFAULT_RUNS = 5
CHATBOT_RUNS = 3
WHATIF_RUNS = 5
WHATIF_TRAFFIC_FACTOR = 10.0  # the what-if: the chatbot preset's mean and peak traffic times this
EVALUATE_DEFAULT_TARGET_S = 0.5
EVALUATE_CHATBOT_TARGET_S = 1.5
WHATIF_CACHED_TARGET_S = 0.1
ATTRIBUTION_RUNS = 3
ATTRIBUTION_TRAFFIC = 1.3  # the newer assessment's traffic over the older one's
ATTRIBUTION_PRICES = 0.85  # its GPU prices over the older one's
ATTRIBUTION_TARGET_S = 3.0
SIM_TO_BARE_TARGET = 0.8
PEAK_RSS_TARGET_MB = 300.0


class ResilienceTimer:
    """Wraps the engine's resilience step to add up the seconds it takes (the engine looks it up by name)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.inner = planner.estimate.fleets.assess_resilience

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return self.inner(*args, **kwargs)
        finally:
            self.seconds += time.perf_counter() - start


@contextmanager
def simulation_workers(workers: int | None) -> Iterator[None]:
    """Evaluations inside spread over ``workers`` processes (None: the engine's default, one per core)."""
    before = os.environ.pop(WORKERS_ENV, None)
    if workers is not None:
        os.environ[WORKERS_ENV] = str(workers)
    try:
        yield
    finally:
        os.environ.pop(WORKERS_ENV, None)
        if before is not None:
            os.environ[WORKERS_ENV] = before


def median_evaluate_s(assessment: Assessment, runs: int) -> tuple[float, float]:
    """Median seconds of ``evaluate`` over ``runs`` runs after one untimed warm-up run, and of its resilience step
    (0 when the architectures are estimated in worker processes, where this process does not see it)."""
    evaluate(assessment)
    timer = ResilienceTimer()
    planner.estimate.fleets.assess_resilience = timer  # type: ignore[assignment]
    times, resilience = [], []
    try:
        for _ in range(runs):
            clear_evaluation_cache()
            timer.seconds = 0.0
            start = time.perf_counter()
            evaluate(assessment)
            times.append(time.perf_counter() - start)
            resilience.append(timer.seconds)
    finally:
        planner.estimate.fleets.assess_resilience = timer.inner
    return statistics.median(times), statistics.median(resilience)


def median_cached_s(assessment: Assessment, runs: int) -> float:
    """Median seconds of ``evaluate`` on inputs it has evaluated before (one untimed run first)."""
    evaluate(assessment)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        evaluate(assessment)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def attribution_pair(engine: Engine) -> tuple[store.StoredAssessment, store.StoredAssessment]:
    """Two saved chatbot assessments a quarter apart: GPU prices cut, traffic up, the team more ready."""
    old = load_presets()["chatbot_daily_updates"]
    w, team = old.workload, old.team
    new = old.model_copy(update={
        "label": "Next quarter",
        "workload": w.model_copy(update={"mean_requests_per_s": w.mean_requests_per_s * ATTRIBUTION_TRAFFIC,
                                         "peak_requests_per_s": w.peak_requests_per_s * ATTRIBUTION_TRAFFIC}),
        "team": team.model_copy(update={"api_design": team.api_design + 1,
                                        "service_security": team.service_security + 1})})
    cut = [r.model_copy(update={"on_demand_usd_h": round(r.on_demand_usd_h * ATTRIBUTION_PRICES, 4),
                                "committed_usd_h": None if r.committed_usd_h is None
                                else round(r.committed_usd_h * ATTRIBUTION_PRICES, 4)}) for r in load_instances()]
    ids = []
    for assessment, rows in ((old, list(load_instances())), (new, cut)):
        evaluation = evaluate(assessment, instances=rows)
        ids.append(history.save_evaluated(engine, assessment, recommend(assessment, evaluation), evaluation,
                                          prices=rows))
    return (store.load_assessment(engine, assessment_id=ids[0]), store.load_assessment(engine, assessment_id=ids[1]))


def median_attribution_s(runs: int) -> float:
    """Median seconds of History's "Explain the change" between the two, every cache emptied first."""
    with tempfile.TemporaryDirectory() as folder:
        engine = store.get_engine(f"sqlite:///{Path(folder) / 'bench.db'}")
        old, new = attribution_pair(engine)
        times = []
        for _ in range(runs):
            clear_evaluation_cache()
            start = time.perf_counter()
            history.attribute(old, new, engine=engine)
            times.append(time.perf_counter() - start)
        store.dispose_engines()
    return statistics.median(times)


def whatif(assessment: Assessment, factor: float) -> Assessment:
    """The assessment with its mean and peak traffic multiplied by ``factor``."""
    w = assessment.workload
    scaled = w.model_copy(update={"mean_requests_per_s": w.mean_requests_per_s * factor,
                                  "peak_requests_per_s": w.peak_requests_per_s * factor})
    return assessment.model_copy(update={"workload": scaled})


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / KIB  # Linux reports ru_maxrss in kB


def main() -> None:
    presets = load_presets()
    with simulation_workers(1):  # everything in this process: the figures before issue 16's parallel estimates
        serial_default_s, resilience_s = median_evaluate_s(presets["blank"], DEFAULT_RUNS)
        serial_chatbot_s, chatbot_resilience_s = median_evaluate_s(presets["chatbot_daily_updates"], CHATBOT_RUNS)
    print(f"evaluation_workers={worker_count()}")
    default_s, _ = median_evaluate_s(presets["blank"], DEFAULT_RUNS)
    print(f"evaluate_default_median_s={default_s:.3f}")
    print(f"evaluate_default_target_s={EVALUATE_DEFAULT_TARGET_S:g}")
    print(f"evaluate_default_serial_median_s={serial_default_s:.3f}")
    print(f"resilience_default_median_s={resilience_s:.3f}")
    print(f"resilience_share={resilience_s / serial_default_s:.2f}")
    chatbot_s, _ = median_evaluate_s(presets["chatbot_daily_updates"], CHATBOT_RUNS)
    print(f"evaluate_chatbot_median_s={chatbot_s:.3f}")
    print(f"evaluate_chatbot_target_s={EVALUATE_CHATBOT_TARGET_S:g}")
    print(f"evaluate_chatbot_serial_median_s={serial_chatbot_s:.3f}")
    print(f"parallel_speedup_chatbot={serial_chatbot_s / chatbot_s:.2f}")
    print(f"resilience_chatbot_share={chatbot_resilience_s / serial_chatbot_s:.2f}")
    attribution_s = median_attribution_s(ATTRIBUTION_RUNS)
    print(f"attribution_chatbot_s={attribution_s:.3f}")
    print(f"attribution_chatbot_target_s={ATTRIBUTION_TARGET_S:g}")
    cached_s = median_cached_s(whatif(presets["chatbot_daily_updates"], WHATIF_TRAFFIC_FACTOR), WHATIF_RUNS)
    print(f"whatif_cached_median_s={cached_s:.3f}")
    print(f"whatif_cached_target_s={WHATIF_CACHED_TARGET_S:g}")

    sim = max(sim_mmc_visits_per_s() for _ in range(REPEATS))
    rate = MMC_UTILISATION * MMC_SERVERS / MMC_SERVICE_S
    bare = max(bare_mmc_visits_per_s(MMC_REQUESTS + MMC_WARMUP, MMC_SERVERS, rate, 1.0 / MMC_SERVICE_S, SEED)
               for _ in range(REPEATS))
    print(f"sim_visits_per_s={sim:.0f}")
    print(f"bare_simpy_visits_per_s={bare:.0f}")
    print(f"sim_to_bare_ratio={sim / bare:.2f}")
    print(f"sim_to_bare_target={SIM_TO_BARE_TARGET:g}")

    print(f"peak_rss_mb={peak_rss_mb():.0f}")
    print(f"peak_rss_target_mb={PEAK_RSS_TARGET_MB:g}")
    shutdown()  # the workers' peak memory is known once they have ended
    print(f"peak_rss_worker_mb={resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / KIB:.0f}")


if __name__ == "__main__":
    main()
