"""The REST client (``widget/client.py``): event-stream parsing, and submitting,
streaming and polling against a real ``jupyter server`` with the extension."""

from __future__ import annotations

import pytest
from widget_helpers import (
    HALF_RIGHT,
    SOLUTION,
    open_workspace,
)

from codequest_jupyter.widget.client import ApiError, CodeQuestClient, parse_sse


def test_event_stream_parsing():
    text = (
        ": ping\n\n"
        'event: collected\ndata: {"total": 1, "tests": []}\n\n'
        'event: test\ndata: {"id": "a",\n'
        'data: "status": "passed"}\n\n'
        "event: junk\ndata: not json\n\n"
        'event: result\r\ndata: {"status": "passed"}\r\n\r\n'
    )
    assert list(parse_sse(text.splitlines(keepends=True))) == [
        ("collected", {"total": 1, "tests": []}),
        ("test", {"id": "a", "status": "passed"}),
        ("result", {"status": "passed"}),
    ]


def test_client_submits_streams_events_and_matches_the_stored_result(widget_server):
    client = widget_server.client()
    info = client.info()
    assert info["user"] == "alice" and info["api_version"] >= 1
    relpath, _ = open_workspace(widget_server, "adder", HALF_RIGHT)
    accepted = client.submit("adder", "submit", path=relpath)
    assert accepted["status"] == "queued"
    events = list(client.events(accepted["id"]))
    kinds = [k for k, _ in events]
    assert kinds[-1] == "result" and "collected" in kinds
    assert kinds.count("test") == 3 and kinds.index("collected") < kinds.index("test")
    final = events[-1][1]
    stored = client.result(accepted["id"])
    assert stored["status"] == final["status"] == "failed"
    assert (
        [(t["id"], t["status"]) for t in stored["tests"]]
        == [(t["id"], t["status"]) for t in final["tests"]]
        == [(d["id"], d["status"]) for k, d in events if k == "test"]
    )
    assert (stored["score"], stored["total"]) == (2, 3)
    history = client.history("adder", limit=5)
    assert history["submissions"][0]["id"] == accepted["id"]
    # Errors come back as ApiError with the server's message.
    with pytest.raises(ApiError) as err:
        client.submit("adder", "sideways", path=relpath)
    assert err.value.status == 400 and "mode" in err.value.message
    with pytest.raises(ApiError) as err:
        CodeQuestClient(widget_server.url, "wrong-token").info()
    assert err.value.status == 403


def test_follow_falls_back_to_polling_when_the_stream_breaks(widget_server):
    relpath, _ = open_workspace(widget_server, "slow", SOLUTION)
    # A stream that goes quiet for longer than this counts as broken.
    client = CodeQuestClient(widget_server.url, widget_server.token, stream_timeout=0.3)
    accepted = client.submit("slow", "run", path=relpath)
    seen: list[str] = []
    final = client.follow(accepted["id"], lambda kind, data: seen.append(kind), poll_s=0.2)
    assert final is not None and final["status"] == "passed" and final["score"] == 2
    assert seen[-1] == "result" and seen.count("result") >= 2  # polled snapshots, then the end
