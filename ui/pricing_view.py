"""The Prices page's sections: choose a price list, browse and filter it, cost per token, bring your own prices.

Every figure comes from ``planner.store.price_lists`` (the table, validation, storage) and
``planner.estimate.token_costs``; this module reads widgets and renders. Widget keys start with ``p.``.
The saved list chosen is in the page's link (``ui.links``: ``prices?list=NAME``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import partial
from typing import Any

import pandas as pd
import streamlit as st

from planner.errors import InputError, PlannerError
from planner.estimate.token_costs import TokenCosts, token_costs
from planner.inputs.catalog import load_gpus, load_instances, load_llms
from planner.inputs.models import Assessment, GpuSpec, InstancePrice, Precision, PricingOption
from planner.inputs.paths import data_dir
from planner.inputs.validation import validate_assessment
from planner.present import formats as fmt
from planner.present.charts import gpu_hour_chart, token_cost_chart
from planner.store import price_lists
from planner.store.price_lists import (
    ADD_TO_CATALOG,
    GPU_COLUMNS,
    INSTANCE_COLUMNS,
    REPLACE_CATALOG,
    CatalogMode,
    PriceList,
    PriceListError,
)
from ui import db, links, state
from ui.list_controls import delete_control, pick_saved, save_control
from ui.text import literal

CATALOG_LABEL = "Built-in catalog (data/instances.csv)"
SOURCE_KEY = "p.source"  # the price list picker
PRICING_LABELS = {"on_demand": "On-demand", "spot": "Spot", "committed": "Committed (1-year)"}
UPLOAD, EDIT = "Upload CSV files", "Edit a table in the app"
MAX_UPLOAD_MB = price_lists.MAX_PRICE_LIST_BYTES // (1024 * 1024)  # Streamlit counts MB as MiB too
MISSING = "—"  # how a table shows a price the row does not have (Streamlit's default is "None")
CATALOG_MODES: dict[CatalogMode, str] = {ADD_TO_CATALOG: "Add to the built-in prices",
                                         REPLACE_CATALOG: "Replace the built-in prices"}
SAVED_MODES: dict[CatalogMode, str] = {ADD_TO_CATALOG: "Adds to the built-in prices",
                                       REPLACE_CATALOG: "Replaces the built-in prices"}


@dataclass(frozen=True)
class Source:
    """The price list being browsed: its name (None: the catalog), instance rows and GPU specs."""

    name: str | None
    instances: tuple[InstancePrice, ...]
    gpus: dict[str, GpuSpec]


def today() -> date:
    """Today's date in UTC: the reference for stale prices."""
    return datetime.now(UTC).date()


def open_link() -> None:
    """Choose the saved price list a link names (``prices?list=NAME``); say in plain words when it is not here."""
    links.open_saved_list(links.PRICE_LIST, saved_names, session_key=SOURCE_KEY, what="price list",
                          instead="The built-in catalog is shown instead.")


def saved_names() -> list[str]:
    """The names of the saved price lists (StoreError when they cannot be read)."""
    return [s.name for s in price_lists.list_price_lists(db.engine())]


def choose_source() -> Source:
    """A select box of the catalog and the saved lists (kept in the address bar); returns the chosen one, loaded."""
    name, link = pick_saved("Price list", saved_names, key=SOURCE_KEY, builtin=CATALOG_LABEL, saved_as="list",
                            lists="price lists", link_param=links.PRICE_LIST)
    with link:
        links.show(links.PRICES, {links.PRICE_LIST: name}, what="this price list", key="p.link")
    if name is None:
        return Source(None, load_instances(), dict(load_gpus()))
    try:
        chosen = price_lists.load_price_list(db.engine(), name)
        return Source(name, chosen.instances, chosen.gpu_specs())
    except PlannerError as exc:
        st.error(literal(str(exc)))
        return Source(None, load_instances(), dict(load_gpus()))


