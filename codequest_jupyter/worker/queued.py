"""The submission service when grading workers grade: defer, listen, sweep.

:class:`QueuedSubmissionService` accepts, stores and serves submissions exactly like
:class:`~codequest_jupyter.submissions.SubmissionService`; it grades none itself. Each
accepted submission (stored ``queued``) becomes a procrastinate job that any
``codequest worker`` on the database takes. The workers' per-test events come back
through LISTEN/NOTIFY into the same in-memory channels the event streams and
``?wait=true`` requests follow, so the REST API and its clients see no difference.

A sweep every ``sweep_s`` keeps every accepted submission on its way to one final,
truthful state whatever fails: a submission with no job waiting or running (its
deferral failed while the database was down, or a job was lost) is queued again; the
jobs of workers that stopped sending heartbeats (killed) are handed to other workers;
a followed submission whose result notification was missed (the listener was
reconnecting) is closed from the store; the submissions of a regrade whose queueing
the database cut off are queued. While no worker is alive, followers are told
that the submission waits for one, which is not an error.

Instructors' regrades go to the workers too: one job per selected submission
(:meth:`QueuedSubmissionService.start_regrade`). What a regrade covers is stored
(table ``regrades``) and its progress is read from the database (the results it
replaced, the jobs that failed), so it is the same whichever worker regrades, after
a worker is killed, and from a restarted service.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import anyio
from traitlets import Float, Instance, default

from ..channel import EventChannel, replay_events
from ..regrade import RegradeItem, RegradeJob
from ..results import FINAL_STATUSES, utc_now_iso
from ..submissions import SubmissionService
from ..validation import operation
from .events import EventListener
from .queue import JobQueue, conninfo

#: What followers read while no worker is alive (an event and the queued status).
NO_WORKER = (
    "No grading worker is running right now. Your submission is saved and will be "
    "graded as soon as one starts."
)


class WorkersGrade:
    """The grader of a service whose workers grade: nothing is graded, started or
    confined here (no kernel pool, no fork server, no judge). Whether the sandbox works
    is each worker's business, checked and logged where it grades; a service on a
    machine without bubblewrap (a pod without the privileges) still takes submissions.
    """

    def start(self) -> None:
        pass

    def close(self) -> None:
        pass

    async def grade(self, challenge: Any, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("this service's submissions are graded by `codequest worker`s")


class QueuedSubmissionService(SubmissionService):
    """A submission service whose gradings run on ``codequest worker`` processes."""

    queue = Instance(
        JobQueue,
        help="The grading job queue (procrastinate); by default on the database of the "
        "application that made this service (its db_url).",
    )
    sweep_s = Float(5.0, config=True, help="How often unfinished submissions are checked on.")
    requeue_after_s = Float(
        10.0,
        config=True,
        help="Age of an unfinished submission without a job before it is queued again.",
    )
    stalled_worker_s = Float(
        30.0,
        config=True,
        help="Seconds without a heartbeat after which a worker counts as gone and its "
        "jobs go to other workers (at least the workers' heartbeat interval, twice).",
    )

    @default("grader")
    def _grader_default(self) -> WorkersGrade:
        return WorkersGrade()

    @default("queue")
    def _queue_default(self) -> JobQueue:
        # Made by a server whose c.CodeQuestApp.submission_service_class names this class.
        db_url = getattr(self.parent, "db_url", None)
        if not db_url:
            raise ValueError("QueuedSubmissionService needs a queue or a parent with a db_url")
        return JobQueue(db_url)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._listener: EventListener | None = None
        self._sweeper: asyncio.Task[None] | None = None
        self._workers_alive: bool | None = None
        self._queueing_regrades: set[str] = set()  # regrades whose jobs this one defers

    # -- lifecycle --------------------------------------------------------------

    async def _start(self) -> None:
        await self.queue.open()
        if self._listener is None:
            self._listener = EventListener(
                conninfo(self.queue.db_url), self._on_event, on_connect=self._close_finished
            )
            self._listener.start()
            if not await self._listener.wait_connected(30.0):
                self.log.warning("CodeQuest: not listening to grading events yet")
        await super()._start()
        if self._sweeper is None:
            self._sweeper = asyncio.ensure_future(self._sweep_forever())

    async def recover(self) -> int:
        """Queue every unfinished submission that has no grading job."""
        rows = [
            row
            for row in await self.store.unfinished()
            if not self.recover_users or row["user"] in self.recover_users
        ]
        jobless = await self.queue.jobless([row["id"] for row in rows])
        for sid in jobless:
            self.log.info("CodeQuest: queueing unfinished submission %s again", sid)
            self._enqueue(sid)
        return len(jobless)

    async def stop(self) -> None:
        self._stopping = True
        sweeper, self._sweeper = self._sweeper, None
        if sweeper is not None:
            sweeper.cancel()
            await asyncio.gather(sweeper, return_exceptions=True)
        await super().stop()
        if self._listener is not None:
            await self._listener.close()
        await self.queue.close()

    @property
    def active(self) -> dict[str, int]:
        return {"queued": len(self._channels), "running": 0}

    # -- queueing ---------------------------------------------------------------

    def _enqueue(self, sid: str, channel: EventChannel | None = None) -> None:
        if self._stopping:
            return
        task = asyncio.ensure_future(self._defer(sid))
        self._waiting.add(task)
        task.add_done_callback(self._forget)

    async def _defer(self, sid: str) -> None:
        try:
            await self._record(self.queue.defer, sid)
        except Exception:
            # Stored queued: the sweep queues it once the database answers again.
            self.log.exception("CodeQuest: could not queue the grading of %s yet", sid)
            return
        if self._workers_alive is False:
            channel = self._channels.get(sid)
            if channel is not None:
                channel.publish("status", {"status": "queued", "message": NO_WORKER})

    # -- events from the workers --------------------------------------------------

    def _on_event(self, sid: str, kind: str, data: dict[str, Any]) -> None:
        channel = self._channels.get(sid)
        if channel is None:
            return  # followed by no one here (another service's, or recovered)
        channel.publish(kind, data)
        if kind == "result":
            self._close(sid, channel)

    def _close(self, sid: str, channel: EventChannel) -> None:
        channel.close()
        if self._channels.get(sid) is channel:
            del self._channels[sid]

    async def _close_finished(self) -> None:
        """Close the channels of submissions whose result was stored meanwhile."""
        for sid, channel in list(self._channels.items()):
            stored = await self.store.get_result(sid)
            if stored is None:
                self._close(sid, channel)
            elif stored["status"] in FINAL_STATUSES:
                if channel.final is None:
                    catch_up(channel, stored)
                self._close(sid, channel)

    # -- regrades -------------------------------------------------------------------

    async def start_regrade(self, body: Any) -> dict[str, Any]:
        """Queue a regrade for the workers, one job per selected submission; its JSON."""
        await self.start()
        body = operation("startRegrade").check_body(body)
        # Against the challenge as it is on disk now; each worker reloads its library
        # when it has an older version.
        await anyio.to_thread.run_sync(self.catalog.reload)
        challenge = self.catalog.get(body["challenge"])
        job = RegradeJob(
            challenge=challenge.id,
            user=body.get("learner") or None,
            latest=bool(body.get("latest", False)),
        )
        job.challenge_version = challenge.version
        selection = await self.store.regrade_selection(
            challenge.id, user=job.user, latest=job.latest
        )
        job.submissions = [row["id"] for row in selection]
        job.total = len(job.submissions)
        self.regrades.add(job)
        await self.store.save_regrade(_record(job))
        queued = 0
        self._queueing_regrades.add(job.id)
        try:
            for sid in job.submissions:
                await self.queue.defer_regrade(sid, job.id, challenge.id, challenge.version)
                queued += 1
        except Exception as exc:  # noqa: BLE001 - the database went away meanwhile
            # Stored with every selected submission: the sweep queues the rest.
            self.log.error(
                "CodeQuest: regrade %s: %d of %d submissions queued, the rest will be "
                "queued once the database answers (%s)",
                job.id,
                queued,
                job.total,
                exc,
            )
        finally:
            self._queueing_regrades.discard(job.id)
        self.log.info(
            "CodeQuest: regrade %s of %s: %d submissions queued for the grading workers",
            job.id,
            challenge.id,
            queued,
        )
        await self._refresh_regrade(job)
        return job.to_json(with_items=False)

    async def queue_regrades_left(self) -> int:
        """Queue the submissions of unfinished regrades that have neither a job nor a
        regrade result (their queueing was cut off); how many. Regrades whose queueing
        is under way in this process, or started less than ``requeue_after_s`` ago
        (maybe still queueing in another), are left alone."""
        cutoff = time.time() - self.requeue_after_s
        count = 0
        for record in await self.store.running_regrades():
            if record["id"] in self._queueing_regrades or _epoch(record["started_at"]) > cutoff:
                continue
            sids = record["submissions"]
            regraded = {item["id"] for item in await self.store.regrade_items(record["id"], sids)}
            queued = await self.queue.regrade_queued(record["id"])
            for sid in sids:
                if sid in regraded or sid in queued:
                    continue
                self.log.warning(
                    "CodeQuest: regrade %s: submission %s had no job; queued", record["id"], sid
                )
                await self.queue.defer_regrade(
                    sid, record["id"], record["challenge"], record["challenge_version"]
                )
                count += 1
        return count

    async def regrade(self, job_id: str) -> dict[str, Any]:
        """A queued regrade's progress, read from the store and the job queue."""
        job = self.regrades.jobs.get(job_id)
        if job is None:  # started before a restart, or by another service process
            record = await self.store.get_regrade(job_id)
            if record is None:
                return self.regrades.get(job_id).to_json()  # NotFound
            job = _job(record)
            await self._refresh_regrade(job)
            self.regrades.add(job)
        elif job.status == "running":
            await self._refresh_regrade(job)
        return job.to_json()

    async def _refresh_regrade(self, job: RegradeJob) -> None:
        """Read the progress from the database; store the end once it is reached."""
        items = await self.store.regrade_items(job.id, job.submissions)
        job.items = [RegradeItem(**item) for item in items]
        if job.status == "running" and job.submissions:  # a finished one keeps its count
            states = await self.queue.regrade_jobs(job.id)
            job.failed = sum(states.get(state, 0) for state in ("failed", "cancelled", "aborted"))
        job.done = min(job.total, len(job.items) + job.failed)
        if job.done < job.total or job.status != "running":
            return
        job.status = "finished"
        job.finished_at = utc_now_iso()
        if job.failed:
            failed = (
                f"{job.failed} submission(s) could not be regraded (their results are "
                "unchanged; the grading workers' logs say why)."
            )
            job.error = f"{job.error} {failed}" if job.error else failed
        await self.store.save_regrade(_record(job))

    # -- the sweep ----------------------------------------------------------------

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(self.sweep_s)
            try:
                await self.sweep()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - the database may be down a while
                self.log.warning("CodeQuest: grading sweep failed: %s", exc)

    async def sweep(self) -> None:
        """One round of the checks in the module docstring."""
        await self.queue.retry_stalled(self.stalled_worker_s)
        alive = await self.queue.live_workers(self.stalled_worker_s) > 0
        if not alive and self._workers_alive is not False:
            self.log.warning("CodeQuest: no grading worker is running")
            for channel in self._channels.values():
                channel.publish("status", {"status": "queued", "message": NO_WORKER})
        elif alive and self._workers_alive is False:
            self.log.info("CodeQuest: a grading worker is running again")
        self._workers_alive = alive
        await self._close_finished()
        cutoff = time.time() - self.requeue_after_s
        rows = [
            row
            for row in await self.store.unfinished()
            if (not self.recover_users or row["user"] in self.recover_users)
            and _epoch(row["submitted_at"]) < cutoff
        ]
        for sid in await self.queue.jobless([row["id"] for row in rows]):
            self.log.warning("CodeQuest: submission %s had no grading job; queued again", sid)
            self._enqueue(sid)
        await self.queue_regrades_left()


