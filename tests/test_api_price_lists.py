"""API price lists: validation with per-row messages, saving by name on SQLite and PostgreSQL, admission, effect.

Every malformed file must be refused with a message naming the row and column (or the file) and must leave the
database as it was; a valid list must round-trip (upload, save, evaluate with it, export equal to the upload);
an assessment naming an API its list does not hold is refused at the store's door.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from planner import cli, history, store
from planner.decide.scoring import recommend
from planner.errors import InputError
from planner.estimate.api import API_CATEGORY
from planner.estimate.engine import evaluate
from planner.estimate.results import ArchitectureEstimate
from planner.inputs.api_catalog import load_api_prices
from planner.inputs.api_price_files import ApiPriceList, api_prices_csv, parse_api_price_list
from planner.inputs.files import load_presets
from planner.inputs.models import Architecture, Assessment, Sourcing
from planner.inputs.paths import data_dir
from planner.inputs.price_files import MAX_PRICE_LIST_BYTES, MAX_PRICE_ROWS, PriceListError
from planner.present.api_prices import ASSUMED, NOT_PUBLISHED, api_price_rows
from planner.store import api_price_lists, price_lists
from planner.store.tables import ApiPriceListApiRow, ApiPriceListRow
from tests.test_store import RESULTS

TODAY = date(2026, 11, 29)
HEADER = "id,provider,model,model_id,input_usd_per_m,cached_input_usd_per_m,output_usd_per_m,source,as_of"
ROW = "acme-8b,Acme,Llama 3.1 8B,llama-3.1-8b,0.6,0.15,2.4,acme.example/pricing 2026,2026-10-01"
OTHER = "acme-gpt,Acme,Acme GPT,,2,,8,acme.example/pricing 2026,2026-10-01"
runner = CliRunner()


def csv_text(*rows: str, header: str = HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


def parse(content: str | bytes) -> ApiPriceList:
    return parse_api_price_list(content, today=TODAY)


def with_columns(extra: str, cells: str, row: str = ROW) -> str:
    """A one-row file with columns appended to the header and their cells to the row."""
    return csv_text(f"{row},{cells}", header=f"{HEADER},{extra}")


# Validation ---------------------------------------------------------------------------------------


def test_the_shipped_api_prices_are_a_valid_list_and_round_trip_through_csv() -> None:
    parsed = parse((data_dir() / "api_prices.csv").read_bytes())
    assert parsed.rows() == dict(load_api_prices())
    assert parse(api_prices_csv(parsed.apis)) == parsed


def test_a_valid_list_keeps_its_numbers_and_its_order() -> None:
    parsed = parse(csv_text(ROW, OTHER))
    assert [(a.id, a.model_id, a.input_usd_per_m, a.cached_input_usd_per_m, a.output_usd_per_m)
            for a in parsed.apis] == [("acme-8b", "llama-3.1-8b", 0.6, 0.15, 2.4), ("acme-gpt", None, 2.0, None, 8.0)]


MALFORMED = [
    pytest.param("", r"the file is empty", id="empty"),
    pytest.param(csv_text(), r"the API price list has a header but no rows of prices", id="header-only"),
    pytest.param(csv_text(ROW.replace(",2.4,", ","), header=HEADER.replace("output_usd_per_m,", "")),
                 r"missing column\(s\) output_usd_per_m; the header must be: id,provider,model,model_id,",
                 id="missing-column"),
    pytest.param("provider;model;price\nAcme;x;1\n", r"missing column\(s\) id, provider, model, input_usd_per_m",
                 id="wrong-header"),
    pytest.param(with_columns("discount", "5"), r"unknown column\(s\) discount; the columns are: id,",
                 id="unknown-column"),
    pytest.param(csv_text(ROW.replace("Acme", "Acmé")).encode("latin-1"),
                 r"API price list: the file is not UTF-8 text \(byte \d+ is not valid UTF-8\)\. Save it as "
                 r"'CSV UTF-8'",
                 id="not-utf8"),
    pytest.param(csv_text(*[ROW.replace("acme-8b", f"acme-{n:08}") for n in range(20 * 1024 * 1024 // len(ROW))]),
                 r"API price list: the file is 2\d\.\d MB; the limit is 5 MB", id="20-MB"),
    pytest.param(csv_text(*[ROW.replace("acme-8b", f"a{n}") for n in range(MAX_PRICE_ROWS + 1)]),
                 r"the API price list has 5,001 rows; the limit is 5,000", id="too-many-rows"),
    pytest.param(csv_text(ROW, OTHER, ROW.replace(",2.4,", ",3,")),
                 r"row 3: duplicate of row 1 \(acme-8b\); each row must be listed once", id="duplicate-id"),
    pytest.param(csv_text(OTHER, ROW.replace(",2.4,", ",-2.4,")),
                 r"row 2, output_usd_per_m: must be a positive number \(USD per million tokens\), got '-2.4'",
                 id="negative"),
    pytest.param(csv_text(ROW.replace(",0.6,", ",0,")),
                 r"row 1, input_usd_per_m: must be a positive number \(USD per million tokens\), got '0'", id="zero"),
    pytest.param(csv_text(ROW.replace(",2.4,", ",nan,")),
                 r"row 1, output_usd_per_m: must be a positive number \(USD per million tokens\), got 'nan'", id="NaN"),
    pytest.param(csv_text(ROW.replace(",2.4,", ",inf,")),
                 r"row 1, output_usd_per_m: must be a positive number \(USD per million tokens\), got 'inf'",
                 id="infinite"),
    pytest.param(csv_text(ROW.replace(",2.4,", ",2400000,")),
                 r"row 1, output_usd_per_m: must be at most 1,000 USD per million tokens, got '2400000'", id="huge"),
    pytest.param(csv_text(ROW.replace(",2.4,", ",0.0000024,")),  # 2.4 $/M quoted per token
                 r"row 1, output_usd_per_m: 2\.4e-06 USD per million tokens is below 0\.001; prices are USD per "
                 r"million tokens \(not per token or per thousand\)", id="per-token"),
    pytest.param(csv_text(ROW.replace(",0.6,", ",$0.6,")),
                 r"row 1, input_usd_per_m: must be a plain number in USD per million tokens, without a currency sign "
                 r"or unit, got '\$0.6'", id="currency-sign"),
    pytest.param(csv_text(ROW.replace(",0.6,", ",0.6/M,")),
                 r"row 1, input_usd_per_m: must be a plain number in USD per million tokens, without a currency sign "
                 r"or unit, got '0.6/M'", id="unit-per-M"),
    pytest.param(csv_text(ROW.replace(",2.4,", ',"2,4",')),
                 r"row 1, output_usd_per_m: must use a dot as the decimal separator, got '2,4'", id="decimal-comma"),
    pytest.param(csv_text(ROW.replace("2026-10-01", "Oct 2026")),
                 r"row 1, as_of: must be a date written YYYY-MM-DD or YYYY-MM, got 'Oct 2026'", id="bad-date"),
    pytest.param(csv_text(ROW.replace("2026-10-01", "2026-02-30")),
                 r"row 1, as_of: is not a real date, got '2026-02-30'", id="impossible-date"),
    pytest.param(csv_text(ROW.replace("2026-10-01", "2027-01")),
                 r"row 1, as_of: is in the future \(2027-01\); give the date the price was read", id="future-date"),
    pytest.param(csv_text(ROW.replace("llama-3.1-8b", "llama-9")),
                 r"row 1, model_id: unknown model 'llama-9'; use one of .*llama-3.1-8b.*, or leave it empty for a "
                 r"proprietary model", id="unknown-model"),
    pytest.param(csv_text(ROW.replace(",0.15,", ",0.9,")),
                 r"row 1, cached_input_usd_per_m: the cached input price cannot exceed the input price",
                 id="cached-above-input"),
    pytest.param(csv_text(ROW.replace("acme-8b", "Acme 8B")),
                 r"row 1, id: may hold only lower-case letters, digits, '\.', '_' and '-', starting with a letter or "
                 r"digit, got 'Acme 8B'", id="bad-id"),
    pytest.param(with_columns("batch_discount", "1.5"),
                 r"row 1, batch_discount: must be a share between 0 and 1 written without a unit \(0\.5: half price\), "
                 r"got '1\.5'", id="batch-discount-over-1"),
    pytest.param(with_columns("sla_pct,sla_source", "99.9%,status page"),
                 r"row 1, sla_pct: must be a plain number in percent, without a currency sign or unit, got '99\.9%'",
                 id="sla-with-percent-sign"),
    pytest.param(with_columns("sla_pct,sla_source", "80,status page"),
                 r"row 1, sla_pct: must be at least 90 percent, got '80'", id="sla-below-90"),
    pytest.param(with_columns("sla_pct", "99.9"), r"row 1, sla_source: an SLA needs an sla_source",
                 id="sla-without-source"),
    pytest.param(with_columns("requests_per_min", "600"),
                 r"row 1, rate_limit_tier: rate limits need the rate_limit_tier they are published at",
                 id="limits-without-tier"),
    pytest.param(with_columns("ttft_ms,latency_source", "300ms,probe"),
                 r"row 1, ttft_ms: must be a plain number in ms, without a currency sign or unit, got '300ms'",
                 id="ttft-with-unit"),
    pytest.param(csv_text(ROW.replace("acme.example/pricing 2026", "")),
                 r"row 1, source: is empty; every row needs one", id="no-source"),
    pytest.param(csv_text(ROW + ",extra"), r"row 1: has 10 cells but the header has 9 columns", id="extra-cell"),
    pytest.param(csv_text(ROW, 'acme-x,"Acme') + "x" * 200_000,
                 r"row 2: cannot be read as CSV \(an unclosed quote", id="unclosed-quote"),
]


@pytest.mark.parametrize(("content", "message"), MALFORMED)
def test_a_malformed_api_list_is_refused_with_a_specific_message(content: str | bytes, message: str) -> None:
    with pytest.raises(PriceListError, match=message) as info:
        parse(content)
    assert str(info.value).startswith("The API price list has ")
    assert "nothing was saved" in str(info.value)
    assert info.value.field_errors["file"]
    assert isinstance(info.value, InputError)


@pytest.fixture(scope="module")
def cli_database(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One SQLite store for the battery through ``planner prices api import``, holding one list named 'base'."""
    url = f"sqlite:///{(tmp_path_factory.mktemp('api-lists') / 'planner.db').as_posix()}"
    api_price_lists.save_api_price_list(store.get_engine(url), name="base", api_list=parse(csv_text(ROW, OTHER)))
    return url


