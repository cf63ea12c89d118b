"""Load: concurrent browser sessions asking for a recommendation at once, against a local server.

The scenario (issue 13, item 8): a team opens the app at the same time. The script starts the app
with ``streamlit run`` on a free localhost port and a SQLite database in a temporary folder, then
drives ``--sessions`` Chromium sessions (one browser, one context each) through Playwright. Each
session opens the app, goes to Assess, loads the default preset ("Blank start"), gives it a label of
its own, and waits for the others; then all click "Get recommendation" together, and each is timed
from its click until the numbers are on screen (the recommendation's metrics and the estimates). All
the while a process of its own asks ``/_stcore/health`` every ``HEALTH_INTERVAL_S`` and keeps the slowest answer
(an answer that does not come within ``HEALTH_TIMEOUT_S`` counts as that long).

The server and the prober each run in a session of their own, as a service does, and the load generator (this
script, Playwright's driver and Chromium) at the lowest CPU priority (``--browser-nice``, default
``BROWSER_NICE``): in real use the browsers run on their users' machines. With autogroup scheduling, Linux's
default, the priority is set on the browsers' scheduling group, since Playwright starts Chromium in a session of
its own. ``--browser-nice 0`` gives the browsers an equal share with the server: then the server's whole scheduling
group (its event loop and its idle evaluation workers alike) waits for a core up to a second at a time while the
20 tabs load, and the health figure measures that.

It stops by itself: at most ``MAX_SESSIONS`` sessions, ``SESSION_TIMEOUT_S`` per session (a session
past it is an error) and ``RUN_TIMEOUT_S`` for the whole run; the server is stopped at the end.

Prints one ``name=value`` line per figure: ``load_sessions``, ``load_errors``, ``load_p50_s``,
``load_p95_s`` (time from click to numbers; targets p95 <= 15 s, 0 errors at 20 sessions),
``health_max_s`` (target < 1, from the first page load to the last result; ``health_max_results_s`` the
same for the timed part alone; ``health_answers`` how many it asked, ``health_over_1s`` how many of them took 1 s or
longer; ``prober_late_max_s`` how late, at worst, the prober itself woke to ask: when the machine stalls it, its
figure is late by as much whatever the server did), ``run_wall_s`` (the sessions' whole run, preparation included),
``server_cpu_s`` (CPU seconds the server and its evaluation workers
used during the run), ``browser_cpu_s`` (the same for Chromium and Playwright, which share the machine
with the server here but run on the users' machines in real use), ``browser_cpu_results_s`` and
``server_cpu_results_s`` (the same for the timed part alone, from the common click to the last result),
``browser_nice`` and ``browser_nice_groups`` (scheduling groups lowered; 0 on a kernel without autogroup,
where the priority is inherited), and the machine's state: ``cores``,
``load_avg_1m_before`` and ``load_avg_1m_after`` (other work on the machine slows every figure) and
``evaluation_workers``.

``--error-shots DIR`` saves a screenshot and the text of each failed session's page there.
``--servers N`` starts N app servers instead of one (README "Several app servers": servers behind a proxy
with sticky sessions). Session i uses server i mod N for its whole journey, as such a proxy would send it; each
server has its own SQLite file (the sessions save nothing) and cores/N evaluation workers.

Run from the repository root: ``python bench/bench_load.py [--sessions 20] [--servers 1] [--browser-nice 19]
[--option runner.postScriptGC=false] [--root PATH]`` (``--root``: another checkout of the app to
serve, to compare before and after a change).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
SESSIONS = 20  # concurrent browser sessions by default
# The load generator's CPU priority by default: the lowest. In real use the 20 browsers run on their users' machines;
# here their tabs would take most of the 2 cores from the server they measure (--browser-nice 0 shows that).
BROWSER_NICE = 19
AUTOGROUP_WAIT_S, AUTOGROUP_TRIES = 0.11, 5  # Linux allows one autogroup change per 100 ms without CAP_SYS_ADMIN
MAX_SERVERS = 8  # the most app servers this script will start
WORKERS_ENV = "PLANNER_EVALUATION_WORKERS"  # the app's evaluation processes per server
MAX_SESSIONS = 40  # the most this script will start
SESSION_TIMEOUT_S = 180.0  # one session's whole journey; past it the session is an error
RUN_TIMEOUT_S = 480.0  # the whole run, server start excluded
SERVER_START_TIMEOUT_S = 60.0
HEALTH_INTERVAL_S = 0.5
HEALTH_TARGET_S = 1.0  # the target for every answer
HEALTH_TIMEOUT_S = 10.0  # a health answer slower than this counts as this long
VIEWPORT = {"width": 1280, "height": 1600}
PRESET = "Blank start"  # the default preset
P50, P95 = 0.50, 0.95
MS_PER_S = 1000.0
POLL_MS = 100  # how often a session looks for its numbers while it waits
# The recommendation's metrics and the estimates' heading, both rendered and visible. A plain DOM query on purpose:
# Playwright's expect(...).to_be_visible() builds an aria snapshot of the whole page on every poll that finds
# nothing (for its error message), which cost each waiting browser tab more CPU than drawing the results did.
NUMBERS_ON_SCREEN_JS = """() => {
  const metric = document.querySelector('[data-testid="stMetricValue"]');
  const heading = [...document.querySelectorAll('h3')]
    .find(h => h.textContent.includes('Estimates at peak and per month'));
  return Boolean(metric && heading && metric.checkVisibility() && heading.checkVisibility());
}"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def health_seconds(url: str) -> float:
    """Seconds ``/_stcore/health`` takes to answer 200 (``HEALTH_TIMEOUT_S`` when it does not)."""
    started = time.monotonic()
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=HEALTH_TIMEOUT_S) as response:
            if response.status != 200:
                return HEALTH_TIMEOUT_S
    except OSError:
        return HEALTH_TIMEOUT_S
    return time.monotonic() - started


