"""The grading run's parts that need no kernel: the wording of failures, the event
stream, the test runner's channel, the code sent to the kernel, and a grading whose
kernel never comes."""

from __future__ import annotations

import ast
import asyncio
import hashlib
import hmac
import json
import logging
import subprocess
import sys

import pytest
from challenge_factory import make_challenge

from codequest_jupyter.challenges import load_challenge
from codequest_jupyter.grading import Grader, GradingSettings, KernelStartError, harness, messages
from codequest_jupyter.grading.events import EventStream
from codequest_jupyter.grading.kernel_code import HARNESS_DIR, harness_code
from codequest_jupyter.grading.suite import InKernelTests
from codequest_jupyter.results import GradeError


# -- wording ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("code", "killed_by_us", "kind", "message"),
    [
        (
            -9,
            False,
            "kernel_died",
            "The kernel was killed (SIGKILL) from outside while running cell 2: ",
        ),
        (-9, True, "kernel_died", "The kernel died (SIGKILL) while running cell 2."),
        (
            -11,
            False,
            "kernel_died",
            "The kernel crashed (segmentation fault) while running cell 2.",
        ),
        (-24, False, "timeout", "The notebook used too much CPU time while running cell 2."),
        (3, False, "kernel_died", "The kernel exited (exit code 3) while running cell 2; "),
        (None, False, "kernel_died", "The kernel died while running cell 2."),
        (-200, False, "kernel_died", "The kernel died (signal 200) while running cell 2."),
    ],
)
def test_kernel_death_wording(code, killed_by_us, kind, message):
    error = messages.kernel_died(code, killed_by_us=killed_by_us, during="running cell 2", cell=1)
    assert (error.kind, error.cell) == (kind, 1)
    assert error.message.startswith(message)


def test_cell_failure_wording():
    cell, problem = messages.cell_failure(
        2, {"ename": "CellTimeout", "evalue": "x"}, cell_limit=2.5, memory_mb=512
    )
    assert (cell.cell, cell.kind, cell.ename, cell.evalue) == (
        2,
        "timeout",
        "TimeoutError",
        "Cell 3 ran longer than 2.5 s and was stopped.",
    )
    assert problem == GradeError("timeout", "Cell 3 ran longer than 2.5 s and was stopped.", cell=2)

    tb = ['\x1b[31m  File "<cell>", line 4\x1b[0m', "SyntaxError: invalid syntax"]
    cell, problem = messages.cell_failure(
        0,
        {"ename": "SyntaxError", "evalue": "invalid syntax", "traceback": tb},
        cell_limit=10,
        memory_mb=512,
    )
    assert "\x1b" not in cell.traceback
    assert problem.kind == "syntax"
    assert problem.message == "Syntax error in cell 1, line 4: invalid syntax"

    cell, problem = messages.cell_failure(
        1, {"ename": "MemoryError", "evalue": ""}, cell_limit=10, memory_mb=512
    )
    assert cell.evalue == problem.message == "Cell 2 ran out of memory (the limit is 512 MB)."
    assert problem.kind == "memory"

    cell, problem = messages.cell_failure(
        1, {"ename": "ValueError", "evalue": "bad", "traceback": []}, cell_limit=10, memory_mb=512
    )
    assert (cell.ename, cell.evalue, cell.traceback, problem) == ("ValueError", "bad", None, None)


def test_budget_and_not_run_wording():
    assert messages.test_timeout(5, 5, 10) == "Took longer than 5 s and was stopped."
    share = messages.test_timeout(1.25, 5, 10)
    assert share.startswith("Took longer than 1.2 s and was stopped: its share")
    assert "10 s budget" in share
    error = GradeError("syntax", "Syntax error in cell 1: x")
    assert messages.not_run(error, out_of_budget=True, stopped=True, budget_s=10) == (
        "Not run: Syntax error in cell 1: x"
    )
    assert messages.not_run(None, out_of_budget=True, stopped=True, budget_s=10) == (
        "Not run: the run used up its time budget of 10 s (earlier code ran out of time)."
    )
    assert messages.not_run(None, out_of_budget=False, stopped=True, budget_s=10) == (
        "Not run: earlier tests had to be stopped too often."
    )
    assert messages.not_run(None, out_of_budget=False, stopped=False, budget_s=10) == "Not run."
    broken = messages.tests_broken("TypeError", "\n'NoneType' is not callable\nmore")
    assert broken.kind == "notebook"
    assert "TypeError: 'NoneType' is not callable. Does the notebook replace" in broken.message


# -- events ----------------------------------------------------------------------------
async def test_event_stream_delivers_in_order_past_a_failing_listener(caplog):
    seen = []

    async def listener(kind, data):
        await asyncio.sleep(0)
        if data.get("n") == 1:
            raise RuntimeError("listener broke")
        seen.append((kind, data["n"]))

    with caplog.at_level(logging.ERROR):
        async with EventStream(listener) as events:
            for n in range(4):
                events.emit("test", {"n": n})
    assert seen == [("test", 0), ("test", 2), ("test", 3)]
    assert "grading event listener failed" in caplog.text
    assert [t for t in asyncio.all_tasks() if t is not asyncio.current_task()] == []


