"""The tables of an evaluation and a recommendation, built once for the Results page, the PDF report and the CLI.

Each builder returns a ``Table``: column names and rows whose cells are already text in the units and
rounding of ``planner.present.formats`` (whole numbers such as replica counts stay numbers; money, prices,
shares and times are ``Figure``: their text carrying their number). A page shows ``table.frame()`` (text)
or ``table.numeric_frame()`` with ``table.number_formats()`` (numbers that sort as numbers), the report
prints ``table.grid()``, the CLI ``text_lines(table)``; a view that shows fewer columns picks them with
``table.select(...)``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd

from planner.decide.results import ArchitectureScore, Recommendation
from planner.estimate.pricing import fallback_basis
from planner.estimate.results import ArchitectureEstimate, Evaluation, FleetItem
from planner.estimate.serving_constants import ServingConstants
from planner.estimate.topology import INFERENCE
from planner.inputs.levers import LEVERS
from planner.inputs.models import Architecture, Assessment, PricingOption, Sourcing, kv_precision_for
from planner.inputs.readiness import ReadinessGap
from planner.present import formats as fmt
from planner.present.charts import driver_label


class Figure(str):
    """A number's text in its table's units, carrying the number, so a page can sort it and format it itself.

    It is the text wherever text is wanted (the PDF, the CLI, comparisons); ``Table.numeric_frame`` takes
    ``value`` and ``Table.number_formats`` the printf format of its ``kind`` (``NUMBER_FORMATS``).
    """

    value: float
    kind: str

    def __new__(cls, text: str, value: float, kind: str) -> Figure:
        figure = super().__new__(cls, text)
        figure.value, figure.kind = value, kind
        return figure


# printf formats (Streamlit's NumberColumn, sprintf-js) of each kind of Figure, as planner.present.formats writes them
NUMBER_FORMATS = {"money": "$%,.0f", "price": "%,.3f", "percent": "%.0f%%", "ms": "%,.0f", "ms2": "%,.2f",
                  "rate": "%,.1f"}


def money(usd: float) -> Figure:
    return Figure(fmt.money(usd), usd, "money")


def hourly(usd_per_hour: float) -> Figure:
    return Figure(fmt.hourly_price(usd_per_hour), usd_per_hour, "price")


def percent(share: float) -> Figure:
    return Figure(fmt.percent(share), share * 100.0, "percent")


def millis(value: float, digits: int = 0) -> Figure:
    return Figure(fmt.ms(value, digits=digits), value, "ms2" if digits == 2 else "ms")


def rate(value: float) -> Figure:
    return Figure(fmt.rate(value), value, "rate")

Cell = str | int


@dataclass(frozen=True)
class Table:
    """Column names and rows of cells (text, ``Figure`` numbers with their text, or whole numbers)."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]

    def numeric_frame(self) -> pd.DataFrame:
        """The rows as a data frame with each ``Figure`` as its number and a dash as empty (what a page sorts)."""
        def value(cell: Cell) -> Cell | float | None:
            if isinstance(cell, Figure):
                return cell.value
            return None if cell == fmt.DASH else cell
        return pd.DataFrame([[value(c) for c in row] for row in self.rows], columns=list(self.columns))

    def number_formats(self) -> dict[str, str]:
        """The printf format of every column whose cells are all ``Figure`` of one kind (dashes aside)."""
        formats = {}
        for name in self.columns:
            kinds = {c.kind if isinstance(c, Figure) else None for c in self.column(name) if c != fmt.DASH}
            if len(kinds) == 1 and (kind := kinds.pop()) is not None:
                formats[name] = NUMBER_FORMATS[kind]
        return formats

    def records(self) -> list[dict[str, Cell]]:
        """One dict per row, column name to cell (what ``pd.DataFrame`` takes)."""
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]

    def frame(self) -> pd.DataFrame:
        """The rows as a data frame, columns in order (what the page shows)."""
        return pd.DataFrame(self.records(), columns=list(self.columns))

    def grid(self) -> list[list[str]]:
        """The heading and the rows as text (what the PDF's ``grid`` takes)."""
        return [list(self.columns)] + [[str(cell) for cell in row] for row in self.rows]

    def select(self, *columns: str) -> Table:
        """The same rows with only these columns, in this order."""
        index = [self.columns.index(c) for c in columns]
        return Table(tuple(columns), tuple(tuple(row[i] for i in index) for row in self.rows))

    def column(self, name: str) -> list[Cell]:
        """The cells of one column."""
        i = self.columns.index(name)
        return [row[i] for row in self.rows]


def _table(columns: Sequence[str], rows: Iterable[Sequence[Cell]]) -> Table:
    return Table(tuple(columns), tuple(tuple(row) for row in rows))


