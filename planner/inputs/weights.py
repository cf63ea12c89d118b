"""The recommendation's weights and reason templates (data/scoring.yaml), read by one loader.

The file belongs to the recommendation (planner.decide), but its ``readiness`` block also sizes the
people cost of an estimate (planner.estimate.costs through planner.inputs.readiness), so the loader
sits with the inputs where both can read it.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

from planner.inputs.paths import data_file

WEIGHTS_FILE = data_file("scoring.yaml")


@cache
def load_weights(path: Path = WEIGHTS_FILE) -> dict[str, Any]:
    """The scoring weights and reason templates (data/scoring.yaml)."""
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data
