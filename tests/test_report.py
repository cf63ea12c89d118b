"""The PDF report: it opens, holds every section, quotes the Evaluation's figures, embeds the charts,
prints any text literally, and renders to a non-blank page image.

One evaluation and one report per module (fixtures with module scope): evaluating takes seconds.
"""

from __future__ import annotations

import io
import logging
import os
import re
import shutil
import subprocess
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pypdf
import pytest
from PIL import Image
from typer.testing import CliRunner

from planner import cli, history, store
from planner.decide.results import Recommendation
from planner.decide.scoring import lead_time_text, recommend, scale_text
from planner.errors import InputError
from planner.estimate.engine import evaluate
from planner.estimate.results import Evaluation
from planner.inputs.files import dump_assessment, load_presets
from planner.inputs.models import Architecture, Assessment
from planner.inputs.questions import load_question_bank
from planner.present import tables
from planner.present.pdf_layout import FALLBACK_FILE, FONT_DIR, PLACEHOLDER, printable
from planner.present.report import WhatChanged, build_report, report_filename, what_changed
from planner.store import StoredAssessment

REPORT_DATE = date(2026, 11, 29)
SECTIONS = ("Executive summary", "Scores and reasons", "Cost per month", "Latency at peak",
            "Resilience: failures, deploys and model updates", "Readiness gaps and next steps",
            "Roadmap and when to revisit", "Assumptions, sources and price dates", "Appendix: every answer")
CHANGES_SECTION = "What changed since the previous assessment"
HOSTILE_PROJECT = "Café Ωmega 東京プロジェクト 한국 🚀 <script>alert(1)</script> **bold**"
HOSTILE_NOTES = "Notes with `code`, [a link](http://x), # heading\n👨‍👩‍👧 family and <b>tags</b>"
HEBREW, ARABIC = "פרויקט בינה מלאכותית", "مشروع الذكاء الاصطناعي"


@pytest.fixture(scope="module")
def evaluated() -> tuple[Assessment, Evaluation, Recommendation]:
    """The default (blank) preset evaluated once for the whole module: readiness gaps and flip points included."""
    assessment = load_presets()["blank"]
    evaluation = evaluate(assessment)
    return assessment, evaluation, recommend(assessment, evaluation)


@pytest.fixture(scope="module")
def report(evaluated: tuple[Assessment, Evaluation, Recommendation]) -> bytes:
    assessment, evaluation, recommendation = evaluated
    return build_report(assessment, evaluation, recommendation, author="Ana Müller", report_date=REPORT_DATE)


@pytest.fixture(scope="module")
def reader(report: bytes) -> pypdf.PdfReader:
    return pypdf.PdfReader(io.BytesIO(report))


@pytest.fixture(scope="module")
def text(reader: pypdf.PdfReader) -> str:
    """The whole report's text, pages joined."""
    return "\n".join(page.extract_text() for page in reader.pages)


def _money(usd: float) -> str:
    return f"${usd:,.0f}"


def _embedded_fonts(reader: pypdf.PdfReader) -> set[str]:
    names = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            names.add(str(font.get_object()["/BaseFont"]))
    return names


def test_the_report_is_a_pdf_with_every_section_in_order(report: bytes, reader: pypdf.PdfReader, text: str) -> None:
    assert report.startswith(b"%PDF-")
    assert len(reader.pages) >= 5
    bookmarks = [item.title for item in reader.outline]
    assert bookmarks == [f"{i}. {title}" for i, title in enumerate(SECTIONS, start=1)]
    positions = [text.index(f"{i}. {title}") for i, title in enumerate(SECTIONS, start=1)]
    assert positions == sorted(positions)
    assert reader.metadata.title == "Architecture recommendation: New project · Blank start"
    assert reader.metadata.author == "Ana Müller"


def test_title_block_names_project_date_author_and_version(reader: pypdf.PdfReader) -> None:
    first = reader.pages[0].extract_text()
    for expected in ("New project", "Blank start", "2026-11-29", "Ana Müller", "GenAI Architecture Planner 0.1.0",
                     "Llama 3.1 8B Instruct", "Every answer at its default."):
        assert expected in first
    assert f"Page 1 of {len(reader.pages)}" in first


