"""The base of every result record: frozen, no unknown fields, so a stored result reads back exactly."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Record(BaseModel):
    """A plain, frozen result record (estimates, recommendations, history figures)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
