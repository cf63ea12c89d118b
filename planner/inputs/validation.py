"""Turn answers into a valid Assessment, or into plain-words errors keyed by field.

Pydantic reports errors as codes and locations (``('workload', 'peak_requests_per_s')``); users need
"Peak traffic (requests/s) must be at least the mean (5); you entered 3". ``validate_assessment`` is
the one door into the engine: typed answers, imported files and presets all pass through it, and it
also checks references into the catalogs (model id, GPU types, providers), the bounds of assumption
overrides (``planner.inputs.overrides``) and of the engine levers (``planner.inputs.levers``); the serving
model's other constants (its efficiencies) are checked when evaluating.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from planner.errors import InputError
from planner.inputs.levers import lever_errors
from planner.inputs.models import Assessment
from planner.inputs.overrides import override_errors
from planner.inputs.questions import load_question_bank

MAX_SHOWN_INPUT_CHARS = 40  # an echoed wrong value is cut to this length
PIPELINE_LABELS = {  # pipeline fields as the Assess page's pipeline editor names them
    "mtbf_h": "MTBF (hours between crashes)",
    "mttr_s": "restart time (s)",
}


def _label(loc: tuple[Any, ...]) -> str:
    labels = load_question_bank().labels()
    names = [str(p) for p in loc if not isinstance(p, int)]
    if not names:
        return "The assessment"
    key = names[-1]
    if names[0] == "workload" and len(names) >= 2 and names[1] == "pipeline":
        step = next((p for p in loc if isinstance(p, int)), None)
        where = f"pipeline step {step + 1}" if step is not None else "pipeline"
        return f"{where}, {PIPELINE_LABELS.get(key, key.replace('_', ' '))}" if key != "pipeline" else "Pipeline"
    return labels.get(key, key.replace("_", " ").capitalize())


def _shown(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= MAX_SHOWN_INPUT_CHARS else text[: MAX_SHOWN_INPUT_CHARS - 1] + "…"


# Pydantic error types -> sentences; {label} is the field's question, {you} echoes the value, the rest is the
# error's context (bounds, lengths, choices).
SENTENCES: dict[str, str] = {
    "missing": "{label} is required.",
    "extra_forbidden": "'{key}' is not a field this planner knows; remove it.",
    **dict.fromkeys(("float_parsing", "int_parsing", "float_type", "int_type", "decimal_parsing"),
                    "{label} must be a number{you}."),
    "int_from_float": "{label} must be a whole number{you}.",
    "finite_number": "{label} must be a finite number{you}.",
    "greater_than": "{label} must be more than {gt}{you}.",
    "greater_than_equal": "{label} must be at least {ge}{you}.",
    "less_than": "{label} must be less than {lt}{you}.",
    "less_than_equal": "{label} must be at most {le:,}{you}.",
    "string_too_long": "{label} is too long (at most {max_length} characters).",
    "too_long": "{label} is too long (at most {max_length} items).",
    "string_too_short": "{label} must not be empty.",
    "string_pattern_mismatch": ("{label} may contain only lower-case letters, digits and '_', "
                                "starting with a letter{you}."),
    "enum": "{label} must be one of {expected}{you}.",
    **dict.fromkeys(("bool_parsing", "bool_type"), "{label} must be true or false{you}."),
    **dict.fromkeys(("model_type", "dict_type", "model_attributes_type"),
                    "{label} must be a section of fields, not {given}."),
    "list_type": "{label} must be a list.",
    "value_error": "{label}: {error}.",
}


def _sentence(error: dict[str, Any]) -> str:
    """One error as a sentence a user can act on."""
    loc = tuple(error["loc"])
    given = error.get("input")
    values = {"expected": "the listed choices", "error": error["msg"], **(error.get("ctx") or {}),
              "label": _label(loc), "key": loc[-1] if loc else "", "given": _shown(given),
              "you": f"; you entered {_shown(given)}" if not isinstance(given, dict | list) else ""}
    values["error"] = str(values["error"])
    template = SENTENCES.get(error["type"], "{label}: {msg}.")
    return template.format(msg=error["msg"], **values)


def explain(exc: ValidationError) -> dict[str, str]:
    """Map each failing field (dotted path) to one plain sentence; the first error per field wins."""
    out: dict[str, str] = {}
    for error in exc.errors():
        path = ".".join(str(p) for p in error["loc"]) or "assessment"
        out.setdefault(path, _sentence(dict(error)))
    return out


def _check_references(assessment: Assessment) -> dict[str, str]:
    from planner.inputs.catalog import load_gpus, load_instances, load_llms  # late: catalog reads data files

    errors: dict[str, str] = {}
    workload = assessment.workload
    llms = load_llms()
    if workload.model_id not in llms:
        errors["workload.model_id"] = (
            f"Model: '{workload.model_id}' is not in the model catalog; choose one of {', '.join(sorted(llms))}."
        )
    gpus = load_gpus()
    unknown_gpus = [g for g in workload.gpu_types if g not in gpus]
    if unknown_gpus:
        errors["workload.gpu_types"] = (
            f"Allowed GPU types: unknown {', '.join(unknown_gpus)}; known: {', '.join(sorted(gpus))}."
        )
    providers = sorted({row.provider for row in load_instances()})
    unknown_providers = [p for p in workload.providers if p not in providers]
    if unknown_providers:
        errors["workload.providers"] = (
            f"Allowed providers: unknown {', '.join(unknown_providers)}; known: {', '.join(providers)}."
        )
    return errors


def validate_assessment(data: Any) -> Assessment:
    """Validate answers (a dict or an Assessment) and their catalog references; raise InputError."""
    try:
        assessment = (
            Assessment.model_validate(data.model_dump()) if isinstance(data, Assessment)
            else Assessment.model_validate(data)
        )
    except ValidationError as exc:
        errors = explain(exc)
        raise InputError(_summary(errors), errors) from exc
    overrides = assessment.assumption_overrides
    errors = {**_check_references(assessment), **override_errors(overrides), **lever_errors(overrides)}
    if errors:
        raise InputError(_summary(errors), errors)
    return assessment


def _summary(errors: dict[str, str]) -> str:
    count = len(errors)
    first = next(iter(errors.values()))
    more = f" (and {count - 1} more)" if count > 1 else ""
    return f"The answers are not valid: {first}{more}"
