"""Sections built only while open: an expander whose contents the server sends only when the user opens it.

A plain ``st.expander`` sends its contents on every run, open or not, and the browser lays them out (tables,
editors) even while they are hidden. The Results page has fifteen such sections; building them only when open
halves the page the browser lays out (3,203 DOM elements to 1,883, about 2.3 to 1.3-1.7 CPU-seconds of Chromium
per recommendation, measured in one process on an idle machine), which matters when many sessions render at
once (bench/bench_load.py).

The section remembers whether it is open in the session (key ``open.<name>``), so it stays open across reruns
and pages; opening it reruns the script, which then builds the contents.
"""

from __future__ import annotations

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

KEY_PREFIX = "open."  # session keys of the sections' open state (tests open them through these)


def expander(label: str, name: str, *, expanded: bool = False, icon: str | None = None) -> DeltaGenerator | None:
    """An expander named ``name`` (unique on the page); the container to fill while it is open, else None."""
    box = st.expander(label, expanded=expanded, icon=icon, key=KEY_PREFIX + name, on_change="rerun")
    return box if box.open else None
