"""The database schema: one row per submission, one row per (user, challenge) progress.

The models are the source of the schema; the alembic revisions in ``migrations/``
create it, and ``tests/test_store.py`` checks that the two agree.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Stable constraint names, so later migrations can refer to them on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: JSON documents; JSONB on PostgreSQL (compact, binary, indexable).
JSONDocument = JSON().with_variant(JSONB(), "postgresql")

#: A 64-bit surrogate key; SQLite only auto-increments a plain INTEGER PRIMARY KEY.
SurrogateKey = BigInteger().with_variant(Integer(), "sqlite")

#: Statuses of a submission that is still waiting for its result.
UNFINISHED_STATUSES = ("queued", "running")


class UTCDateTime(TypeDecorator[_dt.datetime]):
    """A timezone-aware UTC timestamp on every backend.

    PostgreSQL keeps the zone (``timestamptz``); SQLite stores text without one.
    Values are normalised to UTC on the way in and come back aware on the way out,
    so comparisons and formatting never mix naive and aware datetimes.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: _dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=_dt.timezone.utc)
        value = value.astimezone(_dt.timezone.utc)
        if dialect.name == "sqlite":
            # Naive text in a fixed format sorts and compares correctly.
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> _dt.datetime | None:
        if not isinstance(value, _dt.datetime):
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=_dt.timezone.utc)
        return value.astimezone(_dt.timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Submission(Base):
    """One graded (or still grading) submission: the result JSON plus the code snapshot.

    ``pk`` is an internal insertion-ordered key: it breaks ties between submissions
    made in the same second, so "newest first" is stable. ``id`` is the public,
    unguessable id of the API.
    """

    __tablename__ = "submissions"

    pk: Mapped[int] = mapped_column(SurrogateKey, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(64), unique=True)
    user: Mapped[str] = mapped_column("username", String(255))
    challenge: Mapped[str] = mapped_column(String(255))
    challenge_version: Mapped[str] = mapped_column(String(128), default="")
    mode: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    score: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    points: Mapped[float] = mapped_column(Float, default=0.0)
    max_points: Mapped[float] = mapped_column(Float, default=0.0)
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
    submitted_at: Mapped[_dt.datetime] = mapped_column(UTCDateTime())
    started_at: Mapped[_dt.datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[_dt.datetime | None] = mapped_column(UTCDateTime())
    #: ``{"notebook": <nbformat JSON>, "files": {path: text}}``
    code: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    #: The full result JSON (tests, cell errors and all).
    result: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    #: The result's ``error`` object, kept apart so listings need not load ``result``.
    error: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    error_kind: Mapped[str | None] = mapped_column(String(32))
    #: Made after the challenge's ``due`` time (the result JSON's ``late``).
    late: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))

    __table_args__ = (
        # A learner's history of one challenge, newest first, in one index range scan
        # (B-trees are read backwards for DESC, so plain ascending columns serve it).
        Index("ix_submissions_user_challenge_time", "username", "challenge", "submitted_at", "pk"),
        # A learner's history across challenges.
        Index("ix_submissions_user_time", "username", "submitted_at", "pk"),
        # The instructors' view, filtered by challenge or not.
        Index("ix_submissions_challenge_time", "challenge", "submitted_at", "pk"),
        Index("ix_submissions_time", "submitted_at", "pk"),
        # Recovery after a restart looks only at unfinished rows: a partial index
        # keeps that lookup tiny however many finished rows there are.
        Index(
            "ix_submissions_unfinished",
            "status",
            sqlite_where=text("status IN ('queued', 'running')"),
            postgresql_where=text("status IN ('queued', 'running')"),
        ),
    )


class ResultHistory(Base):
    """A result a regrade replaced, kept beside the submission's current one.

    One row per replaced result: which challenge version graded it, its figures and
    the whole result JSON, and the regrade that replaced it. The submission's own row
    always holds the newest result, which learners see in their history.
    """

    __tablename__ = "result_history"

    pk: Mapped[int] = mapped_column(SurrogateKey, primary_key=True, autoincrement=True)
    submission_id: Mapped[str] = mapped_column(String(64), index=True)
    challenge_version: Mapped[str] = mapped_column(String(128), default="")
    status: Mapped[str] = mapped_column(String(16))
    score: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    points: Mapped[float] = mapped_column(Float, default=0.0)
    max_points: Mapped[float] = mapped_column(Float, default=0.0)
    graded_at: Mapped[_dt.datetime | None] = mapped_column(UTCDateTime())
    replaced_at: Mapped[_dt.datetime] = mapped_column(UTCDateTime())
    regrade_id: Mapped[str | None] = mapped_column(String(64))
    result: Mapped[dict[str, Any]] = mapped_column(JSONDocument)


class Regrade(Base):
    """An instructor's regrade queued for the grading workers: what it covers.

    Its progress is read from ``result_history`` (the results it replaced) and the
    job queue; this row lets any service process, a restarted one included, say
    what the regrade covers and how it ended.
    """

    __tablename__ = "regrades"

    pk: Mapped[int] = mapped_column(SurrogateKey, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(64), unique=True)
    challenge: Mapped[str] = mapped_column(String(255))
    challenge_version: Mapped[str] = mapped_column(String(128), default="")
    user: Mapped[str | None] = mapped_column("username", String(255))
    latest: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The selected submissions' ids, oldest first.
    submissions: Mapped[list[str]] = mapped_column(JSONDocument)
    status: Mapped[str] = mapped_column(String(16))
    failed: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[_dt.datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[_dt.datetime | None] = mapped_column(UTCDateTime())


class Progress(Base):
    """A learner's standing on one challenge, updated with every finished submission.

    ``attempts``/``failed_attempts`` count "submit" submissions; ``runs`` counts
    "run" submissions (public tests only). The ``best_*`` figures come from the best
    graded "submit" submission (most points, then most passed tests); ``max_points``
    is that submission's maximum. ``completed_at`` is the ``submitted_at`` of the
    earliest "submit" submission that passed.
    """

    __tablename__ = "progress"

    user: Mapped[str] = mapped_column("username", String(255), primary_key=True)
    challenge: Mapped[str] = mapped_column(String(255), primary_key=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    runs: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    best_score: Mapped[int | None] = mapped_column(Integer)
    best_total: Mapped[int | None] = mapped_column(Integer)
    best_points: Mapped[float | None] = mapped_column(Float)
    max_points: Mapped[float | None] = mapped_column(Float)
    completed_at: Mapped[_dt.datetime | None] = mapped_column(UTCDateTime())
    last_submitted_at: Mapped[_dt.datetime | None] = mapped_column(UTCDateTime())
