"""Create saved price lists: the list, its instance prices and its extra GPU specs.

Revision ID: 0003_price_lists
Revises: 0001
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_price_lists"
down_revision: str | Sequence[str] | None = "0002_history"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create price_lists, price_list_instances and price_list_gpus."""
    op.create_table(
        "price_lists",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_price_lists")),
        sa.UniqueConstraint("name", name=op.f("uq_price_lists_name")),
    )
    op.create_table(
        "price_list_instances",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("price_list_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=40), nullable=False),
        sa.Column("instance", sa.String(length=60), nullable=False),
        sa.Column("region", sa.String(length=40), nullable=False),
        sa.Column("gpu", sa.String(length=40), nullable=False),
        sa.Column("gpu_count", sa.Integer(), nullable=False),
        sa.Column("vcpus", sa.Integer(), nullable=False),
        sa.Column("on_demand_usd_h", sa.Float(), nullable=False),
        sa.Column("spot_usd_h", sa.Float(), nullable=True),
        sa.Column("committed_usd_h", sa.Float(), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("as_of", sa.String(length=10), nullable=False),
        sa.ForeignKeyConstraint(["price_list_id"], ["price_lists.id"],
                                name=op.f("fk_price_list_instances_price_list_id_price_lists"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_price_list_instances")),
        sa.UniqueConstraint("price_list_id", "provider", "instance", "region",
                            name=op.f("uq_price_list_instances_price_list_id")),
    )
    op.create_table(
        "price_list_gpus",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("price_list_id", sa.Integer(), nullable=False),
        sa.Column("gpu", sa.String(length=40), nullable=False),
        sa.Column("memory_gb", sa.Float(), nullable=False),
        sa.Column("bandwidth_tb_s", sa.Float(), nullable=False),
        sa.Column("bf16_tflops", sa.Float(), nullable=False),
        sa.Column("fp8_tflops", sa.Float(), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("as_of", sa.String(length=10), nullable=False),
        sa.ForeignKeyConstraint(["price_list_id"], ["price_lists.id"],
                                name=op.f("fk_price_list_gpus_price_list_id_price_lists"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_price_list_gpus")),
        sa.UniqueConstraint("price_list_id", "gpu", name=op.f("uq_price_list_gpus_price_list_id")),
    )


def downgrade() -> None:
    """Drop the three tables, children first."""
    op.drop_table("price_list_gpus")
    op.drop_table("price_list_instances")
    op.drop_table("price_lists")