def filtered(source: Source) -> tuple[InstancePrice, ...]:
    """Provider, GPU and region filters (empty: all); returns the rows that pass."""
    rows = source.instances
    left, middle, right = st.columns(3)
    providers = left.multiselect("Providers", sorted({r.provider for r in rows}), key="p.providers",
                                 placeholder="All providers")
    gpus = middle.multiselect("GPU types", sorted({r.gpu for r in rows}), key="p.gpus", placeholder="All GPU types")
    regions = right.multiselect("Regions", sorted({r.region for r in rows}), key="p.regions",
                                placeholder="All regions")
    return tuple(r for r in rows if (not providers or r.provider in providers) and (not gpus or r.gpu in gpus)
                 and (not regions or r.region in regions))


def render_browser(rows: tuple[InstancePrice, ...]) -> None:
    """Staleness warning, the price table and the $/GPU-hour chart."""
    if not rows:
        st.info("No instance matches the filters. Clear a filter to see prices.")
        return
    option = PricingOption(st.radio("Price per GPU-hour", [p.value for p in PricingOption], key="p.option",
                                    horizontal=True, format_func=PRICING_LABELS.__getitem__))
    table = price_lists.price_table(rows, option, today())
    stale = [r for r in table if r["stale"]]
    if stale:
        providers = literal(", ".join(sorted({r["provider"] for r in stale})))
        st.warning(f"{len(stale)} of {len(table)} prices are more than six months old ({providers}; the oldest is "
                   f"from {literal(min(r['as_of'] for r in stale))}). Cloud prices move: check them, or bring your own "
                   "prices.", icon=":material/schedule:")
    frame = pd.DataFrame(table)
    frame["as_of"] = [f"{r['as_of']} (over 6 months)" if r["stale"] else r["as_of"] for r in table]
    money = "$%.3f"
    columns: dict[str, Any] = {
        "provider": "Provider", "region": "Region", "instance": "Instance", "gpu": "GPU", "gpu_count": "GPUs",
        "on_demand_usd_h": st.column_config.NumberColumn("On-demand $/h", format=money),
        "spot_usd_h": st.column_config.NumberColumn("Spot $/h", format=money),
        "committed_usd_h": st.column_config.NumberColumn("Committed $/h", format=money),
        "usd_per_gpu_h": st.column_config.NumberColumn(f"{PRICING_LABELS[option.value]} $/GPU-h", format=money),
        "as_of": "As of", "vcpus": "vCPUs", "source": st.column_config.TextColumn(
            "Source", width="large", help="Where the price comes from; every source in full is listed below.")}
    # The columns that fit the page at 1280 px: the chosen option's price beside its $/GPU-h; the other prices are
    # a click on the option away, vCPUs, regions and sources are in the CSV and under "Sources in full".
    shown = ("provider", "instance", "gpu", "gpu_count", f"{option.value}_usd_h", "usd_per_gpu_h", "as_of")
    widths = {"provider": 60, "instance": 150, "gpu": 95, "gpu_count": 45, f"{option.value}_usd_h": 100,
              "usd_per_gpu_h": 120, "as_of": 160}
    for key, width in widths.items():
        label = columns[key] if isinstance(columns[key], str) else None
        columns[key] = (st.column_config.Column(label, width=width) if label is not None
                        else {**columns[key], "width": width})
    st.dataframe(frame.drop(columns="stale"), hide_index=True, width="stretch", key="p.table", placeholder=MISSING,
                 column_config=columns, column_order=shown)
    _render_sources(rows)
    priced = [r for r in rows if r.price_usd_h(option) is not None]
    if priced:
        st.markdown(f"**{PRICING_LABELS[option.value]} USD per GPU-hour, by GPU type and provider**")
        st.altair_chart(gpu_hour_chart(priced, option), width="content")
    else:
        st.info(f"None of these instances has a {PRICING_LABELS[option.value].lower()} price.")
    st.download_button("Download these rows as CSV", price_lists.instances_csv(rows), file_name="prices.csv",
                       mime="text/csv", key="p.download", icon=":material/download:")


def _render_sources(rows: tuple[InstancePrice, ...]) -> None:
    """Every source in full, once per source text, with the rows it prices (the table's column is too narrow)."""
    priced_by: dict[str, list[str]] = {}
    for r in rows:
        priced_by.setdefault(r.source, []).append(f"{r.provider} {r.instance} ({r.region})")
    with st.expander(f"Sources in full ({len(priced_by)})"):
        st.markdown("\n".join(f"- {literal(', '.join(names))}: {literal(source)}"
                               for source, names in priced_by.items()))


