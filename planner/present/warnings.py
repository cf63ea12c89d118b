"""What a tech lead should read before trusting an evaluation, written once for the Results page and the PDF report.

Four kinds of warning (issue 15): infrastructure over the team's monthly budget; instance prices the
estimate used that are older than ``planner.inputs.price_files.STALE_AFTER_DAYS``; latency with little or
no headroom (a p95 within ``HEADROOM_SHARE`` of its target, or a p99 past it), with the headroom in
milliseconds; and a choice of fleet made among very few instance types (``FEW_INSTANCES`` or fewer allowed).
"""

from __future__ import annotations

from datetime import date

from planner.estimate.results import ArchitectureEstimate, Evaluation, FleetItem, LatencyEstimate
from planner.inputs.models import Assessment
from planner.inputs.price_files import STALE_AFTER_DAYS, as_of_date
from planner.present import formats as fmt
from planner.present.tables import infrastructure_words

HEADROOM_SHARE = 0.10  # a p95 within 10 % of its target leaves too little room for a traffic spike (issue 15)
FEW_INSTANCES = 3  # instance types allowed at or below which the cheapest fleet was chosen among very few


def result_warnings(assessment: Assessment, evaluation: Evaluation, today: date) -> list[str]:
    """Every warning of an evaluation, in the order a reader should see them: budget, prices, latency, choice."""
    return [*budget_warnings(assessment, evaluation), *stale_price_warnings(evaluation, today),
            *headroom_warnings(assessment, evaluation), *instance_choice_warnings(evaluation)]


def budget_warnings(assessment: Assessment, evaluation: Evaluation) -> list[str]:
    """One warning naming every architecture whose infrastructure (``CostBreakdown.infrastructure_usd``: GPU, API
    tokens, CPU and platform, people excluded) costs more a month than the team's infrastructure budget."""
    budget = assessment.team.monthly_budget_usd
    over = [f"{e.architecture.label.lower()} {fmt.money(e.cost.infrastructure_usd)} ({fmt.percent(share)})"
            for e in evaluation.estimates.values() if (share := e.cost.infrastructure_usd / budget) > 1.0]
    if not over:
        return []
    return [f"Over budget: the infrastructure ({infrastructure_words(evaluation)}; people not included) of "
            f"{', '.join(over)} costs more a month than the budget of {fmt.money(budget)}."]


def _priced_rows(evaluation: Evaluation) -> list[FleetItem]:
    """Each instance row the fleets use, once (by provider, instance and region), that carries a price date."""
    seen: dict[tuple[str, str, str], FleetItem] = {}
    for estimate in evaluation.estimates.values():
        for item in estimate.fleet:
            if item.price_as_of:
                seen.setdefault((item.provider, item.instance, item.region), item)
    return list(seen.values())


def _age_days(as_of: str, today: date) -> int | None:
    try:
        return (today - as_of_date(as_of)).days
    except ValueError:  # a date that does not parse is not ours to judge here; the Prices page flags it
        return None


def stale_price_warnings(evaluation: Evaluation, today: date) -> list[str]:
    """One warning per stale instance price the estimate used: the row, its date and its age in days."""
    out = []
    for item in _priced_rows(evaluation):
        age = _age_days(item.price_as_of, today)
        if age is not None and age > STALE_AFTER_DAYS:
            out.append(f"Stale price: {item.provider} {item.instance} ({item.region}) is priced as of "
                       f"{item.price_as_of}, {age:,} days ago (prices older than {STALE_AFTER_DAYS} days are "
                       "flagged). Check it on the Prices page before relying on the cost.")
    return out


def _metric_warning(metric: str, stats: LatencyEstimate, target_ms: float) -> str | None:
    """The headroom sentence of one latency of one architecture, or None when it has room to spare."""
    headroom_ms = target_ms - stats.p95_ms
    tight = headroom_ms <= HEADROOM_SHARE * target_ms
    p99_over = stats.p99_ms > target_ms
    if not (tight or p99_over):
        return None
    if headroom_ms >= 0:
        p95 = (f"p95 {metric} {fmt.ms(stats.p95_ms, unit=True)} against a target of {fmt.ms(target_ms, unit=True)}"
               f" leaves {fmt.ms(headroom_ms, unit=True)} of headroom")
    else:
        p95 = (f"p95 {metric} {fmt.ms(stats.p95_ms, unit=True)} is {fmt.ms(-headroom_ms, unit=True)} over its "
               f"target of {fmt.ms(target_ms, unit=True)}")
    if p99_over:
        p95 += f"; p99 {fmt.ms(stats.p99_ms, unit=True)} is {fmt.ms(stats.p99_ms - target_ms, unit=True)} past it"
    return p95


def _architecture_headroom(assessment: Assessment, estimate: ArchitectureEstimate) -> str | None:
    w = assessment.workload
    parts = [text for metric, stats, target in (("time to first token", estimate.ttft, w.p95_ttft_ms),
                                                ("end-to-end", estimate.e2e, w.p95_e2e_ms))
             if (text := _metric_warning(metric, stats, target)) is not None]
    if not parts:
        return None
    return f"Little latency headroom for {estimate.architecture.label.lower()}: " + "; ".join(parts) + "."


def headroom_warnings(assessment: Assessment, evaluation: Evaluation) -> list[str]:
    """Per architecture, a p95 within HEADROOM_SHARE of its target or a p99 past it, with the headroom in ms."""
    return [text for e in evaluation.estimates.values() if (text := _architecture_headroom(assessment, e))]


def instance_choice_warnings(evaluation: Evaluation) -> list[str]:
    """A warning when the GPU types, providers, community setting and price list allowed FEW_INSTANCES or fewer."""
    n = evaluation.allowed_instance_count
    if n is None or n > FEW_INSTANCES:
        return []
    kinds = "instance type was" if n == 1 else "instance types were"
    return [f"Only {n} {kinds} allowed (by the GPU types, providers, community setting and price list), so the "
            "fleet was chosen among very few; widen them to compare more offers."]
