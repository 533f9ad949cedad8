"""Instructors through a real server: deadlines enforced, gradebook, regrades.

Real kernels grade every submission; the store is SQLite, and PostgreSQL where the
test is parametrized with it. The gradebook served over REST is compared byte for
byte with what ``codequest export`` prints for the same database.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from server_fixtures import answer_notebook, auth, parse_events, server_test, write_challenge

from codequest_jupyter.challenges import load_challenge
from codequest_jupyter.gradebook import HEADER
from codequest_jupyter.store import SubmissionStore

TESTS = {
    "test_answer.py": """
        from answer import answer

        def test_is_42():
            assert answer() == 42
    """,
}
HIDDEN = {
    "test_hidden.py": """
        from answer import answer

        def test_positive():
            assert answer() > 0
    """,
}


def _time(days: float) -> str:
    moment = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=days)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def challenges_root(tmp_path: Path) -> Path:
    """``answer`` (no schedule), ``closed`` (opens tomorrow), ``strict`` (was due, late
    work refused), ``penalised`` (was due, a quarter off), ``limited`` (2 submits)."""
    root = tmp_path / "challenges"
    root.mkdir()
    plain = {"starter": "def answer():\n    return 0\n", "tests": TESTS, "hidden": HIDDEN}
    write_challenge(root, "answer", **plain)
    for cid, toml in (
        ("closed", f"opens = {_time(1)}"),
        ("strict", f'due = {_time(-1)}\nlate = "reject"'),
        ("penalised", f"due = {_time(-1)}\nlate = 0.25"),
        ("limited", "max_submissions = 2"),
    ):
        path = write_challenge(root, cid, **{**plain, "tests": {
            "test_answer.py": TESTS["test_answer.py"].replace("from answer", f"from {cid}")}},
            extra_toml=toml)  # fmt: skip
        (path / "hidden" / "test_hidden.py").write_text(
            textwrap.dedent(HIDDEN["test_hidden.py"]).replace("from answer", f"from {cid}")
        )
    return root


async def submit(api, challenge: str, value: int, user: str = "alice", mode: str = "submit"):
    return await api.post(
        "challenges", challenge, "submissions", user=user,
        body={"mode": mode, "notebook": answer_notebook(value)}, params={"wait": "true"},
    )  # fmt: skip


# -- deadlines and attempts --------------------------------------------------------------


@server_test
async def test_deadlines_and_attempts_are_enforced(api):
    status, body, _ = await submit(api, "closed", 42)
    assert status == 403 and "opens at" in body["message"]
    status, body, _ = await submit(api, "strict", 42)
    assert status == 403 and "late submissions are not accepted" in body["message"]
    status, body, _ = await submit(api, "strict", 42, mode="run")
    assert status == 200 and body["status"] == "passed"  # Run tests still works

    status, body, _ = await submit(api, "penalised", 42)
    assert status == 200 and body["status"] == "passed"
    assert body["late"] is True and body["penalty"] == 0.25
    assert body["raw_points"] == 2.0 and body["points"] == 1.5

    for value in (1, 42):
        status, body, _ = await submit(api, "limited", value)
        assert status == 200 and body["late"] is False and body["penalty"] == 0.0
    status, body, _ = await submit(api, "limited", 42)
    assert status == 409 and "All 2 submissions" in body["message"]
    status, _, _ = await submit(api, "limited", 42, mode="run")
    assert status == 200
    status, _, _ = await submit(api, "limited", 42, user="bob")  # a quota per learner
    assert status == 200

    _, listing, _ = await api.get("challenges")
    by_id = {c["id"]: c for c in listing["challenges"]}
    assert by_id["limited"]["max_submissions"] == 2
    assert by_id["limited"]["submissions_used"] == 2
    assert by_id["answer"]["max_submissions"] is None and by_id["answer"]["due"] is None
    assert by_id["penalised"]["late"] == "penalty" and by_id["penalised"]["late_penalty"] == 0.25
    assert by_id["strict"]["late"] == "reject" and by_id["strict"]["due"].endswith("Z")
    assert by_id["closed"]["opens"] > _time(0)
    _, detail, _ = await api.get("challenges", "limited", user="bob")
    assert detail["submissions_used"] == 1 and detail["max_submissions"] == 2


@server_test
async def test_concurrent_submits_cannot_exceed_the_quota(api):
    replies = await asyncio.gather(*(submit(api, "limited", 42) for _ in range(5)))
    statuses = sorted(status for status, _, _ in replies)
    assert statuses == [200, 200, 409, 409, 409]


# -- gradebook ---------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def codequest_options(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    if request.param == "sqlite":
        yield {"db_url": f"sqlite:///{tmp_path / 'codequest.sqlite'}"}
        return
    server = request.getfixturevalue("postgres_server")
    url = server.new_database()
    yield {"db_url": url}
    server.drop_database(url)


def export(url: str, *challenges: str) -> bytes:
    args = [sys.executable, "-m", "codequest_jupyter.cli", "export", "--url", url]
    if challenges:
        args += ["--challenge", *challenges]
    proc = subprocess.run(args, capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@server_test
async def test_gradebook_over_rest_is_byte_identical_to_export(api, codequest_app):
    for user, challenge, value in [
        ("alice", "answer", 1), ("alice", "answer", 42), ("alice", "answer", 1),
        ("bob", "answer", -3), ("bob", "penalised", 42), ("bob", "penalised", 1),
        ("dave", "limited", 42), ("dave", "answer", 42),
    ]:  # fmt: skip
        status, _, _ = await submit(api, challenge, value, user=user)
        assert status == 200
    await submit(api, "answer", 42, user="erin", mode="run")  # practice: not in the gradebook

    status, text, response = await api.get("gradebook.csv", user="carol")
    assert status == 200 and response.headers["Content-Type"].startswith("text/csv")
    url = codequest_app.db_url
    cli = await asyncio.to_thread(export, url)
    assert response.body == cli

    rows = list(csv.reader(io.StringIO(text)))
    assert tuple(rows[0]) == HEADER
    table = {(r[0], r[1]): dict(zip(HEADER, r, strict=True)) for r in rows[1:]}
    assert list(table) == sorted(table)  # learner, then challenge
    assert set(table) == {("alice", "answer"), ("bob", "answer"), ("bob", "penalised"),
                          ("dave", "answer"), ("dave", "limited")}  # fmt: skip
    alice = table["alice", "answer"]
    assert (alice["best_points"], alice["last_points"], alice["max_points"]) == ("2", "1", "2")
    assert alice["attempts"] == "3" and alice["first_passed_at"].endswith("Z")
    assert alice["late"] == "false"
    bob = table["bob", "answer"]
    assert (bob["best_points"], bob["first_passed_at"]) == ("0", "")
    late = table["bob", "penalised"]
    assert (late["best_points"], late["last_points"], late["late"]) == ("1.5", "0.75", "true")

    status, only, response = await api.get(
        "gradebook.csv", user="carol", params={"challenge": "penalised,limited"}
    )
    assert status == 200
    assert response.body == await asyncio.to_thread(export, url, "penalised", "limited")
    assert len(only.splitlines()) == 3

    status, _, _ = await api.get("gradebook.csv", user="alice")
    assert status == 403

    # The dashboard's views of the same data.
    status, matrix, _ = await api.get("class", user="carol")
    assert status == 200
    assert matrix["learners"] == ["alice", "bob", "dave"]
    cells = {(c["learner"], c["challenge"]): c for c in matrix["cells"]}
    assert set(cells) == set(table)
    assert cells["alice", "answer"]["best_points"] == 2 and cells["alice", "answer"]["passed"]
    assert cells["bob", "penalised"]["late"] is True and not cells["bob", "answer"]["passed"]
    status, stats, _ = await api.get("challenges", "answer", "stats", user="carol")
    assert status == 200 and stats["submissions"] == 5 and stats["learners"] == 3
    rates = {t["name"]: t for t in stats["tests"]}
    assert rates["test_is_42"]["failures"] == 3 and rates["test_is_42"]["runs"] == 5
    assert rates["test_positive"]["failures"] == 1 and rates["test_positive"]["hidden"]
    top = rates["test_is_42"]["common_failures"][0]
    assert top["count"] == 2 and "1" in top["message"]
    histogram = [b["learners"] for b in stats["score_distribution"]]
    assert histogram[0] == 1 and histogram[-1] == 2 and sum(histogram) == 3
    assert sum(d["count"] for d in stats["submissions_per_day"]) == 5
    for path in (("class",), ("challenges", "answer", "stats")):
        status, _, _ = await api.get(*path, user="alice")
        assert status == 403
    status, _, _ = await api.get("challenges", "nope", "stats", user="carol")
    assert status == 404


# -- hidden tests' details -------------------------------------------------------------


@server_test
async def test_hidden_details_are_stored_for_instructors_and_withheld_from_learners(api, jp_fetch):
    status, result, _ = await submit(api, "answer", -5)  # fails the hidden test_positive
    assert status == 200 and result["status"] == "failed"
    secret = next(t for t in result["tests"] if t["hidden"])
    assert secret["status"] == "failed" and secret["name"] == "test_positive"
    assert secret["message"] is None and secret["traceback"] is None  # the learner's view
    status, mine, _ = await api.get("submissions", result["id"])
    assert status == 200 and mine == result

    chunks: list[str] = []
    await jp_fetch(
        "codequest", "api", "submissions", result["id"], "events", headers=auth("alice"),
        streaming_callback=lambda chunk: chunks.append(chunk.decode()), request_timeout=60,
    )  # fmt: skip
    replayed = parse_events("".join(chunks))
    assert next(d for k, d in replayed if k == "test" and d["hidden"])["message"] is None
    assert replayed[-1][1] == result

    status, full, _ = await api.get("submissions", result["id"], user="carol")
    assert status == 200
    shown = next(t for t in full["tests"] if t["hidden"])
    assert "-5 > 0" in shown["message"] and "test_hidden.py" in shown["traceback"]
    public = [t for t in full["tests"] if not t["hidden"]]
    assert public == [t for t in result["tests"] if not t["hidden"]]

    # An instructor lists one learner's attempts of a challenge.
    status, listing, _ = await api.get(
        "submissions", user="carol", params={"user": "alice", "challenge": "answer"}
    )
    assert status == 200 and [s["id"] for s in listing["submissions"]] == [result["id"]]
    status, _, _ = await api.get("submissions", params={"user": "alice"})
    assert status == 403


# -- regrade ---------------------------------------------------------------------------


@server_test
async def test_regrade_after_a_test_fix_changes_exactly_the_affected_results(
    api, codequest_app, challenges_root
):
    # The hidden test is too lax: answer() > 0, so 7 earns its point wrongly.
    values = {"alice": [42, 7], "bob": [7], "dave": [-5]}
    ids: dict[str, list[str]] = {}
    for user, attempts in values.items():
        for value in attempts:
            status, body, _ = await submit(api, "answer", value, user=user)
            assert status == 200
            ids.setdefault(user, []).append(body["id"])
    _, before, _ = await api.get("submissions", ids["alice"][1], user="alice")
    assert before["points"] == 1.0  # the hidden test passed wrongly
    old_version = before["challenge_version"]

    # The fix: the hidden test now requires the answer itself.
    (challenges_root / "answer" / "hidden" / "test_hidden.py").write_text(
        "from answer import answer\n\ndef test_positive():\n    assert answer() == 42\n"
    )
    # The server notices the change itself when the regrade starts.
    new_version = load_challenge(challenges_root / "answer").version
    assert new_version != old_version

    status, job, _ = await api.post("regrades", user="alice", body={"challenge": "answer"})
    assert status == 403
    status, job, _ = await api.post("regrades", user="carol", body={"challenge": "answer"})
    assert status == 202 and job["status"] == "running"
    for _ in range(600):
        status, job, _ = await api.get("regrades", job["id"], user="carol")
        assert status == 200 and 0 <= job["done"] <= job["total"]
        if job["status"] != "running":
            break
        await asyncio.sleep(0.1)
    assert job["status"] == "finished" and job["done"] == job["total"] == 4
    changed = {item["id"] for item in job["items"] if item["changed"]}
    # Exactly the two 7s: 42 passes and -5 fails the hidden test either way.
    assert changed == {ids["alice"][1], ids["bob"][0]}
    for item in job["items"]:
        assert item["old"]["challenge_version"] == old_version
        assert item["new"]["challenge_version"] == new_version

    # The learner sees the new result in the history; the old one is kept beside it.
    _, history, _ = await api.get("challenges", "answer", "submissions", user="bob")
    assert history["submissions"][0]["points"] == 0.0
    assert history["submissions"][0]["challenge_version"] == new_version
    status, kept, _ = await api.get("submissions", ids["bob"][0], "results", user="carol")
    assert status == 200 and kept["current"]["points"] == 0.0
    assert [p["points"] for p in kept["previous"]] == [1.0]
    assert kept["previous"][0]["challenge_version"] == old_version
    assert kept["previous"][0]["regrade_id"] == job["id"]
    status, _, _ = await api.get("submissions", ids["bob"][0], "results", user="bob")
    assert status == 403

    # Only the latest per learner: alice's second and the others' only ones.
    status, latest, _ = await api.post(
        "regrades", user="carol", body={"challenge": "answer", "latest": True}
    )
    assert status == 202
    while latest["status"] == "running":
        await asyncio.sleep(0.1)
        _, latest, _ = await api.get("regrades", latest["id"], user="carol")
    assert {i["id"] for i in latest["items"]} == {ids["alice"][1], ids["bob"][0], ids["dave"][0]}
    assert not any(i["changed"] for i in latest["items"])
    _, kept, _ = await api.get("submissions", ids["bob"][0], "results", user="carol")
    assert len(kept["previous"]) == 2

    status, body, _ = await api.post("regrades", user="carol", body={"challenge": "nope"})
    assert status == 404
    status, body, _ = await api.post("regrades", user="carol", body={"challenge": 3})
    assert status == 400
    status, body, _ = await api.get("regrades", "nope", user="carol")
    assert status == 404


def test_cli_regrade_prints_old_and_new_and_keeps_old_results(tmp_path):
    from challenge_factory import make_challenge, notebook

    from codequest_jupyter.results import GradeResult, new_submission_id

    path = make_challenge(tmp_path / "ch")
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    version = load_challenge(path).version
    sids = {}
    with SubmissionStore(url) as store:
        for user, body in (("alice", "a + b"), ("bob", "a - b")):
            result = GradeResult(id=new_submission_id(), challenge="adder",
                                 challenge_version=version, user=user, mode="submit",
                                 submitted_at="2026-11-30T10:00:00Z").to_json()  # fmt: skip
            sid = store.create_submission(
                result, code={"notebook": notebook(f"def add(a, b):\n    return {body}\n"),
                              "files": {}})  # fmt: skip
            store.finish(sid, {**result, "status": "passed", "score": 3, "total": 3,
                               "points": 3.0, "max_points": 3.0})  # fmt: skip
            sids[user] = sid
    proc = subprocess.run(
        [sys.executable, "-m", "codequest_jupyter.cli", "regrade", str(path), "--url", url,
         "--learner", "bob", "--sandbox", "rlimits"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.DictReader(io.StringIO(proc.stdout)))
    assert [r["submission"] for r in rows] == [sids["bob"]]
    assert rows[0]["old_points"] == "3" and rows[0]["new_status"] == "failed"
    assert rows[0]["changed"] == "true"
    assert "Regraded 1 submissions" in proc.stderr
    with SubmissionStore(url) as store:
        assert store.get_result(sids["bob"])["status"] == "failed"
        assert [h["points"] for h in store.result_history(sids["bob"])] == [3.0]
        assert store.get_result(sids["alice"])["points"] == 3.0  # not selected
        assert store.result_history(sids["alice"]) == []
        assert store.progress("bob")["adder"]["best_points"] < 3.0
