"""Tests of planner.history: revisit dates, fired triggers, comparing two assessments and attribution."""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pypdf import PdfReader
from sqlalchemy import Engine, text

from planner import history, store
from planner.decide.results import Recommendation, RevisitTrigger
from planner.decide.scoring import recommend, score
from planner.errors import PlannerError
from planner.estimate.engine import evaluate
from planner.estimate.results import Evaluation
from planner.inputs.catalog import load_gpus, load_instances
from planner.inputs.files import load_presets
from planner.inputs.models import Architecture, Assessment, GpuSpec, InstancePrice, Stage
from planner.store import price_lists

_EVALUATIONS: dict[tuple[str, tuple[InstancePrice, ...], tuple[GpuSpec, ...]], Evaluation] = {}


def cached_evaluate(assessment: Assessment, instances: Sequence[InstancePrice],
                    gpus: Mapping[str, GpuSpec] | None = None) -> Evaluation:
    """planner.estimate.engine.evaluate, remembered across the tests of this module (it takes about a second)."""
    specs = dict(load_gpus() if gpus is None else gpus)
    key = (assessment.model_dump_json(exclude={"project", "label", "notes"}), tuple(instances),
           tuple(specs[name] for name in sorted(specs)))
    if key not in _EVALUATIONS:
        _EVALUATIONS[key] = evaluate(assessment, instances=instances, gpus=specs)
    return _EVALUATIONS[key]


def blank(**workload: float) -> Assessment:
    base = load_presets()["blank"]
    return base.model_copy(update={"project": "Bot", "workload": base.workload.model_copy(update=workload)})


def with_team(assessment: Assessment, **team: object) -> Assessment:
    return Assessment.model_validate({**assessment.model_dump(), "team": {**assessment.team.model_dump(), **team}})


def scaled_prices(factor: float) -> list[InstancePrice]:
    return [r.model_copy(update={"on_demand_usd_h": round(r.on_demand_usd_h * factor, 4)}) for r in load_instances()]


@pytest.fixture
def engine(store_url: str) -> Engine:
    return store.get_engine(store_url)


_RECOMMENDATIONS: dict[tuple[str, bool], Recommendation] = {}


def save(engine: Engine, assessment: Assessment, prices: Sequence[InstancePrice] | None = None,
         revisit_by: date | None = None, *, estimate: bool = True) -> int:
    """Save as the Results page does: with estimates, or (faster) from the answers alone."""
    rows = list(prices) if prices is not None else list(load_instances())
    gpus = price_lists.gpus_for(engine, assessment.price_list)
    evaluation = cached_evaluate(assessment, rows, gpus) if estimate else None
    key = (assessment.model_dump_json() + (evaluation.model_dump_json() if evaluation else ""), estimate)
    if key not in _RECOMMENDATIONS:
        _RECOMMENDATIONS[key] = recommend(assessment, evaluation)
    return history.save_evaluated(engine, assessment, _RECOMMENDATIONS[key], evaluation, prices=rows,
                                  revisit_by=revisit_by)


# Revisit dates ----------------------------------------------------------------------------------------


def test_every_stage_has_a_sourced_revisit_interval() -> None:
    defaults = history.load_revisit_defaults()
    assert set(defaults) == set(Stage)
    assert defaults[Stage.GROWTH].days == 90
    assert all(d.source.startswith("assumption:") and len(d.source) > 20 for d in defaults.values())
    # Earlier stages change faster, so they are revisited sooner.
    assert [defaults[s].days for s in Stage] == sorted(defaults[s].days for s in Stage)


@pytest.mark.parametrize(("stage", "days"), [("prototype", 30), ("early", 60), ("growth", 90), ("enterprise", 180)])
def test_default_revisit_by_adds_the_stage_interval(stage: str, days: int) -> None:
    assessment = with_team(blank(), stage=stage)
    assert history.default_revisit_by(assessment, date(2026, 1, 31)) == date(2026, 1, 31) + timedelta(days=days)


