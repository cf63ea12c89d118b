"""AppTests: a workshop's consensus assessment shows where it came from on the Saved and History pages.

The workshop is built through ``planner.store.workshops`` on the test's own database: created, joined by
two participants whose names would be markup if rendered as Markdown, answered, one answer overridden
with a note, closed, and its consensus saved as an assessment next to a plain one of the same project.
"""

from __future__ import annotations

from typing import NamedTuple

import pandas as pd
from streamlit.testing.v1 import AppTest

import planner
from planner import history, store
from planner.decide import consensus as workshops
from planner.decide.scoring import recommend
from planner.inputs.files import load_presets
from planner.store import workshops as workshop_store
from tests.conftest import APP_TIMEOUT_S, ROOT, tables_shown

SAVED, HISTORY = "pages/saved.py", "pages/history.py"
PROJECT = "Support bot"
SCRIPT, BOLD = "<script>alert(1)</script>", "**x**"
ANSWERS = {SCRIPT: {"containers": 0, "cicd": 3, "on_call": 1}, BOLD: {"containers": 4, "cicd": 2}}
NOTE = "We run <b>Docker</b> in staging; **not** in production"


class Seeded(NamedTuple):
    code: str
    workshop_id: int
    consensus_id: int
    plain_id: int


def seed(url: str) -> Seeded:
    """A plain assessment, then a closed workshop's consensus assessment, both of PROJECT."""
    engine = store.get_engine(url)
    base = load_presets()["blank"].model_copy(update={"project": PROJECT})
    plain_id = history.save_evaluated(engine, base, recommend(base), None)
    created = workshop_store.create_workshop(engine, project=PROJECT)
    token, code = created.facilitator_token, created.workshop.join_code
    for name, levels in ANSWERS.items():
        joined = workshop_store.join_workshop(engine, code=code, display_name=name)
        workshop_store.submit_answers(engine, code=code, secret=joined.secret, answers=levels)
    workshop_store.join_workshop(engine, code=code, display_name="Late arrival")  # joins, never answers
    workshop_store.set_override(engine, token=token, key="containers", value=2, note=NOTE)
    workshop_store.close_workshop(engine, token=token)
    view = workshop_store.facilitator_view(engine, token=token)
    assessment = workshops.consensus_assessment(base, view.consensus(), label="Workshop", notes="")
    recommendation = recommend(assessment)
    consensus_id = workshop_store.save_consensus_assessment(
        engine, token=token, assessment=assessment, results=history.results_document(recommendation, None),
        recommended=recommendation.top.value, app_version=planner.__version__, triggers=recommendation.triggers)
    return Seeded(created.workshop.display_code, created.workshop.id, consensus_id, plain_id)


def open_page(page: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=APP_TIMEOUT_S)
    at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def rendered_text(at: AppTest) -> str:
    """Everything rendered as Markdown-like text (where a name must never appear)."""
    return " ".join(str(e.value) for kind in ("markdown", "caption", "info", "success", "warning", "error", "subheader")
                    for e in at.get(kind))


def frame_with(at: AppTest, column: str) -> pd.DataFrame:
    """The one data frame or static table with this column (a static table's ids as numbers, as a frame's)."""
    frames = [d.value for d in at.dataframe if column in d.value.columns]
    frames += [t.astype({"Id": int}) if "Id" in t.columns else t for t in tables_shown(at) if column in t.columns]
    assert len(frames) == 1, [list(d.value.columns) for d in at.dataframe]
    return frames[0]


def expected_line(url: str, assessment_id: int) -> str:
    record = workshop_store.workshop_record(store.get_engine(url), assessment_id=assessment_id)
    assert record is not None and record.workshop.closed_at is not None
    return f"From workshop {record.workshop.display_code} (closed {record.workshop.closed_at:%Y-%m-%d %H:%M} UTC, " \
           "2 participants)"


