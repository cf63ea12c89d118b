"""The report's page layout on fpdf2: bundled fonts, printable text, headings, tables and chart figures.

``ReportDocument`` is an A4 FPDF with a running header and footer and a few helpers (heading,
paragraph, bullets, grid, figure); ``planner.present.report`` writes the sections with them.

Text: DejaVu Sans (data/fonts/) draws Latin, Greek, Cyrillic, Arabic and Hebrew; Droid Sans Fallback
is added only when a text holds CJK. Every string passes ``printable`` on its way in (the document's
``normalize_text``): control characters become spaces and a character no bundled font can draw (an
emoji, say) becomes PLACEHOLDER, so nothing fails and nothing is silently dropped. Text the user typed
is written inside ``shaped()``: HarfBuzz (uharfbuzz) shapes it, so right-to-left scripts come out in
reading order and Arabic letters join; the planner's own English text is not shaped, which keeps the
export fast. Nothing is read as markup: ``<script>`` and ``**bold**`` print as typed.

Speed: each font is parsed once per process and each chart PNG decoded once per process; a document gets its
own copy of what it changes (``_document_font``, ``ReportDocument._preload_png``).
"""

from __future__ import annotations

import copy
import hashlib
import io
import struct
import unicodedata
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cache, lru_cache
from typing import Any

from fontTools.ttLib import TTFont
from fpdf import FPDF, FontFace
from fpdf.fonts import SubsetMap, TTFFont
from fpdf.image_datastructures import RasterImageInfo
from fpdf.image_parsing import get_img_info

from planner.inputs.paths import data_file

