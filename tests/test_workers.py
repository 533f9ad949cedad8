"""Grading workers on real PostgreSQL and real kernels: queue, events, takeover, migrations.

The service side is :class:`QueuedSubmissionService` in this test's event loop (the
domain object the hub's ``codequest service`` runs with ``grading = "workers"``);
the workers are real ``codequest worker`` processes on the same database, each with
its own kernel pool. Nothing here grades in the test process: every event the
service's followers see came from a worker through LISTEN/NOTIFY.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
from challenge_factory import make_challenge, notebook
from procs import descendants

from codequest_jupyter.challenges import ChallengeCatalog
from codequest_jupyter.channel import EventChannel
from codequest_jupyter.grading import Grader, GradingSettings
from codequest_jupyter.store import AsyncSubmissionStore, SubmissionStore
from codequest_jupyter.worker.events import (
    Decoder,
    EventListener,
    EventPublisher,
    encode,
)
from codequest_jupyter.worker.queue import JobQueue, conninfo, ensure_schema
from codequest_jupyter.worker.queued import (
    NO_WORKER,
    QueuedSubmissionService,
    WorkersGrade,
    catch_up,
)

pytestmark = pytest.mark.postgres

REPO = Path(__file__).resolve().parents[1]
# Generous: two workers, kernels and PostgreSQL share a busy 2-core machine.
SETTLE_S = 240.0

SLOW_TESTS = {
    "test_slow.py": """
        import time
        from adder import add

        def test_slow_but_right():
            time.sleep(4)
            assert add(2, 2) == 4
    """
}
RIGHT = notebook("def add(a, b):\n    return a + b\n")


@pytest.fixture
def db_url(postgres_server: Any) -> Any:
    url = postgres_server.new_database("workers")
    yield url
    postgres_server.drop_database(url)


@pytest.fixture
def library(tmp_path: Path) -> Path:
    root = tmp_path / "library"
    make_challenge(root, "adder")
    make_challenge(root, "slow", tests=SLOW_TESTS, hidden={}, limits="timeout_s = 60")
    return root


class WorkerProcess:
    """A ``codequest worker`` subprocess with its own config and log file."""

    def __init__(
        self,
        tmp_path: Path,
        name: str,
        db_url: str,
        library: Path,
        extra: str = "",
        tmp: Path | None = None,
    ) -> None:
        self.dir = tmp_path / name
        self.dir.mkdir()
        self.config = self.dir / "codequest_service_config.py"
        self.config.write_text(
            textwrap.dedent(
                f"""
                c.CodeQuestApp.challenge_dirs = [{str(library)!r}]
                c.CodeQuestApp.db_url = {db_url!r}
                c.CodeQuestApp.sandbox = "auto"
                c.CodeQuestApp.grader_pool_size = 1
                c.CodeQuestWorker.grading_concurrency = 1
                c.CodeQuestWorker.heartbeat_s = 1.0
                c.CodeQuestWorker.stalled_worker_s = 5.0
                """
            )
            + textwrap.dedent(extra)
        )
        self.log_path = self.dir / "worker.log"
        # Its run directories in a folder of the test's (a deep one: a judge's socket
        # path is past the 107 bytes of a socket address), not the machine's /tmp;
        # ``tmp``: another worker's (one started after it on the same machine).
        self.tmp = tmp if tmp is not None else self.dir / "tmp"
        self.tmp.mkdir(exist_ok=True)
        env = {
            **os.environ,
            "TMPDIR": str(self.tmp),
            "JUPYTER_CONFIG_DIR": str(self.dir / "config"),
            "JUPYTER_DATA_DIR": str(self.dir / "data"),
            "JUPYTER_RUNTIME_DIR": str(self.dir / "runtime"),
        }
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "codequest_jupyter", "worker", f"--config={self.config}"],
                cwd=self.dir,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        """kill -9, the worker alone: its kernels die with it (parent-death signals)."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(30)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(30)


@pytest.fixture
def workers(tmp_path: Path, db_url: str, library: Path) -> Any:
    started: list[WorkerProcess] = []

    def start(name: str, extra: str = "") -> WorkerProcess:
        worker = WorkerProcess(tmp_path, name, db_url, library, extra)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


