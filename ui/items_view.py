"""The History page's improvement items: a project's readiness gaps and roadmap steps, kept across re-assessments.

A table of the items with filters (status, source); a form to change one item's status, owner and due date, with
the name of who edits, kept with each change of status; downloads of the CSV that issue trackers import and of
Markdown; and a chart of what each saved assessment opened, reopened and marked done. The items come from
``planner.store.items`` and every table, file and count from ``planner.present.items``; typed text is shown
through ``ui.text.literal`` where Streamlit renders Markdown, and tables through ``ui.tables.show_table``.
"""

from __future__ import annotations

from datetime import date

import altair as alt
import pandas as pd
import streamlit as st

from planner.errors import PlannerError
from planner.inputs.limits import ITEM_NOTE_MAX_CHARS, NAME_MAX_CHARS
from planner.present.decision_records import slug
from planner.present.items import (
    changes_per_assessment,
    event_text,
    items_csv,
    items_markdown,
    items_table,
    status_counts,
)
from planner.present.tables import Table
from planner.store import items as item_store
from planner.store.item_sync import KIND_LABELS, ItemStatus
from planner.store.items import Item
from ui import auth, db
from ui.shown import shown_index
from ui.tables import show_table
from ui.text import literal

STATUS_KEY = "items.status"  # session keys of the filters, the editor's name, the item picked and the last change
SOURCE_KEY = "items.source"
BY_KEY = "items.by"
PICK_KEY = "items.pick"
DONE_KEY = "items.changed"
WHOLE_COLUMNS = ("ID", "Due")  # ids and dates break at no hyphen
DEFAULT_STATUSES = [ItemStatus.OPEN.label, ItemStatus.IN_PROGRESS.label]
FLOW_COLORS = {"Opened": "#1565c0", "Reopened": "#ef6c00", "Done": "#2e7d32"}
CHART_HEIGHT_PX = 200
CAPTION = ("Each readiness gap and roadmap step of the saved assessments, kept across re-assessments: a new "
           "assessment marks done the items whose gap it no longer finds, reopens those whose gap comes back and "
           "opens new ones. Owners, due dates and “won't do” are yours: the planner never changes them.")


def render(project: str) -> None:
    """The section: filters, the items' table, downloads, the editor and the chart of changes per assessment."""
    st.subheader("Improvement items")
    st.caption(CAPTION)
    try:
        items = item_store.project_items(db.engine(), project=project)
    except PlannerError as exc:
        st.error(literal(str(exc)))
        return
    if not items:
        st.info("No improvement items yet: the next saved assessment of this project opens one for each readiness "
                "gap and roadmap step it names.")
        return
    shown = _filtered(items)
    st.caption(f"{len(items)} items: {status_counts(items)}.")
    if shown:
        _table(items_table(shown))
        _downloads(shown, project)
    else:
        st.info("No item has the statuses and sources picked.")
    _editor(shown or items)
    _flow(items)


def _filtered(items: list[Item]) -> list[Item]:
    left, right = st.columns(2)
    statuses = left.multiselect("Status", [s.label for s in ItemStatus], default=DEFAULT_STATUSES, key=STATUS_KEY)
    sources = right.multiselect("Source", list(KIND_LABELS.values()), default=list(KIND_LABELS.values()),
                                key=SOURCE_KEY)
    return [i for i in items if i.status.label in statuses and i.source in sources]


def _table(table: Table) -> None:
    """A static table that wraps, but not inside an id or a date."""
    show_table(table.frame(), whole=WHOLE_COLUMNS)


def _downloads(shown: list[Item], project: str) -> None:
    name = f"improvement-items-{slug(project)}"
    left, right = st.columns(2)
    left.download_button(f"CSV for issue trackers ({len(shown)} items)",
                         data=items_csv(shown).encode("utf-8"), file_name=f"{name}.csv", mime="text/csv",
                         key="items.csv", icon=":material/table_view:", on_click="ignore")
    right.download_button(f"Markdown ({len(shown)} items)",
                          data=items_markdown(shown, project).encode("utf-8"), file_name=f"{name}.md",
                          mime="text/markdown", key="items.md", icon=":material/description:", on_click="ignore")


