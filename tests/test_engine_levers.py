"""Engine levers as inputs (issue 14 item 3): the KV-cache precision and the ``serving.*`` levers in files,
through the one door of validation, and in the report's assumptions and appendix.

The levers' bounds live twice: in ``planner.inputs.levers`` (what the Assess page asks and validation checks)
and in ``planner.estimate.serving_constants.ServingConstants`` (what the serving model accepts); the first
tests keep the two equal, so a value that passes validation never fails the estimate.
"""

from __future__ import annotations

import io
import math
from typing import Any

import pypdf
import pytest
import yaml

from planner.decide.scoring import recommend
from planner.errors import InputError
from planner.estimate.engine import evaluate, list_assumptions
from planner.estimate.serving_constants import ServingConstants
from planner.inputs.files import dump_assessment, load_presets, parse_assessment
from planner.inputs.levers import LEVERS, LEVERS_BY_KEY, Lever
from planner.inputs.models import Assessment, KvPrecision, Precision, kv_precision_for
from planner.inputs.validation import validate_assessment
from planner.present import tables
from planner.present.report import build_report

EVERY_LEVER = {  # a non-default value for each lever, as a file stores it
    "serving.prefill_token_budget": 2048.0,
    "serving.prefix_cache_hit_rate": 0.6,
    "serving.spec_draft_tokens": 3.0,
    "serving.spec_acceptance_rate": 0.8,
    "serving.spec_draft_cost": 0.1,
    "serving.expert_parallel": 1.0,
    "serving.ep_link_gb_s": 900.0,
}
TWO_LEVERS = {"serving.prefix_cache_hit_rate": 0.5, "serving.spec_draft_tokens": 3.0}


def blank_data(**workload: Any) -> dict[str, Any]:
    data = load_presets()["blank"].model_dump(mode="json")
    data["workload"].update(workload)
    return data


def with_levers(overrides: dict[str, float], **workload: Any) -> Assessment:
    data = blank_data(**workload)
    data["assumption_overrides"] = overrides
    return validate_assessment(data)


def _nudged(value: float, direction: float) -> float:
    return value + direction * max(abs(value) * 1e-6, 1e-6)


# The levers agree with the serving model ------------------------------------------------------------------


def test_every_lever_is_a_serving_constant_and_every_lever_is_listed() -> None:
    assert set(EVERY_LEVER) == set(LEVERS_BY_KEY)
    assert all(lever.field in ServingConstants.model_fields for lever in LEVERS)


@pytest.mark.parametrize("lever", LEVERS, ids=lambda lever: lever.field)
def test_a_levers_bounds_are_the_serving_models(lever: Lever) -> None:
    default = float(getattr(ServingConstants(), lever.field))
    assert lever.error(default) is None
    inside = [lever.high] + ([] if lever.low_open else [lever.low])
    outside = [_nudged(lever.high, 1), lever.low if lever.low_open else _nudged(lever.low, -1), math.inf]
    if lever.whole or lever.flag:
        outside.append(lever.low + 0.5)
    for value in inside:
        assert lever.error(value) is None, value
        assert ServingConstants().with_overrides({lever.key: value}) is not None
    for value in outside:
        assert lever.error(value), value
        with pytest.raises(ValueError):
            ServingConstants().with_overrides({lever.key: value})


@pytest.mark.parametrize("lever", LEVERS, ids=lambda lever: lever.field)
def test_shown_and_stored_values_round_trip(lever: Lever) -> None:
    for value in (float(getattr(ServingConstants(), lever.field)), lever.high):
        assert lever.stored(lever.shown(value)) == value


# Files: old ones still load, new ones round-trip --------------------------------------------------------


def test_an_old_file_without_kv_precision_or_levers_loads_and_keeps_its_old_serving_keys() -> None:
    data = blank_data(precision="fp8")
    del data["workload"]["kv_precision"]  # written before the field existed
    data["assumption_overrides"] = {"serving.bandwidth_efficiency": 0.4, "serving.prefill_efficiency": 0.5}
    old = yaml.safe_dump(data, sort_keys=False)
    assert "kv_precision" not in old
    assessment = parse_assessment(old, filename="old.yaml")
    assert assessment.workload.kv_precision is None
    assert kv_precision_for(assessment.workload.precision, assessment.workload.kv_precision) is KvPrecision.FP8
    assert parse_assessment(dump_assessment(assessment, "json"), filename="again.json") == assessment
    used = {a.key: a for a in list_assumptions(assessment)}
    assert used["serving.weight_read_efficiency"].value == 0.4
    assert used["serving.compute_efficiency"].value == 0.5
    assert used["serving.prefix_cache_hit_rate"].value == 0.0 and not used["serving.prefix_cache_hit_rate"].overridden


@pytest.mark.parametrize("fmt", ["json", "yaml"])
@pytest.mark.parametrize("precision", list(Precision))
def test_a_file_with_every_lever_set_round_trips(fmt: str, precision: Precision) -> None:
    assessment = with_levers(EVERY_LEVER, precision=precision.value, kv_precision="bf16")
    text = dump_assessment(assessment, fmt)  # type: ignore[arg-type]
    again = parse_assessment(text, filename=f"levers.{fmt}")
    assert again == assessment
    assert again.workload.precision is precision and again.workload.kv_precision is KvPrecision.BF16
    assert again.assumption_overrides == EVERY_LEVER
    used = {a.key: a for a in list_assumptions(again)}
    for key, value in EVERY_LEVER.items():
        assert used[key].value == value and used[key].overridden and used[key].source == "your override", key


