"""Resilience and change: closed forms, blast radius, seeds, monotonicity, the page.

The code is in planner/estimate/resilience.py, with windows.py (disturbed windows) and timeline.py.

Expected figures are computed here from the assumptions written out below (data/assumptions.yaml) and
the model card's parameter count (data/llms.csv), not copied from a previous run.
"""

from __future__ import annotations

import functools
import math

import pytest
from streamlit.testing.v1 import AppTest

from planner.errors import InputError
from planner.estimate.engine import evaluate
from planner.estimate.outages import UnitModel, mean_ci, simulate_outages
from planner.estimate.resilience import model_update_wait_h
from planner.estimate.results import Evaluation
from planner.estimate.simulation import CpuStation, Outage, SimulationInput, simulate
from planner.estimate.topology import build_topology
from planner.inputs.catalog import load_assumptions
from planner.inputs.files import load_presets
from planner.inputs.models import Architecture, Assessment
from planner.present.charts import resilience_chart
from tests.conftest import tables_shown
from tests.presets import self_hosted

MONO, HYBRID, MICRO = Architecture.MONOLITH, Architecture.HYBRID, Architecture.MICROSERVICES
SMALL = "content_startup"  # the quickest preset to evaluate again with changed inputs

# data/assumptions.yaml
CPU_RESTART_S = 30.0
LOAD_GB_PER_S = 2.0
WARMUP_S = 60.0
REPLICA_MTBF_H = 720.0
MAX_UNAVAILABLE = 0.25
RELEASE_OVERHEAD_H = 4.0
MAX_RELEASE_INTERVAL_H = 730.0
LLAMA_8B_PARAMS = 8.03e9  # data/llms.csv
WEEKS_PER_MONTH = 52 / 12


@functools.cache
def evaluation_of(name: str, seed: int | None = None) -> Evaluation:
    return evaluate(self_hosted(name)) if seed is None else evaluate(self_hosted(name), seed=seed)


def changed(name: str, *, overrides: dict[str, float] | None = None, steps: dict[str, dict] | None = None,
            **workload: object) -> Assessment:
    """A preset with workload answers, pipeline-step fields and assumption overrides replaced."""
    data = self_hosted(name).model_dump()
    data["workload"].update(workload)
    for step in data["workload"]["pipeline"]:
        step.update((steps or {}).get(step["name"], {}))
    data["assumption_overrides"] = overrides or {}
    return Assessment.model_validate(data)


def unit(name: str = "u", *, replicas: int = 1, mtbf_h: float = 10.0, mttr_s: float = 3600.0,
         critical: bool = True) -> UnitModel:
    return UnitModel(name=name, components=(name,), critical=critical, replicas=replicas, mtbf_h=mtbf_h,
                     mttr_s=mttr_s, deploys_per_month=0.0, batch=1, retried=False, in_unit_s=0.0)


# Closed forms -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("mtbf_h", "mttr_s"), [(10.0, 3600.0), (100.0, 1800.0), (2.0, 7200.0)])
def test_single_replica_availability_converges_to_mtbf_over_mtbf_plus_mttr(mtbf_h, mttr_s):
    hours = 5000.0
    months = simulate_outages([unit(mtbf_h=mtbf_h, mttr_s=mttr_s)], hours_per_month=hours, months=20, seed=3)
    availability = [1.0 - m.critical_outage_h / hours for m in months]
    mean, (low, high) = mean_ci(availability)
    expected = mtbf_h / (mtbf_h + mttr_s / 3600.0)
    assert low <= expected <= high
    assert mean == pytest.approx(expected, abs=0.01)
    assert high - low < 0.02  # and the interval is tight enough to mean something


