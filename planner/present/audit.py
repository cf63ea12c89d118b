"""The audit log as rows, a CSV and text lines: the same columns on the Members and log page and in ``planner log``."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from planner.store.audit import AuditEvent

COLUMNS = ("When (UTC)", "Who", "What", "On", "Detail")


def audit_rows(events: Sequence[AuditEvent]) -> list[dict[str, str]]:
    """One dict per event, newest first as given, keyed by ``COLUMNS``."""
    return [dict(zip(COLUMNS, (e.at.strftime("%Y-%m-%d %H:%M:%S"), e.actor, e.action, e.subject, e.detail),
                     strict=True)) for e in events]


def audit_csv(events: Sequence[AuditEvent]) -> str:
    """The log as CSV with a header row (RFC 4180 quoting; text exactly as stored)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(audit_rows(events))
    return out.getvalue()


def audit_lines(events: Sequence[AuditEvent]) -> list[str]:
    """The log as plain text, one event per line: when, who, what, on what, and the detail after a colon."""
    lines = []
    for r in audit_rows(events):
        line = f"{r['When (UTC)']}  {r['Who']}  {r['What']} {r['On']}".rstrip()
        lines.append(f"{line}: {r['Detail']}" if r["Detail"] else line)
    return lines
