"""AppTests of shareable links (ui/links.py): each link reproduces its view in a new session, the address bar
follows what the user picks, and a bad value in a link is explained in plain words at the top of the page, which
falls back to its defaults instead of failing."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

import pytest
from streamlit.testing.v1 import AppTest

from planner import store
from planner.estimate.calculator import serving_point
from planner.estimate.serving_constants import ServingConstants
from planner.inputs.api_price_files import parse_api_price_list
from planner.inputs.catalog import load_instances
from planner.inputs.models import KvPrecision, Precision
from planner.present.calculator import point_value
from planner.store import api_price_lists, price_lists
from tests.test_api_price_lists import OTHER, ROW, TODAY, csv_text
from tests.test_app_history import blank, seed, start, texts
from tests.test_app_pricing import GOOD
from ui import links

HISTORY, SAVED_RESULT, PRICES, SERVING = "pages/history.py", "pages/saved_result.py", "pages/pricing.py", \
    "pages/serving.py"
BROKEN = "This link could not be followed in full."
THROUGHPUT = "Output tokens/s (all replicas)"


def follow(temp_database: str, page: str, **params: str) -> AppTest:
    """A new session that opens ``page`` with these query parameters, as a browser opening the link does."""
    at = start(temp_database)
    for name, value in params.items():
        at.query_params[name] = value
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def ok(at: AppTest) -> AppTest:
    assert not at.exception, at.exception
    return at


def link_warnings(at: AppTest) -> list[str]:
    return [w.value for w in at.warning if w.value.startswith(BROKEN)]


def shown_links(at: AppTest) -> list[str]:
    """The links of the page's "Copy link" buttons (st.code inside each popover)."""
    return [c.value for c in at.code]


def address(at: AppTest) -> dict[str, str]:
    """The query parameters in the address bar after the run (single values)."""
    return {k: v if isinstance(v, str) else v[-1] for k, v in at.query_params.items()}


def save_price_list(url: str, name: str) -> None:
    price_lists.save_price_list(store.get_engine(url), name=name,
                                price_list=price_lists.parse_price_list(GOOD, None, today=TODAY))


def save_api_list(url: str, name: str) -> None:
    api_price_lists.save_api_price_list(store.get_engine(url), name=name,
                                        api_list=parse_api_price_list(csv_text(ROW, OTHER), today=TODAY))


# Building and reading a link ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("params", "expected"), [
    ({"project": "Bot"}, "history?project=Bot"),
    ({"project": "Chat bot *v2* & co", "a": 1, "b": 12}, "history?project=Chat%20bot%20%2Av2%2A%20%26%20co&a=1&b=12"),
    ({"list": None}, "history"),
])
def test_a_link_path_quotes_every_value_and_reads_back_as_given(params: dict, expected: str) -> None:
    path = links.path("history", params)
    assert path == expected
    query = path.partition("?")[2]
    assert dict(parse_qsl(query)) == {k: str(v) for k, v in params.items() if v is not None}


@pytest.mark.parametrize(("read", "message"), [
    (lambda: links.choice("Nope", ["Bot"], what="project", gone=""), "names the project “Nope”, which is not here"),
    (lambda: links.choice("x" * 500, ["Bot"], what="project", gone=""), "is 500 characters long; none is longer"),
    (lambda: links.choice("fp9", ["bf16", "fp8"], what="precision"), "“fp9” is not one the planner knows (bf16, fp8)"),
    (lambda: links.whole("abc", 1, 1024, what="number of GPUs"), "“abc” is not a whole number from 1 to 1,024"),
    (lambda: links.whole("2000", 1, 1024, what="number of GPUs"), "“2000” is not a whole number from 1 to 1,024"),
    (lambda: links.whole("-1", 1, 1024, what="number of GPUs"), "is not a whole number"),
    (lambda: links.number("nan", 0.0, 1.0, what="rate"), "“nan” is not a number from 0 to 1"),
    (lambda: links.number("1.5", 0.0, 1.0, what="rate"), "“1\\.5” is not a number from 0 to 1"),  # Markdown
    (lambda: links.ident("0", what="assessment"), "“0” is not an id"),
    (lambda: links.ident("12; drop", what="assessment"), "is not an id"),
], ids=["unknown", "too-long", "not-in-vocabulary", "not-a-number", "too-large", "negative", "nan", "above-range",
        "zero-id", "id-with-text"])
