"""What changed since a project's previous assessment, for the PDF report: the comparison and its section.

``what_changed`` compares an assessment (saved or not) with an earlier saved one through
``planner.history.compare``; ``changes_section`` prints it: the recommendation then and now, each
architecture's score, cost and p95 latencies before and after, the answers that changed and, when
known, why the numbers moved (``planner.history.Attribution``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict

import planner
from planner import history
from planner.decide.results import Recommendation
from planner.estimate.results import Evaluation
from planner.history import Attribution, Comparison
from planner.inputs.models import Assessment, GpuSpec, InstancePrice
from planner.present import formats as fmt
from planner.present.pdf_layout import MUTED, SMALL_PT, ReportDocument
from planner.present.tables import Table
from planner.store import StoredAssessment


class WhatChanged(BaseModel):
    """The previous saved assessment of the project and how this one differs from it (planner.history)."""

    model_config = ConfigDict(frozen=True)

    previous_id: int
    previous_label: str
    previous_saved_at: datetime
    comparison: Comparison
    attribution: Attribution | None = None


def changes_between(previous: StoredAssessment, current: StoredAssessment, *,
                    attribution: Attribution | None = None) -> WhatChanged:
    """What changed from an earlier saved assessment to a later one (history.compare)."""
    return WhatChanged(previous_id=previous.id, previous_label=previous.label,
                       previous_saved_at=previous.created_at, comparison=history.compare(previous, current),
                       attribution=attribution)


def what_changed(previous: StoredAssessment, assessment: Assessment, evaluation: Evaluation | None,
                 recommendation: Recommendation, *, current_id: int = 0,
                 prices: Sequence[InstancePrice] | None = None, gpus: Sequence[GpuSpec] | None = None,
                 attribution: Attribution | None = None) -> WhatChanged:
    """Compare an assessment (saved as current_id, or 0 when unsaved) with an earlier saved one.

    ``prices`` and ``gpus`` are its price snapshot (instance rows and their GPU specs), when saved."""
    current = StoredAssessment(
        id=current_id, project=assessment.project, label=assessment.label, recommended=recommendation.top.value,
        created_at=max(datetime.now(UTC), previous.created_at), app_version=planner.__version__,
        assessment=assessment, results=history.results_document(recommendation, evaluation),
        price_snapshot=None if prices is None else tuple(prices),
        gpu_snapshot=None if prices is None or gpus is None else tuple(gpus))
    return changes_between(previous, current, attribution=attribution)


def delta(old: float | None, new: float | None, show: Callable[[float], str]) -> str:
    """A figure before and after: ``410 → 455 (+45)``; a side that is not known reads as a dash."""
    if old is None and new is None:
        return fmt.DASH
    if old is None or new is None:
        return f"{fmt.DASH if old is None else show(old)} → {fmt.DASH if new is None else show(new)}"
    return f"{show(old)} → {show(new)} ({'+' if new >= old else '−'}{show(abs(new - old))})"


def comparison_table(comparison: Comparison) -> Table:
    """Each architecture's score, monthly cost and p95 latencies, before and after."""
    return Table(("Architecture", "Score", "Monthly cost (USD)", "p95 TTFT (ms)", "p95 end-to-end (ms)"),
                 tuple((d.architecture.label, delta(d.old_score, d.new_score, fmt.score),
                        delta(d.old_cost_usd, d.new_cost_usd, fmt.usd),
                        delta(d.old_p95_ttft_ms, d.new_p95_ttft_ms, fmt.ms),
                        delta(d.old_p95_e2e_ms, d.new_p95_e2e_ms, fmt.ms)) for d in comparison.estimates))


def attribution_table(attribution: Attribution) -> Table:
    """How much of each architecture's change in cost, latency and score each cause explains."""
    return Table(("Architecture", "Cause", "Monthly cost (USD)", "p95 end-to-end (ms)", "Score"),
                 tuple((a.architecture.label, share.label, fmt.signed(share.cost_usd), fmt.signed(share.p95_e2e_ms),
                        fmt.signed(share.score, digits=1)) for a in attribution.architectures for share in a.shares))


def changes_section(pdf: ReportDocument, changes: WhatChanged) -> None:
    """The report's section on what changed since the previous assessment."""
    c = changes.comparison
    pdf.heading("What changed since the previous assessment")
    label = f" “{changes.previous_label}”" if changes.previous_label else ""
    pdf.paragraph(f"Compared with assessment #{changes.previous_id}{label}, saved on "
                  f"{changes.previous_saved_at:%d %B %Y}.", user=bool(label))
    if c.old_top is None or c.new_top is None:
        moved = "One of the two has no stored recommendation."
    elif c.recommendation_changed:
        moved = f"The recommendation moved from {c.old_top.label} to {c.new_top.label}."
    else:
        moved = f"The recommendation stayed {c.new_top.label}."
    prices = {None: "The previous assessment kept no price snapshot, so price changes are unknown.",
              True: "Instance prices changed between the two.", False: "Instance prices are the same."}
    pdf.paragraph(f"{moved} {prices[c.prices_changed]}", bold=True)
    pdf.grid(comparison_table(c).grid(), widths=(14, 16, 22, 20, 28), align=("L", "R", "R", "R", "R"))
    pdf.subheading(f"Answers changed: {len(c.answers_changed)}")
    if c.answers_changed:
        answers = [["Answer", "Before", "Now"]] + [[a.label, a.old, a.new] for a in c.answers_changed]
        pdf.grid(answers, widths=(40, 30, 30), shaped=True)
    else:
        pdf.paragraph("No answer changed: any difference comes from prices or the app's estimates.")
    if changes.attribution is not None:
        pdf.subheading("Why the numbers moved")
        pdf.grid(attribution_table(changes.attribution).grid(), widths=(16, 34, 18, 18, 14),
                 align=("L", "L", "R", "R", "R"))
        for note in changes.attribution.notes:
            pdf.paragraph(note, size=SMALL_PT, color=MUTED)
