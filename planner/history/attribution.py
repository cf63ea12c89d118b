"""Why the numbers changed: a change in monthly cost, p95 latency and score split by cause.

``attribute`` splits the change between two saved assessments into prices, workload (traffic, model
and assumptions) and team readiness, by re-evaluating the mixtures of old and new inputs (old inputs
with new prices, and so on) and averaging each factor's effect over every order of switching the
factors (Shapley values), so the shares add up to the re-evaluated change. Each side is priced by the
one rule of ``reevaluate`` (``saved_pricing``): its own price snapshot, or today's prices when asked
(then the price share is zero). What the re-evaluation cannot explain (the stored estimates of an
older app version) is "other".
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Engine

from planner.decide.results import Recommendation
from planner.decide.scoring import score
from planner.errors import PlannerError
from planner.estimate.engine import evaluate
from planner.estimate.results import Evaluation
from planner.history.compare import older_first
from planner.history.snapshots import (
    PriceSource,
    Pricing,
    run_evaluator,
    saved_pricing,
    stored_evaluation,
    stored_recommendation,
)
from planner.inputs.api_catalog import ApiPrice
from planner.inputs.models import Architecture, Assessment, GpuSpec, InstancePrice
from planner.store import StoredAssessment

FACTORS = ("prices", "workload", "team")
FACTOR_LABELS = {
    "prices": "Prices",
    "workload": "Traffic, model, sourcing and assumptions",
    "team": "Team readiness",
    "other": "Other (app version, stored estimates)",
}
# What each factor takes from the old or the new assessment when mixtures are built.
WORKLOAD_FIELDS = ("workload", "assumption_overrides", "price_list", "sourcing")
TEAM_FIELDS = ("team",)
MEASURES = ("cost", "e2e", "score")  # monthly cost (USD), p95 end-to-end latency (ms), score (points)
# How a mixture's parts are named in progress messages.
MIXTURE_PARTS = {"prices": "prices", "workload": "traffic, model, sourcing and assumptions", "team": "team"}
Progress = Callable[[int, int, str], None]  # (evaluations done, evaluations needed, the mixture just evaluated)


class FactorShare(BaseModel):
    """How much of a change one factor explains (same units as the change)."""

    model_config = ConfigDict(frozen=True)

    factor: str
    label: str
    cost_usd: float
    p95_e2e_ms: float
    score: float


class ArchitectureAttribution(BaseModel):
    """The change of one architecture's monthly cost, p95 end-to-end latency and score, split by factor."""

    model_config = ConfigDict(frozen=True)

    architecture: Architecture
    old_cost_usd: float
    new_cost_usd: float
    old_p95_e2e_ms: float
    new_p95_e2e_ms: float
    old_score: float
    new_score: float
    shares: tuple[FactorShare, ...]

    def share(self, factor: str) -> FactorShare:
        """The share of one factor ("prices", "workload", "team" or "other")."""
        return next(s for s in self.shares if s.factor == factor)


class Attribution(BaseModel):
    """Attribution of the change between two assessments, per architecture, with caveats in words."""

    model_config = ConfigDict(frozen=True)

    old_id: int
    new_id: int
    architectures: tuple[ArchitectureAttribution, ...]
    notes: tuple[str, ...]

    def of(self, architecture: Architecture) -> ArchitectureAttribution:
        """The attribution of one architecture."""
        return next(a for a in self.architectures if a.architecture is architecture)


# (assessment, instance rows, GPU specs[, API rows]) -> estimates; the API rows come only when the assessment
# names a saved API price list (``snapshots.run_evaluator``).
Evaluator = Callable[..., Evaluation]
# Every mixture at once: [(assessment, its pricing)], and a callback told how many are done after each one. One
# process evaluating them in turn reuses each simulated fleet across prices and team (planner.estimate.fleets).
BatchEvaluator = Callable[[list[tuple[Assessment, Pricing]], Callable[[int], None]], list[Evaluation]]


def _default_evaluator(assessment: Assessment, instances: Sequence[InstancePrice], gpus: Mapping[str, GpuSpec],
                       apis: Mapping[str, ApiPrice] | None = None) -> Evaluation:
    return evaluate(assessment, instances=instances, gpus=gpus, api_prices=apis)


def mixture(old: Assessment, new: Assessment, take_new: frozenset[str]) -> Assessment:
    """The new assessment with the fields of the factors not in ``take_new`` taken from the old one."""
    data = new.model_dump(mode="json")
    before = old.model_dump(mode="json")
    fields = {"workload": WORKLOAD_FIELDS, "team": TEAM_FIELDS}
    for factor, names in fields.items():
        if factor not in take_new:
            for name in names:
                data[name] = before[name]
    return Assessment.model_validate(data)