def test_a_bad_value_is_refused_in_plain_words(read, message: str) -> None:
    with pytest.raises(links.LinkError, match=re.escape(message)):
        read()


def test_a_long_value_is_quoted_shortened_and_literally() -> None:
    quoted = links.quoted("![x](http://host/p.png)" + "y" * 100)
    assert quoted.startswith("“!\\[x\\](http\u2060:") and quoted.endswith("…”") and len(quoted) < 100


# History: a project, and a comparison ---------------------------------------------------------------------------


def test_a_project_link_opens_its_history(temp_database: str) -> None:
    seed(temp_database, blank("Alpha"))
    seed(temp_database, blank("Chat bot *v2*"))
    at = follow(temp_database, HISTORY, project="Chat bot *v2*")
    assert at.selectbox(key="history.project").value == "Chat bot *v2*"
    assert not link_warnings(at)
    assert "history?project=Chat%20bot%20%2Av2%2A" in shown_links(at)
    assert address(at) == {"project": "Chat bot *v2*"}  # one assessment: no comparison in the address


def test_a_comparison_link_opens_those_two_assessments(temp_database: str) -> None:
    first, second, third = (seed(temp_database, blank("Bot").model_copy(update={"label": label}))
                            for label in ("one", "two", "three"))
    at = follow(temp_database, HISTORY, project="Bot", a=str(first), b=str(third))
    assert (at.selectbox(key="h.old").value, at.selectbox(key="h.new").value) == (first, third)
    assert f"history?project=Bot&a={first}&b={third}" in shown_links(at)
    assert "history?project=Bot" in shown_links(at)
    assert address(at) == {"project": "Bot", "a": str(first), "b": str(third)}
    at.selectbox(key="h.old").select(second)
    ok(at.run())  # the user's pick wins over the link, and the address follows it
    assert at.selectbox(key="h.old").value == second
    assert address(at) == {"project": "Bot", "a": str(second), "b": str(third)}
    assert f"history?project=Bot&a={second}&b={third}" in shown_links(at)


def test_picking_another_project_moves_the_address_to_it(temp_database: str) -> None:
    seed(temp_database, blank("Alpha"))
    for label in ("one", "two"):
        seed(temp_database, blank("Bot").model_copy(update={"label": label}))
    at = follow(temp_database, HISTORY)
    assert address(at) == {"project": "Alpha"}
    at.selectbox(key="history.project").select("Bot")
    ok(at.run())
    assert address(at)["project"] == "Bot" and {"a", "b"} <= set(address(at))
    at.selectbox(key="history.project").select("Alpha")
    ok(at.run())
    assert address(at) == {"project": "Alpha"}


@pytest.mark.parametrize(("params", "says"), [
    ({"project": "Nope"}, "names the project “Nope”, which is not here: it may have been renamed or deleted"),
    ({"project": "B" * 5000}, "The link's project is 5,000 characters long"),
    ({"project": "Bot", "a": "abc", "b": "2"}, "The link's older assessment “abc” is not an id"),
    ({"project": "Bot", "a": "1", "b": "99"}, "The link's newer assessment #99 is not a saved assessment of the "
                                              "project “Bot”"),
    ({"project": "Bot", "a": "2", "b": "2"}, "The link compares assessment #2 with itself."),
    ({"project": "Bot", "a": "1"}, "The link names no newer assessment to compare."),
])
def test_a_bad_history_link_is_explained_and_the_page_falls_back(temp_database: str, params: dict,
                                                                  says: str) -> None:
    older, newer = (seed(temp_database, blank("Bot").model_copy(update={"label": label})) for label in ("1", "2"))
    at = follow(temp_database, HISTORY, **params)
    [warning] = link_warnings(at)
    assert says in warning
    assert at.selectbox(key="history.project").value == "Bot"
    assert (at.selectbox(key="h.old").value, at.selectbox(key="h.new").value) == (older, newer)  # the latest two
    assert address(at) == {"project": "Bot", "a": str(older), "b": str(newer)}  # the address fixed


