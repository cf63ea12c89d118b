"""AppTests of saving once, deleting with a confirmation and undo, opening saved results, and fired triggers on Home."""

from __future__ import annotations

from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from planner import history, store
from planner.decide.results import RevisitTrigger
from planner.decide.scoring import recommend
from planner.estimate.engine import evaluate
from planner.inputs.models import Assessment
from tests.test_app_history import blank, seed, start, texts

HOME, RESULTS, SAVED, HISTORY = "pages/home.py", "pages/results.py", "pages/saved.py", "pages/history.py"
SAVED_RESULT = "pages/saved_result.py"
SAVE = "FormSubmitter:save-Save assessment"


def go(at: AppTest, page: str) -> AppTest:
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def click(at: AppTest, key: str) -> AppTest:
    at.button(key=key).click().run()
    assert not at.exception, at.exception
    return at


def saved_ids(url: str, *, archived: bool = False) -> list[int]:
    return [s.id for s in store.list_assessments(store.get_engine(url), archived=archived)]


# Saving once -------------------------------------------------------------------------------------------------


def test_three_clicks_on_save_make_one_assessment(app: AppTest, temp_database: str) -> None:
    click(app, "a.submit")
    assert app.title[0].value == "Recommendation"
    click(app, SAVE)
    assert app.success[0].value.startswith("Saved as assessment #1 ")
    for _ in range(2):
        click(app, SAVE)
        assert any(i.value.startswith("Already saved as #1 ") for i in app.info), [i.value for i in app.info]
    assert saved_ids(temp_database) == [1]
    app.text_input(key="r.label").input("second look")
    click(app, SAVE)  # a new label is a new assessment
    assert app.success[0].value.startswith("Saved as assessment #2 ")
    assert saved_ids(temp_database) == [2, 1]


# Deleting with a confirmation, undo and the archive ------------------------------------------------------------


def test_delete_asks_first_then_undo_brings_it_back(temp_database: str) -> None:
    keep = seed(temp_database, blank("Bot").model_copy(update={"label": "keep"}))
    drop = seed(temp_database, blank("Bot").model_copy(update={"label": "drop **me**"}))
    at = go(start(temp_database), SAVED)
    at.selectbox(key="s.pick").select(drop).run()
    click(at, "s.delete")
    assert saved_ids(temp_database) == [drop, keep]  # nothing happens before the confirmation, asked in a dialog
    [dialog] = at.get("dialog")
    assert "Delete \\#2 Bot · drop \\*\\*me\\*\\*" in dialog.markdown[0].value  # the label shown literally
    click(at, "s.delete_cancel")
    assert not at.get("dialog") and saved_ids(temp_database) == [drop, keep]

    click(at, "s.delete")
    click(at, "s.delete_confirm")
    assert saved_ids(temp_database) == [keep] and saved_ids(temp_database, archived=True) == [drop]
    assert at.dataframe[0].value["Id"].tolist() == [keep]
    assert "Deleted assessment #2" in texts(at)
    click(at, "s.undo")
    assert saved_ids(temp_database) == [drop, keep] and saved_ids(temp_database, archived=True) == []
    assert "Restored assessment #2" in texts(at)
    assert at.dataframe[0].value["Id"].tolist() == [drop, keep]
    assert at.selectbox(key="s.pick").value == drop  # the picker shows the restored one again


def test_archived_assessments_are_listed_and_restored_and_left_out_of_history(temp_database: str) -> None:
    first = seed(temp_database, blank("Bot").model_copy(update={"label": "first"}))
    second = seed(temp_database, blank("Bot").model_copy(update={"label": "second"}))
    store.archive_assessment(store.get_engine(temp_database), assessment_id=second)
    at = go(start(temp_database), HISTORY)
    assert "Save a second assessment of this project to compare the two." in texts(at)  # #2 is out of history
    go(at, SAVED)
    assert at.dataframe[0].value["Id"].tolist() == [first]
    saved_at = store.load_assessment(store.get_engine(temp_database), assessment_id=second).created_at
    assert at.selectbox(key="s.archived_pick").options == [
        f"#{second} Bot · second ({saved_at:%Y-%m-%d %H:%M}), archived {history.today_utc().isoformat()}"]
    click(at, "s.restore")
    assert saved_ids(temp_database) == [second, first]
    store.archive_assessment(store.get_engine(temp_database), assessment_id=first)
    store.archive_assessment(store.get_engine(temp_database), assessment_id=second)
    at = go(start(temp_database), SAVED)
    assert "Nothing saved yet" in texts(at) and at.selectbox(key="s.archived_pick").value == second


# Saved results open without the engine ---------------------------------------------------------------------


