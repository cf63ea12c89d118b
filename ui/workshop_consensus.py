"""Agreeing on the answers and making the project's assessment from a closed workshop's consensus.

The facilitator overrides any question's median (with a note); once the workshop is closed, the
consensus becomes an assessment of the project, saved by the one save path of an evaluated
assessment (``history.save_evaluated``, told the workshop it comes from).
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from planner import history, store
from planner.decide import consensus as workshops
from planner.errors import InputError, PlannerError
from planner.inputs.files import load_presets
from planner.inputs.limits import NAME_MAX_CHARS, OVERRIDE_NOTE_MAX_CHARS
from planner.inputs.models import Assessment
from planner.store import workshops as workshop_store
from planner.store.workshops import FacilitatorView, WorkshopInfo
from ui import db, estimates_view, results_view, saved_view, state
from ui.shown import shown, shown_index
from ui.text import literal
from ui.workshop_view import CREATED, ERRORS

MEDIAN = "median"  # the override selectbox's "no override" choice


def render_overrides(view: FacilitatorView, token_: str) -> None:
    """A form to override any question's consensus, with a note; empty choice goes back to the median."""
    st.subheader("Agree on the answers")
    st.caption(f"The consensus is each question's median answer. {workshops.MEDIAN_RULE} "
               "Override a question when the room agrees on something else, and note why.")
    errors: dict[str, str] = st.session_state.pop(ERRORS, {})
    if errors.get("options"):
        st.error(literal(errors["options"]))
    overrides = {o.key: o for o in view.overrides}
    with st.form("wf.overrides", border=True):
        for agg in view.aggregates():
            _seed(f"wf.value.{agg.key}", overrides[agg.key].value if agg.key in overrides else None, agg.kind)
            _seed(f"wf.note.{agg.key}", overrides[agg.key].note if agg.key in overrides else "", "note")
            left, right = st.columns([2, 3])
            with left:
                if agg.kind == "readiness":
                    choices = [MEDIAN, 0, 1, 2, 3, 4]
                    st.selectbox(agg.label, choices, shown_index(choices, f"wf.value.{agg.key}"),
                                 key=f"wf.value.{agg.key}",
                                 format_func=lambda v, k=agg.key: "Median of the answers" if v == MEDIAN
                                 else workshops.level_text(k, v))
                else:
                    st.number_input(agg.label, value=shown(f"wf.value.{agg.key}"), key=f"wf.value.{agg.key}",
                                    placeholder="Median of the answers")
            with right:
                st.text_input("Why the room chose this (required with an override)",
                              value=shown(f"wf.note.{agg.key}"), key=f"wf.note.{agg.key}",
                              max_chars=OVERRIDE_NOTE_MAX_CHARS)
            if agg.key in errors:
                st.error(literal(errors[agg.key]))
        st.form_submit_button("Save the consensus", type="primary", icon=":material/handshake:",
                              on_click=_save_overrides, args=(token_, [a.key for a in view.aggregates()]))
    if errors.get("saved"):
        st.success(errors["saved"])


def _seed(key: str, value: Any, kind: str) -> None:
    """Fill a field with the stored consensus: the first time, and again when another facilitator (another tab or
    server) changed it since and this session has not edited the field; ``wf.loaded.<key>`` keeps what was read."""
    stored = (MEDIAN if value is None else int(value)) if kind == "readiness" else value
    loaded = f"wf.loaded.{key}"
    untouched = loaded in st.session_state and st.session_state.get(key) == st.session_state[loaded]
    if key not in st.session_state or (untouched and st.session_state[loaded] != stored):
        st.session_state[key] = stored
    st.session_state[loaded] = stored


def _save_overrides(token_: str, keys: list[str]) -> None:
    """Write the questions this session changed since it read them, and only those: a question another
    facilitator set meanwhile (another tab or server) keeps their answer unless this form changed it too."""
    errors: dict[str, str] = {}
    changed = 0
    for key in keys:
        value, note = st.session_state.get(f"wf.value.{key}"), st.session_state.get(f"wf.note.{key}", "")
        median = value is None or value == MEDIAN
        changed += not median
        if (value, note) == (st.session_state.get(f"wf.loaded.wf.value.{key}"),
                             st.session_state.get(f"wf.loaded.wf.note.{key}", "")):
            continue
        try:
            if median:
                workshop_store.clear_override(db.engine(), token=token_, key=key)
            else:
                workshop_store.set_override(db.engine(), token=token_, key=key, value=value, note=note)
        except InputError as exc:
            errors[key] = " ".join(exc.field_errors.values()) or str(exc)
        except PlannerError as exc:
            errors[key] = str(exc)
    if not errors:
        errors["saved"] = f"Consensus saved: {changed} override(s), the median elsewhere."
    st.session_state[ERRORS] = errors


