"""Decision records (MADR Markdown, planner.present.decision_records) on Results, a saved assessment and History.

Results offers the record of what the page shows as "proposed" (numbered after the project's saved records);
a saved assessment offers the record it opened or confirmed; History lists the project's chain of records
with each one's status and offers each, or all of them with an index as a zip file.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime

import streamlit as st

import planner
from planner.decide.results import Recommendation
from planner.errors import PlannerError
from planner.estimate.results import Evaluation
from planner.inputs.limits import NAME_MAX_CHARS
from planner.inputs.models import Assessment
from planner.present.decision_records import (
    INDEX_FILE,
    Decided,
    assessment_record,
    chain,
    file_name,
    index,
    project_decisions,
    proposed_record,
    records_table,
    render,
    slug,
)
from ui import db, links
from ui.tables import show_wrapped
from ui.text import literal

MARKDOWN = "text/markdown"
CAPTION = ("A Markdown record in the MADR format, as decision-record tools keep next to the code: context, drivers, "
           "options with their numbers, the outcome, consequences and when to revisit.")


def _base_url() -> str | None:
    """The app's address (PLANNER_PUBLIC_URL, else as the browser sees it), for the record's link back to its
    assessment; None when unknown."""
    return links.app_base_url() or None


def _deciders(key: str) -> tuple[str, ...]:
    text = st.text_input("Deciders (optional, comma separated)", key=key, max_chars=NAME_MAX_CHARS * 4,
                         placeholder="Who took the decision; a workshop's consensus names its participants")
    return tuple(name.strip() for name in text.split(",") if name.strip())


def render_proposed(assessment: Assessment, evaluation: Evaluation | None, recommendation: Recommendation) -> None:
    """The proposed record of what the Results page shows (Results toolbar)."""
    st.caption(CAPTION + " Saved, it joins the project's numbered chain (History).")
    deciders = _deciders("adr.deciders")
    proposal = Decided(assessment=assessment, recommendation=recommendation, evaluation=evaluation,
                       on=datetime.now(UTC).date(), deciders=deciders)
    _offer(lambda: proposed_record(db.engine(), proposal, base_url=_base_url(), app_version=planner.__version__),
           key="adr.download")


def render_saved(assessment_id: int) -> None:
    """The record a saved assessment opened or confirmed (the saved-assessment page)."""
    deciders = _deciders("adr.saved.deciders")
    _offer(lambda: assessment_record(db.engine(), assessment_id, deciders=deciders, base_url=_base_url(),
                                     app_version=planner.__version__), key="adr.saved.download")


def _offer(write: Callable[[], tuple[str, str]], *, key: str) -> None:
    """The download of the record ``write`` gives (file name, Markdown), or why it could not be written."""
    try:
        name, text = write()
    except PlannerError as exc:
        st.error(f"The decision record could not be written: {literal(exc)}")
        return
    st.download_button("Download decision record", data=text.encode("utf-8"), file_name=name, mime=MARKDOWN,
                       key=key, icon=":material/description:", on_click="ignore")


def render_chain(project: str) -> None:
    """History: the project's records, their status and the assessments behind them, with downloads."""
    st.subheader("Decision records")
    st.caption(CAPTION + " A re-assessment whose recommendation changes opens a new record that supersedes the "
                         "previous one.")
    try:
        entries = chain(project_decisions(db.engine(), project))
    except PlannerError as exc:
        st.error(literal(str(exc)))
        return
    if not entries:
        st.info("No saved assessment of this project holds a recommendation yet.")
        return
    show_wrapped(records_table(entries))
    base_url = _base_url()
    files = {file_name(e.number, project): render(e, project, base_url=base_url, app_version=planner.__version__)
             for e in entries}
    files[INDEX_FILE] = index(entries, project)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name, text in files.items():
            bundle.writestr(name, text)
    left, right = st.columns(2)
    with left:
        chosen = st.selectbox("Record", [file_name(e.number, project) for e in entries], index=len(entries) - 1,
                              key="adr.history.pick")
        st.download_button("Download this record", data=files[chosen].encode("utf-8"), file_name=chosen,
                           mime=MARKDOWN, key="adr.history.one", icon=":material/description:", on_click="ignore")
    with right:
        st.download_button("Download every record and the index (zip)", data=archive.getvalue(),
                           file_name=f"decision-records-{slug(project)}.zip", mime="application/zip",
                           key="adr.history.all", icon=":material/folder_zip:", on_click="ignore")
