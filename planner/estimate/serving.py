"""The performance of one LLM inference replica: an iteration-level roofline step model.

A replica is a group of ``tensor_parallel`` GPUs of one type that together hold the model's weights and a
paged KV cache, and run one continuous-batching engine with chunked prefill (vLLM, SGLang, TensorRT-LLM).
Each **iteration** gives every decoding sequence its next token(s) and prefills up to the rest of a token
budget of waiting prompts, in chunks. Its time (``ReplicaModel.step_s``) combines

- compute: 2 x active parameters FLOP per token processed, plus attention, 4 x layers x heads x head dim
  FLOP per token per token of context it attends to, at ``compute_efficiency`` of the peak rate of the
  weights' precision (times ``fp8_compute_factor`` or ``fp4_compute_factor`` at the narrower rates, which
  engines keep less busy); and
- memory: the weights once per iteration at ``weight_read_efficiency`` of peak bandwidth (for a
  mixture-of-experts model, the shared weights plus the experts the iteration's tokens route to), and the
  KV cache of every decoding sequence at ``kv_read_efficiency``,

as ``overlapped``: (compute^p + memory^p)^(1/p) with p = ``overlap_exponent``, between their sum (p = 1, the
matrix products and the attention's KV reads one after the other) and the plain roofline's larger of the two
(p large), plus a fixed ``step_overhead_ms`` (scheduler, kernel launches) and, with expert parallelism, the
all-to-all of the MoE layers. This is the standard roofline of LLM serving (Databricks, "LLM Inference
Performance Engineering: Best Practices"; Yuan et al., arXiv 2402.16363) scheduled the way Sarathi-Serve
(Agrawal et al., OSDI 2024, arXiv 2403.02310) chunks prefills.

The closed form (``ReplicaModel.throughput``) is the steady state of exactly this step model, and the
simulation (``planner.estimate.simulation``) schedules it iteration by iteration; a test holds the two to
10 % of each other. The efficiencies are fitted per vendor stack to public measurements
(``planner.inputs.calibration``, ``bench/calibrate.py``).
"""

from __future__ import annotations

import math

from pydantic import BaseModel, ConfigDict, Field

from planner.errors import InfeasibleError
from planner.estimate.footprint import expert_split, kv_bytes_per_token, kv_replication, weight_read_rate
from planner.estimate.interconnect import all_reduce_times, all_to_all_s_per_token, over_pcie, tp_scaling
from planner.estimate.serving_constants import (
    OVERRIDE_PREFIX,
    ServingConstants,
    describe_constants,
)
from planner.inputs.models import GpuSpec, KvPrecision, LlmSpec, Precision, kv_precision_for
from planner.inputs.units import BILLION, GB, TB, ms_to_s, s_to_ms

__all__ = [
    "MAX_BATCH", "OVERRIDE_PREFIX", "ReplicaModel", "ServingConstants", "ThroughputEstimate", "describe_constants",
    "kv_bytes_per_token", "kv_replication", "over_pcie", "overlapped", "plan_replica", "replica_degrees", "tp_scaling",
]  # fmt: skip

FLOP_PER_PARAM = 2.0  # FLOP per parameter per token: one multiply and one add
ATTENTION_FLOP_PER_HEAD_DIM = 4.0  # per context token: q.k and the weighted sum of v, a multiply and an add each
# Sequences one replica decodes together, at most. Engines with a paged KV cache accept thousands when memory
# allows: the maximum-throughput runs of data/serving_measurements.csv pad TensorRT-LLM's CUDA graphs up to
# 8,192 sequences and set vLLM's max_num_seqs to 1,500-3,200 on MI300X. Past this a step is compute-bound for
# every model in the catalog and only time per token grows. bench/calibrate.py: 99 of 102 leave-one-out
# ratios within 0.8-1.25 at 1,024, 101 at 2,048 (large MoE models on H200 hold thousands of sequences).
MAX_BATCH = 2048  # sequences


class ThroughputEstimate(BaseModel):
    """Steady-state performance of one replica with its batch cap and token budget."""

    model_config = ConfigDict(frozen=True)

    batch: int = Field(description="Sequences the replica holds at once (decoding and prefilling): the cap used.")
    decoding: float = Field(description="Sequences decoding in each iteration, on average.")
    output_tokens_per_s: float
    requests_per_s: float
    tpot_ms: float = Field(description="Time per output token of a decoding sequence, ms.")
    ttft_ms: float = Field(description="Time to first token on an idle replica: the prompt's prefill chunks, ms.")


