"""App tests of the Prices page and of choosing a price list on the Results page.

Driven through the router with AppTest: browse and filter the catalog, cost per token, upload a bad
file and read its per-row problems, upload a good one and save it, browse and delete it, and make an
assessment use it. Each test has its own SQLite database (the ``app`` fixture).
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from planner import store
from planner.inputs.catalog import load_instances
from planner.inputs.files import load_presets
from planner.inputs.models import InstancePrice
from planner.store import price_lists
from planner.store.price_lists import instances_csv
from tests.conftest import open_sections, tables_shown
from ui import pricing_view

PRICES, RESULTS = "pages/pricing.py", "pages/results.py"
TODAY = date(2026, 11, 29)
HEADER = "provider,instance,region,gpu,gpu_count,vcpus,on_demand_usd_h,spot_usd_h,committed_usd_h,source,as_of"
GOOD = "\n".join([HEADER, "aws,p5.48xlarge,us-east-1,H100-SXM,8,192,40,,,negotiated rate card,2026-10",
                  "aws,g6.xlarge,us-east-1,L4,1,4,0.70,,,negotiated rate card,2026-10"]) + "\n"


@pytest.fixture
def prices(app: AppTest, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    """The Prices page on a fixed 'today', so which prices are stale does not depend on the calendar."""
    monkeypatch.setattr(pricing_view, "today", lambda: TODAY)
    app.switch_page(PRICES).run()
    assert not app.exception, app.exception
    return app


def ok(at: AppTest) -> AppTest:
    assert not at.exception, at.exception
    return at


def upload(at: AppTest, content: bytes, key: str = "p.upload", name: str = "prices.csv") -> AppTest:
    return ok(at.file_uploader(key=key).set_value((name, content, "text/csv")).run())


def frame_with(at: AppTest, column: str) -> pd.DataFrame:
    """The first dataframe on the page that has this column."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def table_rows(at: AppTest) -> list[dict]:
    return frame_with(at, "usd_per_gpu_h").to_dict("records")


def errors(at: AppTest) -> str:
    return "\n".join(e.value for e in at.error)


def gpu_warnings(at: AppTest) -> list[str]:
    """The warnings of the GPU price tabs (the Managed APIs tab warns of its own stale prices)."""
    return [w.value for w in at.warning if " API " not in w.value]


def saved_names(at: AppTest) -> list[str]:
    return [s.name for s in price_lists.list_price_lists(store.get_engine())]


def test_the_catalog_is_browsed_with_per_gpu_prices_and_a_staleness_warning(prices: AppTest) -> None:
    rows = table_rows(prices)
    assert len(rows) == len(load_instances())
    p5 = next(r for r in rows if r["instance"] == "p5.48xlarge")
    assert p5["usd_per_gpu_h"] == pytest.approx(55.04 / 8)
    # The GCP rows dated 2025-03-06 are the only ones over six months old on 2026-11-29.
    stale = [r for r in load_instances() if r.as_of < "2026-05-29"]
    assert {r.provider for r in stale} == {"gcp"}
    [warning] = gpu_warnings(prices)
    assert f"{len(stale)} of {len(rows)} prices are more than six months old (gcp" in warning
    assert sum("(over 6 months)" in r["as_of"] for r in rows) == len(stale)
    assert len(prices.get("vega_lite_chart")) == 2  # $/GPU-hour and cost per token


def test_filters_narrow_the_table(prices: AppTest) -> None:
    ok(prices.multiselect(key="p.providers").set_value(["lambda"]).run())
    assert {r["provider"] for r in table_rows(prices)} == {"lambda"}
    ok(prices.multiselect(key="p.gpus").set_value(["B200"]).run())
    assert [r["instance"] for r in table_rows(prices)] == ["gpu_8x_b200_sxm6"]
    ok(prices.multiselect(key="p.gpus").set_value(["L4"]).run())
    assert "No instance matches the filters" in prices.info[0].value


def test_spot_prices_per_gpu_hour_leave_instances_without_one_empty(prices: AppTest) -> None:
    ok(prices.radio(key="p.option").set_value("spot").run())
    rows = {r["instance"]: r for r in table_rows(prices)}
    assert rows["a3-highgpu-8g"]["usd_per_gpu_h"] == pytest.approx(35.4 / 8)
    assert rows["p5.48xlarge"]["usd_per_gpu_h"] != rows["p5.48xlarge"]["usd_per_gpu_h"]  # NaN: no spot price


def test_cost_per_token_names_the_cheapest_gpu_and_follows_the_inputs(prices: AppTest) -> None:
    table = frame_with(prices, "$ per M output tokens")
    cheapest = table.iloc[0]
    assert f"**{cheapest['GPU']}** on {cheapest['Provider']} {cheapest['Instance']}" in prices.success[0].value
    assert list(table["$ per M output tokens"]) == sorted(table["$ per M output tokens"])
    ok(prices.selectbox(key="p.tc.model").set_value("llama-3.3-70b").run())
    bigger = frame_with(prices, "$ per M output tokens")
    assert bigger["$ per M output tokens"].min() > table["$ per M output tokens"].min()
    ok(prices.number_input(key="p.tc.e2e").set_value(1000.0).run())  # below the 1500 ms TTFT target
    assert "cannot be below p95 time to first token" in errors(prices)


