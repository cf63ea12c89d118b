"""A managed API in numbers: its latency as the simulation sees it, its monthly token bill and its rate limits.

Latency. The provider serves every request at once (it scales; its rate limits are checked apart, below). A
request's first token comes after the provider's time to first token, drawn lognormal around the row's
``ttft_ms`` (or ``api.default_ttft_ms`` where no figure is published) with shape ``api.ttft_sigma``, plus
``1 / api.prefill_tokens_per_s`` for each prompt token beyond ``api.reference_input_tokens`` (the prompt length
public TTFT figures are measured at); the rest of the answer streams at the row's ``output_tokens_per_s`` (or
``api.default_output_tokens_per_s``). Reaching the provider is one internet round trip, lognormal with median
``api.network_rtt_ms`` and shape ``api.network_sigma``, simulated like the other hops.

Token bill, a month (``requests`` = mean requests/s over the day x 3600 x ``hours.per_month``)::

    input   = requests x input tokens x (1 - cached share) / 1e6 x input price
    cached  = requests x input tokens x cached share / 1e6 x cached price (the input price where none is offered)
    output  = requests x output tokens / 1e6 x output price
    each    x (1 - batch share x batch discount)   (requests sent through the batch API, where one is offered)

Rate limits. Peak requests a minute (peak requests/s x 60) and peak tokens a minute (x input + output tokens)
against the limits of the row's tier; where the provider publishes a ladder of tiers (data/api_rate_tiers.csv),
the lowest tier that allows both is the tier needed.

Availability. The provider's published SLA (or ``api.default_sla_pct``) multiplies the availability of our own
units: every request needs the provider (planner.estimate.resilience).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from planner.estimate.results import CostLine, RateLimitCheck
from planner.estimate.topology import INFERENCE
from planner.inputs.api_catalog import ApiPrice, ApiRateTier
from planner.inputs.models import Assessment
from planner.inputs.units import MILLION, SECONDS_PER_HOUR, SECONDS_PER_MINUTE, ms_to_s

API_CATEGORY = "API"  # cost-line category of the token bill


@dataclass(frozen=True)
class ApiService:
    """The provider's latency and SLA as the engine uses them, each with where it comes from."""

    api: ApiPrice
    ttft_ms: float
    output_tokens_per_s: float
    sla_pct: float
    latency_basis: str  # the row's latency_source, or the assumptions used
    sla_basis: str

    @property
    def label(self) -> str:
        return self.api.label


def api_service(api: ApiPrice, constants: Mapping[str, float]) -> ApiService:
    """The provider's figures, falling back to the labelled assumptions (``api.*``) where the row has none."""
    ttft = api.ttft_ms if api.ttft_ms is not None else constants["api.default_ttft_ms"]
    rate = (api.output_tokens_per_s if api.output_tokens_per_s is not None
            else constants["api.default_output_tokens_per_s"])
    assumed = [name for name, own in (("api.default_ttft_ms", api.ttft_ms),
                                      ("api.default_output_tokens_per_s", api.output_tokens_per_s)) if own is None]
    latency_basis = api.latency_source or ""
    if assumed:
        latency_basis = "; ".join(filter(None, [latency_basis, "assumption: " + ", ".join(assumed)]))
    sla = api.sla_pct if api.sla_pct is not None else constants["api.default_sla_pct"]
    sla_basis = ((api.sla_source or "") if api.sla_pct is not None
                 else "assumption: api.default_sla_pct (no SLA published)")
    return ApiService(api=api, ttft_ms=ttft, output_tokens_per_s=rate, sla_pct=sla, latency_basis=latency_basis,
                      sla_basis=sla_basis)


def api_station_args(service: ApiService, constants: Mapping[str, float]) -> dict[str, float | str]:
    """The simulation's ApiStation fields for a provider (module docstring: latency)."""
    return {"name": INFERENCE, "ttft_median_s": ms_to_s(service.ttft_ms), "ttft_sigma": constants["api.ttft_sigma"],
            "output_tokens_per_s": service.output_tokens_per_s,
            "prefill_s_per_token": 1.0 / constants["api.prefill_tokens_per_s"],
            "reference_input_tokens": constants["api.reference_input_tokens"]}


def requests_per_month(mean_requests_per_s: float, constants: Mapping[str, float]) -> float:
    """Requests a month at a mean rate: rate x 3600 s x ``hours.per_month``."""
    return mean_requests_per_s * SECONDS_PER_HOUR * constants["hours.per_month"]


