"""Evaluations off the server's threads: one process pool per server process, identical requests computed once.

Streamlit serves every session from one Python process. An evaluation is seconds of pure Python,
and while a page's thread runs it, the GIL starves the server's event loop and every other session
(the health check answered in tens of seconds under load). So pages hand evaluations to a
``ProcessPoolExecutor`` with one worker per core, made once per server process (``st.cache_resource``),
and wait for the answer without holding the GIL.

Sessions share evaluations: the key is the assessment's JSON with its descriptive text (project,
label, notes: ``evaluate`` never reads them) set to the defaults, with the price rows' JSON (instances, GPU
specs, a saved API price list's rows); a request
for an evaluation already running waits for that one instead of starting a second. The last ``KEPT_RESULTS``
finished results are kept, by the same key, for every session (a copy each), so a page shown again or a what-if
asked before answers at once.

When no pool can be made (a platform without process support, ``PLANNER_EVALUATION_WORKERS=0``) or
its workers died, the evaluation runs in the page's own thread, as before; AppTest works either way.

Progress: a waiting page may pass ``on_progress``; it hears each stage ``evaluate`` reports (serving model,
the architectures' sizing, simulation and resilience, each architecture once estimated), from the worker
through the pool's queue (a thread of this process reads it), or directly when the evaluation runs in the
page's thread. A page joining an evaluation already running hears its latest stage too.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.queues import Queue
from typing import Any, TypeVar

import streamlit as st

from planner.estimate.results import Evaluation
from planner.history.snapshots import Pricing
from planner.inputs.api_catalog import ApiPrice
from planner.inputs.models import Assessment, GpuSpec, InstancePrice
from planner.store import api_price_lists
from ui import db
from ui.evaluation_worker import APIS, evaluate_json, evaluate_many_json, prices_json, warm_up

WORKERS_ENV = "PLANNER_EVALUATION_WORKERS"  # worker processes; 0 evaluates in the page's thread; default: cores
START_METHOD = "forkserver"  # never fork the threaded server itself; workers fork from a clean server process

T = TypeVar("T")
POLL_S = 0.25  # how often a waiting page looks for a new stage
KEPT_RESULTS = 32  # finished evaluations kept per server process
Key = tuple[str, str, str, str]  # assessment JSON, price rows JSON, GPU specs JSON, API rows JSON
OnProgress = Callable[[str, float], None]  # (the stage in words, the share done between 0 and 1)
# Descriptive text of an assessment that evaluate() never reads: one key for evaluations that differ only there.
DESCRIPTIVE_DEFAULTS = {name: Assessment.model_fields[name].default for name in ("project", "label", "notes")}


def _worker_count() -> int:
    raw = os.environ.get(WORKERS_ENV, "").strip()
    if not raw:
        return os.cpu_count() or 1
    try:
        return max(0, int(raw))
    except ValueError:
        return os.cpu_count() or 1


def _new_pool(workers: int, queue: Queue[Any] | None) -> ProcessPoolExecutor | None:
    """A pool of ``workers`` processes that have loaded the planner and report progress on ``queue``, or None if
    none can be made."""
    if workers <= 0:
        return None
    try:
        context = multiprocessing.get_context(START_METHOD)
        context.set_forkserver_preload(["ui.evaluation_worker"])
        return ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=warm_up, initargs=(queue,))
    except (OSError, ValueError, NotImplementedError):
        return None


def _progress_queue(workers: int) -> Queue[Any] | None:
    if workers <= 0:
        return None
    try:
        return multiprocessing.get_context(START_METHOD).Queue()
    except (OSError, ValueError, NotImplementedError):
        return None


class SharedEvaluations:
    """The pool and the evaluations in flight, shared by every session of this server process."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.queue = _progress_queue(workers)
        self.pool = _new_pool(workers, self.queue)
        self.lock = threading.Lock()
        self.in_flight: dict[Key, Future[Evaluation]] = {}
        self.results: OrderedDict[Key, Evaluation] = OrderedDict()  # the last KEPT_RESULTS finished, oldest first
        self.progress_ids: dict[Key, str] = {}
        self.stages: dict[str, tuple[str, float]] = {}  # the latest stage of each evaluation in flight, by its id
        if self.queue is not None:
            threading.Thread(target=self._read_progress, name="evaluation-progress", daemon=True).start()

    def evaluate(self, key: Key, on_progress: OnProgress | None = None) -> Evaluation:
        """The evaluation of ``key``: one kept, or joins one already running, or starts it; ``on_progress`` hears
        its stages. Each caller gets its own copy."""
        with self.lock:
            kept = self.results.get(key)
            if kept is not None:
                self.results.move_to_end(key)
                return kept.model_copy(deep=True)
            future = self.in_flight.get(key)
            here = False
            if future is None:
                progress_id = uuid.uuid4().hex
                future, here = self._submit(key, progress_id)
                self.in_flight[key] = future
                self.progress_ids[key] = progress_id
            progress_id = self.progress_ids[key]
        try:
            if here:
                self._run_here(key, future, on_progress)
            elif on_progress is not None:
                self._follow(future, progress_id, on_progress)
            evaluation = self._result(key, future)
            self._keep([(key, evaluation)])
            return evaluation.model_copy(deep=True)
        finally:
            with self.lock:
                if self.in_flight.get(key) is future:
                    del self.in_flight[key]
                    self.stages.pop(self.progress_ids.pop(key, ""), None)

    def evaluate_many(self, keys: list[Key], on_done: Callable[[int], None]) -> list[Evaluation]:
        """The evaluations of ``keys``, made in turn by one worker (``evaluate_many_json``: the fleets it simulates
        serve the keys that differ only in prices or team); ``on_done`` hears each count done, 1 to the last, in
        order. Each is kept as ``evaluate`` keeps it."""
        progress_id = uuid.uuid4().hex
        heard = 0

        def reached(done: int) -> None:  # every count in order, also those a worker reported while none looked
            nonlocal heard
            while heard < done:
                heard += 1
                on_done(heard)

        future, here = self._submit_job(evaluate_many_json, keys, progress_id=progress_id)
        try:
            if here:
                evaluations = evaluate_many_json(keys, on_done=reached)
            else:
                self._follow(future, progress_id, lambda stage, share: reached(int(stage)))
                try:
                    evaluations = future.result()
                except BrokenProcessPool:
                    with self.lock:
                        self.pool = _new_pool(self.workers, self.queue)
                    evaluations = evaluate_many_json(keys, on_done=reached)
            reached(len(keys))
        finally:
            self.stages.pop(progress_id, None)
        self._keep(list(zip(keys, evaluations, strict=True)))
        return [e.model_copy(deep=True) for e in evaluations]

    def _keep(self, finished: list[tuple[Key, Evaluation]]) -> None:
        """Keep finished evaluations for every session, the last ``KEPT_RESULTS`` of them."""
        with self.lock:
            for key, evaluation in finished:
                self.results[key] = evaluation
                self.results.move_to_end(key)
            while len(self.results) > KEPT_RESULTS:
                self.results.popitem(last=False)

    def close(self) -> None:
        """Stop the workers; evaluations not started yet are cancelled, running ones end with their process."""
        with self.lock:
            pool, self.pool = self.pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        if self.queue is not None:
            self.queue.put(None)  # ends the thread that reads progress

    def _submit(self, key: Key, progress_id: str = "") -> tuple[Future[Evaluation], bool]:
        """The future of a new evaluation, and whether the caller must run it in its own thread."""
        return self._submit_job(evaluate_json, *key, progress_id=progress_id)

    def _submit_job(self, fn: Callable[..., T], *args: Any, progress_id: str) -> tuple[Future[T], bool]:
        """The future of ``fn(*args)`` in the pool, and whether the caller must run it itself (no pool)."""
        for _ in range(2):  # a broken pool is replaced once
            if self.pool is None:
                break
            try:
                return self.pool.submit(fn, *args, progress_id=progress_id), False
            except (BrokenProcessPool, RuntimeError):
                self.pool = _new_pool(self.workers, self.queue)
        return Future(), True

    def _run_here(self, key: Key, future: Future[Evaluation], on_progress: OnProgress | None = None) -> None:
        if not future.set_running_or_notify_cancel():
            return
        try:
            future.set_result(evaluate_json(*key, progress=on_progress))
        except BaseException as exc:  # handed to every waiter, re-raised by future.result()
            future.set_exception(exc)

    def _read_progress(self) -> None:
        """Keep the latest stage of each evaluation the workers report (a daemon thread, for the pool's life)."""
        queue = self.queue
        assert queue is not None
        while True:
            try:
                item = queue.get()
            except (EOFError, OSError, ValueError):  # the queue was closed
                return
            if item is None:  # close()
                return
            progress_id, stage, share = item
            self.stages[progress_id] = (stage, share)

    def _follow(self, future: Future[Any], progress_id: str, on_progress: OnProgress) -> None:
        """Tell ``on_progress`` each new stage until the evaluation ends."""
        shown = None
        while True:
            latest = self.stages.get(progress_id)
            if latest is not None and latest != shown:
                on_progress(*latest)
                shown = latest
            try:
                future.result(timeout=POLL_S)
                return
            except FutureTimeout:
                continue
            except BaseException:  # its own error: _result raises it
                return

    def _result(self, key: Key, future: Future[Evaluation]) -> Evaluation:
        try:
            return future.result()
        except BrokenProcessPool:
            # A worker died (killed, out of memory): start a new pool for later requests, answer this one here.
            with self.lock:
                self.pool = _new_pool(self.workers, self.queue)
            return evaluate_json(*key)


