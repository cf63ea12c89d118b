"""Precisions of a served model: its weights (and the tensor-core rate they run at) and its KV cache."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["KvPrecision", "Precision", "kv_precision_for"]


class Precision(StrEnum):
    """Weight precision of the served model, and the tensor-core rate its matrix products run at.

    FP8 and FP4 quantise weights and activations (W8A8, W4A4 as in NVFP4/MXFP4) and run at the GPU's FP8 or
    FP4 rate, falling back to the next wider rate the GPU has. INT8 and INT4 are weight-only (GPTQ, AWQ: W8A16,
    W4A16): fewer bytes to hold and read, but the matrix products run at the BF16 rate. Weights narrower than
    the rate they run at (these, and FP8 or FP4 on a GPU without such units) are dequantised as they are read
    (``GpuSpec.weight_only``).
    """

    BF16 = "bf16"
    FP8 = "fp8"
    INT8 = "int8"
    INT4 = "int4"
    FP4 = "fp4"

    @property
    def bytes_per_param(self) -> float:
        return _BYTES_PER_PARAM[self.value]

    @property
    def bits(self) -> int:
        """Width of one weight in bits."""
        return int(_BYTES_PER_PARAM[self.value] * 8)


_BYTES_PER_PARAM = {"bf16": 2.0, "fp8": 1.0, "int8": 1.0, "int4": 0.5, "fp4": 0.5}


class KvPrecision(StrEnum):
    """Precision of the KV cache; ``kv_precision_for`` gives the default for a weight precision."""

    BF16 = "bf16"
    FP8 = "fp8"

    @property
    def bytes_per_value(self) -> float:
        return 2.0 if self is KvPrecision.BF16 else 1.0


def kv_precision_for(precision: Precision, chosen: KvPrecision | None = None) -> KvPrecision:
    """The KV cache's precision: the one chosen, else FP8 beside FP8 or FP4 weights (as their engines ship them)
    and BF16 beside the others."""
    if chosen is not None:
        return chosen
    return KvPrecision.FP8 if precision in (Precision.FP8, Precision.FP4) else KvPrecision.BF16
