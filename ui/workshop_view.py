"""The facilitator's Workshop page: the token, creating a workshop, sharing it, and its options.

The private facilitator link carries the token in ``?token=``; it is also kept in session state so a
sidebar switch does not lose it. Every action goes through ``planner.store.workshops`` with the token,
which checks it. Names and notes typed by people are shown with ``st.dataframe`` or ``ui.text.literal``.
The live board is ``ui.workshop_board``; agreeing on the answers and making the assessment is
``ui.workshop_consensus``.
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

import streamlit as st

from planner import store
from planner.errors import InputError, PlannerError
from planner.store import workshops as workshop_store
from planner.store.settings import PUBLIC_URL_ENV
from planner.store.workshops import FacilitatorView, WorkshopInfo
from ui import db
from ui.links import app_base_url
from ui.links import base_url as base_url  # kept here: the join link's base, tested as workshop_view.base_url
from ui.text import literal

TOKEN = "wf.token"  # session key of the facilitator token (also in the URL as ?token=)
ERRORS = "wf.errors"  # field errors of the last consensus or create action, by widget key
CREATED = "wf.created"  # id of the assessment this session just created
REFRESH_S = 3  # seconds between live refreshes of the answers


LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1", "0.0.0.0")  # addresses no other device can reach


def page_url(path: str, **params: str) -> str:
    """An absolute URL to another page of this app (relative when the server's address is unknown)."""
    return f"{app_base_url()}/{path}?{urlencode(params)}"


def reachable_only_here(url: str) -> bool:
    """Whether a link names this machine only (localhost), so other devices cannot open it."""
    return (urlsplit(url).hostname or "") in LOCAL_HOSTS


# Token and creation -------------------------------------------------------------------------------


def token() -> str | None:
    """The facilitator token from the link (or this session), put back into the URL when it was dropped."""
    from_url = st.query_params.get("token")
    if from_url:
        st.session_state[TOKEN] = from_url
        return from_url
    kept: str | None = st.session_state.get(TOKEN)
    if kept:
        st.query_params["token"] = kept
    return kept


def forget_token() -> None:
    """Leave the current workshop (to create another one)."""
    st.session_state.pop(TOKEN, None)
    st.query_params.pop("token", None)
    st.session_state.pop(CREATED, None)


def render_create() -> None:
    """The form that starts a workshop for a project."""
    st.caption("Run the team-readiness questions as a workshop: everyone answers in their own browser, you "
               "see where the room disagrees, and the agreed answers become the project's assessment.")
    try:
        projects = [p.name for p in store.list_projects(db.engine()) if not p.archived]
    except PlannerError as exc:
        st.error(literal(str(exc)))
        projects = []
    with st.container(border=True):
        st.selectbox("Project", projects, index=None, key="wf.project", accept_new_options=True,
                     placeholder="Pick a project or type a new name",
                     help="The workshop's consensus is saved as an assessment of this project.")
        slot = st.empty()
        st.checkbox("Also ask for workload estimates (traffic, tokens, latency targets, change rate)",
                    key="wf.new_workload", help="You can turn this on or off later.")
        if st.button("Create workshop", key="wf.create", type="primary", icon=":material/groups:"):
            try:
                created = workshop_store.create_workshop(db.engine(), project=st.session_state.get("wf.project") or "",
                                                         workload_enabled=st.session_state.get("wf.new_workload",
                                                                                               False))
            except InputError as exc:
                slot.error(literal(exc.field_errors.get("project", str(exc))))
                return
            except PlannerError as exc:
                st.error(literal(str(exc)))
                return
            st.session_state[TOKEN] = created.facilitator_token
            st.query_params["token"] = created.facilitator_token
            st.rerun()


def load(token_: str) -> FacilitatorView | None:
    """The facilitator's view, or None after showing why it cannot be read."""
    try:
        return workshop_store.facilitator_view(db.engine(), token=token_)
    except PlannerError as exc:
        st.error(literal(str(exc)))
        return None


# Sharing and options ------------------------------------------------------------------------------


def render_header(workshop: WorkshopInfo, token_: str) -> None:
    """Project, join code and links; the private link folded away with a warning."""
    status = "closed" if workshop.closed else "open"
    st.caption(f"Project “{literal(workshop.project)}” · workshop {status}"
               + (f" since {workshop.closed_at:%Y-%m-%d %H:%M} UTC" if workshop.closed_at else ""))
    code, link = st.columns([2, 3])
    code.metric("Join code", workshop.display_code, border=True,
                help="Participants open the Join a workshop page and type this code.")
    with link:
        st.markdown("**Join link** (share it with the room)")
        join_link = page_url("join", code=workshop.display_code)
        st.code(join_link, language=None)
        if reachable_only_here(join_link):
            st.warning(f"This link names this computer ({urlsplit(join_link).hostname}), which other devices "
                       f"cannot reach. Open the app by its network address, or set {PUBLIC_URL_ENV} to it.",
                       icon=":material/wifi_off:")
        with st.expander("Your private facilitator link: keep it to yourself"):
            st.warning("Anyone with this link can run the workshop. Do not share it or show it on a shared screen.")
            st.code(page_url("workshop", token=token_), language=None)


def render_options(workshop: WorkshopInfo, token_: str) -> None:
    """Toggles (anonymise, reveal, workload estimates) and closing the workshop."""
    st.session_state["wf.reveal"] = workshop.reveal
    st.session_state["wf.workload"] = workshop.workload_enabled
    with st.container(horizontal=True, vertical_alignment="center"):
        st.toggle("Anonymise names", key="wf.anonymise", help="Show 'Participant 1, 2, …' on a shared screen.")
        if not workshop.closed:
            st.toggle("Live refresh", key="wf.live", value=True,
                      help=f"Update the answers every {REFRESH_S} s. Pause it while you edit the consensus.")
        st.toggle("Show participants the room's answers", key="wf.reveal", on_change=_set_option,
                  args=(token_, "reveal"))
        st.toggle("Ask for workload estimates", key="wf.workload", on_change=_set_option,
                  args=(token_, "workload_enabled"), disabled=workshop.closed)
        if not workshop.closed:
            with st.popover("Close the workshop", icon=":material/lock:"):
                st.markdown("Closing stops joining and answering for good; you can still set the consensus.")
                st.button("Close now", key="wf.close", type="primary", on_click=_close, args=(token_,))


def _set_option(token_: str, option: str) -> None:
    widget = "wf.reveal" if option == "reveal" else "wf.workload"
    try:
        workshop_store.set_options(db.engine(), token=token_, **{option: bool(st.session_state[widget])})
    except PlannerError as exc:
        st.session_state[ERRORS] = {"options": str(exc)}


def _close(token_: str) -> None:
    try:
        workshop_store.close_workshop(db.engine(), token=token_)
    except PlannerError as exc:
        st.session_state[ERRORS] = {"options": str(exc)}

