"""App tests of managed-API prices: the Prices page's Managed APIs tab (the API tables beside the self-hosted cost
of the same model, upload, save, browse and delete of API price lists) and choosing a saved API list on Assess.

Driven through the router with AppTest; each test has its own SQLite database (the ``app`` fixture).
"""

from __future__ import annotations

import re

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from planner import store
from planner.inputs.api_catalog import load_api_prices
from planner.inputs.api_price_files import parse_api_price_list
from planner.store import api_price_lists
from tests.test_api_price_lists import OTHER, ROW, TODAY, csv_text
from ui import pricing_view, sourcing_form
from ui.text import JOINER

PRICES = "pages/pricing.py"
GOOD = csv_text(ROW, OTHER)


@pytest.fixture
def prices(app: AppTest, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    """The Prices page on a fixed 'today', so which prices are stale does not depend on the calendar."""
    monkeypatch.setattr(pricing_view, "today", lambda: TODAY)
    monkeypatch.setattr("ui.api_pricing_view.today", lambda: TODAY)
    return ok(app.switch_page(PRICES).run())


def ok(at: AppTest) -> AppTest:
    assert not at.exception, at.exception
    return at


SHOWS = {  # a data frame of the page, by a column only it shows (AppTest does not expose a data frame's key)
    "p.api.table": "input_usd_per_m", "p.api.compare": "self_hosted_usd_per_m_output", "p.api.terms": "sla_pct",
}


def frame(at: AppTest, key: str) -> pd.DataFrame:
    """The rows of a data frame of the page, as the page passed them (every column, shown or not)."""
    if key in SHOWS:
        [element] = [d for d in at.dataframe if SHOWS[key] in d.proto.column_order]
    else:  # the cost-per-token table and the saved lists show every column they have
        column = {"p.tc.table": "$ per M output tokens", "p.api.saved": "APIs"}[key]
        [element] = [d for d in at.dataframe if column in d.value.columns]
    return element.value


def upload(at: AppTest, content: bytes) -> AppTest:
    return ok(at.file_uploader(key="p.api.upload").set_value(("api.csv", content, "text/csv")).run())


def plain(markdown: str) -> str:
    """Markdown of ``ui.text.literal`` as a reader sees it: without its joiners and backslashes."""
    return re.sub(r"\\(.)", r"\1", markdown.replace(JOINER, ""))


def errors(at: AppTest) -> str:
    return plain("\n".join(e.value for e in at.error))


def saved_names() -> list[str]:
    return [s.name for s in api_price_lists.list_api_price_lists(store.get_engine())]


def test_the_api_table_shows_every_shipped_api_with_its_terms(prices: AppTest) -> None:
    table = frame(prices, "p.api.table").set_index("id")
    assert set(table.index) == set(load_api_prices())
    bedrock = table.loc["bedrock-llama-3.1-8b"]
    assert (bedrock["provider"], bedrock["serves"], bedrock["input_usd_per_m"], bedrock["output_usd_per_m"]) == (
        "AWS Bedrock", "Llama 3.1 8B Instruct", 0.22, 0.22)
    assert table.loc["openai-gpt-4.1", "serves"] == "proprietary"
    # What a provider does not publish reads "assumption", never blank; a missing rate limit says so.
    assert (bedrock["ttft_ms"], bedrock["output_tokens_per_s"], bedrock["sla_pct"], bedrock["rate_limit"]) == (
        "assumption", "assumption", "99.9", "not published")
    stale = [a for a in load_api_prices().values() if a.as_of < "2026-05-29"]
    assert any(f"{len(stale)} of {len(table)} API prices are more than six months old" in w.value
               for w in prices.warning)
    assert (table["as_of"].str.endswith("(over 6 months)")).sum() == len(stale)


def test_the_self_hosted_cost_beside_each_api_is_the_cost_per_token_tabs(prices: AppTest) -> None:
    # The Cost per million tokens tab on Llama 3.1 8B names its cheapest instance's $/M output tokens; the Managed
    # APIs tab shows that figure beside every API serving Llama 3.1 8B, and none beside a proprietary model.
    ok(prices.selectbox(key="p.tc.model").set_value("llama-3.1-8b").run())
    cheapest = frame(prices, "p.tc.table")["$ per M output tokens"].min()
    table = frame(prices, "p.api.compare").set_index("id")
    for api_id in ("bedrock-llama-3.1-8b", "deepinfra-llama-3.1-8b"):
        assert table.loc[api_id, "self_hosted_usd_per_m_output"] == pytest.approx(cheapest, rel=1e-12)
    assert table.loc["openai-gpt-4.1", "self_hosted_usd_per_m_output"] != table.loc[
        "openai-gpt-4.1", "self_hosted_usd_per_m_output"]  # NaN: nothing to self-host
    # Through the API, with the tab's tokens: the requests of a million output tokens pay their input too.
    tokens_in, tokens_out = prices.number_input(key="p.tc.in").value, prices.number_input(key="p.tc.out").value
    by_hand = 0.22 * tokens_in / tokens_out + 0.22
    assert table.loc["bedrock-llama-3.1-8b", "api_usd_per_m_output"] == pytest.approx(by_hand, rel=1e-12)
    ok(prices.number_input(key="p.tc.out").set_value(tokens_out * 2).run())  # longer answers: less input per token
    halved = frame(prices, "p.api.compare").set_index("id").loc["bedrock-llama-3.1-8b", "api_usd_per_m_output"]
    assert halved == pytest.approx(0.22 * tokens_in / (tokens_out * 2) + 0.22, rel=1e-12)


@pytest.mark.parametrize(("content", "message"), [
    (GOOD.replace(",0.6,", ",$0.6,").encode(), "row 1, input_usd_per_m: must be a plain number in USD per million "
                                               "tokens, without a currency sign or unit, got '$0.6'"),
    (GOOD.replace(",2.4,", ",-2.4,").encode(), "row 1, output_usd_per_m: must be a positive number"),
    (GOOD.replace("Acme", "Acmé").encode("latin-1"), "the file is not UTF-8 text"),
    (GOOD.replace("output_usd_per_m,", ""), "missing column(s) output_usd_per_m"),
    (GOOD + ROW + "\n", "row 3: duplicate of row 1 (acme-8b)"),
    (GOOD.replace("llama-3.1-8b", "llama-9"), "row 1, model_id: unknown model 'llama-9'"),
    (GOOD.replace(",0.15,", ",0.9,"), "row 1, cached_input_usd_per_m: the cached input price cannot exceed"),
])
def test_a_bad_upload_is_named_row_by_row_and_saves_nothing(prices: AppTest, content: str | bytes,
                                                             message: str) -> None:
    upload(prices, content if isinstance(content, bytes) else content.encode())
    assert message in errors(prices)
    assert prices.button(key="p.api.save").disabled
    ok(prices.text_input(key="p.api.name").set_value("bad").run())
    assert prices.button(key="p.api.save").disabled
    assert saved_names() == []


def test_a_valid_upload_is_saved_browsed_and_deleted(prices: AppTest) -> None:
    upload(prices, GOOD.encode())
    assert "Valid: 2 API row(s)." in [s.value for s in prices.success]
    ok(prices.button(key="p.api.save").click().run())
    assert "Give the API price list a name" in errors(prices)
    ok(prices.text_input(key="p.api.name").set_value("Negotiated 2026").run())
    ok(prices.button(key="p.api.save").click().run())
    assert any("Saved API price list “Negotiated 2026” (2 rows)" in plain(s.value)
               for s in prices.success)
    assert saved_names() == ["Negotiated 2026"]
    saved = api_price_lists.load_api_price_list(store.get_engine(), "Negotiated 2026")
    assert saved == parse_api_price_list(GOOD, today=TODAY)

    ok(prices.button(key="p.api.save").click().run())  # the same name again
    assert "already exists" in errors(prices)
    ok(prices.checkbox(key="p.api.replace").check().run())
    ok(prices.button(key="p.api.save").click().run())  # replacing asks first (tests/test_app_confirmations.py)
    ok(prices.button(key="p.api.save_confirm").click().run())
    assert not prices.error

    ok(prices.selectbox(key="p.api.source").set_value("Negotiated 2026").run())
    table = frame(prices, "p.api.compare").set_index("id")
    assert list(table.index) == ["acme-8b", "acme-gpt"]
    assert table.loc["acme-8b", "model_served"] == "Llama 3.1 8B Instruct"
    assert table.loc["acme-gpt", "model_served"] == "Acme GPT (proprietary)"
    assert frame(prices, "p.api.saved")["Name"].tolist() == ["Negotiated 2026"]

    ok(prices.selectbox(key="p.api.delete_name").set_value("Negotiated 2026").run())
    ok(prices.button(key="p.api.delete").click().run())
    ok(prices.button(key="p.api.delete_confirm").click().run())
    assert saved_names() == []
    assert prices.selectbox(key="p.api.source").value is None
    assert len(frame(prices, "p.api.table")) == len(load_api_prices())


def test_assess_offers_the_apis_of_the_chosen_api_list_and_results_use_it(app: AppTest) -> None:
    api_price_lists.save_api_price_list(store.get_engine(), name="mine", api_list=parse_api_price_list(GOOD))
    app.selectbox(key="a.preset").select("content_startup").run()
    ok(app.button(key="a.load_preset").click().run())
    lists = app.selectbox(key="s.api_price_list")
    assert (lists.index, lists.options) == (0, [sourcing_form.SHIPPED_LABEL, "mine (saved API price list)"])
    shipped = app.selectbox(key="s.api").options
    assert len(shipped) == len(load_api_prices()) + 1  # and "None"
    ok(app.selectbox(key="s.api_price_list").set_value("mine").run())
    # The preset's Bedrock API is not in "mine": kept, marked, and said plainly; the list's two APIs are offered.
    options = app.selectbox(key="s.api").options
    assert options[0] == "None" and len(options) == 4
    assert options[1].startswith("Acme Llama 3.1 8B")
    assert options[1].endswith("($0.6 in / $2.4 out per 1M tokens)")
    assert options[3] == "bedrock-llama-3.1-8b (not in this list)"
    assert any("“bedrock-llama-3.1-8b” is not in the saved API price list “mine”" in plain(w.value)
               for w in app.warning)
    ok(app.selectbox(key="s.api").set_value("acme-8b").run())
    ok(app.radio(key="s.mode").set_value("api").run())
    sourcing = app.session_state["answers"]["sourcing"]
    assert (sourcing["api"], sourcing["api_price_list"], sourcing["mode"]) == ("acme-8b", "mine", "api")
    ok(app.button(key="a.submit").click().run())
    ok(app.switch_page("pages/results.py").run())
    assert not app.error, [e.value for e in app.error]
    shown = " ".join(str(e.value) for kind in ("markdown", "caption", "html", "dataframe", "metric")
                     for e in app.get(kind))
    assert "Acme" in shown
