"""The PDF recommendation report: one document a tech lead can forward to decision makers unedited.

``build_report(assessment, evaluation, recommendation, ...) -> bytes`` lays out, with fpdf2: a title
block, an executive summary, scores with every reason, cost and latency (charts and tables),
readiness gaps, the roadmap with its revisit triggers, assumptions with their sources and price dates,
and an appendix with every answer. The charts are the Results page's own Altair specifications
(``planner.charts``) rendered to PNG by vl-convert, so the report needs no browser.

Text: DejaVu Sans (data/fonts/) draws Latin, Greek, Cyrillic, Arabic and Hebrew; Droid Sans Fallback
is added only when a text holds CJK. Text the user typed (project, label, notes, author) is shaped by
HarfBuzz (uharfbuzz), so right-to-left scripts come out in reading order and Arabic letters join;
shaping is off for the planner's own English text, which does not need it, to keep export fast. A
character no bundled font can draw (an emoji, say) prints as PLACEHOLDER instead of failing, and
nothing is ever interpreted as markup: ``<script>`` and ``**bold**`` print as typed.
"""

from __future__ import annotations

import io
import re
import struct
import threading
import unicodedata
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import altair as alt
import vl_convert
from fontTools.ttLib import TTFont
from fpdf import FPDF, FontFace

import planner
from planner.charts import contributions_chart, cost_chart, driver_label, latency_chart
from planner.errors import InputError
from planner.models import Architecture, Assessment
from planner.questions import load_question_bank
from planner.results import ArchitectureEstimate, Evaluation, Recommendation

FONT_DIR = Path(__file__).resolve().parent.parent / "data" / "fonts"
BODY_FONT, BODY_FILES = "dejavu", {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
FALLBACK_FONT, FALLBACK_FILE = "droidfallback", "DroidSansFallback.ttf"  # CJK ideographs, kana, Hangul
PLACEHOLDER = "□"  # U+25A1 stands for a character no bundled font can draw (emoji, rare scripts)
DROPPED_CATEGORIES = ("Mn", "Me", "Cf", "Sk")  # marks, joiners, selectors, skin tones: nothing to draw alone
ZERO_WIDTH_JOINER = "\u200d"

MARGIN_MM = 15.0
BODY_PT, SMALL_PT, TABLE_PT, H1_PT, H2_PT, TITLE_PT = 9.5, 7.5, 8.0, 14.0, 10.5, 22.0
LINE_MM = 4.6  # body line height at BODY_PT
HEADING_KEEP_MM = 40.0  # a heading with less room than this below it starts a new page
INK = (33, 37, 41)
MUTED = (108, 117, 125)
ACCENT = (31, 78, 121)  # headings and rules
HEADER_FILL = (225, 233, 242)
STRIPE_FILL = (246, 248, 250)
GOOD, BAD = (46, 125, 50), (198, 40, 40)  # the charts' toward/against colours

CHART_SCALE = 2.0  # PNG pixels per chart pixel: sharp when printed
CHART_WIDTH_PX = 520  # width given to charts that take their width from the page
MAX_AUTHOR_CHARS = 120
MAX_VERSION_CHARS = 40
TOP_REASONS = 3  # reasons quoted in the executive summary


# Text: what the bundled fonts can draw ------------------------------------------------------------


@cache
def _cmap(filename: str) -> frozenset[int]:
    font = TTFont(FONT_DIR / filename, lazy=True)
    try:
        return frozenset(font.getBestCmap())
    finally:
        font.close()


@cache
def _body_coverage() -> frozenset[int]:
    return _cmap(BODY_FILES[""]) & _cmap(BODY_FILES["B"])


@cache
def _coverage() -> frozenset[int]:
    return _body_coverage() | _cmap(FALLBACK_FILE)


def printable(text: str) -> str:
    """Text as the report prints it: control characters as spaces, undrawable characters as PLACEHOLDER."""
    covered = _coverage()
    out: list[str] = []
    joined = False  # a zero-width joiner followed a placeholder: the next undrawable character is the same emoji
    for char in unicodedata.normalize("NFC", text):
        category = unicodedata.category(char)
        if char == ZERO_WIDTH_JOINER and out and out[-1] == PLACEHOLDER:
            joined = True
        elif char == "\n" or category == "Cc":
            out.append("\n" if char == "\n" else " ")
            joined = False
        elif ord(char) in covered:
            out.append(char)
            joined = False
        elif category in DROPPED_CATEGORIES:
            continue
        elif joined:
            joined = False
        else:
            out.append(PLACEHOLDER)
    return "".join(out)


def report_filename(assessment: Assessment, report_date: date) -> str:
    """A file name for the report: the project in ASCII letters and digits, then the date."""
    ascii_name = unicodedata.normalize("NFKD", assessment.project).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Za-z0-9]+", "-", ascii_name).strip("-").lower()[:60] or "assessment"
    return f"{slug}-recommendation-{report_date.isoformat()}.pdf"


