"""A wall-clock deadline for the simulations run inside a block: ``with time_limit(60): ...``.

A run checks it every ``CHECK_EVERY_ARRIVALS`` simulated arrivals (a few milliseconds of work) and
raises ``DeadlineExceeded`` once it has passed, so a caller can end work that would run on. The deadline
lives in a context variable: each thread (and each process of a pool) has its own, and nested blocks
keep the earlier deadline.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

CHECK_EVERY_ARRIVALS = 256  # arrivals between two looks at the clock

_DEADLINE: ContextVar[float | None] = ContextVar("simulation_deadline", default=None)


class DeadlineExceeded(TimeoutError):
    """The deadline of the enclosing ``time_limit`` block passed while simulating."""


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Simulations inside the block raise ``DeadlineExceeded`` once ``seconds`` of wall-clock time have passed."""
    if not seconds > 0:
        raise ValueError('"seconds" must be > 0.')
    current = _DEADLINE.get()
    deadline = time.monotonic() + seconds
    token = _DEADLINE.set(deadline if current is None else min(current, deadline))
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def check_deadline() -> None:
    """Raise ``DeadlineExceeded`` if the enclosing ``time_limit`` block's deadline has passed."""
    deadline = _DEADLINE.get()
    if deadline is not None and time.monotonic() > deadline:
        raise DeadlineExceeded("the time limit passed while simulating")


def remaining_s() -> float | None:
    """Seconds left before the enclosing ``time_limit`` block's deadline (None outside one), to hand to a worker."""
    deadline = _DEADLINE.get()
    return None if deadline is None else deadline - time.monotonic()
