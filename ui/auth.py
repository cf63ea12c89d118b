"""Optional sign-in: Streamlit's OIDC (``st.login``) when ``.streamlit/secrets.toml`` has an ``[auth]`` section.

With sign-in off (no ``[auth]``), the one user of the app acts as ``store.LOCAL`` and nothing here shows. With it on,
the app (``install``) tells the store who acts on every script run, fragment and dialog included: the signed-in
user from ``st.user`` (admin when their address is among ``PLANNER_ADMINS`` or ``[planner] admins`` in the secrets),
or an anonymous visitor, who sees only the sign-in prompt and the workshop join page. Roles are checked by the
store (``planner.store.access``); pages only offer what the role allows.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

import streamlit as st
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

from planner import store
from planner.store import Actor, Role
from ui.text import literal

ADMINS_ENV = "PLANNER_ADMINS"  # comma-separated e-mail addresses of instance admins
OPEN_WITHOUT_SIGN_IN = ("join",)  # url paths: workshop participants join by code, without an account


def sign_in_on() -> bool:
    """Whether sign-in is configured (an ``[auth]`` section in ``.streamlit/secrets.toml``)."""
    return bool(st.secrets.load_if_toml_exists() and "auth" in st.secrets)


def admin_addresses() -> frozenset[str]:
    """The instance admins: ``PLANNER_ADMINS`` and ``admins`` under ``[planner]`` in the secrets, lower case."""
    listed: list[str] = os.environ.get(ADMINS_ENV, "").split(",")
    if st.secrets.load_if_toml_exists() and "planner" in st.secrets:
        configured = st.secrets["planner"].get("admins", [])
        listed += [configured] if isinstance(configured, str) else list(_texts(configured))
    return frozenset(a.strip().lower() for a in listed if a.strip())


def _texts(values: object) -> Iterable[str]:
    return (v for v in values if isinstance(v, str)) if isinstance(values, list | tuple) else ()


def actor() -> Actor | None:
    """Who acts in the running script: None with sign-in off (the store's LOCAL), else the user or ANONYMOUS."""
    if get_script_run_ctx(suppress_warning=True) is None:
        return None  # not a page's thread (the CLI, tests, a worker): the store's default
    if not sign_in_on():
        return None
    if not st.user.is_logged_in:
        return store.ANONYMOUS
    identity = str(st.user.get("email") or st.user.get("sub") or "")
    if not identity:
        return store.ANONYMOUS  # a provider that gives neither an address nor a subject identifies nobody
    return store.signed_in(identity, name=str(st.user.get("name") or ""), admins=admin_addresses())


def install() -> None:
    """Make the store ask ``actor()`` who acts (called by app.py on every run; idempotent)."""
    store.set_actor_provider(actor)


def author_name() -> str:
    """The signed-in user's name for "Prepared by" and similar fields; "" with sign-in off or signed out."""
    who = actor()
    return "" if who is None or who.kind != "user" else who.name


def gate(url_path: str) -> bool:
    """Whether the page may run: always with sign-in off, for the join page, and for a signed-in user.

    Otherwise shows the sign-in prompt in its place and returns False. The address bar keeps the link, so after
    signing in the same link opens the view.
    """
    if not sign_in_on() or url_path in OPEN_WITHOUT_SIGN_IN or st.user.is_logged_in:
        return True
    st.title("Sign in")
    st.write("This planner is shared by a team: sign in to see its projects and assessments. Workshop participants "
             "do not need an account: open the join link the facilitator sent.")
    if st.query_params:
        st.info("You opened a link to a page. Sign in, then open the same link again to go straight to it.")
    if st.button("Sign in", key="auth.sign_in", type="primary", icon=":material/login:"):
        st.login()
    return False


def render_account() -> None:
    """The sidebar line of who is signed in, with Sign out (nothing with sign-in off)."""
    who = actor()
    if who is None or who.kind != "user":
        return
    with st.sidebar:
        st.caption(literal(f"Signed in as {who.name} ({who.user})" + (" · instance admin" if who.admin else "")))
        if st.button("Sign out", key="auth.sign_out", icon=":material/logout:"):
            st.logout()


def role_words(role: Role | None) -> str:
    """A role as shown on pages: "owner", "editor", "viewer" or "no access"."""
    return "no access" if role is None else role.value
