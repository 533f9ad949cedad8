"""The grading engine on real kernels: every outcome a submission can have."""

from __future__ import annotations

import asyncio
import os
import tempfile
import time

import pytest
from challenge_factory import make_challenge, notebook
from procs import kernel_processes

from codequest_jupyter.challenges import load_challenge
from codequest_jupyter.grading import Grader, GradingSettings, SubmissionInvalid
from codequest_jupyter.results import learner_result, learner_test

SOLUTION = notebook("def add(a, b):\n    return a + b\n")
WRONG = notebook("def add(a, b):\n    return a - b\n")


@pytest.fixture
def runs_dir(tmp_path, monkeypatch):
    """Run directories of this test go here, so leftovers can be checked."""
    path = tmp_path / "runs"
    path.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(path))
    return path


# Every test grades with the tests in a judge process (the default, under the strongest
# sandbox) and inside the kernel (rlimits, isolation = "kernel").
GRADERS = {
    "judge": GradingSettings(sandbox="auto"),
    "kernel": GradingSettings(sandbox="rlimits", isolation="kernel"),
}


@pytest.fixture(params=sorted(GRADERS))
async def grader(runs_dir, request):
    g = Grader(GRADERS[request.param])
    yield g
    await g.close()
    # Nothing left behind: no run directory, no kernel process.
    assert list(runs_dir.iterdir()) == []
    assert kernel_processes(str(runs_dir)) == []


async def test_solution_passes_with_points_and_timing(grader, tmp_path):
    ch = load_challenge(make_challenge(tmp_path))
    result = await grader.grade(ch, SOLUTION, mode="submit", user="alice", submission_id="s1")
    data = result.to_json()
    assert data["status"] == "passed"
    assert (data["score"], data["total"]) == (3, 3)
    assert data["points"] == data["max_points"] == 3.0
    assert data["id"] == "s1" and data["user"] == "alice" and data["challenge"] == "adder"
    assert data["challenge_version"] == ch.version and len(ch.version) == 64
    assert data["error"] is None
    # Where the tests ran is recorded: the judge unless the grader keeps them in the kernel.
    assert data["isolation"] == await grader.isolation(ch)
    if grader.settings.isolation == "kernel":
        assert data["isolation"] == "kernel"
    assert [t["id"] for t in data["tests"]] == [
        "tests/test_add.py::test_small_numbers",
        "tests/test_add.py::test_negative_numbers",
        "hidden/test_add_hidden.py::test_large_numbers",
    ]
    assert [t["hidden"] for t in data["tests"]] == [False, False, True]
    assert all(t["duration_ms"] >= 0 for t in data["tests"]) and data["duration_ms"] > 0


async def test_failure_reports_expected_and_actual(grader, tmp_path):
    ch = load_challenge(make_challenge(tmp_path))
    result = await grader.grade(ch, WRONG, mode="run")
    assert result.status == "failed" and result.mode == "run"
    # Mode "run" grades the public tests only.
    assert [t.hidden for t in result.tests] == [False, False]
    first = result.tests[0]
    assert first.status == "failed"
    assert (first.actual, first.expected) == ("-1", "3")
    assert "assert -1 == 3" in first.message
    assert first.points == 0 and first.max_points == 1
    assert "tests/test_add.py" in first.traceback and "suite-" not in first.traceback


async def test_hidden_details_are_kept_and_withheld_from_the_learners_view(grader, tmp_path):
    ch = load_challenge(make_challenge(tmp_path))
    result = await grader.grade(ch, WRONG, mode="submit")
    hidden = [t for t in result.tests if t.hidden]
    assert len(hidden) == 1 and hidden[0].status == "failed"
    # The engine keeps every detail (the store keeps them for instructors) ...
    assert hidden[0].expected == "1000000000001" and hidden[0].actual == "999999999999"
    assert hidden[0].message and hidden[0].traceback
    # ... and the learner's view, which the serving layer gives learners, withholds them.
    shown = learner_result(result.to_json(), ch.show_hidden_details)
    secret = next(t for t in shown["tests"] if t["hidden"])
    assert secret["message"] is None and secret["expected"] is None
    assert secret["actual"] is None and secret["traceback"] is None and secret["output"] is None
    assert secret["name"] == "test_large_numbers" and secret["max_points"] == 1
    assert secret["status"] == "failed"
    public = [t for t in shown["tests"] if not t["hidden"]]
    assert all(t["message"] for t in public)
    assert result.to_json()["tests"][2]["expected"] == "1000000000001"  # not mutated


