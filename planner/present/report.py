"""The PDF recommendation report: one document a tech lead can forward to decision makers unedited.

``build_report(assessment, evaluation, recommendation, ...) -> bytes`` writes, in order: a title
block, an executive summary, scores with every reason, cost and latency (charts and tables),
resilience, readiness gaps, the roadmap with its revisit date and triggers, what changed since the
project's previous assessment (``what_changed``), assumptions with their sources and price dates, and
an appendix with every answer. The charts are the Results page's own Altair specifications
(``planner.present.charts``) rendered to PNG by vl-convert, so no browser is needed. Page layout, fonts and
the handling of any text (CJK, right-to-left, emoji, markup-like text) are in ``planner.present.pdf_layout``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Engine

import planner
from planner import history, store
from planner.decide.scoring import lead_time_text, load_weights, recommend
from planner.errors import InputError
from planner.estimate.results import ArchitectureEstimate, Evaluation, Recommendation
from planner.history import Attribution, Comparison
from planner.inputs.models import Architecture, Assessment, GpuSpec, InstancePrice
from planner.inputs.questions import load_question_bank
from planner.present.charts import contributions_chart, cost_chart, driver_label, latency_chart, resilience_chart
from planner.present.pdf_layout import (
    ACCENT,
    BODY_FONT,
    BODY_PT,
    H2_PT,
    INK,
    LINE_MM,
    MUTED,
    SMALL_PT,
    TITLE_PT,
    ReportDocument,
    chart_png,
    printable,
)
from planner.store import StoredAssessment

CHART_WIDTH_PX = 520  # width given to charts that take their width from the page
MAX_AUTHOR_CHARS = 120
MAX_VERSION_CHARS = 40
TOP_REASONS = 3  # reasons quoted in the executive summary


def report_filename(assessment: Assessment, report_date: date) -> str:
    """A file name for the report: the project in ASCII letters and digits, then the date."""
    ascii_name = unicodedata.normalize("NFKD", assessment.project).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Za-z0-9]+", "-", ascii_name).strip("-").lower()[:60] or "assessment"
    return f"{slug}-recommendation-{report_date.isoformat()}.pdf"


# What changed since the previous assessment ---------------------------------------------------------


class WhatChanged(BaseModel):
    """The previous saved assessment of the project and how this one differs from it (planner.history)."""

    model_config = ConfigDict(frozen=True)

    previous_id: int
    previous_label: str
    previous_saved_at: datetime
    comparison: Comparison
    attribution: Attribution | None = None


def changes_between(previous: StoredAssessment, current: StoredAssessment, *,
                    attribution: Attribution | None = None) -> WhatChanged:
    """What changed from an earlier saved assessment to a later one (history.compare)."""
    return WhatChanged(previous_id=previous.id, previous_label=previous.label,
                       previous_saved_at=previous.created_at, comparison=history.compare(previous, current),
                       attribution=attribution)


def what_changed(previous: StoredAssessment, assessment: Assessment, evaluation: Evaluation | None,
                 recommendation: Recommendation, *, current_id: int = 0,
                 prices: Sequence[InstancePrice] | None = None, gpus: Sequence[GpuSpec] | None = None,
                 attribution: Attribution | None = None) -> WhatChanged:
    """Compare an assessment (saved as current_id, or 0 when unsaved) with an earlier saved one.

    ``prices`` and ``gpus`` are its price snapshot (instance rows and their GPU specs), when saved."""
    current = StoredAssessment(
        id=current_id, project=assessment.project, label=assessment.label, recommended=recommendation.top.value,
        created_at=max(datetime.now(UTC), previous.created_at), app_version=planner.__version__,
        assessment=assessment, results=history.results_document(recommendation, evaluation),
        price_snapshot=None if prices is None else tuple(prices),
        gpu_snapshot=None if prices is None or gpus is None else tuple(gpus))
    return changes_between(previous, current, attribution=attribution)


def build_saved_report(engine: Engine, *, assessment_id: int, author: str = "",
                       report_date: date | None = None, prices: history.PriceSource = "saved") -> bytes:
    """The report of a saved assessment, its revisit-by date, and what changed since the project's one before it.

    With ``prices="saved"`` (the default) it shows the estimates stored with it, or, saved without them,
    estimates made now with the prices it was saved with; with ``prices="today"`` estimates made now with
    today's prices. Estimates made now follow the one rule of ``history.reevaluate``.
    """
    author = _check_text("author", author, MAX_AUTHOR_CHARS)  # before the slow part
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


def _money(usd: float) -> str:
    return f"${usd:,.0f}"


def _ms(value: float) -> str:
    return f"{value:,.0f}"


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
    author = _check_text("author", author, MAX_AUTHOR_CHARS)
    app_version = _check_text("app version", app_version, MAX_VERSION_CHARS) or planner.__version__
    when = report_date or datetime.now(UTC).date()
    running = assessment.project + (f" · {assessment.label}" if assessment.label else "")
    pdf = ReportDocument(running, f"GenAI Architecture Planner {app_version}")
    pdf.set_title(f"Architecture recommendation: {printable(running)}")
    pdf.set_author(printable(author) or "GenAI Architecture Planner")
    pdf.set_creator(f"GenAI Architecture Planner {app_version}")
    pdf.set_creation_date(datetime(when.year, when.month, when.day, tzinfo=UTC))
    pdf.add_page()
    _title_block(pdf, assessment, author=author, app_version=app_version, when=when,
                 evaluation=evaluation, variant_of=variant_of)
    _summary(pdf, assessment, evaluation, recommendation)
    _scores(pdf, recommendation)
    _costs(pdf, assessment, evaluation)
    _latency(pdf, assessment, evaluation)
    _resilience(pdf, assessment, evaluation)
    _gaps(pdf, recommendation)
    _roadmap(pdf, assessment, recommendation, revisit_by=revisit_by, when=when)
    if changes is not None:
        _changes(pdf, changes)
    _assumptions(pdf, evaluation, assessment)
    _answers(pdf, assessment)
    return bytes(pdf.output())


# Sections ------------------------------------------------------------------------------------------


def _title_block(pdf: ReportDocument, assessment: Assessment, *, author: str, app_version: str, when: date,
                 evaluation: Evaluation, variant_of: Assessment | None) -> None:
    pdf.set_text_color(*ACCENT)
    pdf.set_font(BODY_FONT, "", H2_PT)
    pdf.cell(0, 6, "Architecture recommendation", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(BODY_FONT, "B", TITLE_PT)
    with pdf.shaped():
        pdf.multi_cell(0, 10, assessment.project, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(*INK)
    if assessment.label:
        pdf.paragraph(assessment.label, size=12, user=True)
    pdf.ln(2)
    facts = [("Date", when.isoformat()), ("Prepared by", author or "not stated"),
             ("App version", f"GenAI Architecture Planner {app_version}"),
             ("Model", evaluation.model_name), ("Simulation seed", str(evaluation.seed))]
    for name, value in facts:
        pdf.set_font(BODY_FONT, "B", BODY_PT)
        pdf.cell(32, LINE_MM + 0.6, name)
        pdf.set_font(BODY_FONT, "", BODY_PT)
        with pdf.shaped():
            pdf.multi_cell(0, LINE_MM + 0.6, value, align="L", new_x="LMARGIN", new_y="NEXT")
    if assessment.notes:
        pdf.ln(1)
        pdf.set_font(BODY_FONT, "B", BODY_PT)
        pdf.cell(0, LINE_MM, "Notes", new_x="LMARGIN", new_y="NEXT")
        pdf.paragraph(assessment.notes, user=True)
    changed = history.answer_changes(variant_of, assessment) if variant_of is not None else []
    if changed:
        pdf.ln(1)
        pdf.paragraph("What-if variant: these estimates are for the submitted answers with "
                      + "; ".join(f"{c.label} {c.old} → {c.new}" for c in changed) + ".", bold=True, color=ACCENT)


def _top_reasons(recommendation: Recommendation) -> list[str]:
    best = recommendation.ranked[0]
    toward = sorted((c for c in best.contributions if c.points > 0), key=lambda c: -c.points)[:TOP_REASONS]
    return [f"{c.points:+.1f} points, {driver_label(c.driver).lower()}: {c.reason}" for c in toward]


def _summary(pdf: ReportDocument, assessment: Assessment, evaluation: Evaluation,
             recommendation: Recommendation) -> None:
    pdf.heading("Executive summary")
    top = recommendation.top
    pdf.set_font(BODY_FONT, "B", 13)
    pdf.set_text_color(*ACCENT)
    pdf.cell(0, 8, f"Recommended: {top.label}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(*INK)
    pdf.paragraph(f"Confidence: {recommendation.confidence} (lead of {recommendation.margin:g} points over "
                  f"{recommendation.ranked[1].architecture.label}).", bold=True)
    pdf.paragraph(recommendation.summary)
    reasons = _top_reasons(recommendation)
    if reasons:
        pdf.subheading(f"Top reasons for {top.label.lower()}")
        pdf.bullets(reasons)
    w = assessment.workload
    pdf.subheading("Each architecture at a glance")
    rows = [["Rank", "Architecture", "Score", "Monthly cost", "p95 TTFT (ms)", "p95 end-to-end (ms)",
             "Meets targets"]]
    for rank, score in enumerate(recommendation.ranked, start=1):
        e = evaluation.estimate(score.architecture)
        rows.append([str(rank), score.architecture.label, f"{score.score:.1f}", _money(e.monthly_cost_usd),
                     _ms(e.ttft.p95_ms), _ms(e.e2e.p95_ms), "yes" if e.meets_targets else "no"])
    pdf.grid(rows, widths=(8, 24, 11, 19, 20, 27, 18), align=("C", "L", "R", "R", "R", "R", "C"))
    pdf.paragraph(f"Targets: p95 time to first token {w.p95_ttft_ms:,g} ms, p95 end-to-end {w.p95_e2e_ms:,g} ms, "
                  f"at a peak of {w.peak_requests_per_s:,g} requests/s ({w.mean_requests_per_s:,g} on average); "
                  f"budget {_money(assessment.team.monthly_budget_usd)} a month. Costs are monthly in USD.",
                  size=SMALL_PT, color=MUTED)
    gaps = [g for g in recommendation.gaps if g.architecture is top]
    pdf.subheading("Before you start, and what would change the choice")
    first = (f"The team's readiness meets what a {top.label.lower()} needs." if not gaps else
             f"{len(gaps)} readiness gap{'s' if len(gaps) != 1 else ''} to close for a {top.label.lower()}: "
             + "; ".join(f"{g.label.lower()} (level {g.current}, needs {g.required})" for g in gaps) + ".")
    flips = [flip.text for flip in recommendation.flip_points[:TOP_REASONS]]
    pdf.bullets([first, *flips] if flips else [first, f"No single answer in the tried range changes the top "
                                                       f"choice: {top.label} stays first."])


def _scores(pdf: ReportDocument, recommendation: Recommendation) -> None:
    png = chart_png(contributions_chart(recommendation))
    width = pdf.epw * 0.92
    pdf.heading("Scores and reasons", keep_mm=25 + pdf.figure_height_mm(png, width))
    base = float(load_weights()["base_score"])  # data/scoring.yaml
    pdf.paragraph(f"Every score is {base:g} points plus the drivers below: green bars push toward an architecture, "
                  "red bars away from it.")
    pdf.figure(png, width_mm=width)
    for rank, score in enumerate(recommendation.ranked, start=1):
        pdf.subheading(f"{rank}. {score.architecture.label}: {score.score:.1f} points")
        rows = [["Points", "Driver", "Reason"]]
        rows += [[f"{c.points:+.2f}", driver_label(c.driver), c.reason] for c in score.contributions]
        pdf.grid(rows, widths=(10, 28, 62), align=("R", "L", "L"))
    pdf.subheading("What would change the recommendation")
    if recommendation.flip_points:
        pdf.bullets([flip.text for flip in recommendation.flip_points])
    else:
        pdf.paragraph(f"No single answer in the tried range changes the top choice: {recommendation.top.label} "
                      "stays first whichever one of the key answers moves on its own.")


def _costs(pdf: ReportDocument, assessment: Assessment, evaluation: Evaluation) -> None:
    pdf.heading("Cost per month")
    pdf.figure(chart_png(cost_chart(evaluation), width_px=CHART_WIDTH_PX), width_mm=pdf.epw * 0.8)
    rows = [["Architecture", "GPU", "CPU", "Platform", "People", "Total", "Share of budget"]]
    budget = assessment.team.monthly_budget_usd
    for e in evaluation.estimates.values():
        c = e.cost
        rows.append([e.architecture.label, _money(c.gpu_usd), _money(c.cpu_usd), _money(c.platform_usd),
                     _money(c.people_usd), _money(c.total_usd), f"{c.total_usd / budget:.0%}"])
    pdf.grid(rows, widths=(22, 14, 14, 14, 14, 14, 14), align=("L", "R", "R", "R", "R", "R", "R"))
    pdf.subheading("Fleet")
    fleet = [["Architecture", "Unit", "Runs", "Instance", "Peak", "Min", "Mean", "$/h each", "Monthly"]]
    for e in evaluation.estimates.values():
        for f in e.fleet:
            instance = f"{f.provider} {f.instance}" + (f" ({f.gpus_per_replica} x {f.gpu})" if f.gpu else "")
            fleet.append([e.architecture.label, f.unit, ", ".join(f.components), instance, str(f.replicas_peak),
                          str(f.replicas_min), f"{f.replicas_mean:.1f}", f"{f.usd_per_replica_hour:,.3f}",
                          _money(f.monthly_usd)])
    pdf.grid(fleet, widths=(15, 15, 21, 22, 6, 5, 6, 9, 11), align=("L", "L", "L", "L", "R", "R", "R", "R", "R"),
              size=SMALL_PT)
    pdf.paragraph("GPU units count instances; CPU units count one-vCPU workers. The monolith runs its CPU steps "
                  "on the GPU hosts, so it scales everything together.", size=SMALL_PT, color=MUTED)
    pdf.subheading("Every cost line with its formula")
    lines = [["Architecture", "Category", "Item", "Formula", "Monthly"]]
    lines += [[e.architecture.label, c.category, c.item, c.formula, _money(c.monthly_usd)]
              for e in evaluation.estimates.values() for c in e.cost_lines]
    pdf.grid(lines, widths=(15, 10, 22, 41, 12), align=("L", "L", "L", "L", "R"), size=SMALL_PT)


def _latency_rows(e: ArchitectureEstimate, assessment: Assessment) -> list[list[str]]:
    w = assessment.workload
    rows = []
    for metric, stats, target, met in (("Time to first token", e.ttft, w.p95_ttft_ms, e.meets_ttft_target),
                                       ("End-to-end", e.e2e, w.p95_e2e_ms, e.meets_e2e_target)):
        low, high = stats.p95_ci_ms
        rows.append([e.architecture.label, metric, _ms(stats.p50_ms), f"{_ms(stats.p95_ms)} ({_ms(low)}–{_ms(high)})",
                     _ms(stats.p99_ms), _ms(target), "yes" if met else "no"])
    return rows


def _latency(pdf: ReportDocument, assessment: Assessment, evaluation: Evaluation) -> None:
    pdf.heading("Latency at peak")
    pdf.figure(chart_png(latency_chart(evaluation, assessment)), width_mm=pdf.epw * 0.7,
               caption="Points: p50, p95 and p99; bars: their 95 % confidence intervals; red dashes: the p95 "
                       "targets.")
    rows = [["Architecture", "Metric", "p50 (ms)", "p95 (ms, 95 % CI)", "p99 (ms)", "p95 target (ms)", "Meets"]]
    for e in evaluation.estimates.values():
        rows += _latency_rows(e, assessment)
    pdf.grid(rows, widths=(17, 20, 11, 22, 11, 13, 8), align=("L", "L", "R", "R", "R", "R", "C"))
    hops = [["Architecture", "Deployable units", "Network hops", "Hop latency (ms)", "Requests over a target"]]
    hops += [[e.architecture.label, str(e.deployable_units), str(e.network_hops), f"{e.hop_latency_ms:.1f}",
              f"{e.slo_miss_share:.1%}"] for e in evaluation.estimates.values()]
    pdf.grid(hops, widths=(22, 18, 18, 18, 24), align=("L", "R", "R", "R", "R"))
    w = assessment.workload
    notes = [f"{e.architecture.label}: {note}" for e in evaluation.estimates.values() for note in e.notes]
    pdf.paragraph(f"Simulated at {w.peak_requests_per_s:,g} requests/s with {evaluation.model_name} "
                  f"(seed {evaluation.seed}). " + " ".join(notes), size=SMALL_PT, color=MUTED)


def _gaps(pdf: ReportDocument, recommendation: Recommendation) -> None:
    pdf.heading("Readiness gaps and next steps")
    for architecture in _ranked_architectures(recommendation):
        gaps = [g for g in recommendation.gaps if g.architecture is architecture]
        pdf.subheading(f"{architecture.label}: {len(gaps) or 'no'} gap{'s' if len(gaps) != 1 else ''}")
        if not gaps:
            pdf.paragraph(f"The team's readiness meets what a {architecture.label.lower()} needs.")
            continue
        rows = [["Skill", "Level now", "Needs", "Next step"]]
        rows += [[g.label, str(g.current), str(g.required), g.next_step] for g in gaps]
        pdf.grid(rows, widths=(26, 9, 8, 57), align=("L", "C", "C", "L"))


def _ranked_architectures(recommendation: Recommendation) -> list[Architecture]:
    return [s.architecture for s in recommendation.ranked]


def _roadmap(pdf: ReportDocument, assessment: Assessment, recommendation: Recommendation, *, revisit_by: date | None,
             when: date) -> None:
    pdf.heading("Roadmap and when to revisit")
    for i, stage in enumerate(recommendation.roadmap, start=1):
        pdf.keep(4 * LINE_MM)
        pdf.paragraph(f"{i}. {stage.title}", bold=True)
        pdf.paragraph(stage.detail)
    pdf.subheading("Revisit by")
    if revisit_by is None:
        default = history.load_revisit_defaults()[assessment.team.stage]
        revisit_by = when + timedelta(days=default.days)
        why = (f"{default.days} days after this report, the default for a team at the "
               f"{assessment.team.stage.value} stage ({default.source.removeprefix('assumption: ')}).")
    else:
        why = "the date set when the assessment was saved."
    pdf.paragraph(f"{revisit_by:%d %B %Y}: {why}", bold=False)
    pdf.subheading("Re-assess earlier when")
    pdf.bullets([t.text for t in recommendation.triggers])


def _resilience(pdf: ReportDocument, assessment: Assessment, evaluation: Evaluation) -> None:
    estimates = [(e, e.resilience) for e in evaluation.estimates.values() if e.resilience is not None]
    if not estimates:
        return
    pdf.heading("Resilience: failures, deploys and model updates")
    pdf.paragraph("A month of replica crashes, rolling deploys and model updates, simulated per architecture. "
                  "Availability is the share of requests answered within the latency targets; degraded requests "
                  "are answered without a non-critical step and count as served.")
    rows = [["Architecture", "Availability (95 % CI)", "Meets target", "Failed a month", "Slowed a month",
             "Degraded a month", "Deploy capacity-min a month", "Model update lead time"]]
    for e, r in estimates:
        low, high = r.availability_ci_pct
        rows.append([e.architecture.label, f"{r.availability_pct:.3f} % ({low:.3f}–{high:.3f})",
                     "yes" if r.meets_availability_target else "no", f"{r.failed_per_month:,.0f}",
                     f"{r.slowed_per_month:,.0f}", f"{r.degraded_per_month:,.0f}",
                     f"{r.deploy_capacity_minutes_per_month:,.0f}", lead_time_text(r.model_update_lead_time_min)])
    pdf.grid(rows, widths=(14, 25, 8, 10, 10, 10, 12, 11), align=("L", "R", "C", "R", "R", "R", "R", "R"))
    pdf.paragraph(f"Target: {assessment.workload.availability_target_pct:g} % of requests. Model updates: "
                  f"{assessment.workload.model_updates_per_month:g} a month; code deploys: "
                  f"{assessment.workload.deploys_per_week:g} a week across the pipeline.", size=SMALL_PT, color=MUTED)
    pdf.subheading("Capacity in service through a crash, a code deploy and a model update")
    pdf.figure(chart_png(resilience_chart(evaluation), width_px=CHART_WIDTH_PX), width_mm=pdf.epw * 0.8,
               caption="The smallest share of any critical unit's replicas in service. A monolith restarts whole "
                       "replicas, model reload included; split architectures restart only the unit that changed.")
    pdf.subheading("Blast radius: what one replica crash takes with it")
    blast = [["Architecture", "Crashing component", "Unit", "Work lost for", "Effect", "Unit capacity lost"]]
    for e, r in estimates:
        blast += [[e.architecture.label, b.component, b.unit, ", ".join(b.affected), b.effect,
                   f"{b.capacity_lost_share:.0%}"] for b in r.blast_radius]
    pdf.grid(blast, widths=(15, 16, 13, 30, 14, 12), align=("L", "L", "L", "L", "L", "R"), size=SMALL_PT)


def _delta(old: float | None, new: float | None, fmt: str) -> str:
    if old is None and new is None:
        return "—"
    if old is None or new is None:
        return f"{'—' if old is None else format(old, fmt)} → {'—' if new is None else format(new, fmt)}"
    return f"{format(old, fmt)} → {format(new, fmt)} ({'+' if new >= old else '−'}{format(abs(new - old), fmt)})"


def _changes(pdf: ReportDocument, changes: WhatChanged) -> None:
    c = changes.comparison
    pdf.heading("What changed since the previous assessment")
    label = f" “{changes.previous_label}”" if changes.previous_label else ""
    pdf.paragraph(f"Compared with assessment #{changes.previous_id}{label}, saved on "
                  f"{changes.previous_saved_at:%d %B %Y}.", user=bool(label))
    if c.old_top is None or c.new_top is None:
        moved = "One of the two has no stored recommendation."
    elif c.recommendation_changed:
        moved = f"The recommendation moved from {c.old_top.label} to {c.new_top.label}."
    else:
        moved = f"The recommendation stayed {c.new_top.label}."
    prices = {None: "The previous assessment kept no price snapshot, so price changes are unknown.",
              True: "Instance prices changed between the two.", False: "Instance prices are the same."}
    pdf.paragraph(f"{moved} {prices[c.prices_changed]}", bold=True)
    rows = [["Architecture", "Score", "Monthly cost (USD)", "p95 TTFT (ms)", "p95 end-to-end (ms)"]]
    rows += [[d.architecture.label, _delta(d.old_score, d.new_score, ".1f"),
              _delta(d.old_cost_usd, d.new_cost_usd, ",.0f"), _delta(d.old_p95_ttft_ms, d.new_p95_ttft_ms, ",.0f"),
              _delta(d.old_p95_e2e_ms, d.new_p95_e2e_ms, ",.0f")] for d in c.estimates]
    pdf.grid(rows, widths=(14, 16, 22, 20, 28), align=("L", "R", "R", "R", "R"))
    pdf.subheading(f"Answers changed: {len(c.answers_changed)}")
    if c.answers_changed:
        answers = [["Answer", "Before", "Now"]] + [[a.label, a.old, a.new] for a in c.answers_changed]
        pdf.grid(answers, widths=(40, 30, 30), shaped=True)
    else:
        pdf.paragraph("No answer changed: any difference comes from prices or the app's estimates.")
    if changes.attribution is not None:
        pdf.subheading("Why the numbers moved")
        why = [["Architecture", "Cause", "Monthly cost (USD)", "p95 end-to-end (ms)", "Score"]]
        for a in changes.attribution.architectures:
            why += [[a.architecture.label, share.label, f"{share.cost_usd:+,.0f}", f"{share.p95_e2e_ms:+,.0f}",
                     f"{share.score:+.1f}"] for share in a.shares]
        pdf.grid(why, widths=(16, 34, 18, 18, 14), align=("L", "L", "R", "R", "R"))
        for note in changes.attribution.notes:
            pdf.paragraph(note, size=SMALL_PT, color=MUTED)


def _assumptions(pdf: ReportDocument, evaluation: Evaluation, assessment: Assessment) -> None:
    pdf.heading("Assumptions, sources and price dates")
    pdf.paragraph("Every estimate rests on these constants. A value marked 'overridden' was replaced in this "
                  "assessment; a source starting 'assumption:' marks a figure without a public source.")
    rows = [["Assumption", "Value", "Source", "As of"]]
    rows += [[f"{a.key}\n{a.description}", f"{a.value:,.6g} {a.unit}".strip() + (" overridden" if a.overridden else ""),
              a.source, a.as_of] for a in evaluation.assumptions]
    pdf.grid(rows, widths=(39, 13, 37, 11), align=("L", "R", "L", "L"), size=SMALL_PT)
    pdf.subheading("Instance prices used")
    seen: dict[tuple[str, str, str], Any] = {}
    for e in evaluation.estimates.values():
        for f in e.fleet:
            seen.setdefault((f.provider, f.instance, f.region), f)
    prices = [["Instance", "Region", "$/h", "Source", "As of"]]
    prices += [[f"{p} {i}", region, f"{f.usd_per_replica_hour:,.3f}", f.price_source or "—", f.price_as_of or "—"]
               for (p, i, region), f in seen.items()]
    pdf.grid(prices, widths=(24, 14, 9, 43, 10), align=("L", "L", "R", "L", "L"), size=SMALL_PT)
    source = (f"saved price list “{assessment.price_list}”" if assessment.price_list
              else "the shipped price list (data/instances.csv)")
    pdf.paragraph(f"Prices: {assessment.workload.pricing.value.replace('_', '-')} rates from {source}.",
                  size=SMALL_PT, color=MUTED, user=bool(assessment.price_list))


def _answer(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,g}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) or "any"
    return str(getattr(value, "value", value)).replace("_", " ")


def _answers(pdf: ReportDocument, assessment: Assessment) -> None:
    pdf.heading("Appendix: every answer")
    bank = load_question_bank()
    workload = assessment.workload
    for section in bank.workload_sections:
        pdf.subheading(f"Workload: {section.title}")
        rows = [["Question", "Answer"]]
        rows += [[f.label, _answer(getattr(workload, f.key))] for f in section.fields]
        pdf.grid(rows, widths=(60, 40))
    pdf.subheading("Workload: request pipeline (besides inference)")
    steps = [["Step", "CPU ms per request", "Failure fails the request", "Deploys per week", "Runs after inference"]]
    steps += [[c.name, f"{c.cpu_ms_per_request:,g}", _answer(c.critical), f"{c.deploys_per_week:,g}",
               _answer(c.after_inference)] for c in workload.pipeline]
    pdf.grid(steps, widths=(24, 19, 19, 19, 19), align=("L", "R", "C", "R", "C"))
    pdf.subheading("Team")
    team = [["Question", "Answer"]]
    team += [[f.label, _answer(getattr(assessment.team, f.key))] for f in bank.team_fields]
    pdf.grid(team, widths=(60, 40))
    pdf.subheading("Team readiness (levels 0 to 4)")
    levels = [["Question", "Level", "What the level means"]]
    for q in bank.readiness:
        level = getattr(assessment.team, q.key)
        levels.append([q.label, str(level), q.levels[level]])
    pdf.grid(levels, widths=(30, 8, 62), align=("L", "C", "L"))
    if assessment.assumption_overrides:
        pdf.subheading("Assumption overrides")
        pdf.grid([["Key", "Value"]] + [[k, f"{v:,g}"] for k, v in sorted(assessment.assumption_overrides.items())],
                 widths=(60, 40))
    else:
        pdf.paragraph("Assumption overrides: none; every assumption is at its documented default.")
