"""The Home page's parts: projects that need attention, project management, and export/import.

Actions return a ``state.Notice`` (or raise nothing): the page shows it; a failed action changes nothing.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

import planner
from planner import history, store
from planner.errors import PlannerError, StoreError
from planner.history import FiredTrigger, ProjectStatus
from planner.inputs.files import load_presets
from planner.inputs.limits import ACKNOWLEDGEMENT_NOTE_MAX_CHARS, NAME_MAX_CHARS
from planner.store import ProjectSummary
from ui import confirm, db, history_view, state
from ui.text import literal

NOTICE_KEY = "home.notice"  # one message for the next run of the Home page
ARCHIVE_KEY = "home.archive"  # the confirmation of archiving a project (ui.confirm), named after its button


def projects() -> list[ProjectSummary]:
    """Every project by name, archived ones included."""
    return store.list_projects(db.engine())


def statuses() -> list[ProjectStatus]:
    """Due date and fired triggers of every active project, as of today (UTC)."""
    return history.project_statuses(db.engine(), history.today_utc())


def set_notice(notice: state.Notice) -> None:
    """Show a message on the next run of the Home page."""
    st.session_state[NOTICE_KEY] = notice


def show_notice() -> None:
    """Show (once) the message left by the last action."""
    notice: state.Notice | None = st.session_state.pop(NOTICE_KEY, None)
    if notice is None:
        return
    (st.success if notice.kind == "success" else st.error)(literal(notice.text))
    for where, sentence in list(notice.field_errors.items())[:10]:
        st.caption(literal(f"{where}: {sentence}"))


def start_from_last(project: str) -> None:
    """Load the project's last answers (or the blank start under its name) as a new, unlabelled assessment."""
    latest = store.latest_assessment(db.engine(), project=project)
    if latest is None:
        base = load_presets()[state.DEFAULT_PRESET]
        state.replace_answers(base.model_copy(update={"project": project, "label": "", "notes": ""}))
        text = f"New assessment of “{project}”, starting from the default answers."
    else:
        state.replace_answers(latest.assessment.model_copy(update={"label": ""}))
        text = (f"New assessment of “{project}”, starting from the answers of #{latest.id} "
                f"({latest.created_at:%Y-%m-%d}). Update what changed and press Get recommendation.")
    state.set_notice(state.Notice("success", text))


def create(name: str) -> state.Notice:
    """Create an empty project."""
    try:
        created = store.create_project(db.engine(), name=name)
    except StoreError as exc:
        return state.Notice("error", str(exc))
    return state.Notice("success", f"Created the project “{created}”.")


def rename(name: str, new_name: str) -> state.Notice:
    """Rename a project; the History page follows it."""
    try:
        renamed = store.rename_project(db.engine(), name=name, new_name=new_name)
    except StoreError as exc:
        return state.Notice("error", str(exc))
    if st.session_state.get(history_view.PROJECT_KEY) == name:
        history_view.open_history(renamed)
    return state.Notice("success", f"Renamed “{name}” to “{renamed}”.")


def archive(name: str, archived: bool) -> state.Notice:
    """Archive or restore a project."""
    try:
        store.set_project_archived(db.engine(), name=name, archived=archived)
    except StoreError as exc:
        return state.Notice("error", str(exc))
    if archived:
        return state.Notice("success", f"Archived “{name}”: its assessments are kept; restore it to add new ones.")
    return state.Notice("success", f"Restored “{name}”.")


def ask_archive(project: str) -> None:
    """Ask, in a dialog, before archiving a project (``archive_dialog`` shows it)."""
    confirm.ask(ARCHIVE_KEY, project, title="Archive this project?", action_label="Archive", icon=":material/archive:",
                message=f"Archive project “{literal(project)}”? It keeps its assessments and can be restored from "
                        "Archived projects.")


def archive_dialog() -> None:
    """The confirmation of archiving a project, while asked for; Confirm archives it."""
    confirm.dialog(ARCHIVE_KEY, lambda project: set_notice(archive(project, True)))


def export_file(project: str) -> bytes:
    """The project's export as gzip-compressed JSON (import it here or with ``planner import``)."""
    document = store.export_project(db.engine(), project=project, app_version=planner.__version__)
    return store.dump_project_export(document, compress=True)


def import_file(content: bytes, filename: str) -> state.Notice:
    """Import a project export; on any problem nothing changes and the notice says why."""
    try:
        parsed = store.parse_project_export(content, filename=filename)
        report = store.import_project(db.engine(), parsed)
    except PlannerError as exc:
        return state.Notice.from_error(exc)
    skipped = f" {report.skipped_duplicates} already present were skipped." if report.skipped_duplicates else ""
    where = "a new project" if report.created_project else "the existing project"
    return state.Notice("success", f"Imported {len(report.imported_ids)} assessment(s) of “{report.project}” into "
                                   f"{where}.{skipped}")