async def test_hidden_details_shown_when_the_challenge_allows(grader, tmp_path):
    ch = load_challenge(make_challenge(tmp_path, toml_extra="show_hidden_details = true"))
    result = await grader.grade(ch, WRONG, mode="submit")
    hidden = next(t for t in result.tests if t.hidden)
    assert hidden.expected == "1000000000001" and hidden.actual == "999999999999"
    shown = learner_result(result.to_json(), ch.show_hidden_details)
    assert next(t for t in shown["tests"] if t["hidden"])["expected"] == "1000000000001"


async def test_events_stream_each_test_then_match_the_result(grader, tmp_path):
    ch = load_challenge(make_challenge(tmp_path))
    events: list[tuple[str, dict]] = []

    async def on_event(kind, data):
        events.append((kind, data))

    result = await grader.grade(ch, WRONG, mode="submit", on_event=on_event)
    kinds = [k for k, _ in events]
    if await grader.isolation(ch) == "judge":
        # The judge lists every test at once (the hidden ones are never in the
        # kernel), public ones first, and runs them in that order.
        assert kinds == ["collected", "test", "test", "test"]
        assert events[0][1]["total"] == 3
        events.insert(3, events[0])  # where the kernel's second listing would be
    else:
        # Public tests are listed and run first; the hidden ones are listed when their
        # turn comes (they are not even on disk while the public tests run).
        assert kinds == ["collected", "test", "test", "collected", "test"]
        assert events[0][1]["total"] == 2 and events[3][1]["total"] == 3
    assert [t["id"] for t in events[3][1]["tests"]] == [t.id for t in result.tests]
    assert [d["id"] for k, d in events if k == "test"] == [t.id for t in result.tests]
    # The stream carries every detail; the serving layer redacts it for learners.
    assert events[4][1]["expected"] == "1000000000001" and events[4][1]["message"]
    assert learner_test(events[4][1], False)["expected"] is None


async def test_error_in_test_is_error_status(grader, tmp_path):
    ch = load_challenge(make_challenge(tmp_path))
    nb = notebook("def add(a, b):\n    return a / 0\n")
    result = await grader.grade(ch, nb, mode="run")
    assert [t.status for t in result.tests] == ["error", "error"]
    assert "ZeroDivisionError" in result.tests[0].message
    assert result.status == "failed"


async def test_missing_function_reports_every_test(grader, tmp_path):
    ch = load_challenge(make_challenge(tmp_path))
    nb = notebook("x = 1")
    result = await grader.grade(ch, nb, mode="submit")
    assert result.total == 3
    assert all(t.status == "error" for t in result.tests)
    assert "cannot import name 'add'" in result.tests[0].message


async def test_a_test_file_that_cannot_import_does_not_stop_the_others(grader, tmp_path):
    tests = {
        "test_add.py": "from adder import add\n\ndef test_add():\n    assert add(1, 2) == 3\n",
        "test_sub.py": "from adder import sub\n\ndef test_sub():\n    assert sub(3, 2) == 1\n",
    }
    ch = load_challenge(make_challenge(tmp_path, tests=tests))
    result = await grader.grade(ch, SOLUTION, mode="submit")
    status = {t.name: t.status for t in result.tests}
    assert status == {"test_add": "passed", "test_sub": "error", "test_large_numbers": "passed"}
    sub = next(t for t in result.tests if t.name == "test_sub")
    assert "cannot import name 'sub'" in sub.message


async def test_per_test_timeout_keeps_other_results(grader, tmp_path):
    tests = {
        "test_t.py": """
            from adder import add, spin

            def test_before():
                assert add(1, 1) == 2

            def test_spins():
                spin()

            def test_after():
                assert add(2, 2) == 4
        """
    }
    ch = load_challenge(make_challenge(tmp_path, tests=tests, hidden={}, limits="timeout_s = 1"))
    nb = notebook(
        "def add(a, b):\n    return a + b\n\ndef spin():\n    while True:\n        pass\n"
    )
    result = await grader.grade(ch, nb, mode="submit")
    assert [t.status for t in result.tests] == ["passed", "timeout", "passed"]
    assert "1 s" in result.tests[1].message
    assert result.status == "failed" and result.error is None
    assert result.duration_ms < 15000


