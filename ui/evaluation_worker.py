"""What a worker process of the evaluation pool runs (ui.evaluation): no Streamlit here, so workers start light.

Inputs cross the process boundary as JSON text (the same text keys the shared results), the
``Evaluation`` comes back pickled.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pydantic import TypeAdapter

from planner.estimate.engine import evaluate
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


def evaluate_json(assessment_json: str, instances_json: str, gpus_json: str, apis_json: str = "") -> Evaluation:
    """``evaluate`` on inputs given as JSON text ("" for the catalog's prices, GPU specs or API rows)."""
    assessment = Assessment.model_validate_json(assessment_json)
    instances = INSTANCES.validate_json(instances_json) if instances_json else None
    gpus = GPUS.validate_json(gpus_json) if gpus_json else None
    apis = APIS.validate_json(apis_json) if apis_json else None
    return evaluate(assessment, instances=instances, gpus=gpus, api_prices=apis)


def warm_up() -> None:
    """Load the catalogs once when a worker starts, so its first evaluation does not pay for them."""
    load_assumptions()
    load_gpus()
    load_instances()
    load_llms()
