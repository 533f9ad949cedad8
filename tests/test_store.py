"""The submissions store, on a real SQLite file and a real PostgreSQL server."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from submission_factory import BASE_TIME, NOTEBOOK, graded, queued, stamp, submit

from codequest_jupyter.results import (
    CellError,
    GradeError,
    GradeResult,
    new_submission_id,
)
from codequest_jupyter.results import (
    TestResult as Outcome,  # renamed: pytest would try to collect "Test*" classes
)
from codequest_jupyter.store import (
    AsyncSubmissionStore,
    StoreError,
    SubmissionExists,
    SubmissionNotFound,
    SubmissionStore,
    current_revision,
    head_revision,
    upgrade,
)
from codequest_jupyter.store.engine import make_engine
from codequest_jupyter.store.migrate import alembic_config
from codequest_jupyter.store.models import Base

FIRST_REVISION = "0001_submissions"
# -- fixtures -------------------------------------------------------------------


@pytest.fixture
def store(db_url: str) -> Any:
    store = SubmissionStore(db_url)
    yield store
    store.close()


# -- create, finish, get -------------------------------------------------------


def test_submission_lifecycle(store: SubmissionStore) -> None:
    result = queued()
    code = {"notebook": NOTEBOOK, "files": {"helpers.py": "X = 1\n"}}
    sid = store.create_submission(result.to_json(), code=code)
    assert sid == result.id

    stored = store.get_result(sid, user="alice")
    assert stored is not None
    assert stored["status"] == "queued" and stored["tests"] == []
    assert store.get_code(sid, user="alice") == code

    assert store.mark_running(sid) is True
    assert store.get_result(sid)["status"] == "running"  # type: ignore[index]
    assert store.mark_running(sid) is True  # graded again after a restart

    final = graded(result, 2, 3, hidden=1)
    assert store.finish(sid, final) is True
    assert store.get_result(sid, user="alice") == final
    assert store.get_result(sid) == final  # user=None: any user (instructors)

    # The first final state wins; a second finish or a late error changes nothing.
    assert store.finish(sid, graded(queued(), 3, 3) | {"id": sid}) is False
    assert store.mark_error(sid, "internal", "late") is False
    assert store.mark_running(sid) is False
    assert store.get_result(sid) == final
    assert store.unfinished() == []


def test_other_users_submission_is_invisible(store: SubmissionStore) -> None:
    sid = submit(store, 1, 1, user="alice")
    assert store.get_result(sid, user="bob") is None
    assert store.get_code(sid, user="bob") is None
    assert store.list_submissions("bob") == ([], 0)
    assert store.progress("bob") == {}
    assert store.get_result(sid, user="alice") is not None


@pytest.mark.parametrize(
    "garbage",
    ["", "nope", "0" * 65, "../../etc/passwd", "a\x00b", "'; DROP TABLE submissions; --",
     "%", "*", "é", " ", None, 42, 1.5, ["x"], {"id": "x"}, b"abc"],
)  # fmt: skip
def test_garbage_ids_are_unknown_not_errors(store: SubmissionStore, garbage: Any) -> None:
    sid = submit(store, 1, 1)
    assert store.get_result(garbage) is None
    assert store.get_result(garbage, user="alice") is None
    assert store.get_code(garbage) is None
    assert store.list_submissions(garbage) == ([], 0)
    assert store.progress(garbage) == {}
    if garbage is not None:  # None is "any user" / "any challenge", not garbage there
        # Garbage where a user name or challenge id goes is an unknown user, too.
        assert store.get_result(sid, user=garbage) is None
        assert store.get_code(sid, user=garbage) is None
        assert store.list_submissions("alice", challenge=garbage) == ([], 0)
        assert store.list_all(challenge=garbage) == ([], 0)
        assert store.list_all(user=garbage) == ([], 0)
    with pytest.raises(SubmissionNotFound):
        store.finish(garbage, {"status": "passed"})
    with pytest.raises(SubmissionNotFound):
        store.mark_running(garbage)
    assert store.get_result(sid) is not None  # the table is still there


def test_invalid_writes_raise_clear_errors(store: SubmissionStore) -> None:
    result = queued()
    sid = store.create_submission(result.to_json())
    with pytest.raises(SubmissionExists):
        store.create_submission(result.to_json())
    with pytest.raises(ValueError, match="mode"):
        store.create_submission(queued(mode="grade").to_json())
    with pytest.raises(ValueError, match="queued or running"):
        store.create_submission(graded(queued(), 1, 1))
    with pytest.raises(ValueError, match="submitted_at"):
        store.create_submission(queued().to_json() | {"submitted_at": "yesterday"})
    with pytest.raises(ValueError, match="user"):
        store.create_submission(queued(user="").to_json())
    with pytest.raises(ValueError, match="final"):
        store.finish(sid, result.to_json())  # still "queued"
    with pytest.raises(ValueError, match="user"):
        store.finish(sid, graded(queued(user="mallory"), 1, 1) | {"id": sid})
    with pytest.raises(SubmissionNotFound):
        store.finish(new_submission_id(), graded(queued(), 1, 1))
    with pytest.raises(ValueError, match="kind"):
        store.mark_error(sid, "exploded", "boom")
    # None of that touched the submission.
    assert store.get_result(sid)["status"] == "queued"  # type: ignore[index]
    assert store.progress("alice") == {}


def test_code_snapshot_without_code(store: SubmissionStore) -> None:
    sid = store.create_submission(queued().to_json())
    assert store.get_code(sid) == {"notebook": None, "files": {}}


def test_text_postgresql_cannot_store_is_cleaned_alike_everywhere(
    store: SubmissionStore,
) -> None:
    result = queued()
    sid = store.create_submission(
        result.to_json(), code={"notebook": NOTEBOOK, "files": {"data.txt": "a\x00b"}}
    )
    final = graded(result, 0, 1)
    final["tests"][0]["output"] = "NUL \x00, lone surrogate \ud800, ünïcode ✓"
    final["tests"][0]["points"] = float("nan")
    assert store.finish(sid, final)
    stored = store.get_result(sid)
    assert stored is not None
    assert stored["tests"][0]["output"] == "NUL \ufffd, lone surrogate ?, ünïcode ✓"
    assert stored["tests"][0]["points"] is None
    assert store.get_code(sid)["files"] == {"data.txt": "a\ufffdb"}  # type: ignore[index]


# -- listing ----------------------------------------------------------------------


def test_history_is_newest_first_and_paginates(store: SubmissionStore) -> None:
    ids = [submit(store, i % 3, 3, at=i * 60) for i in range(25)]
    submit(store, 1, 1, challenge="fizzbuzz", at=10_000)
    submit(store, 1, 1, user="bob", at=20_000)

    page, total = store.list_submissions("alice", challenge="two-sum", limit=10)
    assert total == 25
    assert [s["id"] for s in page] == ids[::-1][:10]
    page2, _ = store.list_submissions("alice", challenge="two-sum", limit=10, offset=10)
    page3, _ = store.list_submissions("alice", challenge="two-sum", limit=10, offset=20)
    assert [s["id"] for s in page + page2 + page3] == ids[::-1]
    assert store.list_submissions("alice", "two-sum", limit=10, offset=25) == ([], 25)
    assert store.list_submissions("alice", "two-sum", limit=0) == ([], 25)

    everything, total = store.list_submissions("alice")
    assert total == 26 and everything[0]["challenge"] == "fizzbuzz"

    with pytest.raises(ValueError):
        store.list_submissions("alice", limit=-1)
    with pytest.raises(ValueError):
        store.list_submissions("alice", offset=-5)


def test_summary_is_the_result_without_tests(store: SubmissionStore) -> None:
    result = queued()
    sid = store.create_submission(result.to_json())
    final = graded(result, 1, 2)
    final["cell_errors"] = [{"cell": 0, "ename": "NameError", "evalue": "x", "traceback": None}]
    store.finish(sid, final)
    (summary,), total = store.list_submissions("alice")
    details = ("tests", "cell_errors", "output_truncated", "isolation")
    expected = {k: v for k, v in final.items() if k not in details}
    expected["late"] = False  # the late flag, always in a summary
    assert total == 1 and summary == expected


def test_same_second_submissions_keep_submission_order(store: SubmissionStore) -> None:
    ids = [submit(store, 1, 1, at=0) for _ in range(6)]
    page, _ = store.list_submissions("alice", "two-sum")
    assert [s["id"] for s in page] == ids[::-1]


def test_list_all_for_instructors(store: SubmissionStore) -> None:
    a1 = submit(store, 1, 1, user="alice", challenge="two-sum", at=1)
    b1 = submit(store, 0, 1, user="bob", challenge="two-sum", at=2)
    b2 = submit(store, 1, 1, user="bob", challenge="fizzbuzz", at=3)
    assert [s["id"] for s in store.list_all()[0]] == [b2, b1, a1]
    assert store.list_all()[1] == 3
    assert [s["id"] for s in store.list_all(challenge="two-sum")[0]] == [b1, a1]
    assert [s["id"] for s in store.list_all(user="bob")[0]] == [b2, b1]
    assert store.list_all(user="bob", challenge="two-sum")[0][0]["id"] == b1
    assert store.list_all(user="carol") == ([], 0)
    assert store.list_all(limit=1, offset=1)[0][0]["id"] == b1


# -- progress -----------------------------------------------------------------------


def test_progress_counts_attempts_best_and_completion(store: SubmissionStore) -> None:
    assert store.progress("alice") == {}
    submit(store, 2, 2, mode="run", at=0)  # a passing Run: not a completion
    p = store.progress("alice")["two-sum"]
    assert (p["attempts"], p["runs"], p["completed_at"], p["best_score"]) == (0, 1, None, None)
    assert p["last_submitted_at"] == stamp(0)

    submit(store, 1, 3, at=10)
    submit(store, 2, 3, at=20)
    errored = store.create_submission(queued(at=30).to_json())
    store.mark_error(errored, "kernel_died", "The grading kernel stopped.")
    p = store.progress("alice")["two-sum"]
    assert (p["attempts"], p["failed_attempts"]) == (3, 3)
    assert (p["best_score"], p["best_total"], p["best_points"], p["max_points"]) == (2, 3, 2, 3)
    assert p["completed_at"] is None

    submit(store, 3, 3, at=40)
    submit(store, 0, 3, at=50)  # a worse submission later changes neither best nor completion
    p = store.progress("alice")["two-sum"]
    assert p == {
        "attempts": 5,
        "failed_attempts": 4,
        "runs": 1,
        "best_score": 3,
        "best_total": 3,
        "best_points": 3.0,
        "max_points": 3.0,
        "completed_at": stamp(40),
        "last_submitted_at": stamp(50),
    }
    submit(store, 1, 1, challenge="fizzbuzz", at=60)
    assert set(store.progress("alice")) == {"two-sum", "fizzbuzz"}
    assert store.progress("alice")["two-sum"] == p


def test_completion_is_the_earliest_passing_submit_whatever_order_they_finish(
    store: SubmissionStore,
) -> None:
    early, late = queued(at=100), queued(at=200)
    for r in (early, late):
        store.create_submission(r.to_json())
    store.finish(late.id, graded(late, 2, 2))
    assert store.progress("alice")["two-sum"]["completed_at"] == stamp(200)
    store.finish(early.id, graded(early, 2, 2))
    p = store.progress("alice")["two-sum"]
    assert p["completed_at"] == stamp(100)
    assert p["last_submitted_at"] == stamp(200)


# -- recovery ---------------------------------------------------------------------------


def test_unfinished_lists_queued_and_running_for_recovery(store: SubmissionStore) -> None:
    submit(store, 1, 1, at=0)
    waiting = store.create_submission(queued(user="bob", at=20).to_json())
    running = store.create_submission(queued(mode="run", at=10).to_json())
    store.mark_running(running)
    assert store.unfinished() == [
        {"id": running, "user": "alice", "challenge": "two-sum", "mode": "run",
         "status": "running", "submitted_at": stamp(10)},
        {"id": waiting, "user": "bob", "challenge": "two-sum", "mode": "submit",
         "status": "queued", "submitted_at": stamp(20)},
    ]  # fmt: skip

    assert store.mark_error(running, "internal", "The server restarted while grading.")
    assert store.mark_error(waiting, "internal", "The server restarted while grading.")
    assert store.unfinished() == []
    result = store.get_result(waiting, user="bob")
    assert result is not None and result["status"] == "error"
    assert result["error"] == {"kind": "internal", "message": "The server restarted while grading."}
    (summary,), _ = store.list_submissions("bob")
    assert summary["status"] == "error" and summary["error"]["kind"] == "internal"
    assert store.progress("bob")["two-sum"]["failed_attempts"] == 1
    assert store.progress("alice")["two-sum"]["runs"] == 1
    assert not store.finish(waiting, graded(queued(user="bob"), 1, 1) | {"id": waiting})


def test_error_results_keep_their_error_kind(store: SubmissionStore) -> None:
    result = queued()
    sid = store.create_submission(result.to_json())
    result.error = GradeError(kind="syntax", message="Cell 2 has a syntax error.", cell=2)
    final = result.finish().to_json()
    assert final["status"] == "error"
    store.finish(sid, final)
    assert store.get_result(sid) == final
    with store.engine.connect() as conn:
        kind = conn.execute(sa.text("SELECT error_kind FROM submissions")).scalar_one()
    assert kind == "syntax"
    p = store.progress("alice")["two-sum"]
    assert (p["attempts"], p["failed_attempts"], p["best_score"]) == (1, 1, None)


# -- concurrency ------------------------------------------------------------------------


def test_concurrent_writers_from_threads(store: SubmissionStore) -> None:
    threads, per_thread = 8, 25
    start = threading.Barrier(threads)

    def work(n: int) -> list[tuple[str, str]]:
        user = f"learner{n % 4}"  # two threads per learner: their progress rows collide
        start.wait()
        made = []
        for i in range(per_thread):
            result = queued(user=user, at=n * 1000 + i)
            sid = store.create_submission(result.to_json(), code={"notebook": NOTEBOOK})
            store.mark_running(sid)
            store.finish(sid, graded(result, i % 2, 1))
            made.append((sid, user))
        return made

    with ThreadPoolExecutor(threads) as pool:
        made = [pair for batch in pool.map(work, range(threads)) for pair in batch]

    assert len({sid for sid, _ in made}) == threads * per_thread
    everything, total = store.list_all(limit=1000)
    assert total == threads * per_thread
    assert sorted(s["id"] for s in everything) == sorted(sid for sid, _ in made)
    owner = {s["id"]: s["user"] for s in everything}
    assert all(owner[sid] == user for sid, user in made)
    assert all(s["status"] in ("passed", "failed") for s in everything)
    for n in range(4):
        p = store.progress(f"learner{n}")["two-sum"]
        assert p["attempts"] == 2 * per_thread
        assert p["failed_attempts"] == 2 * (per_thread - per_thread // 2)
        assert p["completed_at"] is not None
    assert store.unfinished() == []


def test_in_memory_database_is_shared_by_threads() -> None:
    with SubmissionStore("sqlite://") as store:
        with ThreadPoolExecutor(4) as pool:
            sids = list(pool.map(lambda i: submit(store, 1, 1, at=i), range(40)))
        assert store.list_submissions("alice", limit=100)[1] == 40
        assert store.progress("alice")["two-sum"]["attempts"] == 40
        assert {s["id"] for s in store.list_all(limit=100)[0]} == set(sids)


async def test_async_store_runs_calls_in_worker_threads(store: SubmissionStore) -> None:
    loop_thread = threading.get_ident()
    seen: list[int] = []
    original = store.get_result

    def spy(*args: Any, **kwargs: Any) -> Any:
        seen.append(threading.get_ident())
        return original(*args, **kwargs)

    store.get_result = spy  # type: ignore[method-assign]
    astore = AsyncSubmissionStore(store)
    result = queued()
    sid = await astore.create_submission(result.to_json(), {"notebook": NOTEBOOK, "files": {}})
    assert await astore.mark_running(sid)
    assert await astore.unfinished() == [
        {"id": sid, "user": "alice", "challenge": "two-sum", "mode": "submit",
         "status": "running", "submitted_at": stamp(0)}
    ]  # fmt: skip
    final = graded(result, 1, 1)
    assert await astore.finish(sid, final)
    assert await astore.get_result(sid, "alice") == final
    assert await astore.get_result(sid, "bob") is None
    assert seen and loop_thread not in seen
    assert (await astore.get_code(sid, "alice"))["notebook"] == NOTEBOOK  # type: ignore[index]
    assert (await astore.list_submissions("alice"))[1] == 1
    assert (await astore.list_all(challenge="two-sum"))[1] == 1
    assert (await astore.progress("alice"))["two-sum"]["completed_at"] == stamp(0)
    other = await astore.create_submission(queued().to_json())
    assert await astore.mark_error(other, "timeout", "Too slow.")


# -- SQLite settings --------------------------------------------------------------------


def test_sqlite_file_settings(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "dir" / "codequest.sqlite"
    with SubmissionStore(f"sqlite:///{path}") as store:
        assert path.exists()
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            plan = " ".join(
                str(row)
                for row in conn.exec_driver_sql(
                    "EXPLAIN QUERY PLAN SELECT id FROM submissions WHERE username = 'a' "
                    "AND challenge = 'b' ORDER BY submitted_at DESC, pk DESC LIMIT 20"
                )
            )
            # History pages come straight off the index: no sort of the learner's rows.
            assert "ix_submissions_user_challenge_time" in plan and "TEMP B-TREE" not in plan


# -- migrations -------------------------------------------------------------------------


def table_names(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_an_empty_database(db_url: str) -> None:
    assert table_names(db_url) == set()
    assert upgrade(db_url) == head_revision()
    assert {"submissions", "progress", "alembic_version"} <= table_names(db_url)
    assert upgrade(db_url) == head_revision()  # a second run is a no-op
    with SubmissionStore(db_url, migrate=False) as store:
        submit(store, 1, 1)
        assert store.list_submissions("alice")[1] == 1


def test_migrations_create_exactly_the_models(db_url: str) -> None:
    upgrade(db_url)
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        engine.dispose()
    assert diff == []


def test_upgrade_from_first_revision_keeps_rows_and_backfills_progress(
    db_url: str, postgres_or_sqlite_reference: Any
) -> None:
    assert upgrade(db_url, FIRST_REVISION) == FIRST_REVISION
    assert "progress" not in table_names(db_url)

    # Rows as the first revision's code wrote them: a mix of modes and outcomes.
    history = [
        ("alice", "two-sum", "run", 2, 2, 0),
        ("alice", "two-sum", "submit", 1, 3, 10),
        ("alice", "two-sum", "submit", 3, 3, 20),
        ("alice", "two-sum", "submit", 2, 3, 30),
        ("alice", "fizzbuzz", "submit", 0, 0, 40),  # error
        ("bob", "two-sum", "submit", 2, 3, 50),
        ("bob", "two-sum", "submit", 2, 3, 60),
    ]
    old_ids = []
    # The first revision's columns: every one but those later revisions added.
    current = Base.metadata.tables["submissions"]
    submissions = sa.Table(
        "submissions", sa.MetaData(), *(c._copy() for c in current.columns if c.name != "late")
    )
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            for user, challenge, mode, passed, total, at in history:
                result = queued(user=user, challenge=challenge, mode=mode, at=at)
                if total:
                    final = graded(result, passed, total)
                else:
                    final = result.to_json()
                    final.update(status="error", error={"kind": "syntax", "message": "bad"})
                columns = {k: final[k] for k in (
                    "id", "challenge", "challenge_version", "mode", "status", "score",
                    "total", "points", "max_points", "duration_ms", "error")}  # fmt: skip
                conn.execute(
                    submissions.insert(),
                    {
                        **columns,
                        "username": user,
                        "submitted_at": BASE_TIME + dt.timedelta(seconds=at),
                        "finished_at": BASE_TIME + dt.timedelta(seconds=at + 1),
                        "code": {"notebook": NOTEBOOK, "files": {}},
                        "result": final,
                        "error_kind": (final["error"] or {}).get("kind"),
                    },
                )
                old_ids.append((final["id"], final))
    finally:
        engine.dispose()

    with SubmissionStore(db_url) as store:  # upgrades to head on start
        assert current_revision(store.engine) == head_revision()
        for sid, final in old_ids:
            assert store.get_result(sid, user=final["user"]) == final
            assert store.get_code(sid)["notebook"] == NOTEBOOK  # type: ignore[index]
        assert store.list_submissions("alice", "two-sum")[1] == 4
        backfilled = {user: store.progress(user) for user in ("alice", "bob")}

    # The backfill agrees with the progress the store keeps live for the same history.
    reference = postgres_or_sqlite_reference
    for user, challenge, mode, passed, total, at in history:
        if total:
            submit(reference, passed, total, user=user, challenge=challenge, mode=mode, at=at)
        else:
            sid = reference.create_submission(
                queued(user=user, challenge=challenge, mode=mode, at=at).to_json()
            )
            reference.mark_error(sid, "syntax", "bad")
    assert backfilled == {user: reference.progress(user) for user in ("alice", "bob")}
    assert backfilled["alice"]["two-sum"]["completed_at"] == stamp(20)
    assert backfilled["alice"]["fizzbuzz"]["best_score"] is None


@pytest.fixture
def postgres_or_sqlite_reference(
    db_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Any:
    """A second, empty store on the same backend as ``db_url``."""
    if db_url.startswith("sqlite"):
        store = SubmissionStore(f"sqlite:///{tmp_path}/reference.sqlite")
        yield store
        store.close()
        return
    server = request.getfixturevalue("postgres_server")
    url = server.new_database()
    store = SubmissionStore(url)
    yield store
    store.close()
    server.drop_database(url)


def test_concurrent_upgrades_of_one_database(db_url: str) -> None:
    # Every server of a hub may start at once against one fresh database.
    with ThreadPoolExecutor(4) as pool:
        revisions = list(pool.map(lambda _: upgrade(db_url), range(4)))
    assert revisions == [head_revision()] * 4
    with SubmissionStore(db_url) as store:
        submit(store, 1, 1)


def test_database_from_a_newer_version_is_refused_clearly(db_url: str) -> None:
    upgrade(db_url)
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999_future'"))
    finally:
        engine.dispose()
    with pytest.raises(StoreError, match="newer version"):
        SubmissionStore(db_url)


def test_downgrade_to_first_revision_and_back_rebuilds_progress(db_url: str) -> None:
    with SubmissionStore(db_url) as store:
        submit(store, 1, 2, at=0)
        sid = submit(store, 2, 2, at=10)
        before = store.progress("alice")
        with store.engine.connect() as conn, conn.begin():
            command.downgrade(alembic_config(conn), FIRST_REVISION)
        assert "progress" not in table_names(db_url)
    with SubmissionStore(db_url) as store:
        assert store.get_result(sid) is not None
        assert store.progress("alice") == before


def test_missing_postgresql_binaries_fail_the_run_not_skip(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import pg_fixture

    monkeypatch.setattr(pg_fixture, "find_pg_bin", lambda: None)
    with pytest.raises(pytest.fail.Exception, match="apt-get install postgresql"):
        pg_fixture.start_postgres_server()


def test_postgresql_urls_use_psycopg_3() -> None:
    for url in ("postgresql://u@localhost/db", "postgres://u@localhost/db"):
        engine = make_engine(url)
        assert (engine.dialect.name, engine.dialect.driver) == ("postgresql", "psycopg")
        engine.dispose()


def test_history_benchmark_smoke_run(capsys: pytest.CaptureFixture[str]) -> None:
    import runpy

    bench = runpy.run_path(str(Path(__file__).parents[1] / "benchmarks" / "bench_history.py"))
    bench["main"](["--rows", "3000", "--learner-rows", "300", "--repeat", "5"])
    out = capsys.readouterr().out
    assert "3,000 submissions, 300 by learner-0" in out
    assert out.count("p50") == 9


def test_cut_output_and_cell_error_kinds_round_trip(store: SubmissionStore) -> None:
    result = queued()
    sid = store.create_submission(result.to_json())
    store.mark_running(sid)
    result.tests = [
        Outcome(
            id="tests/test_it.py::test_a",
            name="test_a",
            hidden=False,
            status="passed",
            points=1,
            max_points=1,
            output="x" * 10 + "\n… output truncated (5 more characters)",
            output_truncated=True,
        )
    ]
    result.cell_errors = [
        CellError(2, "TimeoutError", "Cell 3 ran longer than 5 s and was stopped.", kind="timeout"),
        CellError(3, "ValueError", "bad", "Traceback ..."),
    ]
    final = result.finish().to_json()
    assert final["status"] == "passed" and final["output_truncated"] is True
    assert store.finish(sid, final)
    stored = store.get_result(sid)
    assert stored == final
    again = GradeResult.from_json(stored)
    assert again.to_json() == final
    assert again.tests[0].output_truncated and again.output_truncated
    assert [c.kind for c in again.cell_errors] == ["timeout", "exception"]
    # Results stored before these fields existed read as nothing cut, exceptions.
    old = {k: v for k, v in final.items() if k != "output_truncated"}
    old["tests"] = [{k: v for k, v in t.items() if k != "output_truncated"} for t in final["tests"]]
    old["cell_errors"] = [{k: v for k, v in c.items() if k != "kind"} for c in final["cell_errors"]]
    legacy = GradeResult.from_json(old)
    assert legacy.output_truncated is False and legacy.tests[0].output_truncated is False
    assert [c.kind for c in legacy.cell_errors] == ["exception", "exception"]