def text_lines(table: Table, *, gap: int = 2) -> list[str]:
    """A table as aligned plain text: text columns to the left, figures to the right."""
    grid = table.grid()
    widths = [max(len(row[i]) for row in grid) for i in range(len(table.columns))]
    right = [all(isinstance(c, int) or str(c)[:1] in "$<+-−0123456789" for c in table.column(name)) and
             bool(table.rows) for name in table.columns]
    return [(" " * gap).join(cell.rjust(w) if r else cell.ljust(w) for cell, w, r in zip(row, widths, right,
                                                                                         strict=True)).rstrip()
            for row in grid]


# Estimates -----------------------------------------------------------------------------------------------

ESTIMATE_COLUMNS = ("Monthly cost", "p95 TTFT (ms)", "p95 end-to-end (ms)", "Meets targets")


def _estimate_cells(e: ArchitectureEstimate) -> tuple[Cell, ...]:
    return (fmt.money(e.monthly_cost_usd), fmt.ms(e.ttft.p95_ms), fmt.ms(e.e2e.p95_ms), fmt.yes_no(e.meets_targets))


def estimates_table(evaluation: Evaluation) -> Table:
    """Each architecture's monthly cost, p95 latencies against the targets, deployables and network hops."""
    return _table(("Architecture", *ESTIMATE_COLUMNS, "Deployables", "Network hops", "Hop latency (ms)",
                   "Requests over a target"),
                  [(e.architecture.label, *_estimate_cells(e), e.deployable_units, e.network_hops,
                    fmt.ms(e.hop_latency_ms, digits=1), fmt.percent(e.slo_miss_share, digits=1))
                   for e in evaluation.estimates.values()])


def ranking_table(recommendation: Recommendation, evaluation: Evaluation) -> Table:
    """The architectures best first: rank, score, and the estimates a decision turns on."""
    return _table(("Rank", "Architecture", "Score", *ESTIMATE_COLUMNS),
                  [(rank, s.architecture.label, fmt.score(s.score),
                    *_estimate_cells(evaluation.estimate(s.architecture)))
                   for rank, s in enumerate(recommendation.ranked, start=1)])


def cost_table(assessment: Assessment, evaluation: Evaluation) -> Table:
    """Monthly cost by category, and the infrastructure (GPU, API tokens, CPU, platform) as a share of the budget.

    The API tokens column is there when an architecture pays a managed API (``CostBreakdown.as_dict``)."""
    budget = assessment.team.monthly_budget_usd
    categories = [c for c in ("GPU", "API tokens", "CPU", "Platform", "People")
                  if c != "API tokens" or _pays_api(evaluation)]
    return _table(("Architecture", *categories, "Total", "Infrastructure of budget"),
                  [(e.architecture.label, *(fmt.money(e.cost.as_dict().get(c, 0.0)) for c in categories),
                    fmt.money(e.cost.total_usd), fmt.percent(e.cost.infrastructure_usd / budget))
                   for e in evaluation.estimates.values()])


def _pays_api(evaluation: Evaluation) -> bool:
    return any(e.cost.api_usd for e in evaluation.estimates.values())


def infrastructure_words(evaluation: Evaluation) -> str:
    """What the infrastructure budget covers, in words: 'GPU, CPU and platform' (with API tokens when paid)."""
    return "GPU, API tokens, CPU and platform" if _pays_api(evaluation) else "GPU, CPU and platform"


def change_rates_text(assessment: Assessment) -> str:
    """How often the platform changes, each figure in its own unit: model updates a month, code deploys a week."""
    w = assessment.workload
    return (f"Model updates: {fmt.number(w.model_updates_per_month)} a month; code deploys: "
            f"{fmt.number(w.deploys_per_week)} a week across the pipeline")


def budget_text(assessment: Assessment, evaluation: Evaluation) -> str:
    """Each architecture's infrastructure against the team's monthly infrastructure budget, in one sentence."""
    budget = assessment.team.monthly_budget_usd
    parts = [f"{e.architecture.label.lower()} {fmt.money(e.cost.infrastructure_usd)} "
             f"({fmt.percent(e.cost.infrastructure_usd / budget)})" for e in evaluation.estimates.values()]
    return (f"Infrastructure against the monthly budget of {fmt.money(budget)} ({infrastructure_words(evaluation)}; "
            f"people are costed but not part of it): {', '.join(parts)}.")


def instance_name(f: FleetItem) -> str:
    """A fleet unit's instance as a reader names it: provider and instance for GPUs, the worker for CPU steps."""
    return f"{f.provider} {f.instance}" if f.kind == "gpu" else f.instance


FLEET_NOTE = ("GPU units count instances; CPU units count one-vCPU workers. The monolith runs its CPU steps on the "
              "GPU hosts, so it scales everything together.")


