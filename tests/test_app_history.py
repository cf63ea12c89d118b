"""AppTests of the Home and History pages: attention lists, project management and the timeline."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from planner import history, store
from planner.decide.results import RevisitTrigger
from planner.decide.scoring import recommend
from planner.estimate.engine import evaluate
from planner.estimate.results import Evaluation
from planner.inputs.catalog import load_instances
from planner.inputs.files import load_presets
from planner.inputs.models import Architecture, Assessment, InstancePrice
from tests.conftest import APP_TIMEOUT_S, ROOT, tables_shown

HOME, HISTORY, ASSESS = "pages/home.py", "pages/history.py", "pages/assess.py"
_EVALUATIONS: dict[tuple[str, tuple[InstancePrice, ...]], Evaluation] = {}


def blank(project: str = "Bot", **workload: float) -> Assessment:
    base = load_presets()["blank"]
    return base.model_copy(update={"project": project, "workload": base.workload.model_copy(update=workload)})


def seed(url: str, assessment: Assessment, *, prices: list[InstancePrice] | None = None, estimate: bool = False,
         revisit_in_days: int = 30) -> int:
    rows = prices or list(load_instances())
    evaluation = None
    if estimate:
        key = (assessment.model_dump_json(exclude={"project", "label"}), tuple(rows))
        evaluation = _EVALUATIONS.setdefault(key, evaluate(assessment, instances=rows))
    return history.save_evaluated(store.get_engine(url), assessment, recommend(assessment, evaluation), evaluation,
                                  prices=rows, revisit_by=datetime.now(UTC).date() + timedelta(days=revisit_in_days))


def start(temp_database: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=APP_TIMEOUT_S)
    at.run()
    assert not at.exception, at.exception
    return at


def texts(at: AppTest) -> str:
    return " ".join(e.value for kind in ("markdown", "success", "info", "error", "warning", "caption")
                    for e in at.get(kind) if isinstance(getattr(e, "value", None), str))


def test_home_is_the_default_page_and_guides_a_new_user(temp_database: str) -> None:
    at = start(temp_database)
    assert at.title[0].value == "GenAI Architecture Planner"
    assert "Nothing needs attention" in texts(at)
    assert "No project yet" in texts(at)
    at.text_input(key="home.create_name").input("Alpha")
    at.button(key="home.create").click().run()
    assert "Created the project “Alpha”" in texts(at)
    at.text_input(key="home.create_name").input("Alpha")
    at.button(key="home.create").click().run()
    assert "already exists" in texts(at)
    assert [p.name for p in store.list_projects(store.get_engine(temp_database))] == ["Alpha"]


def test_due_and_fired_projects_are_listed_and_reassessed_from_their_last_answers(temp_database: str) -> None:
    seed(temp_database, blank("Due soon"), revisit_in_days=0)
    first = blank("Growing")
    recommendation = recommend(first)
    mean = RevisitTrigger(key="workload.mean_requests_per_s", op=">=", threshold=8, text="Mean traffic ≥ 8 requests/s")
    store.save_assessment(store.get_engine(temp_database), assessment=first, recommended=recommendation.top.value,
                          results=history.results_document(recommendation, None), app_version="0.1.0",
                          triggers=[*recommendation.triggers, mean])  # no later roadmap sets a mean-traffic trigger
    last = blank("Growing", mean_requests_per_s=10.0, peak_requests_per_s=40.0).model_copy(update={"label": "Q2"})
    seed(temp_database, last)  # mean 10 >= 8 fires; peak 40 >= 30 does not: Q2 set its own peak trigger
    at = start(temp_database)
    shown = texts(at)
    assert "Due soon** is due" in shown and "(today)" in shown
    assert "Growing**: a re-assessment trigger fired" in shown and "Mean traffic ≥ 8 requests/s; now 10" in shown
    assert "Peak traffic ≥ 30" not in shown
    at.button(key="home.fired.0").click().run()
    assert not at.exception
    answers = at.session_state["answers"]
    assert answers["project"] == "Growing" and answers["label"] == ""
    assert answers["workload"]["peak_requests_per_s"] == 40.0


def test_rename_archive_and_restore_from_home(temp_database: str) -> None:
    seed(temp_database, blank("Old name"))
    at = start(temp_database)
    at.selectbox(key="home.project").select("Old name")
    at.text_input(key="home.new_name").input("New name")
    at.button(key="home.rename").click().run()
    assert "Renamed “Old name” to “New name”" in texts(at)
    at.button(key="home.archive").click().run()  # asks first (tests/test_app_confirmations.py)
    at.button(key="home.archive_confirm").click().run()
    assert "Archived “New name”" in texts(at)
    engine = store.get_engine(temp_database)
    assert [(p.name, p.archived) for p in store.list_projects(engine)] == [("New name", True)]
    at.button(key="home.restore").click().run()
    assert [(p.name, p.archived) for p in store.list_projects(engine)] == [("New name", False)]


def test_new_assessment_of_a_project_starts_from_its_last_answers(temp_database: str) -> None:
    seed(temp_database, blank("Chat", mean_requests_per_s=7.0, peak_requests_per_s=21.0))
    at = start(temp_database)
    at.button(key="home.start").click().run()
    assert not at.exception
    assert at.session_state["answers"]["workload"]["mean_requests_per_s"] == 7.0
    assert at.number_input(key="w.mean_requests_per_s").value == 7.0  # the Assess page shows them


def test_import_of_an_export_through_the_home_view(temp_database: str, tmp_path: Path) -> None:
    from ui import home_view

    seed(temp_database, blank("Shared"))
    content = home_view.export_file("Shared")
    notice = home_view.import_file(content, "shared.json.gz")
    assert notice.kind == "error" and "already in “Shared”" in notice.text
    bad = home_view.import_file(b"{oops", "bad.json")
    assert bad.kind == "error" and "not valid JSON" in bad.text
    assert store.list_assessments(store.get_engine(temp_database)) != []
    assert len(store.list_assessments(store.get_engine(temp_database))) == 1


def test_history_shows_the_timeline_comparison_and_attribution(temp_database: str) -> None:
    cheaper = [r.model_copy(update={"on_demand_usd_h": round(r.on_demand_usd_h * 0.5, 4)}) for r in load_instances()]
    old_id = seed(temp_database, blank(), estimate=True)
    new_id = seed(temp_database, blank().model_copy(update={"label": "cheaper GPUs"}), prices=cheaper, estimate=True)
    at = start(temp_database)
    at.switch_page(HISTORY).run()
    assert not at.exception, at.exception
    assert at.selectbox(key="history.project").value == "Bot"
    assert len(at.get("vega_lite_chart")) == 5  # the timeline's four, and what each assessment did to the items
    assert at.selectbox(key="h.old").value == old_id and at.selectbox(key="h.new").value == new_id
    shown = texts(at)
    assert "The recommendation stayed" in shown and "No answer changed." in shown
    assert "The prices differ between the two" in shown
    at.button(key="h.attribute").click().run()
    assert not at.exception, at.exception
    assert len(at.get("vega_lite_chart")) == 5 + len(Architecture)  # the timeline and items, then a waterfall each
    titles = [json.loads(c.proto.spec)["title"]["text"] for c in at.get("vega_lite_chart")[5:]]
    assert [t.split(":")[0] for t in titles] == [a.label for a in Architecture]
    # Progress: one line per distinct re-evaluation; only prices changed, so two (older and newer prices).
    [status] = at.get("status")
    assert status.label.startswith("Explained the change in") and status.proto.state == type(status.proto).COMPLETE
    lines = [c.value for c in status.children.values() if c.type == "markdown"]
    assert [line.split(":")[2].strip().split(" ")[0] for line in lines] == ["1", "2"]
    assert all(" of 2: " in line for line in lines) and "The older assessment" in " ".join(lines)
    at.run()  # a rerun shows the kept attribution without re-evaluating
    assert not at.exception and not at.get("status") and len(at.get("vega_lite_chart")) == 8
    table = tables_shown(at)[-1]
    assert "Prices" in set(table["Cause"])
    monolith = table.iloc[: len(history.FACTORS) + 2]
    total = monolith[monolith["Cause"] == "Total change"]["Monthly cost (USD)"].item()
    prices = monolith[monolith["Cause"] == "Prices"]["Monthly cost (USD)"].item()
    assert total == prices and total.startswith("-")


@pytest.mark.parametrize("page", [HOME, HISTORY])
def test_pages_survive_an_empty_database(temp_database: str, page: str) -> None:
    at = start(temp_database)
    at.switch_page(page).run()
    assert not at.exception
