"""``planner adr``: architecture decision records (MADR) of saved assessments (planner.present.decision_records).

``planner adr ASSESSMENT_ID [--out FILE]`` writes the record of one saved assessment (standard output by
default); ``planner adr --project NAME --dir DIR`` writes every record of the project, numbered, with an index
file and the supersede links between them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

import planner
from planner.errors import InputError, PlannerError
from planner.present.decision_records import assessment_record, project_records
from planner.store.settings import public_url


def adr(
    assessment_id: Annotated[int | None, typer.Argument(
        metavar="[ASSESSMENT_ID]", min=1, help="A saved assessment's id: write its record.")] = None,
    out: Annotated[Path | None, typer.Option("--out", metavar="FILE",
                                             help="File for the one record (default: standard output).")] = None,
    project: Annotated[str | None, typer.Option(help="Write every record of this project (with --dir).")] = None,
    directory: Annotated[Path | None, typer.Option("--dir", metavar="DIR",
                                                   help="Folder for the project's records and index.")] = None,
    decider: Annotated[list[str] | None, typer.Option(
        help="Who decided (repeat for several); a workshop's consensus names its participants.")] = None,
) -> None:
    """Write architecture decision records (MADR) of saved assessments."""
    from planner.cli.commands import fail, open_store, write_output  # late: commands registers this command

    deciders = tuple(decider or ())
    base_url = public_url() or None  # the records' links back to their assessments
    try:
        if (assessment_id is None) == (project is None):
            raise InputError("Give either an ASSESSMENT_ID or --project NAME (with --dir DIR).")
        if project is not None:
            if directory is None:
                raise InputError("--project needs --dir DIR: the folder to write the records into.")
            files = project_records(open_store(), project, deciders=deciders, base_url=base_url,
                                    app_version=planner.__version__)
            directory.mkdir(parents=True, exist_ok=True)
            for name, text in files.items():
                write_output(directory / name, text.encode("utf-8"))
            typer.echo(f"Wrote {len(files) - 1} decision record(s) of “{project}” and index.md to {directory}.")
            return
        assert assessment_id is not None
        name, text = assessment_record(open_store(), assessment_id, deciders=deciders, base_url=base_url,
                                       app_version=planner.__version__)
        if out is None:
            typer.echo(text, nl=False)
            return
        write_output(out, text.encode("utf-8"))
        typer.echo(f"Wrote {name} (the record of assessment #{assessment_id}) to {out}.")
    except (PlannerError, OSError) as exc:
        fail(exc if isinstance(exc, PlannerError) else InputError(f"Cannot write the records: {exc}"))
