"""Saving a validated list under a name and deleting a saved one: the controls price lists and API price lists share.

Widget keys are ``<prefix>name``, ``<prefix>replace``, ``<prefix>save``, ``<prefix>delete_name`` and
``<prefix>delete``; the session key ``<prefix>notice`` keeps the outcome of the last save or delete, shown once
after the rerun (under the save button). A refused save is shown under the name, in the store's words.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from planner.errors import PlannerError
from planner.inputs.limits import NAME_MAX_CHARS
from ui.text import literal


def save_control(prefix: str, *, what: str, kind: str, save: Callable[[str, bool], str] | None,
                 placeholder: str) -> None:
    """A name, a box to replace a saved list of that name, and the save button (off while ``save`` is None: no
    valid list yet).

    ``save(name, replace)`` stores the list and returns the notice to show; its PlannerError shows at the name.
    ``what`` names the list on the button ("price list"), ``kind`` in the box ("list": "Replace a saved list ...").
    """
    left, right = st.columns([5, 3], vertical_alignment="bottom")
    name = left.text_input("Save as", key=f"{prefix}name", max_chars=NAME_MAX_CHARS, placeholder=placeholder)
    replace = right.checkbox(f"Replace a saved {kind} of this name", key=f"{prefix}replace")
    refused = st.empty()
    clicked = st.button(f"Save {what}", key=f"{prefix}save", type="primary", icon=":material/save:",
                        disabled=save is None)
    if clicked and save is not None:
        try:
            st.session_state[f"{prefix}notice"] = save(name, replace)
        except PlannerError as exc:
            refused.error(literal(str(exc)))
        else:
            st.rerun()
    if f"{prefix}notice" in st.session_state:
        st.success(literal(st.session_state.pop(f"{prefix}notice")))


def delete_control(prefix: str, *, kind: str, names: list[str], delete: Callable[[str], None], after: str) -> None:
    """Choose a saved list and delete it; ``after`` is what the notice adds to “Deleted “name”.”."""
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    doomed = left.selectbox(f"Delete a saved {kind}", names, key=f"{prefix}delete_name", index=None,
                            placeholder=f"Choose the {kind} to delete")
    if right.button("Delete", key=f"{prefix}delete", disabled=doomed is None, icon=":material/delete:"):
        try:
            delete(str(doomed))
        except PlannerError as exc:
            st.error(literal(str(exc)))
        else:
            st.session_state[f"{prefix}notice"] = f"Deleted “{doomed}”. {after}"
            st.rerun()
