"""Migrations keep data: a database built at the first revision, with rows in it, upgrades to every head."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from alembic import command
from sqlalchemy import inspect, text

from planner import history
from planner.inputs.catalog import load_gpus, load_instances
from planner.inputs.files import load_presets
from planner.inputs.price_files import PriceList
from planner.store import alembic_config, create_store_engine, get_engine, list_projects, load_assessment
from planner.store.price_lists import load_price_list, save_price_list

CREATED = datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=UTC)
HEAD = "0011_members_and_audit"  # the newest migration


def test_upgrading_a_0001_database_with_data_loses_nothing(store_url: str) -> None:
    engine = create_store_engine(store_url)
    inputs = load_presets()["content_startup"].model_copy(update={"project": "Legacy", "label": "March"})
    results = {"recommendation": {"anything": [1, 2.5, "x"]}, "pricing_as_of": "2025-01"}
    try:
        with engine.begin() as conn:
            command.upgrade(alembic_config(conn), "0001")
        with engine.begin() as conn:
            assert set(inspect(conn).get_table_names()) == {"alembic_version", "projects", "assessments"}
            conn.execute(text("INSERT INTO projects (id, name, created_at, archived) VALUES "
                              "(1, 'Legacy', :t, false), (2, 'Old and archived', :t, true)"), {"t": CREATED})
            for i in (1, 2):
                conn.execute(
                    text("INSERT INTO assessments (id, project_id, label, inputs_json, results_json, recommended, "
                         "app_version, created_at) VALUES (:id, 1, 'March', :inputs, :results, 'monolith', "
                         "'0.0.1', :t)"),
                    {"id": i, "inputs": inputs.model_dump_json(), "results": json.dumps(results), "t": CREATED})
        with engine.connect() as conn:
            before = [tuple(r) for r in conn.execute(text("SELECT * FROM assessments ORDER BY id")).all()]
    finally:
        engine.dispose()

    migrated = get_engine(store_url)  # upgrades to every head, as the app does on start
    with migrated.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [HEAD]
        rows = conn.execute(text("SELECT id, project_id, label, inputs_json, results_json, recommended, app_version, "
                                 "created_at, price_snapshot_json, revisit_by, triggers_json FROM assessments "
                                 "ORDER BY id")).all()
    assert [tuple(r)[:8] for r in rows] == before  # every old column unchanged
    assert all(r[8:] == (None, None, None) for r in rows)
    assert [(p.name, p.archived, p.assessment_count) for p in list_projects(migrated)] == [
        ("Legacy", False, 2), ("Old and archived", True, 0)]
    stored = load_assessment(migrated, assessment_id=2)
    assert (stored.assessment, stored.results, stored.created_at) == (inputs, results, CREATED)
    assert (stored.price_snapshot, stored.revisit_by, stored.triggers) == (None, None, ())
    # Old rows take part in the history: a revisit date from the stage, no triggers.
    assert history.revisit_date(stored) > CREATED.date()


def test_downgrading_0002_keeps_the_assessments(store_url: str) -> None:
    engine = get_engine(store_url)
    inputs = load_presets()["blank"]
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO projects (id, name, created_at, archived) VALUES (1, 'P', :t, false)"),
                     {"t": CREATED})
        conn.execute(text("INSERT INTO assessments (id, project_id, label, inputs_json, results_json, recommended, "
                          "app_version, created_at, price_snapshot_json) VALUES (1, 1, '', :i, '{}', 'hybrid', "
                          "'0.1.0', :t, '[]')"), {"i": inputs.model_dump_json(), "t": CREATED})
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0002_history-1")
        columns = {c["name"] for c in inspect(conn).get_columns("assessments")}
        assert "price_snapshot_json" not in columns
        assert conn.execute(text("SELECT count(*) FROM assessments")).scalar_one() == 1


def test_0005_keeps_saved_gpu_specs_and_adds_their_rates(store_url: str) -> None:
    """A price list saved with a custom GPU before 0005 keeps it; after 0005 a list keeps vendor, FP4 and INT8."""
    engine = create_store_engine(store_url)
    try:
        with engine.begin() as conn:
            command.upgrade(alembic_config(conn), "0004_workshops")
            conn.execute(text("INSERT INTO price_lists (name, created_at, updated_at) VALUES ('Old', :t, :t)"),
                         {"t": CREATED})
            conn.execute(text("INSERT INTO price_list_gpus (price_list_id, gpu, memory_gb, bandwidth_tb_s, "
                              "bf16_tflops, fp8_tflops, source, as_of) SELECT id, 'X9', 96, 4.0, 1000, 2000, "
                              "'vendor sheet', '2026-10' FROM price_lists WHERE name = 'Old'"))
    finally:
        engine.dispose()
    migrated = get_engine(store_url)
    old = load_price_list(migrated, "Old")
    assert [(g.gpu, g.memory_gb, g.fp8_tflops, g.fp4_tflops, g.int8_tops, g.vendor) for g in old.gpus] == [
        ("X9", 96, 2000, None, None, None)]
    h100 = load_gpus()["H100-SXM"]
    assert h100.vendor == "nvidia" and h100.int8_tops
    rows = [i for i in load_instances() if i.gpu == "H100-SXM"][:1]
    save_price_list(migrated, name="New", price_list=PriceList(instances=tuple(rows), gpus=(h100,)))
    assert load_price_list(migrated, "New").gpus == (h100,)
    with migrated.begin() as conn:
        command.downgrade(alembic_config(conn), "0004_workshops")
        assert "vendor" not in {c["name"] for c in inspect(conn).get_columns("price_list_gpus")}
        assert conn.execute(text("SELECT count(*) FROM price_list_gpus")).scalar_one() == 2
