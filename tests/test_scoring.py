"""The recommendation: scores are sums of named contributions with reasons (planner/decide)."""

import functools

import pytest

from planner.decide.scoring import load_weights, recommend, score
from planner.errors import InputError
from planner.inputs.models import Architecture, Assessment
from tests.presets import self_hosted

MONO, HYBRID, MICRO = Architecture.MONOLITH, Architecture.HYBRID, Architecture.MICROSERVICES


def preset(name: str, **changes: object) -> Assessment:
    """A shipped preset with section__field changes applied."""
    data = self_hosted(name).model_dump()
    for path, value in changes.items():
        section, field = path.split("__")
        data[section][field] = value
    return Assessment.model_validate(data)


def reasons(rec, architecture) -> dict[str, str]:
    return {c.driver: c.reason for c in rec.score_of(architecture).contributions}


def test_startup_does_not_get_microservices_and_says_why():
    rec = recommend(preset("content_startup"))
    assert rec.top is MONO
    assert rec.ranked[-1].architecture is MICRO
    micro = reasons(rec, MICRO)
    assert "a team of 4" in micro["team_size"]
    assert "Incident response and on-call at level 0, needs 3" in micro["readiness.on_call"]
    assert "simplicity now" in reasons(rec, MONO)["stage"]


def test_daily_update_chatbot_with_mature_team_does_not_get_a_monolith():
    rec = recommend(preset("chatbot_daily_updates"))
    assert rec.top is MICRO
    assert rec.ranked[-1].architecture is MONO
    micro = reasons(rec, MICRO)
    assert "models updated 30x a month" in micro["update_cadence"]
    assert "6 teams" in micro["teams"]
    assert "waits for the next release of the whole monolith" in reasons(rec, MONO)["update_cadence"]
    assert rec.confidence == "high"


@pytest.mark.parametrize("name", ["blank", "chatbot_daily_updates", "content_startup"])
def test_score_is_base_plus_the_sum_of_its_contributions(name):
    base = load_weights()["base_score"]
    for entry in score(preset(name)):
        assert entry.score == pytest.approx(base + sum(c.points for c in entry.contributions), abs=0.05)
        assert all(c.reason for c in entry.contributions)


def test_contribution_is_weight_times_the_hand_computed_signal():
    # Blank preset: 1 model update a month -> signal log(2)/log(31) = 0.2018; microservices weight 12.
    rec = recommend(preset("blank"))
    update = next(c for c in rec.score_of(MICRO).contributions if c.driver == "update_cadence")
    assert update.points == pytest.approx(12 * 0.2018, abs=0.01)


def test_readiness_gaps_weigh_against_the_architectures_that_need_them():
    ready = score(preset("blank", team__observability=4))
    unready = score(preset("blank", team__observability=0))
    by = {s.architecture: s.score for s in ready}
    by_unready = {s.architecture: s.score for s in unready}
    # Microservices need level 3: from 4 to 0 it loses 3 missing levels x 3 points plus readiness fit.
    assert by[MICRO] - by_unready[MICRO] > by[MONO] - by_unready[MONO]
    rec = recommend(preset("blank", team__observability=0))
    gap = next(g for g in rec.gaps if g.architecture is MICRO and g.key == "observability")
    assert (gap.current, gap.required) == (0, 3)
    assert "OpenTelemetry" in gap.next_step


def test_more_frequent_updates_never_lower_microservices():
    previous = None
    for updates in [0, 1, 4, 15, 30, 120]:
        value = {s.architecture: s.score for s in score(preset("blank", workload__model_updates_per_month=updates))}
        if previous is not None:
            assert value[MICRO] >= previous
        previous = value[MICRO]


def test_flip_point_really_flips_the_top_choice():
    base = preset("blank")
    rec = recommend(base)
    assert rec.flip_points, "the blank preset is close between monolith and hybrid"
    for flip in rec.flip_points:
        section, field = flip.key.split(".")
        data = base.model_dump()
        data[section][field] = type(data[section][field])(flip.threshold)
        if section == "team" and field == "team_size":
            data["team"]["platform_headcount"] = min(data["team"]["platform_headcount"], int(flip.threshold))
        assert recommend(Assessment.model_validate(data)).top is flip.new_top, flip.text
        assert flip.new_top is not rec.top