# Triggers and due projects ----------------------------------------------------------------------------------


def test_value_at_reads_dotted_numeric_inputs_only() -> None:
    assessment = blank(peak_requests_per_s=42.0)
    assert history.value_at(assessment, "workload.peak_requests_per_s") == 42.0
    assert history.value_at(assessment, "team.team_size") == float(assessment.team.team_size)
    for key in ("workload.model_id", "workload.nothing", "team", "workload.pipeline"):
        with pytest.raises(KeyError):
            history.value_at(assessment, key)


def test_fired_triggers_meet_their_threshold_in_either_direction() -> None:
    triggers = [
        RevisitTrigger(key="workload.peak_requests_per_s", op=">=", threshold=30, text="Peak ≥ 30 (now 15): re-size"),
        RevisitTrigger(key="team.team_size", op="<=", threshold=4, text="Team ≤ 4 (now 8)"),
        RevisitTrigger(key="workload.gone_field", op=">=", threshold=1, text="an input this version lacks"),
    ]
    quiet = history.fired_triggers(triggers, blank(peak_requests_per_s=29.9), set_by=1)
    assert quiet == []
    fired = history.fired_triggers(triggers, with_team(blank(peak_requests_per_s=30.0), team_size=4), set_by=7)
    assert [(f.trigger.key, f.value, f.set_by) for f in fired] == [
        ("workload.peak_requests_per_s", 30.0, 7), ("team.team_size", 4.0, 7)]
    assert fired[0].description == "Peak ≥ 30: re-size; now 30 (set by #7)"


def test_home_status_due_and_triggers_in_force_after_a_re_assessment(engine: Engine) -> None:
    today = datetime.now(UTC).date()
    first = blank()
    first_id = save(engine, first, revisit_by=today + timedelta(days=30), estimate=False)
    [status] = history.project_statuses(engine, today)
    assert (status.due, status.fired, status.revisit_by) == (False, (), today + timedelta(days=30))
    # The first roadmap says: re-assess when peak traffic doubles (15 -> 30 requests/s).
    peak_trigger = next(t for t in store.load_assessment(engine, assessment_id=first_id).triggers
                        if t.key == "workload.peak_requests_per_s")
    assert (peak_trigger.op, peak_trigger.threshold) == (">=", 30.0)
    second_id = save(engine, blank(mean_requests_per_s=10.0, peak_requests_per_s=31.0), revisit_by=today,
                     estimate=False)
    [status] = history.project_statuses(engine, today)
    assert status.due  # the revisit date is today
    # The re-assessment at 31 requests/s set the peak trigger anew (31 -> 62): the first one's is answered.
    assert status.fired == ()
    in_force = history.triggers_in_force(store.project_triggers(engine, project="Bot"))
    assert [(t.threshold, set_by) for t, set_by in in_force if t.key == "workload.peak_requests_per_s"] == [
        (62.0, second_id)]
    store.set_project_archived(engine, name="Bot", archived=True)
    assert history.project_statuses(engine, today) == []


def test_an_assessment_saved_without_a_revisit_date_uses_the_stage_default(engine: Engine) -> None:
    recommendation = recommend(blank())
    new_id = store.save_assessment(engine, assessment=blank(), results=history.results_document(recommendation, None),
                                   recommended=recommendation.top.value, app_version="0.0.9")
    with engine.begin() as conn:  # results of another shape, as rows saved before results were admitted hold
        conn.execute(text("UPDATE assessments SET results_json = '{}' WHERE id = :id"), {"id": new_id})
    stored = store.load_assessment(engine, assessment_id=new_id)
    assert stored.revisit_by is None
    assert history.revisit_date(stored) == stored.created_at.date() + timedelta(days=60)  # early stage
    [status] = history.project_statuses(engine, stored.created_at.date() + timedelta(days=60))
    assert status.due and status.fired == ()
    # Results of another shape (no recommendation) still give a timeline point.
    [point] = history.timeline([stored])
    assert (point.scores, point.monthly_cost_usd, point.recommended) == ({}, {}, recommendation.top.value)


