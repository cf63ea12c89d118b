"""The History page's parts: a project's timeline charts, workshops behind assessments, comparisons, attribution.

Every number comes from ``planner.history`` (timeline, compare, attribute) over saved assessments;
this module only lays them out. Attribution re-evaluates up to eight mixtures of old and new inputs,
so it runs on a button press, shows a line per re-evaluation, and is kept per server process by the
two assessment ids and the database. The project and the two assessments compared are in the page's link
(``ui.links``: ``history?project=NAME&a=ID&b=ID``).
"""

from __future__ import annotations

import time

import altair as alt
import pandas as pd
import streamlit as st

from planner import history, store
from planner.errors import PlannerError
from planner.history import Attribution, Comparison, TimelinePoint
from planner.history.attribution import Progress
from planner.inputs.models import Architecture
from planner.present import history_charts
from planner.store import StoredAssessment
from planner.store.settings import database_url
from planner.store.workshops import WorkshopLink
from ui import db, links, workshop_provenance
from ui.evaluation import evaluate_shared, evaluate_shared_batch
from ui.shown import shown_index
from ui.tables import show_table
from ui.text import literal

PROJECT_KEY = "history.project"  # session key: the project the History page shows (set by the Home page)
OLDER_KEY, NEWER_KEY = "h.old", "h.new"  # session keys: the ids of the two assessments compared
EXPLAINED_KEY = "history.explained"  # session key: the (old id, new id) pair whose attribution is shown
ARCH_ORDER = [a.label for a in Architecture]
ARCH_COLORS = ["#1565c0", "#ef6c00", "#6a1b9a"]  # monolith, hybrid, microservices
CHART_HEIGHT_PX = 220
READINESS_COLOR = "#2e7d32"
ATTRIBUTIONS_KEPT = 16  # finished attributions kept per server process
TIME_AXIS = alt.Axis(format="%b %d, %H:%M", labelAngle=0, labelOverlap="greedy")


def open_history(project: str) -> None:
    """Show this project on the History page's next run."""
    st.session_state[PROJECT_KEY] = project


def open_link() -> None:
    """Open the project, and the comparison, that a link names (``ui.links``); say in plain words what is wrong."""
    linked = links.arrived(links.PROJECT, links.OLDER, links.NEWER)
    if not linked:
        return
    try:
        if links.PROJECT not in linked:
            raise links.LinkError("The link compares two assessments but names no project.")
        names = [p.name for p in store.list_projects(db.engine())]
        project = links.choice(linked[links.PROJECT], names, what="project",
                               gone=": it may have been renamed or deleted")
    except links.LinkError as exc:
        links.warn([str(exc)], "The History page shows another project instead.")
        return
    except PlannerError:
        return  # the project picker says why the projects cannot be read
    open_history(project)
    if links.OLDER in linked or links.NEWER in linked:
        try:
            _open_pair(project, linked.get(links.OLDER, ""), linked.get(links.NEWER, ""))
        except links.LinkError as exc:
            links.publish({links.OLDER: None, links.NEWER: None})
            links.warn([str(exc)], "The comparison shows the two latest assessments instead.")


def _open_pair(project: str, older: str, newer: str) -> None:
    """Compare the two assessments of ``project`` a link names by id."""
    ids = [s.id for s in assessments_of(project)]
    pair = []
    for what, value in (("older assessment", older), ("newer assessment", newer)):
        if not value:
            raise links.LinkError(f"The link names no {what} to compare.")
        assessment_id = links.ident(value, what=what)
        if assessment_id not in ids:
            raise links.LinkError(f"The link's {what} #{assessment_id} is not a saved assessment of the project "
                                  f"{links.quoted(project)}: it may have been deleted.")
        pair.append(assessment_id)
    if pair[0] == pair[1]:
        raise links.LinkError(f"The link compares assessment #{pair[0]} with itself.")
    st.session_state[OLDER_KEY], st.session_state[NEWER_KEY] = pair


def pick_project() -> str | None:
    """The project picker (first shown: the one the Home page or a link opened); None, after saying why, when there
    is none. The address bar follows the project picked."""
    try:
        names = [p.name for p in store.list_projects(db.engine())]
    except PlannerError as exc:
        st.error(literal(str(exc)))
        return None
    if not names:
        st.info("No project yet. Save an assessment from the Results page, or create a project on the Home page.")
        return None
    if st.session_state.get(PROJECT_KEY) not in names:
        st.session_state[PROJECT_KEY] = names[0]
    pick, link = st.columns([5, 1], vertical_alignment="bottom")
    project: str = pick.selectbox("Project", names, shown_index(names, PROJECT_KEY), key=PROJECT_KEY)
    if st.query_params.get(links.PROJECT) != project:  # another project (or none yet): its own pair
        links.publish({links.PROJECT: project, links.OLDER: None, links.NEWER: None})
    with link:
        links.show(links.HISTORY, {links.PROJECT: project}, what="this project's history", key="h.link")
    return project