def test_triggers_include_flip_points_and_traffic_growth():
    rec = recommend(preset("blank"))
    keys = {t.key for t in rec.triggers}
    assert "workload.peak_requests_per_s" in keys
    assert "workload.model_updates_per_month" in keys
    peak = next(t for t in rec.triggers if t.key == "workload.peak_requests_per_s")
    assert peak.fired(30.0) and not peak.fired(29.0)


def test_roadmap_starts_from_the_recommended_architecture():
    assert "monolith" in recommend(preset("content_startup")).roadmap[0].title.lower()
    assert "readiness" in recommend(preset("chatbot_daily_updates", team__observability=1)).roadmap[0].title.lower()


def test_summary_names_leader_margin_and_confidence():
    rec = recommend(preset("content_startup"))
    assert rec.summary.startswith("Monolith leads Hybrid by")
    assert rec.confidence in rec.summary


# Resilience drivers (they need the engine's numbers) ------------------------------------------------


@functools.cache
def startup_evaluation():
    from planner.estimate.engine import evaluate

    return evaluate(preset("content_startup"))


def with_resilience(evaluation, architecture, **changes):
    """The evaluation with some resilience figures of one architecture replaced."""
    estimate = evaluation.estimate(architecture)
    resilience = estimate.resilience.model_copy(update=changes)
    estimates = {**evaluation.estimates, architecture: estimate.model_copy(update={"resilience": resilience})}
    return evaluation.model_copy(update={"estimates": estimates})


def contribution(rec, architecture, driver):
    return next((c for c in rec.score_of(architecture).contributions if c.driver == driver), None)


def test_availability_below_target_costs_points_in_proportion_to_the_shortfall():
    # Target 99 %: 99.5 % meets it; 98.75 % uses a quarter point more than the 1-point budget: -12 x 0.25.
    assessment = preset("content_startup")
    evaluation = with_resilience(startup_evaluation(), MONO, availability_pct=98.75, failed_per_month=1234.0,
                                 slowed_per_month=56.0)
    penalty = contribution(recommend(assessment, evaluation), MONO, "availability")
    assert penalty.points == pytest.approx(-12 * (99.0 - 98.75) / (100 - 99.0), abs=0.01)
    assert "98.750 % is just below the 99 % target" in penalty.reason  # a quarter of the signal: a weak case
    assert "1,234 requests a month fail and 56 are slowed" in penalty.reason
    meets = with_resilience(startup_evaluation(), MONO, availability_pct=99.5)
    assert contribution(recommend(assessment, meets), MONO, "availability") is None


def test_capacity_lost_to_deploys_weighs_against_each_architecture():
    assessment = preset("content_startup")
    rec = recommend(assessment, startup_evaluation())
    for architecture in Architecture:
        resilience = startup_evaluation().estimate(architecture).resilience
        expected = -5 * min(1.0, resilience.deploy_capacity_minutes_per_month / 480)
        entry = contribution(rec, architecture, "deploy_disruption")
        assert entry.points == pytest.approx(expected, abs=0.01)
        assert f"{resilience.deploy_capacity_minutes_per_month:,.0f} capacity-minutes" in entry.reason
        rollout_min = next(u.rollout_min for u in resilience.units if "inference" in u.components)
        wait_min = resilience.model_update_lead_time_min - rollout_min
        if architecture is MONO:
            # 6 code deploys a week: one release every 28 h, half of it waited plus 4 h of release overhead.
            assert wait_min == pytest.approx(18 * 60)
            assert (f"a model update takes {resilience.model_update_lead_time_min / 60:.1f} h from ready to every "
                    f"replica (18.0 h waiting for the next release of the whole app, then a {rollout_min:.0f} min "
                    f"rolling restart)") in entry.reason
        else:
            assert wait_min == pytest.approx(0.0)
            assert (f"a model update takes {rollout_min:.0f} min from ready to every replica (the model deploys "
                    f"on its own, a {rollout_min:.0f} min rolling restart)") in entry.reason


