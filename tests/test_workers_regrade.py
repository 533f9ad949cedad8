"""Instructors' regrades graded by ``codequest worker`` processes (real PostgreSQL, real kernels).

The service (:class:`QueuedSubmissionService`, in this test's event loop) queues one
job per selected submission; real worker processes regrade them; the progress the
instructor reads comes from the database. A worker killed mid-regrade: its job is
taken over and each submission gets exactly one regrade result.
"""

# The fixtures come from test_workers; pytest passes them by parameter name.
# ruff: noqa: F811

from __future__ import annotations

import asyncio
import textwrap
from pathlib import Path
from typing import Any

import pytest
from test_workers import (  # noqa: F401 - db_url, library, workers: fixtures
    RIGHT,
    SETTLE_S,
    collect,
    db_url,
    library,
    make_service,
    until,
    workers,
)

pytestmark = pytest.mark.postgres

#: The slow challenge's test, fixed by the instructor: add(2, 2) is now expected to be 5.
STRICTER = """
import time
from adder import add

def test_slow_but_right():
    time.sleep(4)
    assert add(2, 2) == 5
"""


async def test_a_regrade_is_graded_by_workers_and_survives_a_killed_worker(
    db_url: str, library: Path, workers: Any
) -> None:
    service = await make_service(db_url, library)
    try:
        first = workers("w1")
        second = workers("w2")
        submitted = [
            await service.submit(user, "slow", {"notebook": RIGHT}) for user in ("ada", "bob")
        ]
        await asyncio.wait_for(
            asyncio.gather(*(collect(service, s["user"], s["id"]) for s in submitted)), SETTLE_S
        )
        sids = [s["id"] for s in submitted]
        before = [await service.result(s["user"], s["id"]) for s in submitted]
        assert [r["status"] for r in before] == ["passed", "passed"]

        # The instructor fixes the test on disk, then regrades: the service queues.
        (library / "slow" / "tests" / "test_slow.py").write_text(textwrap.dedent(STRICTER))
        started = await service.start_regrade({"challenge": "slow"})
        assert started["status"] == "running" and started["total"] == 2
        version = started["challenge_version"]
        assert version and version != before[0]["challenge_version"]

        # Each worker (one at a time) regrades one: kill the first while both run.
        async def both_doing() -> bool:
            jobs = await service.queue.regrade_jobs(started["id"])
            return jobs.get("doing", 0) == 2

        await until(both_doing, SETTLE_S, "both regrading jobs to run")
        progress = await service.regrade(started["id"])
        assert progress["status"] == "running" and progress["done"] < 2
        first.kill()

        async def finished() -> bool:
            return (await service.regrade(started["id"]))["status"] == "finished"

        await until(finished, SETTLE_S, "the regrade to finish")
        job = await service.regrade(started["id"])
        assert (job["done"], job["total"], job["changed"], job["failed"]) == (2, 2, 2, 0), job
        assert job["error"] is None
        assert [item["id"] for item in job["items"]] == sids
        for item in job["items"]:
            assert item["old"]["status"] == "passed" and item["new"]["status"] == "failed"
            assert item["new"]["challenge_version"] == version
        for submission in submitted:
            # Exactly one regrade result: one old result kept, the new one current.
            [kept] = await service.store.result_history(submission["id"])
            assert kept["regrade_id"] == started["id"] and kept["status"] == "passed"
            now = await service.result(submission["user"], submission["id"])
            assert now["status"] == "failed" and now["challenge_version"] == version
            assert now["user"] == submission["user"] and now.get("regraded_at")
        assert "regrading job" in second.log and "stalled worker is queued again" in second.log, (
            second.log[-3000:]
        )

        # An unknown regrade is a clear 404-style error, not a crash.
        from codequest_jupyter.errors import NotFound

        with pytest.raises(NotFound):
            await service.regrade("0" * 32)
    finally:
        await service.stop()