def test_summary_quotes_recommendation_cost_and_p95_of_every_architecture(
        evaluated: tuple[Assessment, Evaluation, Recommendation], reader: pypdf.PdfReader) -> None:
    _, evaluation, recommendation = evaluated
    first = reader.pages[0].extract_text()
    assert f"Recommended: {recommendation.top.label}" in first
    assert f"Confidence: {recommendation.confidence}" in first
    assert scale_text() in " ".join(first.split())  # what the points of the lead are out of
    for rank, score in enumerate(recommendation.ranked, start=1):
        e = evaluation.estimate(score.architecture)
        total = e.cost.gpu_usd + e.cost.cpu_usd + e.cost.platform_usd + e.cost.people_usd
        row = re.search(rf"^{rank} {score.architecture.label} (\S+) (\S+) (\S+) (\S+) (yes|no)$", first, re.M)
        assert row is not None, first
        assert row.groups() == (f"{score.score:.1f}", _money(total), f"{e.ttft.p95_ms:,.0f}", f"{e.e2e.p95_ms:,.0f}",
                                "yes" if e.meets_targets else "no")
    strongest = max(recommendation.ranked[0].contributions, key=lambda c: c.points)
    assert f"{strongest.points:+.1f} points" in first


def test_cost_table_sums_the_categories(evaluated: tuple[Assessment, Evaluation, Recommendation], text: str) -> None:
    assessment, evaluation, _ = evaluated
    for e in evaluation.estimates.values():
        c = e.cost
        total = c.gpu_usd + c.cpu_usd + c.platform_usd + c.people_usd
        share = f"{(total - c.people_usd) / assessment.team.monthly_budget_usd:.0%}"  # infrastructure of budget
        cells = [_money(v) for v in (c.gpu_usd, c.cpu_usd, c.platform_usd, c.people_usd, total)]
        assert f"{e.architecture.label} {' '.join(cells)} {share}" in text
        assert f"{e.architecture.label.lower()} {_money(total - c.people_usd)} ({share})" in " ".join(text.split())
        assert abs(sum(line.monthly_usd for line in e.cost_lines) - total) < 1.0  # every dollar has a line


def test_latency_table_quotes_percentiles_and_intervals(
        evaluated: tuple[Assessment, Evaluation, Recommendation], text: str) -> None:
    assessment, evaluation, _ = evaluated
    for e in evaluation.estimates.values():
        low, high = e.e2e.p95_ci_ms
        expected = (f"{e.architecture.label} End-to-end {e.e2e.p50_ms:,.0f} {e.e2e.p95_ms:,.0f} "
                    f"({low:,.0f}–{high:,.0f}) {e.e2e.p99_ms:,.0f} {assessment.workload.p95_e2e_ms:,.0f}")
        assert expected in text


def test_gaps_roadmap_triggers_and_flip_points_are_printed(
        evaluated: tuple[Assessment, Evaluation, Recommendation], text: str) -> None:
    _, _, recommendation = evaluated
    flat = " ".join(text.split())
    for stage in recommendation.roadmap:
        assert " ".join(stage.title.split()) in flat
    for trigger in recommendation.triggers:
        assert " ".join(trigger.text.split()) in flat
    assert recommendation.gaps and recommendation.flip_points  # the preset exercises both sections
    for gap in recommendation.gaps:
        assert " ".join(gap.next_step.split()) in flat
    for flip in recommendation.flip_points:
        assert " ".join(flip.text.split()) in flat


def test_assumptions_list_sources_and_dates_and_prices_their_date(
        evaluated: tuple[Assessment, Evaluation, Recommendation], text: str) -> None:
    _, evaluation, _ = evaluated
    flat = " ".join(text.split())
    for a in evaluation.assumptions:
        assert a.key in flat
        assert a.as_of in flat
    gpu_prices = {f.price_as_of for e in evaluation.estimates.values() for f in e.fleet if f.kind == "gpu"}
    assert gpu_prices and all(d in flat for d in gpu_prices)


