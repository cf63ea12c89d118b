"""Hostile files and text, built by the tests themselves, against every door: the file parser the Assess upload
and the CLI share, the CLI as a user runs it, and validation. Each case failed before it was fixed (issue 13).
"""

from __future__ import annotations

import io
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.errors import InputError
from planner.inputs.files import (
    MAX_FILE_BYTES,
    MAX_NESTING,
    dump_assessment,
    load_presets,
    parse_assessment,
    read_limited,
)
from planner.inputs.models import Assessment
from planner.inputs.text import check_text
from planner.inputs.validation import validate_assessment

ROOT = Path(__file__).resolve().parent.parent
CLI_TIMEOUT_S = 60  # a parse that runs away would take minutes; the run must end well before this


def alias_bomb(levels: int = 9, fan_out: int = 10) -> str:
    """The 'billion laughs': each level is a list of ten aliases of the level before (10^9 leaves at nine)."""
    lines = ["project: bomb", f"a0: &a0 [{', '.join(['lol'] * fan_out)}]"]
    for level in range(1, levels + 1):
        lines.append(f"a{level}: &a{level} [{', '.join([f'*a{level - 1}'] * fan_out)}]")
    return "\n".join(lines) + "\n"


def deep_json(levels: int) -> str:
    return '{"project": "deep", "notes": ' + "[" * levels + "]" * levels + "}"


def deep_yaml(levels: int) -> str:
    return "project: deep\nnotes: " + "[" * levels + "]" * levels + "\n"


def run_cli(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "planner.cli", *args], input=stdin, capture_output=True,
                          timeout=CLI_TIMEOUT_S, cwd=ROOT)


def test_alias_bomb_is_small_and_refused_before_expansion():
    bomb = alias_bomb()
    assert len(bomb.encode()) < 700  # a 600-byte file that would expand to 10^10 strings
    with pytest.raises(InputError, match="anchors or aliases"):
        parse_assessment(bomb, filename="bomb.yaml")


def test_a_single_anchor_is_refused_too():
    with pytest.raises(InputError, match="anchors or aliases"):
        parse_assessment("project: &p x\nlabel: *p\n", filename="anchor.yaml")


@pytest.mark.parametrize("document", [deep_json(10_000), deep_yaml(10_000), deep_json(MAX_NESTING + 1),
                                      deep_yaml(MAX_NESTING + 1)], ids=["json-10000", "yaml-10000",
                                                                        "json-limit", "yaml-limit"])
def test_deep_nesting_is_refused_while_parsing(document):
    name = "deep.json" if document.startswith("{") else "deep.yaml"
    with pytest.raises(InputError, match="nested too deeply"):
        parse_assessment(document, filename=name)


def test_json_depth_ignores_brackets_inside_strings():
    preset = load_presets()["blank"].model_dump(mode="json")
    preset["notes"] = "[" * 500 + '\\"{' * 100
    assert parse_assessment(json.dumps(preset), filename="ok.json").notes == preset["notes"]


@pytest.mark.parametrize("document", [alias_bomb(), deep_json(10_000), deep_yaml(10_000)],
                         ids=["alias-bomb", "deep-json", "deep-yaml"])
def test_cli_answers_hostile_files_in_plain_words(tmp_path, document):
    path = tmp_path / ("hostile.json" if document.startswith("{") else "hostile.yaml")
    path.write_text(document, encoding="utf-8")
    result = run_cli("assess", str(path))
    assert result.returncode == 1, result.stderr.decode()[-2000:]
    message = result.stderr.decode()
    assert "Traceback" not in message and "RecursionError" not in message
    assert "nested too deeply" in message or "anchors or aliases" in message


def test_oversized_stream_reports_more_than_the_limit_not_the_limit():
    endless = io.BytesIO(b"\0" * (MAX_FILE_BYTES * 4))
    with pytest.raises(InputError, match=r"is more than 256 kB; an assessment file is at most 256 kB"):
        read_limited(endless, label="/dev/zero", limit_bytes=MAX_FILE_BYTES, what="an assessment file")


