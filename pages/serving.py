"""Serving calculator: what N GPUs serve of one model, at full load or at a concurrency, and the curve between."""

import streamlit as st

from planner.errors import PlannerError
from ui import router, serving_view

router.enter()  # through app.py's navigation and sign-in, even for a link opened first

st.title("Serving calculator")
serving_view.open_link()
st.caption("Throughput and latency of a number of GPUs serving one model, split into replicas as the planner "
           "splits them. Every figure is modelled (a calibrated step model and its simulation), not measured. "
           "The command line gives the same figures: `planner serving --help`.")
config = serving_view.read_config()
serving_view.render_link(config)
try:
    point = serving_view.compute_point(config)
except PlannerError as exc:
    serving_view.show_errors(exc)
    st.stop()
serving_view.render_point(config, point)
st.subheader("Throughput and time per token against concurrency")
serving_view.render_sweep(config)
serving_view.render_assumptions(config)
