"""The serving calculator (planner.estimate.calculator) and its closed-loop simulation.

The serving numbers are recalibrated from time to time, so the tests hold relations rather than figures:
the full-load point is the closed form of the replica ``plan_replica`` builds, times the replicas; the
closed-loop throughput grows with concurrency and levels off at that closed form; at concurrency 1 the
time between tokens is the closed-form time per token at batch 1; Little's law holds; bad inputs name
their field. A toy step model with a constant iteration time checks the closed loop by hand.
"""

from __future__ import annotations

from itertools import pairwise

import pytest

from planner.errors import InputError
from planner.estimate.calculator import MAX_CONCURRENCY, serving_point, sweep_concurrencies
from planner.estimate.serving import ServingConstants, plan_replica
from planner.estimate.simulation import InferenceStation
from planner.estimate.simulation.closed_loop import (
    ITERATIONS_PER_REQUEST,
    MAX_ITERATIONS,
    run_sizes,
    simulate_closed_loop,
)
from planner.inputs.catalog import load_gpus, load_llms
from planner.inputs.models import Precision

SMALL = ("llama-3.1-8b", "H100-SXM", 1, None, Precision.FP8, None, 1000, 1000)  # batch cap in the hundreds
# Llama 3.3 70B in FP8 on one H100 holds only a few tens of sequences: saturates at low concurrency.
TIGHT = ("llama-3.3-70b", "H100-SXM", 2, 1, Precision.FP8, None, 1000, 200)
SATURATION_TOLERANCE = 0.15  # closed loop against the closed form, well past the batch cap
TPOT_TOLERANCE = 0.05  # closed loop at concurrency 1 against the closed form at batch 1


def closed_form(model_id: str, gpu: str, gpus: int, tp: int | None, precision: Precision, input_tokens: int,
                output_tokens: int, batch: int | None = None) -> tuple[int, float, float]:
    """(replicas, output tokens/s of one replica, time per output token ms) straight from the serving model."""
    replica = plan_replica(load_llms()[model_id], load_gpus()[gpu], precision, max_gpus=gpus,
                           mean_context_tokens=input_tokens + output_tokens, tensor_parallel=tp)
    estimate = replica.throughput(input_tokens, output_tokens, batch)
    return gpus // replica.tensor_parallel, estimate.output_tokens_per_s, estimate.tpot_ms


def test_full_load_is_the_closed_form_times_the_replicas():
    point = serving_point("llama-3.1-8b", "H100-SXM", 3, None, Precision.FP8, None, 1000, 1000)
    replicas, per_replica, tpot = closed_form("llama-3.1-8b", "H100-SXM", 3, None, Precision.FP8, 1000, 1000)
    assert (point.tp, point.replicas) == (1, 3) == (1, replicas)
    assert point.output_tokens_per_s == pytest.approx(3 * per_replica)
    assert point.tpot_ms == pytest.approx(tpot)
    assert point.itl_ms is None and point.e2e_ms is None and point.concurrency is None


def test_gpus_split_into_replicas_and_leftovers_idle():
    # 70B in BF16 (141 GB) needs two H100s, which leave KV cache for 32 sequences; one replica of four holds 424
    # and serves more than two pairs, so five GPUs make one replica of four and leave one idle
    point = serving_point("llama-3.3-70b", "H100-SXM", 5, None, Precision.BF16, None, 1000, 200)
    pairs = serving_point("llama-3.3-70b", "H100-SXM", 5, 2, Precision.BF16, None, 1000, 200)
    assert (point.tp, point.replicas) == (4, 1) and (pairs.tp, pairs.replicas) == (2, 2)
    assert point.output_tokens_per_s > pairs.output_tokens_per_s
    fixed = serving_point("llama-3.3-70b", "H100-SXM", 8, 4, Precision.BF16, None, 1000, 200)
    assert (fixed.tp, fixed.replicas) == (4, 2)


