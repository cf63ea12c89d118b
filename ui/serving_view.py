"""The Serving calculator page's sections: the inputs, the figures, the concurrency chart and the assumptions.

Every figure comes from ``planner.estimate.calculator`` and reads as ``planner serving`` prints it
(``planner.present.calculator``); this module reads widgets, caches the runs and renders. Widget keys start
with ``sc.``. Every input is in the page's link (``ui.links``), its query parameter named as the option of
``planner serving`` (``LINK_PARAMS``): ``serving?model=llama-3.1-8b&gpu=H100-SXM&gpus=1&precision=fp8&...``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from planner.errors import InputError, PlannerError
from planner.estimate.calculator import (
    MAX_CONCURRENCY,
    MAX_GPUS,
    MAX_TOKENS,
    ServingPoint,
    concurrency_sweep,
    serving_point,
    sweep_concurrencies,
)
from planner.estimate.serving_constants import CALIBRATED, ServingConstants, vendor_efficiency
from planner.inputs.catalog import load_gpus, load_llms
from planner.inputs.models import KvPrecision, Precision, kv_precision_for
from planner.present.calculator import point_table, point_value, throughput_chart, time_per_token_chart
from ui import links
from ui.form import CHOICE_NAMES
from ui.shown import AUTO, shown, shown_index, unless_auto
from ui.tables import show_table
from ui.text import literal

DEFAULT_MODEL, DEFAULT_GPU, DEFAULT_PRECISION = "llama-3.1-8b", "H100-SXM", Precision.FP8
DEFAULT_TOKENS = 1000  # input and output tokens per request
# The model and precision pickers' column is twice as wide: at 1280 and 1440 px a quarter of the row cut "Llama 4
# Maverick 17B-128E Instruct" short.
ROW_WIDTHS = [2, 1, 1, 1]
TP_CHOICES: tuple[int | str, ...] = (AUTO, 1, 2, 4, 8, 16, 32, 64)  # AUTO: the split with the most throughput
LEVERS = ServingConstants.model_fields  # their bounds and descriptions
FIELD_LABELS = {"model": "Model", "gpu": "GPU", "gpus": "GPUs", "tp": "GPUs per replica", "input": "Input tokens",
                "output": "Output tokens", "concurrency": "Concurrency"}
_LEVERS = ServingConstants()
DEFAULTS: dict[str, Any] = {  # each input's widget key and the value it starts from
    "sc.model": DEFAULT_MODEL, "sc.gpu": DEFAULT_GPU, "sc.gpus": 1, "sc.tp": AUTO, "sc.precision": DEFAULT_PRECISION,
    "sc.kv": AUTO, "sc.input": DEFAULT_TOKENS, "sc.output": DEFAULT_TOKENS, "sc.concurrency": None,
    "sc.budget": _LEVERS.prefill_token_budget, "sc.prefix": _LEVERS.prefix_cache_hit_rate,
    "sc.draft": _LEVERS.spec_draft_tokens, "sc.accept": _LEVERS.spec_acceptance_rate, "sc.ep": _LEVERS.expert_parallel}
LINK_PARAMS = {  # the query parameter of each input in a link (ui.links), named as `planner serving` names its options
    "model": "sc.model", "gpu": "sc.gpu", "gpus": "sc.gpus", "tp": "sc.tp", "precision": "sc.precision",
    "kv": "sc.kv", "input": "sc.input", "output": "sc.output", "concurrency": "sc.concurrency",
    "budget": "sc.budget", "prefix": "sc.prefix", "draft": "sc.draft", "accept": "sc.accept", "ep": "sc.ep"}


@dataclass(frozen=True)
class Config:
    """What the user asked: the arguments of ``serving_point`` as plain, hashable values."""

    model_id: str
    gpu: str
    gpus: int
    tp: int | None
    precision: Precision
    kv_precision: KvPrecision | None
    input_tokens: int
    output_tokens: int
    concurrency: int | None
    constants_json: str  # ServingConstants as JSON, so the cache can hash it

    @property
    def constants(self) -> ServingConstants:
        return ServingConstants.model_validate_json(self.constants_json)

    def command(self) -> str:
        """The ``planner serving`` command that prints the same figures (it takes the default engine levers)."""
        words = ["planner serving", f"--model {self.model_id}", f"--gpu {self.gpu}", f"--gpus {self.gpus}",
                 f"--tp {self.tp}" if self.tp is not None else "", f"--precision {self.precision.value}",
                 f"--kv-precision {self.kv_precision.value}" if self.kv_precision is not None else "",
                 f"--input {self.input_tokens}", f"--output {self.output_tokens}",
                 f"--concurrency {self.concurrency}" if self.concurrency is not None else ""]
        return " ".join(w for w in words if w)


def _bounds(name: str) -> tuple[float, float]:
    """A lever's (lowest, highest) allowed value, from the field's own constraints."""
    low = high = None
    for rule in LEVERS[name].metadata:
        low = getattr(rule, "ge", None) if getattr(rule, "ge", None) is not None else low
        high = getattr(rule, "le", None) if getattr(rule, "le", None) is not None else high
    return float(low if low is not None else 0), float(high if high is not None else 1)


def read_levers() -> ServingConstants:
    """The engine levers in an expander, their defaults the engines' own; efficiencies stay calibrated."""
    with st.expander("Engine levers: token budget, prefix cache, speculative decoding"):
        c1, c2, c3, c4 = st.columns(4)
        low, high = _bounds("prefill_token_budget")
        budget = c1.number_input("Token budget per iteration", int(low), int(high), shown("sc.budget"), step=1024,
                                 key="sc.budget",
                                 help=LEVERS["prefill_token_budget"].description)
        low, high = _bounds("prefix_cache_hit_rate")
        hit = c2.slider("Prefix-cache hit rate", low, high, shown("sc.prefix"), step=0.05, key="sc.prefix",
                        help=LEVERS["prefix_cache_hit_rate"].description)
        low, high = _bounds("spec_draft_tokens")
        draft = c3.number_input("Speculative draft tokens", int(low), int(high), shown("sc.draft"), step=1,
                                key="sc.draft",
                                help=LEVERS["spec_draft_tokens"].description)
        accept = c4.slider("Draft acceptance rate", 0.0, 1.0, shown("sc.accept"), step=0.05, key="sc.accept",
                           help=LEVERS["spec_acceptance_rate"].description, disabled=not draft)
        expert = st.checkbox("Expert parallelism (mixture-of-experts models)", shown("sc.ep"), key="sc.ep",
                             help=LEVERS["expert_parallel"].description)
    return ServingConstants(prefill_token_budget=int(budget), prefix_cache_hit_rate=hit,
                            spec_draft_tokens=int(draft), spec_acceptance_rate=accept, expert_parallel=expert)


