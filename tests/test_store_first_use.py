"""First use of a new SQLite database by many processes at once: one migrates, every save lands.

Sixteen app processes (or four ``planner assess --save`` runs) that open the same new SQLite file at the
same moment all try to create the schema; without a lock around the migration all but one fail with
"table alembic_version already exists" (issue 13, item 3). Each run uses a fresh file.
"""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import text

from planner import history, store
from planner.decide.scoring import recommend
from tests.conftest import ROOT
from tests.test_store import make_assessment

PROCESSES = 16
SAVES_PER_PROCESS = 10
CLI_PROCESSES = 4
START_TIMEOUT_S = 60  # spawned interpreters import the planner before they meet at the barrier
RACE_LIMIT_S = 30  # from the barrier to a process's last save: migrate once, then 160 saves (~5-10 s on 2 idle cores)
CLI_LIMIT_S = 120  # each `planner assess --save` run, four at once on 2 cores


def _saver(url: str, worker: int, results: dict[str, Any], barrier: Any, out: Any) -> None:
    """One app process: wait for the others, then open the new database and save SAVES_PER_PROCESS times."""
    stored = 0
    try:
        barrier.wait(START_TIMEOUT_S)
        began = time.time()
        engine = store.get_engine(url)
        for i in range(SAVES_PER_PROCESS):
            store.save_assessment(engine, assessment=make_assessment(project=f"P{worker % 4}", label=f"{worker}-{i}"),
                                  results=results, recommended=results["recommendation"]["ranked"][0]["architecture"],
                                  app_version="0.1.0")
            stored += 1
        out.put((worker, stored, time.time() - began, ""))
    except Exception as exc:  # reported to the parent, which shows every failure
        out.put((worker, stored, 0.0, f"{type(exc).__name__}: {exc}"))


def _count(url: str) -> int:
    engine = store.create_store_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM assessments")).scalar_one())
    finally:
        engine.dispose()


def test_16_processes_saving_to_a_new_sqlite_file_at_once_all_land(tmp_path: Path) -> None:
    url = f"sqlite:///{(tmp_path / 'new.db').as_posix()}"
    assert not (tmp_path / "new.db").exists()
    assessment = make_assessment()
    results = history.results_document(recommend(assessment), None)
    context = multiprocessing.get_context("spawn")
    barrier, out = context.Barrier(PROCESSES), context.Queue()
    workers = [context.Process(target=_saver, args=(url, w, results, barrier, out)) for w in range(PROCESSES)]
    for worker in workers:
        worker.start()
    reports = [out.get(timeout=START_TIMEOUT_S + RACE_LIMIT_S) for _ in workers]
    for worker in workers:
        worker.join(timeout=10)
    failures = sorted(f"process {w}: {error}" for w, _, _, error in reports if error)
    assert failures == []
    assert sum(stored for _, stored, _, _ in reports) == PROCESSES * SAVES_PER_PROCESS
    assert _count(url) == PROCESSES * SAVES_PER_PROCESS
    assert max(seconds for _, _, seconds, _ in reports) < RACE_LIMIT_S


def test_4_concurrent_planner_assess_save_on_a_new_sqlite_file_all_save(tmp_path: Path) -> None:
    database = tmp_path / "cli.db"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database.as_posix()}"}
    preset = ROOT / "data" / "presets" / "blank.yaml"
    runs = [subprocess.Popen([sys.executable, "-m", "planner.cli", "assess", str(preset), "--save",
                              "--label", f"run {n}"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
            for n in range(CLI_PROCESSES)]
    outcomes = [(run.wait(timeout=CLI_LIMIT_S), *run.communicate()) for run in runs]
    assert [(code, err.strip()) for code, _, err in outcomes] == [(0, "")] * CLI_PROCESSES
    assert all("Saved as assessment #" in stdout for _, stdout, _ in outcomes)
    assert _count(f"sqlite:///{database.as_posix()}") == CLI_PROCESSES
