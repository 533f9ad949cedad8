"""The instructors' actions of the submission service: gradebook, analytics, regrades.

A mixin of :class:`~codequest_jupyter.submissions.SubmissionService` (it uses the
service's catalog, store, grader and grading slots), kept in its own file so each
holds one job. The REST handlers check the instructor role before calling these.
No tornado imports.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import anyio
from traitlets import Integer
from traitlets.config import LoggingConfigurable

from .analytics import challenge_stats, class_matrix
from .errors import NotFound
from .gradebook import gradebook_csv, rows_from_submits
from .regrade import RegradeJobs
from .validation import operation

if TYPE_CHECKING:
    from .challenges import ChallengeCatalog
    from .store import AsyncSubmissionStore


class InstructorActions(LoggingConfigurable):
    """Gradebook CSV, class matrix, challenge statistics, regrade jobs."""

    stats_results = Integer(
        5000, help="Newest Submit results a challenge's statistics are computed from."
    )

    # Provided by SubmissionService.
    catalog: ChallengeCatalog
    store: AsyncSubmissionStore
    grader: Any
    concurrency: int
    _slots: asyncio.Semaphore | None

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.regrades = RegradeJobs()

    async def start(self) -> None:  # pragma: no cover - SubmissionService.start
        raise NotImplementedError

    async def gradebook(self, challenges: list[str] | None = None) -> str:
        """The gradebook CSV (the same text as ``codequest export``)."""
        rows = rows_from_submits(await self.store.finished_submits(challenges or None))
        return gradebook_csv(rows)

    async def class_matrix(self, challenges: list[str] | None = None) -> dict[str, Any]:
        """Learner x challenge: best points, attempts, last activity, passed, late."""
        submits = await self.store.finished_submits(challenges or None)
        # Off the event loop: 60-160 ms for 10,000 submissions on a busy 2-core machine,
        # and the dashboard asks every few seconds while it is open.
        return await anyio.to_thread.run_sync(class_matrix, submits)

    async def challenge_stats(self, challenge_id: str) -> dict[str, Any]:
        """Score distribution, per-test failure rates and messages, submissions per day."""
        self.catalog.get(challenge_id)
        results = await self.store.challenge_results(challenge_id, self.stats_results)
        return await anyio.to_thread.run_sync(challenge_stats, challenge_id, results)

    async def start_regrade(self, body: Any) -> dict[str, Any]:
        """Start regrading a challenge's submissions in the background; the job's JSON."""
        await self.start()
        body = operation("startRegrade").check_body(body)
        # Against the challenge as it is on disk now (a test was just fixed): reload the
        # catalog, so learners' new submissions are graded against it too.
        await anyio.to_thread.run_sync(self.catalog.reload)
        challenge = self.catalog.get(body["challenge"])
        job = self.regrades.start(
            self.store,
            self.grader,
            challenge,
            user=body.get("learner") or None,
            latest=bool(body.get("latest", False)),
            slots=self._slots,
            concurrency=self.concurrency,
            log=self.log,
        )
        return job.to_json(with_items=False)

    async def regrade(self, job_id: str) -> dict[str, Any]:
        """A regrade's progress (``done`` of ``total``) and, once finished, old vs new."""
        return self.regrades.get(job_id).to_json()

    async def result_history(self, sid: str) -> dict[str, Any]:
        """A submission's current result's figures and the results regrades replaced."""
        current = await self.store.get_result(sid)
        if current is None:
            raise NotFound(f"No submission '{sid}'")
        return {"current": current, "previous": await self.store.result_history(sid)}
