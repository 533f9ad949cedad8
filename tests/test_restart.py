"""Crash recovery: SIGKILL a real ``jupyter server`` while it grades, start it again.

Every submission must end in a final state after the restart: re-graded from its
stored snapshot when its challenge still exists, an ``internal`` error saying why
when it does not.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import time
from pathlib import Path
from typing import Any

import pytest
from live_server import ServerProcess, free_port
from procs import alive
from server_fixtures import ANSWER_TESTS, answer_notebook, write_challenge

from codequest_jupyter.store import SubmissionStore

FINAL = {"passed", "failed", "error"}


@pytest.fixture
def home(tmp_path: Path) -> Path:
    challenges = tmp_path / "challenges"
    write_challenge(
        challenges,
        "slow",
        starter="def answer():\n    return 0\n",
        tests={
            "test_slow.py": """
            import time
            from slow import answer

            def test_one():
                time.sleep(1.0)
                assert answer() == 42

            def test_two():
                time.sleep(1.0)
                assert answer() == 42
        """
        },
    )
    write_challenge(
        challenges, "doomed", starter="def answer():\n    return 0\n", tests=ANSWER_TESTS
    )
    (tmp_path / "root").mkdir()
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "jupyter_server_config.json").write_text(
        json.dumps(
            {
                "ServerApp": {"jpserver_extensions": {"codequest_jupyter": True}},
                "CodeQuestApp": {
                    "challenge_dirs": [str(challenges)],
                    "db_url": f"sqlite:///{tmp_path / 'codequest.sqlite'}",
                    "grading_concurrency": 1,
                    "grader_pool_size": 0,
                    "single_user_name": "alice",
                },
            }
        )
    )
    return tmp_path


def test_killed_server_finishes_every_submission_after_restart(home: Path):
    server = ServerProcess(home, free_port())
    server.start()
    try:
        sids: dict[str, str] = {}
        for i in range(4):
            status, body = server.api(
                "POST",
                "challenges/slow/submissions",
                {"mode": "run", "notebook": answer_notebook(42 if i % 2 else 7)},
            )
            assert status == 202, body
            sids[body["id"]] = "slow-pass" if i % 2 else "slow-fail"
        for _ in range(2):
            status, body = server.api(
                "POST",
                "challenges/doomed/submissions",
                {"mode": "run", "notebook": answer_notebook(42)},
            )
            assert status == 202, body
            sids[body["id"]] = "doomed"

        # Kill it in the middle of a grading.
        deadline = time.monotonic() + 60
        while True:
            states = {sid: server.api("GET", f"submissions/{sid}")[1]["status"] for sid in sids}
            if "running" in states.values():
                break
            assert time.monotonic() < deadline, states
            time.sleep(0.1)
        family = server.kill()
    finally:
        server.stop()

    # What the crash left behind, read straight from the database.
    store = SubmissionStore(f"sqlite:///{home / 'codequest.sqlite'}")
    unfinished = {row["id"]: row["status"] for row in store.unfinished()}
    store.close()
    assert set(unfinished) <= set(sids)
    assert "running" in unfinished.values()
    assert any(sids[sid] == "doomed" for sid in unfinished), "the test needs doomed ones unfinished"
    time.sleep(1.0)
    survivors = [pid for pid in family if alive(pid)]
    print(f"\nprocesses left running 1 s after SIGKILL of the server's session: {len(survivors)}")
    for pid in survivors:  # ours (started by that server): do not leak them into other tests
        os.kill(pid, signal.SIGKILL)

    # The challenge of two submissions is gone when the server comes back.
    shutil.rmtree(home / "challenges" / "doomed")
    server = ServerProcess(home, free_port())
    server.start()
    try:
        results: dict[str, dict[str, Any]] = {}
        deadline = time.monotonic() + 180
        while len(results) < len(sids):
            assert time.monotonic() < deadline, {s: r["status"] for s, r in results.items()}
            for sid in sids:
                status, body = server.api("GET", f"submissions/{sid}")
                assert status == 200, body
                if body["status"] in FINAL:
                    results[sid] = body
            time.sleep(0.3)
        for sid, kind in sids.items():
            result = results[sid]
            if kind == "doomed" and sid in unfinished:
                assert result["status"] == "error"
                assert result["error"]["kind"] == "internal"
                assert "'doomed' is no longer available" in result["error"]["message"]
            elif kind == "slow-pass":
                assert result["status"] == "passed" and result["score"] == 2, result
            elif kind == "slow-fail":
                assert result["status"] == "failed" and result["score"] == 0, result
        # Nothing is left for a further restart to pick up.
        store = SubmissionStore(f"sqlite:///{home / 'codequest.sqlite'}")
        assert store.unfinished() == []
        store.close()
        log = server.log.read_text()
        assert "re-grading submission" in log
    finally:
        server.stop()
