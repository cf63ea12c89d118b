"""Session state of the app: the canonical answers, the submitted assessment, notices between pages.

Streamlit drops the state of a widget that is not rendered on the current page, so the Assess page's
widgets cannot hold the answers by themselves. The canonical answers live in one plain dict,
``st.session_state["answers"]`` (an ``Assessment`` dumped as JSON-compatible data). The Assess page
seeds each widget key from it when the key is missing and writes the widget values back after every
run. Replacing the answers (preset, import, reopen) removes the widget keys so they are seeded anew.

Each answer widget also gets its value as its default (``ui.shown``), for a browser that missed a run.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import streamlit as st

from planner.errors import InputError, PlannerError
from planner.inputs.files import load_presets, parse_assessment
from planner.inputs.models import Assessment
from planner.inputs.questions import load_question_bank
from ui import engine_form, sourcing_form

ANSWERS = "answers"  # canonical answers: dict shaped like Assessment.model_dump(mode="json")
PIPELINE_BASE = "pipeline_base"  # rows the pipeline editor starts from; its edits are kept by its key
SUBMITTED = "submitted"  # (answers, Assessment) of the last successful "Get recommendation"
NOTICE = "notice"  # one message for the next run of the Assess page: (kind, text, field errors)
READ_FROM = "answers_read_from"  # the answer widgets' values when the answers were last written (see answers_current)
GO_TO_RESULTS = "go_to_results"  # set by a submit that needs no form run: the next Assess run opens Results at once

PIPELINE_KEY = "w.pipeline"
ABOUT_FIELDS = ("project", "label", "notes")
DEFAULT_PRESET = "blank"


def workload_keys() -> list[str]:
    """Workload fields asked one by one (the pipeline has its own editor)."""
    return [f.key for s in load_question_bank().workload_sections for f in s.fields]


def team_keys() -> list[str]:
    """Team fields and readiness levels."""
    bank = load_question_bank()
    return [f.key for f in bank.team_fields] + [q.key for q in bank.readiness]


def widget_values(answers: dict[str, Any]) -> dict[str, Any]:
    """The value each Assess-page widget key shows for a set of answers (the pipeline excluded)."""
    values = {f"a.{k}": answers[k] for k in ABOUT_FIELDS}
    values.update({f"w.{k}": answers["workload"][k] for k in workload_keys()})
    values.update({f"t.{k}": answers["team"][k] for k in team_keys()})
    values.update(engine_form.widget_values(answers))
    values.update(sourcing_form.widget_values(answers))
    return values


@cache
def widget_keys() -> tuple[str, ...]:
    """Every key of an answer widget on the Assess page, the pipeline editor included."""
    return (*widget_values(load_presets()[DEFAULT_PRESET].model_dump(mode="json")), PIPELINE_KEY)


def _widget_state() -> dict[str, Any]:
    return {key: copy.deepcopy(st.session_state[key]) for key in widget_keys() if key in st.session_state}


def init() -> None:
    """Start a session with the blank preset's answers; a no-op when the session has answers."""
    if ANSWERS not in st.session_state:
        st.session_state[ANSWERS] = load_presets()[DEFAULT_PRESET].model_dump(mode="json")
    if PIPELINE_BASE not in st.session_state:
        st.session_state[PIPELINE_BASE] = copy.deepcopy(st.session_state[ANSWERS]["workload"]["pipeline"])


def answers() -> dict[str, Any]:
    """The current answers (a deep copy: edit it, then hand it back with ``set_answers``)."""
    init()
    return copy.deepcopy(st.session_state[ANSWERS])


def set_answers(new: dict[str, Any]) -> None:
    """Record answers the user typed on the Assess page (the widgets already show them), with the widget values
    they were read from."""
    st.session_state[ANSWERS] = copy.deepcopy(new)
    st.session_state[READ_FROM] = _widget_state()


def answers_current() -> bool:
    """Whether the stored answers are what the Assess page would read from its widgets now: no widget changed
    since they were written (a click that comes with an edit, typed and not yet run, says False)."""
    return READ_FROM in st.session_state and st.session_state[READ_FROM] == _widget_state()


