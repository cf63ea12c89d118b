"""The Prices page's managed-API tables: each API's token prices, rate limit, latency and SLA, beside self-hosting.

The rows come from an API price list (data/api_prices.csv or a saved one). Beside each API two costs of a
million output tokens under the page's workload (its input and output tokens, prompt-cache and batch shares):

* through the API: the token bill of the requests that produce a million output tokens, their input tokens
  included (``planner.estimate.api.token_cost_usd``, the engine's bill);
* self-hosted, for an API serving a catalog model: the cheapest instance's cost per million output tokens for
  that model (``planner.estimate.token_costs``, the figure of the page's cost-per-token tab), the workload's
  precision, pricing and targets kept and only the model changed. That figure pays for input tokens too (the
  replica's throughput counts its prefill), so the two compare like for like; it is the GPU instance alone, at
  steady load (the Results page has the rest).

A latency or SLA figure the provider does not publish reads "assumption": the estimates use a labelled assumption
instead (``assumed_figures``, as ``planner.estimate.api.api_service`` does); a rate limit not published reads as
such.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict

from planner.errors import PlannerError
from planner.estimate.api import token_cost_usd
from planner.estimate.engine import resolve_constants
from planner.estimate.token_costs import token_costs
from planner.inputs.api_catalog import ApiPrice
from planner.inputs.catalog import load_llms
from planner.inputs.models import Assessment, GpuSpec, InstancePrice
from planner.inputs.price_files import is_stale
from planner.inputs.units import MILLION

PROPRIETARY = "proprietary"  # what an API serving no catalog model serves, as the table says
ASSUMED = "assumption"  # a figure the provider does not publish (the estimates assume one: ``assumed_figures``)
NOT_PUBLISHED = "not published"


class SelfHosted(BaseModel):
    """The cheapest self-hosted cost per million output tokens of one catalog model, or why there is none."""

    model_config = ConfigDict(frozen=True)

    model_id: str
    model_name: str
    usd_per_million_output_tokens: float | None
    instance: str = ""  # 'provider instance' of the cheapest instance
    reason: str = ""  # why no instance serves it


def self_hosted_costs(assessment: Assessment, model_ids: Iterable[str], instances: Sequence[InstancePrice],
                      gpus: Mapping[str, GpuSpec]) -> dict[str, SelfHosted]:
    """Per catalog model: the cheapest instance's USD per million output tokens under the assessment's workload
    with only the model changed (``token_costs``), or why no instance of ``instances`` serves it."""
    llms = load_llms()
    out = {}
    for model_id in sorted(set(model_ids) & set(llms)):
        name = llms[model_id].name
        workload = assessment.workload.model_copy(update={"model_id": model_id})
        try:
            costs = token_costs(assessment.model_copy(update={"workload": workload}), instances, gpus)
        except PlannerError as exc:
            out[model_id] = SelfHosted(model_id=model_id, model_name=name, usd_per_million_output_tokens=None,
                                       reason=str(exc))
            continue
        if not costs.rows:
            reason = costs.unservable[0] if costs.unservable else "no instance in the price list"
            out[model_id] = SelfHosted(model_id=model_id, model_name=name, usd_per_million_output_tokens=None,
                                       reason=reason)
            continue
        best = costs.rows[0]
        out[model_id] = SelfHosted(model_id=model_id, model_name=name,
                                   usd_per_million_output_tokens=best.usd_per_million_output_tokens,
                                   instance=f"{best.provider} {best.instance}")
    return out


def api_usd_per_million_output_tokens(api: ApiPrice, assessment: Assessment) -> float:
    """The API's bill for the requests that produce a million output tokens, their input tokens included."""
    return token_cost_usd(api, assessment, MILLION / assessment.workload.mean_output_tokens)


def _figure(value: float | None) -> str:
    """A published figure, or ASSUMED where the provider publishes none: '1,293', '99.9', 'assumption'."""
    if value is None:
        return ASSUMED
    return f"{value:,.0f}" if value >= 100 else f"{value:.4g}"


def _count(value: float) -> str:
    """A rate limit in few characters: 30, 8k, 3.6M."""
    for size, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if value >= size:
            return f"{value / size:.3g}{suffix}"
    return f"{value:.3g}"


def _rate_limit(api: ApiPrice) -> str:
    """'30 RPM, 8k TPM (Free)': the limits a minute at the tier named, or NOT_PUBLISHED."""
    limits = [f"{_count(value)} {unit}" for value, unit in ((api.requests_per_min, "RPM"),
                                                            (api.tokens_per_min, "TPM")) if value is not None]
    if not limits:
        return NOT_PUBLISHED
    return ", ".join(limits) + (f" ({api.rate_limit_tier})" if api.rate_limit_tier else "")


def short_model(model: str) -> str:
    """A provider's model name without its organisation path ('meta-llama/Llama-3.3-70B' -> 'Llama-3.3-70B'); a name
    with spaces is a description, kept whole."""
    return model if " " in model else model.rsplit("/", 1)[-1]


def assumed_figures(assessment: Assessment) -> dict[str, float]:
    """What the estimates use where a provider publishes no figure: TTFT (ms), output tokens/s, SLA (%)."""
    constants, _ = resolve_constants(assessment)
    return {name: constants[f"api.default_{name}"] for name in ("ttft_ms", "output_tokens_per_s", "sla_pct")}


def api_price_rows(apis: Iterable[ApiPrice], assessment: Assessment, *, today: date,
                   self_hosted: Mapping[str, SelfHosted] | None = None) -> list[dict[str, Any]]:
    """One row per API: prices per million tokens, the two costs of a million output tokens (module docstring),
    rate limit at its tier, latency and SLA (assumed where not published), date, staleness and sources.

    ``model`` is the provider's name for the model, ``model_short`` the same without its organisation path
    (``short_model``, for narrow tables), ``serves`` the catalog model's name or "proprietary", ``model_served``
    the catalog model's name or the provider's model marked proprietary."""
    llms = load_llms()
    rows = []
    for api in apis:
        own = (self_hosted or {}).get(api.model_id or "")
        llm = llms.get(api.model_id) if api.model_id is not None else None
        rows.append({
            "id": api.id, "provider": api.provider, "model": api.model, "model_short": short_model(api.model),
            "serves": llm.name if llm else PROPRIETARY,
            "model_served": llm.name if llm else f"{short_model(api.model)} ({PROPRIETARY})",
            "input_usd_per_m": api.input_usd_per_m, "cached_input_usd_per_m": api.cached_input_usd_per_m,
            "output_usd_per_m": api.output_usd_per_m,
            "batch_discount_pct": None if api.batch_discount is None else api.batch_discount * 100,
            "api_usd_per_m_output": api_usd_per_million_output_tokens(api, assessment),
            "self_hosted_usd_per_m_output": own.usd_per_million_output_tokens if own else None,
            "self_hosted_on": own.instance if own else "",
            "rate_limit": _rate_limit(api), "ttft_ms": _figure(api.ttft_ms),
            "output_tokens_per_s": _figure(api.output_tokens_per_s), "sla_pct": _figure(api.sla_pct),
            "as_of": api.as_of, "stale": is_stale(api.as_of, today), "source": api.source,
            "latency_source": api.latency_source or "", "sla_source": api.sla_source or "",
        })
    return rows
