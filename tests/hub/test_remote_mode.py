"""Hub mode end to end, the learner's side: a real JupyterHub, system users, the
grading service managed by the hub as its own user, PostgreSQL, learners' servers in
remote mode, all over REST through the hub's proxy with the learners' hub tokens.

A learner's server opens a challenge into the learner's home from the service's
public material, sends the workspace notebook to be graded, relays the event stream
as tests finish and restores snapshots; the ipywidgets panel's backend works through
it; with the service down it says grading is unavailable and loses nothing.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from hubcase import API, CID, SECRET, SLOW, restart_with_revoked_token, stream, wrong_and_right
from hubenv import HubEnv, as_user

pytestmark = pytest.mark.hub


def test_submission_through_the_learners_server_is_graded_by_the_service(
    hub: HubEnv, learner: dict[str, str]
) -> None:
    base = f"user/{learner['name']}/{API}"
    status, info, _ = hub.request("GET", base + "info", learner["token"])
    assert status == 200, (info, hub.log_tail())
    assert info["mode"] == "remote" and info["service_available"] is True
    assert info["user"] == learner["name"] and info["instructor"] is False

    status, listing, _ = hub.request("GET", base + "challenges", learner["token"])
    assert status == 200 and sorted(c["id"] for c in listing["challenges"]) == [CID, SLOW]

    # Open it: the starter lands in the learner's own home, written by their server.
    status, opened, _ = hub.request("POST", base + f"challenges/{CID}/workspace", learner["token"])
    assert status == 200, opened
    home = Path(os.path.expanduser(f"~{learner['name']}"))
    copy = home / opened["path"]
    assert copy.is_file() and copy.stat().st_uid == os.stat(home).st_uid
    status, detail, _ = hub.request("GET", base + f"challenges/{CID}", learner["token"])
    assert status == 200 and detail["workspace"] == {"path": opened["path"], "exists": True}
    assert detail["hidden_tests"] == 1 and SECRET not in json.dumps(detail)

    # The untouched starter, graded from the workspace on disk (sent in the request).
    status, result, _ = hub.request(
        "POST",
        base + f"challenges/{CID}/submissions?wait=true",
        learner["token"],
        {"mode": "submit"},
    )
    assert status == 200, (result, hub.log_tail())
    assert result["user"] == learner["name"]
    assert result["status"] == "failed" and result["total"] == 3
    assert {t["name"] for t in result["tests"] if t["hidden"]} == {"test_large_numbers"}

    # A right answer written into the workspace passes every test, hidden ones too.
    _, right = wrong_and_right()
    as_user(learner["name"], "tee", str(copy), input=json.dumps(right), check=True)
    status, queued, headers = hub.request(
        "POST", base + f"challenges/{CID}/submissions", learner["token"], {"mode": "submit"}
    )
    assert status == 202 and queued["status"] == "queued"
    assert headers["location"].endswith(f"/user/{learner['name']}/{API}submissions/{queued['id']}")
    events = stream(hub, base + f"submissions/{queued['id']}/events", learner["token"])
    kinds = [kind for kind, _ in events]
    assert kinds.count("test") == 3 and kinds[-1] == "result", kinds
    final = events[-1][1]
    assert final["status"] == "passed" and final["score"] == 3

    status, history, _ = hub.request(
        "GET", base + f"challenges/{CID}/submissions", learner["token"]
    )
    assert status == 200 and history["total"] == 2
    assert [s["status"] for s in history["submissions"]] == ["passed", "failed"]

    # Reset to starter: the service's public material goes back over the right answer,
    # which is kept as a checkpoint.
    assert "a + b" in json.dumps(json.loads(copy.read_text())["cells"])
    status, reset, _ = hub.request("POST", base + f"challenges/{CID}/reset", learner["token"])
    assert status == 200, (reset, hub.log_tail())
    assert reset["path"] == opened["path"] and reset["checkpoint"]
    cells = json.dumps(json.loads(copy.read_text())["cells"])
    assert "a + b" not in cells and "return 0" in cells

    # Restore the failed attempt: the service's snapshot goes back into the workspace.
    failed_id = history["submissions"][1]["id"]
    status, restored, _ = hub.request(
        "POST", base + f"submissions/{failed_id}/restore", learner["token"]
    )
    assert status == 200 and restored["path"] == opened["path"]
    assert "return 0" in json.dumps(json.loads(copy.read_text())["cells"])


PANEL = r"""
import json, sys, threading
from codequest_jupyter.widget.choose import open_backend
from codequest_jupyter.widget.model import RunState
url, token, notebook = json.load(sys.stdin)
backend = open_backend(None, notebook=notebook, server=url, token=token, local=False)
state = RunState(mode="submit")
seen = []
backend.run("submit", state, lambda: seen.append(state.completed), threading.Event())
print(json.dumps({"kind": backend.kind, "challenge": backend.challenge_id,
                  "user": backend.connection.user, "result": state.result,
                  "failure": state.failure, "completed": seen,
                  "history": len(backend.history(5))}))