def test_a_malformed_upload_lists_its_problems_and_saves_nothing(prices: AppTest) -> None:
    bad = GOOD.replace(",40,", ",-40,").replace(",0.70,", ",abc,")
    upload(prices, bad.encode())
    text = errors(prices)
    assert "2 problem(s)" in text
    assert "row 1, on_demand_usd_h: must be a positive number (USD per hour), got '-40'" in text
    assert "row 2, on_demand_usd_h: must be a positive number (USD per hour), got 'abc'" in text
    assert prices.button(key="p.save").disabled
    assert saved_names(prices) == []


@pytest.mark.parametrize(("content", "message"), [
    (GOOD.replace("2026-10", "2026-10 é").encode("latin-1"), "not UTF-8 text"),
    (GOOD.replace("on_demand_usd_h,", ""), "missing column(s) on_demand_usd_h"),
    (GOOD + GOOD.splitlines()[1] + "\n", "row 3: duplicate of row 1 (aws, p5.48xlarge, us-east-1)"),
    (GOOD.replace("H100-SXM", "H999"), "row 1, gpu: unknown GPU type 'H999'"),
])
def test_other_bad_files_are_named(prices: AppTest, content: str | bytes, message: str) -> None:
    upload(prices, content if isinstance(content, bytes) else content.encode())
    assert message in errors(prices)
    assert prices.button(key="p.save").disabled


def test_an_unknown_gpu_with_a_spec_file_is_accepted(prices: AppTest) -> None:
    upload(prices, GOOD.replace("H100-SXM", "X1").encode())
    assert "unknown GPU type 'X1'" in errors(prices)
    spec = "gpu,memory_gb,bandwidth_tb_s,bf16_tflops,fp8_tflops,source,as_of\nX1,96,4,1000,2000,vendor sheet,2026-09\n"
    upload(prices, spec.encode(), key="p.upload_gpus", name="gpus.csv")
    assert not prices.error
    assert "Valid: 2 instance row(s) and 1 GPU spec row(s)." in [s.value for s in prices.success]


def test_a_valid_upload_is_saved_browsed_and_deleted(prices: AppTest) -> None:
    upload(prices, GOOD.encode())
    assert "Valid: 2 instance row(s)." in [s.value for s in prices.success]
    ok(prices.text_input(key="p.name").set_value("Negotiated 2026").run())
    ok(prices.button(key="p.save").click().run())
    assert any("Saved price list “Negotiated 2026” (2 rows; adds to the built-in prices)" in s.value
               for s in prices.success)
    assert saved_names(prices) == ["Negotiated 2026"]

    ok(prices.button(key="p.save").click().run())  # the same name again
    assert "already exists" in errors(prices)
    ok(prices.checkbox(key="p.replace").check().run())
    ok(prices.button(key="p.save").click().run())  # replacing asks first (tests/test_app_confirmations.py)
    ok(prices.button(key="p.save_confirm").click().run())
    assert not prices.error

    ok(prices.selectbox(key="p.source").set_value("Negotiated 2026").run())
    assert [(r["instance"], r["on_demand_usd_h"]) for r in table_rows(prices)] == [("p5.48xlarge", 40.0),
                                                                                   ("g6.xlarge", 0.7)]
    assert not gpu_warnings(prices)  # dated 2026-10: fresh
    ok(prices.selectbox(key="p.delete_name").set_value("Negotiated 2026").run())
    ok(prices.button(key="p.delete").click().run())
    ok(prices.button(key="p.delete_confirm").click().run())
    assert saved_names(prices) == []
    assert prices.selectbox(key="p.source").value is None
    assert len(table_rows(prices)) == len(load_instances())


def test_an_empty_name_is_refused_at_save(prices: AppTest) -> None:
    upload(prices, GOOD.encode())
    ok(prices.button(key="p.save").click().run())
    assert "Give the price list a name" in errors(prices)
    assert saved_names(prices) == []


def test_the_editor_starts_from_the_list_and_round_trips_through_validation(prices: AppTest) -> None:
    ok(prices.radio(key="p.mode").set_value(pricing_view.EDIT).run())
    assert "Valid: 35 instance row(s)." in [s.value for s in prices.success]
    source = pricing_view.Source(None, load_instances(), {})
    text = pricing_view._frame_csv(pricing_view._editor_frame(source), price_lists.INSTANCE_COLUMNS)
    assert price_lists.parse_price_list(text, today=TODAY).instances == load_instances()


def _halved() -> list[InstancePrice]:
    return [i.model_copy(update={"on_demand_usd_h": i.on_demand_usd_h / 2, "spot_usd_h": None,
                                 "committed_usd_h": None}) for i in load_instances()]


