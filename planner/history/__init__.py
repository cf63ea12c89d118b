"""Re-assessment over time: revisit dates, fired triggers, comparing two assessments, and attribution.

* ``default_revisit_by``: the date to re-assess by, from the team's stage (data/revisit.yaml).
* ``price_rows``: the instance price rows an evaluation of an assessment uses (its saved price list
  or data/instances.csv); saved with the assessment as its price snapshot, together with
  ``gpu_rows``: the GPU specs of the GPU types of those rows (the list's own specs, else
  data/gpus.csv), so a result priced with a list's custom GPU type can still be re-evaluated once the
  list is changed or deleted. ``snapshot_gpus_of`` gives the specs a stored snapshot is re-evaluated with.
* ``project_statuses``: for the Home page, which projects are due (revisit date passed) and which
  have triggers that fired. A trigger is stored with the assessment whose roadmap set it, and is
  checked on the inputs saved after it: the triggers of a project's previous assessment that its
  latest inputs meet have fired.
* ``compare``: answers changed, recommendation changed, cost and latency deltas per architecture.
* ``attribute``: splits a change in monthly cost, p95 latency and score into prices, workload
  (traffic, model and assumptions) and team readiness, by re-evaluating the mixtures of old and
  new inputs (old inputs with new prices, and so on) and averaging each factor's effect over every
  order of switching the factors (Shapley values), so the shares add up to the re-evaluated change.
  What the re-evaluation cannot explain (the stored estimates of an older app version) is "other".
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import Engine

import planner
from planner import store
from planner.decide.scoring import score
from planner.errors import CatalogError, PlannerError
from planner.estimate.engine import evaluate
from planner.estimate.results import Evaluation, Recommendation, RevisitTrigger
from planner.inputs.catalog import load_gpus, load_instances
from planner.inputs.models import Architecture, Assessment, GpuSpec, InstancePrice, Sourced, Stage
from planner.inputs.paths import data_dir
from planner.inputs.questions import load_question_bank
from planner.store import ProjectSummary, StoredAssessment, price_lists

REVISIT_FILE = "revisit.yaml"
FACTORS = ("prices", "workload", "team")
FACTOR_LABELS = {
    "prices": "Prices",
    "workload": "Traffic, model and assumptions",
    "team": "Team readiness",
    "other": "Other (app version, stored estimates)",
}
# What each factor takes from the old or the new assessment when mixtures are built.
WORKLOAD_FIELDS = ("workload", "assumption_overrides", "price_list")
TEAM_FIELDS = ("team",)
IGNORED_ANSWERS = ("project", "schema_version", "label", "notes")  # names and notes, not answers
STATUS_PROJECT_LIMIT = 2  # assessments read per project for the Home page: the latest and the one before


class RevisitDefault(Sourced):
    """The default revisit interval of one stage (a row of data/revisit.yaml)."""

    stage: Stage
    days: int = Field(ge=1, le=730)


@cache
def load_revisit_defaults(path: Path | None = None) -> dict[Stage, RevisitDefault]:
    """The revisit interval of every stage; a missing stage or a bad row is a CatalogError."""
    source = path or data_dir() / REVISIT_FILE
    try:
        rows = yaml.safe_load(source.read_text(encoding="utf-8"))
        defaults = {d.stage: d for d in (RevisitDefault.model_validate(r) for r in rows)}
    except (OSError, yaml.YAMLError, ValidationError, TypeError) as exc:
        raise CatalogError(f"data/{REVISIT_FILE} is not valid: {exc}") from exc
    missing = [s.value for s in Stage if s not in defaults]
    if missing:
        raise CatalogError(f"data/{REVISIT_FILE} has no revisit interval for: {', '.join(missing)}")
    return defaults


def default_revisit_by(assessment: Assessment, today: date) -> date:
    """Today plus the stage's default interval (e.g. 90 days for a growth-stage team)."""
    return today + timedelta(days=load_revisit_defaults()[assessment.team.stage].days)


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


def snapshot_gpus_of(stored: StoredAssessment, current: Mapping[str, GpuSpec] | None = None) -> dict[str, GpuSpec]:
    """The GPU specs to re-evaluate a saved assessment with: ``current`` (default: data/gpus.csv) with the
    specs kept in its price snapshot in place of (or added to) the current ones."""
    gpus = dict(load_gpus() if current is None else current)
    gpus.update({g.gpu: g for g in stored.gpu_snapshot or ()})
    return gpus


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


