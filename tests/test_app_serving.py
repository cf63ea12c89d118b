"""App tests of the Serving calculator page: the same figures as ``planner serving``, errors in plain words,
the engine levers, the concurrency chart and the assumptions. Driven through the router with AppTest."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

from planner import cli
from planner.estimate.calculator import concurrency_sweep, serving_point, sweep_concurrencies
from planner.inputs.models import Precision
from planner.present.calculator import sweep_frame
from tests.conftest import tables_shown
from ui import serving_view

SERVING = "pages/serving.py"
THROUGHPUT = "Output tokens/s (all replicas)"


@pytest.fixture
def page(app: AppTest) -> AppTest:
    """The Serving calculator with its defaults (Llama 3.1 8B, FP8, one H100, 1,000 tokens in and out)."""
    return ok(app.switch_page(SERVING).run())


def ok(at: AppTest) -> AppTest:
    assert not at.exception, at.exception
    return at


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def cli_lines(*args: str) -> list[str]:
    result = CliRunner().invoke(cli.app, ["serving", *args])
    assert result.exit_code == 0, result.stderr
    return result.stdout.splitlines()


def cli_figure(lines: list[str], figure: str) -> str:
    """The value column of one figure in the CLI's table (the Basis column starts with 'modelled' or 'how')."""
    line = next(line for line in lines if line.startswith(figure))
    return line.removeprefix(figure).split("  modelled")[0].strip()


def test_page_shows_the_figures_the_cli_prints(page: AppTest):
    page.selectbox(key="sc.gpu").set_value("H200")
    page.number_input(key="sc.gpus").set_value(4)
    ok(page.run())
    args = ["--model", "llama-3.1-8b", "--gpu", "H200", "--gpus", "4", "--precision", "fp8",
            "--input", "1000", "--output", "1000"]
    lines = cli_lines(*args)
    assert metric(page, THROUGHPUT) == cli_figure(lines, THROUGHPUT)
    assert metric(page, "Time per output token") == cli_figure(lines, "Time per output token")
    page.number_input(key="sc.concurrency").set_value(32)
    ok(page.run())
    lines = cli_lines(*args, "--concurrency", "32")
    assert metric(page, THROUGHPUT) == cli_figure(lines, THROUGHPUT)
    assert metric(page, "Inter-token latency (mean)") == cli_figure(lines, "Inter-token latency (mean)")
    data = json.loads("\n".join(cli_lines(*args, "--concurrency", "32", "--json")))
    assert metric(page, "Replicas × GPUs each") == f"{data['replicas']} × {data['tp']}"


def frame_with(at: AppTest, column: str) -> pd.DataFrame:
    """The first data frame, or else static table, on the page that has this column."""
    frames = [d.value for d in at.dataframe] + tables_shown(at)
    return next(f for f in frames if column in f.columns)


def test_table_labels_every_figure_modelled_or_how_the_gpus_split(page: AppTest):
    frame = frame_with(page, "Basis")
    assert all(b.startswith(("modelled", "how the planner", "KV cache")) for b in frame["Basis"])


def test_a_model_that_does_not_fit_says_so_under_the_gpu_count(page: AppTest):
    page.selectbox(key="sc.model").set_value("llama-3.1-405b")
    page.selectbox(key="sc.precision").set_value(Precision.BF16)
    ok(page.run())
    errors = "\n".join(e.value for e in page.error)
    assert "**GPUs**" in errors and "GB" in errors
    assert not page.metric


def test_a_fixed_tp_above_the_gpu_count_is_refused_by_name(page: AppTest):
    page.selectbox(key="sc.tp").set_value(4)
    ok(page.run())
    assert "**GPUs per replica**: must be at most" in "\n".join(e.value for e in page.error)


def test_engine_levers_change_the_figures(page: AppTest):
    before = metric(page, "Time to first token")
    page.slider(key="sc.prefix").set_value(0.9)
    ok(page.run())
    assert metric(page, "Time to first token") != before
    page.number_input(key="sc.draft").set_value(3)
    ok(page.run())
    assert not page.slider(key="sc.accept").disabled


def test_chart_and_assumptions(page: AppTest):
    assert len(page.get("vega_lite_chart")) == 2  # throughput and time per token
    text = "\n".join(m.value for m in page.markdown)
    assert "calibrated per GPU vendor" in text and "serving_efficiency.csv" in text
    assumptions = frame_with(page, "Assumption")
    assert {"Compute efficiency", "Prefill token budget"} <= set(assumptions["Assumption"])


def test_sweep_grows_then_levels_off():
    # the chart's concurrencies on a replica that holds a few tens of sequences
    args = ("llama-3.3-70b", "H100-SXM", 1, None, Precision.FP8, None, 1000, 1000)
    full = serving_point(*args)
    levels = sweep_concurrencies(full.replicas, full.batch)
    assert levels[-1] == 256  # at least 256, past the few tens of batch slots
    frame = sweep_frame(concurrency_sweep(*args, levels))
    assert list(frame["concurrency"]) == list(levels)
    tokens = list(frame["tokens_s"])
    assert tokens[1] > tokens[0] and tokens[-1] == pytest.approx(frame["ceiling"].iloc[0], rel=0.15)


def test_page_renders_on_a_cold_cache(app: AppTest):
    serving_view.compute_point.clear()
    serving_view.compute_sweep.clear()
    ok(app.switch_page(SERVING).run())
