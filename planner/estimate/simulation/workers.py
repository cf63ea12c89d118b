"""``WorkerPool``: ``servers`` identical workers behind one FIFO queue, a lean ``simpy.Resource``."""

from __future__ import annotations

from collections import deque

import simpy
from simpy.events import PENDING


class _Grant(simpy.Event):
    """A request for a worker of a ``WorkerPool``; use as ``with pool.request() as req: yield req``."""

    def __init__(self, pool: WorkerPool) -> None:
        self.env = pool.env
        self.pool = pool
        if pool.free > 0:
            # Granted on the spot: born processed, so the yielding process goes on without a round
            # trip through the event queue (simpy resumes at once on an already processed event).
            pool.free -= 1
            self._ok = True
            self._value = None
            self.callbacks = None  # type: ignore[assignment]
        else:
            self.callbacks = []
            self._value = PENDING
            pool.queue.append(self)

    def __enter__(self) -> _Grant:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._value is PENDING:  # left before being served (its process was interrupted)
            self.pool.queue.remove(self)
        else:
            self.pool.release()


class WorkerPool:
    """``servers`` identical workers behind one FIFO queue: ``simpy.Resource`` without its overhead.

    It serves requests in the same order at the same times as ``simpy.Resource`` (a test compares the
    two request by request), but a request that finds a free worker is granted without an event, and
    a release hands the worker straight to the next in line instead of scheduling a release event.
    That is three events per visit down to one, and ~45 % off a realistic pipeline run.
    """

    __slots__ = ("env", "free", "queue")

    def __init__(self, env: simpy.Environment, capacity: int) -> None:
        self.env = env
        self.free = capacity
        self.queue: deque[_Grant] = deque()

    def request(self) -> _Grant:
        return _Grant(self)

    def release(self) -> None:
        if self.free < 0:  # workers are being taken out of service: this one leaves
            self.free += 1
        elif self.queue:
            self.queue.popleft().succeed()
        else:
            self.free += 1

    def take(self, workers: int) -> None:
        """Take workers out of service: idle ones at once, busy ones when they finish their request."""
        self.free -= workers

    def give(self, workers: int) -> None:
        """Return workers to service; each serves the next waiting request at once."""
        self.free += workers
        while self.free > 0 and self.queue:
            self.free -= 1
            self.queue.popleft().succeed()
