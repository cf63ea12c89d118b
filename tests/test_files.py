"""Assessment files: export, import and presets share one format (planner/inputs/files.py)."""

import json

import pytest

from planner.errors import InputError
from planner.inputs.files import dump_assessment, load_presets, parse_assessment
from planner.inputs.limits import MAX_ASSESSMENT_FILE_BYTES
from planner.inputs.models import Component
from planner.inputs.questions import load_question_bank


@pytest.mark.parametrize("fmt", ["json", "yaml"])
@pytest.mark.parametrize("preset", ["blank", "chatbot_daily_updates", "content_startup"])
def test_export_then_import_gives_the_same_assessment(fmt, preset):
    original = load_presets()[preset]
    text = dump_assessment(original, fmt)
    assert parse_assessment(text, filename=f"a.{fmt}") == original


def test_presets_ship_in_order_with_the_two_reference_stories():
    presets = load_presets()
    assert list(presets)[:3] == ["blank", "chatbot_daily_updates", "content_startup"]
    assert presets["chatbot_daily_updates"].workload.model_updates_per_month >= 28
    assert presets["content_startup"].team.team_size <= 5


def test_blank_preset_equals_the_question_bank_defaults():
    bank = load_question_bank()
    blank = load_presets()["blank"]
    workload = blank.workload.model_dump(mode="json")
    defaults = bank.workload_defaults()
    defaults["pipeline"] = [Component.model_validate(c).model_dump(mode="json") for c in defaults["pipeline"]]
    for key, default in defaults.items():
        assert workload[key] == default, key
    team = blank.team.model_dump(mode="json")
    for key, default in bank.team_defaults().items():
        assert team[key] == default, key


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "is empty"),
        (b"{\"project\": ", "is not valid JSON"),
        (b"project: [unclosed", "is not valid YAML"),
        (b"- just\n- a list\n", "must hold a mapping"),
        (b"a: 1\n---\nb: 2\n", "exactly one assessment"),
        (b"\xff\xfe\x00garbage", "is not UTF-8"),
        (b"project: x\n", "is required"),
        (json.dumps({"workload": {"mean_requests_per_s": "ten"}}).encode(), "must be a number"),
        (b"[" * 50 + b"]" * 50, "nested too deeply"),
    ],
)
def test_bad_files_get_a_clear_message(content, words):
    with pytest.raises(InputError, match=words):
        parse_assessment(content, filename="bad.yaml" if b"{" not in content[:1] else "bad.json")


def test_oversized_file_is_rejected_before_parsing():
    big = b"# " + b"x" * (MAX_ASSESSMENT_FILE_BYTES + 1)
    with pytest.raises(InputError, match="at most 256 kB"):
        parse_assessment(big, filename="big.yaml")


def test_deeply_nested_yaml_is_rejected():
    deep = "notes: " + "[" * 40 + "]" * 40
    with pytest.raises(InputError, match="nested too deeply"):
        parse_assessment(deep, filename="deep.yaml")


def test_yaml_tags_that_build_objects_are_refused():
    with pytest.raises(InputError, match="not valid YAML"):
        parse_assessment("project: !!python/object/apply:os.system ['true']\n", filename="evil.yaml")


def test_import_error_names_the_file_and_keeps_field_errors():
    data = load_presets()["blank"].model_dump(mode="json")
    data["workload"]["peak_requests_per_s"] = 1
    with pytest.raises(InputError) as caught:
        parse_assessment(json.dumps(data), filename="mine.json")
    assert str(caught.value).startswith("mine.json:")
    assert "workload.peak_requests_per_s" in caught.value.field_errors