def test_two_replicas_are_both_down_about_the_square_of_the_time():
    # Independent replicas: both down a share q^2 of the time, exactly one 2q(1-q).
    mtbf_h, mttr_h, hours = 5.0, 1.0, 20_000.0
    months = simulate_outages([unit(replicas=2, mtbf_h=mtbf_h, mttr_s=mttr_h * 3600)], hours_per_month=hours,
                              months=10, seed=5)
    q = mttr_h / (mtbf_h + mttr_h)
    _, (low, high) = mean_ci([m.critical_outage_h / hours for m in months])
    assert low <= q * q <= high
    _, (low, high) = mean_ci([m.down_h["u"].get(1, 0.0) / hours for m in months])
    assert low <= 2 * q * (1 - q) <= high


def test_crash_count_matches_the_renewal_rate():
    hours, mtbf_h, mttr_h = 10_000.0, 10.0, 1.0
    months = simulate_outages([unit(replicas=3, mtbf_h=mtbf_h, mttr_s=mttr_h * 3600)], hours_per_month=hours,
                              months=10, seed=1)
    _, (low, high) = mean_ci([m.crashes["u"] for m in months])
    assert low <= 3 * hours / (mtbf_h + mttr_h) <= high


def test_deploy_minutes_and_lead_time_by_hand():
    # Content startup: 4 + 1 + 0.5 + 0.5 code deploys a week, 0.3 model updates a month, Llama 3.1 8B BF16.
    evaluation = evaluation_of(SMALL)
    restart_gpu_s = CPU_RESTART_S + LLAMA_8B_PARAMS * 2 / 1e9 / LOAD_GB_PER_S + WARMUP_S
    code_per_month = (1.0 + 4.0 + 0.5 + 0.5) * WEEKS_PER_MONTH
    mono = evaluation.estimate(MONO).resilience
    micro = evaluation.estimate(MICRO).resilience
    assert mono is not None and micro is not None
    assert mono.deploy_capacity_minutes_per_month == pytest.approx((code_per_month + 0.3) * restart_gpu_s / 60)
    assert micro.deploy_capacity_minutes_per_month == pytest.approx(
        (code_per_month * CPU_RESTART_S + 0.3 * restart_gpu_s) / 60)
    (inference,) = [u for u in micro.units if u.unit == "inference"]
    batches = math.ceil(inference.replicas / max(1, math.floor(MAX_UNAVAILABLE * inference.replicas)))
    assert micro.model_update_lead_time_min == pytest.approx(batches * restart_gpu_s / 60)


def inference_rollout_min(evaluation: Evaluation, architecture: Architecture) -> float:
    """One rolling restart of the unit serving the model, by hand: ceil(n / k) restarts of load + warm-up."""
    resilience = evaluation.estimate(architecture).resilience
    assert resilience is not None
    (model_unit,) = [u for u in resilience.units if "inference" in u.components]
    restart_s = CPU_RESTART_S + LLAMA_8B_PARAMS * 2 / 1e9 / LOAD_GB_PER_S + WARMUP_S
    batches = math.ceil(model_unit.replicas / max(1, math.floor(MAX_UNAVAILABLE * model_unit.replicas)))
    return batches * restart_s / 60


def test_model_update_lead_time_by_hand_for_each_architecture():
    # Content startup: the monolith releases once per code deploy, 1 + 4 + 0.5 + 0.5 = 6 a week, one every
    # 28 h; a ready model waits 14 h on average plus the 4 h release overhead, then the rolling restart.
    evaluation = evaluation_of(SMALL)
    lead = {a: evaluation.estimate(a).resilience.model_update_lead_time_min for a in Architecture}
    rollout_min = inference_rollout_min(evaluation, MONO)
    assert lead[MONO] == pytest.approx((168 / 6 / 2 + RELEASE_OVERHEAD_H) * 60 + rollout_min)
    assert lead[MONO] == pytest.approx(18 * 60 + inference_rollout_min(evaluation, MONO))
    # Inference deploys on its own in the hybrid and microservices: the rolling restart only.
    assert lead[HYBRID] == pytest.approx(inference_rollout_min(evaluation, HYBRID))
    assert lead[MICRO] == pytest.approx(inference_rollout_min(evaluation, MICRO))
    assert lead[MONO] > lead[HYBRID] == pytest.approx(lead[MICRO])