def fleet_note(evaluation: Evaluation) -> str:
    """FLEET_NOTE, or what the fleet holds when a managed API serves the model (no GPU instance of ours)."""
    api = [e for e in evaluation.estimates.values() if e.sourcing is Sourcing.API]
    if not api:
        return FLEET_NOTE
    return (f"Inference runs {api[0].inference_text}: no GPU instance of yours; its token bill is among the cost "
            "lines. CPU units count one-vCPU workers.")


def fleet_table(evaluation: Evaluation) -> Table:
    """Every deployable unit: what it runs, on which instance, how many replicas, at what price and which price."""
    return _table(("Architecture", "Unit", "Runs", "Instance", "GPU", "At peak", "Minimum", "Day mean", "$/h each",
                   "Price used", "Monthly"),
                  [(e.architecture.label, f.unit, ", ".join(f.components), instance_name(f),
                    f"{f.gpus_per_replica} x {f.gpu}" if f.gpu else "", f.replicas_peak, f.replicas_min,
                    rate(f.replicas_mean), hourly(f.usd_per_replica_hour), f.price_basis or fmt.DASH,
                    money(f.monthly_usd))
                   for e in evaluation.estimates.values() for f in e.fleet])


def fleet_summary_table(evaluation: Evaluation) -> Table:
    """The fleet in the eight columns that fit a page at 1280 px: replicas and price each in one column."""
    return _table(("Architecture", "Unit", "Runs", "Instance", "Replicas (peak / min / day mean)",
                   "$/h each (price used)", "Monthly"),
                  [(e.architecture.label, f.unit, ", ".join(f.components),
                    instance_name(f) + (f" ({f.gpus_per_replica} x {f.gpu})" if f.gpu else ""),
                    f"{f.replicas_peak} / {f.replicas_min} / {fmt.rate(f.replicas_mean)}",
                    f"{fmt.hourly_price(f.usd_per_replica_hour)} ({f.price_basis or fmt.DASH})", money(f.monthly_usd))
                   for e in evaluation.estimates.values() for f in e.fleet])


def assumptions_table(evaluation: Evaluation) -> Table:
    """Every assumption behind the estimates: what it is, its value in its unit, its source and date."""
    return _table(("Assumption", "Value", "Source (as of)"),
                  [(f"{a.key}: {a.description}",
                    f"{fmt.quantity(a.value)} {a.unit}".strip() + (" (overridden)" if a.overridden else ""),
                    f"{a.source} ({a.as_of})") for a in evaluation.assumptions])


FALLBACK_BASES = frozenset(fallback_basis(option) for option in PricingOption)  # on-demand for want of a price


def fallback_price_notes(evaluation: Evaluation) -> list[str]:
    """Why each fleet line priced at on-demand, for want of the chosen option's price, pays that price."""
    return [f"{e.architecture.label} {f.unit} ({instance_name(f)}): {f.price_reason}"
            for e in evaluation.estimates.values() for f in e.fleet
            if f.price_basis in FALLBACK_BASES and f.price_reason]


def instance_prices_table(evaluation: Evaluation) -> Table:
    """Each instance the fleets use, once, with its hourly price, where the price comes from and its date."""
    seen: dict[tuple[str, str, str], FleetItem] = {}
    for e in evaluation.estimates.values():
        for f in e.fleet:
            seen.setdefault((f.provider, f.instance, f.region), f)
    return _table(("Instance", "Region", "$/h", "Source", "As of"),
                  [(instance_name(f), f.region, hourly(f.usd_per_replica_hour), f.price_source or fmt.DASH,
                    f.price_as_of or fmt.DASH) for f in seen.values()])


def cost_lines_table(evaluation: Evaluation) -> Table:
    """Every cost line with the formula that gives it."""
    return _table(("Architecture", "Category", "Item", "Formula", "Monthly"),
                  [(e.architecture.label, c.category, c.item, c.formula, money(c.monthly_usd))
                   for e in evaluation.estimates.values() for c in e.cost_lines])


def stations_table(evaluation: Evaluation) -> Table:
    """Utilisation and queueing of each component at peak (simulated); a managed API's inference is the provider's,
    with no utilisation of ours, so it has no row (``stations_note`` says so)."""
    return _table(("Architecture", "Component", "Utilisation", "Mean wait (ms)", "p95 wait (ms)"),
                  [(e.architecture.label, s.station, percent(s.utilisation), millis(s.mean_wait_ms, digits=2),
                    millis(s.p95_wait_ms, digits=2)) for e in evaluation.estimates.values() for s in e.stations
                   if not (e.sourcing is Sourcing.API and s.station == INFERENCE)])


def stations_note(evaluation: Evaluation) -> str:
    """What the utilisation and waits of the stations table mean."""
    if evaluation.sourcing is Sourcing.API:
        return ("CPU steps: busy share of their workers. Inference runs at the provider, which serves every request "
                "at once (its rate limits are checked under Build or buy inference), so it has no row here.")
    return ("CPU steps: busy share of their workers. Inference: occupied share of the batch slots; its wait runs from "
            "arrival to admission into a batch.")


