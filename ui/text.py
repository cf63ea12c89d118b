"""Text people typed (names, labels, notes, file names, messages quoting them), shown exactly as typed.

Streamlit renders Markdown in ``st.markdown``, captions, alerts, toasts, subheaders and the labels of
widgets, expanders and tabs: a project called ``![x](http://host/p.png)`` would make every browser that
shows it fetch that image. ``literal`` turns text into Markdown that renders it character for character:

- a backslash before each character that can open Markdown or HTML anywhere in a line (CommonMark reads
  a backslashed ASCII punctuation character as that character): ``\\ ` * [ ] < | ~ $``, ``_`` except
  inside a word (where it cannot emphasise), ``&`` before an entity, and at the start of a line the
  block markers ``# > + - =`` and ``1.``/``1)``;
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

JOINER = "\u2060"  # WORD JOINER: zero width, no line break, ignored by search and by copy in most browsers
_ANYWHERE = re.compile(r"([\\`*\[\]<|~$])|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])|&(?=#?\w+;)")
_LINE_START = re.compile(r"^([ \t]*)(?:([#>+=-])|(\d+)([.)]))", re.MULTILINE)
_REWRITTEN = (  # (pattern, replacement) of the text Streamlit rewrites after Markdown is parsed
    (re.compile(r":(?=[\w+-])"), ":" + JOINER),
    (re.compile(r"(?i)(https?):(?=//)"), r"\1" + JOINER + ":"),
    (re.compile(r"(?i)\b(www)(?=\.)"), r"\1" + JOINER),
    (re.compile(r"@"), "@" + JOINER),
    (re.compile(r"([-<>~])(?=[-<>=])"), r"\1" + JOINER),
)


def _backslash(match: re.Match[str]) -> str:
    return "\\" + match.group(0)


def _line_start(match: re.Match[str]) -> str:
    indent, marker, digits, dot = match.groups()
    return f"{indent}\\{marker}" if marker else f"{indent}{digits}\\{dot}"


def literal(text: object) -> str:
    """``text`` as Markdown that Streamlit renders exactly as typed (see the module docstring for how)."""
    out = _LINE_START.sub(_line_start, _ANYWHERE.sub(_backslash, str(text)))
    for pattern, replacement in _REWRITTEN:
        out = pattern.sub(replacement, out)
    return out
