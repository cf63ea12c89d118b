"""The ``planner`` command line: scripted and periodic re-assessment over the same engine as the app.

Commands: ``assess FILE [--json OUT] [--pdf OUT] [--save --project NAME]``, ``report ASSESSMENT_ID --pdf OUT``,
``history PROJECT [--json]``,
``export PROJECT --out FILE``, ``import FILE``, ``projects``; ``serving`` (planner/cli/serving.py) needs no
database. The database is the app's (DATABASE_URL,
default var/planner.db under the working directory).

Exit codes: 0 success, 1 invalid input (the message names the field), 2 usage errors (typer's own).
To add a command, decorate a function with ``@app.command()`` (or ``app.add_typer`` a group), do
the work through ``planner`` functions and let ``fail()`` turn a PlannerError into exit code 1.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Any, NoReturn, TextIO

import typer
from rich.console import Console
from rich.progress import BarColumn, TextColumn, TimeElapsedColumn
from rich.progress import Progress as RichProgress
from sqlalchemy import Engine

import planner
from planner import history, store
from planner.cli import adr as cli_adr
from planner.cli import backup as cli_backup
from planner.cli import items as cli_items
from planner.cli import members as cli_members
from planner.cli import prices as cli_prices
from planner.cli import serving as cli_serving
from planner.decide.results import Recommendation
from planner.decide.scoring import recommend, scale_text
from planner.errors import InputError, PlannerError
from planner.estimate.engine import Progress, evaluate
from planner.estimate.results import Evaluation
from planner.inputs.files import MAX_FILE_BYTES, parse_assessment, read_limited
from planner.inputs.models import Architecture, Assessment, InstancePrice
from planner.inputs.units import size_text
from planner.inputs.validation import validate_assessment
from planner.present import formats as fmt
from planner.present.report import build_report, build_saved_report
from planner.present.tables import budget_text, ranking_table, text_lines
from planner.present.warnings import budget_warnings

EXIT_INVALID = 1  # invalid input, or a database that refused: the message says what to change
STDOUT = "-"  # as an output file name: write to standard output

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__.split("\n\n")[0])


@app.callback()
def _root() -> None:
    """GenAI Architecture Planner: assess, compare over time, report."""


def main() -> None:
    """Console-script entry point (``planner`` in pyproject.toml); the store records its changes as "command line"
    (an instance admin: whoever runs it holds the database URL)."""
    store.set_actor_provider(store.command_line)
    app()


# Shared helpers ------------------------------------------------------------------------------------------


def fail(exc: PlannerError) -> NoReturn:
    """Print a planner error (each field on its own line) to standard error and exit with code 1."""
    typer.echo(f"error: {exc}", err=True)
    if isinstance(exc, InputError):
        for field, sentence in exc.field_errors.items():
            typer.echo(f"  {field}: {sentence}", err=True)
    raise typer.Exit(EXIT_INVALID)


def read_input(path: Path, limit: int, what: str) -> bytes:
    """A file's bytes, or standard input for ``-``; a file over ``limit`` bytes is refused in plain words
    with its real size (or "more than" the limit for a stream), after reading at most ``limit`` + 1 bytes."""
    if str(path) == STDOUT:
        return read_limited(sys.stdin.buffer, label="standard input", limit_bytes=limit, what=what)
    try:
        with path.open("rb") as handle:
            size = os.fstat(handle.fileno()).st_size if path.is_file() else None
            return read_limited(handle, label=path.name, limit_bytes=limit, what=what, size_bytes=size)
    except OSError as exc:
        raise InputError(f"{path} cannot be read: {exc.strerror}.") from exc


def write_output(path: Path, content: bytes) -> None:
    """Write bytes to a file (created or replaced), or to standard output for ``-``."""
    if str(path) == STDOUT:
        sys.stdout.buffer.write(content)
        sys.stdout.flush()
        return
    try:
        path.write_bytes(content)
    except OSError as exc:
        raise InputError(f"{path} cannot be written: {exc.strerror}.") from exc


def open_store() -> Engine:
    """The database of DATABASE_URL, migrated on first use."""
    return store.get_engine()


# assess --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AssessOutcome:
    """An assessed file: the validated inputs, the price rows used, the estimates and the recommendation."""

    assessment: Assessment
    prices: list[InstancePrice]
    evaluation: Evaluation
    recommendation: Recommendation


@contextmanager
def terminal_progress(stream: TextIO | None = None) -> Iterator[Progress | None]:
    """A progress bar of an evaluation's stages on a terminal (standard error); nothing when it is piped."""
    out = stream or sys.stderr
    if not out.isatty():
        yield None
        return
    with RichProgress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                      console=Console(file=out), transient=True) as bar:
        task = bar.add_task("Estimating", total=1.0)
        yield lambda stage, share: bar.update(task, description=f"Estimating: {stage}", completed=share)


