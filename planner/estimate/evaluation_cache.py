"""The evaluations this process has made, by their inputs: a what-if computed before returns at once.

``planner.estimate.engine.evaluate`` looks here first. The key is everything an evaluation reads besides the
catalogs (loaded once per process): the assessment and any replaced price rows, GPU specs or API rows, as JSON
text, and the seed. ``Lru`` also keeps the parts of evaluations that other modules reuse
(planner.estimate.fleets: each architecture's simulated fleet, whatever the prices and the team).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable, Mapping, Sequence
from typing import Any, Generic, TypeVar

from pydantic import TypeAdapter

from planner.estimate.results import Evaluation
from planner.inputs.api_catalog import ApiPrice
from planner.inputs.models import Assessment, GpuSpec, InstancePrice

CACHE_SIZE = 32  # evaluations kept per process

INSTANCES = TypeAdapter(tuple[InstancePrice, ...])
GPUS = TypeAdapter(dict[str, GpuSpec])
APIS = TypeAdapter(dict[str, ApiPrice])
CacheKey = tuple[str, str, str, int, str]


def cache_key(assessment: Assessment, instances: Sequence[InstancePrice] | None,
               gpus: Mapping[str, GpuSpec] | None, seed: int,
               api_prices: Mapping[str, ApiPrice] | None = None) -> CacheKey:
    """Everything an evaluation reads besides the catalogs (loaded once per process): its inputs as JSON text."""
    return (assessment.model_dump_json(), "" if instances is None else INSTANCES.dump_json(tuple(instances)).decode(),
            "" if gpus is None else GPUS.dump_json(dict(gpus)).decode(), seed,
            "" if api_prices is None else APIS.dump_json(dict(api_prices)).decode())


K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Lru(Generic[K, V]):
    """The last ``size`` values put, by key; thread-safe. Every one made is emptied by ``clear_evaluation_cache``."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.lock = threading.Lock()
        self.items: OrderedDict[K, V] = OrderedDict()
        _ALL.append(self)

    def get(self, key: K) -> V | None:
        with self.lock:
            found = self.items.get(key)
            if found is not None:
                self.items.move_to_end(key)
            return found

    def put(self, key: K, value: V) -> None:
        with self.lock:
            self.items[key] = value
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.items.clear()


_ALL: list[Lru[Any, Any]] = []
CACHE: Lru[CacheKey, tuple[Evaluation, float]] = Lru(CACHE_SIZE)  # each evaluation with the seconds it took


def clear_evaluation_cache() -> None:
    """Forget every cached evaluation and every part of one (tests and benchmarks that time the computation)."""
    for cache in _ALL:
        cache.clear()
