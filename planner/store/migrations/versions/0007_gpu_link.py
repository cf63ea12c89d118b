"""Saved price lists keep a GPU spec's GPU-to-GPU link bandwidth, as data/gpus.csv now has it.

Revision ID: 0007_gpu_link
Revises: 0006_price_list_mode
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_gpu_link"
down_revision: str | Sequence[str] | None = "0006_price_list_mode"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the nullable column to price_list_gpus (existing rows: unknown, so PCIe as in an older GPU file)."""
    with op.batch_alter_table("price_list_gpus") as batch:
        batch.add_column(sa.Column("link_gb_s", sa.Float(), nullable=True))


def downgrade() -> None:
    """Drop it again; the rest of every saved list stays."""
    with op.batch_alter_table("price_list_gpus") as batch:
        batch.drop_column("link_gb_s")
