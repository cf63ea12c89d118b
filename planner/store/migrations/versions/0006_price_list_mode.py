"""Saved price lists say whether they add to or replace the built-in catalog, and keep each row's tier.

Lists saved before this revision become "add" (overlay the catalog), the default the planner now uses
(issue 15): no one chose "replace" for them, the replacement was the defect, and every assessment saved
with such a list keeps the price rows it was evaluated with (its price snapshot), so only a re-evaluation
at today's prices sees the catalog's rows next to the list's. Instance rows saved before become
"production" (a community or marketplace offer had no column to say so).

price_lists is altered in place (``recreate="never"``: SQLite 3.35+ adds and drops a plain column
natively): a batch copy would drop the old table, and with foreign keys on, that cascades to every
saved list's instance and GPU rows.

Revision ID: 0006_price_list_mode
Revises: 0005_gpu_spec_rates
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_price_list_mode"
down_revision: str | Sequence[str] | None = "0005_gpu_spec_rates"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add price_lists.catalog_mode (existing lists: "add") and price_list_instances.tier ("production")."""
    with op.batch_alter_table("price_lists", recreate="never") as batch:
        batch.add_column(sa.Column("catalog_mode", sa.String(length=10), nullable=False, server_default="add"))
    with op.batch_alter_table("price_list_instances") as batch:
        batch.add_column(sa.Column("tier", sa.String(length=10), nullable=False, server_default="production"))


def downgrade() -> None:
    """Drop both columns; every list then replaces the catalog again, as before this revision."""
    with op.batch_alter_table("price_list_instances") as batch:
        batch.drop_column("tier")
    with op.batch_alter_table("price_lists", recreate="never") as batch:
        batch.drop_column("catalog_mode")
