"""The serving model against public measurements: predictions, a least-squares fit per vendor, leave-one-out.

``predict`` reproduces one measurement (``planner.inputs.calibration.Measurement``) with the step model:

- maximum throughput (no concurrency): every replica of ``tp`` GPUs at its batch cap, KV cache reserved for
  the full sequence, the steady state of ``ReplicaModel.throughput``;
- at a fixed concurrency: the same steady state with that many sequences spread over the replicas (output
  tokens/s, or time per output token);
- time to first token at concurrency 1 (or of an idle engine): the prompt's prefill chunks.

Points measured at a fixed request rate, or time to first token under load, depend on queueing the closed
form does not describe; ``predict`` returns None for them and they are left out of fit and report. Points on
engines older than ``CURRENT_SINCE`` or deliberately untuned (``UNTUNED_MARKS``) are reported, not fitted.

``fit`` chooses a vendor's calibrated constants (``CALIBRATED``: compute, weight-read and KV-read efficiency, the
tensor-parallel efficiency, step and per-sequence overhead, and the compute factors of the FP8 and FP4 rates) to
minimise the sum of squared log ratios model/measured (Levenberg-Marquardt with a numerical Jacobian, numpy
only); efficiencies stay in (0, 1) through a logistic parametrisation, the others positive through a log. A
rate's factor is only fitted when some point ran at that rate (``rate_bits``), and the tensor-parallel
efficiency when some point split the model over GPUs; otherwise they keep their starting values.
``leave_one_out`` refits without each point in turn and predicts it, the honest error of a calibrated model.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from functools import cache

import numpy as np

from planner.errors import InfeasibleError
from planner.estimate.serving import plan_replica
from planner.estimate.serving_constants import CALIBRATED, RATE_FACTORS, ServingConstants
from planner.inputs.calibration import Measurement
from planner.inputs.catalog import load_gpus, load_llms

CURRENT_SINCE = "2024-06"  # points measured earlier are reported but not fitted: engines a year apart differ by
# 12-28 % on the same hardware, and the calibration describes the engines of the last two years
FIXED_RATE_MARK = "qps"  # ids of points measured at a fixed request rate carry this
# ids of points measured on a deliberately untuned engine (a tuning guide's baseline, CUDA graphs off): the model
# describes an engine at its best, so they are reported but not fitted
UNTUNED_MARKS = ("-baseline-", "-eager")
MAX_ITERATIONS = 60  # Levenberg-Marquardt steps
STEP_TOLERANCE = 1e-7  # stop when the parameters move less than this (log space)
JACOBIAN_STEP = 1e-4  # finite-difference step in parameter space
START = (0.5, 0.7, 0.5, 0.95, 2.0, 10.0, 1.0, 1.0, 50.0)  # in CALIBRATED's order
EFFICIENCIES = 4  # the first CALIBRATED constants are shares, in (0, 1)


def modelled(point: Measurement) -> bool:
    """Whether the closed form describes the point (not a fixed-rate run, not TTFT under load)."""
    if FIXED_RATE_MARK in point.id.lower():
        return False
    return not (point.metric == "ttft_ms" and (point.concurrency or 1) > 1)


def predict(point: Measurement, constants: ServingConstants | None = None) -> float | None:
    """The model's figure for a measurement's configuration, None if the closed form does not describe it.

    Raises InfeasibleError when the model does not fit the GPUs the point used.
    """
    if not modelled(point):
        return None
    llm, gpu = load_llms()[point.model_id], load_gpus()[point.gpu]
    replica = plan_replica(llm, gpu, point.precision, max_gpus=point.tp, tensor_parallel=point.tp,
                           mean_context_tokens=point.input_tokens + point.output_tokens,
                           constants=constants or ServingConstants(), kv_precision=point.kv_precision)
    if point.metric == "ttft_ms":
        return replica.prefill_s(point.input_tokens) * 1000.0
    replicas = point.gpus // point.tp
    batch = None
    if point.concurrency is not None:
        batch = max(1, min(replica.max_concurrent_sequences, math.ceil(point.concurrency / replicas)))
    estimate = replica.throughput(point.input_tokens, point.output_tokens, batch=batch)
    if point.metric == "tpot_ms":
        return estimate.tpot_ms
    per_replica = estimate.output_tokens_per_s
    if point.concurrency is not None:  # fewer clients than slots: only the busy replicas count
        return per_replica * min(replicas, point.concurrency)
    return per_replica * replicas


def _to_constants(theta: np.ndarray, base: ServingConstants, names: Sequence[str] = CALIBRATED,
                  held: Sequence[float] = START) -> ServingConstants:
    """The constants of a parameter vector over ``names``; the other calibrated constants at ``held``."""
    free = dict(zip(names, theta, strict=True))
    values = {}
    for i, name in enumerate(CALIBRATED):
        if name not in free:
            values[name] = float(held[i])
        elif i < EFFICIENCIES:
            values[name] = float(1.0 / (1.0 + np.exp(-free[name])))
        else:
            values[name] = float(np.exp(np.clip(free[name], -7.0, 7.0)))
    return base.model_copy(update=values)


def _from_values(values: Sequence[float], names: Sequence[str] = CALIBRATED) -> np.ndarray:
    out = []
    for i, name in enumerate(CALIBRATED):
        if name in names:
            v = max(values[i], 1e-3)
            out.append(math.log(min(v, 0.999) / (1.0 - min(v, 0.999))) if i < EFFICIENCIES else math.log(v))
    return np.array(out)


def rate_bits(point: Measurement) -> int:
    """The width of the tensor-core rate a point's matrix products ran at (16, 8 or 4)."""
    return load_gpus()[point.gpu].compute_rate(point.precision)[1]


