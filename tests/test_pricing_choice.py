"""Which price a fleet pays (issue 15): the chosen option where a row has it, else on-demand (marked), the
cheapest of all; community offers only when allowed; a saved price list adds to the catalog unless it says
it replaces it.
"""

from __future__ import annotations

import functools
import json

import pytest
from sqlalchemy import Engine

from planner import store
from planner.errors import InfeasibleError
from planner.estimate.engine import evaluate
from planner.estimate.pricing import fallback_basis, price_under, priced_instances
from planner.estimate.results import Evaluation, FleetItem
from planner.history import todays_pricing
from planner.inputs.catalog import load_instances
from planner.inputs.files import load_presets, parse_assessment
from planner.inputs.models import Architecture, Assessment, InstancePrice, PricingOption
from planner.inputs.price_files import REPLACE_CATALOG, parse_price_list
from planner.store import price_lists

PRESETS = sorted(load_presets())
SOURCE = "hand-built rate card for the test"


def with_workload(assessment: Assessment, **changes: object) -> Assessment:
    """A validated copy of an assessment with some workload answers replaced."""
    data = assessment.model_dump()
    data["workload"].update(changes)
    return Assessment.model_validate(data)


@functools.cache
def preset_evaluation(name: str, pricing: PricingOption) -> Evaluation:
    """Each preset under each pricing option, evaluated once for this module."""
    return evaluate(with_workload(load_presets()[name], pricing=pricing.value))


def row(instance: str, on_demand: float, *, spot: float | None = None, committed: float | None = None,
        provider: str = "acme", tier: str = "production") -> InstancePrice:
    """A 1x A100-80GB instance row with these prices (USD per hour)."""
    return InstancePrice(provider=provider, instance=instance, region="any", gpu="A100-80GB", gpu_count=1, vcpus=16,
                         on_demand_usd_h=on_demand, spot_usd_h=spot, committed_usd_h=committed, tier=tier,
                         source=SOURCE, as_of="2026-11-01")


def gpu_line(evaluation: Evaluation, architecture: Architecture = Architecture.MONOLITH) -> FleetItem:
    (item,) = [f for f in evaluation.estimate(architecture).fleet if f.kind == "gpu"]
    return item


# Item 1: a discount option never costs more than on-demand ----------------------------------------------


@pytest.mark.parametrize("option", [PricingOption.SPOT, PricingOption.COMMITTED], ids=lambda o: o.value)
@pytest.mark.parametrize("name", PRESETS)
def test_a_discount_option_never_costs_more_than_on_demand(name, option):
    on_demand = preset_evaluation(name, PricingOption.ON_DEMAND)
    discounted = preset_evaluation(name, option)
    for architecture in Architecture:
        assert (discounted.estimate(architecture).monthly_cost_usd
                <= on_demand.estimate(architecture).monthly_cost_usd * (1 + 1e-12))


def test_the_chatbot_preset_no_longer_pays_a_stale_committed_row():
    # Before: GCP a3-highgpu-8g at its committed $61.38/h, $393,461 a month; on-demand was $179,252.
    committed = preset_evaluation("chatbot_daily_updates", PricingOption.COMMITTED)
    on_demand = preset_evaluation("chatbot_daily_updates", PricingOption.ON_DEMAND)
    item = gpu_line(committed)
    assert item.usd_per_replica_hour < 61.38
    assert item.price_basis == "on-demand (no committed price)"
    assert committed.estimate(Architecture.MONOLITH).monthly_cost_usd == pytest.approx(
        on_demand.estimate(Architecture.MONOLITH).monthly_cost_usd)