def test_appendix_holds_every_answer(evaluated: tuple[Assessment, Evaluation, Recommendation], text: str) -> None:
    assessment, _, _ = evaluated
    bank = load_question_bank()
    appendix = " ".join(text[text.index("Appendix: every answer"):].split())
    for section in bank.workload_sections:
        for field in section.fields:
            assert field.label in appendix
    for field in bank.team_fields:
        assert field.label in appendix
    for question in bank.readiness:
        level = getattr(assessment.team, question.key)
        assert f"{question.label} {level}" in appendix or question.label in appendix
        assert " ".join(question.levels[level].split()) in appendix
    for step in assessment.workload.pipeline:
        assert step.name in appendix
    assert f"{assessment.team.monthly_budget_usd:,g}" in appendix


def test_the_four_charts_are_embedded_as_images(reader: pypdf.PdfReader) -> None:
    images = [image for page in reader.pages for image in page.images]
    assert len(images) == 4  # contributions, cost, latency, resilience timeline
    for image in images:
        width, height = image.image.size
        assert width >= 600 and height >= 200  # rendered at twice the chart's pixel size: sharp in print


def test_an_ascii_report_embeds_only_dejavu(reader: pypdf.PdfReader) -> None:
    fonts = _embedded_fonts(reader)
    assert fonts and all("DejaVuSans" in name for name in fonts)


def test_same_inputs_and_date_give_the_same_bytes(evaluated: tuple[Assessment, Evaluation, Recommendation],
                                                  report: bytes) -> None:
    assessment, evaluation, recommendation = evaluated
    again = build_report(assessment, evaluation, recommendation, author="Ana Müller", report_date=REPORT_DATE)
    assert again == report


@pytest.fixture(scope="module")
def hostile(evaluated: tuple[Assessment, Evaluation, Recommendation]) -> tuple[pypdf.PdfReader, list[str]]:
    """A report of a project named with CJK, accents, emoji and markup, with right-to-left notes, and fpdf2's
    warnings while it was built."""
    assessment, evaluation, recommendation = evaluated
    named = assessment.model_copy(update={"project": HOSTILE_PROJECT, "label": "Ünïcödé **label**",
                                          "notes": f"{HOSTILE_NOTES}\n{HEBREW}\n{ARABIC}"})
    warnings: list[str] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = lambda record: warnings.append(record.getMessage())  # type: ignore[method-assign]
    logger = logging.getLogger("fpdf")
    logger.addHandler(handler)
    try:
        pdf = build_report(named, evaluation, recommendation, author="Zoë 李 <i>x</i>", report_date=REPORT_DATE)
    finally:
        logger.removeHandler(handler)
    return pypdf.PdfReader(io.BytesIO(pdf)), warnings


def test_hostile_names_print_literally_without_error(hostile: tuple[pypdf.PdfReader, list[str]]) -> None:
    reader, warnings = hostile
    assert not [w for w in warnings if "missing" in w]  # no glyph silently dropped
    flat = " ".join(reader.pages[0].extract_text().split())
    assert f"Café Ωmega 東京プロジェクト 한국 {PLACEHOLDER} <script>alert(1)</script> **bold**" in flat
    assert "Ünïcödé **label**" in flat
    assert "Notes with `code`, [a link](http://x), # heading" in flat
    assert f"{PLACEHOLDER} family and <b>tags</b>" in flat  # one placeholder for the joined family emoji
    assert "Zoë 李 <i>x</i>" in flat
    assert "<script>alert(1)</script>" in reader.pages[1].extract_text()  # the running header, too
    assert any("DroidSansFallback" in name for name in _embedded_fonts(reader))


def test_right_to_left_text_comes_out_in_reading_order(hostile: tuple[pypdf.PdfReader, list[str]]) -> None:
    first = hostile[0].pages[0].extract_text()
    # Unshaped, the glyphs would sit left to right in memory order and extract reversed.
    assert HEBREW in first and HEBREW[::-1] not in first
    assert ARABIC in first