def describe_mixture(take_new: frozenset[str]) -> str:
    """A mixture in words, e.g. "Newer prices; older traffic, model, sourcing and assumptions; older team"."""
    if not take_new:
        return "The older assessment (its inputs and prices)"
    if take_new == frozenset(FACTORS):
        return "The newer assessment (its inputs and prices)"
    parts = [f"{'newer' if f in take_new else 'older'} {MIXTURE_PARTS[f]}" for f in FACTORS]
    return "; ".join(parts).capitalize()


def shapley(value: Callable[[frozenset[str]], float], players: Sequence[str]) -> dict[str, float]:
    """Each player's Shapley value of ``value`` (a function of the set of players switched to new)."""
    n = len(players)
    out = {}
    for player in players:
        others = [p for p in players if p != player]
        total = 0.0
        for size in range(n):
            weight = math.factorial(size) * math.factorial(n - size - 1) / math.factorial(n)
            for subset in itertools.combinations(others, size):
                base = frozenset(subset)
                total += weight * (value(base | {player}) - value(base))
        out[player] = total
    return out


class _Mixtures:
    """The mixtures of two assessments, each distinct one evaluated once (with its side's prices) and scored."""

    def __init__(self, old: Assessment, new: Assessment, pricing: Mapping[bool, Pricing], evaluator: Evaluator,
                 progress: Progress | None) -> None:
        self.old, self.new, self.pricing, self.evaluator, self.progress = old, new, pricing, evaluator, progress
        self.evaluations: dict[tuple[str, bool], Evaluation] = {}
        self.scores: dict[frozenset[str], dict[Architecture, float]] = {}
        subsets = [frozenset(c) for size in range(len(FACTORS) + 1) for c in itertools.combinations(FACTORS, size)]
        # Each distinct mixture by its key, with the first subset that makes it (the order of ``subsets``).
        self.distinct: dict[tuple[str, bool], frozenset[str]] = {}
        for subset in subsets:
            self.distinct.setdefault(self._key(mixture(old, new, subset), subset), subset)
        self.total = len(self.distinct)

    @staticmethod
    def _key(assessment: Assessment, take_new: frozenset[str]) -> tuple[str, bool]:
        # A team change moves the people cost and the scores; a workload change moves everything.
        return assessment.model_dump_json(exclude={"project", "label", "notes"}), "prices" in take_new

    def _pricing(self, take_new: frozenset[str]) -> Pricing:
        # A mixture's sourcing is the newer assessment's (no factor takes it), so are the API rows it names.
        return self.pricing["prices" in take_new]._replace(apis=self.pricing[True].apis)

    def evaluate_all(self, batch: BatchEvaluator) -> None:
        """Every distinct mixture evaluated by one call of ``batch`` (in the order of the subsets), which reports
        each as it is done."""
        jobs = [(mixture(self.old, self.new, s), self._pricing(s)) for s in self.distinct.values()]
        names = [describe_mixture(s) for s in self.distinct.values()]

        def heard(done: int) -> None:
            if self.progress is not None:
                self.progress(done, self.total, names[done - 1])

        try:
            evaluations = batch(jobs, heard)
        except PlannerError as exc:
            raise PlannerError(f"The attribution needs the older and newer inputs re-evaluated, which failed: {exc}"
                               ) from exc
        self.evaluations.update(zip(self.distinct, evaluations, strict=True))

    def evaluation(self, take_new: frozenset[str]) -> tuple[Assessment, Evaluation]:
        """The mixture taking ``take_new`` from the newer assessment, and its estimates."""
        assessment = mixture(self.old, self.new, take_new)
        key = self._key(assessment, take_new)
        if key not in self.evaluations:
            try:
                self.evaluations[key] = run_evaluator(self.evaluator, assessment, self._pricing(take_new))
            except PlannerError as exc:
                which = "the older inputs" if not take_new else "a mix of the older and newer inputs"
                raise PlannerError(f"The attribution needs {which} re-evaluated, which failed: {exc}") from exc
            if self.progress is not None:
                self.progress(len(self.evaluations), self.total, describe_mixture(take_new))
        return assessment, self.evaluations[key]

    def metric(self, architecture: Architecture, what: str) -> Callable[[frozenset[str]], float]:
        """One measure (``MEASURES``) of one architecture, as a function of what is taken from the newer one."""
        def value(take_new: frozenset[str]) -> float:
            assessment, evaluation = self.evaluation(take_new)
            if what == "score":
                if take_new not in self.scores:
                    self.scores[take_new] = {s.architecture: s.score for s in score(assessment, evaluation)}
                return self.scores[take_new][architecture]
            estimate = evaluation.estimate(architecture)
            return estimate.monthly_cost_usd if what == "cost" else estimate.e2e.p95_ms
        return value


