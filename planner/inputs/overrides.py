"""Assumption overrides: which catalog assumptions an assessment may replace, and the bounds of each value.

``Assessment.assumption_overrides`` maps a key of data/assumptions.yaml (or a ``serving.<field>`` key of
the serving model, checked by ``planner.estimate.serving.ServingConstants``) to a number. A value must be
finite and at least 0; the keys below have tighter bounds, because a value outside them has no meaning
(a month of more than 744 hours, a utilisation above 1). ``planner.estimate.engine.resolve_constants``
applies the overrides and the store admits an assessment only when they pass (``planner.store.admission``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from planner.inputs.catalog import load_assumptions
from planner.inputs.units import HOURS_PER_WEEK, SECONDS_PER_HOUR

SERVING_OVERRIDE_PREFIX = "serving."  # keys of the serving model's constants (planner.estimate.serving)

# Bounds (low, high) of overridable assumptions beyond "finite and >= 0", in each assumption's own unit.
OVERRIDE_BOUNDS = {
    "hours.per_month": (1.0, 744.0),
    "cpu.target_utilisation": (0.05, 1.0),
    "network.hop_sigma": (0.0, 3.0),
    "mesh.enabled": (0.0, 1.0),
    "gpu.model_load_gb_per_s": (0.01, math.inf),
    "resilience.replica_mtbf_h": (0.01, math.inf),
    "resilience.gpu_mtbf_h": (0.01, math.inf),
    "resilience.cpu_restart_s": (0.1, HOURS_PER_WEEK * SECONDS_PER_HOUR),
    "resilience.detection_s": (0.0, SECONDS_PER_HOUR),
    "deploy.max_unavailable_share": (0.01, 1.0),
    "network.hop_timeout_ms": (0.1, 600_000.0),
    "network.hop_retries": (0.0, 10.0),
    "network.hop_error_rate": (0.0, 1.0),
}


def override_error(key: str, value: float) -> str | None:
    """Why a value cannot replace the assumption ``key`` (outside its bounds, not finite), or None."""
    low, high = OVERRIDE_BOUNDS.get(key, (0.0, math.inf))
    if math.isfinite(value) and low <= value <= high:
        return None
    limit = f"between {low:g} and {high:g}" if math.isfinite(high) else f"at least {low:g}"
    return f"{key} must be {limit}; you entered {value:g}."


def override_errors(overrides: Mapping[str, float], *, other_prefix: str = SERVING_OVERRIDE_PREFIX) -> dict[str, str]:
    """One sentence per bad override of a catalog assumption, at ``assumption_overrides.<key>``.

    Keys starting with ``other_prefix`` belong to another model (the serving constants) and are skipped.
    """
    assumptions = load_assumptions()
    errors: dict[str, str] = {}
    for key, value in overrides.items():
        if key.startswith(other_prefix):
            continue
        problem = (f"'{key}' is not an assumption this planner uses." if key not in assumptions
                   else override_error(key, value))
        if problem:
            errors[f"assumption_overrides.{key}"] = problem
    return errors
