"""The store's reads for learners and for recovery: results, code, histories, progress.

A mixin of :class:`~codequest_jupyter.store.store.SubmissionStore`, kept apart so each
file holds one job. Each read runs in one short session; ids and user names that
cannot exist are answered like unknown ones (None or an empty list).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select, text

from .models import Progress, Submission
from .values import format_time, page_bounds, summary_of, valid_id, valid_name

# The same text as the partial index's WHERE clause: a planner uses a partial
# index only when it can see the query implies it, which bound parameters hide.
_UNFINISHED = text("submissions.status IN ('queued', 'running')")

_SUMMARY_COLUMNS = (
    Submission.id,
    Submission.challenge,
    Submission.challenge_version,
    Submission.user,
    Submission.mode,
    Submission.submitted_at,
    Submission.status,
    Submission.score,
    Submission.total,
    Submission.points,
    Submission.max_points,
    Submission.duration_ms,
    Submission.error,
    Submission.late,
)


class SubmissionReads:
    """Methods of the store that read submissions and progress."""

    # Provided by SubmissionStore.
    _reading: Any

    def get_result(self, sid: str, user: str | None = None) -> dict[str, Any] | None:
        """The result JSON of a submission; None if unknown or (with ``user``) not theirs."""
        if not valid_id(sid) or (user is not None and not valid_name(user)):
            return None
        query = select(Submission.result).where(Submission.id == sid)
        if user is not None:
            query = query.where(Submission.user == user)
        with self._reading() as session:
            return session.execute(query).scalar_one_or_none()

    def get_code(self, sid: str, user: str | None = None) -> dict[str, Any] | None:
        """The code snapshot ``{"notebook", "files"}``; None if unknown or not ``user``'s."""
        if not valid_id(sid) or (user is not None and not valid_name(user)):
            return None
        query = select(Submission.code).where(Submission.id == sid)
        if user is not None:
            query = query.where(Submission.user == user)
        with self._reading() as session:
            found = session.execute(query).one_or_none()
        if found is None:
            return None
        code = found[0] or {}
        return {"notebook": code.get("notebook"), "files": code.get("files") or {}}

    def list_submissions(
        self, user: str, challenge: str | None = None, limit: int = 20, offset: int = 0
    ) -> tuple[list[dict[str, Any]], int]:
        """A learner's submissions, newest first, as summaries; and how many there are.

        A summary is the result JSON without ``tests``, ``cell_errors``,
        ``output_truncated`` and ``isolation`` (the details of one result).
        """
        if not valid_name(user) or (challenge is not None and not valid_name(challenge)):
            return [], 0
        filters = [Submission.user == user]
        if challenge is not None:
            filters.append(Submission.challenge == challenge)
        return self._page(filters, limit, offset)

    def list_all(
        self,
        challenge: str | None = None,
        user: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[dict[str, Any]], int]:
        """Everyone's submissions (for instructors), newest first; and how many there are."""
        if (challenge is not None and not valid_name(challenge)) or (
            user is not None and not valid_name(user)
        ):
            return [], 0
        filters = []
        if challenge is not None:
            filters.append(Submission.challenge == challenge)
        if user is not None:
            filters.append(Submission.user == user)
        return self._page(filters, limit, offset)

    def _page(
        self, filters: list[Any], limit: int, offset: int
    ) -> tuple[list[dict[str, Any]], int]:
        limit, offset = page_bounds(limit, offset)
        query: Select[Any] = (
            select(*_SUMMARY_COLUMNS)
            .where(*filters)
            .order_by(Submission.submitted_at.desc(), Submission.pk.desc())
            .limit(limit)
            .offset(offset)
        )
        count = select(func.count()).select_from(Submission).where(*filters)
        with self._reading() as session:
            rows = session.execute(query).all() if limit else []
            total = session.execute(count).scalar_one()
        return [summary_of(row) for row in rows], total

    def progress(self, user: str) -> dict[str, dict[str, Any]]:
        """A learner's progress: challenge id -> attempts, best score, completion, ...

        ``attempts``/``failed_attempts`` count "submit" submissions, ``runs`` count
        "run" ones; ``best_*`` and ``max_points`` are from the best graded submit
        (None before one); ``completed_at`` is when the first passing submit was
        made (None until then).
        """
        if not valid_name(user):
            return {}
        with self._reading() as session:
            rows = session.execute(select(Progress).where(Progress.user == user)).scalars()
            return {
                p.challenge: {
                    "attempts": p.attempts,
                    "failed_attempts": p.failed_attempts,
                    "runs": p.runs,
                    "best_score": p.best_score,
                    "best_total": p.best_total,
                    "best_points": p.best_points,
                    "max_points": p.max_points,
                    "completed_at": format_time(p.completed_at),
                    "last_submitted_at": format_time(p.last_submitted_at),
                }
                for p in rows
            }

    def unfinished(self) -> list[dict[str, Any]]:
        """Submissions still queued or running, oldest first (to recover after a restart)."""
        query = (
            select(
                Submission.id,
                Submission.user,
                Submission.challenge,
                Submission.mode,
                Submission.status,
                Submission.submitted_at,
            )
            .where(_UNFINISHED)
            .order_by(Submission.submitted_at, Submission.pk)
        )
        with self._reading() as session:
            rows = session.execute(query).all()
        return [
            {
                "id": r.id,
                "user": r.user,
                "challenge": r.challenge,
                "mode": r.mode,
                "status": r.status,
                "submitted_at": format_time(r.submitted_at),
            }
            for r in rows
        ]