def save_evaluated(engine: Engine, assessment: Assessment, recommendation: Recommendation,
                   evaluation: Evaluation | None, *, prices: Sequence[InstancePrice] | None = None,
                   gpus: Mapping[str, GpuSpec] | None = None, revisit_by: date | None = None,
                   today: date | None = None) -> int:
    """Save an assessment with its results, price snapshot, revisit-by date and triggers; return its id.

    ``prices`` are the rows the evaluation used (default: ``price_rows``; none without an evaluation)
    and ``gpus`` its GPU specs (default: the price list's, ``price_lists.gpus_for``); the snapshot keeps
    the specs of the GPU types in ``prices``. ``revisit_by`` defaults to the stage's interval from
    ``today`` (default: today in UTC).
    """
    snapshot, specs = price_snapshot(engine, assessment, evaluation, prices=prices, gpus=gpus)
    return store.save_assessment(
        engine, assessment=assessment, results=results_document(recommendation, evaluation),
        recommended=recommendation.top.value, app_version=planner.__version__,
        price_snapshot=snapshot, gpu_snapshot=specs,
        revisit_by=revisit_by or default_revisit_by(assessment, today or today_utc()),
        triggers=recommendation.triggers)


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


# Triggers and due dates ------------------------------------------------------------------------------


class FiredTrigger(BaseModel):
    """A revisit trigger and the value of its input that meets it."""

    model_config = ConfigDict(frozen=True)

    trigger: RevisitTrigger
    value: float
    set_by: int = Field(description="Id of the assessment whose roadmap set the trigger.")

    @property
    def description(self) -> str:
        """The trigger's text without the value it had when set, then the value now."""
        return f"{re.sub(r' [(]now [^)]*[)]', '', self.trigger.text)}; now {self.value:g} (set by #{self.set_by})"


class ProjectStatus(BaseModel):
    """A project on the Home page: its latest assessment, revisit date and fired triggers."""

    model_config = ConfigDict(frozen=True)

    project: ProjectSummary
    latest: StoredAssessment | None
    revisit_by: date | None
    due: bool
    fired: tuple[FiredTrigger, ...]


def value_at(assessment: Assessment, key: str) -> float:
    """The number at a dotted input path such as ``workload.peak_requests_per_s``; KeyError if none."""
    node: Any = assessment
    for part in key.split("."):
        if not hasattr(node, part):
            raise KeyError(key)
        node = getattr(node, part)
    if isinstance(node, bool) or not isinstance(node, int | float):
        raise KeyError(key)
    return float(node)


def fired_triggers(triggers: Sequence[RevisitTrigger], assessment: Assessment, *, set_by: int) -> list[FiredTrigger]:
    """The triggers that the assessment's inputs meet (triggers on unknown inputs are ignored)."""
    out = []
    for trigger in triggers:
        try:
            value = value_at(assessment, trigger.key)
        except KeyError:
            continue
        if trigger.fired(value):
            out.append(FiredTrigger(trigger=trigger, value=value, set_by=set_by))
    return out


def revisit_date(stored: StoredAssessment) -> date:
    """The saved revisit-by date, or for assessments saved before there was one, the stage default."""
    return stored.revisit_by or default_revisit_by(stored.assessment, stored.created_at.date())


def project_status(engine: Engine, project: ProjectSummary, today: date) -> ProjectStatus:
    """Whether one project is due for a re-assessment and which of its triggers fired."""
    recent = store.project_assessments(engine, project=project.name, limit=STATUS_PROJECT_LIMIT)
    if not recent:
        return ProjectStatus(project=project, latest=None, revisit_by=None, due=False, fired=())
    latest = recent[-1]
    revisit_by = revisit_date(latest)
    fired: list[FiredTrigger] = []
    if len(recent) > 1:
        fired = fired_triggers(recent[0].triggers, latest.assessment, set_by=recent[0].id)
    return ProjectStatus(project=project, latest=latest, revisit_by=revisit_by, due=revisit_by <= today,
                         fired=tuple(fired))


def project_statuses(engine: Engine, today: date) -> list[ProjectStatus]:
    """The status of every project that is not archived, by name."""
    return [project_status(engine, p, today) for p in store.list_projects(engine) if not p.archived]


