"""Reliability of the SQLite store: many concurrent writers, and a writer killed in the middle of a save."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from planner import store
from planner.errors import StoreError
from planner.store import create_store_engine, database, get_engine, list_projects, load_assessment, save_assessment
from tests.conftest import ROOT
from tests.test_store import RESULTS, make_assessment

WRITERS = 16
SAVES_PER_WRITER = 50


def test_16_concurrent_writers_x_50_saves_all_land_without_a_locked_error(tmp_path: Path) -> None:
    url = f"sqlite:///{(tmp_path / 'busy.db').as_posix()}"
    get_engine(url)  # migrate once, as the app does at start

    def writer(worker: int) -> list[int]:
        # Each writer has its own engine and connection pool, as separate app processes would.
        engine = create_store_engine(url)
        try:
            return [save_assessment(engine, assessment=make_assessment(project=f"P{worker % 4}", label=f"{worker}-{i}"),
                                    results=RESULTS, recommended="hybrid", app_version="0.1.0")
                    for i in range(SAVES_PER_WRITER)]
        finally:
            engine.dispose()

    errors: list[BaseException] = []
    ids: list[int] = []
    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        for future in [pool.submit(writer, w) for w in range(WRITERS)]:
            try:
                ids += future.result()
            except StoreError as exc:  # "database is locked" would arrive here
                errors.append(exc)
    assert errors == []
    assert len(set(ids)) == WRITERS * SAVES_PER_WRITER
    engine = get_engine(url)
    with engine.connect() as conn:
        labels = set(conn.execute(text("SELECT label FROM assessments")).scalars())
    assert labels == {f"{w}-{i}" for w in range(WRITERS) for i in range(SAVES_PER_WRITER)}
    assert sorted((p.name, p.assessment_count) for p in list_projects(engine)) == [
        (f"P{k}", WRITERS // 4 * SAVES_PER_WRITER) for k in range(4)]


CHILD = """
import sys
from planner.store import get_engine, save_assessment
from tests.test_store import RESULTS, make_assessment
engine = get_engine(sys.argv[1])
# A large row keeps the writer inside its transaction for a while.
blob = "x" * 2_000_000
for i in range(10_000):
    results = {"recommendation": {**RESULTS["recommendation"], "summary": f"{i} {blob}"}}
    new_id = save_assessment(engine, assessment=make_assessment(project=f"P{i % 3}", label=str(i)),
                             results=results, recommended="hybrid", app_version="0.1.0")
    print(new_id, flush=True)
"""


def test_a_writer_killed_during_a_save_leaves_a_consistent_database(tmp_path: Path) -> None:
    url = f"sqlite:///{(tmp_path / 'killed.db').as_posix()}"
    child = subprocess.Popen([sys.executable, "-c", CHILD, url], cwd=ROOT, stdout=subprocess.PIPE, text=True,
                             env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert child.stdout is not None
    printed = [int(child.stdout.readline()) for _ in range(3)]
    time.sleep(0.05)  # well inside the next save (each writes 2 MB)
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    printed += [int(line) for line in child.stdout.read().split()]

    engine = create_store_engine(url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA integrity_check")).scalars().all() == ["ok"]
            assert conn.execute(text("PRAGMA foreign_key_check")).all() == []
            ids = conn.execute(text("SELECT id FROM assessments ORDER BY id")).scalars().all()
        # Every save that reported success is there; at most one more committed just before the kill.
        assert ids[: len(printed)] == printed and len(ids) - len(printed) in (0, 1)
        for assessment_id in ids:  # and every stored assessment is whole
            stored = load_assessment(engine, assessment_id=assessment_id)
            number, blob = stored.results["recommendation"]["summary"].split(" ")
            assert (len(blob), stored.label) == (2_000_000, number)
    finally:
        engine.dispose()


def test_a_busy_database_is_retried_and_then_reported_in_plain_words(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    engine = get_engine(f"sqlite:///{(tmp_path / 'retry.db').as_posix()}")
    monkeypatch.setattr(database, "RETRY_BASE_DELAY_S", 0.001)
    calls = []

    def flaky(session: object) -> str:
        calls.append(1)
        if len(calls) < 3:
            raise OperationalError("INSERT ...", {}, sqlite3.OperationalError("database is locked"))
        return "saved"

    assert store.write_transaction(engine, flaky, failure="Could not save") == "saved"
    assert len(calls) == 3

    def always_locked(session: object) -> str:
        raise OperationalError("INSERT ...", {}, sqlite3.OperationalError("database is locked"))

    with pytest.raises(StoreError, match=r"^Could not save: the database is busy with another writer; try again"):
        store.write_transaction(engine, always_locked, failure="Could not save")
