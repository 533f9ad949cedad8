"""Regrading stored submissions against a challenge as it is now (say, a test was fixed).

:func:`run_regrade` grades the selected submissions again from their stored snapshots,
several at once through the grader (its kernel pool), and makes each new result the
submission's current one while the store keeps the old one beside it
(``result_history``: which challenge version graded what). Learners then see the new
result in their history. Lateness is judged again against the challenge's schedule
as it is now, from the time the submission was made.

Used by ``codequest regrade`` (its own grader), by the instructors' REST endpoint
(:class:`RegradeJobs`, the server's grader, sharing its grading slots so learners'
submissions keep their turn) and, on a hub whose service queues gradings, by the
grading workers (one job per submission, see :mod:`.worker.queued`). A regrade
replaces a submission's result at most once, however often its job runs. No
tornado imports.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .challenges import Challenge
from .deadlines import apply_late
from .errors import NotFound
from .grading import SubmissionInvalid
from .results import error_result, utc_now_iso
from .store import AlreadyRegraded, AsyncSubmissionStore
from .store.values import parse_time

#: The figures of a result an old-versus-new comparison shows.
FIGURES = ("status", "score", "total", "points", "max_points", "challenge_version")


def figures(result: dict[str, Any]) -> dict[str, Any]:
    return {key: result.get(key) for key in FIGURES}


@dataclass
class RegradeItem:
    """One regraded submission: its figures before and after."""

    id: str
    user: str
    submitted_at: str
    old: dict[str, Any]
    new: dict[str, Any]

    @property
    def changed(self) -> bool:
        keys = ("status", "score", "points")
        return any(self.old.get(k) != self.new.get(k) for k in keys)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "user": self.user,
            "submitted_at": self.submitted_at,
            "old": self.old,
            "new": self.new,
            "changed": self.changed,
        }


@dataclass
class RegradeJob:
    """A regrade's progress: ``done`` of ``total`` submissions, and what changed."""

    challenge: str
    user: str | None = None
    latest: bool = False
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    status: str = "running"  # running | finished | failed
    total: int = 0
    done: int = 0
    started_at: str = field(default_factory=utc_now_iso)
    finished_at: str | None = None
    challenge_version: str = ""
    error: str | None = None
    items: list[RegradeItem] = field(default_factory=list)
    elapsed_s: float = 0.0
    #: The selection's submission ids (a queued regrade reads its progress by them).
    submissions: list[str] = field(default_factory=list)
    #: Submissions whose regrading failed outright (their result left as it was).
    failed: int = 0

    def to_json(self, with_items: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "challenge": self.challenge,
            "challenge_version": self.challenge_version,
            "user": self.user,
            "latest": self.latest,
            "status": self.status,
            "total": self.total,
            "done": self.done,
            "changed": sum(1 for i in self.items if i.changed),
            "failed": self.failed,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "error": self.error,
        }
        if with_items:
            data["items"] = [i.to_json() for i in self.items]
        return data


async def regrade_one(
    store: AsyncSubmissionStore, grader: Any, challenge: Challenge, sid: str, job_id: str
) -> RegradeItem | None:
    """Grade one stored submission again and make the new result its current one.

    None when regrade ``job_id`` replaced this submission's result already (its job
    is run again after a worker stopped): the submission keeps that one result.
    """
    if await store.regraded(sid, job_id):
        return None
    stored = await store.get_result(sid)
    code = await store.get_code(sid)
    if stored is None or code is None:
        raise NotFound(f"No submission '{sid}'")
    try:
        graded = await grader.grade(
            challenge,
            notebook=code.get("notebook"),
            files=code.get("files") or None,
            mode=stored["mode"],
            user=stored["user"],
            submission_id=sid,
            submitted_at=stored["submitted_at"],
        )
        result = graded.to_json()
    except SubmissionInvalid as exc:
        result = error_result(stored, "notebook", str(exc), challenge.version)
    except asyncio.CancelledError:
        raise
    except Exception:  # noqa: BLE001 - a grading fault is this submission's error result
        result = error_result(
            stored,
            "internal",
            "Grading failed because of a problem on the server.",
            challenge.version,
        )
    at = parse_time(stored["submitted_at"], "submitted_at")
    schedule = challenge.schedule
    result = apply_late(result, schedule.is_late(at), schedule.penalty_at(at))
    result["regraded_at"] = utc_now_iso()
    try:
        old = await store.replace_result(sid, result, job_id)
    except AlreadyRegraded:
        return None
    return RegradeItem(
        id=sid,
        user=stored["user"],
        submitted_at=stored["submitted_at"],
        old=figures(old),
        new=figures(result),
    )