# Making the assessment ----------------------------------------------------------------------------


def render_assessment(view: FacilitatorView, token_: str) -> None:
    """Turn the consensus into the project's assessment (after closing), or open the one already made."""
    st.subheader("Create the project's assessment")
    workshop = view.workshop
    if not workshop.closed:
        st.info("Close the workshop first, so that the answers are final. Then the consensus becomes an "
                "assessment of the project.")
        return
    if workshop.assessment_id is not None:
        just_made = st.session_state.get(CREATED) == workshop.assessment_id
        st.success(("Saved the consensus as" if just_made else "This workshop created")
                   + f" assessment #{workshop.assessment_id}. The individual answers stay with the workshop.",
                   icon=":material/task_alt:")
        with st.container(horizontal=True):
            if just_made and st.button("See the recommendation", key="wf.results", type="primary",
                                       icon=":material/insights:"):
                st.switch_page("pages/results.py")
            if st.button("Open it on the Assess page", key="wf.open", icon=":material/open_in_new:"):
                _open(workshop.assessment_id)
        with st.expander("Create it again (after changing the consensus)"):
            _create_form(view, token_)
        return
    _create_form(view, token_)


def _create_form(view: FacilitatorView, token_: str) -> None:
    base = _base_assessment(view.workshop)
    if base is None:
        return
    label = st.text_input("Label", value=f"Workshop {view.workshop.display_code}", key="wf.label",
                          max_chars=NAME_MAX_CHARS)
    if st.button("Create the assessment from the consensus", key="wf.make", type="primary",
                 icon=":material/task_alt:"):
        _make(view, token_, base, label)


def _base_assessment(workshop: WorkshopInfo) -> Assessment | None:
    try:
        known = {p.name for p in store.list_projects(db.engine())}
        latest = store.latest_assessment(db.engine(), project=workshop.project) if workshop.project in known else None
    except PlannerError as exc:
        st.error(literal(str(exc)))
        return None
    if latest is not None:
        st.caption(f"Everything the workshop did not ask (model, pipeline, hardware, team size, budget) comes from "
                   f"the project's latest assessment #{latest.id} of {latest.created_at:%Y-%m-%d}.")
        return latest.assessment.model_copy(update={"project": workshop.project})
    presets = load_presets()
    picked = st.selectbox("The project has no saved assessment yet: start the other answers from", list(presets),
                          format_func=state.preset_title, key="wf.preset")
    return presets[picked].model_copy(update={"project": workshop.project})


def _make(view: FacilitatorView, token_: str, base: Assessment, label: str) -> None:
    items = view.consensus()
    try:
        notes = workshops.consensus_notes(join_code=view.workshop.join_code,
                                          participants=sum(1 for p in view.participants if p.answers), items=items)
        assessment = workshops.consensus_assessment(base, items, label=label, notes=notes)
    except InputError as exc:
        st.error(literal("The consensus does not make a valid assessment: "
                         + " ".join(exc.field_errors.values() or [str(exc)])))
        return
    evaluation = estimates_view.evaluation_for(assessment)
    recommendation = results_view.recommendation_for(assessment, evaluation)
    try:
        # Saved as the Results page saves (price snapshot, revisit-by date by stage, triggers), with the workshop.
        assessment_id = history.save_evaluated(db.engine(), assessment, recommendation, evaluation,
                                               workshop=history.FromWorkshop(token=token_, view=view))
    except PlannerError as exc:
        st.error(literal(str(exc)))
        return
    st.session_state[CREATED] = int(assessment_id)
    state.replace_answers(assessment)
    state.submit(assessment)
    st.rerun()


def _open(assessment_id: int) -> None:
    try:
        saved_view.reopen(assessment_id)
    except PlannerError as exc:
        st.error(literal(str(exc)))
        return
    st.switch_page("pages/assess.py")