@pytest.mark.parametrize(("content", "message"), MALFORMED)
def test_a_malformed_api_list_stores_nothing(cli_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             content: str | bytes, message: str) -> None:
    # The whole way in, file to database: refused with the message, 'base' and the listing as they were.
    path = tmp_path / "api.csv"
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    monkeypatch.setenv("DATABASE_URL", cli_database)
    engine = store.get_engine(cli_database)
    before = api_price_lists.list_api_price_lists(engine), api_price_lists.load_api_price_list(engine, "base")
    for name, extra in (("new", []), ("base", ["--replace"])):
        result = runner.invoke(cli.app, ["prices", "api", "import", str(path), "--name", name, *extra])
        assert result.exit_code == 1, result.output
        assert result.stderr.startswith(f"{path}: ") and "the API price list is not valid:" in result.stderr
        assert any(re.search(message, line) for line in result.stderr.splitlines()), result.stderr
    assert (api_price_lists.list_api_price_lists(engine), api_price_lists.load_api_price_list(engine, "base")) == before
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(ApiPriceListApiRow)).scalar() == 2


def test_every_bad_row_is_reported_at_once() -> None:
    content = csv_text(ROW.replace(",0.6,", ",abc,"), OTHER,
                       OTHER.replace("acme-gpt", "acme-x").replace(",,2,", ",llama-9,2,"))
    with pytest.raises(PriceListError) as info:
        parse(content)
    assert [p.split(":")[0] for p in info.value.problems] == ["row 1, input_usd_per_m", "row 3, model_id"]
    assert "2 problems" in str(info.value)