async def run_regrade(
    store: AsyncSubmissionStore,
    grader: Any,
    challenge: Challenge,
    job: RegradeJob,
    *,
    concurrency: int = 2,
    slots: asyncio.Semaphore | None = None,
    on_item: Callable[[RegradeJob, RegradeItem], None] | None = None,
) -> RegradeJob:
    """Regrade ``job``'s selection, ``concurrency`` at a time (under ``slots`` if given).

    ``job.done``/``job.items`` grow as gradings finish; ``on_item`` is called after
    each. Items come back in submission order whatever order they finished in.
    """
    started = time.monotonic()
    job.challenge_version = challenge.version
    selection = await store.regrade_selection(challenge.id, user=job.user, latest=job.latest)
    job.total = len(selection)
    gate = slots or asyncio.Semaphore(max(1, concurrency))
    order = {row["id"]: i for i, row in enumerate(selection)}
    pending = iter(selection)

    async def worker() -> None:
        # Each worker queues for a grading slot with one submission at a time, so
        # learners' submissions sharing the slots keep their turn: they wait for at
        # most ``concurrency`` regradings, never for the whole selection.
        for row in pending:
            async with gate:
                item = await regrade_one(store, grader, challenge, row["id"], job.id)
            job.done += 1
            if item is None:  # a selection lists each submission once: never here
                continue
            job.items.append(item)
            if on_item is not None:
                on_item(job, item)

    try:
        await asyncio.gather(*(worker() for _ in range(min(max(1, concurrency), job.total))))
    except asyncio.CancelledError:
        job.status, job.error = "failed", "cancelled"
        raise
    except Exception as exc:
        job.status, job.error = "failed", str(exc) or type(exc).__name__
        raise
    finally:
        job.items.sort(key=lambda i: order.get(i.id, 0))
        job.finished_at = utc_now_iso()
        job.elapsed_s = time.monotonic() - started
    job.status = "finished"
    return job


class RegradeJobs:
    """The server's regrades: started in the background, looked up by id for progress."""

    def __init__(self, keep: int = 50) -> None:
        self.keep = keep
        self.jobs: dict[str, RegradeJob] = {}
        self._tasks: set[asyncio.Task[Any]] = set()

    def start(
        self,
        store: AsyncSubmissionStore,
        grader: Any,
        challenge: Challenge,
        *,
        user: str | None,
        latest: bool,
        slots: asyncio.Semaphore | None,
        concurrency: int,
        log: Any = None,
    ) -> RegradeJob:
        job = self.add(RegradeJob(challenge=challenge.id, user=user, latest=latest))

        async def work() -> None:
            try:
                await run_regrade(
                    store, grader, challenge, job, concurrency=concurrency, slots=slots
                )
            except Exception:
                if log is not None:
                    log.exception("CodeQuest: regrade %s of %s failed", job.id, challenge.id)

        task = asyncio.ensure_future(work())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return job

    def add(self, job: RegradeJob) -> RegradeJob:
        """Keep ``job`` (run elsewhere) for lookups, forgetting the oldest finished ones."""
        self.jobs[job.id] = job
        while len(self.jobs) > self.keep:
            oldest = next((j for j in self.jobs.values() if j.status != "running"), None)
            if oldest is None:
                break
            del self.jobs[oldest.id]
        return job

    def get(self, job_id: str) -> RegradeJob:
        job = self.jobs.get(job_id)
        if job is None:
            raise NotFound(f"No regrade '{job_id}'")
        return job

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
