"""AppTests of the confirmations before destructive actions (ui/confirm.py): the button opens a dialog naming the
thing literally and nothing changes; Cancel changes nothing; Confirm does it, closes the dialog and says so.

AppTest (Streamlit 1.67) renders an ``st.dialog``'s content in the app's event container: ``at.get("dialog")``
gives the open dialog (its title in ``proto.dialog.title``), and its buttons are found by key like any other.
"""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from planner import store
from planner.errors import StoreError
from planner.inputs.api_price_files import parse_api_price_list
from planner.store import api_price_lists, price_lists
from tests.test_api_price_lists import OTHER, ROW, TODAY, csv_text
from tests.test_app_history import blank, seed, start, texts
from tests.test_app_pricing import GOOD
from ui import pricing_view

HOME, SAVED, PRICES = "pages/home.py", "pages/saved.py", "pages/pricing.py"
ONE_ROW = "\n".join(GOOD.splitlines()[:2]) + "\n"  # the header and the p5.48xlarge row
HOSTILE = "Neg **bold** [x](http://e.com)"  # a name that would render as Markdown if it were not literal
SHOWN = "Neg \\*\\*bold\\*\\* \\[x\\](http\u2060://e.com)"  # how the dialog's Markdown quotes it


def ok(at: AppTest) -> AppTest:
    assert not at.exception, at.exception
    return at


def click(at: AppTest, key: str) -> AppTest:
    return ok(at.button(key=key).click().run())


def dialog(at: AppTest) -> tuple[str, str] | None:
    """The open dialog's title and message, or None when no dialog is open."""
    dialogs = at.get("dialog")
    if not dialogs:
        return None
    [shown] = dialogs
    return shown.proto.dialog.title, " ".join(m.value for m in shown.markdown)


