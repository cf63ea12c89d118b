"""A saved assessment's results and PDF as they were saved, and on request re-evaluated with today's prices.

The Saved assessments and History pages open an assessment here (``open_saved``). What is shown is what
was stored with it (``history.stored_evaluation`` and ``history.stored_recommendation``): nothing is
computed again, so it opens at once and shows the numbers the team saw. "Re-evaluate with today's prices"
is a separate action: ``history.reevaluate(stored, prices="today")``, the one re-evaluation rule, in the
server's evaluation pool; its result is shown beside the saved one's label and is not saved.
"""

from __future__ import annotations

from typing import NamedTuple

import streamlit as st

from planner import history, store
from planner.decide.results import Recommendation
from planner.decide.scoring import recommend
from planner.errors import PlannerError
from planner.estimate.results import Evaluation
from planner.present.report import build_report, build_saved_report, report_filename
from planner.store import StoredAssessment
from ui import db, links, report_view, saved_view
from ui.evaluation import evaluate_shared
from ui.text import literal

OPENED_KEY = "saved_result.id"  # session key: the id of the saved assessment the page shows
TODAY_KEY = "saved_result.today"  # session key: (id, Reevaluation) with today's prices, while it is shown
REPORT_KEY = "saved_result.report"  # session key: ((id, prices, author), file name, PDF bytes)
PAGE = "pages/saved_result.py"


class Shown(NamedTuple):
    """What the page shows: the estimates (None when saved without them), the recommendation, and their prices."""

    evaluation: Evaluation | None
    recommendation: Recommendation
    prices: history.PriceSource


LINK_PARAM = links.ASSESSMENT  # planner.present.decision_records links here with ?assessment=ID


def open_saved(assessment_id: int) -> None:
    """Show this saved assessment, as saved, on the page's next run."""
    st.session_state[OPENED_KEY] = int(assessment_id)
    st.session_state.pop(TODAY_KEY, None)


def opened() -> StoredAssessment | None:
    """The saved assessment to show, or None (after saying why) when none is open or it cannot be read.

    A link ``saved-result?assessment=ID`` (a decision record's link back, ``ui.links``) opens that assessment; the
    address bar keeps the link of the one shown."""
    linked = links.arrived(LINK_PARAM).get(LINK_PARAM)
    if linked is not None:
        try:
            open_saved(links.ident(linked, what="assessment"))
        except links.LinkError as exc:
            before = OPENED_KEY in st.session_state
            links.warn([str(exc)], "Showing the saved assessment opened before instead." if before
                       else "Open a saved assessment from Saved assessments or History instead.")
    assessment_id = st.session_state.get(OPENED_KEY)
    if assessment_id is None:
        links.publish({LINK_PARAM: None})
        st.info("Open a saved assessment from **Saved assessments** or **History** to see its results here.")
        return None
    links.publish({LINK_PARAM: assessment_id})
    try:
        return store.load_assessment(db.engine(), assessment_id=assessment_id)
    except PlannerError as exc:
        st.error(literal(str(exc)))
        return None


def shown(stored: StoredAssessment) -> Shown:
    """The saved estimates and recommendation, or the re-evaluation with today's prices when it was asked for."""
    today = st.session_state.get(TODAY_KEY)
    if today is not None and today[0] == stored.id:
        return Shown(today[1].evaluation, today[1].recommendation, "today")
    evaluation = history.stored_evaluation(stored)
    recommendation = history.stored_recommendation(stored)
    if recommendation is None:  # unreadable as saved: scoring again needs no simulation
        recommendation = recommend(stored.assessment, evaluation)
    return Shown(evaluation, recommendation, "saved")


