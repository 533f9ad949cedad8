"""Schema migrations: alembic, configured from Python, shipped inside the package.

``upgrade(url)`` is what ``codequest db upgrade`` runs; ``SubmissionStore`` calls
``upgrade_engine`` on start. Both are safe to run from several processes at once
(say, every single-user server of a hub starting against one PostgreSQL database):
the upgrade runs in one transaction that first takes a lock (an advisory lock on
PostgreSQL, the write lock on SQLite), so the second process waits, then finds the
schema at head and does nothing.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import URL

from .engine import SQLITE_BUSY_TIMEOUT_MS, WRITE_OPTION, make_engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

# Any fixed 64-bit number, the same in every process that migrates this schema.
_PG_LOCK_KEY = 0x636F646571756573  # "codeques"
# A migration may rewrite a large table: a waiting process waits that long.
_SQLITE_MIGRATION_BUSY_TIMEOUT_MS = 10 * 60 * 1000


def alembic_config(connection: Connection | None = None, url: str | None = None) -> Config:
    """An alembic ``Config`` for the store's migrations (no alembic.ini involved)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        # ConfigParser interpolates '%': escape it (URL-encoded passwords contain it).
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest revision shipped with this version of the package."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision a database is at; None for a database never migrated."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade_engine(engine: Engine, revision: str = "head") -> None:
    """Bring the database behind ``engine`` to ``revision``, under a lock."""
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            _sqlite_busy_timeout(connection, _SQLITE_MIGRATION_BUSY_TIMEOUT_MS)
        try:
            connection.execution_options(**{WRITE_OPTION: True})
            with connection.begin():
                if connection.dialect.name == "postgresql":
                    connection.execute(
                        text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY}
                    )
                command.upgrade(alembic_config(connection), revision)
        finally:
            connection.execution_options(**{WRITE_OPTION: False})
            if sqlite:
                _sqlite_busy_timeout(connection, SQLITE_BUSY_TIMEOUT_MS)


def _sqlite_busy_timeout(connection: Connection, milliseconds: int) -> None:
    # On the driver connection: through SQLAlchemy it would begin a transaction.
    driver_connection = connection.connection.driver_connection
    assert driver_connection is not None
    driver_connection.execute(f"PRAGMA busy_timeout={int(milliseconds)}")


def upgrade(url: str | URL, revision: str = "head") -> str | None:
    """Upgrade the database at ``url`` to ``revision`` (default: the newest).

    Returns the revision the database is at afterwards.
    """
    engine = make_engine(url)
    try:
        upgrade_engine(engine, revision)
        return current_revision(engine)
    finally:
        engine.dispose()