async def make_service(db_url: str, library: Path, **options: Any) -> QueuedSubmissionService:
    store = AsyncSubmissionStore(SubmissionStore(db_url))
    service = QueuedSubmissionService(
        catalog=ChallengeCatalog([str(library)]),
        store=store,
        queue=JobQueue(db_url),
        submissions_per_minute=0,
        **{"sweep_s": 1.0, "requeue_after_s": 5.0, "stalled_worker_s": 600.0, **options},
    )
    await service.start()
    return service


async def collect(service: QueuedSubmissionService, user: str, sid: str) -> list[tuple[str, Any]]:
    events = []
    async for kind, data in service.events(user, sid):
        if kind != "ping":
            events.append((kind, data))
    return events


async def until(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not await predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        await asyncio.sleep(0.2)


# -- events over NOTIFY ---------------------------------------------------------------


async def test_a_service_whose_workers_grade_runs_no_grading_process(
    db_url: str, library: Path
) -> None:
    """No kernel pool, fork server or judge: it takes submissions even where no
    sandbox could run (the workers' machines have one)."""
    before = set(descendants(os.getpid()))
    service = await make_service(db_url, library)
    try:
        assert isinstance(service.grader, WorkersGrade)
        queued = await service.submit("ada", "adder", {"notebook": RIGHT})
        assert (await service.result("ada", queued["id"]))["status"] == "queued"
        await asyncio.sleep(1.0)  # what a pool would have started by now
        assert set(descendants(os.getpid())) - before == set()
    finally:
        await service.stop()


def test_event_encoding_splits_and_joins_large_events() -> None:
    small = encode("s1", "test", {"id": "t", "message": "short"})
    assert len(small) == 1
    data = {"id": "t", "message": "é" * 40_000, "output": "x\n" * 9_000}
    parts = encode("s1", "test", data)
    assert len(parts) > 1
    assert all(len(p.encode()) < 8000 for p in parts)
    decoder = Decoder()
    # Parts of two events interleaved (two workers publishing at once) still join.
    other = encode("s2", "test", {"output": "y" * 30_000})
    got = []
    for a, b in zip(parts, other, strict=False):
        got += [decoder.feed(a), decoder.feed(b)]
    got += [decoder.feed(p) for p in parts[len(other) :]] + [
        decoder.feed(p) for p in other[len(parts) :]
    ]
    complete = [g for g in got if g is not None]
    assert ("s1", "test", data) in complete
    assert ("s2", "test", {"output": "y" * 30_000}) in complete


def test_a_channel_closed_from_the_store_gets_the_rows_it_missed_once() -> None:
    """The result may be stored before the worker's last rows arrive (or some were
    lost to a reconnection): followers still see every test row, once, then the result."""
    tests = [
        {"id": f"t{i}", "name": f"test_{i}", "hidden": False, "max_points": 1, "status": "passed"}
        for i in range(3)
    ]
    stored = {"id": "s", "status": "passed", "tests": tests}
    channel = EventChannel()
    channel.publish("status", {"status": "running"})
    channel.publish("collected", {"total": 3, "tests": []})
    channel.publish("test", tests[1])
    catch_up(channel, stored)
    kinds = [kind for kind, _ in channel.events]
    assert kinds == ["status", "collected", "test", "test", "test", "result"]
    assert sorted(d["id"] for d in channel.partial_tests()) == ["t0", "t1", "t2"]
    assert channel.final == stored
    empty = EventChannel()
    catch_up(empty, stored)
    assert [kind for kind, _ in empty.events] == ["collected", "test", "test", "test", "result"]


async def test_events_cross_processes_through_notify_and_listener_reconnects(
    db_url: str,
) -> None:
    received: list[tuple[str, str, dict[str, Any]]] = []
    connects = 0

    async def on_connect() -> None:
        nonlocal connects
        connects += 1

    listener = EventListener(
        conninfo(db_url), lambda *e: received.append(e), on_connect=on_connect, retry_s=0.2
    )
    listener.start()
    publisher = EventPublisher(conninfo(db_url))
    try:
        assert await listener.wait_connected(30)
        big = {"output": "z" * 50_000}
        assert await publisher.publish("sid1", "test", {"n": 1})
        assert await publisher.publish("sid1", "test", big)
        assert await publisher.publish("sid1", "result", {"status": "passed"})

        async def all_three() -> bool:
            return len(received) == 3

        await until(all_three, 30, "three events")
        assert received == [
            ("sid1", "test", {"n": 1}),
            ("sid1", "test", big),
            ("sid1", "result", {"status": "passed"}),
        ]
        # The database drops the listener's connection: it comes back by itself.
        import psycopg

        async with await psycopg.AsyncConnection.connect(
            conninfo(db_url), autocommit=True
        ) as admin:
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE query LIKE 'LISTEN%%' AND datname = current_database()"
            )

        async def reconnected() -> bool:
            return connects >= 2 and listener.connected.is_set()

        await until(reconnected, 60, "the listener to reconnect")
        assert await publisher.publish("sid2", "status", {"status": "running"})

        async def fourth() -> bool:
            return len(received) == 4

        await until(fourth, 30, "an event after reconnecting")
        assert received[-1] == ("sid2", "status", {"status": "running"})
    finally:
        await publisher.close()
        await listener.close()


