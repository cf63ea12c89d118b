"""App tests of Assess-page inputs outside the question bank: community offers and the import's size limit.

Issue 15 items 4 and 20: the checkbox that allows community/marketplace GPU offers reaches the
submitted assessment (and follows presets and imported files), and the import widget states the
planner's own size limit for assessment files, which is far below Streamlit's upload limit.
"""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from planner.inputs.files import dump_assessment, load_presets, size_text
from planner.inputs.limits import MAX_ASSESSMENT_FILE_BYTES
from ui import state
from ui.form import COMMUNITY_KEY, COMMUNITY_LABEL

RESULTS = "pages/results.py"


def ok(at: AppTest) -> AppTest:
    assert not at.exception, at.exception
    return at


def submitted(at: AppTest) -> bool:
    """Whether the assessment sent with "Get recommendation" allows community offers."""
    _, assessment = at.session_state[state.SUBMITTED]
    return bool(assessment.workload.allow_community_instances)


def test_community_offers_are_off_by_default_and_the_checkbox_reaches_the_assessment(app: AppTest) -> None:
    box = app.checkbox(key=COMMUNITY_KEY)
    assert box.label == COMMUNITY_LABEL
    assert "no availability guarantees" in box.help
    assert box.value is False
    ok(app.button(key="a.submit").click().run())
    assert submitted(app) is False

    ok(app.switch_page("pages/assess.py").run())
    assert app.checkbox(key=COMMUNITY_KEY).value is False
    ok(app.checkbox(key=COMMUNITY_KEY).check().run())
    assert app.session_state[state.ANSWERS]["workload"]["allow_community_instances"] is True
    ok(app.button(key="a.submit").click().run())
    assert submitted(app) is True


def test_the_checkbox_survives_a_page_switch_and_follows_a_preset(app: AppTest) -> None:
    ok(app.checkbox(key=COMMUNITY_KEY).check().run())
    ok(app.switch_page(RESULTS).run())
    ok(app.switch_page("pages/assess.py").run())
    assert app.checkbox(key=COMMUNITY_KEY).value is True
    app.selectbox(key="a.preset").select("content_startup").run()
    ok(app.button(key="a.load_preset").click().run())
    assert not load_presets()["content_startup"].workload.allow_community_instances
    assert app.checkbox(key=COMMUNITY_KEY).value is False


def test_an_imported_file_sets_the_checkbox(app: AppTest) -> None:
    preset = load_presets()["content_startup"]
    allowing = preset.model_copy(update={"workload": preset.workload.model_copy(
        update={"allow_community_instances": True})})
    content = dump_assessment(allowing, "json").encode()
    ok(app.file_uploader(key="a.upload").set_value(("plan.json", content, "application/json")).run())
    assert app.checkbox(key=COMMUNITY_KEY).value is True


def test_the_import_widget_states_the_planners_limit_and_a_larger_file_is_refused(app: AppTest) -> None:
    limit = size_text(MAX_ASSESSMENT_FILE_BYTES)
    assert limit == "256 kB"
    uploader = app.file_uploader(key="a.upload")
    assert f"at most {limit}" in uploader.label
    assert f"over {limit} are refused" in uploader.help
    padding = b"# padding\n" * (MAX_ASSESSMENT_FILE_BYTES // 10 + 1)  # just over the limit, far under 5 MB
    ok(app.file_uploader(key="a.upload").set_value(("huge.yaml", padding, "application/yaml")).run())
    assert any(f"at most {limit}" in e.value for e in app.error)
