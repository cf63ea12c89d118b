"""App tests of workshop mode, one AppTest per person: a facilitator and participants in their own sessions.

Each session is the whole app (router and pages) on the shared temporary database of the test. The
facilitator's token and the participants' secrets travel in the URL's query parameters, as in a browser.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from planner import history, store
from planner.decide import consensus as workshops
from planner.inputs.models import READINESS_KEYS
from planner.store import workshops as workshop_store
from tests.conftest import APP_TIMEOUT_S, ROOT
from ui import workshop_view
from ui.text import JOINER, literal
from ui.workshop_charts import distribution_frame

WORKSHOP, JOIN = "pages/workshop.py", "pages/join.py"
PROJECT = "Support <b>bot</b> **x**"  # markup in a name must show as typed


def session(**query: str) -> AppTest:
    """A new browser session opened on a URL with these query parameters."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=APP_TIMEOUT_S)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


def go(at: AppTest, page: str) -> AppTest:
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def click(at: AppTest, label: str) -> AppTest:
    """Click the (form or plain) button with this label."""
    next(b for b in at.button if b.label == label).click().run()
    assert not at.exception, at.exception
    return at


def markdown_text(at: AppTest) -> str:
    """Every piece of markdown the page shows (markdown, captions, alerts), as sent to the browser."""
    parts = [*at.markdown, *at.caption, *at.error, *at.warning, *at.info, *at.success]
    return "\n".join(str(p.value) for p in parts)


