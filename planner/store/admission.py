"""Admission: the one check an assessment and its results pass before the store keeps them.

Every way into the store (a save from the Results page or ``planner assess --save``, a project import
from Home or ``planner import``, a workshop's consensus) calls ``admit`` and ``admit_results``, so a
stored assessment is one ``assess`` would accept and always evaluates: its answers validated with their
catalog references (``validate_assessment``: a known model, GPU types, providers), its assumption
overrides within their bounds (``resolve_constants``), the managed API it names a row of its API price list
(a saved one, or data/api_prices.csv), and its results the records the History page and
the report read back (a Recommendation, and optionally an Evaluation and the workshop it came from).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy import Engine

from planner.decide.consensus import ConsensusItem
from planner.decide.results import Recommendation
from planner.errors import InputError
from planner.estimate.engine import resolve_constants
from planner.estimate.results import Evaluation
from planner.inputs.models import Assessment
from planner.inputs.text import SingleLineText
from planner.inputs.validation import validate_assessment
from planner.store.api_price_lists import api_rows_for

MAX_SHOWN_RESULT_ERRORS = 10  # field errors listed for results of the wrong shape


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class ParticipantRecord(_Record):
    """One workshop participant's answers as a consensus assessment keeps them."""

    participant: SingleLineText
    answers: dict[str, float]


class WorkshopRecord(_Record):
    """The workshop a consensus assessment came from (``history.FromWorkshop.record``)."""

    id: int
    join_code: SingleLineText
    consensus: tuple[ConsensusItem, ...]
    answers: tuple[ParticipantRecord, ...]


class ResultsDocument(_Record):
    """What an assessment's results hold: the recommendation, the estimates when made, the workshop if any."""

    recommendation: Recommendation
    evaluation: Evaluation | None = None
    workshop: WorkshopRecord | None = None


def admit(assessment: Assessment | dict[str, Any], *, engine: Engine | None = None) -> Assessment:
    """The assessment re-validated as ``assess`` validates it; InputError naming each field at fault.

    A managed API it names (``sourcing.api``) must be a row of its saved API price list in ``engine``'s
    database (without ``engine`` such a list cannot be read: refused), or of data/api_prices.csv when it names
    no list, as evaluating it requires.
    """
    checked = validate_assessment(assessment)
    resolve_constants(checked)
    _check_api(checked, engine)
    return checked


def _check_api(assessment: Assessment, engine: Engine | None) -> None:
    sourcing = assessment.sourcing
    rows = api_rows_for(engine, sourcing.api_price_list)  # InputError at sourcing.api_price_list: no such list
    if sourcing.api is not None and sourcing.api not in rows:
        where = (f"the saved API price list '{sourcing.api_price_list}'" if sourcing.api_price_list is not None
                 else "data/api_prices.csv")
        message = f"The managed API '{sourcing.api}' is not in {where}; choose one of its APIs."
        raise InputError(message, {"sourcing.api": message})


def admit_results(results: Any, *, recommended: str) -> dict[str, Any]:
    """Results that read back as a ResultsDocument whose top architecture is ``recommended``; else InputError."""
    if not isinstance(results, dict):
        message = f"The results must be a dict of records, not {type(results).__name__}."
        raise InputError(message, {"results": message})
    try:
        document = ResultsDocument.model_validate(results)
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for error in exc.errors()[:MAX_SHOWN_RESULT_ERRORS]:
            errors.setdefault(".".join(["results", *(str(p) for p in error["loc"])]), error["msg"])
        where, what = next(iter(errors.items()))
        raise InputError(f"The results are not a recommendation of this planner ({exc.error_count()} problem(s), "
                         f"first: {where}: {what}).", errors) from exc
    top = document.recommendation.top.value
    if recommended != top:
        message = f"The recommended architecture “{recommended}” is not the results' first choice ({top})."
        raise InputError(message, {"recommended": message})
    return results
