"""The Assess page's form: widgets built from the question bank, their values read back into answers.

Each widget has a key (``a.*`` about the assessment, ``w.*`` workload, ``e.*`` engine levers, which are
assumption overrides (``ui.engine_form``), ``t.*`` team and readiness), is seeded from the canonical answers
(``ui.state``) and gets the same value as its default (``ui.shown``). Below each widget sits an empty slot;
after every run the answers are validated and each error sentence is written into the slot of its field, so a
mistake shows beside the field that caused it.
"""

from __future__ import annotations

import math
from typing import Any, TypeVar

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from planner.errors import InputError
from planner.inputs.catalog import load_assumptions, load_gpus, load_instances, load_llms
from planner.inputs.files import dump_assessment, load_presets, size_text
from planner.inputs.limits import MAX_ASSESSMENT_FILE_BYTES, NAME_MAX_CHARS, NOTES_MAX_CHARS, SHORT_TEXT_MAX_CHARS
from planner.inputs.models import Assessment, Component
from planner.inputs.questions import FieldQuestion, ReadinessQuestion, load_question_bank
from planner.inputs.validation import validate_assessment
from ui import engine_form, state
from ui.shown import shown, shown_index
from ui.text import literal

Q = TypeVar("Q")
Slots = dict[str, DeltaGenerator]  # dotted field path -> the empty slot below its widget

CHOICE_NAMES = {  # how enum values read on screen
    "steady": "Steady",
    "business_hours": "Business hours",
    "spiky": "Spiky",
    "bf16": "BF16",
    "fp8": "FP8",
    "int8": "INT8 (weight-only)",
    "int4": "INT4 (weight-only)",
    "fp4": "FP4",
    "on_demand": "On-demand",
    "spot": "Spot",
    "committed": "Committed (1-year)",
    "prototype": "Prototype",
    "early": "Early",
    "growth": "Growth",
    "enterprise": "Enterprise",
}
PIPELINE_COLUMNS = ("name", "cpu_ms_per_request", "critical", "deploys_per_week", "after_inference", "mtbf_h",
                    "mttr_s")
OPTIONAL_NUMBERS = ("mtbf_h", "mttr_s")  # blank cells take the assumption's default
COMMUNITY_KEY = "w.allow_community_instances"  # a checkbox the question bank does not list (it has no yes/no kind)
COMMUNITY_LABEL = "Allow community/marketplace GPU offers (e.g. RunPod community)"
COMMUNITY_HELP = ("Cheaper, with no availability guarantees: hosts are third parties' machines. Off: only "
                  "production-grade offers are chosen.")


def _number(q: FieldQuestion, key: str) -> int | float | None:
    value = st.session_state[key]
    if q.kind == "int":
        low, high = int(q.min if q.min is not None else 0), int(q.max if q.max is not None else 10**9)
        return st.number_input(q.label, value=int(value), min_value=min(low, int(value)),
                               max_value=max(high, int(value)), step=int(q.step or 1), help=q.help, key=key)
    low, high, step = float(q.min or 0.0), float(q.max or 1e12), float(q.step or 1.0)
    decimals = max(engine_form.decimals(step), engine_form.decimals(float(value)))
    return st.number_input(q.label, value=float(value), min_value=min(low, float(value)),
                           max_value=max(high, float(value)), step=step, format=f"%.{decimals}f", help=q.help, key=key)


def _field(q: FieldQuestion, key: str) -> Any:
    if q.kind in ("int", "float"):
        return _number(q, key)
    if q.kind == "choice":
        return st.selectbox(q.label, q.choices, index=shown_index(list(q.choices), key),
                            format_func=lambda c: CHOICE_NAMES.get(c, c), help=q.help, key=key)
    if q.kind == "model":
        llms = load_llms()
        options = list(llms) if st.session_state[key] in llms else [*llms, st.session_state[key]]
        return st.selectbox(q.label, options, index=shown_index(options, key), help=q.help, key=key,
                            format_func=lambda m: llms[m].name if m in llms else m)
    options = sorted(load_gpus()) if q.kind == "gpu_list" else sorted({r.provider for r in load_instances()})
    extra = [v for v in st.session_state[key] if v not in options]
    return st.multiselect(q.label, [*options, *extra], default=shown(key), help=q.help, key=key,
                          placeholder="Any")


