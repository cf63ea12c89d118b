"""An answer widget's default: the value it shows, so that a browser that missed a run draws the answer.

The Assess page's widgets are seeded through their keys (``ui.state``), which needs no default. But under
load a click can interrupt a run before its widgets reach the browser: Streamlit drops the queued elements when
the next run starts. The next run sends those widgets without a value, as the server believes the browser has
it, and the browser draws each at its own default: a number at its minimum, a choice at its first option, an
empty name, which its next message sends back as the user's answers (``bench/bench_load.py`` saw about 1 session
in 20 get Results for a peak of 0.001 requests/s and a team of 1). Given the widget's value as its default too,
the browser draws the answer (``tests/test_app_lost_run.py``).
"""

from __future__ import annotations

import copy
from typing import Any

import streamlit as st


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
