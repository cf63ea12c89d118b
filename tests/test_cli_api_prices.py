"""``planner prices api``: show, validate (exit 1 with per-row messages), import, list, export, delete; and
``planner assess`` of an assessment that names a saved API price list. Commands that write use the
``temp_database`` of tests/conftest.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from planner import cli, store
from planner.inputs.api_catalog import load_api_prices
from planner.inputs.api_price_files import api_prices_csv, parse_api_price_list
from planner.inputs.catalog import load_gpus, load_instances
from planner.inputs.files import load_presets
from planner.inputs.paths import data_dir
from planner.present.api_prices import ASSUMED, self_hosted_costs
from planner.store import api_price_lists
from tests.test_api_price_lists import OTHER, ROW, TODAY, csv_text
from tests.test_cli_prices import write

runner = CliRunner()
GOOD = api_prices_csv(parse_api_price_list(csv_text(ROW, OTHER), today=TODAY).apis)  # canonical CSV


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(cli.app, ["prices", "api", *args])
    return result.exit_code, result.stdout, result.stderr


def names() -> list[str]:
    return [s.name for s in api_price_lists.list_api_price_lists(store.get_engine())]


def test_the_shipped_file_is_valid() -> None:
    code, out, _ = run("validate", str(data_dir() / "api_prices.csv"))
    assert code == 0
    assert f"valid, {len(load_api_prices())} API row(s); providers: AWS Bedrock, Anthropic" in out


def test_an_invalid_file_exits_1_with_every_problem_on_its_own_line(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace(",0.6,", ",$0.6,").replace(",8,", ",8/M,"))
    code, out, err = run("validate", str(path))
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        f"{path}: 2 problem(s); the API price list is not valid:",
        "  row 1, input_usd_per_m: must be a plain number in USD per million tokens, without a currency sign or "
        "unit, got '$0.6'",
        "  row 2, output_usd_per_m: must be a plain number in USD per million tokens, without a currency sign or "
        "unit, got '8/M'"]


def test_a_20_mb_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "huge.csv"
    with path.open("wb") as handle:
        handle.truncate(20 * 1024 * 1024)
    code, _, err = run("validate", str(path))
    assert code == 1 and "API price list: the file is 20.0 MB; the limit is 5 MB" in err


def test_import_list_export_and_delete_round_trip(tmp_path: Path, temp_database: str) -> None:
    path = write(tmp_path, GOOD)
    code, out, _ = run("import", str(path), "--name", "Negotiated 2026")
    assert code == 0 and "Saved API price list 'Negotiated 2026': 2 API row(s); providers: Acme" in out
    code, _, err = run("import", str(path), "--name", "Negotiated 2026")
    assert code == 1 and "already exists" in err
    code, _, _ = run("import", str(write(tmp_path, GOOD.replace(",2.4,", ",3,"), "dearer.csv")),
                     "--name", "Negotiated 2026", "--replace")
    assert code == 0
    assert api_price_lists.api_rows_for(store.get_engine(), "Negotiated 2026")["acme-8b"].output_usd_per_m == 3.0
    code, out, _ = run("list")
    assert code == 0 and out.startswith("Negotiated 2026\t2 rows\tAcme\toldest price 2026-10-01\tsaved ")

    code, out, _ = run("export", "Negotiated 2026")
    assert code == 0 and out == GOOD.replace(",2.4,", ",3,")  # the file imported, byte for byte
    exported = tmp_path / "out.csv"
    code, _, _ = run("export", "Negotiated 2026", "--output", str(exported))
    assert code == 0 and exported.read_text() == out

    code, _, _ = run("delete", "Negotiated 2026")
    assert code == 0 and names() == []
    for command in ("delete", "export"):
        code, _, err = run(command, "Negotiated 2026")
        assert code == 1 and "There is no saved API price list named 'Negotiated 2026'" in err


def test_an_invalid_file_is_not_imported_and_an_empty_name_is_refused(tmp_path: Path, temp_database: str) -> None:
    code, _, err = run("import", str(write(tmp_path, GOOD.replace(",2.4,", ",-2.4,"))), "--name", "bad")
    assert code == 1 and "row 1, output_usd_per_m: must be a positive number" in err
    code, _, err = run("import", str(write(tmp_path, GOOD)), "--name", "  ")
    assert code == 1 and "Give the API price list a name" in err
    assert names() == []
    code, out, _ = run("list")
    assert code == 0 and "planner prices api import FILE --name NAME" in out


def test_show_prints_the_api_table_with_the_self_hosted_cost(temp_database: str) -> None:
    code, out, _ = run("show")
    assert code == 0
    lines = out.splitlines()
    header = lines[1].split("\t")
    rows = {cells[0]: dict(zip(header, cells, strict=True)) for cells in (line.split("\t") for line in lines[2:])}
    assert set(rows) == set(load_api_prices())
    bedrock = rows["bedrock-llama-3.1-8b"]
    assert (bedrock["serves"], bedrock["out $/1M"], bedrock["SLA %"], bedrock["TTFT ms"]) == (
        "Llama 3.1 8B Instruct", "0.22", "99.9", ASSUMED)
    # Self-hosted: the cheapest instance of the built-in prices for Llama 3.1 8B with the blank preset's workload.
    blank = load_presets()["blank"]
    own = self_hosted_costs(blank, ["llama-3.1-8b"], load_instances(), load_gpus())["llama-3.1-8b"]
    assert own.usd_per_million_output_tokens is not None
    assert float(bedrock["self-hosted $/1M output"]) == pytest.approx(own.usd_per_million_output_tokens, rel=1e-3)
    assert rows["openai-gpt-4.1"]["serves"] == "proprietary"
    assert rows["openai-gpt-4.1"]["self-hosted $/1M output"] == "-"


def test_show_a_saved_list(tmp_path: Path, temp_database: str) -> None:
    assert run("import", str(write(tmp_path, GOOD)), "--name", "mine")[0] == 0
    code, out, _ = run("show", "mine")
    assert code == 0 and out.startswith("# 2 APIs of mine;")
    assert [line.split("\t")[0] for line in out.splitlines()[2:]] == ["acme-8b", "acme-gpt"]
    code, _, err = run("show", "nope")
    assert code == 1 and "no saved API price list named 'nope'" in err


def test_assess_evaluates_with_the_saved_api_list_it_names(tmp_path: Path, temp_database: str) -> None:
    assert run("import", str(write(tmp_path, GOOD)), "--name", "mine")[0] == 0
    data = load_presets()["content_startup"].model_dump(mode="json")
    data["sourcing"] = {"mode": "api", "api": "acme-8b", "api_price_list": "mine"}
    path = write(tmp_path, yaml.safe_dump(data), "assessment.yaml")
    out = tmp_path / "out.json"
    result = runner.invoke(cli.app, ["assess", str(path), "--json", str(out), "--save"])
    assert result.exit_code == 0, result.output
    document = json.loads(out.read_text())
    lines = [line for e in document["evaluation"]["estimates"].values() for line in e["cost_lines"]]
    assert any(line["item"].startswith("Acme ") for line in lines)
    data["sourcing"]["api"] = "bedrock-llama-3.1-8b"  # a shipped API, not in the list
    refused = runner.invoke(cli.app, ["assess", str(write(tmp_path, yaml.safe_dump(data), "other.yaml"))])
    assert refused.exit_code == 1 and "'bedrock-llama-3.1-8b' is not in the API price list 'mine'" in refused.output