async def test_uninterruptible_test_is_stopped_by_the_watchdog(grader, tmp_path):
    # A loop that swallows every exception cannot be stopped inside the kernel.
    tests = {
        "test_t.py": """
            from adder import add, stubborn

            def test_before():
                assert add(1, 1) == 2

            def test_stubborn():
                stubborn()

            def test_after():
                assert add(2, 2) == 4
        """
    }
    ch = load_challenge(
        make_challenge(tmp_path, tests=tests, hidden={}, limits="timeout_s = 1\nrun_timeout_s = 30")
    )
    nb = notebook(
        "def add(a, b):\n    return a + b\n\n"
        "def stubborn():\n    while True:\n        try:\n            while True:\n"
        "                pass\n        except BaseException:\n            pass\n"
    )
    result = await grader.grade(ch, nb, mode="submit")
    # The kernel had to be killed; the test after it ran in a fresh kernel.
    assert [t.status for t in result.tests] == ["passed", "timeout", "passed"]
    assert result.tests[1].message == "Took longer than 1 s and was stopped."
    assert result.error is None
    assert result.duration_ms < 20000


async def test_infinite_loop_in_a_cell_is_stopped_and_tests_still_run(grader, tmp_path):
    ch = load_challenge(make_challenge(tmp_path, limits="timeout_s = 1"))
    nb = notebook("while True:\n    pass\n", "def add(a, b):\n    return a + b\n")
    result = await grader.grade(ch, nb, mode="submit")
    # The loop was interrupted, so the rest of the notebook ran and the tests pass: the
    # verdict is theirs, the timed-out cell a warning beside it, not the run's error.
    assert [t.status for t in result.tests] == ["passed"] * 3
    assert result.status == "passed" and result.error is None
    data = result.to_json()["cell_errors"]
    assert len(data) == 1 and data[0]["cell"] == 1  # index in the notebook: markdown is 0
    assert data[0]["kind"] == "timeout" and data[0]["ename"] == "TimeoutError"
    assert data[0]["evalue"] == "Cell 2 ran longer than 1 s and was stopped."


async def test_a_try_it_cell_that_loops_does_not_fail_a_correct_notebook(grader, tmp_path):
    # The notebook's only problem is a "Try it" cell that never ends.
    ch = load_challenge(make_challenge(tmp_path, limits="timeout_s = 1"))
    nb = notebook("def add(a, b):\n    return a + b\n", "while add(1, 1) == 2:\n    pass\n")
    result = await grader.grade(ch, nb, mode="submit")
    assert (result.status, result.score, result.total, result.error) == ("passed", 3, 3, None)
    assert [(c.cell, c.kind) for c in result.cell_errors] == [(2, "timeout")]


async def test_a_cell_that_times_out_before_tests_that_cannot_run_is_the_error(grader, tmp_path):
    # Nothing defines add: the tests cannot run, and the timed-out cell is named.
    ch = load_challenge(make_challenge(tmp_path, limits="timeout_s = 1"))
    nb = notebook("while True:\n    pass\n")
    result = await grader.grade(ch, nb, mode="run")
    assert [t.status for t in result.tests] == ["error", "error"]
    assert result.status == "error" and result.error.kind == "timeout"
    assert result.error.cell == 1 and "Cell 2 ran longer than 1 s" in result.error.message


async def test_memory_bomb_is_a_memory_error(grader, tmp_path):
    ch = load_challenge(make_challenge(tmp_path))
    nb = notebook("hog = bytearray(4 * 1024**3)\n", "def add(a, b):\n    return a + b\n")
    result = await grader.grade(ch, nb, mode="run")
    # The tests ran (add is defined after it) and passed: the cell is a warning.
    assert result.status == "passed" and result.error is None
    assert result.cell_errors[0].ename == "MemoryError"
    assert result.cell_errors[0].evalue == "Cell 2 ran out of memory (the limit is 256 MB)."
    assert result.cell_errors[0].kind == "exception"


async def test_memory_bomb_in_a_test_fails_only_that_test(grader, tmp_path):
    tests = {
        "test_m.py": """
            from adder import add, hog

            def test_hog():
                hog()

            def test_add():
                assert add(1, 2) == 3
        """
    }
    ch = load_challenge(make_challenge(tmp_path, tests=tests, hidden={}))
    nb = notebook(
        "def add(a, b):\n    return a + b\n\ndef hog():\n    return bytearray(4 * 1024**3)\n"
    )
    result = await grader.grade(ch, nb, mode="run")
    assert [t.status for t in result.tests] == ["error", "passed"]
    assert "memory" in result.tests[0].message.lower()


@pytest.mark.parametrize(
    ("code", "kind", "words"),
    [
        ("import os\nos._exit(3)\n", "kernel_died", "exit code 3"),
        ("import ctypes\nctypes.string_at(0)\n", "kernel_died", "segmentation fault"),
    ],
)
async def test_kernel_death_is_reported(grader, tmp_path, code, kind, words):
    ch = load_challenge(make_challenge(tmp_path))
    result = await grader.grade(
        ch, notebook("def add(a, b):\n    return a + b\n", code), mode="submit"
    )
    assert result.status == "error"
    assert result.error.kind == kind and words in result.error.message
    assert result.error.cell == 2
    assert [t.status for t in result.tests] == ["not_run"] * 3
    assert result.total == 3 and result.max_points == 3


