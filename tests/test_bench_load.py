"""bench/bench_load.py lowers the load generator's CPU priority where the kernel schedules by session.

Playwright starts Chromium in a session of its own; with Linux's autogroup scheduling a session is a scheduling
group, and ``os.nice`` in the bench never reached the browsers' group. Here a stand-in for the browser (a process
in a session of its own, under a stand-in for the bench) must end at the lowered priority, and a stand-in for the
server (skipped) must not.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(not Path("/proc/self/autogroup").exists(),
                                reason="the kernel has no autogroup scheduling (CONFIG_SCHED_AUTOGROUP)")

# A stand-in for the bench: in a session of its own (so that the test's own group is never lowered), it starts a
# "browser" and a "server", each in a session of its own as Playwright's Chromium and the bench's server are, and
# prints their process ids.
BENCH = """
import subprocess, sys, time
sleeper = [sys.executable, "-c", "import time; time.sleep(60)"]
browser = subprocess.Popen(sleeper, start_new_session=True)
server = subprocess.Popen(sleeper, start_new_session=True)
print(browser.pid, server.pid, flush=True)
time.sleep(60)
"""


def _bench_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_load", ROOT / "bench" / "bench_load.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _group(pid: int) -> tuple[str, int]:
    """(the autogroup's name, its nice) of a process, from /proc/PID/autogroup ("/autogroup-12 nice 0")."""
    name, _, nice = Path(f"/proc/{pid}/autogroup").read_text().split()
    return name, int(nice)


@pytest.fixture
def bench() -> Iterator[tuple[int, int, int]]:
    """(the stand-in bench's pid, its browser's, its server's), all alive until the test ends."""
    process = subprocess.Popen([sys.executable, "-c", BENCH], stdout=subprocess.PIPE, text=True,
                               start_new_session=True)
    children: list[int] = []
    try:
        assert process.stdout is not None
        children = [int(word) for word in process.stdout.readline().split()]
        yield process.pid, children[0], children[1]
    finally:
        for pid in children:
            subprocess.run(["kill", "-KILL", str(pid)], check=False)
        process.kill()
        process.wait(timeout=10)


def test_the_browsers_group_is_lowered_and_the_servers_is_not(bench: tuple[int, int, int]) -> None:
    root, browser, server = bench
    own_before = _group(root)
    assert len({_group(pid)[0] for pid in (root, browser, server)}) == 3, "each in a session, a group, of its own"
    assert _group(browser)[1] == 0 and _group(server)[1] == 0

    lowered = _bench_module().lower_load_groups(19, skip=[server], root=root)

    assert lowered == 2  # the bench's group and the browser's
    assert _group(browser)[1] == 19
    assert _group(root) == (own_before[0], 19)
    assert _group(server)[1] == 0, "the server keeps its priority"