def token_cost_lines(api: ApiPrice, assessment: Assessment, requests: float) -> tuple[CostLine, ...]:
    """The month's token bill for ``requests`` requests, one line per kind of token (module docstring)."""
    w, s = assessment.workload, assessment.sourcing
    discount = api.batch_discount or 0.0
    factor = 1.0 - s.batch_share * discount
    batch_text = f" x (1 - {s.batch_share:g} batch share x {discount:g} off)" if s.batch_share and discount else ""
    cached_share = s.cached_input_share
    cached_price = api.cached_input_usd_per_m if api.cached_input_usd_per_m is not None else api.input_usd_per_m
    fresh_m = requests * w.mean_input_tokens * (1.0 - cached_share) / MILLION
    cached_m = requests * w.mean_input_tokens * cached_share / MILLION
    output_m = requests * w.mean_output_tokens / MILLION
    lines = [CostLine(category=API_CATEGORY, item=f"{api.label}: input tokens",
                      formula=f"{requests:,.0f} requests x {w.mean_input_tokens:,} tokens"
                              + (f" x (1 - {cached_share:g} cached)" if cached_share else "")
                              + f" = {fresh_m:,.1f} M x ${api.input_usd_per_m:g}/M{batch_text}",
                      monthly_usd=fresh_m * api.input_usd_per_m * factor)]
    if cached_share:
        note = "" if api.cached_input_usd_per_m is not None else " (no cached price offered: the input price)"
        lines.append(CostLine(category=API_CATEGORY, item=f"{api.label}: cached input tokens",
                              formula=f"{requests:,.0f} requests x {w.mean_input_tokens:,} tokens x {cached_share:g} "
                                      f"cached = {cached_m:,.1f} M x ${cached_price:g}/M{note}{batch_text}",
                              monthly_usd=cached_m * cached_price * factor))
    lines.append(CostLine(category=API_CATEGORY, item=f"{api.label}: output tokens",
                          formula=f"{requests:,.0f} requests x {w.mean_output_tokens:,} tokens = {output_m:,.1f} M x "
                                  f"${api.output_usd_per_m:g}/M{batch_text}",
                          monthly_usd=output_m * api.output_usd_per_m * factor))
    return tuple(lines)


def token_cost_usd(api: ApiPrice, assessment: Assessment, requests: float) -> float:
    """The month's token bill for ``requests`` requests, USD."""
    return sum(line.monthly_usd for line in token_cost_lines(api, assessment, requests))


def check_rate_limit(api: ApiPrice, ladder: Sequence[ApiRateTier], assessment: Assessment) -> RateLimitCheck:
    """Peak requests and tokens a minute against the row's published limits, and the lowest tier that allows them."""
    w = assessment.workload
    peak_rpm = w.peak_requests_per_s * SECONDS_PER_MINUTE
    peak_tpm = peak_rpm * (w.mean_input_tokens + w.mean_output_tokens)

    def allows(rpm: float | None, tpm: float | None) -> bool:
        return (rpm is None or peak_rpm <= rpm) and (tpm is None or peak_tpm <= tpm)

    published = api.requests_per_min is not None or api.tokens_per_min is not None
    within = allows(api.requests_per_min, api.tokens_per_min) if published else None
    needed = next((t for t in ladder if (t.requests_per_min or t.tokens_per_min)
                   and allows(t.requests_per_min, t.tokens_per_min)), None)
    if not published and not ladder:
        text = (f"{api.provider} publishes no rate limit for {api.model}: confirm that it allows {peak_rpm:,.0f} "
                f"requests and {peak_tpm:,.0f} tokens a minute at peak.")
    elif within:
        text = (f"Peak {peak_rpm:,.0f} requests and {peak_tpm:,.0f} tokens a minute are within {api.provider}'s "
                f"{api.rate_limit_tier} limits ({_limits(api.requests_per_min, api.tokens_per_min)}).")
    elif needed is not None:
        text = (f"Peak {peak_rpm:,.0f} requests and {peak_tpm:,.0f} tokens a minute need {api.provider}'s "
                f"{needed.tier} ({_limits(needed.requests_per_min, needed.tokens_per_min)})"
                + (f"; {api.rate_limit_tier} allows {_limits(api.requests_per_min, api.tokens_per_min)}."
                   if published else "."))
    else:
        top = ladder[-1] if ladder else None
        allowed = (f"{top.tier} allows {_limits(top.requests_per_min, top.tokens_per_min)}" if top else
                   f"{api.rate_limit_tier} allows {_limits(api.requests_per_min, api.tokens_per_min)}")
        text = (f"Peak {peak_rpm:,.0f} requests and {peak_tpm:,.0f} tokens a minute exceed every published tier of "
                f"{api.provider} ({allowed}): it needs a negotiated limit (enterprise or provisioned throughput).")
    return RateLimitCheck(peak_requests_per_min=peak_rpm, peak_tokens_per_min=peak_tpm,
                          tier=api.rate_limit_tier or "", requests_per_min=api.requests_per_min,
                          tokens_per_min=api.tokens_per_min, within=within,
                          tier_needed=needed.tier if needed is not None else "", warning=within is not True,
                          text=text)


def _limits(rpm: float | None, tpm: float | None) -> str:
    parts = ([f"{rpm:,.0f} requests"] if rpm is not None else []) + ([f"{tpm:,.0f} tokens"] if tpm is not None else [])
    return " and ".join(parts) + " a minute" if parts else "no published limit"
