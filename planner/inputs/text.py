"""User text as the planner accepts it: names and notes without control characters.

A NUL byte or another control character in a name is never meant: SQLite would store it, PostgreSQL refuses
it only at the save, and terminals and PDFs misprint it. Every text a user types (project names, labels,
notes, price-list names, workshop names and notes, authors) passes :func:`check_text`, so both databases see
the same text and every door refuses the same characters with the same sentence.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import AfterValidator

MULTILINE_ALLOWED = frozenset("\n\t")  # notes may hold line breaks and tabs; a carriage return is folded to \n


def control_characters(text: str, *, multiline: bool = False) -> list[str]:
    """The control characters (Unicode category Cc) in a text, each as U+XXXX, in order of first appearance."""
    allowed = MULTILINE_ALLOWED if multiline else frozenset()
    found: list[str] = []
    for char in text:
        if unicodedata.category(char) == "Cc" and char not in allowed:
            code = f"U+{ord(char):04X}"
            if code not in found:
                found.append(code)
    return found


def check_text(text: str, *, multiline: bool = False) -> str:
    """The text with Windows line ends folded, or ValueError naming the control characters it holds."""
    if multiline:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    found = control_characters(text, multiline=multiline)
    if found:
        kinds = "line breaks, tabs and other control characters" if not multiline else "control characters"
        raise ValueError(f"must not contain {kinds} (found {', '.join(found)})")
    return text


def _single_line(text: str) -> str:
    return check_text(text)


def _multiline(text: str) -> str:
    return check_text(text, multiline=True)


SingleLineText = Annotated[str, AfterValidator(_single_line)]  # names, labels, authors
MultilineText = Annotated[str, AfterValidator(_multiline)]  # notes
