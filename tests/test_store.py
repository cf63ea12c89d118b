"""Tests of planner.store (saved assessments), planner.store.settings (DATABASE_URL) and the migrations."""

from __future__ import annotations

import importlib
import json
import math
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, make_url, text
from sqlalchemy.exc import IntegrityError

from planner.decide.scoring import recommend
from planner.errors import InputError, PlannerError, StoreError
from planner.inputs.catalog import load_instances
from planner.inputs.models import Assessment, GpuSpec, InstancePrice, WorkloadProfile
from planner.store import (
    MIGRATIONS_DIR,
    Base,
    alembic_config,
    create_store_engine,
    delete_assessment,
    dispose_engines,
    get_engine,
    list_assessments,
    list_projects,
    load_assessment,
    save_assessment,
)
from planner.store.settings import database_url, normalize_database_url, public_url

HEAD = "0011_members_and_audit"  # the newest migration


def make_assessment(project: str = "Demo", label: str = "") -> Assessment:
    """A small valid assessment, as a user would enter it."""
    return Assessment(
        project=project,
        label=label,
        workload=WorkloadProfile(
            mean_requests_per_s=2,
            peak_requests_per_s=6,
            mean_input_tokens=500,
            mean_output_tokens=300,
            model_id="llama-3.1-8b",
            p95_ttft_ms=1000,
            p95_e2e_ms=10000,
            availability_target_pct=99.5,
        ),
    )


def results_recommending(architecture: str) -> dict[str, Any]:
    """A results document as a save writes it (``history.results_document``) whose first choice is ``architecture``."""
    recommendation = recommend(make_assessment())
    ranked = sorted(recommendation.ranked, key=lambda s: s.architecture.value != architecture)
    return {"recommendation": recommendation.model_copy(update={"ranked": tuple(ranked)}).model_dump(mode="json")}


RESULTS = results_recommending("hybrid")


@pytest.fixture
def engine(store_url: str) -> Engine:
    """A migrated engine on the empty database of ``store_url``."""
    return get_engine(store_url)


def save(engine: Engine, assessment: Assessment, recommended: str = "hybrid") -> int:
    return save_assessment(engine, assessment=assessment, results=RESULTS, recommended=recommended, app_version="0.1.0")


