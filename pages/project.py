"""Members and log: who may do what in a project, and who did what (the audit log); the price lists' log."""

import streamlit as st

from planner.errors import PlannerError
from ui import access_view, router
from ui.text import literal

router.enter()  # through app.py's navigation and sign-in, even for a link opened first

st.title("Members and log")
access_view.show_notice()
project_tab, prices_tab = st.tabs(["Project", "Price lists"])
with project_tab:
    try:
        project = access_view.pick_project()
        if project is not None:
            role = access_view.render_role(project)
            st.subheader("Members")
            access_view.render_members(project, role)
            st.subheader("Log")
            access_view.render_project_log(project)
    except PlannerError as exc:
        st.error(literal(str(exc)))
with prices_tab:
    st.caption("Who saved, replaced and deleted the saved price lists and API price lists.")
    access_view.render_price_list_log()
