"""Cost per million output tokens, checked against a hand calculation of the roofline model."""

from __future__ import annotations

import math

import pytest

from planner.estimate.token_costs import token_costs
from planner.inputs.catalog import load_gpus, load_instances
from planner.inputs.files import load_presets
from planner.inputs.models import Assessment, GpuSpec, InstancePrice, PricingOption

T1 = GpuSpec(gpu="T1", memory_gb=80, bandwidth_tb_s=2.0, bf16_tflops=500, source="test GPU", as_of="2026-11")
GPUS = {"T1": T1}


def instance(name: str = "t1.small", gpus: int = 1, price: float = 2.0, spot: float | None = None) -> InstancePrice:
    return InstancePrice(provider="testcloud", instance=name, region="r1", gpu="T1", gpu_count=gpus, vcpus=8 * gpus,
                         on_demand_usd_h=price, spot_usd_h=spot, source="test price", as_of="2026-11")


def assessment(overrides: dict[str, float] | None = None, **workload: object) -> Assessment:
    """Llama 3.1 8B in BF16, 1000 tokens in and 300 out, with an end-to-end target loose enough for any batch."""
    base = load_presets()["blank"].model_dump()
    base["assumption_overrides"] = overrides or {}
    base["workload"].update({"model_id": "llama-3.1-8b", "precision": "bf16", "mean_input_tokens": 1000,
                             "mean_output_tokens": 300, "p95_ttft_ms": 1500, "p95_e2e_ms": 120_000, **workload})
    return Assessment.model_validate(base)


HAND = {"serving.compute_efficiency": 0.45, "serving.weight_read_efficiency": 0.55,
        "serving.kv_read_efficiency": 0.55, "serving.step_overhead_ms": 2.0,
        "serving.sequence_overhead_us": 0.0, "serving.overlap_exponent": 1.5}  # round figures for the hand sums


