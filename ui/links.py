"""Shareable links: the query parameters that reproduce a view, the link to it, and reading a link back.

A facilitator sends a link and the people who open it see the same view. The links, by page (its url_path in
app.py) and parameters:

- ``history?project=NAME``: a project's history;
- ``history?project=NAME&a=ID&b=ID``: that project's comparison of assessment ``a`` (the Older picker) with
  assessment ``b`` (the Newer picker);
- ``saved-result?assessment=ID``: a saved assessment's results as saved (also the link of decision records);
- ``prices?list=NAME``: a saved price list; ``prices?api_list=NAME``: a saved managed-API price list, on the
  Managed APIs tab (with ``list=NAME`` too when the self-hosted figures beside it use a saved price list);
- ``serving?model=ID&gpu=NAME&gpus=N&precision=P&input=N&output=N``: the Serving calculator's inputs, with
  ``tp``, ``kv``, ``concurrency`` and the engine levers (``budget``, ``prefix``, ``draft``, ``accept``, ``ep``)
  when they are set (``ui.serving_view`` lists them).

Each view shows its link under a "Copy link" button (``show``; in full from PLANNER_PUBLIC_URL when it is set,
as the workshop's join link, else from the address the browser shows), and keeps the address bar in step
(``publish``), so copying the address works too. A page reads a link once, when it arrives (``arrived``): the
values it put in the address itself are not read back, so they never undo what the user picks afterwards.

Query values are text anyone can type. ``choice``, ``whole``, ``ident`` and ``number`` check one (its length, a known
name, a range) and raise ``LinkError`` saying in plain words what is wrong, quoting the value shortened and
through ``ui.text.literal``; the page shows them all at its top (``warn``) and uses its defaults instead.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from urllib.parse import quote, urlencode, urlsplit

import streamlit as st

from planner.errors import PlannerError
from planner.inputs.limits import NAME_MAX_CHARS
from planner.store.settings import normalize_public_url, public_url
from ui.text import literal

HISTORY, SAVED_RESULT, PRICES, SERVING = "history", "saved-result", "prices", "serving"  # url_path of the pages
PROJECT = "project"  # history: the project's name
OLDER, NEWER = "a", "b"  # history: the ids of the two assessments compared
ASSESSMENT = "assessment"  # saved-result: the saved assessment's id (planner.present.decision_records links here)
PRICE_LIST, API_PRICE_LIST = "list", "api_list"  # prices: a saved price list's and API price list's name
MAX_VALUE_CHARS = NAME_MAX_CHARS  # the longest value read: no name is longer
QUOTED_CHARS = 60  # of a value quoted back in a warning
MAX_LISTED = 10  # known values listed in a warning about an unknown one (more: only said to be unknown)
SEEN_KEY = "links.seen"  # session key: {parameter: value} last read from or put in the address by this session


class LinkError(ValueError):
    """A value in a link that cannot be used; the message (Markdown) says why in plain words."""


def path(page: str, params: Mapping[str, object | None]) -> str:
    """The link to a view relative to the app's address, e.g. ``history?project=Chat%20bot`` (None: left out)."""
    query = urlencode({name: str(value) for name, value in params.items() if value is not None}, quote_via=quote)
    return f"{page}?{query}" if query else page


def base_url(configured: str, browser_url: str, host: str) -> str:
    """The app's address for links: the configured public URL, else the browser's, else ''.

    ``configured`` is PLANNER_PUBLIC_URL (``planner.store.settings.public_url``; an http(s) URL, anything else is
    ignored), ``browser_url`` the page the user's browser shows (st.context.url) and ``host`` its Host header. ''
    means the address is unknown and links stay relative.
    """
    public = normalize_public_url(configured)
    if public:
        return public
    parts = urlsplit(browser_url)
    if parts.scheme and parts.netloc:
        prefix = parts.path.rsplit("/", 1)[0] if parts.path else ""
        return f"{parts.scheme}://{parts.netloc}{prefix}"
    return f"http://{host}" if host else ""


def app_base_url() -> str:
    """This app's address for links (``base_url`` of this session), '' when unknown."""
    headers = st.context.headers
    return base_url(public_url(), st.context.url or "",
                    (headers.get("Host") if headers else None) or "")


def address(page: str, params: Mapping[str, object | None]) -> str:
    """The link in full when the app's address is known (``app_base_url``), else relative to it."""
    base = app_base_url()
    return f"{base}/{path(page, params)}" if base else path(page, params)


