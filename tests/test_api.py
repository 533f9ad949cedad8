"""The REST API through a real Jupyter server: every endpoint, every error path.

Gradings run on real kernels through the real grader, against small challenges
written into tmp_path (see server_fixtures). Every JSON response is validated
against the OpenAPI document, every server-sent event against its schema.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest
from openapi_spec_validator import validate as validate_spec
from server_fixtures import (
    BASE_URL,
    answer_notebook,
    auth,
    notebook,
    parse_events,
    server_test,
)
from tornado import web

from codequest_jupyter.openapi import build_openapi
from codequest_jupyter.server.handlers import HANDLERS
from codequest_jupyter.service.handlers import SERVICE_HANDLERS

FINAL = {"passed", "failed", "error"}


async def submit_and_wait(api, challenge="answer", user="alice", **body) -> dict[str, Any]:
    status, result, _ = await api.post(
        "challenges", challenge, "submissions", user=user, body=body, params={"wait": "true"}
    )
    assert status == 200, result
    return result


async def contents(jp_fetch, path: str, user: str = "alice", **kwargs) -> dict[str, Any]:
    response = await jp_fetch("api", "contents", path, headers=auth(user), **kwargs)
    return json.loads(response.body)


# -- basics, documentation, authentication ------------------------------------------


@server_test
async def test_info_names_the_user_and_instructor_role(api):
    status, body, _ = await api.get("info")
    assert status == 200
    assert body["user"] == "alice" and body["instructor"] is False
    assert body["api_version"] == 1
    _, body, _ = await api.get("info", user="carol")
    assert body["user"] == "carol" and body["instructor"] is True


@server_test
async def test_openapi_document_is_served_valid_and_complete(api):
    status, doc, _ = await api.get("openapi.json")
    assert status == 200
    validate_spec(doc)
    assert doc == build_openapi(BASE_URL)
    assert doc["servers"] == [{"url": "/a%40b/codequest/api"}]
    # Every route but the catch-all is documented, with the same parameters.
    documented = {
        p.replace("{challenge_id}", "(?P<challenge_id>[^/]+)")
        .replace("{submission_id}", "(?P<submission_id>[^/]+)")
        .replace("{job_id}", "(?P<job_id>[^/]+)")
        for p in doc["paths"]
    }
    # The hub's grading service serves a few more (tests/hub runs them).
    routes = {
        pattern.removeprefix("/codequest/api") for pattern, _ in [*HANDLERS[:-1], *SERVICE_HANDLERS]
    }
    assert routes == documented


ENDPOINTS = [
    ("GET", ("info",)),
    ("GET", ("openapi.json",)),
    ("GET", ("challenges",)),
    ("GET", ("challenges", "answer")),
    ("POST", ("challenges", "answer", "workspace")),
    ("GET", ("challenges", "answer", "submissions")),
    ("POST", ("challenges", "answer", "submissions")),
    ("GET", ("submissions",)),
    ("GET", ("submissions", "x")),
    ("GET", ("submissions", "x", "events")),
    ("GET", ("submissions", "x", "code")),
    ("POST", ("submissions", "x", "restore")),
    ("POST", ("challenges", "answer", "reset")),
    ("GET", ("submissions", "x", "results")),
    ("GET", ("gradebook.csv",)),
    ("GET", ("class",)),
    ("GET", ("challenges", "answer", "stats")),
    ("POST", ("regrades",)),
    ("GET", ("regrades", "x")),
    ("GET", ("nothing", "here")),
]


@server_test
async def test_every_endpoint_refuses_unauthenticated_requests(api):
    for method, parts in ENDPOINTS:
        status, body, _ = await api.request(
            method, *parts, user=None, body={"mode": "run"}, validate=parts[0] != "nothing"
        )
        assert status == 403, (method, parts, status)
        assert isinstance(body["message"], str)
    # A wrong token is no better than none.
    status, _, _ = await api.get("info", user=None, headers={"Authorization": "token nope"})
    assert status == 403


def test_every_handler_verb_is_authenticated_then_authorized():
    # Static check, like the extension template's CI check: a new handler that forgets
    # a decorator fails here even before anyone calls it. @web.authenticated must be
    # the outer one, @authorized (on the "codequest" resource) the inner one.
    for _pattern, handler in HANDLERS:
        assert handler.auth_resource == "codequest"
        for verb in handler.SUPPORTED_METHODS:
            method = getattr(handler, verb.lower())
            if method == web.RequestHandler._unimplemented_method or verb == "OPTIONS":
                continue  # 405, and APIHandler's CORS preflight
            assert method.__code__.co_qualname.startswith("authenticated"), (handler, verb)
            inner = method.__wrapped__
            assert inner.__code__.co_qualname.startswith("authorized"), (handler, verb)


@server_test
async def test_cookie_authenticated_post_needs_the_xsrf_token(api, jp_fetch):
    # Log in with the token once: the server answers with its login cookie.
    r = await jp_fetch("codequest", "api", "info", headers=auth("bob"))
    login = r.headers["Set-Cookie"].split(";")[0]
    r = await jp_fetch("login", headers={"Authorization": ""})
    xsrf = r.headers["Set-Cookie"].split(";")[0]
    xsrf_value = xsrf.split("=", 1)[1]

    cookie_only = {"Authorization": "", "Cookie": f"{login}; {xsrf}"}
    status, body, _ = await api.get("info", user=None, headers=cookie_only)
    assert status == 200 and body["user"] == "bob"  # the cookie authenticates GETs
    status, body, _ = await api.post(
        "challenges", "answer", "workspace", user=None, headers=cookie_only
    )
    assert status == 403 and "_xsrf" in body["message"]
    status, body, _ = await api.post(
        "challenges",
        "answer",
        "workspace",
        user=None,
        headers={**cookie_only, "X-XSRFToken": xsrf_value},
    )
    assert status == 200 and body["created"] is True


@server_test
async def test_unknown_endpoint_is_a_json_404(api):
    status, body, response = await api.get("nothing", "here", validate=False)
    assert status == 404
    assert "nothing/here" in body["message"]
    assert response.headers["Content-Type"].startswith("application/json")


# -- challenges -----------------------------------------------------------------


@server_test
async def test_challenge_list_has_progress(api):
    status, body, _ = await api.get("challenges")
    assert status == 200
    ids = [c["id"] for c in body["challenges"]]
    assert sorted(ids) == ["answer", "helper", "slow"]
    for ch in body["challenges"]:
        assert ch["progress"]["status"] == "not_started"
        assert ch["progress"]["attempts"] == 0


@server_test
async def test_challenge_detail_shows_public_tests_and_hides_hidden_ones(api):
    status, ch, _ = await api.get("challenges", "helper")
    assert status == 200
    assert ch["public_tests"][0]["path"] == "tests/test_quad.py"
    assert "def test_quad" in ch["public_tests"][0]["source"]
    assert ch["public_tests"][0]["tests"] == ["test_quad", "TestMore::test_zero"]
    assert ch["hidden_tests"] == 0
    assert ch["workspace"] == {"path": "codequest/helper/helper.ipynb", "exists": False}
    assert ch["locked"] == ["rules.py"]

    _, ch, _ = await api.get("challenges", "answer")
    assert ch["hidden_tests"] == 1
    assert "secret" not in json.dumps(ch)  # no hidden source anywhere
    assert [h["text"] for h in ch["hints"]] == ["The answer to everything."]
    assert ch["locked_hints"] == 1
    assert ch["limits"]["timeout_s"] == 10
    ids = [c["id"] for c in (await api.get("challenges"))[1]["challenges"]]
    assert ch["next"] == (ids[ids.index("answer") + 1] if ids[-1] != "answer" else None)


@server_test
async def test_unknown_challenge_is_404_everywhere(api):
    for method, parts in [
        ("GET", ("challenges", "nope")),
        ("POST", ("challenges", "nope", "workspace")),
        ("GET", ("challenges", "nope", "submissions")),
        ("POST", ("challenges", "nope", "submissions")),
    ]:
        status, body, _ = await api.request(
            method, *parts, body={"mode": "run", "notebook": answer_notebook(1)}
        )
        assert status == 404, (method, parts)
        assert "nope" in body["message"]


# -- workspace --------------------------------------------------------------------


@server_test
async def test_workspace_copies_the_starter_and_never_overwrites(api, jp_fetch, jp_root_dir):
    status, body, _ = await api.post("challenges", "helper", "workspace")
    assert status == 200
    assert body["path"] == "codequest/helper/helper.ipynb" and body["created"] is True
    assert sorted(body["created_files"]) == [
        "codequest/helper/helper.ipynb",
        "codequest/helper/helpers.py",
        "codequest/helper/rules.py",
    ]
    model = await contents(jp_fetch, "codequest/helper/helpers.py")
    assert model["content"] == "def double(x):\n    return 2 * x\n"
    nb = await contents(jp_fetch, "codequest/helper/helper.ipynb")
    assert nb["type"] == "notebook"

    # The learner edits a file; opening again keeps the edit and creates nothing.
    (jp_root_dir / "codequest/helper/helpers.py").write_text("EDITED = True\n")
    (jp_root_dir / "codequest/helper/rules.py").unlink()
    status, body, _ = await api.post("challenges", "helper", "workspace")
    assert body["created"] is False and body["created_files"] == ["codequest/helper/rules.py"]
    assert (jp_root_dir / "codequest/helper/helpers.py").read_text() == "EDITED = True\n"
    _, ch, _ = await api.get("challenges", "helper")
    assert ch["workspace"]["exists"] is True


@server_test
async def test_submitting_without_a_notebook_grades_the_workspace_copy(api, jp_fetch, jp_root_dir):
    # Nothing opened yet: a clear 404, not a 500.
    status, body, _ = await api.post("challenges", "helper", "submissions", body={"mode": "run"})
    assert status == 404 and "codequest/helper/helper.ipynb" in body["message"]

    await api.post("challenges", "helper", "workspace")
    nb_file = jp_root_dir / "codequest/helper/helper.ipynb"
    nb = json.loads(nb_file.read_text())
    nb["cells"][0]["source"] = (
        "from helpers import double\n\ndef quad(x):\n    return double(double(x))\n"
    )
    nb_file.write_text(json.dumps(nb))
    result = await submit_and_wait(api, "helper", mode="run")
    assert result["status"] == "passed", result
    _, code, _ = await api.get("submissions", result["id"], "code")
    assert "double(double(x))" in json.dumps(code["notebook"])
    # The starter file is read from the workspace, the locked one is not.
    assert set(code["files"]) == {"helpers.py"}

    # The learner's helpers.py is graded, not the challenge's copy.
    (jp_root_dir / "codequest/helper/helpers.py").write_text("def double(x):\n    return x\n")
    result = await submit_and_wait(api, "helper", mode="run")
    assert result["status"] == "failed"

    # A notebook elsewhere, named by path.
    other = jp_root_dir / "mine" / "try.ipynb"
    other.parent.mkdir()
    nb["cells"][0]["source"] = "def quad(x):\n    return 4 * x\n"
    other.write_text(json.dumps(nb))
    result = await submit_and_wait(api, "helper", mode="run", path="mine/try.ipynb")
    assert result["status"] == "passed"
    status, body, _ = await api.post(
        "challenges", "helper", "submissions", body={"mode": "run", "path": "mine/none.ipynb"}
    )
    assert status == 404


# -- submitting and following -------------------------------------------------------


@server_test
async def test_submit_and_wait_grades_public_and_hidden_tests(api):
    result = await submit_and_wait(api, mode="submit", notebook=answer_notebook(42))
    assert result["status"] == "passed"
    assert result["user"] == "alice" and result["challenge"] == "answer"
    assert result["score"] == result["total"] == 3
    hidden = [t for t in result["tests"] if t["hidden"]]
    assert [t["name"] for t in hidden] == ["test_secret"]

    wrong = await submit_and_wait(api, mode="submit", notebook=answer_notebook(7))
    assert wrong["status"] == "failed" and wrong["score"] == 1
    secret = next(t for t in wrong["tests"] if t["hidden"])
    assert secret["status"] == "failed"
    assert secret["message"] is None and secret["expected"] is None  # redacted

    run = await submit_and_wait(api, mode="run", notebook=answer_notebook(7))
    assert run["total"] == 2 and not any(t["hidden"] for t in run["tests"])

    status, stored, _ = await api.get("submissions", wrong["id"])
    assert status == 200 and stored == wrong


@server_test
async def test_submit_returns_202_and_events_stream_each_test_then_the_result(api, jp_fetch):
    status, body, response = await api.post(
        "challenges", "slow", "submissions", body={"mode": "run", "notebook": answer_notebook(42)}
    )
    assert status == 202 and body["status"] == "queued"
    assert response.headers["Location"].endswith(f"/codequest/api/submissions/{body['id']}")
    sid = body["id"]

    chunks: list[str] = []
    response = await jp_fetch(
        "codequest",
        "api",
        "submissions",
        sid,
        "events",
        headers=auth("alice"),
        streaming_callback=lambda chunk: chunks.append(chunk.decode()),
        request_timeout=120,
    )
    assert response.code == 200
    assert response.headers["Content-Type"].startswith("text/event-stream")
    assert response.headers["Cache-Control"] == "no-cache"
    events = parse_events("".join(chunks))
    kinds = [k for k, _ in events]
    assert kinds[-3:] == ["test", "test", "result"]
    assert kinds.index("collected") < kinds.index("test")
    assert set(kinds[: kinds.index("collected")]) <= {"status"}
    collected = dict(events)["collected"]
    assert collected["total"] == 2
    assert [t["name"] for t in collected["tests"]] == ["test_first", "test_second"]
    result = events[-1][1]
    assert result["status"] == "passed" and result["id"] == sid
    assert [d["name"] for k, d in events if k == "test"] == ["test_first", "test_second"]
    # Flushed per event: the first test arrived in an earlier chunk than the result.
    first_test = next(i for i, c in enumerate(chunks) if "event: test" in c)
    result_chunk = next(i for i, c in enumerate(chunks) if "event: result" in c)
    assert first_test < result_chunk

    # After the end, the stream replays the stored result.
    status, text, response = await api.get("submissions", sid, "events")
    assert status == 200
    replay = parse_events(text)
    assert [k for k, _ in replay] == ["collected", "test", "test", "result"]
    assert replay[-1][1] == result
    _, stored, _ = await api.get("submissions", sid)
    assert stored == result


@server_test
async def test_submit_streams_the_judges_listing_of_public_and_hidden_tests(api, jp_fetch):
    """Challenges are graded in the judge by default: it lists every test, hidden ones
    included, before the first result (the in-kernel harness lists the hidden tests
    only once the public ones have run), and its results stream as they come."""
    status, body, _ = await api.post(
        "challenges",
        "answer",
        "submissions",
        body={"mode": "submit", "notebook": answer_notebook(7)},
    )
    assert status == 202
    chunks: list[str] = []
    await jp_fetch(
        "codequest",
        "api",
        "submissions",
        body["id"],
        "events",
        headers=auth("alice"),
        streaming_callback=lambda chunk: chunks.append(chunk.decode()),
        request_timeout=120,
    )
    events = parse_events("".join(chunks))
    kinds = [k for k, _ in events]
    assert kinds.count("collected") == 1
    collected = dict(events)["collected"]
    assert collected["total"] == 3 and [t["hidden"] for t in collected["tests"]][-1] is True
    assert kinds.index("collected") < kinds.index("test")
    result = events[-1][1]
    assert result["score"] == 1 and result["total"] == 3
    # Public tests first, as in the kernel.
    assert [t["hidden"] for t in result["tests"]] == [False, False, True]
    secret = result["tests"][-1]
    assert secret["status"] == "failed" and secret["message"] is None  # redacted


@server_test
async def test_running_the_tests_counts_as_started(api):
    await submit_and_wait(api, mode="run", notebook=answer_notebook(1))
    _, ch, _ = await api.get("challenges", "answer")
    assert ch["progress"]["status"] == "attempted"
    assert ch["progress"]["runs"] == 1 and ch["progress"]["attempts"] == 0
    assert ch["progress"]["completed_at"] is None


@server_test
async def test_progress_and_hints_follow_the_attempts(api):
    await submit_and_wait(api, mode="submit", notebook=answer_notebook(1))
    _, ch, _ = await api.get("challenges", "answer")
    assert ch["progress"]["status"] == "attempted"
    assert ch["progress"]["failed_attempts"] == 1
    assert ch["locked_hints"] == 0 and len(ch["hints"]) == 2

    await submit_and_wait(api, mode="submit", notebook=answer_notebook(42))
    _, listing, _ = await api.get("challenges")
    progress = next(c for c in listing["challenges"] if c["id"] == "answer")["progress"]
    assert progress["status"] == "completed" and progress["attempts"] == 2
    # Bob's progress is his own.
    _, listing, _ = await api.get("challenges", user="bob")
    assert all(c["progress"]["status"] == "not_started" for c in listing["challenges"])


@server_test
async def test_history_is_per_user_newest_first_and_paginated(api):
    ids = [
        (await submit_and_wait(api, mode="run", notebook=answer_notebook(i)))["id"]
        for i in range(3)
    ]
    await submit_and_wait(api, user="bob", mode="run", notebook=answer_notebook(42))
    status, page, _ = await api.get("challenges", "answer", "submissions")
    assert status == 200 and page["total"] == 3
    assert [s["id"] for s in page["submissions"]] == ids[::-1]
    assert all("tests" not in s for s in page["submissions"])
    _, page, _ = await api.get(
        "challenges", "answer", "submissions", params={"limit": 2, "offset": 2}
    )
    assert [s["id"] for s in page["submissions"]] == [ids[0]] and page["total"] == 3
    _, page, _ = await api.get("challenges", "slow", "submissions")
    assert page == {"submissions": [], "total": 0}
    for params in ({"limit": "x"}, {"limit": 0}, {"offset": -1}, {"limit": 10**6}):
        status, _, _ = await api.get("challenges", "answer", "submissions", params=params)
        assert status == 400, params


@server_test
async def test_code_snapshot_and_restore_with_checkpoint(api, jp_fetch, jp_root_dir):
    await api.post("challenges", "helper", "workspace")
    sent_nb = notebook("from helpers import double\n\ndef quad(x):\n    return double(double(x))\n")
    sent_files = {"helpers.py": "def double(x):\n    return x + x\n"}
    result = await submit_and_wait(api, "helper", mode="run", notebook=sent_nb, files=sent_files)
    assert result["status"] == "passed"
    status, code, _ = await api.get("submissions", result["id"], "code")
    assert status == 200
    assert code == {"notebook": sent_nb, "files": sent_files}

    nb_file = jp_root_dir / "codequest/helper/helper.ipynb"
    before = json.loads(nb_file.read_text())
    status, restored, _ = await api.post("submissions", result["id"], "restore")
    assert status == 200
    assert restored["path"] == "codequest/helper/helper.ipynb"
    checkpoint = restored["checkpoint"]["id"]
    after = json.loads(nb_file.read_text())
    # (nbformat stores sources as lists of lines on disk)
    assert "".join(after["cells"][0]["source"]) == sent_nb["cells"][0]["source"]
    assert (jp_root_dir / "codequest/helper/helpers.py").read_text() == sent_files["helpers.py"]

    # The replaced version is a real checkpoint: restoring it undoes the restore.
    r = await jp_fetch(
        "api", "contents", "codequest/helper/helper.ipynb", "checkpoints", headers=auth("alice")
    )
    assert checkpoint in [c["id"] for c in json.loads(r.body)]
    await jp_fetch(
        "api",
        "contents",
        "codequest/helper/helper.ipynb",
        "checkpoints",
        checkpoint,
        method="POST",
        body=b"",
        headers=auth("alice"),
    )
    assert json.loads(nb_file.read_text())["cells"] == before["cells"]

    # Restoring into a new place: nothing to keep, so no checkpoint.
    status, restored, _ = await api.post(
        "submissions", result["id"], "restore", body={"path": "elsewhere/copy.ipynb"}
    )
    assert status == 200 and restored["checkpoint"] is None
    assert (jp_root_dir / "elsewhere/copy.ipynb").is_file()
    status, _, _ = await api.post(
        "submissions", result["id"], "restore", body={"path": "../x.ipynb"}
    )
    assert status == 400


@server_test
async def test_reset_puts_the_starter_back_with_checkpoints(api, jp_fetch, jp_root_dir):
    await api.post("challenges", "helper", "workspace")
    folder = jp_root_dir / "codequest/helper"
    nb_file = folder / "helper.ipynb"
    starter = json.loads(nb_file.read_text())
    # The learner's work: an edited notebook and helper, an unreadable notebook is
    # no obstacle either, and a file of their own.
    edited = json.loads(nb_file.read_text())
    edited["cells"][0]["source"] = "def quad(x):\n    return 4 * x\n"
    nb_file.write_text(json.dumps(edited))
    (folder / "helpers.py").write_text("def double(x):\n    return x + x  # mine\n")
    (folder / "notes.txt").write_text("my notes")

    status, reset, _ = await api.post("challenges", "helper", "reset")
    assert status == 200, reset
    assert reset["path"] == "codequest/helper/helper.ipynb"
    assert json.loads(nb_file.read_text())["cells"] == starter["cells"]
    assert json.loads(nb_file.read_text())["metadata"]["codequest"]["challenge"] == "helper"
    assert (folder / "helpers.py").read_text() == "def double(x):\n    return 2 * x\n"
    assert (folder / "notes.txt").read_text() == "my notes"
    written = {f["path"]: f["checkpoint"] for f in reset["files"]}
    assert set(written) == {"codequest/helper/helpers.py", "codequest/helper/rules.py"}

    # Every replaced file is a checkpoint away: the learner's versions come back.
    for path, checkpoint in [
        ("codequest/helper/helper.ipynb", reset["checkpoint"]),
        ("codequest/helper/helpers.py", written["codequest/helper/helpers.py"]),
    ]:
        await jp_fetch(
            "api",
            "contents",
            path,
            "checkpoints",
            checkpoint["id"],
            method="POST",
            body=b"",
            headers=auth("alice"),
        )
    assert json.loads(nb_file.read_text())["cells"][0]["source"] == edited["cells"][0]["source"]
    assert "# mine" in (folder / "helpers.py").read_text()

    # A notebook that is not valid JSON is replaced all the same, after its checkpoint.
    nb_file.write_text("{not json")
    status, reset, _ = await api.post("challenges", "helper", "reset")
    assert status == 200 and reset["checkpoint"] is not None
    assert json.loads(nb_file.read_text())["cells"] == starter["cells"]

    # Never opened: nothing to keep, the starter is written.
    status, reset, _ = await api.post("challenges", "answer", "reset")
    assert status == 200 and reset["checkpoint"] is None
    assert (jp_root_dir / reset["path"]).is_file()
    status, body, _ = await api.post("challenges", "nope", "reset")
    assert status == 404 and body["message"]
    status, body, _ = await api.post("challenges", "helper", "reset", raw=b"{bad")
    assert status == 400


# -- isolation between users ----------------------------------------------------------


@server_test
async def test_another_users_submission_is_404_and_instructors_see_all(api):
    result = await submit_and_wait(api, mode="run", notebook=answer_notebook(42))
    sid = result["id"]
    for method, parts in [
        ("GET", ("submissions", sid)),
        ("GET", ("submissions", sid, "events")),
        ("GET", ("submissions", sid, "code")),
        ("POST", ("submissions", sid, "restore")),
        ("GET", ("submissions", "does-not-exist")),
    ]:
        status, body, _ = await api.request(method, *parts, user="bob")
        assert status == 404, (method, parts)
        assert "message" in body
    status, seen, _ = await api.get("submissions", sid, user="carol")
    assert status == 200 and seen == result
    status, _, _ = await api.get("submissions", sid, "code", user="carol")
    assert status == 200


@server_test
async def test_listing_everyone_is_for_instructors_only(api):
    a = await submit_and_wait(api, mode="run", notebook=answer_notebook(42))
    b = await submit_and_wait(api, "slow", user="bob", mode="run", notebook=answer_notebook(42))
    status, body, _ = await api.get("submissions")
    assert status == 403 and "instructor" in body["message"]
    status, body, _ = await api.get("submissions", user="carol")
    assert status == 200 and body["total"] == 2
    assert [s["id"] for s in body["submissions"]] == [b["id"], a["id"]]
    _, body, _ = await api.get("submissions", user="carol", params={"user": "alice"})
    assert [s["id"] for s in body["submissions"]] == [a["id"]]
    _, body, _ = await api.get(
        "submissions", user="carol", params={"challenge": "slow", "limit": 1}
    )
    assert [s["id"] for s in body["submissions"]] == [b["id"]]


# -- bad input -----------------------------------------------------------------------


BAD_BODIES = [
    (b"{not json", "not valid JSON"),
    (b"\xff\xfe", "not valid JSON"),
    (b"[1, 2]", "JSON object"),
    (b'"text"', "JSON object"),
    (json.dumps({"mode": "grade"}).encode(), "mode"),
    (json.dumps({"mode": 1}).encode(), "mode"),
    (json.dumps({"notebook": "a notebook"}).encode(), "notebook"),
    (json.dumps({"notebook": 17}).encode(), "notebook"),
    (json.dumps({"notebook": {"cells": "x"}}).encode(), "cells"),
    (json.dumps({"notebook": {"nbformat": 3, "cells": []}}).encode(), "nbformat"),
    (json.dumps({"notebook": {"cells": [{"cell_type": "code", "source": 5}]}}).encode(), "source"),
    (json.dumps({"notebook": {"cells": [{"cell_type": "python"}]}}).encode(), "cell_type"),
    (json.dumps({"notebook": {"cells": [7]}}).encode(), "cell 1"),
    (json.dumps({"files": ["a.py"]}).encode(), "files"),
    (json.dumps({"files": {"a.py": 3}}).encode(), "a.py"),
    (json.dumps({"files": {"../escape.py": "x"}}).encode(), "inside its folder"),
    (json.dumps({"files": {"a/../../escape.py": "x"}}).encode(), "inside its folder"),
    (json.dumps({"files": {"/etc/passwd": "x"}}).encode(), "relative"),
    (json.dumps({"files": {"C:/x.py": "x"}}).encode(), "relative"),
    (json.dumps({"files": {"a\\b.py": "x"}}).encode(), "'/' separators"),
    (json.dumps({"files": {"a\u0000b.py": "x"}}).encode(), "control"),
    (json.dumps({"files": {"": "x"}}).encode(), "non-empty"),
    (
        json.dumps({"files": {"hidden/test_hidden.py": "def test_secret(): pass"}}).encode(),
        "reserved",
    ),
    (json.dumps({"files": {"tests/test_answer.py": "x"}}).encode(), "reserved"),
    (json.dumps({"files": {"conftest.py": "x"}}).encode(), "reserved"),
    (json.dumps({"path": "../outside.ipynb"}).encode(), "inside its folder"),
    (json.dumps({"path": "/abs/nb.ipynb"}).encode(), "relative"),
    (json.dumps({"path": "a\\nb.ipynb"}).encode(), "'/' separators"),
    (json.dumps({"path": "nb\u0000.ipynb"}).encode(), "control"),
    (json.dumps({"path": 12}).encode(), "string"),
    (json.dumps({"path": "notes.txt"}).encode(), ".ipynb"),
    (b"null", "JSON object"),
    # Found by a schema-driven fuzzer: an unhashable mode once crashed the request check.
    (json.dumps({"mode": {}}).encode(), "mode"),
    (json.dumps({"mode": []}).encode(), "mode"),
    (json.dumps({"mode": None}).encode(), "mode"),
    (json.dumps({"files": {"a.py": ["x"]}}).encode(), "files['a.py']"),
    (json.dumps({"files": {f"f{i}.py": "" for i in range(101)}}).encode(), "files"),
    (json.dumps({"notebook": None, "path": {}}).encode(), "path"),
]


@server_test
async def test_bad_submission_bodies_are_400_with_a_message(api):
    for raw, words in BAD_BODIES:
        status, body, _ = await api.post("challenges", "answer", "submissions", raw=raw)
        assert status == 400, (raw, status, body)
        assert words in body["message"], (raw, body["message"])
    status, body, _ = await api.post(
        "challenges",
        "answer",
        "submissions",
        body={"notebook": answer_notebook(1)},
        params={"wait": "perhaps"},
    )
    assert status == 400 and "wait" in body["message"]
    for raw in (b"{bad", b"[]"):
        status, _, _ = await api.post("submissions", "x", "restore", raw=raw)
        assert status == 400
    status, _, _ = await api.post("challenges", "answer", "workspace", raw=b"{bad")
    assert status == 400
    for raw, words in ((b'{"path": 7}', "path"), (b'{"path": ""}', "non-empty")):
        status, body, _ = await api.post("submissions", "x", "restore", raw=raw)
        assert status == 400 and words in body["message"], (raw, body)
    # Nothing was stored by any of those.
    _, page, _ = await api.get("challenges", "answer", "submissions")
    assert page["total"] == 0


@server_test
async def test_an_unsupported_method_is_405_with_an_allow_header(api):
    for method, parts, allowed in (
        ("PUT", ("challenges", "answer", "submissions"), "GET, POST, OPTIONS"),
        ("DELETE", ("submissions", "x"), "GET, OPTIONS"),
        ("PATCH", ("challenges", "answer", "workspace"), "POST, OPTIONS"),
    ):
        status, body, response = await api.request(
            method, *parts, body={}, validate=False, allow_nonstandard_methods=True
        )
        assert status == 405, (method, parts, status)
        assert response.headers["Allow"] == allowed
        assert isinstance(body["message"], str)


@server_test
async def test_payload_over_the_limit_is_413(api, codequest_app):
    limit = codequest_app.max_payload_bytes
    big = answer_notebook(42)
    big["cells"].append({"cell_type": "markdown", "metadata": {}, "source": "x" * limit})
    status, body, _ = await api.post("challenges", "answer", "submissions", body={"notebook": big})
    assert status == 413 and str(limit) in body["message"]
    status, _, _ = await api.post("challenges", "answer", "workspace", raw=b" " * (limit + 1))
    assert status == 413
    status, _, _ = await api.post(
        "challenges",
        "answer",
        "submissions",
        body={"notebook": answer_notebook(42)},
        params={"wait": "1"},
    )
    assert status == 200


@pytest.mark.parametrize("codequest_options", [{"submissions_per_minute": 2}])
@server_test
async def test_rate_limit_is_429_with_retry_after(api, codequest_options):
    for _ in range(2):
        status, _, _ = await api.post(
            "challenges",
            "answer",
            "submissions",
            body={"notebook": answer_notebook(1), "mode": "run"},
        )
        assert status == 202
    status, body, response = await api.post(
        "challenges", "answer", "submissions", body={"notebook": answer_notebook(1), "mode": "run"}
    )
    assert status == 429 and "Too many submissions" in body["message"]
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    # Per user: bob is not slowed down by alice.
    status, _, _ = await api.post(
        "challenges",
        "answer",
        "submissions",
        user="bob",
        body={"notebook": answer_notebook(1), "mode": "run"},
    )
    assert status == 202


# -- load ------------------------------------------------------------------------------


@pytest.mark.parametrize("codequest_options", [{"grading_concurrency": 2}])
@server_test
async def test_server_answers_promptly_while_ten_gradings_run(api, jp_fetch, codequest_options):
    sids = []
    for i in range(10):
        status, body, _ = await api.post(
            "challenges",
            "slow",
            "submissions",
            user=["alice", "bob"][i % 2],
            body={"mode": "run", "notebook": answer_notebook(42)},
        )
        assert status == 202
        sids.append((body["id"], ["alice", "bob"][i % 2]))
    latencies = []
    unfinished_after_status = []
    while True:
        start = time.monotonic()
        r = await jp_fetch("api", "status", headers=auth("alice"))
        latencies.append(time.monotonic() - start)
        assert r.code == 200
        states = [(await api.get("submissions", sid, user=user))[1]["status"] for sid, user in sids]
        unfinished = [s for s in states if s not in FINAL]
        unfinished_after_status.append(len(unfinished))
        if not unfinished:
            break
        await asyncio.sleep(0.2)
    # The status answers came while gradings were still queued or running.
    assert sum(1 for n in unfinished_after_status if n > 0) >= 5
    print(
        f"\n/api/status while grading: {len(latencies)} requests, "
        f"median {sorted(latencies)[len(latencies) // 2] * 1000:.1f} ms, "
        f"max {max(latencies) * 1000:.1f} ms"
    )
    for sid, user in sids:
        assert (await api.get("submissions", sid, user=user))[1]["status"] == "passed"


@pytest.mark.parametrize("codequest_options", [{"grading_concurrency": 3, "grader_pool_size": 2}])
@server_test
async def test_thirty_submissions_from_five_users_at_once(api, codequest_options):
    users = ["alice", "bob", "carol", "dave", "erin"]
    plan = [(users[i % 5], 42 if i % 3 else i) for i in range(30)]  # every third one is wrong

    async def one(user: str, value: int) -> tuple[str, str, int]:
        status, body, _ = await api.post(
            "challenges",
            "answer",
            "submissions",
            user=user,
            body={"mode": "run", "notebook": answer_notebook(value)},
        )
        assert status == 202, body
        return body["id"], user, value

    started = time.monotonic()
    sent = await asyncio.gather(*(one(u, v) for u, v in plan))
    for sid, user, value in sent:
        result = await submit_wait(api, sid, user)
        assert result["user"] == user
        assert result["status"] == ("passed" if value == 42 else "failed"), result
        _, code, _ = await api.get("submissions", sid, "code", user=user)
        assert f"return {value}" in json.dumps(code["notebook"])
    print(f"\n30 submissions from 5 users graded in {time.monotonic() - started:.1f} s")
    assert len({sid for sid, _, _ in sent}) == 30
    for user in users:
        _, page, _ = await api.get(
            "challenges", "answer", "submissions", user=user, params={"limit": 100}
        )
        mine = {sid for sid, u, _ in sent if u == user}
        assert page["total"] == 6 and {s["id"] for s in page["submissions"]} == mine
    _, everyone, _ = await api.get("submissions", user="carol", params={"limit": 100})
    assert everyone["total"] == 30


async def submit_wait(api, sid: str, user: str) -> dict[str, Any]:
    """Follow a submission's event stream to its result."""
    status, text, _ = await api.get("submissions", sid, "events", user=user, request_timeout=300)
    assert status == 200
    events = parse_events(text)
    assert events[-1][0] == "result"
    return events[-1][1]