def _workload_defaults() -> dict[str, Any]:
    submitted = state.submitted_assessment()
    return (submitted.model_dump(mode="json") if submitted else state.answers())


def render_token_costs(source: Source, rows: tuple[InstancePrice, ...]) -> Assessment | None:
    """Cost per million output tokens on each GPU type and instance, for a model and workload the user sets;
    returns that workload as an assessment (None when the figures set are not valid)."""
    answers = _workload_defaults()
    w = answers["workload"]
    st.caption("Starts from your answers on the Assess page; change any figure here to compare.")
    c1, c2, c3, c4 = st.columns(4)
    llms = load_llms()
    model = c1.selectbox("Model", list(llms), key="p.tc.model", format_func=lambda k: llms[k].name,
                         index=list(llms).index(w["model_id"]) if w["model_id"] in llms else 0)
    precisions = [p.value for p in Precision]
    precision = c2.selectbox("Precision", precisions, key="p.tc.precision", format_func=str.upper,
                             index=precisions.index(w["precision"]))
    options = [p.value for p in PricingOption]
    pricing = c3.selectbox("Pricing", options, key="p.tc.pricing", format_func=PRICING_LABELS.__getitem__,
                           index=options.index(w["pricing"]))
    tokens_in = c4.number_input("Mean input tokens", 1, 1_000_000, int(w["mean_input_tokens"]), 100, key="p.tc.in")
    c5, c6, c7, _ = st.columns(4)
    tokens_out = c5.number_input("Mean output tokens", 1, 1_000_000, int(w["mean_output_tokens"]), 50, key="p.tc.out")
    ttft = c6.number_input("p95 time to first token (ms)", 1.0, 600_000.0, float(w["p95_ttft_ms"]), 100.0,
                           key="p.tc.ttft")
    e2e = c7.number_input("p95 end-to-end (ms)", 1.0, 600_000.0, float(w["p95_e2e_ms"]), 1000.0, key="p.tc.e2e")
    w.update({"model_id": model, "precision": precision, "pricing": pricing, "mean_input_tokens": int(tokens_in),
              "mean_output_tokens": int(tokens_out), "p95_ttft_ms": ttft, "p95_e2e_ms": e2e,
              "gpu_types": [], "providers": []})
    try:
        assessment: Assessment = validate_assessment({**answers, "workload": w, "price_list": None})
        costs = token_costs(assessment, rows, source.gpus)
    except InputError as exc:
        for sentence in exc.field_errors.values() or [str(exc)]:
            st.error(literal(sentence))
        return None
    except PlannerError as exc:
        st.error(literal(str(exc)))
        return None
    _render_token_table(costs)
    return assessment


def _render_token_table(costs: TokenCosts) -> None:
    """The cheapest instance, the chart and the table of cost per million output tokens, and what cannot serve."""
    if not costs.rows:
        st.warning("No instance in this list can serve the model within these targets. Why, per instance:")
        st.markdown("\n".join(f"- {literal(reason)}" for reason in costs.unservable))
        return
    best = costs.rows[0]
    st.success(f"Cheapest for this workload: **{literal(best.gpu)}** on {literal(best.provider)} "
               f"{literal(best.instance)} at "
               f"**${best.usd_per_million_output_tokens:,.3f}** per million output tokens.")
    st.altair_chart(token_cost_chart(costs), width="content")
    st.dataframe(pd.DataFrame([{
        "GPU": r.gpu, "Provider": r.provider, "Instance": r.instance, "$ per M output tokens":
        r.usd_per_million_output_tokens, "$/h": r.price_usd_h, "Price used": r.price_basis,
        "GPUs per replica": r.tensor_parallel,
        "Replicas per instance": r.replicas_per_instance, "Batch": r.batch,
        "Tokens/s per replica": round(r.replica_output_tokens_per_s), "TTFT (ms)": round(r.ttft_ms),
        "Meets TTFT target": "yes" if r.meets_ttft_target else "no", "Price as of": r.price_as_of}
        for r in costs.rows]), hide_index=True, width="stretch", key="p.tc.table", placeholder=MISSING,
        column_config={"$ per M output tokens": st.column_config.NumberColumn(format="$%.3f"),
                       "$/h": st.column_config.NumberColumn(format="$%.3f")})
    st.caption(f"{costs.model_name}. Each replica runs the largest batch whose step fits the per-token budget of "
               f"the end-to-end target (as the capacity sizing does) and is busy {fmt.percent(costs.utilisation)} of "
               "the hours paid for. GPU instance only: CPU steps, platform, people, quiet hours and the availability "
               "floor are on the Results page.")
    if costs.unservable:
        with st.expander(f"{len(costs.unservable)} instance(s) cannot serve this workload"):
            st.markdown("\n".join(f"- {literal(reason)}" for reason in costs.unservable))