@pytest.mark.parametrize(("option", "field"), [(PricingOption.COMMITTED, "committed"), (PricingOption.SPOT, "spot")])
def test_an_on_demand_row_cheaper_than_the_only_discounted_one_wins_and_is_marked(option, field):
    discounted = row("discounted", 4.0, **{field: 3.0})
    plain = row("plain", 2.0)
    evaluation = evaluate(with_workload(load_presets()["blank"], pricing=option.value),
                          instances=[discounted, plain])
    for architecture in Architecture:
        item = gpu_line(evaluation, architecture)
        assert (item.instance, item.usd_per_replica_hour) == ("plain", 2.0)
        assert item.price_basis == f"on-demand (no {field} price)" == fallback_basis(option)
        assert f"no {field} price" in item.price_reason


@pytest.mark.parametrize(("option", "field"), [(PricingOption.COMMITTED, "committed"), (PricingOption.SPOT, "spot")])
def test_a_discounted_row_cheaper_than_every_on_demand_one_keeps_its_discount(option, field):
    discounted = row("discounted", 4.0, **{field: 1.5})
    evaluation = evaluate(with_workload(load_presets()["blank"], pricing=option.value),
                          instances=[discounted, row("plain", 2.0)])
    item = gpu_line(evaluation)
    assert (item.instance, item.usd_per_replica_hour, item.price_basis) == ("discounted", 1.5, field)


def test_price_under_each_option():
    both = row("both", 4.0, spot=1.0, committed=3.0)
    bare = row("bare", 4.0)
    assert tuple(price_under(both, PricingOption.SPOT)) == (both, 1.0, "spot")
    assert tuple(price_under(both, PricingOption.COMMITTED)) == (both, 3.0, "committed")
    assert tuple(price_under(bare, PricingOption.COMMITTED)) == (bare, 4.0, "on-demand (no committed price)")
    assert tuple(price_under(bare, PricingOption.ON_DEMAND)) == (bare, 4.0, "on-demand")


def test_cpu_lines_say_how_they_are_priced():
    evaluation = preset_evaluation("content_startup", PricingOption.ON_DEMAND)
    cpu = [f for f in evaluation.estimate(Architecture.HYBRID).fleet if f.kind == "cpu"]
    assert cpu and all(f.price_basis == "per vCPU-hour" and "cpu.vcpu_hour_usd" in f.price_reason for f in cpu)


def test_evaluations_saved_before_keep_reading():
    item = gpu_line(preset_evaluation("blank", PricingOption.ON_DEMAND))
    old = item.model_dump(mode="json")
    for key in ("price_basis", "price_reason", "tier"):
        del old[key]
    assert FleetItem.model_validate(old).price_basis == ""
    evaluation = preset_evaluation("blank", PricingOption.ON_DEMAND).model_dump(mode="json")
    del evaluation["allowed_instance_count"]
    assert Evaluation.model_validate(evaluation).allowed_instance_count is None


# Item 4: community offers only when allowed -------------------------------------------------------------


def test_the_catalog_marks_community_offers_and_says_why():
    tiers = {(r.provider, r.instance): r.tier for r in load_instances()}
    assert {k for k, t in tiers.items() if t == "community"} == {
        ("runpod", "h100-sxm-1x-community"), ("runpod", "a100-sxm-1x-community")}
    assert all("tier community" in r.source for r in load_instances() if r.tier == "community")


def test_community_offers_are_chosen_only_when_allowed():
    cheap = row("community-1x", 1.0, provider="market", tier="community")
    secure = row("secure-1x", 1.8)
    blank = load_presets()["blank"]
    assert not blank.workload.allow_community_instances
    default = evaluate(blank, instances=[cheap, secure])
    assert (gpu_line(default).instance, gpu_line(default).tier) == ("secure-1x", "production")
    assert default.allowed_instance_count == 1
    allowed = evaluate(with_workload(blank, allow_community_instances=True), instances=[cheap, secure])
    assert (gpu_line(allowed).instance, gpu_line(allowed).tier) == ("community-1x", "community")
    assert allowed.allowed_instance_count == 2


def test_only_community_offers_is_infeasible_in_plain_words():
    with pytest.raises(InfeasibleError, match="Only community or marketplace offers match"):
        priced_instances(load_presets()["blank"].workload, [row("c", 1.0, tier="community")])


