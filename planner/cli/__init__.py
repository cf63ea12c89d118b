"""The ``planner`` command line: scripted and periodic re-assessment over the same engine as the app.

``commands`` holds assess, report, history, projects, export and import; ``prices`` the ``planner prices``
group. ``main`` is the console script (pyproject.toml), ``app`` the typer application tests drive.
"""

from planner.cli.commands import app, main

__all__ = ["app", "main"]