def run_assessment(file: Path, *, project: str | None = None, label: str | None = None,
                   engine: Engine | None = None) -> AssessOutcome:
    """Read, validate (with a new project name or label if given), evaluate and recommend; PlannerError."""
    assessment = parse_assessment(read_input(file, MAX_FILE_BYTES, "an assessment file"), filename=file.name)
    if project is not None or label is not None:
        data = assessment.model_dump(mode="json")
        data.update({k: v for k, v in {"project": project, "label": label}.items() if v is not None})
        assessment = validate_assessment(data)
    if assessment.price_list is not None or assessment.sourcing.api_price_list is not None:  # read from the database
        engine = engine or open_store()
    prices = history.todays_pricing(engine, assessment)
    with terminal_progress() as progress:
        evaluation = evaluate(assessment, instances=prices.instances, gpus=prices.gpus, progress=progress,
                              api_prices=prices.apis)
    return AssessOutcome(assessment, prices.instances, evaluation, recommend(assessment, evaluation))


def save_outcome(engine: Engine, outcome: AssessOutcome, *, today: date) -> store.SavedId:
    """Save an assessed file with its price snapshot, stage-default revisit date and triggers (once: the same
    file assessed and saved again with the same results returns the id saved before)."""
    return history.save_evaluated(engine, outcome.assessment, outcome.recommendation, outcome.evaluation,
                                  prices=outcome.prices, today=today)


def summary_lines(outcome: AssessOutcome) -> list[str]:
    """The recommendation and each architecture's score, monthly cost and p95 latencies, in plain text."""
    rec, evaluation = outcome.recommendation, outcome.evaluation
    lines = [f"{outcome.assessment.project}" + (f" · {outcome.assessment.label}" if outcome.assessment.label else ""),
             f"Recommended: {rec.sourcing_text or rec.top.label} ({rec.confidence} confidence, lead {rec.margin:g} "
             "points)",
             rec.summary, scale_text(), "", *text_lines(ranking_table(rec, evaluation)), "",
             budget_text(outcome.assessment, evaluation), *budget_warnings(outcome.assessment, evaluation)]
    decision = evaluation.build_vs_buy
    if decision is not None:
        own = ("no allowed instance" if decision.self_hosted_monthly_usd is None
               else f"${decision.self_hosted_monthly_usd:,.0f} self-hosted")
        lines += ["", f"Build or buy inference: ${decision.api_monthly_usd:,.0f} a month through {decision.api_label}, "
                      f"{own}. {decision.break_even_text}", *[f"- {r}" for r in rec.sourcing_reasons]]
    lines += ["", "Re-assess when:"] + [f"- {t.text}" for t in rec.triggers]
    return lines


def outcome_document(outcome: AssessOutcome, saved_id: int | None) -> dict[str, Any]:
    """The JSON written by ``assess --json``: inputs, recommendation, estimates, and the saved id if any."""
    return {"app_version": planner.__version__, "saved_id": saved_id,
            "assessment": outcome.assessment.model_dump(mode="json"),
            **history.results_document(outcome.recommendation, outcome.evaluation),
            "build_vs_buy": build_vs_buy_document(outcome.evaluation)}


def build_vs_buy_document(evaluation: Evaluation) -> dict[str, Any] | None:
    """The managed API against self-hosting, in numbers (None when the assessment names no API): monthly inference
    cost of each at the assessment's traffic, the break-even volume, and the sourcing the estimates use."""
    decision = evaluation.build_vs_buy
    if decision is None:
        return None
    return {"api": decision.api_id, "api_label": decision.api_label,
            "requests_per_month": decision.requests_per_month,
            "api_monthly_usd": decision.api_monthly_usd, "self_hosted_monthly_usd": decision.self_hosted_monthly_usd,
            "self_hosted": decision.self_hosted_text,
            "break_even_requests_per_month": decision.break_even_requests_per_month,
            "break_even": decision.break_even_text, "cheaper": decision.cheaper.value, "chosen": decision.chosen.value,
            "reasons": list(decision.reasons), "ruled_out": list(decision.ruled_out),
            "rate_limit": decision.rate_limit.model_dump(mode="json"), "notes": list(decision.notes)}


