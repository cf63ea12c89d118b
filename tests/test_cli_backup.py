"""Tests of ``planner backup``: a SQLite copy that opens with the same projects, no overwrite without --force, and
the pg_dump command for PostgreSQL."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from planner import history, store
from planner.cli import app
from planner.decide.scoring import recommend
from planner.inputs.files import load_presets

runner = CliRunner()


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A new SQLite database as DATABASE_URL, with one saved assessment of project "P"."""
    url = f"sqlite:///{(tmp_path / 'app.db').as_posix()}"
    monkeypatch.setenv("DATABASE_URL", url)
    preset = load_presets()["content_startup"].model_copy(update={"project": "P", "label": "first"})
    history.save_evaluated(store.get_engine(url), preset, recommend(preset), None)
    yield url
    store.dispose_engines()


def invoke(*args: str) -> Result:
    return runner.invoke(app, list(args), catch_exceptions=False)


def saved(url: str) -> tuple[list[tuple[str, int]], list[tuple[int, str, str]]]:
    """The projects (name, assessments) and assessments (id, project, label) a database lists."""
    engine = store.get_engine(url)
    return ([(p.name, p.assessment_count) for p in store.list_projects(engine)],
            [(a.id, a.project, a.label) for a in store.list_assessments(engine)])


def test_backup_writes_a_copy_that_lists_the_same_project_and_assessment(database: str, tmp_path: Path) -> None:
    dest = tmp_path / "backups" / "planner-copy.db"
    dest.parent.mkdir()
    result = invoke("backup", str(dest))
    assert result.exit_code == 0, result.output
    assert f"to {dest}" in result.stdout and "1 project(s), 1 assessment(s)." in result.stdout
    assert sorted(p.name for p in dest.parent.iterdir()) == ["planner-copy.db"]  # one file, no temporary left
    with closing(sqlite3.connect(dest)) as copy:
        assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert saved(f"sqlite:///{dest.as_posix()}") == saved(database) == ([("P", 1)], [(1, "P", "first")])


def test_backup_copies_only_what_is_committed_while_another_connection_writes(database: str, tmp_path: Path) -> None:
    source = tmp_path / "app.db"
    with closing(sqlite3.connect(source, isolation_level=None)) as writer:
        writer.execute("BEGIN IMMEDIATE")  # the app in the middle of a save: a write transaction held open
        writer.execute("UPDATE projects SET name = 'Renamed'")
        result = invoke("backup", str(tmp_path / "copy.db"))
        writer.execute("ROLLBACK")
    assert result.exit_code == 0, result.output
    assert saved(f"sqlite:///{(tmp_path / 'copy.db').as_posix()}")[0] == [("P", 1)]


def test_backup_refuses_to_overwrite_unless_forced(database: str, tmp_path: Path) -> None:
    dest = tmp_path / "copy.db"
    dest.write_bytes(b"an older backup")
    refused = invoke("backup", str(dest))
    assert refused.exit_code == 1 and "already exists" in refused.stderr and "--force" in refused.stderr
    assert dest.read_bytes() == b"an older backup"
    forced = invoke("backup", str(dest), "--force")
    assert forced.exit_code == 0, forced.output
    assert saved(f"sqlite:///{dest.as_posix()}")[1] == [(1, "P", "first")]


def test_backup_refuses_the_database_itself_and_a_missing_one(database: str, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    itself = invoke("backup", str(tmp_path / "app.db"), "--force")
    assert itself.exit_code == 1 and "is the database itself" in itself.stderr
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{(tmp_path / 'none.db').as_posix()}")
    missing = invoke("backup", str(tmp_path / "copy.db"))
    assert missing.exit_code == 1 and "There is no database at" in missing.stderr
    assert not (tmp_path / "copy.db").exists() and not (tmp_path / "none.db").exists()


@pytest.mark.parametrize("scheme", ["postgresql", "postgres", "postgresql+psycopg"])
def test_backup_of_postgresql_names_the_pg_dump_command(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                        scheme: str) -> None:
    monkeypatch.setenv("DATABASE_URL", f"{scheme}://planner:s3cret@db:5432/planner")
    dest = tmp_path / "planner.dump"
    result = invoke("backup", str(dest))
    assert result.exit_code == 1
    assert f"pg_dump --format=custom --file={dest} postgresql://planner@db:5432/planner" in result.stderr
    assert f"pg_restore --clean --if-exists --no-owner --dbname=postgresql://planner@db:5432/planner {dest}" in (
        result.stderr)
    assert "s3cret" not in result.stderr and not dest.exists()
