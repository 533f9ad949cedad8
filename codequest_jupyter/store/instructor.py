"""The store's instructor side: quotas, gradebook rows, regrade selections, old results.

A mixin of :class:`~codequest_jupyter.store.store.SubmissionStore`, kept apart so each
file holds one job. A regrade replaces a submission's result in one transaction that
also keeps the old result in ``result_history`` and recomputes the learner's progress
from their finished submissions (a regrade may lower a best score, which the
incremental progress update cannot undo).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..results import FINAL_STATUSES
from .models import Regrade, ResultHistory, Submission
from .values import (
    clean_json,
    format_time,
    parse_time,
    result_figures,
    utc_now,
    valid_id,
    valid_name,
)

if TYPE_CHECKING:
    from .models import Progress as _Progress


class InstructorQueries:
    """Methods of the store that serve instructors (and the submission quota)."""

    # Provided by SubmissionStore.
    _reading: Any
    _writing: Any

    def _lock_progress(self, session: Session, user: str, challenge: str) -> _Progress:
        raise NotImplementedError

    @staticmethod
    def _fold(progress: _Progress, row: Submission) -> None:
        raise NotImplementedError

    def _locked_row(self, session: Session, sid: str) -> Submission:
        raise NotImplementedError

    # -- the submission quota -----------------------------------------------------

    @staticmethod
    def _count_submits(session: Session, user: str, challenge: str) -> int:
        query = (
            select(func.count())
            .select_from(Submission)
            .where(
                Submission.user == user,
                Submission.challenge == challenge,
                Submission.mode == "submit",
            )
        )
        return int(session.execute(query).scalar_one())

    def count_submits(self, user: str, challenge: str | None = None) -> dict[str, int]:
        """How many "submit" submissions ``user`` made, by challenge (all, still grading too)."""
        if not valid_name(user) or (challenge is not None and not valid_name(challenge)):
            return {}
        query = (
            select(Submission.challenge, func.count())
            .where(Submission.user == user, Submission.mode == "submit")
            .group_by(Submission.challenge)
        )
        if challenge is not None:
            query = query.where(Submission.challenge == challenge)
        with self._reading() as session:
            return {c: int(n) for c, n in session.execute(query).all()}

    # -- the gradebook ---------------------------------------------------------------

    def finished_submits(self, challenges: Iterable[str] | None = None) -> list[dict[str, Any]]:
        """Every finished "submit" submission's figures (no result JSON, no code), ordered
        by learner, challenge, then submission time: the gradebook's input."""
        query = (
            select(
                Submission.user,
                Submission.challenge,
                Submission.status,
                Submission.points,
                Submission.max_points,
                Submission.submitted_at,
                Submission.late,
            )
            .where(Submission.mode == "submit", Submission.status.in_(sorted(FINAL_STATUSES)))
            .order_by(Submission.user, Submission.challenge, Submission.submitted_at, Submission.pk)
        )
        if challenges is not None:
            wanted = [c for c in challenges if valid_name(c)]
            query = query.where(Submission.challenge.in_(wanted))
        with self._reading() as session:
            rows = session.execute(query).all()
        return [
            {
                "user": r.user,
                "challenge": r.challenge,
                "status": r.status,
                "points": r.points,
                "max_points": r.max_points,
                "submitted_at": r.submitted_at,
                "late": bool(r.late),
            }
            for r in rows
        ]

    def challenge_results(self, challenge: str, limit: int = 5000) -> list[dict[str, Any]]:
        """The newest ``limit`` finished Submit results of a challenge (whole result JSON,
        for per-test statistics)."""
        if not valid_name(challenge):
            return []
        query = (
            select(Submission.result)
            .where(
                Submission.challenge == challenge,
                Submission.mode == "submit",
                Submission.status.in_(sorted(FINAL_STATUSES)),
            )
            .order_by(Submission.submitted_at.desc(), Submission.pk.desc())
            .limit(max(0, int(limit)))
        )
        with self._reading() as session:
            return list(session.execute(query).scalars())

    # -- regrades ------------------------------------------------------------------------

    def regrade_selection(
        self, challenge: str, *, user: str | None = None, latest: bool = False
    ) -> list[dict[str, Any]]:
        """The finished "submit" submissions of ``challenge`` a regrade covers, oldest first.

        ``user``: only that learner's; ``latest``: only each learner's newest one.
        """
        if not valid_name(challenge) or (user is not None and not valid_name(user)):
            return []
        query = (
            select(Submission.id, Submission.user, Submission.submitted_at, Submission.pk)
            .where(
                Submission.challenge == challenge,
                Submission.mode == "submit",
                Submission.status.in_(sorted(FINAL_STATUSES)),
            )
            .order_by(Submission.submitted_at, Submission.pk)
        )
        if user is not None:
            query = query.where(Submission.user == user)
        with self._reading() as session:
            rows = session.execute(query).all()
        if latest:
            newest: dict[str, Any] = {}
            for r in rows:
                newest[r.user] = r  # ordered oldest first: the last one wins
            rows = sorted(newest.values(), key=lambda r: (r.submitted_at, r.pk))
        return [
            {"id": r.id, "user": r.user, "submitted_at": format_time(r.submitted_at)} for r in rows
        ]

    def replace_result(
        self, sid: str, result: dict[str, Any], regrade_id: str | None = None
    ) -> dict[str, Any]:
        """Make ``result`` the submission's current result, keeping the old one.

        The old result goes to ``result_history`` (with the challenge version that
        graded it), the submission row takes the new result and its figures, and the
        learner's progress on the challenge is recomputed. Returns the old result JSON.
        Raises ``SubmissionNotFound`` and ``ValueError`` like ``finish``.

        One regrade replaces a result once: with a ``regrade_id`` that already
        replaced this submission's result (its job ran twice: a worker killed after
        storing, or only slow), raises ``AlreadyRegraded`` and changes nothing. The
        check runs under the submission row's lock, so two concurrent runs store one.
        """
        if not isinstance(result, dict):
            raise ValueError("result must be a JSON object")
        result = clean_json(result)
        status = result.get("status")
        if status not in FINAL_STATUSES:
            raise ValueError(f"a final result is passed, failed or error, not {status!r}")
        numbers = result_figures(result)
        with self._writing() as session:
            row = self._locked_row(session, sid)
            if row.status not in FINAL_STATUSES:
                raise ValueError(f"submission {sid!r} is still {row.status}; regrade it later")
            if regrade_id is not None and self._regraded_by(session, sid, regrade_id):
                from .store import AlreadyRegraded

                raise AlreadyRegraded(f"regrade {regrade_id} replaced {sid!r} already")
            for key in ("id", "user", "challenge", "mode"):
                if key in result and result[key] != getattr(row, key):
                    raise ValueError(f"result {key} does not match submission {sid!r}")
            old = row.result
            session.add(
                ResultHistory(
                    submission_id=row.id,
                    challenge_version=row.challenge_version,
                    status=row.status,
                    score=row.score,
                    total=row.total,
                    points=row.points,
                    max_points=row.max_points,
                    graded_at=row.finished_at,
                    replaced_at=utc_now(),
                    regrade_id=regrade_id,
                    result=old,
                )
            )
            result = {**result, "id": row.id, "user": row.user, "challenge": row.challenge,
                      "mode": row.mode, "submitted_at": old.get("submitted_at")}  # fmt: skip
            row.status = status
            for key, value in numbers.items():
                setattr(row, key, value)
            row.challenge_version = str(result.get("challenge_version") or "")[:128]
            row.finished_at = utc_now()
            row.result = result
            error = result.get("error")
            row.error = error if isinstance(error, dict) else None
            kind = row.error.get("kind") if row.error else None
            row.error_kind = str(kind)[:32] if kind is not None else None
            row.late = bool(result.get("late"))
            session.flush()
            self._recompute_progress(session, row.user, row.challenge)
        return old

    @staticmethod
    def _regraded_by(session: Session, sid: str, regrade_id: str) -> bool:
        query = select(ResultHistory.pk).where(
            ResultHistory.submission_id == sid, ResultHistory.regrade_id == regrade_id
        )
        return session.execute(query.limit(1)).first() is not None

    def regraded(self, sid: str, regrade_id: str) -> bool:
        """Whether regrade ``regrade_id`` replaced this submission's result already."""
        with self._reading() as session:
            return self._regraded_by(session, sid, regrade_id)

    def regrade_items(self, regrade_id: str, sids: Iterable[str]) -> list[dict[str, Any]]:
        """What regrade ``regrade_id`` did to those of ``sids`` it replaced, in ``sids`` order.

        Per submission: ``old`` (the figures of the result it replaced, from
        ``result_history``) and ``new`` (the result that replaced it: the next
        replaced result of that submission if a later regrade replaced it too, else
        the current one). Read from the database, so any process can report the
        progress of a regrade run by others (the grading workers).
        """
        wanted = [sid for sid in dict.fromkeys(sids) if valid_id(sid)]
        if not wanted:
            return []
        with self._reading() as session:
            history = list(
                session.execute(
                    select(ResultHistory)
                    .where(ResultHistory.submission_id.in_(wanted))
                    .order_by(ResultHistory.pk)
                ).scalars()
            )
            mine = {h.submission_id: h for h in history if h.regrade_id == regrade_id}
            if not mine:
                return []
            rows = {
                r.id: r
                for r in session.execute(
                    select(Submission).where(Submission.id.in_(list(mine)))
                ).scalars()
            }
        items = []
        for sid in wanted:
            old = mine.get(sid)
            row = rows.get(sid)
            if old is None or row is None:
                continue
            later = [h for h in history if h.submission_id == sid and h.pk > old.pk]
            new: Any = later[0] if later else row
            items.append(
                {
                    "id": sid,
                    "user": row.user,
                    "submitted_at": format_time(row.submitted_at),
                    "old": _figures(old),
                    "new": _figures(new),
                }
            )
        return items

    def save_regrade(self, regrade: dict[str, Any]) -> None:
        """Store (or update) a queued regrade: ``id``, ``challenge``,
        ``challenge_version``, ``user``, ``latest``, ``submissions``, ``status``,
        ``failed``, ``error``, ``started_at``, ``finished_at`` (ISO times)."""
        rid = regrade["id"]
        if not valid_id(rid):
            raise ValueError(f"not a regrade id: {rid!r}")
        finished = regrade.get("finished_at")
        values = {
            "challenge": str(regrade["challenge"]),
            "challenge_version": str(regrade.get("challenge_version") or "")[:128],
            "user": regrade.get("user") or None,
            "latest": bool(regrade.get("latest")),
            "submissions": [str(sid) for sid in regrade.get("submissions") or []],
            "status": str(regrade["status"]),
            "failed": int(regrade.get("failed") or 0),
            "error": regrade.get("error") or None,
            "started_at": parse_time(regrade["started_at"], "started_at"),
            "finished_at": parse_time(finished, "finished_at") if finished else None,
        }
        with self._writing() as session:
            row = session.execute(select(Regrade).where(Regrade.id == rid)).scalar_one_or_none()
            if row is None:
                session.add(Regrade(id=rid, **values))
            else:
                for key, value in values.items():
                    setattr(row, key, value)

    def get_regrade(self, regrade_id: str) -> dict[str, Any] | None:
        """A regrade stored by :meth:`save_regrade`, or None."""
        if not valid_id(regrade_id):
            return None
        with self._reading() as session:
            row = session.execute(
                select(Regrade).where(Regrade.id == regrade_id)
            ).scalar_one_or_none()
            return None if row is None else _regrade_json(row)

    def running_regrades(self) -> list[dict[str, Any]]:
        """The stored regrades not finished yet, oldest first (as :meth:`get_regrade`)."""
        with self._reading() as session:
            rows = session.execute(
                select(Regrade).where(Regrade.status == "running").order_by(Regrade.pk)
            ).scalars()
            return [_regrade_json(row) for row in rows]

    def _recompute_progress(self, session: Session, user: str, challenge: str) -> None:
        """Rebuild a progress row from the learner's finished submissions."""
        progress = self._lock_progress(session, user, challenge)
        progress.attempts = progress.failed_attempts = progress.runs = 0
        progress.best_score = progress.best_total = None
        progress.best_points = progress.max_points = None
        progress.completed_at = progress.last_submitted_at = None
        rows = session.execute(
            select(Submission)
            .where(
                Submission.user == user,
                Submission.challenge == challenge,
                Submission.status.in_(sorted(FINAL_STATUSES)),
            )
            .order_by(Submission.submitted_at, Submission.pk)
        ).scalars()
        for row in rows:
            self._fold(progress, row)

    def result_history(self, sid: str) -> list[dict[str, Any]]:
        """The results regrades replaced, oldest first (figures, version, when, which regrade)."""
        if not valid_id(sid):
            return []
        query = (
            select(ResultHistory)
            .where(ResultHistory.submission_id == sid)
            .order_by(ResultHistory.pk)
        )
        with self._reading() as session:
            return [
                {
                    "challenge_version": h.challenge_version,
                    "status": h.status,
                    "score": h.score,
                    "total": h.total,
                    "points": h.points,
                    "max_points": h.max_points,
                    "graded_at": format_time(h.graded_at),
                    "replaced_at": format_time(h.replaced_at),
                    "regrade_id": h.regrade_id,
                    "result": h.result,
                }
                for h in session.execute(query).scalars()
            ]


def _figures(row: Any) -> dict[str, Any]:
    """A result's figures as a regrade compares them, from a submission or history row."""
    return {
        "status": row.status,
        "score": row.score,
        "total": row.total,
        "points": row.points,
        "max_points": row.max_points,
        "challenge_version": row.challenge_version,
    }


def _regrade_json(row: Regrade) -> dict[str, Any]:
    return {
        "id": row.id,
        "challenge": row.challenge,
        "challenge_version": row.challenge_version,
        "user": row.user,
        "latest": row.latest,
        "submissions": list(row.submissions or []),
        "status": row.status,
        "failed": row.failed,
        "error": row.error,
        "started_at": format_time(row.started_at),
        "finished_at": format_time(row.finished_at) if row.finished_at else None,
    }
