"""The resilience tables and sentences the Results page and the PDF share (planner.estimate.resilience's numbers)."""

from __future__ import annotations

from planner.decide.scoring import lead_time_text
from planner.estimate.results import ArchitectureEstimate, Evaluation, ResilienceEstimate
from planner.inputs.models import Sourcing
from planner.present import formats as fmt
from planner.present.tables import Table, _table, rate

PROVIDER_UPDATES = "the provider ships updates; pin a version"  # the lead time of a model behind a managed API


def _resilience(evaluation: Evaluation) -> list[tuple[str, ResilienceEstimate]]:
    return [(e.architecture.label, r) for e in evaluation.estimates.values() if (r := e.resilience) is not None]


def _lead_time(e: ArchitectureEstimate, r: ResilienceEstimate) -> str:
    """The model-update lead time; behind a managed API none of ours (the provider's update, a pin to move)."""
    return PROVIDER_UPDATES if e.sourcing is Sourcing.API else lead_time_text(r.model_update_lead_time_min)


def capacity_chart_note(evaluation: Evaluation) -> str:
    """What the capacity-in-service chart shows; behind a managed API, that the model update takes nothing of ours."""
    note = ("The smallest share of any critical unit's replicas in service. A monolith restarts whole replicas, "
            "model reload included; split architectures restart only the unit that changed, and a crash of a "
            "non-critical step degrades requests instead of taking capacity away.")
    if evaluation.sourcing is Sourcing.API:
        note += " Behind a managed API the model update is the provider's: no replica of yours restarts for it."
    return note


def api_resilience_text(evaluation: Evaluation) -> str:
    """What a managed API changes in the resilience figures, in two sentences; empty when inference is ours."""
    if evaluation.sourcing is not Sourcing.API:
        return ""
    return ("Model update lead time: behind a managed API the provider serves and updates the model, so an update "
            "restarts nothing of yours; pin a model version and move the pin when the new one has passed your "
            "evaluations. The provider's outages, at its SLA, fail the requests they hit (“Provider API outages” "
            "among the causes by which requests are lost).")


def has_resilience(evaluation: Evaluation) -> bool:
    """Whether the estimates model failures and deploys (saved before they did, they do not)."""
    return bool(_resilience(evaluation))


def resilience_table(evaluation: Evaluation, *, below_one: bool = True) -> Table:
    """Availability against the target, requests lost a month, deploy losses and model-update lead time.

    ``below_one``: counts above zero that round to 0 read ``< 1`` (``formats.count``)."""
    return _table(("Architecture", "Availability", "95 % CI", "Meets target", "Failed / month", "Slowed / month",
                   "Degraded / month", "Capacity-min lost to deploys / month", "Model update lead time",
                   "Crashes / month"),
                  [(e.architecture.label, fmt.availability(r.availability_pct),
                    fmt.availability_range(*r.availability_ci_pct),
                    fmt.yes_no(r.meets_availability_target), fmt.count(r.failed_per_month, below_one=below_one),
                    fmt.count(r.slowed_per_month, below_one=below_one),
                    fmt.count(r.degraded_per_month, below_one=below_one),
                    fmt.count(r.deploy_capacity_minutes_per_month, below_one=below_one), _lead_time(e, r),
                    fmt.rate(r.crashes_per_month))
                   for e in evaluation.estimates.values() if (r := e.resilience) is not None])


def blast_radius_table(evaluation: Evaluation) -> Table:
    """What one replica crash of each step takes down."""
    return _table(("Architecture", "Step", "Unit", "Affected", "Effect", "Capacity lost"),
                  [(label, b.component, b.unit, ", ".join(b.affected), b.effect,
                    f"{fmt.percent(b.capacity_lost_share)} of its unit")
                   for label, r in _resilience(evaluation) for b in r.blast_radius])


def loss_causes_table(evaluation: Evaluation) -> Table:
    """Requests failed, slowed and degraded a month, by cause."""
    return _table(("Architecture", "Cause", "Failed", "Slowed", "Degraded"),
                  [(label, c.cause, fmt.count(c.failed_per_month), fmt.count(c.slowed_per_month),
                    fmt.count(c.degraded_per_month)) for label, r in _resilience(evaluation) for c in r.causes])


def resilience_units_table(evaluation: Evaluation) -> Table:
    """Each unit's crash rate, restart time and rolling deploys (a unit that is not critical says so)."""
    return _table(("Architecture", "Unit", "Replicas", "MTBF per replica (h)", "Restart (s)", "Restarts / month",
                   "Batch", "Rollout (min)", "Crashes / month", "Capacity-min lost / month"),
                  [(label, u.unit + ("" if u.critical else " (not critical)"), u.replicas, rate(u.mtbf_h),
                    rate(u.mttr_s), rate(u.deploys_per_month), u.rollout_batch, rate(u.rollout_min),
                    rate(u.crashes_per_month), rate(u.deploy_capacity_minutes_per_month))
                   for label, r in _resilience(evaluation) for u in r.units])