class TimelinePoint(BaseModel):
    """One saved assessment on a project's timeline (missing estimates: empty dicts)."""

    model_config = ConfigDict(frozen=True)

    id: int
    created_at: datetime
    label: str
    app_version: str
    recommended: str
    confidence: str | None
    scores: dict[Architecture, float]
    monthly_cost_usd: dict[Architecture, float]
    p95_e2e_ms: dict[Architecture, float]
    readiness_mean: float = Field(description="Mean of the six 0-4 readiness levels.")
    peak_requests_per_s: float
    revisit_by: date


def timeline(assessments: Sequence[StoredAssessment]) -> list[TimelinePoint]:
    """The points of a project's timeline, in the order given (oldest first from project_assessments)."""
    points = []
    for stored in assessments:
        recommendation, evaluation = stored_recommendation(stored), stored_evaluation(stored)
        levels = stored.assessment.team.levels()
        estimates = evaluation.estimates if evaluation is not None else {}
        points.append(TimelinePoint(
            id=stored.id, created_at=stored.created_at, label=stored.label, app_version=stored.app_version,
            recommended=stored.recommended, confidence=recommendation.confidence if recommendation else None,
            scores={s.architecture: s.score for s in recommendation.ranked} if recommendation else {},
            monthly_cost_usd={a: e.monthly_cost_usd for a, e in estimates.items()},
            p95_e2e_ms={a: e.e2e.p95_ms for a, e in estimates.items()},
            readiness_mean=sum(levels.values()) / len(levels),
            peak_requests_per_s=stored.assessment.workload.peak_requests_per_s,
            revisit_by=revisit_date(stored)))
    return points


# Comparing two assessments ---------------------------------------------------------------------------


class AnswerChange(BaseModel):
    """One answer that differs between two assessments."""

    model_config = ConfigDict(frozen=True)

    key: str
    label: str
    old: str
    new: str


class EstimateDelta(BaseModel):
    """Monthly cost and p95 latencies of one architecture in two assessments (None: not estimated)."""

    model_config = ConfigDict(frozen=True)

    architecture: Architecture
    old_cost_usd: float | None
    new_cost_usd: float | None
    old_p95_e2e_ms: float | None
    new_p95_e2e_ms: float | None
    old_p95_ttft_ms: float | None
    new_p95_ttft_ms: float | None
    old_score: float | None
    new_score: float | None

    @staticmethod
    def _delta(old: float | None, new: float | None) -> float | None:
        return None if old is None or new is None else new - old

    @property
    def cost_delta_usd(self) -> float | None:
        return self._delta(self.old_cost_usd, self.new_cost_usd)

    @property
    def p95_e2e_delta_ms(self) -> float | None:
        return self._delta(self.old_p95_e2e_ms, self.new_p95_e2e_ms)

    @property
    def p95_ttft_delta_ms(self) -> float | None:
        return self._delta(self.old_p95_ttft_ms, self.new_p95_ttft_ms)

    @property
    def score_delta(self) -> float | None:
        return self._delta(self.old_score, self.new_score)


class Comparison(BaseModel):
    """What changed between an older and a newer assessment."""

    model_config = ConfigDict(frozen=True)

    old_id: int
    new_id: int
    answers_changed: tuple[AnswerChange, ...]
    old_top: Architecture | None
    new_top: Architecture | None
    estimates: tuple[EstimateDelta, ...]
    prices_changed: bool | None = Field(description="None when the older assessment has no price snapshot.")

    @property
    def recommendation_changed(self) -> bool:
        return self.old_top is not None and self.new_top is not None and self.old_top is not self.new_top


def _flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(data, dict):
        out: dict[str, Any] = {}
        for key, value in data.items():
            out.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(data, list) and data and all(isinstance(v, dict) and "name" in v for v in data):
        return _flatten({str(v["name"]): {k: x for k, x in v.items() if k != "name"} for v in data}, prefix)
    return {prefix: data}


def _shown(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) if value else "(any)"
    return str(value)


def answer_changes(old: Assessment, new: Assessment) -> list[AnswerChange]:
    """Every answer that differs, by dotted key (pipeline steps by name), in the order of the new answers."""
    before = _flatten(old.model_dump(mode="json", exclude=set(IGNORED_ANSWERS)))
    after = _flatten(new.model_dump(mode="json", exclude=set(IGNORED_ANSWERS)))
    bank = load_question_bank().labels()
    labels = {**{f"workload.{k}": v for k, v in bank.items()}, **{f"team.{k}": v for k, v in bank.items()}}
    keys = list(after) + [k for k in before if k not in after]
    out = []
    for key in keys:
        if before.get(key, None) != after.get(key, None):
            label = labels.get(key) or key.replace("_", " ")
            shown_old = _shown(before[key]) if key in before else "(none)"
            shown_new = _shown(after[key]) if key in after else "(none)"
            out.append(AnswerChange(key=key, label=label, old=shown_old, new=shown_new))
    return out


