"""Saved price lists: a validated price list stored under a name, read back, listed and deleted.

Validation lives in ``planner.inputs.price_files`` (re-exported here, so ``price_lists.parse_price_list``
and the column constants keep working). Saved lists live in three tables (``price_lists`` and its
instance and GPU rows, see ``planner.store.tables``); the repository functions open one short session
each and return pydantic records, never ORM rows. ``instances_for(engine, name)`` is what an
evaluation needs: the catalog for None, otherwise the saved rows added to the catalog's (the default)
or replacing them, as the list was saved (``catalog_mode``); ``gpus_for`` gives the GPU specs that go
with them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from planner.errors import InputError
from planner.inputs.catalog import load_gpus, load_instances
from planner.inputs.limits import MAX_PRICE_LIST_BYTES, NAME_MAX_CHARS
from planner.inputs.models import GpuSpec, InstancePrice
from planner.inputs.price_files import (
    ADD_TO_CATALOG,
    GPU_COLUMNS,
    GPU_SPECS_LABEL,
    INSTANCE_COLUMNS,
    MAX_PRICE_ROWS,
    MAX_REPORTED_PROBLEMS,
    REPLACE_CATALOG,
    STALE_AFTER_DAYS,
    CatalogMode,
    PriceList,
    PriceListError,
    as_of_date,
    check_name,
    gpus_csv,
    instances_csv,
    is_stale,
    parse_price_list,
    price_table,
    read_price_file,
    records_to_csv,
)
from planner.store.access import Actor
from planner.store.database import read_session
from planner.store.named_lists import ListKind
from planner.store.tables import PriceListGpuRow, PriceListInstanceRow, PriceListRow, Row

__all__ = [  # the repository, and the price-file names callers have always imported from here
    "ADD_TO_CATALOG",
    "GPU_COLUMNS",
    "GPU_SPECS_LABEL",
    "INSTANCE_COLUMNS",
    "MAX_PRICE_LIST_BYTES",
    "MAX_PRICE_ROWS",
    "MAX_REPORTED_PROBLEMS",
    "NAME_MAX_CHARS",
    "PRICE_LISTS",
    "REPLACE_CATALOG",
    "STALE_AFTER_DAYS",
    "CatalogMode",
    "PriceList",
    "PriceListError",
    "PriceListGpuRow",
    "PriceListInstanceRow",
    "PriceListRow",
    "PriceListSummary",
    "as_of_date",
    "check_name",
    "delete_price_list",
    "gpus_csv",
    "gpus_for",
    "instances_csv",
    "instances_for",
    "is_stale",
    "list_price_lists",
    "load_price_list",
    "parse_price_list",
    "price_table",
    "read_price_file",
    "records_to_csv",
    "save_price_list",
]


class PriceListSummary(BaseModel):
    """One saved price list as listings show it."""

    model_config = ConfigDict(frozen=True)

    name: str
    instance_count: int
    gpu_count: int
    providers: tuple[str, ...]
    oldest_as_of: str
    created_at: datetime
    updated_at: datetime
    catalog_mode: CatalogMode = ADD_TO_CATALOG
    created_by: str = ""  # who saved it first ("": before authors were kept)


PRICE_LISTS = ListKind(PriceListRow, ((PriceListInstanceRow, "price_list_id"), (PriceListGpuRow, "price_list_id")),
                       what="price list", field="price_list")


def save_price_list(engine: Engine, *, name: str, price_list: PriceList, replace: bool = False,
                    actor: Actor | None = None) -> PriceListSummary:
    """Save a validated list under a name; an existing name is an InputError unless ``replace``."""
    if not isinstance(price_list, PriceList) or not price_list.instances:
        raise InputError("Only a validated price list with at least one row can be saved.")

    def rows(list_id: int) -> list[Row]:
        return [*(PriceListInstanceRow(price_list_id=list_id, position=n, **i.model_dump())
                  for n, i in enumerate(price_list.instances)),
                *(PriceListGpuRow(price_list_id=list_id, **g.model_dump()) for g in price_list.gpus)]

    name, created_at, now = PRICE_LISTS.save(engine, name=name, replace=replace, rows=rows,
                                             columns={"catalog_mode": price_list.catalog_mode}, actor=actor)
    return _summary(name, price_list, created_at=created_at, updated_at=now)


def _summary(name: str, price_list: PriceList, *, created_at: datetime, updated_at: datetime) -> PriceListSummary:
    return PriceListSummary(
        name=name, instance_count=len(price_list.instances), gpu_count=len(price_list.gpus),
        providers=tuple(sorted({i.provider for i in price_list.instances})),
        oldest_as_of=min(i.as_of for i in price_list.instances),
        created_at=created_at, updated_at=updated_at, catalog_mode=price_list.catalog_mode)


def load_price_list(engine: Engine, name: str) -> PriceList:
    """A saved list by name, re-validated as it was saved; an unknown name is an InputError at "price_list"."""

    def read(session: Session) -> PriceList:
        list_id = PRICE_LISTS.list_id(session, name)
        mode = session.scalar(select(PriceListRow.catalog_mode).where(PriceListRow.id == list_id))
        instances = session.scalars(select(PriceListInstanceRow).where(
            PriceListInstanceRow.price_list_id == list_id).order_by(PriceListInstanceRow.position)).all()
        gpus = session.scalars(select(PriceListGpuRow).where(
            PriceListGpuRow.price_list_id == list_id).order_by(PriceListGpuRow.gpu)).all()
        return PriceList(
            instances=tuple(InstancePrice.model_validate({c: getattr(r, c) for c in INSTANCE_COLUMNS})
                            for r in instances),
            gpus=tuple(GpuSpec.model_validate({c: getattr(r, c) for c in GPU_COLUMNS}) for r in gpus),
            catalog_mode=mode)

    return read_session(engine, read, failure=f"The price list '{name}' could not be read")


def list_price_lists(engine: Engine) -> list[PriceListSummary]:
    """Every saved price list by name, with its row counts, providers and oldest price date."""

    def read(session: Session) -> tuple[Sequence[Any], Sequence[Any], dict[int, int]]:
        lists = session.execute(select(PriceListRow.id, PriceListRow.name, PriceListRow.created_at,
                                       PriceListRow.updated_at, PriceListRow.catalog_mode, PriceListRow.created_by)
                                .order_by(PriceListRow.name)).all()
        per_list = session.execute(select(
            PriceListInstanceRow.price_list_id, PriceListInstanceRow.provider,
            func.count(), func.min(PriceListInstanceRow.as_of),
        ).group_by(PriceListInstanceRow.price_list_id, PriceListInstanceRow.provider)).all()
        gpu_counts = session.execute(select(PriceListGpuRow.price_list_id, func.count())
                                     .group_by(PriceListGpuRow.price_list_id)).all()
        return lists, per_list, {int(k): int(v) for k, v in gpu_counts}

    lists, per_list, gpu_counts = read_session(engine, read, failure="The saved price lists could not be read")
    out = []
    for list_id, name, created_at, updated_at, catalog_mode, created_by in lists:
        mine = [r for r in per_list if r[0] == list_id]
        out.append(PriceListSummary(
            name=name, instance_count=sum(r[2] for r in mine), gpu_count=gpu_counts.get(list_id, 0),
            providers=tuple(sorted(r[1] for r in mine)), oldest_as_of=min((r[3] for r in mine), default=""),
            created_at=created_at, updated_at=updated_at, catalog_mode=catalog_mode, created_by=created_by))
    return out


def delete_price_list(engine: Engine, name: str, *, actor: Actor | None = None) -> None:
    """Delete a saved list and its rows (its author or an admin); an unknown name is an InputError at "price_list"."""
    PRICE_LISTS.delete(engine, name, actor=actor)


def instances_for(engine: Engine, name: str | None) -> list[InstancePrice]:
    """The instance prices an evaluation uses: the catalog for None, else the saved list's rows added to the
    catalog's or replacing them, as the list says (``PriceList.evaluation_instances``; InputError if unknown)."""
    if name is None:
        return list(load_instances())
    return list(load_price_list(engine, name).evaluation_instances())


def gpus_for(engine: Engine, name: str | None) -> dict[str, GpuSpec]:
    """The GPU specs that go with ``instances_for``: the catalog plus (or replaced by) the list's own rows."""
    return dict(load_gpus()) if name is None else load_price_list(engine, name).gpu_specs()