def _pricing_notes(old: StoredAssessment, new: StoredAssessment, prices: PriceSource) -> list[str]:
    if prices == "today":
        return ["Both are priced with today's prices, so prices explain none of the re-evaluated change."]
    notes = []
    if old.price_snapshot is None or new.price_snapshot is None:
        notes.append("An assessment saved before price snapshots were kept is priced with today's price list, so "
                     "the price share may be understated.")
    if any(s.price_snapshot is not None and s.gpu_snapshot is None for s in (old, new)):
        notes.append("An assessment saved before GPU specs were kept with its prices is evaluated with today's GPU "
                     "specs.")
    return notes


def attribute(old: StoredAssessment, new: StoredAssessment, *, engine: Engine | None = None,
              prices: PriceSource = "saved", evaluator: Evaluator = _default_evaluator,
              progress: Progress | None = None, batch: BatchEvaluator | None = None) -> Attribution:
    """Split the change from ``old`` to ``new`` into prices, workload, team readiness and other.

    Each distinct mixture of old and new inputs and old and new prices is evaluated once;
    ``progress(done, total, mixture)`` is called after each evaluation, with the mixture in words. Each
    side is priced as ``reevaluate`` prices it (``saved_pricing`` with ``engine`` and ``prices``): its
    price snapshot and kept GPU specs, or today's prices when asked or when it was saved without a
    snapshot; the notes say so. ``batch``, if given, evaluates every mixture in one call instead of ``evaluator``
    (the app hands them to one worker process, whose kept fleets serve every mixture of the same workload).
    """
    old, new = older_first(old, new)
    pricing = {False: saved_pricing(old, engine=engine, prices=prices),
               True: saved_pricing(new, engine=engine, prices=prices)}
    notes = _pricing_notes(old, new, prices)
    mixtures = _Mixtures(old.assessment, new.assessment, pricing, evaluator, progress)
    if batch is not None:
        mixtures.evaluate_all(batch)
    stored_old, stored_new = stored_evaluation(old), stored_evaluation(new)
    recs = stored_recommendation(old), stored_recommendation(new)
    if stored_old is None or stored_new is None:
        notes.append("One of the two was saved without estimates; both are compared as re-evaluated today.")
    result = [_architecture_attribution(a, mixtures, (stored_old, stored_new), recs) for a in Architecture]
    if old.app_version != new.app_version:
        notes.append(f"The two were saved by different app versions ({old.app_version} and {new.app_version}); "
                     "what today's engine does not reproduce of the stored estimates is shown as “other”.")
    return Attribution(old_id=old.id, new_id=new.id, architectures=tuple(result), notes=tuple(notes))


def _architecture_attribution(architecture: Architecture, mixtures: _Mixtures,
                              evaluations: tuple[Evaluation | None, Evaluation | None],
                              recs: tuple[Recommendation | None, Recommendation | None]) -> ArchitectureAttribution:
    everything, nothing = frozenset(FACTORS), frozenset[str]()
    values: dict[str, dict[str, float]] = {}
    ends: dict[str, tuple[float, float]] = {}
    for what in MEASURES:
        fn = mixtures.metric(architecture, what)
        values[what] = shapley(fn, FACTORS)
        recomputed = (fn(nothing), fn(everything))
        stored = _stored_ends(architecture, what, *evaluations, *recs)
        ends[what] = stored if stored is not None else recomputed
        values[what]["other"] = (ends[what][1] - ends[what][0]) - (recomputed[1] - recomputed[0])
    shares = tuple(
        FactorShare(factor=f, label=FACTOR_LABELS[f], cost_usd=values["cost"][f], p95_e2e_ms=values["e2e"][f],
                    score=values["score"][f])
        for f in (*FACTORS, "other"))
    return ArchitectureAttribution(
        architecture=architecture, old_cost_usd=ends["cost"][0], new_cost_usd=ends["cost"][1],
        old_p95_e2e_ms=ends["e2e"][0], new_p95_e2e_ms=ends["e2e"][1], old_score=ends["score"][0],
        new_score=ends["score"][1], shares=shares)


def _stored_ends(architecture: Architecture, what: str, old_eval: Evaluation | None, new_eval: Evaluation | None,
                 old_rec: Recommendation | None, new_rec: Recommendation | None) -> tuple[float, float] | None:
    if what == "score":
        if old_rec is None or new_rec is None or old_rec.used_estimates != new_rec.used_estimates:
            return None
        if not (old_rec.used_estimates and old_eval and new_eval):
            return None
        return old_rec.score_of(architecture).score, new_rec.score_of(architecture).score
    if old_eval is None or new_eval is None or architecture not in old_eval.estimates \
            or architecture not in new_eval.estimates:
        return None
    pick: Mapping[str, Callable[[Evaluation], float]] = {
        "cost": lambda e: e.estimate(architecture).monthly_cost_usd,
        "e2e": lambda e: e.estimate(architecture).e2e.p95_ms,
    }
    return pick[what](old_eval), pick[what](new_eval)