# Saved assessment -------------------------------------------------------------------------------------------


def test_a_saved_assessment_link_opens_it_and_stays_in_the_address(temp_database: str) -> None:
    saved = seed(temp_database, blank("Linked"))
    at = follow(temp_database, SAVED_RESULT, assessment=str(saved))
    assert at.subheader[0].value.startswith(f"\\#{saved} Linked")
    assert f"saved-result?assessment={saved}" in shown_links(at)
    assert address(at) == {"assessment": str(saved)}


@pytest.mark.parametrize(("value", "says"), [("abc", "The link's assessment “abc” is not an id"),
                                             ("0", "The link's assessment “0” is not an id")])
def test_a_bad_saved_assessment_link_is_explained(temp_database: str, value: str, says: str) -> None:
    at = follow(temp_database, SAVED_RESULT, assessment=value)
    [warning] = link_warnings(at)
    assert says in warning and "Open a saved assessment from Saved assessments or History instead." in warning
    assert "assessment" not in address(at)


def test_an_unknown_saved_assessment_says_so(temp_database: str) -> None:
    at = follow(temp_database, SAVED_RESULT, assessment="99")
    assert "No saved assessment with id 99" in " ".join(e.value for e in at.error)


# Prices -------------------------------------------------------------------------------------------------------


def test_a_price_list_link_opens_that_list(temp_database: str) -> None:
    save_price_list(temp_database, "Negotiated 2026")
    at = follow(temp_database, PRICES, list="Negotiated 2026")
    assert at.selectbox(key="p.source").value == "Negotiated 2026"
    table = next(d.value for d in at.dataframe if "usd_per_gpu_h" in d.value.columns)
    assert table["instance"].tolist() == ["p5.48xlarge", "g6.xlarge"]
    assert "prices?list=Negotiated%202026" in shown_links(at)
    assert address(at) == {"list": "Negotiated 2026"}
    at.selectbox(key="p.source").set_value(None)
    ok(at.run())  # back to the catalog: the address loses the list
    assert "list" not in address(at)


def test_an_api_price_list_link_opens_that_list_on_its_tab(temp_database: str) -> None:
    save_api_list(temp_database, "Tokens 2026")
    at = follow(temp_database, PRICES, api_list="Tokens 2026")
    assert at.selectbox(key="p.api.source").value == "Tokens 2026"
    [tabs] = at.get("tab_container")
    assert tabs.proto.tab_container.default_tab_index == 2  # Managed APIs
    assert "prices?api_list=Tokens%202026" in shown_links(at)
    assert address(at) == {"api_list": "Tokens 2026"}


def test_a_price_list_link_without_a_list_opens_the_first_tab(temp_database: str) -> None:
    at = follow(temp_database, PRICES)
    [tabs] = at.get("tab_container")
    assert tabs.proto.tab_container.default_tab_index == 0
    assert at.selectbox(key="p.source").value is None and not link_warnings(at)


@pytest.mark.parametrize(("params", "says", "key"), [
    ({"list": "Gone"}, "names the price list “Gone”, which is not here: it may have been deleted", "p.source"),
    ({"api_list": "Gone"}, "names the API price list “Gone”, which is not here", "p.api.source"),
])
def test_an_unknown_price_list_is_explained_and_the_built_in_prices_shown(temp_database: str, params: dict,
                                                                          says: str, key: str) -> None:
    save_price_list(temp_database, "Negotiated 2026")
    at = follow(temp_database, PRICES, **params)
    [warning] = link_warnings(at)
    assert says in warning and "built-in" in warning
    assert at.selectbox(key=key).value is None
    assert not set(params) & set(address(at))
    table = next(d.value for d in at.dataframe if "usd_per_gpu_h" in d.value.columns)
    assert len(table) == len(load_instances())


# Serving calculator -----------------------------------------------------------------------------------------