def require_sqlite(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite-only SQL")


def count_rows(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


# Round trip -------------------------------------------------------------------------------------------


def test_save_list_load_round_trip(engine: Engine) -> None:
    original = make_assessment(label="first try")
    before = datetime.now(UTC)
    new_id = save(engine, original)

    [summary] = list_assessments(engine)
    assert summary.id == new_id
    assert (summary.project, summary.label, summary.recommended, summary.app_version) == (
        "Demo",
        "first try",
        "hybrid",
        "0.1.0",
    )
    assert summary.created_at.tzinfo is not None
    assert before <= summary.created_at <= datetime.now(UTC)

    stored = load_assessment(engine, assessment_id=new_id)
    assert stored.assessment == original
    assert stored.results == RESULTS
    assert stored.created_at == summary.created_at
    assert stored.model_dump(include=set(summary.model_dump())) == summary.model_dump()
    assert (stored.price_snapshot, stored.revisit_by, stored.triggers) == (None, None, ())


def test_list_is_newest_first_and_filters_by_project(engine: Engine) -> None:
    ids = [save(engine, make_assessment(project=p, label=str(i))) for i, p in enumerate(("A", "B", "A"))]
    assert [s.id for s in list_assessments(engine)] == ids[::-1]
    assert [s.id for s in list_assessments(engine, project="A")] == [ids[2], ids[0]]
    assert [s.id for s in list_assessments(engine, limit=1)] == [ids[2]]
    assert list_assessments(engine, project="nobody") == []


@pytest.mark.parametrize("limit", [0, -1, 1_001])
def test_list_rejects_a_silly_limit(engine: Engine, limit: int) -> None:
    with pytest.raises(ValueError, match='"limit" must be between 1 and 1000'):
        list_assessments(engine, limit=limit)


def test_two_projects_are_listed_with_counts(engine: Engine) -> None:
    save(engine, make_assessment(project="Beta"))
    save(engine, make_assessment(project="Alpha"))
    save(engine, make_assessment(project="Beta", label="again"))
    latest = list_assessments(engine, project="Beta")[0].created_at

    projects = list_projects(engine)
    assert [(p.name, p.assessment_count, p.archived) for p in projects] == [
        ("Alpha", 1, False),
        ("Beta", 2, False),
    ]
    assert projects[1].last_assessed_at == latest


def test_a_project_left_without_assessments_is_still_listed(engine: Engine) -> None:
    only = save(engine, make_assessment(project="Solo"))
    delete_assessment(engine, assessment_id=only)
    [project] = list_projects(engine)
    assert (project.name, project.assessment_count, project.last_assessed_at) == ("Solo", 0, None)


def test_delete_removes_one_assessment(engine: Engine) -> None:
    keep, drop = save(engine, make_assessment()), save(engine, make_assessment(label="second"))
    delete_assessment(engine, assessment_id=drop)
    assert [s.id for s in list_assessments(engine)] == [keep]
    with pytest.raises(StoreError, match="No saved assessment with id"):
        delete_assessment(engine, assessment_id=drop)


def test_concurrent_saves_to_a_new_project_all_land(engine: Engine) -> None:
    # Streamlit serves each browser session on its own thread; they share one engine.
    def save_some(worker: int) -> list[int]:
        return [save(engine, make_assessment(project="Busy", label=f"{worker}-{i}")) for i in range(5)]

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = [i for batch in pool.map(save_some, range(8)) for i in batch]
    assert len(set(ids)) == 40
    [project] = list_projects(engine)
    assert (project.name, project.assessment_count) == ("Busy", 40)


# Refusals: nothing half-written ---------------------------------------------------------------------


def test_unknown_id_is_a_store_error(engine: Engine) -> None:
    with pytest.raises(StoreError, match=r"^No saved assessment with id 7$"):
        load_assessment(engine, assessment_id=7)


def test_store_error_is_a_planner_error() -> None:
    assert issubclass(StoreError, PlannerError)


@pytest.mark.parametrize(
    ("results", "match"),
    [
        ({"when": datetime(2025, 1, 1, tzinfo=UTC)}, "cannot be written as JSON"),
        ({"cost": math.nan}, "cannot be written as JSON"),
        ({"fleet": {object()}}, "cannot be written as JSON"),
        ({1: "integer key"}, "would change when written as JSON"),
        ({"pair": (1, 2)}, "would change when written as JSON"),
        (["not", "a", "dict"], "must be a dict"),
    ],
)
def test_results_that_are_not_json_are_refused_and_nothing_is_stored(
    engine: Engine, results: object, match: str
) -> None:
    with pytest.raises(StoreError, match=match):
        save_assessment(
            engine,
            assessment=make_assessment(),
            results=results,  # type: ignore[arg-type]
            recommended="hybrid",
            app_version="0.1.0",
        )
    assert count_rows(engine, "assessments") == 0
    assert count_rows(engine, "projects") == 0


def test_an_invalid_assessment_is_refused_and_nothing_is_stored(engine: Engine) -> None:
    valid = make_assessment()
    # model_construct skips validation, as a buggy caller might.
    broken = Assessment.model_construct(
        **{**dict(valid), "workload": valid.workload.model_copy(update={"peak_requests_per_s": 1.0})}
    )
    with pytest.raises(InputError, match="not valid") as info:
        save(engine, broken)
    assert list(info.value.field_errors) == ["workload.peak_requests_per_s"]
    with pytest.raises(StoreError, match="Only an Assessment can be saved, not dict"):
        save(engine, valid.model_dump())  # type: ignore[arg-type]
    assert count_rows(engine, "projects") == 0


@pytest.mark.parametrize("recommended", ["", "   ", "x" * 41])
def test_a_missing_or_overlong_architecture_is_refused(engine: Engine, recommended: str) -> None:
    with pytest.raises(StoreError, match="recommended architecture must be text"):
        save(engine, make_assessment(), recommended=recommended)
    assert count_rows(engine, "projects") == 0


def test_a_failed_insert_rolls_back_the_new_project(engine: Engine) -> None:
    require_sqlite(engine)
    # A dangling project would mean the save was half-written; break the second insert on purpose.
    with engine.begin() as conn:
        conn.execute(text("CREATE TRIGGER no_insert BEFORE INSERT ON assessments BEGIN SELECT RAISE(ABORT, 'x'); END"))
    with pytest.raises(StoreError, match="nothing was written"):
        save(engine, make_assessment(project="Ghost"))
    assert count_rows(engine, "projects") == 0


def test_stored_inputs_that_no_longer_validate_are_a_store_error(engine: Engine) -> None:
    new_id = save(engine, make_assessment())
    with engine.begin() as conn:
        conn.execute(text("UPDATE assessments SET inputs_json = :j"), {"j": json.dumps({"project": "Demo"})})
    with pytest.raises(StoreError, match=f"Saved assessment {new_id} no longer matches"):
        load_assessment(engine, assessment_id=new_id)


def test_a_project_with_assessments_cannot_be_deleted(engine: Engine) -> None:
    save(engine, make_assessment())
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text("DELETE FROM projects"))


# Engines and the database file ------------------------------------------------------------------------


def test_default_url_creates_var_planner_db_under_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    try:
        engine = get_engine()
        assert engine.url.database == (tmp_path / "var" / "planner.db").as_posix()
        save(engine, make_assessment())
        assert (tmp_path / "var" / "planner.db").is_file()
    finally:
        dispose_engines()


def test_sqlite_runs_in_wal_mode_with_foreign_keys_and_a_busy_timeout(engine: Engine) -> None:
    require_sqlite(engine)
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar_one() == 10_000


def test_get_engine_is_cached_per_url_and_idempotent(store_url: str) -> None:
    first = get_engine(store_url)
    assert get_engine(store_url) is first
    new_id = save(first, make_assessment())
    dispose_engines()
    again = get_engine(store_url)  # migrates an up-to-date database: nothing to do, data kept
    assert again is not first
    assert load_assessment(again, assessment_id=new_id).assessment == make_assessment()
    with again.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [HEAD]


def test_a_database_from_a_newer_planner_is_refused_in_plain_words(store_url: str) -> None:
    get_engine(store_url)
    dispose_engines()
    engine = create_store_engine(store_url)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM alembic_version"))
        conn.execute(text("INSERT INTO alembic_version (version_num) VALUES ('9999')"))
    engine.dispose()
    with pytest.raises(StoreError, match="schema this version of the planner cannot use"):
        get_engine(store_url)


def test_in_memory_sqlite_shares_one_database() -> None:
    engine = create_store_engine("sqlite://")
    try:
        with engine.begin() as conn:
            command.upgrade(alembic_config(conn), "head")
        new_id = save(engine, make_assessment())
        assert load_assessment(engine, assessment_id=new_id).results == RESULTS
    finally:
        engine.dispose()


def test_get_engine_accepts_an_in_memory_url() -> None:
    try:
        engine = get_engine("sqlite:///:memory:")
        new_id = save(engine, make_assessment())
        assert [s.id for s in list_assessments(get_engine("sqlite:///:memory:"))] == [new_id]
    finally:
        dispose_engines()


# Migrations --------------------------------------------------------------------------------------------


def test_alembic_upgrade_on_an_empty_database_creates_the_tables(store_url: str) -> None:
    engine = create_store_engine(store_url)
    try:
        with engine.begin() as conn:
            command.upgrade(alembic_config(conn), "head")
        inspector = inspect(engine)
        assert {"projects", "assessments", "alembic_version"} <= set(inspector.get_table_names())
        assert {ix["name"] for ix in inspector.get_indexes("assessments")} == {
            "ix_assessments_created_at",
            "ix_assessments_project_id_created_at",
            "ix_assessments_project_id_content_hash",
        }
        [fk] = inspector.get_foreign_keys("assessments")
        assert (fk["referred_table"], fk["options"].get("ondelete")) == ("projects", "RESTRICT")
        with engine.begin() as conn:
            command.downgrade(alembic_config(conn), "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()


def test_the_migrations_match_the_models(engine: Engine) -> None:
    # Every feature's tables: importing their modules registers them on Base.metadata.
    importlib.import_module("planner.store.price_lists")
    importlib.import_module("planner.store.workshops")
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []


def test_the_migrations_form_one_line_from_the_first() -> None:
    # One head, each revision building on the one before: a database at any revision upgrades in order.
    scripts = ScriptDirectory.from_config(alembic_config())
    assert scripts.get_heads() == [HEAD]
    chain = [s.revision for s in scripts.walk_revisions("base", "head")]
    assert chain == [HEAD, "0010_improvement_items", "0009_api_price_lists", "0008_archive_and_acks", "0007_gpu_link",
                     "0006_price_list_mode",
                     "0005_gpu_spec_rates", "0004_workshops", "0003_price_lists", "0002_history", "0001"]
    assert all(not script.is_merge_point for script in scripts.walk_revisions("base", "head"))


def test_the_cli_config_migrates_the_url_it_is_given(tmp_path: Path) -> None:
    config = Config(str(MIGRATIONS_DIR / "alembic.ini"))
    url = f"sqlite:///{(tmp_path / 'cli.db').as_posix()}"
    config.set_main_option("sqlalchemy.url", url)
    command.upgrade(config, "head")
    engine = create_store_engine(url)
    try:
        assert {"projects", "assessments"} <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


# Settings ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://u:p@db:5432/planner", "postgresql+psycopg://u:p@db:5432/planner"),
        ("postgres://u:p@db/planner", "postgresql+psycopg://u:p@db/planner"),
        ("postgresql+psycopg://u@db/planner", "postgresql+psycopg://u@db/planner"),
        ("sqlite:////srv/planner/planner.db", "sqlite:////srv/planner/planner.db"),
        ("sqlite://", "sqlite://"),
    ],
)
def test_database_urls_are_normalised(url: str, expected: str) -> None:
    assert normalize_database_url(url) == expected


