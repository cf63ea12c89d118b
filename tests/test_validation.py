"""Answers become a valid Assessment or plain-words errors at the field (planner/inputs/validation.py)."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.errors import InputError
from planner.inputs.files import load_presets
from planner.inputs.models import Assessment
from planner.inputs.validation import validate_assessment


def answers(**changes: object) -> dict:
    """The blank preset's answers as a dict, with dotted-path changes applied."""
    data = load_presets()["blank"].model_dump(mode="json")
    for path, value in changes.items():
        section, field = path.split("__")
        data[section][field] = value
    return data


def test_blank_answers_are_valid():
    assert isinstance(validate_assessment(answers()), Assessment)


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"workload__mean_requests_per_s": -3}, "workload.mean_requests_per_s", "must be more than 0"),
        ({"workload__peak_requests_per_s": 2.0}, "workload.peak_requests_per_s", "must be at least the mean"),
        ({"workload__mean_output_tokens": 0}, "workload.mean_output_tokens", "must be at least 1"),
        ({"workload__mean_requests_per_s": 1e12, "workload__peak_requests_per_s": 1e12},
         "workload.mean_requests_per_s", "must be at most 100,000"),
        ({"workload__mean_input_tokens": "lots"}, "workload.mean_input_tokens", "must be a number"),
        ({"workload__p95_e2e_ms": 100.0}, "workload.p95_e2e_ms", "cannot be below p95 time to first token"),
        ({"workload__availability_target_pct": 100.0}, "workload.availability_target_pct", "at most 99.999"),
        ({"workload__model_id": "gpt-17"}, "workload.model_id", "not in the model catalog"),
        ({"workload__gpu_types": ["TPU-v9"]}, "workload.gpu_types", "unknown TPU-v9"),
        ({"team__containers": 5}, "team.containers", "must be at most 4"),
        ({"team__platform_headcount": 50}, "team.platform_headcount", "cannot exceed the team size"),
        ({"team__stage": "unicorn"}, "team.stage", "must be one of"),
    ],
)
def test_invalid_answers_get_a_plain_sentence_at_the_field(changes, field, words):
    with pytest.raises(InputError) as caught:
        validate_assessment(answers(**changes))
    assert field in caught.value.field_errors, caught.value.field_errors
    assert words in caught.value.field_errors[field]


def test_error_sentence_names_the_question_and_echoes_the_value():
    with pytest.raises(InputError) as caught:
        validate_assessment(answers(workload__peak_requests_per_s=2.0))
    sentence = caught.value.field_errors["workload.peak_requests_per_s"]
    assert sentence.startswith("Peak traffic (requests/s)")
    assert "(2)" in sentence and "(5)" in sentence


def test_unknown_field_is_an_error_not_silently_dropped():
    data = answers()
    data["workload"]["mean_requests_per_sec"] = 5
    with pytest.raises(InputError) as caught:
        validate_assessment(data)
    assert "is not a field this planner knows" in caught.value.field_errors["workload.mean_requests_per_sec"]


def test_duplicate_pipeline_step_names_are_rejected():
    data = answers()
    data["workload"]["pipeline"].append(dict(data["workload"]["pipeline"][0]))
    with pytest.raises(InputError, match="repeated: gateway"):
        validate_assessment(data)


# Any JSON-like value, anywhere in the answers, raises nothing but InputError.
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)
FIELDS = [(s, f) for s, fields in answers().items() if isinstance(fields, dict) for f in fields]


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(field=st.sampled_from(FIELDS), value=json_values)
def test_any_value_in_any_field_is_valid_or_an_input_error(field, value):
    data = answers()
    data[field[0]][field[1]] = value
    try:
        validate_assessment(data)
    except InputError as exc:
        assert exc.field_errors
        assert all(isinstance(s, str) and s for s in exc.field_errors.values())


@settings(max_examples=100, deadline=None)
@given(data=json_values)
def test_any_document_is_valid_or_an_input_error(data):
    with pytest.raises(InputError):
        validate_assessment(data)
