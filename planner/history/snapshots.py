"""What a save keeps of an evaluated assessment, and the one rule for re-evaluating a saved one.

* ``save_evaluated``: the one save path of an evaluated assessment (Results page, ``planner assess
  --save``, a workshop's consensus): its results, its price snapshot, its revisit-by date and its
  revisit triggers; a new assessment also brings its project's improvement items up to date
  (``planner.store.items.sync_items``, in the same transaction).
* ``price_rows`` and ``gpu_rows``: the instance price rows an evaluation of an assessment uses (its
  saved price list or data/instances.csv) and the GPU specs of the GPU types of those rows (the list's
  own specs, else data/gpus.csv). Both are saved with the assessment as its price snapshot, so a result
  priced with a list's custom GPU type can still be re-evaluated once the list is changed or deleted.
* ``reevaluate``: the estimates and recommendation of a saved assessment made again, priced by one
  rule (``saved_pricing``): the price snapshot and GPU specs saved with it, unless the caller asks for
  today's prices, which are the assessment's price list as it is today, or the built-in catalog
  (data/instances.csv, data/gpus.csv) when it names none. The saved report, the attribution of a change
  and the CLI all re-evaluate through it. Managed APIs are not in the snapshot: an assessment's API rows are
  those of its saved API price list as it is today, or data/api_prices.csv when it names none.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Any, Literal, NamedTuple

from pydantic import ValidationError
from sqlalchemy import Engine

import planner
from planner import store
from planner.decide.results import Recommendation
from planner.decide.scoring import recommend
from planner.errors import InputError, PlannerError
from planner.estimate.engine import evaluate
from planner.estimate.results import Evaluation
from planner.history.status import default_revisit_by, today_utc
from planner.inputs.api_catalog import ApiPrice
from planner.inputs.catalog import load_gpus, load_instances
from planner.inputs.models import Assessment, GpuSpec, InstancePrice
from planner.store import SavedId, StoredAssessment, api_price_lists, price_lists
from planner.store import workshops as workshop_store
from planner.store.items import sync_items
from planner.store.workshops import FacilitatorView

PriceSource = Literal["saved", "today"]
PRICE_SOURCES: tuple[PriceSource, ...] = ("saved", "today")


# Saving ------------------------------------------------------------------------------------------------


def price_rows(engine: Engine, assessment: Assessment) -> list[InstancePrice]:
    """The instance price rows an evaluation of this assessment uses: its saved price list, or the catalog."""
    return price_lists.instances_for(engine, assessment.price_list)


def snapshot_gpus(instances: Sequence[InstancePrice], gpus: Mapping[str, GpuSpec]) -> list[GpuSpec]:
    """The specs in ``gpus`` of the GPU types ``instances`` name, by GPU name (what a price snapshot keeps).

    Only these are kept: an evaluation reads no other spec, and keeping the catalog's rows of these types
    too (not only a price list's own) makes the snapshot independent of later edits of data/gpus.csv.
    """
    return [gpus[name] for name in sorted({row.gpu for row in instances}) if name in gpus]


def gpu_rows(engine: Engine, assessment: Assessment, instances: Sequence[InstancePrice]) -> list[GpuSpec]:
    """The GPU specs an evaluation of this assessment uses for the GPU types of ``instances``."""
    return snapshot_gpus(instances, price_lists.gpus_for(engine, assessment.price_list))


def results_document(recommendation: Recommendation, evaluation: Evaluation | None) -> dict[str, Any]:
    """What is stored as an assessment's results: the recommendation and, when computed, the estimates."""
    document: dict[str, Any] = {"recommendation": recommendation.model_dump(mode="json")}
    if evaluation is not None:
        document["evaluation"] = evaluation.model_dump(mode="json")
    return document


def price_snapshot(engine: Engine, assessment: Assessment, evaluation: Evaluation | None, *,
                   prices: Sequence[InstancePrice] | None = None, gpus: Mapping[str, GpuSpec] | None = None,
                   ) -> tuple[list[InstancePrice] | None, list[GpuSpec] | None]:
    """What a save keeps of the prices: the instance rows and their GPU specs; (None, None) without estimates.

    ``prices`` default to ``price_rows`` and ``gpus`` to the price list's specs (``price_lists.gpus_for``).
    """
    if evaluation is None:
        return None, None
    snapshot = list(prices) if prices is not None else price_rows(engine, assessment)
    return snapshot, (snapshot_gpus(snapshot, gpus) if gpus is not None else gpu_rows(engine, assessment, snapshot))


@dataclass(frozen=True)
class FromWorkshop:
    """The closed workshop whose consensus an assessment is: its facilitator token and what it holds."""

    token: str
    view: FacilitatorView

    def record(self) -> dict[str, Any]:
        """What the results keep of the workshop: its id and code, the consensus, every participant's answers."""
        return {
            "id": self.view.workshop.id, "join_code": self.view.workshop.display_code,
            "consensus": [i.model_dump(mode="json") for i in self.view.consensus()],
            "answers": [{"participant": p.display_name, "answers": p.answers} for p in self.view.participants],
        }


def save_evaluated(engine: Engine, assessment: Assessment, recommendation: Recommendation,
                   evaluation: Evaluation | None, *, prices: Sequence[InstancePrice] | None = None,
                   gpus: Mapping[str, GpuSpec] | None = None, revisit_by: date | None = None,
                   today: date | None = None, workshop: FromWorkshop | None = None,
                   actor: store.Actor | None = None) -> SavedId:
    """Save an assessment with its results, price snapshot, revisit-by date and triggers; return its id.

    Saving is idempotent: the same inputs, project, label, results and price snapshot saved again return the
    id of the assessment saved before, with ``created`` False (``store.save_assessment``), so a second click,
    a repeated ``planner assess --save`` and a consensus saved twice keep one assessment.

    ``prices`` are the rows the evaluation used (default: ``price_rows``; none without an evaluation)
    and ``gpus`` its GPU specs (default: the price list's, ``price_lists.gpus_for``); the snapshot keeps
    the specs of the GPU types in ``prices``. ``revisit_by`` defaults to the stage's interval from
    ``today`` (default: today in UTC). With ``workshop`` the assessment is that closed workshop's
    consensus: its results also keep the workshop's answers, and the workshop is linked to it
    (``workshops.save_consensus_assessment``, which refuses an open workshop or another project).

    A new assessment (not one saved before) opens, closes and reopens the project's improvement items by its
    readiness gaps and roadmap (``planner.store.items.sync_items``); a repeated save changes none. ``actor``: who
    saves (``planner.store.access``; None: the store's current actor).
    """
    snapshot, specs = price_snapshot(engine, assessment, evaluation, prices=prices, gpus=gpus)
    results = results_document(recommendation, evaluation)
    if workshop is not None:
        results["workshop"] = workshop.record()
    saved: dict[str, Any] = {
        "assessment": assessment, "results": results, "recommended": recommendation.top.value,
        "app_version": planner.__version__, "price_snapshot": snapshot, "gpu_snapshot": specs,
        "revisit_by": revisit_by or default_revisit_by(assessment, today or today_utc()),
        "triggers": recommendation.triggers,
        "on_created": partial(sync_items, recommendation=results["recommendation"]), "actor": actor}
    if workshop is None:
        return store.save_assessment(engine, **saved)
    return workshop_store.save_consensus_assessment(engine, token=workshop.token, **saved)


def stored_recommendation(stored: StoredAssessment) -> Recommendation | None:
    """The recommendation saved with an assessment, or None when its results hold none readable."""
    try:
        return Recommendation.model_validate(stored.results["recommendation"])
    except (KeyError, TypeError, ValidationError):
        return None


def stored_evaluation(stored: StoredAssessment) -> Evaluation | None:
    """The estimates saved with an assessment, or None when it was saved without them."""
    try:
        return Evaluation.model_validate(stored.results["evaluation"])
    except (KeyError, TypeError, ValidationError):
        return None


# Re-evaluating -----------------------------------------------------------------------------------------


class Pricing(NamedTuple):
    """The instance price rows, the GPU specs (by GPU name) and the managed-API rows (by id; None: the shipped
    data/api_prices.csv) an evaluation is made with."""

    instances: list[InstancePrice]
    gpus: dict[str, GpuSpec]
    apis: dict[str, ApiPrice] | None = None


def run_evaluator(evaluator: Callable[..., Evaluation], assessment: Assessment, pricing: Pricing) -> Evaluation:
    """``evaluator(assessment, instances, gpus)``, with the API rows as a fourth argument when the assessment
    names a saved API price list (so evaluators written before API lists, taking three, still serve the rest)."""
    if pricing.apis is None:
        return evaluator(assessment, pricing.instances, pricing.gpus)
    return evaluator(assessment, pricing.instances, pricing.gpus, pricing.apis)


class Reevaluation(NamedTuple):
    """A saved assessment's estimates and recommendation made again (``reevaluate``)."""

    evaluation: Evaluation
    recommendation: Recommendation


def todays_pricing(engine: Engine | None, assessment: Assessment) -> Pricing:
    """An assessment's prices today: its price list as it is today (added to the built-in catalog or replacing it,
    as the list was saved), or the built-in catalog when it names none.

    Its managed APIs are its saved API price list's rows as they are today, or the shipped ones (None).
    Reading a price list needs its database: without ``engine`` one that names a list is a PlannerError.
    """
    apis = api_price_lists.api_prices_for(engine, assessment.sourcing.api_price_list)
    if assessment.price_list is None:
        return Pricing(list(load_instances()), dict(load_gpus()), apis)
    if engine is None:
        raise PlannerError(f"“{assessment.project}” is priced with the price list “{assessment.price_list}”, "
                           "which cannot be read without the database.")
    price_list = price_lists.load_price_list(engine, assessment.price_list)
    return Pricing(list(price_list.evaluation_instances()), price_list.gpu_specs(), apis)


def snapshot_gpus_of(stored: StoredAssessment, current: Mapping[str, GpuSpec] | None = None) -> dict[str, GpuSpec]:
    """The GPU specs to re-evaluate a saved assessment with: ``current`` (default: data/gpus.csv) with the
    specs kept in its price snapshot in place of (or added to) the current ones."""
    gpus = dict(load_gpus() if current is None else current)
    gpus.update({g.gpu: g for g in stored.gpu_snapshot or ()})
    return gpus


def _todays_gpus(engine: Engine | None, assessment: Assessment) -> dict[str, GpuSpec]:
    """For a snapshot kept without GPU specs: its price list's specs today, or the catalog's once it is gone."""
    if engine is None or assessment.price_list is None:
        return dict(load_gpus())
    try:
        return price_lists.gpus_for(engine, assessment.price_list)
    except InputError:  # the list was deleted: the specs still known are the catalog's
        return dict(load_gpus())


def saved_pricing(stored: StoredAssessment, *, engine: Engine | None = None,
                  prices: PriceSource = "saved") -> Pricing:
    """The prices and GPU specs a saved assessment is re-evaluated with; the rule is ``reevaluate``'s."""
    if prices == "today" or stored.price_snapshot is None:
        return todays_pricing(engine, stored.assessment)
    instances = list(stored.price_snapshot)
    current = load_gpus() if stored.gpu_snapshot is not None else _todays_gpus(engine, stored.assessment)
    gpus = snapshot_gpus_of(stored, current)
    lacking = sorted({row.gpu for row in instances} - set(gpus))
    if lacking:
        raise PlannerError(
            f"Assessment #{stored.id} was priced with GPU types whose specs were not kept with it and are no "
            f"longer known ({', '.join(lacking)}; its price list was changed or deleted), so it cannot be "
            "re-evaluated.")
    # The price snapshot keeps instance rows only: the managed APIs are those of its API price list today.
    return Pricing(instances, gpus, api_price_lists.api_prices_for(engine, stored.assessment.sourcing.api_price_list))


def _evaluate(assessment: Assessment, instances: Sequence[InstancePrice], gpus: Mapping[str, GpuSpec],
              apis: Mapping[str, ApiPrice] | None = None) -> Evaluation:
    return evaluate(assessment, instances=instances, gpus=gpus, api_prices=apis)


def reevaluate(stored: StoredAssessment, *, engine: Engine | None = None, prices: PriceSource = "saved",
               evaluator: Callable[..., Evaluation] = _evaluate) -> Reevaluation:
    """Make a saved assessment's estimates and recommendation again with today's engine.

    The rule for its prices and GPU specs (``saved_pricing``): with ``prices="saved"`` (the default),
    the price snapshot saved with it (instance rows and the specs of their GPU types); with
    ``prices="today"``, today's prices (``todays_pricing``): its price list as it is today, or the
    built-in catalog when it names none. An assessment saved before price snapshots were kept is priced
    with today's prices either way, and one whose snapshot kept no GPU specs uses its price list's specs
    today (the catalog's once the list is deleted). ``engine`` is the database its price list is read
    from when today's prices are needed, and its saved API price list always (the snapshot keeps no API rows).
    ``evaluator(assessment, instances, gpus[, apis])`` makes the estimates (default: ``evaluate`` here; the app
    passes its evaluation pool; ``run_evaluator``). PlannerError when it cannot be evaluated.
    """
    pricing = saved_pricing(stored, engine=engine, prices=prices)
    evaluation = run_evaluator(evaluator, stored.assessment, pricing)
    return Reevaluation(evaluation, recommend(stored.assessment, evaluation))