def render_attention(rows: list[ProjectStatus]) -> str | None:
    """Projects past their revisit date and projects whose triggers fired; returns a project to re-assess."""
    due = [r for r in rows if r.due]
    fired = [r for r in rows if r.alarms]
    if not due and not fired:
        st.success("Nothing needs attention: no project is past its revisit date and no trigger fired.")
        return None
    picked = None
    today = history.today_utc()
    for i, row in enumerate(due):
        assert row.revisit_by is not None and row.latest is not None
        days = (today - row.revisit_by).days
        with st.container(border=True):
            text, action = st.columns([4, 1])
            text.markdown(f"**{literal(row.project.name)}** is due: revisit by {row.revisit_by.isoformat()} "
                          f"({'today' if days == 0 else f'{days} days ago'}). Last assessed "
                          f"{row.latest.created_at:%Y-%m-%d}: {row.latest.recommended.capitalize()}.")
            if action.button("Re-assess", key=f"home.due.{i}", icon=":material/refresh:"):
                picked = row.project.name
    for i, row in enumerate(fired):
        with st.container(border=True):
            text, action = st.columns([4, 1])
            lines = "\n".join(f"- {literal(f.description)}" for f in row.alarms)
            text.markdown(f"**{literal(row.project.name)}**: a re-assessment trigger fired on its latest "
                          f"inputs\n{lines}")
            if action.button("Re-assess", key=f"home.fired.{i}", icon=":material/refresh:"):
                picked = row.project.name
            _acknowledge_form(row.alarms, i)
    return picked


def _acknowledge_form(alarms: tuple[FiredTrigger, ...], index: int) -> None:
    """Acknowledge one fired trigger with a note and, optionally, a name; it then shows as acknowledged."""
    with st.expander("Acknowledge with a note"), st.form(f"home.ack_form.{index}", border=False):
        choice = st.selectbox("Trigger", range(len(alarms)), key=f"home.ack_pick.{index}",
                              format_func=lambda k: alarms[k].description)
        note = st.text_area("Note", key=f"home.ack_note.{index}", max_chars=ACKNOWLEDGEMENT_NOTE_MAX_CHARS,
                            placeholder="What was decided, e.g. the fleet was re-sized in #12")
        by = st.text_input("Your name (optional)", key=f"home.ack_by.{index}", max_chars=NAME_MAX_CHARS)
        if st.form_submit_button("Acknowledge", key=f"home.ack.{index}", icon=":material/task_alt:"):
            set_notice(acknowledge(alarms[choice], note, by))
            st.rerun()


def acknowledge(fired: FiredTrigger, note: str, by: str) -> state.Notice:
    """Record that a fired trigger was seen, at its current value, with the note and name given."""
    try:
        store.acknowledge_trigger(db.engine(), assessment_id=fired.set_by, trigger=fired.trigger, value=fired.value,
                                  note=note, by=by)
    except PlannerError as exc:
        return state.Notice.from_error(exc)
    return state.Notice("success", f"Acknowledged “{fired.description}”. It shows as acknowledged until a newer "
                                   "assessment changes its value.")


def render_acknowledged(rows: list[ProjectStatus]) -> None:
    """Fired triggers someone acknowledged at their current value: each with its note, who and when."""
    done = [(r.project.name, f) for r in rows for f in r.acknowledged]
    if not done:
        return
    with st.expander(f"Acknowledged triggers ({len(done)})", icon=":material/task_alt:"):
        for project, fired in done:
            ack = fired.acknowledgement
            if ack is None:
                continue
            who = f" by {ack.by}" if ack.by else ""
            st.markdown(f"**{literal(project)}**: {literal(fired.description)}  \n"
                        f"Acknowledged {ack.at:%Y-%m-%d %H:%M} UTC{literal(who)}:")
            st.markdown(literal(ack.note).replace("\n", "  \n"))  # keep the note's line breaks


def render_projects(rows: list[ProjectStatus]) -> None:
    """One line per active project: assessments, last recommendation, revisit date and status."""
    table = []
    for r in rows:
        status = ("Due" if r.due else "Trigger fired" if r.alarms else "Trigger acknowledged" if r.acknowledged
                  else "No assessment yet" if r.latest is None else "OK")
        table.append({"Project": r.project.name, "Assessments": r.project.assessment_count,
                      "Last assessed": f"{r.latest.created_at:%Y-%m-%d}" if r.latest else "—",
                      "Recommended": r.latest.recommended.capitalize() if r.latest else "—",
                      "Revisit by": r.revisit_by.isoformat() if r.revisit_by else "—", "Status": status})
    st.dataframe(pd.DataFrame(table), hide_index=True, width="stretch")
