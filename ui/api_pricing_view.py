"""The Prices page's Managed APIs tab: an API price list's rows beside self-hosting, and your own API price lists.

Every figure comes from ``planner.present.api_prices`` (the tables; the self-hosted figure through
``planner.estimate.token_costs`` with the workload of the page's cost-per-token tab) and
``planner.store.api_price_lists`` (validation and storage); this module reads widgets and renders. Widget keys
start with ``p.api.``. The saved API list chosen is in the page's link (``ui.links``: ``prices?api_list=NAME``),
which opens this tab.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import pandas as pd
import streamlit as st

from planner.errors import PlannerError
from planner.inputs.api_catalog import ApiPrice, load_api_prices
from planner.inputs.api_price_files import ApiPriceList, api_prices_csv, parse_api_price_list
from planner.inputs.models import Assessment
from planner.inputs.paths import data_dir
from planner.inputs.price_files import PriceListError
from planner.present.api_prices import ASSUMED, SelfHosted, api_price_rows, assumed_figures, self_hosted_costs
from planner.store import api_price_lists
from ui import db, links
from ui.list_controls import delete_control, pick_saved, save_control
from ui.pricing_view import MAX_UPLOAD_MB, MISSING, Source, today
from ui.text import literal

SHIPPED_LABEL = "Built-in API prices (data/api_prices.csv)"
TAB = "Managed APIs"  # this tab's label on the Prices page
SOURCE_KEY = "p.api.source"  # the API price list picker
LINKED_TAB_KEY = "p.api.linked_tab"  # session key: the tab a link opened the Prices page on (kept for the session)
MONEY = "$%.3f"
# Each table fits the page at 1280 px (about 800 px of columns): which API (provider and model) and what the table
# is about. A name longer than its column is cut there; the sources below name every API in full.
PROVIDER = st.column_config.TextColumn("Provider", width=95)
MODEL = st.column_config.TextColumn("Model", width=250, help="The provider's name for the model, without its "
                                    "organisation path (in full under “Every API source in full”).")
OUTPUT_PRICE = st.column_config.NumberColumn("Out $/1M", format=MONEY, width=80,
                                             help="USD per million output tokens.")
PRICE_COLUMNS: dict[str, Any] = {  # what the API charges per million tokens
    "provider": PROVIDER, "model_short": {**MODEL, "width": 255},
    "input_usd_per_m": st.column_config.NumberColumn("In $/1M", format=MONEY, width=70,
                                                     help="USD per million input tokens."),
    "cached_input_usd_per_m": st.column_config.NumberColumn(
        "Cached $/1M", format="$%.4f", width=90, help="USD per million input tokens read from the prompt cache."),
    "output_usd_per_m": OUTPUT_PRICE, "as_of": st.column_config.TextColumn("As of", width=185),
}
COMPARISON_COLUMNS: dict[str, Any] = {  # a million output tokens of the workload, through the API and self-hosted
    "provider": PROVIDER,
    "model_served": st.column_config.TextColumn(
        "Serves", width=250, help="The catalog model it serves (data/llms.csv), or the provider's own model "
                                  "(proprietary: another model, so not a like-for-like comparison)."),
    "output_usd_per_m": OUTPUT_PRICE,
    "batch_discount_pct": st.column_config.NumberColumn("Batch off", format="%.0f%%", width=70,
                                                        help="Discount through the provider's batch API."),
    "api_usd_per_m_output": st.column_config.NumberColumn(
        "API $/1M output", format=MONEY, width=120,
        help="The API's bill for the requests that produce a million output tokens with this workload, their "
             "input tokens included (after the prompt-cache and batch shares)."),
    "self_hosted_usd_per_m_output": st.column_config.NumberColumn(
        "Self-hosted $/1M output", format=MONEY, width=175,
        help="The cheapest instance's cost per million output tokens for the same model and workload (the Cost "
             "per million tokens tab, with this row's model): GPU instance only, at steady load."),
}
TERMS_COLUMNS: dict[str, Any] = {  # how much, how fast, how reliably
    "provider": PROVIDER, "model_short": MODEL,
    "rate_limit": st.column_config.TextColumn("Rate limit at tier", width=200, help="Requests (RPM) and tokens "
                                              "(TPM) a minute at the provider's tier named in brackets."),
    "ttft_ms": st.column_config.TextColumn("TTFT (ms)", width=80, help="Time to first token.", alignment="right"),
    "output_tokens_per_s": st.column_config.TextColumn("Output tok/s", width=90, help="Per request.",
                                                       alignment="right"),
    "sla_pct": st.column_config.TextColumn("SLA (%)", width=80, help="The provider's monthly uptime commitment.",
                                           alignment="right"),
}


def open_link() -> None:
    """Choose the saved API price list a link names (``prices?api_list=NAME``) and open its tab; say in plain words
    when it is not here."""
    if links.open_saved_list(links.API_PRICE_LIST, saved_names, session_key=SOURCE_KEY, what="API price list",
                             instead="The built-in API prices are shown instead."):
        st.session_state[LINKED_TAB_KEY] = TAB


def saved_names() -> list[str]:
    """The names of the saved API price lists (StoreError when they cannot be read)."""
    return [s.name for s in api_price_lists.list_api_price_lists(db.engine())]


def first_tab() -> str | None:
    """The tab the Prices page opens on: this one after a link to an API price list (None: the first tab)."""
    tab: str | None = st.session_state.get(LINKED_TAB_KEY)
    return tab


def choose_api_list(source: Source) -> tuple[str | None, tuple[ApiPrice, ...]]:
    """A select box of the shipped API prices and the saved API lists (kept in the address bar); the chosen one's
    name and rows. Its link names the GPU price list (``source``) too: the self-hosted figures use it."""
    name, link = pick_saved("API price list", saved_names, key=SOURCE_KEY, builtin=SHIPPED_LABEL,
                            saved_as="API price list", lists="API price lists", link_param=links.API_PRICE_LIST)
    with link:
        links.show(links.PRICES, {links.PRICE_LIST: source.name, links.API_PRICE_LIST: name},
                   what="these API prices, beside self-hosting with the price list above", key="p.api.link")
    if name is None:
        return None, tuple(load_api_prices().values())
    try:
        return name, api_price_lists.load_api_price_list(db.engine(), name).apis
    except PlannerError as exc:
        st.error(literal(str(exc)))
        return None, tuple(load_api_prices().values())


def render_table(apis: tuple[ApiPrice, ...], workload: Assessment | None, source: Source) -> None:
    """The API rows with staleness warning, the two costs of a million output tokens, terms, and sources."""
    if workload is None:
        st.info("Fix the workload on the Cost per million tokens tab to compare the APIs with self-hosting.")
        return
    try:
        own = self_hosted_costs(workload, [a.model_id for a in apis if a.model_id], source.instances, source.gpus)
        rows = api_price_rows(apis, workload, today=today(), self_hosted=own)
    except PlannerError as exc:
        st.error(literal(str(exc)))
        return
    stale = [r for r in rows if r["stale"]]
    if stale:
        st.warning(f"{len(stale)} of {len(rows)} API prices are more than six months old (the oldest is from "
                   f"{literal(min(r['as_of'] for r in stale))}). Check them, or bring your own API prices.",
                   icon=":material/schedule:")
    frame = pd.DataFrame(rows)
    frame["as_of"] = [f"{r['as_of']} (over 6 months)" if r["stale"] else r["as_of"] for r in rows]
    w = workload.workload
    st.markdown("**Prices per million tokens**")
    _table(frame, "p.api.table", PRICE_COLUMNS)
    st.markdown("**A million output tokens of this workload: through the API, and self-hosted**")
    _table(frame, "p.api.compare", COMPARISON_COLUMNS)
    list_name = "the built-in prices" if source.name is None else f"the saved price list “{source.name}”"
    st.caption(literal(
        f"With {w.mean_input_tokens:,} input and {w.mean_output_tokens:,} output tokens a request, "
        f"{w.precision.value.upper()}, {w.pricing.value.replace('_', '-')} prices from {list_name}: the workload of "
        "the Cost per million tokens tab, with each row's model. Self-hosted is the GPU instance alone, at steady "
        "load."))
    _render_self_hosted(list(own.values()))
    st.markdown("**Rate limits, latency and SLA**")
    _table(frame, "p.api.terms", TERMS_COLUMNS)
    assumed = assumed_figures(workload)
    st.caption(literal(f"Where a provider publishes no latency or SLA (“{ASSUMED}”), the estimates assume "
                       f"{assumed['ttft_ms']:,.0f} ms to the first token, {assumed['output_tokens_per_s']:,.0f} "
                       f"output tokens a second per request and a {assumed['sla_pct']:g} % SLA (data/assumptions.yaml,"
                       " api.default_*; they can be changed under What if on the Results page)."))
    _render_sources(apis)
    st.download_button("Download these API rows as CSV", api_prices_csv(apis), file_name="api_prices.csv",
                       mime="text/csv", key="p.api.download", icon=":material/download:")


def _table(frame: pd.DataFrame, key: str, columns: dict[str, Any]) -> None:
    st.dataframe(frame, hide_index=True, width="stretch", key=key, placeholder=MISSING, column_config=columns,
                 column_order=tuple(columns))


def _render_self_hosted(own: list[SelfHosted]) -> None:
    """Where each model's self-hosted figure comes from: its cheapest instance, or why no instance serves it."""
    with st.expander(f"Self-hosted figures: the cheapest instance of each of the {len(own)} models"):
        st.markdown("\n".join("- " + literal(
            f"{s.model_name}: ${s.usd_per_million_output_tokens:,.3f} per million output tokens on {s.instance}"
            if s.usd_per_million_output_tokens is not None else f"{s.model_name}: no instance can serve it: {s.reason}")
            for s in own))