def test_an_in_memory_sqlite_url_stays_in_memory() -> None:
    assert make_url(normalize_database_url("sqlite:///:memory:")).database == ":memory:"


def test_a_relative_sqlite_path_is_pinned_to_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert normalize_database_url("sqlite:///data/p.db") == f"sqlite:///{(tmp_path / 'data' / 'p.db').as_posix()}"


@pytest.mark.parametrize("url", ["mysql://u@db/planner", "postgresql+psycopg2://u@db/p", "not a url"])
def test_unsupported_database_urls_are_refused_in_plain_words(url: str) -> None:
    with pytest.raises(StoreError, match="DATABASE_URL"):
        normalize_database_url(url)


@pytest.mark.parametrize("environ", [{}, {"DATABASE_URL": "  "}])
def test_database_url_defaults_to_var_planner_db(
    environ: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert database_url(environ) == f"sqlite:///{(tmp_path / 'var' / 'planner.db').as_posix()}"


def test_database_url_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgres://u@db/planner")
    assert database_url() == "postgresql+psycopg://u@db/planner"


# Projects: create, rename, archive ------------------------------------------------------------------------


def test_create_rename_and_archive_a_project(engine: Engine) -> None:
    from planner.store import create_project, latest_assessment, rename_project, set_project_archived

    assert create_project(engine, name="  Chat  ") == "Chat"
    with pytest.raises(StoreError, match="already exists"):
        create_project(engine, name="Chat")
    with pytest.raises(StoreError, match="1 to 120 characters"):
        create_project(engine, name="   ")
    new_id = save(engine, make_assessment(project="Chat"))
    save(engine, make_assessment(project="Other"))
    with pytest.raises(StoreError, match="already exists; choose another name"):
        rename_project(engine, name="Chat", new_name="Other")
    with pytest.raises(StoreError, match="No project named “Nobody”"):
        rename_project(engine, name="Nobody", new_name="X")
    assert rename_project(engine, name="Chat", new_name="Chat v2") == "Chat v2"
    stored = load_assessment(engine, assessment_id=new_id)
    assert (stored.project, stored.assessment.project) == ("Chat v2", "Chat v2")
    latest = latest_assessment(engine, project="Chat v2")
    assert latest is not None and latest.id == new_id

    set_project_archived(engine, name="Chat v2", archived=True)
    assert [(p.name, p.archived) for p in list_projects(engine)] == [("Chat v2", True), ("Other", False)]
    with pytest.raises(StoreError, match="archived; restore it"):
        save(engine, make_assessment(project="Chat v2"))
    assert len(list_assessments(engine, project="Chat v2")) == 1
    set_project_archived(engine, name="Chat v2", archived=False)
    assert save(engine, make_assessment(project="Chat v2")) == new_id  # the same assessment, saved before the rename
    save(engine, make_assessment(project="Chat v2", label="after the rename"))
    assert len(list_assessments(engine, project="Chat v2")) == 2


def test_snapshot_revisit_date_and_triggers_round_trip(engine: Engine) -> None:
    from datetime import date

    from planner.decide.results import RevisitTrigger
    from planner.inputs.catalog import load_instances
    from planner.store import latest_assessment, project_assessments

    rows = list(load_instances())[:3]
    trigger = RevisitTrigger(key="workload.peak_requests_per_s", op=">=", threshold=12, text="Peak ≥ 12")
    new_id = save_assessment(engine, assessment=make_assessment(), results=RESULTS, recommended="hybrid",
                             app_version="0.2.0", price_snapshot=rows, revisit_by=date(2027, 3, 1),
                             triggers=[trigger])
    stored = load_assessment(engine, assessment_id=new_id)
    assert (list(stored.price_snapshot or ()), stored.revisit_by, stored.triggers) == (rows, date(2027, 3, 1),
                                                                                       (trigger,))
    assert latest_assessment(engine, project="Demo") == stored
    assert project_assessments(engine, project="Demo") == [stored]
    with pytest.raises(StoreError, match="No project named"):
        project_assessments(engine, project="Nobody")
    with pytest.raises(StoreError, match="revisit-by date must be a date"):
        save_assessment(engine, assessment=make_assessment(), results=RESULTS, recommended="hybrid",
                        app_version="0.2.0", revisit_by=datetime.now(UTC))  # type: ignore[arg-type]
    assert count_rows(engine, "assessments") == 1


# Export and import ------------------------------------------------------------------------------------------


def export_bytes(engine: Engine, project: str = "Demo", *, compress: bool = False) -> bytes:
    from planner.store import dump_project_export, export_project

    return dump_project_export(export_project(engine, project=project, app_version="0.2.0"), compress=compress)


@pytest.mark.parametrize("compress", [False, True])
def test_export_then_import_under_another_name_copies_everything(engine: Engine, compress: bool) -> None:
    from planner.store import import_project, parse_project_export, project_assessments

    ids = [save(engine, make_assessment(label=f"run {i}")) for i in range(3)]
    content = export_bytes(engine, compress=compress)
    assert content[:2] == (b"\x1f\x8b" if compress else b"{\n")
    report = import_project(engine, parse_project_export(content, filename="demo.json"), project="Copy")
    assert (report.project, report.created_project, len(report.imported_ids), report.skipped_duplicates) == (
        "Copy", True, 3, 0)
    original, copied = project_assessments(engine, project="Demo"), project_assessments(engine, project="Copy")
    assert [a.id for a in original] == ids
    for a, b in zip(original, copied, strict=True):
        assert (b.label, b.created_at, b.results, b.recommended) == (a.label, a.created_at, a.results, a.recommended)
        assert b.assessment == a.assessment.model_copy(update={"project": "Copy"})


def test_importing_the_same_file_twice_changes_nothing_and_says_so(engine: Engine) -> None:
    from planner.store import import_project, parse_project_export

    save(engine, make_assessment(label="a"))
    first = parse_project_export(export_bytes(engine), filename="demo.json")
    with pytest.raises(StoreError, match=r"already in “Demo” .*nothing was imported"):
        import_project(engine, first)
    assert count_rows(engine, "assessments") == 1
    # An export that overlaps adds only the new assessments.
    save(engine, make_assessment(label="b"))
    second = parse_project_export(export_bytes(engine), filename="demo.json")
    import_project(engine, first, project="Elsewhere")
    report = import_project(engine, second, project="Elsewhere")
    assert (len(report.imported_ids), report.skipped_duplicates, report.created_project) == (1, 1, False)
    assert [s.label for s in list_assessments(engine, project="Elsewhere")] == ["b", "a"]


def test_an_import_with_one_bad_assessment_imports_nothing(engine: Engine) -> None:
    from planner.store import import_project, parse_project_export, set_project_archived

    save(engine, make_assessment(label="good"))
    save(engine, make_assessment(label="bad"))
    data = json.loads(export_bytes(engine))
    data["assessments"][1]["inputs"]["workload"]["peak_requests_per_s"] = 0.5  # below the mean of 2
    broken = parse_project_export(json.dumps(data).encode(), filename="demo.json")
    with pytest.raises(InputError, match=r"Assessment 2 of the file is not valid: .*nothing was imported") as info:
        import_project(engine, broken, project="Fresh")
    assert list(info.value.field_errors) == ["assessments.1.inputs.workload.peak_requests_per_s"]
    assert [p.name for p in list_projects(engine)] == ["Demo"]
    good = parse_project_export(export_bytes(engine), filename="demo.json")
    import_project(engine, good, project="Archived")
    set_project_archived(engine, name="Archived", archived=True)
    with pytest.raises(StoreError, match="archived"):
        import_project(engine, good, project="Archived")


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"", "is empty"),
        (b"{not json", "not valid JSON"),
        (b"\xff\xfe{}", "not UTF-8"),
        (b"[1, 2]", "not a project export"),
        (b'{"format": "something-else"}', "not a project export"),
        (b'{"project": "x", "workload": {}}', "a single assessment, not a project export"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply|not a project export"),
        (b"\x1f\x8b\x08\x00garbage", "damaged"),
    ],
)
def test_malformed_export_files_are_refused_in_plain_words(content: bytes, match: str) -> None:
    from planner.store import parse_project_export

    with pytest.raises(InputError, match=match):
        parse_project_export(content, filename="f.json")