def test_auto_split_is_the_one_with_the_most_throughput_as_the_planner_picks():
    # Llama 2 70B in FP8 (70 GB) on one 80 GB H100 leaves KV cache for few sequences; pairs hold many more, so
    # four pairs serve more than eight single GPUs (the MLPerf Inference setup of this model on H100)
    args = ("llama-2-70b", "H100-SXM", 8)
    auto = serving_point(*args, None, Precision.FP8, None, 294, 287)
    fixed = {tp: serving_point(*args, tp, Precision.FP8, None, 294, 287) for tp in (1, 2, 4, 8)}
    assert fixed[1].batch < fixed[2].batch
    best = max(fixed.values(), key=lambda p: p.output_tokens_per_s)
    assert (auto.tp, auto.replicas) == (best.tp, best.replicas) == (2, 4)
    assert auto.output_tokens_per_s == pytest.approx(best.output_tokens_per_s)
    assert auto.output_tokens_per_s > 1.2 * fixed[1].output_tokens_per_s
    # where one GPU holds the model with room to spare, more GPUs per replica only lose (the fewest win)
    small = serving_point("llama-3.1-8b", "H100-SXM", 4, None, Precision.FP8, None, 1000, 1000)
    assert small.tp == 1


def test_throughput_grows_with_concurrency_and_saturates_at_the_closed_form():
    replicas, per_replica, _ = closed_form(*TIGHT[:5], *TIGHT[6:])
    cap = serving_point(*TIGHT).batch
    ladder = [1, 4, 16, 2 * replicas * cap, 8 * replicas * cap]
    tokens = [serving_point(*TIGHT, concurrency=c).output_tokens_per_s for c in ladder]
    assert all(b > a for a, b in pairwise(tokens[:4])), tokens
    for value in tokens[3:]:
        assert value == pytest.approx(replicas * per_replica, rel=SATURATION_TOLERANCE)


def test_thousands_of_clients_never_beat_the_closed_form_and_fill_the_batch_slots():
    # 8 B200 replicas of Llama 3.1 8B hold about 10,000 sequences. The warm-up once ended inside the clients'
    # first wave, which all start together, and 4,096 clients then "served" 477,000 tokens/s: 1.9x the maximum.
    many = ("llama-3.1-8b", "B200", 8, None, Precision.FP8, None, 1000, 1000)
    most = serving_point(*many).output_tokens_per_s
    for c in (2048, MAX_CONCURRENCY):
        assert serving_point(*many, concurrency=c).output_tokens_per_s <= most * (1 + SATURATION_TOLERANCE)
    warmup, measured = run_sizes(MAX_CONCURRENCY)
    assert warmup >= MAX_CONCURRENCY and measured >= MAX_CONCURRENCY  # every client past its first, whole cycles
    # Llama 4 Maverick on 8 H200: one replica of 2,048 slots; 2,048 clients fill it.
    maverick = ("llama-4-maverick", "H200", 8, None, Precision.FP8, None, 1000, 1000)
    full = serving_point(*maverick)
    assert full.batch == 2048
    assert serving_point(*maverick, concurrency=2048).output_tokens_per_s == pytest.approx(
        full.output_tokens_per_s, rel=SATURATION_TOLERANCE)


@pytest.mark.parametrize("replicas, batch, top", [(1, 84, 256), (1, 526, 1024), (1, 2048, 2048), (8, 1289, 4096)])
def test_the_curve_runs_to_the_batch_slots(replicas, batch, top):
    levels = sweep_concurrencies(replicas, batch)
    assert levels[0] == 1 and levels[-1] == top
    assert all(b == 2 * a for a, b in pairwise(levels))


def test_concurrency_one_decodes_at_the_closed_form_batch_one_time_per_token():
    _, _, tpot_1 = closed_form(*SMALL[:5], *SMALL[6:], batch=1)
    point = serving_point(*SMALL, concurrency=1)
    assert point.itl_ms == pytest.approx(tpot_1, rel=TPOT_TOLERANCE)
    # an idle replica: the first token comes after the prompt's prefill, as the closed form says
    assert point.ttft_ms == pytest.approx(serving_point(*SMALL).ttft_ms, rel=0.1)


