"""How an evaluation and a recommendation are shown: figures, tables, charts and the PDF report.

One layer for every reader, so the Results page, the PDF report and the command line show the same
numbers the same way:

- ``formats``: one function per kind of figure (money, milliseconds, percentages, availability, counts).
- ``tables``: the rows of each table (estimates, fleet, cost lines, latency, resilience, readiness gaps),
  as a ``Table`` the page renders as a data frame, the report as a grid and the CLI as text.
- ``charts``: the Altair specifications the page shows and the report renders to PNG.
- ``report`` (with ``report_sections``, ``changes`` and ``pdf_layout``): the PDF report.

Nothing here imports streamlit; nothing here computes an estimate.
"""

from planner.present import formats
from planner.present.changes import WhatChanged, changes_between, what_changed
from planner.present.charts import (
    contributions_chart,
    cost_chart,
    driver_label,
    gpu_hour_chart,
    latency_chart,
    resilience_chart,
    token_cost_chart,
)
from planner.present.report import build_report, build_saved_report, report_filename
from planner.present.tables import Table, text_lines

__all__ = [
    "Table",
    "WhatChanged",
    "build_report",
    "build_saved_report",
    "changes_between",
    "contributions_chart",
    "cost_chart",
    "driver_label",
    "formats",
    "gpu_hour_chart",
    "latency_chart",
    "report_filename",
    "resilience_chart",
    "text_lines",
    "token_cost_chart",
    "what_changed",
]
