"""The Tests panel's view-model (``widget/model.py``, ``wording.py``): figures in words,
and a RunState fed by real gradings on real kernels."""

from __future__ import annotations

import datetime as dt

from challenge_factory import make_challenge, notebook
from widget_helpers import (
    HALF_RIGHT,
    SUMMARY,
    graded_state,
)

from codequest_jupyter.widget.model import (
    RunState,
    TestRow,
)
from codequest_jupyter.widget.render import (
    banner_html,
    row_html,
    summary_html,
)
from codequest_jupyter.widget.wording import (
    format_duration,
    format_points,
    format_when,
    summary_text,
)


def test_numbers_and_times_in_words():
    assert [format_points(p) for p in (6.0, 2.5, 1 / 3, None)] == [
        "6",
        "2.5",
        "0.33",
        "0",
    ]
    assert [format_duration(ms) for ms in (412, 0, 9_949, 12_400, 125_000)] == [
        "0.4 s",
        "0.0 s",
        "9.9 s",
        "12 s",
        "2 min 5 s",
    ]
    result = {
        "score": 3,
        "total": 4,
        "points": 6.0,
        "max_points": 8.0,
        "duration_ms": 412,
    }
    assert summary_text(result) == "3/4 passed · 6/8 points · 0.4 s"
    now = dt.datetime(2026, 11, 24, 15, 0, tzinfo=dt.timezone.utc)

    def local(iso: str) -> dt.datetime:
        return dt.datetime.fromisoformat(iso).astimezone()

    assert format_when("2026-11-24T14:32:05Z", now) == "today " + local(
        "2026-11-24T14:32:05+00:00"
    ).strftime("%H:%M")
    assert format_when("2026-11-23T14:32:05Z", now).startswith("yesterday ")
    assert format_when("2025-03-02T10:00:00Z", now).endswith(
        "2025 " + local("2025-03-02T10:00:00+00:00").strftime("%H:%M")
    )
    assert format_when("not a time", now) == "not a time"


async def test_view_model_follows_a_real_grading(grader, tmp_path):
    state, snapshots, result = await graded_state(
        grader, make_challenge(tmp_path), HALF_RIGHT, "submit"
    )
    # Announced first: every announced row pending, nothing done.
    kind, first = snapshots[0]
    assert kind == "collected" and first["rows"][:2] == [
        ("test_small_numbers", "pending", False),
        ("test_negative_numbers", "pending", False),
    ]
    n = len(first["rows"])
    assert all(status == "pending" for _, status, _ in first["rows"])
    assert first["progress"] == (0, n) and first["progress_text"] == f"0 of {n} tests"
    assert first["summary"] is None and first["phase"] == "running"
    # Each test event finishes one more row; a later announcement (the engine may
    # collect the hidden tests in a second step) adds rows and never resets finished ones.
    finished: dict[str, str] = {}
    done = 0
    for kind, snap in snapshots[1:-1]:
        statuses = {name: status for name, status, _ in snap["rows"]}
        for name, status in finished.items():
            assert statuses[name] == status, (kind, snap)
        if kind == "test":
            done += 1
        assert snap["progress"] == (done, len(snap["rows"])), (kind, snap)
        finished = {k: v for k, v in statuses.items() if v != "pending"}
    assert done == 3 and snapshots[1][1]["rows"][0][1] == "passed"
    # The end: the rows, the progress and the summary line of the result.
    final = snapshots[-1][1]
    assert final["rows"] == [
        ("test_small_numbers", "passed", False),
        ("test_negative_numbers", "failed", False),
        ("test_large_numbers", "passed", True),
    ]
    assert final["phase"] == "done" and final["status"] == "failed" == result["status"]
    assert final["progress"] == (3, 3) and final["progress_text"] == "3 of 3 tests"
    match = SUMMARY.match(final["summary"])
    assert match and match.groups()[:4] == ("2", "3", "2", "3"), final["summary"]
    assert state.banner() is None and not state.is_active
    failed = state.rows[1]
    assert (failed.expected, failed.actual) == ("-2", "2") and failed.has_details
    hidden = state.rows[2]
    assert hidden.hidden and not hidden.has_details and hidden.points_text == "1/1 pts"