def render_header(stored: StoredAssessment, current: Shown) -> None:
    """Which assessment this is and which numbers are shown, with the buttons that switch between them."""
    label = f" · {stored.label}" if stored.label else ""
    archived = f", archived {stored.archived_at:%Y-%m-%d}" if stored.archived_at else ""
    st.subheader(literal(f"#{stored.id} {stored.project}{label}"))
    st.caption(f"Saved {stored.created_at:%Y-%m-%d %H:%M} UTC with version {literal(stored.app_version)}{archived}.")
    if current.prices == "today":
        st.warning(f"Re-evaluated with today's prices ({history.today_utc().isoformat()}); this is not saved. The "
                   "saved results are one click away.", icon=":material/update:")
    elif current.evaluation is None:
        st.info("This assessment was saved without cost and latency estimates: the recommendation below is the one "
                "saved. Re-evaluate it to see estimates.")
    else:
        st.success("The results as saved: nothing was computed again.", icon=":material/inventory_2:")
    left, middle, right = st.columns(3)
    if current.prices == "today":
        if left.button("Back to the saved results", key="sr.saved", icon=":material/history:"):
            st.session_state.pop(TODAY_KEY, None)
            st.rerun()
    elif left.button("Re-evaluate with today's prices", key="sr.today", icon=":material/update:"):
        _reevaluate(stored)
    if middle.button("Open on the Assess page", key="sr.assess", icon=":material/edit_note:"):
        saved_view.reopen(stored.id)
        st.switch_page("pages/assess.py")
    right.page_link("pages/saved.py", label="All saved assessments", icon=":material/folder_open:")
    links.show(links.SAVED_RESULT, {LINK_PARAM: stored.id}, what="this saved assessment", key="sr.link")


def _reevaluate(stored: StoredAssessment) -> None:
    progress = st.empty()
    progress.caption(":material/hourglass_top: Sizing and simulating the three architectures with today's prices…")
    try:
        again = history.reevaluate(stored, engine=db.engine(), prices="today", evaluator=evaluate_shared)
    except PlannerError as exc:
        progress.empty()
        st.error(literal(f"It could not be re-evaluated: {exc}"))
        return
    st.session_state[TODAY_KEY] = (stored.id, again)
    st.rerun()


def render_report(stored: StoredAssessment, current: Shown) -> None:
    """The PDF of what is shown: the saved report (its stored estimates), or the re-evaluated one."""
    st.subheader("PDF report")
    if current.evaluation is None:
        st.info("The PDF report needs cost and latency estimates: re-evaluate this assessment first.")
        return
    evaluation = current.evaluation

    def build(author: str) -> tuple[bytes, str]:
        return (_report(stored, evaluation, current, author),
                report_filename(stored.assessment, history.today_utc()))

    report_view.pdf_form(form_key="sr.report_form", prefix="sr", built_key=REPORT_KEY,
                         fingerprint=lambda author: (stored.id, current.prices, author), build=build)


def _report(stored: StoredAssessment, evaluation: Evaluation, current: Shown, author: str) -> bytes:
    if current.prices == "saved":  # the stored estimates, the revisit date and what changed since the one before
        return build_saved_report(db.engine(), assessment_id=stored.id, author=author)
    return build_report(stored.assessment, evaluation, current.recommendation, author=author,
                        revisit_by=history.revisit_date(stored))


def render_open_picker(stored: list[StoredAssessment]) -> None:
    """For the History page: pick one of the project's assessments (newest first) and open its saved results."""
    by_id = {s.id: s for s in reversed(stored)}
    pick, action = st.columns([3, 1], vertical_alignment="bottom")
    picked = pick.selectbox("Open the results of", list(by_id), key="h.open_pick",
                            format_func=lambda i: f"#{i}{f' · {by_id[i].label}' if by_id[i].label else ''} "
                                                  f"({by_id[i].created_at:%Y-%m-%d %H:%M}, {by_id[i].recommended})")
    if action.button("Open its results", key="h.open", icon=":material/insights:",
                     help="The results and PDF as saved; nothing is computed again."):
        open_saved(picked)
        st.switch_page(PAGE)
