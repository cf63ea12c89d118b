"""Text people typed (names, labels, notes, file names, messages quoting them), shown exactly as typed.

Streamlit renders Markdown in ``st.markdown``, captions, alerts, toasts, subheaders and the labels of
widgets, expanders and tabs: a project called ``![x](http://host/p.png)`` would make every browser that
shows it fetch that image. ``literal`` turns text into Markdown that renders it character for character:

- a backslash before each character that can open Markdown or HTML (``planner.present.markdown.escape``, the
  escaping of the Markdown files the planner writes too);
- an invisible WORD JOINER (U+2060) where Streamlit rewrites text after parsing, which no backslash
  prevents: after a colon followed by a letter, digit, ``+`` or ``-`` (``:red[...]`` directives, emoji
  shortcodes, ``:material/icon:`` and ``:streamlit:``), inside ``http://``, ``www.`` and ``a@b``
  (GFM's links of bare URLs and addresses), and between the characters of ``->``, ``<-``, ``--``,
  ``>=``, ``<=`` and ``~=`` (Streamlit's arrows and dashes).

Plain sentences come out unchanged. Selectbox and multiselect options and dataframe cells are shown as
plain text already: never pass those through ``literal``.
"""

from __future__ import annotations

import re

from planner.present.markdown import escape

JOINER = "\u2060"  # WORD JOINER: zero width, no line break, ignored by search and by copy in most browsers
_REWRITTEN = (  # (pattern, replacement) of the text Streamlit rewrites after Markdown is parsed
    (re.compile(r":(?=[\w+-])"), ":" + JOINER),
    (re.compile(r"(?i)(https?):(?=//)"), r"\1" + JOINER + ":"),
    (re.compile(r"(?i)\b(www)(?=\.)"), r"\1" + JOINER),
    (re.compile(r"@"), "@" + JOINER),
    (re.compile(r"([-<>~])(?=[-<>=])"), r"\1" + JOINER),
)


def literal(text: object) -> str:
    """``text`` as Markdown that Streamlit renders exactly as typed (see the module docstring for how)."""
    out = escape(text)
    for pattern, replacement in _REWRITTEN:
        out = pattern.sub(replacement, out)
    return out
