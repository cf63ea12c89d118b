"""``planner items``: list (text, JSON), export (CSV for issue trackers, Markdown), set status, owner and due date."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from planner import cli, store
from planner.present.items import CSV_COLUMNS
from planner.store.items import project_items
from tests.test_items import HOSTILE, Q1_KEYS, monolith, save

runner = CliRunner()


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """DATABASE_URL in tmp_path with one saved assessment of HOSTILE: its six items are open."""
    url = f"sqlite:///{(tmp_path / 'planner.db').as_posix()}"
    monkeypatch.setenv("DATABASE_URL", url)
    save(url, monolith(HOSTILE, "Q1"))
    yield url
    store.dispose_engines()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(cli.app, ["items", *args])
    return result.exit_code, result.stdout, result.stderr


def test_list_prints_every_item_and_the_counts(database: str) -> None:
    code, out, _ = run("list", HOSTILE)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["ID", "Item", "Source"]
    assert [line.split()[0] for line in lines[1:7]] == [f"ITEM-{n}" for n in range(1, 7)]
    assert "6 item(s): 6 open, 0 in progress, 0 done, 0 won't do." in out


def test_set_changes_status_owner_and_due_and_list_filters_by_status(database: str) -> None:
    code, out, _ = run("set", "ITEM-2", "--status", "in progress", "--owner", "**Ann**", "--due", "2026-03-31",
                       "--by", "Bo", "--note", "started")
    assert code == 0 and "ITEM-2 of “**x** [y](javascript:z)”: In progress; owner **Ann**; due 2026-03-31." in out
    code, out, _ = run("list", HOSTILE, "--status", "in_progress", "--json")
    assert code == 0
    [item] = json.loads(out)
    assert (item["id"], item["status"], item["owner"], item["due"]) == (
        "ITEM-2", "in_progress", "**Ann**", "2026-03-31")
    assert item["events"][-1] | {"at": None} == {"status": "in_progress", "previous": "open", "by": "Bo",
                                                 "note": "started", "at": None, "assessment_id": None}
    assert run("set", "2", "--due", "none", "--owner", "")[0] == 0
    [stored] = [i for i in project_items(store.get_engine(database), project=HOSTILE) if i.id == 2]
    assert (stored.owner, stored.due) == ("", None)


@pytest.mark.parametrize(("args", "message"), [
    (("set", "ITEM-99", "--status", "done"), "No improvement item ITEM-99"),
    (("set", "ITEM-1", "--status", "closed"), "not one of open, in progress, done, won't do"),
    (("set", "ITEM-1", "--due", "31/03/2026"), "is not a date"),
    (("set", "ITEM-1"), "Give at least one of --status, --owner and --due"),
    (("set", "one", "--status", "done"), "not an item id"),
    (("set", "1", "--owner", "a\u0000b"), "The owner must not contain"),
    (("list", "Nope"), "No project named “Nope”"),
    (("export", "Nope", "--format", "csv"), "No project named “Nope”"),
])
def test_mistakes_exit_1_in_plain_words(database: str, args: tuple[str, ...], message: str) -> None:
    code, _, err = run(*args)
    assert code == 1 and message in err
    assert {i.status.value for i in project_items(store.get_engine(database), project=HOSTILE)} == {"open"}


def test_export_writes_the_csv_and_the_markdown(database: str, tmp_path: Path) -> None:
    code, out, _ = run("export", HOSTILE, "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert tuple(rows[0]) == CSV_COLUMNS and len(rows) == len(Q1_KEYS)
    target = tmp_path / "items.md"
    code, out, _ = run("export", HOSTILE, "--format", "md", "--out", str(target))
    assert code == 0 and f"Wrote 6 improvement item(s) of “{HOSTILE}” to {target}." in out
    assert target.read_text(encoding="utf-8").startswith("# Improvement items of \\*\\*x\\*\\* \\[y\\](javascript:z)")
    assert run("export", HOSTILE, "--format", "pdf")[0] == 2  # typer refuses the choice: a usage error
    # The export carries no time of its own: the same items give the same file.
    assert run("export", HOSTILE, "--format", "csv")[1] == run("export", HOSTILE, "--format", "csv")[1]