@pytest.mark.parametrize(("raw", "expected"), [
    ("Café", "Café"),
    ("Cafe\u0301", "Café"),  # a combining accent is composed
    ("東京 서울 ひらがな", "東京 서울 ひらがな"),
    ("go 🚀 now", f"go {PLACEHOLDER} now"),
    ("👍🏽 ok", f"{PLACEHOLDER} ok"),  # the skin-tone modifier goes with its emoji
    ("✔ ❤️", "✔ ❤️"),  # dingbats DejaVu draws, the variation selector included
    ("👨\u200d👩\u200d👧", PLACEHOLDER),  # one family, one placeholder
    ("🚀🚀", PLACEHOLDER * 2),
    ("a\tb\x00c\nd", "a b c\nd"),
    ("\ud800", PLACEHOLDER),  # a lone surrogate from a JSON import
])
def test_printable(raw: str, expected: str) -> None:
    assert printable(raw) == expected


def test_author_longer_than_the_limit_is_refused_at_its_field(
        evaluated: tuple[Assessment, Evaluation, Recommendation]) -> None:
    assessment, evaluation, recommendation = evaluated
    with pytest.raises(InputError, match="at most 120") as raised:
        build_report(assessment, evaluation, recommendation, author="x" * 121)
    assert set(raised.value.field_errors) == {"author"}


def test_report_filename_is_ascii_and_dated(evaluated: tuple[Assessment, Evaluation, Recommendation]) -> None:
    assessment, _, _ = evaluated
    assert report_filename(assessment, REPORT_DATE) == "new-project-recommendation-2026-11-29.pdf"
    accented = assessment.model_copy(update={"project": "Équipe Données / Q3"})
    assert report_filename(accented, REPORT_DATE) == "equipe-donnees-q3-recommendation-2026-11-29.pdf"
    cjk = assessment.model_copy(update={"project": "東京 🚀"})
    assert report_filename(cjk, REPORT_DATE) == "assessment-recommendation-2026-11-29.pdf"


def test_bundled_fonts_ship_with_their_licences() -> None:
    for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", FALLBACK_FILE, "LICENSE-DejaVu.txt",
                 "LICENSE-DroidSansFallback.txt"):
        assert (FONT_DIR / name).is_file(), name
    assert "Apache License" in (FONT_DIR / "LICENSE-DroidSansFallback.txt").read_text(encoding="utf-8")
    assert "Bitstream Vera" in (FONT_DIR / "LICENSE-DejaVu.txt").read_text(encoding="utf-8")


def test_first_page_renders_to_a_non_blank_image(report: bytes, tmp_path: Path) -> None:
    if shutil.which("pdftoppm") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("pdftoppm is missing: .ci/run must install poppler-utils")
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    source = tmp_path / "report.pdf"
    source.write_bytes(report)
    for page in (1, 2):  # the title page, then the contributions chart
        subprocess.run(["pdftoppm", "-png", "-r", "40", "-f", str(page), "-l", str(page), "-singlefile",
                        str(source), str(tmp_path / f"page{page}")], check=True, timeout=60)
        image = Image.open(tmp_path / f"page{page}.png").convert("L")
        width, height = image.size
        assert abs(height / width - 297 / 210) < 0.02  # A4 portrait
        dark = sum(count for value, count in enumerate(image.histogram()) if value < 128)
        assert dark / (width * height) > 0.01, f"page {page} is blank"


def test_every_architecture_appears_in_each_table(text: str) -> None:
    for architecture in Architecture:
        assert text.count(architecture.label) >= 8


def test_resilience_section_quotes_availability_failures_and_lead_time(
        evaluated: tuple[Assessment, Evaluation, Recommendation], text: str) -> None:
    _, evaluation, _ = evaluated
    flat = " ".join(text.split())
    for e in evaluation.estimates.values():
        r = e.resilience
        assert r is not None
        low, high = r.availability_ci_pct
        assert (f"{e.architecture.label} {r.availability_pct:.3f} % ({low:.3f}–{high:.3f}) "
                f"{'yes' if r.meets_availability_target else 'no'} {r.failed_per_month:,.0f} "
                f"{r.slowed_per_month:,.0f} {r.degraded_per_month:,.0f} {r.deploy_capacity_minutes_per_month:,.0f} "
                f"{lead_time_text(r.model_update_lead_time_min)}") in flat
        for blast in r.blast_radius:
            assert f"{blast.component} {blast.unit}" in flat