@pytest.mark.parametrize(("key", "value", "words"), [
    ("serving.prefix_cache_hit_rate", 1.5, "must be between 0 % and 99 %"),
    ("serving.spec_draft_tokens", 3.5, "must be a whole number between 0 and 16; you entered 3.5"),
    ("serving.spec_draft_tokens", 17.0, "must be a whole number between 0 and 16"),
    ("serving.prefill_token_budget", 10.0, "must be a whole number between 64 and 1,048,576"),
    ("serving.spec_acceptance_rate", -0.1, "must be between 0 % and 100 %"),
    ("serving.expert_parallel", 0.5, "must be 0 (off) or 1 (on)"),
    ("serving.ep_link_gb_s", 0.0, "must be more than 0"),
])
def test_a_bad_lever_gets_a_plain_sentence_at_its_field(key: str, value: float, words: str) -> None:
    data = blank_data()
    data["assumption_overrides"] = {key: value}
    with pytest.raises(InputError) as caught:
        validate_assessment(data)
    sentence = caught.value.field_errors[f"assumption_overrides.{key}"]
    assert words in sentence and key in sentence
    assert sentence.startswith(LEVERS_BY_KEY[key].name)
    with pytest.raises(InputError, match=r"levers\.yaml: The answers are not valid") as from_file:
        parse_assessment(yaml.safe_dump(data), filename="levers.yaml")
    assert from_file.value.field_errors == caught.value.field_errors


def test_a_bad_kv_precision_names_the_choices() -> None:
    with pytest.raises(InputError) as caught:
        validate_assessment(blank_data(kv_precision="int4"))
    assert "must be one of" in caught.value.field_errors["workload.kv_precision"]


# Presenting: the model's precisions, the appendix rows and the report's assumptions ------------------------


@pytest.mark.parametrize(("precision", "kv", "text"), [
    ("bf16", None, "BF16 weights, BF16 KV cache (automatic)"),
    ("fp4", None, "FP4 weights, FP8 KV cache (automatic)"),
    ("int4", "fp8", "INT4 weights, FP8 KV cache"),
])
def test_engine_rows_and_model_text_show_the_kv_precision(precision: str, kv: str | None, text: str) -> None:
    assessment = with_levers(TWO_LEVERS, precision=precision, kv_precision=kv)

    class Named:  # model_text reads only the evaluation's model name
        model_name = "Llama 3.1 8B Instruct"

    assert tables.model_text(assessment, Named()) == f"Llama 3.1 8B Instruct, {text}"  # type: ignore[arg-type]
    rows = dict(map(tuple, tables.engine_rows(assessment)))
    assert rows["Prefix-cache hit rate (%)"] == "50 (your override)"
    assert rows["Speculative draft tokens per step"] == "3 (your override)"
    assert rows["Token budget per iteration"] == "8,192 (default)"
    assert rows["Expert parallelism (MoE models only)"] == "no (default)"


@pytest.fixture(scope="module")
def two_levers_report() -> tuple[Assessment, Any, str]:
    """The blank preset with two levers and an FP8 KV cache, evaluated and reported once (seconds)."""
    assessment = with_levers(TWO_LEVERS, kv_precision="fp8")
    evaluation = evaluate(assessment)
    pdf = build_report(assessment, evaluation, recommend(assessment, evaluation), author="Test")
    text = "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    return assessment, evaluation, text


def test_the_evaluations_assumptions_mark_the_two_levers_as_overrides(two_levers_report: tuple[Any, ...]) -> None:
    _, evaluation, _ = two_levers_report
    used = {a.key: a for a in evaluation.assumptions}
    for key, value in TWO_LEVERS.items():
        assert used[key].value == value and used[key].overridden and used[key].source == "your override"
    assert not used["serving.prefill_token_budget"].overridden


def test_the_report_lists_the_levers_and_the_kv_precision(two_levers_report: tuple[Any, ...]) -> None:
    _, _, text = two_levers_report
    flat = " ".join(text.split())
    for key in TWO_LEVERS:
        assert key in flat
    assert "your override" in flat and "overridden" in flat
    assert "BF16 weights, FP8 KV cache" in flat
    assert "Prefix-cache hit rate (%) 50 (your override)" in flat
    assert "Speculative draft tokens per step 3 (your override)" in flat


def test_a_changed_lever_and_kv_precision_are_named_in_plain_words_between_assessments() -> None:
    from planner.history import answer_changes

    old = load_presets()["blank"]
    new = with_levers({"serving.prefix_cache_hit_rate": 0.5}, kv_precision="fp8")
    changes = {c.label: (c.old, c.new) for c in answer_changes(old, new)}
    assert changes["KV-cache precision"][1] == "fp8"
    assert changes["Prefix-cache hit rate (serving.prefix_cache_hit_rate)"] == ("(none)", "0.5")