def test_no_preset_picks_a_community_offer_by_default():
    for name in PRESETS:
        for option in PricingOption:
            for estimate in preset_evaluation(name, option).estimates.values():
                assert all(f.tier != "community" for f in estimate.fleet)


def test_assessment_files_without_the_setting_still_load():
    data = load_presets()["blank"].model_dump(mode="json")
    del data["workload"]["allow_community_instances"]
    assert not parse_assessment(json.dumps(data), filename="old.json").workload.allow_community_instances


def test_rows_without_a_tier_are_production():
    data = row("r", 1.0).model_dump(mode="json")
    del data["tier"]
    assert InstancePrice.model_validate(data).tier == "production"


# Item 5: a saved price list adds to the catalog unless it replaces it -----------------------------------

HEADER = "provider,instance,region,gpu,gpu_count,vcpus,on_demand_usd_h,spot_usd_h,committed_usd_h,source,as_of"
TWO_ROWS = "\n".join([
    HEADER,
    "aws,p5.48xlarge,us-east-1,H100-SXM,8,192,40.0,,,negotiated rate card 2026,2026-10-01",
    "acme,h100-8x,any,H100-SXM,8,192,60.0,,,negotiated rate card 2026,2026-10-01",
]) + "\n"


@pytest.fixture
def engine(store_url: str) -> Engine:
    """A migrated store on SQLite and on PostgreSQL."""
    return store.get_engine(store_url)


def test_a_parsed_list_adds_to_the_catalog_by_default():
    parsed = parse_price_list(TWO_ROWS)
    assert parsed.catalog_mode == "add"
    rows = parsed.evaluation_instances()
    catalog = load_instances()
    assert len(rows) == len(catalog) + 1  # the p5.48xlarge row replaces the catalog's, acme's is new
    p5 = [r for r in rows if (r.provider, r.instance, r.region) == ("aws", "p5.48xlarge", "us-east-1")]
    assert [r.on_demand_usd_h for r in p5] == [40.0]
    replacing = parse_price_list(TWO_ROWS, catalog_mode=REPLACE_CATALOG)
    assert replacing.evaluation_instances() == replacing.instances


def test_a_saved_list_keeps_its_mode_and_the_evaluation_follows_it(engine):
    price_lists.save_price_list(engine, name="overlay", price_list=parse_price_list(TWO_ROWS))
    price_lists.save_price_list(engine, name="only these",
                                price_list=parse_price_list(TWO_ROWS, catalog_mode=REPLACE_CATALOG))
    modes = {s.name: s.catalog_mode for s in price_lists.list_price_lists(engine)}
    assert modes == {"overlay": "add", "only these": "replace"}
    assert price_lists.load_price_list(engine, "overlay").catalog_mode == "add"
    assert len(price_lists.instances_for(engine, "overlay")) == len(load_instances()) + 1
    assert len(price_lists.instances_for(engine, "only these")) == 2
    blank = load_presets()["blank"]
    assert len(todays_pricing(engine, blank.model_copy(update={"price_list": "overlay"})).instances) == (
        len(load_instances()) + 1)
    # The blank preset's A100 on the catalog still wins over the list's H100 rows when the list adds to it.
    overlay = evaluate(blank, instances=price_lists.instances_for(engine, "overlay"))
    catalog = evaluate(blank)
    assert overlay.estimate(Architecture.MONOLITH).monthly_cost_usd == pytest.approx(
        catalog.estimate(Architecture.MONOLITH).monthly_cost_usd)
    replaced = evaluate(blank, instances=price_lists.instances_for(engine, "only these"))
    assert gpu_line(replaced).gpu == "H100-SXM"


def test_replacing_a_saved_list_can_change_its_mode(engine):
    price_lists.save_price_list(engine, name="card", price_list=parse_price_list(TWO_ROWS))
    price_lists.save_price_list(engine, name="card", replace=True,
                                price_list=parse_price_list(TWO_ROWS, catalog_mode=REPLACE_CATALOG))
    assert price_lists.load_price_list(engine, "card").catalog_mode == "replace"


