"""``planner prices``: validate (exit 1 with per-row messages), import under a name, list and delete."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from planner import cli, store
from planner.inputs.catalog import load_instances
from planner.inputs.paths import data_dir
from planner.store import price_lists

HEADER = "provider,instance,region,gpu,gpu_count,vcpus,on_demand_usd_h,spot_usd_h,committed_usd_h,source,as_of"
GOOD = "\n".join([HEADER, "aws,p5.48xlarge,us-east-1,H100-SXM,8,192,40,,,negotiated rate card,2026-10",
                  "aws,g6.xlarge,us-east-1,L4,1,4,0.70,,,negotiated rate card,2026-10"]) + "\n"
runner = CliRunner()


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """DATABASE_URL in tmp_path: the CLI's commands write there, never to var/planner.db."""
    url = f"sqlite:///{(tmp_path / 'planner.db').as_posix()}"
    monkeypatch.setenv("DATABASE_URL", url)
    yield url
    store.dispose_engines()


def write(tmp_path: Path, content: str | bytes, name: str = "prices.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(cli.app, ["prices", *args])
    return result.exit_code, result.stdout, result.stderr


def names() -> list[str]:
    return [s.name for s in price_lists.list_price_lists(store.get_engine())]


def test_a_valid_file_exits_0_with_a_summary(tmp_path: Path) -> None:
    code, out, _ = run("validate", str(data_dir() / "instances.csv"))
    assert code == 0
    assert f"valid, {len(load_instances())} instance row(s); providers: aws, azure" in out


def test_an_invalid_file_exits_1_with_every_problem_on_its_own_line(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace(",40,", ",abc,").replace(",0.70,", ",-1,"))
    code, out, err = run("validate", str(path))
    assert code == 1
    assert out == ""
    lines = err.splitlines()
    assert lines[0] == f"{path}: 2 problem(s); the price list is not valid:"
    assert lines[1:] == ["  row 1, on_demand_usd_h: must be a positive number (USD per hour), got 'abc'",
                         "  row 2, on_demand_usd_h: must be a positive number (USD per hour), got '-1'"]


@pytest.mark.parametrize(("content", "message"), [
    (GOOD.replace("2026-10", "2026-10 é").encode("latin-1"), "the file is not UTF-8 text"),
    (GOOD.replace("vcpus,", ""), "missing column(s) vcpus"),
    (GOOD + GOOD.splitlines()[2] + "\n", "row 3: duplicate of row 2 (aws, g6.xlarge, us-east-1)"),
])
def test_other_bad_files_exit_1(tmp_path: Path, content: str | bytes, message: str) -> None:
    code, _, err = run("validate", str(write(tmp_path, content)))
    assert (code, message in err) == (1, True), err


def test_a_20_mb_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "huge.csv"
    with path.open("wb") as handle:
        handle.truncate(20 * 1024 * 1024)
    code, _, err = run("validate", str(path))
    assert code == 1
    assert "the file is 20.0 MB; the limit is 5 MB" in err


def test_a_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    code, _, _ = run("validate", str(tmp_path / "nope.csv"))
    assert code == 2


def test_gpu_specs_make_an_unknown_gpu_valid(tmp_path: Path) -> None:
    prices = write(tmp_path, GOOD.replace("H100-SXM", "X1"))
    code, _, err = run("validate", str(prices))
    assert code == 1 and "unknown GPU type 'X1'" in err
    specs = write(tmp_path, "gpu,memory_gb,bandwidth_tb_s,bf16_tflops,fp8_tflops,source,as_of\n"
                            "X1,96,4,1000,2000,vendor sheet,2026-09\n", "gpus.csv")
    code, out, _ = run("validate", str(prices), "--gpus", str(specs))
    assert code == 0 and "2 instance row(s) and 1 GPU spec row(s)" in out


def test_import_saves_lists_and_refuses_a_taken_name(tmp_path: Path, database: str) -> None:
    path = write(tmp_path, GOOD)
    code, out, _ = run("import", str(path), "--name", "Negotiated 2026")
    assert code == 0 and "Saved price list 'Negotiated 2026': 2 instance row(s)" in out
    assert price_lists.instances_for(store.get_engine(), "Negotiated 2026")[0].on_demand_usd_h == 40.0

    code, _, err = run("import", str(path), "--name", "Negotiated 2026")
    assert code == 1 and "already exists" in err
    cheaper = write(tmp_path, GOOD.replace(",40,", ",30,"), "cheaper.csv")
    code, _, _ = run("import", str(cheaper), "--name", "Negotiated 2026", "--replace")
    assert code == 0
    assert price_lists.instances_for(store.get_engine(), "Negotiated 2026")[0].on_demand_usd_h == 30.0

    code, out, _ = run("list")
    assert code == 0 and out.startswith("Negotiated 2026\t2 rows\t0 GPU specs\taws\toldest price 2026-10")
    code, out, _ = run("delete", "Negotiated 2026")
    assert code == 0 and names() == []
    code, _, err = run("delete", "Negotiated 2026")
    assert code == 1 and "no saved price list named 'Negotiated 2026'" in err


def test_an_invalid_file_is_not_imported(tmp_path: Path, database: str) -> None:
    code, _, err = run("import", str(write(tmp_path, GOOD.replace(",40,", ",-40,"))), "--name", "bad")
    assert code == 1 and "row 1, on_demand_usd_h" in err
    assert names() == []


def test_an_empty_name_is_refused(tmp_path: Path, database: str) -> None:
    code, _, err = run("import", str(write(tmp_path, GOOD)), "--name", "  ")
    assert code == 1 and "Give the price list a name" in err


def test_list_says_how_to_add_one(database: str) -> None:
    code, out, _ = run("list")
    assert code == 0 and "planner prices import FILE --name NAME" in out