@pytest.fixture
def prices(temp_database: str, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    """The Prices page on a fixed 'today', with a saved price list and API price list (one row each) named HOSTILE."""
    monkeypatch.setattr(pricing_view, "today", lambda: TODAY)
    monkeypatch.setattr("ui.api_pricing_view.today", lambda: TODAY)
    engine = store.get_engine(temp_database)
    price_lists.save_price_list(engine, name=HOSTILE, price_list=price_lists.parse_price_list(ONE_ROW, None,
                                                                                              today=TODAY))
    api_price_lists.save_api_price_list(engine, name=HOSTILE, api_list=parse_api_price_list(csv_text(ROW),
                                                                                            today=TODAY))
    at = start(temp_database)
    return ok(at.switch_page(PRICES).run())


def instance_rows(name: str) -> int:
    return len(price_lists.load_price_list(store.get_engine(), name).instances)


def api_rows(name: str) -> int:
    return len(api_price_lists.load_api_price_list(store.get_engine(), name).apis)


# Home: archiving a project ------------------------------------------------------------------------------------


def test_archiving_a_project_asks_first_and_cancel_changes_nothing(temp_database: str) -> None:
    seed(temp_database, blank(HOSTILE))
    at = start(temp_database)
    engine = store.get_engine(temp_database)
    click(at, "home.archive")
    assert dialog(at) == ("Archive this project?", f"Archive project “{SHOWN}”? It keeps its assessments and can "
                                                   "be restored from Archived projects.")
    assert [p.archived for p in store.list_projects(engine)] == [False]  # nothing until confirmed
    ok(at.run())  # the dialog stays open on a rerun, and still nothing happens
    assert dialog(at) is not None and [p.archived for p in store.list_projects(engine)] == [False]
    click(at, "home.archive_cancel")
    assert dialog(at) is None and [p.archived for p in store.list_projects(engine)] == [False]
    ok(at.run())
    assert dialog(at) is None  # cancelled for good

    click(at, "home.archive")
    click(at, "home.archive_confirm")
    assert dialog(at) is None
    assert [(p.name, p.archived) for p in store.list_projects(engine)] == [(HOSTILE, True)]
    assert f"Archived “{SHOWN}”" in texts(at)


# Saved assessments: deleting (archiving) one ------------------------------------------------------------------


def test_deleting_a_saved_assessment_asks_first(temp_database: str) -> None:
    keep = seed(temp_database, blank("Bot").model_copy(update={"label": "keep"}))
    drop = seed(temp_database, blank("Bot").model_copy(update={"label": "drop"}))
    engine = store.get_engine(temp_database)
    at = ok(start(temp_database).switch_page(SAVED).run())
    at.selectbox(key="s.pick").select(drop)
    click(at, "s.delete")
    title, message = dialog(at) or ("", "")
    assert title == "Delete this saved assessment?" and message.startswith(f"Delete \\#{drop} Bot · drop ")
    assert "restore it later from Archived assessments" in message
    click(at, "s.delete_cancel")
    assert dialog(at) is None and [s.id for s in store.list_assessments(engine)] == [drop, keep]
    click(at, "s.delete")
    click(at, "s.delete_confirm")
    assert dialog(at) is None
    assert [s.id for s in store.list_assessments(engine)] == [keep]
    assert [s.id for s in store.list_assessments(engine, archived=True)] == [drop]
    assert f"Deleted assessment #{drop}" in texts(at)


# Prices: deleting a price list and an API price list ----------------------------------------------------------


@pytest.mark.parametrize(("prefix", "kind", "names"), [
    ("p.", "list", lambda: [s.name for s in price_lists.list_price_lists(store.get_engine())]),
    ("p.api.", "API list", lambda: [s.name for s in api_price_lists.list_api_price_lists(store.get_engine())]),
])
def test_deleting_a_saved_list_asks_first(prices: AppTest, prefix: str, kind: str, names) -> None:
    ok(prices.selectbox(key=f"{prefix}delete_name").set_value(HOSTILE).run())
    click(prices, f"{prefix}delete")
    title, message = dialog(prices) or ("", "")
    assert title == f"Delete a saved {kind}?"
    assert message.startswith(f"Delete the saved {kind} “{SHOWN}”? Assessments that named it need another")
    assert message.endswith("This cannot be undone.")
    assert names() == [HOSTILE]
    click(prices, f"{prefix}delete_cancel")
    assert dialog(prices) is None and names() == [HOSTILE]
    click(prices, f"{prefix}delete")
    click(prices, f"{prefix}delete_confirm")
    assert dialog(prices) is None and names() == []
    assert any(s.value.startswith(f"Deleted “{SHOWN}”.") for s in prices.success)


def test_a_failed_delete_is_shown_in_the_dialog_which_stays_open(prices: AppTest,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(engine: object, name: str) -> None:
        raise StoreError("The database is read-only just now; try again in a minute.")

    ok(prices.selectbox(key="p.delete_name").set_value(HOSTILE).run())
    click(prices, "p.delete")
    monkeypatch.setattr(price_lists, "delete_price_list", refuse)
    click(prices, "p.delete_confirm")
    assert dialog(prices) is not None  # still asking, with the store's words in it
    assert [e.value for e in prices.get("dialog")[0].error] == [
        "The database is read-only just now; try again in a minute."]
    click(prices, "p.delete_cancel")
    assert dialog(prices) is None and instance_rows(HOSTILE) == 1


# Prices: replacing a saved list on upload ---------------------------------------------------------------------


@pytest.mark.parametrize(("prefix", "what", "content", "rows", "holds"), [
    ("p.", "price list", GOOD, instance_rows, "1 instance row(s)"),
    ("p.api.", "API price list", csv_text(ROW, OTHER), api_rows, "1 API row(s)"),
])
def test_replacing_a_saved_list_asks_first(prices: AppTest, prefix: str, what: str, content: str, rows,
                                           holds: str) -> None:
    upload_key = "p.upload" if prefix == "p." else "p.api.upload"
    ok(prices.file_uploader(key=upload_key).set_value(("prices.csv", content.encode(), "text/csv")).run())
    ok(prices.text_input(key=f"{prefix}name").set_value(f"  {HOSTILE} ").run())  # the store strips the name
    ok(prices.checkbox(key=f"{prefix}replace").check().run())
    click(prices, f"{prefix}save")
    title, message = dialog(prices) or ("", "")
    assert title == f"Replace a saved {what}?"
    assert message.startswith(f"Replace the saved {what} “{SHOWN}” ({holds}, saved ")
    assert "This cannot be undone." in message
    assert rows(HOSTILE) == 1
    click(prices, f"{prefix}save_cancel")
    assert dialog(prices) is None and rows(HOSTILE) == 1
    click(prices, f"{prefix}save")
    click(prices, f"{prefix}save_confirm")
    assert dialog(prices) is None and rows(HOSTILE) == 2
    assert any(s.value.startswith(f"Saved {what} “{SHOWN}” (2 rows") for s in prices.success)


def test_saving_under_a_new_name_with_replace_ticked_asks_nothing(prices: AppTest) -> None:
    ok(prices.file_uploader(key="p.upload").set_value(("prices.csv", GOOD.encode(), "text/csv")).run())
    ok(prices.text_input(key="p.name").set_value("Brand new").run())
    ok(prices.checkbox(key="p.replace").check().run())
    click(prices, "p.save")
    assert dialog(prices) is None and instance_rows("Brand new") == 2
