"""The facilitator's Workshop page: create a workshop, share it, watch answers live, agree, make the assessment.

The private facilitator link carries the token in ``?token=``; it is also kept in session state so a
sidebar switch does not lose it. Every action goes through ``planner.store.workshops`` with the token,
which checks it. Names and notes typed by people are shown with ``st.dataframe`` or escaped markdown.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

import pandas as pd
import streamlit as st

import planner
from planner import history, store
from planner.decide import consensus as workshops
from planner.decide.consensus import ConsensusItem, QuestionAggregate
from planner.errors import InputError, PlannerError
from planner.inputs.files import load_presets
from planner.inputs.models import Assessment
from planner.store import workshops as workshop_store
from planner.store.workshops import FacilitatorView, WorkshopInfo
from ui import db, estimates_view, results_view, saved_view, state
from ui.workshop_charts import distribution_chart

TOKEN = "wf.token"  # session key of the facilitator token (also in the URL as ?token=)
ERRORS = "wf.errors"  # field errors of the last consensus or create action, by widget key
CREATED = "wf.created"  # id of the assessment this session just created
REFRESH_S = 3  # seconds between live refreshes of the answers
TABLE_ROW_PX = 35  # height of a st.dataframe row, to show every question without a scrollbar
MEDIAN = "median"  # the override selectbox's "no override" choice
_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|~<>$:&\"'=])")


def escape(text: str) -> str:
    """Text typed by a person, safe to put in markdown: every markdown and HTML character backslashed."""
    return _MARKDOWN_SPECIALS.sub(r"\\\1", str(text))


def page_url(path: str, **params: str) -> str:
    """An absolute URL to another page of this app (relative when the server URL is unknown)."""
    current = st.context.url or ""
    parts = urlsplit(current)
    prefix = parts.path.rsplit("/", 1)[0] if parts.path else ""
    base = f"{parts.scheme}://{parts.netloc}{prefix}" if parts.scheme else ""
    return f"{base}/{path}?{urlencode(params)}"


# Token and creation -------------------------------------------------------------------------------


def token() -> str | None:
    """The facilitator token from the link (or this session), put back into the URL when it was dropped."""
    from_url = st.query_params.get("token")
    if from_url:
        st.session_state[TOKEN] = from_url
        return from_url
    kept: str | None = st.session_state.get(TOKEN)
    if kept:
        st.query_params["token"] = kept
    return kept


def forget_token() -> None:
    """Leave the current workshop (to create another one)."""
    st.session_state.pop(TOKEN, None)
    st.query_params.pop("token", None)
    st.session_state.pop(CREATED, None)


def render_create() -> None:
    """The form that starts a workshop for a project."""
    st.caption("Run the team-readiness questions as a workshop: everyone answers in their own browser, you "
               "see where the room disagrees, and the agreed answers become the project's assessment.")
    try:
        projects = [p.name for p in store.list_projects(db.engine()) if not p.archived]
    except PlannerError as exc:
        st.error(str(exc))
        projects = []
    with st.container(border=True):
        st.selectbox("Project", projects, index=None, key="wf.project", accept_new_options=True,
                     placeholder="Pick a project or type a new name",
                     help="The workshop's consensus is saved as an assessment of this project.")
        slot = st.empty()
        st.checkbox("Also ask for workload estimates (traffic, tokens, latency targets, change rate)",
                    key="wf.new_workload", help="You can turn this on or off later.")
        if st.button("Create workshop", key="wf.create", type="primary", icon=":material/groups:"):
            try:
                created = workshop_store.create_workshop(db.engine(), project=st.session_state.get("wf.project") or "",
                                                         workload_enabled=st.session_state.get("wf.new_workload",
                                                                                               False))
            except InputError as exc:
                slot.error(exc.field_errors.get("project", str(exc)))
                return
            except PlannerError as exc:
                st.error(str(exc))
                return
            st.session_state[TOKEN] = created.facilitator_token
            st.query_params["token"] = created.facilitator_token
            st.rerun()


def load(token_: str) -> FacilitatorView | None:
    """The facilitator's view, or None after showing why it cannot be read."""
    try:
        return workshop_store.facilitator_view(db.engine(), token=token_)
    except PlannerError as exc:
        st.error(str(exc))
        return None


