"""Old jobs leave the grading queue's tables: the workers' periodic cleanup (real PostgreSQL).

Jobs are made and finished through procrastinate's own job manager on a queue no
worker takes from, then one finished job is aged by moving its events back in time.
A real ``codequest worker`` with its cleanup every few seconds removes it and keeps
the recent finished job and the old job still waiting.
"""

# The fixtures come from test_workers; pytest passes them by parameter name.
# ruff: noqa: F811

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_workers import (  # noqa: F401 - db_url, library, workers: fixtures
    SETTLE_S,
    db_url,
    library,
    until,
    workers,
)

from codequest_jupyter.worker.queue import JobQueue

pytestmark = pytest.mark.postgres

ELSEWHERE = "codequest-test-idle"  # a queue no worker takes from


async def _finished_job(queue: JobQueue, status: Any) -> int:
    """A job deferred, taken and finished in ``status`` the way a worker does it."""
    job_id = await queue.app.configure_task("codequest.test", queue=ELSEWHERE).defer_async()
    job = await queue.app.job_manager.fetch_job([ELSEWHERE], worker_id=None)
    assert job is not None and job.id == job_id
    await queue.app.job_manager.finish_job(job, status=status, delete_job=False)
    return job_id


async def _age(queue: JobQueue, job_id: int, days: int) -> None:
    await queue.app.connector.execute_query_async(
        "UPDATE procrastinate_events SET at = at - make_interval(days => %(days)s) "
        "WHERE job_id = %(id)s",
        days=days,
        id=job_id,
    )


async def _statuses(queue: JobQueue) -> dict[int, str]:
    rows = await queue.app.connector.execute_query_all_async(
        "SELECT id, status::text AS status FROM procrastinate_jobs WHERE queue_name = %(q)s",
        q=ELSEWHERE,
    )
    return {row["id"]: row["status"] for row in rows}


async def test_workers_remove_old_finished_jobs_and_keep_recent_ones(
    db_url: str, library: Path, workers: Any
) -> None:
    from procrastinate.jobs import Status

    queue = JobQueue(db_url)
    await queue.open()
    try:
        old_failed = await _finished_job(queue, Status.FAILED)
        old_succeeded = await _finished_job(queue, Status.SUCCEEDED)
        recent_failed = await _finished_job(queue, Status.FAILED)
        old_waiting = await queue.app.configure_task(
            "codequest.test", queue=ELSEWHERE
        ).defer_async()
        for job_id in (old_failed, old_succeeded, old_waiting):
            await _age(queue, job_id, 8)
        await _age(queue, recent_failed, 6)  # within the 7 days kept
        assert set(await _statuses(queue)) == {
            old_failed,
            old_succeeded,
            recent_failed,
            old_waiting,
        }

        worker = workers(
            "w1",
            """
            c.CodeQuestWorker.job_retention_days = 7
            c.CodeQuestWorker.job_cleanup_cron = "* * * * * */2"
            """,
        )

        async def old_ones_gone() -> bool:
            return old_failed not in await _statuses(queue)

        await until(old_ones_gone, SETTLE_S, "the worker to remove the old finished jobs")
        assert await _statuses(queue) == {recent_failed: "failed", old_waiting: "todo"}
        assert "removed the queue's jobs finished over 168 hours ago" in worker.log, worker.log
    finally:
        await queue.close()


def test_the_worker_command_refuses_a_bad_cleanup_schedule(tmp_path: Path, db_url: str) -> None:
    import subprocess
    import sys

    config = tmp_path / "codequest_service_config.py"
    config.write_text(
        f"c.CodeQuestApp.db_url = {db_url!r}\nc.CodeQuestWorker.job_cleanup_cron = 'hourly'\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "codequest_jupyter", "worker", f"--config={config}"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode != 0, done.stderr
    assert "job_cleanup_cron: 'hourly' is not a cron expression" in done.stderr
