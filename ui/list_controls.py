"""Saving a validated list under a name and deleting a saved one: the controls price lists and API price lists share.

Widget keys are ``<prefix>name``, ``<prefix>replace``, ``<prefix>save``, ``<prefix>delete_name`` and
``<prefix>delete``; the session key ``<prefix>notice`` keeps the outcome of the last save or delete, shown once
after the rerun (under the save button). A refused save is shown under the name, in the store's words.

Replacing a saved list and deleting one ask first, in a dialog (``ui.confirm``, keyed ``<prefix>save`` and
``<prefix>delete``: its buttons are ``<prefix>save_confirm``, ``<prefix>delete_cancel``...).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from planner.errors import PlannerError
from planner.inputs.limits import NAME_MAX_CHARS
from ui import confirm, links
from ui.text import literal


def pick_saved(label: str, read_names: Callable[[], list[str]], *, key: str, builtin: str, saved_as: str,
               lists: str, link_param: str) -> tuple[str | None, DeltaGenerator]:
    """A select box of the built-in rows (None) and the saved lists, kept in the address bar under ``link_param``;
    the chosen name and the narrow column beside it (for the view's *Copy link*). Lists that cannot be read are
    said in plain words ("The saved ``lists`` could not be read"), and the box then offers the built-in rows only;
    a saved list shows as "name (saved ``saved_as``)"."""
    try:
        names = read_names()
    except PlannerError as exc:
        st.error(f"The saved {lists} could not be read: {literal(str(exc))}")
        names = []
    options: list[str | None] = [None, *names]
    if st.session_state.get(key) not in options:
        st.session_state.pop(key, None)
    pick, link = st.columns([5, 1], vertical_alignment="bottom")
    name = pick.selectbox(label, options, key=key,
                          format_func=lambda n: builtin if n is None else f"{n} (saved {saved_as})")
    links.publish({link_param: name})
    return name, link


def save_control(prefix: str, *, what: str, kind: str, save: Callable[[str, bool], str] | None,
                 placeholder: str, saved: Mapping[str, str]) -> None:
    """A name, a box to replace a saved list of that name, and the save button (off while ``save`` is None: no
    valid list yet). Replacing a saved list asks first.

    ``save(name, replace)`` stores the list and returns the notice to show; its PlannerError shows at the name.
    ``what`` names the list on the button ("price list"), ``kind`` in the box ("list": "Replace a saved list ...").
    ``saved`` maps the name of each saved list to what it holds ("12 rows"), which the confirmation names.
    """
    left, right = st.columns([5, 3], vertical_alignment="bottom")
    name = left.text_input("Save as", key=f"{prefix}name", max_chars=NAME_MAX_CHARS, placeholder=placeholder)
    replace = right.checkbox(f"Replace a saved {kind} of this name", key=f"{prefix}replace")
    refused = st.empty()
    clicked = st.button(f"Save {what}", key=f"{prefix}save", type="primary", icon=":material/save:",
                        disabled=save is None)
    if clicked and save is not None and replace and name.strip() in saved:
        doomed = name.strip()
        confirm.ask(f"{prefix}save", doomed, title=f"Replace a saved {what}?", action_label="Replace",
                    icon=":material/save:",
                    message=f"Replace the saved {what} “{literal(doomed)}” ({literal(saved[doomed])}) with this "
                            "one? Its rows are replaced by the rows shown here, and assessments that use it are "
                            "priced with the new rows from now on. This cannot be undone.")
    elif clicked and save is not None:
        try:
            st.session_state[f"{prefix}notice"] = save(name, replace)
        except PlannerError as exc:
            refused.error(literal(str(exc)))
        else:
            st.rerun()
    if save is not None:
        confirm.dialog(f"{prefix}save", lambda doomed: _keep_notice(prefix, save(doomed, True)))
    if f"{prefix}notice" in st.session_state:
        st.success(literal(st.session_state.pop(f"{prefix}notice")))


def _keep_notice(prefix: str, notice: str) -> None:
    st.session_state[f"{prefix}notice"] = notice


def delete_control(prefix: str, *, kind: str, names: list[str], delete: Callable[[str], None], after: str) -> None:
    """Choose a saved list and delete it, after a confirmation; ``after`` is what the confirmation and the notice
    add to “Deleted “name”.”."""
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    doomed = left.selectbox(f"Delete a saved {kind}", names, key=f"{prefix}delete_name", index=None,
                            placeholder=f"Choose the {kind} to delete")
    if right.button("Delete", key=f"{prefix}delete", disabled=doomed is None, icon=":material/delete:"):
        confirm.ask(f"{prefix}delete", str(doomed), title=f"Delete a saved {kind}?", action_label="Delete",
                    icon=":material/delete:",
                    message=f"Delete the saved {kind} “{literal(doomed)}”? {literal(after)} This cannot be undone.")

    def deleted(name: str) -> None:
        delete(name)
        st.session_state[f"{prefix}notice"] = f"Deleted “{name}”. {after}"

    confirm.dialog(f"{prefix}delete", deleted)