def start_server(root: Path, database: Path, options: list[str],
                 env_extra: dict[str, str] | None = None) -> tuple[subprocess.Popen[bytes], str]:
    """``streamlit run app.py`` on a free port with its own database, once it answers its health check.

    ``options`` are extra Streamlit settings as ``section.name=value`` (e.g. ``runner.postScriptGC=false``);
    ``env_extra`` extra environment variables of the server.
    """
    port = free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database.as_posix()}", **(env_extra or {})}
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
               "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
               "--server.fileWatcherType", "none"]
    for option in options:
        name, _, value = option.partition("=")
        command += [f"--{name}", value]
    server = subprocess.Popen(command, cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)  # a session of its own, as a service runs (_own_session)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"streamlit exited with code {server.returncode} before serving {url}")
        if health_seconds(url) < HEALTH_TIMEOUT_S:
            return server, url
        time.sleep(0.3)
    server.kill()
    raise RuntimeError(f"streamlit did not answer at {url} within {SERVER_START_TIMEOUT_S:g} s")


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        tree.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    return tree


def _tree(*root_pids: int, skip: Collection[int] = ()) -> Iterator[int]:
    """The processes and their living descendants, without the subtrees of ``skip`` (Linux /proc)."""
    tree, todo = _children(), list(root_pids)
    while todo:
        pid = todo.pop()
        if pid not in skip:
            yield pid
            todo += tree.get(pid, [])


def tree_cpu_s(*root_pids: int, skip: Collection[int] = ()) -> float:
    """CPU seconds (user + system) used so far by processes and their living descendants, without the
    subtrees of ``skip`` (Linux /proc)."""
    total, tick = 0.0, os.sysconf("SC_CLK_TCK")
    for pid in _tree(*root_pids, skip=skip):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return total


def _probe(urls: list[str], stop: Any, answers: Any) -> None:
    """The health prober's loop (its own process, in a session of its own): ask each server in turn every
    ``HEALTH_INTERVAL_S`` until ``stop`` is set, and send each (when asked, seconds to answer, how late the prober
    itself woke for this round) through ``answers``."""
    _own_session()
    late = 0.0
    while not stop.is_set():
        for url in urls:
            asked = time.monotonic()
            answers.send((asked, health_seconds(url), late))
        woke = time.monotonic() + HEALTH_INTERVAL_S
        stop.wait(HEALTH_INTERVAL_S)
        late = max(0.0, time.monotonic() - woke)
    answers.close()


def _own_session() -> None:
    """Start a session of its own, as a service runs. On Linux with autogroup scheduling (the default of most
    distributions) each session is one scheduling group sharing the CPU fairly with the others; in the bench's
    session, the server and the prober would share one group's share with Playwright's busy driver (measured: an
    idle process in that group woke 1.9 s late while the 20 sessions loaded, and the server's health answers
    were late by as much)."""
    with contextlib.suppress(OSError):  # already a session leader
        os.setsid()


