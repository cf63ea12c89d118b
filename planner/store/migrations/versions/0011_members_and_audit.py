"""Add project members with their roles, the audit log, and who created each assessment, list and workshop.

``project_members``: one person's role (viewer, editor, owner) in one project, by the address they sign in with;
``audit_events``: who did what and when, to a project (or, without one, to a price list). ``created_by`` on
assessments, price lists, API price lists and workshops records the author; rows from before are "" (unknown).
Existing projects get no members, so they stay open to every signed-in user (``planner.store.access``).

Revision ID: 0011_members_and_audit
Revises: 0010_improvement_items
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_members_and_audit"
down_revision: str | Sequence[str] | None = "0010_improvement_items"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME_MAX_CHARS = 120  # planner.inputs.limits.NAME_MAX_CHARS when this revision was written
AUTHORED = ("assessments", "price_lists", "api_price_lists", "workshops")


def upgrade() -> None:
    """Create the two tables and add ``created_by`` to the four authored tables."""
    op.create_table(
        "project_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("member", sa.String(length=NAME_MAX_CHARS), nullable=False),
        sa.Column("role", sa.String(length=8), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("added_by", sa.String(length=NAME_MAX_CHARS), nullable=False),
        sa.CheckConstraint("role IN ('viewer', 'editor', 'owner')", name=op.f("ck_project_members_role")),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], ondelete="CASCADE",
                                name=op.f("fk_project_members_project_id_projects")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_members")),
        sa.UniqueConstraint("project_id", "member", name=op.f("uq_project_members_member")),
    )
    op.create_index("ix_project_members_member", "project_members", ["member"])
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=NAME_MAX_CHARS), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], ondelete="CASCADE",
                                name=op.f("fk_audit_events_project_id_projects")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    op.create_index("ix_audit_events_project_id_at", "audit_events", ["project_id", "at"])
    # Plain ALTER TABLE on both databases: a batch migration would rebuild these tables in SQLite, and dropping
    # the old copy would cascade to their children (price-list rows, acknowledgements, workshop answers).
    for table in AUTHORED:
        op.add_column(table, sa.Column("created_by", sa.String(length=NAME_MAX_CHARS), server_default="",
                                       nullable=False))


def downgrade() -> None:
    """Drop ``created_by`` and the two tables."""
    for table in AUTHORED:
        op.drop_column(table, "created_by")  # SQLite 3.35 and later drop a column in place
    op.drop_index("ix_audit_events_project_id_at", table_name="audit_events")
    op.drop_table("audit_events")
    op.drop_index("ix_project_members_member", table_name="project_members")
    op.drop_table("project_members")
