"""The Estimates section of the Results page: cost, latency, fleet, assumptions, and what-if controls.

Every number comes from one ``planner.estimate.engine.evaluate`` call (cached by the assessment's content,
run in the server's evaluation pool: ui.evaluation);
the what-if controls build a changed copy of the assessment, validated like typed answers, and
evaluate that instead. Nothing here computes an estimate.
"""

from __future__ import annotations

from concurrent.futures.process import BrokenProcessPool
from typing import Any

import pandas as pd
import streamlit as st

from planner.errors import InputError, PlannerError
from planner.estimate.engine import list_assumptions
from planner.estimate.results import Evaluation
from planner.estimate.token_costs import token_costs
from planner.history import today_utc
from planner.inputs.catalog import load_gpus, load_llms
from planner.inputs.levers import LEVERS
from planner.inputs.models import Assessment, PricingOption
from planner.inputs.validation import validate_assessment
from planner.present import formats as fmt
from planner.present import tables
from planner.present.charts import cost_chart, latency_chart
from planner.present.warnings import result_warnings
from planner.store import price_lists
from planner.store.price_lists import PriceList
from ui import charts, db, sections
from ui.evaluation import OnProgress, api_list_json, evaluate_shared, evaluation_key, shared_evaluations
from ui.evaluation_worker import warm_up
from ui.tables import show_dataframe, show_table, show_wrapped
from ui.text import literal

WHATIF_KEY = "whatif.changes"  # session key of the applied what-if changes (a dict of field -> value)
PRICING_LABELS = {"on_demand": "On-demand", "spot": "Spot", "committed": "Committed (1-year)"}


@st.cache_resource(show_spinner=False)
def warm_evaluation_pool() -> None:
    """Start the evaluation pool's workers (ui.evaluation) once per server, before the first recommendation.

    A pool starts its processes only when work arrives; a cold start (the fork server, its imports, the
    catalogs: about 0.8 CPU-seconds against 1.1 for the default evaluation) would otherwise delay the
    first results, and under load it competes with every session for the cores.
    """
    shared = shared_evaluations()
    if shared.pool is None:
        return
    try:
        for _ in range(shared.workers):  # one task per worker: the pool starts a process per waiting task
            shared.pool.submit(warm_up)
    except (BrokenProcessPool, RuntimeError):
        return  # the first evaluation replaces a broken pool, as it would without this


def _evaluate(assessment_json: str, price_list_json: str, api_list_json: str = "",
              progress: OnProgress | None = None) -> Evaluation:
    # The price list's content is part of the key: a list saved again under the same name is re-read.
    # It runs in the server's evaluation pool (ui.evaluation), shared with identical requests of other sessions and
    # kept there for the sessions that ask again; ``progress`` hears its stages. (Not st.cache_data: a cached
    # function may not write to the page's elements, and the progress note is one.)
    if not price_list_json:
        return evaluate_shared(assessment_json, apis=api_list_json, on_progress=progress)
    prices = PriceList.model_validate_json(price_list_json)
    return evaluate_shared(assessment_json, prices.evaluation_instances(), prices.gpu_specs(), api_list_json,
                           on_progress=progress)


WAITING_ICON = ":material/hourglass_top:"


def stage_text(stage: str, share: float) -> str:
    """The progress note of an evaluation in a stage: 'Sizing and simulating the hybrid… (40 % done)'."""
    return f"{WAITING_ICON} {stage[:1].upper()}{stage[1:]}… ({share:.0%} done)"


def evaluation_for(assessment: Assessment) -> Evaluation | None:
    """The evaluation of an assessment with a progress note, or None after showing why it failed.

    The note names the stage the evaluation is in and the share done, as ``evaluate`` reports them (through the
    pool, ``ui.evaluation``). It is text, not ``st.spinner`` or ``st.status``, whose animated icons kept a
    waiting browser tab busy (about 0.1-0.2 CPU-seconds per second of waiting, measured with Chromium), which
    with many sessions waiting at once competed with the evaluation itself for the server's cores.
    """
    progress = st.empty()
    progress.caption(f"{WAITING_ICON} Sizing and simulating the three architectures…")

    def show(stage: str, share: float) -> None:
        progress.caption(stage_text(stage, share))

    try:
        prices = "" if assessment.price_list is None else (
            price_lists.load_price_list(db.engine(), assessment.price_list).model_dump_json())
        return _evaluate(evaluation_key(assessment), prices, api_list_json(assessment), progress=show)
    except PlannerError as exc:
        st.error(f"No estimate for these answers: {literal(str(exc))}")
        return None
    finally:
        progress.empty()


def _apply(assessment: Assessment, changes: dict[str, Any]) -> Assessment:
    data = assessment.model_dump(mode="json")
    for path, value in changes.items():
        if path == "assumption_overrides":
            data["assumption_overrides"] = {**data["assumption_overrides"], **value}
            continue
        if path == "price_list":
            data["price_list"] = value
            continue
        section, field = path.split(".")
        data[section][field] = value
    return validate_assessment(data)


WHATIF_LABEL = "What if… (change traffic, tokens, model, GPU, pricing or any assumption)"


