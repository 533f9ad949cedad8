"""Submissions: result JSON, code snapshot and the indexes that serve histories.

Revision ID: 0001_submissions
Revises:
Create Date: 2026-01-12
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001_submissions"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Types are spelled out here, not imported from models.py: a revision must keep
# creating what it created on the day it was written.
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UNFINISHED = sa.text("status IN ('queued', 'running')")


def upgrade() -> None:
    op.create_table(
        "submissions",
        sa.Column("pk", KEY, autoincrement=True, nullable=False),
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("username", sa.String(255), nullable=False),
        sa.Column("challenge", sa.String(255), nullable=False),
        sa.Column("challenge_version", sa.String(128), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("points", sa.Float(), nullable=False),
        sa.Column("max_points", sa.Float(), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("code", JSON, nullable=True),
        sa.Column("result", JSON, nullable=False),
        sa.Column("error", JSON, nullable=True),
        sa.Column("error_kind", sa.String(32), nullable=True),
        sa.PrimaryKeyConstraint("pk", name="pk_submissions"),
        sa.UniqueConstraint("id", name="uq_submissions_id"),
    )
    op.create_index(
        "ix_submissions_user_challenge_time",
        "submissions",
        ["username", "challenge", "submitted_at", "pk"],
    )
    op.create_index("ix_submissions_user_time", "submissions", ["username", "submitted_at", "pk"])
    op.create_index(
        "ix_submissions_challenge_time", "submissions", ["challenge", "submitted_at", "pk"]
    )
    op.create_index("ix_submissions_time", "submissions", ["submitted_at", "pk"])
    op.create_index(
        "ix_submissions_unfinished",
        "submissions",
        ["status"],
        sqlite_where=UNFINISHED,
        postgresql_where=UNFINISHED,
    )


def downgrade() -> None:
    op.drop_table("submissions")