def test_a_project_without_assessments_is_neither_due_nor_fired(engine: Engine) -> None:
    store.create_project(engine, name="Empty")
    [status] = history.project_statuses(engine, date(2030, 1, 1))
    assert (status.latest, status.due, status.fired) == (None, False, ())


# Comparing -------------------------------------------------------------------------------------------------


def test_compare_lists_changed_answers_and_the_deltas_of_the_stored_estimates(engine: Engine) -> None:
    old_id = save(engine, blank())
    changed = with_team(blank(mean_requests_per_s=10.0, peak_requests_per_s=40.0), containers=4)
    new_id = save(engine, changed.model_copy(update={"label": "Q2"}), prices=scaled_prices(0.5))
    old, new = (store.load_assessment(engine, assessment_id=i) for i in (old_id, new_id))
    comparison = history.compare(new, old)  # either order: the older one is "old"
    assert (comparison.old_id, comparison.new_id) == (old_id, new_id)
    assert [(c.key, c.old, c.new) for c in comparison.answers_changed] == [
        ("workload.mean_requests_per_s", "5", "10"), ("workload.peak_requests_per_s", "15", "40"),
        ("team.containers", "2", "4")]
    assert comparison.answers_changed[1].label == "Peak traffic (requests/s)"
    assert comparison.prices_changed is True
    old_eval, new_eval = history.stored_evaluation(old), history.stored_evaluation(new)
    assert old_eval is not None and new_eval is not None
    for delta in comparison.estimates:
        a = delta.architecture
        assert delta.cost_delta_usd == pytest.approx(
            new_eval.estimate(a).monthly_cost_usd - old_eval.estimate(a).monthly_cost_usd)
        e2e = (old_eval.estimate(a).e2e.p95_ms, new_eval.estimate(a).e2e.p95_ms)
        assert delta.p95_e2e_delta_ms == pytest.approx(e2e[1] - e2e[0])
    assert comparison.recommendation_changed is (comparison.old_top is not comparison.new_top)


def test_pipeline_steps_are_compared_by_name() -> None:
    old = blank()
    steps = [c.model_dump() for c in old.workload.pipeline]
    steps[1]["cpu_ms_per_request"] = 30.0
    new = Assessment.model_validate({**old.model_dump(), "workload": {**old.workload.model_dump(),
                                                                      "pipeline": steps[:3]}})
    changes = {c.key: (c.old, c.new) for c in history.answer_changes(old, new)}
    assert changes["workload.pipeline.orchestration.cpu_ms_per_request"] == ("15", "30")
    assert changes["workload.pipeline.safety.cpu_ms_per_request"] == ("8", "(none)")
    assert history.answer_changes(old, old.model_copy(update={"label": "other", "project": "Renamed"})) == []


# Attribution ------------------------------------------------------------------------------------------------


def test_shapley_splits_an_interaction_evenly_and_adds_up() -> None:
    def value(s: frozenset[str]) -> float:
        return 10.0 * ("a" in s) + 3.0 * ("b" in s) + (6.0 if {"a", "b"} <= s else 0.0)

    assert history.shapley(value, ["a", "b", "c"]) == {"a": 13.0, "b": 6.0, "c": 0.0}


@given(st.lists(st.floats(-1e6, 1e6), min_size=8, max_size=8))
def test_shapley_shares_always_sum_to_the_whole_change(values: list[float]) -> None:
    players = ["prices", "workload", "team"]
    subsets = [frozenset(p for i, p in enumerate(players) if mask >> i & 1) for mask in range(8)]
    table = dict(zip(subsets, values, strict=True))
    shares = history.shapley(table.__getitem__, players)
    assert math.isclose(sum(shares.values()), table[frozenset(players)] - table[frozenset()], abs_tol=1e-6)


