"""API price files: validate a team's own list of managed-API prices and write its rows back out as CSV.

An API price list has the columns of ``data/api_prices.csv`` (one row per model behind one provider's API:
USD per million input, cached-input and output tokens, the batch discount, rate limits at a named tier,
latency and SLA, each with its source and date). Validation is the instance price lists' own
(``planner.inputs.price_files.checked_rows``: the same CSV reader, the same sentences, one per row and column,
``row 3, output_usd_per_m: must be a plain number in USD per million tokens, without a currency sign or unit,
got '$0.6'``) with the API rows' own checks: a ``model_id`` the model catalog knows (or empty for a
proprietary model), prices per million tokens and not per token, the cached price at most the input price.
A list with any problem is refused as a whole. ``planner.store.api_price_lists`` saves validated lists.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime

from pydantic import BaseModel, ConfigDict

from planner.inputs.api_catalog import RULE_COLUMNS, ApiPrice
from planner.inputs.catalog import load_llms
from planner.inputs.price_files import PriceListError, checked_rows, records_to_csv, shown, upload_text

API_LIST = "API price list"  # how messages name the file, and the kind of list
# Column order of data/api_prices.csv (files may order them differently; the optional columns may be left out).
API_COLUMNS = (*(f for f in ApiPrice.model_fields if f not in ("source", "as_of")), "source", "as_of")
TOKEN_PRICE_COLUMNS = ("input_usd_per_m", "cached_input_usd_per_m", "output_usd_per_m")
# The cheapest shipped token price is 0.006 USD per million (a cached DeepSeek input); a figure below this is
# almost surely per token or per thousand tokens (0.6 $/M is 0.0000006 per token and 0.0006 per thousand).
MIN_USD_PER_MILLION_TOKENS = 0.001


class ApiPriceList(BaseModel):
    """A validated API price list: its rows, in the order of the file."""

    model_config = ConfigDict(frozen=True)

    apis: tuple[ApiPrice, ...]

    def rows(self) -> dict[str, ApiPrice]:
        """The rows by id: what ``evaluate(api_prices=...)`` takes."""
        return {a.id: a for a in self.apis}


def _row_problems(row: ApiPrice, models: Mapping[str, object]) -> list[tuple[str, str]]:
    """A model the catalog does not know, and token prices too small to be per million tokens."""
    problems = []
    if row.model_id is not None and row.model_id not in models:
        problems.append(("model_id", f"unknown model {shown(row.model_id)}; use one of {', '.join(sorted(models))}, "
                                     "or leave it empty for a proprietary model"))
    for column in TOKEN_PRICE_COLUMNS:
        price = getattr(row, column)
        if price is not None and price < MIN_USD_PER_MILLION_TOKENS:
            problems.append((column, f"{price:g} USD per million tokens is below {MIN_USD_PER_MILLION_TOKENS:g}; "
                                     "prices are USD per million tokens (not per token or per thousand)"))
    return problems


def parse_api_price_list(source: bytes | str, *, today: date | None = None) -> ApiPriceList:
    """Validate an API price list (CSV bytes or text); raise PriceListError listing every problem."""
    today = today or datetime.now(UTC).date()
    models = load_llms()
    rows, problems = checked_rows(upload_text(source, API_LIST, what=API_LIST), ApiPrice, key=lambda a: a.id,
                                  columns=API_COLUMNS, today=today, checks=lambda row: _row_problems(row, models),
                                  what=API_LIST, rule_columns=RULE_COLUMNS)
    if problems:
        raise PriceListError(problems, what=API_LIST)
    return ApiPriceList(apis=tuple(r for _, r in rows))


def api_prices_csv(apis: Iterable[ApiPrice]) -> str:
    """API rows as CSV in the columns of data/api_prices.csv."""
    return records_to_csv((a.model_dump() for a in apis), API_COLUMNS)
