"""The app's pages and the one way into them: app.py's navigation, behind the optional sign-in.

Streamlit has an older mode for apps with a ``pages/`` folder: until some session has called ``st.navigation``, the
server runs a page file that a URL names (``/saved``) by itself, without app.py. The first visitor after a server
starts who opens a link would then get a page with the folder's file names in the sidebar and without the sign-in
check. ``enter()``, the first call of every page, notices a page run that did not come through ``run()`` and runs
the router there and then (``st.navigation`` also ends that mode for the whole server), then stops the bare run: the
same URL is served through the navigation and the sign-in, in the same run, so a click that started it is kept.
"""

from __future__ import annotations

from contextvars import ContextVar

import streamlit as st
from streamlit.navigation.page import StreamlitPage

from ui import auth

# Streamlit's "running" icon (top right, beside Stop) is animated; in a tab waiting for a recommendation that
# animation took about 0.025 CPU-seconds a second (Chromium, measured), with twenty tabs waiting at once a share of
# the machine in bench/bench_load.py. Pages say what they wait for in words (ui.estimates_view.stage_text), and the
# Stop button still shows that a run is under way.
HIDE_RUNNING_ICON = "<style>[data-testid='stStatusWidgetRunningIcon'] {display: none;}</style>"

_ROUTED: ContextVar[bool] = ContextVar("planner_routed", default=False)  # set while run() runs the page


def pages() -> list[StreamlitPage]:
    """Every page of the navigation, in its order."""
    return [
        st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
        st.Page("pages/assess.py", title="Assess", icon=":material/edit_note:"),
        st.Page("pages/results.py", title="Results", icon=":material/insights:"),
        st.Page("pages/history.py", title="History", icon=":material/timeline:"),
        st.Page("pages/saved.py", title="Saved assessments", icon=":material/folder_open:"),
        st.Page("pages/saved_result.py", title="Saved assessment", icon=":material/inventory_2:",
                url_path="saved-result", visibility="hidden"),  # opened from Saved assessments and History
        st.Page("pages/project.py", title="Members and log", icon=":material/manage_accounts:", url_path="project"),
        st.Page("pages/pricing.py", title="Prices", icon=":material/payments:", url_path="prices"),
        st.Page("pages/serving.py", title="Serving calculator", icon=":material/speed:", url_path="serving"),
        st.Page("pages/workshop.py", title="Workshop", icon=":material/groups:", url_path="workshop"),
        st.Page("pages/join.py", title="Join a workshop", icon=":material/login:", url_path="join"),
    ]


def run() -> None:
    """app.py: the page's look, who acts, the navigation, the account line, and the chosen page unless it needs a
    sign-in first."""
    st.set_page_config(page_title="GenAI Architecture Planner", page_icon=":material/account_tree:", layout="wide")
    st.html(HIDE_RUNNING_ICON)
    auth.install()
    page = st.navigation(pages())
    auth.render_account()
    if not auth.gate(page.url_path):
        return
    routed = _ROUTED.set(True)
    try:
        page.run()
    finally:
        _ROUTED.reset(routed)


def enter() -> None:
    """The first call of every page: a run that did not come through ``run()`` starts again through it."""
    if _ROUTED.get():
        return
    run()
    st.stop()
