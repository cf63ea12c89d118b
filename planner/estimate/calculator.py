"""The serving calculator: what N GPUs of one type serve of one model, at full load or at a given concurrency.

The GPUs are split into replicas as the planner splits them: every tensor-parallel degree (a power of two) from
the fewest GPUs that hold the model (``plan_replica``) up to all of them is tried, as the planner's fleet sizing
tries them (``planner.estimate.capacity.inference_options``), and the split with the most output tokens per
second over all replicas wins, the fewer GPUs per replica on a tie; or the degree asked for. A larger degree
can win because it leaves more memory for the KV cache (Llama 2 70B in FP8 on 80 GB GPUs: 84 sequences per
GPU alone, 892 per pair). The GPUs left over that cannot make another replica stay idle. Each replica
reserves KV cache for the full context of a request (prompt plus output), which sets its batch cap.

- Without a concurrency: the closed form, every replica at its batch cap (``ReplicaModel.throughput``).
- With a concurrency: that many closed-loop clients on the simulated replicas
  (``planner.estimate.simulation.closed_loop``), with steady-state means after a warm-up.

Every figure is modelled, not measured: the step model's efficiencies are calibrated per GPU vendor
(``data/serving_efficiency.csv``).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from planner.errors import InfeasibleError, InputError
from planner.estimate.capacity import inference_station
from planner.estimate.serving import ReplicaModel, ServingConstants, plan_replica, replica_degrees
from planner.estimate.simulation.closed_loop import simulate_closed_loop
from planner.inputs.catalog import load_gpus, load_llms
from planner.inputs.models import KvPrecision, Precision, kv_precision_for

DEFAULT_SEED = 1  # the closed-loop simulation's seed unless one is given
MAX_GPUS = 1024  # GPUs one calculation may split into replicas
MAX_TOKENS = 1_000_000  # prompt or output tokens of one request
MAX_CONCURRENCY = 4096  # closed-loop clients; at this many, 3 warm-up and 2 measured completions each fill the
# simulation's work bound (closed_loop.MAX_ITERATIONS) for prompts of one token budget
MIN_SWEEP_TOP = 256  # a throughput curve's largest concurrency at least
CLOSED_FORM = "closed form"  # how a point was computed
SIMULATION = "closed-loop simulation"


class ServingPoint(BaseModel):
    """What the GPUs serve: the replica split, the throughput of all replicas together and the latencies."""

    model_config = ConfigDict(frozen=True)

    model_id: str
    gpu: str
    gpus: int = Field(ge=1, description="GPUs given.")
    tp: int = Field(ge=1, description="GPUs per replica (tensor parallelism).")
    replicas: int = Field(ge=1, description="Replicas the GPUs make: gpus // tp.")
    precision: Precision
    kv_precision: KvPrecision
    input_tokens: int
    output_tokens: int
    concurrency: int | None = Field(None, description="Closed-loop clients; None: every replica at its batch cap.")
    batch: int = Field(ge=1, description="Batch cap of one replica, sequences (its KV cache at full context).")
    output_tokens_per_s: float = Field(description="Output tokens per second of all replicas together.")
    requests_per_s: float = Field(description="Requests completed per second, all replicas.")
    max_output_tokens_per_s: float = Field(description="Closed form: every replica at its batch cap.")
    ttft_ms: float = Field(description="Time to first token, ms (mean with a concurrency; idle replica without).")
    tpot_ms: float | None = Field(None, description="Closed form: time per output token at the batch cap, ms.")
    itl_ms: float | None = Field(None, description="Simulated: mean time between output tokens after the first.")
    e2e_ms: float | None = Field(None, description="Simulated: mean time from sending a request to its last token.")
    method: str = Field(description="How the figures were computed: closed form or closed-loop simulation.")


def _check(model_id: str, gpu: str, gpus: int, tp: int | None, input_tokens: int, output_tokens: int,
           concurrency: int | None) -> dict[str, str]:
    """Each invalid input's field with a sentence saying what is wrong (empty: all valid)."""
    problems: dict[str, str] = {}
    if model_id not in load_llms():
        problems["model"] = f"unknown model '{model_id}'; known: {', '.join(load_llms())}"
    if gpu not in load_gpus():
        problems["gpu"] = f"unknown GPU '{gpu}'; known: {', '.join(load_gpus())}"
    if not 1 <= gpus <= MAX_GPUS:
        problems["gpus"] = "must be at least 1" if gpus < 1 else f"must be at most {MAX_GPUS:,}"
    if tp is not None and (tp < 1 or tp & (tp - 1)):
        problems["tp"] = "must be a power of two (1, 2, 4, 8, ...)"
    elif tp is not None and "gpus" not in problems and tp > gpus:
        problems["tp"] = f"must be at most --gpus ({gpus}): a replica cannot use more GPUs than there are"
    for name, value in (("input", input_tokens), ("output", output_tokens)):
        if not 1 <= value <= MAX_TOKENS:
            problems[name] = "must be at least 1 token" if value < 1 else f"must be at most {MAX_TOKENS:,} tokens"
    llm = load_llms().get(model_id)
    tokens = input_tokens + output_tokens
    if llm is not None and not problems.keys() & {"input", "output"} and tokens > llm.context_tokens:
        problems["input"] = (f"input + output ({tokens:,} tokens) must fit {llm.name}'s "
                             f"context of {llm.context_tokens:,} tokens")
    if concurrency is not None and not 1 <= concurrency <= MAX_CONCURRENCY:
        problems["concurrency"] = "must be at least 1" if concurrency < 1 else f"must be at most {MAX_CONCURRENCY:,}"
    return problems


