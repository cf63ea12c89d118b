"""A seeded widget's default: the value it shows, so that a browser that missed a run draws that value.

Widgets seeded through their keys (the Assess page's answers from ``ui.state``, the serving calculator's inputs,
a workshop's saved answers, the pickers) need no default as far as the server is concerned. But under
load a click can interrupt a run before its widgets reach the browser: Streamlit drops the queued elements when
the next run starts. The next run sends those widgets without a value, as the server believes the browser has
it, and the browser draws each at its own default: a number at its minimum, a choice at its first option, an
empty name, which its next message sends back as the user's answers (``bench/bench_load.py`` saw 6 sessions in
380 get Results for a peak of 0.001 requests/s and a team of 1). Given the widget's value as its default too,
the browser draws the answer (``tests/test_app_lost_run.py``). For the same reason a picker's automatic choice is
an option of its own (``AUTO``): Streamlit draws a None value as an empty picker, "Choose an option".
"""

from __future__ import annotations

import copy
from typing import Any

import streamlit as st

AUTO = "auto"  # a picker's automatic choice (the engine or the planner decides), read back as None


def unless_auto(value: Any) -> Any:
    """A picker's value as the planner takes it: None for the automatic choice (``AUTO``)."""
    return None if value == AUTO else value


def shown(key: str) -> Any:
    """A seeded widget's value, for its ``value=`` or ``default=``."""
    return copy.deepcopy(st.session_state[key])


def shown_index(options: list[Any], key: str) -> int | None:
    """The position of a choice widget's value among its options, for its ``index=``: None when nothing is chosen
    (a None value that is not an option), the first option when the key has no value or one no longer offered
    (a deleted project, say: Streamlit then treats the stale value as it always does)."""
    value = st.session_state.get(key)
    if value in options:
        return options.index(value)
    return None if value is None and key in st.session_state else 0
