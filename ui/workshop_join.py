"""The participant's Join page: join with a code and a name, answer, revise, and see the room once revealed.

A link ``/join?code=XXXXX-XXXXX`` fills in the code. After joining, the participant's secret is kept in
session state and in the URL (``&p=...``), so reloading the page (or bookmarking it) keeps their place;
the repository checks the secret against the workshop on every read and write.

Join codes cannot be guessed quickly from one session: after ``FREE_WRONG_CODES`` wrong codes, each
further try waits ``FIRST_WAIT_S``, then twice as long, up to ``MAX_WAIT_S``, and the form says how
long. The count lives in ``st.session_state`` (one browser session); ``clock`` is swapped in tests.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from planner.decide import consensus as workshops
from planner.errors import PlannerError
from planner.inputs.limits import PARTICIPANT_NAME_MAX_CHARS
from planner.inputs.questions import ReadinessQuestion, load_question_bank
from planner.store import workshops as workshop_store
from planner.store.workshops import AccessDenied, ParticipantView
from ui import db
from ui.shown import shown, shown_index
from ui.state import Notice
from ui.text import literal
from ui.workshop_charts import distribution_chart
from ui.workshop_view import REFRESH_S

CODE, SECRET = "wj.code", "wj.secret"  # session keys of the joined workshop's code and this participant's secret
NOTICE = "wj.notice"  # the Notice of the last join or save
WRONG_CODES = "wj.wrong_codes"  # session key: (wrong join codes so far, clock time before which joining waits)
FREE_WRONG_CODES = 5  # wrong codes a session may try before each further try has to wait
FIRST_WAIT_S = 1.0  # seconds, after the FREE_WRONG_CODES-th wrong code; doubled after each further one
MAX_WAIT_S = 60.0  # seconds, the longest wait between two tries

clock: Callable[[], float] = time.monotonic  # seconds; tests replace it to skip the waits


def credentials() -> tuple[str | None, str | None]:
    """The join code and participant secret of this browser, from the URL or the session."""
    code = st.query_params.get("code") or st.session_state.get(CODE)
    secret = st.query_params.get("p") or st.session_state.get(SECRET)
    if code and secret:
        st.session_state[CODE], st.session_state[SECRET] = code, secret
        st.query_params["code"], st.query_params["p"] = code, secret
    return code, secret


def forget() -> None:
    """Stop being this participant in this browser (join again under another name)."""
    for key in (SECRET, CODE):
        st.session_state.pop(key, None)
    st.query_params.pop("p", None)
    for key in [k for k in st.session_state if str(k).startswith("wj.q.")]:
        del st.session_state[key]


def render_join(code: str | None) -> None:
    """The join form: code (prefilled from the link) and display name."""
    if "wj.code_input" not in st.session_state and code:
        st.session_state["wj.code_input"] = code
    notice = st.session_state.pop(NOTICE, None)
    errors: dict[str, str] = notice.field_errors if notice else {}
    st.caption("Your facilitator shared a join code or a link. Answer in your own words; only the facilitator "
               "sees names, and the room sees the answers only when the facilitator reveals them.")
    with st.form("wj.join", border=True):
        st.text_input("Join code", key="wj.code_input", max_chars=20, placeholder="XXXXX-XXXXX")
        if "code" in errors:
            st.error(literal(errors["code"]))
        st.text_input("Your name", key="wj.name", max_chars=PARTICIPANT_NAME_MAX_CHARS,
                      help="How the facilitator will know your answers, e.g. your first name.")
        if "display_name" in errors:
            st.error(literal(errors["display_name"]))
        st.form_submit_button("Join", type="primary", icon=":material/login:", on_click=_join)
    if notice and not errors:
        st.error(literal(notice.text))


def wait_s() -> float:
    """Seconds this session must still wait before it may try another join code (0: it may now)."""
    _, until = st.session_state.get(WRONG_CODES, (0, 0.0))
    return max(0.0, until - clock())


def _wait_sentence(seconds: float) -> str:
    return f"Too many wrong codes: try again in {math.ceil(seconds)} s."


def _count_wrong_code() -> float:
    """Count a wrong code; returns the wait it starts (0 while the session is under FREE_WRONG_CODES)."""
    wrong = st.session_state.get(WRONG_CODES, (0, 0.0))[0] + 1
    wait = 0.0 if wrong < FREE_WRONG_CODES else min(FIRST_WAIT_S * 2 ** (wrong - FREE_WRONG_CODES), MAX_WAIT_S)
    st.session_state[WRONG_CODES] = (wrong, clock() + wait)
    return wait


def _refused(sentence: str) -> Notice:
    return Notice("error", sentence, {"code": sentence})


def _join() -> None:
    waiting = wait_s()
    if waiting > 0:
        st.session_state[NOTICE] = _refused(_wait_sentence(waiting))
        return
    try:
        code = workshops.normalize_join_code(st.session_state.get("wj.code_input", ""))
        joined = workshop_store.join_workshop(db.engine(), code=code, display_name=st.session_state.get("wj.name", ""))
    except AccessDenied as exc:  # no workshop has this code
        wait = _count_wrong_code()
        st.session_state[NOTICE] = _refused(f"{exc} {_wait_sentence(wait)}" if wait else str(exc))
        return
    except PlannerError as exc:
        st.session_state[NOTICE] = Notice.from_error(exc)
        return
    shown = workshops.format_join_code(code)
    st.session_state[CODE], st.session_state[SECRET] = shown, joined.secret
    st.query_params["code"], st.query_params["p"] = shown, joined.secret
    st.session_state[NOTICE] = Notice("success", f"Welcome, {joined.display_name}. Answer below; you can "
                                                 "change your answers until the facilitator closes the workshop.")


def load(code: str, secret: str) -> ParticipantView | None:
    """This participant's view, or None after explaining (a stale secret is forgotten)."""
    try:
        return workshop_store.participant_view(db.engine(), code=code, secret=secret)
    except AccessDenied as exc:
        forget()
        st.error(literal(str(exc)))
    except PlannerError as exc:
        st.error(literal(str(exc)))
    return None


