"""The Assess page's inference-sourcing questions: self-hosted GPUs, a managed API, or both compared.

Widget keys are ``s.*`` (one per ``InferenceSourcing`` field), seeded from the canonical answers like the rest of
the form (``ui.state.widget_values``); the answers go back under ``sourcing``. The API price list picker offers
the shipped managed APIs (data/api_prices.csv) and the saved API price lists (``planner.store.api_price_lists``);
the API picker lists the chosen list's rows, those serving the assessment's model first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import streamlit as st

from planner.errors import PlannerError
from planner.inputs.api_catalog import ApiPrice
from planner.inputs.models import InferenceSourcing, Sourcing
from planner.store import api_price_lists
from ui import db
from ui.shown import shown, shown_index
from ui.text import literal

FIELDS = tuple(InferenceSourcing.model_fields)  # the widget of each is "s.<field>"
ASKED = ("mode", "api_price_list", "api", "cached_input_share", "batch_share", "data_may_leave", "custom_weights")
SHIPPED_LABEL = "Built-in API prices (data/api_prices.csv)"
NO_API = ""  # the picker's "none" entry
SHIPPED = ""  # the API price list picker's entry for data/api_prices.csv (a select box shows None as unselected)
MODE_HELP = ("Self-hosted: the planner sizes GPU fleets. Managed API: a provider serves the model and bills tokens. "
             "Compare: the planner estimates both and uses the one that meets the targets for less; the break-even "
             "volume between them is shown either way once an API is chosen.")


def widget_values(answers: dict[str, Any]) -> dict[str, Any]:
    """The value of each sourcing widget for a set of answers (an older answer set without sourcing: defaults)."""
    sourcing = {**InferenceSourcing().model_dump(mode="json"), **answers.get("sourcing", {})}
    values = {f"s.{k}": sourcing[k] for k in ASKED}
    values["s.api"] = values["s.api"] or NO_API
    values["s.api_price_list"] = values["s.api_price_list"] or SHIPPED
    return values


def api_choice_text(api: ApiPrice) -> str:
    """How an API reads in the picker: provider, model and its prices per million tokens."""
    return f"{api.label} (${api.input_usd_per_m:g} in / ${api.output_usd_per_m:g} out per 1M tokens)"


def _saved_lists() -> list[str]:
    """The names of the saved API price lists (none, after showing why, when the database cannot be read)."""
    try:
        return [s.name for s in api_price_lists.list_api_price_lists(db.engine())]
    except PlannerError as exc:
        st.error(f"The saved API price lists could not be read: {literal(str(exc))}")
        return []


def _rows(name: str | None) -> Mapping[str, ApiPrice]:
    """The API rows of the chosen list (none, after showing why, when it cannot be read)."""
    try:
        return api_price_lists.api_rows_for(db.engine(), name)
    except PlannerError as exc:
        st.error(literal(str(exc)))
        return {}


def _api_list_picker(slots: dict[str, Any]) -> tuple[str | None, Mapping[str, ApiPrice]]:
    """The API price list to choose an API from (None: data/api_prices.csv), and its rows by id."""
    lists = [SHIPPED, *_saved_lists()]
    if st.session_state.get("s.api_price_list", SHIPPED) not in lists:  # a list deleted since: kept, its error shows
        lists.append(st.session_state["s.api_price_list"])
    api_list = st.selectbox("API prices", lists, index=shown_index(lists, "s.api_price_list"), key="s.api_price_list",
                            format_func=lambda n: SHIPPED_LABEL if n == SHIPPED else f"{n} (saved API price list)",
                            help="The managed APIs to choose from: the built-in ones, or a list saved on the Prices "
                                 "page.") or None
    slots["sourcing.api_price_list"] = st.empty()
    return api_list, _rows(api_list)


def render(slots: dict[str, Any], model_id: str, current: dict[str, Any]) -> dict[str, Any]:
    """The sourcing questions; returns the ``sourcing`` answers (fields not asked here kept from ``current``)."""
    st.subheader("Inference sourcing")
    st.caption("Run the model on your own GPUs, call a managed API, or let the planner compare both. Prices, rate "
               "limits, latency and SLA of each API are on the Prices page, each with its source; your own API "
               "prices can be saved there too.")
    left, right = st.columns(2)
    with left:
        modes = [s.value for s in Sourcing]
        mode = st.radio("Where inference runs", modes, index=shown_index(modes, "s.mode"), key="s.mode", help=MODE_HELP,
                        format_func=lambda v: Sourcing(v).label, horizontal=True)
        slots["sourcing.mode"] = st.empty()
        slots["sourcing"] = st.empty()
    with right:
        api_list, apis = _api_list_picker(slots)
    api = _api_picker(slots, model_id, api_list, apis)  # the whole width: provider, model and prices fit
    answers = _shares_and_rules(slots)
    return {**current, **answers, "mode": mode, "api_price_list": api_list, "api": api or None}


def _api_picker(slots: dict[str, Any], model_id: str, api_list: str | None, apis: Mapping[str, ApiPrice]) -> str:
    """The managed API, those serving the assessment's model first."""
    same_model = sorted((a for a in apis.values() if a.model_id == model_id), key=lambda a: a.label)
    others = sorted((a for a in apis.values() if a.model_id != model_id), key=lambda a: a.label)
    options = [NO_API, *(a.id for a in same_model), *(a.id for a in others)]
    chosen = st.session_state.get("s.api", NO_API)
    if chosen not in options:  # an API of another list, or one no longer in this one: kept, so its error shows
        options.append(chosen)
    api: str = st.selectbox(
        "Managed API", options, index=shown_index(options, "s.api"), key="s.api",
        format_func=lambda i: "None" if i == NO_API else api_choice_text(apis[i]) if i in apis else
        f"{i} (not in this list)",
        help="Those serving your model come first. A proprietary model is another model: the comparison is of "
             "cost and latency, not of answer quality.")
    if api != NO_API and api not in apis:
        where = SHIPPED_LABEL if api_list is None else f"the saved API price list “{api_list}”"
        st.warning(literal(f"The managed API “{api}” is not in {where}; choose one of its APIs."))
    slots["sourcing.api"] = st.empty()
    return api


