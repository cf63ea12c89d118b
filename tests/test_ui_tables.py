"""Static tables (``ui.tables.table_html``): typed text shown exactly as typed, numbers as the page shows them,
and ids and dates kept whole."""

from __future__ import annotations

import math

import pandas as pd

from tests.conftest import tables_in_html
from ui.tables import TABLE_CLASS, cell_text, table_html

PLANTED = "<img src=x onerror=alert(1)> **b** & [l](javascript:alert(1)) \\* &amp;"


def test_typed_text_is_escaped_and_reads_back_as_typed() -> None:
    body = table_html(pd.DataFrame({"Name <b>": [PLANTED], "Note": ["a\nb"]}))
    assert "<img" not in body and "<b>" not in body
    [frame] = tables_in_html(body)
    assert list(frame.columns) == ["Name <b>", "Note"]
    assert frame.iloc[0].tolist() == [PLANTED, "a\nb"]


def test_numbers_show_without_a_needless_decimal_point_and_missing_values_as_nothing() -> None:
    assert [cell_text(v) for v in (3, 3.0, 2.5, 1e-7, None, math.nan, True, "x")] == [
        "3", "3", "2.5", "1e-07", "", "", "True", "x"]
    frame = pd.DataFrame({"Rank": [1, 2], "Share": [0.25, None]})
    [shown] = tables_in_html(table_html(frame))
    assert shown.values.tolist() == [["1", "0.25"], ["2", ""]]


def test_whole_columns_never_break_and_the_table_has_its_class() -> None:
    body = table_html(pd.DataFrame({"ID": ["ITEM-1"], "Detail": ["x"]}), whole=("ID",))
    assert f'<table class="{TABLE_CLASS}">' in body
    assert '<th class="whole">ID</th>' in body and '<td class="whole">ITEM-1</td>' in body
    assert "<td>x</td>" in body
    assert '<td class="whole">2026-11-09</td>' in table_html(pd.DataFrame({"As of": ["2026-11-09"]}))


def test_only_a_cell_with_a_long_word_may_break_it_anywhere() -> None:
    url = "https://example.com/a/very/long/path/to/a/source.pdf"
    body = table_html(pd.DataFrame({"Source": [f"see {url}"], "Step": ["orchestration"]}))
    assert f'<td class="long">see {url}</td>' in body
    assert "<td>orchestration</td>" in body
