"""The roofline serving model: hand-worked timings, memory fit, monotonicity and the calibration table.

GPU and model figures are written out here (from REFERENCE_DATA.md and the model cards) so the tests
do not depend on the data files.
"""

import itertools

import pytest

from planner.errors import InfeasibleError, PlannerError
from planner.estimate.serving import (
    MAX_BATCH,
    ReplicaModel,
    ServingConstants,
    describe_constants,
    kv_bytes_per_token,
    kv_replication,
    over_pcie,
    overlapped,
    plan_replica,
    tp_scaling,
)
from planner.estimate.serving_constants import CALIBRATED
from planner.inputs.calibration import load_efficiencies
from planner.inputs.catalog import load_gpus, load_llms
from planner.inputs.models import GpuSpec, KvPrecision, LlmSpec, Precision, kv_precision_for

SOURCED = {"source": "REFERENCE_DATA.md / model card", "as_of": "2025-01"}

H100 = GpuSpec(gpu="H100 SXM", memory_gb=80, bandwidth_tb_s=3.35, bf16_tflops=989, fp8_tflops=1979, link_gb_s=450,
               **SOURCED)
H200 = GpuSpec(gpu="H200 SXM", memory_gb=141, bandwidth_tb_s=4.8, bf16_tflops=989.4, fp8_tflops=1978.9, **SOURCED)
L4 = GpuSpec(gpu="L4", memory_gb=24, bandwidth_tb_s=0.3, bf16_tflops=121, fp8_tflops=242.5, **SOURCED)
A10G = GpuSpec(gpu="A10G", memory_gb=24, bandwidth_tb_s=0.6, bf16_tflops=70, **SOURCED)

LLAMA_8B = LlmSpec(
    id="llama-3.1-8b", name="Llama 3.1 8B", params_b=8.03, active_params_b=8.03, hidden_size=4096,
    attention_heads=32, layers=32, kv_heads=8, head_dim=128, context_tokens=131_072, **SOURCED,
)  # fmt: skip
LLAMA_70B = LlmSpec(
    id="llama-3.3-70b", name="Llama 3.3 70B", params_b=70.6, active_params_b=70.6, hidden_size=8192,
    attention_heads=64, layers=80, kv_heads=8, head_dim=128, context_tokens=131_072, **SOURCED,
)  # fmt: skip
MIXTRAL = LlmSpec(
    id="mixtral-8x7b", name="Mixtral 8x7B", params_b=46.7, active_params_b=12.9, hidden_size=4096,
    attention_heads=32, experts=8, active_experts=2, layers=32, kv_heads=8, head_dim=128, context_tokens=32_768,
    **SOURCED,
)  # fmt: skip

# Round efficiencies for the hand calculations, so they do not move when the defaults are recalibrated.
HAND = ServingConstants(
    compute_efficiency=0.5,
    weight_read_efficiency=0.5,
    kv_read_efficiency=0.5,
    step_overhead_ms=1.0,
    sequence_overhead_us=0.0,
    fp8_compute_factor=1.0,
    fp4_compute_factor=1.0,
    runtime_reserved_gb_per_gpu=3.0,
    tp_efficiency=0.9,
    overlap_exponent=1.5,
)
ATTENTION_8B = 4 * 32 * 32 * 128  # FLOP per token per context token: 4 x layers x heads x head dim


def replica_8b_bf16_h100() -> ReplicaModel:
    return plan_replica(LLAMA_8B, H100, Precision.BF16, max_gpus=8, mean_context_tokens=2000, constants=HAND)


# KV cache and memory plan ------------------------------------------------------------------------


def test_kv_bytes_per_token_llama_8b_bf16():
    assert kv_bytes_per_token(LLAMA_8B, Precision.BF16) == 2 * 32 * 8 * 128 * 2 == 131_072


def test_fp8_halves_weights_and_kv_cache():
    assert kv_bytes_per_token(LLAMA_8B, Precision.FP8) == 65_536
    fp8 = plan_replica(LLAMA_8B, H100, Precision.FP8, max_gpus=1, mean_context_tokens=2000, constants=HAND)
    assert fp8.weights_gb == pytest.approx(8.03)