def shipped_constants() -> dict[str, float]:
    return {k: a.value for k, a in load_assumptions().items()}


def test_release_wait_follows_the_monoliths_code_deploys():
    constants = shipped_constants()
    waits = []
    for per_week in (0.1, 0.5, 1.0, 6.0, 20.0, 100.0):
        workload = changed(SMALL, steps={s: {"deploys_per_week": per_week / 4} for s in
                                          ("gateway", "orchestration", "retrieval", "safety")}).workload
        wait_h = model_update_wait_h(build_topology(MONO, workload), workload, constants)
        assert wait_h == pytest.approx(min(168 / per_week, MAX_RELEASE_INTERVAL_H) / 2 + RELEASE_OVERHEAD_H)
        assert model_update_wait_h(build_topology(HYBRID, workload), workload, constants) == 0.0
        assert model_update_wait_h(build_topology(MICRO, workload), workload, constants) == 0.0
        waits.append(wait_h)
    # More code deploys mean more releases to ride on, so a shorter wait (0.1 a week is one release every
    # 1,680 h, under one a month: the monthly floor of releases applies).
    assert waits == sorted(waits, reverse=True) and waits[0] > waits[-1]
    assert waits[0] == pytest.approx(MAX_RELEASE_INTERVAL_H / 2 + RELEASE_OVERHEAD_H)


def test_no_code_deploys_fall_back_to_the_monthly_release():
    zero = changed(SMALL, steps={s: {"deploys_per_week": 0.0} for s in
                                 ("gateway", "orchestration", "retrieval", "safety")})
    wait_h = model_update_wait_h(build_topology(MONO, zero.workload), zero.workload, shipped_constants())
    assert math.isfinite(wait_h)
    assert wait_h == pytest.approx(730 / 2 + 4)
    evaluation = evaluate(zero)
    mono = evaluation.estimate(MONO).resilience
    assert mono.model_update_lead_time_min == pytest.approx(369 * 60 + inference_rollout_min(evaluation, MONO))


def test_release_overrides_change_the_monolith_lead_time_only():
    overrides = {"deploy.monolith_release_overhead_h": 0.0, "deploy.monolith_max_release_interval_h": 12.0}
    evaluation = evaluate(changed(SMALL, overrides=overrides))
    base = evaluation_of(SMALL)
    mono = evaluation.estimate(MONO).resilience
    # One release every 28 h, capped at 12 h: a 6 h wait and no release overhead.
    assert mono.model_update_lead_time_min == pytest.approx(6 * 60 + inference_rollout_min(evaluation, MONO))
    for architecture in (HYBRID, MICRO):
        assert (evaluation.estimate(architecture).resilience.model_update_lead_time_min
                == pytest.approx(base.estimate(architecture).resilience.model_update_lead_time_min))
    only_overhead = evaluate(changed(SMALL, overrides={"deploy.monolith_release_overhead_h": 10.0}))
    assert only_overhead.estimate(MONO).resilience.model_update_lead_time_min == pytest.approx(
        (14 + 10) * 60 + inference_rollout_min(only_overhead, MONO))


def test_a_negative_release_overhead_is_refused_at_its_key():
    with pytest.raises(InputError) as error:
        evaluate(changed(SMALL, overrides={"deploy.monolith_release_overhead_h": -1.0}))
    assert "assumption_overrides.deploy.monolith_release_overhead_h" in error.value.field_errors


def test_monolith_crashes_add_every_steps_crash_rate_and_the_gpus():
    evaluation = evaluation_of(SMALL)
    mono = evaluation.estimate(MONO).resilience
    assert mono is not None
    (only,) = mono.units
    gpus = next(f.gpus_per_replica for f in evaluation.estimate(MONO).fleet if f.kind == "gpu")
    rate = 4 / REPLICA_MTBF_H + 1 / REPLICA_MTBF_H + gpus / 50_700
    assert only.mtbf_h == pytest.approx(1 / rate)