def size_replica(model_id: str, gpu: str, gpus: int, tp: int | None, precision: Precision,
                 kv_precision: KvPrecision | None, input_tokens: int, output_tokens: int,
                 constants: ServingConstants | None = None) -> ReplicaModel:
    """The replica the planner would build from these GPUs; InputError naming the field if the model does not fit.

    Without ``tp``, the degree whose replicas together give the most output tokens per second (module docstring).
    """
    llm, spec = load_llms()[model_id], load_gpus()[gpu]
    context = input_tokens + output_tokens
    try:
        if tp is not None:
            return plan_replica(llm, spec, precision, max_gpus=gpus, mean_context_tokens=context,
                                constants=constants, tensor_parallel=tp, kv_precision=kv_precision)
        replicas = replica_degrees(llm, spec, precision, max_gpus=gpus, mean_context_tokens=context,
                                   constants=constants, kv_precision=kv_precision)
    except InfeasibleError as exc:
        field = "tp" if tp is not None else "gpus"
        raise InputError(f"The model does not fit: {exc}", {field: str(exc)}) from None
    # max keeps the first of equals: the fewer GPUs per replica on a tie
    return max(replicas, key=lambda r: r.throughput(input_tokens, output_tokens).output_tokens_per_s
               * (gpus // r.tensor_parallel))


def serving_point(model_id: str, gpu: str, gpus: int, tp: int | None, precision: Precision,
                  kv_precision: KvPrecision | None, input_tokens: int, output_tokens: int,
                  concurrency: int | None = None, constants: ServingConstants | None = None,
                  seed: int = DEFAULT_SEED) -> ServingPoint:
    """Throughput and latency of ``gpus`` GPUs serving a model: at full load, or with ``concurrency`` clients.

    Raises ``InputError`` whose ``field_errors`` name the invalid inputs (model, gpu, gpus, tp, input, output,
    concurrency), also when the model does not fit the GPUs.
    """
    problems = _check(model_id, gpu, gpus, tp, input_tokens, output_tokens, concurrency)
    if problems:
        raise InputError("Some inputs are invalid: " + "; ".join(f"{k}: {v}" for k, v in problems.items()), problems)
    replica = size_replica(model_id, gpu, gpus, tp, precision, kv_precision, input_tokens, output_tokens, constants)
    replicas = gpus // replica.tensor_parallel
    steady = replica.throughput(input_tokens, output_tokens)
    point = ServingPoint(
        model_id=model_id, gpu=gpu, gpus=gpus, tp=replica.tensor_parallel, replicas=replicas, precision=precision,
        kv_precision=kv_precision_for(precision, kv_precision), input_tokens=input_tokens,
        output_tokens=output_tokens, batch=steady.batch, output_tokens_per_s=steady.output_tokens_per_s * replicas,
        requests_per_s=steady.requests_per_s * replicas, max_output_tokens_per_s=steady.output_tokens_per_s * replicas,
        ttft_ms=steady.ttft_ms, tpot_ms=steady.tpot_ms, method=CLOSED_FORM)
    if concurrency is None:
        return point
    station = inference_station(replica, steady.batch, input_tokens, output_tokens, replicas)
    run = simulate_closed_loop(station, concurrency, input_tokens, output_tokens, seed=seed)
    return point.model_copy(update={
        "concurrency": concurrency, "output_tokens_per_s": run.output_tokens_per_s,
        "requests_per_s": run.requests_per_s, "ttft_ms": run.ttft_ms, "tpot_ms": None, "itl_ms": run.itl_ms,
        "e2e_ms": run.e2e_ms, "method": SIMULATION})


def sweep_concurrencies(replicas: int, batch: int) -> tuple[int, ...]:
    """Concurrencies of a throughput curve: powers of two from 1 to the first that fills every replica's batch cap,
    so that the curve reaches the closed-form maximum (at least ``MIN_SWEEP_TOP``, at most ``MAX_CONCURRENCY``)."""
    top = min(MAX_CONCURRENCY, max(MIN_SWEEP_TOP, replicas * batch))
    levels = [1]
    while levels[-1] < top:  # MAX_CONCURRENCY is a power of two: the last level never passes it
        levels.append(2 * levels[-1])
    return tuple(levels)


def concurrency_sweep(model_id: str, gpu: str, gpus: int, tp: int | None, precision: Precision,
                      kv_precision: KvPrecision | None, input_tokens: int, output_tokens: int,
                      concurrencies: tuple[int, ...], constants: ServingConstants | None = None,
                      seed: int = DEFAULT_SEED) -> list[ServingPoint]:
    """``serving_point`` at each concurrency: the throughput and latency curve of one configuration."""
    return [serving_point(model_id, gpu, gpus, tp, precision, kv_precision, input_tokens, output_tokens, c,
                          constants, seed) for c in concurrencies]