# -- migrations ---------------------------------------------------------------------

MIGRATE = """
import asyncio, sys
from codequest_jupyter.store import SubmissionStore
from codequest_jupyter.worker.queue import ensure_schema
url = sys.argv[1]
SubmissionStore(url).close()
print("created" if asyncio.run(ensure_schema(url)) else "found")
"""


def test_many_processes_starting_on_a_new_database_migrate_once(db_url: str) -> None:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", MIGRATE, db_url],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(5)
    ]
    outputs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0] * 5, [err for _, err in outputs]
    words = sorted(out.strip() for out, _ in outputs)
    assert words == ["created", "found", "found", "found", "found"]
    # Both schemas are complete: the store's at head, procrastinate's usable.
    from codequest_jupyter.store import current_revision, head_revision
    from codequest_jupyter.store.engine import make_engine

    engine = make_engine(db_url)
    try:
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()
    assert asyncio.run(ensure_schema(db_url)) is False


# -- the service and its workers -------------------------------------------------------


async def test_worker_grades_and_events_stream_to_the_service(
    db_url: str, library: Path, workers: Any
) -> None:
    service = await make_service(db_url, library)
    try:
        # No worker yet: the submission waits, saved, and followers are told why.
        queued = await service.submit("ada", "adder", {"notebook": RIGHT})
        sid = queued["id"]
        follower = asyncio.ensure_future(collect(service, "ada", sid))
        await service.sweep()
        assert (await service.result("ada", sid))["status"] == "queued"

        workers("w1")
        events = await asyncio.wait_for(follower, SETTLE_S)
        kinds = [kind for kind, _ in events]
        statuses = [data.get("status") for kind, data in events if kind == "status"]
        assert statuses[0] == "queued" and "running" in statuses
        assert any(data.get("message") == NO_WORKER for kind, data in events if kind == "status")
        assert kinds.count("result") == 1 and kinds[-1] == "result"
        final = events[-1][1]
        assert final["status"] == "passed", final
        streamed = [data for kind, data in events if kind == "test"]
        assert [t["id"] for t in streamed] == [t["id"] for t in final["tests"]]
        assert len(streamed) == 3
        stored = await service.result("ada", sid)
        assert stored["status"] == "passed" and stored["score"] == final["score"]
        # ?wait=true reads the same final result.
        assert (await service.wait("ada", sid))["status"] == "passed"
    finally:
        await service.stop()


async def test_a_worker_killed_mid_grading_is_taken_over_with_one_result(
    db_url: str, library: Path, workers: Any
) -> None:
    service = await make_service(db_url, library)
    try:
        first = workers("w1")
        second = workers("w2")
        one = await service.submit("ada", "slow", {"notebook": RIGHT})
        two = await service.submit("bob", "slow", {"notebook": RIGHT})
        followers = {
            s["id"]: asyncio.ensure_future(collect(service, s["user"], s["id"])) for s in (one, two)
        }

        # Each worker (one grading at a time) takes one: both are running.
        async def both_running() -> bool:
            rows = [await service.store.get_result(s["id"]) for s in (one, two)]
            return all(r is not None and r["status"] == "running" for r in rows)

        await until(both_running, SETTLE_S, "both submissions to be running")
        first.kill()

        done = await asyncio.wait_for(asyncio.gather(*followers.values()), SETTLE_S)
        for submission, events in zip((one, two), done, strict=True):
            kinds = [kind for kind, _ in events]
            assert kinds.count("result") == 1, kinds
            stored = await service.result(submission["user"], submission["id"])
            assert stored["status"] == "passed", stored
            assert stored["user"] == submission["user"]
            assert [t["status"] for t in stored["tests"]] == ["passed"]
            assert events[-1][1]["status"] == "passed"
        # The killed worker's job was handed to the other one, which graded both.
        assert "stalled worker is queued again" in second.log, second.log[-3000:]
        # Nothing left unfinished, no job left waiting or running.
        assert await service.store.unfinished() == []
        sids = [one["id"], two["id"]]

        async def no_job_left() -> bool:  # the worker acknowledges just after publishing
            return await service.queue.jobless(sids) == sids

        await until(no_job_left, 60, "the jobs to be done")
        history = [await service.store.result_history(s["id"]) for s in (one, two)]
        assert history == [[], []]
    finally:
        await service.stop()


