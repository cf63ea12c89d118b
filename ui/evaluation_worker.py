"""What a worker process of the evaluation pool runs (ui.evaluation): no Streamlit here, so workers start light.

Inputs cross the process boundary as JSON text (the same text keys the shared results), the
``Evaluation`` comes back pickled. Progress goes back as it happens: each stage ``evaluate`` reports is put on the
pool's queue (given to every worker when it starts) as (the evaluation's progress id, stage, share done).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from multiprocessing.queues import Queue
from typing import Any

from pydantic import TypeAdapter

from planner.estimate import parallel
from planner.estimate.engine import Progress, evaluate
from planner.estimate.results import Evaluation
from planner.inputs.api_catalog import ApiPrice
from planner.inputs.catalog import load_assumptions, load_gpus, load_instances, load_llms
from planner.inputs.models import Assessment, GpuSpec, InstancePrice

INSTANCES = TypeAdapter(tuple[InstancePrice, ...])
GPUS = TypeAdapter(dict[str, GpuSpec])
APIS = TypeAdapter(dict[str, ApiPrice])


def prices_json(instances: Sequence[InstancePrice] | None, gpus: Mapping[str, GpuSpec] | None,
                apis: Mapping[str, ApiPrice] | None = None) -> tuple[str, str, str]:
    """The JSON text of a price list's rows, GPU specs and managed-API rows ("" for the catalog's)."""
    return ("" if instances is None else INSTANCES.dump_json(tuple(instances)).decode(),
            "" if gpus is None else GPUS.dump_json(dict(gpus)).decode(),
            "" if apis is None else APIS.dump_json(dict(apis)).decode())


_progress_queue: Queue[Any] | None = None  # this worker's way back to the pool's owner (warm_up sets it)


def evaluate_json(assessment_json: str, instances_json: str, gpus_json: str, apis_json: str = "", *,
                  progress_id: str = "", progress: Progress | None = None) -> Evaluation:
    """``evaluate`` on inputs given as JSON text ("" for the catalog's prices, GPU specs or API rows).

    ``progress`` hears each stage in this process; in a pool worker, ``progress_id`` names the evaluation on the
    pool's progress queue instead.
    """
    assessment = Assessment.model_validate_json(assessment_json)
    instances = INSTANCES.validate_json(instances_json) if instances_json else None
    gpus = GPUS.validate_json(gpus_json) if gpus_json else None
    apis = APIS.validate_json(apis_json) if apis_json else None
    queue = _progress_queue
    if progress is None and progress_id and queue is not None:
        def progress(stage: str, share: float) -> None:
            queue.put((progress_id, stage, share))
    return evaluate(assessment, instances=instances, gpus=gpus, api_prices=apis, progress=progress)


def evaluate_many_json(keys: list[tuple[str, str, str, str]], *, progress_id: str = "",
                       on_done: Callable[[int], None] | None = None) -> list[Evaluation]:
    """``evaluate_json`` on each key in turn, in this one process (so each simulated fleet is made once for every
    price list and team, planner.estimate.fleets); after each, ``on_done`` hears how many are done, or, in a pool
    worker, the pool's queue hears (``progress_id``, that count as text, the share done)."""
    queue = _progress_queue
    out = []
    for key in keys:
        out.append(evaluate_json(*key))
        if on_done is not None:
            on_done(len(out))
        elif progress_id and queue is not None:
            queue.put((progress_id, str(len(out)), len(out) / len(keys)))
    return out


def warm_up(queue: Queue[Any] | None = None) -> None:
    """Load the catalogs once when a worker starts, so its first evaluation does not pay for them, and start the
    processes its evaluations spread their architectures over (planner.estimate.parallel); keep the pool's progress
    queue."""
    global _progress_queue
    _progress_queue = queue
    load_assumptions()
    load_gpus()
    load_instances()
    load_llms()
    parallel.start()  # forked now, while this worker runs one thread: they share its loaded catalogs