def _questions(questions: tuple[FieldQuestion, ...], prefix: str, section: str, slots: Slots) -> dict[str, Any]:
    values = {}
    for pair in _pairs(questions):
        for column, q in zip(st.columns(2), pair, strict=False):
            with column:
                values[q.key] = _field(q, f"{prefix}.{q.key}")
                slots[f"{section}.{q.key}"] = st.empty()
    return values


def _pairs(items: tuple[Q, ...]) -> list[tuple[Q, ...]]:
    # One row of columns per pair keeps neighbours aligned even when one widget is taller.
    return [items[i:i + 2] for i in range(0, len(items), 2)]


def render_start(top: DeltaGenerator) -> None:
    """Where to start from: a preset or an imported file; shows the message of the last such action."""
    presets = load_presets()
    with top.container(border=True):
        st.markdown("**Start from a preset or a file** (either replaces every answer below)")
        left, right = st.columns(2)
        with left:
            st.selectbox("Preset", list(presets), format_func=state.preset_title, key="a.preset",
                         help="Blank start, or one of the two reference stories.")
            st.caption(presets[st.session_state["a.preset"]].notes)
            st.button("Load preset", key="a.load_preset", on_click=_on_preset)
        with right:
            limit = size_text(MAX_ASSESSMENT_FILE_BYTES)
            st.file_uploader(f"Import an assessment file (JSON or YAML, at most {limit})", type=["json", "yaml", "yml"],
                             key="a.upload", on_change=_on_upload,
                             help=f"A file exported from this page, or written by hand in the same format. Files over "
                                  f"{limit} are refused: an assessment is a few kB (the larger limit under the box "
                                  "is the app's, for price lists).")
    notice = state.pop_notice()
    if notice is None:
        return
    if notice.kind == "success":
        top.success(literal(notice.text))
        return
    details = "".join(f"\n- {literal(s)}" for s in notice.field_errors.values()) if len(notice.field_errors) > 1 else ""
    top.error(f"{literal(notice.text)}\n\nYour current answers are unchanged.{details}")


def _on_preset() -> None:
    state.load_preset(st.session_state["a.preset"])
    st.session_state.pop(COMMUNITY_KEY, None)  # seeded anew from the preset's answers


def _on_upload() -> None:
    uploaded = st.session_state.get("a.upload")
    if uploaded is not None:
        state.set_notice(state.import_file(uploaded.getvalue(), uploaded.name))
        st.session_state.pop(COMMUNITY_KEY, None)  # seeded anew from the imported answers (unchanged on failure)


def render_about(slots: Slots) -> dict[str, str]:
    """Project name, label and notes."""
    st.subheader("About this assessment")
    left, right = st.columns(2)
    with left:
        project = st.text_input("Project name", value=shown("a.project"), key="a.project",
                                max_chars=NAME_MAX_CHARS)
        slots["project"] = st.empty()
    with right:
        label = st.text_input("Label", value=shown("a.label"), key="a.label", max_chars=NAME_MAX_CHARS,
                              help="Tells this assessment apart from others of the project, e.g. 'Q3 review'.")
        slots["label"] = st.empty()
    notes = st.text_area("Notes", value=shown("a.notes"), key="a.notes", max_chars=NOTES_MAX_CHARS, height=80)
    slots["notes"] = st.empty()
    return {"project": project, "label": label, "notes": notes}


def render_workload(slots: Slots, overrides: dict[str, float]) -> tuple[dict[str, Any], dict[str, float]]:
    """The workload questions, section by section, then the pipeline editor; also returns the assumption
    overrides with the engine levers (``ui.engine_form``) as the inference-engine section sets them."""
    values: dict[str, Any] = {}
    for section in load_question_bank().workload_sections:
        st.subheader(section.title)
        st.caption(section.help)
        if any(q.key == "precision" for q in section.fields):
            values.update(_engine(section.fields, slots))
            model_id = values.get("model_id", st.session_state.get("w.model_id", ""))
            overrides = engine_form.render_levers(slots, overrides, str(model_id))
            continue
        values.update(_questions(section.fields, "w", "workload", slots))
        if any(q.key == "pricing" for q in section.fields):
            values["allow_community_instances"] = _community(slots)
    values["pipeline"] = _pipeline(slots)
    return values, overrides


