"""Instructors' endpoints through a server in remote mode, decided by the service.

An instructor (a member of the hub group ``codequest-instructors``) gets the class
matrix, the gradebook CSV, a challenge's statistics, a submission's result history
and regrades through their own JupyterLab server, which relays them to the service;
a learner asking their own server for the same gets the service's 403. The servers
decide nothing: the service asks the hub whose token it is and what groups they are in.
"""

from __future__ import annotations

import time

import pytest
from hubcase import API, CID, SERVICE_API, wrong_and_right
from hubenv import HubEnv

pytestmark = pytest.mark.hub


def test_instructors_get_the_class_through_their_server_and_learners_get_403(
    hub: HubEnv, learner: dict[str, str]
) -> None:
    # A graded Submit of another learner's, straight to the service.
    student = hub.learners[1]
    wrong, _ = wrong_and_right()
    status, result, _ = hub.request(
        "POST", SERVICE_API + f"challenges/{CID}/submissions?wait=true",
        hub.token_for(student), {"mode": "submit", "notebook": wrong},
    )  # fmt: skip
    assert status == 200 and result["status"] == "failed", (result, hub.log_tail())

    hub.start_server(hub.instructor)
    token = hub.token_for(hub.instructor)
    base = f"user/{hub.instructor}/{API}"
    status, info, _ = hub.request("GET", base + "info", token)
    assert status == 200 and info["mode"] == "remote" and info["instructor"] is True

    status, matrix, _ = hub.request("GET", base + f"class?challenge={CID}", token)
    assert status == 200, matrix
    assert student in matrix["learners"] and matrix["challenges"] == [CID]
    cell = next(c for c in matrix["cells"] if c["learner"] == student)
    assert cell["attempts"] >= 1 and cell["passed"] is False

    status, csv, headers = hub.request("GET", base + f"gradebook.csv?challenge={CID}", token)
    assert status == 200 and headers["content-type"].startswith("text/csv")
    assert 'filename="gradebook.csv"' in headers["content-disposition"]
    lines = csv.splitlines()
    assert lines[0].startswith("learner,challenge,best_points")
    assert any(line.startswith(f"{student},{CID},") for line in lines), lines
    # Byte for byte what the service itself answers.
    _, direct, _ = hub.request("GET", SERVICE_API + f"gradebook.csv?challenge={CID}", token)
    assert csv == direct

    status, stats, _ = hub.request("GET", base + f"challenges/{CID}/stats", token)
    assert status == 200 and stats["challenge"] == CID and stats["submissions"] >= 1
    status, history, _ = hub.request("GET", base + f"submissions/{result['id']}/results", token)
    assert status == 200 and history["current"]["id"] == result["id"]

    status, job, headers = hub.request(
        "POST", base + "regrades", token, {"challenge": CID, "learner": student}
    )
    assert status == 202, job
    assert headers["location"].endswith(f"/user/{hub.instructor}/{API}regrades/{job['id']}")
    deadline = time.monotonic() + 180
    while job["status"] == "running" and time.monotonic() < deadline:
        time.sleep(0.5)
        status, job, _ = hub.request("GET", base + f"regrades/{job['id']}", token)
        assert status == 200, job
    assert job["status"] == "finished" and job["done"] == job["total"] >= 1, job
    assert {item["user"] for item in job["items"]} == {student}

    # The same requests by a learner, through their own server: the service says no.
    mine = f"user/{learner['name']}/{API}"
    for method, path, body in [
        ("GET", "class", None),
        ("GET", "gradebook.csv", None),
        ("GET", f"challenges/{CID}/stats", None),
        ("GET", f"submissions/{result['id']}/results", None),
        ("POST", "regrades", {"challenge": CID}),
        ("GET", f"regrades/{job['id']}", None),
    ]:
        status, reply, _ = hub.request(method, mine + path, learner["token"], body)
        assert status == 403, (method, path, status, reply)
        assert reply["message"] == "Only instructors can do this", reply
        assert student not in str(reply)