def test_revisit_date_defaults_to_the_stage_interval(evaluated: tuple[Assessment, Evaluation, Recommendation],
                                                     text: str) -> None:
    assessment, _, _ = evaluated
    days = {"prototype": 30, "early": 60, "growth": 90, "enterprise": 180}[assessment.team.stage.value]
    assert history.load_revisit_defaults()[assessment.team.stage].days == days  # data/revisit.yaml
    flat = " ".join(text.split())
    assert f"{REPORT_DATE + timedelta(days=days):%d %B %Y}: {days} days after this report" in flat


@pytest.fixture(scope="module")
def previous(evaluated: tuple[Assessment, Evaluation, Recommendation]) -> StoredAssessment:
    """An earlier saved assessment of the project: daily model updates and six teams, saved without estimates."""
    assessment, _, _ = evaluated
    workload = assessment.workload.model_copy(update={"model_updates_per_month": 30.0, "teams_contributing": 6})
    earlier = assessment.model_copy(update={"workload": workload})
    earlier_recommendation = recommend(earlier)
    return StoredAssessment(id=7, project=earlier.project, label="Last quarter",
                            recommended=earlier_recommendation.top.value, created_at=datetime(2026, 8, 1, tzinfo=UTC),
                            app_version="0.1.0", assessment=earlier,
                            results=history.results_document(earlier_recommendation, None))


@pytest.fixture(scope="module")
def changed(evaluated: tuple[Assessment, Evaluation, Recommendation], previous: StoredAssessment) -> pypdf.PdfReader:
    """The report of a saved assessment: its revisit date, and what changed since `previous`, attribution included."""
    assessment, evaluation, recommendation = evaluated
    shares = tuple(history.FactorShare(factor=f, label=history.FACTOR_LABELS[f], cost_usd=c, p95_e2e_ms=0.0,
                                       score=s) for f, c, s in (("prices", -1200.0, 0.5), ("workload", 300.0, -2.0),
                                                                ("team", 0.0, 4.5), ("other", 0.0, 0.0)))
    attribution = history.Attribution(old_id=7, new_id=0, notes=("A note on versions.",), architectures=(
        history.ArchitectureAttribution(architecture=Architecture.HYBRID, old_cost_usd=9000.0, new_cost_usd=8100.0,
                                        old_p95_e2e_ms=1.0, new_p95_e2e_ms=1.0, old_score=50.0, new_score=53.0,
                                        shares=shares),))
    changes = what_changed(previous, assessment, evaluation, recommendation, attribution=attribution)
    assert isinstance(changes, WhatChanged)
    submitted = assessment.model_copy(update={"workload": assessment.workload.model_copy(
        update={"peak_requests_per_s": 30.0})})  # the report shows a what-if variant of these answers
    pdf = build_report(assessment, evaluation, recommendation, report_date=REPORT_DATE, changes=changes,
                       revisit_by=date(2027, 3, 31), variant_of=submitted)
    return pypdf.PdfReader(io.BytesIO(pdf))


def _flat(reader: pypdf.PdfReader) -> str:
    return " ".join("".join(p.extract_text() for p in reader.pages).split())


def test_a_saved_revisit_date_and_a_what_if_variant_are_stated(changed: pypdf.PdfReader) -> None:
    assert "31 March 2027: the date set when the assessment was saved." in _flat(changed)
    first = " ".join(changed.pages[0].extract_text().split())
    assert "What-if variant: these estimates are for the submitted answers with Peak traffic (requests/s) 30 → 15." \
        in first


