"""The grading job queue: procrastinate on the store's PostgreSQL database.

One job per submission, task ``codequest.grade`` with ``{"submission": id}``, locked
by the submission id: procrastinate never runs two jobs of one submission at once,
so a duplicate job (deferred again by a recovery sweep, say) waits for the first and
then finds the submission final. An instructor's regrade is one job per submission,
task ``codequest.regrade``, locked by the submission id too. A worker killed outright leaves its job ``doing``
with a heartbeat that stops; :meth:`JobQueue.retry_stalled` hands such jobs back to
the queue, for another worker to take over.

procrastinate's tables are created by :func:`ensure_schema` under a PostgreSQL
advisory lock, so many services and workers starting together on a new database
create them once. No tornado, no Jupyter: used by the service and by the workers.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.engine import URL, make_url

log = logging.getLogger(__name__)

#: The procrastinate task name of a grading job.
TASK_NAME = "codequest.grade"
#: The procrastinate task name of one submission's regrading.
REGRADE_TASK = "codequest.regrade"
#: The periodic task that removes old finished jobs (procrastinate's builtin one).
CLEANUP_TASK = "codequest.remove_old_jobs"
#: The tasks a stalled worker's jobs of are handed back to the queue.
TASKS = (TASK_NAME, REGRADE_TASK)
#: The queue grading jobs go to.
QUEUE_NAME = "codequest"
# Any fixed 64-bit number, the same in every process (not the store's migration key).
_SCHEMA_LOCK_KEY = 0x6371756575653031  # "cqueue01"


def conninfo(db_url: str | URL) -> str:
    """A libpq connection string for a SQLAlchemy PostgreSQL URL (psycopg's format)."""
    url = make_url(db_url)
    if url.get_backend_name() != "postgresql":
        raise ValueError(
            "grading workers need the store on PostgreSQL (CodeQuestApp.db_url = "
            "'postgresql+psycopg://...'), not " + url.get_backend_name()
        )
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


async def ensure_schema(db_url: str | URL) -> bool:
    """Create procrastinate's tables unless they exist; True when this call made them.

    Runs under a session advisory lock: a second process waits for the first, then
    finds the tables and does nothing.
    """
    import psycopg
    from procrastinate.schema import SchemaManager

    async with await psycopg.AsyncConnection.connect(conninfo(db_url), autocommit=True) as conn:
        await conn.execute("SELECT pg_advisory_lock(%s)", (_SCHEMA_LOCK_KEY,))
        try:
            cursor = await conn.execute("SELECT to_regclass('procrastinate_jobs') IS NOT NULL")
            row = await cursor.fetchone()
            if row is not None and row[0]:
                return False
            async with conn.transaction():
                await conn.execute(SchemaManager.get_schema().encode())
            log.info("created the grading queue's tables (procrastinate)")
            return True
        finally:
            await conn.execute("SELECT pg_advisory_unlock(%s)", (_SCHEMA_LOCK_KEY,))


def make_app(db_url: str | URL, **pool_options: Any) -> Any:
    """A procrastinate ``App`` on the store's database (not yet opened)."""
    import procrastinate

    pool_options.setdefault("min_size", 1)
    pool_options.setdefault("max_size", 4)
    connector = procrastinate.PsycopgConnector(conninfo=conninfo(db_url), **pool_options)
    return procrastinate.App(connector=connector)


class JobQueue:
    """The service's side of the queue: defer grading jobs, find submissions without one."""

    def __init__(self, db_url: str | URL) -> None:
        self.db_url = db_url
        self.app = make_app(db_url)
        self._opened = False

    async def open(self) -> None:
        if not self._opened:
            await ensure_schema(self.db_url)
            await self.app.open_async()
            self._opened = True

    async def close(self) -> None:
        if self._opened:
            self._opened = False
            await self.app.close_async()

    async def defer(self, sid: str) -> int:
        """Queue the grading of submission ``sid``; the job's id."""
        deferrer = self.app.configure_task(TASK_NAME, lock=sid, queue=QUEUE_NAME)
        return await deferrer.defer_async(submission=sid)

    async def defer_regrade(self, sid: str, regrade: str, challenge: str, version: str) -> int:
        """Queue the regrading of submission ``sid`` for regrade ``regrade``; the job's id.

        ``version``: the challenge version the service regrades against (a worker
        whose library is older reloads it first).
        """
        deferrer = self.app.configure_task(REGRADE_TASK, lock=sid, queue=QUEUE_NAME)
        return await deferrer.defer_async(
            submission=sid, regrade=regrade, challenge=challenge, version=version
        )

    async def regrade_jobs(self, regrade: str) -> dict[str, int]:
        """How many of regrade ``regrade``'s jobs are in each state (todo, doing, failed...).

        Succeeded jobs are deleted as they finish: the store tells what was regraded.
        """
        rows = await self.app.connector.execute_query_all_async(
            "SELECT status::text AS status, count(*) AS n FROM procrastinate_jobs "
            "WHERE task_name = %(task)s AND args->>'regrade' = %(regrade)s GROUP BY status",
            task=REGRADE_TASK,
            regrade=regrade,
        )
        return {row["status"]: int(row["n"]) for row in rows}

    async def regrade_queued(self, regrade: str) -> set[str]:
        """The submissions regrade ``regrade`` has a job for (in any state but done:
        succeeded jobs are deleted as they finish)."""
        rows = await self.app.connector.execute_query_all_async(
            "SELECT DISTINCT lock FROM procrastinate_jobs "
            "WHERE task_name = %(task)s AND args->>'regrade' = %(regrade)s",
            task=REGRADE_TASK,
            regrade=regrade,
        )
        return {row["lock"] for row in rows}

    async def jobless(self, sids: list[str]) -> list[str]:
        """Those of ``sids`` with no grading job waiting or running."""
        if not sids:
            return []
        rows = await self.app.connector.execute_query_all_async(
            "SELECT DISTINCT lock FROM procrastinate_jobs "
            "WHERE task_name = %(task)s AND status IN ('todo', 'doing') "
            "AND lock = ANY(%(sids)s)",
            task=TASK_NAME,
            sids=list(sids),
        )
        queued = {row["lock"] for row in rows}
        return [sid for sid in sids if sid not in queued]

    async def live_workers(self, seconds_since_heartbeat: float) -> int:
        """Workers whose last heartbeat is recent."""
        row = await self.app.connector.execute_query_one_async(
            "SELECT count(*) AS n FROM procrastinate_workers "
            "WHERE last_heartbeat >= NOW() - make_interval(secs => %(s)s)",
            s=float(seconds_since_heartbeat),
        )
        return int(row["n"])

    async def retry_stalled(self, seconds_since_heartbeat: float) -> int:
        """Hand the jobs of workers gone silent back to the queue; how many."""
        return await retry_stalled(self.app, seconds_since_heartbeat)


async def retry_stalled(app: Any, seconds_since_heartbeat: float) -> int:
    """Put the (re)grading jobs of stalled workers (killed, cut off) back to ``todo``."""
    from procrastinate import exceptions

    count = 0
    stalled = [
        job
        for task in TASKS
        for job in await app.job_manager.get_stalled_jobs(
            task_name=task, seconds_since_heartbeat=seconds_since_heartbeat
        )
    ]
    for job in stalled:
        try:
            await app.job_manager.retry_job(job)
        except exceptions.ConnectorException as exc:
            # Another process retried it first (it is no longer 'doing').
            log.debug("stalled job %s not retried: %s", job.id, exc)
            continue
        count += 1
        log.warning(
            "%s job %s (submission %s) of a stalled worker is queued again",
            "regrading" if job.task_name == REGRADE_TASK else "grading",
            job.id,
            job.task_kwargs.get("submission"),
        )
    return count
