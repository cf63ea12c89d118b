"""Home: projects due for a re-assessment or whose triggers fired, and managing projects."""

import streamlit as st

from planner.errors import PlannerError
from planner.inputs.limits import NAME_MAX_CHARS
from ui import access_view, history_view, home_view, router
from ui.text import literal

router.enter()  # through app.py's navigation and sign-in, even for a link opened first

st.title("GenAI Architecture Planner")
st.caption("Choose between a monolith, a hybrid and microservices for a generative-AI platform, and revisit the "
           "choice as traffic, models, prices and the team change.")
if st.button("Start an assessment", key="home.assess", type="primary", icon=":material/edit_note:"):
    st.switch_page("pages/assess.py")
home_view.show_notice()
try:
    everything = home_view.projects()
    rows = home_view.statuses()
except PlannerError as exc:
    st.error(literal(str(exc)))
    st.stop()

st.subheader("Needs attention")
due = home_view.render_attention(rows)
if due is not None:
    home_view.start_from_last(due)
    st.switch_page("pages/assess.py")
home_view.render_acknowledged(rows)

st.subheader("Projects")
if not rows:
    st.info("No project yet. Create one below, or assess on the Assess page and save the result.")
else:
    home_view.render_projects(rows)
    names = [r.project.name for r in rows]
    project = st.selectbox("Project", names, key="home.project")
    actions = st.container(horizontal=True)  # the buttons side by side, wrapping when the page is narrow
    if actions.button("New assessment from its last answers", key="home.start", icon=":material/add:"):
        home_view.start_from_last(project)
        st.switch_page("pages/assess.py")
    if actions.button("Open its history", key="home.history", icon=":material/timeline:"):
        history_view.open_history(project)
        st.switch_page("pages/history.py")
    if actions.button("Members and log", key="home.access", icon=":material/manage_accounts:"):
        access_view.open_project(project)
        st.switch_page("pages/project.py")
    if next(r for r in rows if r.project.name == project).latest is not None:
        actions.download_button("Export (.json.gz)", data=lambda: home_view.export_file(project),
                                file_name=f"{project}.planner.json.gz", mime="application/gzip",
                                key="home.export", icon=":material/download:")
    if access_view.owns(project):
        with st.form("home.rename_form", border=False):
            name_col, button_col, archive_col = st.columns([3, 1, 1], vertical_alignment="bottom")
            new_name = name_col.text_input("New name", key="home.new_name", max_chars=NAME_MAX_CHARS)
            if button_col.form_submit_button("Rename", icon=":material/edit:", key="home.rename"):
                home_view.set_notice(home_view.rename(project, new_name))
                st.rerun()
            if archive_col.form_submit_button("Archive…", icon=":material/archive:", key="home.archive"):
                home_view.ask_archive(project)
    else:
        st.caption("Renaming and archiving the project need its owner role (see Members and log).")
    home_view.archive_dialog()

with st.expander("Create a project"), st.form("home.create_form", border=False):
    name = st.text_input("Project name", key="home.create_name", max_chars=NAME_MAX_CHARS)
    if st.form_submit_button("Create project", icon=":material/create_new_folder:", key="home.create"):
        home_view.set_notice(home_view.create(name))
        st.rerun()

archived = [p.name for p in everything if p.archived]
with st.expander(f"Archived projects ({len(archived)})"):
    if archived:
        restore = st.selectbox("Archived project", archived, key="home.archived")
        if st.button("Restore", key="home.restore", icon=":material/unarchive:"):
            home_view.set_notice(home_view.archive(restore, False))
            st.rerun()
    else:
        st.write("None.")

with st.expander("Import a project export"):
    upload = st.file_uploader("Project export (.json or .json.gz)", type=["json", "gz"], key="home.import",
                              help="Up to 5 MB here (about 400 assessments compressed); import larger exports "
                                   "with `planner import FILE`. Assessments already in the project are skipped.")
    if upload is not None and st.button("Import", key="home.import_button", icon=":material/upload:"):
        home_view.set_notice(home_view.import_file(upload.getvalue(), upload.name))
        st.rerun()
