"""Tables of ``planner.present.tables`` on a page: sortable data frames where every column fits, wrapped tables where
text is long.

At 1280 px a data frame (a canvas grid) cuts a long text cell and pushes columns past the right edge; a table
with free text (components run, formulas, sources, effects) is shown as a static table that wraps instead, and
one of short cells as a data frame whose numbers stay numbers, so they sort as numbers.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from planner.present.tables import Table
from ui.text import literal


def show_dataframe(table: Table, *, key: str | None = None) -> None:
    """``st.dataframe`` of a table: money, prices, shares and times as numbers with their printf format, so a
    column sorts by value ("100%" after "20%"); text columns as they are."""
    config = {name: st.column_config.NumberColumn(format=fmt) for name, fmt in table.number_formats().items()}
    st.dataframe(table.numeric_frame(), hide_index=True, width="stretch", column_config=config, key=key)


# Long unbroken words (URLs in sources, instance names) may break anywhere rather than push a table past the page.
WRAP_ANYWHERE = '<style>[data-testid="stTable"] td, [data-testid="stTable"] th {overflow-wrap: anywhere;}</style>'


def show_wrapped(table: Table) -> None:
    """A static table that wraps long text, so no column is cut at any width (it does not sort)."""
    show_table(table.frame())


def show_table(frame: pd.DataFrame) -> None:
    """``st.table`` of a frame, wrapping long words, with every text cell through ``literal``: ``st.table`` renders
    its cells as Markdown, and cells hold names, notes and sources people typed. Every static table goes through
    here."""
    st.html(WRAP_ANYWHERE)
    st.table(frame.map(lambda cell: literal(cell) if isinstance(cell, str) else cell), hide_index=True,
             border="horizontal")