def check_answers(at: AppTest) -> None:
    """The two tables of the expander: consensus per question, and each participant's answers."""
    summary = frame_with(at, "Disagreement").set_index("Question")
    containers = summary.loc[workshops.question_label("containers")]
    # Answers 0 and 4: lower median 0, spread 4, overridden to 2 with the note, flagged as a disagreement.
    assert (containers["Consensus"], containers["From"], containers["Median"], containers["Spread"]) == (
        "2", "Facilitator", "0", "4")
    assert containers["Disagreement"] == "yes"
    overridden = f"{workshops.question_label('containers')}: 2 instead of the median 0. {NOTE}"
    assert [t.value for t in at.text] == [overridden]  # the note as typed, in plain text
    assert containers["Answers"] == 2
    cicd = summary.loc[workshops.question_label("cicd")]
    assert (cicd["Consensus"], cicd["From"], cicd["Median"], cicd["Spread"], cicd["Disagreement"]) == (
        "2", "Median", "2", "1", "")  # answers 2 and 3: the lower median
    on_call = summary.loc[workshops.question_label("on_call")]
    assert (on_call["Consensus"], on_call["Median"], on_call["Spread"], on_call["Answers"]) == ("1", "1", "0", 1)
    api = summary.loc[workshops.question_label("api_design")]
    assert (api["Consensus"], api["From"], api["Answers"]) == ("—", "Nobody answered", 0)

    answers = frame_with(at, "Participant").set_index("Participant")
    assert list(answers.index) == [SCRIPT, BOLD]  # the names as typed, in join order; "Late arrival" never answered
    assert answers.loc[SCRIPT, workshops.question_label("containers")] == "0"
    assert answers.loc[BOLD, workshops.question_label("containers")] == "4"
    assert answers.loc[BOLD, workshops.question_label("on_call")] == "—"
    assert "1 participant who joined without answering is not shown" in rendered_text(at)
    shown = rendered_text(at)
    for markup in ("<script", "alert(1)", "x**", "**x", "Docker"):
        assert markup not in shown, markup


def test_saved_page_shows_the_workshop_and_its_individual_answers(temp_database: str) -> None:
    seeded = seed(temp_database)
    at = open_page(SAVED)
    table = frame_with(at, "From workshop").set_index("Id")
    assert table.loc[seeded.consensus_id, "From workshop"] == seeded.code
    assert table.loc[seeded.plain_id, "From workshop"] == ""

    at.selectbox(key="s.pick").set_value(seeded.plain_id).run()
    assert not at.exception
    assert "From workshop" not in rendered_text(at) and not provenance_expanders(at)

    at.selectbox(key="s.pick").set_value(seeded.consensus_id).run()
    assert not at.exception
    assert expected_line(temp_database, seeded.consensus_id) in rendered_text(at)
    assert provenance_expanders(at) == [f"Individual answers behind assessment #{seeded.consensus_id}"]
    check_answers(at)


def test_history_page_lists_the_workshops_behind_a_projects_assessments(temp_database: str) -> None:
    seeded = seed(temp_database)
    at = open_page(HISTORY)
    assert at.selectbox(key="history.project").value == PROJECT
    table = frame_with(at, "From workshop").set_index("Id")
    assert table.loc[seeded.consensus_id, "From workshop"] == seeded.code
    assert table.loc[seeded.plain_id, "From workshop"] == ""
    assert "From workshops" in [s.value for s in at.subheader]
    shown = rendered_text(at)
    assert f"Assessment #{seeded.consensus_id}**, saved" in shown
    assert f"Assessment #{seeded.plain_id}**" not in shown
    assert expected_line(temp_database, seeded.consensus_id) in shown
    assert provenance_expanders(at) == [f"Individual answers behind assessment #{seeded.consensus_id}"]
    check_answers(at)


def provenance_expanders(at: AppTest) -> list[str]:
    """The labels of the expanders that show a workshop's individual answers."""
    return [e.label for e in at.expander if e.label.startswith("Individual answers")]


def test_pages_without_workshops_show_no_provenance(temp_database: str) -> None:
    engine = store.get_engine(temp_database)
    base = load_presets()["blank"].model_copy(update={"project": PROJECT})
    history.save_evaluated(engine, base, recommend(base), None)
    for page in (SAVED, HISTORY):
        at = open_page(page)
        assert "From workshop" not in rendered_text(at) and not provenance_expanders(at)
        assert frame_with(at, "From workshop")["From workshop"].tolist() == [""]
