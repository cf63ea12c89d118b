"""Where inference runs: self-hosted GPUs, a managed API, or both compared (planner.estimate.sourcing)."""

from __future__ import annotations

from enum import StrEnum, auto

from pydantic import Field, model_validator

from planner.inputs.base import StrictModel
from planner.inputs.limits import NAME_MAX_CHARS
from planner.inputs.text import SingleLineText


class Sourcing(StrEnum):
    """Where inference runs: our own GPUs, a managed API, or both evaluated so the planner compares them."""

    SELF_HOSTED = auto()
    API = auto()
    COMPARE = auto()

    @property
    def label(self) -> str:
        return {"self_hosted": "Self-hosted GPUs", "api": "Managed API",
                "compare": "Compare self-hosted and API"}[self.value]


class InferenceSourcing(StrictModel):
    """Whether the model runs on our GPUs or behind a managed API (planner.estimate.api), and what rules an API
    in or out. ``api`` is an id from data/api_prices.csv (or the saved API price list ``api_price_list``)."""

    mode: Sourcing = Sourcing.SELF_HOSTED
    api: str | None = Field(default=None, min_length=1, max_length=60, pattern=r"^[a-z0-9][a-z0-9._-]*$",
                            description="The managed API: an id from data/api_prices.csv or the saved API price list.")
    api_price_list: SingleLineText | None = Field(
        default=None, min_length=1, max_length=NAME_MAX_CHARS,
        description="A saved API price list's name; None: data/api_prices.csv.")
    cached_input_share: float = Field(
        default=0.0, ge=0.0, le=1.0,
        description="Share of input tokens the provider serves from its prompt cache (billed at the cached price).")
    batch_share: float = Field(
        default=0.0, ge=0.0, le=1.0,
        description="Share of requests sent through the provider's batch API (discounted, not interactive).")
    data_may_leave: bool = Field(
        default=True, description="Prompts and answers may leave our cloud account and region.")
    custom_weights: bool = Field(
        default=False, description="We serve fine-tuned or custom weights, which a shared API cannot host.")

    @model_validator(mode="after")
    def _api_named(self) -> InferenceSourcing:
        if self.mode is not Sourcing.SELF_HOSTED and self.api is None:
            raise ValueError("choose the managed API to compare with (sourcing.api)")
        if self.mode is Sourcing.API and not self.data_may_leave:
            raise ValueError("a managed API is ruled out: prompts and answers may not leave your cloud and region; "
                             "choose self-hosted or compare, or change that answer")
        if self.mode is Sourcing.API and self.custom_weights:
            raise ValueError("a managed API is ruled out: it cannot serve fine-tuned or custom weights; choose "
                             "self-hosted or compare, or change that answer")
        return self