def pick_pair(project: str, stored: list[StoredAssessment]) -> tuple[int, int] | None:
    """The Older and Newer pickers (first shown: the two latest, or the two a link named), kept in the address;
    None, after saying why, when the project has fewer than two assessments."""
    if len(stored) < 2:
        links.publish({links.OLDER: None, links.NEWER: None})
        st.info("Save a second assessment of this project to compare the two.")
        return None
    by_id = {s.id: s for s in stored}
    ids = list(by_id)
    for key, default in ((OLDER_KEY, ids[-2]), (NEWER_KEY, ids[-1])):
        if st.session_state.get(key) not in by_id:
            st.session_state[key] = default
    left, right, link = st.columns([3, 3, 1], vertical_alignment="bottom")
    old_id: int = left.selectbox("Older", ids, shown_index(ids, OLDER_KEY), format_func=lambda i: title(by_id[i]),
                                 key=OLDER_KEY)
    new_id: int = right.selectbox("Newer", ids, shown_index(ids, NEWER_KEY), format_func=lambda i: title(by_id[i]),
                                  key=NEWER_KEY)
    links.publish({links.OLDER: old_id, links.NEWER: new_id})
    with link:
        links.show(links.HISTORY, {links.PROJECT: project, links.OLDER: old_id, links.NEWER: new_id},
                   what="this comparison", key="h.pair_link")
    return old_id, new_id


def assessments_of(project: str) -> list[StoredAssessment]:
    """A project's saved assessments, oldest first."""
    return store.project_assessments(db.engine(), project=project)


def _architecture_scale() -> alt.Scale:
    return alt.Scale(domain=ARCH_ORDER, range=ARCH_COLORS)


def timeline_frame(points: list[TimelinePoint]) -> pd.DataFrame:
    """Long-form rows: one per (assessment, architecture) with score, monthly cost and p95 latency."""
    rows = []
    for p in points:
        for a in Architecture:
            rows.append({"id": f"#{p.id}", "saved": p.created_at, "label": p.label or "—", "architecture": a.label,
                         "score": p.scores.get(a), "cost": p.monthly_cost_usd.get(a), "p95": p.p95_e2e_ms.get(a),
                         "recommended": a.value == p.recommended, "readiness": p.readiness_mean})
    return pd.DataFrame(rows)


def _line(frame: pd.DataFrame, field: str, title: str, fmt: str) -> alt.Chart:
    data = frame.dropna(subset=[field])
    return alt.Chart(data, title=title, height=CHART_HEIGHT_PX).mark_line(point=True).encode(
        x=alt.X("saved:T", title=None, axis=TIME_AXIS),
        y=alt.Y(f"{field}:Q", title=None, axis=alt.Axis(format=fmt)),
        color=alt.Color("architecture:N", scale=_architecture_scale(), title="Architecture"),
        tooltip=["id:N", "label:N", "architecture:N", alt.Tooltip(f"{field}:Q", format=fmt)],
    )


def render_timeline(points: list[TimelinePoint]) -> None:
    """Four charts over time: the recommendation, scores, monthly cost and the team's readiness."""
    frame = timeline_frame(points)
    picked = frame[frame["recommended"]]
    recommendation = alt.Chart(picked, title="Recommendation", height=CHART_HEIGHT_PX).mark_point(
        filled=True, size=140).encode(
        x=alt.X("saved:T", title=None, axis=TIME_AXIS),
        y=alt.Y("architecture:N", title=None, sort=ARCH_ORDER, scale=alt.Scale(domain=ARCH_ORDER)),
        color=alt.Color("architecture:N", scale=_architecture_scale(), legend=None),
        tooltip=["id:N", "label:N", "architecture:N", alt.Tooltip("score:Q", format=".1f")],
    )
    readiness = alt.Chart(frame.drop_duplicates("id"), title="Team readiness (mean level, 0-4)",
                          height=CHART_HEIGHT_PX).mark_line(
        color=READINESS_COLOR, point=alt.OverlayMarkDef(color=READINESS_COLOR)).encode(
        x=alt.X("saved:T", title=None, axis=TIME_AXIS),
        y=alt.Y("readiness:Q", title=None, scale=alt.Scale(domain=[0, 4])),
        tooltip=["id:N", "label:N", alt.Tooltip("readiness:Q", format=".2f")],
    )
    left, right = st.columns(2)
    left.altair_chart(recommendation, width="stretch")
    right.altair_chart(_line(frame, "score", "Score per architecture (points)", ".1f"), width="stretch")
    left, right = st.columns(2)
    if frame["cost"].notna().any():
        left.altair_chart(_line(frame, "cost", "Monthly cost (USD)", "$,.0f"), width="stretch")
    else:
        left.info("No estimates were saved with these assessments, so there is no cost line.")
    right.altair_chart(readiness, width="stretch")


