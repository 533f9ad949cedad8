"""``SubmissionStore``: every submission's result JSON and code snapshot, and progress.

This module opens the database and writes (a submission's life, and the progress it
earns); the reads are the :mod:`.reads` mixin, the instructors' side :mod:`.instructor`.

Each method runs in one short session of its own, so one store object is shared by
all threads (the server's worker threads, the grader's callbacks). Write methods on
SQLite take the write lock when their transaction begins (``BEGIN IMMEDIATE``) and
wait up to the busy timeout for it; on PostgreSQL the rows they change are locked
with ``SELECT ... FOR UPDATE``. Either way two writers never lose each other's
updates, and a finished submission and the progress it earns commit together.

Ids and user names that cannot exist (wrong type, too long, control characters)
are answered like unknown ones: None or an empty list, never an exception, so the
REST API can pass them through as they come and answer 404.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

from alembic.util.exc import CommandError
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, defer, sessionmaker

from ..errors import SubmissionLimitReached
from ..results import ERROR_KINDS as ERROR_KIND_WORDS
from ..results import FINAL_STATUSES, MODES
from .engine import WRITE_OPTION, is_memory_sqlite, make_engine
from .instructor import InstructorQueries
from .migrate import upgrade_engine
from .models import Progress, Submission
from .reads import SubmissionReads
from .values import (
    clean_json,
    parse_time,
    require_id,
    require_name,
    result_figures,
    utc_now,
    valid_id,
)

#: Error kinds of the result JSON contract (``error.kind``).
ERROR_KINDS = frozenset(ERROR_KIND_WORDS)


class StoreError(Exception):
    """A store operation that cannot be carried out."""


class SubmissionNotFound(StoreError, LookupError):
    """No submission has this id."""


class SubmissionExists(StoreError, ValueError):
    """A submission with this id is stored already."""


class AlreadyRegraded(StoreError):
    """This regrade replaced the submission's result already (a job run twice)."""


