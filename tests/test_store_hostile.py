"""Hostile input at every door of the store, on SQLite and PostgreSQL (issue 13, items 4 and 9).

A save, a project import (``store.import_project`` and ``planner import``) and a workshop's consensus
save admit an assessment only as ``assess`` would (``planner.store.admission``): a known model, assumption
overrides within their bounds, results that read back as a recommendation. Names and notes refuse
control characters (``planner.inputs.text``) before anything is written, the same on both databases.
Every refusal names the field and leaves the database as it was.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from planner import history, store
from planner.cli import app
from planner.decide.scoring import recommend
from planner.errors import InputError, StoreError
from planner.store import price_lists
from planner.store import workshops as workshop_store
from tests.test_store import make_assessment

runner = CliRunner()

BAD_OVERRIDES = [  # (key, value): each refused by `planner assess`
    ("hours.per_month", math.nan),
    ("hours.per_month", math.inf),
    ("hours.per_month", -math.inf),
    ("cpu.target_utilisation", 1e308),
    ("network.hop_retries", 1e30),
    ("serving.prefill_efficiency", -0.0),
    ("serving.step_overhead_ms", 1e30),
    ("serving.tp_efficiency", math.nan),
    ("no.such.assumption", 1.0),
]
CONTROL_TEXTS = ["with\x00nul", "bell\x07", "line\nbreak", "del\x7f", "c1\x85c1", "esc\x1b[31m"]  # refused in names


@pytest.fixture
def engine(store_url: str) -> Engine:
    """A migrated engine on the empty database of ``store_url``."""
    return store.get_engine(store_url)


def rows(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def nothing_stored(engine: Engine) -> bool:
    return rows(engine, "assessments") == 0 and rows(engine, "projects") == 0


def good_results() -> tuple[dict[str, Any], str]:
    """A results document as a save writes it, and its first choice."""
    recommendation = recommend(make_assessment())
    return history.results_document(recommendation, None), recommendation.top.value


def export_bytes(inputs: dict[str, Any], results: dict[str, Any] | None = None, recommended: str | None = None,
                 *, project: str = "Imported") -> bytes:
    """A project export file with one assessment, written as a hostile user could (NaN as the literal NaN)."""
    default_results, default_top = good_results()
    document = {
        "format": store.EXPORT_FORMAT, "version": store.EXPORT_VERSION, "exported_at": "2025-06-01T00:00:00Z",
        "app_version": "0.1.0", "project": project,
        "assessments": [{
            "label": "", "created_at": "2025-06-01T00:00:00Z", "app_version": "0.1.0",
            "recommended": recommended or default_top, "inputs": inputs,
            "results": default_results if results is None else results}],
    }
    return json.dumps(document).encode()


def with_override(key: str, value: float) -> dict[str, Any]:
    return {**make_assessment().model_dump(mode="json"), "assumption_overrides": {key: value}}


def import_file(engine: Engine, content: bytes) -> store.ImportReport:
    return store.import_project(engine, store.parse_project_export(content, filename="hostile.json"))


def cli_import(store_url: str, tmp_path: Path, content: bytes, monkeypatch: pytest.MonkeyPatch) -> Any:
    path = tmp_path / "hostile.json"
    path.write_bytes(content)
    monkeypatch.setenv("DATABASE_URL", store_url)
    return runner.invoke(app, ["import", str(path)], catch_exceptions=False)


def names(exc: InputError) -> str:
    """The fields and sentences of an InputError, as one text to search."""
    return " ".join([*exc.field_errors, *exc.field_errors.values()])


# Assumption overrides ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("key", "value"), BAD_OVERRIDES)
def test_a_save_refuses_an_override_that_assess_refuses(engine: Engine, key: str, value: float) -> None:
    results, top = good_results()
    # model_copy skips validation, as a buggy caller might.
    assessment = make_assessment().model_copy(update={"assumption_overrides": {key: value}})
    with pytest.raises(InputError) as info:
        store.save_assessment(engine, assessment=assessment, results=results, recommended=top, app_version="t")
    assert key.lower() in names(info.value).lower() or "assumption_overrides" in info.value.field_errors
    assert nothing_stored(engine)


@pytest.mark.parametrize(("key", "value"), BAD_OVERRIDES)
def test_an_import_refuses_an_override_that_assess_refuses(engine: Engine, key: str, value: float) -> None:
    with pytest.raises(InputError, match="Assessment 1 of the file is not valid") as info:
        import_file(engine, export_bytes(with_override(key, value)))
    assert all(field.startswith("assessments.0.inputs.assumption_overrides") for field in info.value.field_errors)
    assert nothing_stored(engine)


@pytest.mark.parametrize(("key", "value"), BAD_OVERRIDES)
def test_planner_import_refuses_an_override_that_assess_refuses(
    store_url: str, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, key: str, value: float,
) -> None:
    result = cli_import(store_url, tmp_path, export_bytes(with_override(key, value)), monkeypatch)
    assert result.exit_code == 1
    assert "Assessment 1 of the file is not valid" in result.stderr
    assert key.split(".")[-1].lower() in result.stderr.lower()
    assert nothing_stored(engine)


# Catalog references and results -------------------------------------------------------------------------


def test_an_unknown_model_is_refused_by_save_import_and_planner_import(
    store_url: str, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    inputs = make_assessment().model_dump(mode="json")
    inputs["workload"]["model_id"] = "no-such-model"
    results, top = good_results()
    unknown = make_assessment().model_copy(update={"workload": make_assessment().workload.model_copy(
        update={"model_id": "no-such-model"})})
    with pytest.raises(InputError) as info:
        store.save_assessment(engine, assessment=unknown, results=results, recommended=top, app_version="t")
    assert list(info.value.field_errors) == ["workload.model_id"]
    with pytest.raises(InputError) as info:
        import_file(engine, export_bytes(inputs))
    assert list(info.value.field_errors) == ["assessments.0.inputs.workload.model_id"]
    result = cli_import(store_url, tmp_path, export_bytes(inputs), monkeypatch)
    assert result.exit_code == 1 and "no-such-model" in result.stderr
    assert nothing_stored(engine)


def _bad_results() -> list[tuple[dict[str, Any], str | None, str]]:
    """(results, recommended, the field named): results a save and an import refuse."""
    results, _ = good_results()
    other = next(s.architecture.value for s in recommend(make_assessment()).ranked[1:])
    return [
        ({"anything": 1}, None, "results.recommendation"),
        ({"recommendation": {"architecture": "hybrid"}}, None, "results.recommendation.ranked"),
        ({**results, "evaluation": {"monthly_cost_usd": 1}}, None, "results.evaluation.estimates"),
        ({**results, "extra": "kept?"}, None, "results.extra"),
        (results, other, "recommended"),
    ]


@pytest.mark.parametrize("case", range(5))
def test_results_that_are_not_a_recommendation_are_refused_by_save_and_import(engine: Engine, case: int) -> None:
    results, recommended, field = _bad_results()[case]
    top = recommended or good_results()[1]
    with pytest.raises(InputError) as info:
        store.save_assessment(engine, assessment=make_assessment(), results=results, recommended=top,
                              app_version="t")
    assert field in info.value.field_errors
    with pytest.raises(InputError, match="Assessment 1 of the file is not valid") as info:
        import_file(engine, export_bytes(make_assessment().model_dump(mode="json"), results, top))
    assert f"assessments.0.{field}" in info.value.field_errors
    assert nothing_stored(engine)


def test_a_workshop_consensus_save_is_admitted_like_any_save(engine: Engine) -> None:
    created = workshop_store.create_workshop(engine, project="Demo")
    workshop_store.close_workshop(engine, token=created.facilitator_token)
    results, top = good_results()
    bad = make_assessment().model_copy(update={"assumption_overrides": {"hours.per_month": 1e30}})
    with pytest.raises(InputError) as info:
        workshop_store.save_consensus_assessment(engine, token=created.facilitator_token, assessment=bad,
                                                 results=results, recommended=top, app_version="t")
    assert "assumption_overrides.hours.per_month" in info.value.field_errors
    assert rows(engine, "assessments") == 0
    saved = workshop_store.save_consensus_assessment(engine, token=created.facilitator_token,
                                                     assessment=make_assessment(), results=results,
                                                     recommended=top, app_version="t")
    assert store.load_assessment(engine, assessment_id=saved).results == results


# Control characters in names and notes -----------------------------------------------------------------


@pytest.mark.parametrize("name", CONTROL_TEXTS)
def test_project_names_with_control_characters_are_refused(engine: Engine, name: str) -> None:
    with pytest.raises(StoreError, match="must not contain"):
        store.create_project(engine, name=name)
    store.create_project(engine, name="Fine")
    with pytest.raises(StoreError, match="must not contain"):
        store.rename_project(engine, name="Fine", new_name=name)
    with pytest.raises(InputError, match="must not contain"):
        import_file(engine, export_bytes(make_assessment().model_dump(mode="json"), project=name))
    parsed = store.parse_project_export(export_bytes(make_assessment().model_dump(mode="json")), filename="ok.json")
    with pytest.raises(StoreError, match="must not contain"):
        store.import_project(engine, parsed, project=name)
    assert [p.name for p in store.list_projects(engine)] == ["Fine"]
    with pytest.raises(InputError) as info:
        workshop_store.create_workshop(engine, project=name)
    assert list(info.value.field_errors) == ["project"]
    assert rows(engine, "workshops") == 0


@pytest.mark.parametrize("name", CONTROL_TEXTS)
def test_price_list_names_with_control_characters_are_refused(engine: Engine, name: str) -> None:
    listed = price_lists.parse_price_list(price_lists.instances_csv(price_lists.load_instances()[:2]))
    with pytest.raises(InputError, match="must not contain") as info:
        price_lists.save_price_list(engine, name=name, price_list=listed)
    assert list(info.value.field_errors) == ["name"]
    assert rows(engine, "price_lists") == 0


@pytest.mark.parametrize("name", CONTROL_TEXTS)
def test_workshop_display_names_and_notes_with_control_characters_are_refused(engine: Engine, name: str) -> None:
    created = workshop_store.create_workshop(engine, project="Demo")
    code = created.workshop.join_code
    if name == " ".join(name.split()):  # a display name folds whitespace (a line break, U+0085) into a space
        with pytest.raises(InputError) as info:
            workshop_store.join_workshop(engine, code=code, display_name=name)
        assert list(info.value.field_errors) == ["display_name"]
        assert rows(engine, "workshop_participants") == 0
    note = name.replace("\n", "\x00")  # a note may hold line breaks
    with pytest.raises(InputError) as info:
        workshop_store.set_override(engine, token=created.facilitator_token, key="cicd", value=2, note=note)
    assert "note" in info.value.field_errors
    assert rows(engine, "workshop_overrides") == 0
