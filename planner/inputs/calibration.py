"""The serving model's calibration: fitted efficiencies per vendor stack, and the public measurements behind them.

``data/serving_efficiency.csv`` holds one row per GPU vendor (the software stack: CUDA engines on NVIDIA,
ROCm engines on AMD): the share of peak FLOP/s and of peak memory bandwidth (weights and KV cache apart) a
current engine reaches, and its fixed time per iteration. ``bench/calibrate.py`` fits those rows to
``data/serving_measurements.csv`` (every point with its source and date) and writes them back; both files
are validated here like every shipped catalog.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from types import MappingProxyType
from typing import Annotated, Literal

from pydantic import Field

from planner.inputs.catalog import read_csv_records
from planner.inputs.models import GpuVendor, KvPrecision, Precision, Sourced
from planner.inputs.paths import data_dir

EFFICIENCY_FILE = "serving_efficiency.csv"
MEASUREMENTS_FILE = "serving_measurements.csv"

Share = Annotated[float, Field(gt=0.0, le=1.0)]
Metric = Literal["output_tokens_per_s", "tpot_ms", "ttft_ms"]


class VendorEfficiency(Sourced):
    """What an engine on one vendor's stack reaches of the datasheet peaks (fitted by bench/calibrate.py)."""

    vendor: GpuVendor
    compute_efficiency: Share = Field(description="Share of peak dense FLOP/s reached by 16-bit matrix products.")
    weight_read_efficiency: Share = Field(description="Share of peak memory bandwidth reached reading weights.")
    kv_read_efficiency: Share = Field(description="Share of peak memory bandwidth reached reading the KV cache.")
    tp_efficiency: Share = Field(1.0, description="Share of the ideal speed-up kept per doubling of tensor "
                                                  "parallelism.")
    step_overhead_ms: float = Field(ge=0.0, le=100.0, description="Fixed time of each iteration, ms.")
    sequence_overhead_us: float = Field(ge=0.0, le=10_000.0, description="Time per running sequence, us.")
    fp8_compute_factor: float = Field(gt=0.0, le=2.0, description="Compute efficiency at FP8 rates, relative.")
    fp4_compute_factor: float = Field(gt=0.0, le=2.0, description="Compute efficiency at FP4 rates, relative.")
    dequant_flops_per_weight: float = Field(
        gt=0.0, le=10_000.0, description="Time weight-only kernels take to dequantise one weight, in FLOPs at the "
                                         "peak BF16 rate.")
    points: int = Field(ge=0, description="Calibration points the fit used.")
    engine: str = Field(min_length=1, max_length=120, description="The engines the points were measured on.")


class Measurement(Sourced):
    """One public measurement of a serving engine, with the configuration that reproduces it."""

    id: str = Field(min_length=1, max_length=120, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    model_id: str = Field(min_length=1, max_length=60)
    gpu: str = Field(min_length=1, max_length=40)
    gpus: int = Field(ge=1, le=1024)
    tp: int = Field(ge=1, le=1024)
    precision: Precision
    kv_precision: KvPrecision
    engine: str = Field(min_length=1, max_length=120)
    input_tokens: int = Field(ge=1, le=1_000_000)
    output_tokens: int = Field(ge=1, le=1_000_000)
    concurrency: int | None = Field(default=None, ge=1, le=1_000_000)
    metric: Metric
    value: float = Field(gt=0)
    notes: str | None = None


@cache
def load_efficiencies() -> Mapping[str, VendorEfficiency]:
    """The shipped per-vendor efficiencies, keyed by vendor."""
    rows = read_csv_records(data_dir() / EFFICIENCY_FILE, VendorEfficiency, name=f"data/{EFFICIENCY_FILE}",
                            key=lambda r: r.vendor)
    return MappingProxyType({r.vendor: r for r in rows})


def load_measurements() -> tuple[Measurement, ...]:
    """The shipped calibration points (data/serving_measurements.csv)."""
    return tuple(read_csv_records(data_dir() / MEASUREMENTS_FILE, Measurement, name=f"data/{MEASUREMENTS_FILE}",
                                  key=lambda m: m.id))
