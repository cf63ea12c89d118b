"""The shipped presets as the engine tests need them: with their sourcing, or self-hosted.

The content-generation startup compares a managed API with self-hosting (and uses the API at its own traffic);
tests of the self-hosted fleet, its GPU costs and its resilience take every preset self-hosted.
"""

from __future__ import annotations

from planner.inputs.files import load_presets
from planner.inputs.models import Assessment, InferenceSourcing


def self_hosted(name: str) -> Assessment:
    """A shipped preset with inference on its own GPUs (no managed API named)."""
    return load_presets()[name].model_copy(update={"sourcing": InferenceSourcing()})
