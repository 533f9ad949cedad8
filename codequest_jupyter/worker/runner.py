"""A grading worker: takes grading jobs from PostgreSQL and grades them.

A plain asyncio program over the domain (challenge catalog, store, grading engine
with its own warm kernel pool and sandbox) and procrastinate's worker loop; no web
server. Each job grades one stored submission through
:meth:`SubmissionService.grade_submission`, the code path the service uses when it
grades itself, publishing the events on LISTEN/NOTIFY as they happen. The store
keeps the first final result of a submission, so a job run twice (its first worker
was killed, or was only slow) still leaves exactly one.

A regrade job grades one stored submission again against the challenge as the
service saw it (a worker whose library is older reloads it first) and makes the new
result current, keeping the old one: the store takes one regrade result per
submission and regrade, so a job run twice stores one.

Besides grading, every worker hands the jobs of workers that stopped sending
heartbeats back to the queue (every ``heartbeat_s``), and the workers together
remove finished jobs older than ``job_retention_hours`` from the queue's tables
(procrastinate's builtin ``remove_old_jobs`` as a periodic task on ``cleanup_cron``;
procrastinate defers each run once whatever the number of workers). A job that
succeeded is deleted as it ends; this removes the failed, cancelled and aborted
ones (and any succeeded job a worker kept), so the table does not grow forever.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
from typing import Any

import anyio

from ..challenges import Challenge, ChallengeCatalog
from ..channel import EventChannel
from ..errors import ChallengeNotFound
from ..grading import Grader
from ..regrade import regrade_one
from ..results import error_result, utc_now_iso
from ..store import AlreadyRegraded, AsyncSubmissionStore
from ..submissions import SubmissionService
from .events import EventPublisher
from .queue import (
    CLEANUP_TASK,
    QUEUE_NAME,
    REGRADE_TASK,
    TASK_NAME,
    conninfo,
    ensure_schema,
    make_app,
    retry_stalled,
)

log = logging.getLogger(__name__)


class NotifyingChannel(EventChannel):
    """An event channel whose events go out as notifications, in order."""

    def __init__(self, sid: str, publisher: EventPublisher) -> None:
        super().__init__()
        self.sid = sid
        self._publisher = publisher
        self._outbox: asyncio.Queue[tuple[str, dict[str, Any]] | None] = asyncio.Queue()
        self._sender = asyncio.ensure_future(self._send())

    def publish(self, kind: str, data: dict[str, Any]) -> None:
        if not self.closed:
            self._outbox.put_nowait((kind, data))
        super().publish(kind, data)

    async def _send(self) -> None:
        while (item := await self._outbox.get()) is not None:
            await self._publisher.publish(self.sid, *item)

    async def flush(self) -> None:
        """Send what is left, then stop."""
        self._outbox.put_nowait(None)
        await self._sender


class GradingWorker:
    """Grades the queue's jobs until stopped; see the module docstring."""

    def __init__(
        self,
        *,
        db_url: str,
        catalog: ChallengeCatalog,
        store: AsyncSubmissionStore,
        grader: Grader,
        concurrency: int = 2,
        heartbeat_s: float = 10.0,
        stalled_worker_s: float = 30.0,
        name: str | None = None,
        logger: logging.Logger | None = None,
        max_attempts: int = 3,
        job_retention_hours: int = 7 * 24,
        cleanup_cron: str = "17 * * * *",
    ) -> None:
        self.db_url = db_url
        self.log = logger or log
        self.concurrency = max(1, concurrency)
        self.heartbeat_s = heartbeat_s
        self.max_attempts = max(1, max_attempts)
        self.stalled_worker_s = max(stalled_worker_s, 2 * heartbeat_s)
        self.name = name or f"{socket.gethostname()}:{os.getpid()}"
        self.grader = grader
        self.store = store
        self.catalog = catalog
        # The domain's grading path, without its in-process queue (never started here).
        self.service = SubmissionService(
            catalog=catalog, grader=grader, store=store, submissions_per_minute=0, log=self.log
        )
        self.publisher = EventPublisher(conninfo(db_url))
        self.app = make_app(db_url, max_size=self.concurrency + 3)
        self.app.task(name=TASK_NAME, queue=QUEUE_NAME, pass_context=True)(self.grade_job)
        self.app.task(name=REGRADE_TASK, queue=QUEUE_NAME, pass_context=True)(self.regrade_job)
        self.job_retention_hours = job_retention_hours
        if job_retention_hours > 0:
            self.app.periodic(cron=cleanup_cron, periodic_id="codequest")(
                self.app.task(name=CLEANUP_TASK, queue=QUEUE_NAME, pass_context=True)(
                    self.remove_old_jobs
                )
            )
        self.graded = 0
        self.regraded = 0
        self._stop = asyncio.Event()

    async def grade_job(self, context: Any, submission: str) -> None:
        """The task: grade stored submission ``submission`` (a no-op once it is final).

        A job taken over ``max_attempts`` times (its workers kept dying while grading
        it, say killed for memory) ends the submission with an error saying so,
        instead of taking down worker after worker.
        """
        channel = NotifyingChannel(submission, self.publisher)
        try:
            if context.job.attempts >= self.max_attempts:
                final = await self._give_up(submission, context.job.attempts, channel)
                return
            final = await self.service.grade_submission(submission, channel)
        finally:
            channel.close()
            await channel.flush()
        if final is not None:
            self.graded += 1

    async def _give_up(
        self, sid: str, attempts: int, channel: NotifyingChannel
    ) -> dict[str, Any] | None:
        message = (
            f"Grading was interrupted {attempts} times (the grading worker stopped while "
            "grading this submission), so it was not graded. Ask your instructor."
        )
        self.log.error("CodeQuest worker: submission %s interrupted %d times", sid, attempts)
        await self.store.mark_error(sid, "internal", message)
        stored = await self.store.get_result(sid)
        if stored is not None:
            channel.publish("result", stored)
        return stored

    async def regrade_job(
        self, context: Any, submission: str, regrade: str, challenge: str, version: str
    ) -> None:
        """The task: regrade stored submission ``submission`` for regrade ``regrade``.

        A job taken over ``max_attempts`` times stores an error result saying so as
        the regrade's result (the old one kept beside it, as for any regrade).
        """
        if context.job.attempts >= self.max_attempts:
            await self._give_up_regrade(submission, regrade, context.job.attempts, version)
            return
        item = await regrade_one(
            self.store, self.grader, await self._challenge(challenge, version), submission, regrade
        )
        if item is not None:
            self.regraded += 1

    async def _challenge(self, challenge_id: str, version: str) -> Challenge:
        """The challenge, reloading the library when it is older than the service's."""
        try:
            challenge = self.catalog.get(challenge_id)
        except ChallengeNotFound:  # published after this worker started
            await anyio.to_thread.run_sync(self.catalog.reload)
            return self.catalog.get(challenge_id)
        if version and challenge.version != version:
            await anyio.to_thread.run_sync(self.catalog.reload)
            challenge = self.catalog.get(challenge_id)
            if challenge.version != version:
                self.log.warning(
                    "CodeQuest worker: regrading %s with version %s of its library, the "
                    "service asked for %s (is the library the same on every machine?)",
                    challenge_id,
                    challenge.version,
                    version,
                )
        return challenge

    async def _give_up_regrade(self, sid: str, regrade: str, attempts: int, version: str) -> None:
        stored = await self.store.get_result(sid)
        if stored is None:
            return
        message = (
            f"Regrading was interrupted {attempts} times (the grading worker stopped while "
            "regrading this submission), so it was not regraded. Ask your instructor."
        )
        self.log.error("CodeQuest worker: regrade of %s interrupted %d times", sid, attempts)
        result = error_result(stored, "internal", message, version)
        result["regraded_at"] = utc_now_iso()
        try:
            await self.store.replace_result(sid, result, regrade)
        except AlreadyRegraded:
            pass

    async def remove_old_jobs(self, context: Any, timestamp: int) -> None:
        """The periodic task: remove jobs finished more than ``job_retention_hours`` ago."""
        from procrastinate import builtin_tasks

        await builtin_tasks.remove_old_jobs(
            context,
            max_hours=self.job_retention_hours,
            remove_failed=True,
            remove_cancelled=True,
            remove_aborted=True,
        )
        self.log.info(
            "CodeQuest worker: removed the queue's jobs finished over %d hours ago",
            self.job_retention_hours,
        )

    async def run(self, *, install_signal_handlers: bool = True) -> None:
        """Grade until :meth:`stop` (or SIGINT/SIGTERM with ``install_signal_handlers``).

        On stop, running gradings finish (up to the grading time limits) and the
        kernels and their directories are removed.
        """
        loop = asyncio.get_running_loop()
        signals = (signal.SIGINT, signal.SIGTERM) if install_signal_handlers else ()
        for signum in signals:
            loop.add_signal_handler(signum, self.stop)
        await ensure_schema(self.db_url)
        await self.grader.start()
        try:
            async with self.app.open_async():
                rescuer = asyncio.ensure_future(self._retry_stalled_forever())
                worker = asyncio.ensure_future(
                    self.app.run_worker_async(
                        queues=[QUEUE_NAME],
                        name=self.name,
                        concurrency=self.concurrency,
                        install_signal_handlers=False,  # ours, above
                        update_heartbeat_interval=self.heartbeat_s,
                        stalled_worker_timeout=self.stalled_worker_s,
                        fetch_job_polling_interval=5.0,
                        delete_jobs="successful",
                    )
                )
                stopper = asyncio.ensure_future(self._stop.wait())
                self.log.info(
                    "CodeQuest worker %s: grading up to %d submissions at once",
                    self.name,
                    self.concurrency,
                )
                await asyncio.wait({worker, stopper}, return_when=asyncio.FIRST_COMPLETED)
                rescuer.cancel()
                if not worker.done():
                    worker.cancel()  # procrastinate's graceful stop: running jobs finish
                await asyncio.gather(worker, rescuer, stopper, return_exceptions=True)
                stopper.cancel()
        finally:
            for signum in signals:
                loop.remove_signal_handler(signum)
            await self.publisher.close()
            await self.grader.close()
            await self.store.close()
            self.log.info(
                "CodeQuest worker %s stopped (%d graded, %d regraded)",
                self.name,
                self.graded,
                self.regraded,
            )

    def stop(self) -> None:
        self._stop.set()

    async def _retry_stalled_forever(self) -> None:
        while True:
            try:
                await retry_stalled(self.app, self.stalled_worker_s)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - the database may be down a while
                self.log.warning("CodeQuest worker: looking for stalled jobs failed: %s", exc)
            await asyncio.sleep(self.heartbeat_s)
