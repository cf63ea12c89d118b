"""Assessments can be archived and are recognised when saved again; fired revisit triggers can be acknowledged.

Adds to ``assessments`` the nullable ``archived_at`` (set: hidden from lists, history and comparisons,
restorable) and ``content_hash`` (what makes two saves the same assessment, so saving twice keeps one),
with an index on (project_id, content_hash); rows saved before get their hash here, computed as the store
computes it (``planner.store.assessments.content_hash``; a test checks that the two agree). Creates
``trigger_acknowledgements``: a note that a fired trigger was seen, for the value it had then.

Revision ID: 0008_archive_and_acks
Revises: 0007_gpu_link
Create Date: 2026-12-05
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0008_archive_and_acks"  # alembic_version holds at most 32 characters
down_revision: str | Sequence[str] | None = "0007_gpu_link"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

HASH_CHARS = 64  # SHA-256 hex digest
NAME_MAX_CHARS = 120  # planner.inputs.limits.NAME_MAX_CHARS when this revision was written


def _content_hash(inputs_json: str, results_json: str, snapshot_json: str | None) -> str:
    """The store's content hash as of this revision: inputs but the project name, results and price snapshot."""
    inputs: Any = json.loads(inputs_json)
    if isinstance(inputs, dict):
        inputs.pop("project", None)
    document = {"inputs": inputs, "results": json.loads(results_json),
                "prices": None if snapshot_json is None else json.loads(snapshot_json)}
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def upgrade() -> None:
    """Add the two columns and their index, hash the rows already saved, create the acknowledgements table."""
    with op.batch_alter_table("assessments") as batch:
        batch.add_column(sa.Column("content_hash", sa.String(length=HASH_CHARS), nullable=True))
        batch.add_column(sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_index("ix_assessments_project_id_content_hash", ["project_id", "content_hash"])
    _hash_saved_rows()
    op.create_table(
        "trigger_acknowledgements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("trigger_key", sa.String(length=NAME_MAX_CHARS), nullable=False),
        sa.Column("op", sa.String(length=2), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("acknowledged_by", sa.String(length=NAME_MAX_CHARS), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["assessment_id"], ["assessments.id"], ondelete="CASCADE",
                                name="fk_trigger_acknowledgements_assessment_id_assessments"),
        sa.PrimaryKeyConstraint("id", name="pk_trigger_acknowledgements"),
    )
    op.create_index("ix_trigger_acknowledgements_assessment_id", "trigger_acknowledgements", ["assessment_id"])


def _hash_saved_rows() -> None:
    """Give every saved row its content hash; a row whose stored JSON cannot be read keeps none."""
    rows = sa.table("assessments", sa.column("id", sa.Integer()), sa.column("inputs_json", sa.Text()),
                    sa.column("results_json", sa.Text()), sa.column("price_snapshot_json", sa.Text()),
                    sa.column("content_hash", sa.String()))
    connection = op.get_bind()
    columns = sa.select(rows.c.inputs_json, rows.c.results_json, rows.c.price_snapshot_json)
    for row_id in connection.execute(sa.select(rows.c.id)).scalars().all():  # one row in memory at a time
        inputs_json, results_json, snapshot_json = connection.execute(columns.where(rows.c.id == row_id)).one()
        try:
            digest = _content_hash(inputs_json, results_json, snapshot_json)
        except (ValueError, TypeError):
            continue
        connection.execute(sa.update(rows).where(rows.c.id == row_id).values(content_hash=digest))


def downgrade() -> None:
    """Drop the acknowledgements and the two columns; archived assessments become visible again."""
    op.drop_index("ix_trigger_acknowledgements_assessment_id", table_name="trigger_acknowledgements")
    op.drop_table("trigger_acknowledgements")
    with op.batch_alter_table("assessments") as batch:
        batch.drop_index("ix_assessments_project_id_content_hash")
        batch.drop_column("archived_at")
        batch.drop_column("content_hash")
