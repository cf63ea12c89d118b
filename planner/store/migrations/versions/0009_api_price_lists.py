"""Create saved API price lists: the list, and its rows of managed-API prices, limits, latency and SLA.

Revision ID: 0009_api_price_lists
Revises: 0008_archive_and_acks
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_api_price_lists"
down_revision: str | Sequence[str] | None = "0008_archive_and_acks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME_MAX_CHARS = 120  # planner.inputs.limits.NAME_MAX_CHARS when this revision was written
API_ID_MAX_CHARS = 60  # planner.inputs.api_catalog.ApiPrice.id when this revision was written


def upgrade() -> None:
    """Create api_price_lists and api_price_list_rows."""
    op.create_table(
        "api_price_lists",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=NAME_MAX_CHARS), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_price_lists")),
        sa.UniqueConstraint("name", name=op.f("uq_api_price_lists_name")),
    )
    op.create_table(
        "api_price_list_rows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("api_price_list_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("api_id", sa.String(length=API_ID_MAX_CHARS), nullable=False),
        sa.Column("provider", sa.String(length=40), nullable=False),
        sa.Column("model", sa.String(length=100), nullable=False),
        sa.Column("model_id", sa.String(length=API_ID_MAX_CHARS), nullable=True),
        sa.Column("input_usd_per_m", sa.Float(), nullable=False),
        sa.Column("cached_input_usd_per_m", sa.Float(), nullable=True),
        sa.Column("output_usd_per_m", sa.Float(), nullable=False),
        sa.Column("batch_discount", sa.Float(), nullable=True),
        sa.Column("rate_limit_tier", sa.String(length=40), nullable=True),
        sa.Column("requests_per_min", sa.Float(), nullable=True),
        sa.Column("tokens_per_min", sa.Float(), nullable=True),
        sa.Column("ttft_ms", sa.Float(), nullable=True),
        sa.Column("output_tokens_per_s", sa.Float(), nullable=True),
        sa.Column("latency_source", sa.Text(), nullable=True),
        sa.Column("sla_pct", sa.Float(), nullable=True),
        sa.Column("sla_source", sa.Text(), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("as_of", sa.String(length=10), nullable=False),
        sa.ForeignKeyConstraint(["api_price_list_id"], ["api_price_lists.id"], ondelete="CASCADE",
                                name=op.f("fk_api_price_list_rows_api_price_list_id_api_price_lists")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_price_list_rows")),
        sa.UniqueConstraint("api_price_list_id", "api_id", name=op.f("uq_api_price_list_rows_api_price_list_id")),
    )


def downgrade() -> None:
    """Drop the two tables, the rows first."""
    op.drop_table("api_price_list_rows")
    op.drop_table("api_price_lists")
