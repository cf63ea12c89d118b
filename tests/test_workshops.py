"""Workshop domain: entropy of join codes and tokens, answer checks, aggregation, and consensus."""

from __future__ import annotations

import hashlib
import math
import statistics
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from planner.decide import consensus as workshops
from planner.errors import InputError
from planner.inputs.files import load_presets
from planner.inputs.models import READINESS_KEYS

DRAWS = 20_000


def test_join_code_alphabet_and_length_give_at_least_40_bits() -> None:
    assert len(set(workshops.CODE_ALPHABET)) == len(workshops.CODE_ALPHABET) == 32
    assert not set("ILOU") & set(workshops.CODE_ALPHABET)  # Crockford drops look-alikes
    assert workshops.code_bits() == pytest.approx(workshops.CODE_CHARS * 5) == 50.0
    assert workshops.code_bits() >= 40


def test_join_codes_are_uniform_and_unique_over_many_draws() -> None:
    codes = [workshops.new_join_code() for _ in range(DRAWS)]
    assert all(len(c) == 10 and set(c) <= set(workshops.CODE_ALPHABET) for c in codes)
    assert len(set(codes)) == DRAWS  # at 50 bits a collision among 20 000 has odds ~2e-7
    # Every character equally likely: chi-square over 32 symbols (200 000 draws), 31 degrees of freedom.
    counts = Counter("".join(codes))
    expected = DRAWS * workshops.CODE_CHARS / 32
    chi2 = sum((counts[c] - expected) ** 2 / expected for c in workshops.CODE_ALPHABET)
    assert chi2 < 70  # p < 1e-4 for 31 degrees of freedom


def test_tokens_have_at_least_128_bits_and_never_repeat() -> None:
    tokens = [workshops.new_token() for _ in range(DRAWS)]
    assert len(set(tokens)) == DRAWS
    alphabet = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    for token in tokens[:100]:
        assert set(token) <= alphabet
        assert len(token) * math.log2(len(alphabet)) >= 256  # 43 base64url characters from 32 bytes
    assert workshops.TOKEN_BYTES * 8 >= 128


def test_only_the_hash_of_a_token_is_kept_and_it_matches_in_constant_time() -> None:
    token = workshops.new_token()
    digest = workshops.hash_token(token)
    assert digest == hashlib.sha256(token.encode()).hexdigest()
    assert token not in digest
    assert workshops.token_matches(token, digest)
    assert not workshops.token_matches(workshops.new_token(), digest)
    assert not workshops.token_matches("short", digest)
    with pytest.raises(InputError, match="not a valid workshop link"):
        workshops.hash_token("x" * 10)


@pytest.mark.parametrize(("typed", "stored"), [
    ("ABCDE-12345", "ABCDE12345"),
    ("abcde 12345", "ABCDE12345"),
    (" oOiIl-lL0ab ", "00111110AB"),
    ("abcde_fghjk", "ABCDEFGHJK"),
])
def test_typed_codes_are_normalised(typed: str, stored: str) -> None:
    assert workshops.normalize_join_code(typed) == stored


@pytest.mark.parametrize(("typed", "message"), [
    ("", "Enter the join code"),
    ("ABCDE-1234", "you entered 9"),
    ("ABCDE-123456", "you entered 11"),
    ("ABCDU-12345", "'U' cannot appear"),
    ("<script>x", "cannot appear"),
])
def test_malformed_codes_are_refused_at_the_code_field(typed: str, message: str) -> None:
    with pytest.raises(InputError, match=message) as info:
        workshops.normalize_join_code(typed)
    assert set(info.value.field_errors) == {"code"}


@given(st.text(alphabet=workshops.CODE_ALPHABET, min_size=10, max_size=10))
def test_a_formatted_code_reads_back_as_itself(code: str) -> None:
    shown = workshops.format_join_code(code)
    assert shown[5] == "-" and len(shown) == 11
    assert workshops.normalize_join_code(shown) == code
    assert workshops.normalize_join_code(shown.lower()) == code