def test_hop_failures_follow_the_retry_closed_form():
    # 1 % of calls fail, no retries: each request crosses 3 hops to critical steps (orchestration,
    # inference, the return) and 2 to non-critical ones (retrieval, safety).
    error = 0.01
    res = evaluate(changed(SMALL, overrides={"network.hop_error_rate": error, "network.hop_retries": 0}))
    micro = res.estimate(MICRO).resilience
    assert micro is not None
    hops = next(c for c in micro.causes if c.cause.startswith("Network hops"))
    assert hops.failed_per_month == pytest.approx(3 * error * micro.requests_per_month)
    assert hops.degraded_per_month == pytest.approx(2 * error * micro.requests_per_month)
    mono = res.estimate(MONO).resilience
    assert mono is not None
    assert next(c for c in mono.causes if c.cause.startswith("Network hops")).failed_per_month == 0


# Blast radius -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["blank", SMALL])
def test_monolith_blast_radius_is_every_component(name):
    resilience = evaluation_of(name).estimate(MONO).resilience
    assert resilience is not None
    stages = {s.name for s in self_hosted(name).workload.pipeline} | {"inference"}
    assert {b.component for b in resilience.blast_radius} == stages
    for blast in resilience.blast_radius:
        assert set(blast.affected) == stages
        assert blast.effect == "fails requests"


def test_microservice_blast_radius_is_itself_plus_what_needs_it():
    workload = load_presets()["blank"].workload
    order = [c.name for c in workload.pipeline if not c.after_inference] + ["inference"] + [
        c.name for c in workload.pipeline if c.after_inference]
    critical = {c.name: c.critical for c in workload.pipeline} | {"inference": True}
    resilience = evaluation_of("blank").estimate(MICRO).resilience
    assert resilience is not None
    by_step = {b.component: b for b in resilience.blast_radius}
    for i, step in enumerate(order):
        expected = {step} | (set(order[i + 1:]) if critical[step] else set())
        assert set(by_step[step].affected) == expected, step
        assert by_step[step].effect == ("fails requests" if critical[step] else "degrades requests")
    assert by_step["retrieval"].affected == ("retrieval",)
    assert by_step["inference"].affected == ("inference", "safety")


def test_hybrid_inference_crash_spares_the_core_steps_before_it():
    resilience = evaluation_of("blank").estimate(HYBRID).resilience
    assert resilience is not None
    by_step = {b.component: b for b in resilience.blast_radius}
    assert by_step["inference"].affected == ("inference", "safety")
    assert set(by_step["gateway"].affected) == {"gateway", "orchestration", "retrieval", "inference", "safety"}


# Reproducibility and direction -------------------------------------------------------------------------


def test_same_seed_same_resilience_other_seed_other_months():
    first = evaluation_of(SMALL)
    again = evaluate(self_hosted(SMALL))
    for architecture in Architecture:
        assert again.estimate(architecture).resilience == first.estimate(architecture).resilience
    other = evaluation_of(SMALL, seed=11)
    crashes = [e.resilience.crashes_per_month for e in first.estimates.values() if e.resilience]
    assert crashes != [e.resilience.crashes_per_month for e in other.estimates.values() if e.resilience]


@pytest.mark.parametrize("step", ["orchestration", "retrieval"])
def test_more_deploys_never_raise_availability(step):
    previous: dict[Architecture, float] = {}
    for deploys in (0.0, 2.0, 10.0, 40.0):
        evaluation = evaluate(changed(SMALL, steps={step: {"deploys_per_week": deploys}}))
        for architecture, estimate in evaluation.estimates.items():
            resilience = estimate.resilience
            assert resilience is not None
            if architecture in previous:
                assert resilience.availability_pct <= previous[architecture] + 1e-12, (architecture, deploys)
            previous[architecture] = resilience.availability_pct