def render_status(view: ParticipantView) -> None:
    """Which workshop, under which name, and whether it is still open."""
    st.caption(f"Project “{literal(view.workshop.project)}” · workshop {view.workshop.display_code} · you are "
               f"“{literal(view.me.display_name)}” · {view.participant_count} participant(s)")
    if view.workshop.closed:
        st.info("The facilitator has closed the workshop: your answers are final.", icon=":material/lock:")


def render_answers(view: ParticipantView) -> None:
    """The readiness questions (and estimates when asked), seeded with this participant's saved answers."""
    notice = st.session_state.pop(NOTICE, None)
    errors: dict[str, str] = notice.field_errors if notice else {}
    bank = load_question_bank()
    closed = view.workshop.closed
    with st.form("wj.answers", border=False):
        st.subheader("Team readiness")
        if closed:
            st.warning("Read-only: the workshop is closed, so these answers can no longer change.",
                       icon=":material/lock:")
        else:
            st.caption("Pick the level that describes the team today, not where it is heading.")
        for q in bank.readiness:
            _radio(q, view.me.answers, disabled=closed)
            if q.key in errors:
                st.error(literal(errors[q.key]))
        if view.workshop.workload_enabled:
            st.subheader("Workload estimates")
            st.caption("Your best guess; leave a field empty if you have no idea.")
            for key, q in workshops.estimate_questions().items():
                _number(key, q.label, q.help, q.kind == "int", q.min, q.max, view.me.answers, disabled=closed)
                if key in errors:
                    st.error(literal(errors[key]))
        st.form_submit_button("Save my answers", type="primary", icon=":material/save:", on_click=_save,
                              args=(view.workshop.workload_enabled,), disabled=closed)
    if notice and notice.kind == "success":
        st.success(literal(notice.text))
    elif notice:
        st.error(literal(notice.text))


def _radio(q: ReadinessQuestion, saved: dict[str, float], *, disabled: bool) -> None:
    widget = f"wj.q.{q.key}"
    if widget not in st.session_state and q.key in saved:
        st.session_state[widget] = int(saved[q.key])
    levels = list(range(len(q.levels)))
    st.radio(q.label, levels, key=widget, help=q.help, format_func=q.level_text, disabled=disabled,
             index=shown_index(levels, widget) if widget in st.session_state else None)


def _number(key: str, label: str, help_: str, whole: bool, low: float | None, high: float | None,
            saved: dict[str, float], *, disabled: bool) -> None:
    widget = f"wj.q.{key}"
    if widget not in st.session_state:
        value: Any = saved.get(key)
        st.session_state[widget] = int(value) if whole and value is not None else value
    st.number_input(label, value=shown(widget), key=widget, help=help_,
                    min_value=int(low) if whole and low is not None else low,
                    max_value=int(high) if whole and high is not None else high, step=1 if whole else None,
                    placeholder="No estimate", disabled=disabled)


def _save(workload_enabled: bool) -> None:
    # The facilitator may have turned estimates on or off since the form was drawn; submit_answers
    # below reports any problem reading the workshop.
    with contextlib.suppress(PlannerError):
        workload_enabled = workshop_store.open_workshop(db.engine(), code=st.session_state[CODE]).workload_enabled
    keys = list(workshops.READINESS_KEYS) + (list(workshops.WORKLOAD_ESTIMATE_KEYS) if workload_enabled else [])
    answers = {k: st.session_state.get(f"wj.q.{k}") for k in keys}
    answers = {k: v for k, v in answers.items() if v is not None}
    if not answers:
        st.session_state[NOTICE] = Notice("error", "Answer at least one question before saving.")
        return
    try:
        saved = workshop_store.submit_answers(db.engine(), code=st.session_state[CODE],
                                              secret=st.session_state[SECRET], answers=answers)
    except PlannerError as exc:
        st.session_state[NOTICE] = Notice.from_error(exc)
        return
    count = len(saved.me.answers)
    st.session_state[NOTICE] = Notice("success", f"Saved your {count} answer(s) at {saved.me.answered_at:%H:%M:%S} "
                                                 "UTC. You can change them until the facilitator closes the workshop.")


@st.fragment(run_every=REFRESH_S)
def render_room(code: str, secret: str) -> None:
    """The room's answers once the facilitator reveals them; refreshed live."""
    try:
        view = workshop_store.participant_view(db.engine(), code=code, secret=secret)
    except PlannerError as exc:
        st.error(literal(str(exc)))
        return
    st.subheader("The room's answers")
    if view.aggregate is None:
        st.caption("The facilitator has not revealed the room's answers yet. They appear here when they do.")
        return
    if not any(a.values for a in view.aggregate):
        st.caption("Nobody has answered yet.")
        return
    st.altair_chart(distribution_chart(view.aggregate), width="content")
    st.caption(workshops.MEDIAN_RULE)
    st.dataframe(pd.DataFrame([{
        "Question": a.label,
        "Your answer": "" if a.key not in view.me.answers else f"{view.me.answers[a.key]:g}",
        "Median": "" if a.median is None else f"{a.median:g}",
        "Spread": "" if a.spread is None else f"{a.spread:g}",
        "Answers": a.answered,
    } for a in view.aggregate]), hide_index=True, width="stretch", key="wj.room")