def test_what_changed_compares_with_the_previous_assessment(
        evaluated: tuple[Assessment, Evaluation, Recommendation], previous: StoredAssessment,
        changed: pypdf.PdfReader) -> None:
    _, evaluation, recommendation = evaluated
    old_top = recommend(previous.assessment).top
    assert old_top is not recommendation.top  # the earlier answers favoured splitting
    titles = [item.title for item in changed.outline]
    roadmap = titles.index(f"{SECTIONS.index('Roadmap and when to revisit') + 1}. Roadmap and when to revisit")
    assert titles[roadmap + 1] == f"{roadmap + 2}. {CHANGES_SECTION}"
    flat = _flat(changed)
    assert "Compared with assessment #7 “Last quarter”, saved on 01 August 2026." in flat
    assert f"The recommendation moved from {old_top.label} to {recommendation.top.label}." in flat
    assert "Answers changed: 2" in flat
    assert "Model updates per month 30 1" in flat
    assert "Teams shipping to the platform 6 1" in flat
    old_score = recommend(previous.assessment).score_of(recommendation.top).score
    new_score = recommendation.score_of(recommendation.top).score
    sign = "+" if new_score >= old_score else "−"
    assert f"{old_score:.1f} → {new_score:.1f} ({sign}{abs(new_score - old_score):.1f})" in flat
    cost = evaluation.estimate(recommendation.top).monthly_cost_usd
    assert f"— → {cost:,.0f}" in flat  # the earlier assessment was saved without estimates


def test_attribution_shares_are_printed_when_given(changed: pypdf.PdfReader) -> None:
    flat = _flat(changed)
    assert "Why the numbers moved" in flat
    assert "Hybrid Prices -1,200 +0 +0.5" in flat
    assert "Hybrid Team readiness +0 +0 +4.5" in flat
    assert "A note on versions." in flat


# CLI: planner assess FILE --pdf OUT, planner report ASSESSMENT_ID --pdf OUT ------------------------------

runner = CliRunner()  # the CLI's database: conftest's temp_database (DATABASE_URL in tmp_path)


def _pdf_text(content: bytes) -> str:
    return _flat(pypdf.PdfReader(io.BytesIO(content)))


def test_cli_assess_writes_the_pdf(tmp_path: Path, temp_database: str) -> None:
    source = tmp_path / "blank.yaml"
    source.write_text(dump_assessment(load_presets()["blank"], "yaml"), encoding="utf-8")
    out = tmp_path / "report.pdf"
    result = runner.invoke(cli.app, ["assess", str(source), "--pdf", str(out)])
    assert result.exit_code == 0, result.stderr
    assert f"PDF report written to {out}." in result.stdout
    assert "Recommended: Monolith" in result.stdout
    text = _pdf_text(out.read_bytes())
    assert "Recommended: Monolith" in text and CHANGES_SECTION not in text
    both = runner.invoke(cli.app, ["assess", str(source), "--pdf", "-", "--json", "-"])
    assert both.exit_code == 2


def test_cli_report_of_a_saved_assessment_says_what_changed(tmp_path: Path, temp_database: str) -> None:
    blank = load_presets()["blank"]
    first = blank.model_copy(update={"label": "May"})
    history.save_evaluated(store.get_engine(temp_database), first, recommend(first), None)  # saved without estimates
    later = blank.model_copy(update={"label": "June", "workload": blank.workload.model_copy(
        update={"peak_requests_per_s": 30.0})})
    second = tmp_path / "second.yaml"
    second.write_text(dump_assessment(later, "yaml"), encoding="utf-8")
    out = tmp_path / "saved.pdf"
    saved = runner.invoke(cli.app, ["assess", str(second), "--save", "--pdf", str(out)])
    assert saved.exit_code == 0, saved.stderr
    assert f"Saved as assessment #2 of “New project”.\nPDF report written to {out}." in saved.stdout
    text = _pdf_text(out.read_bytes())
    assert "Compared with assessment #1 “May”" in text and "Peak traffic (requests/s) 15 30" in text
    stored = store.load_assessment(store.get_engine(temp_database), assessment_id=2)
    assert f"{history.revisit_date(stored):%d %B %Y}: the date set when the assessment was saved." in text

    piped = runner.invoke(cli.app, ["report", "1", "--pdf", "-", "--author", "Ana Müller"])
    assert piped.exit_code == 0, piped.stderr
    assert piped.stdout_bytes.startswith(b"%PDF-")  # nothing but the PDF on stdout
    text = _pdf_text(piped.stdout_bytes)
    assert "Ana Müller" in text and "Recommended: Monolith" in text  # estimated now: it was saved without them
    assert CHANGES_SECTION not in text  # nothing before the first assessment
    written = tmp_path / "first.pdf"
    assert runner.invoke(cli.app, ["report", "99", "--pdf", str(written)]).exit_code == 1
    assert not written.exists()