def test_answers_are_checked_field_by_field() -> None:
    ok = workshops.validate_answers({"containers": 3, "cicd": 0}, workload_enabled=False)
    assert ok == {"containers": 3.0, "cicd": 0.0}
    with pytest.raises(InputError) as info:
        workshops.validate_answers({"containers": 5, "cicd": 1.5, "on_call": True, "bogus": 1,
                                    "mean_requests_per_s": 3.0}, workload_enabled=False)
    errors = info.value.field_errors
    assert set(errors) == {"containers", "cicd", "on_call", "bogus", "mean_requests_per_s"}
    assert "0 to 4" in errors["containers"]
    assert "has not asked for workload estimates" in errors["mean_requests_per_s"]


def test_estimates_are_checked_against_the_question_bank() -> None:
    ok = workshops.validate_answers({"mean_requests_per_s": 2.0, "peak_requests_per_s": 9.0, "teams_contributing": 3},
                                    workload_enabled=True)
    assert ok["teams_contributing"] == 3.0
    with pytest.raises(InputError) as info:
        workshops.validate_answers({"mean_requests_per_s": 5.0, "peak_requests_per_s": 2.0,
                                    "teams_contributing": 2.5, "availability_target_pct": 80.0,
                                    "p95_ttft_ms": float("nan")}, workload_enabled=True)
    errors = info.value.field_errors
    assert "at least Mean traffic" in errors["peak_requests_per_s"]
    assert "whole number" in errors["teams_contributing"]
    assert "between 90 and 99.999" in errors["availability_target_pct"]
    assert "must be a number" in errors["p95_ttft_ms"]


def test_aggregate_of_readiness_answers_counts_each_level() -> None:
    agg = workshops.aggregate("observability", [1, 3, 2, 3, 0])
    assert agg.counts == (1, 1, 1, 2, 0)
    assert agg.values == (0.0, 1.0, 2.0, 3.0, 3.0)
    assert agg.median == 2.0 and agg.median_answer == 2.0
    assert agg.spread == 3.0
    assert agg.disagreement
    assert agg.answered == 5


@pytest.mark.parametrize(("values", "median", "spread", "flag"), [
    ([2, 2, 2], 2.0, 0.0, False),
    ([2, 3], 2.0, 1.0, False),  # even count: the lower middle answer
    ([1, 3], 1.0, 2.0, True),  # two levels apart is a discussion prompt
    ([0, 4, 4, 4], 4.0, 4.0, True),
    ([4], 4.0, 0.0, False),
])
def test_median_spread_and_flag(values: list[int], median: float, spread: float, flag: bool) -> None:
    agg = workshops.aggregate("cicd", values)
    assert agg.median == median == statistics.median_low(values)
    assert agg.median_answer == median  # the consensus is the median every table shows
    assert agg.spread == spread == max(values) - min(values)
    assert agg.disagreement is flag


def test_nobody_answered_gives_no_median_and_no_flag() -> None:
    agg = workshops.aggregate("on_call", [])
    assert agg.counts == (0, 0, 0, 0, 0)
    assert agg.median is None and agg.median_answer is None and agg.spread is None
    assert not agg.disagreement


@pytest.mark.parametrize(("key", "values", "flag"), [
    ("mean_requests_per_s", [4.0, 7.9], False),
    ("mean_requests_per_s", [4.0, 8.0], True),  # a factor of two apart
    ("availability_target_pct", [99.5, 99.9], True),  # 0.5 % vs 0.1 % downtime: a factor of five
    ("availability_target_pct", [99.9, 99.95], True),
    ("availability_target_pct", [99.9, 99.92], False),
    ("model_updates_per_month", [0.0, 0.0], False),
    ("model_updates_per_month", [0.0, 1.0], True),
])
def test_estimates_disagree_when_a_factor_of_two_apart(key: str, values: list[float], flag: bool) -> None:
    agg = workshops.aggregate(key, values)
    assert agg.kind == "estimate" and agg.counts == ()
    assert agg.disagreement is flag
    assert agg.median_answer == statistics.median(values)


@given(st.lists(st.integers(min_value=0, max_value=4), min_size=1, max_size=40))
def test_aggregate_properties(values: list[int]) -> None:
    agg = workshops.aggregate("api_design", values)
    assert sum(agg.counts) == len(values)
    assert agg.median_answer in values  # the consensus is always an answer someone gave
    assert agg.disagreement is (max(values) - min(values) >= workshops.DISAGREEMENT_SPREAD_LEVELS)


