"""App tests of Assess-page inputs outside the question bank: community offers, the import's size limit and
the inference engine's settings.

Issue 15 items 4 and 20: the checkbox that allows community/marketplace GPU offers reaches the
submitted assessment (and follows presets and imported files), and the import widget states the
planner's own size limit for assessment files, which is far below Streamlit's upload limit.
Issue 14 item 3: the KV-cache precision and the engine levers (``serving.*`` assumption overrides) reach the
answers only when they differ from their defaults, follow files and presets, and a bad value is explained
beside its field.
"""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from planner.inputs.files import dump_assessment, load_presets, size_text
from planner.inputs.limits import MAX_ASSESSMENT_FILE_BYTES
from planner.inputs.models import KvPrecision
from tests.conftest import open_sections, tables_shown
from ui import state
from ui.engine_form import KV_KEY
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


# Inference engine: KV-cache precision and engine levers --------------------------------------------------


def overrides(at: AppTest) -> dict[str, float]:
    return dict(at.session_state[state.ANSWERS]["assumption_overrides"])


def test_a_lever_reaches_the_overrides_only_when_it_differs_from_its_default(app: AppTest) -> None:
    hit_rate = app.number_input(key="e.prefix_cache_hit_rate")
    assert hit_rate.value == 0.0 and "Default: 0 %" in hit_rate.help
    assert "Default: 8,192" in app.number_input(key="e.prefill_token_budget").help
    assert "dense model" in " ".join(c.value for c in app.caption)
    assert app.selectbox(key=KV_KEY).value == "auto"
    assert overrides(app) == {}
    ok(hit_rate.set_value(50.0).run())
    ok(app.checkbox(key="e.expert_parallel").check().run())
    ok(app.selectbox(key=KV_KEY).select("fp8").run())
    assert overrides(app) == {"serving.prefix_cache_hit_rate": 0.5, "serving.expert_parallel": 1.0}
    ok(app.button(key="a.submit").click().run())
    _, assessment = app.session_state[state.SUBMITTED]
    assert assessment.assumption_overrides == {"serving.prefix_cache_hit_rate": 0.5, "serving.expert_parallel": 1.0}
    assert assessment.workload.kv_precision is KvPrecision.FP8

    ok(app.switch_page("pages/assess.py").run())
    assert app.number_input(key="e.prefix_cache_hit_rate").value == 50.0
    ok(app.number_input(key="e.prefix_cache_hit_rate").set_value(0.0).run())
    assert overrides(app) == {"serving.expert_parallel": 1.0}


def test_a_bad_lever_is_explained_beside_its_field(app: AppTest) -> None:
    ok(app.number_input(key="e.prefill_token_budget").set_value(32).run())
    beside = [c for c in app.columns if any(n.key == "e.prefill_token_budget" for n in c.number_input)]
    sentence = ("Token budget per iteration (serving.prefill_token_budget) must be a whole number between 64 and "
                "1,048,576; you entered 32.")
    assert [e.value for e in beside[-1].error] == [sentence]
    assert sentence in app.error[0].value  # the summary at the top of the page
    assert app.download_button(key="a.export_json").disabled
    ok(app.number_input(key="e.prefix_cache_hit_rate").set_value(100.0).run())
    assert any("must be between 0 % and 99 %" in e.value for e in app.error)


def test_an_imported_file_shows_its_levers_and_a_preset_clears_them(app: AppTest) -> None:
    preset = load_presets()["content_startup"]
    levers = {"serving.spec_draft_tokens": 4.0, "serving.spec_acceptance_rate": 0.65,
              "serving.prefill_token_budget": 2048.0, "network.hop_sigma": 0.3}
    tuned = preset.model_copy(update={
        "assumption_overrides": levers,
        "workload": preset.workload.model_copy(update={"kv_precision": KvPrecision.BF16})})
    content = dump_assessment(tuned, "yaml").encode()
    ok(app.file_uploader(key="a.upload").set_value(("tuned.yaml", content, "application/yaml")).run())
    assert app.number_input(key="e.spec_draft_tokens").value == 4
    assert app.number_input(key="e.spec_acceptance_rate").value == 65.0
    assert app.number_input(key="e.prefill_token_budget").value == 2048
    assert app.selectbox(key=KV_KEY).value == "bf16"
    assert overrides(app) == levers  # the other override is kept beside the levers

    app.selectbox(key="a.preset").select("blank").run()
    ok(app.button(key="a.load_preset").click().run())
    assert overrides(app) == {}
    assert app.number_input(key="e.spec_draft_tokens").value == 0
    assert app.number_input(key="e.prefill_token_budget").value == 8192
    assert app.selectbox(key=KV_KEY).value == "auto"


def test_the_results_page_lists_a_lever_as_your_override(app: AppTest) -> None:
    ok(app.number_input(key="e.prefix_cache_hit_rate").set_value(40.0).run())
    ok(app.button(key="a.submit").click().run())
    ok(app.switch_page(RESULTS).run())
    ok(open_sections(app))
    frames = [t for t in tables_shown(app) if "Assumption" in t.columns]
    assert frames, "no assumptions table"
    frame = frames[0]
    [row] = [r for _, r in frame.iterrows() if r["Assumption"].startswith("serving.prefix_cache_hit_rate: ")]
    assert row["Value"] == "0.4 (overridden)" and row["Source (as of)"].startswith("your override (")
    assert any("BF16 weights, BF16 KV cache (automatic)" in c.value for c in app.caption)
