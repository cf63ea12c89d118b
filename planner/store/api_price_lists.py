"""Saved API price lists: a validated list of managed-API prices stored under a name, read back, listed, deleted.

Validation lives in ``planner.inputs.api_price_files``; saving, the name rules and deleting are those of
instance price lists (``planner.store.named_lists``). A saved list lives in ``api_price_lists`` and its rows
in ``api_price_list_rows`` (``planner.store.tables``, revision 0009). An assessment names one in
``sourcing.api_price_list``; ``api_rows_for(engine, name)`` gives the rows an evaluation uses: the list's
alone (it does not add to data/api_prices.csv), or the shipped rows for None.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from planner.errors import InputError
from planner.inputs.api_catalog import ApiPrice, load_api_prices
from planner.inputs.api_price_files import API_COLUMNS, API_LIST, ApiPriceList
from planner.store.access import Actor
from planner.store.database import read_session
from planner.store.named_lists import ListKind
from planner.store.tables import ApiPriceListApiRow, ApiPriceListRow, Row

API_PRICE_LISTS = ListKind(ApiPriceListRow, ((ApiPriceListApiRow, "api_price_list_id"),), what=API_LIST,
                           field="sourcing.api_price_list")
ROW_ID = "api_id"  # the column of ApiPrice.id (the table's own ``id`` is its primary key)


class ApiPriceListSummary(BaseModel):
    """One saved API price list as listings show it."""

    model_config = ConfigDict(frozen=True)

    name: str
    api_count: int
    providers: tuple[str, ...]
    oldest_as_of: str
    created_at: datetime
    updated_at: datetime
    created_by: str = ""  # who saved it first ("": before authors were kept)


def _columns(api: ApiPrice) -> dict[str, object]:
    data = api.model_dump()
    data[ROW_ID] = data.pop("id")
    return data


def save_api_price_list(engine: Engine, *, name: str, api_list: ApiPriceList,
                        replace: bool = False, actor: Actor | None = None) -> ApiPriceListSummary:
    """Save a validated API list under a name; an existing name is an InputError at "name" unless ``replace``."""
    if not isinstance(api_list, ApiPriceList) or not api_list.apis:
        raise InputError("Only a validated API price list with at least one row can be saved.")

    def rows(list_id: int) -> list[Row]:
        return [ApiPriceListApiRow(api_price_list_id=list_id, position=n, **_columns(a))
                for n, a in enumerate(api_list.apis)]

    name, created_at, now = API_PRICE_LISTS.save(engine, name=name, replace=replace, rows=rows, actor=actor)
    return ApiPriceListSummary(name=name, api_count=len(api_list.apis),
                               providers=tuple(sorted({a.provider for a in api_list.apis})),
                               oldest_as_of=min(a.as_of for a in api_list.apis), created_at=created_at,
                               updated_at=now)


def load_api_price_list(engine: Engine, name: str) -> ApiPriceList:
    """A saved API list by name, re-validated as it was saved; an unknown name is an InputError at
    "sourcing.api_price_list"."""

    def read(session: Session) -> ApiPriceList:
        list_id = API_PRICE_LISTS.list_id(session, name)
        rows = session.scalars(select(ApiPriceListApiRow).where(ApiPriceListApiRow.api_price_list_id == list_id)
                               .order_by(ApiPriceListApiRow.position)).all()
        return ApiPriceList(apis=tuple(
            ApiPrice.model_validate({c: getattr(r, ROW_ID if c == "id" else c) for c in API_COLUMNS}) for r in rows))

    return read_session(engine, read, failure=f"The API price list '{name}' could not be read")


def list_api_price_lists(engine: Engine) -> list[ApiPriceListSummary]:
    """Every saved API price list by name, with its row count, providers and oldest price date."""

    def read(session: Session) -> list[ApiPriceListSummary]:
        rows = ApiPriceListApiRow
        per_list = {list_id: (count, oldest) for list_id, count, oldest in session.execute(
            select(rows.api_price_list_id, func.count(), func.min(rows.as_of)).group_by(rows.api_price_list_id))}
        providers: dict[int, list[str]] = {}
        for list_id, provider in session.execute(select(rows.api_price_list_id, rows.provider).distinct()
                                                 .order_by(rows.provider)):
            providers.setdefault(list_id, []).append(provider)
        lists = session.execute(select(ApiPriceListRow.id, ApiPriceListRow.name, ApiPriceListRow.created_at,
                                       ApiPriceListRow.updated_at, ApiPriceListRow.created_by)
                                .order_by(ApiPriceListRow.name)).all()
        return [ApiPriceListSummary(name=name, api_count=per_list.get(list_id, (0, ""))[0],
                                    providers=tuple(providers.get(list_id, ())),
                                    oldest_as_of=per_list.get(list_id, (0, ""))[1], created_at=created_at,
                                    updated_at=updated_at, created_by=created_by)
                for list_id, name, created_at, updated_at, created_by in lists]

    return read_session(engine, read, failure="The saved API price lists could not be read")


def delete_api_price_list(engine: Engine, name: str, *, actor: Actor | None = None) -> None:
    """Delete a saved API list and its rows (its author or an admin); an unknown name is an InputError at
    "sourcing.api_price_list"."""
    API_PRICE_LISTS.delete(engine, name, actor=actor)


def api_rows_for(engine: Engine | None, name: str | None) -> Mapping[str, ApiPrice]:
    """The API rows by id an assessment chooses from: the saved list's, or data/api_prices.csv's for None.

    Reading a saved list needs its database: without ``engine`` a name is an InputError at the field.
    """
    if name is None:
        return load_api_prices()
    if engine is None:
        message = f"The API price list '{name}' cannot be read without the database."
        raise InputError(message, {API_PRICE_LISTS.field: message})
    return load_api_price_list(engine, name).rows()


def api_prices_for(engine: Engine | None, name: str | None) -> dict[str, ApiPrice] | None:
    """What ``evaluate(api_prices=...)`` takes for an assessment's API price list: None (the shipped rows) for
    None, else the saved list's rows."""
    return None if name is None else dict(api_rows_for(engine, name))
