"""Hostile notebooks: each one an attack on the grader, with the outcome it must have.

Every case is graded on a real kernel by ``tests/test_hostile.py`` against the small
challenge built by :func:`make_target_challenge`, whose public test ``test_add`` prints
the notebook's ``REPORT`` variable first: that printed output, which the learner gets
to see, is the notebook's window on what the sandbox let it do (and so where a leak
would show). The challenge's hidden test carries a canary string that must never reach
the result.

A case's ``needs`` says which isolation it relies on: ``"isolation"`` (the bwrap sandbox:
hidden files, no network, read-only filesystem) or ``"unprivileged"`` (the kernel does
not run as root: bwrap, or rlimits with a uid of its own). Without it the attack could
harm the machine running the tests (kill the test process, write to /etc, fork
without limit), so the test reports it as skipped on such platforms.

Every case is graded with the tests in a judge process (``isolation = "judge"``, the
default) and inside the learner's kernel (``isolation = "kernel"``). ``limitation``
marks a documented way learner code can fool grading from inside its own process in
kernel mode (SECURITY.md explains why it is possible); those cases assert that exact,
honest outcome there, and ``judged`` gives what the judge makes of the same notebook:
no point it did not earn.
"""

from __future__ import annotations

import dataclasses
import json
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Substituted into cell sources: @@NAME@@ -> HostileEnv attribute (see test_hostile.py).
ADD = "def add(a, b):\n    return a + b\n"
WRONG = "def add(a, b):\n    return 0\n"
CHANNEL_MIME = "application/vnd.codequest.event+json"

PUBLIC_TESTS = """
import target
from target import add


def test_add():
    # The corpus's window on the sandbox: what the notebook found, shown to the learner.
    print("REPORT:", getattr(target, "REPORT", None))
    assert add(2, 3) == 5


def test_result_is_int():
    r = add(1, 1)
    assert isinstance(r, int) and r == 2
"""

UNIT_TESTS = """
import unittest

from target import add


class TestAdd(unittest.TestCase):
    def test_add_unittest(self):
        self.assertEqual(add(10, 5), 15)
"""

HIDDEN_TESTS = """
from target import add

CANARY = "@@CANARY@@"


def test_hidden_exact():
    r = add(20, 22)
    # A type check first: an object claiming to equal everything does not pass.
    assert type(r) is int and r == 42, CANARY
"""

TEST_NAMES = ("test_add", "test_result_is_int", "TestAdd.test_add_unittest", "test_hidden_exact")


def make_target_challenge(root: Path, canary: str) -> Path:
    """The challenge every hostile notebook is graded against (short limits)."""
    path = root / "target"
    (path / "tests").mkdir(parents=True)
    (path / "hidden").mkdir()
    (path / "challenge.toml").write_text(
        'title = "Target"\ndifficulty = "easy"\nnotebook = "target.ipynb"\n'
        'module = "target"\nfiles = ["helpers.py"]\nlocked = ["helpers.py"]\n'
        "[limits]\ntimeout_s = 2\nmemory_mb = 256\nrun_timeout_s = 10\n",
        encoding="utf-8",
    )
    (path / "helpers.py").write_text("def helper():\n    return 1\n", encoding="utf-8")
    (path / "target.ipynb").write_text(json.dumps(notebook(WRONG)), encoding="utf-8")
    (path / "tests" / "test_public.py").write_text(PUBLIC_TESTS, encoding="utf-8")
    (path / "tests" / "test_unit.py").write_text(UNIT_TESTS, encoding="utf-8")
    (path / "hidden" / "test_hidden.py").write_text(
        HIDDEN_TESTS.replace("@@CANARY@@", canary), encoding="utf-8"
    )
    return path


def notebook(*sources: str) -> dict[str, Any]:
    """An nbformat 4 notebook with one code cell per source (cell indices from 0)."""
    return {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
        "cells": [
            {
                "cell_type": "code",
                "id": f"c{i}",
                "metadata": {},
                "outputs": [],
                "execution_count": None,
                "source": textwrap.dedent(src),
            }
            for i, src in enumerate(sources)
        ],
    }


Check = Callable[[Any, Any, str], None]  # (GradeResult, HostileEnv, report text)


@dataclass(frozen=True)
class Case:
    """One attack and its expected outcome."""

    name: str
    attack: str  # what it tries, in a few words
    cells: tuple[str, ...] = ()
    raw: Any = None  # a (malformed) notebook given as it is, instead of cells
    files: dict[str, str] | None = None
    invalid: bool = False  # grade() must refuse it with SubmissionInvalid
    status: str | tuple[str, ...] | None = None
    error_kind: str | type(...) | None = ...  # ... = not checked; None = no error
    error_words: tuple[str, ...] = ()
    tests: dict[str, str | tuple[str, ...]] = field(default_factory=dict)  # name -> status
    score: int | None = None
    report_has: tuple[str, ...] = ()
    report_lacks: tuple[str, ...] = ()
    cell_errors: tuple[str, ...] | None = None  # expected ename of each failed cell
    within_s: float = 20.0
    needs: frozenset[str] = frozenset()
    limitation: str | None = None
    check: Check | None = None
    # What differs when the tests run in the judge (isolation = "judge"): the fields
    # of the expected outcome replaced there (a kernel-mode limitation the judge holds).
    judged: dict[str, Any] = field(default_factory=dict)

    def expected(self, isolation: str) -> Case:
        """The case as graded with ``isolation`` ("judge" or "kernel")."""
        if isolation == "judge" and self.judged:
            return dataclasses.replace(self, **self.judged)
        return self

    def notebook(self, env: Any) -> Any:
        if self.raw is not None:
            return self.raw
        return notebook(*(env.fill(src) for src in self.cells))


ALL_PASS = dict.fromkeys(TEST_NAMES, "passed")
ALL_FAIL_WRONG = {
    "test_add": "failed",
    "test_result_is_int": "failed",
    "TestAdd.test_add_unittest": "failed",
    "test_hidden_exact": "failed",
}
ISOLATION = frozenset({"isolation", "unprivileged"})
UNPRIVILEGED = frozenset({"unprivileged"})


def _parent_out_of_reach(result, env, report) -> None:
    """An exec'd kernel's parent is a process it may not signal (refused). A kernel forked
    into its sandbox has its parent outside its pid namespace: ``getppid()`` is 0 there,
    and ``kill(0, ...)`` signals the kernel's own process group, so it killed itself."""
    if result.status == "passed":
        assert "refused" in report, report[:500]
        assert {t.name: t.status for t in result.tests} == ALL_PASS
    else:
        assert result.error is not None and result.error.kind == "kernel_died", result.error
        assert "SIGKILL" in result.error.message and result.error.cell == 1


