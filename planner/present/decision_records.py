"""Architecture decision records in the MADR format, numbered per project, from saved assessments.

A project's saved assessments, oldest first, form a chain of records: the first opens record 0001, and each
later one whose decision differs from the record in force (another top architecture, or another inference
sourcing: self-hosted, or a managed API by id) opens the next record, which supersedes the one before;
an assessment with the same decision confirms the record in force. ``chain`` computes that from the saved
results alone (nothing is stored), so a record's status is always current: "accepted" for the last,
"superseded by NNNN" for the others; an assessment not saved yet gives a "proposed" record.

``render`` writes one record (title; status, date, deciders; context and problem statement; decision drivers:
the largest named contributions; considered options; decision outcome with its justification; consequences:
roadmap and readiness gaps; confirmation: revisit date and triggers; pros and cons of each option with its
cost, p95 latency and availability; a link back to the assessment). Every piece of text people typed (project,
label, notes, names) and every reason is escaped (``planner.present.markdown``), so it reads exactly as typed.
File names follow the usual decision-record tools: ``0001-choose-the-architecture-of-<project>.md``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from urllib.parse import quote

from sqlalchemy import Engine

from planner.decide.results import Contribution, Recommendation
from planner.errors import StoreError
from planner.estimate.results import Evaluation
from planner.history.snapshots import stored_evaluation, stored_recommendation
from planner.inputs.models import Architecture, Assessment, Sourcing
from planner.present.markdown import escape, one_line
from planner.present.tables import Table
from planner.store import StoredAssessment, project_assessments
from planner.store.workshop_provenance import workshop_answers

DRIVERS_SHOWN = 6  # the largest contributions of the chosen architecture quoted as decision drivers
POINTS_SHOWN = 4  # good and bad points per option
SLUG_MAX_CHARS = 50
INDEX_FILE = "index.md"
MAX_RECORDS = 1_000  # saved assessments of a project read for its chain (the store lists at most this many)
SAVED_RESULT_PATH = "saved-result"  # the app's page of a saved assessment (app.py), opened by ?assessment=ID


@dataclass(frozen=True)
class Decided:
    """One assessment as a decision: what was answered, recommended and estimated, when and by whom."""

    assessment: Assessment
    recommendation: Recommendation
    evaluation: Evaluation | None
    on: date
    assessment_id: int | None = None  # None: not saved yet (a proposed record)
    revisit_by: date | None = None
    deciders: tuple[str, ...] = ()


@dataclass(frozen=True)
class RecordEntry:
    """One record of a project's chain: the assessment that opened it, those that confirmed it, its neighbours."""

    number: int
    opened_by: Decided
    confirmed_by: tuple[Decided, ...] = ()
    supersedes: int | None = None
    superseded_by: int | None = None

    @property
    def status(self) -> str:
        """'proposed', 'accepted' or 'superseded by NNNN'."""
        if self.opened_by.assessment_id is None:
            return "proposed"
        return "accepted" if self.superseded_by is None else f"superseded by {self.superseded_by:04d}"


def decision_key(decided: Decided) -> tuple[str, str]:
    """What a record decides: the top architecture and how inference is sourced (an API by its id)."""
    evaluation = decided.evaluation
    sourcing = "self_hosted"
    if evaluation is not None and evaluation.sourcing is Sourcing.API and evaluation.build_vs_buy is not None:
        sourcing = f"api:{evaluation.build_vs_buy.api_id}"
    return decided.recommendation.top.value, sourcing


def chain(decisions: Sequence[Decided]) -> list[RecordEntry]:
    """The records of a project's assessments, given oldest first (module docstring)."""
    entries: list[RecordEntry] = []
    for decided in decisions:
        if entries and decision_key(entries[-1].opened_by) == decision_key(decided):
            last = entries[-1]
            entries[-1] = RecordEntry(number=last.number, opened_by=last.opened_by, supersedes=last.supersedes,
                                      confirmed_by=(*last.confirmed_by, decided))
            continue
        if entries:
            last = entries[-1]
            entries[-1] = RecordEntry(number=last.number, opened_by=last.opened_by, supersedes=last.supersedes,
                                      confirmed_by=last.confirmed_by, superseded_by=last.number + 1)
        entries.append(RecordEntry(number=len(entries) + 1, opened_by=decided,
                                   supersedes=entries[-1].number if entries else None))
    return entries


def entry_of(entries: Sequence[RecordEntry], assessment_id: int) -> RecordEntry | None:
    """The record an assessment opened or confirmed."""
    for entry in entries:
        if assessment_id in {d.assessment_id for d in (entry.opened_by, *entry.confirmed_by)}:
            return entry
    return None


