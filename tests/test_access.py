"""Roles per project, checked in the repository layer: every repository function called as every role.

One template database holds a project "P" owned by owner@example.com, with viewer@ and editor@ as members, a saved
assessment with improvement items and triggers, an archived assessment, and a price list and an API price list saved
by the owner. Each case copies it, calls one function as one actor and checks that the call is allowed or refused
(AccessDenied) exactly as the role says, and that a refused write leaves the database as it was.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from planner import history, store
from planner.decide.results import RevisitTrigger
from planner.decide.scoring import recommend
from planner.errors import StoreError
from planner.history.snapshots import FromWorkshop
from planner.inputs.api_catalog import load_api_prices
from planner.inputs.api_price_files import ApiPriceList
from planner.inputs.catalog import load_instances
from planner.inputs.files import load_presets
from planner.inputs.models import Assessment
from planner.inputs.price_files import PriceList
from planner.store import ANONYMOUS, LOCAL, AccessDenied, Actor, Role, signed_in
from planner.store.api_price_lists import delete_api_price_list, save_api_price_list
from planner.store.items import load_item, project_items, set_item
from planner.store.price_lists import delete_price_list, save_price_list
from planner.store.workshops import close_workshop, create_workshop, facilitator_view

OWNER, EDITOR, VIEWER, OUTSIDER, ADMIN = (f"{n}@example.com" for n in ("owner", "editor", "viewer", "outsider",
                                                                       "admin"))
ACTORS: dict[str, Actor] = {
    "anonymous": ANONYMOUS,
    "outsider": signed_in(OUTSIDER),
    "viewer": signed_in(VIEWER),
    "editor": signed_in(EDITOR),
    "owner": signed_in(OWNER, name="Olga Owner"),
    "admin": signed_in(ADMIN, admins=frozenset({ADMIN.upper()})),
}
RANK = {"anonymous": 0, "outsider": 1, "viewer": 2, "editor": 3, "owner": 4, "admin": 5}
NEEDS = {"signed in": 1, "viewer": 2, "editor": 3, "owner": 4}


def assessment(project: str = "P", label: str = "Q1") -> Assessment:
    base = load_presets()["blank"]
    return base.model_copy(update={"project": project, "label": label,
                                   "team": base.team.model_copy(update={"observability": 0, "cicd": 1})})


@dataclass(frozen=True)
class Template:
    path: Path
    assessment_id: int
    archived_id: int
    item_id: int
    trigger: RevisitTrigger


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Template]:
    path = tmp_path_factory.mktemp("access") / "template.db"
    engine = store.get_engine(f"sqlite:///{path.as_posix()}")
    owner = ACTORS["owner"]
    store.create_project(engine, name="P", actor=owner)
    for member, role in ((VIEWER, Role.VIEWER), (EDITOR, Role.EDITOR)):
        store.set_member(engine, project="P", member=member, role=role, actor=owner)
    first = history.save_evaluated(engine, assessment(), recommend(assessment()), None, today=date(2026, 1, 5))
    second = assessment(label="Q2")
    archived = history.save_evaluated(engine, second, recommend(second), None, today=date(2026, 1, 6))
    store.archive_assessment(engine, assessment_id=archived, actor=owner)
    rows = tuple(load_instances())[:2]
    save_price_list(engine, name="Owner's list", price_list=PriceList(instances=rows), actor=owner)
    save_api_price_list(engine, name="Owner's APIs", api_list=ApiPriceList(apis=tuple(load_api_prices().values())[:1]),
                        actor=owner)
    trigger = store.load_assessment(engine, assessment_id=first).triggers[0]
    item_id = project_items(engine, project="P")[0].id
    store.dispose_engines()
    yield Template(path, int(first), int(archived), item_id, trigger)


Call = Callable[[Engine, Template, Actor], Any]


def seen(found: list[Any]) -> list[Any]:
    """A listing that leaves out what the actor may not read: empty counts as refused."""
    if not found:
        raise AccessDenied("nothing listed")
    return found


def export_and_import(engine: Engine, t: Template, actor: Actor) -> Any:
    export = store.export_project(engine, project="P", app_version="test", actor=LOCAL)
    fresh = export.model_copy(update={"assessments": [
        a.model_copy(update={"label": "imported", "inputs": {**a.inputs, "label": "imported"}})
        for a in export.assessments]})
    return store.import_project(engine, fresh, actor=actor)


def consensus(engine: Engine, t: Template, actor: Actor) -> Any:
    created = create_workshop(engine, project="P", actor=LOCAL)
    view = close_workshop(engine, token=created.facilitator_token) and facilitator_view(
        engine, token=created.facilitator_token)
    a = assessment(label="consensus")
    return history.save_evaluated(engine, a, recommend(a), None, today=date(2026, 1, 7), actor=actor,
                                  workshop=FromWorkshop(created.facilitator_token, view))


CASES: dict[str, tuple[str, Call]] = {
    # reading a project
    "list_projects": ("viewer", lambda e, t, a: seen(store.list_projects(e, actor=a))),
    "list_assessments": ("viewer", lambda e, t, a: seen(store.list_assessments(e, project="P", actor=a))),
    "list archived": ("viewer", lambda e, t, a: seen(store.list_assessments(e, archived=True, actor=a))),
    "load_assessment": ("viewer", lambda e, t, a: store.load_assessment(e, assessment_id=t.assessment_id, actor=a)),
    "project_assessments": ("viewer", lambda e, t, a: store.project_assessments(e, project="P", actor=a)),
    "latest_assessment": ("viewer", lambda e, t, a: store.latest_assessment(e, project="P", actor=a)),
    "project_triggers": ("viewer", lambda e, t, a: seen(store.project_triggers(e, project="P", actor=a))),
    "project_items": ("viewer", lambda e, t, a: project_items(e, project="P", actor=a)),
    "load_item": ("viewer", lambda e, t, a: load_item(e, item_id=t.item_id, actor=a)),
    "project_log": ("viewer", lambda e, t, a: store.project_log(e, project="P", actor=a)),
    "project_members": ("viewer", lambda e, t, a: store.project_members(e, project="P", actor=a)),
    "export_project": ("viewer", lambda e, t, a: store.export_project(e, project="P", app_version="t", actor=a)),
    # changing its assessments, items, triggers and workshops
    "save_assessment": ("editor", lambda e, t, a: history.save_evaluated(
        e, assessment(label="new"), recommend(assessment()), None, today=date(2026, 2, 1), actor=a)),
    "archive_assessment": ("editor", lambda e, t, a: store.archive_assessment(e, assessment_id=t.assessment_id,
                                                                              actor=a)),
    "restore_assessment": ("editor", lambda e, t, a: store.restore_assessment(e, assessment_id=t.archived_id,
                                                                              actor=a)),
    "import_project": ("editor", export_and_import),
    "set_item": ("editor", lambda e, t, a: set_item(e, item_id=t.item_id, status="in progress", actor=a)),
    "acknowledge_trigger": ("editor", lambda e, t, a: store.acknowledge_trigger(
        e, assessment_id=t.assessment_id, trigger=t.trigger, value=20, note="seen", actor=a)),
    "create_workshop": ("editor", lambda e, t, a: create_workshop(e, project="P", actor=a)),
    "save_consensus_assessment": ("editor", consensus),
    # owning it
    "rename_project": ("owner", lambda e, t, a: store.rename_project(e, name="P", new_name="P2", actor=a)),
    "archive project": ("owner", lambda e, t, a: store.set_project_archived(e, name="P", archived=True, actor=a)),
    "delete_assessment": ("owner", lambda e, t, a: store.delete_assessment(e, assessment_id=t.assessment_id,
                                                                           actor=a)),
    "set_member": ("owner", lambda e, t, a: store.set_member(e, project="P", member="new@example.com",
                                                             role="viewer", actor=a)),
    "remove_member": ("owner", lambda e, t, a: store.remove_member(e, project="P", member=VIEWER, actor=a)),
    # anyone signed in
    "create_project": ("signed in", lambda e, t, a: store.create_project(e, name="Mine", actor=a)),
    "save to a new project": ("signed in", lambda e, t, a: history.save_evaluated(
        e, assessment(project="Mine"), recommend(assessment()), None, today=date(2026, 2, 1), actor=a)),
    "save_price_list": ("signed in", lambda e, t, a: save_price_list(
        e, name="Mine", price_list=PriceList(instances=tuple(load_instances())[:1]), actor=a)),
    # a list's author, or an admin
    "replace price list": ("author", lambda e, t, a: save_price_list(
        e, name="Owner's list", price_list=PriceList(instances=tuple(load_instances())[:1]), replace=True, actor=a)),
    "delete_price_list": ("author", lambda e, t, a: delete_price_list(e, "Owner's list", actor=a)),
    "delete_api_price_list": ("author", lambda e, t, a: delete_api_price_list(e, "Owner's APIs", actor=a)),
}


def allowed(needed: str, role: str) -> bool:
    if needed == "author":
        return role in ("owner", "admin")
    return RANK[role] >= NEEDS[needed]


@pytest.fixture
def copy(template: Template, tmp_path: Path) -> Iterator[Engine]:
    path = tmp_path / "case.db"
    shutil.copy(template.path, path)
    yield store.get_engine(f"sqlite:///{path.as_posix()}")
    store.dispose_engines()


@pytest.mark.parametrize("role", list(ACTORS))
@pytest.mark.parametrize("case", list(CASES))
def test_each_repository_function_as_each_role(case: str, role: str, copy: Engine, template: Template) -> None:
    needed, call = CASES[case]
    before = store.project_log(copy, project="P", actor=LOCAL)
    if allowed(needed, role):
        call(copy, template, ACTORS[role])
        return
    with pytest.raises(AccessDenied) as refused:
        call(copy, template, ACTORS[role])
    if refused.value.args[0] != "nothing listed":
        assert ("Sign in" in str(refused.value)) == (role == "anonymous")
    after = store.project_log(copy, project="P", actor=LOCAL)
    assert [e for e in after if e not in before and e.actor == ACTORS[role].author] == []  # refused: nothing written


def test_every_write_is_in_the_log_with_its_author(copy: Engine, template: Template) -> None:
    editor, owner = ACTORS["editor"], ACTORS["owner"]
    set_item(copy, item_id=template.item_id, status="done", by="typed name", actor=editor)
    store.rename_project(copy, name="P", new_name="Chat “v2”", actor=owner)
    store.set_member(copy, project="Chat “v2”", member=EDITOR, role="owner", actor=owner)
    log = store.project_log(copy, project="Chat “v2”", actor=ACTORS["viewer"])
    assert [(e.actor, e.action) for e in log[:3]] == [
        (OWNER, "set role"), (OWNER, "renamed project"), (EDITOR, "changed item")]
    assert log[0].detail == "editor → owner" and log[1].detail == "was “P”"
    assert load_item(copy, item_id=template.item_id).events[-1].by == EDITOR  # not the typed name
    assert [e.action for e in log][-3:] == ["set role", "set role", "created project"]


def test_a_signed_in_creator_owns_the_project_and_it_keeps_an_owner(copy: Engine) -> None:
    mine = ACTORS["outsider"]
    store.create_project(copy, name="Mine", actor=mine)
    assert [(m.member, m.role) for m in store.project_members(copy, project="Mine", actor=mine)] == [
        (OUTSIDER, Role.OWNER)]
    assert [p.name for p in store.list_projects(copy, actor=mine)] == ["Mine"]
    with pytest.raises(StoreError, match="keeps at least one owner"):
        store.set_member(copy, project="Mine", member=OUTSIDER, role="editor", actor=mine)
    with pytest.raises(StoreError, match="keeps at least one owner"):
        store.remove_member(copy, project="Mine", member=OUTSIDER, actor=mine)
    with pytest.raises(StoreError, match="A role is one of viewer, editor, owner"):
        store.set_member(copy, project="Mine", member="x@example.com", role="superuser", actor=mine)


def test_an_open_project_lets_every_signed_in_user_edit_and_only_an_admin_name_its_first_owner(copy: Engine) -> None:
    store.create_project(copy, name="Open", actor=LOCAL)  # sign-in off, or the command line: no members
    anyone = ACTORS["outsider"]
    assert store.role_in(copy, project="Open", actor=anyone) is Role.EDITOR
    assert "Open" in [p.name for p in store.list_projects(copy, actor=anyone)]
    with pytest.raises(AccessDenied, match="needs the owner role, and you are its editor"):
        store.set_member(copy, project="Open", member=OUTSIDER, role="owner", actor=anyone)
    with pytest.raises(StoreError, match="keeps at least one owner"):
        store.set_member(copy, project="Open", member=OUTSIDER, role="viewer", actor=ACTORS["admin"])
    store.set_member(copy, project="Open", member=OUTSIDER, role="owner", actor=ACTORS["admin"])
    assert store.role_in(copy, project="Open", actor=ACTORS["editor"]) is None  # no longer open


def test_the_actor_provider_decides_who_acts_when_none_is_passed(copy: Engine) -> None:
    try:
        store.set_actor_provider(lambda: ANONYMOUS)
        with pytest.raises(AccessDenied, match="Sign in to create a project"):
            store.create_project(copy, name="Nobody's")
        assert store.list_projects(copy) == []
        store.set_actor_provider(lambda: None)  # a thread that is not a page's: the local default
        assert store.current_actor() == LOCAL
        store.set_actor_provider(store.command_line)
        store.create_project(copy, name="Scripted")
        assert store.project_log(copy, project="Scripted")[0].actor == "command line"
    finally:
        store.set_actor_provider(None)


def test_addresses_are_checked_and_compared_in_lower_case(copy: Engine) -> None:
    owner = ACTORS["owner"]
    store.set_member(copy, project="P", member="  New.Person@Example.COM ", role="viewer", actor=owner)
    assert store.role_in(copy, project="P", actor=signed_in("new.person@example.com")) is Role.VIEWER
    for bad in ("", " ", "a\x00b@example.com", "x" * 121):
        with pytest.raises(StoreError, match="member"):
            store.set_member(copy, project="P", member=bad, role="viewer", actor=owner)


def test_what_each_actor_may_read_is_filtered_in_sql_on_both_databases(store_url: str) -> None:
    engine = store.get_engine(store_url)
    owner, outsider = ACTORS["owner"], ACTORS["outsider"]
    history.save_evaluated(engine, assessment("Closed"), recommend(assessment()), None, today=date(2026, 1, 5),
                           actor=owner)
    history.save_evaluated(engine, assessment("Open"), recommend(assessment()), None, today=date(2026, 1, 5),
                           actor=LOCAL)
    assert [p.name for p in store.list_projects(engine, actor=outsider)] == ["Open"]
    assert [a.project for a in store.list_assessments(engine, actor=outsider)] == ["Open"]
    assert [a.created_by for a in store.list_assessments(engine, actor=ACTORS["admin"])] == ["local user", OWNER]
    assert store.project_triggers(engine, project="Closed", actor=outsider) == []
    assert store.list_projects(engine, actor=ANONYMOUS) == []
    with pytest.raises(AccessDenied, match="you are not a member"):
        store.project_assessments(engine, project="Closed", actor=outsider)