def stored_pair(engine: Engine, old: Assessment, new: Assessment, old_prices: list[InstancePrice],
                new_prices: list[InstancePrice]) -> tuple[store.StoredAssessment, store.StoredAssessment]:
    ids = save(engine, old, old_prices), save(engine, new, new_prices)
    return store.load_assessment(engine, assessment_id=ids[0]), store.load_assessment(engine, assessment_id=ids[1])


def test_a_price_drop_alone_is_attributed_to_prices(engine: Engine) -> None:
    old, new = stored_pair(engine, blank(), blank(), list(load_instances()), scaled_prices(0.6))
    attribution = history.attribute(old, new, evaluator=cached_evaluate)
    for a in Architecture:
        part = attribution.of(a)
        change = part.new_cost_usd - part.old_cost_usd
        assert change < 0
        assert part.share("prices").cost_usd == pytest.approx(change)
        for factor in ("workload", "team", "other"):
            assert part.share(factor).cost_usd == pytest.approx(0.0, abs=1e-6)
    assert attribution.notes == ()


def test_a_batch_evaluates_every_mixture_at_once_with_the_same_result(engine: Engine) -> None:
    """The app's path: every distinct mixture handed to one batch call (one worker), in the subsets' order."""
    old_inputs = blank()
    new_inputs = with_team(blank(mean_requests_per_s=10.0, peak_requests_per_s=30.0), containers=4)
    old, new = stored_pair(engine, old_inputs, new_inputs, list(load_instances()), scaled_prices(0.8))
    calls: list[list[tuple[Assessment, history.Pricing]]] = []

    def batch(jobs: list[tuple[Assessment, history.Pricing]], on_done: Callable[[int], None]) -> list[Evaluation]:
        calls.append(jobs)
        out = []
        for assessment, pricing in jobs:
            out.append(cached_evaluate(assessment, pricing.instances, pricing.gpus))
            on_done(len(out))
        return out

    heard: list[tuple[int, int, str]] = []
    batched = history.attribute(old, new, evaluator=cached_evaluate, batch=batch,
                                progress=lambda done, total, name: heard.append((done, total, name)))
    one_by_one = history.attribute(old, new, evaluator=cached_evaluate)
    assert batched == one_by_one
    assert len(calls) == 1 and len(calls[0]) == 8  # prices, workload and team all changed: 2 x 2 x 2 mixtures
    assert [h[:2] for h in heard] == [(n, 8) for n in range(1, 9)]
    assert heard[0][2] == "The older assessment (its inputs and prices)"
    assert heard[-1][2] == "The newer assessment (its inputs and prices)"


def test_workload_and_team_changes_split_cost_and_score_exactly(engine: Engine) -> None:
    old_inputs = blank()
    new_inputs = with_team(blank(mean_requests_per_s=10.0, peak_requests_per_s=30.0), containers=4, on_call=4)
    old, new = stored_pair(engine, old_inputs, new_inputs, list(load_instances()), list(load_instances()))
    attribution = history.attribute(old, new, evaluator=cached_evaluate)
    prices = list(load_instances())
    team_only = history.mixture(old_inputs, new_inputs, frozenset({"team"}))
    assert team_only.workload == old_inputs.workload and team_only.team == new_inputs.team
    for a in Architecture:
        part = attribution.of(a)
        # Prices did not change, so every share is prices' zero plus the two inputs' effects ...
        assert part.share("prices").cost_usd == pytest.approx(0.0, abs=1e-6)
        assert part.share("other").cost_usd == pytest.approx(0.0, abs=1e-6)
        total = sum(s.cost_usd for s in part.shares)
        assert total == pytest.approx(part.new_cost_usd - part.old_cost_usd)
        # ... and with two factors the Shapley share is the mean of the two orders of switching them.
        def cost(inputs: Assessment, arch: Architecture = a) -> float:
            return cached_evaluate(inputs, prices).estimate(arch).monthly_cost_usd

        via_team_first = cost(team_only) - cost(old_inputs)
        via_team_last = cost(new_inputs) - cost(history.mixture(old_inputs, new_inputs, frozenset({"workload"})))
        assert part.share("team").cost_usd == pytest.approx((via_team_first + via_team_last) / 2)
        old_score = next(s.score for s in score(old_inputs, cached_evaluate(old_inputs, prices)) if s.architecture is a)
        assert part.old_score == pytest.approx(old_score)
        assert sum(s.score for s in part.shares) == pytest.approx(part.new_score - part.old_score)
    # Better readiness cuts the people cost of running many services.
    assert attribution.of(Architecture.MICROSERVICES).share("team").cost_usd < 0


