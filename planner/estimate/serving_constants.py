"""The serving model's assumptions: engine levers and efficiencies, each overridable as ``serving.<field>``.

Two kinds of field:

- **Engine levers**, the settings of a current serving engine that decide a fleet: the token budget of an
  iteration (chunked prefill), prefix caching, speculative decoding, expert parallelism. Their defaults are
  what vLLM, SGLang and TensorRT-LLM ship (a token budget of 8,192; no speculation; no prefix reuse assumed).
- **Efficiencies**, the share of a GPU's datasheet peaks an engine reaches. Left empty they come from the
  calibration of the GPU's vendor stack (``data/serving_efficiency.csv``, fitted by ``bench/calibrate.py``);
  a value given here replaces the calibrated one for every GPU.

Files written before the step model may override ``serving.bandwidth_efficiency`` (now the weight- and
KV-read efficiencies) or ``serving.prefill_efficiency`` (now ``compute_efficiency``); both still load.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from planner.inputs.calibration import VendorEfficiency, load_efficiencies

OVERRIDE_PREFIX = "serving."  # prefix of this module's keys in assumption_overrides
DEFAULT_VENDOR = "nvidia"  # the stack whose calibration a GPU without a vendor uses
CALIBRATED = ("compute_efficiency", "weight_read_efficiency", "kv_read_efficiency", "tp_efficiency",
              "step_overhead_ms", "sequence_overhead_us", "fp8_compute_factor", "fp4_compute_factor",
              "dequant_flops_per_weight")
RATE_FACTORS = {8: "fp8_compute_factor", 4: "fp4_compute_factor"}  # the factor of each narrower tensor-core rate
# Where a default that is not an engine's own setting comes from (the others: the engines' shipped defaults); the
# assumptions table shows it beside the field's description.
SOURCES = {
    "pcie_allreduce_gb_s": "NCCL's bandwidth of a PCIe Gen4 x16 link (24 GB/s); nccl-tests all_reduce_perf on four "
                           "PCIe Gen4 GPUs: 25.7-26.0 GB/s bus bandwidth (github.com/tinygrad/open-gpu-kernel-modules "
                           "issue 36)",
    "pcie_allreduce_latency_us": "nccl-tests all_reduce_perf on eight PCIe Gen4 GPUs: 37-42 us for the smallest "
                                 "message (github.com/NVIDIA/nccl issue 1530, 2024)",
    "allreduce_latency_us": "NCCL over NVLink on eight-GPU H100 machines: about 6 us for small messages on two GPUs "
                            "(github.com/NVIDIA/nccl issue 1259, 2024), more with more GPUs; rounded up to 10",
    "overlap_exponent": "bench/calibrate.py --sweep-overlap: refitted at 1, 1.25, 1.5, 1.75, 2, 3 and 16, "
                        "all 102 leave-one-out ratios fall within 0.8-1.25 at 1.5 and 1.75 (101 at 1.25, 100 at 1 and "
                        "2, 97 at 3, 95 at 16, the plain maximum), the rms log error 0.095-0.106 from 1 to 2; 1.5 has "
                        "the smaller error of the two. Nearer 1 a compute-bound prefill would pay its whole weight "
                        "read on top",
}
SOURCE_AS_OF = {"overlap_exponent": "2026-12"}  # the date of a SOURCES entry that is not the engines' defaults' date
# keys of earlier serving models whose meaning no later field keeps: still accepted, no longer used
RETIRED_KEYS = {
    "int4_read_factor": "replaced in 2026-12 by serving.dequant_flops_per_weight: weight-only kernels pay a "
                        "dequantisation time per weight rather than a slower read",
}
LEGACY_KEYS = {  # keys of the first serving model, still accepted
    "bandwidth_efficiency": ("weight_read_efficiency", "kv_read_efficiency"),
    "prefill_efficiency": ("compute_efficiency",),
}
Efficiency = Annotated[float, Field(gt=0.0, le=1.0)]  # a share of a peak figure that an engine reaches


class ServingConstants(BaseModel):
    """Engine levers and efficiencies of the serving model; every field can be overridden by the user."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    compute_efficiency: Efficiency | None = Field(
        None, description="Share of peak dense FLOP/s reached by matrix products at 16-bit (BF16) rates; empty: "
                          "calibrated per vendor.")
    fp8_compute_factor: float | None = Field(
        None, gt=0.0, le=2.0,
        description="At FP8 rates, the compute efficiency times this (narrower tensor-core rates are "
                    "harder to keep fed, and the layers around the matrix products stay at 16 bits); empty: "
                    "calibrated per vendor.")
    fp4_compute_factor: float | None = Field(
        None, gt=0.0, le=2.0,
        description="At FP4 rates, the compute efficiency times this; empty: calibrated per vendor.")
    dequant_flops_per_weight: float | None = Field(
        None, gt=0.0, le=10_000.0,
        description="Weight-only quantisation (INT8, INT4; FP8 or FP4 on a GPU without such units): the kernels "
                    "turn every weight they read back into 16 bits, which takes as long as this many FLOPs at the "
                    "GPU's peak BF16 rate, per weight, on top of the read; empty: calibrated per vendor.")
    weight_read_efficiency: Efficiency | None = Field(
        None, description="Share of peak memory bandwidth reached reading weights; empty: calibrated per vendor.")
    kv_read_efficiency: Efficiency | None = Field(
        None, description="Share of peak memory bandwidth reached reading the KV cache; empty: calibrated.")
    step_overhead_ms: float | None = Field(
        None, ge=0.0, le=1000.0,
        description="Fixed time of each iteration (scheduler, kernel launches), ms; empty: calibrated per vendor.")
    sequence_overhead_us: float | None = Field(
        None, ge=0.0, le=10_000.0,
        description="Time each iteration spends per running sequence beside the model (scheduling, sampling, "
                    "detokenising), microseconds; empty: calibrated per vendor.")
    prefill_token_budget: int = Field(
        8192, ge=64, le=1_048_576,
        description="Tokens one iteration processes at most, decode and prefill chunks together (chunked "
                    "prefill; 8,192 is the default of vLLM, SGLang and TensorRT-LLM).")
    prefix_cache_hit_rate: float = Field(
        0.0, ge=0.0, le=0.99,
        description="Share of input tokens found in the prefix cache (a shared system prompt); they are not "
                    "prefilled again but still attended to.")
    spec_draft_tokens: int = Field(
        0, ge=0, le=16, description="Speculative decoding: tokens drafted per step (0: off).")
    spec_acceptance_rate: float = Field(
        0.7, ge=0.0, le=1.0, description="Speculative decoding: chance that each drafted token is accepted.")
    spec_draft_cost: float = Field(
        0.05, ge=0.0, le=1.0,
        description="Speculative decoding: time to draft one token, as a share of a batch-1 target step "
                    "(about 0.05 for a draft head such as EAGLE or MTP, 0.1-0.2 for a small draft model).")
    expert_parallel: bool = Field(
        False, description="MoE: spread the experts over the replica's GPUs (1) instead of splitting every "
                           "expert (0); pays an all-to-all per MoE layer.")
    ep_link_gb_s: float = Field(
        450.0, gt=0.0, le=100_000.0,
        description="MoE with expert parallelism: GPU-to-GPU bandwidth each way per GPU, GB/s (NVLink 4: 450).")
    allreduce_latency_us: float = Field(
        10.0, ge=0.0, le=10_000.0,
        description="Tensor parallelism over NVLink: fixed time of one all-reduce (two per layer per iteration), "
                    "microseconds.")
    pcie_allreduce_gb_s: float = Field(
        24.0, gt=0.0, le=1000.0,
        description="Tensor parallelism over PCIe (GPUs without NVLink: L40S, L4, A10G): the bus bandwidth an "
                    "all-reduce reaches per GPU, GB/s.")
    pcie_allreduce_latency_us: float = Field(
        40.0, ge=0.0, le=10_000.0,
        description="Tensor parallelism over PCIe: fixed time of one all-reduce, microseconds.")
    min_free_memory_fraction: float = Field(
        0.10, ge=0.0, lt=1.0,
        description="Share of GPU memory that must stay free of weights (for KV cache and runtime).")
    runtime_reserved_gb_per_gpu: float = Field(
        3.0, ge=0.0, le=64.0, description="Memory per GPU for activations and CUDA context, GB.")
    overlap_exponent: float = Field(
        1.5, ge=1.0, le=16.0,
        description="How far an iteration's compute and memory time overlap: its core time is (compute^p + "
                    "memory^p)^(1/p) with this p; 1: not at all (they add), 16: almost fully (the larger alone).")
    tp_efficiency: Efficiency | None = Field(
        None, description="Share of the ideal speed-up of the matrix products and KV-cache reads kept per doubling "
                          "of tensor-parallel GPUs, beyond the all-reduces the model counts (smaller matrices and "
                          "fewer heads per GPU run less efficiently; each GPU still reads its share of the weights "
                          "at full speed; 1: no loss); empty: calibrated per vendor.")

    def with_overrides(self, overrides: dict[str, float]) -> ServingConstants:
        """A copy with the ``serving.<field>`` entries of ``overrides`` applied; other keys are ignored."""
        changes: dict[str, float] = {}
        origin: dict[str, str] = {}  # field -> the key that set it, for the error message
        fields = type(self).model_fields
        for key, value in sorted(overrides.items(), key=lambda kv: kv[0].removeprefix(OVERRIDE_PREFIX) in fields):
            if not key.startswith(OVERRIDE_PREFIX):
                continue
            name = key.removeprefix(OVERRIDE_PREFIX)
            if name in RETIRED_KEYS:
                continue
            if name not in LEGACY_KEYS and name not in fields:
                known = ", ".join(OVERRIDE_PREFIX + n for n in fields)
                raise ValueError(f"'{key}' is not a serving assumption; the known ones are: {known}")
            for field in LEGACY_KEYS.get(name, (name,)):
                changes[field], origin[field] = value, key
        try:
            return type(self).model_validate({**self.model_dump(), **changes})
        except ValidationError as exc:
            first = exc.errors()[0]
            name = str(first["loc"][0]) if first["loc"] else ""
            field = origin.get(name, OVERRIDE_PREFIX + name if name else "serving assumption")
            raise ValueError(f"{field} = {first.get('input')!r} is out of range: {first['msg']}") from None

    def for_vendor(self, vendor: str | None) -> ServingConstants:
        """A copy whose empty efficiencies are the calibration of ``vendor``'s stack (NVIDIA's if unknown)."""
        calibration = vendor_efficiency(vendor)
        filled = {name: getattr(calibration, name) for name in CALIBRATED if getattr(self, name) is None}
        return self.model_copy(update=filled) if filled else self

    def value(self, name: str, vendor: str | None = None) -> float:
        """A field's value as a number, an empty efficiency taken from ``vendor``'s calibration."""
        own = getattr(self, name)
        return float(own if own is not None else getattr(vendor_efficiency(vendor), name))

    def compute_share(self, bits: int) -> float:
        """The share of a peak rate of ``bits``-wide tensor cores (16, 8 or 4) that matrix products reach."""
        factor = RATE_FACTORS.get(bits)
        return self.value("compute_efficiency") * (self.value(factor) if factor else 1.0)

    @property
    def tokens_per_step(self) -> float:
        """Tokens a decoding sequence emits per iteration: 1, or with speculation the expected accepted run
        plus the target's own token, (1 - a^(k+1)) / (1 - a) (Leviathan et al. 2023, arXiv 2211.17192)."""
        k, a = self.spec_draft_tokens, self.spec_acceptance_rate
        if k == 0:
            return 1.0
        return float(k + 1) if a >= 1.0 else (1.0 - a ** (k + 1)) / (1.0 - a)


def vendor_efficiency(vendor: str | None) -> VendorEfficiency:
    """The calibration row of a vendor's stack (NVIDIA's for a GPU without a known vendor)."""
    rows = load_efficiencies()
    return rows.get(vendor or DEFAULT_VENDOR, rows[DEFAULT_VENDOR])


def describe_constants() -> dict[str, str]:
    """Each overridable key (``serving.<field>``) with its one-line description."""
    return {OVERRIDE_PREFIX + n: f.description or "" for n, f in ServingConstants.model_fields.items()}
