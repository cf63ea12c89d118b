"""Decision records (MADR): the chain of a project's saved assessments, supersede links, literal text, the CLI."""

from __future__ import annotations

from datetime import date
from html import unescape as html_unescape
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from typer.testing import CliRunner

from planner import history, store
from planner.cli import app
from planner.decide.scoring import recommend
from planner.inputs.files import load_presets
from planner.inputs.models import Architecture, Assessment
from planner.present.decision_records import (
    INDEX_FILE,
    Decided,
    assessment_record,
    chain,
    file_name,
    project_decisions,
    project_records,
    proposed_record,
)

HOSTILE = "**x** [y](javascript:z)"


def _blank(project: str, label: str) -> Assessment:
    return load_presets()["blank"].model_copy(update={"project": project, "label": label})


def _distributed(project: str, label: str) -> Assessment:
    """Answers that make microservices the top choice: daily model updates, many teams and deploys, a skilled team."""
    data = load_presets()["chatbot_daily_updates"].model_dump(mode="json")
    data.update(project=project, label=label, sourcing={"mode": "self_hosted"})
    return Assessment.model_validate(data)


def _save(url: str, assessment: Assessment, on: date) -> int:
    recommendation = recommend(assessment)  # the answers alone: fast, and enough to decide the top choice
    return int(history.save_evaluated(store.get_engine(url), assessment, recommendation, None, today=on))


@pytest.fixture
def three(tmp_path: Path) -> tuple[str, list[int]]:
    """A project of three assessments: monolith, monolith again, then microservices."""
    url = f"sqlite:///{(tmp_path / 'planner.db').as_posix()}"
    ids = [_save(url, _blank(HOSTILE, "Q1"), date(2026, 1, 5)),
           _save(url, _blank(HOSTILE, "Q2").model_copy(update={"notes": "a quarter later"}), date(2026, 4, 5)),
           _save(url, _distributed(HOSTILE, "Q3"), date(2026, 7, 5))]
    yield url, ids
    store.dispose_engines()


def test_three_assessments_make_two_records_the_first_superseded(three: tuple[str, list[int]]) -> None:
    url, (first, second, third) = three
    engine = store.get_engine(url)
    decisions = project_decisions(engine, HOSTILE)
    assert [d.recommendation.top for d in decisions] == [Architecture.MONOLITH, Architecture.MONOLITH,
                                                        Architecture.MICROSERVICES]
    entries = chain(decisions)
    assert [(e.number, e.status) for e in entries] == [(1, "superseded by 0002"), (2, "accepted")]
    assert [d.assessment_id for d in entries[0].confirmed_by] == [second]
    files = project_records(engine, HOSTILE)
    one, two = file_name(1, HOSTILE), file_name(2, HOSTILE)
    assert sorted(files) == sorted([one, two, INDEX_FILE])
    assert one == "0001-choose-the-architecture-of-x-y-javascript-z.md"
    assert f"* Status: superseded by [0002]({two})" in files[one]
    assert f"* Supersedes: [0001]({one})" in files[two] and "* Status: accepted" in files[two]
    assert f"* Confirmed by: assessment #{second}" in files[one]
    assert "Chosen option: \"Microservices" in files[two]
    for heading in ("## Context and Problem Statement", "## Decision Drivers", "## Considered Options",
                    "## Decision Outcome", "### Consequences", "### Confirmation", "## Pros and Cons of the Options"):
        assert heading in files[two]
    assert f"saved assessment #{third}" in files[two]
    # The record of the confirming assessment is 0001 with its own numbers and the status in force.
    name, text = assessment_record(engine, second)
    assert name == one and "* Status: superseded by" in text and "a quarter later" in text
    assert assessment_record(engine, first)[0] == one


def test_names_notes_and_reasons_render_literally(three: tuple[str, list[int]]) -> None:
    url, _ = three
    files = project_records(store.get_engine(url), HOSTILE)
    parser = MarkdownIt("commonmark")
    for name, text in files.items():
        tokens = [t for block in parser.parse(text) for t in (block.children or [])]
        assert not [t for t in tokens if t.type == "link_open" and str(t.attrs["href"]).startswith("javascript")]
        assert not [t for t in tokens if t.type == "html_inline"]
        html = html_unescape(parser.render(text))
        assert "<strong>x</strong>" not in html and HOSTILE in html, name
    html = parser.render(files[file_name(1, HOSTILE)])
    assert "<h1>0001. Choose the architecture of **x** [y](javascript:z)</h1>" in html


def test_a_proposed_record_takes_the_next_number_or_the_one_in_force(three: tuple[str, list[int]]) -> None:
    url, _ = three
    engine = store.get_engine(url)
    proposal = _blank(HOSTILE, "Q4")
    name, text = proposed_record(engine, Decided(assessment=proposal, recommendation=recommend(proposal),
                                                 evaluation=None, on=date(2026, 10, 1)))
    assert name == file_name(3, HOSTILE) and "* Status: proposed" in text and "* Supersedes: [0002]" in text
    again = _distributed(HOSTILE, "Q4")
    name, _ = proposed_record(engine, Decided(assessment=again, recommendation=recommend(again), evaluation=None,
                                              on=date(2026, 10, 1)))
    assert name == file_name(2, HOSTILE)
    new = _blank("New", "")
    fresh, text = proposed_record(None, Decided(assessment=new, recommendation=recommend(new), evaluation=None,
                                                on=date(2026, 10, 1)))
    assert fresh == "0001-choose-the-architecture-of-new.md" and "Not saved yet" in text


def test_cli_writes_one_record_and_a_projects_records(three: tuple[str, list[int]], tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    url, (first, _, third) = three
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("PLANNER_PUBLIC_URL", "https://planner.example/")
    runner = CliRunner()
    shown = runner.invoke(app, ["adr", str(third)])
    assert shown.exit_code == 0, shown.output
    assert shown.output.startswith("# 0002. Choose the architecture of")
    assert f"(<https://planner.example/saved-result?assessment={third}>)" in shown.output
    out = tmp_path / "one.md"
    written = runner.invoke(app, ["adr", str(first), "--out", str(out), "--decider", "Ana", "--decider", "Bo"])
    assert written.exit_code == 0, written.output
    assert "* Deciders: Ana, Bo" in out.read_text(encoding="utf-8")
    folder = tmp_path / "adr"
    every = runner.invoke(app, ["adr", "--project", HOSTILE, "--dir", str(folder)])
    assert every.exit_code == 0, every.output
    assert sorted(p.name for p in folder.iterdir()) == sorted([file_name(1, HOSTILE), file_name(2, HOSTILE),
                                                               INDEX_FILE])
    assert "superseded by 0002" in (folder / INDEX_FILE).read_text(encoding="utf-8")
    wrong = runner.invoke(app, ["adr"])
    assert wrong.exit_code == 1 and "Give either an ASSESSMENT_ID or --project" in wrong.output
    missing = runner.invoke(app, ["adr", "--project", "No such project", "--dir", str(folder)])
    assert missing.exit_code == 1 and "No project named" in missing.output