# Charts --------------------------------------------------------------------------------------------

_vl_lock = threading.Lock()  # vl-convert keeps one JavaScript engine per process


def chart_png(chart: alt.TopLevelMixin, *, width_px: int | None = None) -> bytes:
    """An Altair chart as a PNG, rendered by vl-convert (no browser); width_px sets an unsized chart's width."""
    if width_px is not None:
        chart = chart.properties(width=width_px)
    with _vl_lock:
        png: bytes = vl_convert.vegalite_to_png(chart.to_json(), scale=CHART_SCALE)
    return png


def _png_size(png: bytes) -> tuple[int, int]:
    width, height = struct.unpack(">II", png[16:24])  # the IHDR chunk follows the 8-byte signature
    return width, height


def _aspect(png: bytes) -> float:
    width, height = _png_size(png)
    return height / width


# The document --------------------------------------------------------------------------------------


class _Document(FPDF):
    """A4 pages with a running header and footer, the bundled fonts, and a few layout helpers."""

    def __init__(self, running_title: str, footer_text: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.running_title = running_title
        self.footer_text = footer_text
        self._fallback_added = False
        self._sections = 0
        self.set_margins(MARGIN_MM, MARGIN_MM, MARGIN_MM)
        self.set_auto_page_break(auto=True, margin=MARGIN_MM + 3)
        for style, filename in BODY_FILES.items():
            self.add_font(BODY_FONT, style, FONT_DIR / filename)
        self.set_font(BODY_FONT, "", BODY_PT)
        self.set_text_color(*INK)

    # Every string passes here before fpdf2 lays it out: the one place text is made printable.
    def normalize_text(self, text: str) -> str:
        text = printable(text)
        if not self._fallback_added and not _body_coverage().issuperset(map(ord, text.replace("\n", ""))):
            self.add_font(FALLBACK_FONT, "", FONT_DIR / FALLBACK_FILE)
            self.set_fallback_fonts([FALLBACK_FONT], exact_match=False)
            self._fallback_added = True
        return super().normalize_text(text)

    def header(self) -> None:
        if self.page_no() == 1:
            return
        self.set_font(BODY_FONT, "", SMALL_PT)
        self.set_text_color(*MUTED)
        with self.shaped():
            self.cell(self.epw * 0.75, 5, self.running_title, new_x="RIGHT", new_y="TOP")
        self.cell(0, 5, "Architecture recommendation", align="R", new_x="LMARGIN", new_y="NEXT")
        self.set_draw_color(*ACCENT)
        self.line(MARGIN_MM, self.get_y(), self.w - MARGIN_MM, self.get_y())
        self.ln(4)
        self.set_text_color(*INK)
        self.set_font(BODY_FONT, "", BODY_PT)

    def footer(self) -> None:
        self.set_y(-MARGIN_MM)
        self.set_font(BODY_FONT, "", SMALL_PT)
        self.set_text_color(*MUTED)
        self.cell(self.epw / 2, 5, self.footer_text)
        self.cell(0, 5, f"Page {self.page_no()} of {{nb}}", align="R")
        self.set_text_color(*INK)

    @contextmanager
    def shaped(self) -> Iterator[None]:
        """Shape the text written inside (user text: right-to-left and joined scripts)."""
        self.set_text_shaping(True)
        try:
            yield
        finally:
            self.set_text_shaping(False)

    def heading(self, title: str, *, keep_mm: float = HEADING_KEEP_MM) -> None:
        """A numbered section heading, also a PDF bookmark; starts a page when less than keep_mm is left below."""
        self._sections += 1
        keep_mm = min(keep_mm, self.h - 2 * MARGIN_MM - 30)
        if self.get_y() > self.h - MARGIN_MM - keep_mm:
            self.add_page()
        elif self.get_y() > MARGIN_MM + 12:
            self.ln(3)
        numbered = f"{self._sections}. {title}"
        self.start_section(numbered)
        self.set_font(BODY_FONT, "B", H1_PT)
        self.set_text_color(*ACCENT)
        self.cell(0, 8, numbered, new_x="LMARGIN", new_y="NEXT")
        self.set_draw_color(*ACCENT)
        self.line(MARGIN_MM, self.get_y(), self.w - MARGIN_MM, self.get_y())
        self.ln(2)
        self.set_text_color(*INK)
        self.set_font(BODY_FONT, "", BODY_PT)

    def subheading(self, title: str) -> None:
        if self.get_y() > self.h - MARGIN_MM - HEADING_KEEP_MM / 2:
            self.add_page()
        self.ln(1.5)
        self.set_font(BODY_FONT, "B", H2_PT)
        self.cell(0, 6, title, new_x="LMARGIN", new_y="NEXT")
        self.set_font(BODY_FONT, "", BODY_PT)

    def paragraph(self, text: str, *, size: float = BODY_PT, color: tuple[int, int, int] = INK,
                  bold: bool = False, user: bool = False) -> None:
        """Wrapped, left-aligned text; user=True shapes it (text the user typed)."""
        self.set_font(BODY_FONT, "B" if bold else "", size)
        self.set_text_color(*color)
        line = LINE_MM * size / BODY_PT
        if user:
            with self.shaped():
                self.multi_cell(0, line, text, align="L", new_x="LMARGIN", new_y="NEXT")
        else:
            self.multi_cell(0, line, text, align="L", new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(*INK)
        self.set_font(BODY_FONT, "", BODY_PT)
        self.ln(1)

    def bullets(self, items: Sequence[str], *, numbered: bool = False) -> None:
        for i, item in enumerate(items, start=1):
            self.set_x(MARGIN_MM + 2)
            self.cell(6, LINE_MM, f"{i}." if numbered else "•")
            self.multi_cell(0, LINE_MM, item, align="L", new_x="LMARGIN", new_y="NEXT")
            self.ln(0.8)

    def grid(self, rows: Sequence[Sequence[str]], *, widths: Sequence[float],
             align: Sequence[str] | None = None, size: float = TABLE_PT) -> None:
        """A table whose first row is its heading (repeated on each page), zebra-striped."""
        self.set_font(BODY_FONT, "", size)
        self.set_draw_color(200, 206, 212)
        heading = FontFace(emphasis="BOLD", fill_color=HEADER_FILL, color=INK)
        with self.table(col_widths=tuple(widths), text_align=tuple(align or ["LEFT"] * len(widths)),
                           headings_style=heading, borders_layout="HORIZONTAL_LINES",
                           cell_fill_color=STRIPE_FILL, cell_fill_mode="ROWS", line_height=size * 0.5,
                           padding=(0.8, 1.2), width=self.epw, repeat_headings=1) as table:
            for row in rows:
                table.row([str(cell) for cell in row])
        self.set_font(BODY_FONT, "", BODY_PT)
        self.ln(2)

    def figure(self, png: bytes, *, width_mm: float, caption: str = "") -> None:
        """A chart centred on the page; shrunk or moved to the next page so it is never cut."""
        px_w, px_h = _png_size(png)
        height = width_mm * px_h / px_w
        room = self.h - MARGIN_MM - 3 - self.get_y() - (6 if caption else 0)
        full_page = self.h - 2 * MARGIN_MM - 20
        if height > room:
            if height <= full_page or room < full_page * 0.6:
                self.add_page()
                room = self.h - MARGIN_MM - 3 - self.get_y() - (6 if caption else 0)
            if height > room:
                width_mm, height = width_mm * room / height, room
        x = MARGIN_MM + (self.epw - width_mm) / 2
        self.image(io.BytesIO(png), x=x, y=self.get_y(), w=width_mm, h=height)
        self.set_y(self.get_y() + height + 1)
        if caption:
            self.paragraph(caption, size=SMALL_PT, color=MUTED)


def _money(usd: float) -> str:
    return f"${usd:,.0f}"


def _ms(value: float) -> str:
    return f"{value:,.0f}"


def _check_text(field: str, value: str, limit: int) -> str:
    if not isinstance(value, str):
        raise InputError(f"The {field} must be text.", {field: f"The {field} must be text."})
    value = value.strip()
    if len(value) > limit:
        message = f"The {field} is {len(value)} characters long; at most {limit} fit on the report."
        raise InputError(message, {field: message})
    return value


def build_report(assessment: Assessment, evaluation: Evaluation, recommendation: Recommendation, *,
                 author: str = "", app_version: str = planner.__version__,
                 report_date: date | None = None) -> bytes:
    """The PDF report of one evaluated assessment; author is who prepared it (person or facilitator)."""
    author = _check_text("author", author, MAX_AUTHOR_CHARS)
    app_version = _check_text("app version", app_version, MAX_VERSION_CHARS) or planner.__version__
    when = report_date or datetime.now(UTC).date()
    running = assessment.project + (f" · {assessment.label}" if assessment.label else "")
    pdf = _Document(running, f"GenAI Architecture Planner {app_version}")
    pdf.set_title(f"Architecture recommendation: {printable(running)}")
    pdf.set_author(printable(author) or "GenAI Architecture Planner")
    pdf.set_creator(f"GenAI Architecture Planner {app_version}")
    pdf.set_creation_date(datetime(when.year, when.month, when.day, tzinfo=UTC))
    pdf.add_page()
    _title_block(pdf, assessment, author=author, app_version=app_version, when=when,
                 evaluation=evaluation)
    _summary(pdf, assessment, evaluation, recommendation)
    _scores(pdf, recommendation)
    _costs(pdf, assessment, evaluation)
    _latency(pdf, assessment, evaluation)
    _gaps(pdf, recommendation)
    _roadmap(pdf, recommendation)
    _assumptions(pdf, evaluation, assessment)
    _answers(pdf, assessment)
    return bytes(pdf.output())


# Sections ------------------------------------------------------------------------------------------


def _title_block(pdf: _Document, assessment: Assessment, *, author: str, app_version: str, when: date,
                 evaluation: Evaluation) -> None:
    pdf.set_text_color(*ACCENT)
    pdf.set_font(BODY_FONT, "", H2_PT)
    pdf.cell(0, 6, "Architecture recommendation", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(BODY_FONT, "B", TITLE_PT)
    with pdf.shaped():
        pdf.multi_cell(0, 10, assessment.project, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(*INK)
    if assessment.label:
        pdf.paragraph(assessment.label, size=12, user=True)
    pdf.ln(2)
    facts = [("Date", when.isoformat()), ("Prepared by", author or "not stated"),
             ("App version", f"GenAI Architecture Planner {app_version}"),
             ("Model", evaluation.model_name), ("Simulation seed", str(evaluation.seed))]
    for name, value in facts:
        pdf.set_font(BODY_FONT, "B", BODY_PT)
        pdf.cell(32, LINE_MM + 0.6, name)
        pdf.set_font(BODY_FONT, "", BODY_PT)
        with pdf.shaped():
            pdf.multi_cell(0, LINE_MM + 0.6, value, align="L", new_x="LMARGIN", new_y="NEXT")
    if assessment.notes:
        pdf.ln(1)
        pdf.set_font(BODY_FONT, "B", BODY_PT)
        pdf.cell(0, LINE_MM, "Notes", new_x="LMARGIN", new_y="NEXT")
        pdf.paragraph(assessment.notes, user=True)


def _top_reasons(recommendation: Recommendation) -> list[str]:
    best = recommendation.ranked[0]
    toward = sorted((c for c in best.contributions if c.points > 0), key=lambda c: -c.points)[:TOP_REASONS]
    return [f"{c.points:+.1f} points, {driver_label(c.driver).lower()}: {c.reason}" for c in toward]


def _summary(pdf: _Document, assessment: Assessment, evaluation: Evaluation,
             recommendation: Recommendation) -> None:
    pdf.heading("Executive summary")
    top = recommendation.top
    pdf.set_font(BODY_FONT, "B", 13)
    pdf.set_text_color(*ACCENT)
    pdf.cell(0, 8, f"Recommended: {top.label}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(*INK)
    pdf.paragraph(f"Confidence: {recommendation.confidence} (lead of {recommendation.margin:g} points over "
                  f"{recommendation.ranked[1].architecture.label}).", bold=True)
    pdf.paragraph(recommendation.summary)
    reasons = _top_reasons(recommendation)
    if reasons:
        pdf.subheading(f"Top reasons for {top.label.lower()}")
        pdf.bullets(reasons)
    w = assessment.workload
    pdf.subheading("Each architecture at a glance")
    rows = [["Rank", "Architecture", "Score", "Monthly cost", "p95 TTFT (ms)", "p95 end-to-end (ms)",
             "Meets targets"]]
    for rank, score in enumerate(recommendation.ranked, start=1):
        e = evaluation.estimate(score.architecture)
        rows.append([str(rank), score.architecture.label, f"{score.score:.1f}", _money(e.monthly_cost_usd),
                     _ms(e.ttft.p95_ms), _ms(e.e2e.p95_ms), "yes" if e.meets_targets else "no"])
    pdf.grid(rows, widths=(8, 24, 12, 20, 20, 24, 18), align=("C", "L", "R", "R", "R", "R", "C"))
    pdf.paragraph(f"Targets: p95 time to first token {w.p95_ttft_ms:,g} ms, p95 end-to-end {w.p95_e2e_ms:,g} ms, "
                  f"at a peak of {w.peak_requests_per_s:,g} requests/s ({w.mean_requests_per_s:,g} on average); "
                  f"budget {_money(assessment.team.monthly_budget_usd)} a month. Costs are monthly in USD.",
                  size=SMALL_PT, color=MUTED)


def _scores(pdf: _Document, recommendation: Recommendation) -> None:
    png = chart_png(contributions_chart(recommendation))
    width = pdf.epw * 0.92
    pdf.heading("Scores and reasons", keep_mm=30 + width * _aspect(png))
    pdf.paragraph("Every score is 50 points plus the drivers below: green bars push toward an architecture, "
                  "red bars away from it.")
    pdf.figure(png, width_mm=width)
    for rank, score in enumerate(recommendation.ranked, start=1):
        pdf.subheading(f"{rank}. {score.architecture.label}: {score.score:.1f} points")
        rows = [["Points", "Driver", "Reason"]]
        rows += [[f"{c.points:+.2f}", driver_label(c.driver), c.reason] for c in score.contributions]
        pdf.grid(rows, widths=(10, 28, 62), align=("R", "L", "L"))
    pdf.subheading("What would change the recommendation")
    if recommendation.flip_points:
        pdf.bullets([flip.text for flip in recommendation.flip_points])
    else:
        pdf.paragraph(f"No single answer in the tried range changes the top choice: {recommendation.top.label} "
                      "stays first whichever one of the key answers moves on its own.")


def _costs(pdf: _Document, assessment: Assessment, evaluation: Evaluation) -> None:
    pdf.heading("Cost per month")
    pdf.figure(chart_png(cost_chart(evaluation), width_px=CHART_WIDTH_PX), width_mm=pdf.epw * 0.8)
    rows = [["Architecture", "GPU", "CPU", "Platform", "People", "Total", "Share of budget"]]
    budget = assessment.team.monthly_budget_usd
    for e in evaluation.estimates.values():
        c = e.cost
        rows.append([e.architecture.label, _money(c.gpu_usd), _money(c.cpu_usd), _money(c.platform_usd),
                     _money(c.people_usd), _money(c.total_usd), f"{c.total_usd / budget:.0%}"])
    pdf.grid(rows, widths=(22, 14, 14, 14, 14, 14, 14), align=("L", "R", "R", "R", "R", "R", "R"))
    pdf.subheading("Fleet")
    fleet = [["Architecture", "Unit", "Runs", "Instance", "Peak", "Min", "Mean", "$/h each", "Monthly"]]
    for e in evaluation.estimates.values():
        for f in e.fleet:
            instance = f"{f.provider} {f.instance}" + (f" ({f.gpus_per_replica} x {f.gpu})" if f.gpu else "")
            fleet.append([e.architecture.label, f.unit, ", ".join(f.components), instance, str(f.replicas_peak),
                          str(f.replicas_min), f"{f.replicas_mean:.1f}", f"{f.usd_per_replica_hour:,.3f}",
                          _money(f.monthly_usd)])
    pdf.grid(fleet, widths=(15, 15, 21, 22, 6, 5, 6, 9, 11), align=("L", "L", "L", "L", "R", "R", "R", "R", "R"),
              size=SMALL_PT)
    pdf.paragraph("GPU units count instances; CPU units count one-vCPU workers. The monolith runs its CPU steps "
                  "on the GPU hosts, so it scales everything together.", size=SMALL_PT, color=MUTED)
    pdf.subheading("Every cost line with its formula")
    lines = [["Architecture", "Category", "Item", "Formula", "Monthly"]]
    lines += [[e.architecture.label, c.category, c.item, c.formula, _money(c.monthly_usd)]
              for e in evaluation.estimates.values() for c in e.cost_lines]
    pdf.grid(lines, widths=(15, 10, 22, 41, 12), align=("L", "L", "L", "L", "R"), size=SMALL_PT)


def _latency_rows(e: ArchitectureEstimate, assessment: Assessment) -> list[list[str]]:
    w = assessment.workload
    rows = []
    for metric, stats, target, met in (("Time to first token", e.ttft, w.p95_ttft_ms, e.meets_ttft_target),
                                       ("End-to-end", e.e2e, w.p95_e2e_ms, e.meets_e2e_target)):
        low, high = stats.p95_ci_ms
        rows.append([e.architecture.label, metric, _ms(stats.p50_ms), f"{_ms(stats.p95_ms)} ({_ms(low)}–{_ms(high)})",
                     _ms(stats.p99_ms), _ms(target), "yes" if met else "no"])
    return rows


def _latency(pdf: _Document, assessment: Assessment, evaluation: Evaluation) -> None:
    pdf.heading("Latency at peak")
    pdf.figure(chart_png(latency_chart(evaluation, assessment)), width_mm=pdf.epw * 0.7,
               caption="Points: p50, p95 and p99; bars: their 95 % confidence intervals; red dashes: the p95 "
                       "targets.")
    rows = [["Architecture", "Metric", "p50 (ms)", "p95 (ms, 95 % CI)", "p99 (ms)", "p95 target (ms)", "Meets"]]
    for e in evaluation.estimates.values():
        rows += _latency_rows(e, assessment)
    pdf.grid(rows, widths=(17, 20, 11, 22, 11, 13, 8), align=("L", "L", "R", "R", "R", "R", "C"))
    hops = [["Architecture", "Deployable units", "Network hops", "Hop latency (ms)", "Requests over a target"]]
    hops += [[e.architecture.label, str(e.deployable_units), str(e.network_hops), f"{e.hop_latency_ms:.1f}",
              f"{e.slo_miss_share:.1%}"] for e in evaluation.estimates.values()]
    pdf.grid(hops, widths=(22, 18, 18, 18, 24), align=("L", "R", "R", "R", "R"))
    w = assessment.workload
    notes = [f"{e.architecture.label}: {note}" for e in evaluation.estimates.values() for note in e.notes]
    pdf.paragraph(f"Simulated at {w.peak_requests_per_s:,g} requests/s with {evaluation.model_name} "
                  f"(seed {evaluation.seed}). " + " ".join(notes), size=SMALL_PT, color=MUTED)


def _gaps(pdf: _Document, recommendation: Recommendation) -> None:
    pdf.heading("Readiness gaps and next steps")
    for architecture in _ranked_architectures(recommendation):
        gaps = [g for g in recommendation.gaps if g.architecture is architecture]
        pdf.subheading(f"{architecture.label}: {len(gaps) or 'no'} gap{'s' if len(gaps) != 1 else ''}")
        if not gaps:
            pdf.paragraph(f"The team's readiness meets what a {architecture.label.lower()} needs.")
            continue
        rows = [["Skill", "Level now", "Needs", "Next step"]]
        rows += [[g.label, str(g.current), str(g.required), g.next_step] for g in gaps]
        pdf.grid(rows, widths=(26, 9, 8, 57), align=("L", "C", "C", "L"))


def _ranked_architectures(recommendation: Recommendation) -> list[Architecture]:
    return [s.architecture for s in recommendation.ranked]


def _roadmap(pdf: _Document, recommendation: Recommendation) -> None:
    pdf.heading("Roadmap and when to revisit")
    for i, stage in enumerate(recommendation.roadmap, start=1):
        pdf.paragraph(f"{i}. {stage.title}", bold=True)
        pdf.paragraph(stage.detail)
    pdf.subheading("Re-assess when")
    pdf.bullets([t.text for t in recommendation.triggers])


def _assumptions(pdf: _Document, evaluation: Evaluation, assessment: Assessment) -> None:
    pdf.heading("Assumptions, sources and price dates")
    pdf.paragraph("Every estimate rests on these constants. A value marked 'overridden' was replaced in this "
                  "assessment; a source starting 'assumption:' marks a figure without a public source.")
    rows = [["Assumption", "Value", "Source", "As of"]]
    rows += [[f"{a.key}\n{a.description}", f"{a.value:,.6g} {a.unit}".strip() + (" overridden" if a.overridden else ""),
              a.source, a.as_of] for a in evaluation.assumptions]
    pdf.grid(rows, widths=(39, 13, 37, 11), align=("L", "R", "L", "L"), size=SMALL_PT)
    pdf.subheading("Instance prices used")
    seen: dict[tuple[str, str, str], Any] = {}
    for e in evaluation.estimates.values():
        for f in e.fleet:
            seen.setdefault((f.provider, f.instance, f.region), f)
    prices = [["Instance", "Region", "$/h", "Source", "As of"]]
    prices += [[f"{p} {i}", region, f"{f.usd_per_replica_hour:,.3f}", f.price_source or "—", f.price_as_of or "—"]
               for (p, i, region), f in seen.items()]
    pdf.grid(prices, widths=(24, 14, 9, 43, 10), align=("L", "L", "R", "L", "L"), size=SMALL_PT)
    source = (f"saved price list “{assessment.price_list}”" if assessment.price_list
              else "the shipped price list (data/instances.csv)")
    pdf.paragraph(f"Prices: {assessment.workload.pricing.value.replace('_', '-')} rates from {source}.",
                  size=SMALL_PT, color=MUTED, user=bool(assessment.price_list))


def _answer(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,g}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) or "any"
    return str(getattr(value, "value", value)).replace("_", " ")


def _answers(pdf: _Document, assessment: Assessment) -> None:
    pdf.heading("Appendix: every answer")
    bank = load_question_bank()
    workload = assessment.workload
    for section in bank.workload_sections:
        pdf.subheading(f"Workload: {section.title}")
        rows = [["Question", "Answer"]]
        rows += [[f.label, _answer(getattr(workload, f.key))] for f in section.fields]
        pdf.grid(rows, widths=(60, 40))
    pdf.subheading("Workload: request pipeline (besides inference)")
    steps = [["Step", "CPU ms per request", "Failure fails the request", "Deploys per week", "Runs after inference"]]
    steps += [[c.name, f"{c.cpu_ms_per_request:,g}", _answer(c.critical), f"{c.deploys_per_week:,g}",
               _answer(c.after_inference)] for c in workload.pipeline]
    pdf.grid(steps, widths=(24, 19, 19, 19, 19), align=("L", "R", "C", "R", "C"))
    pdf.subheading("Team")
    team = [["Question", "Answer"]]
    team += [[f.label, _answer(getattr(assessment.team, f.key))] for f in bank.team_fields]
    pdf.grid(team, widths=(60, 40))
    pdf.subheading("Team readiness (levels 0 to 4)")
    levels = [["Question", "Level", "What the level means"]]
    for q in bank.readiness:
        level = getattr(assessment.team, q.key)
        levels.append([q.label, str(level), q.levels[level]])
    pdf.grid(levels, widths=(30, 8, 62), align=("L", "C", "L"))
    pdf.subheading("Assumption overrides")
    if assessment.assumption_overrides:
        pdf.grid([["Key", "Value"]] + [[k, f"{v:,g}"] for k, v in sorted(assessment.assumption_overrides.items())],
                  widths=(60, 40))
    else:
        pdf.paragraph("None: every assumption is at its documented default.")