def latency_table(assessment: Assessment, evaluation: Evaluation) -> Table:
    """p50, p95 with its 95 % confidence interval, and p99 of each latency, against the p95 targets."""
    w = assessment.workload
    rows = []
    for e in evaluation.estimates.values():
        for metric, stats, target, met in (("Time to first token", e.ttft, w.p95_ttft_ms, e.meets_ttft_target),
                                           ("End-to-end", e.e2e, w.p95_e2e_ms, e.meets_e2e_target)):
            rows.append((e.architecture.label, metric, fmt.ms(stats.p50_ms),
                         f"{fmt.ms(stats.p95_ms)} ({fmt.ms_range(*stats.p95_ci_ms)})", fmt.ms(stats.p99_ms),
                         fmt.ms(target), fmt.yes_no(met)))
    return _table(("Architecture", "Metric", "p50 (ms)", "p95 (ms, 95 % CI)", "p99 (ms)", "p95 target (ms)", "Meets"),
                  rows)


def model_text(assessment: Assessment, evaluation: Evaluation) -> str:
    """The model with the precisions it is served at: 'Llama 3.1 8B, BF16 weights, BF16 KV cache (automatic)'."""
    w = assessment.workload
    kv = kv_precision_for(w.precision, w.kv_precision).value.upper()
    chosen = "" if w.kv_precision is not None else " (automatic)"
    return f"{evaluation.model_name}, {w.precision.value.upper()} weights, {kv} KV cache{chosen}"


def engine_rows(assessment: Assessment) -> list[list[str]]:
    """The KV-cache precision and every engine lever as (question, answer) rows, a default marked as such."""
    w = assessment.workload
    kv = kv_precision_for(w.precision, w.kv_precision).value.upper()
    rows = [["KV-cache precision", kv if w.kv_precision is not None else f"automatic ({kv})"]]
    defaults = ServingConstants()
    for lever in LEVERS:
        value = assessment.assumption_overrides.get(lever.key)
        shown = lever.shown(value if value is not None else float(getattr(defaults, lever.field)))
        text = fmt.yes_no(shown) if isinstance(shown, bool) else fmt.number(shown)
        rows.append([lever.label, f"{text} ({'your override' if value is not None else 'default'})"])
    return rows


def targets_text(assessment: Assessment) -> str:
    """The latency targets and the peak they hold at, in one phrase."""
    w = assessment.workload
    return (f"p95 time to first token {fmt.number(w.p95_ttft_ms)} ms, p95 end-to-end {fmt.number(w.p95_e2e_ms)} ms, "
            f"at a peak of {fmt.number(w.peak_requests_per_s)} requests/s")


# Scores and readiness ------------------------------------------------------------------------------------


def headline_text(recommendation: Recommendation) -> str:
    """The recommendation in a line: the top architecture and how it sources inference, where that is known."""
    return recommendation.sourcing_text or recommendation.top.label


def summary_text(recommendation: Recommendation) -> str:
    """The summary without the headline it starts with (a page or report states ``headline_text`` just above)."""
    return recommendation.summary.removeprefix(f"{headline_text(recommendation)}. ")


def no_flip_text(recommendation: Recommendation) -> str:
    """What to say when no single answer, moved alone, changes the top choice."""
    return (f"No single answer in the tried range changes the top choice: {recommendation.top.label} stays first "
            "whichever one of the key answers you move on its own.")


def contributions_table(score: ArchitectureScore) -> Table:
    """Every driver of one architecture's score, with its reason."""
    return _table(("Points", "Driver", "Reason"),
                  [(fmt.points(c.points), driver_label(c.driver), c.reason) for c in score.contributions])


def gaps_of(recommendation: Recommendation, architecture: Architecture) -> list[ReadinessGap]:
    """The readiness gaps of one architecture."""
    return [g for g in recommendation.gaps if g.architecture is architecture]


def gaps_heading(architecture: Architecture, gaps: Sequence[ReadinessGap]) -> str:
    """``Microservices: 3 gaps``, ``Monolith: no gaps``."""
    return f"{architecture.label}: {fmt.counted(len(gaps), 'gap')}"


def ready_text(architecture: Architecture) -> str:
    """What to say when the team has no gap for an architecture."""
    return f"The team's readiness meets what a {architecture.label.lower()} needs."


def gaps_table(gaps: Sequence[ReadinessGap]) -> Table:
    """Each readiness gap: the level now, the level needed and the next step."""
    return _table(("Skill", "Level now", "Needs", "Next step"),
                  [(g.label, g.current, g.required, g.next_step) for g in gaps])
