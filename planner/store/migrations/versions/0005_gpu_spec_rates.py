"""Saved price lists keep a GPU spec's vendor and its FP4 and INT8 rates, as data/gpus.csv now has them.

Revision ID: 0005_gpu_spec_rates
Revises: 0004_workshops
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_gpu_spec_rates"
down_revision: str | Sequence[str] | None = "0004_workshops"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEW_COLUMNS = ("fp4_tflops", "int8_tops", "vendor")


def upgrade() -> None:
    """Add the three nullable columns to price_list_gpus (existing rows: unknown, as in an older GPU file)."""
    with op.batch_alter_table("price_list_gpus") as batch:
        batch.add_column(sa.Column("fp4_tflops", sa.Float(), nullable=True))
        batch.add_column(sa.Column("int8_tops", sa.Float(), nullable=True))
        batch.add_column(sa.Column("vendor", sa.String(length=10), nullable=True))


def downgrade() -> None:
    """Drop them again; the rest of every saved list stays."""
    with op.batch_alter_table("price_list_gpus") as batch:
        for column in NEW_COLUMNS:
            batch.drop_column(column)