def test_a_saved_list_keeps_each_rows_tier(engine):
    text = TWO_ROWS.replace("committed_usd_h,", "committed_usd_h,tier,")
    text = text.replace(",,,negotiated", ",,,community,negotiated")
    price_lists.save_price_list(engine, name="tiers", price_list=parse_price_list(text))
    assert {r.tier for r in price_lists.load_price_list(engine, "tiers").instances} == {"community"}


def test_cli_import_adds_by_default_and_replaces_when_asked(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from planner import cli

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{(tmp_path / 'planner.db').as_posix()}")
    path = tmp_path / "prices.csv"
    path.write_text(TWO_ROWS, encoding="utf-8")
    runner = CliRunner()
    try:
        added = runner.invoke(cli.app, ["prices", "import", str(path), "--name", "card"])
        assert added.exit_code == 0 and "adds to the built-in prices" in added.stdout
        replaced = runner.invoke(cli.app, ["prices", "import", str(path), "--name", "only", "--replace-catalog"])
        assert replaced.exit_code == 0 and "replaces the built-in prices" in replaced.stdout
        listed = runner.invoke(cli.app, ["prices", "list"]).stdout.splitlines()
        assert listed[0].startswith("card\t") and listed[0].endswith("adds to the built-in prices")
        assert listed[1].startswith("only\t") and listed[1].endswith("replaces the built-in prices")
        engine = store.get_engine()
        assert len(price_lists.instances_for(engine, "card")) == len(load_instances()) + 1
        assert len(price_lists.instances_for(engine, "only")) == 2
    finally:
        store.dispose_engines()


def test_0006_keeps_every_saved_list_and_row_and_they_add_to_the_catalog(store_url):
    """Lists saved before 0006 become "add" with "production" rows; downgrading keeps every row (no cascade)."""
    from alembic import command
    from sqlalchemy import inspect, text

    from planner.store import alembic_config, create_store_engine

    engine = create_store_engine(store_url)
    try:
        with engine.begin() as conn:
            command.upgrade(alembic_config(conn), "0005_gpu_spec_rates")
            conn.execute(text("INSERT INTO price_lists (name, created_at, updated_at) VALUES ('Old', :t, :t)"),
                         {"t": "2026-03-01 12:00:00"})
            conn.execute(text(
                "INSERT INTO price_list_instances (price_list_id, position, provider, instance, region, gpu, "
                "gpu_count, vcpus, on_demand_usd_h, source, as_of) SELECT id, 0, 'acme', 'h100-8x', 'any', "
                "'H100-SXM', 8, 192, 30.0, 'rate card', '2026-10' FROM price_lists WHERE name = 'Old'"))
            conn.execute(text(
                "INSERT INTO price_list_gpus (price_list_id, gpu, memory_gb, bandwidth_tb_s, bf16_tflops, "
                "fp8_tflops, source, as_of) SELECT id, 'X9', 96, 4.0, 1000, 2000, 'vendor sheet', '2026-10' "
                "FROM price_lists WHERE name = 'Old'"))
    finally:
        engine.dispose()
    migrated = store.get_engine(store_url)
    old = price_lists.load_price_list(migrated, "Old")
    assert (old.catalog_mode, [r.tier for r in old.instances], [g.gpu for g in old.gpus]) == (
        "add", ["production"], ["X9"])
    assert len(price_lists.instances_for(migrated, "Old")) == len(load_instances()) + 1
    with migrated.begin() as conn:
        command.downgrade(alembic_config(conn), "0005_gpu_spec_rates")
        assert "catalog_mode" not in {c["name"] for c in inspect(conn).get_columns("price_lists")}
        assert "tier" not in {c["name"] for c in inspect(conn).get_columns("price_list_instances")}
        counts = [conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
                  for t in ("price_lists", "price_list_instances", "price_list_gpus")]
        assert counts == [1, 1, 1]
        command.upgrade(alembic_config(conn), "head")