async def test_view_model_error_banner_names_the_cell(grader, tmp_path):
    broken = notebook("import math\n", "def add(a, b)\n    return a + b\n")
    state, _snapshots, result = await graded_state(grader, make_challenge(tmp_path), broken, "run")
    assert result["status"] == "error" and state.status == "error"
    banner = state.banner()
    assert banner is not None and banner.kind == "syntax"
    assert banner.title == "Your notebook has a syntax error"
    # The markdown cell is cell 1, the broken code cell is cell 3.
    assert banner.cell == 2 and banner.where == "cell 3"
    assert "cell 3" in banner.message
    html = banner_html(banner, state.cell_errors())
    assert "Your notebook has a syntax error" in html and "(cell 3)" in html
    assert SUMMARY.match(state.summary()).groups()[:2] == ("0", "2")


def test_view_model_polling_snapshots_and_failures():
    state = RunState(mode="run")
    state.submitted("abc")
    assert state.phase == "queued" and state.progress_text() == "Waiting for a grader…"
    # A result polled while grading carries the finished tests only.
    state.apply(
        "result",
        {
            "status": "running",
            "tests": [
                {
                    "id": "t::a",
                    "name": "a",
                    "hidden": False,
                    "status": "passed",
                    "points": 1,
                    "max_points": 1,
                }
            ],
        },
    )
    assert state.phase == "running" and state.result is None and state.completed == 1
    state.fail("Could not reach the server")
    assert state.phase == "failed" and not state.is_active
    assert state.banner().title == "The tests could not run"
    assert state.banner().message == "Could not reach the server"


def test_the_servers_word_on_a_waiting_submission_shows_until_grading_starts():
    message = (
        "No grading worker is running right now. Your submission is saved and will be "
        "graded as soon as one starts."
    )
    state = RunState(mode="submit")
    state.submitted("abc")
    state.apply("status", {"status": "queued"})
    assert state.progress_text() == "Waiting for a grader…" and state.waiting is None
    state.apply("status", {"status": "queued", "message": message})
    assert state.phase == "queued" and state.progress_text() == message
    assert state.snapshot()["waiting"] == message
    assert message in summary_html(state)
    # A worker takes the job: the message goes.
    state.apply("status", {"status": "running"})
    assert state.waiting is None and state.progress_text() == "Running your notebook…"
    # Waiting again (the worker died before the tests were known), then the rows come.
    state.apply("status", {"status": "queued", "message": "<b>wait</b>"})
    assert "&lt;b&gt;wait&lt;/b&gt;" in summary_html(state)
    state.apply(
        "collected",
        {"total": 1, "tests": [{"id": "t::a", "name": "a", "hidden": False, "max_points": 1}]},
    )
    assert state.waiting is None and state.progress_text() == "0 of 1 test"
    assert state.snapshot()["rows"] == [("a", "pending", False)]
    # A message after the result changes nothing.
    state.apply("result", {"status": "passed", "score": 1, "total": 1, "tests": []})
    state.apply("status", {"status": "queued", "message": message})
    assert state.phase == "done" and state.waiting is None


def test_cell_timeouts_and_cut_output_are_warnings_beside_the_verdict():
    state = RunState(mode="submit")
    state.submitted("s1")
    test = {
        "id": "tests/test_a.py::test_a",
        "name": "test_a",
        "hidden": False,
        "status": "passed",
        "points": 1,
        "max_points": 1,
        "output": "x" * 10 + "\n… output truncated (90 more characters)",
        "output_truncated": True,
    }
    state.apply(
        "result",
        {
            "status": "passed",
            "score": 1,
            "total": 1,
            "points": 1,
            "max_points": 1,
            "duration_ms": 300,
            "error": None,
            "tests": [test],
            "output_truncated": True,
            "cell_errors": [
                {
                    "cell": 2,
                    "ename": "TimeoutError",
                    "kind": "timeout",
                    "evalue": "Cell 3 ran longer than 5 s and was stopped.",
                    "traceback": None,
                },
                # Stored before cell errors had a kind: an exception.
                {"cell": 4, "ename": "ValueError", "evalue": "bad", "traceback": None},
            ],
        },
    )
    assert state.status == "passed" and state.banner() is None
    html = banner_html(state.banner(), state.cell_errors(), state.output_truncated())
    assert "⚠" not in html  # no blocking banner: warnings only
    assert "Cell 3 took too long and was interrupted: Cell 3 ran longer than 5 s" in html
    assert "Cell 5 raised ValueError: bad" in html
    assert "Some output was cut at its limit" in html
    row = TestRow.from_json(test)
    assert row.output_truncated and "Output (cut at the limit" in row_html(row)
    assert "cut at the limit" not in row_html(
        TestRow.from_json({**test, "output_truncated": False})
    )
    assert "Some output was cut" not in banner_html(None, [], False)
