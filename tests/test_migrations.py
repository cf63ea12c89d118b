"""Migrations keep data: a database built at the first revision, with rows in it, upgrades to every head."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from alembic import command
from sqlalchemy import inspect, text

from planner import history
from planner.inputs.files import load_presets
from planner.store import alembic_config, create_store_engine, get_engine, list_projects, load_assessment

CREATED = datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=UTC)


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
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == ["0004_workshops"]
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