def test_an_old_assessment_without_a_snapshot_is_priced_with_todays_list(engine: Engine) -> None:
    # Today's prices of an assessment without a price list are the catalog's, which the newer one was saved with.
    old, new = stored_pair(engine, blank(), blank(), scaled_prices(1.5), list(load_instances()))
    with engine.begin() as conn:
        conn.execute(text("UPDATE assessments SET price_snapshot_json = NULL WHERE id = :i"), {"i": old.id})
    old = store.load_assessment(engine, assessment_id=old.id)
    attribution = history.attribute(old, new, evaluator=cached_evaluate)
    assert any("price snapshots" in n for n in attribution.notes)
    part = attribution.of(Architecture.MONOLITH)
    # Both priced at today's list, so the re-evaluation sees no change; the stored drop shows as "other".
    assert part.share("prices").cost_usd == pytest.approx(0.0, abs=1e-6)
    assert part.share("other").cost_usd == pytest.approx(part.new_cost_usd - part.old_cost_usd)


def test_timeline_points_carry_scores_costs_and_readiness(engine: Engine) -> None:
    ids = [save(engine, blank()), save(engine, with_team(blank(), containers=4, cicd=4))]
    stored = store.project_assessments(engine, project="Bot")
    points = history.timeline(stored)
    assert [p.id for p in points] == ids
    assert points[0].readiness_mean == 2.0 and points[1].readiness_mean == pytest.approx(16 / 6)
    evaluation = history.stored_evaluation(stored[0])
    assert evaluation is not None
    assert points[0].monthly_cost_usd[Architecture.HYBRID] == evaluation.estimate(Architecture.HYBRID).monthly_cost_usd
    assert set(points[0].scores) == set(Architecture)


# GPU specs kept with the price snapshot ----------------------------------------------------------------

CUSTOM_LIST = "Negotiated X9"


def custom_gpu_list(engine: Engine) -> tuple[list[InstancePrice], GpuSpec]:
    """Save a price list whose only GPU type, X9, is not in data/gpus.csv (the H100-SXM rows, renamed); it
    replaces the built-in catalog, so its rows are all an evaluation with it prices."""
    h100 = load_gpus()["H100-SXM"]
    x9 = h100.model_copy(update={"gpu": "X9", "bandwidth_tb_s": 4.0, "source": "test: a negotiated GPU type"})
    rows = [r.model_copy(update={"gpu": "X9"}) for r in load_instances() if r.gpu == "H100-SXM"]
    price_lists.save_price_list(engine, name=CUSTOM_LIST, price_list=price_lists.PriceList(
        instances=tuple(rows), gpus=(x9,), catalog_mode=price_lists.REPLACE_CATALOG))
    return rows, x9


def on_list(assessment: Assessment) -> Assessment:
    return assessment.model_copy(update={"price_list": CUSTOM_LIST})


