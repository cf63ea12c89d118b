"""What a served model holds and reads: its weights (shared and routed experts), the rate weights stream at
(with the dequantisation of weight-only formats), and its KV cache per token and copies under tensor
parallelism."""

from __future__ import annotations

import math

from planner.estimate.serving_constants import ServingConstants
from planner.inputs.models import GpuSpec, KvPrecision, LlmSpec, Precision, kv_precision_for
from planner.inputs.units import BILLION, TB

__all__ = ["expert_split", "kv_bytes_per_token", "kv_replication", "weight_read_rate"]


def expert_split(llm: LlmSpec) -> tuple[float, float]:
    """(shared, routed-expert) parameters of a model: per expert (total - active) / (experts - active experts)."""
    if llm.experts <= llm.active_experts:
        return llm.params_b * BILLION, 0.0
    per_expert = (llm.params_b - llm.active_params_b) / (llm.experts - llm.active_experts)
    experts = per_expert * llm.experts
    return (llm.params_b - experts) * BILLION, experts * BILLION


def weight_read_rate(gpu: GpuSpec, precision: Precision, c: ServingConstants, gpus: int) -> float:
    """Weight bytes per second ``gpus`` GPUs stream, each its own share: memory bandwidth at the weight-read efficiency,
    and for weight-only quantised weights (``GpuSpec.weight_only``) the dequantisation of each weight read,
    ``dequant_flops_per_weight`` FLOPs at the peak BF16 rate, in series with it."""
    s_per_byte = 1.0 / (gpu.bandwidth_tb_s * TB * gpus * c.value("weight_read_efficiency"))
    if gpu.weight_only(precision):
        s_per_byte += c.value("dequant_flops_per_weight") / (
            gpu.bf16_tflops * 1e12 * gpus * precision.bytes_per_param)
    return 1.0 / s_per_byte


def kv_bytes_per_token(llm: LlmSpec, kv_precision: KvPrecision | Precision,
                       context_tokens: float | None = None) -> float:
    """Bytes of KV cache per token at a KV precision (a weight precision means its default KV precision).

    Grouped-query attention caches keys and values of every layer (2 x layers x KV heads x head dim values);
    multi-head latent attention (DeepSeek-V3/R1) one compressed latent per layer (``LlmSpec.kv_values_per_token``).
    With ``context_tokens``, the mean over a sequence of that length, where sliding-window or chunked layers
    (gpt-oss, Llama 4) hold at most their window (``LlmSpec.kv_values_for_sequence``).
    """
    kv = kv_precision if isinstance(kv_precision, KvPrecision) else kv_precision_for(kv_precision)
    if context_tokens is None or context_tokens <= 0:
        values = float(llm.kv_values_per_token())
    else:
        tokens = max(1, round(context_tokens))
        values = llm.kv_values_for_sequence(tokens) / tokens
    return values * kv.bytes_per_value


def kv_replication(llm: LlmSpec, tensor_parallel: int) -> float:
    """How many copies of its KV cache a replica of ``tensor_parallel`` GPUs keeps: 1, or more when there are
    fewer KV heads than GPUs.

    Tensor parallelism splits the KV heads over the GPUs; with more GPUs than KV heads each GPU still holds a
    whole head, so every head is stored (and read) on ``tensor_parallel / kv_heads`` GPUs (vLLM, SGLang and
    TensorRT-LLM replicate them so). Qwen3-235B-A22B, with 4 KV heads, keeps two copies at TP8. A latent
    (multi-head latent attention) cache counts once here, as with attention data parallelism.
    """
    if llm.attention == "mla" or tensor_parallel <= llm.kv_heads:
        return 1.0
    per_gpu = math.ceil(llm.kv_heads / tensor_parallel)
    return tensor_parallel * per_gpu / llm.kv_heads
