"""Comparing saved assessments: a project's timeline, the answers that changed, and estimate deltas.

* ``timeline``: one point per saved assessment (recommendation, scores, costs, readiness, revisit date).
* ``compare``: answers changed, recommendation changed, cost and latency deltas per architecture, and
  whether the two were priced differently (their price snapshots differ).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from planner.decide.results import Recommendation
from planner.estimate.results import Evaluation
from planner.history.snapshots import stored_evaluation, stored_recommendation
from planner.history.status import revisit_date
from planner.inputs.levers import LEVERS
from planner.inputs.models import Architecture, Assessment
from planner.inputs.questions import load_question_bank
from planner.store import StoredAssessment

IGNORED_ANSWERS = ("project", "schema_version", "label", "notes")  # names and notes, not answers


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


class AnswerChange(BaseModel):
    """One answer that differs between two assessments."""

    model_config = ConfigDict(frozen=True)

    key: str
    label: str
    old: str
    new: str


def _delta(measure: str, doc: str) -> property:
    """A property: new minus old of the fields ``old_<measure>`` and ``new_<measure>`` (None when one is)."""

    def get(self: BaseModel) -> float | None:
        old, new = getattr(self, f"old_{measure}"), getattr(self, f"new_{measure}")
        return None if old is None or new is None else float(new - old)

    return property(get, doc=doc)


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

    cost_delta_usd: ClassVar[property] = _delta("cost_usd", "Change of the monthly cost (USD).")
    p95_e2e_delta_ms: ClassVar[property] = _delta("p95_e2e_ms", "Change of the p95 end-to-end latency (ms).")
    p95_ttft_delta_ms: ClassVar[property] = _delta("p95_ttft_ms", "Change of the p95 time to first token (ms).")
    score_delta: ClassVar[property] = _delta("score", "Change of the score (points).")


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


SOURCING_LABELS = {"sourcing.mode": "Where inference runs", "sourcing.api": "Managed API",
                   "sourcing.api_price_list": "API price list",
                   "sourcing.cached_input_share": "Prompt-cache share of input tokens",
                   "sourcing.batch_share": "Batch-API share of requests",
                   "sourcing.data_may_leave": "Data may leave our cloud and region",
                   "sourcing.custom_weights": "Fine-tuned or custom weights"}


def answer_changes(old: Assessment, new: Assessment) -> list[AnswerChange]:
    """Every answer that differs, by dotted key (pipeline steps by name), in the order of the new answers."""
    before = _flatten(old.model_dump(mode="json", exclude=set(IGNORED_ANSWERS)))
    after = _flatten(new.model_dump(mode="json", exclude=set(IGNORED_ANSWERS)))
    bank = load_question_bank().labels()
    labels = {**{f"workload.{k}": v for k, v in bank.items()}, **{f"team.{k}": v for k, v in bank.items()},
              "workload.kv_precision": "KV-cache precision", **SOURCING_LABELS,
              **{f"assumption_overrides.{lever.key}": f"{lever.name} ({lever.key})" for lever in LEVERS}}
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


def older_first(a: StoredAssessment, b: StoredAssessment) -> tuple[StoredAssessment, StoredAssessment]:
    """The two saved assessments, the older one (by save time, then id) first."""
    return (b, a) if (a.created_at, a.id) > (b.created_at, b.id) else (a, b)


def _prices_changed(old: StoredAssessment, new: StoredAssessment) -> bool | None:
    if old.price_snapshot is None or new.price_snapshot is None:
        return None
    return set(old.price_snapshot) != set(new.price_snapshot) or (
        old.gpu_snapshot is not None and new.gpu_snapshot is not None
        and set(old.gpu_snapshot) != set(new.gpu_snapshot))


def compare(old: StoredAssessment, new: StoredAssessment) -> Comparison:
    """Answers, recommendation and per-architecture estimates of two saved assessments, older first."""
    old, new = older_first(old, new)
    old_rec, new_rec = stored_recommendation(old), stored_recommendation(new)
    old_eval, new_eval = stored_evaluation(old), stored_evaluation(new)
    deltas = []
    for architecture in Architecture:
        oc, oe, ot, os_ = _estimates(old_eval, old_rec, architecture)
        nc, ne, nt, ns = _estimates(new_eval, new_rec, architecture)
        deltas.append(EstimateDelta(architecture=architecture, old_cost_usd=oc, new_cost_usd=nc, old_p95_e2e_ms=oe,
                                    new_p95_e2e_ms=ne, old_p95_ttft_ms=ot, new_p95_ttft_ms=nt, old_score=os_,
                                    new_score=ns))
    changes = tuple(answer_changes(old.assessment, new.assessment))
    return Comparison(old_id=old.id, new_id=new.id, answers_changed=changes,
                      old_top=old_rec.top if old_rec else None, new_top=new_rec.top if new_rec else None,
                      estimates=tuple(deltas), prices_changed=_prices_changed(old, new))
