"""The PDF report on the Results page: who prepared it, a button that builds it on demand, the download.

Building takes a second or two (charts, layout), so it happens only when the user asks; the PDF is
kept in the session with a fingerprint of what it shows, and offered for download until the
answers, the estimates or the author change. When the project has a saved assessment, the report
compares with it ("what changed"); when the shown answers are that saved assessment, it compares
with the one before and quotes the saved revisit-by date.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime

import streamlit as st

from planner import store
from planner.decide.results import Recommendation
from planner.errors import InputError, PlannerError
from planner.estimate.results import Evaluation
from planner.inputs.files import size_text
from planner.inputs.limits import NAME_MAX_CHARS
from planner.inputs.models import Assessment
from planner.present.report import WhatChanged, build_report, report_filename, what_changed
from ui import auth, db
from ui.text import literal

REPORT_KEY = "report.built"  # session key: (fingerprint, file name, PDF bytes) of the last report built


def _fingerprint(*parts: str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()


def _previous(assessment: Assessment, evaluation: Evaluation,
              recommendation: Recommendation) -> tuple[WhatChanged | None, store.StoredAssessment | None]:
    """The comparison with the project's last saved assessment, and that assessment when it is this one."""
    try:
        saved = store.project_assessments(db.engine(), project=assessment.project, limit=2)
    except PlannerError:  # no such project yet (never saved), or the database is unavailable
        return None, None
    this = saved[-1] if saved and saved[-1].assessment == assessment else None
    earlier = [s for s in saved if s is not this]
    if not earlier:
        return None, this
    changes = what_changed(earlier[-1], assessment, evaluation, recommendation, current_id=this.id if this else 0,
                           prices=this.price_snapshot if this else None,
                           gpus=this.gpu_snapshot if this else None)
    return changes, this


def render_report(assessment: Assessment, evaluation: Evaluation | None, recommendation: Recommendation, *,
                  submitted: Assessment | None = None) -> None:
    """The report form: an optional author, then Prepare and, once built, Download.

    ``assessment`` is what the page shows; ``submitted`` the answers it varies when it is a what-if.
    """
    if evaluation is None:
        st.info("The PDF report needs the cost and latency estimates, which could not be made for these answers "
                "(see the message above).")
        return
    st.caption("Recommendation, reasons, cost and latency charts, build or buy inference (when a managed API is "
               "named), resilience, readiness gaps, roadmap, assumptions with sources, and every answer, in one PDF "
               "to forward.")
    def fingerprint(author: str) -> str:
        return _fingerprint(assessment.model_dump_json(), evaluation.model_dump_json(),
                            recommendation.model_dump_json(), author)

    def build(author: str) -> tuple[bytes, str]:
        changes, this = _previous(assessment, evaluation, recommendation)
        today = datetime.now(UTC).date()
        pdf = build_report(assessment, evaluation, recommendation, author=author, report_date=today,
                           revisit_by=this.revisit_by if this else None, changes=changes,
                           variant_of=submitted if submitted not in (None, assessment) else None)
        return pdf, report_filename(assessment, today)

    pdf_form(form_key="report.form", prefix="report", built_key=REPORT_KEY, fingerprint=fingerprint, build=build,
             placeholder="Your name, or the workshop's facilitator")


def pdf_form(*, form_key: str, prefix: str, built_key: str, fingerprint: Callable[[str], object],
             build: Callable[[str], tuple[bytes, str]], placeholder: str = "") -> None:
    """An optional author, Prepare, and once built the download, for any page that offers a PDF.

    ``build(author)`` gives the PDF and its file name; the PDF is kept in the session under ``built_key`` with
    ``fingerprint(author)`` and offered until that changes. Widgets are ``<prefix>.author``, ``.prepare`` and
    ``.download``.
    """
    with st.form(form_key, border=True):
        author = st.text_input("Prepared by (optional)", key=f"{prefix}.author", max_chars=NAME_MAX_CHARS,
                               placeholder=placeholder, value=auth.author_name())  # signed in: their name
        prepare = st.form_submit_button("Prepare PDF report", key=f"{prefix}.prepare",
                                        icon=":material/picture_as_pdf:")
    if prepare:
        try:
            with st.spinner("Drawing the charts and laying out the report…"):
                pdf, filename = build(author)
        except InputError as exc:
            for sentence in exc.field_errors.values() or [str(exc)]:
                st.error(literal(sentence))
            return
        except PlannerError as exc:
            st.error(f"The report could not be made: {literal(exc)}")
            return
        st.session_state[built_key] = (fingerprint(author), filename, pdf)
    built = st.session_state.get(built_key)
    if built is None or built[0] != fingerprint(author):
        return
    _, filename, pdf = built
    st.download_button("Download PDF report", data=pdf, file_name=filename, mime="application/pdf",
                       key=f"{prefix}.download", type="primary", icon=":material/download:", on_click="ignore")
    st.caption(literal(f"{filename}, {size_text(len(pdf))}"))