def test_an_export_with_a_wrong_field_names_it(engine: Engine) -> None:
    from planner.errors import InputError
    from planner.store import parse_project_export

    save(engine, make_assessment())
    data = json.loads(export_bytes(engine))
    data["assessments"][0]["created_at"] = "yesterday"
    with pytest.raises(InputError, match=r"assessments\.0\.created_at") as info:
        parse_project_export(json.dumps(data).encode(), filename="f.json")
    assert "assessments.0.created_at" in info.value.field_errors


def test_oversized_exports_and_gzip_bombs_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    import zlib

    from planner.errors import InputError
    from planner.store import exchange, parse_project_export

    monkeypatch.setattr(exchange, "MAX_EXPORT_BYTES", 20_000)
    with pytest.raises(InputError, match="a project export is at most"):
        parse_project_export(b" " * 20_001, filename="big.json")
    compressor = zlib.compressobj(wbits=31)
    bomb = compressor.compress(b" " * 10_000_000) + compressor.flush()
    assert len(bomb) < 20_000
    with pytest.raises(InputError, match="unpacks to more than"):
        parse_project_export(bomb, filename="bomb.json.gz")


# GPU specs kept with the price snapshot ----------------------------------------------------------------------

X9: dict[str, Any] = {"gpu": "X9", "memory_gb": 96.0, "bandwidth_tb_s": 4.0, "bf16_tflops": 1200.0,
                      "fp8_tflops": 2400.0, "source": "test: a negotiated GPU type", "as_of": "2026-10"}