class HealthWatch:
    """A process asking each server's health endpoint every ``HEALTH_INTERVAL_S``; keeps every answer.

    A process of its own, not a thread of this one: here Playwright's event loop drives every session, and a
    prober sharing its GIL would count this script's own waits as the server's. (CLOCK_MONOTONIC is the
    machine's, so its times compare with this process's.)
    """

    def __init__(self, urls: list[str]) -> None:
        context = multiprocessing.get_context("spawn")
        self.stop = context.Event()
        self.receiver, sender = context.Pipe(duplex=False)
        self.process = context.Process(target=_probe, args=(urls, self.stop, sender), daemon=True)
        self.sender = sender
        # (when asked, seconds to answer, how late the prober woke for that round), monotonic clock
        self.answers: list[tuple[float, float, float]] = []

    def _collect(self) -> None:
        while self.receiver.poll():
            try:
                self.answers.append(self.receiver.recv())
            except EOFError:
                return

    @property
    def slowest_s(self) -> float:
        """The slowest answer so far, 0 for none."""
        self._collect()
        return max((seconds for _, seconds, _ in self.answers), default=0.0)

    def slowest_from(self, start: float) -> float:
        """The slowest answer to a question asked at or after ``start`` (monotonic), 0 for none."""
        self._collect()
        return max((seconds for asked, seconds, _ in self.answers if asked >= start), default=0.0)

    def count_over(self, seconds: float) -> int:
        """How many answers took ``seconds`` or longer."""
        self._collect()
        return sum(1 for _, took, _ in self.answers if took >= seconds)

    @property
    def latest_wake_s(self) -> float:
        """How late, at worst, the prober itself woke to ask (0 for never late): the machine's own stall, which
        would delay the prober's question, and so its figure, whatever the server did."""
        self._collect()
        return max((late for _, _, late in self.answers), default=0.0)

    @property
    def pid(self) -> int:
        """The prober's process id (0 before it starts)."""
        return self.process.pid or 0

    def __enter__(self) -> HealthWatch:
        self.process.start()
        self.sender.close()  # the child holds its own end; this one would keep recv() from ever seeing EOF
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop.set()
        self.process.join(timeout=HEALTH_TIMEOUT_S + 1)
        if self.process.is_alive():
            self.process.kill()
        self._collect()


async def settle(page: object) -> None:
    """Wait until the current script run has ended."""
    from playwright.async_api import Page, expect

    assert isinstance(page, Page)
    await page.wait_for_timeout(300)
    await expect(page.locator('[data-testid="stApp"]')).to_have_attribute("data-test-script-state", "notRunning")


async def prepare(page: object, url: str, label: str) -> None:
    """Open the app, go to Assess, load the default preset and give it this label."""
    from playwright.async_api import Page

    assert isinstance(page, Page)
    await page.goto(url)
    await settle(page)
    await page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name="Assess", exact=True).click()
    await settle(page)
    await page.get_by_role("combobox", name="Preset").click()
    await page.get_by_role("option", name=PRESET).click()
    await settle(page)
    await page.get_by_role("button", name="Load preset").click()
    await settle(page)
    field = page.get_by_label("Label", exact=True)
    await field.fill(label)
    await field.press("Enter")
    await settle(page)


async def recommend(page: object) -> float:
    """Click "Get recommendation"; seconds until the recommendation and the estimates are on screen."""
    from playwright.async_api import Page, expect

    assert isinstance(page, Page)
    started = time.monotonic()
    await page.get_by_role("button", name="Get recommendation").click()
    await page.wait_for_function(NUMBERS_ON_SCREEN_JS, polling=POLL_MS, timeout=SESSION_TIMEOUT_S * MS_PER_S)
    elapsed = time.monotonic() - started
    await expect(page.locator('[data-testid="stException"]')).to_have_count(0)
    return elapsed


async def session(browser: object, url: str, index: int, ready: list[int], go: asyncio.Event,
                  total: int, shots: Path | None = None) -> float | None:
    """One session's journey; its time to results, or None (an error, printed to stderr; with ``shots``, a
    screenshot of the page as it was and its text are saved there as session-N.png and session-N.txt)."""
    from playwright.async_api import Browser, expect

    assert isinstance(browser, Browser)
    expect.set_options(timeout=SESSION_TIMEOUT_S * MS_PER_S)
    context = await browser.new_context(viewport=VIEWPORT)
    page = None
    try:
        page = await context.new_page()
        page.set_default_timeout(SESSION_TIMEOUT_S * MS_PER_S)
        try:
            await prepare(page, url, f"Load session {index + 1}")
        finally:
            ready[0] += 1
            if ready[0] == total:
                go.set()
        await go.wait()
        return await asyncio.wait_for(recommend(page), SESSION_TIMEOUT_S)
    except Exception as exc:  # every failure of a session is counted, not raised
        print(f"session {index + 1}: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}",
              file=sys.stderr)
        if shots is not None and page is not None:
            await save_page(page, shots / f"session-{index + 1}")
        return None


