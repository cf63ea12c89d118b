"""The PDF recommendation report: one document a tech lead can forward to decision makers unedited.

``build_report(assessment, evaluation, recommendation, ...) -> bytes`` writes, in order: a title
block, an executive summary, scores with every reason, cost (charts and tables), build or buy inference
(when the assessment names a managed API), latency, resilience, readiness gaps, the roadmap with its
revisit date and triggers, what changed since the project's previous assessment (``what_changed``),
assumptions with their sources and price dates, and an appendix with every answer. The charts are the
Results page's own Altair specifications (``planner.present.charts``) rendered to PNG by vl-convert, so no
browser is needed; a chart is rendered once per process and specification, so a second export of the same
results lays out text only. Page layout, fonts and the handling of any text (CJK, right-to-left, emoji,
markup-like text) are in ``planner.present.pdf_layout``.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime

from sqlalchemy import Engine

import planner
from planner import history, store
from planner.decide.results import Recommendation
from planner.decide.scoring import recommend
from planner.errors import InputError
from planner.estimate.results import Evaluation
from planner.inputs.limits import NAME_MAX_CHARS, SHORT_TEXT_MAX_CHARS
from planner.inputs.models import Assessment
from planner.present import report_sections as section
from planner.present.changes import WhatChanged, changes_between, changes_section, what_changed
from planner.present.charts import forget_rendered_charts
from planner.present.pdf_layout import ReportDocument, forget_parsed_pngs, printable
from planner.present.report_sections import CHART_WIDTH_PX

__all__ = ["CHART_WIDTH_PX", "WhatChanged", "build_report", "build_saved_report", "changes_between",
           "forget_charts", "report_filename", "what_changed"]



def forget_charts() -> None:
    """Forget the charts rendered for earlier reports, so that the next export renders its charts anew.

    A chart is rendered to PNG and decoded for the PDF once per process and specification (``chart_png``,
    ``ReportDocument.figure``); benchmarks call this to time the first export of new results.
    """
    forget_rendered_charts()
    forget_parsed_pngs()


def report_filename(assessment: Assessment, report_date: date) -> str:
    """A file name for the report: the project in ASCII letters and digits, then the date."""
    ascii_name = unicodedata.normalize("NFKD", assessment.project).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Za-z0-9]+", "-", ascii_name).strip("-").lower()[:60] or "assessment"
    return f"{slug}-recommendation-{report_date.isoformat()}.pdf"


def build_saved_report(engine: Engine, *, assessment_id: int, author: str = "",
                       report_date: date | None = None, prices: history.PriceSource = "saved") -> bytes:
    """The report of a saved assessment, its revisit-by date, and what changed since the project's one before it.

    With ``prices="saved"`` (the default) it shows the estimates stored with it, or, saved without them,
    estimates made now with the prices it was saved with; with ``prices="today"`` estimates made now with
    today's prices. Estimates made now follow the one rule of ``history.reevaluate``.
    """
    author = _check_text("author", author, NAME_MAX_CHARS)  # before the slow part
    stored = store.load_assessment(engine, assessment_id=assessment_id)
    evaluation = history.stored_evaluation(stored) if prices == "saved" else None
    recommendation = history.stored_recommendation(stored)
    app_version = stored.app_version
    if evaluation is None:
        evaluation, recommendation = history.reevaluate(stored, engine=engine, prices=prices)
        app_version = planner.__version__
    elif recommendation is None or not recommendation.used_estimates:
        recommendation = recommend(stored.assessment, evaluation)
    earlier = [s for s in store.project_assessments(engine, project=stored.project, limit=store.MAX_LIST_LIMIT)
               if (s.created_at, s.id) < (stored.created_at, stored.id)]
    changes = changes_between(earlier[-1], stored) if earlier else None
    return build_report(stored.assessment, evaluation, recommendation, author=author, app_version=app_version,
                        report_date=report_date, revisit_by=history.revisit_date(stored), changes=changes)


def _check_text(field: str, value: str, limit: int) -> str:
    if not isinstance(value, str):
        raise InputError(f"The {field} must be text.", {field: f"The {field} must be text."})
    value = value.strip()
    if len(value) > limit:
        message = f"The {field} is {len(value)} characters long; at most {limit} fit on the report."
        raise InputError(message, {field: message})
    return value


def build_report(assessment: Assessment, evaluation: Evaluation, recommendation: Recommendation, *,
                 author: str = "", app_version: str = planner.__version__, report_date: date | None = None,
                 revisit_by: date | None = None, changes: WhatChanged | None = None,
                 variant_of: Assessment | None = None) -> bytes:
    """The PDF report of one evaluated assessment.

    author: who prepared it (a person or a workshop facilitator); report_date: default today (UTC);
    revisit_by: the saved revisit-by date, default the team stage's interval from report_date;
    changes: the comparison with the project's previous assessment (``what_changed``), if there is one;
    variant_of: the submitted answers when the report shows a what-if variant of them (the title block
    then lists what the variant changes).
    """
    author = _check_text("author", author, NAME_MAX_CHARS)
    app_version = _check_text("app version", app_version, SHORT_TEXT_MAX_CHARS) or planner.__version__
    when = report_date or datetime.now(UTC).date()
    running = assessment.project + (f" · {assessment.label}" if assessment.label else "")
    pdf = ReportDocument(running, f"GenAI Architecture Planner {app_version}")
    pdf.set_title(f"Architecture recommendation: {printable(running)}")
    pdf.set_author(printable(author) or "GenAI Architecture Planner")
    pdf.set_creator(f"GenAI Architecture Planner {app_version}")
    pdf.set_creation_date(datetime(when.year, when.month, when.day, tzinfo=UTC))
    pdf.add_page()
    section.title_block(pdf, assessment, author=author, app_version=app_version, when=when,
                        evaluation=evaluation, variant_of=variant_of)
    section.summary(pdf, assessment, evaluation, recommendation, today=when)
    section.scores(pdf, recommendation)
    section.costs(pdf, assessment, evaluation)
    section.build_vs_buy(pdf, evaluation, recommendation)
    section.latency(pdf, assessment, evaluation)
    section.resilience(pdf, assessment, evaluation)
    section.gaps(pdf, recommendation)
    section.roadmap(pdf, assessment, recommendation, revisit_by=revisit_by, when=when)
    if changes is not None:
        changes_section(pdf, changes)
    section.assumptions(pdf, evaluation, assessment)
    section.answers(pdf, assessment)
    return bytes(pdf.output())

