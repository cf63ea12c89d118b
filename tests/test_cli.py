"""Tests of the ``planner`` command line: assess, history, export and import, with exit codes 0, 1 and 2."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from planner import history, store
from planner.cli import app
from planner.cli import commands as cli
from planner.decide.results import RevisitTrigger
from planner.decide.scoring import recommend, scale_text
from planner.estimate.engine import evaluate
from planner.inputs.catalog import load_instances
from planner.inputs.files import PRESETS_DIR, load_presets
from tests.conftest import ROOT

PRESET = PRESETS_DIR / "content_startup.yaml"
runner = CliRunner()


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{(tmp_path / 'cli.db').as_posix()}"
    monkeypatch.setenv("DATABASE_URL", url)
    yield url
    store.dispose_engines()


def invoke(*args: str) -> object:
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_assess_prints_the_recommendation_and_writes_json(database: str, tmp_path: Path) -> None:
    out = tmp_path / "result.json"
    result = invoke("assess", str(PRESET), "--json", str(out))
    assert result.exit_code == 0, result.output
    preset = load_presets()["content_startup"]
    expected = recommend(preset, evaluate(preset))
    assert f"Recommended: {expected.top.label}" in result.stdout
    budget = preset.team.monthly_budget_usd
    assert f"Infrastructure against the monthly budget of ${budget:,.0f}" in result.stdout
    assert scale_text() in result.stdout
    document = json.loads(out.read_text())
    assert document["saved_id"] is None
    assert document["assessment"] == preset.model_dump(mode="json")
    assert document["recommendation"]["ranked"][0]["architecture"] == expected.top.value
    hybrid = document["evaluation"]["estimates"]["hybrid"]
    assert sum(hybrid["cost"].values()) == pytest.approx(evaluate(preset).estimate("hybrid").monthly_cost_usd)
    assert store.list_projects(store.get_engine(database)) == []  # nothing saved without --save


def test_assess_save_stores_snapshot_revisit_date_and_triggers(database: str) -> None:
    result = invoke("assess", str(PRESET), "--save", "--project", "Nightly", "--label", "cron")
    assert result.exit_code == 0, result.output
    assert "Saved as assessment #1 of “Nightly”" in result.stdout
    stored = store.load_assessment(store.get_engine(database), assessment_id=1)
    assert (stored.project, stored.label) == ("Nightly", "cron")
    assert list(stored.price_snapshot or ()) == list(load_instances())
    early_days = 60  # content_startup is an early-stage team (data/revisit.yaml)
    assert stored.revisit_by == datetime.now(UTC).date() + timedelta(days=early_days)
    preset = load_presets()["content_startup"]
    assert stored.triggers == recommend(preset, evaluate(preset)).triggers


def test_invalid_input_exits_1_naming_the_field(database: str, tmp_path: Path) -> None:
    data = yaml.safe_load(PRESET.read_text())
    data["workload"]["peak_requests_per_s"] = 0.1  # below the mean
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data))
    result = invoke("assess", str(bad), "--save")
    assert result.exit_code == 1
    assert "workload.peak_requests_per_s" in result.stderr and "at least the mean" in result.stderr
    assert store.list_projects(store.get_engine(database)) == []
    missing = invoke("assess", str(tmp_path / "nope.yaml"))
    assert (missing.exit_code, "cannot be read" in missing.stderr) == (1, True)


@pytest.mark.parametrize("args", [["assess", str(PRESET), "--project", "X"], ["assess"], ["assess", str(PRESET),
                                  "--bogus"], ["history"], ["export", "P"], ["nonsense"],
                                  ["report", "1", "--pdf", "-", "--prices", "tomorrow"]])
def test_usage_errors_exit_2(database: str, args: list[str]) -> None:
    assert invoke(*args).exit_code == 2


@pytest.mark.parametrize(("option", "prices"), [([], "saved"), (["--prices", "today"], "today")])
def test_report_passes_the_price_choice_to_the_saved_report(database: str, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch, option: list[str],
                                                            prices: str) -> None:
    asked: list[dict[str, object]] = []

    def fake_report(engine: object, **kwargs: object) -> bytes:
        asked.append(kwargs)
        return b"%PDF-fake"

    monkeypatch.setattr(cli, "build_saved_report", fake_report)
    out = tmp_path / "report.pdf"
    result = invoke("report", "7", "--pdf", str(out), *option)
    assert result.exit_code == 0, result.output
    assert asked == [{"assessment_id": 7, "author": "", "prices": prices}]
    assert out.read_bytes() == b"%PDF-fake" and f"to {out}" in result.stdout


def test_history_lists_assessments_and_fired_triggers(database: str, tmp_path: Path) -> None:
    assert invoke("history", "Nobody").exit_code == 1
    assert invoke("assess", str(PRESET), "--save", "--project", "P").exit_code == 0
    data = yaml.safe_load(PRESET.read_text())
    data["workload"]["peak_requests_per_s"] = data["workload"]["peak_requests_per_s"] * 2  # past #1's peak trigger
    grown = tmp_path / "grown.yaml"
    grown.write_text(yaml.safe_dump(data))
    assert invoke("assess", str(grown), "--save", "--project", "P").exit_code == 0
    text_result = invoke("history", "P")
    assert text_result.exit_code == 0
    # #2 re-assessed at the new peak and set its own peak trigger: #1's is answered, not fired (issue 15 item 12).
    assert "P: 2 assessment(s)" in text_result.stdout and "Trigger fired" not in text_result.stdout
    document = json.loads(invoke("history", "P", "--json").stdout)
    assert [a["id"] for a in document["assessments"]] == [1, 2]
    assert document["due"] is False and document["fired_triggers"] == []
    projects = invoke("projects")
    assert projects.exit_code == 0 and projects.stdout.startswith("P\t2 assessment(s)")


def test_history_shows_a_fired_trigger_then_its_acknowledgement(database: str) -> None:
    engine = store.get_engine(database)
    base = load_presets()["content_startup"].model_copy(update={"project": "P"})
    updates = base.workload.model_updates_per_month
    monthly = RevisitTrigger(key="workload.model_updates_per_month", op=">=", threshold=updates + 1,
                             text="Model updates a month ≥ one more")
    results = history.results_document(recommend(base), None)
    # A crafted trigger that no roadmap of these answers sets again, so it stays in force.
    set_by = store.save_assessment(engine, assessment=base, results=results, app_version="0.1.0",
                                   recommended=recommend(base).top.value, triggers=[monthly])
    busier = base.model_copy(update={"label": "busier", "workload": base.workload.model_copy(
        update={"model_updates_per_month": updates + 2})})
    history.save_evaluated(engine, busier, recommend(busier), None)
    assert "Trigger fired: Model updates a month ≥ one more" in invoke("history", "P").stdout
    store.acknowledge_trigger(engine, assessment_id=set_by, trigger=monthly, value=updates + 2,
                              note="Known: a launch.", by="Ana")
    shown = invoke("history", "P").stdout
    assert "Trigger fired" not in shown and "Trigger acknowledged by Ana on " in shown and "Known: a launch." in shown


def test_assess_save_twice_keeps_one_assessment(database: str) -> None:
    first = invoke("assess", str(PRESET), "--save", "--project", "P")
    again = invoke("assess", str(PRESET), "--save", "--project", "P")
    assert "Saved as assessment #1" in first.stdout and "Already saved as assessment #1" in again.stdout
    assert len(store.list_assessments(store.get_engine(database))) == 1


def test_export_and_import_round_trip_and_refuse_bad_files(database: str, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    assert invoke("assess", str(PRESET), "--save", "--project", "P").exit_code == 0
    out = tmp_path / "p.json.gz"
    exported = invoke("export", "P", "--out", str(out))
    assert exported.exit_code == 0 and out.read_bytes()[:2] == b"\x1f\x8b"
    assert invoke("export", "Nobody", "--out", str(tmp_path / "x.json")).exit_code == 1

    other = f"sqlite:///{(tmp_path / 'other.db').as_posix()}"
    monkeypatch.setenv("DATABASE_URL", other)
    result = invoke("import", str(out))
    assert result.exit_code == 0, result.output
    assert "Imported 1 assessment(s) into “P” (new project)" in result.stdout
    again = invoke("import", str(out))
    assert again.exit_code == 1 and "already in “P”" in again.stderr
    malformed = tmp_path / "bad.json"
    malformed.write_text('{"format": "genai-architecture-planner/project", "version": 1}')
    bad = invoke("import", str(malformed))
    assert bad.exit_code == 1 and "assessments" in bad.stderr
    big = tmp_path / "big.json"
    big.write_bytes(b" " * (store.MAX_EXPORT_BYTES + 1))
    assert "a project export is at most" in invoke("import", str(big)).stderr
    engine = store.get_engine(other)
    assert [(p.name, p.assessment_count) for p in store.list_projects(engine)] == [("P", 1)]


def test_the_console_script_runs_as_a_real_process(tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("planner")
    env = {"DATABASE_URL": f"sqlite:///{(tmp_path / 'proc.db').as_posix()}", "PATH": str(script.parent)}
    done = subprocess.run([str(script), "assess", str(PRESET), "--json", "-", "--save"], capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["saved_id"] == 1 and document["assessment"]["project"] == "Content-generation startup"
    usage = subprocess.run([str(script), "assess"], capture_output=True, text=True, env=env, timeout=60)
    assert usage.returncode == 2 and "Missing argument" in usage.stderr


def test_the_progress_bar_shows_on_a_terminal_and_not_when_piped() -> None:
    import io

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    with cli.terminal_progress(io.StringIO()) as piped:
        assert piped is None
    screen = Terminal()
    with cli.terminal_progress(screen) as progress:
        assert progress is not None
        progress("sizing and simulating the monolith", 0.4)
    assert "Estimating" in screen.getvalue()
