"""Decision-record downloads on Results (proposed), a saved assessment and History (the chain)."""

from __future__ import annotations

from planner import store
from planner.present.decision_records import file_name, project_records
from tests.conftest import tables_shown
from tests.test_app_history import HISTORY, blank, seed, start, texts

HOSTILE = "**x** [y](javascript:z)"


def _download(at, key: str):
    button = at.get("download_button")
    found = [b for b in button if b.proto.id.endswith(key) or key in b.proto.id]
    assert found, f"no download button {key}"
    return found[0].proto


def test_results_offer_a_proposed_record_and_history_lists_the_chain(temp_database: str) -> None:
    first = seed(temp_database, blank(HOSTILE))
    second = seed(temp_database, blank(HOSTILE).model_copy(update={"label": "again"}))
    at = start(temp_database)
    at.switch_page(HISTORY).run()
    assert not at.exception, at.exception
    assert "Decision records" in [s.value for s in at.subheader]
    table = next(t for t in tables_shown(at) if "Record" in t.columns)
    assert table.to_dict("records")[0]["Record"] == "0001"
    assert table.to_dict("records")[0]["Status"] == "accepted"
    assert table.to_dict("records")[0]["Confirmed by"] == f"#{second}"
    assert table.to_dict("records")[0]["Opened by"] == f"#{first}"
    assert at.selectbox(key="adr.history.pick").value == file_name(1, HOSTILE)
    one = _download(at, "adr.history.one")
    assert one.label == "Download this record"
    every = _download(at, "adr.history.all")
    assert "zip" in every.label
    files = project_records(store.get_engine(temp_database), HOSTILE)
    assert HOSTILE.replace("*", "\\*").replace("[", "\\[").replace("]", "\\]") in files[file_name(1, HOSTILE)]
    assert "javascript" not in texts(at).replace("javascript:z", "")  # no raw link text leaks into the page


def test_the_results_toolbar_offers_the_proposed_record(app) -> None:
    from tests.test_app import get_recommendation

    get_recommendation(app)
    assert "Decision record" in [t.label for t in app.tabs]
    proposed = _download(app, "adr.download")
    assert proposed.label == "Download decision record"


def test_a_link_back_opens_the_saved_assessment_and_its_record(temp_database: str) -> None:
    saved = seed(temp_database, blank("Linked"))
    at = start(temp_database)
    at.query_params["assessment"] = str(saved)
    at.switch_page("pages/saved_result.py").run()
    assert not at.exception, at.exception
    assert "Decision record" in [s.value for s in at.subheader]
    assert _download(at, "adr.saved.download").label == "Download decision record"