def read_config() -> Config:
    """The model, hardware and workload widgets, then the levers (each starts from ``DEFAULTS``, or a link)."""
    for key, value in DEFAULTS.items():
        if key not in st.session_state:
            st.session_state[key] = value
    llms, gpus = load_llms(), load_gpus()
    c1, c2, c3, c4 = st.columns(ROW_WIDTHS)
    model = c1.selectbox("Model", list(llms), shown_index(list(llms), "sc.model"), key="sc.model",
                         format_func=lambda k: llms[k].name)
    gpu = c2.selectbox("GPU", list(gpus), shown_index(list(gpus), "sc.gpu"), key="sc.gpu")
    n = c3.number_input("GPUs", 1, MAX_GPUS, shown("sc.gpus"), step=1, key="sc.gpus",
                        help="Split into replicas as the planner does.")
    tp = c4.selectbox("GPUs per replica", TP_CHOICES, shown_index(list(TP_CHOICES), "sc.tp"), key="sc.tp",
                      format_func=lambda t: "Auto" if t == AUTO else str(t),
                      help="Auto: the split with the most output tokens per second, from the fewest GPUs (a power "
                           "of two) that hold the model up to all of them, as the planner picks.")
    c5, c6, c7, c8 = st.columns(ROW_WIDTHS)
    precision = c5.selectbox("Precision", list(Precision), shown_index(list(Precision), "sc.precision"),
                              key="sc.precision", format_func=lambda p: CHOICE_NAMES.get(p.value, p.value.upper()),
                              help="INT8 and INT4 are weight-only (GPTQ, AWQ): they compute at the BF16 rate and "
                                   "dequantise each weight as it is read. FP8 and FP4 run at the GPU's FP8 or FP4 "
                                   "rate where it has one, else weight-only at its next rate.")
    kvs = [AUTO, *KvPrecision]
    kv = c6.selectbox("KV-cache precision", kvs, shown_index(kvs, "sc.kv"), key="sc.kv",
                      format_func=lambda k: f"Default ({kv_precision_for(precision).value.upper()})" if k == AUTO
                      else k.value.upper())
    tokens_in = c7.number_input("Input tokens", 1, MAX_TOKENS, shown("sc.input"), step=100, key="sc.input")
    tokens_out = c8.number_input("Output tokens", 1, MAX_TOKENS, shown("sc.output"), step=100, key="sc.output")
    concurrency = st.number_input(
        "Concurrency (clients)", 1, MAX_CONCURRENCY, shown("sc.concurrency"), 1, key="sc.concurrency",
        placeholder="Full load",
        help="Empty: every replica at its batch cap (closed form). A number: that many clients, each sending its "
             "next request when the last one is answered (closed-loop simulation).")
    constants = read_levers()
    degree = unless_auto(tp)
    return Config(model, gpu, int(n), None if degree is None else int(degree), precision, unless_auto(kv),
                  int(tokens_in), int(tokens_out),
                  None if concurrency is None else int(concurrency), constants.model_dump_json())