X9_SAVED = {**X9, "fp4_tflops": None, "int8_tops": None, "vendor": None, "link_gb_s": None}  # optional (0005, 0007)


def custom_snapshot() -> tuple[list[InstancePrice], list[GpuSpec]]:
    """Three catalog rows, the first moved onto a GPU type the catalog does not know, and that type's spec."""
    rows = list(load_instances())[:3]
    rows[0] = rows[0].model_copy(update={"gpu": "X9"})
    return rows, [GpuSpec.model_validate(X9)]


def test_gpu_specs_round_trip_with_the_price_snapshot(engine: Engine) -> None:
    rows, gpus = custom_snapshot()
    new_id = save_assessment(engine, assessment=make_assessment(), results=RESULTS, recommended="hybrid",
                             app_version="0.2.0", price_snapshot=rows, gpu_snapshot=gpus)
    stored = load_assessment(engine, assessment_id=new_id)
    assert (list(stored.price_snapshot or ()), list(stored.gpu_snapshot or ())) == (rows, gpus)
    with engine.connect() as conn:
        column = json.loads(conn.execute(text("SELECT price_snapshot_json FROM assessments")).scalar_one())
    assert column == {"instances": [r.model_dump(mode="json") for r in rows], "gpus": [X9_SAVED]}


def test_a_plain_list_snapshot_written_before_gpu_specs_still_loads(engine: Engine) -> None:
    rows, _ = custom_snapshot()
    new_id = save(engine, make_assessment())
    legacy = json.dumps([r.model_dump(mode="json") for r in rows])  # what every save wrote before GPU specs
    with engine.begin() as conn:
        conn.execute(text("UPDATE assessments SET price_snapshot_json = :s WHERE id = :i"), {"s": legacy, "i": new_id})
    stored = load_assessment(engine, assessment_id=new_id)
    assert (list(stored.price_snapshot or ()), stored.gpu_snapshot) == (rows, None)
    # A price snapshot saved without GPU specs is written in that same plain form.
    again = save_assessment(engine, assessment=make_assessment(), results=RESULTS, recommended="hybrid",
                            app_version="0.2.0", price_snapshot=rows)
    with engine.connect() as conn:
        written = conn.execute(text("SELECT price_snapshot_json FROM assessments WHERE id = :i"), {"i": again})
        assert json.loads(written.scalar_one()) == json.loads(legacy)
    with engine.begin() as conn:
        conn.execute(text("UPDATE assessments SET price_snapshot_json = '\"rows\"' WHERE id = :i"), {"i": new_id})
    with pytest.raises(StoreError, match=f"saved assessment {new_id} are damaged"):
        load_assessment(engine, assessment_id=new_id)


