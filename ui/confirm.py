"""A confirmation in a dialog (``st.dialog``) before a destructive action: ask when its button is clicked, then act.

Two calls, keyed by a name of the action; the key also names the dialog's buttons, ``<key>_confirm`` and
``<key>_cancel`` (tests click them)::

    if st.button("Archive", key="home.archive"):
        confirm.ask("home.archive", project, title="Archive this project?",
                    message=f"Archive project “{literal(project)}”? ...", action_label="Archive")
    confirm.dialog("home.archive", on_confirm=lambda name: set_notice(archive(name)))

- ``ask(key, subject, title=, message=, action_label=, icon=)`` records the request in ``st.session_state``:
  what the dialog says and the ``subject`` the action is about (a name, an id, a pair...). One request at a time:
  a new one replaces an older one. ``message`` is Markdown: pass the user's text in it through
  ``ui.text.literal``, so the dialog names the thing exactly as typed.
- ``dialog(key, on_confirm)`` goes where the page handles the action, after its button, and runs on every run:
  while ``key`` is asked for, it opens the dialog. Confirm (the primary button) calls ``on_confirm(subject)``
  with the subject recorded by ``ask``, closes the dialog and reruns the app. Cancel, Escape, the close button
  or a click beside the dialog drop the request and change nothing. A ``PlannerError`` raised by
  ``on_confirm`` is shown in the dialog in plain words, and the dialog stays open.
- ``pending(key)``: the subject waiting for a confirmation, or None.

``on_confirm`` runs inside the dialog: it should leave its outcome for the next run (a notice in session
state), not render it, because the app reruns right after. It may call ``st.rerun()`` itself.

Why the reruns: a dialog's body runs as a fragment, so a click in it reruns only the dialog; only a full
``st.rerun()`` closes it and shows the page as the action left it. The dialog opens on every run while the
request is recorded, and a run without the request closes it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import streamlit as st

from planner.errors import PlannerError
from ui.text import literal

REQUEST_KEY = "confirm.request"  # session key: the Request waiting for a confirmation (at most one)


@dataclass(frozen=True)
class Request:
    """A destructive action waiting for a confirmation: which one, about what, and what the dialog says."""

    key: str
    subject: Any  # handed to on_confirm
    title: str  # the dialog's title: our words, no user text
    message: str  # Markdown, user text already through ui.text.literal
    action_label: str  # the confirm button, e.g. "Archive"
    icon: str | None = None  # the confirm button's icon, e.g. ":material/archive:"


def ask(key: str, subject: Any = True, *, title: str, message: str, action_label: str,
        icon: str | None = None) -> None:
    """Ask for a confirmation of the action ``key`` about ``subject`` (call it when the action's button is clicked)."""
    st.session_state[REQUEST_KEY] = Request(key, subject, title, message, action_label, icon)


def pending(key: str) -> Any | None:
    """The subject of ``key`` waiting for a confirmation, or None."""
    request: Request | None = st.session_state.get(REQUEST_KEY)
    return request.subject if request is not None and request.key == key else None


def _drop(key: str) -> None:
    """Forget the request for ``key`` (Cancel, or the dialog dismissed)."""
    request: Request | None = st.session_state.get(REQUEST_KEY)
    if request is not None and request.key == key:
        del st.session_state[REQUEST_KEY]


def _body(request: Request, on_confirm: Callable[[Any], None]) -> None:
    """The dialog's content: the message, the primary confirm button and Cancel."""
    st.markdown(request.message)
    failed = st.empty()
    yes, no = st.columns(2)
    confirmed = yes.button(request.action_label, key=f"{request.key}_confirm", type="primary", icon=request.icon,
                           width="stretch")
    if no.button("Cancel", key=f"{request.key}_cancel", width="stretch"):
        _drop(request.key)
        st.rerun()
    if confirmed:
        _drop(request.key)
        try:
            on_confirm(request.subject)
        except PlannerError as exc:
            st.session_state[REQUEST_KEY] = request  # still waiting: the user may cancel, or try again
            failed.error(literal(str(exc)))
        else:
            st.rerun()


def dialog(key: str, on_confirm: Callable[[Any], None]) -> None:
    """While ``key`` is asked for: the confirmation dialog; Confirm calls ``on_confirm(subject)`` and reruns the app."""
    request: Request | None = st.session_state.get(REQUEST_KEY)
    if request is None or request.key != key:
        return
    st.dialog(request.title, on_dismiss=lambda: _drop(key))(_body)(request, on_confirm)