def _estimates(evaluation: Evaluation | None, recommendation: Recommendation | None,
               architecture: Architecture) -> tuple[float | None, float | None, float | None, float | None]:
    estimate = evaluation.estimates.get(architecture) if evaluation is not None else None
    points = recommendation.score_of(architecture).score if recommendation is not None else None
    if estimate is None:
        return None, None, None, points
    return estimate.monthly_cost_usd, estimate.e2e.p95_ms, estimate.ttft.p95_ms, points


def compare(old: StoredAssessment, new: StoredAssessment) -> Comparison:
    """Answers, recommendation and per-architecture estimates of two saved assessments, older first."""
    if (old.created_at, old.id) > (new.created_at, new.id):
        old, new = new, old
    old_rec, new_rec = stored_recommendation(old), stored_recommendation(new)
    old_eval, new_eval = stored_evaluation(old), stored_evaluation(new)
    deltas = []
    for architecture in Architecture:
        oc, oe, ot, os_ = _estimates(old_eval, old_rec, architecture)
        nc, ne, nt, ns = _estimates(new_eval, new_rec, architecture)
        deltas.append(EstimateDelta(architecture=architecture, old_cost_usd=oc, new_cost_usd=nc, old_p95_e2e_ms=oe,
                                    new_p95_e2e_ms=ne, old_p95_ttft_ms=ot, new_p95_ttft_ms=nt, old_score=os_,
                                    new_score=ns))
    prices_changed = (None if old.price_snapshot is None or new.price_snapshot is None
                      else set(old.price_snapshot) != set(new.price_snapshot)
                      or (old.gpu_snapshot is not None and new.gpu_snapshot is not None
                          and set(old.gpu_snapshot) != set(new.gpu_snapshot)))
    changes = tuple(answer_changes(old.assessment, new.assessment))
    return Comparison(old_id=old.id, new_id=new.id, answers_changed=changes,
                      old_top=old_rec.top if old_rec else None, new_top=new_rec.top if new_rec else None,
                      estimates=tuple(deltas), prices_changed=prices_changed)


# Attribution -----------------------------------------------------------------------------------------


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


Evaluator = Callable[[Assessment, Sequence[InstancePrice], Mapping[str, GpuSpec]], Evaluation]


def _default_evaluator(assessment: Assessment, instances: Sequence[InstancePrice],
                       gpus: Mapping[str, GpuSpec]) -> Evaluation:
    return evaluate(assessment, instances=instances, gpus=gpus)


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