def _engine(fields: tuple[FieldQuestion, ...], slots: Slots) -> dict[str, Any]:
    # The weight precision with the KV cache's beside it, then any other question of the section.
    precision = next(q for q in fields if q.key == "precision")
    left, right = st.columns(2)
    with left:
        values = {"precision": _field(precision, "w.precision")}
        slots["workload.precision"] = st.empty()
    with right:
        values["kv_precision"] = engine_form.render_kv_precision(str(values["precision"]))
        slots["workload.kv_precision"] = st.empty()
    values.update(_questions(tuple(q for q in fields if q is not precision), "w", "workload", slots))
    return values


def _community(slots: Slots) -> bool:
    # Other pages drop this widget's state (it is not rendered there): seed it again from the answers.
    if COMMUNITY_KEY not in st.session_state:
        st.session_state[COMMUNITY_KEY] = bool(state.answers()["workload"]["allow_community_instances"])
    allowed = st.checkbox(COMMUNITY_LABEL, value=shown(COMMUNITY_KEY), key=COMMUNITY_KEY, help=COMMUNITY_HELP)
    slots["workload.allow_community_instances"] = st.empty()
    return bool(allowed)


def _pipeline(slots: Slots) -> list[dict[str, Any]]:
    st.subheader("Request pipeline")
    st.caption(load_question_bank().pipeline.help)
    base = pd.DataFrame(st.session_state[state.PIPELINE_BASE], columns=list(PIPELINE_COLUMNS))
    base["after_inference"] = base["after_inference"].fillna(False).astype(bool)
    for column in OPTIONAL_NUMBERS:
        base[column] = pd.to_numeric(base[column], errors="coerce")
    assumptions = load_assumptions()
    mtbf, mttr = assumptions["resilience.replica_mtbf_h"].value, assumptions["resilience.cpu_restart_s"].value
    edited = st.data_editor(
        base, key=state.PIPELINE_KEY, num_rows="dynamic", hide_index=True, width="stretch",
        column_config={
            "name": st.column_config.TextColumn("Step", help="Lower case, e.g. retrieval.", required=True, width=120,
                                                validate=r"^[a-z][a-z0-9_]*$", max_chars=SHORT_TEXT_MAX_CHARS),
            "cpu_ms_per_request": st.column_config.NumberColumn("CPU ms", min_value=0.0, step=0.5, width=75,
                                                                required=True, help="CPU time per request, ms."),
            "critical": st.column_config.CheckboxColumn(
                "Critical", default=True, width=75,
                help="Ticked: a failure of this step fails the request; unticked: it only degrades the answer."),
            "deploys_per_week": st.column_config.NumberColumn("Deploys/wk", min_value=0.0, step=0.5, width=100,
                                                              default=1.0, help="Code deploys per week."),
            "after_inference": st.column_config.CheckboxColumn("After model", default=False, width=95,
                                                               help="Runs on the model's output (after inference)."),
            "mtbf_h": st.column_config.NumberColumn(
                "MTBF (h)", min_value=0.01, step=10.0, width=85,
                help=f"Mean time between crashes of one replica, hours. Blank: {mtbf:g} h (assumption)."),
            "mttr_s": st.column_config.NumberColumn(
                "Restart (s)", min_value=0.1, step=5.0, width=90,
                help=f"Time for a crashed or redeployed replica to serve again, seconds. Blank: {mttr:g} s "
                     "(assumption)."),
        })
    st.caption(f"Empty MTBF and restart cells (shown as None) take the defaults: a crash every {mtbf:g} h per "
               f"replica, {mttr:g} s to serve again.")
    slots["workload.pipeline"] = st.empty()
    return pipeline_rows(edited)


