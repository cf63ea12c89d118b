"""The sections of the PDF report, one function each, in the order ``planner.present.report`` prints them.

Every table comes from ``planner.present.tables`` (the Results page shows the same rows) and every
figure in running text from ``planner.present.formats``; the charts are ``planner.present.charts``.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from planner import history
from planner.decide.results import Recommendation
from planner.decide.scoring import load_weights, scale_text
from planner.estimate.results import Evaluation
from planner.inputs.models import Assessment, Sourcing
from planner.inputs.questions import load_question_bank
from planner.present import buildbuy_tables, resilience_tables, tables
from planner.present import formats as fmt
from planner.present.charts import (
    build_vs_buy_chart,
    chart_png,
    contributions_chart,
    cost_chart,
    driver_label,
    latency_chart,
    resilience_chart,
)
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
)
from planner.present.warnings import result_warnings

CHART_WIDTH_PX = 520  # width given to charts that take their width from the page
TOP_REASONS = 3  # reasons quoted in the executive summary

def title_block(pdf: ReportDocument, assessment: Assessment, *, author: str, app_version: str, when: date,
                 evaluation: Evaluation, variant_of: Assessment | None) -> None:
    """The project, the date, who prepared it, the app version, the model and seed, and what a what-if varies."""
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
             ("Model", tables.model_text(assessment, evaluation)), ("Simulation seed", str(evaluation.seed))]
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
    return [f"{fmt.points(c.points, digits=1)} points, {driver_label(c.driver).lower()}: {c.reason}" for c in toward]


def summary(pdf: ReportDocument, assessment: Assessment, evaluation: Evaluation,
            recommendation: Recommendation, *, today: date | None = None) -> None:
    """The executive summary: the recommendation, its top reasons, each architecture at a glance, the warnings
    (stale prices as of ``today``, default today in UTC; latency headroom; few instances), the next steps."""
    pdf.heading("Executive summary")
    top = recommendation.top
    pdf.set_font(BODY_FONT, "B", 13)
    pdf.set_text_color(*ACCENT)
    pdf.multi_cell(0, 7, f"Recommended: {tables.headline_text(recommendation)}", align="L", new_x="LMARGIN",
                   new_y="NEXT")
    pdf.ln(1)
    pdf.set_text_color(*INK)
    pdf.paragraph(f"Confidence: {recommendation.confidence} (lead of {recommendation.margin:g} points over "
                  f"{recommendation.ranked[1].architecture.label}).", bold=True)
    pdf.paragraph(scale_text(), size=SMALL_PT, color=MUTED)
    pdf.paragraph(tables.summary_text(recommendation))
    reasons = _top_reasons(recommendation)
    if reasons:
        pdf.subheading(f"Top reasons for {top.label.lower()}")
        pdf.bullets(reasons)
    w = assessment.workload
    pdf.subheading("Each architecture at a glance")
    pdf.grid(tables.ranking_table(recommendation, evaluation).grid(), widths=(8, 24, 11, 19, 20, 27, 18),
             align=("C", "L", "R", "R", "R", "R", "C"))
    pdf.paragraph(f"Targets: {tables.targets_text(assessment)} ({fmt.number(w.mean_requests_per_s)} on average); "
                  f"budget {fmt.money(assessment.team.monthly_budget_usd)} a month. Costs are monthly in USD.",
                  size=SMALL_PT, color=MUTED)
    cautions = result_warnings(assessment, evaluation, today or history.today_utc())
    if cautions:
        pdf.subheading("Warnings")
        pdf.bullets(cautions)
    top_gaps = tables.gaps_of(recommendation, top)
    pdf.subheading("Before you start, and what would change the choice")
    first = (tables.ready_text(top) if not top_gaps else
             f"{fmt.counted(len(top_gaps), 'readiness gap')} to close for a {top.label.lower()}: "
             + "; ".join(f"{load_question_bank().in_sentence(g.label)} (level {g.current}, needs {g.required})"
                         for g in top_gaps)
             + ".")
    flips = [flip.text for flip in recommendation.flip_points[:TOP_REASONS]]
    pdf.bullets([first, *flips] if flips else [first, tables.no_flip_text(recommendation)])


def scores(pdf: ReportDocument, recommendation: Recommendation) -> None:
    """Each architecture's score with every driver and reason, and the answers that would change the choice."""
    png = chart_png(contributions_chart(recommendation))
    width = pdf.epw * 0.92
    pdf.heading("Scores and reasons", keep_mm=25 + pdf.figure_height_mm(png, width))
    base = float(load_weights()["base_score"])  # data/scoring.yaml
    pdf.paragraph(f"Every score is {base:g} points plus the drivers below: green bars push toward an architecture, "
                  "red bars away from it.")
    pdf.figure(png, width_mm=width)
    for rank, score in enumerate(recommendation.ranked, start=1):
        pdf.subheading(f"{rank}. {score.architecture.label}: {fmt.score(score.score)} points")
        pdf.grid(tables.contributions_table(score).grid(), widths=(10, 28, 62), align=("R", "L", "L"))
    pdf.subheading("What would change the recommendation")
    if recommendation.flip_points:
        pdf.bullets([flip.text for flip in recommendation.flip_points])
    else:
        pdf.paragraph(tables.no_flip_text(recommendation))


