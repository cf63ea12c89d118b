"""Managed LLM APIs: token prices, rate limits, latency and SLA (data/api_prices.csv), and the rate-limit tier
ladders (data/api_rate_tiers.csv).

An ``ApiPrice`` row is one model at one provider, with every figure sourced; a latency or SLA cell the provider
does not publish (and no independent measurement gives) stays empty, and the engine uses a labelled assumption
instead (``api.*`` in data/assumptions.yaml). The same reader validates a team's own API price list
(``planner.inputs.api_price_files.parse_api_price_list``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from types import MappingProxyType

from pydantic import Field, model_validator

from planner.inputs.catalog import _display_name, _raise_problems, _read_shipped, read_csv_records
from planner.inputs.models import CatalogLabel, Sourced
from planner.inputs.paths import data_dir

API_PRICES_FILE = "api_prices.csv"
API_RATE_TIERS_FILE = "api_rate_tiers.csv"

MAX_USD_PER_MILLION_TOKENS = 1_000.0  # the dearest published models are below 200; beyond 1000 it is a typo
MAX_RATE_PER_MIN = 1e9  # requests or tokens a minute
API_ID_PATTERN = r"^[a-z0-9][a-z0-9._-]*$"
# The rules between an ApiPrice's fields, and the column a file fixes to meet each (its problems are placed there).
CACHED_ABOVE_INPUT = "the cached input price cannot exceed the input price"
LATENCY_UNSOURCED = "latency figures need a latency_source"
SLA_UNSOURCED = "an SLA needs an sla_source"
LIMITS_WITHOUT_TIER = "rate limits need the rate_limit_tier they are published at"
RULE_COLUMNS = {CACHED_ABOVE_INPUT: "cached_input_usd_per_m", LATENCY_UNSOURCED: "latency_source",
                SLA_UNSOURCED: "sla_source", LIMITS_WITHOUT_TIER: "rate_limit_tier"}


class ApiPrice(Sourced):
    """One model behind one provider's API: USD per million tokens, rate limits at a named tier, latency, SLA.

    ``model_id`` names the catalog model (data/llms.csv) where the provider serves that open model; it is empty
    for a proprietary model. ``batch_discount`` is the share off through the provider's batch API (0.5: half
    price). ``tokens_per_min`` is the published tokens-a-minute limit at ``rate_limit_tier``.
    """

    id: str = Field(min_length=1, max_length=60, pattern=API_ID_PATTERN)
    provider: CatalogLabel
    model: str = Field(min_length=1, max_length=100)
    model_id: str | None = Field(default=None, min_length=1, max_length=60, pattern=API_ID_PATTERN)
    input_usd_per_m: float = Field(gt=0, le=MAX_USD_PER_MILLION_TOKENS)
    cached_input_usd_per_m: float | None = Field(default=None, gt=0, le=MAX_USD_PER_MILLION_TOKENS)
    output_usd_per_m: float = Field(gt=0, le=MAX_USD_PER_MILLION_TOKENS)
    batch_discount: float | None = Field(default=None, gt=0, lt=1)
    rate_limit_tier: str | None = Field(default=None, min_length=1, max_length=40)
    requests_per_min: float | None = Field(default=None, gt=0, le=MAX_RATE_PER_MIN)
    tokens_per_min: float | None = Field(default=None, gt=0, le=MAX_RATE_PER_MIN)
    ttft_ms: float | None = Field(default=None, gt=0, le=600_000)
    output_tokens_per_s: float | None = Field(default=None, gt=0, le=100_000)
    latency_source: str | None = Field(default=None, min_length=3)
    sla_pct: float | None = Field(default=None, ge=90, le=100)
    sla_source: str | None = Field(default=None, min_length=3)

    @model_validator(mode="after")
    def _consistent(self) -> ApiPrice:
        problems = []
        if self.cached_input_usd_per_m is not None and self.cached_input_usd_per_m > self.input_usd_per_m:
            problems.append(CACHED_ABOVE_INPUT)
        if (self.ttft_ms is not None or self.output_tokens_per_s is not None) and not self.latency_source:
            problems.append(LATENCY_UNSOURCED)
        if self.sla_pct is not None and not self.sla_source:
            problems.append(SLA_UNSOURCED)
        if (self.requests_per_min is not None or self.tokens_per_min is not None) and not self.rate_limit_tier:
            problems.append(LIMITS_WITHOUT_TIER)
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def label(self) -> str:
        """'Provider model', as pages and the report name it: the catalog's name of an open model it serves (the
        provider's own model string is often an id such as 'meta.llama3-1-8b-instruct-v1:0'), else its own."""
        from planner.inputs.catalog import load_llms

        llm = load_llms().get(self.model_id or "")
        return f"{self.provider} {llm.name if llm is not None else self.model}"


class ApiRateTier(Sourced):
    """One rung of a provider's rate-limit ladder for one API row: the limits a tier allows."""

    api_id: str = Field(min_length=1, max_length=60, pattern=API_ID_PATTERN)
    tier: str = Field(min_length=1, max_length=40)
    rank: int = Field(ge=1, le=100, description="1 for the lowest tier, increasing.")
    requests_per_min: float | None = Field(default=None, gt=0, le=MAX_RATE_PER_MIN)
    tokens_per_min: float | None = Field(default=None, gt=0, le=MAX_RATE_PER_MIN)


def read_api_prices(path_or_text: Path | str | bytes, *, name: str,
                    models: Sequence[str] | None = None) -> dict[str, ApiPrice]:
    """API rows from an api_prices.csv-shaped source, keyed by id; duplicates are errors, and so is a
    ``model_id`` outside ``models`` (the catalog's ids) when given."""
    rows = read_csv_records(path_or_text, ApiPrice, name=name, key=lambda a: a.id)
    if models is not None:
        known = set(models)
        _raise_problems(name, [
            f"{name} row {n}, field model_id: unknown model '{row.model_id}'; leave it empty for a proprietary model"
            for n, row in enumerate(rows, start=1) if row.model_id is not None and row.model_id not in known])
    return {a.id: a for a in rows}


@cache
def load_api_prices() -> Mapping[str, ApiPrice]:
    """The shipped managed-API rows (data/api_prices.csv), keyed by id, each model_id in data/llms.csv."""
    from planner.inputs.catalog import load_llms

    rows = read_api_prices(data_dir() / API_PRICES_FILE, name=_display_name(API_PRICES_FILE),
                           models=tuple(load_llms()))
    return MappingProxyType(rows)


@cache
def load_api_rate_tiers() -> Mapping[str, tuple[ApiRateTier, ...]]:
    """The shipped rate-limit ladders (data/api_rate_tiers.csv) by API id, lowest tier first."""
    name = _display_name(API_RATE_TIERS_FILE)
    rows = _read_shipped(API_RATE_TIERS_FILE, ApiRateTier, lambda t: (t.api_id, t.tier), ())
    prices = load_api_prices()
    _raise_problems(name, [f"{name}: api_id '{t.api_id}' is not in {API_PRICES_FILE}"
                           for t in rows if t.api_id not in prices])
    ladders: dict[str, list[ApiRateTier]] = {}
    for tier in rows:
        ladders.setdefault(tier.api_id, []).append(tier)
    return MappingProxyType({k: tuple(sorted(v, key=lambda t: t.rank)) for k, v in ladders.items()})