def test_more_model_updates_cost_more_capacity_and_never_raise_availability():
    few = evaluation_of(SMALL)
    many = evaluate(changed(SMALL, model_updates_per_month=30.0))
    for architecture in Architecture:
        a, b = few.estimate(architecture).resilience, many.estimate(architecture).resilience
        assert a is not None and b is not None
        assert b.availability_pct <= a.availability_pct
        assert b.deploy_capacity_minutes_per_month > a.deploy_capacity_minutes_per_month


def test_a_fragile_step_crashes_more_and_only_its_own_service_in_microservices():
    fragile = evaluate(changed(SMALL, steps={"retrieval": {"mtbf_h": 24.0, "mttr_s": 120.0}}))
    base = evaluation_of(SMALL)
    micro_units = {u.unit: u for u in fragile.estimate(MICRO).resilience.units}  # type: ignore[union-attr]
    base_units = {u.unit: u for u in base.estimate(MICRO).resilience.units}  # type: ignore[union-attr]
    assert micro_units["retrieval"].mtbf_h == pytest.approx(24.0)
    assert micro_units["retrieval"].mttr_s == pytest.approx(120.0)
    assert micro_units["retrieval"].crashes_per_month > 5 * base_units["retrieval"].crashes_per_month
    assert micro_units["gateway"] == base_units["gateway"]
    mono = fragile.estimate(MONO).resilience
    assert mono is not None and mono.crashes_per_month > base.estimate(MONO).resilience.crashes_per_month  # type: ignore[union-attr]


def test_timeline_starts_and_ends_at_full_capacity_and_dips_for_the_model_update():
    evaluation = evaluation_of(SMALL)
    assert [e.label for e in evaluation.resilience_events] == [
        "retrieval replica crashes", "orchestration code deploy", "model update"]
    update = evaluation.resilience_events[-1].minute
    for estimate in evaluation.estimates.values():
        points = estimate.resilience.timeline  # type: ignore[union-attr]
        assert points[0].capacity_pct == 100.0 and points[-1].capacity_pct == 100.0
        assert min(p.capacity_pct for p in points if p.minute >= update) < 100.0
    # A non-critical step's crash takes no capacity from microservices, but a whole monolith replica.
    crash = evaluation.resilience_events[0].minute
    at_crash = {a: next(p for p in e.resilience.timeline if p.minute >= crash + 0.1).capacity_pct  # type: ignore[union-attr]
                for a, e in evaluation.estimates.items()}
    assert at_crash[MICRO] == 100.0
    assert at_crash[MONO] < 100.0


def test_timeline_chart_gives_each_event_label_its_own_line():
    # Events a few minutes apart would print their labels over each other on one line.
    spec = resilience_chart(evaluation_of(SMALL)).to_dict()
    labels = next(layer for layer in spec["layer"] if layer["mark"].get("type") == "text")
    rows = spec["datasets"][labels["data"]["name"]]
    assert len({row["y_pct"] for row in rows}) == len(rows) == 3
    assert labels["encoding"]["y"] == {"field": "y_pct", "type": "quantitative"}


def test_evaluation_round_trips_through_json_and_old_evaluations_still_load():
    evaluation = evaluation_of(SMALL)
    assert Evaluation.model_validate_json(evaluation.model_dump_json()) == evaluation
    old = evaluation.model_dump(mode="json")
    old.pop("resilience_events")
    for estimate in old["estimates"].values():
        estimate.pop("resilience")
    loaded = Evaluation.model_validate(old)
    assert all(e.resilience is None for e in loaded.estimates.values())


def test_bad_resilience_override_is_refused_at_its_key():
    with pytest.raises(InputError) as caught:
        evaluate(changed(SMALL, overrides={"deploy.max_unavailable_share": 0.0}))
    assert "assumption_overrides.deploy.max_unavailable_share" in caught.value.field_errors