def test_an_assessment_uses_the_price_list_chosen_on_results(app: AppTest) -> None:
    engine = store.get_engine()
    parsed = price_lists.parse_price_list(instances_csv(_halved()), today=TODAY)
    price_lists.save_price_list(engine, name="half", price_list=parsed)
    ok(app.switch_page("pages/assess.py").run())
    app.selectbox(key="a.preset").select("content_startup").run()
    ok(app.button(key="a.load_preset").click().run())
    ok(app.button(key="a.submit").click().run())
    ok(app.switch_page(RESULTS).run())
    before = tables_shown(app)[0].set_index("Architecture")["Monthly cost"].to_dict()
    ok(open_sections(app))
    app.selectbox(key="whatif.price_list").set_value("half")  # inside the what-if form: sent on submit
    ok(app.button(key="FormSubmitter:whatif.form-Re-evaluate").click().run())
    assert any("the saved price list “half”" in c.value for c in app.caption)
    after = tables_shown(app)[0].set_index("Architecture")["Monthly cost"].to_dict()
    assert after != before
    assert app.session_state["whatif.changes"]["price_list"] == "half"
    assert load_presets()["content_startup"].price_list is None


def shown(at: AppTest, column: str, *, without: str = "") -> tuple[pd.DataFrame, str]:
    """The rows of the first dataframe with this column (and not ``without``) and its text for a missing value."""
    element = next(d for d in at.dataframe if column in d.value.columns and without not in d.value.columns)
    return element.value, element.proto.placeholder


def test_missing_prices_show_a_dash_and_every_source_can_be_read_in_full(prices: AppTest) -> None:
    frame, placeholder = shown(prices, "usd_per_gpu_h")
    assert placeholder == pricing_view.MISSING == "—"
    assert frame["spot_usd_h"].isna().any()  # rows without a spot price: shown as the dash, not "None"
    longest = max((r.source for r in load_instances()), key=len)
    assert len(longest) > 300  # far wider than the table's Source column
    [sources] = [e for e in prices.expander if e.label.startswith("Sources in full")]
    text = "\n".join(m.value for m in sources.markdown)
    assert "runpod" in text and longest.split(";")[-1].strip()[-40:] in text.replace("\u2060", "")
    _, spot_placeholder = shown(ok(prices.radio(key="p.option").set_value("spot").run()), "usd_per_gpu_h")
    assert spot_placeholder == "—"


def _catalog_keys() -> set[tuple[str, str, str]]:
    return {(i.provider, i.instance, i.region) for i in load_instances()}


def test_a_saved_list_adds_to_the_built_in_prices_by_default(prices: AppTest) -> None:
    upload(prices, GOOD.encode())
    assert prices.radio(key="p.catalog_mode").value == price_lists.ADD_TO_CATALOG
    preview, placeholder = shown(prices, "on_demand_usd_h", without="usd_per_gpu_h")
    assert list(preview["instance"]) == ["p5.48xlarge", "g6.xlarge"]
    assert placeholder == "—" and preview["spot_usd_h"].isna().all()
    own = {("aws", "p5.48xlarge", "us-east-1"), ("aws", "g6.xlarge", "us-east-1")}
    overlay = len(_catalog_keys() | own)  # the list's rows replace the catalog's same rows, the rest stay
    assert f"Add to the built-in prices: an assessment that uses this list chooses from {overlay} instance(s)." in [
        c.value.split("saved. ", 1)[-1] for c in prices.caption]
    ok(prices.text_input(key="p.name").set_value("Negotiated 2026").run())
    ok(prices.button(key="p.save").click().run())
    saved = price_lists.load_price_list(store.get_engine(), "Negotiated 2026")
    assert saved.catalog_mode == price_lists.ADD_TO_CATALOG
    assert len(saved.evaluation_instances()) == overlay > 2
    assert frame_with(prices, "Catalog").set_index("Name")["Catalog"].to_dict() == {
        "Negotiated 2026": "Adds to the built-in prices"}


def test_a_saved_list_replaces_the_built_in_prices_when_chosen(prices: AppTest) -> None:
    upload(prices, GOOD.encode())
    ok(prices.radio(key="p.catalog_mode").set_value(price_lists.REPLACE_CATALOG).run())
    assert any("Replace the built-in prices: an assessment that uses this list chooses from 2 instance(s)."
               in c.value for c in prices.caption)
    ok(prices.text_input(key="p.name").set_value("Only mine").run())
    ok(prices.button(key="p.save").click().run())
    assert any("replaces the built-in prices" in s.value for s in prices.success)
    saved = price_lists.load_price_list(store.get_engine(), "Only mine")
    assert saved.catalog_mode == price_lists.REPLACE_CATALOG
    assert len(saved.evaluation_instances()) == 2
    assert frame_with(prices, "Catalog")["Catalog"].tolist() == ["Replaces the built-in prices"]