def test_a_serving_link_fills_the_form_and_shows_its_figures(temp_database: str) -> None:
    params = {"model": "llama-3.3-70b", "gpu": "H200", "gpus": "8", "tp": "4", "precision": "bf16", "kv": "fp8",
              "input": "2000", "output": "300", "budget": "4096", "prefix": "0.5"}
    at = follow(temp_database, SERVING, **params)
    assert not link_warnings(at)
    values = {key: at.get_by_key(key).value for key in ("sc.model", "sc.gpu", "sc.gpus", "sc.tp", "sc.precision",
                                                         "sc.kv", "sc.input", "sc.output", "sc.budget", "sc.prefix")}
    assert values == {"sc.model": "llama-3.3-70b", "sc.gpu": "H200", "sc.gpus": 8, "sc.tp": 4,
                      "sc.precision": Precision.BF16, "sc.kv": KvPrecision.FP8, "sc.input": 2000, "sc.output": 300,
                      "sc.budget": 4096, "sc.prefix": 0.5}
    expected = serving_point("llama-3.3-70b", "H200", 8, 4, Precision.BF16, KvPrecision.FP8, 2000, 300, None,
                             ServingConstants(prefill_token_budget=4096, prefix_cache_hit_rate=0.5))
    assert next(m.value for m in at.metric if m.label == THROUGHPUT) == point_value(expected, THROUGHPUT)
    assert address(at) == params  # the address holds the same link
    assert links.path("serving", params) in shown_links(at)


def test_the_serving_address_follows_the_form(temp_database: str) -> None:
    at = follow(temp_database, SERVING)
    assert address(at) == {"model": "llama-3.1-8b", "gpu": "H100-SXM", "gpus": "1", "precision": "fp8",
                           "input": "1000", "output": "1000"}
    at.number_input(key="sc.gpus").set_value(2)
    at.number_input(key="sc.concurrency").set_value(16)
    ok(at.run())
    assert at.number_input(key="sc.gpus").value == 2  # the address it wrote is not read back over the form
    assert address(at)["gpus"] == "2" and address(at)["concurrency"] == "16"
    assert "serving?model=llama-3.1-8b&gpu=H100-SXM&gpus=2&precision=fp8&input=1000&output=1000&concurrency=16" \
        in shown_links(at)


def test_bad_serving_values_are_named_and_fall_back_to_their_defaults(temp_database: str) -> None:
    at = follow(temp_database, SERVING, model="gpt-9", gpu="H200", gpus="many", tp="3", precision="fp9",
                input="5000000", output="200", ep="yes")
    [warning] = link_warnings(at)
    for says in ("The link's model “gpt-9” is not one the planner knows",
                 "The link's number of GPUs “many” is not a whole number from 1 to 1,024",
                 "The link's number of GPUs per replica “3” is not one the planner knows (1, 2, 4, 8, 16, 32, 64)",
                 "The link's precision “fp9” is not one the planner knows",
                 "The link's number of input tokens “5000000” is not a whole number from 1 to 1,000,000",
                 "The link's expert parallelism “yes” is not one the planner knows (0, 1)"):
        assert says in warning
    assert "uses the default of each of these instead" in warning
    assert at.selectbox(key="sc.model").value == "llama-3.1-8b" and at.selectbox(key="sc.gpu").value == "H200"
    assert at.number_input(key="sc.gpus").value == 1 and at.selectbox(key="sc.tp").value == "auto"
    assert at.number_input(key="sc.input").value == 1000 and at.number_input(key="sc.output").value == 200
    assert at.checkbox(key="sc.ep").value is False
    assert any(m.label == THROUGHPUT for m in at.metric)  # the figures of the defaults are shown
    assert address(at)["model"] == "llama-3.1-8b" and "ep" not in address(at)


def test_a_serving_link_the_model_cannot_run_says_why_in_the_form_errors(temp_database: str) -> None:
    at = follow(temp_database, SERVING, gpus="2", tp="4")  # valid values, but a replica of 4 GPUs out of 2
    assert not link_warnings(at)
    assert "GPUs per replica" in " ".join(e.value for e in at.error)
    assert not at.metric


def test_hostile_names_in_links_render_literally(temp_database: str) -> None:
    hostile = "![x](http://host/p.png) :red[boom]"
    seed(temp_database, blank(hostile))
    at = follow(temp_database, HISTORY, project=hostile + "!")  # unknown: quoted back in the warning
    [warning] = link_warnings(at)
    assert "!\\[x\\]" in warning and ":\u2060red" in warning
    assert hostile not in texts(at)
