"""Build or buy inference: token bill, API latency, availability with the SLA, rate limits, break-even, decision."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from planner.decide.scoring import recommend
from planner.errors import InputError
from planner.estimate.api import check_rate_limit
from planner.estimate.engine import evaluate
from planner.estimate.simulation import ApiStation, SimulationInput, simulate
from planner.inputs.api_catalog import ApiPrice, ApiRateTier
from planner.inputs.files import load_presets
from planner.inputs.models import Architecture, Assessment, Sourcing
from planner.inputs.validation import validate_assessment

HOURS = 730.0  # data/assumptions.yaml hours.per_month

ROW = ApiPrice(id="test-8b", provider="Test Cloud", model="Llama 3.1 8B", model_id="llama-3.1-8b",
               input_usd_per_m=0.6, cached_input_usd_per_m=0.15, output_usd_per_m=2.4, batch_discount=0.5,
               rate_limit_tier="Tier 1", requests_per_min=600, tokens_per_min=2_000_000, sla_pct=99.9,
               sla_source="test SLA", ttft_ms=300, output_tokens_per_s=120, latency_source="test measurement",
               source="test prices", as_of="2026-11")
PRICES = {ROW.id: ROW}


def _startup(multiplier: float = 1.0, **sourcing: object) -> Assessment:
    data = load_presets()["content_startup"].model_dump(mode="json")
    data["workload"]["mean_requests_per_s"] *= multiplier
    data["workload"]["peak_requests_per_s"] *= multiplier
    data["sourcing"] = {"mode": "api", "api": ROW.id, **sourcing}
    return Assessment.model_validate(data)


def test_token_bill_matches_a_hand_calculation() -> None:
    # Steady traffic at a mean of 0.5 requests/s: 0.5 x 3600 x 730 = 1,314,000 requests a month.
    assessment = _startup(cached_input_share=0.5, batch_share=0.2)
    requests = 0.5 * 3600 * HOURS
    fresh = requests * 800 * 0.5 / 1e6 * 0.6
    cached = requests * 800 * 0.5 / 1e6 * 0.15
    output = requests * 700 / 1e6 * 2.4
    expected = (fresh + cached + output) * (1 - 0.2 * 0.5)
    assert expected == pytest.approx(2341.548)
    evaluation = evaluate(assessment, api_prices=PRICES)
    assert evaluation.sourcing is Sourcing.API
    for estimate in evaluation.estimates.values():
        assert estimate.cost.api_usd == pytest.approx(expected, rel=1e-9)
        assert estimate.cost.gpu_usd == 0
        assert all(item.kind == "cpu" for item in estimate.fleet)
        assert sum(line.monthly_usd for line in estimate.cost_lines) == pytest.approx(estimate.monthly_cost_usd)
        assert estimate.inference_text == "through Test Cloud Llama 3.1 8B Instruct"
    assert evaluation.build_vs_buy is not None
    assert evaluation.build_vs_buy.api_monthly_usd == pytest.approx(expected, rel=1e-9)


def test_api_station_latency_is_ttft_then_tokens_at_the_provider_rate() -> None:
    station = ApiStation(name="inference", ttft_median_s=0.3, ttft_sigma=0.0, output_tokens_per_s=100.0,
                         prefill_s_per_token=1e-4, reference_input_tokens=1000.0)
    result = simulate(SimulationInput(stations=[station], arrival_rate_per_s=50.0, mean_input_tokens=3000,
                                      mean_output_tokens=500, n_requests=500, warmup_requests=50, seed=3))
    # No queueing: TTFT = 0.3 s + (3000 - 1000) x 0.1 ms = 0.5 s; end to end adds 500 tokens / 100 per s = 5 s.
    assert result.ttft.p50_ms == pytest.approx(500.0)
    assert result.e2e.p95_ms == pytest.approx(5500.0)
    assert result.stations[0].kind == "api"


def test_api_latency_adds_the_provider_hop_and_availability_composes_with_the_sla() -> None:
    evaluation = evaluate(_startup(), api_prices=PRICES)
    mono = evaluation.estimate(Architecture.MONOLITH)
    # TTFT: CPU steps before inference (~32 ms), the 20 ms provider round trip and the provider's 300 ms median.
    assert 330 < mono.ttft.p50_ms < 420
    assert mono.hop_latency_ms == pytest.approx(20.0)  # no in-cluster hop in the monolith, the provider trip only
    resilience = mono.resilience
    assert resilience is not None
    provider = next(c for c in resilience.causes if c.cause.startswith("Provider API outages"))
    own = resilience.availability_pct / 0.999
    assert provider.failed_per_month == pytest.approx(resilience.requests_per_month * own / 100 * 0.001, rel=1e-6)
    assert resilience.availability_pct <= 99.9
    assert resilience.model_update_lead_time_min == 0
    assert all(u.unit != "inference" for u in resilience.units)


def test_rate_limit_warning_names_the_tier_needed() -> None:
    ladder = (ApiRateTier(api_id=ROW.id, tier="Tier 1", rank=1, requests_per_min=600, tokens_per_min=200_000,
                          source="test ladder", as_of="2026-11"),
              ApiRateTier(api_id=ROW.id, tier="Tier 2", rank=2, requests_per_min=5000, tokens_per_min=2_000_000,
                          source="test ladder", as_of="2026-11"))
    small = ROW.model_copy(update={"tokens_per_min": 200_000})
    # Peak 15 requests/s: 900 a minute, x 1,500 tokens = 1,350,000 tokens a minute.
    check = check_rate_limit(small, ladder, _startup(multiplier=10))
    assert check.peak_tokens_per_min == pytest.approx(1_350_000)
    assert check.warning and check.within is False and check.tier_needed == "Tier 2"
    assert "need Test Cloud's Tier 2" in check.text
    beyond = check_rate_limit(small, ladder, _startup(multiplier=30))
    assert beyond.warning and beyond.tier_needed == ""
    assert "exceed every published tier" in beyond.text
    fine = check_rate_limit(ROW, (), _startup())
    assert not fine.warning and fine.within is True


def test_break_even_on_the_single_instance_floor_matches_a_hand_calculation() -> None:
    # Dear tokens make the API dearer than one GPU instance at a few % of the traffic, where self-hosting is one
    # instance all day (the availability floor): break-even = 730 h x the instance's price / the API's cost a request.
    dear = ROW.model_copy(update={"input_usd_per_m": 10.0, "output_usd_per_m": 10.0, "cached_input_usd_per_m": None,
                                  "batch_discount": None})
    assessment = _startup(mode="compare")
    evaluation = evaluate(assessment, api_prices={dear.id: dear})
    decision = evaluation.build_vs_buy
    assert decision is not None and decision.break_even_requests_per_month is not None
    gpu = next(i for i in evaluation.estimate(Architecture.HYBRID).fleet if i.kind == "gpu")
    per_request = (800 + 700) * 10.0 / 1e6
    expected = HOURS * gpu.usd_per_replica_hour / per_request
    assert decision.break_even_requests_per_month == pytest.approx(expected, rel=1e-6)
    assert decision.cheaper is Sourcing.SELF_HOSTED and decision.chosen is Sourcing.SELF_HOSTED
    # The curve at the assessment's own traffic is the simulated hybrid's GPU line.
    assert decision.self_hosted_monthly_usd == pytest.approx(evaluation.estimate(Architecture.HYBRID).cost.gpu_usd)
    own = next(p for p in decision.curve if math.isclose(p.requests_per_month, decision.requests_per_month))
    assert own.api_usd == pytest.approx(decision.api_monthly_usd)


def test_compare_flips_from_api_to_self_hosted_when_traffic_grows_tenfold() -> None:
    cheap = ROW.model_copy(update={"input_usd_per_m": 0.18, "output_usd_per_m": 0.18, "cached_input_usd_per_m": None,
                                   "batch_discount": None, "tokens_per_min": None, "requests_per_min": 600})
    prices = {cheap.id: cheap}
    now = evaluate(_startup(mode="compare"), api_prices=prices)
    later_assessment = _startup(multiplier=10, mode="compare")
    later = evaluate(later_assessment, api_prices=prices)
    assert now.sourcing is Sourcing.API and later.sourcing is Sourcing.SELF_HOSTED
    assert now.alternative is not None and later.alternative is not None
    assert all(e.sourcing is Sourcing.SELF_HOSTED for e in now.alternative.values())
    assert now.build_vs_buy is not None and later.build_vs_buy is not None
    break_even = now.build_vs_buy.break_even_requests_per_month
    assert break_even is not None
    assert now.build_vs_buy.requests_per_month < break_even < later.build_vs_buy.requests_per_month
    cost = next(f for f in now.build_vs_buy.factors if f.driver == "inference cost")
    assert cost.decisive and cost.favours is Sourcing.API
    assert cost.usd_per_month == pytest.approx((now.build_vs_buy.self_hosted_monthly_usd or 0)
                                               - now.build_vs_buy.api_monthly_usd)
    assert now.build_vs_buy.reasons[0].startswith("Uses Test Cloud Llama 3.1 8B Instruct for its inference cost")
    top = recommend(later_assessment, later)
    assert "self-hosted on" in top.sourcing_text
    first = recommend(_startup(mode="compare"), now)
    assert first.sourcing_text.endswith("inference through Test Cloud Llama 3.1 8B Instruct")
    flip = next(f for f in first.flip_points if f.new_sourcing is not None)
    assert flip.new_sourcing is Sourcing.SELF_HOSTED and flip.threshold > flip.current
    assert any("self-hosting would be cheaper" in t.text for t in first.triggers)


def test_answers_that_rule_an_api_out() -> None:
    with pytest.raises(InputError) as caught:
        validate_assessment({**_startup().model_dump(mode="json"),
                             "sourcing": {"mode": "api", "api": ROW.id, "data_may_leave": False}})
    assert "may not leave" in str(caught.value)
    assert any(k.startswith("sourcing") for k in caught.value.field_errors)
    ruled = evaluate(_startup(mode="compare", custom_weights=True), api_prices=PRICES)
    assert ruled.sourcing is Sourcing.SELF_HOSTED
    assert ruled.build_vs_buy is not None and ruled.build_vs_buy.ruled_out
    assert any("custom weights" in r for r in ruled.build_vs_buy.reasons)


def test_an_unknown_api_is_a_plain_error_at_its_field() -> None:
    with pytest.raises(InputError) as caught:
        evaluate(_startup(), api_prices={})
    assert "sourcing.api" in caught.value.field_errors


def test_the_startup_preset_calls_an_api_until_tenfold_traffic_makes_self_hosting_cheaper() -> None:
    preset = load_presets()["content_startup"]
    assert preset.sourcing.mode is Sourcing.COMPARE and preset.sourcing.api == "bedrock-llama-3.1-8b"
    now = recommend(preset, evaluate(preset))
    data = preset.model_dump(mode="json")
    data["workload"]["mean_requests_per_s"] *= 10
    data["workload"]["peak_requests_per_s"] *= 10
    grown = Assessment.model_validate(data)
    later = recommend(grown, evaluate(grown))
    assert now.sourcing_text.startswith("Monolith, inference through AWS Bedrock")
    assert "self-hosted on" in later.sourcing_text
    flip = next(f for f in now.flip_points if f.new_sourcing is Sourcing.SELF_HOSTED)
    assert preset.workload.mean_requests_per_s < flip.threshold < 10 * preset.workload.mean_requests_per_s


def test_a_sourcing_change_is_named_among_what_changed() -> None:
    from planner.history.compare import answer_changes

    before = load_presets()["content_startup"]
    after = before.model_copy(update={"sourcing": before.sourcing.model_copy(update={"mode": Sourcing.SELF_HOSTED})})
    change = next(c for c in answer_changes(before, after) if c.key == "sourcing.mode")
    assert (change.label, change.old, change.new) == ("Where inference runs", "compare", "self_hosted")


def test_assess_json_carries_the_build_or_buy_figures_of_the_page(tmp_path: Path) -> None:
    import json

    from typer.testing import CliRunner

    from planner.cli import app
    from planner.inputs.paths import data_dir

    result = CliRunner().invoke(app, ["assess", str(data_dir() / "presets" / "content_startup.yaml"),
                                      "--json", str(tmp_path / "out.json")])
    assert result.exit_code == 0, result.output
    assert "Recommended: Monolith, inference through AWS Bedrock Llama 3.1 8B Instruct" in result.output
    assert "Build or buy inference:" in result.output
    document = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))["build_vs_buy"]
    decision = evaluate(load_presets()["content_startup"]).build_vs_buy
    assert decision is not None
    assert document["api_monthly_usd"] == pytest.approx(decision.api_monthly_usd)
    assert document["self_hosted_monthly_usd"] == pytest.approx(decision.self_hosted_monthly_usd)
    assert document["break_even_requests_per_month"] == pytest.approx(decision.break_even_requests_per_month)
    assert document["chosen"] == "api" and document["rate_limit"]["warning"] is True
