"""Alembic environment of the CodeQuest store, configured from Python (no alembic.ini).

``codequest_jupyter.store.migrate`` runs migrations inside a transaction it opened
(and, on PostgreSQL, under an advisory lock), passing the connection in
``config.attributes["connection"]``. Without one, the URL in the config's
``sqlalchemy.url`` option is used: that is how a developer autogenerates a revision::

    from alembic import command
    from codequest_jupyter.store.migrate import alembic_config
    command.revision(alembic_config(url="sqlite:////tmp/dev.sqlite"),
                     "describe the change", autogenerate=True)
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from codequest_jupyter.store.engine import make_engine
from codequest_jupyter.store.models import Base

config = context.config
target_metadata = Base.metadata


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things: later revisions use batch operations.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    try:
        with engine.connect() as connection:
            _configure(connection)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
