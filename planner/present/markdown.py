"""Text people typed, written into Markdown files (decision records, item exports) so it reads exactly as typed.

``escape`` puts a backslash before each character that can open CommonMark or HTML anywhere in a line
(CommonMark reads a backslashed ASCII punctuation character as that character): ``\\ ` * [ ] < | ~ $``, ``_``
except inside a word (where it cannot emphasise), ``&`` before an entity, and at the start of a line
the block markers ``# > + - =`` and ``1.``/``1)``. A project called ``**x** [y](javascript:z)`` comes out as
``\\*\\*x\\*\\* \\[y\\](javascript:z)``: no emphasis, no link. ``ui.text.literal`` adds what Streamlit rewrites
after parsing to the same escaping.
"""

from __future__ import annotations

import re

_ANYWHERE = re.compile(r"([\\`*\[\]<|~$])|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])|&(?=#?\w+;)")
_LINE_START = re.compile(r"^([ \t]*)(?:([#>+=-])|(\d+)([.)]))", re.MULTILINE)


def _backslash(match: re.Match[str]) -> str:
    return "\\" + match.group(0)


def _line_start(match: re.Match[str]) -> str:
    indent, marker, digits, dot = match.groups()
    return f"{indent}\\{marker}" if marker else f"{indent}{digits}\\{dot}"


def escape(text: object) -> str:
    """``text`` as CommonMark that renders it character for character (module docstring)."""
    return _LINE_START.sub(_line_start, _ANYWHERE.sub(_backslash, str(text)))


def one_line(text: object) -> str:
    """``escape`` of text that must stay on one line (a list item, a table cell): line breaks become spaces."""
    return escape(" ".join(str(text).split()))