def _shares_and_rules(slots: dict[str, Any]) -> dict[str, Any]:
    """Prompt-cache and batch shares, and the answers that rule a managed API out."""
    left, right = st.columns(2)
    with left:
        cached = st.number_input("Prompt-cache share of input tokens (0-1)", value=shown("s.cached_input_share"),
                                 min_value=0.0, max_value=1.0, step=0.05, format="%.2f", key="s.cached_input_share",
                                 help="Input tokens the provider serves from its prompt cache (repeated system prompts "
                                      "and documents), billed at the cached-input price where one is offered.")
        slots["sourcing.cached_input_share"] = st.empty()
        leave = st.checkbox("Data may leave our cloud and region", value=shown("s.data_may_leave"),
                            key="s.data_may_leave",
                            help="Prompts and answers may be processed outside our cloud account and region. Off "
                                 "rules a managed API out: it processes requests on the provider's machines.")
        slots["sourcing.data_may_leave"] = st.empty()
    with right:
        batch = st.number_input("Batch-API share of requests (0-1)", value=shown("s.batch_share"), min_value=0.0,
                                max_value=1.0, step=0.05, format="%.2f", key="s.batch_share",
                                help="Non-interactive work (reports, backfills) sent through the provider's batch API, "
                                     "billed at its discount where one is offered; the latency estimates still treat "
                                     "every request as interactive.")
        slots["sourcing.batch_share"] = st.empty()
        custom = st.checkbox("We serve fine-tuned or custom weights", value=shown("s.custom_weights"),
                             key="s.custom_weights",
                             help="On rules a shared managed API out: it serves the provider's weights only.")
        slots["sourcing.custom_weights"] = st.empty()
    return {"cached_input_share": cached, "batch_share": batch, "data_may_leave": bool(leave),
            "custom_weights": bool(custom)}