# Sharing and options ------------------------------------------------------------------------------


def render_header(workshop: WorkshopInfo, token_: str) -> None:
    """Project, join code and links; the private link folded away with a warning."""
    status = "closed" if workshop.closed else "open"
    st.caption(f"Project “{escape(workshop.project)}” · workshop {status}"
               + (f" since {workshop.closed_at:%Y-%m-%d %H:%M} UTC" if workshop.closed_at else ""))
    code, link = st.columns([2, 3])
    code.metric("Join code", workshop.display_code, border=True,
                help="Participants open the Join a workshop page and type this code.")
    with link:
        st.markdown("**Join link** (share it with the room)")
        st.code(page_url("join", code=workshop.display_code), language=None)
        with st.expander("Your private facilitator link: keep it to yourself"):
            st.warning("Anyone with this link can run the workshop. Do not share it or show it on a shared screen.")
            st.code(page_url("workshop", token=token_), language=None)


def render_options(workshop: WorkshopInfo, token_: str) -> None:
    """Toggles (anonymise, reveal, workload estimates) and closing the workshop."""
    st.session_state["wf.reveal"] = workshop.reveal
    st.session_state["wf.workload"] = workshop.workload_enabled
    with st.container(horizontal=True, vertical_alignment="center"):
        st.toggle("Anonymise names", key="wf.anonymise", help="Show 'Participant 1, 2, …' on a shared screen.")
        if not workshop.closed:
            st.toggle("Live refresh", key="wf.live", value=True,
                      help=f"Update the answers every {REFRESH_S} s. Pause it while you edit the consensus.")
        st.toggle("Show participants the room's answers", key="wf.reveal", on_change=_set_option,
                  args=(token_, "reveal"))
        st.toggle("Ask for workload estimates", key="wf.workload", on_change=_set_option,
                  args=(token_, "workload_enabled"), disabled=workshop.closed)
        if not workshop.closed:
            with st.popover("Close the workshop", icon=":material/lock:"):
                st.markdown("Closing stops joining and answering for good; you can still set the consensus.")
                st.button("Close now", key="wf.close", type="primary", on_click=_close, args=(token_,))


def _set_option(token_: str, option: str) -> None:
    widget = "wf.reveal" if option == "reveal" else "wf.workload"
    try:
        workshop_store.set_options(db.engine(), token=token_, **{option: bool(st.session_state[widget])})
    except PlannerError as exc:
        st.session_state[ERRORS] = {"options": str(exc)}


def _close(token_: str) -> None:
    try:
        workshop_store.close_workshop(db.engine(), token=token_)
    except PlannerError as exc:
        st.session_state[ERRORS] = {"options": str(exc)}


# The live board -----------------------------------------------------------------------------------


def names(view: FacilitatorView) -> dict[int, str]:
    """Each participant's name as shown: their own, or 'Participant n' when names are anonymised."""
    if st.session_state.get("wf.anonymise"):
        return {p.id: f"Participant {i}" for i, p in enumerate(view.participants, start=1)}
    return {p.id: p.display_name for p in view.participants}


def render_live(token_: str, *, closed: bool) -> None:
    """Who answered, the distributions, the discussion prompts and the current consensus.

    While the workshop is open they refresh every REFRESH_S seconds unless the facilitator pauses that
    (say while editing the consensus); once closed nothing can change them.
    """
    if closed or not st.session_state.get("wf.live", True):
        _board(token_, live=False)
    else:
        _live_board(token_)


@st.fragment(run_every=REFRESH_S)
def _live_board(token_: str) -> None:
    _board(token_, live=True)


