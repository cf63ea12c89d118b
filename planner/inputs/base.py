"""The base classes of every input and catalog record: strict models, and rows that carry a source and a date."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class StrictModel(BaseModel):
    """Base for inputs: unknown keys are errors, strings are stripped, numbers are not coerced from text,
    and NaN or an infinity is never a number (JSON would write it as null, so it could not round-trip)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True, allow_inf_nan=False)


class Sourced(StrictModel):
    source: str = Field(min_length=3)
    as_of: str = Field(pattern=r"^\d{4}-\d{2}(-\d{2})?$", description="Date of the figure, YYYY-MM[-DD].")