class SubmissionStore(SubmissionReads, InstructorQueries):
    """The submissions database (SQLite file or PostgreSQL), migrated on start.

    Parameters
    ----------
    url:
        A SQLAlchemy URL: ``sqlite:////abs/path/codequest.sqlite``,
        ``postgresql+psycopg://user:password@host/db``, or ``sqlite://`` (in memory).
    migrate:
        Upgrade the schema to the newest revision first (default). Off, the schema
        must be at head already: ``codequest db upgrade`` does that.
    engine_options:
        Extra keyword arguments for ``sqlalchemy.create_engine`` (pool sizes, echo).
    """

    def __init__(
        self,
        url: str | URL,
        *,
        migrate: bool = True,
        engine_options: dict[str, Any] | None = None,
    ) -> None:
        self.url = make_url(url)
        self.engine = make_engine(self.url, **(engine_options or {}))
        # An in-memory database is one shared connection: take turns on it.
        self._guard = threading.RLock() if is_memory_sqlite(self.url) else None
        if migrate:
            try:
                upgrade_engine(self.engine)
            except CommandError as exc:
                self.engine.dispose()
                raise StoreError(
                    f"cannot upgrade the database schema ({exc}); is the database "
                    "from a newer version of CodeQuest?"
                ) from exc
        self._read_sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._write_sessions = sessionmaker(
            self.engine.execution_options(**{WRITE_OPTION: True}), expire_on_commit=False
        )

    def __repr__(self) -> str:
        return f"SubmissionStore({self.url.render_as_string(hide_password=True)!r})"

    def close(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    def __enter__(self) -> SubmissionStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- sessions -------------------------------------------------------------

    @contextmanager
    def _reading(self) -> Iterator[Session]:
        with self._guard or nullcontext(), self._read_sessions() as session:
            yield session

    @contextmanager
    def _writing(self) -> Iterator[Session]:
        with self._guard or nullcontext(), self._write_sessions() as session:
            with session.begin():
                yield session

    # -- writes ---------------------------------------------------------------

    def create_submission(
        self,
        result: dict[str, Any],
        code: dict[str, Any] | None = None,
        max_submits: int | None = None,
    ) -> str:
        """Store a new submission (result JSON with status "queued" or "running").

        ``code`` is the snapshot graded: ``{"notebook": <nbformat JSON>, "files":
        {path: text}}``. Returns the submission's id. Raises ``ValueError`` for a
        malformed result and ``SubmissionExists`` for an id used already.

        With ``max_submits``, a "submit" submission is refused with
        ``SubmissionLimitReached`` when the learner has made that many of this
        challenge already; the count and the insert are one transaction, serialised
        per learner and challenge, so two submissions at once cannot both take the
        last one.
        """
        if not isinstance(result, dict):
            raise ValueError("result must be a JSON object")
        result = clean_json(result)
        sid = require_id(result.get("id"))
        user = require_name(result.get("user"), "user")
        challenge = require_name(result.get("challenge"), "challenge")
        mode = result.get("mode")
        if mode not in MODES:
            raise ValueError(f"mode must be one of {sorted(MODES)}, not {mode!r}")
        status = result.get("status", "queued")
        if status not in ("queued", "running"):
            raise ValueError(f"a new submission is queued or running, not {status!r}")
        submitted_at = parse_time(result.get("submitted_at"), "submitted_at")
        result["status"] = status
        row = Submission(
            id=sid,
            user=user,
            challenge=challenge,
            challenge_version=str(result.get("challenge_version") or "")[:128],
            mode=mode,
            status=status,
            submitted_at=submitted_at,
            started_at=utc_now() if status == "running" else None,
            code=clean_json(code) if code is not None else None,
            result=result,
            error=None,
            error_kind=None,
            late=bool(result.get("late")),
            **result_figures(result),
        )
        try:
            with self._writing() as session:
                if max_submits is not None and mode == "submit":
                    self._lock_progress(session, user, challenge)
                    used = self._count_submits(session, user, challenge)
                    if used >= max_submits:
                        raise SubmissionLimitReached(
                            f"All {max_submits} submissions of this challenge are used "
                            "(Run tests still works)"
                        )
                session.add(row)
        except IntegrityError as exc:
            if self.get_result(sid) is not None:
                raise SubmissionExists(f"submission {sid!r} exists already") from exc
            raise
        return sid

    def mark_running(self, sid: str) -> bool:
        """Record that grading of a submission (re)started: status "running", started_at now.

        A submission left "running" by a server that stopped may be marked again when
        it is graded again. Returns False (and changes nothing) when the submission is
        final already. Raises ``SubmissionNotFound`` for an unknown id.
        """
        with self._writing() as session:
            row = self._locked_row(session, sid)
            if row.status in FINAL_STATUSES:
                return False
            row.status = "running"
            row.started_at = utc_now()
            row.result = {**row.result, "status": "running"}
        return True

    def finish(self, sid: str, result: dict[str, Any]) -> bool:
        """Store the final result JSON of a submission and update the learner's progress.

        The first final state wins: finishing a submission that is already passed,
        failed or error returns False and changes nothing. Raises
        ``SubmissionNotFound`` for an unknown id and ``ValueError`` for a result that
        is not final or belongs to another submission.
        """
        if not isinstance(result, dict):
            raise ValueError("result must be a JSON object")
        result = clean_json(result)
        status = result.get("status")
        if status not in FINAL_STATUSES:
            raise ValueError(f"a final result is passed, failed or error, not {status!r}")
        error = result.get("error")
        if error is not None and not isinstance(error, dict):
            raise ValueError("error must be an object or null")
        numbers = result_figures(result)
        with self._writing() as session:
            row = self._locked_row(session, sid)
            for key, stored in (
                ("id", row.id),
                ("user", row.user),
                ("challenge", row.challenge),
                ("mode", row.mode),
            ):
                if key in result and result[key] != stored:
                    raise ValueError(
                        f"result {key} {result[key]!r} does not match submission's {stored!r}"
                    )
            if row.status in FINAL_STATUSES:
                return False
            # Keep the stored identity fields if the result leaves any out.
            result = {
                "id": row.id,
                "challenge": row.challenge,
                "challenge_version": row.challenge_version,
                "user": row.user,
                "mode": row.mode,
                "submitted_at": row.result.get("submitted_at"),
                **result,
            }
            self._apply_final(session, row, result, status, error, numbers)
        return True

    def mark_error(self, sid: str, kind: str, message: str) -> bool:
        """End a submission with an error (say, the server stopped while grading it).

        Counts as a failed attempt in the learner's progress. Returns False (and
        changes nothing) when the submission is final already. Raises
        ``SubmissionNotFound`` for an unknown id, ``ValueError`` for an unknown kind.
        """
        if kind not in ERROR_KINDS:
            raise ValueError(f"error kind must be one of {sorted(ERROR_KINDS)}, not {kind!r}")
        error = clean_json({"kind": kind, "message": str(message)})
        with self._writing() as session:
            row = self._locked_row(session, sid)
            if row.status in FINAL_STATUSES:
                return False
            result = {**row.result, "status": "error", "error": error}
            self._apply_final(session, row, result, "error", error, result_figures(result))
        return True

    def _locked_row(self, session: Session, sid: str) -> Submission:
        if not valid_id(sid):
            raise SubmissionNotFound(f"no submission {sid!r}")
        row = session.execute(
            select(Submission)
            .options(defer(Submission.code))  # the snapshot is not needed to update
            .where(Submission.id == sid)
            .with_for_update()
        ).scalar_one_or_none()
        if row is None:
            raise SubmissionNotFound(f"no submission {sid!r}")
        return row

    def _apply_final(
        self,
        session: Session,
        row: Submission,
        result: dict[str, Any],
        status: str,
        error: dict[str, Any] | None,
        numbers: dict[str, Any],
    ) -> None:
        row.status = status
        for key, value in numbers.items():
            setattr(row, key, value)
        row.finished_at = utc_now()
        row.result = result
        row.error = error
        kind = error.get("kind") if error else None
        row.error_kind = str(kind)[:32] if kind is not None else None
        self._update_progress(session, row)

    def _update_progress(self, session: Session, row: Submission) -> None:
        """Fold one finished submission into its learner's progress row.

        The rules match the backfill in migration 0002_progress.
        """
        progress = self._lock_progress(session, row.user, row.challenge)
        self._fold(progress, row)

    def _lock_progress(self, session: Session, user: str, challenge: str) -> Progress:
        """The learner's progress row of a challenge, created if missing, locked."""
        keys = {"user": user, "challenge": challenge}
        dialect = session.get_bind().dialect.name
        if dialect in ("postgresql", "sqlite"):
            insert = pg_insert if dialect == "postgresql" else sqlite_insert
            # Create the row if missing without racing a concurrent creator.
            session.execute(
                insert(Progress).values(username=user, challenge=challenge).on_conflict_do_nothing()
            )
            return session.execute(
                select(Progress).filter_by(**keys).with_for_update()
            ).scalar_one()
        # pragma: no cover - other backends are not supported officially
        progress = session.execute(
            select(Progress).filter_by(**keys).with_for_update()
        ).scalar_one_or_none() or Progress(**keys)
        session.add(progress)
        return progress

    @staticmethod
    def _fold(progress: Progress, row: Submission) -> None:
        """Count one finished submission into a progress row."""
        progress.attempts = progress.attempts or 0
        progress.failed_attempts = progress.failed_attempts or 0
        progress.runs = progress.runs or 0

        if row.mode == "submit":
            progress.attempts += 1
            if row.status != "passed":
                progress.failed_attempts += 1
            graded = row.status in ("passed", "failed")
            if graded and (
                progress.best_points is None
                or (row.points, row.score) > (progress.best_points, progress.best_score or 0)
            ):
                progress.best_score = row.score
                progress.best_total = row.total
                progress.best_points = row.points
                progress.max_points = row.max_points
            if row.status == "passed" and (
                progress.completed_at is None or row.submitted_at < progress.completed_at
            ):
                progress.completed_at = row.submitted_at
        else:
            progress.runs += 1
        if progress.last_submitted_at is None or row.submitted_at > progress.last_submitted_at:
            progress.last_submitted_at = row.submitted_at