async def test_event_stream_ends_its_task_when_the_grading_raises():
    seen = []
    with pytest.raises(ValueError):
        async with EventStream(lambda kind, data: seen.append(kind)) as events:
            events.emit("collected", {})
            raise ValueError("grading went wrong")
    assert seen == ["collected"]
    assert [t for t in asyncio.all_tasks() if t is not asyncio.current_task()] == []


async def test_grading_without_a_kernel_leaves_no_task(tmp_path):
    """A kernel that cannot start, or a grading cancelled while it waits for one (a
    server stopping): the result or the cancellation, and no delivery task left to be
    destroyed with the loop."""
    ch = load_challenge(make_challenge(tmp_path))
    grader = Grader(GradingSettings(pool_size=0))

    async def cannot_start():
        raise KernelStartError("no kernel today")

    grader.pool.acquire = cannot_start
    events = []
    result = await grader.grade(ch, mode="submit", on_event=lambda k, d: events.append(k))
    assert result.error.kind == "internal"
    assert result.error.message == "The grading kernel could not start: no kernel today"
    assert [t.status for t in result.tests] == ["not_run"] * 3
    assert all(t.message == f"Not run: {result.error.message}" for t in result.tests)
    assert [t for t in asyncio.all_tasks() if t is not asyncio.current_task()] == []

    waiting = asyncio.Event()

    async def never():
        waiting.set()
        await asyncio.Event().wait()

    grader.pool.acquire = never
    task = asyncio.create_task(grader.grade(ch, mode="submit", on_event=lambda k, d: None))
    await waiting.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert [t for t in asyncio.all_tasks() if t is not asyncio.current_task()] == []


# -- the in-kernel test runner's channel -------------------------------------------------
class Recorder:
    def __init__(self):
        self.calls = []

    def on_collected(self, tests):
        self.calls.append(("collected", tests))

    def on_test(self, data):
        self.calls.append(("test", data))

    def on_done(self, data):
        self.calls.append(("done", data))


def _signed(secret: bytes, kind: str, data: dict) -> dict:
    body = json.dumps({"kind": kind, "data": data})
    return {"body": body, "sig": hmac.new(secret, body.encode(), hashlib.sha256).hexdigest()}


def test_channel_takes_only_signed_messages_while_the_tests_run():
    events = Recorder()
    runner = InKernelTests(events)
    good = _signed(runner.secret, "test", {"id": "t::a", "status": "passed"})
    runner.on_channel(good, open=False)  # before the tests' cell: a cell displaying it
    runner.on_channel(_signed(b"guessed", "test", {"id": "t::a"}), open=True)
    runner.on_channel({"body": good["body"]}, open=True)
    runner.on_channel("passed", open=True)
    assert (events.calls, runner.forged) == ([], 4)
    runner.on_channel(_signed(runner.secret, "collected", {"tests": [{"id": "t::a"}]}), open=True)
    runner.on_channel(good, open=True)
    runner.on_channel(_signed(runner.secret, "done", {"exit_code": 0}), open=True)
    assert [kind for kind, _ in events.calls] == ["collected", "test", "done"]
    assert events.calls[0][1] == [{"id": "t::a"}]
    assert InKernelTests(events).secret != runner.secret


# -- the code sent to the kernel ---------------------------------------------------------
def test_harness_files_import_only_what_is_imported_before_the_work_directory():
    """In the kernel the harness's imports must resolve to the installation, never to a
    learner's file of that name: each is in HARNESS_IMPORTS (imported by the set-up
    cell before the work directory is on sys.path) or built into the interpreter."""
    allowed = set(harness.HARNESS_IMPORTS) | {"os", "sys", "time", "__future__"}
    for name in harness.KERNEL_FILES:
        tree = ast.parse((HARNESS_DIR / name).read_text(encoding="utf-8"))
        for node in tree.body:  # the host-only sibling imports sit inside an `if`
            if isinstance(node, ast.Import):
                assert {a.name for a in node.names} <= allowed, name
            elif isinstance(node, ast.ImportFrom):
                assert node.level == 0 and node.module in allowed, name


def test_harness_code_loads_without_the_package():
    """The kernel runs the compiled files in one namespace: they define the entry point
    and import nothing of codequest_jupyter (the sibling imports are the host's)."""
    script = (
        "import binascii, marshal, sys, zlib\n"
        "codes = marshal.loads(zlib.decompress(binascii.a2b_base64(sys.stdin.read())))\n"
        "ns = {'__name__': '__codequest_harness__'}\n"
        "for code in codes[:-1]:\n"
        "    exec(code, ns)\n"
        "print(len(codes), callable(ns['_Recorder']),"
        " any(m.startswith('codequest_jupyter') for m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script],
        input=harness_code(),
        capture_output=True,
        text=True,
        check=True,
        cwd="/",
    ).stdout.split()
    assert out == [str(len(harness.KERNEL_FILES)), "True", "False"]