def slug(project: str) -> str:
    """The project's name as a file-name part: lower case letters and digits joined by single hyphens."""
    words = re.findall(r"[a-z0-9]+", project.lower())
    return "-".join(words)[:SLUG_MAX_CHARS].strip("-") or "project"


def title(project: str) -> str:
    return f"Choose the architecture of {project}"


def file_name(number: int, project: str) -> str:
    """``0001-choose-the-architecture-of-<project>.md``."""
    return f"{number:04d}-choose-the-architecture-of-{slug(project)}.md"


def _money(usd: float) -> str:
    return f"${usd:,.0f}"


def _context(assessment: Assessment) -> list[str]:
    w, t = assessment.workload, assessment.team
    lines = [
        f"{escape(assessment.project)} serves {w.mean_requests_per_s:g} requests/s on average and "
        f"{w.peak_requests_per_s:g} at peak ({w.traffic_shape.value.replace('_', ' ')} traffic), each of about "
        f"{w.mean_input_tokens:,} input and {w.mean_output_tokens:,} output tokens, with the model "
        f"`{w.model_id}`. Targets: p95 time to first token {w.p95_ttft_ms:,.0f} ms, p95 end to end "
        f"{w.p95_e2e_ms:,.0f} ms, availability {w.availability_target_pct:g} %. The model changes "
        f"{w.model_updates_per_month:g}x a month; {w.deploys_per_week:g} code deploys a week come from "
        f"{w.teams_contributing} team(s).",
        "",
        f"The team: {t.team_size} engineers, {t.platform_headcount} on platform/SRE, readiness levels "
        + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in t.levels().items())
        + f" (of 4); infrastructure budget {_money(t.monthly_budget_usd)} a month; stage {t.stage.value}.",
    ]
    if assessment.notes:
        lines += ["", f"Notes: {one_line(assessment.notes)}"]
    return lines


def _option_numbers(evaluation: Evaluation | None, architecture: Architecture) -> str:
    if evaluation is None or architecture not in evaluation.estimates:
        return "No estimates saved."
    e = evaluation.estimate(architecture)
    availability = (f", availability {e.resilience.availability_pct:.3f} %" if e.resilience is not None else "")
    return (f"{_money(e.monthly_cost_usd)} a month, p95 time to first token {e.ttft.p95_ms:,.0f} ms and end to end "
            f"{e.e2e.p95_ms:,.0f} ms at peak{availability}; inference {one_line(e.inference_text or 'self-hosted')}.")


def _points(contributions: Sequence[Contribution]) -> list[str]:
    good = [c for c in contributions if c.points > 0][:POINTS_SHOWN]
    bad = [c for c in contributions if c.points < 0][:POINTS_SHOWN]
    return ([f"* Good, because {one_line(c.reason)} (+{c.points:g} points)" for c in good]
            + [f"* Bad, because {one_line(c.reason)} ({c.points:g} points)" for c in bad])


def _options(decided: Decided) -> list[str]:
    rec, evaluation = decided.recommendation, decided.evaluation
    lines = ["## Pros and Cons of the Options", ""]
    for score in rec.ranked:
        lines += [f"### {score.architecture.label}", "",
                  f"Score {score.score:g} points. {_option_numbers(evaluation, score.architecture)}", "",
                  *_points(score.contributions), ""]
    decision = evaluation.build_vs_buy if evaluation is not None else None
    if decision is not None:
        own = (_money(decision.self_hosted_monthly_usd) if decision.self_hosted_monthly_usd is not None
               else "not possible on the allowed instances")
        lines += ["### Inference: self-hosted GPUs or a managed API", "",
                  f"{one_line(decision.api_label)}: {_money(decision.api_monthly_usd)} a month of tokens; "
                  f"self-hosted: {own}. {one_line(decision.break_even_text)}", ""]
        lines += [f"* {'Good' if f.favours is Sourcing.API else 'Bad'} for the API, because {one_line(f.reason)} "
                  f"({one_line(f.driver)})" for f in decision.factors]
        lines.append("")
    return lines


def _considered(decided: Decided) -> list[str]:
    lines = [f"* {s.architecture.label}" for s in decided.recommendation.ranked]
    evaluation = decided.evaluation
    if evaluation is not None and evaluation.build_vs_buy is not None:
        lines += ["* Inference on self-hosted GPUs",
                  f"* Inference through {one_line(evaluation.build_vs_buy.api_label)}"]
    return lines