@app.command()
def assess(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="Assessment file (JSON or YAML), - for stdin.")],
    json_out: Annotated[
        Path | None, typer.Option("--json", metavar="OUT", help="Write the results as JSON (- for stdout).")
    ] = None,
    save: Annotated[bool, typer.Option("--save", help="Save the assessment to the database.")] = False,
    project: Annotated[str | None, typer.Option(help="Project to save under (default: the file's project).")] = None,
    label: Annotated[str | None, typer.Option(help="Label of the saved assessment (default: the file's).")] = None,
    pdf_out: Annotated[
        Path | None, typer.Option("--pdf", metavar="OUT", help="Write the PDF report (- for stdout).")
    ] = None,
) -> None:
    """Evaluate an assessment file: recommendation, cost and latency of each architecture; optionally save it."""
    if project is not None and not save:
        raise typer.BadParameter("--project names where to save; add --save.", param_hint="--project")
    if json_out is not None and pdf_out is not None and str(json_out) == str(pdf_out) == STDOUT:
        raise typer.BadParameter("only one of --json and --pdf can write to stdout.", param_hint="--pdf")
    try:
        engine = open_store() if save else None
        outcome = run_assessment(file, project=project, label=label, engine=engine)
        saved_id = save_outcome(engine, outcome, today=history.today_utc()) if engine is not None else None
        if json_out is not None:
            document = json.dumps(outcome_document(outcome, saved_id), indent=2, ensure_ascii=False) + "\n"
            write_output(json_out, document.encode("utf-8"))
        if pdf_out is not None and engine is not None and saved_id is not None:
            # Saved: the report also quotes the revisit date and what changed since the project's previous one.
            write_output(pdf_out, build_saved_report(engine, assessment_id=saved_id))
        elif pdf_out is not None:
            write_output(pdf_out, build_report(outcome.assessment, outcome.evaluation, outcome.recommendation))
    except PlannerError as exc:
        fail(exc)
    if STDOUT not in (str(json_out), str(pdf_out)):
        typer.echo("\n".join(summary_lines(outcome)))
        if saved_id is not None:
            saved = "Saved as" if saved_id.created else "Already saved as"
            typer.echo(f"\n{saved} assessment #{saved_id} of “{outcome.assessment.project}”.")
        if pdf_out is not None:
            typer.echo(f"PDF report written to {pdf_out}.")


# report --------------------------------------------------------------------------------------------------


def write_and_say(path: Path, build: Callable[[], tuple[bytes, str]]) -> None:
    """Write what ``build`` makes to a file or standard output, then say so (unless it went to standard output).

    ``build`` returns the bytes and the sentence; a PlannerError while building or writing exits with code 1.
    """
    try:
        content, sentence = build()
        write_output(path, content)
    except PlannerError as exc:
        fail(exc)
    if str(path) != STDOUT:
        typer.echo(sentence)


@app.command("report")
def report_command(
    assessment_id: Annotated[int, typer.Argument(metavar="ASSESSMENT_ID", min=1,
                                                 help="Id of a saved assessment (see planner history).")],
    pdf_out: Annotated[Path, typer.Option("--pdf", metavar="OUT", help="PDF file to write (- for stdout).")],
    author: Annotated[str, typer.Option(help="Who prepared the report, for its title block.")] = "",
    prices: Annotated[history.PriceSource, typer.Option(
        help="saved: the estimates saved with it (made with its price snapshot); today: estimates made now "
             "with its price list as it is today (the built-in catalog when it names none).")] = "saved",
) -> None:
    """Write the PDF report of a saved assessment, with what changed since the project's previous one."""

    def build() -> tuple[bytes, str]:
        content = build_saved_report(open_store(), assessment_id=assessment_id, author=author, prices=prices)
        return content, f"Wrote the report of assessment #{assessment_id} to {pdf_out} ({size_text(len(content))})."

    write_and_say(pdf_out, build)


# history, projects ---------------------------------------------------------------------------------------