def _host_untouched(result, env, report) -> None:
    for path in env.must_not_exist():
        assert not path.exists(), f"{path} was created outside the sandbox"
    assert env.challenge_intact(), "the challenge directory changed"


def _no_connection(result, env, report) -> None:
    assert env.tcp_connections() == 0, "the notebook reached a loopback port"


def _small_result(result, env, report) -> None:
    size = len(json.dumps(result.to_json()))
    assert size < 1_000_000, f"result JSON is {size} bytes"


def _tmp_stayed_small(result, report) -> None:
    if [c.kind for c in result.cell_errors] == ["timeout"]:
        assert any(f"wrote {n} files" in report for n in range(5)), report[:500]
    else:
        assert result.cell_errors == [], result.cell_errors
        assert "stopped at file" in report and "No space left" in report, report[:500]


def _crashed_or_cell_2_timed_out(result) -> None:
    if result.status == "error":
        assert "segmentation fault" in result.error.message and "cell 3" in result.error.message
        assert [t.status for t in result.tests] == ["not_run"] * len(TEST_NAMES)
    else:
        assert [(c.cell, c.kind) for c in result.cell_errors] == [(1, "timeout")]
        assert {t.name: t.status for t in result.tests} == ALL_PASS


def _not_run_for_the_budget(result) -> None:
    for test in result.tests:
        if test.status == "not_run":
            assert "time budget of 10 s" in test.message, test.message


def _cell_flood_told(result, env, report) -> None:
    _small_result(result, env, report)
    assert [c.kind for c in result.cell_errors] in ([], ["timeout"]), result.cell_errors
    assert result.output_truncated, "the notebook's output was cut without saying so"


def _test_flood_told(result, env, report) -> None:
    _small_result(result, env, report)
    flooded = result.tests[0]
    assert flooded.name == "test_add" and flooded.output_truncated
    assert "output truncated (" in flooded.output and len(flooded.output) < 70_000
    assert result.output_truncated and not any(t.output_truncated for t in result.tests[1:])


def _agent_taken_over(result) -> None:
    """In the judge the takeover happened (its forged output reached a test's report)
    and earned nothing; in the kernel there is no agent to take over."""
    forged = [t.name for t in result.tests if "PASSED" in (t.output or "")]
    assert bool(forged) == (result.isolation == "judge"), (result.isolation, forged)