def what_if(assessment: Assessment) -> Assessment:
    """What-if controls; returns the assessment to show (the answers, or a changed copy of them)."""
    changes: dict[str, Any] = st.session_state.get(WHATIF_KEY, {})
    box = sections.expander(WHATIF_LABEL, "whatif", expanded=bool(changes))
    if box is not None:
        with box:
            applied = _whatif_form(assessment, changes)
        if applied is None:
            return assessment  # refused: the form said why
        changes = applied
    if not changes:
        return assessment
    try:
        variant = _apply(assessment, {k: v for k, v in changes.items() if k != "traffic_factor"})
    except InputError as exc:
        st.error(literal(str(exc)))
        return assessment
    st.warning("Showing a **what-if** variant of your answers. Use *Back to my answers* to return.")
    return variant


def _whatif_form(assessment: Assessment, changes: dict[str, Any]) -> dict[str, Any] | None:
    """The what-if form; the changes to show (stored in the session when applied), or None when refused."""
    w = assessment.workload
    with st.form("whatif.form", border=False):
        c1, c2, c3 = st.columns(3)
        factor = c1.number_input("Traffic multiplier (mean and peak)", min_value=0.01, max_value=1000.0,
                                 value=float(changes.get("traffic_factor", 1.0)), step=0.5, key="whatif.traffic")
        tokens_in = c2.number_input("Mean input tokens", min_value=1, max_value=1_000_000, step=100,
                                    value=int(changes.get("workload.mean_input_tokens", w.mean_input_tokens)),
                                    key="whatif.input_tokens")
        tokens_out = c3.number_input("Mean output tokens", min_value=1, max_value=1_000_000, step=50,
                                     value=int(changes.get("workload.mean_output_tokens", w.mean_output_tokens)),
                                     key="whatif.output_tokens")
        c4, c5, c6 = st.columns(3)
        llms = load_llms()
        model = c4.selectbox("Model", list(llms), format_func=lambda k: llms[k].name, key="whatif.model",
                             index=list(llms).index(changes.get("workload.model_id", w.model_id)))
        gpus = c5.multiselect("GPU types", list(load_gpus()), key="whatif.gpus",
                              default=changes.get("workload.gpu_types", list(w.gpu_types)), placeholder="Any GPU")
        options = [p.value for p in PricingOption]
        pricing = c6.selectbox("Pricing", options, format_func=PRICING_LABELS.__getitem__, key="whatif.pricing",
                               index=options.index(changes.get("workload.pricing", w.pricing.value)))
        price_list = _price_list_choice(changes.get("price_list", assessment.price_list))
        overrides = _assumption_editor(assessment, changes.get("assumption_overrides", {}))
        apply_col, reset_col = st.columns([1, 5])
        applied = apply_col.form_submit_button("Re-evaluate", type="primary")
        reset = reset_col.form_submit_button("Back to my answers")
    if reset:
        st.session_state.pop(WHATIF_KEY, None)
        st.rerun()
    if not applied:
        return changes
    changes = {"traffic_factor": factor,
               "workload.mean_requests_per_s": w.mean_requests_per_s * factor,
               "workload.peak_requests_per_s": w.peak_requests_per_s * factor,
               "workload.mean_input_tokens": int(tokens_in), "workload.mean_output_tokens": int(tokens_out),
               "workload.model_id": model, "workload.gpu_types": gpus, "workload.pricing": pricing,
               "price_list": price_list, "assumption_overrides": overrides}
    try:
        _apply(assessment, {k: v for k, v in changes.items() if k != "traffic_factor"})
    except InputError as exc:
        for sentence in exc.field_errors.values() or [str(exc)]:
            st.error(literal(sentence))
        return None
    st.session_state[WHATIF_KEY] = changes
    return changes


def _price_list_choice(current: str | None) -> str | None:
    """A select box of the catalog and the saved price lists (the Prices page adds them)."""
    try:
        names = [s.name for s in price_lists.list_price_lists(db.engine())]
    except PlannerError:
        names = []
    options: list[str | None] = [None, *names]
    if current is not None and current not in options:
        options.append(current)  # a list that was deleted: keep it visible, the evaluation names the problem
    column, note = st.columns([1, 2])
    chosen = column.selectbox("Price list", options, index=options.index(current), key="whatif.price_list",
                              format_func=lambda n: "Built-in catalog" if n is None else n)
    note.caption("Prices of the GPU instances: the built-in catalog (data/instances.csv) or a list saved on the "
                 "Prices page (negotiated rates, another cloud).")
    return chosen


# Widths (px) that fit the what-if's assumption editor in the page at 1280 px; a long description ends in an
# ellipsis inside its column (the full text is in the Estimates' assumptions table) instead of widening the grid.
EDITOR_COLUMNS = {
    "key": st.column_config.TextColumn("key", width=230),
    "value": st.column_config.NumberColumn("value", format="%.4g", width=80),
    "unit": st.column_config.TextColumn("unit", width=120),
    "description": st.column_config.TextColumn("description", width=340),
}


