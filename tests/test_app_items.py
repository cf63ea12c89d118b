"""AppTests of the History page's improvement items: the table and its filters, editing one item, downloads."""

from __future__ import annotations

import json
from datetime import date

from streamlit.testing.v1 import AppTest

from planner import history, store
from planner.decide.scoring import recommend
from planner.store.item_sync import ItemStatus
from planner.store.items import project_items, set_item
from tests.conftest import tables_shown
from tests.test_app_history import HISTORY, start
from tests.test_items import HOSTILE, OWNER, distributed, monolith, save
from ui import history_view


def _history(temp_database: str) -> AppTest:
    at = start(temp_database)
    at.switch_page(HISTORY).run()
    assert not at.exception, at.exception
    return at


def _items_table(at: AppTest):
    return next(t for t in tables_shown(at) if "In latest" in t.columns)


def _download_ids(at: AppTest) -> list[str]:
    return [b.proto.id for b in at.get("download_button")]


def test_the_section_lists_filters_and_changes_items(temp_database: str) -> None:
    save(temp_database, monolith(HOSTILE, "Q1"))
    save(temp_database, monolith(HOSTILE, "Q2", observability=1))
    at = _history(temp_database)
    assert "Improvement items" in [s.value for s in at.subheader]
    table = _items_table(at)
    assert list(table["ID"]) == [f"ITEM-{n}" for n in range(2, 7)]  # ITEM-1 is done: open and in progress shown
    assert any(key.endswith("items.csv") for key in _download_ids(at))
    assert any(key.endswith("items.md") for key in _download_ids(at))
    charts = [json.loads(c.proto.spec).get("title") for c in at.get("vega_lite_chart")]
    assert "Items each assessment opened, reopened and marked done" in charts

    at.multiselect(key="items.source").set_value(["Roadmap step"]).run()
    assert list(_items_table(at)["ID"]) == ["ITEM-4", "ITEM-5", "ITEM-6"]
    at.selectbox(key="items.pick").set_value(5).run()
    at.text_input(key="items.by").input("Dee").run()
    at.selectbox(key="items.status.5").set_value(ItemStatus.WONT_DO)
    at.text_input(key="items.owner.5").input(OWNER)
    at.date_input(key="items.due.5").set_value(date(2026, 9, 30))
    at.text_input(key="items.note.5").input("the hybrid waits")
    at.button(key="items.save.5").click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    [item] = [i for i in project_items(store.get_engine(temp_database), project=HOSTILE) if i.id == 5]
    assert (item.status, item.owner, item.due) == (ItemStatus.WONT_DO, OWNER, date(2026, 9, 30))
    assert (item.events[-1].by, item.events[-1].note) == ("Dee", "the hybrid waits")
    assert "ITEM-5 saved: Won't do" in at.success[0].value
    assert "ITEM-5" not in list(_items_table(at)["ID"])  # won't do is filtered out by default

    at.multiselect(key="items.status").set_value(["Won't do"]).run()
    assert list(_items_table(at)["Owner"]) == [OWNER]  # the cell shows the owner as typed


def test_a_refused_change_says_why_and_writes_nothing(temp_database: str) -> None:
    save(temp_database, monolith("P", "Q1"))
    at = _history(temp_database)
    at.text_input(key="items.note.1").input("a note without a change of status")
    at.button(key="items.save.1").click().run()
    assert not at.exception, at.exception
    assert "A note explains a change of status" in at.error[0].value
    assert all(len(i.events) == 1 for i in project_items(store.get_engine(temp_database), project="P"))


def test_an_empty_filter_and_a_project_without_items_say_so(temp_database: str) -> None:
    save(temp_database, distributed("Q", "Q1"))
    engine = store.get_engine(temp_database)
    for item in project_items(engine, project="Q"):
        set_item(engine, item_id=item.id, status="done")
    recommendation = recommend(monolith("R", "imported"))
    store.save_assessment(engine, assessment=monolith("R", "imported"), recommended=recommendation.top.value,
                          results=history.results_document(recommendation, None), app_version="0.1")  # no hook
    at = _history(temp_database)
    at.selectbox(key=history_view.PROJECT_KEY).set_value("Q").run()
    assert "No item has the statuses and sources picked." in [i.value for i in at.info]
    at.selectbox(key=history_view.PROJECT_KEY).set_value("R").run()
    assert any(i.value.startswith("No improvement items yet") for i in at.info)