class ReplicaModel(BaseModel):
    """One replica's memory plan and step model; build it with ``plan_replica``.

    The rates are plain float fields with efficiencies and tensor-parallel scaling applied, so that
    ``step_s``, which the simulation calls every engine iteration, is float arithmetic.
    """

    model_config = ConfigDict(frozen=True)

    llm: LlmSpec
    gpu: GpuSpec
    precision: Precision
    kv_precision: KvPrecision
    constants: ServingConstants = Field(description="The constants with the vendor's calibration filled in.")
    tensor_parallel: int = Field(ge=1, description="GPUs in the replica.")
    weights_gb: float
    kv_bytes_per_token: float = Field(description="KV cache bytes per token over the replica's GPUs, every copy of a "
                                              "replicated KV head counted (kv_replication).")
    kv_capacity_tokens: int = Field(ge=0)
    mean_context_tokens: float = Field(gt=0)
    max_concurrent_sequences: int = Field(ge=1, le=MAX_BATCH)
    flop_per_token: float = Field(gt=0, description="2 x active parameters, FLOP per token.")
    attention_flop_per_context: float = Field(ge=0, description="Attention FLOP per token per context token.")
    flop_per_s: float = Field(gt=0, description="Effective FLOP/s of the replica.")
    shared_weight_bytes: float = Field(ge=0, description="Bytes of weights every token uses.")
    expert_bytes: float = Field(ge=0, description="Bytes of all routed experts together (0: dense).")
    expert_route_share: float = Field(ge=0, le=1, description="Share of the experts one token routes to.")
    weight_bytes_per_s: float = Field(gt=0, description="Effective bandwidth reading weights, bytes/s.")
    kv_bytes_per_s: float = Field(gt=0, description="Effective bandwidth reading the KV cache, bytes/s.")
    all_to_all_s_per_token: float = Field(ge=0, description="Expert-parallel all-to-all per token, s.")
    all_reduce_s_per_token: float = Field(ge=0, description="Tensor-parallel all-reduces per token, s.")
    all_reduce_s: float = Field(ge=0, description="Fixed time of an iteration's tensor-parallel all-reduces, s.")
    step_overhead_s: float = Field(ge=0, description="Fixed time of each iteration, s.")
    sequence_overhead_s: float = Field(ge=0, description="Time of each iteration per running sequence, s.")
    token_budget: int = Field(ge=1, description="Tokens an iteration processes at most.")
    tokens_per_step: float = Field(ge=1, description="Tokens a decoding sequence emits per iteration.")
    verify_tokens: int = Field(ge=1, description="Tokens a decoding sequence puts through the model per iteration.")
    draft_s: float = Field(ge=0, description="Time to draft the speculative tokens of an iteration, s.")
    cached_share: float = Field(ge=0, lt=1, description="Share of each prompt already in the prefix cache.")
    overlap_exponent: float = Field(ge=1, description="p of ``overlapped``: how far compute and memory overlap.")

    def weight_bytes(self, tokens: float) -> float:
        """Weight bytes an iteration of ``tokens`` reads: shared weights plus the experts its tokens route to.

        Each token routes to ``expert_route_share`` of the experts; with tokens routed independently the
        share touched at least once is 1 - (1 - share)^tokens.
        """
        if self.expert_bytes == 0.0 or tokens <= 0:
            return self.shared_weight_bytes + (self.expert_bytes if tokens > 0 else 0.0)
        return self.shared_weight_bytes + self.expert_bytes * (1.0 - (1.0 - self.expert_route_share) ** tokens)

    def step_s(self, decoding: float, prefill_tokens: float, context_tokens: float,
               prefill_context_tokens: float | None = None) -> float:
        """Seconds of one iteration: ``decoding`` sequences at ``context_tokens`` of context each get their next
        token(s), and ``prefill_tokens`` prompt tokens are prefilled (attending to ``prefill_context_tokens``
        of context on average; default half of ``context_tokens``)."""
        verify = decoding * self.verify_tokens
        tokens = verify + prefill_tokens
        prefill_context = context_tokens / 2.0 if prefill_context_tokens is None else prefill_context_tokens
        attention = self.attention_flop_per_context * (verify * context_tokens + prefill_tokens * prefill_context)
        compute = (self.flop_per_token * tokens + attention) / self.flop_per_s
        memory = (self.weight_bytes(max(tokens, 1.0)) / self.weight_bytes_per_s
                  + decoding * self.kv_bytes_per_token * context_tokens / self.kv_bytes_per_s)
        draft = self.draft_s if decoding > 0 else 0.0
        communication = (self.all_to_all_s_per_token + self.all_reduce_s_per_token) * tokens + self.all_reduce_s
        overhead = self.step_overhead_s + self.sequence_overhead_s * decoding
        return overlapped(compute, memory, self.overlap_exponent) + overhead + communication + draft

    def decode_step_s(self, batch: float, mean_context_tokens: float) -> float:
        """Seconds of one iteration that only decodes ``batch`` sequences."""
        return self.step_s(batch, 0.0, mean_context_tokens)

    def prefill_tokens(self, input_tokens: float) -> float:
        """Tokens of a prompt the replica computes: those not found in the prefix cache (at least one)."""
        return max(1.0, input_tokens * (1.0 - self.cached_share))

    def prefill_context(self, input_tokens: float) -> float:
        """Mean context a prefilled token attends to: the cached prefix plus half of the rest."""
        computed = self.prefill_tokens(input_tokens)
        return input_tokens - computed + computed / 2.0

    def prefill_s(self, input_tokens: float) -> float:
        """Seconds to prefill one prompt on an idle replica, in chunks of the token budget."""
        remaining = self.prefill_tokens(input_tokens)
        context = self.prefill_context(input_tokens)
        total = 0.0
        while remaining > 0:
            chunk = min(remaining, float(self.token_budget))
            total += self.step_s(0.0, chunk, input_tokens, context)
            remaining -= chunk
        return total

    def decode_iterations(self, output_tokens: float) -> float:
        """Iterations a request decodes for after its prefill, which emits its first token."""
        return max(0.0, output_tokens - 1.0) / self.tokens_per_step

    def max_sequences(self, mean_context_tokens: float) -> int:
        """Sequences whose KV cache fits at a mean context, at least 1, at most ``MAX_BATCH``."""
        return max(1, min(MAX_BATCH, int(self.kv_capacity_tokens // mean_context_tokens)))

    def steady_state(self, input_tokens: float, output_tokens: float, batch: int) -> tuple[float, float, float]:
        """(requests finishing per iteration, sequences decoding, mean iteration seconds) with ``batch`` slots full.

        Per iteration r requests finish; each decodes ``decode_iterations`` times and spends at least one
        iteration (more for prompts above the budget) prefilling, so the slots bound r; the prefill of r
        prompts and the tokens of the decoding sequences share the token budget, which bounds r again.
        A prompt is prefilled in chunks of what the decoding sequences leave of the budget, so a share
        r x chunks of the iterations carry a chunk and the rest only decode, as the simulation schedules them;
        when that share reaches 1, every iteration carries r prompts' worth of prefill.
        """
        n_decode = self.decode_iterations(output_tokens)
        prefill = self.prefill_tokens(input_tokens)
        by_slots = batch / (n_decode + max(1.0, math.ceil(prefill / self.token_budget)))
        by_budget = self.token_budget / (n_decode * self.verify_tokens + prefill)
        r = min(by_slots, by_budget)
        decoding = r * n_decode
        chunks = max(1, math.ceil(prefill / max(1.0, self.token_budget - decoding * self.verify_tokens) - 1e-9))
        context = input_tokens + output_tokens / 2.0
        prefill_context = self.prefill_context(input_tokens)
        share = r * chunks
        if share >= 1.0:
            return r, decoding, self.step_s(decoding, r * prefill, context, prefill_context)
        with_chunk = self.step_s(decoding, prefill / chunks, context, prefill_context)
        return r, decoding, share * with_chunk + (1.0 - share) * self.step_s(decoding, 0.0, context)

    def throughput(self, input_tokens: float, output_tokens: float, batch: int | None = None) -> ThroughputEstimate:
        """Steady-state throughput with ``batch`` sequence slots (default: ``max_concurrent_sequences``) full."""
        if input_tokens < 0 or output_tokens < 1:
            raise ValueError('"input_tokens" must be >= 0 and "output_tokens" >= 1.')
        b = self.max_concurrent_sequences if batch is None else batch
        if b < 1:
            raise ValueError('"batch" must be >= 1.')
        r, decoding, step = self.steady_state(input_tokens, output_tokens, b)
        requests_per_s = r / step
        return ThroughputEstimate(
            batch=b, decoding=decoding, output_tokens_per_s=requests_per_s * output_tokens,
            requests_per_s=requests_per_s, tpot_ms=s_to_ms(step / self.tokens_per_step),
            ttft_ms=s_to_ms(self.prefill_s(input_tokens)),
        )


def overlapped(compute_s: float, memory_s: float, exponent: float) -> float:
    """An iteration's core time from its compute and memory time: (compute^p + memory^p)^(1/p), p = ``exponent``.

    Within an iteration the matrix products (compute-bound at large batches) and the attention's KV-cache reads
    (memory-bound) are different kernels that overlap only in part, so the time lies between the larger of the
    two (a plain roofline, p -> infinity) and their sum (p = 1). Written as larger x (1 + (smaller /
    larger)^p)^(1/p), which neither overflows nor underflows.
    """
    larger, smaller = (compute_s, memory_s) if compute_s >= memory_s else (memory_s, compute_s)
    if larger <= 0.0:
        return 0.0
    return larger * (1.0 + (smaller / larger) ** exponent) ** (1.0 / exponent)


def attention_flop_per_context(llm: LlmSpec) -> float:
    """Attention FLOP per processed token per token of context: 4 x layers x query heads x head width.

    Multi-head latent attention computes its scores and sums on the latent (rank + rotary width per head).
    """
    heads = llm.attention_heads or llm.kv_heads
    width = (llm.kv_lora_rank or 0) + (llm.rope_head_dim or 0) if llm.attention == "mla" else llm.head_dim
    return ATTENTION_FLOP_PER_HEAD_DIM * llm.layers * heads * (width or llm.head_dim)


def _tensor_parallel_candidates(max_gpus: int, tensor_parallel: int | None) -> list[int]:
    """The GPU counts to try, fewest first: powers of two up to ``max_gpus``, or only the one asked for."""
    if tensor_parallel is None:
        return [2**i for i in range(int(math.log2(max_gpus)) + 1)]
    if 1 <= tensor_parallel <= max_gpus and tensor_parallel & (tensor_parallel - 1) == 0:
        return [tensor_parallel]
    raise ValueError('"tensor_parallel" must be a power of two (1, 2, 4, 8, ...) <= "max_gpus".')


def compute_scale(llm: LlmSpec, c: ServingConstants, tp: int, scale: float, expert_params: float) -> float:
    """Effective GPUs of a replica of ``tp`` for the matrix products: ``scale`` (tensor parallelism's loss
    included), except that with expert parallelism each routed expert stays whole on one GPU, so the experts'
    share of the active FLOPs runs at the full ``tp`` (``expert_params``: all routed experts, ``expert_split``)."""
    if not c.expert_parallel or llm.experts <= 1:
        return scale
    experts_active = expert_params / llm.experts * llm.active_experts
    expert_share = experts_active / (llm.active_params_b * BILLION)
    return 1.0 / ((1.0 - expert_share) / scale + expert_share / tp)


def _replica(llm: LlmSpec, gpu: GpuSpec, precision: Precision, kv: KvPrecision, c: ServingConstants, tp: int,
             capacity: int, kv_token: float, mean_context_tokens: float) -> ReplicaModel:
    """The replica of ``tp`` GPUs holding ``capacity`` tokens of KV cache of ``kv_token`` bytes each (over its
    GPUs), with its effective rates."""
    c = c.for_vendor(gpu.vendor)
    # Split matrices and heads run less efficiently per GPU (tp_efficiency per doubling), while each GPU still
    # streams its own share of the weights at full speed.
    scale = tp * tp_scaling(tp, c.value("tp_efficiency"))
    peak_flops, rate_bits = gpu.compute_rate(precision)
    bandwidth = gpu.bandwidth_tb_s * TB
    shared, experts = expert_split(llm)
    bytes_per_param = precision.bytes_per_param
    k = c.spec_draft_tokens
    all_reduce = all_reduce_times(llm, gpu, c, tp)
    weight_bytes_per_s = weight_read_rate(gpu, precision, c, tp)
    batch1_s = llm.params_b * BILLION * bytes_per_param / weight_bytes_per_s + ms_to_s(c.value("step_overhead_ms"))
    return ReplicaModel(
        llm=llm, gpu=gpu, precision=precision, kv_precision=kv, constants=c, tensor_parallel=tp,
        weights_gb=llm.params_b * bytes_per_param,
        kv_bytes_per_token=kv_token,
        kv_capacity_tokens=capacity, mean_context_tokens=mean_context_tokens,
        max_concurrent_sequences=max(1, min(MAX_BATCH, int(capacity // mean_context_tokens))),
        flop_per_token=FLOP_PER_PARAM * llm.active_params_b * BILLION,
        attention_flop_per_context=attention_flop_per_context(llm),
        flop_per_s=peak_flops * compute_scale(llm, c, tp, scale, experts) * c.compute_share(rate_bits),
        shared_weight_bytes=shared * bytes_per_param, expert_bytes=experts * bytes_per_param,
        expert_route_share=llm.active_experts / llm.experts,
        weight_bytes_per_s=weight_bytes_per_s,
        kv_bytes_per_s=bandwidth * scale * c.value("kv_read_efficiency"),
        all_to_all_s_per_token=all_to_all_s_per_token(llm, c, tp),
        all_reduce_s_per_token=all_reduce[0], all_reduce_s=all_reduce[1],
        step_overhead_s=ms_to_s(c.value("step_overhead_ms")),
        sequence_overhead_s=c.value("sequence_overhead_us") * 1e-6,
        token_budget=c.prefill_token_budget, tokens_per_step=c.tokens_per_step, verify_tokens=k + 1,
        draft_s=k * c.spec_draft_cost * batch1_s,
        cached_share=c.prefix_cache_hit_rate, overlap_exponent=c.overlap_exponent,
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
    kv_precision: KvPrecision | None = None,
) -> ReplicaModel:
    """Size one replica: the fewest GPUs (a power of two, at most ``max_gpus``) that hold the model.

    The GPUs must hold the weights (all experts of an MoE model), keep ``min_free_memory_fraction`` of their
    memory free of weights, and still have room for the runtime reserve and the KV cache of one sequence of
    ``mean_context_tokens``. ``tensor_parallel`` fixes the degree instead (e.g. to cut latency).
    ``kv_precision`` defaults to the weights' (``kv_precision_for``).

    ``mean_context_tokens`` is the KV cache each admitted sequence holds a place for; an engine that never
    evicts a running sequence reserves its full length, input plus output tokens. ``max_concurrent_sequences``
    follows from it.
    """
    if max_gpus < 1:
        raise ValueError('"max_gpus" must be >= 1.')
    if mean_context_tokens <= 0:
        raise ValueError('"mean_context_tokens" must be > 0.')
    c = constants or ServingConstants()
    kv = kv_precision_for(precision, kv_precision)
    weights_gb = llm.params_b * precision.bytes_per_param
    kv_token = kv_bytes_per_token(llm, kv, mean_context_tokens)
    candidates = _tensor_parallel_candidates(max_gpus, tensor_parallel)
    for tp in candidates:
        memory_gb = tp * gpu.memory_gb
        kv_gb = memory_gb - weights_gb - tp * c.runtime_reserved_gb_per_gpu
        fits = weights_gb <= (1.0 - c.min_free_memory_fraction) * memory_gb
        stored = kv_token * kv_replication(llm, tp)  # bytes per token over the replica's GPUs
        if fits and kv_gb * GB >= stored * mean_context_tokens:
            return _replica(llm, gpu, precision, kv, c, tp, int(kv_gb * GB // stored), stored, mean_context_tokens)

    tp = candidates[-1]
    needed_gb = max(
        weights_gb / (1.0 - c.min_free_memory_fraction),
        weights_gb + kv_token * mean_context_tokens / GB + c.runtime_reserved_gb_per_gpu,
    )
    raise InfeasibleError(
        f"{llm.name} in {precision.name} needs about {needed_gb:.0f} GB ({weights_gb:.1f} GB of weights "
        f"plus room for the KV cache and runtime); {tp} x {gpu.gpu} ({gpu.memory_gb:g} GB) holds "
        f"{tp * gpu.memory_gb:g} GB. Allow more GPUs per replica, pick a larger GPU or a smaller precision."
    )


def replica_degrees(
    llm: LlmSpec,
    gpu: GpuSpec,
    precision: Precision,
    *,
    max_gpus: int,
    mean_context_tokens: float,
    constants: ServingConstants | None = None,
    kv_precision: KvPrecision | None = None,
) -> list[ReplicaModel]:
    """The replica of every tensor-parallel degree ``max_gpus`` GPUs can run, fewest GPUs first: the fewest that
    hold the model (``plan_replica``), then each power of two up to ``max_gpus``. More GPUs per replica shorten
    each step and leave more memory for the KV cache. Raises InfeasibleError when no degree holds the model.
    """
    def plan(degree: int | None) -> ReplicaModel:
        return plan_replica(llm, gpu, precision, max_gpus=max_gpus, mean_context_tokens=mean_context_tokens,
                            constants=constants, tensor_parallel=degree, kv_precision=kv_precision)

    replicas = [plan(None)]
    while (degree := replicas[-1].tensor_parallel * 2) <= max_gpus:
        replicas.append(plan(degree))
    return replicas