async def test_a_regrade_of_a_challenge_missing_on_the_workers_reports_the_failures(
    db_url: str, library: Path, workers: Any, tmp_path: Path
) -> None:
    """A worker that cannot regrade (its library lacks the challenge) fails the job:
    the instructor sees it counted, and the learners' results stay as they were."""
    service = await make_service(db_url, library)
    try:
        grader = workers("w1")
        submitted = await service.submit("ada", "adder", {"notebook": RIGHT})
        await asyncio.wait_for(collect(service, "ada", submitted["id"]), SETTLE_S)
        grader.stop()
        # The workers' library is the same folder: take the challenge away from the
        # next worker, after the service has read it (a library not yet copied to a
        # worker's machine).
        real = library / "adder"
        hidden_away = tmp_path / "adder-away"
        real.rename(hidden_away)
        try:
            service.catalog.reload = lambda: None  # type: ignore[method-assign]
            workers("w2")
            started = await service.start_regrade({"challenge": "adder"})

            async def finished() -> bool:
                return (await service.regrade(started["id"]))["status"] == "finished"

            await until(finished, SETTLE_S, "the regrade to finish")
        finally:
            hidden_away.rename(real)
        job = await service.regrade(started["id"])
        assert (job["done"], job["total"], job["failed"], job["changed"]) == (1, 1, 1, 0), job
        assert "could not be regraded" in job["error"]
        assert job["items"] == []
        assert await service.store.result_history(submitted["id"]) == []
        assert (await service.result("ada", submitted["id"]))["status"] == "passed"
    finally:
        await service.stop()


async def test_a_regrades_progress_survives_a_restart_of_the_service(
    db_url: str, library: Path, workers: Any
) -> None:
    """The service stopped right after queueing a regrade: its jobs run on, and a
    new service process reports the regrade to the end."""
    service = await make_service(db_url, library)
    restarted = None
    try:
        workers("w1")  # one at a time: two 4-second regradings take a while
        submitted = [
            await service.submit(user, "slow", {"notebook": RIGHT}) for user in ("ada", "bob")
        ]
        await asyncio.wait_for(
            asyncio.gather(*(collect(service, s["user"], s["id"]) for s in submitted)), SETTLE_S
        )
        started = await service.start_regrade({"challenge": "slow", "latest": True})
        assert started["total"] == 2
        await service.stop()

        restarted = await make_service(db_url, library)
        first = await restarted.regrade(started["id"])
        assert (first["challenge"], first["latest"], first["total"]) == ("slow", True, 2)
        assert first["started_at"] == started["started_at"]

        async def finished() -> bool:
            return (await restarted.regrade(started["id"]))["status"] == "finished"

        await until(finished, SETTLE_S, "the regrade to finish")
        job = await restarted.regrade(started["id"])
        assert (job["done"], job["total"], job["changed"], job["failed"]) == (2, 2, 0, 0), job
        assert [item["id"] for item in job["items"]] == [s["id"] for s in submitted]
        assert all(item["new"]["status"] == "passed" for item in job["items"])
        # Once finished, what any later process reads is the same.
        await restarted.stop()
        restarted = await make_service(db_url, library)
        again = await restarted.regrade(started["id"])
        assert again == job
    finally:
        await service.stop()
        if restarted is not None:
            await restarted.stop()


async def test_a_regrade_whose_queueing_is_cut_off_is_queued_to_the_end(
    db_url: str, library: Path, workers: Any
) -> None:
    """The database refuses the regrade's second job: the regrade covers every selected
    submission all the same, and the sweep queues the one left once it answers."""
    service = await make_service(db_url, library, requeue_after_s=1.0)
    try:
        workers("w1")
        submitted = [
            await service.submit(user, "adder", {"notebook": RIGHT}) for user in ("ada", "bob")
        ]
        await asyncio.wait_for(
            asyncio.gather(*(collect(service, s["user"], s["id"]) for s in submitted)), SETTLE_S
        )
        original = service.queue.defer_regrade
        calls = 0

        async def cut_off(*args: Any) -> int:
            nonlocal calls
            calls += 1
            if calls > 1:
                raise ConnectionError("the database is restarting")
            return await original(*args)

        service.queue.defer_regrade = cut_off  # type: ignore[method-assign]
        service._sweeper.cancel()  # type: ignore[union-attr]  # the test sweeps itself
        started = await service.start_regrade({"challenge": "adder", "latest": True})
        assert (started["total"], started["status"]) == (2, "running"), started
        assert await service.queue_regrades_left() == 0  # started just now: left alone
        service.queue.defer_regrade = original  # type: ignore[method-assign]
        await asyncio.sleep(1.2)
        assert await service.queue_regrades_left() == 1
        assert await service.queue_regrades_left() == 0  # queued once

        async def finished() -> bool:
            return (await service.regrade(started["id"]))["status"] == "finished"

        await until(finished, SETTLE_S, "the regrade to finish")
        job = await service.regrade(started["id"])
        assert (job["done"], job["total"], job["failed"], job["error"]) == (2, 2, 0, None), job
        assert sorted(item["id"] for item in job["items"]) == sorted(s["id"] for s in submitted)
    finally:
        await service.stop()