def _outcome(decided: Decided) -> list[str]:
    rec = decided.recommendation
    chosen = rec.sourcing_text or rec.top.label
    summary = rec.summary.removeprefix(f"{chosen}. ")  # the summary opens with the headline where it has one
    lines = ["## Decision Outcome", "",
             f"Chosen option: \"{one_line(chosen)}\", because {one_line(summary)} "
             f"Confidence: {rec.confidence} (a lead of {rec.margin:g} points).", ""]
    lines += [f"* {one_line(r)}" for r in rec.sourcing_reasons]
    lines += ["", "### Consequences", ""]
    lines += [f"* {one_line(stage.title)}: {one_line(stage.detail)}" for stage in rec.roadmap]
    gaps = [g for g in rec.gaps if g.architecture is rec.top]
    lines += [f"* Readiness gap: {one_line(g.label)} is at level {g.current}, {rec.top.label.lower()} needs "
              f"{g.required}: {one_line(g.next_step)}" for g in gaps]
    lines += ["", "### Confirmation", ""]
    if decided.revisit_by is not None:
        lines.append(f"* Revisit by {decided.revisit_by.isoformat()}.")
    lines += [f"* Re-assess when {one_line(t.text)}." for t in rec.triggers]
    return [*lines, ""]


def _link(decided: Decided, base_url: str | None) -> str:
    if decided.assessment_id is None:
        return "Not saved yet: save the assessment to keep this record in the project's chain."
    where = f"saved assessment #{decided.assessment_id}"
    if base_url:
        url = f"{base_url.rstrip('/')}/{SAVED_RESULT_PATH}?assessment={quote(str(decided.assessment_id))}"
        where = f"[{where}](<{url}>)"
    return (f"From {where} of {decided.on.isoformat()}; its PDF: `planner report {decided.assessment_id} --pdf "
            f"report.pdf`.")


def render(entry: RecordEntry, project: str, *, decided: Decided | None = None, base_url: str | None = None,
           app_version: str = "") -> str:
    """One record as MADR Markdown: from the assessment that opened it, or from ``decided`` (one that confirmed it,
    or a proposed one), numbered and with the status of ``entry``."""
    decided = decided or entry.opened_by
    rec = decided.recommendation
    deciders = ", ".join(one_line(d) for d in decided.deciders) or "not recorded"
    status = entry.status if decided.assessment_id is not None or entry.opened_by is decided else "proposed"
    if entry.superseded_by is not None and status != "proposed":
        status = (f"superseded by [{entry.superseded_by:04d}]({file_name(entry.superseded_by, project)})")
    top_drivers = sorted(rec.score_of(rec.top).contributions, key=lambda c: -abs(c.points))[:DRIVERS_SHOWN]
    lines = [f"# {entry.number:04d}. {escape(title(project))}", "",
             f"* Status: {status}", f"* Date: {decided.on.isoformat()}", f"* Deciders: {deciders}"]
    if entry.supersedes is not None:
        lines.append(f"* Supersedes: [{entry.supersedes:04d}]({file_name(entry.supersedes, project)})")
    confirmed = [d for d in entry.confirmed_by if d is not decided and d.assessment_id is not None]
    if confirmed:
        lines.append("* Confirmed by: " + ", ".join(f"assessment #{d.assessment_id} ({d.on.isoformat()})"
                                                    for d in confirmed))
    lines += ["", "## Context and Problem Statement", "", *_context(decided.assessment), "",
              "Which architecture (a monolith, a hybrid of a monolithic core with separately scaled inference, or "
              "microservices)" + (", with inference on its own GPUs or through a managed API,"
                                  if decided.evaluation is not None and decided.evaluation.build_vs_buy is not None
                                  else "") + " should the platform be built on?", "",
              "## Decision Drivers", "",
              *[f"* {one_line(c.reason)} ({'+' if c.points > 0 else ''}{c.points:g} points for "
                f"{rec.top.label.lower()})" for c in top_drivers], "",
              "## Considered Options", "", *_considered(decided), "", *_outcome(decided), *_options(decided),
              "## More Information", "", _link(decided, base_url),
              f"Written by GenAI Architecture Planner{' ' + app_version if app_version else ''}.", ""]
    return "\n".join(lines)