def catch_up(channel: EventChannel, stored: dict[str, Any]) -> None:
    """End a channel from the stored result, with the rows its followers missed.

    The store may hold the result before the worker's last notifications arrived (or
    after some were lost to a reconnection): followers still get every test row once.
    """
    collected, *tests, result = replay_events(stored)
    if not any(kind == "collected" for kind, _ in channel.events):
        channel.publish(*collected)
    seen = {data.get("id") for data in channel.partial_tests()}
    for kind, data in tests:
        if data.get("id") not in seen:
            channel.publish(kind, data)
    channel.publish(*result)


_RECORDED = ("id", "challenge", "challenge_version", "user", "latest", "submissions", "status",
             "failed", "error", "started_at", "finished_at")  # fmt: skip


def _record(job: RegradeJob) -> dict[str, Any]:
    """What the store keeps of a queued regrade (its progress is read, not stored)."""
    return {key: getattr(job, key) for key in _RECORDED}


def _job(record: dict[str, Any]) -> RegradeJob:
    job = RegradeJob(**{key: record[key] for key in _RECORDED})
    job.total = len(job.submissions)
    return job


def _epoch(iso: str | None) -> float:
    from ..store.values import parse_time

    if not iso:
        return 0.0
    return parse_time(iso, "time").timestamp()
