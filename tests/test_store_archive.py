"""Saving once, archiving and restoring assessments, acknowledging fired triggers (revision 0008), on both backends."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import Engine, inspect, text

from planner import history, store
from planner.decide.results import RevisitTrigger
from planner.decide.scoring import recommend
from planner.errors import InputError, StoreError
from planner.inputs.models import Assessment
from planner.store import alembic_config, create_store_engine, get_engine
from planner.store.assessments import assessment_columns
from tests.test_store import RESULTS, make_assessment

PEAK = "workload.peak_requests_per_s"
CREATED = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def engine(store_url: str) -> Engine:
    """A migrated engine on the empty database of ``store_url``."""
    return get_engine(store_url)


def save(engine: Engine, assessment: Assessment, **extra: object) -> store.SavedId:
    return store.save_assessment(engine, assessment=assessment, results=RESULTS, recommended="hybrid",
                                 app_version="0.1.0", **extra)  # type: ignore[arg-type]


def listed(engine: Engine, project: str | None = None) -> list[int]:
    return [s.id for s in store.list_assessments(engine, project=project)]


# Saving once --------------------------------------------------------------------------------------------


def test_saving_the_same_assessment_three_times_keeps_one(engine: Engine) -> None:
    first = save(engine, make_assessment(label="Q1"))
    again = [save(engine, make_assessment(label="Q1")) for _ in range(2)]
    assert first.created and again == [first, first] and not any(a.created for a in again)
    assert listed(engine) == [first]
    assert store.list_projects(engine)[0].assessment_count == 1


@pytest.mark.parametrize("change", ["label", "project", "results", "prices"])
def test_a_save_that_differs_in_anything_kept_is_a_new_assessment(engine: Engine, change: str) -> None:
    first = save(engine, make_assessment(label="Q1"))
    other = {
        "label": lambda: save(engine, make_assessment(label="Q2")),
        "project": lambda: save(engine, make_assessment(project="Elsewhere", label="Q1")),
        "results": lambda: store.save_assessment(
            engine, assessment=make_assessment(label="Q1"), recommended="hybrid", app_version="0.1.0",
            results={**RESULTS, "evaluation": None}),
        "prices": lambda: save(engine, make_assessment(label="Q1"), price_snapshot=[]),
    }[change]()
    assert other.created and other != first
    assert len(store.list_assessments(engine)) == 2


def test_the_same_assessment_is_recognised_after_its_project_is_renamed(engine: Engine) -> None:
    first = save(engine, make_assessment(project="Old"))
    store.rename_project(engine, name="Old", new_name="New")
    assert save(engine, make_assessment(project="New")) == first


def test_the_content_hash_ignores_key_order_and_the_project_name() -> None:
    inputs = make_assessment(project="A").model_dump(mode="json")
    shuffled = dict(reversed(list({**inputs, "project": "B"}.items())))
    results = json.dumps(RESULTS)
    assert store.content_hash(json.dumps(inputs), results, None) == store.content_hash(json.dumps(shuffled), results,
                                                                                       None)
    assert store.content_hash(json.dumps(inputs), results, None) != store.content_hash(json.dumps(inputs), results,
                                                                                       "[]")


def test_save_evaluated_is_the_one_idempotent_path(engine: Engine) -> None:
    assessment = make_assessment(label="CLI")
    recommendation = recommend(assessment)
    ids = [history.save_evaluated(engine, assessment, recommendation, None) for _ in range(3)]
    assert len(set(ids)) == 1 and [i.created for i in ids] == [True, False, False]


# Archive and restore ----------------------------------------------------------------------------------


def test_an_archived_assessment_leaves_every_list_and_comes_back_on_restore(engine: Engine) -> None:
    keep, gone = save(engine, make_assessment(label="keep")), save(engine, make_assessment(label="gone"))
    store.archive_assessment(engine, assessment_id=gone)
    assert listed(engine) == [keep] and listed(engine, "Demo") == [keep]
    assert [s.id for s in store.project_assessments(engine, project="Demo")] == [keep]
    latest = store.latest_assessment(engine, project="Demo")
    assert latest is not None and latest.id == keep
    [project] = store.list_projects(engine)
    assert project.assessment_count == 1
    [archived] = store.list_assessments(engine, archived=True)
    assert archived.id == gone and archived.archived_at is not None
    assert store.load_assessment(engine, assessment_id=gone).archived_at == archived.archived_at  # still opens
    with pytest.raises(StoreError, match="already archived"):
        store.archive_assessment(engine, assessment_id=gone)

    store.restore_assessment(engine, assessment_id=gone)
    assert listed(engine) == [gone, keep]
    assert store.list_assessments(engine, archived=True) == []
    assert store.load_assessment(engine, assessment_id=gone).archived_at is None
    with pytest.raises(StoreError, match="is not archived"):
        store.restore_assessment(engine, assessment_id=gone)
    with pytest.raises(StoreError, match="No saved assessment with id 999"):
        store.archive_assessment(engine, assessment_id=999)


def test_saving_again_what_was_archived_saves_a_new_one(engine: Engine) -> None:
    first = save(engine, make_assessment())
    store.archive_assessment(engine, assessment_id=first)
    again = save(engine, make_assessment())
    assert again.created and again != first and listed(engine) == [again]


def test_archived_assessments_are_not_exported(engine: Engine) -> None:
    save(engine, make_assessment(label="kept"))
    store.archive_assessment(engine, assessment_id=save(engine, make_assessment(label="archived")))
    export = store.export_project(engine, project="Demo", app_version="0.1.0")
    assert [a.inputs["label"] for a in export.assessments] == ["kept"]


# Acknowledgements ------------------------------------------------------------------------------------------


def peak_trigger(threshold: float) -> RevisitTrigger:
    return RevisitTrigger(key=PEAK, op=">=", threshold=threshold, text=f"Peak traffic ≥ {threshold:g} requests/s")


def test_an_acknowledgement_keeps_its_note_name_time_and_value(engine: Engine) -> None:
    trigger = peak_trigger(8)
    set_by = save(engine, make_assessment(), triggers=[trigger])
    before = datetime.now(UTC)
    ack = store.acknowledge_trigger(engine, assessment_id=set_by, trigger=trigger, value=12,
                                    note="  Re-sized in #2.\r\nSee **the ADR**  ", by=" Ana ")
    assert (ack.note, ack.by, ack.value) == ("Re-sized in #2.\nSee **the ADR**", "Ana", 12)
    assert before <= ack.at <= datetime.now(UTC)
    assert store.acknowledgements(engine, assessment_ids=[set_by]) == [ack]
    assert ack.covers(trigger, 12, set_by) and not ack.covers(trigger, 13, set_by)


@pytest.mark.parametrize(("note", "by", "field", "match"), [
    ("", "", "note", "The note is empty"),
    ("   ", "", "note", "The note is empty"),
    ("x" * 1_001, "", "note", "at most 1000 characters"),
    ("ok\x00", "", "note", "control characters"),
    ("ok", "Ana\nBob", "by", "The name must not contain line breaks"),
    ("ok", "A" * 121, "by", "at most 120 characters"),
])
def test_a_bad_note_or_name_is_refused_by_field(engine: Engine, note: str, by: str, field: str, match: str) -> None:
    trigger = peak_trigger(8)
    set_by = save(engine, make_assessment(), triggers=[trigger])
    with pytest.raises(InputError, match=match) as caught:
        store.acknowledge_trigger(engine, assessment_id=set_by, trigger=trigger, value=12, note=note, by=by)
    assert set(caught.value.field_errors) == {field}
    assert store.acknowledgements(engine, assessment_ids=[set_by]) == []


def test_only_a_trigger_the_assessment_set_can_be_acknowledged(engine: Engine) -> None:
    set_by = save(engine, make_assessment(), triggers=[peak_trigger(8)])
    with pytest.raises(StoreError, match="set no trigger"):
        store.acknowledge_trigger(engine, assessment_id=set_by, trigger=peak_trigger(9), value=12, note="x")
    with pytest.raises(StoreError, match="No saved assessment with id 999"):
        store.acknowledge_trigger(engine, assessment_id=999, trigger=peak_trigger(8), value=12, note="x")
    with pytest.raises(StoreError, match="finite"):
        store.acknowledge_trigger(engine, assessment_id=set_by, trigger=peak_trigger(8), value=float("nan"),
                                  note="x")


def test_acknowledgements_go_with_their_assessment(engine: Engine) -> None:
    set_by = save(engine, make_assessment(), triggers=[peak_trigger(8)])
    store.acknowledge_trigger(engine, assessment_id=set_by, trigger=peak_trigger(8), value=12, note="seen")
    store.delete_assessment(engine, assessment_id=set_by)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM trigger_acknowledgements")).scalar_one() == 0


# Triggers on the Home page: in force after the latest assessment, acknowledged at a value -----------------


def status(engine: Engine) -> history.ProjectStatus:
    [project] = store.list_projects(engine)
    return history.project_status(engine, project, history.today_utc())


def save_with_own_triggers(engine: Engine, peak: float, label: str) -> int:
    assessment = make_assessment(label=label)
    assessment = assessment.model_copy(update={"workload": assessment.workload.model_copy(
        update={"peak_requests_per_s": peak})})
    return history.save_evaluated(engine, assessment, recommend(assessment), None)


def test_re_assessing_answers_the_previous_assessments_trigger(engine: Engine) -> None:
    # The report of issue 15: #1 at 6 requests/s set "peak >= 8"; #2 re-assessed at 12 must not keep that alarm.
    first = save_with_own_triggers(engine, 6, "first")
    [old_peak] = [t for t in store.load_assessment(engine, assessment_id=first).triggers if t.key == PEAK]
    assert old_peak.fired(12)
    second = save_with_own_triggers(engine, 12, "second")
    assert status(engine).fired == ()
    in_force = history.triggers_in_force(store.project_triggers(engine, project="Demo"))
    assert {set_by for trigger, set_by in in_force if trigger.key == PEAK} == {second}


def test_a_trigger_no_later_roadmap_set_again_fires_until_acknowledged_at_its_value(engine: Engine) -> None:
    mean = RevisitTrigger(key="workload.mean_requests_per_s", op=">=", threshold=3, text="Mean traffic ≥ 3 (now 2)")
    first = save(engine, make_assessment(), triggers=[mean, peak_trigger(8)])

    def reassess(mean_rps: float, label: str) -> int:
        workload = make_assessment().workload.model_copy(update={"mean_requests_per_s": mean_rps})
        return save(engine, make_assessment(label=label).model_copy(update={"workload": workload}),
                    triggers=[peak_trigger(9)])

    reassess(4, "busier")
    [fired] = status(engine).fired
    assert (fired.trigger, fired.value, fired.set_by, fired.acknowledgement) == (mean, 4, first, None)
    assert status(engine).alarms == (fired,)
    ack = store.acknowledge_trigger(engine, assessment_id=first, trigger=mean, value=4, note="Planned", by="Ana")
    assert status(engine).alarms == () and status(engine).acknowledged[0].acknowledgement == ack

    store.archive_assessment(engine, assessment_id=reassess(5, "busier still"))  # archived: not the latest
    assert status(engine).acknowledged[0].acknowledgement == ack
    reassess(5, "busier again")  # no later roadmap set a mean-traffic trigger: #1's is in force, at a new value
    [again] = status(engine).alarms
    assert (again.trigger, again.value, again.set_by) == (mean, 5, first)


# Migration 0008 -----------------------------------------------------------------------------------------


def test_0008_hashes_the_rows_saved_before_it_so_saving_them_again_adds_nothing(store_url: str) -> None:
    columns = assessment_columns(inputs=make_assessment(label="old"), results=RESULTS, recommended="hybrid",
                                 app_version="0.0.9", price_snapshot=None, gpu_snapshot=None, revisit_by=None,
                                 triggers=())
    engine = create_store_engine(store_url)
    try:
        with engine.begin() as conn:
            command.upgrade(alembic_config(conn), "0007_gpu_link")
            conn.execute(text("INSERT INTO projects (id, name, created_at, archived) VALUES (1, 'Demo', :t, false)"),
                         {"t": CREATED})
            conn.execute(text("INSERT INTO assessments (id, project_id, label, inputs_json, results_json, "
                              "recommended, app_version, created_at, triggers_json) VALUES (7, 1, 'old', :i, :r, "
                              "'hybrid', '0.0.9', :t, '[]')"),
                         {"i": columns["inputs_json"], "r": columns["results_json"], "t": CREATED})
    finally:
        engine.dispose()
    migrated = get_engine(store_url)
    with migrated.connect() as conn:
        stored_hash = conn.execute(text("SELECT content_hash FROM assessments WHERE id = 7")).scalar_one()
    assert stored_hash == columns["content_hash"]
    again = save(migrated, make_assessment(label="old"))
    assert (again, again.created) == (7, False)

    with migrated.begin() as conn:
        command.downgrade(alembic_config(conn), "0007_gpu_link")
        assert {"content_hash", "archived_at"}.isdisjoint(c["name"] for c in inspect(conn).get_columns("assessments"))
        assert "trigger_acknowledgements" not in inspect(conn).get_table_names()
        assert conn.execute(text("SELECT count(*) FROM assessments")).scalar_one() == 1
