"""``planner serving``: the table, the JSON keys with and without a concurrency, and exit 1 naming the option."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from planner import cli
from planner.estimate.calculator import serving_point
from planner.inputs.models import Precision

runner = CliRunner()
BASE = ["--model", "llama-3.1-8b", "--gpu", "H100-SXM", "--gpus", "2", "--precision", "fp8",
        "--input", "1000", "--output", "1000"]


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(cli.app, ["serving", *args])
    return result.exit_code, result.stdout, result.stderr


def with_option(name: str, value: str) -> list[str]:
    """BASE with one option's value replaced (or added)."""
    args = list(BASE)
    if name in args:
        args[args.index(name) + 1] = value
    else:
        args += [name, value]
    return args


def test_json_at_full_load_has_the_split_and_the_closed_form():
    code, out, err = run(*BASE, "--json")
    assert code == 0, err
    data = json.loads(out)
    assert {"output_tokens_per_s", "tp", "replicas", "batch", "ttft_ms", "tpot_ms"} <= data.keys()
    assert "itl_ms" not in data and "e2e_ms" not in data
    point = serving_point("llama-3.1-8b", "H100-SXM", 2, None, Precision.FP8, None, 1000, 1000)
    assert (data["tp"], data["replicas"], data["batch"]) == (point.tp, point.replicas, point.batch)
    assert (point.tp, point.replicas) == (1, 2)
    assert data["output_tokens_per_s"] == pytest.approx(point.output_tokens_per_s)


def test_json_with_a_concurrency_has_the_latencies():
    code, out, err = run(*BASE, "--concurrency", "16", "--tp", "2", "--kv-precision", "bf16", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert {"output_tokens_per_s", "tp", "replicas", "batch", "ttft_ms", "itl_ms", "e2e_ms"} <= data.keys()
    assert (data["tp"], data["replicas"], data["concurrency"], data["kv_precision"]) == (2, 1, 16, "bf16")
    assert 0 < data["ttft_ms"] < data["e2e_ms"] and 0 < data["itl_ms"] < data["e2e_ms"]
    assert data["output_tokens_per_s"] < data["max_output_tokens_per_s"]


def test_the_table_prints_the_figures_and_says_they_are_modelled():
    code, out, _ = run(*BASE)
    assert code == 0
    point = serving_point("llama-3.1-8b", "H100-SXM", 2, None, Precision.FP8, None, 1000, 1000)
    assert f"{point.output_tokens_per_s:,.0f}" in out
    assert "Output tokens/s (all replicas)" in out and "Time per output token" in out
    assert "modelled" in out.lower() and "calibrated per GPU vendor" in out
    code, out, _ = run(*BASE, "--concurrency", "4")
    assert code == 0 and "Inter-token latency (mean)" in out and "closed-loop simulation" in out


@pytest.mark.parametrize("option, value, message", [
    ("--gpus", "0", "--gpus: must be at least 1"),
    ("--tp", "3", "--tp: must be a power of two"),
    ("--tp", "4", "--tp: must be at most --gpus (2)"),
    ("--input", "0", "--input: must be at least 1"),
    ("--output", "-5", "--output: must be at least 1"),
    ("--concurrency", "0", "--concurrency: must be at least 1"),
    ("--model", "gpt-5", "--model: unknown model 'gpt-5'"),
    ("--gpu", "TPU", "--gpu: unknown GPU 'TPU'"),
])
def test_invalid_inputs_exit_1_naming_the_option(option, value, message):
    code, out, err = run(*with_option(option, value))
    assert code == 1
    assert message in err
    assert out == ""


def test_a_model_that_does_not_fit_exits_1_naming_gpus():
    code, _, err = run("--model", "llama-3.1-405b", "--gpu", "H100-SXM", "--gpus", "4", "--precision", "bf16",
                       "--input", "1000", "--output", "1000")
    assert code == 1
    assert err.startswith("--gpus: ") and "GB" in err


@pytest.mark.parametrize("option", ["--precision", "--kv-precision"])
def test_an_unknown_precision_exits_1_naming_the_option_and_the_choices(option):
    code, out, err = run(*with_option(option, "fp16"))
    assert code == 1 and not out
    assert err.startswith(f"{option}: must be one of bf16, fp8") and "'fp16'" in err


def test_catalog_ids_match_without_regard_to_case():
    _, expected, _ = run(*BASE, "--json")
    code, out, err = run(*with_option("--gpu", " h100-sxm "), "--json")
    assert code == 0, err
    assert json.loads(out) == json.loads(expected)
    code, out, err = run(*with_option("--model", "LLAMA-3.1-8B"), "--json")
    assert code == 0, err
    assert json.loads(out)["model_id"] == "llama-3.1-8b"
