"""History: price snapshot, revisit-by date and revisit triggers on every assessment.

Rows saved before this revision keep NULL in the three columns and still load (no snapshot, no
date, no triggers); nothing is rewritten.

Revision ID: 0002_history
Revises: 0001
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_history"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the three nullable columns to assessments (batch mode, so SQLite rebuilds the table safely)."""
    with op.batch_alter_table("assessments") as batch:
        batch.add_column(sa.Column("price_snapshot_json", sa.Text(), nullable=True))
        batch.add_column(sa.Column("revisit_by", sa.Date(), nullable=True))
        batch.add_column(sa.Column("triggers_json", sa.Text(), nullable=True))


def downgrade() -> None:
    """Drop the three columns; the assessments themselves stay."""
    with op.batch_alter_table("assessments") as batch:
        batch.drop_column("triggers_json")
        batch.drop_column("revisit_by")
        batch.drop_column("price_snapshot_json")
