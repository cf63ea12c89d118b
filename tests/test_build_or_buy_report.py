"""Build or buy inference as the Results page and the PDF report show it (planner.present): the API's token bill
among the cost categories, the break-even chart, the comparison tables, and what a managed API changes in the
resilience and utilisation tables.
"""

from __future__ import annotations

import io

import pypdf
import pytest

from planner.decide.scoring import lead_time_text, recommend
from planner.estimate.engine import evaluate
from planner.estimate.results import Evaluation
from planner.inputs.api_catalog import load_api_prices
from planner.inputs.files import load_presets
from planner.inputs.models import Assessment, Sourcing
from planner.present import buildbuy_tables, resilience_tables, tables
from planner.present.charts import API_SERIES, SELF_HOSTED_SERIES, build_vs_buy_chart, build_vs_buy_frame, cost_chart
from planner.present.report import build_report
from planner.present.warnings import budget_warnings

API = "bedrock-llama-3.1-8b"  # data/api_prices.csv: $0.22 in and out per million tokens
HOURS = 730.0  # data/assumptions.yaml hours.per_month


def startup(mode: str, multiplier: float = 1.0) -> Assessment:
    data = load_presets()["content_startup"].model_dump(mode="json")
    data["workload"]["mean_requests_per_s"] *= multiplier
    data["workload"]["peak_requests_per_s"] *= multiplier
    data["sourcing"] = {**data["sourcing"], "mode": mode, "api": None if mode == "self_hosted" else API}
    return Assessment.model_validate(data)


@pytest.fixture(scope="module")
def through_api() -> tuple[Assessment, Evaluation]:
    """The content startup's inference through the Bedrock API (chosen, not compared)."""
    assessment = startup("api")
    return assessment, evaluate(assessment)


@pytest.fixture(scope="module")
def self_hosted() -> Evaluation:
    return evaluate(startup("self_hosted"))


def test_the_cost_table_adds_the_api_tokens_and_sums_them_into_the_total(
        through_api: tuple[Assessment, Evaluation]) -> None:
    assessment, evaluation = through_api
    bill = 0.5 * 3600 * HOURS * (800 + 700) / 1e6 * 0.22  # mean 0.5 requests/s, every token at $0.22 a million
    table = tables.cost_table(assessment, evaluation)
    assert table.columns == ("Architecture", "GPU", "API tokens", "CPU", "Platform", "People", "Total",
                             "Infrastructure of budget")
    for row, e in zip(table.rows, evaluation.estimates.values(), strict=True):
        c = e.cost
        assert row[1:7] == tuple(f"${v:,.0f}" for v in (0.0, bill, c.cpu_usd, c.platform_usd, c.people_usd,
                                                         bill + c.cpu_usd + c.platform_usd + c.people_usd))
    assert "(GPU, API tokens, CPU and platform;" in tables.budget_text(assessment, evaluation)
    cheapest = min(e.cost.infrastructure_usd for e in evaluation.estimates.values())
    tight = assessment.model_copy(update={"team": assessment.team.model_copy(
        update={"monthly_budget_usd": cheapest * 0.9})})
    [warning] = budget_warnings(tight, evaluation)
    assert warning.startswith("Over budget: the infrastructure (GPU, API tokens, CPU and platform; people not "
                              "included)")


def test_the_cost_table_of_self_hosted_inference_has_no_api_column(self_hosted: Evaluation) -> None:
    assert "API tokens" not in tables.cost_table(startup("self_hosted"), self_hosted).columns


@pytest.mark.parametrize(("which", "categories"), [
    ("api", ["API tokens", "CPU", "Platform", "People"]),
    ("self_hosted", ["GPU", "CPU", "Platform", "People"]),
])
def test_the_cost_chart_colours_the_categories_that_cost_something(
        which: str, categories: list[str], through_api: tuple[Assessment, Evaluation],
        self_hosted: Evaluation) -> None:
    evaluation = through_api[1] if which == "api" else self_hosted
    spec = cost_chart(evaluation).to_dict()
    scale = spec["encoding"]["color"]["scale"]
    assert scale["domain"] == categories
    assert len(scale["range"]) == len(set(scale["range"])) == len(categories)


