"""Late flags on submissions, and the results regrades replaced.

Revision ID: 0003_regrades
Revises: 0002_progress
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003_regrades"
down_revision: str | Sequence[str] | None = "0002_progress"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    # Submissions made before deadlines existed were on time: false for every row.
    with op.batch_alter_table("submissions") as batch:
        batch.add_column(
            sa.Column("late", sa.Boolean(), server_default=sa.text("false"), nullable=False)
        )
    op.create_table(
        "result_history",
        sa.Column("pk", KEY, autoincrement=True, nullable=False),
        sa.Column("submission_id", sa.String(64), nullable=False),
        sa.Column("challenge_version", sa.String(128), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("points", sa.Float(), nullable=False),
        sa.Column("max_points", sa.Float(), nullable=False),
        sa.Column("graded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("replaced_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("regrade_id", sa.String(64), nullable=True),
        sa.Column("result", JSON, nullable=False),
        sa.PrimaryKeyConstraint("pk", name="pk_result_history"),
    )
    op.create_index(
        "ix_result_history_submission_id", "result_history", ["submission_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_result_history_submission_id", table_name="result_history")
    op.drop_table("result_history")
    with op.batch_alter_table("submissions") as batch:
        batch.drop_column("late")