async def test_kernel_death_during_a_test(grader, tmp_path):
    tests = {
        "test_d.py": """
            from adder import add, die

            def test_first():
                assert add(1, 2) == 3

            def test_dies():
                die()

            def test_last():
                assert add(1, 1) == 2
        """
    }
    ch = load_challenge(
        make_challenge(tmp_path, tests=tests, hidden={}, limits="run_timeout_s = 30")
    )
    nb = notebook("import os\ndef add(a, b):\n    return a + b\n\ndef die():\n    os._exit(1)\n")
    result = await grader.grade(ch, nb, mode="run")
    assert [t.status for t in result.tests] == ["passed", "error", "passed"]
    assert result.error.kind == "kernel_died"
    assert "test_dies" in result.error.message
    assert "exit code 1" in result.tests[1].message
    assert result.status == "failed"


async def test_resuming_stops_when_every_test_kills_its_kernel(grader, tmp_path):
    body = "\n".join(f"def test_dies_{i}():\n    die()\n" for i in range(6))
    tests = {"test_all.py": "from adder import die\n\n" + body}
    # Four kernels, three of them started after a death: a budget for a busy machine.
    ch = load_challenge(
        make_challenge(tmp_path, tests=tests, hidden={}, limits="run_timeout_s = 60")
    )
    nb = notebook("import os\ndef die():\n    os._exit(1)\n")
    events = []
    result = await grader.grade(ch, nb, mode="run", on_event=lambda k, d: events.append((k, d)))
    statuses = [t.status for t in result.tests]
    # The first kernel and three fresh ones each lose one test; the rest are not run.
    assert statuses == ["error"] * 4 + ["not_run"] * 2
    assert result.tests[5].message.startswith("Not run:")
    assert [k for k, _ in events].count("collected") == 1
    assert [d["id"] for k, d in events if k == "test"] == [t.id for t in result.tests[:4]]


async def test_syntax_error_names_cell_and_line(grader, tmp_path):
    ch = load_challenge(make_challenge(tmp_path))
    nb = notebook("x = 1\n", "def add(a, b):\n    return (a +\n")
    result = await grader.grade(ch, nb, mode="run")
    assert result.status == "error"
    assert result.error.kind == "syntax" and result.error.cell == 2
    assert "cell 3" in result.error.message and "line 2" in result.error.message
    assert all(t.status == "error" for t in result.tests)


async def test_failing_cell_does_not_stop_grading(grader, tmp_path):
    ch = load_challenge(make_challenge(tmp_path))
    nb = notebook("1 / 0\n", "def add(a, b):\n    return a + b\n")
    result = await grader.grade(ch, nb, mode="submit")
    assert result.status == "passed" and result.error is None
    assert [(c.cell, c.ename) for c in result.cell_errors] == [(1, "ZeroDivisionError")]
    assert "division by zero" in result.cell_errors[0].evalue


async def test_unittest_style_tests(grader, tmp_path):
    tests = {
        "test_u.py": """
            import unittest
            from adder import add

            class TestAdd(unittest.TestCase):
                def test_small(self):
                    self.assertEqual(add(2, 2), 4)

                def test_zero(self):
                    self.assertEqual(add(0, 5), 5)
        """
    }
    ch = load_challenge(make_challenge(tmp_path, tests=tests, hidden={}))
    ok = await grader.grade(ch, SOLUTION, mode="run")
    assert [t.status for t in ok.tests] == ["passed", "passed"]
    assert [t.name for t in ok.tests] == ["TestAdd.test_small", "TestAdd.test_zero"]
    bad = await grader.grade(ch, WRONG, mode="run")
    assert bad.tests[0].status == "failed"
    assert (bad.tests[0].actual, bad.tests[0].expected) == ("0", "4")
    assert "0 != 4" in bad.tests[0].message


async def test_weighted_points(grader, tmp_path):
    tests = {
        "test_p.py": """
            import pytest
            from adder import add

            @pytest.mark.points(3)
            def test_worth_three():
                assert add(1, 2) == 3

            @pytest.mark.points(0.5)
            def test_worth_half():
                assert add(1, 1) == 3
        """
    }
    ch = load_challenge(make_challenge(tmp_path, tests=tests, hidden={}))
    result = await grader.grade(ch, SOLUTION, mode="run")
    assert [(t.points, t.max_points) for t in result.tests] == [(3, 3), (0, 0.5)]
    assert (result.points, result.max_points) == (3.0, 3.5)