def _editor_frame(source: Source) -> pd.DataFrame:
    frame = pd.DataFrame([i.model_dump() for i in source.instances], columns=list(INSTANCE_COLUMNS))
    return frame.astype({"gpu_count": "Int64", "vcpus": "Int64"})


def _frame_csv(frame: pd.DataFrame, columns: tuple[str, ...]) -> str:
    cleaned = frame.astype(object).where(frame.notna(), None)
    return price_lists.records_to_csv(cleaned.to_dict("records"), columns)


def _read_draft(source: Source) -> tuple[bytes | str | None, bytes | str | None]:
    """The instance CSV and GPU-spec CSV the user supplied, by upload or by editing (None: nothing yet)."""
    mode = st.radio("How", [UPLOAD, EDIT], key="p.mode", horizontal=True, label_visibility="collapsed")
    if mode == UPLOAD:
        left, right = st.columns(2)
        prices = left.file_uploader("Prices (CSV, the columns of data/instances.csv)", type=["csv"], key="p.upload",
                                 max_upload_size=MAX_UPLOAD_MB)
        specs = right.file_uploader("GPU specs for GPU types the catalog lacks (optional CSV, the columns of "
                                    "data/gpus.csv)", type=["csv"], key="p.upload_gpus",
                                    max_upload_size=MAX_UPLOAD_MB)
        return (prices.getvalue() if prices else None), (specs.getvalue() if specs else None)
    st.caption(f"Starts from {'the catalog' if source.name is None else literal(source.name)}: change prices, add rows "
               "(the + under the table) or delete them. Prices are USD per instance-hour.")
    # One editor per source list: edits are kept by row position, so they must not carry over to another list.
    suffix = "catalog" if source.name is None else f"list.{source.name}"
    edited = st.data_editor(_editor_frame(source), key=f"p.editor.{suffix}", num_rows="dynamic", hide_index=True,
                            width="stretch")
    specs_frame = pd.DataFrame([g.model_dump() for g in source.gpus.values() if g.gpu not in load_gpus()
                                or g != load_gpus()[g.gpu]], columns=list(GPU_COLUMNS))
    st.caption("GPU specs for GPU types the catalog lacks (dense TFLOP/s, TB/s, GB).")
    edited_specs = st.data_editor(specs_frame, key=f"p.editor_gpus.{suffix}", num_rows="dynamic", hide_index=True,
                                  width="stretch")
    return _frame_csv(edited, INSTANCE_COLUMNS), (_frame_csv(edited_specs, GPU_COLUMNS) if len(edited_specs) else None)


def _parse_draft(prices: bytes | str | None, specs: bytes | str | None, mode: CatalogMode) -> PriceList | None:
    """The validated list, or None (nothing supplied yet, or its problems shown)."""
    if prices is None:
        return None
    try:
        return price_lists.parse_price_list(prices, specs, today=today(), catalog_mode=mode)
    except PriceListError as exc:
        st.error(f"**{len(exc.problems)} problem(s); fix them and try again.**\n\n"
                 + "\n".join(f"- {literal(p)}" for p in exc.problems), icon=":material/error:")
        return None