def no_engine(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("the engine ran")


def test_saved_results_and_pdf_open_without_the_engine_and_re_evaluate_on_request(
        temp_database: str, monkeypatch: pytest.MonkeyPatch) -> None:
    saved_id = seed(temp_database, blank("Bot"), estimate=True)
    monkeypatch.setenv("PLANNER_EVALUATION_WORKERS", "0")  # evaluations run in this process, where the patch is
    monkeypatch.setattr("ui.evaluation_worker.evaluate", no_engine)
    monkeypatch.setattr("planner.history.snapshots.evaluate", no_engine)
    at = go(start(temp_database), SAVED)
    click(at, "s.results")
    assert [t.value for t in at.title] == ["Saved assessment"]
    go(at, SAVED_RESULT)  # AppTest reruns the page it last switched to; follow the page's own switch
    assert "The results as saved: nothing was computed again." in texts(at)
    stored = store.load_assessment(store.get_engine(temp_database), assessment_id=saved_id)
    top = history.stored_recommendation(stored)
    assert top is not None and at.metric[0].value == top.top.label
    assert "Estimates at peak and per month" in [h.value for h in at.subheader]
    click(at, "sr.prepare")
    assert not at.error, [e.value for e in at.error]
    assert at.download_button(key="sr.download").label == "Download PDF report"
    assert "Bot-recommendation-".lower() in at.caption[-1].value.lower()

    monkeypatch.setattr("ui.evaluation_worker.evaluate", evaluate)
    click(at, "sr.today")
    assert "Re-evaluated with today's prices" in texts(at)
    click(at, "sr.saved")
    assert "The results as saved: nothing was computed again." in texts(at)


def test_history_opens_a_saved_assessments_results(temp_database: str, monkeypatch: pytest.MonkeyPatch) -> None:
    first = seed(temp_database, blank("Bot").model_copy(update={"label": "first"}))
    seed(temp_database, blank("Bot").model_copy(update={"label": "second"}))
    monkeypatch.setattr("planner.history.snapshots.evaluate", no_engine)
    at = go(start(temp_database), HISTORY)
    at.selectbox(key="h.open_pick").select(first).run()
    click(at, "h.open")
    assert [t.value for t in at.title] == ["Saved assessment"]
    assert "#1 Bot · first" in at.subheader[0].value
    assert "saved without cost and latency estimates" in texts(at)


def test_the_saved_result_page_explains_itself_when_nothing_is_open(temp_database: str) -> None:
    at = go(start(temp_database), SAVED_RESULT)
    assert "Open a saved assessment from" in texts(at)


# Fired triggers on Home ---------------------------------------------------------------------------------------


def at_peak(peak: float, label: str) -> Assessment:
    return blank("Chat", mean_requests_per_s=min(5.0, peak), peak_requests_per_s=peak).model_copy(
        update={"label": label})


def test_a_second_assessment_answers_the_first_ones_trigger_on_home(temp_database: str) -> None:
    # Issue 15: #1 at 6 requests/s set "peak >= 8"; after re-assessing at 12 Home still showed it as fired.
    first = seed(temp_database, at_peak(6, "first"))
    stored = store.load_assessment(store.get_engine(temp_database), assessment_id=first)
    assert any(t.key == "workload.peak_requests_per_s" and t.fired(12) for t in stored.triggers)
    seed(temp_database, at_peak(12, "second"))
    at = start(temp_database)
    assert "Nothing needs attention" in texts(at) and "a re-assessment trigger fired" not in texts(at)
    assert at.dataframe[0].value["Status"].tolist() == ["OK"]


def seed_fired(url: str) -> tuple[int, RevisitTrigger]:
    """A project whose first assessment set a trigger no later roadmap sets again, and whose latest meets it."""
    engine = store.get_engine(url)
    first = at_peak(6, "first")
    trigger = RevisitTrigger(key="workload.mean_requests_per_s", op=">=", threshold=5, text="Mean traffic ≥ 5 (now 4)")
    set_by = store.save_assessment(engine, assessment=first, results=history.results_document(recommend(first), None),
                                   recommended=recommend(first).top.value, app_version="0.1.0", triggers=[trigger])
    seed(url, blank("Chat", mean_requests_per_s=5.5, peak_requests_per_s=6).model_copy(update={"label": "busier"}))
    return set_by, trigger


def test_a_fired_trigger_is_acknowledged_with_a_note_and_shown_as_acknowledged(temp_database: str) -> None:
    seed_fired(temp_database)
    at = start(temp_database)
    shown = texts(at)
    assert "**Chat**: a re-assessment trigger fired" in shown and "Mean traffic ≥ 5; now 5.5 (set by #1)" in shown
    assert at.dataframe[0].value["Status"].tolist() == ["Trigger fired"]
    click(at, "home.ack.0")
    assert "The note is empty" in texts(at)  # nothing stored without a note
    at.text_area(key="home.ack_note.0").input("Launch week: [ok](http://x) **expected**\nRe-sized in #3.")
    at.text_input(key="home.ack_by.0").input("Ana <admin>")
    click(at, "home.ack.0")
    shown = texts(at)
    assert "Acknowledged “Mean traffic ≥ 5; now 5.5 (set by #1)”" in shown
    assert "Nothing needs attention" in shown and at.dataframe[0].value["Status"].tolist() == ["Trigger acknowledged"]
    assert "by Ana \\<admin>:" in shown
    assert "Launch week: \\[ok\\](http\u2060://x) \\*\\*expected\\*\\*  \nRe-sized in #3." in shown  # literal
    [ack] = store.acknowledgements(store.get_engine(temp_database), assessment_ids=[1])
    assert (ack.by, ack.value) == ("Ana <admin>", 5.5)


def test_an_acknowledged_trigger_fires_again_when_the_value_changes(temp_database: str) -> None:
    set_by, trigger = seed_fired(temp_database)
    store.acknowledge_trigger(store.get_engine(temp_database), assessment_id=set_by, trigger=trigger, value=5.5,
                              note="seen")
    assert "Nothing needs attention" in texts(start(temp_database))
    seed(temp_database, blank("Chat", mean_requests_per_s=6, peak_requests_per_s=7).model_copy(update={"label": "3"}))
    at = start(temp_database)
    assert "Mean traffic ≥ 5; now 6 (set by #1)" in texts(at) and "Nothing needs attention" not in texts(at)
