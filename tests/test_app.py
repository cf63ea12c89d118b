"""App tests: the pages driven through Streamlit's AppTest, with a temporary database per test.

Each test works through the router (app.py) the way a user does: widgets by key, ``.run()`` after
every interaction, ``AppTest.switch_page`` for the sidebar, and no exception on any page.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pandas as pd
import pytest
import yaml
from streamlit.testing.v1 import AppTest

from planner import store
from planner.decide.scoring import recommend, scale_text
from planner.estimate.engine import evaluate
from planner.inputs.files import MAX_FILE_BYTES, dump_assessment, load_presets
from planner.present.charts import AGAINST, TOWARD, contributions_chart, contributions_frame
from tests.conftest import open_sections, tables_shown
from ui import state
from ui.form import pipeline_rows

ASSESS, RESULTS, SAVED = "pages/assess.py", "pages/results.py", "pages/saved.py"


def go(at: AppTest, page: str) -> AppTest:
    """Switch to a page as the sidebar does, and check it rendered without an exception."""
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def load_preset(at: AppTest, name: str) -> None:
    at.selectbox(key="a.preset").select(name).run()
    at.button(key="a.load_preset").click().run()
    assert not at.exception, at.exception


def get_recommendation(at: AppTest) -> None:
    at.button(key="a.submit").click().run()
    assert not at.exception, at.exception


def answers(at: AppTest) -> dict[str, Any]:
    return copy.deepcopy(at.session_state["answers"])


def upload(at: AppTest, filename: str, content: bytes) -> None:
    at.file_uploader(key="a.upload").set_value((filename, content, "application/octet-stream")).run()
    assert not at.exception, at.exception


def saved_rows(url: str) -> list[store.AssessmentSummary]:
    return store.list_assessments(store.get_engine(url))


def widget_shown(at: AppTest, key: str) -> Any:
    """The value a keyed Assess widget shows."""
    return at.session_state[key]


def test_every_page_renders_in_a_fresh_session(app: AppTest) -> None:
    assert [t.value for t in app.title] == ["Assess your generative-AI platform"]
    assert len([r for r in app.radio if str(r.key).startswith("t.")]) == 6  # the readiness levels
    assert app.radio(key="s.mode").value == "self_hosted"  # where inference runs
    assert len(app.data_editor) == 1
    go(app, RESULTS)
    assert "No recommendation yet" in app.info[0].value
    go(app, SAVED)
    assert "Nothing saved yet" in app.info[0].value
    go(app, ASSESS)
    assert app.number_input(key="w.mean_requests_per_s").value == 5.0


def test_readiness_options_describe_each_level(app: AppTest) -> None:
    radio = app.radio(key="t.on_call")
    assert radio.options[0] == "0 · No on-call; whoever notices fixes it."
    assert len(radio.options) == 5
    assert radio.value == 2


@pytest.mark.parametrize(("preset", "top"), [
    ("content_startup", "Monolith"),
    ("chatbot_daily_updates", "Microservices"),
    ("blank", "Monolith"),
])
def test_each_preset_gets_its_recommendation(app: AppTest, preset: str, top: str) -> None:
    load_preset(app, preset)
    assert answers(app) == load_presets()[preset].model_dump(mode="json")
    get_recommendation(app)
    assert [t.value for t in app.title] == ["Recommendation"]
    assert app.metric[0].value == top
    assert app.metric[1].proto.help == scale_text()  # the lead's points, out of what (issue 15 item 9)
    assert scale_text() in [c.value for c in app.caption]
    assert recommend(load_presets()[preset]).top.label == top
    names_api = load_presets()[preset].sourcing.api is not None  # a preset naming an API compares build with buy
    sections = ["Estimates at peak and per month", *(["Build or buy inference"] if names_api else []),
                "Resilience and change", "Ranking", "Why: what pushes each architecture up or down"]
    assert app.subheader.values[:len(sections)] == sections
    # cost, latency, (build or buy,) resilience timeline, contributions
    assert len(app.get("vega_lite_chart")) == 4 + names_api


def test_a_submit_with_nothing_new_opens_results_without_drawing_the_form_again(
        app: AppTest, monkeypatch: pytest.MonkeyPatch) -> None:
    import ui.form

    load_preset(app, "content_startup")
    drawn: list[int] = []
    render_workload = ui.form.render_workload
    monkeypatch.setattr(ui.form, "render_workload", lambda *a, **k: drawn.append(1) or render_workload(*a, **k))
    get_recommendation(app)  # the answers the last run read are current: submitted by the button's callback
    assert [t.value for t in app.title] == ["Recommendation"] and not drawn
    assert app.caption[0].value == "Content-generation startup · Preset"
    assert state.SUBMITTED in app.session_state and state.GO_TO_RESULTS not in app.session_state


def test_a_value_typed_and_submitted_in_one_go_is_the_one_recommended(app: AppTest) -> None:
    load_preset(app, "content_startup")
    app.text_input(key="a.label").set_value("Typed, then the button at once")  # no run between the two
    app.number_input(key="w.peak_requests_per_s").set_value(3.0)
    get_recommendation(app)
    assert [t.value for t in app.title] == ["Recommendation"]
    assert app.caption[0].value == "Content-generation startup · Typed, then the button at once"
    submitted = app.session_state[state.SUBMITTED][1]
    assert submitted.label == "Typed, then the button at once" and submitted.workload.peak_requests_per_s == 3.0
    assert answers(app)["workload"]["peak_requests_per_s"] == 3.0


def test_invalid_answers_on_submit_stay_on_assess_with_the_error(app: AppTest) -> None:
    load_preset(app, "content_startup")
    app.text_input(key="a.project").set_value("").run()  # a project name is required
    get_recommendation(app)
    assert [t.value for t in app.title] == ["Assess your generative-AI platform"]
    assert any("not valid yet" in e.value for e in app.error)


def estimate_rows(at: AppTest) -> dict[str, dict[str, str]]:
    """The estimates table (the first with deployables; a what-if's comparison comes before it) by architecture."""
    frame = next(t for t in tables_shown(at) if "Deployables" in t.columns)
    return {row["Architecture"]: row for row in frame.to_dict("records")}


def test_results_show_the_engines_numbers(app: AppTest) -> None:
    load_preset(app, "content_startup")
    get_recommendation(app)
    evaluation = evaluate(load_presets()["content_startup"])
    rows = estimate_rows(app)
    for estimate in evaluation.estimates.values():
        row = rows[estimate.architecture.label]
        assert row["Monthly cost"] == f"${estimate.monthly_cost_usd:,.0f}"
        assert row["p95 TTFT (ms)"] == f"{estimate.ttft.p95_ms:,.0f}"
        assert row["Network hops"] == str(estimate.network_hops)
    assert any("$" in c.reason for s in recommend(load_presets()["content_startup"], evaluation).ranked
               for c in s.contributions)


def test_what_if_re_evaluates_and_goes_back(app: AppTest) -> None:
    load_preset(app, "content_startup")
    get_recommendation(app)
    before = estimate_rows(app)["Monolith"]["Monthly cost"]
    open_sections(app)  # the what-if form is built once its section is open
    app.number_input(key="whatif.traffic").set_value(20.0)
    app.button(key="FormSubmitter:whatif.form-Re-evaluate").click().run()
    assert not app.exception, app.exception
    assert any("what-if" in w.value for w in app.warning)
    after = estimate_rows(app)["Monolith"]["Monthly cost"]
    assert after != before
    # Beside the answers (issue 15 item 16): each cell is "yours → what-if (change)", under the headline.
    headings = [h.value for h in app.subheader]
    assert headings.index("What-if beside your answers") < headings.index("Estimates at peak and per month")
    side = next(t for t in tables_shown(app) if "Score" in t.columns and "Monthly cost" in t.columns)
    monolith = side.set_index("Architecture").loc["Monolith", "Monthly cost"]
    assert monolith.startswith(f"{before} → {after} (")
    app.button(key="FormSubmitter:whatif.form-Back to my answers").click().run()
    assert estimate_rows(app)["Monolith"]["Monthly cost"] == before
    assert "What-if beside your answers" not in [h.value for h in app.subheader]


def test_results_build_a_section_only_while_it_is_open(app: AppTest) -> None:
    load_preset(app, "content_startup")
    get_recommendation(app)
    labels = [e.label for e in app.expander]
    assert "Fleet per architecture" in labels and "Cost lines: every dollar with its formula" in labels
    columns = [tuple(t.columns) for t in tables_shown(app)]
    assert not any("Formula" in c for c in columns)  # the cost lines: closed, so not sent
    assert not any(key.startswith("whatif.") for key in app.session_state._state.filtered_state)
    app.session_state["open.cost_lines"] = True
    app.run()
    assert any("Formula" in t.columns for t in tables_shown(app))
    assert not any("Runs" in t.columns for t in tables_shown(app))  # the fleet stays closed
    app.run()  # and the open one stays open on the next run
    assert any("Formula" in t.columns for t in tables_shown(app))


def test_save_and_pdf_sit_in_a_toolbar_above_the_estimates(app: AppTest) -> None:
    load_preset(app, "content_startup")
    get_recommendation(app)
    [tabs] = [t for t in app.get("tab_container")] or [None]
    assert tabs is not None
    labels = [tab.label for tab in app.tabs]
    assert labels[:2] == ["Save this assessment", "PDF report"]
    assert app.button(key="FormSubmitter:save-Save assessment") is not None
    assert app.button(key="report.prepare") is not None


def test_what_if_with_an_impossible_model_explains_why(app: AppTest) -> None:
    load_preset(app, "content_startup")
    app.radio(key="s.mode").set_value("self_hosted").run()  # compared with an API, the API would serve it
    get_recommendation(app)
    open_sections(app)
    app.selectbox(key="whatif.model").set_value("llama-3.1-405b")
    app.multiselect(key="whatif.gpus").set_value(["L4"])
    app.button(key="FormSubmitter:whatif.form-Re-evaluate").click().run()
    assert not app.exception, app.exception
    assert any("No estimate for these answers" in e.value for e in app.error)


def test_results_say_when_no_flip_point_exists(app: AppTest) -> None:
    load_preset(app, "chatbot_daily_updates")
    get_recommendation(app)
    assert any("No single answer in the tried range changes the top choice" in m.value for m in app.markdown)


def test_an_answer_survives_switching_pages(app: AppTest) -> None:
    app.number_input(key="w.mean_requests_per_s").set_value(7.5).run()
    app.radio(key="t.containers").set_value(4).run()
    app.text_input(key="a.project").input("Survivor").run()
    app.selectbox(key="w.model_id").select("qwen2.5-32b").run()
    app.multiselect(key="w.gpu_types").select("H100-SXM").run()
    before = answers(app)
    go(app, RESULTS)
    go(app, SAVED)
    go(app, ASSESS)
    assert app.number_input(key="w.mean_requests_per_s").value == 7.5
    assert app.radio(key="t.containers").value == 4
    assert app.text_input(key="a.project").value == "Survivor"
    assert app.selectbox(key="w.model_id").value == "qwen2.5-32b"
    assert app.multiselect(key="w.gpu_types").value == ["H100-SXM"]
    assert answers(app) == before


def test_results_follow_the_answers_not_a_stale_submission(app: AppTest) -> None:
    get_recommendation(app)
    go(app, ASSESS)
    app.number_input(key="w.teams_contributing").set_value(4).run()
    go(app, RESULTS)
    assert "answers changed since the last recommendation" in app.info[0].value
    assert not app.button


def test_peak_below_mean_is_explained_beside_the_field_and_nothing_is_saved(
    app: AppTest, temp_database: str
) -> None:
    app.number_input(key="w.peak_requests_per_s").set_value(2.0).run()
    sentence = "Peak traffic (requests/s): peak requests/s (2) must be at least the mean (5)."
    beside = [c for c in app.columns if any(n.key == "w.peak_requests_per_s" for n in c.number_input)]
    assert [e.value for e in beside[0].error] == ["Peak requests/s (2) must be at least the mean (5)."]
    assert sentence in app.error[0].value  # the summary at the top of the page
    assert app.download_button(key="a.export_json").disabled
    get_recommendation(app)
    assert [t.value for t in app.title] == ["Assess your generative-AI platform"]
    assert "not valid yet" in app.error[-1].value
    go(app, RESULTS)
    assert "No recommendation yet" in app.info[0].value
    assert not app.button
    assert saved_rows(temp_database) == []


def test_fixing_the_answer_clears_its_error(app: AppTest) -> None:
    app.number_input(key="w.peak_requests_per_s").set_value(2.0).run()
    assert app.error
    app.number_input(key="w.peak_requests_per_s").set_value(5.0).run()
    assert not app.error
    assert not app.download_button(key="a.export_json").disabled


@pytest.mark.filterwarnings("ignore:Setting an item of incompatible dtype")  # inside Streamlit's editor
def test_pipeline_edits_become_answers_and_bad_rows_are_explained(app: AppTest) -> None:
    app.session_state["w.pipeline"] = {
        "edited_rows": {0: {"cpu_ms_per_request": 9.0}},
        "added_rows": [{"name": "gateway", "cpu_ms_per_request": 1.0}],
        "deleted_rows": [],
    }
    app.run()
    assert not app.exception
    pipeline = answers(app)["workload"]["pipeline"]
    assert pipeline[0]["cpu_ms_per_request"] == 9.0
    assert pipeline[-1] == {"name": "gateway", "cpu_ms_per_request": 1.0, "critical": True,
                            "deploys_per_week": 1.0, "after_inference": False, "mtbf_h": None, "mttr_s": None}
    assert any("repeated: gateway" in e.value for e in app.error)


def test_pipeline_rows_drop_empty_rows_and_fill_flags() -> None:
    frame = pd.DataFrame([
        {"name": "gateway", "cpu_ms_per_request": 2, "critical": True, "deploys_per_week": 1.0,
         "after_inference": None},
        {"name": None, "cpu_ms_per_request": None, "critical": None, "deploys_per_week": None,
         "after_inference": None},
    ])
    assert pipeline_rows(frame) == [{"name": "gateway", "cpu_ms_per_request": 2.0, "critical": True,
                                     "deploys_per_week": 1.0, "after_inference": False, "mtbf_h": None,
                                     "mttr_s": None}]


def test_save_then_reopen_restores_every_answer(app: AppTest, temp_database: str) -> None:
    load_preset(app, "chatbot_daily_updates")
    app.number_input(key="w.mean_requests_per_s").set_value(61.25).run()
    app.number_input(key="w.availability_target_pct").set_value(99.99).run()
    app.radio(key="t.api_design").set_value(1).run()
    app.selectbox(key="w.traffic_shape").select("spiky").run()
    app.text_area(key="a.notes").input("Reopen me exactly.").run()
    get_recommendation(app)
    app.text_input(key="r.label").input("Review 1")
    app.button(key="FormSubmitter:save-Save assessment").click().run()
    assert not app.exception
    assert app.success[0].value.startswith("Saved as assessment #1 ")
    expected = answers(app)
    assert expected["label"] == "Review 1"
    assert [r.label for r in saved_rows(temp_database)] == ["Review 1"]
    stored = store.load_assessment(store.get_engine(temp_database), assessment_id=1)
    assert set(stored.results) == {"recommendation", "evaluation"}  # the estimates are kept with the answers

    go(app, ASSESS)
    load_preset(app, "blank")  # overwrite everything before reopening
    assert answers(app) != expected
    go(app, SAVED)
    assert app.dataframe[0].value["Label"].tolist() == ["Review 1"]
    app.selectbox(key="s.pick").select(1).run()
    app.button(key="s.open").click().run()
    assert not app.exception
    assert [t.value for t in app.title] == ["Assess your generative-AI platform"]
    assert answers(app) == expected
    for key, value in state.widget_values(expected).items():
        assert widget_shown(app, key) == value, key
    assert "Reopened saved assessment #1" in app.success[0].value


def _wrong_types() -> bytes:
    data = load_presets()["content_startup"].model_dump(mode="json")
    data["workload"]["mean_requests_per_s"] = "lots"
    data["team"]["team_size"] = 4.5
    return yaml.safe_dump(data).encode()


@pytest.mark.parametrize(("filename", "content", "message"), [
    ("broken.json", b'{"project": "x", ', "broken.json is not valid JSON"),
    ("huge.yaml", b"# padding\n" * (MAX_FILE_BYTES // 10 + 1), "an assessment file is at most 256 kB"),
    ("types.yaml", _wrong_types(), "types.yaml: The answers are not valid"),
    ("list.yaml", b"- just\n- a list\n", "must hold a mapping of fields"),
])
def test_a_bad_file_is_explained_and_changes_nothing(
    app: AppTest, filename: str, content: bytes, message: str
) -> None:
    app.number_input(key="w.mean_requests_per_s").set_value(3.0).run()
    before = answers(app)
    upload(app, filename, content)
    assert any(message in e.value for e in app.error), [e.value for e in app.error]
    assert answers(app) == before
    assert app.number_input(key="w.mean_requests_per_s").value == 3.0


def test_a_bad_file_lists_each_wrong_field(app: AppTest) -> None:
    upload(app, "types.yaml", _wrong_types())
    listed = app.error[0].value
    assert "Your current answers are unchanged." in listed
    assert "Mean traffic (requests/s) must be a number; you entered 'lots'." in listed
    assert "Engineers on the product must be a" in listed and "you entered 4.5." in listed


def test_a_good_yaml_file_replaces_the_answers(app: AppTest) -> None:
    imported = load_presets()["chatbot_daily_updates"].model_copy(update={"project": "Imported chatbot"})
    upload(app, "chatbot.yaml", dump_assessment(imported, "yaml").encode())
    assert "Imported chatbot.yaml" in app.success[0].value
    assert answers(app) == imported.model_dump(mode="json")
    assert app.text_input(key="a.project").value == "Imported chatbot"
    assert app.radio(key="t.containers").value == 4
    assert app.data_editor[0].value["cpu_ms_per_request"].tolist() == [2.0, 15.0, 30.0, 10.0]


def test_export_offers_the_current_answers_in_both_formats(app: AppTest) -> None:
    load_preset(app, "content_startup")
    json_button, yaml_button = app.download_button(key="a.export_json"), app.download_button(key="a.export_yaml")
    assert not json_button.disabled and not yaml_button.disabled
    exported = json.loads(dump_assessment(load_presets()["content_startup"], "json"))
    assert exported == answers(app)


def test_contributions_chart_has_one_bar_per_contribution() -> None:
    recommendation = recommend(load_presets()["content_startup"])
    frame = contributions_frame(recommendation)
    assert len(frame) == sum(len(s.contributions) for s in recommendation.ranked)
    assert set(frame["direction"]) == {TOWARD, AGAINST}
    assert (frame.loc[frame["direction"] == TOWARD, "points"] > 0).all()
    spec = contributions_chart(recommendation).to_dict()
    assert spec["facet"]["row"]["field"] == "panel"
    assert {t["field"] for t in spec["spec"]["encoding"]["tooltip"]} >= {"reason", "points"}


def test_saving_under_a_new_name_renames_the_answers_too(app: AppTest, temp_database: str) -> None:
    get_recommendation(app)
    app.text_input(key="r.project").input("Renamed project")
    app.text_input(key="r.label").input("")
    app.button(key="FormSubmitter:save-Save assessment").click().run()
    assert not app.exception
    assert [r.project for r in saved_rows(temp_database)] == ["Renamed project"]
    assert app.metric[0].value == "Monolith"  # the recommendation still matches the answers
    go(app, ASSESS)
    assert app.text_input(key="a.project").value == "Renamed project"
    assert app.text_input(key="a.label").value == ""


def test_an_empty_project_name_is_not_saved(app: AppTest, temp_database: str) -> None:
    get_recommendation(app)
    app.text_input(key="r.project").input("   ")
    app.button(key="FormSubmitter:save-Save assessment").click().run()
    assert not app.exception
    assert "Project" in app.error[0].value
    assert saved_rows(temp_database) == []