async def test_locked_file_is_taken_from_the_challenge(grader, tmp_path):
    files = {"helpers.py": "def double(x):\n    return 2 * x\n"}
    tests = {
        "test_h.py": """
            from adder import add

            def test_uses_helper():
                assert add(2, 3) == 10
        """
    }
    ch = load_challenge(
        make_challenge(tmp_path, tests=tests, hidden={}, files=files, locked=["helpers.py"])
    )
    nb = notebook("from helpers import double\ndef add(a, b):\n    return double(a + b)\n")
    tampered = {"helpers.py": "def double(x):\n    return 10\n"}
    honest = await grader.grade(ch, nb, mode="run")
    cheat = await grader.grade(
        ch,
        notebook("from helpers import double\ndef add(a, b):\n    return double(0)\n"),
        tampered,
        mode="run",
    )
    assert honest.status == "passed"
    # With the learner's helpers.py, double(0) would be 10 and pass: it must not be used.
    assert cheat.status == "failed" and cheat.tests[0].actual == "0"


async def test_unlocked_learner_file_is_used(grader, tmp_path):
    files = {"config.py": "FACTOR = 1\n"}
    tests = {
        "test_f.py": """
            from config import FACTOR

            def test_factor():
                assert FACTOR == 5
        """
    }
    ch = load_challenge(make_challenge(tmp_path, tests=tests, hidden={}, files=files))
    result = await grader.grade(ch, SOLUTION, {"config.py": "FACTOR = 5\n"}, mode="run")
    assert result.status == "passed"


async def test_data_file_is_read_from_the_work_directory(grader, tmp_path):
    files = {"data/numbers.txt": "1\n2\n3\n"}
    tests = {
        "test_d.py": """
            from adder import total

            def test_total():
                assert total("data/numbers.txt") == 6
        """
    }
    ch = load_challenge(make_challenge(tmp_path, tests=tests, hidden={}, files=files))
    nb = notebook("def total(path):\n    return sum(int(x) for x in open(path))\n")
    result = await grader.grade(ch, nb, mode="run")
    assert result.status == "passed", result.to_json()


async def test_captured_output_is_per_test_and_capped(grader, tmp_path):
    tests = {
        "test_o.py": """
            from adder import add

            def test_prints():
                print("hello from the test")
                assert add(1, 2) == 4

            def test_floods():
                print("x" * 200_000)
                assert False
        """
    }
    ch = load_challenge(
        make_challenge(tmp_path, tests=tests, hidden={}, limits="timeout_s = 3\noutput_kb = 4")
    )
    result = await grader.grade(ch, SOLUTION, mode="run")
    assert result.tests[0].output.strip() == "hello from the test"
    assert len(result.tests[1].output) < 5000 and "truncated" in result.tests[1].output


async def test_invalid_submissions_raise(grader, tmp_path):
    ch = load_challenge(make_challenge(tmp_path))
    with pytest.raises(SubmissionInvalid):
        await grader.grade(ch, "not json", mode="run")
    with pytest.raises(SubmissionInvalid):
        await grader.grade(ch, {"cells": "nope"}, mode="run")
    with pytest.raises(SubmissionInvalid):
        await grader.grade(ch, SOLUTION, {"../escape.py": "x"}, mode="run")
    with pytest.raises(SubmissionInvalid):
        await grader.grade(ch, SOLUTION, mode="bogus")


async def test_starter_notebook_is_graded_when_none_is_given(grader, tmp_path):
    ch = load_challenge(make_challenge(tmp_path))
    result = await grader.grade(ch, None, mode="run")
    assert result.status == "failed" and result.total == 2


async def test_concurrent_gradings_use_separate_kernels(grader, tmp_path):
    ch = load_challenge(make_challenge(tmp_path))
    # A pid (within the kernel's own pid namespace under bubblewrap, so with a token
    # telling kernels apart there).
    nb_pid = notebook(
        "import os\nPID = f'{os.getpid()}-{os.urandom(4).hex()}'\n"
        "def add(a, b):\n    return a + b\n"
    )
    tests = {"test_pid.py": "from adder import PID\n\ndef test_pid():\n    assert PID == -1\n"}
    ch = load_challenge(make_challenge(tmp_path / "pid", tests=tests, hidden={}))
    results = await asyncio.gather(*(grader.grade(ch, nb_pid, mode="run") for _ in range(3)))
    pids = {r.tests[0].actual for r in results}
    assert len(pids) == 3 and os.getpid() not in {int(p.strip("'").split("-")[0]) for p in pids}


