"""Per-learner progress on each challenge, filled in from the existing submissions.

Revision ID: 0002_progress
Revises: 0001_submissions
Create Date: 2026-01-12
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_progress"
down_revision: str | Sequence[str] | None = "0001_submissions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The rules of SubmissionStore._update_progress, in one statement: "submit"
# submissions are attempts, "run" submissions are runs; the best graded submit
# (most points, then most tests passed, then earliest) gives the best_* figures;
# completed_at is the earliest passing submit. Window functions: SQLite >= 3.25.
BACKFILL = """
INSERT INTO progress (username, challenge, attempts, failed_attempts, runs,
                      best_score, best_total, best_points, max_points,
                      completed_at, last_submitted_at)
SELECT s.username, s.challenge,
       SUM(CASE WHEN s.mode = 'submit' THEN 1 ELSE 0 END),
       SUM(CASE WHEN s.mode = 'submit' AND s.status <> 'passed' THEN 1 ELSE 0 END),
       SUM(CASE WHEN s.mode = 'run' THEN 1 ELSE 0 END),
       b.score, b.total, b.points, b.max_points,
       MIN(CASE WHEN s.mode = 'submit' AND s.status = 'passed' THEN s.submitted_at END),
       MAX(s.submitted_at)
FROM submissions s
LEFT JOIN (
    SELECT username, challenge, score, total, points, max_points,
           ROW_NUMBER() OVER (PARTITION BY username, challenge
                              ORDER BY points DESC, score DESC, submitted_at, pk) AS rank
    FROM submissions
    WHERE mode = 'submit' AND status IN ('passed', 'failed')
) b ON b.username = s.username AND b.challenge = s.challenge AND b.rank = 1
WHERE s.status IN ('passed', 'failed', 'error')
GROUP BY s.username, s.challenge, b.score, b.total, b.points, b.max_points
"""


def upgrade() -> None:
    op.create_table(
        "progress",
        sa.Column("username", sa.String(255), nullable=False),
        sa.Column("challenge", sa.String(255), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("failed_attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("runs", sa.Integer(), server_default="0", nullable=False),
        sa.Column("best_score", sa.Integer(), nullable=True),
        sa.Column("best_total", sa.Integer(), nullable=True),
        sa.Column("best_points", sa.Float(), nullable=True),
        sa.Column("max_points", sa.Float(), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("username", "challenge", name="pk_progress"),
    )
    op.execute(BACKFILL)


def downgrade() -> None:
    op.drop_table("progress")
