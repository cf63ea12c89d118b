"""The closed form is the steady state of the step model the simulation schedules: the two agree within 10 %.

For a grid of prompt and answer lengths (128 to 16,000 tokens), batch caps and three models (dense 8B, dense
70B on two GPUs, a mixture of experts), one simulated replica is driven past its closed-form capacity: the
rate at which it completes requests must be within 10 % of that capacity, and the arrival rate at which its p95
time to first token crosses a target must be within 10 % of it too.
"""

import numpy as np
import pytest

from planner.estimate.capacity import inference_station
from planner.estimate.serving import plan_replica
from planner.estimate.simulation import SimulationInput, simulate
from planner.inputs.catalog import load_gpus, load_llms
from planner.inputs.models import Precision

AGREEMENT = 0.10  # closed form vs simulation, relative
BISECTIONS = 5  # halvings of the 0.6-1.4 bracket of the crossing rate: to 0.025 of the capacity
MODELS = {  # model, GPU, GPUs per replica, precision
    "8b": ("llama-3.1-8b", "H100-SXM", 1, Precision.FP8),
    "70b": ("llama-3.3-70b", "H100-SXM", 2, Precision.FP8),
    "moe": ("qwen3-30b-a3b", "H100-SXM", 1, Precision.FP8),
}
LENGTHS = [(128, 128), (1000, 1000), (5000, 500), (16_000, 200), (200, 2000)]
BATCH_CAPS = [None, 16]  # the replica's own cap (KV memory, at most 512) and a small one


def _replica(name: str, input_tokens: int, output_tokens: int):
    model, gpu, tp, precision = MODELS[name]
    return plan_replica(load_llms()[model], load_gpus()[gpu], precision, max_gpus=tp, tensor_parallel=tp,
                        mean_context_tokens=input_tokens + output_tokens)


def _run(replica, cap: int, input_tokens: int, output_tokens: int, rate: float, n: int):
    station = inference_station(replica, cap, input_tokens, output_tokens, replicas=1)
    inp = SimulationInput(stations=[station], arrival_rate_per_s=rate, mean_input_tokens=input_tokens,
                          mean_output_tokens=output_tokens, n_requests=n, warmup_requests=n // 5, seed=7)
    return simulate(inp, keep_samples=True)


def _completion_rate(result) -> float:
    """Requests completed per second over the middle of the run (the replica saturated)."""
    done = np.sort(np.asarray(result.arrival_samples_s) + np.asarray(result.e2e_samples_ms) / 1000.0)
    lo, hi = len(done) // 4, 3 * len(done) // 4
    return (hi - lo) / (done[hi] - done[lo])


@pytest.mark.parametrize("cap", BATCH_CAPS, ids=["own-cap", "cap-16"])
@pytest.mark.parametrize("lengths", LENGTHS, ids=[f"{i}-{o}" for i, o in LENGTHS])
@pytest.mark.parametrize("name", MODELS)
def test_closed_form_capacity_is_where_the_simulation_saturates(name, lengths, cap):
    input_tokens, output_tokens = lengths
    replica = _replica(name, input_tokens, output_tokens)
    batch = cap or replica.max_concurrent_sequences
    capacity = replica.throughput(input_tokens, output_tokens, batch=batch).requests_per_s
    n = int(min(6000, max(400, 6 * batch)))
    overloaded = _run(replica, batch, input_tokens, output_tokens, 1.3 * capacity, n)
    assert _completion_rate(overloaded) == pytest.approx(capacity, rel=AGREEMENT)

    # A p95 TTFT target well above an idle replica's but far below an overloaded queue's; bisect the rate
    # at which the simulated p95 crosses it.
    target_ms = 3 * replica.throughput(input_tokens, output_tokens, batch=1).ttft_ms + 20_000 / capacity
    low, high = 0.6, 1.4  # shares of the closed-form capacity
    for _ in range(BISECTIONS):
        mid = (low + high) / 2
        if _run(replica, batch, input_tokens, output_tokens, mid * capacity, n).ttft.p95_ms <= target_ms:
            low = mid
        else:
            high = mid
    assert (low + high) / 2 == pytest.approx(1.0, abs=AGREEMENT)