FONT_DIR = data_file("fonts")
BODY_FONT, BODY_FILES = "dejavu", {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
FALLBACK_FONT, FALLBACK_FILE = "droidfallback", "DroidSansFallback.ttf"  # CJK ideographs, kana, Hangul
PLACEHOLDER = "□"  # U+25A1 stands for a character no bundled font can draw (emoji, rare scripts)
DROPPED_CATEGORIES = ("Mn", "Me", "Cf", "Sk")  # marks, joiners, selectors, skin tones: nothing to draw alone
ZERO_WIDTH_JOINER = "\u200d"

MARGIN_MM = 15.0
BODY_PT, SMALL_PT, TABLE_PT, H1_PT, H2_PT, TITLE_PT = 9.5, 7.5, 8.0, 14.0, 10.5, 22.0
LINE_MM = 4.6  # body line height at BODY_PT
HEADING_KEEP_MM = 40.0  # a heading with less room than this below it starts a new page
PAGE_HEADER_MM = 9.0  # the running header's height on pages after the first
KEEP_TABLE_ROWS = 6  # rows (heading included) a table needs below it to start on the current page
MAX_FIGURE_SHRINK = 0.25  # a figure may shrink by this share to stay on the page it starts on
INK = (33, 37, 41)
MUTED = (108, 117, 125)
ACCENT = (31, 78, 121)  # headings and rules
HEADER_FILL = (225, 233, 242)
STRIPE_FILL = (246, 248, 250)

CELL_PADDING_MM = (0.8, 1.2)  # table cells: top/bottom, left/right
MIN_TABLE_PT = 5.5  # a table's font shrinks to this at most so that every heading word fits its column
BODY_WORD_SHARE = 0.3  # a body word wider than this share of the page (a URL) may break; heading words never


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


PRINTABLE_TEXTS_KEPT = 4096  # strings a report lays out, most of them twice (table cells are measured first)


@lru_cache(maxsize=PRINTABLE_TEXTS_KEPT)
def printable(text: str) -> str:
    """Text as the report prints it: control characters as spaces, undrawable characters as PLACEHOLDER."""
    if text.isascii() and text.isprintable():
        return text  # DejaVu Sans draws every printable ASCII character, and NFC leaves ASCII as it is
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


# Figures -------------------------------------------------------------------------------------------


PARSED_CHARTS_KEPT = 32  # charts kept decoded for the PDF (about 0.2 MB a report), as many as chart_png keeps


@lru_cache(maxsize=PARSED_CHARTS_KEPT)
def _parsed_png(png: bytes, image_filter: str) -> RasterImageInfo:
    return get_img_info("chart", io.BytesIO(png), image_filter)  # type: ignore[arg-type]


def forget_parsed_pngs() -> None:
    """Drop the PNGs decoded so far (a benchmark of a first export calls it)."""
    _parsed_png.cache_clear()


def _png_size(png: bytes) -> tuple[int, int]:
    width, height = struct.unpack(">II", png[16:24])  # the IHDR chunk follows the 8-byte signature
    return width, height


# Fonts: parsed once per process ---------------------------------------------------------------------
# fpdf2's add_font reads every glyph's width from the TTF (tens of milliseconds per font, over half a second for the CJK
# fallback); the widths never change, so each document gets a copy of a font parsed once, with its own
# per-document state.


class _BundledFont(TTFFont):
    """A TTFFont that sums unshaped text widths in C: fpdf2 measures each line again after every character."""

    __slots__ = ()

    def get_text_width(self, text: str, font_size_pt: float,
                       text_shaping_params: dict[str, Any] | None) -> tuple[int, float]:
        if text_shaping_params or self.is_symbol:
            return super().get_text_width(text, font_size_pt, text_shaping_params)
        if font_size_pt > self.biggest_size_pt:
            self.biggest_size_pt = font_size_pt
        return len(text), sum(map(self.cw.__getitem__, map(ord, text))) * font_size_pt * 0.001


@cache
def _parsed_font(fontkey: str, style: str, filename: str) -> _BundledFont:
    return _BundledFont(FPDF(), FONT_DIR / filename, fontkey, style)  # the FPDF only numbers it: copies renumber


def _document_font(parsed: _BundledFont, *, index: int) -> _BundledFont:
    """A document's copy of a parsed font: widths and glyph maps shared, everything the document changes its own."""
    font = copy.copy(parsed)
    font.i = index
    font.ttfont = TTFont(parsed.ttffile, recalcTimestamp=False, lazy=True)  # the PDF output subsets it in place
    font.desc = copy.copy(parsed.desc)  # the PDF output numbers and names it
    font.subset = SubsetMap(font)
    font.missing_glyphs = []
    font.biggest_size_pt = 0
    font._hbfont = None  # HarfBuzz's font keeps the last size shaped: one per document
    return font


# The document --------------------------------------------------------------------------------------


class ReportDocument(FPDF):
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
            self._add_bundled_font(BODY_FONT, style, filename)
        self.set_font(BODY_FONT, "", BODY_PT)
        self.set_text_color(*INK)

    def _add_bundled_font(self, family: str, style: str, filename: str) -> None:
        """``add_font`` for a bundled font, from its copy parsed once per process (``_parsed_font``)."""
        fontkey = f"{family}{style}"
        self.fonts[fontkey] = _document_font(_parsed_font(fontkey, style, filename), index=len(self.fonts) + 1)

    # Every string passes here before fpdf2 lays it out: the one place text is made printable.
    # The fallback font is switched on only for a text that needs it: with any fallback font set, fpdf2
    # splits every text character by character, which would slow the whole report down several times.
    def normalize_text(self, text: str) -> str:
        text = printable(text)
        needs_fallback = not text.isascii() and not _body_coverage().issuperset(map(ord, text.replace("\n", "")))
        if needs_fallback and not self._fallback_added:
            self._add_bundled_font(FALLBACK_FONT, "", FALLBACK_FILE)
            self._fallback_added = True
        if self._fallback_added:
            self.set_fallback_fonts([FALLBACK_FONT] if needs_fallback else [], exact_match=False)
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

    def keep(self, height_mm: float) -> None:
        """Start a new page unless height_mm fits below the current position (keeps a title with its text)."""
        if self.get_y() + height_mm > self.h - MARGIN_MM - 3:
            self.add_page()

    def subheading(self, title: str) -> None:
        self.keep(HEADING_KEEP_MM)  # the title, and the start of its table or text
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
             align: Sequence[str] | None = None, size: float = TABLE_PT, shaped: bool = False) -> None:
        """A table whose first row is its heading (repeated on each page), zebra-striped; shaped: user text."""
        if shaped:
            with self.shaped():
                self.grid(rows, widths=widths, align=align, size=size)
            return
        # A short table stays on one page; a long one starts with its heading and a few rows at least.
        self.keep(min(len(rows), KEEP_TABLE_ROWS) * (size * 0.5 + 1.6))  # a one-line row: line height + padding
        widths, size = self.fit_words(rows, widths, size)
        self.set_font(BODY_FONT, "", size)
        self.set_draw_color(200, 206, 212)
        heading = FontFace(emphasis="BOLD", fill_color=HEADER_FILL, color=INK)
        with self.table(col_widths=tuple(widths), text_align=tuple(align or ["LEFT"] * len(widths)),
                           headings_style=heading, borders_layout="HORIZONTAL_LINES",
                           cell_fill_color=STRIPE_FILL, cell_fill_mode="ROWS", line_height=size * 0.5,
                           padding=CELL_PADDING_MM, width=self.epw, repeat_headings=1) as table:
            for row in rows:
                table.row([str(cell) for cell in row])
        self.set_font(BODY_FONT, "", BODY_PT)
        self.ln(2)

    def _word_widths(self, rows: Sequence[Sequence[str]], size: float) -> list[float]:
        """Per column, the widest word of its heading (bold) and of its body cells (up to BODY_WORD_SHARE), in mm,
        with the cell's left and right padding."""
        needs = [0.0] * len(rows[0])
        for r, row in enumerate(rows):
            self.set_font(BODY_FONT, "B" if r == 0 else "", size)
            for c, cell in enumerate(row):
                widest = max((self.get_string_width(word) for word in str(cell).split()), default=0.0)
                if r:
                    widest = min(widest, BODY_WORD_SHARE * self.epw)
                needs[c] = max(needs[c], widest + 2 * CELL_PADDING_MM[1] + 0.2)
        return needs

    def fit_words(self, rows: Sequence[Sequence[str]], widths: Sequence[float],
                  size: float) -> tuple[list[float], float]:
        """Column widths (relative, as given) and a font size at which no heading word is split across lines.

        Columns narrower than their widest word take width from columns with room to spare; if the words do not
        fit the page at ``size``, the font shrinks by half points down to ``MIN_TABLE_PT``. fpdf2 breaks a word
        inside only when it is wider than its cell, so words that fit are never split.
        """
        total = sum(widths)
        while True:
            mm = [w / total * self.epw for w in widths]
            needs = self._word_widths(rows, size)
            if sum(needs) <= self.epw or size <= MIN_TABLE_PT:
                break
            size -= 0.5
        short = sum(max(0.0, n - m) for n, m in zip(needs, mm, strict=True))
        spare = sum(max(0.0, m - n) for n, m in zip(needs, mm, strict=True))
        if short > 0 and spare > 0:
            take = min(1.0, short / spare)
            mm = [n if n > m else m - (m - n) * take for n, m in zip(needs, mm, strict=True)]
        return [m / self.epw * total for m in mm], size

    def _preload_png(self, png: bytes) -> None:
        """Put a PNG decoded before into this document's images, under the name fpdf2 gives it (the MD5 of its
        bytes): fpdf2 decodes and recompresses every PNG, tens of milliseconds for a chart. A PNG with a colour
        profile, or a name fpdf2 does not use, is left to fpdf2."""
        name = hashlib.md5(png.strip(), usedforsecurity=False).hexdigest()
        images = self.image_cache.images
        parsed = _parsed_png(png, self.image_cache.image_filter)
        if name in images or parsed.get("iccp") is not None:
            return
        images[name] = RasterImageInfo(parsed, i=len(images) + 1, usages=0, iccp_i=None)

    def page_room_mm(self) -> float:
        """Height a figure can take on a fresh page, below the running header."""
        return self.h - 2 * MARGIN_MM - 3 - PAGE_HEADER_MM

    def figure_height_mm(self, png: bytes, width_mm: float) -> float:
        """The height a figure will take: its natural height at width_mm, at most a fresh page's room."""
        px_w, px_h = _png_size(png)
        return min(width_mm * px_h / px_w, self.page_room_mm())

    def figure(self, png: bytes, *, width_mm: float, caption: str = "") -> None:
        """A chart centred on the page, never cut: shrunk by at most MAX_FIGURE_SHRINK to fit, else on a new page."""
        px_w, px_h = _png_size(png)
        natural = width_mm * px_h / px_w
        below = 6 if caption else 0
        room = self.h - MARGIN_MM - 3 - self.get_y() - below
        if natural > room and room < (1 - MAX_FIGURE_SHRINK) * min(natural, self.page_room_mm() - below):
            self.add_page()
            room = self.h - MARGIN_MM - 3 - self.get_y() - below
        height = min(natural, room)
        width_mm = width_mm * height / natural
        x = MARGIN_MM + (self.epw - width_mm) / 2
        self._preload_png(png)
        self.image(io.BytesIO(png), x=x, y=self.get_y(), w=width_mm, h=height)
        self.set_y(self.get_y() + height + 1)
        if caption:
            self.paragraph(caption, size=SMALL_PT, color=MUTED)