def fitted_names(points: Sequence[Measurement]) -> tuple[str, ...]:
    """The calibrated constants these points can decide: a rate's factor needs points at that rate and at the
    16-bit rate (else it cannot be told from the compute efficiency), the tensor-parallel efficiency points at
    two degrees or more (at one degree its loss scales every rate alike, as the efficiencies do), and the
    dequantisation cost a point with weight-only quantised weights."""
    rates = {rate_bits(p) for p in points}
    # a factor relates a narrower rate to the 16-bit one: it needs points at both
    undecided = {factor for bits, factor in RATE_FACTORS.items() if bits not in rates or 16 not in rates}
    if len({p.tp for p in points}) < 2:  # one degree only: its loss cannot be told from the efficiencies
        undecided.add("tp_efficiency")
    if not any(load_gpus()[p.gpu].weight_only(p.precision) for p in points):
        undecided.add("dequant_flops_per_weight")
    return tuple(n for n in CALIBRATED if n not in undecided)


def log_ratios(points: Sequence[Measurement], constants: ServingConstants) -> np.ndarray:
    """log(model / measured) of each point."""
    return np.array([math.log(_predicted(p, constants) / p.value) for p in points])


def _predicted(point: Measurement, constants: ServingConstants) -> float:
    value = predict(point, constants)
    if value is None:
        raise ValueError(f"{point.id}: the closed form does not describe this point")
    return value


def fit(points: Sequence[Measurement], base: ServingConstants | None = None,
        start: Sequence[float] = START) -> ServingConstants:
    """The constants minimising the squared log ratios over ``points`` (Levenberg-Marquardt)."""
    base = base or ServingConstants()
    names = fitted_names(points)
    residual: Callable[[np.ndarray], np.ndarray] = lambda t: log_ratios(  # noqa: E731
        points, _to_constants(t, base, names, start))
    theta = _from_values(start, names)
    r = residual(theta)
    damping = 1e-2
    for _ in range(MAX_ITERATIONS):
        jac = np.empty((len(r), len(theta)))
        for j in range(len(theta)):
            shifted = theta.copy()
            shifted[j] += JACOBIAN_STEP
            jac[:, j] = (residual(shifted) - r) / JACOBIAN_STEP
        normal = jac.T @ jac
        step = np.linalg.solve(normal + damping * np.diag(np.diag(normal) + 1e-9), -jac.T @ r)
        candidate = theta + step
        r_new = residual(candidate)
        if float(r_new @ r_new) < float(r @ r):
            theta, r, damping = candidate, r_new, damping / 3.0
            if float(np.max(np.abs(step))) < STEP_TOLERANCE:
                break
        else:
            damping *= 4.0
            if damping > 1e8:
                break
    return _to_constants(theta, base, names, start)


def leave_one_out(points: Sequence[Measurement], base: ServingConstants | None = None,
                  start: Sequence[float] = START) -> list[float]:
    """For each point, model/measured after fitting on all the others (constants no point decides at ``start``)."""
    full = fit(points, base, start)
    start = [float(getattr(full, name)) for name in CALIBRATED]
    ratios = []
    for i, point in enumerate(points):
        others = [p for j, p in enumerate(points) if j != i]
        ratios.append(_predicted(point, fit(others, base, start)) / point.value)
    return ratios


@cache
def _fits(point: Measurement) -> bool:
    try:
        return predict(point) is not None
    except InfeasibleError:
        return False


def usable(points: Sequence[Measurement]) -> list[Measurement]:
    """The points the closed form describes and whose model fits their GPUs."""
    return [p for p in points if _fits(p)]


def vendor_of(point: Measurement) -> str:
    """The vendor stack of a point's GPU (NVIDIA for a GPU without one)."""
    return load_gpus()[point.gpu].vendor or "nvidia"


def calibration_set(points: Sequence[Measurement], vendor: str) -> list[Measurement]:
    """The points a vendor's constants are fitted to: usable, on that vendor's GPUs, measured since CURRENT_SINCE."""
    return [p for p in usable(points) if vendor_of(p) == vendor and p.as_of >= CURRENT_SINCE and not untuned(p)]


def untuned(point: Measurement) -> bool:
    """Whether a point was measured on a deliberately untuned engine (``UNTUNED_MARKS``)."""
    return any(mark in point.id for mark in UNTUNED_MARKS)