async def test_pytest_raises_that_did_not_raise_is_a_failure(grader, tmp_path):
    tests = {
        "test_r.py": """
            import pytest
            from adder import add

            def test_rejects_strings():
                with pytest.raises(TypeError):
                    add("a", "b")

            def test_explicit_fail():
                pytest.fail("not good enough")
        """
    }
    ch = load_challenge(make_challenge(tmp_path, tests=tests, hidden={}))
    result = await grader.grade(ch, SOLUTION, mode="run")
    assert [t.status for t in result.tests] == ["failed", "failed"]
    assert "DID NOT RAISE" in result.tests[0].message
    assert result.tests[1].message == "Failed: not good enough"


async def test_hidden_timeout_keeps_the_graders_message(grader, tmp_path):
    hidden = {"test_slow.py": "from adder import spin\n\ndef test_fast_enough():\n    spin()\n"}
    ch = load_challenge(make_challenge(tmp_path, hidden=hidden, limits="timeout_s = 1"))
    nb = notebook(
        "def add(a, b):\n    return a + b\n\ndef spin():\n    while True:\n        pass\n"
    )
    result = await grader.grade(ch, nb, mode="submit")
    slow = result.tests[-1]
    assert slow.hidden and slow.status == "timeout"
    assert slow.message.startswith("Took longer than 1 s") and "spin()" in slow.traceback
    shown = learner_result(result.to_json(), ch.show_hidden_details)["tests"][-1]
    assert shown["message"] == slow.message and shown["traceback"] is None


GREP = """
def search(path, word):
    with open(path) as fh:
        return [line.rstrip("\\n") for line in fh if word in line]

LIMIT = 3

def first(items):
    return items[:LIMIT]

def shout(text):
    return helpers.upper(text) + "!"
"""


async def test_tests_patch_the_module_the_learners_functions_use(grader, tmp_path):
    # The usual ways to feed a function files, input or settings: each acts on the
    # namespace the learner's functions look their globals up in, as on a .py module.
    tests = {
        "test_g.py": """
            import io
            from unittest import mock

            import grep
            import helpers

            def test_open_patched_with_create():
                fake = io.StringIO("apple\\nbanana\\napricot\\n")
                with mock.patch("grep.open", return_value=fake, create=True):
                    assert grep.search("words.txt", "ap") == ["apple", "apricot"]

            def test_open_is_not_an_attribute_without_create():
                # Not on a .py module either: IPython's own open() is not the module's.
                assert not hasattr(grep, "open")

            def test_monkeypatch_setattr(monkeypatch):
                monkeypatch.setattr(grep, "LIMIT", 1)
                assert grep.first([1, 2, 3]) == [1]

            def test_constant_assigned():
                grep.LIMIT = 2
                try:
                    assert grep.first([1, 2, 3]) == [1, 2]
                finally:
                    grep.LIMIT = 3

            def test_starter_module_patched(monkeypatch):
                monkeypatch.setattr(helpers, "upper", lambda s: "patched")
                assert grep.shout("hi") == "patched!"

            def test_a_real_module():
                import sys, types
                assert isinstance(grep, types.ModuleType) and sys.modules["grep"] is grep
                assert grep.search.__globals__ is vars(grep)
                assert not hasattr(grep, "In") and not hasattr(grep, "get_ipython")
        """
    }
    files = {"helpers.py": "def upper(text):\n    return text.upper()\n"}
    ch = load_challenge(
        make_challenge(tmp_path, "grep", tests=tests, hidden={}, files=files, module="grep")
    )
    nb = notebook("import helpers\n" + GREP, "search  # a 'Try it' cell\n")
    result = await grader.grade(ch, nb, mode="run")
    statuses = {t.name: t.status for t in result.tests}
    messages = {t.name: t.message for t in result.tests}
    expected = dict.fromkeys(
        (
            "test_open_patched_with_create",
            "test_open_is_not_an_attribute_without_create",
            "test_monkeypatch_setattr",
            "test_constant_assigned",
            "test_starter_module_patched",
            "test_a_real_module",
        ),
        "passed",
    )
    if await grader.isolation(ch) == "judge":
        # What cannot cross the boundary: the module's own function globals (the
        # judge's module is a proxy of the kernel's). A StringIO the test hands over as
        # open()'s result is used by learner code as a file and a context manager.
        expected["test_a_real_module"] = "error"
        assert "__globals__" in messages["test_a_real_module"]
    assert statuses == expected, messages


