"""Create improvement items and their status changes, and build the items of the assessments saved before.

``improvement_items``: a readiness gap or roadmap step of a project's assessments under a stable key, with its
status, owner and due date; ``improvement_item_events``: each change of an item's status, by whom and when, and
the assessment when the planner made it. Both go with their project; an event whose assessment is deleted for
good stays, without the link.

Every project's items are built here by replaying its saved assessments that are not archived, oldest first,
from their stored results (``recommendation.gaps``, ``.roadmap`` and ``.ranked[0].architecture``) with the
planner's own rule (``planner.store.item_sync``: pure, it reads the stored JSON), so the items after the upgrade
are those the project would have had if items had been kept from its first assessment; a test checks the replay
against saving the same assessments. An assessment whose results hold no readable recommendation is passed over.

Revision ID: 0010_improvement_items
Revises: 0009_api_price_lists
Create Date: 2026-12-12
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

from planner.store.item_sync import ItemSource, ItemState, ItemStatus, plan_sync, sources_of

revision: str = "0010_improvement_items"
down_revision: str | Sequence[str] | None = "0009_api_price_lists"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME_MAX_CHARS = 120  # planner.inputs.limits.NAME_MAX_CHARS when this revision was written
KEY_CHARS = 80  # planner.store.item_sync.ITEM_KEY_MAX_CHARS
STATUS_CHARS = 12
STATUSES = ("open", "in_progress", "done", "wont_do")
PLANNER = "planner"  # planner.store.items.PLANNER: who changed a status when an assessment did


def upgrade() -> None:
    """Create the two tables, then replay every project's saved assessments into its items."""
    op.create_table(
        "improvement_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("item_key", sa.String(length=KEY_CHARS), nullable=False),
        sa.Column("kind", sa.String(length=4), nullable=False),
        sa.Column("architecture", sa.String(length=40), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=STATUS_CHARS), nullable=False),
        sa.Column("owner", sa.String(length=NAME_MAX_CHARS), nullable=False),
        sa.Column("due", sa.Date(), nullable=True),
        sa.Column("named", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(f"status IN ({', '.join(repr(s) for s in STATUSES)})",
                           name=op.f("ck_improvement_items_status")),
        sa.CheckConstraint("kind IN ('gap', 'step')", name=op.f("ck_improvement_items_kind")),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], ondelete="CASCADE",
                                name=op.f("fk_improvement_items_project_id_projects")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_improvement_items")),
        sa.UniqueConstraint("project_id", "item_key", name=op.f("uq_improvement_items_project_id")),
    )
    op.create_table(
        "improvement_item_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=STATUS_CHARS), nullable=False),
        sa.Column("previous_status", sa.String(length=STATUS_CHARS), nullable=True),
        sa.Column("changed_by", sa.String(length=NAME_MAX_CHARS), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["item_id"], ["improvement_items.id"], ondelete="CASCADE",
                                name=op.f("fk_improvement_item_events_item_id_improvement_items")),
        sa.ForeignKeyConstraint(["assessment_id"], ["assessments.id"], ondelete="SET NULL",
                                name=op.f("fk_improvement_item_events_assessment_id_assessments")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_improvement_item_events")),
    )
    op.create_index("ix_improvement_item_events_item_id", "improvement_item_events", ["item_id"])
    _replay_saved_assessments()


class _Item:
    """An item being rebuilt: its latest source, status, whether the latest assessment named it, its events.

    A plain class: Alembic loads this file outside ``sys.modules``, where a dataclass cannot read its annotations.
    """

    def __init__(self, source: ItemSource, status: ItemStatus, at: datetime) -> None:
        self.source, self.status, self.created_at, self.updated_at = source, status, at, at
        self.named = True
        self.events: list[dict[str, Any]] = []


_ASSESSMENTS = sa.table("assessments", sa.column("id", sa.Integer()), sa.column("project_id", sa.Integer()),
                        sa.column("results_json", sa.Text()), sa.column("created_at", sa.DateTime(timezone=True)),
                        sa.column("archived_at", sa.DateTime(timezone=True)))


def _replay_saved_assessments() -> None:
    """Build every project's items from its saved assessments (not archived), oldest first, one project at a time."""
    connection = op.get_bind()
    projects = connection.execute(sa.select(_ASSESSMENTS.c.project_id).distinct()).scalars().all()
    for project_id in sorted(projects):
        ids = connection.execute(
            sa.select(_ASSESSMENTS.c.id, _ASSESSMENTS.c.created_at)
            .where(_ASSESSMENTS.c.project_id == project_id, _ASSESSMENTS.c.archived_at.is_(None))
            .order_by(_ASSESSMENTS.c.created_at, _ASSESSMENTS.c.id)).all()
        items: dict[str, _Item] = {}
        for assessment_id, created_at in ids:  # one assessment's results in memory at a time
            results_json = connection.execute(
                sa.select(_ASSESSMENTS.c.results_json).where(_ASSESSMENTS.c.id == assessment_id)).scalar_one()
            _replay_one(items, assessment_id, created_at, _recommendation(results_json))
        _write(connection, project_id, items)


def _recommendation(results_json: str) -> object:
    try:
        results = json.loads(results_json)
    except (TypeError, ValueError):
        return None
    return results.get("recommendation") if isinstance(results, dict) else None


def _replay_one(items: dict[str, _Item], assessment_id: int, at: datetime, recommendation: object) -> None:
    """What one saved assessment did to the items (``item_sync.plan_sync``), as ``items.sync_items`` does it."""
    sources = sources_of(recommendation)
    if sources is None:
        return
    previous = {key: ItemState(item.status, item.named) for key, item in items.items()}
    for change in plan_sync(previous, sources):
        item = items.get(change.key)
        if item is None:
            if change.source is None:
                continue
            item = items[change.key] = _Item(change.source, change.status, at)
        before = (item.source, item.named, item.status)
        item.source = change.source or item.source
        item.named, item.status = change.source is not None, change.status
        if before != (item.source, item.named, item.status):
            item.updated_at = at
        if change.changed:
            item.events.append({"status": change.status.value, "changed_at": at, "assessment_id": assessment_id,
                                "previous_status": change.before.value if change.before is not None else None})


_MOMENT = sa.DateTime(timezone=True)
_ITEMS = sa.table("improvement_items", sa.column("id", sa.Integer()), sa.column("project_id", sa.Integer()),
                  *(sa.column(name, sa.Text()) for name in ("item_key", "kind", "architecture", "title", "detail",
                                                            "status", "owner")),
                  sa.column("size", sa.Integer()), sa.column("named", sa.Boolean()),
                  sa.column("created_at", _MOMENT), sa.column("updated_at", _MOMENT))
_EVENTS = sa.table("improvement_item_events", sa.column("item_id", sa.Integer()),
                   *(sa.column(name, sa.Text()) for name in ("status", "previous_status", "changed_by", "note")),
                   sa.column("changed_at", _MOMENT), sa.column("assessment_id", sa.Integer()))


def _write(connection: sa.Connection, project_id: int, items: dict[str, _Item]) -> None:
    for key, item in items.items():
        source = item.source
        insert = sa.insert(_ITEMS).values(
            project_id=project_id, item_key=key, kind=source.kind, architecture=source.architecture.value,
            title=source.title, detail=source.detail, size=source.size, status=item.status.value, owner="",
            named=item.named, created_at=item.created_at, updated_at=item.updated_at)
        item_id = connection.execute(insert.returning(_ITEMS.c.id)).scalar_one()
        for event in item.events:
            connection.execute(sa.insert(_EVENTS).values(item_id=item_id, changed_by=PLANNER, note="", **event))


def downgrade() -> None:
    """Drop the events, then the items (owners, due dates and people's changes of status are lost)."""
    op.drop_index("ix_improvement_item_events_item_id", table_name="improvement_item_events")
    op.drop_table("improvement_item_events")
    op.drop_table("improvement_items")
