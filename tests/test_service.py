"""SubmissionService: queueing, bounded workers, event fan-out, recovery and shutdown.

The store is the real SQLite store. The grader here is a double whose gradings wait
on gates the test opens, which is what makes queueing and fan-out observable; the
real grader on real kernels is exercised by test_api.py and test_restart.py.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from server_fixtures import ANSWER_HIDDEN, ANSWER_TESTS, answer_notebook, write_challenge

from codequest_jupyter import results
from codequest_jupyter.challenges import ChallengeCatalog
from codequest_jupyter.channel import replay_events
from codequest_jupyter.errors import InvalidRequest, NotFound, RateLimited
from codequest_jupyter.grading import SubmissionInvalid
from codequest_jupyter.ratelimit import SlidingWindowLimiter
from codequest_jupyter.results import GradeResult
from codequest_jupyter.store import AsyncSubmissionStore, SubmissionStore
from codequest_jupyter.submissions import SubmissionRequest, SubmissionService
from codequest_jupyter.validation import operation


class GatedGrader:
    """A grader double: two tests per grading, released by the test through gates.

    ``answer_notebook(-1)`` makes it raise RuntimeError, ``answer_notebook(-2)``
    SubmissionInvalid; otherwise the first test passes when the answer is 42.
    """

    def __init__(self) -> None:
        self.active = 0
        self.max_active = 0
        self.calls: list[dict[str, Any]] = []
        self.started = self.closed = False
        self.gates: dict[str, asyncio.Event] = {}
        self.open_all = False

    async def start(self) -> None:
        self.started = True

    async def close(self) -> None:
        self.closed = True

    def gate(self, sid: str) -> asyncio.Event:
        return self.gates.setdefault(sid, asyncio.Event())

    def release(self, sid: str | None = None) -> None:
        if sid is None:
            self.open_all = True
            for gate in self.gates.values():
                gate.set()
        else:
            self.gate(sid).set()

    async def grade(
        self,
        challenge,
        notebook=None,
        files=None,
        mode="submit",
        *,
        user="",
        submission_id=None,
        submitted_at=None,
        on_event=None,
    ) -> GradeResult:
        self.calls.append(
            {
                "sid": submission_id,
                "user": user,
                "mode": mode,
                "notebook": notebook,
                "files": files,
                "challenge": challenge.id,
            }
        )
        self.active += 1
        self.max_active = max(self.max_active, self.active)
        try:
            source = notebook["cells"][0]["source"]
            value = int(source.rsplit("return", 1)[1])
            if value == -1:
                raise RuntimeError("engine bug")
            if value == -2:
                raise SubmissionInvalid("not a notebook after all")
            tests = [
                results.TestResult(
                    id="tests/t.py::test_a",
                    name="test_a",
                    hidden=False,
                    status="passed" if value == 42 else "failed",
                    points=1 if value == 42 else 0,
                ),
                results.TestResult(
                    id="tests/t.py::test_b", name="test_b", hidden=False, status="passed", points=1
                ),
            ]
            on_event(
                "collected",
                {
                    "total": 2,
                    "tests": [
                        {"id": t.id, "name": t.name, "hidden": False, "max_points": 1}
                        for t in tests
                    ],
                },
            )
            if not self.open_all:
                await self.gate(submission_id).wait()
            for t in tests:
                on_event("test", t.to_json())
                await asyncio.sleep(0)
            return GradeResult(
                id=submission_id,
                challenge=challenge.id,
                challenge_version=challenge.version,
                user=user,
                mode=mode,
                submitted_at=submitted_at,
                tests=tests,
            ).finish()
        finally:
            self.active -= 1


@pytest.fixture
def catalog(tmp_path: Path) -> ChallengeCatalog:
    root = tmp_path / "challenges"
    write_challenge(
        root,
        "answer",
        starter="def answer():\n    return 0\n",
        tests=ANSWER_TESTS,
        hidden=ANSWER_HIDDEN,
    )
    write_challenge(root, "other", starter="def answer():\n    return 0\n", tests=ANSWER_TESTS)
    return ChallengeCatalog([root])


@pytest.fixture
def store(tmp_path: Path) -> AsyncSubmissionStore:
    return AsyncSubmissionStore(SubmissionStore(f"sqlite:///{tmp_path / 'cq.sqlite'}"))


def make_service(catalog, store, grader=None, **kwargs) -> SubmissionService:
    return SubmissionService(
        catalog=catalog,
        store=store,
        grader=grader or GatedGrader(),
        workspace=None,
        keepalive_s=0.05,
        poll_s=0.05,
        **kwargs,
    )


async def until(predicate, timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "condition never came true"
        await asyncio.sleep(0.01)


async def collect(agen) -> list[tuple[str, Any]]:
    return [event async for event in agen if event[0] != "ping"]


# -- submitting -------------------------------------------------------------------


async def test_submit_stores_queued_snapshot_then_running_then_final(catalog, store):
    service = make_service(catalog, store)
    grader = service.grader
    nb = answer_notebook(42)
    queued = await service.submit(
        "alice", "answer", {"mode": "run", "notebook": nb, "files": {"extra.py": "X = 1\n"}}
    )
    sid = queued["id"]
    assert queued["status"] == "queued" and queued["user"] == "alice"
    assert grader.started
    assert await store.get_code(sid) == {"notebook": nb, "files": {"extra.py": "X = 1\n"}}
    await until(lambda: grader.active == 1)
    assert (await store.get_result(sid))["status"] == "running"
    grader.release(sid)
    final = await service.wait("alice", sid)
    assert final["status"] == "passed" and final["score"] == 2
    assert await store.get_result(sid) == final
    assert grader.calls[0]["mode"] == "run" and grader.calls[0]["user"] == "alice"
    await service.stop()
    assert grader.closed


async def test_workers_are_bounded_by_the_concurrency(catalog, store):
    service = make_service(catalog, store, concurrency=2)
    grader = service.grader
    sids = [
        (await service.submit("alice", "answer", {"notebook": answer_notebook(42)}))["id"]
        for _ in range(6)
    ]
    await until(lambda: grader.active == 2)
    await asyncio.sleep(0.1)  # give a third worker every chance to start
    assert grader.max_active == 2
    assert service.active == {"queued": 4, "running": 2}
    statuses = [(await store.get_result(s))["status"] for s in sids]
    assert statuses.count("running") == 2 and statuses.count("queued") == 4
    grader.release()
    for sid in sids:
        assert (await service.wait("alice", sid))["status"] == "passed"
    assert grader.max_active == 2
    await until(lambda: service.active == {"queued": 0, "running": 0})
    await service.stop()


async def test_every_follower_sees_every_event_in_order(catalog, store):
    service = make_service(catalog, store)
    grader = service.grader
    sid = (await service.submit("alice", "answer", {"notebook": answer_notebook(7)}))["id"]
    early = [asyncio.ensure_future(collect(service.events("alice", sid))) for _ in range(3)]
    await until(lambda: grader.active == 1)
    middle = asyncio.ensure_future(collect(service.events("alice", sid)))
    await asyncio.sleep(0.05)
    grader.release(sid)
    streams = await asyncio.gather(*early, middle)
    kinds = ["status", "status", "collected", "test", "test", "result"]
    for events in streams:
        assert [k for k, _ in events] == kinds
        assert events == streams[0]
    assert [d for k, d in streams[0] if k == "status"] == [
        {"status": "queued"},
        {"status": "running"},
    ]
    final = streams[0][-1][1]
    assert final["status"] == "failed"
    # After the end: a replay from the store, same tests, same result.
    late = await collect(service.events("alice", sid))
    assert late == replay_events(final)
    assert [k for k, _ in late] == ["collected", "test", "test", "result"]
    await service.stop()


async def test_result_while_running_has_the_tests_finished_so_far(catalog, store):
    grader = GatedGrader()
    service = make_service(catalog, store, grader=grader)
    sid = (await service.submit("alice", "answer", {"notebook": answer_notebook(42)}))["id"]
    await until(lambda: grader.active == 1)
    channel = service._channels[sid]
    channel.publish("test", {"id": "x", "name": "x"})  # as the grader would
    partial = await service.result("alice", sid)
    assert partial["status"] == "running" and partial["tests"] == [{"id": "x", "name": "x"}]
    grader.release(sid)
    assert len((await service.wait("alice", sid))["tests"]) == 2
    await service.stop()


async def test_nobody_reads_another_users_submission(catalog, store):
    service = make_service(catalog, store)
    service.grader.release()
    sid = (await service.submit("alice", "answer", {"notebook": answer_notebook(42)}))["id"]
    await service.wait("alice", sid)
    for call in (
        service.result("bob", sid),
        service.code("bob", sid),
        service.wait("bob", sid),
        collect(service.events("bob", sid)),
        service.restore("bob", sid, {}),
    ):
        with pytest.raises(NotFound):
            await call
    assert (await service.result("carol", sid, any_user=True))["user"] == "alice"
    await service.stop()


async def test_grader_faults_become_error_results(catalog, store):
    service = make_service(catalog, store)
    service.grader.release()
    crash = (await service.submit("alice", "answer", {"notebook": answer_notebook(-1)}))["id"]
    invalid = (await service.submit("alice", "answer", {"notebook": answer_notebook(-2)}))["id"]
    result = await service.wait("alice", crash)
    assert result["status"] == "error" and result["error"]["kind"] == "internal"
    assert "engine bug" not in result["error"]["message"]  # no internals for learners
    result = await service.wait("alice", invalid)
    assert result["status"] == "error" and result["error"]["kind"] == "notebook"
    assert (await store.get_result(invalid))["status"] == "error"
    await service.stop()


async def test_a_store_that_fails_to_finish_still_answers_followers(catalog, store):
    class FailingFinish(AsyncSubmissionStore):
        async def finish(self, sid, result):
            raise OSError("disk full")

    flaky = FailingFinish(store.sync)
    service = make_service(catalog, flaky, store_retry_s=1.0)  # not the 2 minutes' default
    service.grader.release()
    sid = (await service.submit("alice", "answer", {"notebook": answer_notebook(42)}))["id"]
    assert (await service.wait("alice", sid))["status"] == "passed"
    # Not recorded as final, so the next start grades it again.
    assert (await store.get_result(sid))["status"] == "running"
    await service.stop()


async def test_submission_rate_limit_per_user(catalog, store):
    service = make_service(catalog, store, submissions_per_minute=2)
    service.grader.release()
    for _ in range(2):
        await service.submit("alice", "answer", {"notebook": answer_notebook(42)})
    with pytest.raises(RateLimited) as info:
        await service.submit("alice", "answer", {"notebook": answer_notebook(42)})
    assert 1 <= info.value.retry_after <= 60
    await service.submit("bob", "answer", {"notebook": answer_notebook(42)})
    await service.stop()


def test_sliding_window_limiter():
    now = [0.0]
    limiter = SlidingWindowLimiter(3, 60.0, clock=lambda: now[0])
    for t in (0.0, 10.0, 20.0):
        now[0] = t
        limiter.hit("alice")
    now[0] = 30.0
    with pytest.raises(RateLimited) as info:
        limiter.hit("alice")
    assert info.value.retry_after == 30  # the first hit leaves the window at t=60
    limiter.hit("bob")
    now[0] = 60.0
    limiter.hit("alice")  # t=0 has left the window
    now[0] = 200.0
    assert limiter.retry_after("alice") == 0 and "alice" not in limiter._events
    assert SlidingWindowLimiter(0).retry_after("x") == 0  # 0 = no limit


# -- recovery and shutdown ------------------------------------------------------------


async def store_unfinished(store, catalog, user, challenge, value, running=False) -> str:
    """A submission as a crashed server leaves it: stored, never finished."""
    from codequest_jupyter.results import new_submission_id, utc_now_iso

    ch = catalog.get(challenge) if challenge in catalog else None
    sid = new_submission_id()
    await store.create_submission(
        GradeResult(
            id=sid,
            challenge=challenge,
            challenge_version=ch.version if ch else "gone",
            user=user,
            mode="submit",
            submitted_at=utc_now_iso(),
        ).to_json(),
        code={"notebook": answer_notebook(value), "files": {}},
    )
    if running:
        await store.mark_running(sid)
    return sid


async def test_start_regrades_unfinished_submissions_from_their_snapshots(catalog, store):
    queued = await store_unfinished(store, catalog, "alice", "answer", 42)
    running = await store_unfinished(store, catalog, "bob", "answer", 7, running=True)
    orphan = await store_unfinished(store, catalog, "alice", "vanished", 42)
    service = make_service(catalog, store)
    service.grader.release()
    await service.start()
    assert (await service.wait("alice", queued))["status"] == "passed"
    assert (await service.wait("bob", running))["status"] == "failed"
    by_sid = {c["sid"]: c for c in service.grader.calls}
    assert set(by_sid) == {queued, running}
    assert by_sid[running]["notebook"] == answer_notebook(7) and by_sid[running]["user"] == "bob"
    gone = await store.get_result(orphan)
    assert gone["status"] == "error" and gone["error"]["kind"] == "internal"
    assert "'vanished' is no longer available" in gone["error"]["message"]
    assert await store.unfinished() == []
    await service.stop()


async def test_recovery_can_be_limited_to_this_servers_users(catalog, store):
    mine = await store_unfinished(store, catalog, "alice", "answer", 42)
    theirs = await store_unfinished(store, catalog, "bob", "answer", 42)
    service = make_service(catalog, store, recover_users={"alice"})
    service.grader.release()
    await service.start()
    assert (await service.wait("alice", mine))["status"] == "passed"
    assert (await store.get_result(theirs))["status"] == "queued"
    await service.stop()


async def test_a_grading_owned_by_another_server_is_followed_through_the_store(catalog, store):
    sid = await store_unfinished(store, catalog, "bob", "answer", 42)
    service = make_service(catalog, store, recover_users={"alice"})
    await service.start()
    follower = asyncio.ensure_future(collect(service.events("bob", sid)))
    waiter = asyncio.ensure_future(service.wait("bob", sid))
    await asyncio.sleep(0.2)
    assert not follower.done() and not waiter.done()
    final = GradeResult.from_json(await store.get_result(sid))
    final.tests = [results.TestResult(id="t::a", name="a", hidden=False, status="passed", points=1)]
    await store.finish(sid, final.finish().to_json())
    events = await asyncio.wait_for(follower, 5)
    assert [k for k, _ in events] == ["collected", "test", "result"]
    assert (await asyncio.wait_for(waiter, 5))["status"] == "passed"
    assert service.grader.calls == []
    await service.stop()


async def test_a_failed_start_is_retried(catalog, store):
    class DownAtFirst(AsyncSubmissionStore):
        calls = 0

        async def unfinished(self):
            DownAtFirst.calls += 1
            if DownAtFirst.calls == 1:
                raise OSError("database unreachable")
            return await super().unfinished()

    service = make_service(catalog, DownAtFirst(store.sync))
    with pytest.raises(OSError):
        await service.start()
    service.grader.release()
    queued = await service.submit("alice", "answer", {"notebook": answer_notebook(42)})
    assert (await service.wait("alice", queued["id"]))["status"] == "passed"
    assert DownAtFirst.calls == 2
    await service.stop()


async def test_stop_leaves_cut_short_gradings_for_the_next_start(catalog, store):
    service = make_service(catalog, store, concurrency=1, drain_timeout_s=0.1)
    grader = service.grader
    sids = [
        (await service.submit("alice", "answer", {"notebook": answer_notebook(42)}))["id"]
        for _ in range(3)
    ]
    await until(lambda: grader.active == 1)
    await service.stop()
    assert grader.closed and grader.active == 0
    statuses = sorted([(await store.get_result(s))["status"] for s in sids])
    assert statuses == ["queued", "queued", "running"]
    with pytest.raises(Exception, match="shutting down"):
        await service.submit("alice", "answer", {"notebook": answer_notebook(42)})

    restarted = make_service(catalog, store)
    restarted.grader.release()
    await restarted.start()
    for sid in sids:
        assert (await restarted.wait("alice", sid))["status"] == "passed"
    await restarted.stop()


async def test_stop_lets_running_gradings_finish_within_the_drain_time(catalog, store):
    service = make_service(catalog, store, concurrency=1, drain_timeout_s=5)
    grader = service.grader
    sid = (await service.submit("alice", "answer", {"notebook": answer_notebook(42)}))["id"]
    await until(lambda: grader.active == 1)
    stopping = asyncio.ensure_future(service.stop())
    await asyncio.sleep(0.05)
    grader.release(sid)
    await stopping
    assert (await store.get_result(sid))["status"] == "passed"


# -- request checks ---------------------------------------------------------------------


def test_submission_request_checks(catalog):
    ch = catalog.get("answer")
    req = SubmissionRequest.from_json(
        {"notebook": answer_notebook(1), "files": {"./a//b.py": "x"}}, ch
    )
    assert req.mode == "submit" and req.files == {"a/b.py": "x"} and req.path is None
    req = SubmissionRequest.from_json({"mode": "run", "path": "codequest/answer/answer.ipynb"}, ch)
    assert req.notebook is None and req.path == "codequest/answer/answer.ipynb"
    for body in (
        None,
        [],
        {"mode": "x"},
        {"files": {"answer.ipynb": "x"}},
        {"files": {"solution/s.py": "x"}},
        {"path": "x.py"},
        {"notebook": []},
    ):
        with pytest.raises(InvalidRequest):
            SubmissionRequest.from_json(body, ch)


def test_page_checks():
    # Query parameters are checked against the OpenAPI document's parameter schemas.
    page = operation("listChallengeSubmissions")
    assert page.check_query({}) == {}
    assert page.check_query({"limit": [b"5"], "offset": [b"10"]}) == {"limit": 5, "offset": 10}
    for limit, offset in (("0", None), ("x", None), (None, "-1"), ("501", None), ("1.5", None)):
        args = {k: [v.encode()] for k, v in (("limit", limit), ("offset", offset)) if v}
        with pytest.raises(InvalidRequest):
            page.check_query(args)


# -- faults ---------------------------------------------------------------------


async def test_a_locked_database_delays_the_result_but_loses_nothing(catalog, store, tmp_path):
    import sqlite3

    service = make_service(catalog, store)
    grader = service.grader
    queued = await service.submit(
        "alice", "answer", {"mode": "run", "notebook": answer_notebook(42)}
    )
    sid = queued["id"]
    await until(lambda: grader.active == 1)
    # Another writer holds the database for longer than the store's busy timeout (5 s):
    # the grading's first attempts to record its result fail with "database is locked".
    blocker = sqlite3.connect(tmp_path / "cq.sqlite", timeout=1)
    blocker.execute("BEGIN EXCLUSIVE")
    grader.release(sid)
    await until(lambda: grader.active == 0)
    await asyncio.sleep(6.5)
    assert (await store.get_result(sid))["status"] == "running"  # not recorded yet
    blocker.rollback()
    blocker.close()
    final = await service.wait("alice", sid)
    assert final["status"] == "passed"
    assert (await store.get_result(sid)) == final
    await service.stop()
