"""App tests of build or buy inference on the Results page (issue 17): a compare-mode assessment shows where the
recommended architecture's inference runs, the section with both monthly bills, the break-even and its chart, and
the PDF report quotes the same figures as the page.
"""

from __future__ import annotations

import io
import json

import pypdf
import pytest
from streamlit.testing.v1 import AppTest

from planner.decide.scoring import recommend
from planner.estimate.engine import evaluate
from planner.inputs.api_catalog import load_api_prices
from planner.inputs.files import load_presets
from planner.inputs.models import Architecture, Assessment, Sourcing
from tests.conftest import tables_shown
from ui.report_view import REPORT_KEY
from ui.text import JOINER

API = "bedrock-llama-3.1-8b"  # data/api_prices.csv: $0.22 in and out per million tokens, no published rate limit
HOURS = 730.0  # data/assumptions.yaml hours.per_month
SECTION = "Build or buy inference"


def compare_mode() -> Assessment:
    """The content-startup preset comparing self-hosted GPUs with the Bedrock API, as the Assess page submits it."""
    data = load_presets()["content_startup"].model_dump(mode="json")
    data["sourcing"] = {**data["sourcing"], "mode": "compare", "api": API}
    return Assessment.model_validate(data)


@pytest.fixture
def results(app: AppTest) -> AppTest:
    """The Results page of the compare-mode answers, entered on the Assess page."""
    app.selectbox(key="a.preset").select("content_startup").run()
    app.button(key="a.load_preset").click().run()
    app.radio(key="s.mode").set_value("compare").run()
    app.selectbox(key="s.api").select(API).run()
    assert app.session_state["answers"]["sourcing"]["api"] == API
    app.button(key="a.submit").click().run()
    assert not app.exception, app.exception
    app.switch_page("pages/results.py").run()
    assert not app.exception, app.exception
    return app


def plain(markdown: str) -> str:
    """Markdown of ``ui.text.literal`` as a reader sees it (an invisible joiner keeps "v1:0" from reading as an
    icon name)."""
    return markdown.replace(JOINER, "")


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_compare_mode_shows_the_build_or_buy_section_with_the_evaluations_numbers(results: AppTest) -> None:
    assessment = compare_mode()
    evaluation = evaluate(assessment)
    decision = evaluation.build_vs_buy
    assert decision is not None and decision.break_even_requests_per_month is not None
    recommendation = recommend(assessment, evaluation)

    # The token bill by hand: mean 0.5 requests/s x 3600 s x 730 h, (800 + 700) tokens at $0.22 a million.
    requests = 0.5 * 3600 * HOURS
    assert decision.api_monthly_usd == pytest.approx(requests * 1500 / 1e6 * 0.22)

    headings = [h.value for h in results.subheader]
    assert headings.index("Estimates at peak and per month") < headings.index(SECTION) < headings.index(
        "Resilience and change")
    label = load_api_prices()[API].label
    assert recommendation.sourcing_text == f"{recommendation.top.label}, inference through {label}"
    assert any(recommendation.sourcing_text in plain(m.value) for m in results.markdown)  # with the recommendation
    shown = metrics(results)
    used = " (used)" if evaluation.sourcing is Sourcing.API else ""
    assert shown[f"Managed API, a month{used}"] == f"${decision.api_monthly_usd:,.0f}"
    assert decision.self_hosted_monthly_usd is not None
    assert shown["Self-hosted GPUs, a month"] == f"${decision.self_hosted_monthly_usd:,.0f}"
    assert shown["Break-even, requests a month"] == f"{decision.break_even_requests_per_month / 1e6:.3g} M"
    assert any(decision.break_even_text in plain(m.value) for m in results.markdown)
    assert any(decision.rate_limit.text in plain(w.value) for w in results.warning)  # Bedrock publishes no limit
    said = [e.value for e in [*results.markdown, *results.warning] if decision.rate_limit.text in plain(e.value)]
    assert len(said) == 1  # once, not again among the reasons

    other = next(t for t in tables_shown(results) if "Managed API (used)" in t.columns)
    assert evaluation.alternative is not None
    for architecture in Architecture:
        row = other[other["Architecture"] == architecture.label].iloc[0]
        assert row["Managed API (used)"] == f"${evaluation.estimate(architecture).monthly_cost_usd:,.0f}"
        assert row["Self-hosted GPUs"] == f"${evaluation.alternative[architecture].monthly_cost_usd:,.0f}"

    charts = [json.loads(c.proto.spec) for c in results.get("vega_lite_chart")]
    assert len(charts) == 5  # cost, latency, build or buy, resilience timeline, contributions
    curve = next(c for c in charts if c.get("layer") and
                 c["layer"][0].get("encoding", {}).get("x", {}).get("scale", {}).get("type") == "log")
    marks = [layer["mark"] for layer in curve["layer"]]
    assert {"type": "line", "strokeWidth": 2.5} in marks  # the API: a straight line in the volume
    assert {"type": "line", "strokeWidth": 2.5, "interpolate": "step-after"} in marks  # self-hosted, whole instances
    assert {"type": "rule", "color": "#7f7f7f", "strokeDash": [4, 3]} in marks  # your traffic and the break-even


def test_the_pdf_report_quotes_the_same_build_or_buy_figures_as_the_page(results: AppTest) -> None:
    shown = metrics(results)
    break_even = next(m.value for m in results.markdown if m.value.startswith("**Self-hosting becomes cheaper"))
    results.button(key="report.prepare").click().run()
    assert not results.exception, results.exception
    _, _, pdf = results.session_state[REPORT_KEY]
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    label = load_api_prices()[API].label
    assert f"Recommended: {results.metric[0].value}, inference through {label}" in text
    assert f"4. {SECTION}" in text  # after the costs, before the latency
    assert break_even.strip("*") in text
    api = shown["Managed API, a month (used)"]
    own = shown["Self-hosted GPUs, a month"]
    assert f"Managed API {label} {api} yes yes" in text
    assert f"inference costs {api} a month through {label} and {own} self-hosted" in text
    assert sum(len(page.images) for page in reader.pages) == 5  # the page's five charts, build or buy among them