# The simulation's outages ------------------------------------------------------------------------------


def _pool(outages: list[Outage]) -> SimulationInput:
    return SimulationInput(stations=[CpuStation(name="cpu", servers=3, mean_service_s=0.1)], arrival_rate_per_s=20.0,
                           n_requests=2000, warmup_requests=200, seed=4, e2e_slo_ms=300.0, outages=outages)


def test_an_outage_slows_requests_and_capacity_comes_back():
    base = simulate(_pool([]))
    hit = simulate(_pool([Outage(station=0, down=2, duration_s=20.0)]))
    assert hit.slo_miss_share > base.slo_miss_share
    assert hit.e2e.p99_ms > base.e2e.p99_ms
    # The same run with the outage over before it starts hurting: identical up to the outage's start.
    assert simulate(_pool([Outage(station=0, down=1, start_s=1e6, duration_s=1.0)])).e2e == base.e2e


@pytest.mark.parametrize(("outage", "message"), [
    (Outage(station=0, down=3, duration_s=1.0), "leave one of the 3 servers"),
    (Outage(station=2, down=1, duration_s=1.0), "station 2, which does not exist"),
])
def test_outage_must_leave_a_server_and_name_a_station(outage, message):
    with pytest.raises(ValueError, match=message):
        _pool([outage])


# The Results page ----------------------------------------------------------------------------------------


def test_results_page_shows_the_resilience_section(app: AppTest) -> None:
    app.button(key="a.submit").click().run()
    assert not app.exception, app.exception
    assert "Resilience and change" in app.subheader.values
    tables = tables_shown(app)
    (resilience,) = [t for t in tables if "Model update lead time" in t.columns]
    assert resilience["Architecture"].tolist() == ["Monolith", "Hybrid", "Microservices"]
    expected = evaluation_of("blank").estimate(MONO).resilience
    assert expected is not None
    assert resilience["Availability"].iloc[0] == f"{expected.availability_pct:.3f} %"
    # The monolith waits hours for its next release; the split architectures ship in minutes.
    assert resilience["Model update lead time"].iloc[0] == f"{expected.model_update_lead_time_min / 60:,.1f} h"
    assert resilience["Model update lead time"].iloc[2].endswith(" min")
    charts = [c.proto.spec for c in app.get("vega_lite_chart")]
    assert any("Capacity in service (%)" in spec for spec in charts)
    assert any("Blast radius" in e.label for e in app.expander)


def test_pipeline_editor_rows_keep_mtbf_and_restart_and_blank_means_default():
    import pandas as pd

    from planner.inputs.validation import validate_assessment
    from ui.form import PIPELINE_COLUMNS, pipeline_rows

    frame = pd.DataFrame([
        {"name": "gateway", "cpu_ms_per_request": 2.0, "critical": True, "deploys_per_week": 1.0,
         "after_inference": False, "mtbf_h": 100, "mttr_s": float("nan")},
        {"name": "retrieval", "cpu_ms_per_request": 20.0, "critical": False, "deploys_per_week": 1.0,
         "after_inference": False, "mtbf_h": None, "mttr_s": 45.0},
    ], columns=list(PIPELINE_COLUMNS))
    rows = pipeline_rows(frame)
    assert [(r["mtbf_h"], r["mttr_s"]) for r in rows] == [(100.0, None), (None, 45.0)]
    data = self_hosted(SMALL).model_dump(mode="json")
    data["workload"]["pipeline"] = rows
    assert validate_assessment(data).workload.pipeline[0].mtbf_h == 100.0
    data["workload"]["pipeline"][1]["mttr_s"] = 0.0
    with pytest.raises(InputError, match="pipeline step 2") as caught:
        validate_assessment(data)
    assert "restart time (s) must be more than 0" in caught.value.field_errors["workload.pipeline.1.mttr_s"]