def _board(token_: str, *, live: bool) -> None:
    view = load(token_)
    if view is None:
        return
    aggregates = view.aggregates()
    shown = names(view)
    answered = [p for p in view.participants if p.answers]
    st.subheader("Who has answered")
    paused = " · live refresh paused" if not view.workshop.closed else " · closed"
    st.caption(f"{len(view.participants)} joined · {len(answered)} answered"
               + (f" · refreshes every {REFRESH_S} s" if live else paused))
    if view.participants:
        keys = [a.key for a in aggregates]
        st.dataframe(pd.DataFrame([{
            "Participant": shown[p.id],
            "Answered": f"{sum(k in p.answers for k in keys)} of {len(keys)}",
            "Last change (UTC)": _time(p.answered_at),
        } for p in view.participants]), hide_index=True, width="stretch", key="wf.who")
    else:
        st.info("Nobody has joined yet. Share the join code or the join link.")
    if not answered:
        return
    st.subheader("Answers per question")
    st.altair_chart(distribution_chart(aggregates), width="content")
    _estimates_table(aggregates)
    _discussion_prompts(view, aggregates, shown)
    st.subheader("Consensus so far")
    items = view.consensus()
    st.dataframe(_consensus_frame(items), hide_index=True, width="stretch", key="wf.consensus_table",
                 height=(len(items) + 1) * TABLE_ROW_PX + 3,
                 column_config={"Consensus": st.column_config.TextColumn(width="medium"),
                                "Median": st.column_config.TextColumn(width="small"),
                                "Note": st.column_config.TextColumn(width="medium")})


def _time(when: datetime | None) -> str:
    return "not yet" if when is None else f"{when:%H:%M:%S}"


def _estimates_table(aggregates: list[QuestionAggregate]) -> None:
    estimates = [a for a in aggregates if a.kind == "estimate"]
    if not estimates:
        return
    st.markdown("**Workload estimates**")
    st.dataframe(pd.DataFrame([{
        "Question": a.label, "Answers": a.answered,
        "Lowest": f"{min(a.values):g}" if a.values else "", "Median": "" if a.median is None else f"{a.median:g}",
        "Highest": f"{max(a.values):g}" if a.values else "",
        "Discuss": "yes: a factor of two apart" if a.disagreement else "",
    } for a in estimates]), hide_index=True, width="stretch", key="wf.estimates")


def _discussion_prompts(view: FacilitatorView, aggregates: list[QuestionAggregate], shown: dict[int, str]) -> None:
    flagged = [a for a in aggregates if a.disagreement]
    st.subheader("Discussion prompts")
    if not flagged:
        st.success("The room agrees within one level on every question answered so far.")
        return
    for agg in flagged:
        low, high = agg.values[0], agg.values[-1]
        who: dict[float, list[str]] = {}
        for p in view.participants:
            if agg.key in p.answers:
                who.setdefault(p.answers[agg.key], []).append(shown[p.id])
        ends = "  \n".join(f"{escape(', '.join(who[v]))} answered {escape(workshops.level_text(agg.key, v))}"
                           for v in (low, high))
        st.warning(f"**{escape(agg.label)}**: answers range from {low:g} to {high:g}. Ask the people at both "
                   f"ends what they see.  \n{ends}", icon=":material/forum:")


def _consensus_frame(items: list[ConsensusItem]) -> pd.DataFrame:
    return pd.DataFrame([{
        "Question": i.label,
        "Consensus": workshops.level_text(i.key, i.value),
        "From": {"median": "median", "override": "your override", "unanswered": "nobody answered"}[i.source],
        "Median": "" if i.median is None else f"{i.median:g}",
        "Note": i.note,
    } for i in items])


# Consensus editing --------------------------------------------------------------------------------