async def save_page(page: object, stem: Path) -> None:
    """A screenshot of the whole page (``stem``.png) and its URL, script state and text (``stem``.txt)."""
    from playwright.async_api import Page

    assert isinstance(page, Page)
    try:
        await page.screenshot(path=stem.with_suffix(".png"), full_page=True, timeout=30 * MS_PER_S)
        state = await page.locator('[data-testid="stApp"]').get_attribute("data-test-script-state", timeout=5000)
        text = await page.locator("body").inner_text(timeout=30 * MS_PER_S)
        stem.with_suffix(".txt").write_text(f"url: {page.url}\nscript state: {state}\n\n{text}", encoding="utf-8")
    except Exception as exc:  # the page may be gone; the error line above still counts the session
        print(f"{stem.name}: not saved: {type(exc).__name__}", file=sys.stderr)


async def cpu_at_go(go: asyncio.Event, server_pids: list[int]) -> tuple[float, float, float]:
    """The browser's and the servers' CPU seconds so far, read when every session is ready to click, and when
    (monotonic)."""
    await go.wait()
    return tree_cpu_s(os.getpid(), skip=server_pids), tree_cpu_s(*server_pids), time.monotonic()


def lower_load_groups(nice: int, skip: Collection[int], root: int | None = None) -> int:
    """Set ``nice`` on the scheduling group (Linux autogroup) of this process (or ``root``) and of each process it
    started, but those in ``skip`` (the servers and the prober, which run in sessions of their own) and theirs; the
    number of groups set.

    Playwright starts Chromium in a session of its own, so with autogroup scheduling ``os.nice`` in this process
    reaches only this group: the browsers' group kept an equal share of the CPU with the server's whatever
    ``--browser-nice`` said. A group's nice covers the renderers Chromium starts later too. 0 where the kernel
    has no autogroup (``os.nice`` before the launch covers that case)."""
    done: set[str] = set()
    for pid in _tree(os.getpid() if root is None else root, skip=skip):
        path = Path(f"/proc/{pid}/autogroup")
        try:
            group = path.read_text().split()[0]
            if group not in done:
                _write_autogroup_nice(path, nice)
                done.add(group)
        except (OSError, IndexError):  # gone, no autogroup, or not ours to lower
            continue
    return len(done)


def _write_autogroup_nice(path: Path, nice: int) -> None:
    """Write a group's nice; Linux lets a process without CAP_SYS_ADMIN change one only every 100 ms (EAGAIN)."""
    for _ in range(AUTOGROUP_TRIES - 1):
        try:
            path.write_text(str(nice))
            return
        except BlockingIOError:
            time.sleep(AUTOGROUP_WAIT_S)
    path.write_text(str(nice))


async def run_sessions(urls: list[str], sessions: int, server_pids: list[int], health: HealthWatch,
                       shots: Path | None = None, browser_nice: int = 0) -> tuple[list[float | None], float]:
    """Every session at once in one Chromium, session i on server i mod len(urls) (as a proxy with sticky
    sessions would spread them); their times to results (None for an error), and the CPU seconds the browser
    used (measured before it closes, while its page processes still exist).

    Also prints the CPU seconds of the timed part alone (from the common click until the last session
    is done): ``browser_cpu_results_s`` and ``server_cpu_results_s``, and the slowest health answer in it,
    ``health_max_results_s``."""
    from playwright.async_api import async_playwright

    cpu_before = tree_cpu_s(os.getpid(), skip=server_pids)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        groups = lower_load_groups(browser_nice, skip=[*server_pids, health.pid]) if browser_nice else 0
        print(f"browser_nice_groups={groups}")
        try:
            ready, go = [0], asyncio.Event()
            started = time.monotonic()
            at_go = asyncio.ensure_future(cpu_at_go(go, server_pids))
            jobs = [session(browser, urls[i % len(urls)], i, ready, go, sessions, shots) for i in range(sessions)]
            times = await asyncio.wait_for(asyncio.gather(*jobs), RUN_TIMEOUT_S)
            browser_cpu_s = tree_cpu_s(os.getpid(), skip=server_pids)
            print(f"run_wall_s={time.monotonic() - started:.1f}")
            if at_go.done():
                browser_at_go, server_at_go, go_at = at_go.result()
                print(f"browser_cpu_results_s={browser_cpu_s - browser_at_go:.1f}")
                print(f"server_cpu_results_s={tree_cpu_s(*server_pids) - server_at_go:.1f}")
                print(f"health_max_results_s={health.slowest_from(go_at):.2f}")
            at_go.cancel()
            return times, browser_cpu_s - cpu_before
        finally:
            await browser.close()


