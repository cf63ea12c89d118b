"""The performance of one LLM inference replica: a first-order roofline model.

A replica is a group of ``tensor_parallel`` GPUs of one type that together hold the model's weights
and a paged KV cache, and run one continuous-batching engine. The model is the standard roofline of
LLM serving (Databricks, "LLM Inference Performance Engineering: Best Practices"; Yuan et al., "LLM
Inference Unveiled: Survey and Roofline Model Insights", arXiv 2402.16363):

- prefill is compute-bound: 2 x active params FLOPs per prompt token;
- a decode step reads every weight once plus the KV cache of each running sequence, and does
  2 x active params FLOPs per running sequence; it takes the longer of its memory time and its
  compute time, plus a fixed overhead (scheduler, kernel launches). Small batches are
  bandwidth-bound, large ones compute-bound;
- with continuous batching the prompts of newly admitted requests are prefilled in the same
  iterations as the decoding, so a loaded replica's throughput counts their FLOPs too.

Mixture-of-experts models keep every expert resident (weights use total parameters) but spend FLOPs
only on the active ones. For the memory traffic of a decode step we take the total weight bytes: at
the batch sizes a loaded replica runs, nearly every expert is touched in every step, so this upper
bound is also the realistic figure where throughput matters.

The efficiency constants in ``ServingConstants`` are calibrated against TensorRT-LLM's published
maximum-throughput runs (``trtllm-bench``, docs/source/performance/perf-overview.md, 2025): they
describe an optimised engine (TensorRT-LLM or vLLM class). A generic deployment reaches less; users
override the constants through the assessment's ``assumption_overrides`` (keys ``serving.<field>``).
"""

from __future__ import annotations

import math
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from planner.errors import InfeasibleError
from planner.inputs.models import GpuSpec, LlmSpec, Precision
from planner.inputs.units import BILLION, GB, TB, ms_to_s, s_to_ms

FLOP_PER_PARAM = 2.0  # FLOP per parameter per token: one multiply and one add
# Sequences one replica decodes together. Engines with a paged KV cache accept thousands (the
# TensorRT-LLM reference runs do), but past a few hundred a step is compute-bound and throughput
# stops growing, while every sequence's time per token keeps rising; 512 keeps the model there.
MAX_BATCH = 512  # sequences
OVERRIDE_PREFIX = "serving."  # prefix of this module's keys in assumption_overrides
Efficiency = Annotated[float, Field(gt=0.0, le=1.0)]  # a share of a peak figure that an engine reaches