def _editor(candidates: list[Item]) -> None:
    """Pick an item, then change its status, owner or due date in its own form."""
    st.markdown("**Change an item**")
    changed = st.session_state.pop(DONE_KEY, None)
    if changed:
        st.success(literal(changed))
    by_id = {i.id: i for i in candidates}
    if st.session_state.get(PICK_KEY) not in by_id:
        st.session_state[PICK_KEY] = next(iter(by_id))
    signed_in_as = auth.author_name()
    if signed_in_as:  # the store records the signed-in identity with each change
        by = signed_in_as
        st.caption(literal(f"Changes of status are kept under your sign-in, {signed_in_as}."))
    else:
        by = st.columns(2)[0].text_input("Your name (kept with each change of status)", key=BY_KEY,
                                         max_chars=NAME_MAX_CHARS, placeholder="Who is editing")
    picked = st.selectbox("Item", list(by_id), shown_index(list(by_id), PICK_KEY), key=PICK_KEY,
                          format_func=lambda i: f"{by_id[i].display_id} · {by_id[i].title}")
    _form(by_id[picked], by)
    with st.expander(f"History of {by_id[picked].display_id} ({len(by_id[picked].events)} changes of status)"):
        st.markdown("\n".join(f"- {literal(event_text(e))}" for e in by_id[picked].events))


def _form(item: Item, by: str) -> None:
    keys = {field: f"items.{field}.{item.id}" for field in ("status", "owner", "due", "note", "save")}
    with st.form(f"items.form.{item.id}"):
        st.caption(literal(f"{item.source} ({item.architecture.label}): {item.detail}"))
        left, middle, right = st.columns(3)
        status = left.selectbox("Status", list(ItemStatus), index=list(ItemStatus).index(item.status),
                                format_func=lambda s: s.label, key=keys["status"])
        owner = middle.text_input("Owner", value=item.owner, max_chars=NAME_MAX_CHARS, key=keys["owner"])
        due: date | None = right.date_input("Due date", value=item.due, format="YYYY-MM-DD", key=keys["due"])
        note = st.text_input("Note on the change of status (optional)", max_chars=ITEM_NOTE_MAX_CHARS,
                             key=keys["note"])
        submitted = st.form_submit_button("Save the item", icon=":material/save:", key=keys["save"])
    if not submitted:
        return
    try:
        saved = item_store.set_item(db.engine(), item_id=item.id, status=status, owner=owner, due=due, by=by,
                                    note=note)
    except PlannerError as exc:
        st.error(literal(str(exc)))
        return
    for key in keys.values():  # the next run shows the item as stored
        st.session_state.pop(key, None)
    st.session_state[DONE_KEY] = (f"{saved.display_id} saved: {saved.status.label}, owner "
                                  f"{saved.owner or 'not set'}, due {saved.due or 'not set'}.")
    st.rerun()


def _flow(items: list[Item]) -> None:
    """What each saved assessment opened, reopened and marked done, as stacked bars in the order they were saved."""
    table = changes_per_assessment(items)
    if not table.rows:
        return
    order = [str(row[0]) for row in table.rows]
    frame = pd.DataFrame([{"assessment": row[0], "saved": row[1], "change": change, "items": row[i]}
                          for row in table.rows for i, change in enumerate(FLOW_COLORS, start=2)])
    chart = alt.Chart(frame, title="Items each assessment opened, reopened and marked done",
                      height=CHART_HEIGHT_PX).mark_bar().encode(
        x=alt.X("assessment:N", title="Saved assessment", sort=order, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("items:Q", title="Items", axis=alt.Axis(tickMinStep=1)),
        color=alt.Color("change:N", title=None, sort=list(FLOW_COLORS),
                        scale=alt.Scale(domain=list(FLOW_COLORS), range=list(FLOW_COLORS.values()))),
        tooltip=["assessment:N", "saved:N", "change:N", "items:Q"])
    st.altair_chart(chart, width="stretch")