@pytest.mark.parametrize("concurrency", [1, 16, 300])
def test_littles_law_holds_in_the_closed_loop(concurrency):
    # every client always has exactly one request in the system: concurrency = throughput x time in system
    point = serving_point(*TIGHT, concurrency=concurrency)
    assert point.requests_per_s * point.e2e_ms / 1000 == pytest.approx(concurrency, rel=0.05)


def test_time_per_token_rises_with_concurrency():
    itl = [serving_point(*SMALL, concurrency=c).itl_ms for c in (1, 32, 256)]
    assert itl[0] < itl[1] < itl[2]


def test_engine_levers_reach_the_simulation():
    plain = serving_point(*SMALL, concurrency=1)
    cached = serving_point(*SMALL, concurrency=1, constants=ServingConstants(prefix_cache_hit_rate=0.9))
    spec = serving_point(*SMALL, concurrency=1, constants=ServingConstants(spec_draft_tokens=3))
    assert cached.ttft_ms < 0.5 * plain.ttft_ms
    assert spec.itl_ms is not None and plain.itl_ms is not None and spec.itl_ms < plain.itl_ms


def test_same_seed_same_figures_and_another_seed_close():
    a, b = (serving_point(*SMALL, concurrency=8, seed=3) for _ in range(2))
    assert a == b
    assert serving_point(*SMALL, concurrency=8, seed=4).output_tokens_per_s == pytest.approx(
        a.output_tokens_per_s, rel=0.05)


def test_closed_loop_by_hand_with_a_constant_iteration_time():
    # every iteration takes 10 ms whatever it holds: each output token after the first takes exactly 10 ms
    station = InferenceStation(name="toy", replicas=2, max_batch=4, step_s=lambda decoding, prefill: 0.010)
    run = simulate_closed_loop(station, 4, 100, 50, seed=1)
    assert run.itl_ms == pytest.approx(10.0)
    # a request waits at most one iteration for admission, then its prefill iteration gives the first token
    assert 10.0 <= run.ttft_ms <= 20.0
    assert run.requests_per_s * run.e2e_ms / 1000 == pytest.approx(4, rel=0.02)


def test_one_output_token_has_no_time_between_tokens():
    point = serving_point("llama-3.1-8b", "H100-SXM", 1, None, Precision.FP8, None, 500, 1, concurrency=4)
    assert point.itl_ms is None
    assert point.e2e_ms == pytest.approx(point.ttft_ms)


@pytest.mark.parametrize("concurrency, chunks", [(1, 1), (256, 1), (4096, 1), (256, 1875), (1, 100_000)])
def test_run_sizes_keep_within_the_work_bound(concurrency, chunks):
    warmup, measured = run_sizes(concurrency, chunks)
    assert measured >= 1
    assert (warmup + measured) * (chunks + ITERATIONS_PER_REQUEST) <= max(MAX_ITERATIONS, chunks + 3)


@pytest.mark.parametrize("changes, field", [
    ({"model_id": "gpt-5"}, "model"),
    ({"gpu": "TPU-v9"}, "gpu"),
    ({"gpus": 0}, "gpus"),
    ({"tp": 3}, "tp"),
    ({"tp": 4}, "tp"),  # more than the 2 GPUs
    ({"input_tokens": 0}, "input"),
    ({"output_tokens": 0}, "output"),
    ({"input_tokens": 200_000}, "input"),  # past the model's context
    ({"concurrency": 0}, "concurrency"),
])
def test_invalid_inputs_name_their_field(changes, field):
    args = {"model_id": "llama-3.1-8b", "gpu": "H100-SXM", "gpus": 2, "tp": None, "precision": Precision.FP8,
            "kv_precision": None, "input_tokens": 1000, "output_tokens": 1000, "concurrency": None}
    with pytest.raises(InputError) as caught:
        serving_point(**{**args, **changes})
    assert field in caught.value.field_errors


@pytest.mark.parametrize("tp, field", [(None, "gpus"), (2, "tp")])
def test_a_model_that_does_not_fit_names_the_gpus_or_the_fixed_tp(tp, field):
    with pytest.raises(InputError, match="does not fit") as caught:
        serving_point("llama-3.1-405b", "H100-SXM", 2, tp, Precision.BF16, None, 1000, 1000)
    assert "GB" in caught.value.field_errors[field]