def table(at: AppTest, column: str) -> pd.DataFrame:
    """The first table shown with this column."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def token_of(at: AppTest) -> str:
    value: Any = at.query_params["token"]
    return value if isinstance(value, str) else value[0]


def facilitator(url: str, *, project: str = PROJECT, workload: bool = False) -> tuple[AppTest, str]:
    """A facilitator session that has created a workshop; returns it and the join code shown."""
    store.create_project(store.get_engine(url), name=project)
    at = go(session(), WORKSHOP)
    at.selectbox(key="wf.project").select(project).run()
    if workload:
        at.checkbox(key="wf.new_workload").check().run()
    click(at, "Create workshop")
    return at, at.metric[0].value


def participant(code: str, name: str) -> AppTest:
    """A participant who opened the join link and joined under a name."""
    at = go(session(code=code), JOIN)
    assert at.text_input(key="wj.code_input").value == code  # the link fills in the code
    at.text_input(key="wj.name").input(name)  # a form: the value is sent with the submit
    return click(at, "Join")


def answer(at: AppTest, levels: dict[str, int], **estimates: float) -> AppTest:
    for key, level in levels.items():
        at.radio(key=f"wj.q.{key}").set_value(level)
    for key, value in estimates.items():
        at.number_input(key=f"wj.q.{key}").set_value(value)
    return click(at, "Save my answers")


def test_facilitator_creates_a_workshop_and_keeps_it_by_the_private_link(temp_database: str) -> None:
    at, code = facilitator(temp_database)
    token = token_of(at)
    view = workshop_store.facilitator_view(store.get_engine(temp_database), token=token)
    assert view.workshop.display_code == code and view.workshop.project == PROJECT
    codes = [c.value for c in at.code]
    assert codes == [f"/join?code={code}", f"/workshop?token={token}"]
    assert "Nobody has joined yet" in at.info[0].value
    assert PROJECT not in markdown_text(at)  # the project name is escaped in the caption
    assert literal(PROJECT) in markdown_text(at)
    assert any(c.value.endswith(" · refreshes every 3 s") for c in at.caption)
    at.toggle(key="wf.live").set_value(False).run()
    assert any(c.value.endswith(" · live refresh paused") for c in at.caption)
    # The private link opens the same workshop in a new session.
    again = go(session(token=token), WORKSHOP)
    assert again.metric[0].value == code


def test_creating_without_a_project_says_so_at_the_field(temp_database: str) -> None:
    at = go(session(), WORKSHOP)
    click(at, "Create workshop")
    assert [e.value for e in at.error] == [
        "Enter a project name of 1 to 120 characters, without line breaks or other control characters."]
    assert "token" not in at.query_params


def test_a_wrong_token_shows_nothing_of_any_workshop(temp_database: str) -> None:
    facilitator(temp_database)
    at = go(session(token="x" * 43), WORKSHOP)
    assert "facilitator link is not valid" in at.error[0].value
    assert not at.metric and not at.code
    click(at, "Start a new workshop instead")
    assert at.button(key="wf.create")


def test_participant_joins_answers_revises_and_sees_only_their_own_answers(temp_database: str) -> None:
    host, code = facilitator(temp_database)
    ana = participant(code, "<script>alert(1)</script>")
    assert "Welcome" in ana.success[0].value
    assert "alert" not in markdown_text(ana).replace(literal("<script>alert(1)</script>"), "")
    assert ana.query_params["p"] and len(ana.radio) == len(READINESS_KEYS)
    answer(ana, {"containers": 1, "cicd": 3})
    assert "Saved your 2 answer(s)" in ana.success[0].value
    answer(ana, {"containers": 2})
    assert "not revealed" in ana.caption[-1].value and not ana.get("vega_lite_chart")

    # Reloading the personal link keeps the answers; a participant never sees another's name.
    back = go(session(code=code, p=str(ana.query_params["p"][0] if isinstance(ana.query_params["p"], list)
                                       else ana.query_params["p"])), JOIN)
    assert back.radio(key="wj.q.containers").value == 2 and back.radio(key="wj.q.cicd").value == 3
    ben = participant(code, "Ben")
    answer(ben, {"containers": 4})
    assert "script" not in markdown_text(ben) and "Ana" not in markdown_text(ben)

    host.run()
    who = table(host, "Participant")
    assert list(who["Participant"]) == ["<script>alert(1)</script>", "Ben"]  # shown as text in a table
    assert list(who["Answered"]) == ["2 of 6", "1 of 6"]
    prompts = [w.value for w in host.warning if w.value.startswith("**")]
    assert len(prompts) == 1 and "Containers and orchestration" in prompts[0]
    assert literal("<script>alert(1)</script>") in prompts[0]  # escaped in the markdown prompt

    host.toggle(key="wf.anonymise").set_value(True).run()
    assert list(table(host, "Participant")["Participant"]) == ["Participant 1", "Participant 2"]
    assert "script" not in " ".join(w.value for w in host.warning)


def test_revealing_shows_participants_the_aggregate(temp_database: str) -> None:
    host, code = facilitator(temp_database)
    ana = participant(code, "Ana")
    answer(ana, {"on_call": 1})
    ben = participant(code, "Ben")
    answer(ben, {"on_call": 3})
    host.toggle(key="wf.reveal").set_value(True).run()
    assert not host.exception
    ana.run()
    room = table(ana, "Your answer")
    on_call = room[room["Question"] == "Incident response and on-call"].iloc[0]
    # One median rule (issue 15 item 13): levels 1 and 3 give 1 on both sides of the room, as the rule says.
    assert (on_call["Your answer"], on_call["Median"], on_call["Spread"], on_call["Answers"]) == ("1", "1", "2", 2)
    consensus = table(host, "Consensus").set_index("Question")
    assert consensus.loc["Incident response and on-call", "Median"] == "1"
    assert consensus.loc["Incident response and on-call", "Consensus"].startswith("1 ·")
    assert any("1 and 3 give 1" in c.value for c in host.caption)
    assert any("1 and 3 give 1" in c.value for c in ana.caption)
    assert ana.get("vega_lite_chart")


def test_closing_stops_answers_and_the_consensus_becomes_the_assessment(temp_database: str) -> None:
    host, code = facilitator(temp_database, workload=True)
    ana = participant(code, "Ana")
    answer(ana, {k: 1 for k in READINESS_KEYS}, mean_requests_per_s=2.0, peak_requests_per_s=6.0)
    ben = participant(code, "Ben")
    answer(ben, {k: 3 for k in READINESS_KEYS}, mean_requests_per_s=4.0, peak_requests_per_s=10.0)
    host.run()
    assert ana.radio and not any(r.disabled for r in ana.radio)  # open: answers can change
    assert "Close the workshop first" in " ".join(i.value for i in host.info)

    # An override needs a note, shown beside its field; with one it is saved.
    host.selectbox(key="wf.value.cicd").select(4)
    click(host, "Save the consensus")
    assert any("why the room chose" in e.value for e in host.error)
    host.text_input(key="wf.note.cicd").input("**Pipelines** <i>exist</i>")
    click(host, "Save the consensus")
    assert "1 override(s)" in host.success[-1].value
    consensus = table(host, "Consensus").set_index("Question")
    assert consensus.loc["CI/CD and deployment automation", "From"] == "your override"
    assert consensus.loc["CI/CD and deployment automation", "Note"] == "**Pipelines** <i>exist</i>"
    assert consensus.loc["Containers and orchestration", "Consensus"].startswith("1 ·")  # lower middle of 1, 3

    click(host, "Close now")
    assert any(c.value.endswith("answered · closed") for c in host.caption)  # no more live refresh
    estimates = table(host, "Lowest").set_index("Question")
    assert tuple(estimates.loc["Mean traffic (requests/s)", ["Lowest", "Median", "Highest"]]) == ("2", "3", "4")
    assert estimates.loc["Peak traffic (requests/s)", "Discuss"] == ""  # 6 and 10: less than a factor of two
    ana.run()
    assert "closed" in ana.info[0].value
    assert next(b for b in ana.button if b.label == "Save my answers").disabled
    # Visibly read-only (issue 15 item 15): every answer widget is disabled, with a notice at the form.
    assert all(r.disabled for r in ana.radio) and len(ana.radio) == len(READINESS_KEYS)
    assert ana.number_input and all(n.disabled for n in ana.number_input)
    assert any("Read-only" in w.value for w in ana.warning)
    assert ana.radio(key="wj.q.cicd").value == 1  # the saved answer still shows
    with pytest.raises(workshop_store.WorkshopClosed):
        workshop_store.submit_answers(store.get_engine(temp_database), code=code,
                                      secret=str(ana.session_state["wj.secret"]), answers={"cicd": 0})

    host.selectbox(key="wf.preset").select("content_startup").run()
    click(host, "Create the assessment from the consensus")
    assert "Saved the consensus as assessment #1" in host.success[0].value
    saved = store.load_assessment(store.get_engine(temp_database), assessment_id=1)
    team, workload = saved.assessment.team, saved.assessment.workload
    assert (team.containers, team.cicd, team.on_call) == (1, 4, 1)
    assert (workload.mean_requests_per_s, workload.peak_requests_per_s) == (3.0, 8.0)  # medians of 2 and 4, 6 and 10
    assert saved.project == PROJECT and "**Pipelines** <i>exist</i>" in saved.assessment.notes
    assert [a["participant"] for a in saved.results["workshop"]["answers"]] == ["Ana", "Ben"]
    # Saved as the Results page saves: the revisit-by date of the team's stage and the roadmap's triggers.
    assert saved.revisit_by == history.default_revisit_by(saved.assessment, saved.created_at.date())
    assert saved.triggers == tuple(history.stored_recommendation(saved).triggers)  # type: ignore[union-attr]
    assert (saved.price_snapshot is None) == ("evaluation" not in saved.results)
    linked = workshop_store.workshop_for_assessment(store.get_engine(temp_database), assessment_id=1)
    assert linked is not None and linked.display_code == code
    click(host, "See the recommendation")
    assert host.title[0].value == "Recommendation"


def test_a_stale_or_foreign_secret_is_refused_and_the_join_form_returns(temp_database: str) -> None:
    _, code = facilitator(temp_database)
    _, other_code = facilitator(temp_database, project="Other")
    stranger = participant(other_code, "Eve")
    secret = str(stranger.session_state["wj.secret"])
    at = go(session(code=code, p=secret), JOIN)  # Eve's secret does not open the first workshop
    assert "Your place in this workshop was not found" in at.error[0].value
    assert at.text_input(key="wj.code_input").value == code and not at.radio
    assert "wj.secret" not in at.session_state


def test_a_mistyped_code_is_explained_beside_the_code_field(temp_database: str) -> None:
    at = go(session(), JOIN)
    at.text_input(key="wj.code_input").input("ABCDU-1234")
    at.text_input(key="wj.name").input("Ana")
    click(at, "Join")
    assert "'U' cannot appear" in at.error[0].value
    at.text_input(key="wj.code_input").input("zzzzz-zzzzz")
    click(at, "Join")
    assert "No workshop has the code ZZZZZ-ZZZZZ" in at.error[0].value


@pytest.mark.parametrize("text", ["**x**", "<script>alert(1)</script>", "[a](javascript:x) :red[y] $z$ `c`"])
def test_escaped_text_renders_as_typed(text: str) -> None:
    escaped = literal(text)
    assert re.sub(r"\\(.)", r"\1", escaped.replace(JOINER, "")) == text  # only backslashes and joiners added
    for special in "*<[]`$":
        assert special not in escaped.replace(f"\\{special}", "")
    assert ":red" not in escaped  # a joiner after the colon: no directive


def test_estimates_turned_off_while_a_participant_answers_are_left_out(temp_database: str) -> None:
    host, code = facilitator(temp_database, workload=True)
    ana = participant(code, "Ana")
    ana.number_input(key="wj.q.mean_requests_per_s").set_value(3.0)
    ana.radio(key="wj.q.cicd").set_value(2)
    host.toggle(key="wf.workload").set_value(False).run()  # the facilitator changes their mind meanwhile
    click(ana, "Save my answers")
    assert "Saved your 1 answer(s)" in ana.success[0].value
    assert not ana.get("number_input")  # the estimates are gone from the form
    saved = workshop_store.facilitator_view(store.get_engine(temp_database), token=token_of(host))
    assert [p.answers for p in saved.participants] == [{"cicd": 2.0}]


def test_wrong_codes_make_each_further_try_wait_longer(temp_database: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from ui import workshop_join

    now = [1_000.0]  # seconds on the page's clock, moved by hand instead of sleeping
    monkeypatch.setattr(workshop_join, "clock", lambda: now[0])
    _, code = facilitator(temp_database)
    wrong = "ZZZZZ-ZZZZZ" if code != "ZZZZZ-ZZZZZ" else "YYYYY-YYYYY"
    at = go(session(), JOIN)
    at.text_input(key="wj.name").input("Ana")

    def attempt(typed: str) -> str:
        at.text_input(key="wj.code_input").input(typed)
        click(at, "Join")
        return at.error[0].value if at.error else ""

    not_found = f"No workshop has the code {wrong}. Check the code with your facilitator."
    for _ in range(workshop_join.FREE_WRONG_CODES - 1):
        assert attempt(wrong) == not_found
    # The fifth wrong code starts a wait of 1 s; while it runs, no code is tried, not even the right one.
    assert attempt(wrong) == f"{not_found} Too many wrong codes: try again in 1 s."
    assert attempt(code) == "Too many wrong codes: try again in 1 s."
    assert "wj.secret" not in at.session_state
    now[0] += 1.0
    assert attempt(wrong) == f"{not_found} Too many wrong codes: try again in 2 s."  # doubled
    now[0] += 0.5
    assert attempt(wrong) == "Too many wrong codes: try again in 2 s."  # 1.5 s left, rounded up
    waits = []
    for _ in range(8):
        now[0] += 60.0
        waits.append(attempt(wrong).removeprefix(f"{not_found} "))
    assert waits == [f"Too many wrong codes: try again in {s} s." for s in (4, 8, 16, 32, 60, 60, 60, 60)]

    # Another browser session has its own count; this one joins once its wait is over.
    other = go(session(), JOIN)
    other.text_input(key="wj.code_input").input(wrong)
    other.text_input(key="wj.name").input("Ben")
    assert click(other, "Join").error[0].value == not_found
    now[0] += 59.0
    assert attempt(code) == "Too many wrong codes: try again in 1 s."
    now[0] += 1.0
    assert attempt(code) == "" and "Welcome, Ana" in at.success[0].value


def test_the_chart_marks_the_same_median_as_the_tables() -> None:
    aggregates = [workshops.aggregate("on_call", [1, 3])]
    frame = distribution_frame(aggregates)
    assert set(frame["median"]) == {1.0} == {aggregates[0].median}


def test_the_join_link_uses_the_configured_public_address(temp_database: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # Issue 15 item 14: PLANNER_PUBLIC_URL names the address participants reach.
    monkeypatch.setenv("PLANNER_PUBLIC_URL", "https://planner.example.org/team/")
    at, code = facilitator(temp_database)
    codes = [c.value for c in at.code]
    assert codes[0] == f"https://planner.example.org/team/join?code={code}"
    assert codes[1] == f"https://planner.example.org/team/workshop?token={token_of(at)}"
    assert not any("cannot reach" in w.value for w in at.warning)


@pytest.mark.parametrize(("configured", "browser_url", "host", "expected"), [
    ("https://planner.example.org/", "http://localhost:8501/workshop", "localhost:8501",
     "https://planner.example.org"),  # the configured address wins over the browser's
    ("", "http://10.0.0.5:8501/workshop?token=x", "10.0.0.5:8501", "http://10.0.0.5:8501"),
    ("", "https://example.org/planner/workshop", "", "https://example.org/planner"),  # behind a path prefix
    ("", "", "10.0.0.5:8501", "http://10.0.0.5:8501"),  # no URL from the browser: the Host it used
    ("not a url", "", "", ""),  # nothing known: links stay relative
])
def test_the_link_base_falls_back_to_the_address_the_browser_used(configured: str, browser_url: str, host: str,
                                                                   expected: str) -> None:
    assert workshop_view.base_url(configured, browser_url, host) == expected


@pytest.mark.parametrize(("url", "local"), [
    ("http://localhost:8501/join?code=X", True), ("http://127.0.0.1:8501/join", True),
    ("http://10.0.0.5:8501/join", False), ("/join?code=X", False),
])
def test_a_localhost_link_is_flagged(url: str, local: bool) -> None:
    assert workshop_view.reachable_only_here(url) is local


def test_two_facilitators_on_one_workshop_keep_each_others_consensus(temp_database: str) -> None:
    # Two tabs, or two app servers behind a proxy: each writes only the questions it changed, and shows the
    # other's changes on its next run.
    first, code = facilitator(temp_database)
    answer(participant(code, "Ana"), {k: 1 for k in READINESS_KEYS})
    second = go(session(token=token_of(first)), WORKSHOP)
    first.selectbox(key="wf.value.cicd").select(4)
    first.text_input(key="wf.note.cicd").input("pipelines exist")
    click(first, "Save the consensus")
    second.selectbox(key="wf.value.containers").select(3)
    second.text_input(key="wf.note.containers").input("we run k8s")
    click(second, "Save the consensus")  # its form still showed the median for CI/CD
    consensus = table(second, "Consensus").set_index("Question")
    assert consensus.loc["CI/CD and deployment automation", "From"] == "your override"
    assert consensus.loc["Containers and orchestration", "From"] == "your override"
    assert second.selectbox(key="wf.value.cicd").value == 4  # the other's override now shows in the form
    assert first.run().selectbox(key="wf.value.containers").value == 3