def _assumption_editor(assessment: Assessment, current: dict[str, float]) -> dict[str, float]:
    """An editable table of every assumption; returns the values that differ from the assessment's own.

    The table starts from the assessment's values (its overrides included, engine levers among them), so
    setting a value back to its documented default is a change like any other.
    """
    try:
        rows = list_assumptions(assessment)
    except PlannerError:
        return current
    own = {a.key: a.value for a in rows}
    frame = pd.DataFrame([{"key": a.key, "value": current.get(a.key, a.value), "unit": a.unit,
                           "description": a.description} for a in rows])
    st.caption("Assumptions: edit a value to override it in this what-if (sources are listed under Estimates). "
               "The engine settings (" + ", ".join(lever.key for lever in LEVERS) + ") are answers of the Assess "
               "page's Inference engine section; a change here applies to this what-if only.")
    edited = st.data_editor(frame, key="whatif.assumptions", hide_index=True, width="stretch",
                            disabled=["key", "unit", "description"],
                            column_config=EDITOR_COLUMNS)
    out = {}
    for row in edited.itertuples():
        if pd.notna(row.value) and float(row.value) != own.get(str(row.key)):
            out[str(row.key)] = float(row.value)
    return out


def render_estimates(assessment: Assessment, evaluation: Evaluation) -> None:
    """Cost and latency per architecture, the fleet, and the assumptions behind them."""
    st.subheader("Estimates at peak and per month")
    for caution in result_warnings(assessment, evaluation, today_utc()):
        st.warning(literal(caution), icon=":material/warning:")
    every = tables.estimates_table(evaluation)
    summary = every.select(*(c for c in every.columns if c != "Requests over a target"))
    show_table(summary.frame())
    st.caption(f"{tables.model_text(assessment, evaluation)}; targets: {tables.targets_text(assessment)}. Latencies "
               f"are simulated (seed {evaluation.seed}) with 95 % confidence intervals.")
    cost_col, latency_col = st.columns(2)
    with cost_col:
        st.markdown("**Monthly cost by category**")
        charts.show(cost_chart, evaluation)
        st.caption(tables.budget_text(assessment, evaluation))
    with latency_col:
        st.markdown("**Latency at peak (p50 / p95 / p99, 95 % CI)**")
        charts.show(latency_chart, evaluation, assessment.workload)
    for estimate in evaluation.estimates.values():
        for note in estimate.notes:
            st.warning(literal(f"{estimate.architecture.label}: {note}"))
    if box := sections.expander("Fleet per architecture", "fleet"):
        with box:
            show_wrapped(tables.fleet_summary_table(evaluation))
            st.caption(literal(tables.fleet_note(evaluation)))
            fallbacks = tables.fallback_price_notes(evaluation)
            if fallbacks:
                st.caption("Priced on-demand for want of the chosen option's price: "
                           + " ".join(literal(note) for note in fallbacks))
    if box := sections.expander("Utilisation and queueing per component at peak (simulated)", "stations"):
        with box:
            show_dataframe(tables.stations_table(evaluation))
            st.caption(tables.stations_note(evaluation))
    if box := sections.expander("Cost lines: every dollar with its formula", "cost_lines"):
        with box:
            show_wrapped(tables.cost_lines_table(evaluation))
    _render_token_costs(assessment)
    _render_assumptions(assessment, evaluation)


def _render_assumptions(assessment: Assessment, evaluation: Evaluation) -> None:
    """Every assumption with its source and date, and the instance prices used."""
    box = sections.expander("Assumptions, with sources and dates", "assumptions")
    if box is None:
        return
    with box:
        show_wrapped(tables.assumptions_table(evaluation))
        source = ("the built-in catalog (data/instances.csv)" if assessment.price_list is None
                  else f"the saved price list “{literal(assessment.price_list)}”")
        st.caption(f"Instance prices from {source}:")
        show_wrapped(tables.instance_prices_table(evaluation))


def _render_token_costs(assessment: Assessment) -> None:
    """Cost per million output tokens on the cheapest instance of each GPU type, for this workload."""
    box = sections.expander("Cost per million output tokens by GPU type (GPU instance only)", "token_costs")
    if box is None:
        return
    try:
        engine = db.engine()
        costs = token_costs(assessment, price_lists.instances_for(engine, assessment.price_list),
                            price_lists.gpus_for(engine, assessment.price_list))
    except PlannerError:
        box.caption("No figures: the estimates above say what is wrong with the answers or the price list.")
        return
    with box:
        if not costs.rows:
            st.caption("No GPU type in the price list can serve this workload.")
            return
        st.dataframe(pd.DataFrame([{"GPU": r.gpu, "Cheapest at": f"{r.provider} {r.instance}",
                                    "$ per M output tokens": round(r.usd_per_million_output_tokens, 4),
                                    "Price used": r.price_basis,
                                    "Batch": r.batch, "GPUs per replica": r.tensor_parallel}
                                   for r in costs.cheapest_per_gpu()]), hide_index=True, width="stretch")
        st.caption(f"Every GPU type in the price list, whatever the allowed GPU types, at the largest batch that "
                   f"fits the per-token budget and {fmt.percent(costs.utilisation)} busy; the Prices page has the "
                   "details.")
