"""The build-or-buy tables and sentences the Results page and the PDF share (planner.estimate.sourcing's numbers)."""

from __future__ import annotations

from planner.decide.results import Recommendation
from planner.estimate.results import BuildVsBuy, Evaluation
from planner.inputs.models import Sourcing
from planner.present import formats as fmt
from planner.present.tables import Table, _table, money

SOURCING_NAMES = {Sourcing.API: "Managed API", Sourcing.SELF_HOSTED: "Self-hosted GPUs"}
WHY_HEADINGS = {Sourcing.API: "Why the managed API", Sourcing.SELF_HOSTED: "Why self-hosted GPUs"}
BUILD_VS_BUY_NOTE = ("Inference only: the API's token bill against the GPU instances that serve the model on their "
                     "own (the hybrid's inference unit), autoscaled over the day. Self-hosting rises in steps, one "
                     "whole instance at a time; the API in proportion to the tokens. CPU steps, platform and people "
                     "are priced in each architecture's estimate.")
ALTERNATIVE_NOTE = ("Monthly totals (inference, CPU, platform and people) of each architecture with the sourcing the "
                    "estimates use and with the other; a plus means the other costs more.")


def break_even_figure(decision: BuildVsBuy) -> str:
    """The break-even volume in millions of requests a month, or a dash when there is none in the chart's range."""
    even = decision.break_even_requests_per_month
    return fmt.DASH if even is None else fmt.million_requests(even)


def sourcing_reasons(recommendation: Recommendation, decision: BuildVsBuy) -> list[str]:
    """Why the estimates use the sourcing they use (the recommendation's reasons, else the decision's), without the
    rate-limit sentence, which is shown on its own."""
    reasons = recommendation.sourcing_reasons or decision.reasons
    return [r for r in reasons if decision.rate_limit.text not in r]


def build_vs_buy_text(decision: BuildVsBuy) -> str:
    """Both monthly inference bills at the assessment's traffic, in one sentence."""
    if decision.self_hosted_monthly_usd is None:
        own = "no self-hosted figure (no allowed instance serves the model)"
    else:
        own = f"{fmt.money(decision.self_hosted_monthly_usd)} self-hosted"
    return (f"At your traffic, {fmt.million_requests(decision.requests_per_month)} requests a month, inference costs "
            f"{fmt.money(decision.api_monthly_usd)} a month through {decision.api_label} and {own}.")


def build_vs_buy_table(decision: BuildVsBuy) -> Table:
    """The two sourcings of inference at the assessment's traffic: what serves it, its monthly bill, which is
    cheaper and which the estimates use."""
    own = decision.self_hosted_monthly_usd
    return _table(("Inference", "Served by", "Monthly at your traffic", "Cheaper", "Used in the estimates"),
                  [(SOURCING_NAMES[Sourcing.API], decision.api_label, money(decision.api_monthly_usd),
                    fmt.yes_no(decision.cheaper is Sourcing.API), fmt.yes_no(decision.chosen is Sourcing.API)),
                   (SOURCING_NAMES[Sourcing.SELF_HOSTED], decision.self_hosted_text,
                    money(own) if own is not None else fmt.DASH, fmt.yes_no(decision.cheaper is Sourcing.SELF_HOSTED),
                    fmt.yes_no(decision.chosen is Sourcing.SELF_HOSTED))])


def alternative_table(evaluation: Evaluation) -> Table | None:
    """Each architecture's monthly total with the sourcing the estimates use and with the other one (compare mode);
    None when the planner did not compare."""
    if evaluation.alternative is None:
        return None
    used, other = evaluation.sourcing, next(s for s in SOURCING_NAMES if s is not evaluation.sourcing)
    rows = []
    for architecture, e in evaluation.estimates.items():
        instead = evaluation.alternative.get(architecture)
        if instead is None:
            continue
        delta = instead.monthly_cost_usd - e.monthly_cost_usd
        rows.append((architecture.label, money(e.monthly_cost_usd), money(instead.monthly_cost_usd),
                     ("+" if delta >= 0 else "−") + fmt.money(abs(delta)),
                     f"{fmt.yes_no(e.meets_targets)} / {fmt.yes_no(instead.meets_targets)}"))
    return _table(("Architecture", f"{SOURCING_NAMES[used]} (used)", SOURCING_NAMES[other], "Other − used",
                   "Meets targets (used / other)"), rows)