def _cell(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    return value.item() if hasattr(value, "item") else value


def pipeline_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The editor's rows as pipeline answers; wholly empty rows are dropped, missing flags get defaults."""
    rows = []
    for record in frame.to_dict("records"):
        row = {k: _cell(record.get(k)) for k in PIPELINE_COLUMNS}
        if all(v is None for v in row.values()):
            continue
        defaults = Component.model_fields
        for flag in ("critical", "after_inference", "deploys_per_week"):
            if row[flag] is None:
                row[flag] = defaults[flag].default
        row["name"] = "" if row["name"] is None else str(row["name"])
        for number in ("cpu_ms_per_request", "deploys_per_week", *OPTIONAL_NUMBERS):
            if isinstance(row[number], int | float) and not isinstance(row[number], bool):
                row[number] = float(row[number])
        row["critical"], row["after_inference"] = bool(row["critical"]), bool(row["after_inference"])
        rows.append(row)
    return rows


def render_team(slots: Slots) -> dict[str, Any]:
    """Team size, budget and stage, then the six readiness levels."""
    bank = load_question_bank()
    st.subheader("Team")
    values = _questions(bank.team_fields, "t", "team", slots)
    st.subheader("Team readiness")
    st.caption("Pick the level that describes the team today. Each level's description keeps answers comparable.")
    for pair in _pairs(bank.readiness):
        for column, q in zip(st.columns(2), pair, strict=False):
            with column:
                values[q.key] = _readiness(q)
                slots[f"team.{q.key}"] = st.empty()
    return values


def _readiness(q: ReadinessQuestion) -> int:
    key, levels = f"t.{q.key}", list(range(len(q.levels)))
    value: int = st.radio(q.label, levels, index=shown_index(levels, key), help=q.help, key=key,
                          format_func=q.level_text)
    return value


def validate(answers: dict[str, Any]) -> tuple[Assessment | None, InputError | None]:
    """The answers as an Assessment, or the InputError that explains why they are not one."""
    try:
        return validate_assessment(answers), None
    except InputError as exc:
        return None, exc


def show_errors(error: InputError, slots: Slots, summary: DeltaGenerator) -> None:
    """Each sentence in the slot of its field (or of its nearest parent), and a summary at the top."""
    sentences = error.field_errors or {"assessment": str(error)}
    with summary:
        count = len(sentences)
        st.error(f"{count} answer{'s need' if count > 1 else ' needs'} fixing before a recommendation:\n\n"
                 + "\n".join(f"- {literal(s)}" for s in sentences.values()))
    placed: dict[str, list[str]] = {}
    for path, sentence in sentences.items():
        parts = path.split(".")
        slot = next((".".join(parts[:n]) for n in range(len(parts), 0, -1) if ".".join(parts[:n]) in slots), None)
        if slot is not None:
            placed.setdefault(slot, []).append(sentence)
    for slot, texts in placed.items():
        slots[slot].error("\n\n".join(literal(_beside(slot, t)) for t in texts))


def _beside(path: str, sentence: str) -> str:
    # Beside its widget a sentence need not repeat the widget's label.
    label = load_question_bank().labels().get(path.rsplit(".", 1)[-1], "")
    if label and sentence.startswith(f"{label}: "):
        rest = sentence[len(label) + 2:]
        return rest[:1].upper() + rest[1:]
    return sentence


def render_export(assessment: Assessment | None) -> None:
    """Download buttons for the current answers, offered only when they are valid."""
    st.markdown("**Export these answers**")
    disabled = assessment is None
    with st.container(horizontal=True, vertical_alignment="center"):
        for fmt, mime in (("json", "application/json"), ("yaml", "application/yaml")):
            st.download_button(f"Download {fmt.upper()}", data=dump_assessment(assessment, fmt) if assessment else "",
                               file_name=f"assessment.{fmt}", mime=mime, key=f"a.export_{fmt}",
                               disabled=disabled, on_click="ignore", icon=":material/download:")
        if disabled:
            st.caption("Fix the answers marked in red to export them.")