def test_cost_per_million_tokens_matches_a_hand_calculation() -> None:
    # Llama 3.1 8B: 8.03e9 parameters, 32 layers, 32 query and 8 KV heads of 128 dims; BF16 = 2 bytes.
    weights = 8.03e9 * 2  # 16.06 GB
    kv_per_token = 2 * 32 * 8 * 128 * 2  # 131,072 bytes
    attention = 4 * 32 * 32 * 128  # FLOP per token per token of context
    # One T1 (80 GB): 80 - 16.06 - 3 GB runtime reserve = 60.94 GB of KV cache, 1300 tokens a sequence.
    sequences = min(512, int(60.94e9 // kv_per_token) // 1300)
    assert sequences == 357
    # Steady state: a request decodes 299 iterations after the one that prefills it, so 357 / 300 requests
    # finish per iteration (the 8,192-token budget would allow more); 355.8 sequences decode at 1,150 tokens of
    # context and 1,190 prompt tokens are prefilled at 500 of context, every iteration.
    r = sequences / 300
    decoding, prefill = r * 299, r * 1000
    compute = (2 * 8.03e9 * (decoding + prefill) + attention * (decoding * 1150 + prefill * 500)) / (500e12 * 0.45)
    memory = (weights + decoding * kv_per_token * 1150) / (2.0e12 * 0.55)
    # compute 0.113 s and memory 0.063 s overlap in part: (0.113^1.5 + 0.063^1.5)^(1/1.5) = 0.142 s
    step = (compute**1.5 + memory**1.5) ** (1 / 1.5) + 0.002
    assert compute > memory and max(compute, memory) + 0.002 < step < compute + memory + 0.002
    tokens_per_hour = r * 300 / step * 3600 * 0.8  # at the sizing's 80 % utilisation
    expected = 2.0 / tokens_per_hour * 1e6
    assert expected == pytest.approx(0.2810, abs=5e-4)

    [row] = token_costs(assessment(overrides=HAND), [instance()], GPUS).rows
    assert (row.batch, row.tensor_parallel, row.replicas_per_instance) == (sequences, 1, 1)
    assert row.usd_per_million_output_tokens == pytest.approx(expected, rel=1e-9)
    assert row.tpot_ms == pytest.approx(step * 1000, rel=1e-9)
    prefill_compute = (2 * 8.03e9 * 1000 + attention * 1000 * 500) / (500e12 * 0.45)  # one chunk
    prefill_one = (prefill_compute**1.5 + (weights / (2.0e12 * 0.55)) ** 1.5) ** (1 / 1.5) + 0.002
    assert row.ttft_ms == pytest.approx(prefill_one * 1000, rel=1e-9)
    assert row.meets_ttft_target


def test_a_tight_target_lowers_the_batch_and_raises_the_cost() -> None:
    loose = token_costs(assessment(), [instance()], GPUS).rows[0]
    tight = token_costs(assessment(p95_e2e_ms=20_000), [instance()], GPUS).rows[0]
    assert tight.batch < loose.batch
    assert tight.usd_per_million_output_tokens > loose.usd_per_million_output_tokens


def test_cost_is_proportional_to_price_and_inverse_to_utilisation() -> None:
    one = token_costs(assessment(), [instance(price=2.0)], GPUS).rows[0].usd_per_million_output_tokens
    two = token_costs(assessment(), [instance(price=4.0)], GPUS).rows[0].usd_per_million_output_tokens
    busy = token_costs(assessment(), [instance(price=2.0)], GPUS, utilisation=0.4).rows[0]
    assert two == pytest.approx(2 * one, rel=1e-12)
    assert busy.usd_per_million_output_tokens == pytest.approx(2 * one, rel=1e-12)


def test_eight_gpus_at_eight_times_the_price_cost_the_same_per_token() -> None:
    # A model that fits one GPU runs one replica per GPU, so the per-token cost does not change.
    costs = token_costs(assessment(), [instance(), instance("t1.8x", gpus=8, price=16.0)], GPUS)
    small, large = sorted(costs.rows, key=lambda r: r.gpu_count)
    assert (large.tensor_parallel, large.replicas_per_instance) == (1, 8)
    assert large.usd_per_million_output_tokens == pytest.approx(small.usd_per_million_output_tokens, rel=1e-9)


def test_rows_are_cheapest_first_and_one_per_gpu_type_is_the_cheapest() -> None:
    costs = token_costs(load_presets()["blank"], load_instances(), load_gpus())
    prices = [r.usd_per_million_output_tokens for r in costs.rows]
    assert prices == sorted(prices)
    best = costs.cheapest_per_gpu()
    assert len({r.gpu for r in best}) == len(best) == len({r.gpu for r in costs.rows})
    for row in best:
        assert row.usd_per_million_output_tokens == min(
            r.usd_per_million_output_tokens for r in costs.rows if r.gpu == row.gpu)


def test_rows_are_priced_as_the_fleet_prices_them() -> None:
    # Under spot, a row without a spot price is priced on-demand and says so, as the fleet does (issue 15 item 1).
    costs = token_costs(assessment(pricing=PricingOption.SPOT), [instance(), instance("t1.spot", spot=1.0)], GPUS)
    assert {(r.instance, r.price_usd_h, r.price_basis) for r in costs.rows} == {
        ("t1.spot", 1.0, "spot"), ("t1.small", 2.0, "on-demand (no spot price)")}
    assert costs.unservable == ()
    community = instance("t1.community").model_copy(update={"tier": "community"})
    assert [r.instance for r in token_costs(assessment(), [community], GPUS).rows] == []
    allowed = token_costs(assessment(allow_community_instances=True), [community], GPUS)
    assert [r.instance for r in allowed.rows] == ["t1.community"]


def test_instances_that_cannot_serve_say_why() -> None:
    too_big = token_costs(assessment(model_id="llama-3.1-405b"), [instance()], GPUS)
    assert too_big.rows == ()
    assert "needs about" in too_big.unservable[0]


def test_a_gpu_without_a_spec_is_named() -> None:
    costs = token_costs(assessment(), [instance()], {})
    assert costs.unservable == ("testcloud t1.small: no spec for GPU type T1",)


def test_fp8_is_cheaper_per_token_than_bf16_on_a_gpu_with_fp8_units() -> None:
    h100 = load_gpus()["H100-SXM"]
    row = instance().model_copy(update={"gpu": "H100-SXM"})
    bf16 = token_costs(assessment(), [row], {"H100-SXM": h100}).rows[0]
    fp8 = token_costs(assessment(precision="fp8"), [row], {"H100-SXM": h100}).rows[0]
    assert fp8.usd_per_million_output_tokens < bf16.usd_per_million_output_tokens


@pytest.mark.parametrize("utilisation", [0.0, -0.5, 1.5, math.nan])
def test_a_silly_utilisation_is_refused(utilisation: float) -> None:
    with pytest.raises(ValueError, match="utilisation"):
        token_costs(assessment(), [instance()], GPUS, utilisation=utilisation)