def costs(pdf: ReportDocument, assessment: Assessment, evaluation: Evaluation) -> None:
    """Monthly cost by category, the fleet, and every cost line with its formula."""
    pdf.heading("Cost per month")
    pdf.figure(chart_png(cost_chart(evaluation), width_px=CHART_WIDTH_PX), width_mm=pdf.epw * 0.8)
    table = tables.cost_table(assessment, evaluation)
    figures = len(table.columns) - 1  # the architecture, then its figures
    pdf.grid(table.grid(), widths=(22, *[14] * figures), align=("L", *["R"] * figures))
    pdf.paragraph(tables.budget_text(assessment, evaluation), size=SMALL_PT, color=MUTED)
    pdf.subheading("Fleet")
    pdf.grid(tables.fleet_table(evaluation).grid(), widths=(13, 11, 16, 16, 12, 6, 7, 6, 8, 13, 10),
             align=("L", "L", "L", "L", "L", "R", "R", "R", "R", "L", "R"), size=SMALL_PT)
    pdf.paragraph(tables.fleet_note(evaluation), size=SMALL_PT, color=MUTED)
    pdf.subheading("Every cost line with its formula")
    pdf.grid(tables.cost_lines_table(evaluation).grid(), widths=(15, 10, 22, 41, 12),
             align=("L", "L", "L", "L", "R"), size=SMALL_PT)


def build_vs_buy(pdf: ReportDocument, evaluation: Evaluation, recommendation: Recommendation) -> None:
    """A managed API against self-hosted GPUs: both bills, the break-even and its chart, why the estimates use the
    sourcing they use, rate limits, and each architecture with the other sourcing (when the assessment names an API)."""
    decision = evaluation.build_vs_buy
    if decision is None:
        return
    png = chart_png(build_vs_buy_chart(decision), width_px=CHART_WIDTH_PX)
    width = pdf.epw * 0.8
    pdf.heading("Build or buy inference", keep_mm=30 + pdf.figure_height_mm(png, width))
    pdf.paragraph(buildbuy_tables.build_vs_buy_text(decision))
    pdf.paragraph(decision.break_even_text, bold=True)
    pdf.figure(png, width_mm=width, caption=buildbuy_tables.BUILD_VS_BUY_NOTE)
    pdf.grid(buildbuy_tables.build_vs_buy_table(decision).grid(), widths=(16, 44, 14, 10, 14),
             align=("L", "L", "R", "C", "C"))
    checks = [f"A managed API is ruled out: {'; '.join(decision.ruled_out)}."] if decision.ruled_out else []
    checks.append(("Rate limits: " if decision.rate_limit.warning else "") + decision.rate_limit.text)
    pdf.bullets([*checks, *decision.notes])
    reasons = buildbuy_tables.sourcing_reasons(recommendation, decision)
    if reasons:
        pdf.subheading(buildbuy_tables.WHY_HEADINGS[decision.chosen])
        pdf.bullets(reasons)
    alternative = buildbuy_tables.alternative_table(evaluation)
    if alternative is not None:
        pdf.subheading("Each architecture with the other sourcing")
        pdf.grid(alternative.grid(), widths=(20, 18, 18, 18, 26), align=("L", "R", "R", "R", "C"))
        pdf.paragraph(buildbuy_tables.ALTERNATIVE_NOTE, size=SMALL_PT, color=MUTED)


def latency(pdf: ReportDocument, assessment: Assessment, evaluation: Evaluation) -> None:
    """Latency percentiles against the targets, network hops, and the simulation's notes."""
    pdf.heading("Latency at peak")
    pdf.figure(chart_png(latency_chart(evaluation, assessment.workload)), width_mm=pdf.epw * 0.7,
               caption="Points: p50, p95 and p99; bars: their 95 % confidence intervals; red dashes: the p95 "
                       "targets.")
    pdf.grid(tables.latency_table(assessment, evaluation).grid(), widths=(17, 20, 11, 22, 11, 13, 8),
             align=("L", "L", "R", "R", "R", "R", "C"))
    hops = tables.estimates_table(evaluation).select("Architecture", "Deployables", "Network hops",
                                                     "Hop latency (ms)", "Requests over a target")
    pdf.grid(hops.grid(), widths=(22, 18, 18, 18, 24), align=("L", "R", "R", "R", "R"))
    notes = [f"{e.architecture.label}: {note}" for e in evaluation.estimates.values() for note in e.notes]
    pdf.paragraph(f"Simulated at {fmt.number(assessment.workload.peak_requests_per_s)} requests/s with "
                  f"{tables.model_text(assessment, evaluation)} (seed {evaluation.seed}). " + " ".join(notes),
                  size=SMALL_PT, color=MUTED)