def _link_readers() -> dict[str, Callable[[str], Any]]:
    """How each query parameter of a link is read into its input's value (each raises links.LinkError)."""
    budget, prefix, draft = (_bounds(n) for n in ("prefill_token_budget", "prefix_cache_hit_rate", "spec_draft_tokens"))
    return {
        "model": lambda t: links.choice(t, list(load_llms()), what="model"),
        "gpu": lambda t: links.choice(t, list(load_gpus()), what="GPU"),
        "gpus": lambda t: links.whole(t, 1, MAX_GPUS, what="number of GPUs"),
        "tp": lambda t: AUTO if t == AUTO else int(links.choice(
            t, [str(c) for c in TP_CHOICES if c != AUTO], what="number of GPUs per replica")),
        "precision": lambda t: Precision(links.choice(t, [p.value for p in Precision], what="precision")),
        "kv": lambda t: KvPrecision(links.choice(t, [k.value for k in KvPrecision], what="KV-cache precision")),
        "input": lambda t: links.whole(t, 1, MAX_TOKENS, what="number of input tokens"),
        "output": lambda t: links.whole(t, 1, MAX_TOKENS, what="number of output tokens"),
        "concurrency": lambda t: links.whole(t, 1, MAX_CONCURRENCY, what="concurrency"),
        "budget": lambda t: links.whole(t, int(budget[0]), int(budget[1]), what="token budget"),
        "prefix": lambda t: links.number(t, *prefix, what="prefix-cache hit rate"),
        "draft": lambda t: links.whole(t, int(draft[0]), int(draft[1]), what="number of draft tokens"),
        "accept": lambda t: links.number(t, 0.0, 1.0, what="draft acceptance rate"),
        "ep": lambda t: links.choice(t, ["0", "1"], what="expert parallelism") == "1",
    }


def open_link() -> None:
    """Fill the inputs from a link (``ui.links``): each from its query parameter, or its default; a plain-words
    warning names every value that cannot be used."""
    linked = links.arrived(*LINK_PARAMS)
    if not linked:
        return
    readers, problems = _link_readers(), []
    for param, key in LINK_PARAMS.items():
        st.session_state[key] = DEFAULTS[key]
        if param in linked:
            try:
                st.session_state[key] = readers[param](linked[param])
            except links.LinkError as exc:
                problems.append(str(exc))
    links.warn(problems, "The calculator uses the default of each of these instead.")


def link_params(config: Config) -> dict[str, object | None]:
    """The query parameters of a link to these inputs; the levers only when they differ from the engines' defaults."""
    levers = config.constants

    def changed(value: float, default: float) -> str | None:
        return None if value == default else str(value) if isinstance(value, int) else f"{value:.6g}"

    return {"model": config.model_id, "gpu": config.gpu, "gpus": config.gpus, "tp": config.tp,
            "precision": config.precision.value,
            "kv": None if config.kv_precision is None else config.kv_precision.value,
            "input": config.input_tokens, "output": config.output_tokens, "concurrency": config.concurrency,
            "budget": changed(levers.prefill_token_budget, _LEVERS.prefill_token_budget),
            "prefix": changed(levers.prefix_cache_hit_rate, _LEVERS.prefix_cache_hit_rate),
            "draft": changed(levers.spec_draft_tokens, _LEVERS.spec_draft_tokens),
            "accept": changed(levers.spec_acceptance_rate, _LEVERS.spec_acceptance_rate),
            "ep": "1" if levers.expert_parallel else None}


def render_link(config: Config) -> None:
    """Keep the address bar on these inputs, and the "Copy link" button."""
    params = link_params(config)
    links.publish(params)
    links.show(links.SERVING, params, what="this calculation with these inputs", key="sc.link")


@st.cache_data(show_spinner=False, max_entries=64)
def compute_point(config: Config) -> ServingPoint:
    """The figures of one configuration (cached: a rerun with the same inputs does not simulate again)."""
    return serving_point(config.model_id, config.gpu, config.gpus, config.tp, config.precision, config.kv_precision,
                         config.input_tokens, config.output_tokens, config.concurrency, config.constants)


