"""The submissions store: every submission's result and code, and learners' progress.

>>> from codequest_jupyter.store import SubmissionStore, AsyncSubmissionStore, upgrade
>>> store = SubmissionStore("sqlite:////srv/codequest/codequest.sqlite")  # migrates to head
>>> astore = AsyncSubmissionStore(store)     # for event-loop code

SQLite (a file, WAL mode) for one user or a small class; PostgreSQL
(``postgresql+psycopg://...``) for a hub. The schema is versioned with alembic;
``upgrade(url)`` (``codequest db upgrade``) applies the shipped migrations.
"""

from .aio import AsyncSubmissionStore
from .engine import display_url
from .migrate import current_revision, head_revision, upgrade
from .store import (
    ERROR_KINDS,
    AlreadyRegraded,
    StoreError,
    SubmissionExists,
    SubmissionNotFound,
    SubmissionStore,
)
from .values import MAX_PAGE_SIZE

__all__ = [
    "ERROR_KINDS",
    "MAX_PAGE_SIZE",
    "AlreadyRegraded",
    "AsyncSubmissionStore",
    "StoreError",
    "SubmissionExists",
    "SubmissionNotFound",
    "SubmissionStore",
    "current_revision",
    "display_url",
    "head_revision",
    "upgrade",
]