def test_memory_plan_by_hand():
    r = replica_8b_bf16_h100()
    assert r.tensor_parallel == 1
    assert r.weights_gb == pytest.approx(16.06)
    # 80 GB - 16.06 GB weights - 3 GB runtime = 60.94 GB of KV cache, at 131,072 bytes a token.
    assert r.kv_capacity_tokens == int(60.94e9 // 131_072) == 464_935
    assert r.max_concurrent_sequences == 232  # 464,935 // 2,000


def test_concurrency_is_capped_and_at_least_one():
    short = plan_replica(LLAMA_8B, H100, Precision.FP8, max_gpus=1, mean_context_tokens=10, constants=HAND)
    assert short.max_concurrent_sequences == MAX_BATCH
    long = plan_replica(LLAMA_8B, L4, Precision.BF16, max_gpus=1, mean_context_tokens=30_000, constants=HAND)
    assert long.max_concurrent_sequences == 1


def test_max_sequences_at_another_context():
    r = replica_8b_bf16_h100()
    assert r.max_sequences(4000) == 464_935 // 4000
    assert r.max_sequences(1) == MAX_BATCH
    assert r.max_sequences(10**7) == 1


def test_70b_bf16_needs_two_h100():
    r = plan_replica(LLAMA_70B, H100, Precision.BF16, max_gpus=8, mean_context_tokens=2000)
    assert r.tensor_parallel == 2
    assert r.weights_gb == pytest.approx(141.2)
    assert r.kv_capacity_tokens > 0


def test_70b_bf16_does_not_fit_one_h100():
    with pytest.raises(InfeasibleError, match=r"Llama 3.3 70B in BF16 needs about \d+ GB"):
        plan_replica(LLAMA_70B, H100, Precision.BF16, max_gpus=1, mean_context_tokens=2000)


@pytest.mark.parametrize("gpu", [L4, A10G], ids=lambda g: g.gpu)
def test_8b_bf16_fits_one_24gb_gpu(gpu):
    r = plan_replica(LLAMA_8B, gpu, Precision.BF16, max_gpus=1, mean_context_tokens=2000)
    assert r.tensor_parallel == 1


def test_70b_on_one_24gb_gpu_is_infeasible_in_plain_words():
    with pytest.raises(InfeasibleError, match=r"needs about .* GB .* 1 x L4 \(24 GB\) holds 24 GB") as err:
        plan_replica(LLAMA_70B, L4, Precision.BF16, max_gpus=1, mean_context_tokens=2000)
    assert isinstance(err.value, PlannerError)
    assert "141.2 GB of weights" in str(err.value)


def test_eight_l4_hold_70b_bf16():
    assert plan_replica(LLAMA_70B, L4, Precision.BF16, max_gpus=8, mean_context_tokens=2000).tensor_parallel == 8


def test_max_gpus_that_is_not_a_power_of_two_rounds_down():
    with pytest.raises(InfeasibleError, match="2 x H100 SXM"):
        plan_replica(LLAMA_70B, H100, Precision.BF16, max_gpus=3, mean_context_tokens=200_000)


def test_fixed_tensor_parallel_must_be_power_of_two_within_max():
    r = plan_replica(LLAMA_8B, H100, Precision.FP8, max_gpus=2, mean_context_tokens=2000, tensor_parallel=2)
    assert r.tensor_parallel == 2
    for bad in (3, 4):
        with pytest.raises(ValueError, match="power of two"):
            plan_replica(LLAMA_8B, H100, Precision.FP8, max_gpus=2, mean_context_tokens=2000, tensor_parallel=bad)


def test_moe_holds_all_experts_but_computes_with_active_ones():
    r = plan_replica(MIXTRAL, H100, Precision.BF16, max_gpus=8, mean_context_tokens=2000, constants=HAND)
    assert r.tensor_parallel == 2  # 93.4 GB of weights: every expert is resident
    assert r.weights_gb == pytest.approx(93.4)
    assert r.flop_per_token == pytest.approx(2 * 12.9e9)
    # Per expert (46.7 - 12.9) / (8 - 2) = 5.633 B parameters; 8 of them = 45.07 B; shared = 1.633 B.
    assert r.expert_bytes == pytest.approx(2 * 45.0667e9, rel=1e-4)
    assert r.shared_weight_bytes == pytest.approx(2 * 1.6333e9, rel=1e-3)


def test_moe_reads_the_experts_its_tokens_route_to():
    r = plan_replica(MIXTRAL, H100, Precision.BF16, max_gpus=8, mean_context_tokens=2000, constants=HAND)
    # One token routes to 2 of 8 experts: a quarter of the expert bytes; many tokens touch nearly all.
    assert r.weight_bytes(1) == pytest.approx(r.shared_weight_bytes + r.expert_bytes / 4)
    assert r.weight_bytes(2) == pytest.approx(r.shared_weight_bytes + r.expert_bytes * (1 - 0.75**2))
    assert r.weight_bytes(64) == pytest.approx(r.shared_weight_bytes + r.expert_bytes, rel=1e-6)
    assert r.decode_step_s(1, 100) < 0.5 * r.decode_step_s(64, 100)


def test_expert_parallelism_pays_an_all_to_all_and_skips_the_tensor_parallel_loss():
    ep = HAND.model_copy(update={"expert_parallel": True})
    tp_only = plan_replica(MIXTRAL, H100, Precision.BF16, max_gpus=2, mean_context_tokens=2000, constants=HAND)
    with_ep = plan_replica(MIXTRAL, H100, Precision.BF16, max_gpus=2, mean_context_tokens=2000, constants=ep)
    # 2 x 32 layers x 2 experts x 4,096 x 2 bytes x 1/2 leaves the GPU, over 2 x 450 GB/s.
    assert with_ep.all_to_all_s_per_token == pytest.approx(2 * 32 * 2 * 4096 * 2 * 0.5 / (2 * 450e9))
    assert tp_only.all_to_all_s_per_token == 0.0
    # The experts' share of the active FLOPs runs at the full 2 GPUs, the rest with the 0.9 loss per doubling.
    share = (46.7 - 12.9) / 6 * 2 / 12.9
    assert with_ep.flop_per_s == pytest.approx(tp_only.flop_per_s / 1.8 / ((1 - share) / 1.8 + share / 2))
    assert with_ep.flop_per_s > tp_only.flop_per_s
    assert with_ep.weight_bytes_per_s == tp_only.weight_bytes_per_s
    dense = plan_replica(LLAMA_8B, H100, Precision.BF16, max_gpus=2, tensor_parallel=2, mean_context_tokens=2000,
                         constants=ep)
    assert dense.all_to_all_s_per_token == 0.0  # a dense model has no experts to spread


# Hand-worked step model --------------------------------------------------------------------------


def test_prefill_by_hand():
    # 2 x 8.03e9 FLOP x 1,000 tokens + attention 524,288 FLOP x 1,000 tokens x 500 of context on average,
    # over 989e12 FLOP/s x 0.5 = 33.008 ms of compute and 16.06e9 B / 1.675e12 B/s = 9.588 ms of weight reads,
    # overlapped (33.008^1.5 + 9.588^1.5)^(1/1.5) = 36.369 ms, plus 1 ms of overhead (one chunk: 1,000 < 8,192)
    assert replica_8b_bf16_h100().prefill_s(1000) == pytest.approx(0.037369, rel=1e-4)


def test_long_prompts_are_prefilled_in_chunks_of_the_token_budget():
    small = HAND.model_copy(update={"prefill_token_budget": 1000})
    r = plan_replica(LLAMA_8B, H100, Precision.BF16, max_gpus=1, mean_context_tokens=20_000, constants=small)
    one = plan_replica(LLAMA_8B, H100, Precision.BF16, max_gpus=1, mean_context_tokens=20_000, constants=HAND)
    # 4,000 tokens: 4 chunks, each paying the overhead and reading the weights once
    assert r.prefill_s(4000) == pytest.approx(4 * r.step_s(0, 1000, 4000, 2000))
    assert r.prefill_s(4000) > one.prefill_s(4000) + 3 * 0.001


def test_decode_step_at_batch_1_is_bandwidth_bound_by_hand():
    # 16.06e9 B of weights / (3.35e12 B/s x 0.5) + 131,072 B x 1,000 tokens / (3.35e12 B/s x 0.5) = 9.666 ms;
    # compute (16.06e9 + 524,288 x 1,000) / 494.5e12 = 0.034 ms barely adds: (9.666^1.5 + 0.034^1.5)^(1/1.5)
    # = 9.667 ms, plus 1 ms
    assert replica_8b_bf16_h100().decode_step_s(1, 1000) == pytest.approx(0.0106673, rel=1e-4)


def test_weights_and_kv_cache_are_read_at_their_own_efficiencies():
    slow_kv = HAND.model_copy(update={"kv_read_efficiency": 0.25})
    r = plan_replica(LLAMA_8B, H100, Precision.BF16, max_gpus=1, mean_context_tokens=2000, constants=slow_kv)
    # the KV read (0.078 ms at 0.5) takes twice as long; the weight read is unchanged: memory 9.744 ms
    assert r.decode_step_s(1, 1000) == pytest.approx(0.0107456, rel=1e-4)
    assert r.decode_step_s(1, 1000) - replica_8b_bf16_h100().decode_step_s(1, 1000) == pytest.approx(
        131_072 * 1000 / 1.675e12, rel=1e-2)


def test_decode_step_at_batch_512_overlaps_compute_and_memory_in_part_by_hand():
    # compute: (2 x 8.03e9 x 512 + 524,288 x 512 x 100) / 494.5e12 = 16.683 ms; memory: 9.588 ms of weights
    # + 512 x 131,072 B x 100 / 1.675e12 B/s = 13.595 ms; (16.683^1.5 + 13.595^1.5)^(1/1.5) = 24.094 ms, more
    # than either alone and less than their sum; plus 1 ms
    assert replica_8b_bf16_h100().decode_step_s(512, 100) == pytest.approx(0.025094, rel=1e-4)


def test_step_adds_prefill_flops_to_the_compute_term():
    r = replica_8b_bf16_h100()
    # 4 decodes at 1,000 of context and 2,000 prompt tokens at 500: (2 x 8.03e9 x 2,004 + 524,288 x 1,004,000)
    # / 494.5e12 = 66.149 ms; memory 9.901 ms; overlapped 68.679 ms, plus 1 ms
    assert r.step_s(4, 2000, 1000) == pytest.approx(0.069679, rel=1e-4)
    assert r.step_s(4, 0, 1000) == r.decode_step_s(4, 1000)


def test_compute_and_memory_overlap_between_their_sum_and_their_maximum():
    assert overlapped(3.0, 4.0, 1.0) == pytest.approx(7.0)  # p = 1: one after the other
    assert overlapped(3.0, 4.0, 2.0) == pytest.approx(5.0)  # p = 2: the Euclidean norm
    assert overlapped(4.0, 3.0, 1.5) == overlapped(3.0, 4.0, 1.5)
    assert 4.0 < overlapped(3.0, 4.0, 16.0) < 4.01  # p large: the larger of the two, a plain roofline
    assert overlapped(0.0, 0.0, 1.5) == 0.0 and overlapped(2e-9, 0.0, 1.5) == 2e-9
    assert overlapped(1e-300, 1e-301, 16.0) == pytest.approx(1e-300)  # no underflow
    exponents = [1.0, 1.25, 1.5, 2.0, 4.0, 16.0]
    times = [overlapped(3.0, 4.0, p) for p in exponents]
    assert times == sorted(times, reverse=True)


def test_tensor_parallel_scales_rates_with_a_loss_per_doubling():
    assert tp_scaling(1, 0.9) == 1.0
    assert tp_scaling(8, 0.9) == pytest.approx(0.9**3)
    r = plan_replica(LLAMA_70B, H100, Precision.BF16, max_gpus=8, mean_context_tokens=2000, constants=HAND)
    assert r.tensor_parallel == 2
    # The matrix products and KV reads keep 0.9 of the ideal speed-up; each GPU reads its half of the weights at
    # full speed: 141.2e9 B / (2 x 3.35e12 B/s x 0.5) = 42.149 ms, overlapped with the token's 141.2e9 FLOP over
    # 890 TFLOP/s = 0.159 ms (+6.5 us), plus 1 ms, plus 2 x 80 all-reduces of 10 us and, for the one token,
    # 160 x 8,192 values x 2 bytes x 2 x 1/2 over 450 GB/s = 5.8 us
    assert r.flop_per_s == pytest.approx(989e12 * 2 * 0.9 * 0.5)
    assert r.kv_bytes_per_s == pytest.approx(3.35e12 * 2 * 0.9 * 0.5)
    assert r.weight_bytes_per_s == pytest.approx(3.35e12 * 2 * 0.5)
    all_reduce = 160 * 10e-6 + 160 * 8192 * 2 * 2 * 0.5 / 450e9
    assert r.all_reduce_s == pytest.approx(160 * 10e-6)
    assert r.decode_step_s(1, 0) == pytest.approx(0.043156 + all_reduce, rel=1e-4)


def test_tensor_parallel_over_pcie_pays_more_for_its_all_reduces():
    pcie = H100.model_copy(update={"link_gb_s": None})  # no link given: PCIe, as nccl-tests measure it
    fast = plan_replica(LLAMA_70B, H100, Precision.FP8, max_gpus=4, tensor_parallel=4, mean_context_tokens=2000,
                        constants=HAND)
    slow = plan_replica(LLAMA_70B, pcie, Precision.FP8, max_gpus=4, tensor_parallel=4, mean_context_tokens=2000,
                        constants=HAND)
    assert H100.link_gb_s == 450 and HAND.pcie_allreduce_gb_s == 24.0
    assert slow.all_reduce_s_per_token == pytest.approx(fast.all_reduce_s_per_token * 450 / 24)
    # 2 all-reduces x 80 layers, each 40 us over PCIe against 10 us over NVLink
    assert slow.all_reduce_s == pytest.approx(160 * 40e-6) and fast.all_reduce_s == pytest.approx(160 * 10e-6)
    l40s = load_gpus()["L40S"]  # a PCIe Gen4 card: its own 32 GB/s link is not what a ring all-reduce reaches
    assert over_pcie(l40s) and over_pcie(pcie) and not over_pcie(H100)
    assert slow.throughput(1000, 1000).output_tokens_per_s < 0.8 * fast.throughput(1000, 1000).output_tokens_per_s


def test_throughput_is_the_steady_state_of_the_step_model_by_hand():
    r = replica_8b_bf16_h100()
    t = r.throughput(1000, 100, batch=100)
    # 100 slots: each request decodes 99 iterations after the one that prefills it, so 1 request finishes per
    # iteration, 99 sequences decode and 1,000 prompt tokens are prefilled (within the 8,192 budget).
    # compute: (2 x 8.03e9 x 1,099 + 524,288 x (99 x 1,050 + 1,000 x 500)) / 494.5e12 = 36.333 ms
    # memory: 9.588 ms of weights + 99 x 131,072 x 1,050 / 1.675e12 = 17.72 ms; overlapped
    # (36.333^1.5 + 17.72^1.5)^(1/1.5) = 44.174 ms; iteration = 45.174 ms
    assert t.decoding == pytest.approx(99)
    assert t.tpot_ms == pytest.approx(45.174, rel=1e-4)
    assert t.requests_per_s == pytest.approx(1 / 0.045174, rel=1e-4)
    assert t.output_tokens_per_s == pytest.approx(100 * t.requests_per_s)
    assert t.ttft_ms == pytest.approx(37.369, rel=1e-4)
    assert r.throughput(1000, 100).batch == r.max_concurrent_sequences


def test_the_token_budget_caps_a_full_batch():
    r = replica_8b_bf16_h100()
    # 5,000-token prompts and 100 output tokens: 99 x d + 5,000 x r <= 8,192 per iteration with d = 99 r
    t = r.throughput(5000, 100, batch=200)
    assert t.requests_per_s * t.tpot_ms / 1000 == pytest.approx(8192 / (99 + 5000), rel=1e-6)
    bigger = plan_replica(LLAMA_8B, H100, Precision.BF16, max_gpus=1, mean_context_tokens=2000,
                          constants=HAND.model_copy(update={"prefill_token_budget": 16_384}))
    assert bigger.throughput(5000, 100, batch=200).requests_per_s > t.requests_per_s


# Engine levers -----------------------------------------------------------------------------------


def test_fp8_kv_cache_halves_the_kv_bytes_beside_bf16_weights():
    fp8_kv = plan_replica(LLAMA_8B, H100, Precision.BF16, max_gpus=1, mean_context_tokens=2000, constants=HAND,
                          kv_precision=KvPrecision.FP8)
    assert fp8_kv.kv_bytes_per_token == 65_536
    assert fp8_kv.kv_capacity_tokens == int(60.94e9 // 65_536) == 929_870
    assert kv_precision_for(Precision.FP4) is KvPrecision.FP8 and kv_precision_for(Precision.INT4) is KvPrecision.BF16


@pytest.mark.parametrize("precision, bytes_per_param, flops", [
    (Precision.INT8, 1.0, 989e12), (Precision.INT4, 0.5, 989e12), (Precision.FP4, 0.5, 1979e12),
])
def test_quantised_weights_read_less_and_run_at_their_rate(precision, bytes_per_param, flops):
    h100 = H100.model_copy(update={"int8_tops": 1979})  # INT8 is weight-only: its datasheet rate goes unused
    r = plan_replica(LLAMA_8B, h100, precision, max_gpus=1, mean_context_tokens=2000, constants=HAND)
    assert r.weights_gb == pytest.approx(8.03 * bytes_per_param)
    assert r.flop_per_s == pytest.approx(flops * 0.5)  # H100 has no FP4 units: FP4 runs at the FP8 rate
    b200 = H100.model_copy(update={"gpu": "B200", "fp4_tflops": 9000})
    assert b200.peak_flops(Precision.FP4) == 9000e12


@pytest.mark.parametrize("gpu, precision, rate, factor", [
    ("H100", Precision.BF16, 989e12, 1.0),
    ("H100", Precision.FP8, 1979e12, 0.8),
    ("H100", Precision.FP4, 1979e12, 0.8),  # no FP4 units: the FP8 rate, and its factor
    ("B200", Precision.FP4, 9000e12, 0.6),
    ("A100", Precision.FP8, 312e12, 1.0),  # no FP8 units: the BF16 rate, at the plain compute efficiency
])
def test_each_tensor_core_rate_reaches_its_own_share(gpu, precision, rate, factor):
    gpus = {"H100": H100, "B200": H100.model_copy(update={"gpu": "B200", "fp4_tflops": 9000}),
            "A100": H100.model_copy(update={"gpu": "A100", "bf16_tflops": 312, "fp8_tflops": None})}
    constants = HAND.model_copy(update={"fp8_compute_factor": 0.8, "fp4_compute_factor": 0.6})
    r = plan_replica(LLAMA_8B, gpus[gpu], precision, max_gpus=1, mean_context_tokens=2000, constants=constants)
    assert r.flop_per_s == pytest.approx(rate * 0.5 * factor)


def test_prefix_cache_hits_skip_prefill_but_keep_the_context():
    cached = plan_replica(LLAMA_8B, H100, Precision.BF16, max_gpus=1, mean_context_tokens=2000,
                          constants=HAND.model_copy(update={"prefix_cache_hit_rate": 0.75}))
    assert cached.prefill_tokens(4000) == 1000
    assert cached.prefill_context(4000) == 3000 + 500
    assert cached.prefill_s(4000) < 0.3 * replica_8b_bf16_h100().prefill_s(4000)
    assert cached.throughput(4000, 100, batch=64).requests_per_s > replica_8b_bf16_h100().throughput(
        4000, 100, batch=64).requests_per_s


def test_speculative_decoding_emits_more_tokens_per_step_at_low_load():
    spec = HAND.model_copy(update={"spec_draft_tokens": 3, "spec_acceptance_rate": 0.7})
    assert spec.tokens_per_step == pytest.approx((1 - 0.7**4) / 0.3)  # 2.533 tokens per iteration
    r = plan_replica(LLAMA_8B, H100, Precision.BF16, max_gpus=1, mean_context_tokens=2000, constants=spec)
    plain = replica_8b_bf16_h100()
    assert r.throughput(1000, 200, batch=1).tpot_ms < 0.5 * plain.throughput(1000, 200, batch=1).tpot_ms
    # at a full batch the step is compute-bound: verifying 4 tokens per sequence costs more than it saves
    full, plain_full = r.throughput(100, 200, batch=512), plain.throughput(100, 200, batch=512)
    assert full.output_tokens_per_s < plain_full.output_tokens_per_s


# Monotonicity ------------------------------------------------------------------------------------


@pytest.mark.parametrize("gpu", [H100, L4], ids=lambda g: g.gpu)
def test_larger_batch_gives_more_throughput_and_longer_steps(gpu):
    r = plan_replica(LLAMA_8B, gpu, Precision.BF16, max_gpus=1, mean_context_tokens=100)
    batches = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]
    results = [r.throughput(500, 200, batch=b) for b in batches]
    steps = [t.tpot_ms for t in results]
    assert all(a.output_tokens_per_s < b.output_tokens_per_s for a, b in itertools.pairwise(results))
    assert all(a < b for a, b in itertools.pairwise(steps))


def test_more_input_tokens_mean_longer_prefill_and_less_throughput():
    r = replica_8b_bf16_h100()
    prefills = [r.prefill_s(n) for n in (100, 1000, 10_000)]
    assert prefills == sorted(prefills) and len(set(prefills)) == 3
    rates = [r.throughput(n, 200, batch=64).output_tokens_per_s for n in (100, 1000, 10_000)]
    assert rates == sorted(rates, reverse=True)


def test_bad_arguments_raise_value_error():
    r = replica_8b_bf16_h100()
    with pytest.raises(ValueError, match="output_tokens"):
        r.throughput(100, 0)
    with pytest.raises(ValueError, match="batch"):
        r.throughput(100, 10, batch=0)
    with pytest.raises(ValueError, match="max_gpus"):
        plan_replica(LLAMA_8B, H100, Precision.BF16, max_gpus=0, mean_context_tokens=100)


# Constants, overrides and calibration ------------------------------------------------------------


def test_every_constant_is_described():
    descriptions = describe_constants()
    assert set(descriptions) == {"serving." + name for name in ServingConstants.model_fields}
    assert all(len(text) > 10 for text in descriptions.values())


def test_overrides_apply_serving_keys_and_ignore_others():
    c = ServingConstants().with_overrides({"serving.kv_read_efficiency": 0.7, "cost.margin": 5.0,
                                           "serving.expert_parallel": 1.0, "serving.prefill_token_budget": 2048.0})
    assert (c.kv_read_efficiency, c.expert_parallel, c.prefill_token_budget) == (0.7, True, 2048)
    assert c.weight_read_efficiency is None  # left to the calibration


def test_first_model_keys_still_load():
    c = ServingConstants().with_overrides({"serving.bandwidth_efficiency": 0.6, "serving.prefill_efficiency": 0.4})
    assert (c.weight_read_efficiency, c.kv_read_efficiency, c.compute_efficiency) == (0.6, 0.6, 0.4)
    explicit = ServingConstants().with_overrides({"serving.prefill_efficiency": 0.4, "serving.compute_efficiency": 0.3})
    assert explicit.compute_efficiency == 0.3  # the current key wins over the old one


def test_unknown_serving_override_is_refused_in_plain_words():
    with pytest.raises(ValueError, match=r"'serving\.warp_speed' is not a serving assumption"):
        ServingConstants().with_overrides({"serving.warp_speed": 2.0})


@pytest.mark.parametrize(
    "key, value",
    [
        ("serving.weight_read_efficiency", 1.5),
        ("serving.compute_efficiency", 0.0),
        ("serving.step_overhead_ms", -1),
        ("serving.prefix_cache_hit_rate", 1.5),
        ("serving.spec_draft_tokens", 3.5),
        ("serving.expert_parallel", 0.5),
    ],
)
def test_out_of_range_override_is_refused(key, value):
    with pytest.raises(ValueError, match=f"{key} = .* is out of range"):
        ServingConstants().with_overrides({key: value})


def test_constants_are_frozen():
    with pytest.raises(ValueError):
        ServingConstants().kv_read_efficiency = 0.9  # type: ignore[misc]


def test_empty_efficiencies_come_from_the_vendor_calibration():
    rows = load_efficiencies()
    assert {"nvidia", "amd"} <= set(rows)
    amd = ServingConstants().for_vendor("amd")
    assert amd.compute_efficiency == rows["amd"].compute_efficiency
    assert ServingConstants().for_vendor(None).weight_read_efficiency == rows["nvidia"].weight_read_efficiency
    mine = ServingConstants(weight_read_efficiency=0.33).for_vendor("amd")
    assert mine.weight_read_efficiency == 0.33 and mine.kv_read_efficiency == rows["amd"].kv_read_efficiency


def test_every_calibration_point_names_a_catalog_model_and_gpu_and_a_source():
    from planner.inputs.calibration import load_measurements
    from planner.inputs.catalog import load_gpus, load_llms

    points = load_measurements()
    assert len(points) >= 40
    assert {p.model_id for p in points} <= set(load_llms())
    assert {p.gpu for p in points} <= set(load_gpus())
    assert {"nvidia", "amd"} <= {load_gpus()[p.gpu].vendor for p in points}
    assert all(p.source.strip() and p.gpus % p.tp == 0 for p in points)
    assert not any("mlperf" in (p.source + (p.notes or "")).lower() for p in points)  # kept for validation


def test_the_fit_recovers_constants_that_generated_the_measurements():
    from planner.estimate.fitting import calibration_set, fit, fitted_names, predict
    from planner.inputs.calibration import load_measurements

    truth = ServingConstants(compute_efficiency=0.4, weight_read_efficiency=0.8, kv_read_efficiency=0.5,
                             step_overhead_ms=1.5, sequence_overhead_us=20.0, fp8_compute_factor=0.8,
                             fp4_compute_factor=0.6, tp_efficiency=0.9, dequant_flops_per_weight=40.0)
    points = calibration_set(load_measurements(), "nvidia")
    synthetic = [p.model_copy(update={"value": predict(p, truth)}) for p in points]
    found = fit(synthetic)
    assert fitted_names(synthetic) == CALIBRATED  # points at 16-, 8- and 4-bit rates and weight-only ones decide all
    for name in CALIBRATED:
        assert getattr(found, name) == pytest.approx(getattr(truth, name), rel=0.02), name


def test_a_rate_no_point_ran_at_keeps_its_starting_factor():
    from planner.estimate.fitting import START, calibration_set, fit, fitted_names, rate_bits
    from planner.inputs.calibration import load_measurements

    points = [p for p in calibration_set(load_measurements(), "nvidia") if rate_bits(p) != 4]
    assert "fp4_compute_factor" not in fitted_names(points)
    assert fitted_names(points)[:6] == CALIBRATED[:6]
    held = (*START[:7], 0.42, *START[8:])
    assert fit(points, None, held).fp4_compute_factor == 0.42


def test_constants_the_points_cannot_tell_apart_are_borrowed():
    from planner.estimate.fitting import calibration_set, fitted_names
    from planner.inputs.calibration import load_efficiencies, load_measurements

    amd = calibration_set(load_measurements(), "amd")
    assert {p.tp for p in amd} == {8} and {p.precision for p in amd} == {Precision.FP8}
    # At one degree the tensor-parallel loss scales every rate as the efficiencies do; with no 16-bit point the
    # FP8 factor is the compute efficiency's twin. Both are NVIDIA's.
    assert {"tp_efficiency", "fp8_compute_factor"}.isdisjoint(fitted_names(amd))
    assert "compute_efficiency" in fitted_names(amd)
    stacks = load_efficiencies()
    assert stacks["amd"].tp_efficiency == stacks["nvidia"].tp_efficiency
    assert stacks["amd"].fp8_compute_factor == stacks["nvidia"].fp8_compute_factor


@pytest.mark.parametrize("gpu, precision, weight_only", [
    ("A100-80GB", Precision.BF16, False), ("A100-80GB", Precision.INT8, True), ("A100-80GB", Precision.INT4, True),
    ("A100-80GB", Precision.FP8, True), ("H100-SXM", Precision.FP8, False), ("H100-SXM", Precision.FP4, True),
    ("B200", Precision.FP4, False), ("H100-SXM", Precision.INT8, True),
])
def test_weights_narrower_than_their_rate_are_weight_only(gpu, precision, weight_only):
    assert load_gpus()[gpu].weight_only(precision) is weight_only


def test_weight_only_kernels_pay_a_dequantisation_per_weight_and_only_their_points_decide_it():
    from planner.estimate.fitting import calibration_set, fitted_names
    from planner.inputs.calibration import load_measurements

    points = calibration_set(load_measurements(), "nvidia")
    assert "dequant_flops_per_weight" in fitted_names(points)
    plain = [p for p in points if not load_gpus()[p.gpu].weight_only(p.precision)]
    assert "dequant_flops_per_weight" not in fitted_names(plain)
    llm, a100 = load_llms()["qwen2.5-32b"], load_gpus()["A100-80GB"]  # 2.039 TB/s, 312 BF16 TFLOP/s
    c = ServingConstants(weight_read_efficiency=0.8, dequant_flops_per_weight=62.4)
    read = 1 / (2.039e12 * 0.8)  # s per byte
    for precision, dequant in ((Precision.BF16, 0.0), (Precision.INT8, 62.4 / 312e12), (Precision.INT4, 62.4 / 156e12)):
        replica = plan_replica(llm, a100, precision, max_gpus=1, mean_context_tokens=3000, constants=c)
        assert replica.weight_bytes_per_s == pytest.approx(1 / (read + dequant)), precision
        assert replica.flop_per_s == pytest.approx(312e12 * c.value("compute_efficiency")), precision


def test_the_closed_form_leaves_out_points_it_does_not_describe():
    from planner.estimate.fitting import predict
    from planner.inputs.calibration import load_measurements

    points = {p.id: p for p in load_measurements()}
    fixed_rate = next(p for i, p in points.items() if "qps" in i)
    assert predict(fixed_rate) is None
    loaded_ttft = fixed_rate.model_copy(update={"id": "ttft-at-64", "metric": "ttft_ms", "concurrency": 64})
    assert predict(loaded_ttft) is None


def test_kv_heads_fewer_than_gpus_are_stored_on_several_gpus() -> None:
    llms = load_llms()
    qwen, llama, deepseek = llms["qwen3-235b-a22b"], llms["llama-3.3-70b"], llms["deepseek-v3"]
    assert qwen.kv_heads == 4
    assert kv_replication(qwen, 8) == 2.0 and kv_replication(qwen, 4) == 1.0
    assert kv_replication(llama, 8) == 1.0  # 8 KV heads over 8 GPUs: one each
    assert kv_replication(deepseek, 8) == 1.0  # a latent cache
    h100 = load_gpus()["H100-SXM"]
    split = plan_replica(qwen, h100, Precision.FP8, max_gpus=8, tensor_parallel=8, mean_context_tokens=2000)
    free_gb = 8 * h100.memory_gb - split.weights_gb - 8 * split.constants.runtime_reserved_gb_per_gpu
    assert split.kv_bytes_per_token == 2 * kv_bytes_per_token(qwen, KvPrecision.FP8, 2000)
    assert split.kv_capacity_tokens == int(free_gb * 1e9 // split.kv_bytes_per_token)
