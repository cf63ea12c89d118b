"""Rendering of a Recommendation on the Results page, one small function per section, and the save form.

The page calls these in order; a future "Estimates" section (cost, latency and fleet from
``planner.estimate.engine.evaluate``) slots in above ``render_headline`` as one more function call.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from planner import history
from planner.decide.results import Recommendation
from planner.decide.scoring import recommend, scale_text
from planner.errors import InputError, StoreError
from planner.estimate.results import Evaluation
from planner.inputs.limits import NAME_MAX_CHARS
from planner.inputs.models import Architecture, Assessment
from planner.inputs.validation import validate_assessment
from planner.present import formats as fmt
from planner.present import tables
from planner.present.charts import contributions_chart
from ui import charts, db, sections, state
from ui.evaluation import evaluation_key
from ui.tables import show_table
from ui.text import literal

CONFIDENCE_WORDS = {
    "high": "High: the lead is clear.",
    "medium": "Medium: a few answers could close the gap.",
    "low": "Low: the top two are close; read the reasons and the flip points.",
}
HEADLINE_HELP = ("The recommended architecture and where its inference runs: on your GPUs or through a managed API "
                 "(Inference sourcing on the Assess page). With an API named there, Build or buy inference, below "
                 "the estimates, compares the two.")


@st.cache_data(show_spinner=False, max_entries=64)
def _recommend(assessment_json: str, evaluation_json: str) -> Recommendation:
    evaluation = Evaluation.model_validate_json(evaluation_json) if evaluation_json else None
    return recommend(Assessment.model_validate_json(assessment_json), evaluation)


def recommendation_for(assessment: Assessment, evaluation: Evaluation | None = None) -> Recommendation:
    """The recommendation for a validated assessment and its estimates (cached by their content; scoring reads no
    project, label or notes, so sessions that differ only there share one, as they share the evaluation)."""
    return _recommend(evaluation_key(assessment), evaluation.model_dump_json() if evaluation else "")


def render_headline(assessment: Assessment, recommendation: Recommendation) -> None:
    """Top choice, margin and confidence, how the top choice sources inference, and the one-paragraph summary."""
    st.caption(literal(assessment.project + (f" · {assessment.label}" if assessment.label else "")))
    top, margin, confidence = st.columns(3)
    top.metric("Recommended", recommendation.top.label, border=True)
    margin.metric("Lead over the runner-up", f"{recommendation.margin:g} points", border=True, help=scale_text())
    confidence.metric("Confidence", recommendation.confidence.capitalize(), border=True,
                      help=CONFIDENCE_WORDS[recommendation.confidence])
    headline = tables.headline_text(recommendation)
    if headline != recommendation.top.label:  # the estimates say where inference runs
        st.markdown(f":material/memory: **{literal(headline)}**", help=HEADLINE_HELP)
    st.caption(scale_text())
    st.info(literal(tables.summary_text(recommendation)))


def render_ranking(recommendation: Recommendation) -> None:
    """The three architectures with their scores, best first."""
    st.subheader("Ranking")
    rows = []
    for rank, score in enumerate(recommendation.ranked, start=1):
        biggest = max(score.contributions, key=lambda c: abs(c.points), default=None)
        rows.append({"Rank": rank, "Architecture": score.architecture.label, "Score": fmt.score(score.score),
                     "Biggest factor": f"{fmt.points(biggest.points, digits=1)}: {biggest.reason}" if biggest else ""})
    show_table(pd.DataFrame(rows))  # a table wraps the long reasons


def render_contributions(recommendation: Recommendation) -> None:
    """Why each architecture scored as it did: a chart of the drivers, then every reason in words."""
    st.subheader("Why: what pushes each architecture up or down")
    st.caption("Every score is 50 points plus the drivers below. Hover a bar for its reason.")
    charts.show(contributions_chart, recommendation, width="content")
    for score in recommendation.ranked:
        label = f"{score.architecture.label}: {fmt.score(score.score)} points, every reason"
        if box := sections.expander(label, f"reasons.{score.architecture.value}"):
            with box:
                show_table(tables.contributions_table(score).frame())


def render_gaps(recommendation: Recommendation) -> None:
    """Readiness the team lacks for each architecture, with the next step."""
    st.subheader("Readiness gaps")
    for architecture in Architecture:
        gaps = tables.gaps_of(recommendation, architecture)
        box = sections.expander(tables.gaps_heading(architecture, gaps), f"gaps.{architecture.value}",
                                expanded=architecture is recommendation.top and bool(gaps))
        if box is None:
            continue
        with box:
            if not gaps:
                st.write(tables.ready_text(architecture))
            else:  # a table wraps the long next steps
                show_table(tables.gaps_table(gaps).frame())


def render_flip_points(recommendation: Recommendation) -> None:
    """The answers that, changed alone, would change the top choice."""
    st.subheader("What would change the recommendation")
    if not recommendation.flip_points:
        st.write(tables.no_flip_text(recommendation))
        return
    st.markdown("\n".join(f"- {flip.text}" for flip in recommendation.flip_points))


def render_roadmap(recommendation: Recommendation) -> None:
    """Staged steps and the conditions that should trigger a re-assessment."""
    st.subheader("Roadmap")
    for i, stage in enumerate(recommendation.roadmap, start=1):
        st.markdown(f"**{i}. {stage.title}**  \n{stage.detail}")
    st.markdown("**Re-assess when**")
    st.markdown("\n".join(f"- {t.text}" for t in recommendation.triggers))


def render_save_form(assessment: Assessment, recommendation: Recommendation,
                     evaluation: Evaluation | None = None) -> None:
    """Save the assessment and its recommendation under a project name and label, with a revisit-by date
    (in the Results toolbar's first tab, which names it)."""
    stage_days = history.load_revisit_defaults()[assessment.team.stage].days
    with st.form("save", border=True):
        left, middle, right = st.columns([2, 2, 1])
        project = left.text_input("Project name", value=assessment.project, key="r.project", max_chars=NAME_MAX_CHARS)
        label = middle.text_input("Label", value=assessment.label, key="r.label", max_chars=NAME_MAX_CHARS)
        revisit_by = right.date_input(
            "Revisit by", value=history.default_revisit_by(assessment, history.today_utc()), key="r.revisit_by",
            min_value=history.today_utc(), format="YYYY-MM-DD",
            help=f"When to re-assess; the default for a {assessment.team.stage.value} team is {stage_days} days "
                 "(data/revisit.yaml). The Home page lists projects past this date.")
        submitted = st.form_submit_button("Save assessment", type="primary", icon=":material/save:")
    if submitted:
        save(assessment, recommendation, evaluation, project=project, label=label,
             revisit_by=revisit_by if isinstance(revisit_by, date) else None)


def results_document(recommendation: Recommendation, evaluation: Evaluation | None) -> dict:
    """What is stored with an assessment: the recommendation and, when computed, the estimates."""
    return history.results_document(recommendation, evaluation)


def save(assessment: Assessment, recommendation: Recommendation, evaluation: Evaluation | None = None, *,
         project: str, label: str, revisit_by: date | None = None) -> None:
    """Validate the name and label, save with the price snapshot, revisit date and triggers, report the id
    (or the id saved before, when these answers and results were saved already)."""
    try:
        named = validate_assessment({**assessment.model_dump(mode="json"), "project": project, "label": label})
        assessment_id = history.save_evaluated(db.engine(), named, recommendation, evaluation, revisit_by=revisit_by)
    except (InputError, StoreError) as exc:
        st.error(literal(str(exc)))
        return
    if (named.project, named.label) != (assessment.project, assessment.label):
        state.rename(named)
    if not assessment_id.created:
        st.info(f"Already saved as #{assessment_id} of “{literal(named.project)}”: the same answers, label and "
                "results; nothing new was saved.")
        return
    st.success(f"Saved as assessment #{assessment_id} of “{literal(named.project)}”. See it on the History page; "
               "reopen it from Saved assessments.")