def gaps(pdf: ReportDocument, recommendation: Recommendation) -> None:
    """The readiness gaps of each architecture, best first, with the next step."""
    pdf.heading("Readiness gaps and next steps")
    for architecture in (s.architecture for s in recommendation.ranked):
        found = tables.gaps_of(recommendation, architecture)
        pdf.subheading(tables.gaps_heading(architecture, found))
        if not found:
            pdf.paragraph(tables.ready_text(architecture))
            continue
        pdf.grid(tables.gaps_table(found).grid(), widths=(26, 9, 8, 57), align=("L", "C", "C", "L"))


def roadmap(pdf: ReportDocument, assessment: Assessment, recommendation: Recommendation, *, revisit_by: date | None,
             when: date) -> None:
    """The roadmap stages, the revisit-by date and the triggers for an earlier re-assessment."""
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


def resilience(pdf: ReportDocument, assessment: Assessment, evaluation: Evaluation) -> None:
    """Availability, requests lost, deploys, the capacity timeline and the blast radius (when estimated)."""
    if not resilience_tables.has_resilience(evaluation):
        return
    pdf.heading("Resilience: failures, deploys and model updates")
    pdf.paragraph("A month of replica crashes, rolling deploys and model updates, simulated per architecture. "
                  "Availability is the share of requests answered within the latency targets; degraded requests "
                  "are answered without a non-critical step and count as served.")
    figures = resilience_tables.resilience_table(evaluation, below_one=False).grid()
    rows = [[label, f"{pct} ({ci})", *rest[:6]] for label, pct, ci, *rest in figures]  # the interval beside its value
    rows[0][1] = "Availability (95 % CI)"
    lead_time = 18 if evaluation.sourcing is Sourcing.API else 11  # room for "the provider ships updates; ..."
    pdf.grid(rows, widths=(14, 25, 8, 10, 10, 10, 12, lead_time), align=("L", "R", "C", "R", "R", "R", "R", "R"))
    provider = resilience_tables.api_resilience_text(evaluation)
    pdf.paragraph(f"Target: {assessment.workload.availability_target_pct:g} % of requests. "
                  f"{tables.change_rates_text(assessment)}." + (f" {provider}" if provider else ""),
                  size=SMALL_PT, color=MUTED)
    pdf.subheading("Capacity in service through a crash, a code deploy and a model update")
    pdf.figure(chart_png(resilience_chart(evaluation), width_px=CHART_WIDTH_PX), width_mm=pdf.epw * 0.8,
               caption=resilience_tables.capacity_chart_note(evaluation))
    pdf.subheading("Blast radius: what one replica crash takes with it")
    pdf.grid(resilience_tables.blast_radius_table(evaluation).grid(), widths=(15, 16, 13, 30, 14, 12),
             align=("L", "L", "L", "L", "L", "R"), size=SMALL_PT)


def assumptions(pdf: ReportDocument, evaluation: Evaluation, assessment: Assessment) -> None:
    """Every assumption with its source and date, and the instance prices used."""
    pdf.heading("Assumptions, sources and price dates")
    pdf.paragraph("Every estimate rests on these constants. A value marked 'overridden' was replaced in this "
                  "assessment; a source starting 'assumption:' marks a figure without a public source.")
    pdf.grid(tables.assumptions_table(evaluation).grid(), widths=(39, 13, 48), align=("L", "R", "L"), size=SMALL_PT)
    pdf.subheading("Instance prices used")
    pdf.grid(tables.instance_prices_table(evaluation).grid(), widths=(24, 14, 9, 43, 10),
             align=("L", "L", "R", "L", "L"), size=SMALL_PT)
    source = (f"saved price list “{assessment.price_list}”" if assessment.price_list
              else "the shipped price list (data/instances.csv)")
    pdf.paragraph(f"Prices: {assessment.workload.pricing.value.replace('_', '-')} rates from {source}.",
                  size=SMALL_PT, color=MUTED, user=bool(assessment.price_list))


def _answer(value: Any) -> str:
    if isinstance(value, bool):
        return fmt.yes_no(value)
    if isinstance(value, float):
        return fmt.number(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) or "any"
    return str(getattr(value, "value", value)).replace("_", " ")


def answers(pdf: ReportDocument, assessment: Assessment) -> None:
    """The appendix: every answer of the assessment."""
    pdf.heading("Appendix: every answer")
    bank = load_question_bank()
    workload = assessment.workload
    for section in bank.workload_sections:
        pdf.subheading(f"Workload: {section.title}")
        rows = [["Question", "Answer"]]
        rows += [[f.label, _answer(getattr(workload, f.key))] for f in section.fields]
        if any(f.key == "precision" for f in section.fields):
            rows += tables.engine_rows(assessment)
        pdf.grid(rows, widths=(60, 40))
    pdf.subheading("Workload: request pipeline (besides inference)")
    steps = [["Step", "CPU ms per request", "Failure fails the request", "Deploys per week", "Runs after inference"]]
    steps += [[c.name, fmt.number(c.cpu_ms_per_request), _answer(c.critical), fmt.number(c.deploys_per_week),
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
        pdf.grid([["Key", "Value"]] + [[k, fmt.number(v)] for k, v in sorted(assessment.assumption_overrides.items())],
                 widths=(60, 40))
    else:
        pdf.paragraph("Assumption overrides: none; every assumption is at its documented default.")
