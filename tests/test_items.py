"""Improvement items: opened, closed and reopened by saved assessments, people's changes, exports, migration 0010."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from html import unescape as html_unescape
from pathlib import Path

import pytest
from alembic import command
from markdown_it import MarkdownIt
from sqlalchemy import text

from planner import history, store
from planner.decide.scoring import recommend
from planner.errors import InputError, StoreError
from planner.inputs.files import load_presets
from planner.inputs.limits import ITEM_NOTE_MAX_CHARS, NAME_MAX_CHARS
from planner.inputs.models import Assessment
from planner.present.items import CSV_COLUMNS, changes_per_assessment, items_csv, items_markdown, priority
from planner.store.item_sync import ItemSource, ItemState, ItemStatus, parse_status, plan_sync, sources_of
from planner.store.items import Item, parse_item_id, project_items, set_item

HOSTILE = "**x** [y](javascript:z)"
OWNER = "<img src=x onerror=alert(1)> **Ann** [me](javascript:alert(2)) | ~~x~~"
OPEN, IN_PROGRESS, DONE, WONT_DO = ItemStatus.OPEN, ItemStatus.IN_PROGRESS, ItemStatus.DONE, ItemStatus.WONT_DO
# The blank preset's team with observability 0 and CI/CD 1: a monolith lacks observability (needs 1), the hybrid
# its roadmap prepares for lacks observability and CI/CD (need 2) (data/scoring.yaml, readiness.required).
Q1_KEYS = ["gap:monolith:observability", "gap:hybrid:observability", "gap:hybrid:cicd",
           "step:monolith:1", "step:monolith:2", "step:monolith:3"]
MICRO_STEPS = ["step:microservices:1", "step:microservices:2", "step:microservices:3"]


def monolith(project: str, label: str, **team: int) -> Assessment:
    base = load_presets()["blank"]
    levels = {"observability": 0, "cicd": 1, **team}
    return base.model_copy(update={"project": project, "label": label, "team": base.team.model_copy(update=levels)})


def distributed(project: str, label: str) -> Assessment:
    """Answers that make microservices the top choice, with a team that lacks no level for it."""
    data = load_presets()["chatbot_daily_updates"].model_dump(mode="json")
    data.update(project=project, label=label, sourcing={"mode": "self_hosted"})
    return Assessment.model_validate(data)


def save(url: str, assessment: Assessment) -> store.SavedId:
    return history.save_evaluated(store.get_engine(url), assessment, recommend(assessment), None,
                                  today=date(2026, 1, 5))


def by_key(url: str, project: str = HOSTILE) -> dict[str, Item]:
    return {i.key: i for i in project_items(store.get_engine(url), project=project)}


def statuses(url: str, project: str = HOSTILE) -> dict[str, ItemStatus]:
    return {key: item.status for key, item in by_key(url, project).items()}


def history_of(item: Item) -> list[tuple[ItemStatus | None, ItemStatus, int | None, str]]:
    return [(e.previous, e.status, e.assessment_id, e.by) for e in item.events]


@pytest.fixture
def url(tmp_path: Path) -> Iterator[str]:
    """A SQLite file of its own: the items tests save several assessments into one project."""
    yield f"sqlite:///{(tmp_path / 'planner.db').as_posix()}"
    store.dispose_engines()


def test_items_open_close_and_reopen_over_re_assessments(url: str) -> None:
    first = save(url, monolith(HOSTILE, "Q1"))
    assert list(statuses(url)) == Q1_KEYS and set(statuses(url).values()) == {OPEN}
    engine = store.get_engine(url)
    items = by_key(url)
    set_item(engine, item_id=items["gap:hybrid:cicd"].id, status="won't do", by="Ann", note="the hybrid is far off")
    set_item(engine, item_id=items["step:monolith:1"].id, status=DONE, by="Bo")  # done while still on the roadmap
    set_item(engine, item_id=items["step:monolith:2"].id, status="in progress", owner="Cy", due=date(2026, 3, 1))

    second = save(url, monolith(HOSTILE, "Q2", observability=1))  # the monolith's observability gap closed
    assert statuses(url) == {**dict.fromkeys(Q1_KEYS, OPEN), "gap:monolith:observability": DONE,
                             "gap:hybrid:cicd": WONT_DO, "step:monolith:1": DONE, "step:monolith:2": IN_PROGRESS}
    assert not by_key(url)["gap:monolith:observability"].named

    third = save(url, distributed(HOSTILE, "Q3"))  # microservices: nothing of the monolith's roadmap is named
    assert statuses(url) == {**dict.fromkeys(Q1_KEYS, DONE), "gap:hybrid:cicd": WONT_DO,
                             **dict.fromkeys(MICRO_STEPS, OPEN)}

    fourth = save(url, monolith(HOSTILE, "Q4"))  # back to the first answers: the gaps and steps come back
    items = by_key(url)
    assert statuses(url) == {**dict.fromkeys(Q1_KEYS, OPEN), "gap:hybrid:cicd": WONT_DO,
                             **dict.fromkeys(MICRO_STEPS, DONE)}
    assert history_of(items["gap:monolith:observability"]) == [
        (None, OPEN, first, "planner"), (OPEN, DONE, second, "planner"), (DONE, OPEN, fourth, "planner")]
    assert history_of(items["gap:hybrid:cicd"]) == [(None, OPEN, first, "planner"), (OPEN, WONT_DO, None, "Ann")]
    assert items["gap:hybrid:cicd"].events[-1].note == "the hybrid is far off"
    assert history_of(items["step:monolith:2"]) == [
        (None, OPEN, first, "planner"), (OPEN, IN_PROGRESS, None, ""), (IN_PROGRESS, DONE, third, "planner"),
        (DONE, OPEN, fourth, "planner")]
    assert (items["step:monolith:2"].owner, items["step:monolith:2"].due) == ("Cy", date(2026, 3, 1))  # untouched
    # Opened, reopened, done: 6 new; the monolith's gap closed; 3 new steps and the 3 still active closed (won't do and
    # the two done stay); 5 came back (the person's done step too: it left the roadmap and came back), 3 steps gone.
    flow = changes_per_assessment(list(items.values())).rows
    assert [(row[0], *row[2:]) for row in flow] == [
        (f"#{first}", 6, 0, 0), (f"#{second}", 0, 0, 1), (f"#{third}", 3, 0, 3), (f"#{fourth}", 0, 5, 3)]


def test_saving_the_same_assessment_again_changes_no_item(url: str) -> None:
    save(url, monolith(HOSTILE, "Q1"))
    before = by_key(url)
    again = save(url, monolith(HOSTILE, "Q1"))
    assert not again.created and by_key(url) == before


def test_a_workshop_consensus_opens_items_through_the_same_save(url: str) -> None:
    from planner.store import workshops as workshop_store

    engine = store.get_engine(url)
    created = workshop_store.create_workshop(engine, project="Team")
    token = created.facilitator_token
    workshop_store.close_workshop(engine, token=token)
    origin = history.FromWorkshop(token=token, view=workshop_store.facilitator_view(engine, token=token))
    consensus = monolith("Team", "workshop")
    saved = history.save_evaluated(engine, consensus, recommend(consensus), None, workshop=origin)
    assert list(statuses(url, "Team")) == Q1_KEYS
    assert {e.assessment_id for i in by_key(url, "Team").values() for e in i.events} == {saved}


def test_plan_sync_keeps_wont_do_and_a_persons_done_while_named() -> None:
    source = ItemSource(key="gap:hybrid:cicd", kind="gap", architecture=recommend(monolith("p", "")).top,
                        title="t", detail="d", size=1)
    named = {"a": ItemState(WONT_DO, True), "b": ItemState(DONE, True), "c": ItemState(DONE, False),
             "d": ItemState(IN_PROGRESS, True), "e": ItemState(DONE, False)}
    sources = [ItemSource(**{**source.__dict__, "key": key}) for key in ("a", "b", "c", "new")]
    changes = {c.key: (c.before, c.status, c.source is not None) for c in plan_sync(named, sources)}
    assert changes == {"a": (WONT_DO, WONT_DO, True), "b": (DONE, DONE, True), "c": (DONE, OPEN, True),
                       "new": (None, OPEN, True), "d": (IN_PROGRESS, DONE, False)}  # "e": neither named, left out


@pytest.mark.parametrize("recommendation", [None, {}, {"anything": [1]}, {"ranked": [], "gaps": [], "roadmap": []},
                                            {"ranked": [{"architecture": "mainframe"}], "gaps": [], "roadmap": []}])
def test_a_recommendation_that_cannot_be_read_names_nothing(recommendation: object) -> None:
    assert sources_of(recommendation) is None


@pytest.mark.parametrize(("words", "status"), [
    ("open", OPEN), ("In progress", IN_PROGRESS), ("in-progress", IN_PROGRESS), ("won't do", WONT_DO),
    ("Won’t do", WONT_DO), ("wont_do", WONT_DO), ("DONE", DONE)])
def test_statuses_read_from_their_value_or_words(words: str, status: ItemStatus) -> None:
    assert parse_status(words) is status


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"status": "closed"}, "status", "not one of open, in progress, done, won't do"),
    ({"owner": "a\nb"}, "owner", "The owner must not contain line breaks"),
    ({"owner": "x" * (NAME_MAX_CHARS + 1)}, "owner", f"at most {NAME_MAX_CHARS} characters"),
    ({"status": "done", "by": "a\tb"}, "by", "Your name must not contain"),
    ({"status": "done", "note": "n" * (ITEM_NOTE_MAX_CHARS + 1)}, "note", f"at most {ITEM_NOTE_MAX_CHARS}"),
    ({"status": "done", "note": "line\nbreak"}, "note", "The note must not contain line breaks"),
    ({"owner": "Ann", "note": "why"}, "note", "A note explains a change of status"),
    ({"due": "2026-01-01"}, "due", "must be a date"),
    ({"due": datetime(2026, 1, 1, tzinfo=UTC)}, "due", "must be a date"),
])
def test_a_persons_change_is_checked_in_plain_words(url: str, changes: dict[str, object], field: str,
                                                    message: str) -> None:
    save(url, monolith("P", "Q1"))
    item = by_key(url, "P")["gap:hybrid:cicd"]
    with pytest.raises(InputError, match=message) as raised:
        set_item(store.get_engine(url), item_id=item.id, **changes)  # type: ignore[arg-type]
    assert field in raised.value.field_errors
    assert by_key(url, "P")["gap:hybrid:cicd"] == item  # nothing written


def test_unknown_items_and_projects_are_refused(url: str) -> None:
    save(url, monolith("P", "Q1"))
    with pytest.raises(StoreError, match="No improvement item ITEM-999"):
        set_item(store.get_engine(url), item_id=999, status="done")
    with pytest.raises(StoreError, match="No project named"):
        project_items(store.get_engine(url), project="Nope")
    assert [parse_item_id(t) for t in ("ITEM-12", "item-12", "#12", " 12 ")] == [12] * 4
    for bad in ("ITEM-", "12a", "0", "ITEM--1", "١٢"):
        with pytest.raises(InputError, match="not an item id"):
            parse_item_id(bad)


def test_owner_and_due_date_are_set_and_cleared_without_an_event(url: str) -> None:
    save(url, monolith("P", "Q1"))
    engine = store.get_engine(url)
    item = by_key(url, "P")["step:monolith:3"]
    changed = set_item(engine, item_id=item.id, owner="  Dee  ", due=date(2026, 6, 30))
    assert (changed.owner, changed.due, changed.events) == ("Dee", date(2026, 6, 30), item.events)
    cleared = set_item(engine, item_id=item.id, owner="", due=None)
    assert (cleared.owner, cleared.due) == ("", None)


def test_deleting_assessments_and_the_project_leaves_no_orphans(url: str) -> None:
    ids = [save(url, monolith("P", "Q1")), save(url, monolith("P", "Q2", observability=1))]
    engine = store.get_engine(url)
    for assessment_id in ids:
        store.delete_assessment(engine, assessment_id=assessment_id)
    items = by_key(url, "P")
    assert items and all(e.assessment_id is None for i in items.values() for e in i.events)  # kept, link gone
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM projects"))
        counts = [conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
                  for t in ("improvement_items", "improvement_item_events")]
    assert counts == [0, 0]


# Exports ------------------------------------------------------------------------------------------------------


def _hostile_items(url: str) -> list[Item]:
    save(url, monolith(HOSTILE, "Q1"))
    engine = store.get_engine(url)
    item = by_key(url)["gap:monolith:observability"]
    set_item(engine, item_id=item.id, status="in progress", owner=OWNER, by=OWNER, note="=cmd|' /C calc'!A0")
    return project_items(engine, project=HOSTILE)


def test_the_csv_has_the_trackers_columns_and_one_row_per_item(url: str) -> None:
    items = _hostile_items(url)
    rows = list(csv.reader(io.StringIO(items_csv(items))))
    assert tuple(rows[0]) == CSV_COLUMNS
    records = [dict(zip(CSV_COLUMNS, row, strict=True)) for row in rows[1:]]
    assert [r["Summary"] for r in records] == [i.title for i in items]
    first = records[0]
    assert first["Labels"] == "architecture-planner,readiness,monolith"
    assert (first["Priority"], first["Status"], first["Due date"]) == ("Medium", "In progress", "")  # 1 level missing
    assert OWNER in first["Description"] and HOSTILE in first["Description"] and "ITEM-" in first["Description"]
    steps = [r for r in records if "roadmap" in r["Labels"]]
    assert [r["Priority"] for r in steps] == ["High", "Medium", "Low"]
    assert not any(cell.startswith(("=", "+", "-", "@")) for r in records for cell in r.values())


@pytest.mark.parametrize(("kind", "size", "expected"), [("gap", 4, "Highest"), ("gap", 3, "Highest"),
                         ("gap", 2, "High"), ("gap", 1, "Medium"), ("step", 1, "High"), ("step", 2, "Medium"),
                         ("step", 3, "Low")])
def test_priority_follows_the_gap_size_or_the_step_order(url: str, kind: str, size: int, expected: str) -> None:
    save(url, monolith("P", "Q1"))
    item = next(iter(by_key(url, "P").values()))
    assert priority(item.model_copy(update={"kind": kind, "size": size})) == expected


def test_typed_text_reads_literally_in_the_markdown(url: str) -> None:
    items = _hostile_items(url)
    markdown = items_markdown(items, HOSTILE)
    parser = MarkdownIt("commonmark").enable(["table", "strikethrough"])
    tokens = [t for block in parser.parse(markdown) for t in (block.children or [])]
    assert not [t for t in tokens if t.type in ("link_open", "html_inline", "strong_open", "s_open", "image")]
    html = html_unescape(parser.render(markdown))
    assert f"<h1>Improvement items of {HOSTILE}</h1>" in html
    assert f"* Owner: {OWNER}"[2:] in html and f"by {OWNER}" in html
    assert html.count("<tr>") == len(items) + 1  # the pipe in the owner splits no cell


# Migration 0010 -----------------------------------------------------------------------------------------------


def _insert(conn, row_id: int, project_id: int, assessment: Assessment, results: dict, at: datetime,
            archived: bool = False) -> None:
    conn.execute(text(
        "INSERT INTO assessments (id, project_id, label, inputs_json, results_json, recommended, app_version, "
        "created_at, archived_at) VALUES (:id, :p, :label, :inputs, :results, 'monolith', '0.9', :at, :archived)"),
        {"id": row_id, "p": project_id, "label": assessment.label, "inputs": assessment.model_dump_json(),
         "results": json.dumps(results), "at": at, "archived": at if archived else None})


def _comparable(items: list[Item], ids: dict[int, int]) -> list[tuple]:
    return [(i.key, i.status, i.named, i.title, i.detail,
             [(e.previous, e.status, ids.get(e.assessment_id or 0)) for e in i.events]) for i in items]


def test_0010_builds_the_items_of_saved_assessments(store_url: str, tmp_path: Path) -> None:
    answers = [monolith("Old", "Q1"), monolith("Old", "Q2", observability=1), distributed("Old", "Q3"),
               monolith("Old", "Q4")]
    engine = store.create_store_engine(store_url)
    start = datetime(2026, 2, 1, 9, tzinfo=UTC)
    try:
        with engine.begin() as conn:
            command.upgrade(store.alembic_config(conn), "0009_api_price_lists")
            conn.execute(text("INSERT INTO projects (id, name, created_at, archived) VALUES (1, 'Old', :t, false), "
                              "(2, 'Empty', :t, false)"), {"t": start})
            for n, assessment in enumerate(answers, start=1):
                results = history.results_document(recommend(assessment), None)
                _insert(conn, n * 10, 1, assessment, results, start + timedelta(days=n))
            _insert(conn, 25, 1, distributed("Old", "archived"), history.results_document(
                recommend(distributed("Old", "x")), None), start + timedelta(days=2, hours=1), archived=True)
            _insert(conn, 26, 1, monolith("Old", "unreadable"), {"recommendation": {"anything": [1]}},
                    start + timedelta(days=2, hours=2))
    finally:
        engine.dispose()

    migrated = project_items(store.get_engine(store_url), project="Old")
    reference = f"sqlite:///{(tmp_path / 'reference.db').as_posix()}"
    saved = [save(reference, a) for a in answers]
    expected = project_items(store.get_engine(reference), project="Old")
    assert _comparable(migrated, {10: 1, 20: 2, 30: 3, 40: 4}) == _comparable(
        expected, {int(s): n for n, s in enumerate(saved, start=1)})
    assert {i.key: i.status for i in migrated} == {**dict.fromkeys(Q1_KEYS, OPEN), **dict.fromkeys(MICRO_STEPS, DONE)}
    assert all(i.created_at.date() == date(2026, 2, 2) for i in migrated[:6])
    assert project_items(store.get_engine(store_url), project="Empty") == []