@st.cache_data(show_spinner=False, max_entries=32)
def compute_sweep(config: Config, concurrencies: tuple[int, ...]) -> list[ServingPoint]:
    """The closed-loop runs of the chart, one per concurrency."""
    return concurrency_sweep(config.model_id, config.gpu, config.gpus, config.tp, config.precision,
                             config.kv_precision, config.input_tokens, config.output_tokens, concurrencies,
                             config.constants)


def show_errors(exc: PlannerError) -> None:
    """Each invalid input under its widget's label, in plain words."""
    fields = exc.field_errors if isinstance(exc, InputError) else {}
    for field, sentence in fields.items() or [("", str(exc))]:
        label = FIELD_LABELS.get(field, field)
        st.error(f"**{label}**: {literal(sentence)}" if label else literal(sentence))


def render_point(config: Config, point: ServingPoint) -> None:
    """The headline figures as metrics, then every figure with how it was obtained (as the CLI prints them)."""
    latency = "Time per output token" if point.concurrency is None else "Inter-token latency (mean)"
    first = "Time to first token" if point.concurrency is None else "Time to first token (mean)"
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Output tokens/s (all replicas)", point_value(point, "Output tokens/s (all replicas)"))
    c2.metric(first, point_value(point, first))
    c3.metric(latency, point_value(point, latency))
    c4.metric("Replicas × GPUs each", f"{point.replicas:,} × {point.tp}")
    how = ("every replica at its batch cap (closed form)" if point.concurrency is None
           else f"{point.concurrency:,} closed-loop clients (simulation, means after a warm-up)")
    levers = ("" if config.constants == ServingConstants()
              else " with the default engine levers (the command line does not change them)")
    st.caption(f"Modelled, not measured: {how}. The command line prints the same figures{levers}: "
               f"`{config.command()}`")
    show_table(point_table(point).frame(), whole=("Value",))  # wraps the basis instead of cutting a value


def render_sweep(config: Config) -> None:
    """Throughput and time per output token against concurrency, from closed-loop simulations."""
    sweep_config = Config(**{**config.__dict__, "concurrency": None})
    full = compute_point(sweep_config)  # cached: the full-load figures, whose batch caps the curve runs up to
    concurrencies = sweep_concurrencies(full.replicas, full.batch)
    with st.spinner(f"Simulating concurrency 1 to {concurrencies[-1]:,}…"):
        points = compute_sweep(sweep_config, concurrencies)
    left, right = st.columns(2)
    left.markdown("**Throughput** (dashed: the closed-form maximum)")
    right.markdown("**Time per output token** (mean time between tokens)")
    left.altair_chart(throughput_chart(points), width="stretch")
    right.altair_chart(time_per_token_chart(points), width="stretch")
    slots = full.replicas * full.batch
    reach = (f"up to {concurrencies[-1]:,} clients, enough to fill the {slots:,} batch slots"
             if concurrencies[-1] >= slots else
             f"up to {concurrencies[-1]:,} clients, the most one run simulates (the replicas hold {slots:,})")
    st.caption(f"Each point is a closed-loop simulation of that many clients on these replicas, {reach}; the dashed "
               "line is the closed-form maximum (every replica at its batch cap). Modelled figures.")


def render_assumptions(config: Config) -> None:
    """The calibrated efficiencies of the GPU's vendor stack and the levers in force, each with its source."""
    gpu = load_gpus()[config.gpu]
    calibration = vendor_efficiency(gpu.vendor)
    with st.expander("Assumptions behind these figures"):
        fitted = (f"fitted to {calibration.points} public measurements" if calibration.points
                  else "initial values, not yet fitted to measurements")
        st.markdown(
            f"The step model's efficiencies are **calibrated per GPU vendor**: {literal(config.gpu)} uses the "
            f"**{literal(calibration.vendor)}** stack's ({literal(calibration.engine)}; {fitted}; "
            "`data/serving_efficiency.csv`, `data/serving_measurements.csv`). On the Results page, "
            "*What if… → assumptions* overrides any of them (`serving.<name>`) for an assessment.")
        rows = [{"Assumption": name.replace("_", " ").capitalize(), "Value": f"{getattr(calibration, name):g}",
                 "Source": f"{calibration.source} ({calibration.as_of})"}
                for name in CALIBRATED]
        constants = config.constants
        rows += [{"Assumption": name.replace("_", " ").capitalize(), "Value": f"{getattr(constants, name):g}",
                  "Source": LEVERS[name].description or ""}
                 for name in ("prefill_token_budget", "prefix_cache_hit_rate", "spec_draft_tokens",
                              "spec_acceptance_rate", "spec_draft_cost", "min_free_memory_fraction",
                              "runtime_reserved_gb_per_gpu")]
        show_table(pd.DataFrame(rows))  # a static table wraps the long sources instead of cutting them
