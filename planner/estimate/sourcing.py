"""Build or buy inference: a managed API against self-hosted GPUs, the break-even volume, and which to use.

Both sides are inference only, at the assessment's model and token mix:

- the API: its token bill (planner.estimate.api), a straight line in the volume;
- self-hosted: the GPU instances that serve the model on their own (the hybrid's inference unit), whole
  instances autoscaled hour by hour over the day with the availability floor (planner.estimate.capacity), so a
  step function of the volume. Where the self-hosted fleet was simulated, its confirmation factor carries
  over, so the curve at the assessment's traffic is the hybrid's GPU line exactly; otherwise it is the closed
  form. The instance type is the one that fleet uses throughout.

The curve covers ``CURVE_LOW`` to ``CURVE_HIGH`` times the assessment's traffic on ``CURVE_POINTS`` log-spaced
volumes. The break-even is the volume above which self-hosting stays cheaper there: the last volume of the grid
where the API is cheaper, refined by bisection on the next interval (``BISECTIONS`` halvings). CPU steps,
platform and people are priced in each architecture's own estimate; they differ little between the sourcings.

Which sourcing the estimates use: the one the assessment names, or, when it asks the planner to compare, the
allowed one (not ruled out by the answers, able to serve the model) that meets the latency targets, the
cheaper at the assessment's traffic when both do.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from planner.errors import InputError
from planner.estimate.api import check_rate_limit, requests_per_month, token_cost_usd
from planner.estimate.capacity import (
    FleetPlan,
    InferenceOption,
    cheapest_option,
    first_replicas,
    inference_monthly_usd,
)
from planner.estimate.results import ArchitectureEstimate, BuildVsBuy, CostPoint, SourcingFactor
from planner.estimate.topology import build_topology
from planner.estimate.traffic import day_mean_requests_per_s
from planner.inputs.api_catalog import ApiPrice, ApiRateTier, load_api_prices, load_api_rate_tiers
from planner.inputs.catalog import load_llms
from planner.inputs.models import Architecture, Assessment, InferenceSourcing, LlmSpec, Sourcing

CURVE_LOW = 0.01  # the chart's lowest volume, as a share of the assessment's
CURVE_HIGH = 100.0  # its highest
CURVE_POINTS = 49  # log-spaced volumes (an odd count puts the assessment's own traffic on the grid)
BISECTIONS = 40  # halvings of the interval where the cheaper side changes: far below a request's worth


def ruled_out(sourcing: InferenceSourcing) -> tuple[str, ...]:
    """The answers that rule a shared API out, as sentences (empty: nothing does)."""
    reasons = []
    if not sourcing.data_may_leave:
        reasons.append("prompts and answers may not leave your cloud and region, and a managed API processes them "
                       "on the provider's")
    if sourcing.custom_weights:
        reasons.append("you serve fine-tuned or custom weights, which a shared API cannot host")
    return tuple(reasons)


def scaled(assessment: Assessment, multiplier: float) -> Assessment:
    """The assessment with its mean and peak traffic multiplied (not validated again: the engine's own use)."""
    w = assessment.workload
    workload = w.model_copy(update={"mean_requests_per_s": w.mean_requests_per_s * multiplier,
                                    "peak_requests_per_s": w.peak_requests_per_s * multiplier})
    return assessment.model_copy(update={"workload": workload})


def _break_even(multipliers: np.ndarray, api: Callable[[float], float], own: Callable[[float], float],
                api_usd: Sequence[float], own_usd: Sequence[float]) -> float | None:
    """The multiplier above which self-hosting stays cheaper on the grid, refined by bisection; None if never."""
    api_cheaper = [a < o for a, o in zip(api_usd, own_usd, strict=True)]
    if not any(api_cheaper):
        return None
    last = max(i for i, cheaper in enumerate(api_cheaper) if cheaper)
    if last == len(multipliers) - 1:
        return None
    low, high = float(multipliers[last]), float(multipliers[last + 1])
    for _ in range(BISECTIONS):
        mid = math.sqrt(low * high)
        low, high = (mid, high) if api(mid) < own(mid) else (low, mid)
    return high


def build_vs_buy(assessment: Assessment, api: ApiPrice, ladder: Sequence[ApiRateTier], llm: LlmSpec,
                 constants: dict[str, float], option: InferenceOption | None, factor: float, simulated: bool,
                 api_label_of: Mapping[str, str]) -> BuildVsBuy:
    """The API against self-hosting ``llm`` on ``option`` (None: no allowed instance can serve it).

    ``factor``: the simulation's confirmation of the self-hosted replicas (``simulated``), else 1.
    ``api_label_of``: model names by catalog id, for the note when the API serves another model.
    """
    requests = requests_per_month(day_mean_requests_per_s(assessment), constants)
    api_usd_1 = token_cost_usd(api, assessment, requests)

    def api_cost(m: float) -> float:
        return api_usd_1 * m

    def own_cost(m: float) -> float:
        assert option is not None
        return inference_monthly_usd(scaled(assessment, m), option, factor, constants)

    multipliers = np.geomspace(CURVE_LOW, CURVE_HIGH, CURVE_POINTS)
    multipliers[CURVE_POINTS // 2] = 1.0
    api_curve = [api_cost(float(m)) for m in multipliers]
    notes = []
    if api.model_id != llm.id:
        served = api_label_of.get(api.model_id or "", api.model)
        notes.append(f"{api.label} serves {served}, not {llm.name} that self-hosting sizes: the comparison is of "
                     "cost and latency, not of answer quality.")
    if option is None:
        curve = tuple(CostPoint(requests_per_month=requests * float(m), api_usd=a, self_hosted_usd=None)
                      for m, a in zip(multipliers, api_curve, strict=True))
        own_usd_1 = None
        multiplier = None
        own_text = f"No allowed instance type can serve {llm.name} within the targets."
    else:
        own_curve = [own_cost(float(m)) for m in multipliers]
        curve = tuple(CostPoint(requests_per_month=requests * float(m), api_usd=a, self_hosted_usd=o)
                      for m, a, o in zip(multipliers, api_curve, own_curve, strict=True))
        own_usd_1 = own_curve[CURVE_POINTS // 2]
        multiplier = _break_even(multipliers, api_cost, own_cost, api_curve, own_curve)
        row = option.instance
        own_text = (f"{row.gpu_count}x {row.gpu} ({row.provider} {row.instance}) at ${option.price_usd_h:g}/h, "
                    + ("replicas confirmed by the simulation" if simulated else "replicas from the closed form"))
    cheaper = Sourcing.API if own_usd_1 is None or api_usd_1 < own_usd_1 else Sourcing.SELF_HOSTED
    break_even = None if multiplier is None else multiplier * requests
    if option is None:
        text = "No break-even: self-hosting cannot serve the model on the allowed instances."
    elif break_even is not None:
        text = (f"Self-hosting becomes cheaper above about {break_even / 1e6:,.3g} M requests a month "
                f"({multiplier:.2g}x your {requests / 1e6:,.3g} M).")
    elif cheaper is Sourcing.API:
        text = (f"The API stays cheaper up to {CURVE_HIGH:g}x your traffic ({requests * CURVE_HIGH / 1e6:,.3g} M "
                "requests a month): its price per token is below what the GPUs cost per token there.")
    else:
        text = (f"Self-hosting is cheaper across the range, from {CURVE_LOW:.0%} of your traffic "
                f"({requests * CURVE_LOW / 1e6:,.3g} M requests a month) up.")
    return BuildVsBuy(
        api_id=api.id, api_label=api.label, api_model_id=api.model_id, requests_per_month=requests,
        api_monthly_usd=api_usd_1, self_hosted_monthly_usd=own_usd_1, self_hosted_text=own_text,
        break_even_requests_per_month=break_even, break_even_text=text, curve=curve, cheaper=cheaper,
        ruled_out=ruled_out(assessment.sourcing), rate_limit=check_rate_limit(api, ladder, assessment),
        notes=tuple(notes), chosen=Sourcing.SELF_HOSTED)


def _factors(decision: BuildVsBuy, api: Mapping[Architecture, ArchitectureEstimate] | None,
             own: Mapping[Architecture, ArchitectureEstimate] | None) -> list[SourcingFactor]:
    """What argues for each sourcing, named like the recommendation's contributions; cost and the latency targets
    decide (module docstring), the rest are the consequences a team signs up for."""
    factors = [SourcingFactor(driver="data residency" if "leave" in r else "custom weights",
                              favours=Sourcing.SELF_HOSTED, decisive=True, reason=r) for r in decision.ruled_out]
    if own is None:
        factors.append(SourcingFactor(driver="can self-host", favours=Sourcing.API, decisive=True,
                                      reason=decision.self_hosted_text))
    if api is not None and own is not None:
        api_meets = any(e.meets_targets for e in api.values())
        own_meets = any(e.meets_targets for e in own.values())
        if api_meets != own_meets:
            factors.append(SourcingFactor(
                driver="latency targets", favours=Sourcing.API if api_meets else Sourcing.SELF_HOSTED, decisive=True,
                reason=("the API" if api_meets else "self-hosting") + " meets the p95 latency targets at peak; "
                       + ("self-hosting" if api_meets else "the API") + " does not"))
    if decision.self_hosted_monthly_usd is not None:
        gap = decision.self_hosted_monthly_usd - decision.api_monthly_usd
        factors.append(SourcingFactor(
            driver="inference cost", favours=decision.cheaper, decisive=True, usd_per_month=abs(gap),
            reason=f"${decision.api_monthly_usd:,.0f} a month through {decision.api_label}, "
                   f"${decision.self_hosted_monthly_usd:,.0f} self-hosted; {decision.break_even_text[:1].lower()}"
                   f"{decision.break_even_text[1:]}"))
    if api is not None:
        sla = min((e.resilience for e in api.values() if e.resilience is not None),
                  key=lambda r: r.availability_pct, default=None)
        if sla is not None:
            factors.append(SourcingFactor(
                driver="availability", favours=Sourcing.SELF_HOSTED, decisive=False,
                reason=f"every request needs the provider: its SLA caps availability (the API's estimates reach "
                       f"{sla.availability_pct:.3f} % at worst)"))
        factors.append(SourcingFactor(
            driver="model updates", favours=Sourcing.API, decisive=False,
            reason="the provider ships them: no deploy or model reload of yours, but you pin a version and move the "
                   "pin when the new one passes your evaluations"))
    if decision.rate_limit.warning:
        factors.append(SourcingFactor(driver="rate limits", favours=Sourcing.SELF_HOSTED, decisive=False,
                                      reason=decision.rate_limit.text))
    return factors


def choose(mode: Sourcing, decision: BuildVsBuy, api: Mapping[Architecture, ArchitectureEstimate] | None,
           own: Mapping[Architecture, ArchitectureEstimate] | None) -> BuildVsBuy:
    """The decision with the sourcing the estimates use and why (module docstring)."""
    factors = _factors(decision, api, own)
    reasons: list[str] = []
    chosen: Sourcing
    if mode is not Sourcing.COMPARE:
        chosen = mode
        reasons.append(f"You chose {'the managed API' if mode is Sourcing.API else 'self-hosted GPUs'}.")
    else:
        # The first decisive factor in order (ruled out, cannot self-host, latency targets, cost) decides.
        deciding = next(f for f in factors if f.decisive)
        chosen = deciding.favours
        where = "self-hosted GPUs" if chosen is Sourcing.SELF_HOSTED else decision.api_label
        reasons.append(f"Uses {where} for its {deciding.driver}: {deciding.reason.rstrip('.')}.")
    reasons += [f"{f.driver[:1].upper()}{f.driver[1:]}: {f.reason.rstrip('.')}." for f in factors
                if mode is not Sourcing.COMPARE or f is not deciding]
    return decision.model_copy(update={"chosen": chosen, "reasons": tuple(reasons), "factors": tuple(factors)})


def api_row(assessment: Assessment, api_prices: Mapping[str, ApiPrice] | None) -> ApiPrice | None:
    """The managed API the assessment names (from a saved API price list, else data/api_prices.csv), or None."""
    sourcing = assessment.sourcing
    if sourcing.api is None:
        return None
    rows = load_api_prices() if api_prices is None else api_prices
    if sourcing.api not in rows:
        where = f"the API price list '{sourcing.api_price_list}'" if sourcing.api_price_list else "data/api_prices.csv"
        message = f"The managed API '{sourcing.api}' is not in {where}."
        raise InputError(message, {"sourcing.api": message})
    return rows[sourcing.api]


def against_self_hosting(assessment: Assessment, api: ApiPrice, llm: LlmSpec, constants: dict[str, float],
                  options: list[InferenceOption], hybrid_plan: FleetPlan | None) -> BuildVsBuy:
    """The break-even against the simulated hybrid's inference fleet, else the closed form's cheapest."""
    if hybrid_plan is not None and isinstance(hybrid_plan.option, InferenceOption):
        option, simulated = hybrid_plan.option, True
        factor = hybrid_plan.inference_replicas_peak / first_replicas(assessment, option, constants)
    elif options:
        topology = build_topology(Architecture.HYBRID, assessment.workload)
        option, simulated, factor = cheapest_option(Architecture.HYBRID, topology, assessment, options, constants), \
            False, 1.0
    else:
        option, simulated, factor = None, False, 1.0
    names = {m.id: m.name for m in load_llms().values()}
    shipped = load_api_prices().get(api.id) == api  # the tier ladders describe the shipped rows only
    ladder = load_api_rate_tiers().get(api.id, ()) if shipped else ()
    return build_vs_buy(assessment, api, ladder, llm, constants, option, factor, simulated, names)