def test_fault_isolation_credits_requests_saved_against_the_error_budget():
    assessment = preset("content_startup")
    base = startup_evaluation()
    # Monolith loses 40,000 requests a month more than microservices: the budget (1 %) is half used.
    evaluation = with_resilience(with_resilience(base, MONO, failed_per_month=41_000.0, slowed_per_month=0.0),
                                 MICRO, failed_per_month=1_000.0, slowed_per_month=0.0)
    budget = base.estimate(MICRO).resilience.requests_per_month * 0.01
    rec = recommend(assessment, evaluation)
    entry = contribution(rec, MICRO, "fault_isolation")
    assert entry.points == pytest.approx(4 * min(1.0, 40_000 / (budget * 0.5)), abs=0.01)
    assert "against 41,000 for the Monolith" in entry.reason
    assert contribution(rec, MONO, "fault_isolation") is None


def test_hop_latency_without_an_evaluation_applies_the_override_bounds():
    # Without an evaluation the hop latency reads the constants the engine would use, checks included.
    data = preset("content_startup").model_dump()
    data["assumption_overrides"] = {"network.hop_median_ms": -5.0}
    with pytest.raises(InputError, match=r"network\.hop_median_ms must be at least 0"):
        score(Assessment.model_validate(data))


# Reasons follow the sign and size of their points (issue 15 item 6) --------------------------------

LOW_SIGNAL, HIGH_SIGNAL = 0.1, 1.0  # the two ends of a driver's signal range that still show a contribution
# For each driver: the words that must appear when it argues for (+) or against (-) an architecture, at
# the high and the low end of its signal. Written by hand from what each driver means, not from the file.
REASON_WORDS = {
    "update_cadence": {("+", "high"): "ships each update as soon as it is ready", ("+", "low"): "helps a little",
                       ("-", "high"): "waits for the next release", ("-", "low"): "costs a little"},
    "code_deploys": {("+", "high"): "ship them independently", ("+", "low"): "help a little",
                     ("-", "high"): "all go through one deployable", ("-", "low"): "costs a little"},
    "scaling_heterogeneity": {("+", "high"): "scales apart from CPU work", ("+", "low"): "helps a little",
                              ("-", "high"): "scales GPU and CPU together", ("-", "low"): "wastes a little"},
    "teams": {("+", "high"): "its own deploys and ownership", ("+", "low"): "help so few teams a little",
              ("-", "high"): "share one deployable", ("-", "low"): "costs a little"},
    "isolation": {("+", "high"): "degrade instead of failing", ("+", "low"): "helps a little",
                  ("-", "high"): "takes a whole monolith replica down", ("-", "low"): "tolerates a little more"},
    "latency_budget": {("+", "high"): "in-process calls cost nothing", ("+", "low"): "save a little",
                       ("-", "high"): "network hops add", ("-", "low"): "only 1%"},
    "team_size": {("+", "high"): "spends its time on the product", ("+", "low"): "still saves it a little",
                  ("-", "high"): "would carry the operational overhead", ("-", "low"): "can carry most"},
    "platform_staff": {("+", "high"): "needs the least platform work", ("+", "low"): "still saves them a little",
                       ("-", "high"): "to run orchestration", ("-", "low"): "nearly enough"},
    "readiness_fit": {("+", "high"): "has much of the skills", ("+", "low"): "has little of the skills"},
    "single_hotspot": {("+", "high"): "split only it", ("+", "low"): "a small case"},
    "cost": {("-", "high"): "more than the cheapest", ("-", "low"): "only 5% more"},
    "budget": {("-", "high"): "is over the", ("-", "low"): "slightly over"},
    "slo": {("-", "high"): "misses the latency targets", ("-", "low"): "misses the latency targets"},
    "availability": {("-", "high"): "is below the", ("-", "low"): "just below"},
    "deploy_disruption": {("-", "high"): "out of service", ("-", "low"): "take only"},
    "fault_isolation": {("+", "high"): "a failure takes down less", ("+", "low"): "a little less"},
}
# Words of a strong case that a weak one must never use, and the reverse.
STRONG_ONLY = ("already has", "as soon as it is ready", "cost nothing", "the least platform work")
WEAK_ONLY = ("a little", "only 1", "slightly", "just below", "nearly", "little of", "small case")


