"""Which price of each instance row a fleet pays under the assessment's pricing option, and why.

Spot and committed prices are discounts a user may take, never a reason to pay more than on-demand. So
under spot or committed pricing every allowed instance is priced at that price where its row has one
and otherwise at its own on-demand price, marked as such (``basis``); the engine then takes the cheapest
fleet among all of them. Before this, only rows with a committed price qualified under "committed", and
the chatbot preset paid a stale $61.38/h committed row while 8x H100 on-demand elsewhere was $31.92/h.

Community and marketplace offers (``tier`` "community", e.g. RunPod Community Cloud on third-party
hosts) are left out unless the workload allows them (``allow_community_instances``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from planner.errors import InfeasibleError
from planner.inputs.models import COMMUNITY_TIER, InstancePrice, PricingOption, WorkloadProfile

ON_DEMAND = "on-demand"


def option_label(option: PricingOption) -> str:
    """The pricing option as people write it: "on-demand", "spot", "committed"."""
    return option.value.replace("_", "-")


def fallback_basis(option: PricingOption) -> str:
    """The basis of a row priced at on-demand because it lacks the chosen option's price."""
    return f"{ON_DEMAND} (no {option_label(option)} price)"


class PricedInstance(NamedTuple):
    """An instance row with the hourly price a fleet of it pays and which of its prices that is."""

    row: InstancePrice
    price_usd_h: float
    basis: str = ON_DEMAND  # "on-demand", "spot", "committed" or "on-demand (no committed price)", ...


def price_under(row: InstancePrice, option: PricingOption) -> PricedInstance:
    """The row at the option's price where it has one, else at its own on-demand price (marked)."""
    price = row.price_usd_h(option)
    if price is not None:
        return PricedInstance(row, price, option_label(option))
    return PricedInstance(row, row.on_demand_usd_h, fallback_basis(option))


def price_reason(basis: str) -> str:
    """Why a chosen fleet line pays the price of ``basis`` (a ``PricedInstance.basis``), in one sentence."""
    for option in PricingOption:
        label = option_label(option)
        if basis == fallback_basis(option):
            return (f"The cheapest allowed instance that meets the targets: it has no {label} price, so it is "
                    f"priced on-demand, and that still costs less than every {label} offer that fits.")
        if basis == label:
            return f"The cheapest allowed instance that meets the targets, at its {label} price."
    return ""


def allowed(row: InstancePrice, workload: WorkloadProfile) -> bool:
    """Whether the workload's GPU types, providers and community setting allow this row."""
    if workload.gpu_types and row.gpu not in workload.gpu_types:
        return False
    if workload.providers and row.provider not in workload.providers:
        return False
    return workload.allow_community_instances or row.tier != COMMUNITY_TIER


def priced_instances(workload: WorkloadProfile, instances: Sequence[InstancePrice]) -> list[PricedInstance]:
    """Every allowed row priced under the workload's option; InfeasibleError when none is allowed."""
    out = [price_under(row, workload.pricing) for row in instances if allowed(row, workload)]
    if out:
        return out
    community = [row for row in instances if row.tier == COMMUNITY_TIER]
    hint = (" Only community or marketplace offers match; allow them in the workload, or allow more GPU types "
            "or providers." if community and any(allowed(r, workload.model_copy(
                update={"allow_community_instances": True})) for r in community)
            else " Allow more GPU types or providers.")
    raise InfeasibleError("No instance in the price list matches the allowed GPU types and providers." + hint)