async def test_submissions_accepted_while_the_queue_is_unreachable_are_graded_later(
    db_url: str, library: Path, workers: Any
) -> None:
    """A deferral that failed (the database refused it) is made again by the sweep."""
    service = await make_service(db_url, library, requeue_after_s=1.0)
    try:
        original = service.queue.defer

        async def refuse(sid: str) -> int:
            raise ConnectionError("the database is restarting")

        service.queue.defer = refuse  # type: ignore[method-assign]
        service.store_retry_s = 0.0
        accepted = await service.submit("ada", "adder", {"notebook": RIGHT})
        await asyncio.sleep(0.5)
        assert await service.queue.jobless([accepted["id"]]) == [accepted["id"]]
        service.queue.defer = original  # type: ignore[method-assign]
        workers("w1")
        final = await asyncio.wait_for(service.wait("ada", accepted["id"]), SETTLE_S)
        assert final["status"] == "passed"
        assert final["id"] == accepted["id"] and final["user"] == "ada"
    finally:
        await service.stop()


def test_a_worker_whose_sandbox_cannot_run_takes_no_job(
    tmp_path: Path, db_url: str, library: Path
) -> None:
    """Every grading would end in an error charged to its learner: it exits instead,
    saying why, and the submission stays queued for a worker that can grade it."""
    broken = tmp_path / "broken-bin"
    broken.mkdir()
    (broken / "bwrap").write_text(
        "#!/bin/sh\necho 'bwrap: No permissions to create a new namespace' >&2\nexit 1\n"
    )
    (broken / "bwrap").chmod(0o755)

    async def submit() -> str:
        service = await make_service(db_url, library)
        try:
            sid = str((await service.submit("ada", "adder", {"notebook": RIGHT}))["id"])

            async def deferred() -> bool:
                return await service.queue.jobless([sid]) == []

            await until(deferred, SETTLE_S, "the grading job")
            return sid
        finally:
            await service.stop()

    sid = asyncio.run(submit())
    config = tmp_path / "config.py"
    config.write_text(
        f"c.CodeQuestApp.challenge_dirs = [{str(library)!r}]\n"
        f"c.CodeQuestApp.db_url = {db_url!r}\n"
        "c.CodeQuestApp.sandbox = 'bwrap'\n"
    )
    env = {**os.environ, "PATH": f"{broken}{os.pathsep}{os.environ['PATH']}"}
    for name in ("config", "data", "runtime"):
        env[f"JUPYTER_{name.upper()}_DIR"] = str(tmp_path / name)
    done = subprocess.run(
        [sys.executable, "-m", "codequest_jupyter", "worker", f"--config={config}"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path, env=env,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert "No permissions to create a new namespace" in done.stderr
    assert "start the worker again" in done.stderr

    async def status() -> tuple[str, list[str]]:
        store = AsyncSubmissionStore(SubmissionStore(db_url))
        queue = JobQueue(db_url)
        await queue.open()
        try:
            stored = await store.get_result(sid)
            return stored["status"], await queue.jobless([sid])
        finally:
            await queue.close()

    assert asyncio.run(status()) == ("queued", [])  # its job still waits


def test_worker_command_refuses_sqlite(tmp_path: Path) -> None:
    config = tmp_path / "config.py"
    config.write_text(f"c.CodeQuestApp.db_url = 'sqlite:///{tmp_path}/x.sqlite'\n")
    done = subprocess.run(
        [sys.executable, "-m", "codequest_jupyter", "worker", f"--config={config}"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode != 0
    assert "PostgreSQL" in done.stderr


async def test_a_submission_whose_workers_keep_dying_ends_with_an_error(
    db_url: str, library: Path
) -> None:
    """The fourth grading of one submission (three workers stopped while grading it)
    is not attempted: the submission ends with an error that says why, published."""
    from types import SimpleNamespace

    from codequest_jupyter.results import GradeResult, new_submission_id, utc_now_iso
    from codequest_jupyter.worker.runner import GradingWorker

    store = AsyncSubmissionStore(SubmissionStore(db_url))
    sid = new_submission_id()
    result = GradeResult(
        id=sid,
        challenge="adder",
        challenge_version="1",
        user="ada",
        mode="submit",
        submitted_at=utc_now_iso(),
    ).to_json()
    await store.create_submission(result, code={"notebook": RIGHT, "files": {}})
    worker = GradingWorker(
        db_url=db_url, catalog=ChallengeCatalog([str(library)]), store=store,
        grader=Grader(GradingSettings(pool_size=0, sandbox="auto")), max_attempts=3,
    )  # fmt: skip
    await ensure_schema(db_url)
    received: list[tuple[str, str, dict[str, Any]]] = []
    listener = EventListener(conninfo(db_url), lambda *e: received.append(e))
    listener.start()
    try:
        assert await listener.wait_connected(30)
        await worker.grade_job(SimpleNamespace(job=SimpleNamespace(attempts=3)), sid)
        stored = await store.get_result(sid)
        assert stored["status"] == "error" and stored["error"]["kind"] == "internal"
        assert "interrupted 3 times" in stored["error"]["message"]

        async def published() -> bool:
            return any(kind == "result" for _, kind, _ in received)

        await until(published, 30, "the error result to be published")
        assert received[-1][2]["status"] == "error"
        # Run again (a duplicate job): the final result stays the one stored.
        await worker.grade_job(SimpleNamespace(job=SimpleNamespace(attempts=0)), sid)
        assert await store.get_result(sid) == stored
    finally:
        await listener.close()
        await worker.publisher.close()
        await store.close()


def test_db_upgrade_creates_the_job_queue_once_and_prints_no_password(db_url: str) -> None:
    url = db_url.replace(
        "postgresql+psycopg://postgres@", "postgresql+psycopg://postgres:s3cret-pw@"
    )
    assert "s3cret-pw" in url  # trust authentication ignores it; it must not be printed
    outputs = []
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, "-m", "codequest_jupyter", "db", "upgrade", "--url", url],
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert "s3cret-pw" not in done.stdout + done.stderr
        outputs.append(done.stdout)
    assert "Created the grading workers' job queue" in outputs[0]
    assert "job queue" not in outputs[1] and "is up to date" in outputs[1]
    assert asyncio.run(ensure_schema(db_url)) is False


async def test_postgresql_restarted_mid_grading_the_submission_still_ends_once(
    tmp_path: Path, library: Path
) -> None:
    """A PostgreSQL server of its own, restarted while a worker grades: the service and
    the worker reconnect, and the submission ends passed, with one result."""
    from pg_fixture import start_postgres_server

    pg = start_postgres_server()
    try:
        url = pg.new_database("restart")
        service = await make_service(url, library)
        worker = WorkerProcess(tmp_path, "w1", url, library)
        try:
            accepted = await service.submit("ada", "slow", {"notebook": RIGHT})
            sid = accepted["id"]
            follower = asyncio.ensure_future(collect(service, "ada", sid))

            async def running() -> bool:
                row = await service.store.get_result(sid)
                return row is not None and row["status"] == "running"

            await until(running, SETTLE_S, "the grading to start")
            await asyncio.to_thread(
                pg._run, "pg_ctl", "-D", str(pg.data_dir), "-l", str(pg.log_file),
                "-m", "fast", "-w", "-t", "60", "restart",
            )  # fmt: skip
            events = await asyncio.wait_for(follower, SETTLE_S)
            assert [kind for kind, _ in events].count("result") == 1
            stored = await service.result("ada", sid)
            assert stored["status"] == "passed", (stored, worker.log[-3000:])
            assert events[-1][1]["status"] == "passed"
            assert await service.store.unfinished() == []
        finally:
            await service.stop()
            worker.stop()
    finally:
        pg.stop()