def render_overrides(view: FacilitatorView, token_: str) -> None:
    """A form to override any question's consensus, with a note; empty choice goes back to the median."""
    st.subheader("Agree on the answers")
    st.caption("The consensus is each question's median answer (the lower middle one for an even count). "
               "Override a question when the room agrees on something else, and note why.")
    errors: dict[str, str] = st.session_state.pop(ERRORS, {})
    if errors.get("options"):
        st.error(errors["options"])
    overrides = {o.key: o for o in view.overrides}
    with st.form("wf.overrides", border=True):
        for agg in view.aggregates():
            _seed(f"wf.value.{agg.key}", overrides[agg.key].value if agg.key in overrides else None, agg.kind)
            _seed(f"wf.note.{agg.key}", overrides[agg.key].note if agg.key in overrides else "", "note")
            left, right = st.columns([2, 3])
            with left:
                if agg.kind == "readiness":
                    st.selectbox(agg.label, [MEDIAN, 0, 1, 2, 3, 4], key=f"wf.value.{agg.key}",
                                 format_func=lambda v, k=agg.key: "Median of the answers" if v == MEDIAN
                                 else workshops.level_text(k, v))
                else:
                    st.number_input(agg.label, value=None, key=f"wf.value.{agg.key}",
                                    placeholder="Median of the answers")
            with right:
                st.text_input("Why the room chose this (required with an override)", key=f"wf.note.{agg.key}",
                              max_chars=workshops.NOTE_MAX_CHARS)
            if agg.key in errors:
                st.error(errors[agg.key])
        st.form_submit_button("Save the consensus", type="primary", icon=":material/handshake:",
                              on_click=_save_overrides, args=(token_, [a.key for a in view.aggregates()]))
    if errors.get("saved"):
        st.success(errors["saved"])


def _seed(key: str, value: Any, kind: str) -> None:
    if key not in st.session_state:
        if kind == "readiness":
            st.session_state[key] = MEDIAN if value is None else int(value)
        else:
            st.session_state[key] = value


def _save_overrides(token_: str, keys: list[str]) -> None:
    errors: dict[str, str] = {}
    changed = 0
    for key in keys:
        value, note = st.session_state.get(f"wf.value.{key}"), st.session_state.get(f"wf.note.{key}", "")
        try:
            if value is None or value == MEDIAN:
                workshop_store.clear_override(db.engine(), token=token_, key=key)
            else:
                workshop_store.set_override(db.engine(), token=token_, key=key, value=value, note=note)
                changed += 1
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
    label = st.text_input("Label", value=f"Workshop {view.workshop.display_code}", key="wf.label", max_chars=120)
    if st.button("Create the assessment from the consensus", key="wf.make", type="primary",
                 icon=":material/task_alt:"):
        _make(view, token_, base, label)


def _base_assessment(workshop: WorkshopInfo) -> Assessment | None:
    try:
        known = {p.name for p in store.list_projects(db.engine())}
        latest = store.latest_assessment(db.engine(), project=workshop.project) if workshop.project in known else None
    except PlannerError as exc:
        st.error(str(exc))
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
        st.error("The consensus does not make a valid assessment: " + " ".join(exc.field_errors.values() or [str(exc)]))
        return
    evaluation = estimates_view.evaluation_for(assessment)
    recommendation = results_view.recommendation_for(assessment, evaluation)
    results = history.results_document(recommendation, evaluation)
    results["workshop"] = {
        "id": view.workshop.id, "join_code": view.workshop.display_code,
        "consensus": [i.model_dump(mode="json") for i in items],
        "answers": [{"participant": p.display_name, "answers": p.answers} for p in view.participants],
    }
    try:
        # Saved like the Results page saves: price snapshot (instance rows and their GPU specs), revisit-by
        # date by stage, revisit triggers.
        engine = db.engine()
        prices, gpus = history.price_snapshot(engine, assessment, evaluation)
        assessment_id = workshop_store.save_consensus_assessment(
            engine, token=token_, assessment=assessment, results=results,
            recommended=recommendation.top.value, app_version=planner.__version__,
            price_snapshot=prices, gpu_snapshot=gpus,
            revisit_by=history.default_revisit_by(assessment, history.today_utc()),
            triggers=recommendation.triggers)
    except PlannerError as exc:
        st.error(str(exc))
        return
    st.session_state[CREATED] = assessment_id
    state.replace_answers(assessment)
    state.submit(assessment)
    st.rerun()


def _open(assessment_id: int) -> None:
    try:
        saved_view.reopen(assessment_id)
    except PlannerError as exc:
        st.error(str(exc))
        return
    st.switch_page("pages/assess.py")