def render_table(points: list[TimelinePoint], links: dict[int, WorkshopLink]) -> None:
    """One line per assessment: when, label, recommendation, its cost, the revisit date and its workshop."""
    rows = []
    for p in points:
        top = next((a for a in Architecture if a.value == p.recommended), None)
        cost = p.monthly_cost_usd.get(top) if top else None
        rows.append({"Id": p.id, "Saved (UTC)": p.created_at.strftime("%Y-%m-%d %H:%M"), "Label": p.label,
                     "Recommended": p.recommended.capitalize(), "Confidence": (p.confidence or "—").capitalize(),
                     "Monthly cost": "—" if cost is None else f"${cost:,.0f}",
                     "Peak req/s": f"{p.peak_requests_per_s:g}", "Revisit by": p.revisit_by.isoformat(),
                     "From workshop": workshop_provenance.code_column(links, p.id), "Version": p.app_version})
    show_table(pd.DataFrame(rows[::-1]), whole=("Saved (UTC)",))  # a static table: ten columns fit at 1280 px


def render_workshops(stored: list[StoredAssessment], links: dict[int, WorkshopLink]) -> None:
    """The assessments that came from a workshop, newest first: the workshop line and the answers behind each."""
    if not links:
        return
    records = workshop_provenance.records(links)
    st.subheader("From workshops")
    for s in reversed(stored):
        record = records.get(s.id)
        if record is None:
            continue
        st.markdown(f"**Assessment #{s.id}**, saved {s.created_at:%Y-%m-%d %H:%M} UTC, recommends "
                    f"{s.recommended.capitalize()}")
        workshop_provenance.render(s.id, record, key=f"h.workshop.{s.id}")


def title(stored: StoredAssessment) -> str:
    """How an assessment is named in the pickers."""
    label = f" · {stored.label}" if stored.label else ""
    return f"#{stored.id}{label} ({stored.created_at:%Y-%m-%d %H:%M}, {stored.recommended})"


def _signed(value: float | None, fmt: str) -> str:
    return "—" if value is None else format(value, "+" + fmt)


def _plain(value: float | None, fmt: str) -> str:
    return "—" if value is None else format(value, fmt)


def render_comparison(comparison: Comparison) -> None:
    """Recommendation change, answers changed and per-architecture deltas."""
    if comparison.old_top is None or comparison.new_top is None:
        st.info("One of the two has no readable recommendation saved.")
    elif comparison.recommendation_changed:
        st.warning(f"The recommendation changed from **{comparison.old_top.label}** to "
                   f"**{comparison.new_top.label}**.")
    else:
        st.success(f"The recommendation stayed **{comparison.new_top.label}**.")
    if comparison.prices_changed is None:
        st.caption("The older assessment was saved without a price snapshot; price changes cannot be shown.")
    elif comparison.prices_changed:
        st.caption("The prices differ between the two: their price snapshots (instance prices and the GPU specs "
                   "those prices use) are not the same.")
    else:
        st.caption("Both used the same prices and GPU specs.")
    st.markdown("**Answers changed**")
    if comparison.answers_changed:
        show_table(pd.DataFrame([{"Answer": c.label, "Before": c.old, "After": c.new}
                                 for c in comparison.answers_changed]))
    else:
        st.write("No answer changed.")
    st.markdown("**Estimates per architecture** (new minus old)")
    show_table(pd.DataFrame([{
        "Architecture": d.architecture.label,
        "Score": f"{_plain(d.old_score, '.1f')} → {_plain(d.new_score, '.1f')} ({_signed(d.score_delta, '.1f')})",
        "Monthly cost": f"{_plain(d.old_cost_usd, ',.0f')} → {_plain(d.new_cost_usd, ',.0f')} USD "
                        f"({_signed(d.cost_delta_usd, ',.0f')})",
        "p95 end-to-end": f"{_plain(d.old_p95_e2e_ms, ',.0f')} → {_plain(d.new_p95_e2e_ms, ',.0f')} ms "
                          f"({_signed(d.p95_e2e_delta_ms, ',.0f')})",
        "p95 first token": f"{_plain(d.old_p95_ttft_ms, ',.0f')} → {_plain(d.new_p95_ttft_ms, ',.0f')} ms "
                           f"({_signed(d.p95_ttft_delta_ms, ',.0f')})",
    } for d in comparison.estimates]))


