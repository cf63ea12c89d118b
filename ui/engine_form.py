"""The Assess page's inference-engine settings: KV-cache precision and the engine levers.

The levers are not workload answers but assumption overrides (``serving.<field>``, ``planner.inputs.levers``):
the override dict is their one place of truth. Each widget (``e.<field>``) is seeded from it, showing the
default when the key is absent, and writes back only a value that differs from the default, so files stay
small and a default can move with the engines. The KV-cache precision is a workload answer
(``workload.kv_precision``, empty for automatic).
"""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from typing import Any

import streamlit as st

from planner.estimate.serving_constants import ServingConstants
from planner.inputs.catalog import load_llms
from planner.inputs.levers import LEVERS, Lever
from planner.inputs.models import KvPrecision, Precision, kv_precision_for
from planner.present import formats as fmt
from ui.shown import AUTO, shown_index, unless_auto  # AUTO: the KV-cache answer stays empty (kv_precision_for decides)

KV_KEY = "w.kv_precision"  # the KV-cache precision's widget
KV_LABEL = "KV-cache precision"
KV_HELP = ("The number format of the KV cache (the attention keys and values kept for every token in flight). "
           "Default Automatic: FP8 beside FP8 or FP4 weights, as their engines ship it, BF16 otherwise. FP8 halves "
           "the cache, so about twice as many requests fit on a GPU and each decoding step reads half the bytes.")
EXPANDER_LABEL = "Engine settings: token budget, prefix cache, speculative decoding, expert parallelism"
EXPANDER_NOTE = ("Each setting starts at what vLLM, SGLang and TensorRT-LLM ship; a changed one is kept with the "
                 "answers as an assumption override (serving.*) and listed under the results' assumptions.")
GROUPS = (  # (heading, lever fields) in the order the expander shows them
    ("Batching and caching", ("prefill_token_budget", "prefix_cache_hit_rate")),
    ("Speculative decoding", ("spec_draft_tokens", "spec_acceptance_rate", "spec_draft_cost")),
    ("Mixture-of-experts models", ("expert_parallel", "ep_link_gb_s")),
)
MAX_SHOWN_DECIMALS = 4  # decimals a number widget shows at most
_BY_FIELD = {lever.field: lever for lever in LEVERS}


def decimals(x: float) -> int:
    """Decimals a number widget needs to show ``x`` as typed (at most MAX_SHOWN_DECIMALS)."""
    exponent = Decimal(repr(float(x))).normalize().as_tuple().exponent
    return min(MAX_SHOWN_DECIMALS, max(0, -exponent)) if isinstance(exponent, int) else 0


def widget_key(lever: Lever) -> str:
    """The session key of a lever's widget."""
    return f"e.{lever.field}"


LAZY_KEYS = frozenset(widget_key(lever) for lever in LEVERS)  # widgets given their answer as default, not seeded


@cache
def lever_default(lever: Lever) -> float:
    """A lever's default, as stored: the serving model's own, so that it moves with the model."""
    return float(getattr(ServingConstants(), lever.field))


def widget_values(answers: dict[str, Any]) -> dict[str, Any]:
    """The value each engine widget shows for a set of answers (``Assessment.model_dump(mode="json")``)."""
    overrides = answers.get("assumption_overrides") or {}
    kv = answers["workload"].get("kv_precision")
    values: dict[str, Any] = {KV_KEY: kv if kv is not None else AUTO}
    for lever in LEVERS:
        values[widget_key(lever)] = lever.shown(overrides.get(lever.key, lever_default(lever)))
    return values


def render_kv_precision(precision: str) -> str | None:
    """The KV-cache choice beside the weight precision; None is automatic."""
    automatic = kv_precision_for(Precision(precision)).value.upper()
    names = {AUTO: f"Automatic ({automatic} with {precision.upper()} weights)",
             **{p.value: p.value.upper() for p in KvPrecision}}
    chosen = st.selectbox(KV_LABEL, list(names), index=shown_index(list(names), KV_KEY),
                          format_func=names.__getitem__, help=KV_HELP, key=KV_KEY)
    return None if (kv := unless_auto(chosen)) is None else str(kv)


def render_levers(slots: dict[str, Any], overrides: dict[str, float], model_id: str) -> dict[str, float]:
    """The levers in an expander; returns ``overrides`` with the lever keys set to the non-default values."""
    changed = any(lever.key in overrides for lever in LEVERS)
    out = {k: v for k, v in overrides.items() if k not in {lever.key for lever in LEVERS}}
    with st.expander(EXPANDER_LABEL, expanded=changed, icon=":material/tune:"):
        st.caption(EXPANDER_NOTE)
        for heading, fields in GROUPS:
            st.markdown(f"**{heading}**")
            levers = [_BY_FIELD[name] for name in fields]
            for lever in (lever for lever in levers if lever.flag):  # a checkbox on its own row, then its note
                _ask(lever, slots, out, overrides)
                st.caption(_moe_note(model_id))
            numbers = [lever for lever in levers if not lever.flag]
            for column, lever in zip(st.columns(max(2, len(numbers))), numbers, strict=False):
                with column:
                    _ask(lever, slots, out, overrides)
    return out


def _ask(lever: Lever, slots: dict[str, Any], out: dict[str, float], overrides: dict[str, float]) -> None:
    # The widget, the slot for its error below it, and its value into ``out`` unless it is the default.
    value = lever.stored(_widget(lever, lever.shown(overrides.get(lever.key, lever_default(lever)))))
    slots[f"assumption_overrides.{lever.key}"] = st.empty()
    if value != lever_default(lever):
        out[lever.key] = value


def _widget(lever: Lever, answer: float) -> float | bool:
    """The lever's widget, its default the answer itself: the levers sit in a collapsed expander, which the
    browser mounts only when opened, so a widget the browser never reported starts from the answer, never from
    its minimum (``LAZY_KEYS`` are therefore not seeded through the Session State API)."""
    key = widget_key(lever)
    help_text = f"{lever.help} Default: {_default_text(lever)}."
    if lever.flag:
        return bool(st.checkbox(lever.label, value=bool(answer), key=key, help=help_text))
    value = st.session_state.get(key, answer)
    if lever.whole:
        return int(st.number_input(lever.label, value=int(answer), min_value=min(0, int(value), int(answer)),
                                   max_value=max(int(lever.high), int(value), int(answer)), step=int(lever.step),
                                   help=help_text, key=key))
    ceiling = 100.0 if lever.percent else lever.high  # a share up to 100 %: validation states the tighter bound
    shown = max(decimals(lever.step), decimals(float(value)))
    return float(st.number_input(lever.label, value=float(answer), min_value=min(0.0, float(value), float(answer)),
                                 max_value=max(ceiling, float(value), float(answer)), step=float(lever.step),
                                 format=f"%.{shown}f", help=help_text, key=key))


def _default_text(lever: Lever) -> str:
    default = lever_default(lever)
    if lever.flag:
        return "on" if default else "off"
    if lever.percent:
        return f"{fmt.number(default * 100)} %"
    return fmt.number(default)


def _moe_note(model_id: str) -> str:
    llm = load_llms().get(model_id)
    if llm is None:
        return "Expert parallelism applies to mixture-of-experts models only."
    if llm.experts > 1:
        return (f"{llm.name} is a mixture-of-experts model ({llm.experts} experts, {llm.active_experts} used per "
                "token): expert parallelism applies to it.")
    return f"{llm.name} is a dense model: these two settings have no effect on it."