def test_oversized_file_reports_its_real_size():
    big = b"# " + b"x" * (30 * 1024 * 1024)
    with pytest.raises(InputError, match=r"is 30\.0 MB; an assessment file is at most 256 kB"):
        parse_assessment(big, filename="big.yaml")


def test_cli_reports_the_real_size_of_a_large_file(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_bytes(b"# " + b"x" * (30 * 1024 * 1024))
    result = run_cli("assess", str(path))
    assert result.returncode == 1
    assert "30.0 MB" in result.stderr.decode() and "at most 256 kB" in result.stderr.decode()


NON_FINITE = [math.nan, math.inf, -math.inf]


@pytest.mark.parametrize("value", NON_FINITE, ids=["nan", "inf", "-inf"])
@pytest.mark.parametrize("where", ["override", "workload", "team"])
def test_non_finite_numbers_are_refused_at_validation(value, where):
    data = load_presets()["blank"].model_dump()
    if where == "override":
        data["assumption_overrides"] = {"network.hop_sigma": value}
    elif where == "workload":
        data["workload"]["peak_requests_per_s"] = value
    else:
        data["team"]["monthly_budget_usd"] = value
    with pytest.raises(InputError, match="finite number"):
        validate_assessment(data)


def test_non_finite_override_in_a_file_is_refused():
    document = dump_assessment(load_presets()["blank"], "json").replace(
        '"assumption_overrides": {}', '"assumption_overrides": {"network.hop_sigma": NaN}')
    assert "NaN" in document
    with pytest.raises(InputError, match="finite number"):
        parse_assessment(document, filename="nan.json")


@pytest.mark.parametrize("field", ["project", "label", "notes", "price_list"])
@pytest.mark.parametrize("char", ["\x00", "\x1b", "\x7f", "\x85"], ids=["nul", "esc", "del", "nel"])
def test_control_characters_are_refused_in_every_text_field(field, char):
    data = load_presets()["blank"].model_dump()
    data[field] = f"name{char}x"
    with pytest.raises(InputError, match="control characters"):
        validate_assessment(data)


def test_notes_keep_line_breaks_and_tabs_and_fold_windows_line_ends():
    data = load_presets()["blank"].model_dump()
    data["notes"] = "first\r\nsecond\tthird\rfourth"
    assert validate_assessment(data).notes == "first\nsecond\tthird\nfourth"


def test_names_refuse_line_breaks():
    with pytest.raises(ValueError, match="U\\+000A"):
        check_text("two\nlines")


finite = st.floats(allow_nan=False, allow_infinity=False)
numbers = st.one_of(st.integers(min_value=-10**6, max_value=10**6), finite, st.just(math.nan),
                    st.just(math.inf), st.just(1e308))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mean=numbers, peak=numbers, budget=numbers, override=numbers,
       text=st.text(max_size=30), notes=st.text(max_size=60))
def test_any_accepted_assessment_survives_a_json_round_trip(mean, peak, budget, override, text, notes):
    data = load_presets()["blank"].model_dump()
    data["workload"]["mean_requests_per_s"] = mean
    data["workload"]["peak_requests_per_s"] = peak
    data["team"]["monthly_budget_usd"] = budget
    data["assumption_overrides"] = {"network.hop_sigma": override}
    data["label"] = text
    data["notes"] = notes
    try:
        accepted = validate_assessment(data)
    except InputError:
        return
    again = Assessment.model_validate_json(accepted.model_dump_json())
    assert again == accepted
    assert parse_assessment(dump_assessment(accepted, "json"), filename="x.json") == accepted
    assert parse_assessment(dump_assessment(accepted, "yaml"), filename="x.yaml") == accepted


@pytest.mark.parametrize("key, value", [("hours.per_month", 1e308), ("network.hop_error_rate", 1e30),
                                        ("no.such.assumption", 1.0)])
def test_an_out_of_bounds_override_in_a_file_is_refused_at_upload(key, value):
    """The Assess upload and the CLI refuse it at the field, before anything is evaluated or saved."""
    data = load_presets()["blank"].model_dump(mode="json")
    data["assumption_overrides"] = {key: value}
    with pytest.raises(InputError) as refused:
        parse_assessment(json.dumps(data), filename="overrides.json")
    assert f"assumption_overrides.{key}" in refused.value.field_errors
