"""Regrades queued for the grading workers: what each covers, for any service process.

Revision ID: 0004_regrade_jobs
Revises: 0003_regrades
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004_regrade_jobs"
down_revision: str | Sequence[str] | None = "0003_regrades"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "regrades",
        sa.Column("pk", KEY, autoincrement=True, nullable=False),
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("challenge", sa.String(255), nullable=False),
        sa.Column("challenge_version", sa.String(128), nullable=False),
        sa.Column("username", sa.String(255), nullable=True),
        sa.Column("latest", sa.Boolean(), nullable=False),
        sa.Column("submissions", JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("pk", name="pk_regrades"),
        sa.UniqueConstraint("id", name="uq_regrades_id"),
    )


def downgrade() -> None:
    op.drop_table("regrades")
