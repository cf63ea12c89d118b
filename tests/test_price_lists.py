"""Price lists: validation with per-row messages, saving by name on SQLite and PostgreSQL, and their effect.

Every malformed file must be refused with a message naming the row and column (or the file) and must
leave the database as it was; a valid list must change the evaluation exactly as its prices say.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import cast

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, delete, func, inspect, select

from planner import store
from planner.errors import InputError, PlannerError, StoreError
from planner.estimate.engine import evaluate
from planner.inputs.catalog import load_gpus, load_instances
from planner.inputs.files import load_presets
from planner.inputs.models import Architecture, Assessment, GpuSpec
from planner.inputs.paths import data_dir
from planner.inputs.price_files import (
    MAX_PRICE_LIST_BYTES,
    PriceList,
    PriceListError,
    gpus_csv,
    instances_csv,
    parse_price_list,
)
from planner.store import Base, price_lists

TODAY = date(2026, 11, 29)
HEADER = "provider,instance,region,gpu,gpu_count,vcpus,on_demand_usd_h,spot_usd_h,committed_usd_h,source,as_of"
P5 = "aws,p5.48xlarge,us-east-1,H100-SXM,8,192,55.04,,,negotiated rate card 2026,2026-10-01"
G6 = "aws,g6.xlarge,us-east-1,L4,1,4,0.8048,,0.5239,negotiated rate card 2026,2026-10-01"
GPU_HEADER = "gpu,memory_gb,bandwidth_tb_s,bf16_tflops,fp8_tflops,source,as_of"
X1_SPEC = "X1,96,4.0,1000,2000,vendor datasheet X1,2026-09"


def csv_text(*rows: str, header: str = HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


def parse(text: str | bytes, gpus: str | bytes | None = None) -> PriceList:
    return parse_price_list(text, gpus, today=TODAY)


@pytest.fixture
def engine(store_url: str) -> Engine:
    """A migrated store on SQLite and on PostgreSQL, holding one saved list named 'base'."""
    engine = store.get_engine(store_url)
    price_lists.save_price_list(engine, name="base", price_list=parse(csv_text(P5, G6)))
    return engine


# Validation ---------------------------------------------------------------------------------------


def test_the_shipped_catalog_is_a_valid_price_list_and_round_trips_through_csv() -> None:
    shipped = (data_dir() / "instances.csv").read_bytes()
    parsed = parse(shipped)
    assert parsed.instances == load_instances()
    assert parse(instances_csv(parsed.instances)).instances == parsed.instances


def test_a_valid_list_keeps_its_numbers() -> None:
    parsed = parse(csv_text(P5, G6))
    assert [(i.instance, i.on_demand_usd_h, i.committed_usd_h) for i in parsed.instances] == [
        ("p5.48xlarge", 55.04, None), ("g6.xlarge", 0.8048, 0.5239)]


MALFORMED = [
    pytest.param(csv_text(P5, header=HEADER.replace("on_demand_usd_h,", "")).replace("55.04,", ""),
                 r"missing column\(s\) on_demand_usd_h; the header must be: provider,instance", id="missing-column"),
    pytest.param(csv_text(P5, header=HEADER + ",discount").replace("2026-10-01", "2026-10-01,5"),
                 r"unknown column\(s\) discount", id="unknown-column"),
    pytest.param(csv_text(G6, P5.replace("55.04", "-55.04")),
                 r"row 2, on_demand_usd_h: must be a positive number \(USD per hour\), got '-55.04'", id="negative"),
    pytest.param(csv_text(P5, G6, G6.replace("g6.xlarge", "g6.2xlarge").replace("0.8048", "abc")),
                 r"row 3, on_demand_usd_h: must be a positive number \(USD per hour\), got 'abc'", id="text"),
    pytest.param(csv_text(P5.replace("55.04", "$55.04")),
                 r"row 1, on_demand_usd_h: must be a plain number in USD per hour, without a currency sign",
                 id="currency-sign"),
    pytest.param(csv_text(P5.replace("55.04", '"55,04"')),
                 r"row 1, on_demand_usd_h: must use a dot as the decimal separator, got '55,04'", id="decimal-comma"),
    pytest.param(csv_text(P5.replace(",8,192,", ",8.5,192,")),
                 r"row 1, gpu_count: must be a whole number from 1 to 64 \(GPUs per instance\), got '8.5'",
                 id="fractional-gpus"),
    pytest.param(csv_text(P5, G6, P5.replace("55.04", "50")),
                 r"row 3: duplicate of row 1 \(aws, p5\.48xlarge, us-east-1\); each row must be listed once",
                 id="duplicate"),
    pytest.param(csv_text(P5.replace("H100-SXM", "H999")),
                 r"row 1, gpu: unknown GPU type 'H999'; use one of .*or add a GPU spec row", id="unknown-gpu"),
    pytest.param(csv_text(P5.replace("55.04", "0.0153")),  # 55.04 $/h quoted per second
                 r"row 1, on_demand_usd_h: 0.0153 USD per hour for 8 GPU\(s\) is 0.001912 USD per GPU-hour, "
                 r"outside 0.02-100", id="per-second"),
    pytest.param(csv_text(G6.replace(",,0.5239,", ",1.2,0.5239,")),
                 r"row 1, spot_usd_h: 1.2 is above the on-demand price \(0.8048\)", id="spot-above-on-demand"),
    pytest.param(csv_text(P5.replace("2026-10-01", "2027-01")),
                 r"row 1, as_of: is in the future \(2027-01\)", id="future-date"),
    pytest.param(csv_text(P5.replace("2026-10-01", "Oct 2026")),
                 r"row 1, as_of: must be a date written YYYY-MM-DD or YYYY-MM, got 'Oct 2026'", id="bad-date"),
    pytest.param(csv_text(P5.replace("2026-10-01", "2026-02-30")),
                 r"row 1, as_of: is not a real date, got '2026-02-30'", id="impossible-date"),
    pytest.param(csv_text(P5.replace("negotiated rate card 2026", "")),
                 r"row 1, source: is empty; every row needs one", id="no-source"),
    pytest.param(csv_text(P5 + ",extra"), r"row 1: has 12 cells but the header has 11 columns", id="extra-cell"),
    pytest.param(csv_text(), r"has a header but no rows of prices", id="header-only"),
    pytest.param("", r"the file is empty", id="empty"),
    pytest.param(csv_text(P5).replace("55.04", "55.04é").encode("latin-1"),
                 r"price list: the file is not UTF-8 text \(byte \d+ is not valid UTF-8\)\. Save it as 'CSV UTF-8'",
                 id="not-utf8"),
    pytest.param(csv_text(*[P5.replace("p5.48xlarge", f"p5-{n:08}") for n in range(20 * 1024 * 1024 // len(P5))]),
                 r"price list: the file is 20\.\d MB; the limit is 5 MB", id="20-MB"),
    pytest.param(csv_text(P5, 'aws,"p5,48xlarge') + "x" * 200_000,
                 r"row 2: cannot be read as CSV \(an unclosed quote", id="unclosed-quote"),
]


@pytest.mark.parametrize(("content", "message"), MALFORMED)
def test_a_malformed_list_is_refused_with_a_specific_message(content: str | bytes, message: str) -> None:
    with pytest.raises(PriceListError, match=message) as info:
        parse(content)
    assert info.value.field_errors["file"]
    assert isinstance(info.value, InputError)


def test_no_malformed_list_changes_anything_in_the_store(engine: Engine) -> None:
    # One database per backend for every case: each refused list must leave 'base' and the listing as they were.
    before = price_lists.list_price_lists(engine)
    base = price_lists.load_price_list(engine, "base")
    for case in MALFORMED:
        content, message = case.values
        with pytest.raises(PriceListError, match=str(message)):
            price_lists.save_price_list(engine, name="base", price_list=parse(cast(str | bytes, content)),
                                        replace=True)
        assert price_lists.list_price_lists(engine) == before, case.id
        assert price_lists.load_price_list(engine, "base") == base, case.id


def test_every_bad_row_is_reported_at_once() -> None:
    content = csv_text(P5.replace("55.04", "abc"), G6, G6.replace("L4", "H999").replace("g6.xlarge", "g6.x"))
    with pytest.raises(PriceListError) as info:
        parse(content)
    assert [p.split(":")[0] for p in info.value.problems] == ["row 1, on_demand_usd_h", "row 3, gpu"]
    assert "2 problems" in str(info.value)


def test_many_problems_are_cut_to_the_first_ones() -> None:
    rows = [G6.replace("g6.xlarge", f"g6-{n}").replace("0.8048", "x") for n in range(100)]
    with pytest.raises(PriceListError) as info:
        parse(csv_text(*rows))
    assert len(info.value.problems) == price_lists.MAX_REPORTED_PROBLEMS + 1
    assert info.value.problems[-1] == f"... and {100 - price_lists.MAX_REPORTED_PROBLEMS} more problems"


def test_a_byte_order_mark_is_fine() -> None:
    assert len(parse(b"\xef\xbb\xbf" + csv_text(P5).encode()).instances) == 1


def test_the_size_limit_is_exact() -> None:
    # Rows with long (stripped) padding in their source cell, the last one cut to land on the limit exactly.
    row_bytes = 100_000
    rows = [P5.replace("p5.48xlarge", f"p5-{n:08}").replace("2026,", "2026" + " " * row_bytes + ",")
            for n in range(MAX_PRICE_LIST_BYTES // row_bytes)]
    body = csv_text(*rows)
    last = P5.replace("2026,", "2026" + " " * (MAX_PRICE_LIST_BYTES - len(body) - len(P5) - 1) + ",")
    padded = body + last + "\n"
    assert len(padded.encode()) == MAX_PRICE_LIST_BYTES
    assert len(parse(padded).instances) == len(rows) + 1
    with pytest.raises(PriceListError, match="the limit is 5 MB"):
        parse(padded + "\n")


def test_a_file_over_the_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "huge.csv"
    with path.open("wb") as handle:
        handle.truncate(20 * 1024 * 1024)
    with pytest.raises(PriceListError, match=r"20\.0 MB; the limit is 5 MB"):
        price_lists.read_price_file(path)


# GPU spec rows -------------------------------------------------------------------------------------


def test_a_gpu_spec_row_makes_an_unknown_gpu_usable() -> None:
    parsed = parse(csv_text(P5.replace("H100-SXM", "X1")), csv_text(X1_SPEC, header=GPU_HEADER))
    assert parsed.gpus == (GpuSpec(gpu="X1", memory_gb=96, bandwidth_tb_s=4.0, bf16_tflops=1000, fp8_tflops=2000,
                                   source="vendor datasheet X1", as_of="2026-09"),)
    assert parse(csv_text(P5.replace("H100-SXM", "X1")), gpus_csv(parsed.gpus)).gpus == parsed.gpus


@pytest.mark.parametrize(("spec", "message"), [
    (X1_SPEC.replace(",4.0,", ",4000,"), r"GPU specs row 1, bandwidth_tb_s: must be at most 100 TB/s, got '4000'"),
    (X1_SPEC.replace(",96,", ",96GB,"), r"GPU specs row 1, memory_gb: must be a plain number in GB, without"),
    (X1_SPEC.replace("2026-09", "2030-01"), r"GPU specs row 1, as_of: is in the future"),
])
def test_bad_gpu_spec_rows_are_named(spec: str, message: str) -> None:
    with pytest.raises(PriceListError, match=message):
        parse(csv_text(P5.replace("H100-SXM", "X1")), csv_text(spec, header=GPU_HEADER))


def test_a_gpu_spec_file_with_a_wrong_header_is_named() -> None:
    with pytest.raises(PriceListError, match=r"^The price list has 2 problems.*GPU specs: missing column\(s\) "
                                             r"bandwidth_tb_s"):
        parse(csv_text(P5.replace("H100-SXM", "X1")), "gpu,memory_gb,bf16_tflops,source,as_of\nX1,96,1000,a b c,2026\n")


# Staleness -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("as_of", "stale"), [
    ("2026-11-29", False), ("2026-06-01", False), ("2026-05-28", True), ("2026-05", True), ("2025-03-06", True),
])
def test_prices_older_than_six_months_are_stale(as_of: str, stale: bool) -> None:
    # 2026-06-01 is 181 days before 2026-11-29, 2026-05-28 is 185; a month alone counts from its 1st.
    assert price_lists.is_stale(as_of, TODAY) is stale


# Store ---------------------------------------------------------------------------------------------


def test_a_saved_list_loads_back_equal(engine: Engine) -> None:
    with_gpu = parse(csv_text(P5.replace("H100-SXM", "X1"), G6), csv_text(X1_SPEC, header=GPU_HEADER))
    summary = price_lists.save_price_list(engine, name="Negotiated 2026 ✓", price_list=with_gpu)
    assert (summary.instance_count, summary.gpu_count, summary.providers) == (2, 1, ("aws",))
    assert price_lists.load_price_list(engine, "Negotiated 2026 ✓") == with_gpu
    names = [s.name for s in price_lists.list_price_lists(engine)]
    assert names == ["Negotiated 2026 ✓", "base"]
    # A list adds to the built-in catalog unless saved to replace it (issue 15): its own rows come first.
    assert price_lists.instances_for(engine, "Negotiated 2026 ✓") == list(with_gpu.evaluation_instances())
    assert price_lists.instances_for(engine, "Negotiated 2026 ✓")[:2] == list(with_gpu.instances)
    assert price_lists.gpus_for(engine, "Negotiated 2026 ✓")["X1"] == with_gpu.gpus[0]
    assert set(load_gpus()) < set(price_lists.gpus_for(engine, "Negotiated 2026 ✓"))


def test_a_taken_name_is_refused_unless_replacing(engine: Engine) -> None:
    other = parse(csv_text(G6))
    with pytest.raises(InputError, match="already exists") as info:
        price_lists.save_price_list(engine, name=" base ", price_list=other)
    assert "name" in info.value.field_errors
    assert len(price_lists.load_price_list(engine, "base").instances) == 2
    summary = price_lists.save_price_list(engine, name="base", price_list=other, replace=True)
    assert price_lists.load_price_list(engine, "base") == other
    assert summary.updated_at >= summary.created_at
    [listed] = price_lists.list_price_lists(engine)
    assert (listed.name, listed.instance_count, listed.oldest_as_of) == ("base", 1, "2026-10-01")


def test_delete_removes_the_list_and_its_rows(engine: Engine) -> None:
    price_lists.delete_price_list(engine, "base")
    assert price_lists.list_price_lists(engine) == []
    with pytest.raises(InputError) as info:
        price_lists.load_price_list(engine, "base")
    assert "price_list" in info.value.field_errors


@pytest.mark.parametrize("call", [price_lists.instances_for, price_lists.gpus_for, price_lists.delete_price_list])
def test_an_unknown_name_is_an_input_error_at_price_list(engine: Engine, call) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError, match="no saved price list named 'nope'") as info:
        call(engine, "nope")
    assert set(info.value.field_errors) == {"price_list"}


def test_none_means_the_catalog(engine: Engine) -> None:
    assert price_lists.instances_for(engine, None) == list(load_instances())
    assert price_lists.gpus_for(engine, None) == dict(load_gpus())


@pytest.mark.parametrize(("name", "message"), [
    ("", "Give the price list a name"), ("   ", "Give the price list a name"),
    ("x" * 121, "121 characters long; at most 120"), ("two\nlines", "line breaks"),
])
def test_bad_names_are_refused_at_the_name_field(engine: Engine, name: str, message: str) -> None:
    with pytest.raises(InputError, match=message) as info:
        price_lists.save_price_list(engine, name=name, price_list=parse(csv_text(G6)))
    assert "name" in info.value.field_errors
    assert [s.name for s in price_lists.list_price_lists(engine)] == ["base"]


def test_an_empty_list_cannot_be_saved(engine: Engine) -> None:
    with pytest.raises(InputError, match="at least one row"):
        price_lists.save_price_list(engine, name="empty", price_list=PriceList(instances=()))


def test_store_errors_are_planner_errors() -> None:
    assert issubclass(StoreError, PlannerError) and issubclass(PriceListError, InputError)


# Effect on the evaluation ---------------------------------------------------------------------------


def _scaled(factor: float) -> PriceList:
    rows = [i.model_copy(update={
        "on_demand_usd_h": i.on_demand_usd_h * factor,
        "spot_usd_h": None if i.spot_usd_h is None else i.spot_usd_h * factor,
        "committed_usd_h": None if i.committed_usd_h is None else i.committed_usd_h * factor,
    }) for i in load_instances()]
    return parse(instances_csv(rows))


def test_halving_every_price_halves_the_gpu_cost(tmp_path: Path) -> None:
    engine = store.get_engine(f"sqlite:///{(tmp_path / 'planner.db').as_posix()}")
    assessment = load_presets()["blank"]
    price_lists.save_price_list(engine, name="half", price_list=_scaled(0.5))
    catalog = evaluate(assessment)
    halved = evaluate(assessment.model_copy(update={"price_list": "half"}),
                      instances=price_lists.instances_for(engine, "half"), gpus=price_lists.gpus_for(engine, "half"))
    for architecture in Architecture:
        full, half = catalog.estimates[architecture], halved.estimates[architecture]
        assert half.cost.gpu_usd == pytest.approx(full.cost.gpu_usd / 2, rel=1e-9)
        assert half.cost.cpu_usd == pytest.approx(full.cost.cpu_usd, rel=1e-9)
        assert [f.instance for f in half.fleet] == [f.instance for f in full.fleet]


def test_a_gpu_known_only_to_the_list_is_evaluated_with_its_spec() -> None:
    # The same H100 under another name and at a third of the price: the fleet moves to it.
    h100 = load_gpus()["H100-SXM"]
    spec = gpus_csv([h100.model_copy(update={"gpu": "H100-NEGOTIATED"})])
    rows = [i.model_copy(update={"provider": "negotiated", "gpu": "H100-NEGOTIATED", "spot_usd_h": None,
                                 "on_demand_usd_h": round(i.on_demand_usd_h / 3, 4), "committed_usd_h": None})
            for i in load_instances() if i.gpu == "H100-SXM"]
    parsed = parse(instances_csv([*load_instances(), *rows]), spec)
    gpus = {**load_gpus(), **{g.gpu: g for g in parsed.gpus}}
    evaluation = evaluate(load_presets()["blank"], instances=parsed.instances, gpus=gpus)
    assert {f.gpu for e in evaluation.estimates.values() for f in e.fleet if f.kind == "gpu"} == {"H100-NEGOTIATED"}


def test_evaluate_names_a_gpu_without_a_spec() -> None:
    row = load_instances()[0].model_copy(update={"gpu": "H999"})
    with pytest.raises(InputError, match="GPU types without a spec: H999") as info:
        evaluate(load_presets()["blank"], instances=[row])
    assert "price_list" in info.value.field_errors


def test_an_assessment_names_its_price_list() -> None:
    data = {**load_presets()["blank"].model_dump(), "price_list": "half"}
    assert Assessment.model_validate(data).price_list == "half"


# Migration -----------------------------------------------------------------------------------------

PRICE_TABLES = {"price_lists", "price_list_instances", "price_list_gpus"}


def test_the_migration_matches_the_price_list_models(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"include_object": lambda obj, name, type_, reflected, other: type_ != "table"
                        or name in PRICE_TABLES})
        assert compare_metadata(context, Base.metadata) == []


def test_the_migration_upgrades_from_0001_and_downgrades_cleanly(store_url: str) -> None:
    engine = store.create_store_engine(store_url)
    try:
        with engine.begin() as conn:
            command.upgrade(store.alembic_config(conn), "0003_price_lists")
        assert PRICE_TABLES | {"projects", "assessments"} <= set(inspect(engine).get_table_names())
        assert {fk["referred_table"] for fk in inspect(engine).get_foreign_keys("price_list_gpus")} == {"price_lists"}
        with engine.begin() as conn:
            command.downgrade(store.alembic_config(conn), "0001")
        tables = set(inspect(engine).get_table_names())
        assert not tables & PRICE_TABLES and {"projects", "assessments"} <= tables
    finally:
        engine.dispose()


def test_deleting_a_list_row_cascades_to_its_prices(engine: Engine) -> None:
    # The foreign keys cascade, so a list deleted outside the repository leaves no orphan rows.
    with engine.begin() as conn:
        conn.execute(delete(price_lists.PriceListRow))
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(price_lists.PriceListInstanceRow)).scalar() == 0