def test_the_size_limit_is_the_instance_lists_limit_and_exact() -> None:
    # Rows with long (stripped) padding in their source cell (a cell is at most 128 kB), the last one cut to land on
    # the limit exactly.
    def padded(number: int, spaces: int) -> str:
        return ROW.replace("acme-8b", f"acme-{number:03}").replace("2026,", "2026" + " " * spaces + ",")

    rows = [padded(n, 100_000) for n in range(MAX_PRICE_LIST_BYTES // 100_000)]
    last = MAX_PRICE_LIST_BYTES - len(csv_text(*rows, padded(999, 0)).encode())
    content = csv_text(*rows, padded(999, last))
    assert len(content.encode()) == MAX_PRICE_LIST_BYTES
    assert len(parse(content).apis) == len(rows) + 1
    with pytest.raises(PriceListError, match="the limit is 5 MB"):
        parse(content + "\n")


# Staleness and the table ----------------------------------------------------------------------------


def test_old_api_prices_are_flagged_as_the_instance_lists_flag_them() -> None:
    # 2026-06-01 is 181 days before 2026-11-29 (fresh), 2026-05 counts from May 1st: 212 days (stale).
    parsed = parse(csv_text(ROW.replace("2026-10-01", "2026-06-01"), OTHER.replace("2026-10-01", "2026-05")))
    rows = api_price_rows(parsed.apis, load_presets()["blank"], today=TODAY)
    assert [(r["id"], r["stale"]) for r in rows] == [("acme-8b", False), ("acme-gpt", True)]


def test_the_table_marks_what_the_provider_does_not_publish() -> None:
    published = with_columns("rate_limit_tier,requests_per_min,tokens_per_min,ttft_ms,latency_source,sla_pct,"
                             "sla_source", "Tier 1,600,2000000,350,probe,99.9,status page")
    [row] = api_price_rows(parse(published).apis, load_presets()["blank"], today=TODAY)
    assert (row["rate_limit"], row["ttft_ms"], row["output_tokens_per_s"], row["sla_pct"]) == (
        "600 RPM, 2M TPM (Tier 1)", "350", ASSUMED, "99.9")
    [bare] = api_price_rows(parse(csv_text(OTHER)).apis, load_presets()["blank"], today=TODAY)
    assert (bare["rate_limit"], bare["ttft_ms"], bare["sla_pct"], bare["serves"]) == (
        NOT_PUBLISHED, ASSUMED, ASSUMED, "proprietary")


def test_the_api_cost_of_a_million_output_tokens_includes_their_input() -> None:
    # 1 M output tokens at 300 a request: 3,333.3 requests of 1,000 input tokens (blank preset), none cached.
    assessment = load_presets()["blank"]
    w = assessment.workload
    [row] = api_price_rows(parse(csv_text(ROW)).apis, assessment, today=TODAY)
    by_hand = (1e6 / w.mean_output_tokens) * w.mean_input_tokens / 1e6 * 0.6 + 2.4
    assert row["api_usd_per_m_output"] == pytest.approx(by_hand, rel=1e-12)


# Store ---------------------------------------------------------------------------------------------


@pytest.fixture
def engine(store_url: str) -> Engine:
    """A migrated store on SQLite and on PostgreSQL, holding one saved API list named 'base'."""
    engine = store.get_engine(store_url)
    api_price_lists.save_api_price_list(engine, name="base", api_list=parse(csv_text(ROW, OTHER)))
    return engine


def test_a_saved_list_loads_back_equal_and_lists(engine: Engine) -> None:
    shipped = parse((data_dir() / "api_prices.csv").read_bytes())
    summary = api_price_lists.save_api_price_list(engine, name="Negotiated 2026 ✓", api_list=shipped)
    assert (summary.api_count, summary.oldest_as_of) == (len(shipped.apis), min(a.as_of for a in shipped.apis))
    assert api_price_lists.load_api_price_list(engine, "Negotiated 2026 ✓") == shipped
    listed = {s.name: s for s in api_price_lists.list_api_price_lists(engine)}
    assert list(listed) == ["Negotiated 2026 ✓", "base"]
    assert (listed["base"].api_count, listed["base"].providers, listed["base"].oldest_as_of) == (2, ("Acme",),
                                                                                                  "2026-10-01")
    assert api_price_lists.api_rows_for(engine, "base") == parse(csv_text(ROW, OTHER)).rows()
    assert api_price_lists.api_rows_for(engine, None) == load_api_prices()
    assert api_price_lists.api_prices_for(engine, None) is None


def test_a_taken_name_is_refused_unless_replacing(engine: Engine) -> None:
    other = parse(csv_text(OTHER))
    with pytest.raises(InputError, match="An API price list named 'base' already exists") as info:
        api_price_lists.save_api_price_list(engine, name=" base ", api_list=other)
    assert set(info.value.field_errors) == {"name"}
    assert len(api_price_lists.load_api_price_list(engine, "base").apis) == 2
    api_price_lists.save_api_price_list(engine, name="base", api_list=other, replace=True)
    assert api_price_lists.load_api_price_list(engine, "base") == other


@pytest.mark.parametrize(("name", "message"), [
    ("", "Give the API price list a name"), ("x" * 121, "121 characters long; at most 120"),
    ("two\nlines", "line breaks"),
])
def test_bad_names_are_refused_at_the_name_field(engine: Engine, name: str, message: str) -> None:
    with pytest.raises(InputError, match=message) as info:
        api_price_lists.save_api_price_list(engine, name=name, api_list=parse(csv_text(OTHER)))
    assert "name" in info.value.field_errors
    assert [s.name for s in api_price_lists.list_api_price_lists(engine)] == ["base"]


def test_delete_removes_the_list_and_its_rows_and_unknown_names_are_errors(engine: Engine) -> None:
    api_price_lists.delete_api_price_list(engine, "base")
    assert api_price_lists.list_api_price_lists(engine) == []
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(ApiPriceListApiRow)).scalar() == 0
        assert conn.execute(select(func.count()).select_from(ApiPriceListRow)).scalar() == 0
    for call in (api_price_lists.load_api_price_list, api_price_lists.delete_api_price_list,
                 api_price_lists.api_rows_for):
        with pytest.raises(InputError, match="no saved API price list named 'base'") as info:
            call(engine, "base")
        assert set(info.value.field_errors) == {"sourcing.api_price_list"}


def test_instance_and_api_lists_have_their_own_names(engine: Engine) -> None:
    instance_list = price_lists.parse_price_list((data_dir() / "instances.csv").read_bytes(), today=TODAY)
    price_lists.save_price_list(engine, name="base", price_list=instance_list)
    assert [s.name for s in price_lists.list_price_lists(engine)] == ["base"]
    assert len(api_price_lists.load_api_price_list(engine, "base").apis) == 2


# Evaluation and admission -------------------------------------------------------------------------------


def _api_assessment(api: str = "acme-8b", api_list: str | None = "base", project: str = "Demo") -> Assessment:
    data = load_presets()["content_startup"].model_dump(mode="json")
    data.update(project=project, sourcing={"mode": "api", "api": api, "api_price_list": api_list})
    return Assessment.model_validate(data)


def _token_bill(estimates: Mapping[Architecture, ArchitectureEstimate]) -> dict[Architecture, float]:
    """The API token bill of each architecture, USD a month (its cost lines of category API)."""
    return {a: sum(line.monthly_usd for line in e.cost_lines if line.category == API_CATEGORY)
            for a, e in estimates.items()}


def test_upload_save_evaluate_and_export_round_trip(engine: Engine) -> None:
    upload = api_prices_csv(parse(csv_text(ROW, OTHER)).apis)  # the file a user uploads, in canonical CSV
    api_price_lists.save_api_price_list(engine, name="mine", api_list=parse(upload))
    dearer = upload.replace(",0.6,0.15,2.4,", ",1.2,0.3,4.8,")
    api_price_lists.save_api_price_list(engine, name="dearer", api_list=parse(dearer))
    assessment = _api_assessment(api_list="mine")
    pricing = history.todays_pricing(engine, assessment)  # what `planner assess` and a re-evaluation price with
    assert pricing.apis == parse(upload).rows()
    mine = evaluate(assessment, instances=pricing.instances, gpus=pricing.gpus, api_prices=pricing.apis)
    doubled = evaluate(_api_assessment(api_list="dearer"),
                       api_prices=history.todays_pricing(engine, _api_assessment(api_list="dearer")).apis)
    assert mine.sourcing is Sourcing.API
    assert all(e.inference_text.startswith("through Acme ") for e in mine.estimates.values())
    # Every token price doubled (no cached or batch share): the token bill doubles, nothing else moves.
    bill, bill_doubled = _token_bill(mine.estimates), _token_bill(doubled.estimates)
    for architecture, estimate in mine.estimates.items():
        assert bill[architecture] > 0
        assert bill_doubled[architecture] == pytest.approx(2 * bill[architecture], rel=1e-12)
        assert doubled.estimate(architecture).cost.cpu_usd == pytest.approx(estimate.cost.cpu_usd, rel=1e-12)
    assert api_prices_csv(api_price_lists.load_api_price_list(engine, "mine").apis) == upload


def test_a_saved_assessment_is_re_evaluated_with_its_api_list(engine: Engine) -> None:
    assessment = _api_assessment()
    evaluation = evaluate(assessment, api_prices=api_price_lists.api_prices_for(engine, "base"))
    saved = history.save_evaluated(engine, assessment, recommend(assessment, evaluation), evaluation)
    again = history.reevaluate(store.load_assessment(engine, assessment_id=saved), engine=engine)
    assert _token_bill(again.evaluation.estimates) == pytest.approx(_token_bill(evaluation.estimates))


@pytest.mark.parametrize(("api", "api_list", "field", "message"), [
    ("not-there", "base", "sourcing.api", "The managed API 'not-there' is not in the saved API price list 'base'"),
    ("acme-8b", "nope", "sourcing.api_price_list", "There is no saved API price list named 'nope'"),
    ("acme-8b", None, "sourcing.api", "The managed API 'acme-8b' is not in data/api_prices.csv"),
    ("bedrock-llama-3.1-8b", "base", "sourcing.api", "'bedrock-llama-3.1-8b' is not in the saved API price list"),
])
def test_admission_refuses_an_api_its_list_does_not_hold(engine: Engine, api: str, api_list: str | None,
                                                         field: str, message: str) -> None:
    assessment = _api_assessment(api=api, api_list=api_list)
    with pytest.raises(InputError, match=message) as info:
        store.save_assessment(engine, assessment=assessment, results=RESULTS, recommended="hybrid", app_version="t")
    assert set(info.value.field_errors) == {field}
    export = store.ProjectExport.model_validate({
        "format": store.EXPORT_FORMAT, "version": store.EXPORT_VERSION, "exported_at": "2026-11-01T00:00:00Z",
        "app_version": "t", "project": "Imported",
        "assessments": [{"label": "", "created_at": "2026-11-01T00:00:00Z", "app_version": "t",
                         "recommended": "hybrid", "inputs": assessment.model_dump(mode="json"), "results": RESULTS}]})
    with pytest.raises(InputError, match=message) as imported:
        store.import_project(engine, export)
    assert set(imported.value.field_errors) == {f"assessments.0.inputs.{field}"}
    assert store.list_projects(engine) == []


@pytest.mark.parametrize(("api", "api_list"), [("acme-8b", "base"), ("bedrock-llama-3.1-8b", None)])
def test_admission_accepts_an_api_of_its_list(engine: Engine, api: str, api_list: str | None) -> None:
    saved = store.save_assessment(engine, assessment=_api_assessment(api=api, api_list=api_list), results=RESULTS,
                                  recommended="hybrid", app_version="t")
    assert store.load_assessment(engine, assessment_id=saved).assessment.sourcing.api == api
