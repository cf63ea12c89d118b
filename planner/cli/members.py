"""``planner members`` and ``planner log``: a project's members and roles, and its audit log.

``planner members list PROJECT [--json]`` prints the members; ``planner members set PROJECT ADDRESS ROLE`` adds a
member or changes a role (viewer, editor, owner); ``planner members remove PROJECT ADDRESS`` takes one out. The
command line acts as an instance admin (it holds the database URL), so it can name the first owner of a project
made before sign-in was on. ``planner log PROJECT [--format text|csv|json] [--out FILE]`` writes the project's audit
log, newest first. Exit codes: 0 success, 1 an unknown project or member or an invalid value, 2 usage errors.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from planner import store
from planner.errors import PlannerError
from planner.present.audit import audit_csv, audit_lines, audit_rows
from planner.store.access import member_identity

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__.split("\n\n")[0])

ProjectArgument = Annotated[str, typer.Argument(metavar="PROJECT", help="Project name.")]
AddressArgument = Annotated[str, typer.Argument(metavar="ADDRESS", help="The e-mail address the person signs in with.")]


class LogFormat(StrEnum):
    """What ``planner log`` writes."""

    TEXT = "text"
    CSV = "csv"
    JSON = "json"


@app.command("list")
def list_(project: ProjectArgument,
          as_json: Annotated[bool, typer.Option("--json", help="Print the members as JSON.")] = False) -> None:
    """A project's members: address, role, who added them and when."""
    from planner.cli.commands import fail, open_store  # late: commands registers this group

    try:
        members = store.project_members(open_store(), project=project)
    except PlannerError as exc:
        fail(exc)
    if as_json:
        typer.echo(json.dumps([m.model_dump(mode="json") for m in members], ensure_ascii=False, indent=2))
    elif not members:
        typer.echo(f"“{project}” has no members: every signed-in user may read it and save to it as an editor.")
    else:
        for m in members:
            typer.echo(f"{m.member}  {m.role.value}  added by {m.added_by} on {m.added_at:%Y-%m-%d}")


@app.command("set")
def set_(project: ProjectArgument, member: AddressArgument,
         role: Annotated[str, typer.Argument(metavar="ROLE", help="viewer, editor or owner.")]) -> None:
    """Add a member, or change a member's role."""
    from planner.cli.commands import fail, open_store  # late: commands registers this group

    try:
        done = store.set_member(open_store(), project=project, member=member, role=role)
    except PlannerError as exc:
        fail(exc)
    typer.echo(f"{done.member} is {done.role.value} of “{project}”.")


@app.command("remove")
def remove(project: ProjectArgument, member: AddressArgument) -> None:
    """Take a member out of a project."""
    from planner.cli.commands import fail, open_store  # late: commands registers this group

    try:
        store.remove_member(open_store(), project=project, member=member)
    except PlannerError as exc:
        fail(exc)
    typer.echo(f"{member_identity(member)} was removed from “{project}”.")


OutOption = Annotated[Path, typer.Option("--out", metavar="FILE", help="Write here (- : standard output).")]


def log(project: ProjectArgument,
        fmt: Annotated[LogFormat, typer.Option("--format", help="text, csv or json.")] = LogFormat.TEXT,
        out: OutOption = Path("-")) -> None:
    """A project's audit log, newest first: who did what, and when."""
    from planner.cli.commands import fail, open_store, write_output  # late: commands registers this command

    try:
        events = store.project_log(open_store(), project=project)
    except PlannerError as exc:
        fail(exc)
    if fmt is LogFormat.CSV:
        text = audit_csv(events)
    elif fmt is LogFormat.JSON:
        text = json.dumps(audit_rows(events), ensure_ascii=False, indent=2) + "\n"
    else:
        text = "".join(f"{line}\n" for line in audit_lines(events)) or f"Nothing is logged for “{project}” yet.\n"
    try:
        write_output(out, text.encode("utf-8"))
    except PlannerError as exc:
        fail(exc)