def test_a_custom_gpu_result_is_re_evaluated_after_its_price_list_is_deleted(engine: Engine) -> None:
    rows, x9 = custom_gpu_list(engine)
    cheaper = [r.model_copy(update={"on_demand_usd_h": round(r.on_demand_usd_h * 0.6, 4)}) for r in rows]
    old, new = stored_pair(engine, on_list(blank()), on_list(blank()), rows, cheaper)
    # Only the spec of the GPU type its instance rows name is kept: X9 (none of the catalog's).
    assert old.gpu_snapshot == new.gpu_snapshot == (x9,)
    assert {r.gpu for r in old.price_snapshot or ()} == {"X9"}
    price_lists.delete_price_list(engine, CUSTOM_LIST)
    with pytest.raises(PlannerError, match="Negotiated X9"):
        price_lists.gpus_for(engine, CUSTOM_LIST)
    old, new = (store.load_assessment(engine, assessment_id=s.id) for s in (old, new))
    seen: list[Mapping[str, GpuSpec]] = []

    def spying(assessment: Assessment, instances: Sequence[InstancePrice], gpus: Mapping[str, GpuSpec]) -> Evaluation:
        seen.append(gpus)
        return evaluate(assessment, instances=instances, gpus=gpus)

    attribution = history.attribute(old, new, evaluator=spying)
    assert seen and all(g["X9"] == x9 for g in seen)
    saved_old, saved_new = history.stored_evaluation(old), history.stored_evaluation(new)
    assert saved_old is not None and saved_new is not None
    for a in Architecture:
        part = attribution.of(a)
        # Re-evaluated with the kept rows and specs, each end costs what it cost when saved ...
        assert part.old_cost_usd == pytest.approx(saved_old.estimate(a).monthly_cost_usd)
        assert part.share("other").cost_usd == pytest.approx(0.0, abs=1e-6)
        # ... so the 40 % cheaper rows explain the whole change.
        assert part.share("prices").cost_usd == pytest.approx(part.new_cost_usd - part.old_cost_usd)
        assert part.new_cost_usd < part.old_cost_usd
    again = evaluate(old.assessment, instances=old.price_snapshot or (), gpus=history.snapshot_gpus_of(old))
    assert again.model_dump() == saved_old.model_dump()
    assert attribution.notes == ()


def test_a_snapshot_from_before_gpu_specs_were_kept_uses_todays_specs(engine: Engine) -> None:
    rows, _ = custom_gpu_list(engine)
    old, new = stored_pair(engine, blank(), on_list(blank()), list(load_instances()), rows)
    legacy = "[" + ",".join(r.model_dump_json() for r in load_instances()) + "]"
    with engine.begin() as conn:
        conn.execute(text("UPDATE assessments SET price_snapshot_json = :s WHERE id = :i"), {"s": legacy, "i": old.id})
    old = store.load_assessment(engine, assessment_id=old.id)
    assert (old.price_snapshot, old.gpu_snapshot) == (tuple(load_instances()), None)
    attribution = history.attribute(old, new, evaluator=cached_evaluate)
    assert any("before GPU specs were kept" in n for n in attribution.notes)
    assert attribution.of(Architecture.MONOLITH).share("other").cost_usd == pytest.approx(0.0, abs=1e-6)
    # The newer one's X9 rows saved in the old plain form, its list deleted: no spec anywhere, said plainly.
    custom = "[" + ",".join(r.model_dump_json() for r in rows) + "]"
    with engine.begin() as conn:
        conn.execute(text("UPDATE assessments SET price_snapshot_json = :s WHERE id = :i"), {"s": custom, "i": new.id})
    price_lists.delete_price_list(engine, CUSTOM_LIST)
    new = store.load_assessment(engine, assessment_id=new.id)
    with pytest.raises(PlannerError, match=rf"Assessment #{new.id} was priced with GPU types .*\(X9;"):
        history.attribute(old, new, evaluator=cached_evaluate)


def test_snapshot_gpus_keeps_the_specs_of_the_rows_gpu_types_only() -> None:
    rows = [r for r in load_instances() if r.gpu in ("L4", "H100-SXM")]
    assert [g.gpu for g in history.snapshot_gpus(rows, load_gpus())] == ["H100-SXM", "L4"]
    assert history.snapshot_gpus([], load_gpus()) == []