@app.command("history")
def history_command(
    project: Annotated[str, typer.Argument(metavar="PROJECT", help="Project name.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the timeline as JSON.")] = False,
    limit: Annotated[int, typer.Option(min=1, max=store.MAX_LIST_LIMIT, help="Newest assessments to show.")] = 200,
) -> None:
    """A project's assessments over time: recommendation, scores, costs, revisit date and fired triggers."""
    try:
        engine = open_store()
        stored = store.project_assessments(engine, project=project, limit=limit)
        summary = next(p for p in store.list_projects(engine) if p.name == project)
        status = history.project_status(engine, summary, history.today_utc())
    except PlannerError as exc:
        fail(exc)
    points = history.timeline(stored)
    if as_json:
        document = {"project": project, "archived": summary.archived,
                    "due": status.due, "revisit_by": status.revisit_by.isoformat() if status.revisit_by else None,
                    "fired_triggers": [f.model_dump(mode="json") for f in status.fired],
                    "assessments": [p.model_dump(mode="json") for p in points]}
        typer.echo(json.dumps(document, indent=2, ensure_ascii=False))
        return
    typer.echo(f"{project}{' (archived)' if summary.archived else ''}: {len(points)} assessment(s)")
    if not points:
        return
    typer.echo(f"{'#':>5}  {'Saved (UTC)':<17}{'Recommended':<15}{'Score':>6}{'Monthly cost':>14}{'p95 e2e':>11}"
               f"  {'Revisit by':<11} Label")
    for p in points:
        top = Architecture(p.recommended) if p.recommended in {a.value for a in Architecture} else None
        score = f"{p.scores[top]:.1f}" if top in p.scores else "—"
        cost = fmt.money(p.monthly_cost_usd.get(top)) if top else fmt.DASH
        e2e = fmt.ms(p.p95_e2e_ms.get(top), unit=True) if top else fmt.DASH
        typer.echo(f"{p.id:>5}  {p.created_at:%Y-%m-%d %H:%M}  {p.recommended.capitalize():<15}{score:>6}{cost:>14}"
                   f"{e2e:>11}  {p.revisit_by.isoformat():<11} {p.label}")
    if status.due and status.revisit_by is not None:
        typer.echo(f"\nDue: the revisit date {status.revisit_by.isoformat()} has passed; re-assess.")
    for fired in status.fired:
        ack = fired.acknowledgement
        if ack is None:
            typer.echo(f"Trigger fired: {fired.description}.")
        else:
            who = f" by {ack.by}" if ack.by else ""
            typer.echo(f"Trigger acknowledged{who} on {ack.at:%Y-%m-%d}: {fired.description}. Note: {ack.note}")


@app.command()
def projects(
    archived: Annotated[bool, typer.Option("--archived", help="List archived projects too.")] = False,
) -> None:
    """Every project with its number of assessments and the date of the latest one."""
    try:
        rows = store.list_projects(open_store())
    except PlannerError as exc:
        fail(exc)
    for p in rows:
        if p.archived and not archived:
            continue
        last = f"{p.last_assessed_at:%Y-%m-%d}" if p.last_assessed_at else "never"
        flag = "\tarchived" if p.archived else ""
        typer.echo(f"{p.name}\t{p.assessment_count} assessment(s)\tlast {last}{flag}")


# export, import ------------------------------------------------------------------------------------------


@app.command()
def export(
    project: Annotated[str, typer.Argument(metavar="PROJECT", help="Project name.")],
    out: Annotated[Path, typer.Option("--out", metavar="FILE", help="File to write: .json, .json.gz, or - (stdout).")],
) -> None:
    """Write a project and all its assessments (inputs, results, price snapshots) to a file."""
    try:
        document = store.export_project(open_store(), project=project, app_version=planner.__version__)
        write_output(out, store.dump_project_export(document, compress=out.name.endswith(".gz")))
    except PlannerError as exc:
        fail(exc)
    if str(out) != STDOUT:
        typer.echo(f"Exported {len(document.assessments)} assessment(s) of “{project}” to {out}.")


@app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="A project export (.json or .json.gz), or - for stdin.")],
    project: Annotated[str | None, typer.Option(help="Import under this project name instead of the file's.")] = None,
) -> None:
    """Add a project export's assessments to the database; the same file twice adds nothing."""
    try:
        export_file = store.parse_project_export(
            read_input(file, store.MAX_EXPORT_BYTES, "a project export"), filename=file.name)
        report = store.import_project(open_store(), export_file, project=project)
    except PlannerError as exc:
        fail(exc)
    skipped = f"; {report.skipped_duplicates} already present, skipped" if report.skipped_duplicates else ""
    created = "new project" if report.created_project else "existing project"
    typer.echo(f"Imported {len(report.imported_ids)} assessment(s) into “{report.project}” ({created}){skipped}.")


app.command("serving")(cli_serving.serving)
app.command("adr")(cli_adr.adr)
app.command("backup")(cli_backup.backup)
app.command("log")(cli_members.log)
app.add_typer(cli_prices.app, name="prices", help="Check, import, list and delete price lists (planner/cli/prices.py).")
app.add_typer(cli_members.app, name="members", help="List, add, change and remove project members "
                                                   "(planner/cli/members.py).")
app.add_typer(cli_items.app, name="items", help="List, export and change improvement items (planner/cli/items.py).")
