"""The ``planner`` command line: scripted and periodic re-assessment over the same engine as the app.

Exit codes: 0 success, 1 invalid input (the message names the field), 2 usage errors (typer's own).
"""

from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)


@app.callback()
def _root() -> None:
    """GenAI Architecture Planner: assess, compare over time, report."""


def main() -> None:
    """Console-script entry point (``planner`` in pyproject.toml)."""
    app()
