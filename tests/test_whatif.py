"""A what-if beside its base (issue 15 item 16): each cell reads base → what-if (change)."""

from __future__ import annotations

from planner.decide.scoring import recommend
from planner.estimate.engine import evaluate
from planner.inputs.files import load_presets
from planner.present.whatif import verdict, whatif_table


def test_each_cell_reads_base_then_what_if_then_the_change() -> None:
    base = load_presets()["content_startup"]
    busier = base.model_copy(update={"workload": base.workload.model_copy(update={
        "mean_requests_per_s": base.workload.mean_requests_per_s * 10,
        "peak_requests_per_s": base.workload.peak_requests_per_s * 10})})
    e0, e1 = evaluate(base), evaluate(busier)
    r0, r1 = recommend(base, e0), recommend(busier, e1)
    table = whatif_table(e0, r0, e1, r1)
    assert table.columns == ("Architecture", "Monthly cost", "p95 TTFT (ms)", "p95 end-to-end (ms)", "Score")
    for row, (architecture, estimate) in zip(table.rows, e1.estimates.items(), strict=True):
        before, after = e0.estimate(architecture).monthly_cost_usd, estimate.monthly_cost_usd
        change = after - before
        assert row[1] == f"${before:,.0f} → ${after:,.0f} ({'+' if change >= 0 else '−'}${abs(change):,.0f})"
    assert verdict(r0, r0) == f"The what-if keeps the recommendation: {r0.top.label}."
    same = whatif_table(e0, r0, e0, r0)
    assert all(cell.endswith("(+$0)") for cell in same.column("Monthly cost"))
