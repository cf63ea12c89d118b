"""A project's members and audit log (the "Members and log" page), and the price lists' log.

Everyone who may read a project sees its members and its log; owners add members, change roles and remove members,
each after a confirmation. The store checks every role (``planner.store.access``); this view only offers what the
role allows and shows a refusal in plain words.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from planner import store
from planner.errors import PlannerError, StoreError
from planner.present.audit import audit_csv, audit_rows
from planner.store import AuditEvent, Member, Role
from planner.store.access import member_identity
from ui import auth, confirm, links
from ui.db import engine
from ui.shown import shown_index
from ui.tables import show_table
from ui.text import literal

PROJECT_KEY = "access.project"
NOTICE_KEY = "access.notice"
ROLES = [r.value for r in Role]
LOG_ROWS_SHOWN = 100  # the newest events shown on the page; the CSV download has the whole log


def pick_project() -> str | None:
    """The project from a link (``project?project=NAME``) or the picker; None when the user may read none."""
    names = [p.name for p in store.list_projects(engine())]
    if not names:
        st.info("No project you may read yet. Create one on the Home page, or ask a project's owner to add you.")
        return None
    arrived = links.arrived(links.PROJECT).get(links.PROJECT)
    if arrived is not None:
        if arrived in names:
            st.session_state[PROJECT_KEY] = arrived
        else:
            st.warning(f"The link names the project {links.quoted(arrived)}, which does not exist or which you "
                       "may not read; pick one below.")
    project = st.selectbox("Project", names, shown_index(names, PROJECT_KEY), key=PROJECT_KEY)
    links.publish({links.PROJECT: project})
    links.show("project", {links.PROJECT: project}, what="this project's members and log", key="access.link")
    return project


def open_project(project: str) -> None:
    """Show this project on the Members and log page's next run."""
    st.session_state[PROJECT_KEY] = project


def owns(project: str) -> bool:
    """Whether the user may rename, archive and manage the project (its owner, an admin, or sign-in off)."""
    try:
        return store.role_in(engine(), project=project) is Role.OWNER
    except PlannerError:
        return False


def render_role(project: str) -> Role | None:
    """The user's role in the project, said in a line (and what sign-in being off means)."""
    role = store.role_in(engine(), project=project)
    if not auth.sign_in_on():
        st.caption("Sign-in is off: everyone who opens this app acts as an instance admin. Members and roles apply "
                   "once sign-in is configured (see the README, Deploying for a team).")
    else:
        st.caption(f"Your role in this project: **{auth.role_words(role)}**.")
    return role


def members_frame(members: list[Member]) -> pd.DataFrame:
    """The members as a table: address, role, who added them and when (UTC)."""
    return pd.DataFrame({
        "Member": [m.member for m in members],
        "Role": [m.role.value for m in members],
        "Added by": [m.added_by for m in members],
        "Added (UTC)": [m.added_at.strftime("%Y-%m-%d %H:%M") for m in members],
    })


def render_members(project: str, role: Role | None) -> None:
    """The member list, and for owners the form to add, change or remove a member."""
    members = store.project_members(engine(), project=project)
    if members:
        st.dataframe(members_frame(members), hide_index=True, width="stretch")
    else:
        st.write("No members yet: every signed-in user may read this project and save to it as an editor. An "
                 "instance admin names its first owner below.")
    if role is not Role.OWNER:
        return
    with st.form("access.member_form", border=False):
        address, choice, submit = st.columns([3, 1, 1], vertical_alignment="bottom")
        member = address.text_input("E-mail address", key="access.member", max_chars=120,
                                    help="The address the person signs in with.")
        new_role = choice.selectbox("Role", ROLES, index=1, key="access.role")
        if submit.form_submit_button("Add or change", icon=":material/person_add:", key="access.set"):
            _ask_role_change(project, member, new_role, members)
    if members:
        gone = st.selectbox("Member to remove", [m.member for m in members], key="access.remove_pick")
        if st.button("Remove member", key="access.remove", icon=":material/person_remove:"):
            confirm.ask("access.remove", (project, gone), title="Remove this member?", action_label="Remove",
                        message=f"Remove {literal(gone)} from “{literal(project)}”? They lose access to it (unless "
                                "they are an instance admin).", icon=":material/person_remove:")
    confirm.dialog("access.set", lambda s: _done(store.set_member(engine(), project=s[0], member=s[1], role=s[2]),
                                                 f"{s[1]} is now {s[2]} of “{s[0]}”."))
    confirm.dialog("access.remove", lambda s: _done(store.remove_member(engine(), project=s[0], member=s[1]),
                                                    f"{s[1]} was removed from “{s[0]}”."))


def _ask_role_change(project: str, member: str, role: str, members: list[Member]) -> None:
    if not member.strip():
        st.error("Enter the e-mail address of the person to add.")
        return
    try:
        address = member_identity(member)  # as the store keeps it
    except StoreError as exc:
        st.error(literal(str(exc)))
        return
    before = next((m.role.value for m in members if m.member == address), None)
    change = f"make {literal(address)} a member as **{role}**" if before is None else \
        f"change {literal(address)} from {before} to **{role}**"
    confirm.ask("access.set", (project, address, role), title="Change a role?", action_label="Confirm",
                message=f"In “{literal(project)}”, {change}?", icon=":material/manage_accounts:")


def _done(_: object, notice: str) -> None:
    st.session_state[NOTICE_KEY] = notice


def show_notice() -> None:
    """The outcome of the last confirmed change, once."""
    notice = st.session_state.pop(NOTICE_KEY, None)
    if notice:
        st.success(literal(notice))


def render_log(events: list[AuditEvent], *, file_name: str, key: str) -> None:
    """An audit log with its CSV download; a plain line when it is empty."""
    if not events:
        st.write("Nothing recorded yet.")
        return
    shown = events[:LOG_ROWS_SHOWN]
    show_table(pd.DataFrame(audit_rows(shown)))  # wraps long addresses; names and notes show as typed
    if len(events) > len(shown):
        st.caption(f"The newest {len(shown)} of {len(events)} events; the CSV has them all.")
    st.download_button("Download the log (.csv)", data=audit_csv(events).encode("utf-8"),
                       file_name=file_name, mime="text/csv", key=f"{key}.csv", icon=":material/download:")


def render_project_log(project: str) -> None:
    """The project's audit log (saves, archives, deletes, renames, imports, roles, workshops, triggers, items)."""
    try:
        events = store.project_log(engine(), project=project)
    except PlannerError as exc:
        st.error(literal(str(exc)))
        return
    render_log(events, file_name=f"{project}.log.csv", key="access.log")


def render_price_list_log() -> None:
    """Who saved, replaced and deleted the saved price lists and API price lists."""
    render_log(store.price_list_log(engine()), file_name="price-lists.log.csv", key="access.price_log")
