"""Tables of ``planner.present.tables`` on a page: sortable data frames where every column fits, wrapped tables where
text is long.

At 1280 px a data frame (a canvas grid) cuts a long text cell and pushes columns past the right edge; a table
with free text (components run, formulas, sources, effects) is shown as a static table that wraps instead, and
one of short cells as a data frame whose numbers stay numbers, so they sort as numbers.
"""

from __future__ import annotations

import html
import math
import re

import pandas as pd
import streamlit as st

from planner.present.tables import Table


def show_dataframe(table: Table, *, key: str | None = None) -> None:
    """``st.dataframe`` of a table: money, prices, shares and times as numbers with their printf format, so a
    column sorts by value ("100%" after "20%"); text columns as they are."""
    config = {name: st.column_config.NumberColumn(format=fmt) for name, fmt in table.number_formats().items()}
    st.dataframe(table.numeric_frame(), hide_index=True, width="stretch", column_config=config, key=key)


# Every static table shares one look: horizontal rules and the header above. Text wraps between words; a cell
# holding a word too long for any column (a URL in a source, an instance name) may break it anywhere, so it cannot
# push the table past the page (breaking every cell anywhere would let the browser squeeze columns until short
# words split). A horizontal scroll bar is the last resort. Dates and columns listed as ``whole`` (ids) never break.
TABLE_CLASS = "planner-table"
LONG_WORD_CHARS = 24  # a cell with a word longer than this may break it anywhere
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")  # a date alone in a cell never breaks at its hyphens
TABLE_CSS = (
    f"<style>.{TABLE_CLASS}-box {{overflow-x: auto; margin-bottom: 1rem;}}"
    f".{TABLE_CLASS} {{width: 100%; border-collapse: collapse; font-size: 0.875rem; line-height: 1.5;}}"
    f".{TABLE_CLASS} th, .{TABLE_CLASS} td {{padding: 0.25rem 0.5rem; text-align: left; vertical-align: top;"
    " border-bottom: 1px solid rgba(128, 128, 128, 0.25);}"
    f".{TABLE_CLASS} th {{font-weight: 600; border-bottom-color: rgba(128, 128, 128, 0.5);}}"
    f".{TABLE_CLASS} .long {{overflow-wrap: anywhere;}}"
    f".{TABLE_CLASS} .whole {{white-space: nowrap;}}</style>"
)


def cell_text(value: object) -> str:
    """A cell as the page shows it: text as it is, whole numbers without a decimal point, other numbers in
    their shortest form, and nothing for a missing value."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _cell(tag: str, text: str, whole: bool) -> str:
    if whole or DATE.fullmatch(text):
        kind = ' class="whole"'
    elif any(len(word) > LONG_WORD_CHARS for word in text.split()):
        kind = ' class="long"'
    else:
        kind = ""
    return f"<{tag}{kind}>{html.escape(text)}</{tag}>"


def table_html(frame: pd.DataFrame, *, whole: tuple[str, ...] = ()) -> str:
    """An HTML table of a frame with every header and cell escaped, so text shows exactly as typed (no Markdown,
    no HTML); columns named in ``whole`` never break inside a value."""
    keep = [name in whole for name in frame.columns]

    def row(values: list[object], tag: str) -> str:
        return "<tr>" + "".join(_cell(tag, cell_text(v), k) for v, k in zip(values, keep, strict=True)) + "</tr>"

    body = "".join(row(list(values), "td") for values in frame.itertuples(index=False))
    return (f'{TABLE_CSS}<div class="{TABLE_CLASS}-box"><table class="{TABLE_CLASS}">'
            f"<thead>{row(list(frame.columns), 'th')}</thead><tbody>{body}</tbody></table></div>")


def show_wrapped(table: Table) -> None:
    """A static table that wraps long text, so no column is cut at any width (it does not sort)."""
    show_table(table.frame())


def show_table(frame: pd.DataFrame, *, whole: tuple[str, ...] = ()) -> None:
    """A static HTML table of a frame (``table_html``): one element however many cells, where ``st.table`` would
    parse every cell as Markdown in the browser (about a third of the Results page's rendering), and cells hold
    names, notes and sources people typed, shown literally. Every static table goes through here."""
    st.html(table_html(frame, whole=whole))
