"""Create the workshop tables: workshops, participants, their answers and the facilitator's overrides.

Revision ID: 0004_workshops
Revises: 0001
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_workshops"
down_revision: str | Sequence[str] | None = "0003_price_lists"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the four workshop tables (see planner/workshop_store.py)."""
    op.create_table(
        "workshops",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("join_code", sa.String(length=10), nullable=False),
        sa.Column("facilitator_token_hash", sa.String(length=64), nullable=False),
        sa.Column("project", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reveal", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("workload_enabled", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessments.id"],
            name=op.f("fk_workshops_assessment_id_assessments"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workshops")),
        sa.UniqueConstraint("join_code", name=op.f("uq_workshops_join_code")),
        sa.UniqueConstraint("facilitator_token_hash", name=op.f("uq_workshops_facilitator_token_hash")),
    )
    op.create_table(
        "workshop_participants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workshop_id", sa.Integer(), nullable=False),
        sa.Column("display_name", sa.String(length=60), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["workshop_id"],
            ["workshops.id"],
            name=op.f("fk_workshop_participants_workshop_id_workshops"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workshop_participants")),
        sa.UniqueConstraint("secret_hash", name=op.f("uq_workshop_participants_secret_hash")),
        sa.UniqueConstraint("workshop_id", "display_name", name="uq_workshop_participants_name"),
    )
    op.create_table(
        "workshop_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("question_key", sa.String(length=40), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["workshop_participants.id"],
            name=op.f("fk_workshop_answers_participant_id_workshop_participants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workshop_answers")),
        sa.UniqueConstraint("participant_id", "question_key", name="uq_workshop_answers_question"),
    )
    op.create_table(
        "workshop_overrides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workshop_id", sa.Integer(), nullable=False),
        sa.Column("question_key", sa.String(length=40), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workshop_id"],
            ["workshops.id"],
            name=op.f("fk_workshop_overrides_workshop_id_workshops"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workshop_overrides")),
        sa.UniqueConstraint("workshop_id", "question_key", name="uq_workshop_overrides_question"),
    )
    op.create_index("ix_workshop_overrides_workshop_id", "workshop_overrides", ["workshop_id"])


def downgrade() -> None:
    """Drop the four workshop tables."""
    op.drop_index("ix_workshop_overrides_workshop_id", table_name="workshop_overrides")
    op.drop_table("workshop_overrides")
    op.drop_table("workshop_answers")
    op.drop_table("workshop_participants")
    op.drop_table("workshops")