def seed_widgets() -> None:
    """Give every answer widget that has no state (first visit, or after a page switch) its answer."""
    init()
    for key, value in widget_values(st.session_state[ANSWERS]).items():
        if key not in st.session_state and key not in engine_form.LAZY_KEYS:
            st.session_state[key] = copy.deepcopy(value)
    if PIPELINE_KEY not in st.session_state:
        # The editor's state holds edits relative to its base rows; without it, start from the answers.
        st.session_state[PIPELINE_BASE] = copy.deepcopy(st.session_state[ANSWERS]["workload"]["pipeline"])


def replace_answers(assessment: Assessment) -> None:
    """Replace every answer (preset, import, reopen); the widgets show the new answers on their next run."""
    st.session_state[ANSWERS] = assessment.model_dump(mode="json")
    st.session_state[PIPELINE_BASE] = copy.deepcopy(st.session_state[ANSWERS]["workload"]["pipeline"])
    for key in widget_keys():
        st.session_state.pop(key, None)


def submit(assessment: Assessment) -> None:
    """Remember a validated assessment as the one the Results page shows, with the answers it came from."""
    st.session_state[SUBMITTED] = (answers(), assessment)


def submit_without_form_run(validate: Callable[[dict[str, Any]], tuple[Assessment | None, Any]]) -> None:
    """The "Get recommendation" button's callback: when the stored answers are current and ``validate``
    (``ui.form.validate``: the assessment, or None and the error) accepts them, submit them and have the page's
    run open Results before drawing the form again (``go_to_results``). Otherwise nothing: the page's run reads
    the widgets, shows any error and submits as usual."""
    if not answers_current():
        return
    assessment, _ = validate(answers())
    if assessment is not None:
        submit(assessment)
        st.session_state[GO_TO_RESULTS] = True


def go_to_results() -> bool:
    """Whether a submit asked this run to open Results at once (asked once)."""
    return bool(st.session_state.pop(GO_TO_RESULTS, False))


def submitted_assessment() -> Assessment | None:
    """The last submitted assessment if the answers have not changed since, else None."""
    init()
    entry = st.session_state.get(SUBMITTED)
    if entry is None or entry[0] != st.session_state[ANSWERS]:
        return None
    assessment: Assessment = entry[1]
    return assessment


def has_stale_submission() -> bool:
    """Whether an assessment was submitted but the answers changed after it."""
    return st.session_state.get(SUBMITTED) is not None and submitted_assessment() is None


def rename(assessment: Assessment) -> None:
    """Adopt a new project name and label (from the save form) in the answers and the submission."""
    current = answers()
    current["project"], current["label"] = assessment.project, assessment.label
    set_answers(current)
    for key in ("a.project", "a.label"):
        st.session_state.pop(key, None)
    submit(assessment)


@dataclass(frozen=True)
class Notice:
    """A message for the user after an action, with per-field sentences for a rejected file."""

    kind: str  # "success" or "error"
    text: str  # plain text that may quote names as typed: shown through ui.text.literal, never as Markdown
    field_errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_error(cls, exc: PlannerError) -> Notice:
        """An error notice in plain words, with the per-field sentences of an InputError."""
        return cls("error", str(exc), dict(exc.field_errors) if isinstance(exc, InputError) else {})


def set_notice(notice: Notice) -> None:
    """Show a message on the next run of the Assess page."""
    st.session_state[NOTICE] = notice


def pop_notice() -> Notice | None:
    """The pending message, removed so it shows once."""
    notice: Notice | None = st.session_state.pop(NOTICE, None)
    return notice


def load_preset(name: str) -> None:
    """Replace the answers with a shipped preset."""
    preset = load_presets()[name]
    replace_answers(preset)
    set_notice(Notice("success", f"Loaded the preset “{preset_title(name)}”. Adjust the answers below."))


def preset_title(name: str) -> str:
    """How a preset is named in the picker: the blank start by its label, the stories by project."""
    preset = load_presets()[name]
    return preset.label if name == DEFAULT_PRESET else preset.project


def import_file(content: bytes, filename: str) -> Notice:
    """Read an uploaded assessment file; on success replace the answers, on failure change nothing."""
    try:
        assessment = parse_assessment(content, filename=filename)
    except InputError as exc:
        return Notice.from_error(exc)
    replace_answers(assessment)
    return Notice("success", f"Imported {filename}: project “{assessment.project}”.")
