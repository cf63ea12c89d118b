"""What the PDF report reuses from one export to the next changes nothing in the PDF.

Fonts are parsed once per process and copied per document, chart PNGs are rendered and decoded once per
process (``planner.present.pdf_layout``, ``planner.present.charts``). These tests build reports in a row,
at the same time and after forgetting the charts, and compare bytes; timings are bench/bench_report.py's.
"""

from __future__ import annotations

import threading
from datetime import date

import fpdf.image_parsing
import pytest
import vl_convert
from fontTools.ttLib import TTFont
from fpdf import FPDF

from planner.decide.results import Recommendation
from planner.decide.scoring import recommend
from planner.estimate.engine import evaluate
from planner.estimate.results import Evaluation
from planner.inputs.files import load_presets
from planner.inputs.models import Assessment
from planner.present.pdf_layout import BODY_FILES, FONT_DIR, ReportDocument, printable
from planner.present.report import build_report, forget_charts

REPORT_DATE = date(2026, 11, 29)
CJK_PROJECT = "東京 推論基盤 · 서울 팀"
RTL_NOTES = "مشروع الذكاء الاصطناعي — פרויקט בינה מלאכותית"
# No CJK: the report measures that with the fallback font.
MEASURED = ("Monthly cost (USD)", "p95 end-to-end 1,234 ms", "Ωmega Zoë Ελλάδα", "🚀 emoji", "tab\there", "")


@pytest.fixture(scope="module")
def evaluated() -> tuple[Assessment, Evaluation, Recommendation]:
    """The blank preset evaluated once for the module."""
    assessment = load_presets()["blank"]
    evaluation = evaluate(assessment)
    return assessment, evaluation, recommend(assessment, evaluation)


@pytest.fixture(scope="module")
def first(evaluated: tuple[Assessment, Evaluation, Recommendation]) -> bytes:
    """The blank preset's report, built before any other in this module."""
    return build_report(*evaluated, report_date=REPORT_DATE)


def test_every_printable_ascii_character_is_in_both_body_fonts() -> None:
    ascii_printable = {code for code in range(0x20, 0x7F)}
    for filename in BODY_FILES.values():
        font = TTFont(FONT_DIR / filename, lazy=True)
        try:
            assert ascii_printable <= set(font.getBestCmap())  # what lets printable() pass ASCII through unread
        finally:
            font.close()
    assert all(printable(chr(code)) == chr(code) for code in ascii_printable)


@pytest.mark.parametrize("style", ["", "B"])
@pytest.mark.parametrize("size", [5.5, 9.5, 22.0])
def test_the_report_measures_text_as_fpdf2_does(style: str, size: float) -> None:
    plain = FPDF()
    plain.add_font("dejavu", style, FONT_DIR / BODY_FILES[style])
    plain.set_font("dejavu", style, size)
    document = ReportDocument("title", "footer")
    document.set_font("dejavu", style, size)
    for text in MEASURED:
        expected = plain.get_string_width(printable(text))  # the report prints text after printable()
        assert document.get_string_width(text) == pytest.approx(expected, rel=1e-12)


def test_reports_in_a_row_are_the_same_bytes(evaluated: tuple[Assessment, Evaluation, Recommendation],
                                             first: bytes) -> None:
    assessment, evaluation, recommendation = evaluated
    named = assessment.model_copy(update={"project": CJK_PROJECT, "notes": RTL_NOTES})
    other = build_report(named, evaluation, recommendation, report_date=REPORT_DATE)  # adds and subsets the CJK font
    assert other != first
    assert build_report(*evaluated, report_date=REPORT_DATE) == first
    assert build_report(named, evaluation, recommendation, report_date=REPORT_DATE) == other


def test_reports_built_at_once_are_the_same_bytes(evaluated: tuple[Assessment, Evaluation, Recommendation],
                                                  first: bytes) -> None:
    results: list[bytes] = []

    def export() -> None:
        results.append(build_report(*evaluated, report_date=REPORT_DATE))

    threads = [threading.Thread(target=export) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [first, first]


def test_charts_rendered_anew_give_the_same_bytes(evaluated: tuple[Assessment, Evaluation, Recommendation],
                                                  first: bytes) -> None:
    forget_charts()
    assert build_report(*evaluated, report_date=REPORT_DATE) == first


def test_a_second_export_renders_and_decodes_no_chart(evaluated: tuple[Assessment, Evaluation, Recommendation],
                                                      first: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a chart was rendered or decoded again")

    build_report(*evaluated, report_date=REPORT_DATE)  # whatever an earlier test forgot is back
    monkeypatch.setattr(vl_convert, "vegalite_to_png", refuse)
    monkeypatch.setattr(fpdf.image_parsing, "get_img_info", refuse)
    assert build_report(*evaluated, report_date=REPORT_DATE) == first