def show(page: str, params: Mapping[str, object | None], *, what: str, key: str) -> None:
    """A "Copy link" button that shows the link to ``what`` (our words, e.g. "this comparison") with a copy button."""
    with st.popover("Copy link", icon=":material/link:", key=key):
        st.caption(f"The link to {what}: whoever opens it sees the same view (the address bar has it too).")
        st.code(address(page, params), language=None, wrap_lines=True)


def arrived(*names: str) -> dict[str, str]:
    """The values of these parameters when the address holds some this session has not seen (a link opened, the
    address edited), else {}; they are then seen, so a link applies once."""
    seen: dict[str, str | None] = st.session_state.setdefault(SEEN_KEY, {})
    current = {name: st.query_params[name] for name in names if name in st.query_params}
    if all(seen.get(name) == current.get(name) for name in names):
        return {}
    seen.update({name: current.get(name) for name in names})
    return current


def publish(params: Mapping[str, object | None]) -> None:
    """Put these values in the address bar (None: remove the parameter), so that it reproduces the view."""
    seen: dict[str, str | None] = st.session_state.setdefault(SEEN_KEY, {})
    for name, value in params.items():
        text = None if value is None else str(value)
        if text is None:
            st.query_params.pop(name, None)
        elif st.query_params.get(name) != text:
            st.query_params[name] = text
        seen[name] = text


def quoted(value: str) -> str:
    """A value from a link as Markdown that shows it as typed, in quotes, cut after ``QUOTED_CHARS``."""
    short = value if len(value) <= QUOTED_CHARS else value[:QUOTED_CHARS] + "…"
    return f"“{literal(short)}”"


def choice(value: str, choices: Collection[str], *, what: str, gone: str | None = None) -> str:
    """``value`` when it is one of ``choices``; else LinkError naming ``what``: a saved thing that is not here
    (``gone`` says why it may be missing), or, without ``gone``, a value the planner does not know."""
    if len(value) > MAX_VALUE_CHARS:
        raise LinkError(f"The link's {what} is {len(value):,} characters long; none is longer than "
                        f"{MAX_VALUE_CHARS}.")
    if value in choices:
        return value
    if gone is not None:
        raise LinkError(f"The link names the {what} {quoted(value)}, which is not here{gone}.")
    known = f" ({literal(', '.join(choices))})" if len(choices) <= MAX_LISTED else ""
    raise LinkError(f"The link's {what} {quoted(value)} is not one the planner knows{known}.")


def whole(value: str, low: int, high: int, *, what: str) -> int:
    """``value`` as a whole number from ``low`` to ``high``; else LinkError naming ``what``."""
    text = value.strip()
    if not re.fullmatch(r"\d{1,19}", text) or not low <= int(text) <= high:
        raise LinkError(f"The link's {what} {quoted(value)} is not a whole number from {low:,} to {high:,}.")
    return int(text)


def ident(value: str, *, what: str) -> int:
    """``value`` as the id of a saved row (a whole number from 1); else LinkError naming ``what``."""
    text = value.strip()
    if not re.fullmatch(r"\d{1,18}", text) or int(text) < 1:
        raise LinkError(f"The link's {what} {quoted(value)} is not an id: ids are whole numbers such as 12.")
    return int(text)


def number(value: str, low: float, high: float, *, what: str) -> float:
    """``value`` as a number from ``low`` to ``high``; else LinkError naming ``what``."""
    try:
        parsed = float(value) if len(value) <= QUOTED_CHARS else math.nan
    except ValueError:
        parsed = math.nan
    if not low <= parsed <= high:  # False for NaN too
        raise LinkError(f"The link's {what} {quoted(value)} is not a number from {low:g} to {high:g}.")
    return parsed


def warn(problems: Sequence[str], instead: str) -> None:
    """A link's problems at the top of the page, in plain words, with what is shown ``instead``."""
    if not problems:
        return
    lines = "\n".join(f"- {p}" for p in problems)
    st.warning(f"This link could not be followed in full.\n\n{lines}\n\n{instead}", icon=":material/link_off:")


def open_saved_list(param: str, names: Callable[[], list[str]], *, session_key: str, what: str,
                    instead: str) -> bool:
    """Pick the saved list a link names (``prices?list=NAME``) in the picker at ``session_key``; whether a link
    arrived. A name not among ``names()`` is warned about with what is shown ``instead``; a store error is left to
    the picker, which says why the lists cannot be read."""
    linked = arrived(param).get(param)
    if linked is None:
        return False
    try:
        st.session_state[session_key] = choice(linked, names(), what=what, gone=": it may have been deleted")
    except LinkError as exc:
        st.session_state.pop(session_key, None)
        warn([str(exc)], instead)
    except PlannerError:
        pass
    return True