def test_gpu_specs_without_a_price_snapshot_or_named_twice_are_refused(engine: Engine) -> None:
    rows, gpus = custom_snapshot()
    with pytest.raises(StoreError, match="only with a price snapshot"):
        save_assessment(engine, assessment=make_assessment(), results=RESULTS, recommended="hybrid",
                        app_version="0.2.0", gpu_snapshot=gpus)
    with pytest.raises(StoreError, match="more than once: X9"):
        save_assessment(engine, assessment=make_assessment(), results=RESULTS, recommended="hybrid",
                        app_version="0.2.0", price_snapshot=rows, gpu_snapshot=gpus * 2)
    assert count_rows(engine, "assessments") == 0


def test_export_and_import_round_trip_the_gpu_specs(engine: Engine) -> None:
    from planner.store import EXPORT_VERSION, import_project, parse_project_export, project_assessments

    rows, gpus = custom_snapshot()
    save_assessment(engine, assessment=make_assessment(label="custom"), results=RESULTS, recommended="hybrid",
                    app_version="0.2.0", price_snapshot=rows, gpu_snapshot=gpus)
    save_assessment(engine, assessment=make_assessment(label="legacy"), results=RESULTS, recommended="hybrid",
                    app_version="0.2.0", price_snapshot=rows[1:])
    content = export_bytes(engine)
    data = json.loads(content)
    assert data["version"] == EXPORT_VERSION == 3
    assert [a["gpu_snapshot"] for a in data["assessments"]] == [[X9_SAVED], None]
    import_project(engine, parse_project_export(content, filename="demo.json"), project="Copy")
    copied = project_assessments(engine, project="Copy")
    assert [(list(a.price_snapshot or ()), a.gpu_snapshot) for a in copied] == [(rows, tuple(gpus)), (rows[1:], None)]
    # A file of the first export format (no "gpu_snapshot") still imports; its snapshots have no GPU specs.
    old = {**data, "version": 1, "assessments": [{k: v for k, v in a.items() if k != "gpu_snapshot"}
                                                   for a in data["assessments"]]}
    import_project(engine, parse_project_export(json.dumps(old).encode(), filename="old.json"), project="Old")
    assert [a.gpu_snapshot for a in project_assessments(engine, project="Old")] == [None, None]