def test_compare_sees_a_change_of_gpu_specs_as_a_price_change(engine: Engine) -> None:
    rows, x9 = custom_gpu_list(engine)
    unpriced = save(engine, on_list(blank()), rows, estimate=False)  # saved without estimates: no snapshot
    before = save(engine, on_list(blank()), rows)
    faster = x9.model_copy(update={"bandwidth_tb_s": 5.0})
    price_lists.save_price_list(engine, name=CUSTOM_LIST, replace=True,
                                price_list=price_lists.PriceList(instances=tuple(rows), gpus=(faster,)))
    after, again = save(engine, on_list(blank()), rows), save(engine, on_list(blank()), rows)
    none, old, mid, new = (store.load_assessment(engine, assessment_id=i) for i in (unpriced, before, after, again))
    assert (none.price_snapshot, none.gpu_snapshot) == (None, None)
    assert (old.gpu_snapshot, mid.gpu_snapshot) == ((x9,), (faster,))
    assert old.price_snapshot == mid.price_snapshot  # the same instance rows ...
    assert history.compare(old, mid).prices_changed is True  # ... but the list's X9 spec changed
    assert history.compare(mid, new).prices_changed is False
    assert history.compare(none, mid).prices_changed is None


def test_a_workshop_consensus_is_saved_with_the_gpu_specs_of_its_price_list(engine: Engine) -> None:
    from planner.store import workshops as workshop_store

    rows, x9 = custom_gpu_list(engine)
    created = workshop_store.create_workshop(engine, project="Bot")
    workshop_store.close_workshop(engine, token=created.facilitator_token)
    token = created.facilitator_token
    assessment = on_list(blank())
    evaluation = cached_evaluate(assessment, rows, price_lists.gpus_for(engine, CUSTOM_LIST))
    recommendation = recommend(assessment, evaluation)
    # As the Workshop page saves it: the one save path, told which workshop the consensus comes from.
    origin = history.FromWorkshop(token=token, view=workshop_store.facilitator_view(engine, token=token))
    assessment_id = history.save_evaluated(engine, assessment, recommendation, evaluation, workshop=origin)
    stored = store.load_assessment(engine, assessment_id=assessment_id)
    assert (list(stored.price_snapshot or ()), stored.gpu_snapshot) == (rows, (x9,))
    assert stored.triggers == tuple(recommendation.triggers)
    assert stored.results["workshop"]["join_code"] == created.workshop.display_code
    assert workshop_store.workshop_for_assessment(engine, assessment_id=assessment_id) is not None


def test_the_report_of_a_result_saved_without_estimates_uses_its_kept_gpu_specs(engine: Engine) -> None:
    from planner.present import report

    rows, x9 = custom_gpu_list(engine)
    assessment = on_list(blank())
    # An assessment saved without estimates but with a price snapshot (as a project import can bring one).
    assessment_id = store.save_assessment(
        engine, assessment=assessment, results=history.results_document(recommend(assessment), None),
        recommended=recommend(assessment).top.value, app_version="0.2.0", price_snapshot=rows, gpu_snapshot=(x9,))
    price_lists.delete_price_list(engine, CUSTOM_LIST)
    pdf = report.build_saved_report(engine, assessment_id=assessment_id, report_date=date(2026, 11, 29))
    text_of = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "x X9" in text_of  # the fleet table names the kept GPU type ("1 x X9")


# One rule for re-evaluating a saved assessment: its snapshot, or today's prices when asked --------------

RULE_LIST = "Changing list"