def _render_preview(draft: PriceList) -> None:
    """What saving stores: the parsed rows, and how many instances an assessment with the list chooses from."""
    st.success(f"Valid: {len(draft.instances)} instance row(s)"
               + (f" and {len(draft.gpus)} GPU spec row(s)" if draft.gpus else "") + ".")
    st.caption(f"The rows that will be saved. {CATALOG_MODES[draft.catalog_mode]}: an assessment that uses this list "
               f"chooses from {len(draft.evaluation_instances())} instance(s).")
    frame = pd.DataFrame([i.model_dump() for i in draft.instances], columns=list(INSTANCE_COLUMNS))
    st.dataframe(frame, hide_index=True, width="stretch", key="p.preview", placeholder=MISSING,
                 column_config={"source": st.column_config.TextColumn("source", width="large")})


def render_bring_your_own(source: Source) -> None:
    """Upload or edit a price list, see its problems row by row, and save it under a name."""
    st.markdown("Negotiated rates or another cloud: give the planner your prices. Rows are counted from the first "
                f"row after the header; files up to {price_lists.MAX_PRICE_LIST_BYTES // (1024 * 1024)} MB, UTF-8.")
    t1, t2, _ = st.columns([1, 1, 2])
    t1.download_button("Template: prices", (data_dir() / "instances.csv").read_bytes(), file_name="instances.csv",
                       mime="text/csv", key="p.template", icon=":material/download:")
    t2.download_button("Template: GPU specs", (data_dir() / "gpus.csv").read_bytes(), file_name="gpus.csv",
                       mime="text/csv", key="p.template_gpus", icon=":material/download:")
    prices, specs = _read_draft(source)
    mode: CatalogMode = st.radio(
        "The list's prices", list(CATALOG_MODES), key="p.catalog_mode", horizontal=True,
        format_func=CATALOG_MODES.__getitem__,
        help="Add: the list's rows replace the built-in rows of the same provider, instance and region, and every "
             "other built-in instance stays a choice. Replace: assessments that use the list choose only from its "
             "rows.")
    draft = _parse_draft(prices, specs, mode)
    if draft is not None:
        _render_preview(draft)
    save_control("p.", what="price list", kind="list", save=None if draft is None else partial(_save, draft),
                 placeholder="e.g. Negotiated AWS 2026", saved=_saved())


def _saved() -> dict[str, str]:
    """What each saved list holds, by name, for the confirmation of replacing one (empty when unreadable)."""
    try:
        return {s.name: f"{s.instance_count} instance row(s), saved {s.updated_at:%Y-%m-%d %H:%M} UTC"
                for s in price_lists.list_price_lists(db.engine())}
    except PlannerError:
        return {}  # the list picker above says why


def _save(draft: PriceList, name: str, replace: bool) -> str:
    """Save the list under the name; the notice to show."""
    summary = price_lists.save_price_list(db.engine(), name=name, price_list=draft, replace=replace)
    return (f"Saved price list “{summary.name}” ({summary.instance_count} rows; "
            f"{SAVED_MODES[summary.catalog_mode].lower()}). Choose it above to browse it, or on the Results page under "
            "What if.")


def render_saved_lists() -> None:
    """The saved lists with their dates, and deleting one."""
    try:
        summaries = price_lists.list_price_lists(db.engine())
    except PlannerError as exc:
        st.error(literal(str(exc)))
        return
    if not summaries:
        st.caption("No saved price lists yet.")
        return
    st.dataframe(pd.DataFrame([{"Name": s.name, "Instances": s.instance_count, "GPU specs": s.gpu_count,
                                "Providers": ", ".join(s.providers), "Oldest price": s.oldest_as_of,
                                "Catalog": SAVED_MODES[s.catalog_mode], "Saved (UTC)": f"{s.updated_at:%Y-%m-%d %H:%M}"}
                               for s in summaries]),
                 hide_index=True, width="stretch", key="p.saved", placeholder=MISSING)
    delete_control("p.", kind="list", names=[s.name for s in summaries],
                   delete=lambda name: price_lists.delete_price_list(db.engine(), name),
                   after="Assessments that named it need another list.")