def records_table(entries: Sequence[RecordEntry]) -> Table:
    """The chain as a table: number, status, date, decision, the assessment that opened it and those confirming it."""
    return Table(("Record", "Status", "Date", "Decision", "Opened by", "Confirmed by"), tuple(
        (f"{e.number:04d}", e.status, e.opened_by.on.isoformat(),
         e.opened_by.recommendation.sourcing_text or e.opened_by.recommendation.top.label,
         f"#{e.opened_by.assessment_id}", ", ".join(f"#{d.assessment_id}" for d in e.confirmed_by) or "—")
        for e in entries))


def index(entries: Sequence[RecordEntry], project: str) -> str:
    """The project's list of records with their status, linking each file."""
    lines = [f"# Decision records of {escape(project)}", ""]
    for entry in entries:
        rec = entry.opened_by.recommendation
        chosen = one_line(rec.sourcing_text or rec.top.label)
        lines.append(f"* [{entry.number:04d}. {escape(title(project))}]({file_name(entry.number, project)}): "
                     f"{entry.status} ({entry.opened_by.on.isoformat()}, {chosen})")
    return "\n".join([*lines, ""])


# Loading a project's decisions ------------------------------------------------------------------------------


def decided(engine: Engine, stored: StoredAssessment, *, deciders: tuple[str, ...] = ()) -> Decided | None:
    """One saved assessment as a decision (None when its saved results hold no readable recommendation). The
    deciders of a workshop's consensus are its participants; of any other assessment, ``deciders``."""
    recommendation = stored_recommendation(stored)
    if recommendation is None:
        return None
    participants = tuple(p.display_name for p in workshop_answers(engine, assessment_id=stored.id))
    return Decided(assessment=stored.assessment, recommendation=recommendation, evaluation=stored_evaluation(stored),
                   on=stored.created_at.date(), assessment_id=stored.id, revisit_by=stored.revisit_by,
                   deciders=participants or deciders)


def project_decisions(engine: Engine, project: str, *, deciders: tuple[str, ...] = ()) -> list[Decided]:
    """The project's saved assessments that are not archived, as decisions, oldest first."""
    rows = sorted(project_assessments(engine, project=project, limit=MAX_RECORDS), key=lambda s: (s.created_at, s.id))
    found = (decided(engine, s, deciders=deciders) for s in rows)
    return [d for d in found if d is not None]


def project_records(engine: Engine, project: str, *, deciders: tuple[str, ...] = (), base_url: str | None = None,
                    app_version: str = "") -> dict[str, str]:
    """Every record of a project by file name, and its index (``INDEX_FILE``)."""
    entries = chain(project_decisions(engine, project, deciders=deciders))
    files = {file_name(e.number, project): render(e, project, base_url=base_url, app_version=app_version)
             for e in entries}
    return {**files, INDEX_FILE: index(entries, project)}


def assessment_record(engine: Engine, assessment_id: int, *, deciders: tuple[str, ...] = (),
                      base_url: str | None = None, app_version: str = "") -> tuple[str, str]:
    """The record of one saved assessment (the one it opened or confirmed, with its own numbers): file name, text."""
    from planner.store import load_assessment

    stored = load_assessment(engine, assessment_id=assessment_id)
    project = stored.assessment.project
    decisions = project_decisions(engine, project, deciders=deciders)
    entries = chain(decisions)
    entry = entry_of(entries, assessment_id)
    own = next((d for d in decisions if d.assessment_id == assessment_id), None)
    if entry is None or own is None:  # archived, or saved without a readable recommendation
        own = decided(engine, stored, deciders=deciders)
        if own is None:
            raise StoreError(f"Saved assessment #{assessment_id} holds no recommendation to record.")
        entry = RecordEntry(number=len(entries) + 1, opened_by=own)
    return file_name(entry.number, project), render(entry, project, decided=own, base_url=base_url,
                                                    app_version=app_version)


def proposed_record(engine: Engine | None, proposal: Decided, *, base_url: str | None = None,
                    app_version: str = "") -> tuple[str, str]:
    """The record of an assessment not saved yet: the next number of its project's chain (or the number in force
    when it confirms that decision), status proposed."""
    project = proposal.assessment.project
    try:
        decisions = project_decisions(engine, project) if engine is not None else []
    except StoreError:  # a project with nothing saved
        decisions = []
    entries = chain(decisions)
    last = entries[-1] if entries else None
    if last is not None and decision_key(last.opened_by) == decision_key(proposal):
        entry = RecordEntry(number=last.number, opened_by=proposal, supersedes=last.supersedes)
    else:
        entry = RecordEntry(number=len(entries) + 1, opened_by=proposal,
                            supersedes=last.number if last is not None else None)
    return file_name(entry.number, project), render(entry, project, base_url=base_url, app_version=app_version)