def test_behind_an_api_the_model_update_is_the_providers(through_api: tuple[Assessment, Evaluation],
                                                        self_hosted: Evaluation) -> None:
    _, evaluation = through_api
    lead_times = resilience_tables.resilience_table(evaluation).column("Model update lead time")
    assert lead_times == [resilience_tables.PROVIDER_UPDATES] * 3
    assert "pin a model version" in resilience_tables.api_resilience_text(evaluation)
    causes = resilience_tables.loss_causes_table(evaluation).column("Cause")
    assert sum(c.startswith("Provider API outages (SLA 99.9 %)") for c in causes) == 3  # Bedrock's SLA
    own = [lead_time_text(e.resilience.model_update_lead_time_min) for e in self_hosted.estimates.values()
           if e.resilience is not None]
    assert resilience_tables.resilience_table(self_hosted).column("Model update lead time") == own
    assert resilience_tables.api_resilience_text(self_hosted) == ""


def test_behind_an_api_inference_has_no_utilisation_row_and_no_gpu_fleet(
        through_api: tuple[Assessment, Evaluation], self_hosted: Evaluation) -> None:
    _, evaluation = through_api
    assert "inference" not in tables.stations_table(evaluation).column("Component")
    assert "inference" in tables.stations_table(self_hosted).column("Component")
    assert tables.fleet_note(evaluation).startswith(f"Inference runs through {load_api_prices()[API].label}:")
    assert tables.fleet_note(self_hosted) == tables.FLEET_NOTE


def test_the_chart_draws_both_curves_and_marks_the_traffic_and_the_break_even() -> None:
    evaluation = evaluate(startup("compare"))
    decision = evaluation.build_vs_buy
    assert decision is not None and decision.break_even_requests_per_month is not None
    frame = build_vs_buy_frame(decision)
    api = frame[frame["sourcing"] == API_SERIES]
    own = frame[frame["sourcing"] == SELF_HOSTED_SERIES]
    assert list(api["monthly_usd"]) == [p.api_usd for p in decision.curve]
    assert list(own["monthly_usd"]) == [p.self_hosted_usd for p in decision.curve]
    spec = build_vs_buy_chart(decision).to_dict()
    marks = [layer["mark"] for layer in spec["layer"]]
    assert marks[0] == {"type": "line", "strokeWidth": 2.5}
    assert marks[1] == {"type": "line", "strokeWidth": 2.5, "interpolate": "step-after"}
    assert spec["layer"][0]["encoding"]["x"]["scale"]["type"] == "log"
    rules = next(layer for layer in spec["layer"] if layer["mark"].get("type") == "rule")
    values = spec["datasets"][rules["data"]["name"]]
    assert [v["requests_per_month"] for v in values] == [decision.requests_per_month,
                                                         decision.break_even_requests_per_month]
    # The break-even lies above the traffic: the traffic's label reads to the left, the break-even's to the right.
    assert [v["align"] for v in values] == ["right", "left"]
    assert values[1]["label"] == f"Break-even: {decision.break_even_requests_per_month / 1e6:.3g} M"


def test_the_alternative_table_sets_each_architecture_beside_the_other_sourcing() -> None:
    evaluation = evaluate(startup("compare", multiplier=20.0))  # 20x the traffic: self-hosting is cheaper
    assert evaluation.sourcing is Sourcing.SELF_HOSTED and evaluation.alternative is not None
    table = buildbuy_tables.alternative_table(evaluation)
    assert table is not None
    assert table.columns[1:3] == ("Self-hosted GPUs (used)", "Managed API")
    for row, (architecture, e) in zip(table.rows, evaluation.estimates.items(), strict=True):
        other = evaluation.alternative[architecture].monthly_cost_usd
        delta = other - e.monthly_cost_usd
        assert row[:4] == (architecture.label, f"${e.monthly_cost_usd:,.0f}", f"${other:,.0f}",
                           f"{'+' if delta >= 0 else '−'}${abs(delta):,.0f}")
    assert buildbuy_tables.alternative_table(evaluate(startup("api"))) is None


def test_the_pdf_of_an_api_assessment_has_the_section_and_the_api_in_costs_and_resilience(
        through_api: tuple[Assessment, Evaluation]) -> None:
    assessment, evaluation = through_api
    decision = evaluation.build_vs_buy
    assert decision is not None
    recommendation = recommend(assessment, evaluation)
    pdf = build_report(assessment, evaluation, recommendation)
    text = " ".join(" ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages).split())
    assert f"Recommended: {recommendation.sourcing_text}" in text
    assert text.index("Cost per month") < text.index("Build or buy inference") < text.index("Latency at peak")
    assert decision.break_even_text in text
    assert buildbuy_tables.build_vs_buy_text(decision) in text
    assert "Why the managed API • You chose the managed API." in text
    assert "Each architecture with the other sourcing" not in text  # nothing compared
    assert "API tokens" in text and resilience_tables.PROVIDER_UPDATES in text