def attribute(old: StoredAssessment, new: StoredAssessment, *, current_prices: Sequence[InstancePrice] | None = None,
              current_gpus: Mapping[str, GpuSpec] | None = None, evaluator: Evaluator = _default_evaluator,
              progress: Callable[[int, int], None] | None = None) -> Attribution:
    """Split the change from ``old`` to ``new`` into prices, workload, team readiness and other.

    Each distinct mixture of old and new inputs and old and new price snapshots (instance rows and
    GPU specs) is evaluated once (a team change moves the people cost and the scores; a workload
    change moves everything); ``progress(done, total)`` is called after each evaluation. An assessment
    without a price snapshot (saved before snapshots existed) is priced with ``current_prices``
    (default: data/instances.csv); one whose snapshot kept no GPU specs uses ``current_gpus`` (default:
    data/gpus.csv); the notes say so.
    """
    if (old.created_at, old.id) > (new.created_at, new.id):
        old, new = new, old
    notes = []
    fallback = list(current_prices) if current_prices is not None else list(load_instances())
    prices = {False: list(old.price_snapshot) if old.price_snapshot is not None else fallback,
              True: list(new.price_snapshot) if new.price_snapshot is not None else fallback}
    gpus = {False: snapshot_gpus_of(old, current_gpus), True: snapshot_gpus_of(new, current_gpus)}
    if old.price_snapshot is None or new.price_snapshot is None:
        notes.append("An assessment saved before price snapshots were kept is priced with today's price list, so "
                     "the price share may be understated.")
    if any(s.price_snapshot is not None and s.gpu_snapshot is None for s in (old, new)):
        notes.append("An assessment saved before GPU specs were kept with its prices is evaluated with today's GPU "
                     "specs.")
    for side, saved in ((False, old), (True, new)):
        lacking = sorted({row.gpu for row in prices[side]} - set(gpus[side]))
        if lacking:
            raise PlannerError(
                f"Assessment #{saved.id} was priced with GPU types whose specs were not kept with it and are no "
                f"longer known ({', '.join(lacking)}; its price list was changed or deleted), so it cannot be "
                "re-evaluated for the attribution.")
    evaluations: dict[tuple[str, bool], Evaluation] = {}

    def key_of(assessment: Assessment, take_new: frozenset[str]) -> tuple[str, bool]:
        return assessment.model_dump_json(exclude={"project", "label", "notes"}), "prices" in take_new

    subsets = [frozenset(c) for size in range(len(FACTORS) + 1) for c in itertools.combinations(FACTORS, size)]
    total = len({key_of(mixture(old.assessment, new.assessment, s), s) for s in subsets})

    def evaluation_of(take_new: frozenset[str]) -> tuple[Assessment, Evaluation]:
        assessment = mixture(old.assessment, new.assessment, take_new)
        key = key_of(assessment, take_new)
        if key not in evaluations:
            try:
                side = "prices" in take_new
                evaluations[key] = evaluator(assessment, prices[side], gpus[side])
            except PlannerError as exc:
                which = "the older inputs" if not take_new else "a mix of the older and newer inputs"
                raise PlannerError(f"The attribution needs {which} re-evaluated, which failed: {exc}") from exc
            if progress is not None:
                progress(len(evaluations), total)
        return assessment, evaluations[key]

    scores: dict[frozenset[str], dict[Architecture, float]] = {}

    def metric(architecture: Architecture, what: str) -> Callable[[frozenset[str]], float]:
        def value(take_new: frozenset[str]) -> float:
            assessment, evaluation = evaluation_of(take_new)
            if what == "score":
                if take_new not in scores:
                    scores[take_new] = {s.architecture: s.score for s in score(assessment, evaluation)}
                return scores[take_new][architecture]
            estimate = evaluation.estimate(architecture)
            return estimate.monthly_cost_usd if what == "cost" else estimate.e2e.p95_ms
        return value

    everything, nothing = frozenset(FACTORS), frozenset[str]()
    stored_old, stored_new = stored_evaluation(old), stored_evaluation(new)
    old_rec, new_rec = stored_recommendation(old), stored_recommendation(new)
    if stored_old is None or stored_new is None:
        notes.append("One of the two was saved without estimates; both are compared as re-evaluated today.")
    result = []
    for architecture in Architecture:
        values: dict[str, dict[str, float]] = {}
        ends: dict[str, tuple[float, float]] = {}
        for what in ("cost", "e2e", "score"):
            fn = metric(architecture, what)
            values[what] = shapley(fn, FACTORS)
            recomputed = (fn(nothing), fn(everything))
            stored = _stored_ends(architecture, what, stored_old, stored_new, old_rec, new_rec)
            ends[what] = stored if stored is not None else recomputed
            values[what]["other"] = (ends[what][1] - ends[what][0]) - (recomputed[1] - recomputed[0])
        shares = tuple(
            FactorShare(factor=f, label=FACTOR_LABELS[f], cost_usd=values["cost"][f], p95_e2e_ms=values["e2e"][f],
                        score=values["score"][f])
            for f in (*FACTORS, "other"))
        result.append(ArchitectureAttribution(
            architecture=architecture, old_cost_usd=ends["cost"][0], new_cost_usd=ends["cost"][1],
            old_p95_e2e_ms=ends["e2e"][0], new_p95_e2e_ms=ends["e2e"][1], old_score=ends["score"][0],
            new_score=ends["score"][1], shares=shares))
    if old.app_version != new.app_version:
        notes.append(f"The two were saved by different app versions ({old.app_version} and {new.app_version}); "
                     "what today's engine does not reproduce of the stored estimates is shown as “other”.")
    return Attribution(old_id=old.id, new_id=new.id, architectures=tuple(result), notes=tuple(notes))


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


def today_utc() -> date:
    """Today's date in UTC (revisit dates are calendar dates in UTC)."""
    return datetime.now(UTC).date()