CASES: list[Case] = [
    # -- runaway code --------------------------------------------------------------------
    Case(
        "loop_in_cell",
        "busy loop in a notebook cell",
        cells=(ADD, "while True:\n    pass\n"),
        # Interrupted at its limit, then the tests ran: the verdict is theirs, the cell
        # a warning beside it.
        status="passed",
        error_kind=None,
        tests=ALL_PASS,
        cell_errors=("TimeoutError",),
        check=lambda r, e, rep: _assert_in("Cell 2 ran longer", r.cell_errors[0].evalue),
    ),
    Case(
        "uninterruptible_loop_in_cell",
        "busy loop in a cell that ignores SIGINT",
        cells=(
            ADD,
            "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass\n",
        ),
        status="error",
        error_kind="timeout",
        tests=dict.fromkeys(TEST_NAMES, "not_run"),
        within_s=25,
    ),
    Case(
        "stopped_kernel",
        "the kernel stops itself (SIGSTOP)",
        cells=(ADD, "import os, signal\nos.kill(os.getpid(), signal.SIGSTOP)\n"),
        status="error",
        error_kind="timeout",
        tests=dict.fromkeys(TEST_NAMES, "not_run"),
        within_s=25,
    ),
    Case(
        "loop_in_function",
        "infinite loop in the function under test",
        cells=("def add(a, b):\n    while (a, b) == (2, 3):\n        pass\n    return a + b\n",),
        status="failed",
        error_kind=None,
        tests={
            "test_add": "timeout",
            "test_result_is_int": "passed",
            "TestAdd.test_add_unittest": "passed",
            "test_hidden_exact": "passed",
        },
    ),
    Case(
        "sleep_in_function",
        "sleeps for an hour in the function under test",
        cells=(
            "import time\ndef add(a, b):\n    if (a, b) == (2, 3):\n        time.sleep(3600)\n    return a + b\n",
        ),
        status="failed",
        error_kind=None,
        tests={
            "test_add": "timeout",
            "test_result_is_int": "passed",
            "TestAdd.test_add_unittest": "passed",
            "test_hidden_exact": "passed",
        },
    ),
    Case(
        "alarm_disabled_in_function",
        "cancels the harness's SIGALRM timer, then loops",
        cells=(
            (
                "import signal\n"
                "def add(a, b):\n"
                "    if (a, b) == (2, 3):\n"
                "        signal.setitimer(signal.ITIMER_REAL, 0)\n"
                "        signal.signal(signal.SIGALRM, signal.SIG_IGN)\n"
                "        signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
                "        while True:\n"
                "            pass\n"
                "    return a + b\n"
            ),
        ),
        # Only killing the kernel stops it (2 s + 2 s grace): the other tests run in a
        # fresh kernel, within what is left of the run's 10 s budget. On a machine
        # whose cores are saturated, an exec'd kernel's start may not leave them that
        # (not run), or leave each so small a share that it times out.
        status="failed",
        error_kind=None,
        tests={
            "test_add": "timeout",
            "test_result_is_int": ("passed", "not_run", "timeout"),
            "TestAdd.test_add_unittest": ("passed", "not_run", "timeout"),
            "test_hidden_exact": ("passed", "not_run", "timeout"),
        },
        check=lambda r, e, rep: _not_run_for_the_budget(r),
    ),
    Case(
        "recursion_in_cell",
        "unbounded recursion in a cell",
        cells=(ADD, "def f(n):\n    return f(n + 1)\nf(0)\n"),
        status="passed",
        error_kind=None,
        tests=ALL_PASS,
        cell_errors=("RecursionError",),
    ),
    Case(
        "c_stack_overflow",
        "recursion limit lifted, then C-level recursion (comparing deep lists)",
        cells=(
            ADD,
            (
                "import sys\nsys.setrecursionlimit(10**8)\nx, y = [], []\nfor _ in range(200_000):\n"
                "    x, y = [x], [y]\n"
            ),
            "x == y\n",
        ),
        # The comparison in cell 3 crashes the kernel. On a saturated machine, building
        # the lists may pass cell 2's time limit first: then they may be too shallow to
        # crash anything, and the tests run.
        status=("error", "passed"),
        error_kind=("kernel_died", None),
        check=lambda r, e, rep: _crashed_or_cell_2_timed_out(r),
    ),
    Case(
        "segfault",
        "dereferences NULL through ctypes",
        cells=(ADD, "import ctypes\nctypes.string_at(0)\n"),
        status="error",
        error_kind="kernel_died",
        error_words=("segmentation fault", "cell 2"),
        tests=dict.fromkeys(TEST_NAMES, "not_run"),
    ),
    Case(
        "memory_bomb_cell",
        "allocates 8 GB at once",
        cells=(ADD, "x = bytearray(8 * 1024**3)\n"),
        status="passed",
        error_kind=None,
        tests=ALL_PASS,
        cell_errors=("MemoryError",),
        check=lambda r, e, rep: _assert_in("256 MB", r.cell_errors[0].evalue),
    ),
    Case(
        "memory_bomb_gradual",
        "grows a list until memory runs out, keeps it",
        cells=(ADD, "hog = []\nwhile True:\n    hog.append(bytearray(1024 * 1024))\n"),
        # The notebook keeps every byte it could get. Whether what the last failed
        # allocation left is enough to run the tests depends on where it stopped (a
        # forked kernel's heap differs from an exec'd one's): either way the result
        # names the cell and the limit: as the run's error when the tests could not
        # run, or as a cell error beside their verdict. On a starved machine the cell's
        # time limit may come first: then the result names the cell and that limit. A
        # kernel left without memory may also garble a message (a bad signature): it
        # is stopped as dead, and the result says so.
        status=("error", "failed", "passed"),
        error_kind=("memory", "timeout", "kernel_died", None),
        check=lambda r, e, rep: _assert_one_in(
            (
                "Cell 2 ran out of memory (the limit is 256 MB)",
                "Cell 2 ran longer than",
                "sent a message that could not be read",
            ),
            r.error.message if r.error else r.cell_errors[0].evalue,
        ),
    ),
    Case(
        "memory_bomb_in_function",
        "the function under test allocates 8 GB",
        cells=(
            (
                "def add(a, b):\n    if (a, b) == (2, 3):\n        return len(bytearray(8 * 1024**3))\n"
                "    return a + b\n"
            ),
        ),
        status="failed",
        error_kind=None,
        tests={
            "test_add": "error",
            "test_result_is_int": "passed",
            "TestAdd.test_add_unittest": "passed",
            "test_hidden_exact": "passed",
        },
        check=lambda r, e, rep: _assert_in("memory", r.tests[0].message.lower()),
    ),
    Case(
        "fork_bomb",
        "forks without end",
        cells=(
            ADD,
            "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n",
        ),
        # Interrupted at the cell's limit; whether the kernel can still run the tests
        # then depends on the moment (the process limit may leave it no thread to spare):
        # either way the result names the timed-out cell and nothing is left running.
        status=("error", "failed", "passed"),
        error_kind=("timeout", "notebook", None),
        check=lambda r, e, rep: _assert_in(
            "Cell 2", r.error.message if r.error else r.cell_errors[0].evalue
        ),
        within_s=30,
        needs=UNPRIVILEGED,
    ),
    Case(
        "orphans",
        "leaves a session leader, a double-forked daemon and a thread running",
        cells=(
            ADD,
            (
                "import os, subprocess, threading, time\n"
                "subprocess.Popen(['sleep', '600'], start_new_session=True)\n"
                "if os.fork() == 0:\n"
                "    os.setsid()\n"
                "    if os.fork() == 0:\n"
                "        time.sleep(600)\n"
                "    os._exit(0)\n"
                "threading.Thread(target=time.sleep, args=(600,), daemon=True).start()\n"
            ),
        ),
        status="passed",
        error_kind=None,
        tests=ALL_PASS,
        needs=UNPRIVILEGED,
    ),
    Case(
        "thread_bomb",
        "starts threads until none can start",
        cells=(
            ADD,
            (
                "import threading, time\nts = []\nwhile True:\n"
                "    t = threading.Thread(target=time.sleep, args=(600,), daemon=True)\n"
                "    t.start()\n    ts.append(t)\n"
            ),
        ),
        status="passed",
        tests=ALL_PASS,
        cell_errors=("RuntimeError",),
        within_s=30,
        needs=UNPRIVILEGED,
    ),
    Case(
        "open_files_exhausted",
        "opens files until the descriptor limit, keeps them",
        cells=(ADD, "fs = []\nwhile True:\n    fs.append(open('/dev/null'))\n"),
        # It keeps every descriptor: the tests cannot even be written out. On a slow
        # machine the kernel, out of descriptors, may not even finish reporting the
        # cell's OSError within its time limit: then the cell is reported as timed out.
        status="error",
        error_kind=("notebook", "timeout"),
        tests=dict.fromkeys(TEST_NAMES, "not_run"),
        cell_errors=(("OSError", "TimeoutError"),),
    ),
    Case(
        "file_too_large",
        "writes a 100 MB file",
        cells=(
            ADD,
            (
                "with open('big.bin', 'wb') as fh:\n    for _ in range(100):\n"
                "        fh.write(b'x' * 1024 * 1024)\n"
            ),
        ),
        # Stopped at the 64 MB file-size limit; on a busy machine, writing that much
        # may take past the cell's 2 s limit first.
        status="passed",
        tests=ALL_PASS,
        cell_errors=(("OSError", "TimeoutError"),),
    ),
    Case(
        "fill_tmp",
        "fills /tmp with 16 MB files",
        cells=(
            ADD,
            (
                "import os\nREPORT = 'wrote 0 files'\ntry:\n    for i in range(40):\n"
                "        with open(f'/tmp/fill{i}', 'wb') as fh:\n"
                "            fh.write(b'x' * 16 * 1024 * 1024)\n"
                "        REPORT = f'wrote {i + 1} files'\n"
                "except OSError as exc:\n    REPORT = f'stopped at file {i}: {exc.strerror}'\n"
            ),
        ),
        # /tmp holds 64 MB: the fifth file cannot be written. On a busy machine writing
        # that much may take past the cell's 2 s limit first: then it wrote fewer.
        status="passed",
        tests=ALL_PASS,
        needs=ISOLATION,
        check=lambda r, e, rep: _tmp_stayed_small(r, rep),
    ),
    # -- output floods ---------------------------------------------------------------------
    Case(
        "output_flood_cell",
        "prints 100 MB in a cell",
        cells=(
            ADD,
            (
                "import sys\nline = 'x' * 999 + '\\n'\nfor _ in range(100 * 1024):\n"
                "    sys.stdout.write(line)\n"
            ),
        ),
        # Writing 100 MB through the kernel takes about a second on an idle machine and
        # may pass the cell's 2 s limit on a busy one: then the cell is interrupted (a
        # timeout cell error), the tests run all the same; either way the result is
        # small and tells that the notebook's output was cut.
        status="passed",
        error_kind=None,
        tests=ALL_PASS,
        within_s=60,
        check=lambda r, e, rep: _cell_flood_told(r, e, rep),
    ),
    Case(
        "output_flood_in_test",
        "the function under test prints 20 MB",
        cells=(
            (
                "import sys\ndef add(a, b):\n    if (a, b) == (2, 3):\n"
                "        sys.stdout.write(('y' * 999 + '\\n') * 20 * 1024)\n    return a + b\n"
            ),
        ),
        status="passed",
        tests=ALL_PASS,
        check=lambda r, e, rep: _test_flood_told(r, e, rep),
    ),
    # -- ending the kernel ---------------------------------------------------------------
    Case(
        "sys_exit_cell",
        "sys.exit() in a cell",
        cells=(ADD, "import sys\nsys.exit(3)\n"),
        status="passed",
        tests=ALL_PASS,
        cell_errors=("SystemExit",),
    ),
    Case(
        "sys_exit_in_function",
        "sys.exit() in the function under test",
        cells=(
            (
                "import sys\ndef add(a, b):\n    if (a, b) == (2, 3):\n        sys.exit(1)\n"
                "    return a + b\n"
            ),
        ),
        status="failed",
        tests={
            "test_add": ("failed", "error"),
            "test_result_is_int": "passed",
            "TestAdd.test_add_unittest": "passed",
            "test_hidden_exact": "passed",
        },
    ),
    Case(
        "os_exit_cell",
        "os._exit() in a cell",
        cells=(ADD, "import os\nos._exit(0)\n"),
        status="error",
        error_kind="kernel_died",
        error_words=("exit code 0",),
        tests=dict.fromkeys(TEST_NAMES, "not_run"),
    ),
    Case(
        "os_exit_in_function",
        "os._exit() in the function under test",
        cells=(
            (
                "import os\ndef add(a, b):\n    if (a, b) == (2, 3):\n        os._exit(7)\n"
                "    return a + b\n"
            ),
        ),
        status="failed",
        error_kind="kernel_died",
        error_words=("exit code 7",),
        tests={
            "test_add": "error",
            "test_result_is_int": "passed",
            "TestAdd.test_add_unittest": "passed",
            "test_hidden_exact": "passed",
        },
    ),
    Case(
        "kill_parent",
        "kills its parent process (the server, without a sandbox)",
        cells=(
            ADD,
            (
                "import os, signal\ntry:\n    os.kill(os.getppid(), signal.SIGKILL)\n"
                "    REPORT = 'sent'\nexcept OSError as exc:\n    REPORT = f'refused: {exc.strerror}'\n"
            ),
        ),
        status=("passed", "error"),
        check=_parent_out_of_reach,
        needs=UNPRIVILEGED,
    ),
    Case(
        "kill_everything",
        "kill(-1, SIGKILL): every process it may signal",
        cells=(
            ADD,
            (
                "import os, signal\ntry:\n    os.kill(-1, signal.SIGKILL)\n    REPORT = 'sent'\n"
                "except OSError as exc:\n    REPORT = f'refused: {exc.strerror}'\n"
            ),
        ),
        status="passed",
        tests=ALL_PASS,
        needs=UNPRIVILEGED,
    ),
    Case(
        "become_root",
        "tries to regain root (setuid, setgid)",
        cells=(
            ADD,
            (
                "import os\nout = []\nfor call in (lambda: os.setuid(0), lambda: os.setgid(0),\n"
                "             lambda: os.setgroups([0])):\n"
                "    try:\n        call()\n        out.append('ALLOWED')\n"
                "    except OSError as exc:\n        out.append(exc.strerror)\n"
                "REPORT = f'uid={os.getuid()} ' + ','.join(out)\n"
            ),
        ),
        status="passed",
        tests=ALL_PASS,
        report_lacks=("ALLOWED", "uid=0 "),
        needs=UNPRIVILEGED,
    ),
    # -- secrets out of reach --------------------------------------------------------------
    Case(
        "hidden_tests_on_disk",
        "searches the filesystem for the hidden tests",
        cells=(
            ADD,
            textwrap.dedent("""
            import os, time
            found = []
            def look(path):
                try:
                    with open(path, errors='replace') as fh:
                        text = fh.read(100000)
                except OSError:
                    return
                if 'test_hidden_exact' in text:
                    found.append(path + ': ' + text)
                    global REPORT
                    REPORT = f'{len(found)} found: ' + ' | '.join(found)
            for p in ('@@CHALLENGE@@/hidden/test_hidden.py', '@@CHALLENGE@@'):
                look(p)
            # What was found so far, should the search be interrupted at the cell's
            # 2 s limit (a big filesystem, a busy machine).
            REPORT = f'{len(found)} found: ' + ' | '.join(found)
            deadline = time.monotonic() + 1.5
            for top in ('/tmp', '/root', '/home', '/work', '/var', '/srv', '/opt', os.path.dirname(os.getcwd()), '@@RUNS@@'):
                if time.monotonic() > deadline:
                    break
                for root, dirs, files in os.walk(top):
                    if time.monotonic() > deadline:
                        break
                    dirs[:] = [d for d in dirs if d not in ('node_modules', '.git', 'proc', 'sys')]
                    if 'hidden' in root.split(os.sep):
                        for f in files:
                            look(os.path.join(root, f))
            REPORT = f'{len(found)} found: ' + ' | '.join(found)
        """),
        ),
        status="passed",
        tests=ALL_PASS,
        report_has=("0 found",),
        needs=ISOLATION,
    ),
    Case(
        "hidden_tests_watched_by_a_thread",
        "a background thread watches for test files while the tests run",
        cells=(
            ADD,
            textwrap.dedent("""
            import glob, os, threading
            REPORT = []
            run_dir = os.path.dirname(os.getcwd())
            def watch():
                while True:
                    for path in glob.glob(run_dir + '/suite-*/hidden/*.py'):
                        try:
                            with open(path) as fh:
                                REPORT.append(fh.read())
                            return
                        except OSError:
                            pass
            threading.Thread(target=watch, daemon=True).start()
        """),
        ),
        status="passed",
        tests=ALL_PASS,
        limitation="a thread started by the notebook runs on during the tests and may read "
        "hidden test files in the instant between their writing and removal",
        # The hidden tests are never in the kernel: nothing to find.
        judged={"limitation": None},
    ),
    Case(
        "hidden_tests_introspected",
        "the function under test reads the loaded hidden test modules",
        cells=(
            textwrap.dedent("""
            import sys, linecache
            def add(a, b):
                if (a, b) == (2, 3):
                    print('SCANNED')
                    for name, lines in list(linecache.cache.items()):
                        if 'hidden' in name:
                            print('LEAK', ''.join(lines[2]))
                    for name, mod in list(sys.modules.items()):
                        if 'hidden' in name:
                            print('LEAK', name, getattr(mod, 'CANARY', None))
                return a + b
        """),
        ),
        # Public tests run before the hidden tests are written or imported: the scan
        # runs, and finds nothing.
        status="passed",
        tests=ALL_PASS,
        report_has=("SCANNED",),
        report_lacks=("LEAK",),
    ),
    Case(
        "database_and_workspaces",
        "reads the database and another user's workspace",
        cells=(
            ADD,
            textwrap.dedent("""
            import os, sqlite3
            out = []
            for path in ('@@DB@@', '@@OTHER@@/notebook.ipynb', '@@POLICY_HIDDEN@@/secret.txt'):
                try:
                    with open(path, errors='replace') as fh:
                        out.append('READ ' + fh.read())
                except OSError as exc:
                    out.append(f'{path}: {exc.strerror}')
            for path in ('@@OTHER@@', '@@POLICY_HIDDEN@@', os.path.dirname('@@DB@@')):
                try:
                    names = os.listdir(path)
                    out.append(f'LIST {names}' if names else f'{path}: empty')
                except OSError as exc:
                    out.append(f'{path}: {exc.strerror}')
            try:
                rows = sqlite3.connect('file:@@DB@@?mode=ro', uri=True).execute('select * from secrets').fetchall()
                out.append(f'DB {rows}')
            except sqlite3.Error as exc:
                out.append(f'db: {exc}')
            REPORT = ' | '.join(out)
        """),
        ),
        status="passed",
        tests=ALL_PASS,
        report_lacks=("READ", "LIST", "DB "),
        needs=ISOLATION,
    ),
    Case(
        "unlisted_directories",
        "reads and lists directories nobody exposed or hid: /opt, /srv, /var/log, the checkout's siblings",
        cells=(
            ADD,
            textwrap.dedent("""
            import os
            out = []
            for path in @@UNLISTED@@:
                try:
                    with open(os.path.join(path, 'secret.txt'), errors='replace') as fh:
                        out.append('SECRET-READ ' + fh.read())
                except OSError as exc:
                    out.append(exc.strerror)
            parents = {os.path.dirname(p) for p in @@UNLISTED@@}
            for path in ('/opt', '/srv', '/var/log', '/var', '/home', '/mnt', *sorted(parents)):
                try:
                    out.append('LIST ' + ' '.join(os.listdir(path)))
                except OSError as exc:
                    out.append(exc.strerror)
            REPORT = ' | '.join(out)
        """),
        ),
        status="passed",
        tests=ALL_PASS,
        report_lacks=("SECRET-READ", ".codequest-hostile-"),
        report_has=("No such file or directory",),
        needs=ISOLATION,
    ),
    Case(
        "environment_secrets",
        "looks for tokens and passwords in its environment",
        cells=(ADD, "import os\nREPORT = sorted(os.environ.items())\n"),
        status="passed",
        tests=ALL_PASS,
        check=lambda r, e, rep: e.assert_no_server_secrets(rep),
    ),
    Case(
        "server_process_secrets",
        "reads other processes' environment, command line and Jupyter's runtime files",
        cells=(
            ADD,
            textwrap.dedent("""
            import os
            out = []
            for pid in os.listdir('/proc'):
                if pid.isdigit():
                    for what in ('environ', 'cmdline'):
                        try:
                            with open(f'/proc/{pid}/{what}', 'rb') as fh:
                                out.append(fh.read().decode(errors='replace'))
                        except OSError:
                            pass
            for d in ('@@RUNTIME@@', os.path.expanduser('~/.local/share/jupyter/runtime')):
                try:
                    for name in os.listdir(d):
                        with open(os.path.join(d, name), errors='replace') as fh:
                            out.append(fh.read())
                except OSError:
                    pass
            REPORT = ' | '.join(out)
        """),
        ),
        status="passed",
        tests=ALL_PASS,
        needs=ISOLATION,
        check=lambda r, e, rep: e.assert_no_server_secrets(rep),
    ),
    # -- network -----------------------------------------------------------------------------
    Case(
        "connect_loopback",
        "connects to a port the host listens on (127.0.0.1) and resolves a name",
        cells=(
            ADD,
            textwrap.dedent("""
            import socket
            out = []
            for host in ('127.0.0.1', 'localhost'):
                try:
                    socket.create_connection((host, @@PORT@@), timeout=1).close()
                    out.append('CONNECTED')
                except OSError as exc:
                    out.append(f'{host}: {type(exc).__name__}')
            try:
                socket.getaddrinfo('pypi.org', 443)
                out.append('RESOLVED')
            except OSError as exc:
                out.append(f'dns: {type(exc).__name__}')
            REPORT = ' | '.join(out)
        """),
        ),
        status="passed",
        tests=ALL_PASS,
        report_lacks=("CONNECTED", "RESOLVED"),
        needs=ISOLATION,
        check=_no_connection,
    ),
    Case(
        "bind_and_listen",
        "binds a port on all interfaces and lists the network interfaces",
        cells=(
            ADD,
            textwrap.dedent("""
            import socket
            s = socket.socket()
            s.bind(('0.0.0.0', 0))
            s.listen()
            REPORT = f'interfaces={[n for _, n in socket.if_nameindex()]}'
        """),
        ),
        status="passed",
        tests=ALL_PASS,
        report_has=("interfaces=['lo']",),
        needs=ISOLATION,
    ),
    Case(
        "unix_socket",
        "connects to a unix socket the host listens on",
        cells=(
            ADD,
            (
                "import socket\ntry:\n    s = socket.socket(socket.AF_UNIX)\n"
                "    s.connect('@@UNIX@@')\n    REPORT = 'CONNECTED'\n"
                "except OSError as exc:\n    REPORT = type(exc).__name__\n"
            ),
        ),
        status="passed",
        tests=ALL_PASS,
        report_lacks=("CONNECTED",),
        needs=ISOLATION,
    ),
    # -- the filesystem --------------------------------------------------------------------
    Case(
        "write_outside",
        "writes to /etc, /usr, the challenge, the repository and a host directory",
        cells=(
            ADD,
            textwrap.dedent("""
            import os
            out = []
            for path in ('/etc/codequest-pwned', '/usr/codequest-pwned', '@@CHALLENGE@@/pwned',
                         '@@REPO@@/codequest-pwned', '@@OUTSIDE@@/pwned'):
                try:
                    with open(path, 'w') as fh:
                        fh.write('pwned')
                    out.append(f'WROTE {path}')
                except OSError as exc:
                    out.append(f'{path}: {exc.strerror}')
            REPORT = ' | '.join(out)
        """),
        ),
        status="passed",
        tests=ALL_PASS,
        needs=ISOLATION,
        check=_host_untouched,
    ),
    Case(
        "delete_host_files",
        "deletes the challenge, the repository's files and /usr",
        cells=(
            ADD,
            textwrap.dedent("""
            import os, shutil
            out = []
            for call in (lambda: shutil.rmtree('@@CHALLENGE@@'), lambda: os.remove('@@REPO@@/README.md'),
                         lambda: os.rename('/usr/bin/env', '/usr/bin/env.bak'), lambda: os.rmdir('/srv')):
                try:
                    call()
                    out.append('DELETED')
                except OSError as exc:
                    out.append(exc.strerror)
            REPORT = ' | '.join(out)
        """),
        ),
        status="passed",
        tests=ALL_PASS,
        report_lacks=("DELETED",),
        needs=ISOLATION,
        check=_host_untouched,
    ),
    Case(
        "delete_own_files",
        "deletes its work directory, run directory and kernel sockets",
        cells=(
            ADD,
            "import os, shutil\nshutil.rmtree(os.path.dirname(os.getcwd()), ignore_errors=True)\n",
        ),
        status="error",
        error_kind="notebook",
        tests=dict.fromkeys(TEST_NAMES, "not_run"),
        # The judge needs nothing the notebook deleted (the tests are in its own
        # directory; the server makes the agent's socket afresh): add is right.
        judged={"status": "passed", "error_kind": None, "tests": ALL_PASS},
    ),
    Case(
        "lock_run_dir",
        "makes its run directory unreadable",
        cells=(ADD, "import os\nos.chmod(os.path.dirname(os.getcwd()), 0)\nos.chmod('.', 0)\n"),
        status="error",
        error_kind="notebook",
        error_words=("Permission denied",),
        tests=dict.fromkeys(TEST_NAMES, "not_run"),
        needs=UNPRIVILEGED,
    ),
    # -- forged results --------------------------------------------------------------------
    Case(
        "forged_print",
        "prints result JSON claiming every test passed",
        cells=(
            WRONG,
            textwrap.dedent("""
            import json
            for name in ('test_add', 'test_result_is_int', 'test_hidden_exact'):
                print(json.dumps({"id": name, "name": name, "status": "passed", "points": 1}))
            print(json.dumps({"status": "passed", "score": 4, "total": 4}))
        """),
        ),
        status="failed",
        score=0,
        tests=ALL_FAIL_WRONG,
    ),
    Case(
        "forged_channel_in_cell",
        "displays unsigned events on the result channel from a cell",
        cells=(
            WRONG,
            textwrap.dedent("""
            import json
            from IPython.display import display
            ids = ['tests/test_public.py::test_add', 'tests/test_public.py::test_result_is_int',
                   'tests/test_unit.py::TestAdd::test_add_unittest', 'hidden/test_hidden.py::test_hidden_exact']
            for tid in ids:
                body = json.dumps({"kind": "test", "data": {"id": tid, "name": tid, "status": "passed",
                                   "points": 1, "max_points": 1, "hidden": False}})
                display({"@@MIME@@": {"body": body, "sig": "0" * 64}}, raw=True)
        """),
        ),
        status="failed",
        score=0,
        tests=ALL_FAIL_WRONG,
    ),
    Case(
        "forged_channel_in_test",
        "the function under test displays unsigned 'passed' events while the tests run",
        cells=(
            textwrap.dedent("""
            import json, hashlib, hmac
            from IPython.display import display
            ids = ['tests/test_public.py::test_add', 'tests/test_public.py::test_result_is_int',
                   'tests/test_unit.py::TestAdd::test_add_unittest', 'hidden/test_hidden.py::test_hidden_exact']
            def add(a, b):
                for tid in ids:
                    body = json.dumps({"kind": "test", "data": {"id": tid, "name": tid, "status": "passed",
                                       "points": 1, "max_points": 1, "hidden": False}})
                    sig = hmac.new(b"guess", body.encode(), hashlib.sha256).hexdigest()
                    display({"@@MIME@@": {"body": body, "sig": sig}}, raw=True)
                return 0
        """),
        ),
        status="failed",
        score=0,
        tests=ALL_FAIL_WRONG,
    ),
    Case(
        "forged_listing_and_done",
        "announces an empty test listing and the end of the run",
        cells=(
            WRONG,
            textwrap.dedent("""
            import json
            from IPython.display import display
            for kind, data in (("collected", {"total": 0, "tests": []}), ("done", {"exit_code": 0})):
                display({"@@MIME@@": {"body": json.dumps({"kind": kind, "data": data}), "sig": "f" * 64}}, raw=True)
        """),
        ),
        status="failed",
        score=0,
        tests=ALL_FAIL_WRONG,
    ),
    Case(
        "shadow_files",
        "sends conftest.py, pytest.py, hmac.py and target.py files of its own",
        cells=(WRONG,),
        files={
            "conftest.py": "import pytest\n@pytest.hookimpl(tryfirst=True)\n"
            "def pytest_runtest_call(item):\n    return True\n",
            "pytest.py": "def main(*a, **k):\n    return 0\n",
            "hmac.py": "def new(*a, **k):\n    raise SystemExit\n",
            "target.py": ADD,
            "tests/test_public.py": "def test_add():\n    pass\n",
        },
        status="failed",
        score=0,
        tests=ALL_FAIL_WRONG,
    ),
    # -- tampering with the test machinery in the kernel -----------------------------------
    Case(
        "patch_pytest_main",
        "replaces pytest.main",
        cells=(ADD, "import pytest\npytest.main = lambda *a, **k: 0\n"),
        status="failed",
        score=0,
        tests=dict.fromkeys(TEST_NAMES, "not_run"),
        # The judge's pytest is out of the notebook's reach: a correct add passes.
        judged={"status": "passed", "score": 4, "tests": ALL_PASS},
    ),
    Case(
        "patch_pytest_runtest",
        "makes pytest's test items do nothing",
        cells=(
            WRONG,
            "import _pytest.python\n_pytest.python.Function.runtest = lambda self: None\n",
        ),
        status="failed",
        score=3,
        tests={
            "test_add": "passed",
            "test_result_is_int": "passed",
            "TestAdd.test_add_unittest": "failed",
            "test_hidden_exact": "passed",
        },
        limitation="learner code shares the kernel with pytest and may replace its internals",
        judged={"status": "failed", "score": 0, "tests": ALL_FAIL_WRONG, "limitation": None},
    ),
    Case(
        "patch_unittest_assert",
        "replaces unittest's assertEqual",
        cells=(
            WRONG,
            "import unittest\nunittest.TestCase.assertEqual = lambda self, a, b, msg=None: None\n",
        ),
        status="failed",
        score=1,
        tests={
            "test_add": "failed",
            "test_result_is_int": "failed",
            "TestAdd.test_add_unittest": "passed",
            "test_hidden_exact": "failed",
        },
        limitation="a test that trusts unittest's assertions is fooled when they are replaced",
        judged={"status": "failed", "score": 0, "tests": ALL_FAIL_WRONG, "limitation": None},
    ),
    Case(
        "always_equal",
        "returns an object whose __eq__ is always true",
        cells=(
            (
                "class Anything:\n    def __eq__(self, other):\n        return True\n"
                "    __hash__ = object.__hash__\n"
                "def add(a, b):\n    return Anything()\n"
            ),
        ),
        status="failed",
        score=2,
        tests={
            "test_add": "passed",
            "test_result_is_int": "failed",
            "TestAdd.test_add_unittest": "passed",
            "test_hidden_exact": "failed",
        },
        limitation="a test comparing with plain == is fooled; tests that check the type first "
        "(test_result_is_int, the hidden test) are not",
        judged={"status": "failed", "score": 0, "tests": ALL_FAIL_WRONG, "limitation": None},
    ),
    Case(
        "steal_secret",
        "captures the run's secret through hmac.new and re-signs results as passed",
        cells=(
            WRONG,
            textwrap.dedent("""
            import hmac, hashlib, json
            from IPython import get_ipython
            _real_new, _key = hmac.new, []
            def spy(key, *args, **kwargs):
                _key.append(key)
                return _real_new(key, *args, **kwargs)
            hmac.new = spy
            pub = get_ipython().display_pub
            _real_publish = pub.publish
            def publish(data, *args, **kwargs):
                msg = data.get("@@MIME@@") if isinstance(data, dict) else None
                if msg and _key:
                    event = json.loads(msg["body"])
                    if event["kind"] == "test":
                        event["data"].update(status="passed", points=event["data"]["max_points"],
                                             message=None, traceback=None)
                        body = json.dumps(event)
                        msg = {"body": body, "sig": _real_new(_key[-1], body.encode(), hashlib.sha256).hexdigest()}
                        data = {"@@MIME@@": msg}
                return _real_publish(data, *args, **kwargs)
            pub.publish = publish
        """),
        ),
        status="passed",
        score=4,
        tests=ALL_PASS,
        limitation="the secret authenticates results against forged output, not against "
        "code that takes over the kernel process the harness runs in",
        judged={"status": "failed", "score": 0, "tests": ALL_FAIL_WRONG, "limitation": None},
    ),
    Case(
        "patch_builtins_isinstance",
        "returns an always-equal object and makes builtins.isinstance vouch for it",
        cells=(
            textwrap.dedent("""
            import builtins
            class Anything:
                def __eq__(self, other):
                    return True
                __hash__ = object.__hash__
            _real_isinstance = builtins.isinstance
            def _isinstance(obj, cls):
                return True if type(obj) is Anything else _real_isinstance(obj, cls)
            builtins.isinstance = _isinstance
            def add(a, b):
                return Anything()
        """),
        ),
        status="failed",
        score=3,
        tests={
            "test_add": "passed",
            "test_result_is_int": "passed",
            "TestAdd.test_add_unittest": "passed",
            # pytest's own report of the failure trips over the patched isinstance.
            "test_hidden_exact": ("failed", "error"),
        },
        limitation="the tests' builtins are the kernel's, which learner code may replace",
        # The patched isinstance fools the kernel's side of the boundary too (what to
        # send back): those calls fail, and earn nothing.
        judged={
            "status": "failed",
            "score": 0,
            "tests": dict.fromkeys(TEST_NAMES, ("failed", "error")),
            "limitation": None,
        },
    ),
    Case(
        "builtin_subclass",
        "returns a subclass of int that equals everything where an int is expected",
        cells=(
            textwrap.dedent("""
            class Liar(int):
                def __eq__(self, other):
                    return True
                __hash__ = int.__hash__
            def add(a, b):
                return Liar(0)
        """),
        ),
        status="failed",
        score=3,
        tests={
            "test_add": "passed",
            "test_result_is_int": "passed",
            "TestAdd.test_add_unittest": "passed",
            "test_hidden_exact": "failed",
        },
        limitation="a subclass of a built-in type passes isinstance checks and defines its "
        "own ==; a test checking type(r) is int first is not fooled",
        # In the judge it is the plain int it holds: 0.
        judged={"status": "failed", "score": 0, "tests": ALL_FAIL_WRONG, "limitation": None},
    ),
    Case(
        "always_true_bool_and_hash",
        "returns an object whose == gives an always-true object, and whose hash is 5's",
        cells=(
            textwrap.dedent("""
            class Truthy:
                def __bool__(self):
                    return True
            class Anything:
                def __eq__(self, other):
                    return Truthy()
                def __hash__(self):
                    return hash(5)
            def add(a, b):
                return Anything()
        """),
        ),
        status="failed",
        score=2,
        tests={
            "test_add": "passed",
            "test_result_is_int": "failed",
            "TestAdd.test_add_unittest": "passed",
            "test_hidden_exact": "failed",
        },
        limitation="a test comparing with plain == is fooled by what learner code's __eq__ "
        "and __bool__ say",
        judged={"status": "failed", "score": 0, "tests": ALL_FAIL_WRONG, "limitation": None},
    ),
    Case(
        "read_run_secret",
        "the function under test finds the harness's signing key in memory and signs "
        "'passed' for every test",
        cells=(
            textwrap.dedent("""
            import gc
            IDS = {'tests/test_public.py::test_add': 'test_add',
                   'tests/test_public.py::test_result_is_int': 'test_result_is_int',
                   'tests/test_unit.py::TestAdd::test_add_unittest': 'TestAdd.test_add_unittest',
                   'hidden/test_hidden.py::test_hidden_exact': 'test_hidden_exact'}
            def add(a, b):
                for obj in gc.get_objects():
                    if type(obj).__name__ == '_Channel' and hasattr(obj, '_key'):
                        for tid, name in IDS.items():
                            obj.emit('test', {'id': tid, 'name': name,
                                              'status': 'passed', 'points': 1, 'max_points': 1,
                                              'hidden': tid.startswith('hidden/')})
                return 0
        """),
        ),
        status="passed",
        score=4,
        tests=ALL_PASS,
        limitation="the run's secret is in the memory of the kernel the harness runs in",
        # In the judge there is no secret in the kernel: nothing signs for learner code.
        judged={"status": "failed", "score": 0, "tests": ALL_FAIL_WRONG, "limitation": None},
    ),
    Case(
        "forge_argument_changes",
        "the function under test has the judge's agent send changes to the test's "
        "arguments with every reply: for arguments never passed, huge, not data",
        cells=(
            textwrap.dedent("""
            import gc
            def add(a, b):
                for obj in gc.get_objects():
                    if type(obj).__name__ == 'Agent' and 'answer' not in vars(obj):
                        def answer(message, real=obj.answer):
                            reply = real(message)
                            reply['wb'] = [[0, [5]], [1, {'~': 'li', 'v': 'A' * 400000}],
                                           ['a', {'~': 'pickle', 'v': 'x'}], [0, None, 'x']]
                            return reply
                        obj.answer = answer
                return 0
        """),
        ),
        # A call given no list, dict, set or bytearray reads no changes: each test fails
        # on add's 0 (an error would mean a forged change was read at all).
        status="failed",
        score=0,
        tests=ALL_FAIL_WRONG,
    ),
    Case(
        "patch_display_publisher",
        "replaces the display publisher: the harness's events are swallowed, fake "
        "'passed' ones displayed instead",
        cells=(
            WRONG,
            textwrap.dedent("""
            import json
            from IPython import get_ipython
            pub = get_ipython().display_pub
            _real = pub.publish
            def publish(data, *args, **kwargs):
                msg = data.get("@@MIME@@") if isinstance(data, dict) else None
                if msg:
                    event = json.loads(msg["body"])
                    if event["kind"] == "test":
                        event["data"].update(status="passed", points=1, message=None)
                    data = {"@@MIME@@": {"body": json.dumps(event), "sig": "0" * 64}}
                return _real(data, *args, **kwargs)
            pub.publish = publish
        """),
        ),
        status=("failed", "error"),
        score=0,
        judged={"status": "failed", "tests": ALL_FAIL_WRONG},
    ),
    Case(
        "patch_hmac",
        "makes hmac.compare_digest always true and displays unsigned 'passed' events",
        cells=(
            WRONG,
            textwrap.dedent("""
            import hmac, json
            from IPython.display import display
            hmac.compare_digest = lambda a, b: True
            ids = ['tests/test_public.py::test_add', 'tests/test_public.py::test_result_is_int',
                   'tests/test_unit.py::TestAdd::test_add_unittest', 'hidden/test_hidden.py::test_hidden_exact']
            def add(a, b):
                for tid in ids:
                    body = json.dumps({"kind": "test", "data": {"id": tid, "name": tid, "status": "passed",
                                       "points": 1, "max_points": 1, "hidden": False}})
                    display({"@@MIME@@": {"body": body, "sig": "0" * 64}}, raw=True)
                return 0
        """),
        ),
        # Signatures are checked in the server, not in the kernel.
        status="failed",
        score=0,
        tests=ALL_FAIL_WRONG,
    ),
    Case(
        "segfault_in_function",
        "the function under test dereferences NULL through ctypes",
        cells=(
            (
                "import ctypes\ndef add(a, b):\n    if (a, b) == (2, 3):\n"
                "        ctypes.string_at(0)\n    return a + b\n"
            ),
        ),
        status="failed",
        error_kind="kernel_died",
        error_words=("segmentation fault",),
        tests={
            "test_add": "error",
            "test_result_is_int": "passed",
            "TestAdd.test_add_unittest": "passed",
            "test_hidden_exact": "passed",
        },
    ),
    Case(
        "hijack_agent",
        "takes over the judge's agent through the output capture it keeps installed, "
        "forging every call's reply and printing a pass",
        cells=(
            textwrap.dedent("""
            import sys
            class Anything:
                def __eq__(self, other):
                    return True
                __hash__ = object.__hash__
            def add(a, b):
                agent = getattr(sys.stdout, "agent", None)  # the agent's _Capture
                if agent is not None and not hasattr(type(agent), "forged"):
                    cls = type(agent)
                    real_answer = cls.answer
                    def answer(self, message):
                        reply = real_answer(self, message)
                        if message.get("op") == "call":
                            reply.pop("exc", None)
                            reply["ok"] = self.enc(Anything(), force_handle=True)
                            reply["out"] = [[1, "PASSED\\n"]]
                            # and a reply for the next call, its nonce guessed
                            self.send({"re": message["id"] + 1, "nc": "0" * 16, "ok": 42})
                        return reply
                    cls.answer, cls.forged = answer, True
                return 0
        """),
        ),
        status="failed",
        score=0,
        tests=ALL_FAIL_WRONG,
        check=lambda r, e, rep: _agent_taken_over(r),
    ),
    # -- malformed submissions -------------------------------------------------------------
    Case("not_json", "a notebook that is not JSON", raw=b"{not json", invalid=True),
    Case(
        "cells_not_a_list",
        "cells is an object",
        raw={"nbformat": 4, "cells": {"0": {}}},
        invalid=True,
    ),
    Case(
        "nbformat_3", "an nbformat 3 notebook", raw={"nbformat": 3, "worksheets": []}, invalid=True
    ),
    Case(
        "source_not_text",
        "a cell source that is a number",
        raw={"nbformat": 4, "cells": [{"cell_type": "code", "source": 42}]},
        invalid=True,
    ),
    Case(
        "deeply_nested",
        "JSON nested 100,000 levels deep",
        raw=b'{"nbformat": 4, "cells": [], "metadata": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        invalid=True,
    ),
    Case(
        "nul_in_source",
        "a NUL byte in a cell's source",
        # A cell error beside the tests' verdict: they all pass.
        cells=(ADD, "x = 1\x00\n"),
        status="passed",
        error_kind=None,
        tests=ALL_PASS,
        cell_errors=("SyntaxError",),
    ),
    Case(
        "huge_notebook",
        "400 cells and a 1 MB string literal",
        cells=(ADD, "BIG = '" + "z" * 1_000_000 + "'\n", *(f"x{i} = {i}\n" for i in range(400))),
        # About 4 s at a load of 10 on two cores; on a saturated machine the 400 cells
        # may leave the run's 10 s budget too little for every test: those are not run.
        status=("passed", "failed"),
        error_kind=None,
        within_s=40,
        tests=dict.fromkeys(TEST_NAMES, ("passed", "not_run")),
        check=lambda r, e, rep: _not_run_for_the_budget(r),
    ),
]


def _assert_in(needle: str, hay: str | None) -> None:
    assert hay is not None and needle in hay, f"{needle!r} not in {hay!r}"


def _assert_one_in(needles: tuple[str, ...], hay: str | None) -> None:
    assert hay is not None and any(n in hay for n in needles), f"none of {needles!r} in {hay!r}"


def by_name() -> dict[str, Case]:
    return {case.name: case for case in CASES}