@pytest.mark.parametrize(("args", "message"), [
    (["report", "99", "--pdf", "{tmp}/x.pdf"], "error: No saved assessment with id 99"),
    (["report", "1", "--pdf", "{tmp}/x.pdf", "--author", "x" * 121], "  author: The author is 121 characters long"),
    (["report", "0", "--pdf", "{tmp}/x.pdf"], ""),  # usage error: ids start at 1
])
def test_cli_report_errors_exit_1_in_plain_words(tmp_path: Path, temp_database: str, args: list[str],
                                                 message: str) -> None:
    blank = load_presets()["blank"]
    history.save_evaluated(store.get_engine(temp_database), blank, recommend(blank), None)
    result = runner.invoke(cli.app, [a.replace("{tmp}", str(tmp_path)) for a in args])
    assert result.exit_code == (1 if message else 2)
    assert message in result.stderr
    assert not (tmp_path / "x.pdf").exists()


def test_the_summary_warns_of_stale_prices_and_headroom_and_the_fleet_says_which_price(
        evaluated: tuple[Assessment, Evaluation, Recommendation], text: str) -> None:
    assessment, evaluation, recommendation = evaluated
    assert "Price used" in " ".join(text.split())
    target = assessment.workload.p95_e2e_ms
    thin = {"p95_ms": 0.95 * target, "p99_ms": 1.2 * target}  # p95 within 10 % of the target, p99 past it
    estimates = {a: e.model_copy(update={"fleet": tuple(f.model_copy(update={"price_as_of": "2020-01-01"})
                                                        if f.kind == "gpu" else f for f in e.fleet),
                                         "e2e": e.e2e.model_copy(update=thin)})
                 for a, e in evaluation.estimates.items()}
    stale = evaluation.model_copy(update={"estimates": estimates})
    report = build_report(assessment, stale, recommendation, author="Ana Müller", report_date=REPORT_DATE)
    summary = " ".join(pypdf.PdfReader(io.BytesIO(report)).pages[0].extract_text().split())
    summary += " ".join(pypdf.PdfReader(io.BytesIO(report)).pages[1].extract_text().split())
    assert "Stale price:" in summary and "as of 2020-01-01" in summary
    assert "Warnings" in summary and "Little latency headroom for monolith" in summary


def test_change_rates_name_each_figure_in_its_own_unit(evaluated: tuple[Assessment, Evaluation, Recommendation],
                                                       text: str) -> None:
    assessment = evaluated[0].model_copy(update={"workload": evaluated[0].workload.model_copy(
        update={"model_updates_per_month": 0.3})})
    sentence = tables.change_rates_text(assessment)
    assert sentence.startswith("Model updates: 0.3 a month; code deploys: ")
    assert sentence.endswith(f"{assessment.workload.deploys_per_week:g} a week across the pipeline")
    assert tables.change_rates_text(evaluated[0]) in " ".join(text.split())


def test_table_headings_never_split_inside_a_word() -> None:
    from planner.present.pdf_layout import ReportDocument

    rows = [["Architecture", "Capacity-minutes lost a month", "Mean", "Deployables"],
            ["Microservices", "12", "3.5", "5"]]
    pdf = ReportDocument("Test", "test")
    pdf.add_page()
    widths, size = pdf.fit_words(rows, (70, 10, 10, 10), 8.0)
    needs = pdf._word_widths(rows, size)
    assert all(w / sum(widths) * pdf.epw >= n - 1e-6 for w, n in zip(widths, needs, strict=True))
    pdf.grid(rows, widths=(70, 10, 10, 10), size=8.0)
    words = " ".join(pypdf.PdfReader(io.BytesIO(bytes(pdf.output()))).pages[0].extract_text().split())
    for word in ("Capacity-minutes", "Mean", "Deployables", "Microservices"):
        assert word in words
