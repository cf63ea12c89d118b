"""``planner members`` and ``planner log``: managing a project's members from the command line (an instance admin),
and its audit log as text, CSV and JSON."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from planner import cli, store
from planner.present.audit import COLUMNS
from tests.conftest import ROOT

runner = CliRunner()
PROJECT = "Chat “bot” **x**"


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """DATABASE_URL in tmp_path with one open project (made with sign-in off: no members)."""
    url = f"sqlite:///{(tmp_path / 'planner.db').as_posix()}"
    monkeypatch.setenv("DATABASE_URL", url)
    store.create_project(store.get_engine(url), name=PROJECT, actor=store.LOCAL)
    yield url
    store.dispose_engines()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(cli.app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_the_command_line_names_the_first_owner_then_manages_members(database: str) -> None:
    assert "has no members" in run("members", "list", PROJECT)[1]
    code, out, err = run("members", "set", PROJECT, "Ana@Example.com", "viewer")
    assert code == 1 and "keeps at least one owner" in err  # an open project's first member is its owner
    assert run("members", "set", PROJECT, "Ana@Example.com", "owner") == (
        0, f"ana@example.com is owner of “{PROJECT}”.\n", "")
    assert run("members", "set", PROJECT, "li@example.com", "editor")[0] == 0
    code, out, _ = run("members", "list", PROJECT, "--json")
    assert [(m["member"], m["role"]) for m in json.loads(out)] == [
        ("ana@example.com", "owner"), ("li@example.com", "editor")]
    assert run("members", "remove", PROJECT, "li@example.com")[0] == 0
    code, _, err = run("members", "remove", PROJECT, "ana@example.com")
    assert code == 1 and "keeps at least one owner" in err
    code, _, err = run("members", "set", PROJECT, "x@example.com", "boss")
    assert code == 1 and "A role is one of viewer, editor, owner" in err
    code, _, err = run("members", "list", "No such project")
    assert code == 1 and "No project named" in err


def test_the_log_as_text_csv_and_json_with_text_as_stored(database: str, tmp_path: Path) -> None:
    run("members", "set", PROJECT, "ana@example.com", "owner")
    code, out, _ = run("log", PROJECT)
    assert code == 0 and out.splitlines()[0].endswith("set role ana@example.com: added as owner")
    assert "created project " + PROJECT in out.splitlines()[1]
    target = tmp_path / "log.csv"
    assert run("log", PROJECT, "--format", "csv", "--out", str(target))[0] == 0
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert tuple(rows[0]) == COLUMNS and [r["What"] for r in rows] == ["set role", "created project"]
    assert rows[1]["On"] == PROJECT
    events = json.loads(run("log", PROJECT, "--format", "json")[1])
    assert events[0]["Who"] == "local user" and events[0]["Detail"] == "added as owner"


def test_the_installed_command_records_its_changes_as_the_command_line(database: str) -> None:
    env = {**os.environ, "DATABASE_URL": database}
    done = subprocess.run([sys.executable, "-m", "planner.cli", "members", "set", PROJECT, "ana@example.com", "owner"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert store.project_log(store.get_engine(database), project=PROJECT)[0].actor == "command line"
