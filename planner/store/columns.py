"""The JSON columns of an assessment row, written and read: price snapshot, triggers, results, short texts.

``planner.store.assessments`` builds every assessment row's columns with these, so a save, an import and a
consensus write the same JSON, and the two forms of the price snapshot column (a plain list of instance rows,
or instances with the GPU specs they use) both load.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from planner.decide.results import RevisitTrigger
from planner.errors import StoreError
from planner.inputs.limits import SHORT_TEXT_MAX_CHARS
from planner.inputs.models import GpuSpec, InstancePrice
from planner.inputs.text import control_characters

MAX_SNAPSHOT_ROWS = 5_000  # instance price rows (and GPU spec rows) kept with one assessment


def encode_snapshot(rows: Sequence[InstancePrice] | None, gpus: Sequence[GpuSpec] | None = None) -> str | None:
    """The price snapshot column: a plain list of instance rows, or with GPU specs an object of both."""
    if rows is None:
        if gpus is not None:
            raise StoreError("GPU specs are kept only with a price snapshot (the instance rows that use them).")
        return None
    if len(rows) > MAX_SNAPSHOT_ROWS or not all(isinstance(r, InstancePrice) for r in rows):
        raise StoreError(f"The price snapshot must be at most {MAX_SNAPSHOT_ROWS} instance price rows.")
    instances = [r.model_dump(mode="json") for r in rows]
    if gpus is None:
        return json.dumps(instances, ensure_ascii=False)
    if len(gpus) > MAX_SNAPSHOT_ROWS or not all(isinstance(g, GpuSpec) for g in gpus):
        raise StoreError(f"The GPU specs of a price snapshot must be at most {MAX_SNAPSHOT_ROWS} GPU spec rows.")
    names = [g.gpu for g in gpus]
    if len(set(names)) != len(names):
        twice = sorted({n for n in names if names.count(n) > 1})
        raise StoreError(f"The GPU specs of a price snapshot name a GPU type more than once: {', '.join(twice)}.")
    return json.dumps({"instances": instances, "gpus": [g.model_dump(mode="json") for g in gpus]},
                      ensure_ascii=False)


def decode_snapshot(
    snapshot_json: str | None,
) -> tuple[tuple[InstancePrice, ...] | None, tuple[GpuSpec, ...] | None]:
    """The instance rows and GPU specs of a price snapshot column (GPU specs None in the older list form)."""
    if snapshot_json is None:
        return None, None
    data = json.loads(snapshot_json)
    if isinstance(data, list):  # written before GPU specs were kept with the snapshot
        return tuple(InstancePrice.model_validate(r) for r in data), None
    if not isinstance(data, dict):
        raise ValueError("the price snapshot is neither a list of instance rows nor an object of rows and GPU specs")
    return (tuple(InstancePrice.model_validate(r) for r in data["instances"]),
            tuple(GpuSpec.model_validate(g) for g in data["gpus"]))


def encode_triggers(triggers: Sequence[RevisitTrigger]) -> str:
    if not all(isinstance(t, RevisitTrigger) for t in triggers):
        raise StoreError("The revisit triggers must be RevisitTrigger records.")
    return json.dumps([t.model_dump(mode="json") for t in triggers], ensure_ascii=False)


def encode_results(results: dict[str, Any]) -> str:
    if not isinstance(results, dict):
        raise StoreError(f"The results to save must be a dict, not {type(results).__name__}.")
    try:
        encoded = json.dumps(results, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise StoreError(
            f"The results cannot be written as JSON and were not saved ({exc}); pass plain numbers, "
            "text, lists and dicts, e.g. model.model_dump(mode='json')."
        ) from exc
    if json.loads(encoded) != results:
        raise StoreError(
            "The results would change when written as JSON (non-text dict keys or tuples?) and were not "
            "saved; pass model.model_dump(mode='json')."
        )
    return encoded


def short_text(what: str, value: str) -> str:
    if not isinstance(value, str) or not 1 <= len(value.strip()) <= SHORT_TEXT_MAX_CHARS or control_characters(value):
        raise StoreError(f"The {what} must be text of 1 to {SHORT_TEXT_MAX_CHARS} characters, without control "
                         "characters.")
    return value.strip()
