"""AppTests of the optional sign-in, with the signed-in user mocked at the ``st.user`` boundary (the OIDC flow itself
is Streamlit's): the sign-in prompt, the join page open to everyone, what each role sees and may do, the members and
log page, and authors recorded from the identity."""

from __future__ import annotations

from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from planner import store
from planner.store import LOCAL, Role, signed_in
from tests.conftest import APP_TIMEOUT_S, ROOT, tables_shown
from tests.test_app_history import blank, seed

AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "test-secret",
        "client_id": "planner", "client_secret": "s", "server_metadata_url":
            "https://idp.example.com/.well-known/openid-configuration"}
OWNER, EDITOR, VIEWER = "owner@example.com", "editor@example.com", "viewer@example.com"
PROJECT = "Bot **b** [l](javascript:alert(1))"


def app_as(user: dict[str, Any] | None, *, admins: list[str] | None = None, page: str | None = None,
           query: dict[str, str] | None = None) -> AppTest:
    """The app with sign-in configured, as ``user`` (None: not signed in), run once on ``page``."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=APP_TIMEOUT_S)
    at.secrets["auth"] = AUTH
    if admins is not None:
        at.secrets["planner"] = {"admins": admins}
    at.user = {"is_logged_in": False} if user is None else {"is_logged_in": True, **user}
    for name, value in (query or {}).items():
        at.query_params[name] = value
    at.run()
    if page is not None:
        at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def person(address: str) -> dict[str, str]:
    return {"email": address, "name": address.split("@")[0].title()}


@pytest.fixture
def team(temp_database: str) -> str:
    """A project owned by OWNER with EDITOR and VIEWER, holding one saved assessment; another, open project."""
    engine = store.get_engine(temp_database)
    owner = signed_in(OWNER)
    store.create_project(engine, name=PROJECT, actor=owner)
    store.set_member(engine, project=PROJECT, member=EDITOR, role=Role.EDITOR, actor=owner)
    store.set_member(engine, project=PROJECT, member=VIEWER, role=Role.VIEWER, actor=owner)
    seed(temp_database, blank(PROJECT))
    store.create_project(engine, name="Open to all", actor=LOCAL)
    return temp_database


def texts(at: AppTest) -> str:
    parts = [m.value for m in (*at.markdown, *at.caption, *at.info, *at.warning, *at.error, *at.success, *at.title)]
    return "\n".join(str(p) for p in parts)


def test_without_sign_in_configured_nothing_asks_for_an_account(team: str) -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=APP_TIMEOUT_S)
    at.run()
    assert at.title[0].value == "GenAI Architecture Planner"
    assert not [b for b in at.sidebar.button if b.key == "auth.sign_out"]
    at.switch_page("pages/project.py").run()
    assert "Sign-in is off" in texts(at)


def test_a_visitor_who_has_not_signed_in_sees_the_prompt_on_every_page_but_join(team: str) -> None:
    for page in ("pages/home.py", "pages/history.py", "pages/saved.py", "pages/saved_result.py", "pages/project.py",
                 "pages/pricing.py", "pages/serving.py", "pages/workshop.py", "pages/assess.py"):
        at = app_as(None, page=page)  # a page run alone goes through app.py's router (ui/router.py)
        assert [t.value for t in at.title] == ["Sign in"], page
        assert at.button(key="auth.sign_in")
        assert "Open to all" not in texts(at) and "Bot" not in texts(at)
    linked = app_as(None, query={"project": PROJECT})
    assert "open the same link again" in texts(linked)
    join = app_as(None, page="pages/join.py")
    assert [t.value for t in join.title] == ["Join a workshop"]
    assert store.current_actor() == store.LOCAL  # outside the app's script runs: the local default


def test_a_viewer_reads_but_every_change_is_refused_by_the_store(team: str) -> None:
    home = app_as(person(VIEWER))
    assert "Signed in as Viewer (viewer@example.com)" in [c.value.replace("\\", "").replace("\u2060", "")
                                                          for c in home.sidebar.caption]
    assert home.sidebar.button(key="auth.sign_out")
    at = app_as(person(VIEWER), page="pages/project.py")
    assert "Your role in this project: **viewer**" in texts(at)
    assert not [f for f in at.text_input if f.key == "access.member"]  # no member form for a viewer
    members = at.dataframe[0].value
    assert list(members["Member"]) == [OWNER, EDITOR, VIEWER]
    home.selectbox(key="home.project").select(PROJECT).run()
    assert not [f for f in home.text_input if f.key == "home.new_name"]  # rename and archive: owners only
    assert "need its owner role" in texts(home)
    with pytest.raises(store.AccessDenied, match="needs the owner role, and you are its viewer"):
        store.rename_project(store.get_engine(team), name=PROJECT, new_name="Renamed", actor=signed_in(VIEWER))
    assert [p.name for p in store.list_projects(store.get_engine(team))] == [PROJECT, "Open to all"]


def test_an_outsider_sees_only_open_projects(team: str) -> None:
    at = app_as(person("outsider@example.com"), page="pages/project.py")
    assert [o for o in at.selectbox(key="access.project").options] == ["Open to all"]
    assert "Your role in this project: **editor**" in texts(at)


def test_an_owner_adds_a_member_after_confirming_and_the_log_says_who(team: str) -> None:
    home = app_as(person(OWNER))
    home.selectbox(key="home.project").select(PROJECT).run()
    assert home.text_input(key="home.new_name")  # the owner may rename and archive
    home.button(key="home.access").click().run()  # Members and log, on this project
    at = home.switch_page("pages/project.py").run()
    assert at.selectbox(key="access.project").value == PROJECT
    at.text_input(key="access.member").input("New.Person@example.com")
    at.selectbox(key="access.role").select("viewer")
    at.button(key="access.set").click().run()
    engine = store.get_engine(team)
    assert "new.person@example.com" not in [m.member for m in store.project_members(engine, project=PROJECT)]
    at.button(key="access.set_confirm").click().run()
    assert not at.exception, at.exception
    assert "new.person@example.com" in [m.member for m in store.project_members(engine, project=PROJECT)]
    log = store.project_log(engine, project=PROJECT)
    assert (log[0].actor, log[0].action, log[0].detail) == (OWNER, "set role", "added as viewer")
    shown = list(tables_shown(at)[0]["On"])  # the log table on the page, as the browser shows it
    assert "new.person@example.com" in shown and PROJECT in shown


def test_an_admin_from_the_secrets_owns_every_project(team: str) -> None:
    home = app_as(person("boss@example.com"), admins=["BOSS@example.com"])
    assert "instance admin" in " ".join(c.value for c in home.sidebar.caption)
    at = home.switch_page("pages/project.py").run()
    assert set(at.selectbox(key="access.project").options) == {"Open to all", PROJECT}


def test_a_signed_in_save_records_its_author(team: str, monkeypatch: pytest.MonkeyPatch) -> None:
    at = app_as(person(EDITOR))
    at.button(key="home.assess").click().run()
    at.text_input(key="a.project").input(PROJECT)
    at.button(key="a.submit").click().run()
    at.button(key="FormSubmitter:save-Save assessment").click().run()
    assert not at.exception, at.exception
    log = store.project_log(store.get_engine(team), project=PROJECT)
    assert (log[0].actor, log[0].action) == (EDITOR, "saved assessment")