"""


def test_the_widget_panel_grades_through_the_learners_server_in_remote_mode(
    hub: HubEnv, learner: dict[str, str]
) -> None:
    """The ipywidgets panel's backend, as the learner, through the hub's proxy."""
    home = Path(os.path.expanduser(f"~{learner['name']}"))
    saved = home / "codequest" / CID / "adder.ipynb"
    assert saved.is_file()
    url = hub.url + f"user/{learner['name']}/"
    run = as_user(learner["name"], str(hub.python), "-c", PANEL,
                  input=json.dumps([url, learner["token"], str(saved)]))  # fmt: skip
    assert run.returncode == 0, run.stderr
    panel = json.loads(run.stdout.strip().splitlines()[-1])
    assert panel["kind"] == "server" and panel["challenge"] == CID  # told by the notebook
    assert panel["user"] == learner["name"] and panel["failure"] is None
    result = panel["result"]
    assert result["user"] == learner["name"] and result["mode"] == "submit"
    assert result["total"] == 3 and result["status"] in ("passed", "failed")
    assert max(panel["completed"]) == 3 and panel["history"] >= 1


def test_events_are_streamed_through_the_learners_server_as_tests_finish(
    hub: HubEnv, learner: dict[str, str]
) -> None:
    base = f"user/{learner['name']}/{API}"
    _, right = wrong_and_right()
    status, queued, _ = hub.request(
        "POST", base + f"challenges/{SLOW}/submissions", learner["token"],
        {"mode": "run", "notebook": right},
    )  # fmt: skip
    assert status == 202, queued
    arrived: dict[str, float] = {}
    events = stream(hub, base + f"submissions/{queued['id']}/events", learner["token"], arrived)
    tests = [data["name"] for kind, data in events if kind == "test"]
    assert tests == ["test_quick", "test_slow"] and events[-1][1]["status"] == "passed"
    # test_quick's row came through before test_slow had finished sleeping: relayed
    # as it happened (a buffered relay would hand both over together at the end).
    assert arrived["result"] - arrived["test_quick"] >= 3.0, arrived


def test_service_down_says_grading_is_unavailable_and_keeps_the_work(
    hub: HubEnv, learner: dict[str, str]
) -> None:
    base = f"user/{learner['name']}/{API}"
    # A grading in flight when the service dies (kill -9): its 4 s test is running.
    _, right = wrong_and_right()
    status, cut, _ = hub.request(
        "POST", base + f"challenges/{SLOW}/submissions", learner["token"],
        {"mode": "run", "notebook": right},
    )  # fmt: skip
    assert status == 202, cut
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        _, running, _ = hub.request("GET", base + f"submissions/{cut['id']}", learner["token"])
        if running["status"] == "running":
            break
        time.sleep(0.2)
    assert running["status"] == "running", running
    model = hub.hub_api("GET", "services/codequest")
    pid = model.get("pid")
    assert pid, model
    os.kill(pid, 9)
    status, info, _ = hub.request("GET", base + "info", learner["token"])
    assert status == 200 and info["service_available"] is False
    status, reply, _ = hub.request(
        "POST", base + f"challenges/{CID}/submissions", learner["token"], {"mode": "run"}
    )
    assert status == 503 and "Grading is unavailable" in reply["message"]
    home = Path(os.path.expanduser(f"~{learner['name']}"))
    assert (home / "codequest" / CID / "adder.ipynb").is_file()
    # The hub starts its service again; grading then works as before.
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        status, info, _ = hub.request("GET", base + "info", learner["token"])
        if info.get("service_available"):
            break
        time.sleep(2)
    assert info.get("service_available"), hub.log_tail()
    status, result, _ = hub.request(
        "POST", base + f"challenges/{CID}/submissions?wait=true", learner["token"],
        {"mode": "run"},
    )  # fmt: skip
    assert status == 200 and result["status"] in ("passed", "failed"), result
    # The grading cut short was graded again from its stored code: one result.
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        _, regraded, _ = hub.request("GET", base + f"submissions/{cut['id']}", learner["token"])
        if regraded["status"] in ("passed", "failed", "error"):
            break
        time.sleep(1)
    assert regraded["status"] == "passed" and regraded["score"] == 2, regraded
    _, history, _ = hub.request("GET", base + f"challenges/{SLOW}/submissions", learner["token"])
    assert [s["id"] for s in history["submissions"]].count(cut["id"]) == 1


def test_a_revoked_server_token_says_sign_in_again_and_keeps_the_work(hub: HubEnv) -> None:
    """The hub revokes the token a learner's server grades with: 401 *sign in again*,
    nothing stored, nothing lost; with a new server (a new token) the work is graded."""
    name = hub.learners[2]
    # The learner's work is on disk before the server starts.
    if (hub.hub_api("GET", f"users/{name}").get("servers") or {}).get(""):
        hub.stop_server(name)
    notebook = Path(os.path.expanduser(f"~{name}")) / "codequest" / CID / "adder.ipynb"
    _, right = wrong_and_right()
    as_user(name, "mkdir", "-p", str(notebook.parent), check=True)
    as_user(name, "tee", str(notebook), input=json.dumps(right), check=True)
    saved = notebook.read_bytes()
    restart_with_revoked_token(hub, name)

    token = hub.token_for(name)  # the learner's own sign-in is fine; their server's is not
    base = f"user/{name}/{API}"
    status, reply, _ = hub.request(
        "POST", base + f"challenges/{CID}/submissions?wait=true", token, {"mode": "submit"}
    )
    assert status == 401, (status, reply, hub.log_tail())
    assert "Sign in to the hub again" in reply["message"]
    assert "Your work is saved" in reply["message"]
    status, info, _ = hub.request("GET", base + "info", token)
    assert status == 200 and info["service_available"] is False
    assert "Sign in to the hub again" in info["service_message"]
    assert notebook.read_bytes() == saved
    # A script's revoked token, straight to the service: 401 and why, not a bare 403.
    made = hub.hub_api("POST", f"users/{name}/tokens", {"note": "to revoke"})
    hub.hub_api("DELETE", f"users/{name}/tokens/{made['id']}")
    status, direct, headers = hub.request("GET", f"services/codequest/{API}info", made["token"])
    assert status == 401 and "sign in to the hub again" in direct["message"], direct
    assert headers["www-authenticate"].startswith("token")
    instructor = hub.token_for(hub.instructor)
    status, listing, _ = hub.request(
        "GET", f"services/codequest/{API}submissions?user={name}&challenge={CID}", instructor
    )
    assert status == 200 and listing["total"] == 0, listing

    # Signed in again with a new server (the hub gives it a new token): graded.
    hub.stop_server(name)
    hub.start_server(name)
    status, result, _ = hub.request(
        "POST", base + f"challenges/{CID}/submissions?wait=true", token, {"mode": "submit"}
    )
    assert status == 200 and result["status"] == "passed" and result["user"] == name, result


def test_the_instructors_dashboard_endpoints_through_the_instructors_server(
    hub: HubEnv, learner: dict[str, str]
) -> None:
    wrong, _ = wrong_and_right()
    status, result, _ = hub.request(
        "POST", f"user/{learner['name']}/{API}challenges/{CID}/submissions?wait=true",
        learner["token"], {"mode": "submit", "notebook": wrong},
    )  # fmt: skip
    assert status == 200 and result["status"] == "failed", result
    # A learner's server relays the instructors' endpoints; the service says no.
    for path in ("class", f"challenges/{CID}/stats", "gradebook.csv"):
        status, _, _ = hub.request("GET", f"user/{learner['name']}/{API}{path}", learner["token"])
        assert status == 403, path

    hub.start_server(hub.instructor)
    token = hub.token_for(hub.instructor)
    base = f"user/{hub.instructor}/{API}"
    status, info, _ = hub.request("GET", base + "info", token)
    assert status == 200 and info["instructor"] is True and info["mode"] == "remote"
    status, matrix, _ = hub.request("GET", base + "class", token)
    assert status == 200, matrix
    assert learner["name"] in matrix["learners"] and CID in matrix["challenges"]
    status, stats, _ = hub.request("GET", base + f"challenges/{CID}/stats", token)
    assert status == 200 and stats["submissions"] >= 1
    status, csv_text, _ = hub.request("GET", base + "gradebook.csv", token)
    assert status == 200 and csv_text.startswith("learner,challenge,best_points")
    assert f"{learner['name']},{CID}," in csv_text
    # The instructor sees the hidden test's details; the learner does not.
    status, full, _ = hub.request("GET", base + f"submissions/{result['id']}", token)
    hidden = [t for t in full["tests"] if t["hidden"] and t["status"] == "failed"]
    assert status == 200 and hidden and hidden[0]["message"]
    assert all(t["message"] is None for t in result["tests"] if t["hidden"])

    status, job, _ = hub.request(
        "POST", base + "regrades", token, {"challenge": CID, "learner": learner["name"]}
    )
    assert status == 202, job
    deadline = time.monotonic() + 300
    while job["status"] == "running" and time.monotonic() < deadline:
        time.sleep(1)
        status, job, _ = hub.request("GET", base + f"regrades/{job['id']}", token)
        assert status == 200, job
    assert job["status"] == "finished" and job["done"] == job["total"] >= 1
    status, history, _ = hub.request("GET", base + f"submissions/{result['id']}/results", token)
    assert status == 200 and len(history["previous"]) == 1
