"""Cost per million output tokens of each instance type and GPU type, for one model and workload.

The figure comes from the serving model (``planner.estimate.serving``) under one stated assumption: a replica
runs at the largest batch whose continuous-batching step still fits the per-token budget of the
latency targets (the same batch the capacity sizing uses, ``planner.estimate.capacity.inference_options``),
and is busy ``utilisation`` of the hours paid for (default ``INFERENCE_TARGET_UTILISATION``, the share
of a replica the sizing fills at peak). Then, per instance:

    output tokens per hour = replica output tokens/s at that batch x replicas per instance x 3600 x utilisation
    USD per million output tokens = instance USD/h / output tokens per hour x 1e6

Prefill is included: the replica's throughput counts the prompts it admits, so input tokens are paid
for through the output tokens they lead to. The cost covers the GPU instance only (no CPU steps,
platform or people), and it is the cost at steady load: quiet hours and the availability floor make
a real fleet's cost per token higher (the Results page has those).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pydantic import BaseModel, ConfigDict, Field

from planner.estimate.capacity import INFERENCE_TARGET_UTILISATION, inference_options
from planner.estimate.engine import resolve_constants
from planner.estimate.pricing import PricedInstance, allowed, price_under
from planner.estimate.serving import ReplicaModel
from planner.inputs.catalog import load_llms
from planner.inputs.models import Assessment, GpuSpec, InstancePrice
from planner.inputs.units import MILLION, SECONDS_PER_HOUR


class TokenCost(BaseModel):
    """The cost of output tokens on one instance type, with the serving figures behind it."""

    model_config = ConfigDict(frozen=True)

    provider: str
    instance: str
    region: str
    gpu: str
    gpu_count: int
    price_usd_h: float = Field(description="Instance price under the chosen pricing option, USD per hour.")
    price_basis: str = Field(default="on-demand", description="Which of the row's prices that is "
                             "(planner.estimate.pricing: the option's, else on-demand for want of it).")
    tensor_parallel: int = Field(description="GPUs per replica.")
    replicas_per_instance: int
    batch: int = Field(description="Sequences decoded together in each step.")
    replica_output_tokens_per_s: float
    output_tokens_per_hour: float = Field(description="Per instance, at the stated utilisation.")
    usd_per_million_output_tokens: float
    tpot_ms: float = Field(description="Time per output token at that batch, ms.")
    ttft_ms: float = Field(description="Time to first token without queueing at that batch, ms.")
    meets_ttft_target: bool = Field(description="The unqueued TTFT is within the p95 TTFT target.")
    price_source: str
    price_as_of: str


class TokenCosts(BaseModel):
    """Cost per million output tokens of every instance that can serve the model, cheapest first."""

    model_config = ConfigDict(frozen=True)

    model_name: str
    utilisation: float
    rows: tuple[TokenCost, ...]
    unservable: tuple[str, ...] = Field(description="Instances that cannot serve the model, and why.")

    def cheapest_per_gpu(self) -> tuple[TokenCost, ...]:
        """The cheapest instance of each GPU type, cheapest GPU type first."""
        best: dict[str, TokenCost] = {}
        for row in self.rows:
            if row.gpu not in best:
                best[row.gpu] = row
        return tuple(best.values())


def _row(instance: InstancePrice, price: float, replica: ReplicaModel, batch: int, per_instance: int,
         assessment: Assessment, utilisation: float) -> TokenCost:
    w = assessment.workload
    estimate = replica.throughput(w.mean_input_tokens, w.mean_output_tokens, batch=batch)
    per_hour = estimate.output_tokens_per_s * per_instance * SECONDS_PER_HOUR * utilisation
    return TokenCost(
        provider=instance.provider, instance=instance.instance, region=instance.region, gpu=instance.gpu,
        gpu_count=instance.gpu_count, price_usd_h=price, tensor_parallel=replica.tensor_parallel,
        replicas_per_instance=per_instance, batch=batch, replica_output_tokens_per_s=estimate.output_tokens_per_s,
        output_tokens_per_hour=per_hour, usd_per_million_output_tokens=price / per_hour * MILLION,
        tpot_ms=estimate.tpot_ms, ttft_ms=estimate.ttft_ms, meets_ttft_target=estimate.ttft_ms <= w.p95_ttft_ms,
        price_source=instance.source, price_as_of=instance.as_of)


def token_costs(assessment: Assessment, instances: Sequence[InstancePrice], gpus: Mapping[str, GpuSpec], *,
                utilisation: float = INFERENCE_TARGET_UTILISATION) -> TokenCosts:
    """USD per million output tokens of each instance for the assessment's model, precision, tokens and targets.

    Prices each row as the fleet does (the option's price, else on-demand, marked in ``price_basis``) and leaves
    community offers out unless the workload allows them; its allowed GPU types and providers are not applied
    (the page filters). Uses the assessment's serving assumption overrides.
    For each instance the tensor-parallel degree with the lowest cost per token is kept.
    """
    if not 0.0 < utilisation <= 1.0:
        raise ValueError('"utilisation" must be > 0 and <= 1.')
    _, serving = resolve_constants(assessment)
    llm = load_llms()[assessment.workload.model_id]
    w = assessment.workload
    # The fleet's pricing rule (planner.estimate.pricing): the option's price where a row has one, else its
    # on-demand price; community offers only when the workload allows them. GPU types and providers are not
    # applied here: the table compares every GPU type.
    everything = w.model_copy(update={"gpu_types": [], "providers": []})
    priced: list[PricedInstance] = []
    unservable: list[str] = []
    for row in instances:
        if not allowed(row, everything):
            continue
        if row.gpu not in gpus:
            unservable.append(f"{row.provider} {row.instance}: no spec for GPU type {row.gpu}")
        else:
            priced.append(price_under(row, w.pricing))
    options, problems = inference_options(assessment, llm, priced, dict(gpus), serving)
    best: dict[tuple[str, str, str], TokenCost] = {}
    for option in options:
        cost = _row(option.instance, option.price_usd_h, option.replica, option.max_batch,
                    option.replicas_per_instance, assessment, utilisation).model_copy(
                        update={"price_basis": option.price_basis})
        key = (cost.provider, cost.instance, cost.region)
        if key not in best or cost.usd_per_million_output_tokens < best[key].usd_per_million_output_tokens:
            best[key] = cost
    rows = sorted(best.values(), key=lambda r: (r.usd_per_million_output_tokens, r.provider, r.instance))
    return TokenCosts(model_name=llm.name, utilisation=utilisation, rows=tuple(rows),
                      unservable=tuple(unservable + problems))
