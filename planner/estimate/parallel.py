"""Independent parts of one evaluation spread over the machine's cores: a small process pool, made once.

After the inference replicas are confirmed, each architecture's sizing run, resilience runs and costs depend on
nothing another architecture computes (planner.estimate.engine). ``run_all`` hands such jobs to worker
processes, one per core up to ``MAX_WORKERS`` (one per architecture), and returns their results in the order
given. Every job is a pure function of its arguments (a seeded simulation), so the answer is the same, bit for
bit, whatever the number of workers; only the wall-clock time changes.

``PLANNER_SIMULATION_WORKERS`` sets the number of worker processes (1: everything in this process, as before).
The pool forks this process when it runs no other thread (the command line, a benchmark, an evaluation worker of
the app: the catalogs it has loaded come along for free), and otherwise starts its workers from a clean server
process (``forkserver``), as forking a threaded process is unsafe. When no pool can be made, or its workers died,
the jobs run here.

The deadline of the enclosing ``time_limit`` block (planner.estimate.simulation.deadline) goes with each job:
a worker stops its simulations when it passes, as this process would.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from planner.estimate.simulation.deadline import remaining_s, time_limit

WORKERS_ENV = "PLANNER_SIMULATION_WORKERS"
MAX_WORKERS = 3  # one per architecture: an evaluation never has more independent jobs at once
PRELOAD = ["planner.estimate.engine"]  # what forkserver workers import before their first job

T = TypeVar("T")

_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None
_pool_size = 0


def worker_count() -> int:
    """Worker processes an evaluation may use: ``PLANNER_SIMULATION_WORKERS``, or the cores this process may run
    on, at most ``MAX_WORKERS``; a value that is not a whole number counts as unset."""
    raw = os.environ.get(WORKERS_ENV, "").strip()
    if raw:
        try:
            return min(MAX_WORKERS, max(1, int(raw)))
        except ValueError:
            pass
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return min(MAX_WORKERS, cores)


def _get_pool(workers: int) -> ProcessPoolExecutor | None:
    global _pool, _pool_size
    with _lock:
        if _pool is not None and _pool_size == workers:
            return _pool
        if _pool is not None:
            _pool.shutdown(wait=False, cancel_futures=True)
            _pool = None
        try:
            method = "fork" if threading.active_count() == 1 else "forkserver"
            context = multiprocessing.get_context(method)
            if method == "forkserver":
                context.set_forkserver_preload(PRELOAD)
            _pool, _pool_size = ProcessPoolExecutor(max_workers=workers, mp_context=context), workers
        except (OSError, ValueError, NotImplementedError):
            return None
        return _pool


def _forget_pool(pool: ProcessPoolExecutor) -> None:
    global _pool
    with _lock:
        if _pool is pool:
            _pool = None
    pool.shutdown(wait=False, cancel_futures=True)


def start() -> None:
    """Start the worker processes now (while this process runs no other thread, so they are forked from it): an
    evaluation worker of the app calls it when it starts, before its progress queue starts a thread."""
    workers = worker_count()
    pool = _get_pool(workers) if workers > 1 else None
    if pool is not None:
        pool.submit(int).result()  # the first job launches every worker


def shutdown() -> None:
    """Stop the worker processes (a benchmark reads their peak memory after this; the next job starts new ones)."""
    global _pool
    with _lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown(wait=True)


def _run_job(fn: Callable[..., T], args: tuple[Any, ...], seconds_left: float | None) -> T:
    """A job in a worker, under the caller's deadline."""
    if seconds_left is None:
        return fn(*args)
    with time_limit(max(seconds_left, 1e-9)):
        return fn(*args)


def run_all(fn: Callable[..., T], jobs: Sequence[tuple[Any, ...]],
            on_done: Callable[[int], None] | None = None) -> list[T]:
    """``[fn(*args) for args in jobs]``, the jobs spread over worker processes; ``on_done(i)`` hears each job as it
    finishes (in this process). An exception of a job (the deadline passing, an infeasible fleet) is raised here
    once every job has ended or been cancelled."""
    notify = on_done or (lambda i: None)
    workers = min(worker_count(), len(jobs))
    pool = _get_pool(workers) if workers > 1 else None
    if pool is None:
        return [_serial(fn, args, i, notify) for i, args in enumerate(jobs)]
    try:
        futures = [pool.submit(_run_job, fn, args, remaining_s()) for args in jobs]
    except (BrokenProcessPool, RuntimeError):
        _forget_pool(pool)
        return [_serial(fn, args, i, notify) for i, args in enumerate(jobs)]
    return _collect(futures, notify, pool, fn, jobs)


def _serial(fn: Callable[..., T], args: tuple[Any, ...], i: int, notify: Callable[[int], None]) -> T:
    result = fn(*args)
    notify(i)
    return result


def _collect(futures: list[Future[T]], notify: Callable[[int], None], pool: ProcessPoolExecutor,
             fn: Callable[..., T], jobs: Sequence[tuple[Any, ...]]) -> list[T]:
    """The jobs' results in order; on a job's failure the others are cancelled and its exception raised."""
    index = {future: i for i, future in enumerate(futures)}
    pending = set(futures)
    try:
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                future.result()  # raises the job's exception
                notify(index[future])
    except BrokenProcessPool:  # a worker died (killed, out of memory): do the work here
        _forget_pool(pool)
        return [_serial(fn, args, i, notify) for i, args in enumerate(jobs)]
    except BaseException:
        for future in futures:
            future.cancel()
        raise
    return [future.result() for future in futures]