def _render_sources(apis: tuple[ApiPrice, ...]) -> None:
    """Every source in full (prices, latency, SLA) per API: the tables' columns are too narrow for them."""
    with st.expander(f"Every API source in full ({len(apis)} APIs)"):
        lines = []
        for a in apis:
            extra = "".join(f" {what}: {text}" for what, text in (("Latency:", a.latency_source),
                                                                   ("SLA:", a.sla_source)) if text)
            lines.append(f"- {literal(a.label)} (as of {literal(a.as_of)}): {literal(a.source)}{literal(extra)}")
        st.markdown("\n".join(lines))


def _parse_upload() -> ApiPriceList | None:
    """The uploaded API list validated, or None (nothing uploaded yet, or its problems shown at the uploader)."""
    upload = st.file_uploader("API prices (CSV, the columns of data/api_prices.csv)", type=["csv"],
                              key="p.api.upload", max_upload_size=MAX_UPLOAD_MB)
    if upload is None:
        return None
    try:
        return parse_api_price_list(upload.getvalue(), today=today())
    except PriceListError as exc:
        st.error(f"**{len(exc.problems)} problem(s); fix them and upload the file again.**\n\n"
                 + "\n".join(f"- {literal(p)}" for p in exc.problems), icon=":material/error:")
        return None


