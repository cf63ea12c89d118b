"""GenAI Architecture Planner: the Streamlit entry point. It configures the page, who acts (optional sign-in) and
routes; nothing else."""

import streamlit as st

from ui import auth

st.set_page_config(page_title="GenAI Architecture Planner", page_icon=":material/account_tree:", layout="wide")
auth.install()
page = st.navigation([
    st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("pages/assess.py", title="Assess", icon=":material/edit_note:"),
    st.Page("pages/results.py", title="Results", icon=":material/insights:"),
    st.Page("pages/history.py", title="History", icon=":material/timeline:"),
    st.Page("pages/saved.py", title="Saved assessments", icon=":material/folder_open:"),
    st.Page("pages/saved_result.py", title="Saved assessment", icon=":material/inventory_2:", url_path="saved-result",
            visibility="hidden"),  # opened from Saved assessments and History
    st.Page("pages/project.py", title="Members and log", icon=":material/manage_accounts:", url_path="project"),
    st.Page("pages/pricing.py", title="Prices", icon=":material/payments:", url_path="prices"),
    st.Page("pages/serving.py", title="Serving calculator", icon=":material/speed:", url_path="serving"),
    st.Page("pages/workshop.py", title="Workshop", icon=":material/groups:", url_path="workshop"),
    st.Page("pages/join.py", title="Join a workshop", icon=":material/login:", url_path="join"),
])
auth.render_account()
if auth.gate(page.url_path):
    page.run()