async def test_a_flood_of_output_in_a_tested_function_is_capped_and_the_run_goes_on(
    grader, tmp_path
):
    # 50 MB printed by the function under test: the test keeps the first output_kb of
    # it and says so, the tests after it and the hidden test run as usual.
    tests = {
        "test_f.py": """
            from adder import add, noisy

            def test_floods():
                assert noisy(3) == 3

            def test_after():
                print("still here")
                assert add(1, 2) == 3
        """
    }
    ch = load_challenge(
        make_challenge(
            tmp_path, tests=tests, limits="timeout_s = 8\nmemory_mb = 256\noutput_kb = 8"
        )
    )
    nb = notebook(
        "def add(a, b):\n    return a + b\n\n"
        "def noisy(n):\n    print('x' * 50_000_000)\n    return n\n"
    )
    result = await grader.grade(ch, nb, mode="submit")
    data = result.to_json()
    print("\nflood:", data["duration_ms"], "ms;", [(t["name"], t["status"]) for t in data["tests"]])
    assert [t["status"] for t in data["tests"]] == ["passed", "passed", "passed"], data
    assert (
        result.status == "passed"
        and result.error is None
        and (result.score, result.total) == (3, 3)
    )
    flood, after = result.tests[0], result.tests[1]
    assert flood.output_truncated and not after.output_truncated
    assert flood.output.startswith("x" * 8192)
    assert len(flood.output) < 8192 + 200
    assert "49,991,809 more characters" in flood.output  # 50,000,001 printed, 8,192 kept
    assert after.output == "still here\n"
    assert data["output_truncated"] is True
    assert data["tests"][0]["output_truncated"] is True


LOOPING_TESTS = {
    "test_loop.py": "from adder import add\n\n"
    + "\n".join(f"def test_{i}():\n    assert add({i}, 1) == {i + 1}\n" for i in range(10))
}


@pytest.fixture
async def pooled(runs_dir):
    """A grader whose kernels are started and set up before the run: its budget, which
    runs from the notebook's first cell, is then (almost) all of the measured duration."""
    g = Grader(GradingSettings(sandbox="rlimits", pool_size=2))
    await g.start()
    assert await g.pool.wait_ready(2, timeout=120)
    yield g
    await g.close()
    assert list(runs_dir.iterdir()) == []
    assert kernel_processes(str(runs_dir)) == []


@pytest.mark.parametrize(
    "loop",
    [
        "    while True:\n        pass\n",
        # Swallows the harness's timeout: only killing the kernel stops it.
        "    while True:\n        try:\n            while True:\n                pass\n"
        "        except BaseException:\n            pass\n",
    ],
    ids=["interruptible", "stubborn"],
)
async def test_a_looping_function_costs_the_run_its_budget_not_more(pooled, tmp_path, loop):
    # 10 tests, 5 s each: 50 s and more before (a fresh kernel after each stubborn one).
    ch = load_challenge(
        make_challenge(
            tmp_path, tests=LOOPING_TESTS, hidden={}, limits="timeout_s = 5\nmemory_mb = 256"
        )
    )
    nb = notebook("def add(a, b):\n" + loop + "    return a + b\n")
    started = time.monotonic()
    result = await pooled.grade(ch, nb, mode="run")
    elapsed = time.monotonic() - started
    statuses = [t.status for t in result.tests]
    print(
        f"\n{(loop.count('try') and 'stubborn') or 'interruptible'} loop, 10 tests of 5 s, "
        f"10 s budget: {elapsed:.2f} s ({result.duration_ms} ms), {statuses}"
    )
    assert result.total == 10 and result.score == 0
    # The budget, and the hand-over of a warm kernel from the pool (under 10 s when
    # the machine is not saturated: 9.7-9.9 s measured).
    assert elapsed < 10.0 + 1.0
    assert result.duration_ms < 11_000
    assert result.status == "failed" and result.error is None
    assert statuses[0] == "timeout"
    assert result.tests[0].message == "Took longer than 5 s and was stopped."
    assert set(statuses) <= {"timeout", "not_run"}
    for test in result.tests[1:]:
        if test.status == "timeout":  # its share of what was left, or the budget's end
            assert (
                "share of what was left of the run's 10 s budget" in test.message
                or test.message.startswith("Stopped: the run used up its time budget of 10 s")
            )
        else:
            assert test.message.startswith("Not run: the run used up its time budget of 10 s")
    if "try" not in loop:
        # Interrupted in the kernel: the tests after the first got their share.
        assert statuses.count("timeout") >= 5