def render_bring_your_own() -> None:
    """Upload an API price list, see its problems row by row, and save it under a name."""
    st.markdown("Negotiated token prices, or a provider the planner does not list: upload your API prices. Rows are "
                "counted from the first row after the header; files up to "
                f"{MAX_UPLOAD_MB} MB, UTF-8. A saved list is chosen on the Assess page, under Inference sourcing.")
    st.download_button("Template: API prices", (data_dir() / "api_prices.csv").read_bytes(),
                       file_name="api_prices.csv", mime="text/csv", key="p.api.template", icon=":material/download:")
    draft = _parse_upload()
    if draft is not None:
        st.success(f"Valid: {len(draft.apis)} API row(s).")
    save_control("p.api.", what="API price list", kind="API list",
                 save=None if draft is None else partial(_save, draft), placeholder="e.g. Negotiated token prices 2026",
                 saved=_saved())


def _saved() -> dict[str, str]:
    """What each saved API list holds, by name, for the confirmation of replacing one (empty when unreadable)."""
    try:
        return {s.name: f"{s.api_count} API row(s), saved {s.updated_at:%Y-%m-%d %H:%M} UTC"
                for s in api_price_lists.list_api_price_lists(db.engine())}
    except PlannerError:
        return {}  # the list picker above says why


def _save(draft: ApiPriceList, name: str, replace: bool) -> str:
    """Save the API list under the name; the notice to show."""
    summary = api_price_lists.save_api_price_list(db.engine(), name=name, api_list=draft, replace=replace)
    return (f"Saved API price list “{summary.name}” ({summary.api_count} rows). Choose it above to browse it, or on "
            "the Assess page under Inference sourcing.")


def render_saved_lists() -> None:
    """The saved API lists with their dates, and deleting one."""
    try:
        summaries = api_price_lists.list_api_price_lists(db.engine())
    except PlannerError as exc:
        st.error(literal(str(exc)))
        return
    if not summaries:
        st.caption("No saved API price lists yet.")
        return
    st.dataframe(pd.DataFrame([{"Name": s.name, "APIs": s.api_count, "Providers": ", ".join(s.providers),
                                "Oldest price": s.oldest_as_of, "Saved (UTC)": f"{s.updated_at:%Y-%m-%d %H:%M}"}
                               for s in summaries]),
                 hide_index=True, width="stretch", key="p.api.saved", placeholder=MISSING)
    delete_control("p.api.", kind="API list", names=[s.name for s in summaries],
                   delete=lambda name: api_price_lists.delete_api_price_list(db.engine(), name),
                   after="Assessments that named it need another API list.")


def render(workload: Assessment | None, source: Source) -> None:
    """The whole tab: choose an API list, its tables beside self-hosting, your own API lists."""
    st.caption("What managed APIs charge per million tokens, with their rate limits, latency and SLA, each with its "
               "source, next to what self-hosting the same open model costs with the GPU prices above.")
    _, apis = choose_api_list(source)
    render_table(apis, workload, source)
    st.subheader("Bring your own API prices")
    render_bring_your_own()
    st.subheader("Saved API price lists")
    render_saved_lists()