def test_export_files_with_misplaced_gpu_specs_or_from_a_newer_planner_are_refused(engine: Engine) -> None:
    from planner.errors import InputError
    from planner.store import parse_project_export

    rows, gpus = custom_snapshot()
    save_assessment(engine, assessment=make_assessment(), results=RESULTS, recommended="hybrid",
                    app_version="0.2.0", price_snapshot=rows, gpu_snapshot=gpus)
    data = json.loads(export_bytes(engine))
    cases: list[tuple[dict[str, Any], str]] = [
        ({"price_snapshot": None}, "kept only with a price_snapshot"),
        ({"gpu_snapshot": [X9, X9]}, "names a GPU type more than once"),
        ({"gpu_snapshot": [{**X9, "memory_gb": -1}]}, r"assessments\.0\.gpu_snapshot\.0\.memory_gb"),
    ]
    for change, match in cases:
        broken = {**data, "assessments": [{**data["assessments"][0], **change}]}
        with pytest.raises(InputError, match=match):
            parse_project_export(json.dumps(broken).encode(), filename="f.json")
    with pytest.raises(InputError, match=r"newer version of the planner .*version 4.* update the planner") as info:
        parse_project_export(json.dumps({**data, "version": 4}).encode(), filename="f.json")
    assert "version" in info.value.field_errors


@pytest.mark.parametrize(("environ", "expected"), [
    ({"PLANNER_PUBLIC_URL": "https://planner.example.org/team/"}, "https://planner.example.org/team"),
    ({"PLANNER_BASE_URL": "http://10.0.0.5:8501"}, "http://10.0.0.5:8501"),  # the command line's former name
    ({"PLANNER_PUBLIC_URL": "https://new.example", "PLANNER_BASE_URL": "https://old.example"}, "https://new.example"),
    ({"PLANNER_PUBLIC_URL": "planner.example.org"}, ""),  # no scheme: not an address a browser can open
    ({"PLANNER_PUBLIC_URL": "javascript:alert(1)"}, ""),
    ({}, ""),
])
def test_one_public_address_for_every_link(environ: dict[str, str], expected: str) -> None:
    assert public_url(environ) == expected