class ServingConstants(BaseModel):
    """Efficiencies of an optimised serving engine; every field can be overridden by the user.

    The defaults are calibrated against TensorRT-LLM's maximum-throughput runs of Llama 3.1 8B and
    Llama 3.3 70B in FP8 on H100 and H200 (tests/test_serving.py holds the table and its tolerance),
    so they describe a TensorRT-LLM or vLLM class engine at its best. ``bandwidth_efficiency`` is the
    effective figure of a large batch, whose paged KV-cache reads stream less well than weights; at
    batch 1 real engines reach more, so low-load time per token comes out somewhat pessimistic.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    prefill_efficiency: Efficiency = Field(0.45, description="Fraction of peak FLOP/s reached when prefilling prompts.")
    compute_efficiency: Efficiency = Field(0.45, description="Fraction of peak FLOP/s reached by the decode compute.")
    bandwidth_efficiency: Efficiency = Field(0.55, description="Fraction of peak memory bandwidth reached in decode.")
    step_overhead_ms: float = Field(
        2.0, ge=0.0, le=1000.0, description="Fixed time of each decode step (scheduler, kernel launches), ms."
    )
    min_free_memory_fraction: float = Field(
        0.10, ge=0.0, lt=1.0,
        description="Share of GPU memory that must stay free of weights (for KV cache and runtime).",
    )
    runtime_reserved_gb_per_gpu: float = Field(
        3.0, ge=0.0, le=64.0, description="Memory per GPU for activations and CUDA context, GB."
    )
    tp_efficiency: Efficiency = Field(
        0.85, description="Share of the ideal speed-up kept per doubling of tensor-parallel GPUs (communication)."
    )

    def with_overrides(self, overrides: dict[str, float]) -> ServingConstants:
        """A copy with the ``serving.<field>`` entries of ``overrides`` applied; other keys are ignored."""
        changes: dict[str, float] = {}
        for key, value in overrides.items():
            if not key.startswith(OVERRIDE_PREFIX):
                continue
            name = key.removeprefix(OVERRIDE_PREFIX)
            if name not in type(self).model_fields:
                known = ", ".join(OVERRIDE_PREFIX + n for n in type(self).model_fields)
                raise ValueError(f"'{key}' is not a serving assumption; the known ones are: {known}")
            changes[name] = value
        try:
            return type(self).model_validate({**self.model_dump(), **changes})
        except ValidationError as exc:
            first = exc.errors()[0]
            field = OVERRIDE_PREFIX + str(first["loc"][0]) if first["loc"] else "serving assumption"
            raise ValueError(f"{field} = {first.get('input')!r} is out of range: {first['msg']}") from None


def describe_constants() -> dict[str, str]:
    """Each overridable key (``serving.<field>``) with its one-line description."""
    return {OVERRIDE_PREFIX + n: f.description or "" for n, f in ServingConstants.model_fields.items()}


class ThroughputEstimate(BaseModel):
    """Steady-state performance of one replica at a fixed number of running sequences."""

    model_config = ConfigDict(frozen=True)

    batch: int = Field(description="Sequences decoded together in each step.")
    output_tokens_per_s: float
    requests_per_s: float
    tpot_ms: float = Field(description="Time per output token: one continuous-batching step, ms.")
    ttft_ms: float = Field(description="Time to first token without queueing: prefill plus one step, ms.")


class ReplicaModel(BaseModel):
    """One replica's memory plan and roofline timings; build it with ``plan_replica``."""

    model_config = ConfigDict(frozen=True)

    llm: LlmSpec
    gpu: GpuSpec
    precision: Precision
    constants: ServingConstants
    tensor_parallel: int = Field(ge=1, description="GPUs in the replica.")
    weights_gb: float
    kv_bytes_per_token: float
    kv_capacity_tokens: int = Field(ge=0)
    mean_context_tokens: float = Field(gt=0)
    max_concurrent_sequences: int = Field(ge=1, le=MAX_BATCH)
    # Effective rates of the whole replica (efficiencies and tensor-parallel scaling applied), kept
    # as plain fields so that step_s, which the simulation calls every engine iteration, is float math.
    flop_per_token: float = Field(gt=0, description="2 x active parameters, FLOP per token.")
    prefill_flop_per_s: float = Field(gt=0, description="Effective FLOP/s when prefilling.")
    decode_flop_per_s: float = Field(gt=0, description="Effective FLOP/s of the decode compute.")
    memory_bytes_per_s: float = Field(gt=0, description="Effective memory bandwidth in decode, bytes/s.")
    step_overhead_s: float = Field(ge=0, description="Fixed time of each step, s.")

    def prefill_s(self, input_tokens: float) -> float:
        """Seconds to prefill one prompt of ``input_tokens`` on an otherwise idle replica."""
        return self.flop_per_token * input_tokens / self.prefill_flop_per_s

    def decode_step_s(self, batch: float, mean_context_tokens: float) -> float:
        """Seconds of one decode step giving each of ``batch`` sequences one token."""
        return self.step_s(batch, 0.0, mean_context_tokens)

    def step_s(self, batch: float, prefill_tokens: float, mean_context_tokens: float) -> float:
        """Seconds of one continuous-batching iteration: decode ``batch`` sequences, prefill new prompts."""
        bytes_read = self.weights_gb * GB + batch * self.kv_bytes_per_token * mean_context_tokens
        memory = bytes_read / self.memory_bytes_per_s
        compute = (
            self.flop_per_token * batch / self.decode_flop_per_s
            + self.flop_per_token * prefill_tokens / self.prefill_flop_per_s
        )
        return max(memory, compute) + self.step_overhead_s

    def max_sequences(self, mean_context_tokens: float) -> int:
        """Sequences whose KV cache fits at a mean context, at least 1, at most ``MAX_BATCH``."""
        return max(1, min(MAX_BATCH, int(self.kv_capacity_tokens // mean_context_tokens)))

    def throughput(self, input_tokens: float, output_tokens: float, batch: int | None = None) -> ThroughputEstimate:
        """Steady-state throughput with ``batch`` running sequences (default: ``max_concurrent_sequences``).

        Each step decodes one token for each running sequence. To keep ``batch`` sequences running,
        the replica admits ``batch / output_tokens`` new requests per step on average, whose prompts
        are prefilled in the same steps; running sequences are halfway through their output, so
        their mean context is ``input_tokens + output_tokens / 2``.
        """
        if input_tokens < 0 or output_tokens < 1:
            raise ValueError('"input_tokens" must be >= 0 and "output_tokens" >= 1.')
        b = self.max_concurrent_sequences if batch is None else batch
        if b < 1:
            raise ValueError('"batch" must be >= 1.')
        context = input_tokens + output_tokens / 2.0
        step = self.step_s(b, b * input_tokens / output_tokens, context)
        tokens_per_s = b / step
        return ThroughputEstimate(
            batch=b,
            output_tokens_per_s=tokens_per_s,
            requests_per_s=tokens_per_s / output_tokens,
            tpot_ms=s_to_ms(step),
            ttft_ms=s_to_ms(self.prefill_s(input_tokens) + step),
        )


def tp_scaling(tensor_parallel: int, tp_efficiency: float) -> float:
    """Share of linear speed-up kept by ``tensor_parallel`` GPUs: ``tp_efficiency`` per doubling."""
    return float(tp_efficiency ** math.log2(tensor_parallel))


def kv_bytes_per_token(llm: LlmSpec, precision: Precision, context_tokens: float | None = None) -> float:
    """Bytes of KV cache per token, stored in the weights' precision.

    Grouped-query attention caches keys and values of every layer (2 x layers x KV heads x head dim values);
    multi-head latent attention (DeepSeek-V3/R1) one compressed latent per layer (``LlmSpec.kv_values_per_token``).
    With ``context_tokens``, the mean over a sequence of that length, where sliding-window or chunked layers
    (gpt-oss, Llama 4) hold at most their window (``LlmSpec.kv_values_for_sequence``).
    """
    if context_tokens is None or context_tokens <= 0:
        values = float(llm.kv_values_per_token())
    else:
        tokens = max(1, round(context_tokens))
        values = llm.kv_values_for_sequence(tokens) / tokens
    return values * precision.bytes_per_param


def _tensor_parallel_candidates(max_gpus: int, tensor_parallel: int | None) -> list[int]:
    """The GPU counts to try, fewest first: powers of two up to ``max_gpus``, or only the one asked for."""
    if tensor_parallel is None:
        return [2**i for i in range(int(math.log2(max_gpus)) + 1)]
    if 1 <= tensor_parallel <= max_gpus and tensor_parallel & (tensor_parallel - 1) == 0:
        return [tensor_parallel]
    raise ValueError('"tensor_parallel" must be a power of two (1, 2, 4, 8, ...) <= "max_gpus".')


def _replica(llm: LlmSpec, gpu: GpuSpec, precision: Precision, c: ServingConstants, tp: int, capacity: int,
             mean_context_tokens: float) -> ReplicaModel:
    """The replica of ``tp`` GPUs holding ``capacity`` tokens of KV cache, with its effective rates."""
    scale = tp * tp_scaling(tp, c.tp_efficiency)
    peak_flops = gpu.peak_flops(precision) * scale
    return ReplicaModel(
        llm=llm, gpu=gpu, precision=precision, constants=c, tensor_parallel=tp,
        weights_gb=llm.params_b * precision.bytes_per_param,
        kv_bytes_per_token=kv_bytes_per_token(llm, precision, mean_context_tokens),
        kv_capacity_tokens=capacity, mean_context_tokens=mean_context_tokens,
        max_concurrent_sequences=max(1, min(MAX_BATCH, int(capacity // mean_context_tokens))),
        flop_per_token=FLOP_PER_PARAM * llm.active_params_b * BILLION,
        prefill_flop_per_s=peak_flops * c.prefill_efficiency,
        decode_flop_per_s=peak_flops * c.compute_efficiency,
        memory_bytes_per_s=gpu.bandwidth_tb_s * TB * scale * c.bandwidth_efficiency,
        step_overhead_s=ms_to_s(c.step_overhead_ms),
    )


def plan_replica(
    llm: LlmSpec,
    gpu: GpuSpec,
    precision: Precision,
    *,
    max_gpus: int,
    mean_context_tokens: float,
    constants: ServingConstants | None = None,
    tensor_parallel: int | None = None,
) -> ReplicaModel:
    """Size one replica: the fewest GPUs (a power of two, at most ``max_gpus``) that hold the model.

    The GPUs must hold the weights, keep ``min_free_memory_fraction`` of their memory free of
    weights, and still have room for the runtime reserve and the KV cache of one sequence of
    ``mean_context_tokens``. ``tensor_parallel`` fixes the degree instead (e.g. to cut latency).

    ``mean_context_tokens`` is the KV cache each admitted sequence holds a place for; an engine that
    never evicts a running sequence reserves its full length, input plus output tokens, and the
    calibration uses that. ``max_concurrent_sequences`` follows from it.
    """
    if max_gpus < 1:
        raise ValueError('"max_gpus" must be >= 1.')
    if mean_context_tokens <= 0:
        raise ValueError('"mean_context_tokens" must be > 0.')
    c = constants or ServingConstants()
    weights_gb = llm.params_b * precision.bytes_per_param
    kv_token = kv_bytes_per_token(llm, precision, mean_context_tokens)
    candidates = _tensor_parallel_candidates(max_gpus, tensor_parallel)
    for tp in candidates:
        memory_gb = tp * gpu.memory_gb
        kv_gb = memory_gb - weights_gb - tp * c.runtime_reserved_gb_per_gpu
        fits = weights_gb <= (1.0 - c.min_free_memory_fraction) * memory_gb
        if fits and kv_gb * GB >= kv_token * mean_context_tokens:
            return _replica(llm, gpu, precision, c, tp, int(kv_gb * GB // kv_token), mean_context_tokens)

    tp = candidates[-1]
    needed_gb = max(
        weights_gb / (1.0 - c.min_free_memory_fraction),
        weights_gb + kv_token * mean_context_tokens / GB + c.runtime_reserved_gb_per_gpu,
    )
    raise InfeasibleError(
        f"{llm.name} in {precision.name} needs about {needed_gb:.0f} GB ({weights_gb:.1f} GB of weights "
        f"plus room for the KV cache and runtime); {tp} x {gpu.gpu} ({gpu.memory_gb:g} GB) holds "
        f"{tp * gpu.memory_gb:g} GB. Allow more GPUs per replica, pick a larger GPU or use FP8."
    )
