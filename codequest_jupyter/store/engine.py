"""Engines for the store: SQLite tuned for many concurrent writers, or PostgreSQL.

Only this module knows about backend quirks. A SQLite file gets WAL journaling
(readers never wait for the writer), a busy timeout (writers queue instead of
failing), foreign keys, and transactions that SQLAlchemy (not the pysqlite
driver) begins, so a write transaction can take the write lock up front with
``BEGIN IMMEDIATE`` instead of failing half-way on a stale snapshot.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import StaticPool

#: How long a SQLite writer waits for the write lock before giving up.
SQLITE_BUSY_TIMEOUT_MS = 5000

#: Execution option asking for a write transaction (``BEGIN IMMEDIATE`` on SQLite).
WRITE_OPTION = "codequest_write"


def display_url(url: str | URL) -> str:
    """``url`` fit to print or log: its password masked (``***``); never the password."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - not a URL at all: show no part that could be secret
        return "<a database URL that cannot be parsed>"


def is_memory_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")


def make_engine(url: str | URL, **kwargs: Any) -> Engine:
    """An engine for ``url`` with the store's connection settings applied.

    ``sqlite:////abs/path.sqlite`` (the parent directory is created),
    ``sqlite://`` (in memory, one shared connection: for tests and trials) or
    ``postgresql+psycopg://user:pass@host/db`` (``postgresql://`` means the same);
    other SQLAlchemy URLs are passed on as they are.
    """
    url = make_url(url)
    if url.drivername in ("postgresql", "postgres"):
        # The driver the package depends on (psycopg 3), not SQLAlchemy's default psycopg2.
        url = url.set(drivername="postgresql+psycopg")
    if url.get_backend_name() != "sqlite":
        # A hub may run hundreds of single-user servers against one PostgreSQL, each
        # with its own pool: keep few idle connections each, allow bursts.
        kwargs.setdefault("pool_size", 2)
        kwargs.setdefault("max_overflow", 8)
        kwargs.setdefault("pool_pre_ping", True)
        return create_engine(url, **kwargs)

    if is_memory_sqlite(url):
        # One connection, or every session would see its own empty database.
        kwargs.setdefault("poolclass", StaticPool)
        kwargs.setdefault("connect_args", {"check_same_thread": False})
    elif url.database and not url.database.startswith("file:"):
        path = Path(url.database).expanduser()
        path.parent.mkdir(parents=True, exist_ok=True)
        url = url.set(database=str(path))
    engine = create_engine(url, **kwargs)
    _configure_sqlite(engine, memory=is_memory_sqlite(url))
    return engine


def _switch_to_wal(cursor: Any) -> None:
    """``PRAGMA journal_mode=WAL``, retried while another connection holds the lock.

    SQLite may answer "database is locked" to the switch at once, without waiting for
    the busy timeout (seen when several servers open one new database together). The
    mode is stored in the file: once one connection has switched, the others find it.
    """
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    delay = 0.005
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            if time.monotonic() + delay > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.2)


def _configure_sqlite(engine: Engine, *, memory: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy emit BEGIN itself (see _on_begin); pysqlite would otherwise
        # start transactions only before DML, after a SELECT already ran outside one.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            # First, so that switching to WAL below waits for a busy database too.
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            if not memory:
                _switch_to_wal(cursor)
                # Durable across application crashes in WAL mode; only an OS crash
                # can lose the last commits.
                cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        if conn.get_execution_options().get(WRITE_OPTION):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")