def _release(shared: SharedEvaluations) -> None:
    """Stop the pool's workers when Streamlit drops the cached object (a cache clear, as tests do)."""
    shared.close()


@st.cache_resource(show_spinner=False, on_release=_release)
def shared_evaluations() -> SharedEvaluations:
    """The pool of this server process (made on first use, kept for the life of the process)."""
    return SharedEvaluations(_worker_count())


def evaluation_key(assessment: Assessment) -> str:
    """The assessment's JSON with the text ``evaluate`` never reads set to the defaults: equal inputs, equal key."""
    return assessment.model_copy(update=DESCRIPTIVE_DEFAULTS).model_dump_json()


def evaluate_shared(assessment: Assessment | str, instances: Sequence[InstancePrice] | None = None,
                    gpus: Mapping[str, GpuSpec] | None = None, apis: Mapping[str, ApiPrice] | str | None = None,
                    on_progress: OnProgress | None = None) -> Evaluation:
    """``evaluate`` in the pool, shared with any identical evaluation running (a str is an ``evaluation_key``).

    ``apis`` are the rows of a saved API price list (``evaluate(api_prices=...)``), or their JSON text
    (``api_list_json``); None or "" for data/api_prices.csv. ``on_progress`` hears the evaluation's stages
    (module docstring).
    """
    key = assessment if isinstance(assessment, str) else evaluation_key(assessment)
    rows, specs, api_rows = prices_json(instances, gpus, None if isinstance(apis, str) else apis)
    return shared_evaluations().evaluate((key, rows, specs, apis if isinstance(apis, str) else api_rows),
                                         on_progress=on_progress)


def evaluate_shared_batch(jobs: list[tuple[Assessment, Pricing]], on_done: Callable[[int], None]) -> list[Evaluation]:
    """Every (assessment, pricing) evaluated by one worker of the pool, in turn (History's attribution:
    ``planner.history.attribute``'s ``batch``)."""
    keys = [(evaluation_key(a), *prices_json(p.instances, p.gpus, p.apis)) for a, p in jobs]
    return shared_evaluations().evaluate_many(keys, on_done)


def api_list_json(assessment: Assessment) -> str:
    """The JSON text of the rows of the assessment's saved API price list, "" when it names none (the shipped
    rows); InputError when the list is not saved. The content, not the name, keys cached evaluations."""
    name = assessment.sourcing.api_price_list
    return "" if name is None else APIS.dump_json(dict(api_price_lists.api_rows_for(db.engine(), name))).decode()