async def test_tests_after_a_timeout_get_a_fair_share_and_pass(pooled, tmp_path):
    tests = {
        "test_mixed.py": "from adder import add, spin\n\n"
        "def test_spins():\n    spin()\n\n"
        + "\n".join(f"def test_{i}():\n    assert add({i}, 1) == {i + 1}\n" for i in range(8))
    }
    # 6 s of the 10 s budget for the loop leaves the 9 others ample time on a busy machine.
    ch = load_challenge(
        make_challenge(tmp_path, tests=tests, limits="timeout_s = 6\nmemory_mb = 256")
    )
    nb = notebook(
        "def add(a, b):\n    return a + b\n\ndef spin():\n    while True:\n        pass\n"
    )
    result = await pooled.grade(ch, nb, mode="submit")
    print(f"\none loop of 6 s then 9 quick tests, 10 s budget: {result.duration_ms} ms")
    assert [t.status for t in result.tests] == ["timeout"] + ["passed"] * 9
    assert result.duration_ms < 11_000


async def test_the_budget_is_the_challenges_within_the_servers_ceiling(runs_dir, tmp_path):
    ch = load_challenge(
        make_challenge(
            tmp_path,
            tests=LOOPING_TESTS,
            hidden={},
            limits="timeout_s = 1\nrun_timeout_s = 60\nmemory_mb = 256",
        )
    )
    nb = notebook("def add(a, b):\n    while True:\n        pass\n")
    async with Grader(GradingSettings(sandbox="rlimits", max_run_s=4)) as g:
        result = await g.grade(ch, nb, mode="run")
    # The challenge asks for 60 s, the server allows 4.
    statuses = [t.status for t in result.tests]
    assert statuses[0] == "timeout" and set(statuses) <= {"timeout", "not_run"}
    assert all(
        "4 s budget" in t.message or "time budget of 4 s" in t.message for t in result.tests[1:]
    ), [t.message for t in result.tests]
    assert result.duration_ms < 4_000 + 6_000  # + a cold kernel start on a busy machine


async def test_a_kernel_that_signs_with_another_key_is_stopped_not_raised(grader, tmp_path):
    # Learner code can change the key the kernel signs its messages with: the engine's
    # client then refuses them (Invalid Signature); grading must go on, not raise.
    ch = load_challenge(make_challenge(tmp_path))
    nb = notebook(
        "def add(a, b):\n    return a + b\n",
        "import IPython\nIPython.get_ipython().kernel.session.key = b'forged'\nprint('hello')\n",
    )
    result = await grader.grade(ch, nb, mode="submit")
    print(f"\nforged signatures: {result.duration_ms} ms")
    assert result.status == "error" and result.error.kind == "kernel_died"
    assert "could not be read" in result.error.message
    assert [t.status for t in result.tests] == ["not_run"] * 3


async def test_where_the_judge_cannot_be_kept_apart_the_tests_run_in_the_kernel(
    tmp_path, runs_dir, caplog, monkeypatch
):
    """Without bubblewrap and without a uid of its own per kernel (sandbox "none"
    here), the judge would share the kernel's reach: challenges are graded in the
    kernel instead, saying why once in the log; the verdicts are the same."""
    from codequest_jupyter.judge import driver

    def no_judge(*args, **kwargs):
        raise AssertionError("a judge was started")

    monkeypatch.setattr(driver, "judge_spec", no_judge)
    ch = load_challenge(make_challenge(tmp_path))
    assert ch.isolation == "judge"
    async with Grader(GradingSettings(sandbox="none", pool_size=0)) as g:
        with caplog.at_level("WARNING", logger="codequest_jupyter.grading.engine"):
            assert await g.isolation(ch) == "kernel"
            result = await g.grade(ch, WRONG, mode="submit")
            assert await g.isolation(ch) == "kernel"
    warnings = [
        r.getMessage() for r in caplog.records if "inside the learner's kernel" in r.getMessage()
    ]
    assert len(warnings) == 1 and "bubblewrap" in warnings[0], warnings
    assert [t.status for t in result.tests] == ["failed", "failed", "failed"]
    assert result.error is None


def test_the_server_setting_isolation_is_checked():
    assert GradingSettings(isolation="kernel").isolation == "kernel"
    with pytest.raises(ValueError, match="isolation must be one of challenge, kernel"):
        GradingSettings(isolation="judge")


async def test_the_server_may_grade_every_challenge_in_the_kernel(tmp_path):
    ch = load_challenge(make_challenge(tmp_path))
    grader = Grader(GradingSettings(isolation="kernel"))
    assert await grader.isolation(ch) == "kernel"