ExplainedKey = tuple[str, int, int]  # database URL, older id, newer id


@st.cache_resource(show_spinner=False)
def _explained() -> dict[ExplainedKey, Attribution]:
    """Finished attributions shared by every session of this server process (oldest dropped first).

    Not ``st.cache_data``: the progress lines are written while the attribution runs, into a block made
    outside it, which cached functions cannot replay.
    """
    return {}


def _attribute(old_id: int, new_id: int, progress: Progress) -> Attribution:
    engine = db.engine()
    old = store.load_assessment(engine, assessment_id=old_id)
    new = store.load_assessment(engine, assessment_id=new_id)
    # Each side priced by the one rule of history.reevaluate: its own price snapshot. The mixtures are
    # evaluated in the server's evaluation pool (ui.evaluation), off this page's thread, each distinct one once, all
    # by one worker: the fleets it simulates for one workload serve every price list and team.
    return history.attribute(old, new, engine=engine, prices="saved", evaluator=evaluate_shared,
                             batch=evaluate_shared_batch, progress=progress)


def attribution_for(old_id: int, new_id: int) -> Attribution:
    """The attribution of the change between two saved assessments (kept), with a line per re-evaluation."""
    kept, key = _explained(), (database_url(), old_id, new_id)
    if key in kept:
        return kept[key]
    status = st.status("Re-evaluating the mixtures of older and newer inputs…", expanded=True)
    bar = status.progress(0.0)
    started = last = time.monotonic()

    def progress(done: int, total: int, mixture: str) -> None:
        nonlocal last
        now = time.monotonic()
        status.write(f":material/check: {done} of {total}: {literal(mixture)} ({now - last:.1f} s)")
        bar.progress(done / total, text=f"Re-evaluated {done} of {total} mixtures of older and newer inputs")
        last = now

    try:
        explained = _attribute(old_id, new_id, progress)
    except PlannerError:
        status.update(label="The change could not be explained", state="error")
        raise
    bar.empty()
    status.update(label=f"Explained the change in {time.monotonic() - started:.1f} s", state="complete",
                  expanded=False)
    kept[key] = explained
    while len(kept) > ATTRIBUTIONS_KEPT:
        kept.pop(next(iter(kept)), None)
    return explained


def render_attribution(attribution: Attribution) -> None:
    """A waterfall of the monthly cost per architecture, from the older to the newer, and every share in a table."""
    st.markdown("**Monthly cost from the older to the newer assessment, by cause**")
    st.caption("Red steps raise the monthly cost, green steps lower it; grey bars are the two assessments' totals.")
    for chart in history_charts.waterfall_charts(attribution):
        st.altair_chart(chart, width="stretch")
    rows = []
    for a in attribution.architectures:
        rows.append({"Architecture": a.architecture.label, "Cause": "Total change",
                     "Monthly cost (USD)": f"{a.new_cost_usd - a.old_cost_usd:+,.0f}",
                     "p95 end-to-end (ms)": f"{a.new_p95_e2e_ms - a.old_p95_e2e_ms:+,.0f}",
                     "Score (points)": f"{a.new_score - a.old_score:+.2f}"})
        rows += [{"Architecture": "", "Cause": s.label, "Monthly cost (USD)": f"{s.cost_usd:+,.0f}",
                  "p95 end-to-end (ms)": f"{s.p95_e2e_ms:+,.0f}", "Score (points)": f"{s.score:+.2f}"}
                 for s in a.shares]
    show_table(pd.DataFrame(rows))
    st.caption("Each cause's share is its average effect over every order of switching prices, workload and team "
               "from the older to the newer assessment (re-evaluated with the engine), so the shares add up.")
    for note in attribution.notes:
        st.caption(literal(note))