def sample_facts(signal: float) -> dict[str, object]:
    """Every fact a reason template names, with numbers that match a signal at this end of the range."""
    facts: dict[str, object] = {name: 1.0 for name in (
        "model_updates", "deploys", "components", "peak_ratio", "teams", "availability", "noncritical",
        "ttft_target", "e2e_target", "team_size", "platform", "readiness_mean", "budget", "hops", "hop_ms",
        "cost", "cost_min", "infrastructure", "p95_ttft", "p95_e2e", "availability_est", "failed", "slowed",
        "deploy_minutes", "restarts", "lost", "worst_lost", "lead_time")}
    facts.update(shape="steady", worst_arch="Microservices", lead_time_text="5 min",
                 lead_time_clause="a model update takes 5 min (a restart)", stage="Growth",
                 hop_share=signal * 0.1, cost_excess=signal * 0.5)
    return facts


def driver_cases():
    for driver, spec in load_weights()["drivers"].items():
        for architecture, weight in spec["weights"].items():
            if weight:
                for end, signal in (("low", LOW_SIGNAL), ("high", HIGH_SIGNAL)):
                    yield pytest.param(driver, weight, end, signal, id=f"{driver}-{architecture}-{end}")


def test_every_driver_has_its_expected_wording():
    assert set(REASON_WORDS) == set(load_weights()["drivers"])


@pytest.mark.parametrize(("driver", "weight", "end", "signal"), list(driver_cases()))
def test_a_reason_agrees_with_the_sign_and_size_of_its_points(driver, weight, end, signal):
    from planner.decide.contributions import reason_text

    points = weight * signal
    sign = "+" if points > 0 else "-"
    text = reason_text(driver, points, signal, sample_facts(signal))
    assert REASON_WORDS[driver][(sign, end)] in text, text
    if end == "low" and sign == "+":
        assert not any(w in text for w in STRONG_ONLY), text
    if end == "high" and driver != "slo":
        assert not any(w in text for w in WEAK_ONLY), text


def test_low_readiness_gives_microservices_a_small_credit_not_a_claim_of_skill():
    # The issue's case: readiness averaging 0.8 of 4 gave microservices +1.2 "as the team has the skills".
    levels = {"containers": 1, "observability": 1, "cicd": 1, "on_call": 0, "api_design": 1, "service_security": 1}
    rec = recommend(preset("content_startup", **{f"team__{k}": v for k, v in levels.items()}))
    fit = contribution(rec, MICRO, "readiness_fit")
    assert fit.points == pytest.approx(6 * (5 / 6) / 4, abs=0.01)  # weight 6 x mean 0.83 of 4
    assert "readiness averages only 0.8 of 4: the team has little of the skills" in fit.reason
    assert "already has" not in fit.reason
    skilled = recommend(preset("content_startup", **{f"team__{k}": 4 for k in levels}))
    assert "has much of the skills distributed services need" in contribution(skilled, MICRO, "readiness_fit").reason


def test_the_scale_names_each_architectures_reachable_range_and_the_confidence_thresholds():
    from planner.decide.scoring import scale_text, score_range
    from planner.estimate.engine import evaluate

    text = scale_text()
    assert text.startswith("Scores start at 50 points")
    for architecture in Architecture:
        low, high = score_range(architecture)
        assert low < 50 < high
        assert f"{architecture.label.lower()} {low:g} to {high:g}" in text
    assessment = self_hosted("content_startup")
    for s in recommend(assessment, evaluate(assessment)).ranked:
        low, high = score_range(s.architecture)
        assert low <= s.score <= high