def priced_on_a_list_that_changes(engine: Engine) -> tuple[store.StoredAssessment, store.StoredAssessment]:
    """Two assessments saved on a price list, then the list's prices doubled (both saved before the change)."""
    price_lists.save_price_list(engine, name=RULE_LIST,
                                price_list=price_lists.PriceList(instances=tuple(load_instances())))
    assessment = blank().model_copy(update={"price_list": RULE_LIST})
    old, new = stored_pair(engine, assessment, with_team(assessment, containers=4), list(load_instances()),
                           list(load_instances()))
    price_lists.save_price_list(engine, name=RULE_LIST, replace=True,
                                price_list=price_lists.PriceList(instances=tuple(scaled_prices(2.0))))
    return old, new


def test_a_saved_assessment_is_re_evaluated_with_its_snapshot_unless_today_is_asked(engine: Engine) -> None:
    old, _ = priced_on_a_list_that_changes(engine)
    saved = history.stored_evaluation(old)
    assert saved is not None
    again = history.reevaluate(old, engine=engine)
    today = history.reevaluate(old, engine=engine, prices="today")
    for a in Architecture:
        assert again.evaluation.estimate(a).monthly_cost_usd == pytest.approx(saved.estimate(a).monthly_cost_usd)
    doubled = evaluate(old.assessment, instances=scaled_prices(2.0), gpus=load_gpus())
    assert today.evaluation.model_dump() == doubled.model_dump()
    assert today.recommendation == recommend(old.assessment, doubled)
    assert history.saved_pricing(old, engine=engine, prices="today").instances == scaled_prices(2.0)
    # Without a snapshot, today's prices either way: the list as it is today.
    with engine.begin() as conn:
        conn.execute(text("UPDATE assessments SET price_snapshot_json = NULL WHERE id = :i"), {"i": old.id})
    legacy = store.load_assessment(engine, assessment_id=old.id)
    assert history.saved_pricing(legacy, engine=engine).instances == scaled_prices(2.0)


def test_the_attribution_prices_each_side_with_its_snapshot_unless_today_is_asked(engine: Engine) -> None:
    old, new = priced_on_a_list_that_changes(engine)
    seen: list[list[InstancePrice]] = []

    def spying(assessment: Assessment, instances: Sequence[InstancePrice], gpus: Mapping[str, GpuSpec]) -> Evaluation:
        seen.append(list(instances))
        return cached_evaluate(assessment, instances, gpus)

    history.attribute(old, new, engine=engine, evaluator=spying)
    assert seen and all(rows == list(load_instances()) for rows in seen)
    seen.clear()
    today = history.attribute(old, new, engine=engine, prices="today", evaluator=spying)
    assert seen and all(rows == scaled_prices(2.0) for rows in seen)
    assert any("today's prices" in n for n in today.notes)
    assert today.of(Architecture.MONOLITH).share("prices").cost_usd == pytest.approx(0.0, abs=1e-6)


def test_the_saved_report_uses_the_snapshot_unless_today_is_asked(engine: Engine,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from planner.present import report

    old, _ = priced_on_a_list_that_changes(engine)
    shown: list[Evaluation] = []
    monkeypatch.setattr(report, "build_report", lambda assessment, evaluation, *a, **k: shown.append(evaluation))
    report.build_saved_report(engine, assessment_id=old.id)
    report.build_saved_report(engine, assessment_id=old.id, prices="today")
    saved = history.stored_evaluation(old)
    assert saved is not None and shown[0] == saved
    assert shown[1].model_dump() == history.reevaluate(old, engine=engine, prices="today").evaluation.model_dump()
    monolith = Architecture.MONOLITH
    assert shown[1].estimate(monolith).monthly_cost_usd > saved.estimate(monolith).monthly_cost_usd
    # Saved without estimates but with a snapshot: re-evaluated with the snapshot, not the changed list.
    unestimated = store.save_assessment(
        engine, assessment=old.assessment, results=history.results_document(recommend(old.assessment), None),
        recommended="monolith", app_version="0.2.0", price_snapshot=old.price_snapshot, gpu_snapshot=old.gpu_snapshot)
    report.build_saved_report(engine, assessment_id=unestimated)
    assert shown[2].model_dump() == saved.model_dump()
