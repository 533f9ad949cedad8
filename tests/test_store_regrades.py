"""The store's instructor side on SQLite and PostgreSQL: migrations 0003 and 0004, the
quota, gradebook rows, replacing a result while keeping the old one, queued regrades."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from submission_factory import BASE_TIME, graded, queued, stamp, submit

from codequest_jupyter.errors import SubmissionLimitReached
from codequest_jupyter.gradebook import gradebook_csv, gradebook_rows
from codequest_jupyter.store import SubmissionStore, current_revision, head_revision, upgrade
from codequest_jupyter.store.engine import make_engine


def test_upgrade_from_0002_keeps_rows_and_adds_late_and_history(db_url: str) -> None:
    assert upgrade(db_url, "0002_progress") == "0002_progress"
    # The code of revision 0002 knew no late column: write through plain SQL.
    result = queued(user="alice", challenge="two-sum", at=5)
    final = graded(result, 2, 3)
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO submissions (id, username, challenge, challenge_version,"
                    " mode, status, score, total, points, max_points, duration_ms,"
                    " submitted_at, result) VALUES (:id, 'alice', 'two-sum', 'v1',"
                    " 'submit', 'failed', 2, 3, 2.0, 3.0, 10, :at, :result)"
                ).bindparams(sa.bindparam("result", type_=sa.JSON())),
                {"id": final["id"], "at": BASE_TIME.replace(tzinfo=None), "result": final},
            )
    finally:
        engine.dispose()
    with SubmissionStore(db_url) as store:
        assert current_revision(store.engine) == head_revision() == "0004_regrade_jobs"
        assert store.get_result(final["id"]) == final
        [row] = store.finished_submits()
        assert row["late"] is False and row["points"] == 2.0
        assert store.result_history(final["id"]) == []
        better = {**final, "score": 3, "points": 3.0, "status": "passed",
                  "challenge_version": "v2"}  # fmt: skip
        assert store.replace_result(final["id"], better, "job1") == final
        [kept] = store.result_history(final["id"])
        assert (kept["challenge_version"], kept["points"], kept["regrade_id"]) == (
            "v1",
            2.0,
            "job1",
        )
        assert store.get_result(final["id"])["challenge_version"] == "v2"
        assert store.progress("alice")["two-sum"]["completed_at"] is not None


def test_quota_counts_submits_per_learner(db_url: str) -> None:
    with SubmissionStore(db_url) as store:
        for at in (1, 2):
            store.create_submission(queued(at=at).to_json(), max_submits=2)
        with pytest.raises(SubmissionLimitReached):
            store.create_submission(queued(at=3).to_json(), max_submits=2)
        store.create_submission(queued(at=3, mode="run").to_json(), max_submits=2)
        store.create_submission(queued(user="bob", at=3).to_json(), max_submits=2)
        assert store.count_submits("alice") == {"two-sum": 2}


def test_regrade_that_lowers_a_best_score_recomputes_progress(db_url: str) -> None:
    with SubmissionStore(db_url) as store:
        first = submit(store, 3, 3, at=1)
        submit(store, 1, 3, at=2)
        assert store.progress("alice")["two-sum"]["best_score"] == 3
        lower = {**store.get_result(first), "status": "failed", "score": 2, "points": 2.0}
        store.replace_result(first, lower)
        progress = store.progress("alice")["two-sum"]
        assert progress["best_score"] == 2 and progress["completed_at"] is None
        assert progress["attempts"] == 2
        assert [r["id"] for r in store.regrade_selection("two-sum", latest=True)] != [first]
        assert len(store.regrade_selection("two-sum")) == 2
        assert store.regrade_selection("two-sum", user="bob") == []
        with pytest.raises(ValueError, match="final"):
            store.replace_result(first, {**lower, "status": "running"})


def test_gradebook_rows_and_csv(db_url: str) -> None:
    with SubmissionStore(db_url) as store:
        submit(store, 1, 2, at=1)
        submit(store, 2, 2, at=2)
        submit(store, 0, 2, at=3)
        submit(store, 1, 2, user="bob", at=4)
        text = gradebook_csv(gradebook_rows(store))
        assert text.splitlines() == [
            "learner,challenge,best_points,last_points,max_points,attempts,first_passed_at,late",
            f"alice,two-sum,2,0,2,3,{stamp(2)},false",
            "bob,two-sum,1,1,2,1,,false",
        ]
        assert gradebook_csv(gradebook_rows(store, ["other"])).count("\n") == 1


async def test_a_regrade_never_queues_ahead_of_learners(tmp_path: Path) -> None:
    """With the grading slots shared, a learner waits for at most ``concurrency``
    regradings, not for the whole selection."""
    import asyncio

    from challenge_factory import make_challenge

    from codequest_jupyter.challenges import load_challenge
    from codequest_jupyter.regrade import RegradeJob, run_regrade
    from codequest_jupyter.results import GradeResult
    from codequest_jupyter.store import AsyncSubmissionStore

    challenge = load_challenge(make_challenge(tmp_path / "ch"))

    class SlowGrader:
        async def grade(self, ch, notebook=None, files=None, mode="submit", **kw):
            await asyncio.sleep(0.02)
            result = GradeResult(id=kw["submission_id"], challenge=ch.id,
                                 challenge_version=ch.version, user=kw["user"], mode=mode,
                                 submitted_at=kw["submitted_at"])  # fmt: skip
            return result.finish()

    with SubmissionStore(f"sqlite:///{tmp_path}/db.sqlite") as store:
        for at in range(20):
            submit(store, 1, 1, challenge="adder", at=at)
        slots = asyncio.Semaphore(1)
        job = RegradeJob(challenge="adder")
        regrade = asyncio.ensure_future(
            run_regrade(
                AsyncSubmissionStore(store),
                SlowGrader(),
                challenge,
                job,
                concurrency=1,
                slots=slots,
            )
        )
        while job.done == 0:
            await asyncio.sleep(0.01)
        async with slots:  # a learner's grading asks for the slot
            done_when_served = job.done
        await regrade
    assert job.status == "finished" and job.done == job.total == 20
    assert done_when_served <= 3


def test_one_regrade_replaces_a_result_once_and_reports_what_it_did(db_url: str) -> None:
    """A regrade job run twice (its worker killed after storing) stores one result;
    its progress is read back from the database by any process."""
    from codequest_jupyter.store import AlreadyRegraded

    with SubmissionStore(db_url) as store:
        one = submit(store, 1, 3, challenge="adder", at=1)
        two = submit(store, 3, 3, challenge="adder", at=2)
        assert not store.regraded(one, "r1")
        first = {**store.get_result(one), "score": 3, "points": 3.0, "status": "passed",
                 "challenge_version": "v2"}  # fmt: skip
        store.replace_result(one, first, "r1")
        assert store.regraded(one, "r1") and not store.regraded(two, "r1")
        again = {**first, "score": 0, "points": 0.0, "status": "failed"}
        with pytest.raises(AlreadyRegraded):
            store.replace_result(one, again, "r1")
        assert store.get_result(one)["score"] == 3
        assert len(store.result_history(one)) == 1
        # A later regrade replaces it again; r1's "new" is what r1 stored, not the current.
        store.replace_result(one, again, "r2")
        [item] = store.regrade_items("r1", [two, one, "not-an-id!"])
        assert item["id"] == one and item["user"] == store.get_result(one)["user"]
        assert (item["old"]["score"], item["old"]["status"]) == (1, "failed")
        assert (item["new"]["score"], item["new"]["status"]) == (3, "passed")
        assert item["new"]["challenge_version"] == "v2"
        [later] = store.regrade_items("r2", [one])
        assert (later["old"]["score"], later["new"]["score"]) == (3, 0)
        assert store.regrade_items("r3", [one, two]) == []


def test_a_queued_regrade_is_stored_and_read_back_by_any_process(db_url: str) -> None:
    record = {
        "id": "a" * 32, "challenge": "adder", "challenge_version": "v2", "user": "ada",
        "latest": True, "submissions": ["s1", "s2"], "status": "running", "failed": 0,
        "error": None, "started_at": "2026-12-01T10:00:00Z", "finished_at": None,
    }  # fmt: skip
    with SubmissionStore(db_url) as store:
        assert store.get_regrade(record["id"]) is None
        assert store.get_regrade("not an id!") is None
        store.save_regrade(record)
    with SubmissionStore(db_url) as store:  # another process: a restarted service
        assert store.get_regrade(record["id"]) == record
        later = {**record, "id": "b" * 32, "started_at": "2026-12-01T10:01:00Z"}
        store.save_regrade(later)
        assert store.running_regrades() == [record, later]
        done = {**record, "status": "finished", "failed": 1, "error": "1 could not",
                "finished_at": "2026-12-01T10:05:00Z"}  # fmt: skip
        store.save_regrade(done)
        assert store.get_regrade(record["id"]) == done
        assert store.running_regrades() == [later]
        with pytest.raises(ValueError):
            store.save_regrade({**record, "id": "../x"})