def test_aggregate_answers_covers_every_question_in_page_order() -> None:
    sets = [{"containers": 1.0, "cicd": 2.0}, {"containers": 3.0, "mean_requests_per_s": 4.0}]
    readiness_only = workshops.aggregate_answers(sets, workload_enabled=False)
    assert [a.key for a in readiness_only] == list(READINESS_KEYS)
    by_key = {a.key: a for a in workshops.aggregate_answers(sets, workload_enabled=True)}
    assert by_key["containers"].values == (1.0, 3.0)
    assert by_key["cicd"].answered == 1
    assert by_key["mean_requests_per_s"].median == 4.0
    assert by_key["observability"].answered == 0


def test_consensus_is_the_median_unless_overridden_with_a_note() -> None:
    aggs = workshops.aggregate_answers([{"containers": 1.0, "cicd": 4.0}, {"containers": 3.0, "cicd": 4.0},
                                        {"containers": 4.0, "cicd": 3.0}], workload_enabled=False)
    override = workshops.validate_override("containers", 2, "  Only staging runs on Kubernetes. ",
                                           workload_enabled=False)
    items = {i.key: i for i in workshops.consensus(aggs, [override])}
    assert items["containers"].value == 2.0 and items["containers"].source == "override"
    assert items["containers"].note == "Only staging runs on Kubernetes."
    assert items["containers"].median == 3.0 and items["containers"].disagreement
    assert items["cicd"].value == 4.0 and items["cicd"].source == "median"
    assert items["on_call"].value is None and items["on_call"].source == "unanswered"


def test_an_override_needs_a_valid_answer_and_a_note() -> None:
    with pytest.raises(InputError) as info:
        workshops.validate_override("containers", 7, "  ", workload_enabled=False)
    assert set(info.value.field_errors) == {"value", "note"}
    with pytest.raises(InputError, match="within 1000 characters"):
        workshops.validate_override("containers", 1, "x" * 1001, workload_enabled=False)


def test_consensus_assessment_replaces_answers_and_keeps_the_rest() -> None:
    base = load_presets()["content_startup"]
    aggs = workshops.aggregate_answers(
        [{"containers": 0.0, "cicd": 1.0, "mean_output_tokens": 400.0, "teams_contributing": 2.0},
         {"containers": 1.0, "cicd": 1.0, "mean_output_tokens": 500.0, "teams_contributing": 3.0}],
        workload_enabled=True)
    result = workshops.consensus_assessment(base, workshops.consensus(aggs, []), label="Workshop", notes="n")
    assert result.team.containers == 0 and result.team.cicd == 1
    assert result.team.on_call == base.team.on_call  # unanswered: the base's answer stays
    assert result.workload.mean_output_tokens == 450 and isinstance(result.workload.mean_output_tokens, int)
    assert result.workload.teams_contributing == 2  # median 2.5 rounds to even
    assert result.workload.model_id == base.workload.model_id
    assert (result.project, result.label, result.notes) == (base.project, "Workshop", "n")


def test_an_inconsistent_consensus_names_the_field() -> None:
    base = load_presets()["blank"]
    items = [workshops.ConsensusItem(key="peak_requests_per_s", label="Peak", value=1.0, median=1.0,
                                     source="override", note="typo")]
    with pytest.raises(InputError) as info:
        workshops.consensus_assessment(base, items, label="", notes="")
    assert "workload.peak_requests_per_s" in info.value.field_errors


def test_one_median_rule_for_levels_and_one_for_numbers() -> None:
    # Issue 15 item 13: answers 1 and 3 give level 1 everywhere; estimates 3 and 10 give 6.5.
    assert workshops.level_median([1, 3]) == 1.0 == workshops.median_of("cicd", [3, 1])
    assert workshops.number_median([3, 10]) == 6.5 == workshops.median_of("mean_requests_per_s", [10, 3])
    assert workshops.median_of("cicd", []) is None
    levels = workshops.aggregate("on_call", [1, 3])
    estimate = workshops.aggregate("mean_requests_per_s", [3, 10])
    assert (levels.median, levels.median_answer) == (1.0, 1.0)
    assert (estimate.median, estimate.median_answer) == (6.5, 6.5)
    items = {i.key: i for i in workshops.consensus([levels, estimate], [])}
    assert (items["on_call"].value, items["on_call"].median) == (1.0, 1.0)
    assert items["mean_requests_per_s"].value == 6.5
    assert "1 and 3 give 1" in workshops.MEDIAN_RULE and "3 and 10 give 6.5" in workshops.MEDIAN_RULE
