"""Workshop repository on SQLite and PostgreSQL: access checks, isolation, closing, concurrency, linking."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, event, inspect, select
from sqlalchemy.orm import Session

import planner
from planner import store
from planner.decide import consensus as workshops
from planner.decide.scoring import recommend
from planner.errors import InputError
from planner.inputs.files import load_presets
from planner.store import Base
from planner.store import workshops as workshop_store
from planner.store.tables import WorkshopRow
from planner.store.workshops import AccessDenied, WorkshopClosed

PARTICIPANTS = 30
WORKSHOP_TABLES = {"workshops", "workshop_participants", "workshop_answers", "workshop_overrides"}


def _levels(i: int) -> dict[str, int]:
    return {k: (i + j) % 5 for j, k in enumerate(("containers", "observability", "cicd", "on_call", "api_design",
                                                  "service_security"))}


def test_the_migration_matches_the_workshop_models(store_url: str) -> None:
    engine = store.get_engine(store_url)
    assert set(inspect(engine).get_table_names()) >= WORKSHOP_TABLES
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"include_object": lambda obj, name, type_, reflected, other: type_ != "table"
                        or name in WORKSHOP_TABLES})
        assert compare_metadata(context, Base.metadata) == []


def test_the_migration_upgrades_from_0001_and_downgrades_cleanly(store_url: str) -> None:
    engine = store.create_store_engine(store_url)
    try:
        with engine.begin() as conn:
            command.upgrade(store.alembic_config(conn), "0004_workshops")
        assert WORKSHOP_TABLES | {"projects", "assessments"} <= set(inspect(engine).get_table_names())
        referred = {fk["referred_table"] for fk in inspect(engine).get_foreign_keys("workshops")}
        assert referred == {"assessments"}
        with engine.begin() as conn:
            command.downgrade(store.alembic_config(conn), "0001")
        tables = set(inspect(engine).get_table_names())
        assert not tables & WORKSHOP_TABLES and {"projects", "assessments"} <= tables
    finally:
        engine.dispose()


def test_create_stores_only_the_token_hash(store_url: str) -> None:
    engine = store.get_engine(store_url)
    created = workshop_store.create_workshop(engine, project="Support bot")
    token, info = created.facilitator_token, created.workshop
    assert len(token) >= 43 and info.project == "Support bot" and not info.closed and not info.reveal
    assert info.display_code == f"{info.join_code[:5]}-{info.join_code[5:]}"
    with Session(engine) as session:
        row = session.scalars(select(WorkshopRow)).one()
        stored = [str(v) for v in (row.join_code, row.facilitator_token_hash, row.project)]
    assert token not in "".join(stored)
    assert row.facilitator_token_hash == workshops.hash_token(token)
    assert workshop_store.facilitator_view(engine, token=token).workshop == info
    assert workshop_store.open_workshop(engine, code=info.display_code.lower()) == info


@pytest.mark.parametrize("project", ["", "   ", "x" * 121])
def test_create_refuses_a_bad_project_name(store_url: str, project: str) -> None:
    with pytest.raises(InputError) as info:
        workshop_store.create_workshop(store.get_engine(store_url), project=project)
    assert set(info.value.field_errors) == {"project"}


def test_wrong_token_is_refused_for_every_facilitator_action(store_url: str) -> None:
    engine = store.get_engine(store_url)
    real = workshop_store.create_workshop(engine, project="P")
    other = workshop_store.create_workshop(engine, project="Q")
    assessment = load_presets()["blank"].model_copy(update={"project": "P"})
    wrong = (workshops.new_token(), "short", real.workshop.join_code, workshops.hash_token(real.facilitator_token))
    for token in wrong:
        with pytest.raises(AccessDenied, match="facilitator link is not valid"):
            workshop_store.facilitator_view(engine, token=token)
        with pytest.raises(AccessDenied):
            workshop_store.set_options(engine, token=token, reveal=True)
        with pytest.raises(AccessDenied):
            workshop_store.set_override(engine, token=token, key="cicd", value=1, note="n")
        with pytest.raises(AccessDenied):
            workshop_store.clear_override(engine, token=token, key="cicd")
        with pytest.raises(AccessDenied):
            workshop_store.close_workshop(engine, token=token)
        with pytest.raises(AccessDenied):
            workshop_store.save_consensus_assessment(engine, token=token, assessment=assessment, results={},
                                                     recommended="monolith", app_version="t")
    # Another workshop's token acts on that workshop only.
    workshop_store.close_workshop(engine, token=other.facilitator_token)
    assert not workshop_store.facilitator_view(engine, token=real.facilitator_token).workshop.closed
    assert workshop_store.open_workshop(engine, code=other.workshop.join_code).closed


def test_participants_see_only_their_own_answers_until_revealed(store_url: str) -> None:
    engine = store.get_engine(store_url)
    created = workshop_store.create_workshop(engine, project="P")
    code, token = created.workshop.join_code, created.facilitator_token
    ana = workshop_store.join_workshop(engine, code=code, display_name="  Ana   Lima ")
    ben = workshop_store.join_workshop(engine, code=code, display_name="<script>alert(1)</script>")
    assert ana.display_name == "Ana Lima"
    view = workshop_store.submit_answers(engine, code=code, secret=ana.secret, answers={"containers": 1, "cicd": 2})
    assert view.me.answers == {"containers": 1.0, "cicd": 2.0} and view.aggregate is None
    workshop_store.submit_answers(engine, code=code, secret=ben.secret, answers={"containers": 4})
    view = workshop_store.participant_view(engine, code=code, secret=ana.secret)
    assert view.me.display_name == "Ana Lima" and view.participant_count == 2 and view.aggregate is None

    workshop_store.set_options(engine, token=token, reveal=True)
    view = workshop_store.participant_view(engine, code=code, secret=ana.secret)
    assert view.aggregate is not None
    containers = next(a for a in view.aggregate if a.key == "containers")
    assert containers.values == (1.0, 4.0) and containers.disagreement
    assert "script" not in view.model_dump_json()  # Ana never sees Ben's name

    facilitator = workshop_store.facilitator_view(engine, token=token)
    assert [p.display_name for p in facilitator.participants] == ["Ana Lima", "<script>alert(1)</script>"]


def test_revising_replaces_only_the_questions_given(store_url: str) -> None:
    engine = store.get_engine(store_url)
    created = workshop_store.create_workshop(engine, project="P", workload_enabled=True)
    code = created.workshop.join_code
    me = workshop_store.join_workshop(engine, code=code, display_name="Ana")
    workshop_store.submit_answers(engine, code=code, secret=me.secret,
                                  answers={"containers": 1, "mean_requests_per_s": 3.0})
    view = workshop_store.submit_answers(engine, code=code, secret=me.secret, answers={"containers": 3})
    assert view.me.answers == {"containers": 3.0, "mean_requests_per_s": 3.0}
    assert view.me.answered_at is not None
    with pytest.raises(InputError) as info:
        workshop_store.submit_answers(engine, code=code, secret=me.secret, answers={"containers": 9})
    assert "containers" in info.value.field_errors
    assert workshop_store.participant_view(engine, code=code, secret=me.secret).me.answers["containers"] == 3.0


def test_workshops_are_isolated_from_each_other(store_url: str) -> None:
    engine = store.get_engine(store_url)
    first = workshop_store.create_workshop(engine, project="P")
    second = workshop_store.create_workshop(engine, project="P")
    assert first.workshop.join_code != second.workshop.join_code
    mine = workshop_store.join_workshop(engine, code=first.workshop.join_code, display_name="Ana")
    theirs = workshop_store.join_workshop(engine, code=second.workshop.join_code, display_name="Ana")  # same name ok
    workshop_store.submit_answers(engine, code=second.workshop.join_code, secret=theirs.secret,
                                  answers={"cicd": 4})
    # My secret does not open, read or change the other workshop.
    for call in (workshop_store.participant_view, workshop_store.submit_answers):
        kwargs = {"answers": {"cicd": 0}} if call is workshop_store.submit_answers else {}
        with pytest.raises(AccessDenied, match="not found"):
            call(engine, code=second.workshop.join_code, secret=mine.secret, **kwargs)
    # Nor does the facilitator token of one workshop show the other's participants.
    view = workshop_store.facilitator_view(engine, token=first.facilitator_token)
    assert [p.answers for p in view.participants] == [{}]
    other = workshop_store.facilitator_view(engine, token=second.facilitator_token)
    assert [p.answers for p in other.participants] == [{"cicd": 4.0}]
    with pytest.raises(AccessDenied, match="No workshop has the code"):
        workshop_store.join_workshop(engine, code=workshops.new_join_code(), display_name="Eve")


def test_display_names_are_checked_and_unique_within_a_workshop(store_url: str) -> None:
    engine = store.get_engine(store_url)
    code = workshop_store.create_workshop(engine, project="P").workshop.join_code
    workshop_store.join_workshop(engine, code=code, display_name="Ana")
    for name, message in (("Ana", "already goes by"), ("", "Enter the name"), ("x" * 61, "within 60"),
                          ("a\x00b", "cannot be shown")):
        with pytest.raises(InputError, match=message) as info:
            workshop_store.join_workshop(engine, code=code, display_name=name)
        assert set(info.value.field_errors) == {"display_name"}


def test_a_closed_workshop_accepts_no_joins_and_no_answers(store_url: str) -> None:
    engine = store.get_engine(store_url)
    created = workshop_store.create_workshop(engine, project="P")
    code = created.workshop.join_code
    me = workshop_store.join_workshop(engine, code=code, display_name="Ana")
    workshop_store.submit_answers(engine, code=code, secret=me.secret, answers={"cicd": 2})
    closed = workshop_store.close_workshop(engine, token=created.facilitator_token)
    assert closed.closed
    assert workshop_store.close_workshop(engine, token=created.facilitator_token).closed_at == closed.closed_at
    with pytest.raises(WorkshopClosed, match="closed"):
        workshop_store.submit_answers(engine, code=code, secret=me.secret, answers={"cicd": 4})
    with pytest.raises(WorkshopClosed, match="closed"):
        workshop_store.join_workshop(engine, code=code, display_name="Late")
    view = workshop_store.participant_view(engine, code=code, secret=me.secret)
    assert view.me.answers == {"cicd": 2.0} and view.participant_count == 1


def test_workload_estimates_only_when_the_facilitator_asks(store_url: str) -> None:
    engine = store.get_engine(store_url)
    created = workshop_store.create_workshop(engine, project="P")
    code = created.workshop.join_code
    me = workshop_store.join_workshop(engine, code=code, display_name="Ana")
    with pytest.raises(InputError, match="has not asked"):
        workshop_store.submit_answers(engine, code=code, secret=me.secret, answers={"mean_requests_per_s": 2.0})
    workshop_store.set_options(engine, token=created.facilitator_token, workload_enabled=True)
    workshop_store.submit_answers(engine, code=code, secret=me.secret, answers={"mean_requests_per_s": 2.0})
    keys = [a.key for a in workshop_store.facilitator_view(engine, token=created.facilitator_token).aggregates()]
    assert "mean_requests_per_s" in keys


def test_overrides_are_set_replaced_and_cleared(store_url: str) -> None:
    engine = store.get_engine(store_url)
    created = workshop_store.create_workshop(engine, project="P")
    token, code = created.facilitator_token, created.workshop.join_code
    for name, level in (("A", 1), ("B", 3), ("C", 4)):
        joined = workshop_store.join_workshop(engine, code=code, display_name=name)
        workshop_store.submit_answers(engine, code=code, secret=joined.secret, answers={"on_call": level})
    workshop_store.set_override(engine, token=token, key="on_call", value=2, note="**x** <b>y</b>")
    workshop_store.set_override(engine, token=token, key="on_call", value=1, note="Rota is informal")
    with pytest.raises(InputError) as info:
        workshop_store.set_override(engine, token=token, key="on_call", value=3, note="")
    assert "note" in info.value.field_errors
    items = {i.key: i for i in workshop_store.facilitator_view(engine, token=token).consensus()}
    assert (items["on_call"].value, items["on_call"].note, items["on_call"].median) == (1.0, "Rota is informal", 3.0)
    workshop_store.clear_override(engine, token=token, key="on_call")
    items = {i.key: i for i in workshop_store.facilitator_view(engine, token=token).consensus()}
    assert (items["on_call"].value, items["on_call"].source) == (3.0, "median")


def test_thirty_participants_submitting_at_once_are_all_stored(store_url: str) -> None:
    engine = store.get_engine(store_url)
    created = workshop_store.create_workshop(engine, project="P")
    code = created.workshop.join_code
    start = threading.Barrier(PARTICIPANTS)

    def participant(i: int) -> str:
        joined = workshop_store.join_workshop(engine, code=code, display_name=f"Person {i}")
        start.wait(timeout=60)  # everyone submits at the same moment
        workshop_store.submit_answers(engine, code=code, secret=joined.secret, answers=_levels(i))
        workshop_store.submit_answers(engine, code=code, secret=joined.secret, answers={"cicd": i % 5})
        return joined.display_name

    with ThreadPoolExecutor(max_workers=PARTICIPANTS) as pool:
        names = list(pool.map(participant, range(PARTICIPANTS)))
    view = workshop_store.facilitator_view(engine, token=created.facilitator_token)
    assert sorted(p.display_name for p in view.participants) == sorted(names)
    by_name = {p.display_name: p.answers for p in view.participants}
    for i in range(PARTICIPANTS):
        assert by_name[f"Person {i}"] == {k: float(v) for k, v in {**_levels(i), "cicd": i % 5}.items()}
    containers = next(a for a in view.aggregates() if a.key == "containers")
    assert containers.counts == (6, 6, 6, 6, 6)


def test_the_consensus_assessment_is_saved_and_linked_to_the_closed_workshop(store_url: str) -> None:
    engine = store.get_engine(store_url)
    created = workshop_store.create_workshop(engine, project="Support bot")
    token, code = created.facilitator_token, created.workshop.join_code
    for name, level in (("A", 0), ("B", 1)):
        joined = workshop_store.join_workshop(engine, code=code, display_name=name)
        workshop_store.submit_answers(engine, code=code, secret=joined.secret, answers={"containers": level})
    base = load_presets()["blank"].model_copy(update={"project": "Support bot"})
    view = workshop_store.facilitator_view(engine, token=token)
    assessment = workshops.consensus_assessment(base, view.consensus(), label="Workshop", notes="")
    save = {"results": {"recommendation": recommend(assessment).model_dump(mode="json")},
            "recommended": "monolith", "app_version": planner.__version__}
    with pytest.raises(WorkshopClosed, match="Close the workshop"):
        workshop_store.save_consensus_assessment(engine, token=token, assessment=assessment, **save)
    workshop_store.close_workshop(engine, token=token)
    with pytest.raises(InputError, match="workshop's project"):
        workshop_store.save_consensus_assessment(
            engine, token=token, assessment=assessment.model_copy(update={"project": "Other"}), **save)
    assessment_id = workshop_store.save_consensus_assessment(engine, token=token, assessment=assessment, **save)

    saved = store.load_assessment(engine, assessment_id=assessment_id)
    assert saved.assessment.team.containers == 0 and saved.project == "Support bot"
    linked = workshop_store.workshop_for_assessment(engine, assessment_id=assessment_id)
    assert linked is not None and linked.id == created.workshop.id and linked.assessment_id == assessment_id
    kept = workshop_store.workshop_answers(engine, assessment_id=assessment_id)
    assert sorted(p.answers["containers"] for p in kept) == [0.0, 1.0]
    assert workshop_store.workshop_for_assessment(engine, assessment_id=assessment_id + 1) is None
    # Deleting the assessment unlinks the workshop and keeps its answers.
    store.delete_assessment(engine, assessment_id=assessment_id)
    assert workshop_store.facilitator_view(engine, token=token).workshop.assessment_id is None
    assert len(workshop_store.facilitator_view(engine, token=token).participants) == 2


def _closed_workshop_with_assessment(engine: Engine, answers: dict[str, dict[str, int]], *,
                                     idle: tuple[str, ...] = (), override: tuple[str, int, str] | None = None,
                                     ) -> tuple[int, int]:
    """A workshop of "Support bot" where each named participant answered, closed and saved; (workshop, assessment)."""
    created = workshop_store.create_workshop(engine, project="Support bot")
    token, code = created.facilitator_token, created.workshop.join_code
    for name, levels in answers.items():
        joined = workshop_store.join_workshop(engine, code=code, display_name=name)
        workshop_store.submit_answers(engine, code=code, secret=joined.secret, answers=levels)
    for name in idle:
        workshop_store.join_workshop(engine, code=code, display_name=name)
    if override is not None:
        key, value, note = override
        workshop_store.set_override(engine, token=token, key=key, value=value, note=note)
    workshop_store.close_workshop(engine, token=token)
    base = load_presets()["blank"].model_copy(update={"project": "Support bot"})
    view = workshop_store.facilitator_view(engine, token=token)
    assessment = workshops.consensus_assessment(base, view.consensus(), label="Workshop", notes="")
    assessment_id = workshop_store.save_consensus_assessment(
        engine, token=token, assessment=assessment, recommended="monolith", app_version=planner.__version__,
        results={"recommendation": recommend(assessment).model_dump(mode="json")})
    return created.workshop.id, assessment_id


def test_links_and_records_of_many_assessments_come_from_a_fixed_number_of_queries(store_url: str) -> None:
    engine = store.get_engine(store_url)
    first_workshop, first = _closed_workshop_with_assessment(
        engine, {"Ana": {"containers": 0, "cicd": 3}, "Bo": {"containers": 4}}, idle=("Cy",),
        override=("containers", 2, "We run Docker in staging already"))
    second_workshop, second = _closed_workshop_with_assessment(engine, {"Di": {"on_call": 1}})
    blank = load_presets()["blank"]
    recommendation = recommend(blank)
    plain = store.save_assessment(engine, assessment=blank, results={"recommendation": recommendation.model_dump(
        mode="json")}, recommended=recommendation.top.value, app_version=planner.__version__)
    ids = [first, second, plain, plain + 100]

    statements: list[str] = []

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        links = workshop_store.workshop_links(engine, assessment_ids=ids)
        link_queries = len(statements)
        records = workshop_store.workshop_records(engine, assessment_ids=ids)
        record_queries = len(statements) - link_queries
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert (link_queries, record_queries) == (1, 4)  # links; links, participants, answers, overrides

    assert set(links) == set(records) == {first, second}
    assert links[first].workshop.id == first_workshop and links[second].workshop.id == second_workshop
    assert links[first].workshop.closed and links[first].workshop.assessment_id == first
    assert (links[first].participants, links[second].participants) == (2, 1)  # Cy joined but never answered
    kept = records[first]
    assert [(p.display_name, p.answers) for p in kept.participants] == [
        ("Ana", {"containers": 0.0, "cicd": 3.0}), ("Bo", {"containers": 4.0}), ("Cy", {})]
    overrides = [(o.key, o.value, o.note) for o in kept.overrides]
    assert overrides == [("containers", 2.0, "We run Docker in staging already")]
    containers = next(c for c in kept.consensus() if c.key == "containers")
    assert (containers.source, containers.value, containers.median, containers.disagreement) == (
        "override", 2.0, 0.0, True)  # median_low of (0, 4); four levels apart
    assert [p.display_name for p in records[second].participants] == ["Di"] and records[second].overrides == []
    assert workshop_store.workshop_record(engine, assessment_id=second) == records[second]
    assert workshop_store.workshop_record(engine, assessment_id=plain) is None
    assert workshop_store.workshop_links(engine, assessment_ids=[]) == {}
    assert workshop_store.workshop_records(engine, assessment_ids=[plain]) == {}


@pytest.mark.parametrize("bad", [0, -3, "1", 1.0, True, None])
def test_links_refuse_what_is_not_an_assessment_id(bad: object) -> None:
    with pytest.raises(InputError) as info:
        workshop_store.workshop_links(store.get_engine("sqlite://"), assessment_ids=[bad])  # type: ignore[list-item]
    assert set(info.value.field_errors) == {"assessment_id"}
