"""``planner items``: a project's improvement items (readiness gaps and roadmap steps kept across re-assessments).

``planner items list PROJECT [--status S] [--json]`` prints them; ``planner items export PROJECT --format csv|md
[--out FILE]`` writes the CSV that issue trackers import or a Markdown list (standard output by default);
``planner items set ITEM_ID [--status S] [--owner NAME] [--due YYYY-MM-DD] [--by NAME] [--note TEXT]`` changes
one (ITEM-12 or 12; ``--due none`` and ``--owner ''`` clear). Statuses: open, in_progress, done, wont_do (or in
words: "in progress", "won't do"). Saving an assessment opens, closes and reopens items by itself
(``planner.store.items``). Exit codes: 0 success, 1 an unknown project or item or an invalid value, 2 usage errors.
"""

from __future__ import annotations

import json
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from planner.errors import InputError, PlannerError
from planner.present.items import item_document, items_csv, items_markdown, items_table, status_counts
from planner.present.tables import text_lines
from planner.store import items as item_store

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__.split("\n\n")[0])

ProjectArgument = Annotated[str, typer.Argument(metavar="PROJECT", help="Project name.")]
StatusOption = Annotated[list[str] | None, typer.Option(
    "--status", metavar="S", help="Only items of this status (repeat for several): open, in_progress, done, wont_do.")]
NO_DATE = ("", "none", "-")  # --due values that clear the due date


def _statuses(texts: list[str] | None) -> list[item_store.ItemStatus] | None:
    found = [item_store.checked_status(t) for t in texts or ()]
    return [s for s in found if s is not None] or None


class ExportFormat(StrEnum):
    """What ``planner items export`` writes."""

    CSV = "csv"
    MD = "md"


def _due(text: str | None) -> date | item_store.Keep | None:
    if text is None:
        return item_store.KEEP
    if text.strip().lower() in NO_DATE:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        sentence = f"The due date “{text}” is not a date: give it as YYYY-MM-DD, or none to clear it."
        raise InputError(sentence, {"due": sentence}) from None


@app.command("list")
def list_(project: ProjectArgument, status: StatusOption = None,
          as_json: Annotated[bool, typer.Option("--json", help="Print the items as JSON.")] = False) -> None:
    """A project's improvement items: id, item, source, status, priority, owner, due date."""
    from planner.cli.commands import fail, open_store  # late: commands registers this group

    try:
        found = item_store.project_items(open_store(), project=project, statuses=_statuses(status))
    except PlannerError as exc:
        fail(exc)
    if as_json:
        typer.echo(json.dumps([item_document(i) for i in found], ensure_ascii=False, indent=2))
        return
    if not found:
        typer.echo(f"No improvement items of “{project}”{' with that status' if status else ''}.")
        return
    typer.echo("\n".join(text_lines(items_table(found))))
    typer.echo(f"\n{len(found)} item(s): {status_counts(found)}.")


@app.command("export")
def export(
    project: ProjectArgument,
    file_format: Annotated[ExportFormat, typer.Option(
        "--format", help="csv (Summary, Description, Labels, Priority, Due date, Status: what issue trackers "
                         "import) or md (Markdown).")],
    out: Annotated[Path | None, typer.Option("--out", metavar="FILE", help="File to write (default: standard "
                                                                            "output).")] = None,
    status: StatusOption = None,
) -> None:
    """Write a project's improvement items as CSV for an issue tracker, or as Markdown."""
    from planner.cli.commands import STDOUT, fail, open_store, write_output  # late: commands registers this group

    try:
        found = item_store.project_items(open_store(), project=project, statuses=_statuses(status))
        text = items_csv(found) if file_format is ExportFormat.CSV else items_markdown(found, project)
        write_output(out or Path(STDOUT), text.encode("utf-8"))
    except PlannerError as exc:
        fail(exc)
    if out is not None and str(out) != STDOUT:
        typer.echo(f"Wrote {len(found)} improvement item(s) of “{project}” to {out}.")


@app.command("set")
def set_(
    item_id: Annotated[str, typer.Argument(metavar="ITEM_ID", help="The item: ITEM-12 or 12.")],
    status: Annotated[str | None, typer.Option("--status", metavar="S", help="open, in_progress, done or "
                                                                             "wont_do.")] = None,
    owner: Annotated[str | None, typer.Option("--owner", metavar="NAME", help="Who owns it ('' clears).")] = None,
    due: Annotated[str | None, typer.Option("--due", metavar="YYYY-MM-DD", help="Due date (none clears).")] = None,
    by: Annotated[str, typer.Option("--by", metavar="NAME", help="Who makes the change (kept with it).")] = "",
    note: Annotated[str, typer.Option("--note", metavar="TEXT", help="Why the status changes.")] = "",
) -> None:
    """Change an item's status, owner or due date; a change of status is kept with --by, the time and --note."""
    from planner.cli.commands import fail, open_store  # late: commands registers this group

    try:
        if status is None and owner is None and due is None:
            raise InputError("Give at least one of --status, --owner and --due.")
        item = item_store.set_item(open_store(), item_id=item_store.parse_item_id(item_id), status=status,
                                   owner=owner, due=_due(due), by=by, note=note)
    except PlannerError as exc:
        fail(exc)
    due_text = item.due.isoformat() if item.due else "none"
    typer.echo(f"{item.display_id} of “{item.project}”: {item.status.label}; owner {item.owner or 'none'}; "
               f"due {due_text}.")
