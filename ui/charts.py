"""Charts on the pages, each turned into its Vega-Lite spec once per content and kept for every session.

Building an Altair chart and converting it (Altair validates the whole spec against its JSON schema) was most of
the server's work on a Results run: about 0.18 CPU-s of the default preset's charts on every run of every session,
while twenty sessions looking at the same evaluation asked for the same five specs. ``show`` keys a spec by the
chart's builder and its inputs' JSON (pydantic writes an evaluation's in well under a millisecond), makes it on
the first request with Streamlit's own conversion (the one ``st.altair_chart`` uses, so the page receives the same
spec and data), and hands every later request a copy from ``st.cache_data``.

The builders stay in ``planner.present.charts`` (the PDF report draws the same charts); their inputs are the
pydantic records they read, rebuilt from the JSON on a miss.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import altair as alt
import streamlit as st
from pydantic import BaseModel
from streamlit.elements.vega_charts import _convert_altair_to_vega_lite_spec

CACHED_SPECS = 256  # specs kept per server process (a Results page holds five)
Builder = Callable[..., alt.TopLevelMixin]
# Every builder shown so far, by its name: the cached function is keyed by names and JSON, not by objects.
_BUILDERS: dict[str, tuple[Builder, tuple[type[BaseModel], ...]]] = {}


def show(builder: Builder, *inputs: BaseModel, width: str = "stretch") -> None:
    """Draw ``builder(*inputs)`` on the page from its cached spec."""
    name = f"{builder.__module__}.{builder.__qualname__}"
    _BUILDERS[name] = (builder, tuple(type(i) for i in inputs))
    spec = _spec(name, *(i.model_dump_json() for i in inputs))
    st.vega_lite_chart(spec, width=width)  # type: ignore[arg-type]


@st.cache_data(show_spinner=False, max_entries=CACHED_SPECS)
def _spec(name: str, *inputs_json: str) -> dict[str, Any]:
    builder, types = _BUILDERS[name]
    chart = builder(*(kind.model_validate_json(text) for kind, text in zip(types, inputs_json, strict=True)))
    spec: dict[str, Any] = _convert_altair_to_vega_lite_spec(chart)
    return spec
