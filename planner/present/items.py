"""Improvement items as tables and files: the page's and CLI's table, a CSV for issue trackers, Markdown, JSON.

``items_csv`` writes one row per item with exactly the columns issue trackers import (Jira's CSV importer, and
Linear's and GitHub's tools, map them by name): Summary, Description, Labels, Priority, Due date, Status.
Labels are ``architecture-planner,readiness|roadmap,<architecture>``; the priority follows the gap's size (the
readiness levels missing: 3 or more Highest, 2 High, 1 Medium) or the step's place in the roadmap (the first
High, the second Medium, later Low). Every cell opens with the planner's own words, and one that would open
with a spreadsheet formula character is prefixed with an apostrophe, so typed text never runs as a formula.

``items_markdown`` writes a summary table and each item with its history; every piece of typed text (project,
owner, names, notes) goes through ``planner.present.markdown.escape``/``one_line``, so it reads as typed.
``changes_per_assessment`` counts what each assessment opened, reopened and closed (the page's chart).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from planner.present.markdown import escape, one_line
from planner.present.tables import Table
from planner.store.item_sync import ItemStatus
from planner.store.items import Item, ItemEvent

CSV_COLUMNS = ("Summary", "Description", "Labels", "Priority", "Due date", "Status")
TABLE_COLUMNS = ("ID", "Item", "Source", "Status", "Priority", "Owner", "Due", "In latest")
FLOW_COLUMNS = ("Assessment", "Date", "Opened", "Reopened", "Done")
APP_LABEL = "architecture-planner"  # the label every exported item carries
FORMULA_START = tuple("=+-@\t\r")  # a cell opening with one of these runs as a formula in spreadsheets
DASH = "—"


def priority(item: Item) -> str:
    """Highest, High, Medium or Low: by the readiness levels a gap misses, or by a step's place in the roadmap."""
    if item.kind == "gap":
        return "Highest" if item.size >= 3 else "High" if item.size == 2 else "Medium"
    return "High" if item.size <= 1 else "Medium" if item.size == 2 else "Low"


def labels(item: Item) -> str:
    """``architecture-planner,readiness,<architecture>`` (a gap) or ``...,roadmap,<architecture>`` (a step)."""
    return ",".join((APP_LABEL, "readiness" if item.kind == "gap" else "roadmap", item.architecture.value))


def event_text(event: ItemEvent) -> str:
    """One change of status in plain words: when, from what to what, by whom, and the note."""
    change = "opened" if event.previous is None else f"{event.previous.label} → {event.status.label}"
    note = f": {event.note}" if event.note else ""
    return f"{event.at:%Y-%m-%d %H:%M} UTC, {change} by {event.who}{note}"


def description(item: Item) -> str:
    """The Description cell: what to do, where it came from, the project, the item's ids, owner and history."""
    found = "named by" if item.named else "no longer named by"
    lines = [item.detail, "",
             f"{item.source} of the {item.architecture.label.lower()} architecture, {found} the latest assessment.",
             f"Project: {item.project}. Planner item {item.display_id} ({item.key}).",
             f"Owner: {item.owner or 'not set'}.", "History:", *(f"- {event_text(e)}" for e in item.events)]
    return "\n".join(lines)


def _cell(text: str) -> str:
    return f"'{text}" if text.startswith(FORMULA_START) else text


def items_csv(items: Sequence[Item]) -> str:
    """The items as CSV for an issue tracker's import: ``CSV_COLUMNS``, one row per item (module docstring)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for item in items:
        writer.writerow([_cell(text) for text in (
            item.title, description(item), labels(item), priority(item),
            item.due.isoformat() if item.due else "", item.status.label)])
    return out.getvalue()


def items_table(items: Sequence[Item]) -> Table:
    """The items as a table (``TABLE_COLUMNS``), in the order given."""
    return Table(TABLE_COLUMNS, tuple(
        (item.display_id, item.title, f"{item.source} ({item.architecture.label})", item.status.label, priority(item),
         item.owner or DASH, item.due.isoformat() if item.due else DASH, "yes" if item.named else "no")
        for item in items))


def status_counts(items: Sequence[Item]) -> str:
    """How many items have each status, e.g. '3 open, 1 in progress, 2 done, 0 won't do'."""
    return ", ".join(f"{sum(i.status is s for i in items)} {s.label.lower()}" for s in ItemStatus)


def items_markdown(items: Sequence[Item], project: str) -> str:
    """The items of a project as Markdown: a table, then each item with its detail and history (module docstring)."""
    lines = [f"# Improvement items of {escape(project)}", "", f"{len(items)} items: {status_counts(items)}.", ""]
    if items:
        table = items_table(items)
        lines += ["| " + " | ".join(table.columns) + " |", "|" + "---|" * len(table.columns)]
        lines += ["| " + " | ".join(one_line(cell) for cell in row) + " |" for row in table.rows]
        lines.append("")
    for item in items:
        lines += [f"## {item.display_id}. {one_line(item.title)}", "", escape(item.detail), "",
                  f"* Source: {item.source.lower()} of the {item.architecture.label.lower()} architecture "
                  f"({escape(item.key)}), {'named by' if item.named else 'no longer named by'} the latest assessment",
                  f"* Status: {item.status.label}; priority {priority(item)}",
                  f"* Owner: {one_line(item.owner) if item.owner else 'not set'}",
                  f"* Due: {item.due.isoformat() if item.due else 'not set'}",
                  "* History:", *(f"  * {one_line(event_text(e))}" for e in item.events), ""]
    return "\n".join(lines)


def item_document(item: Item) -> dict[str, Any]:
    """An item as JSON (``planner items list --json``)."""
    return {"id": item.display_id, "number": item.id, "project": item.project, "key": item.key, "kind": item.kind,
            "architecture": item.architecture.value, "title": item.title, "detail": item.detail,
            "status": item.status.value, "priority": priority(item), "owner": item.owner,
            "due": item.due.isoformat() if item.due else None, "named_by_latest": item.named,
            "events": [{"status": e.status.value, "previous": e.previous.value if e.previous else None, "by": e.by,
                        "note": e.note, "at": e.at.isoformat(), "assessment_id": e.assessment_id}
                       for e in item.events]}


def changes_per_assessment(items: Sequence[Item]) -> Table:
    """What each assessment did to the items, oldest first: how many it opened, reopened and marked done."""
    made = sorted(((at, e) for i in items for e in i.events if (at := e.assessment_id) is not None),
                  key=lambda pair: (pair[1].at, pair[0]))
    counts: dict[int, list[Any]] = {}
    for assessment_id, event in made:
        row = counts.setdefault(assessment_id, [f"#{assessment_id}", f"{event.at:%Y-%m-%d}", 0, 0, 0])
        row[2 if event.previous is None else 3 if event.status is ItemStatus.OPEN else 4] += 1
    return Table(FLOW_COLUMNS, tuple(tuple(row) for row in counts.values()))