def quantile(values: list[float], q: float) -> float:
    """The q-quantile (linear interpolation), NaN for no values."""
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(q * 100) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=SESSIONS, help=f"concurrent sessions (1-{MAX_SESSIONS})")
    parser.add_argument("--browser-nice", type=int, default=BROWSER_NICE, choices=range(0, 20), metavar="0-19",
                        help="run the browsers and their driver at this lower CPU priority, as if they ran on the "
                             f"users' machines (default {BROWSER_NICE}; 0: an equal share with the server)")
    parser.add_argument("--option", action="append", default=[], metavar="SECTION.NAME=VALUE",
                        help="an extra Streamlit setting for the server (repeatable)")
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout of the app to serve")
    parser.add_argument("--servers", type=int, default=1, choices=range(1, MAX_SERVERS + 1),
                        metavar=f"1-{MAX_SERVERS}",
                        help="app servers on this machine, each with its own SQLite file and an equal share of the "
                             "cores for its evaluation workers; sessions spread over them as a sticky proxy would")
    parser.add_argument("--error-shots", type=Path, metavar="DIR",
                        help="save a screenshot and the text of each session that fails, in this folder")
    args = parser.parse_args()
    if not 1 <= args.sessions <= MAX_SESSIONS:
        parser.error(f"--sessions must be between 1 and {MAX_SESSIONS}")
    if args.error_shots is not None:
        args.error_shots.mkdir(parents=True, exist_ok=True)
    if not CHROMIUM.exists():
        sys.exit(f"This benchmark needs Chromium at {CHROMIUM}.")
    load_before = os.getloadavg()[0]
    workers = os.environ.get(WORKERS_ENV) or str(max(1, (os.cpu_count() or 1) // args.servers))
    servers: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory(prefix="bench-load-") as folder:
        try:
            urls = []
            for index in range(args.servers):
                server, url = start_server(args.root.resolve(), Path(folder) / f"planner-{index}.db", args.option,
                                           {WORKERS_ENV: workers} if args.servers > 1 else None)
                servers.append(server)
                urls.append(url)
            pids = [server.pid for server in servers]
            server_cpu_before = tree_cpu_s(*pids)
            with HealthWatch(urls) as health:
                if args.browser_nice:  # from here on this thread and what it starts (Playwright, Chromium)
                    os.nice(args.browser_nice)
                try:
                    times, browser_cpu_s = asyncio.run(run_sessions(urls, args.sessions, pids, health,
                                                                        args.error_shots, args.browser_nice))
                except TimeoutError:
                    times, browser_cpu_s = [None] * args.sessions, float("nan")
            server_cpu_s = tree_cpu_s(*pids) - server_cpu_before
        finally:
            for server in servers:
                server.terminate()
            for server in servers:
                try:
                    server.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    server.kill()
                    server.wait(timeout=10)
    done = sorted(t for t in times if t is not None)
    print(f"load_sessions={args.sessions}")
    print(f"load_errors={len(times) - len(done)}")
    print(f"load_p50_s={quantile(done, P50):.2f}")
    print(f"load_p95_s={quantile(done, P95):.2f}")
    print(f"health_max_s={health.slowest_s:.2f}")
    print(f"health_answers={len(health.answers)}")
    print(f"health_over_1s={health.count_over(HEALTH_TARGET_S)}")
    print(f"prober_late_max_s={health.latest_wake_s:.2f}")
    print(f"server_cpu_s={server_cpu_s:.1f}")
    print(f"browser_cpu_s={browser_cpu_s:.1f}")
    print(f"browser_nice={args.browser_nice}")
    print(f"server_options={','.join(args.option) or 'none'}")
    print(f"cores={os.cpu_count()}")
    print(f"servers={args.servers}")
    print(f"evaluation_workers={workers if args.servers > 1 else os.environ.get(WORKERS_ENV, 'cores')}")
    print(f"load_avg_1m_before={load_before:.2f}")
    print(f"load_avg_1m_after={os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
