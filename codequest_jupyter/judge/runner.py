"""The judge process: pytest on the challenge's tests, the learner's module a proxy.

Started by :mod:`.driver` through the grading launcher (``launcher.py --judge CONFIG``),
so it is confined like a kernel (its own uid, resource limits, and under bubblewrap its
own process tree, no network, an allow-list view of the machine) but never the
kernel's uid or sandbox. It inherits ``control_fd``, a socket to the driver, which later
hands it (SCM_RIGHTS) the connection to the agent in the learner's kernel: the judge
starts while the notebook still runs. It runs no learner code:
learner values reach it only through :class:`.connection.Connection`.

Results go to the driver on ``control_fd`` as JSON lines, the same events the
in-kernel harness sends (``collected``, ``test``, ``done``), plus ``kernel`` events
asking the driver to interrupt or kill the kernel. Standard output and error are the
launcher's log file: whatever learner output reaches them (printed outside a test) is
never read as a result.

``CONFIG`` keys: ``control_fd``, ``grace_s``, ``max_reply_mb``, ``suite_dir`` (made by
the driver, with its ``pytest.ini``, before the judge starts); and the run's settings,
which may instead come as one JSON line on ``control_fd`` before the agent's
connection (a judge started ahead of its run): ``modules`` (the names tests import
from the kernel), ``timeout_s`` (per test), ``output_limit`` (characters of output kept
per test), ``hidden_prefix``, ``paths`` (what pytest runs, in order, relative to the
suite), ``deselect`` (test ids not to run), ``work_dir`` (the tests' working directory:
the files of the kernel's).

Pytest starts as soon as the judge does: it is configured, its plugins loaded and its
session begun while the judge waits in the pool and the notebook runs; collection
waits for the run's settings (the tests are then in the suite directory) and the
kernel's connection (``Handover`` in :func:`main`), so a judged run pays neither
pytest's start-up nor the judge's interpreter shutting down (the driver takes the
verdicts at ``done`` and ends the judge off the latency path).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import socket
import sys
import time
from typing import Any

# What the in-kernel harness decides, decided the same way here: the same pytest options,
# names, points, headlines of failures and reasons of skips.
from ..grading.harness.collect import _display_name, _points, _static_tests
from ..grading.harness.runner import PYTEST_OPTIONS
from ..grading.harness.verdicts import (
    _crash_message,
    _kind_from_text,
    _outcome,
    _patch_unittest,
    _unittest_compare,
    _unittest_current,
)

PR_SET_DUMPABLE = 4

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


# Said after a failed == between two learner objects (to learners and, through
# codequest validate, to authors).
LEARNER_EQ_NOTE = (
    " (two learner objects compare by identity in the judge: their class's __eq__ does "
    "not run; compare their attributes)"
)


class Control:
    """JSON lines to the driver."""

    def __init__(self, sock: socket.socket):
        self.sock = sock

    def emit(self, kind: str, data: dict[str, Any]) -> None:
        line = json.dumps({"kind": kind, "data": data}, default=str) + "\n"
        with contextlib.suppress(OSError):
            self.sock.sendall(line.encode())


def _cap(text: str | None, limit: int) -> str | None:
    if text is None or len(text) <= limit:
        return text
    return text[:limit] + f"\n… output truncated ({len(text) - limit:,} more characters)"


def _safe_repr(value: Any, limit: int = 2000) -> str:
    try:
        text = repr(value)
    except BaseException as exc:  # noqa: BLE001
        text = f"<unrepresentable {type(value).__name__}: {type(exc).__name__}>"
    return text if len(text) <= limit else text[: limit - 15] + "… (truncated)"


class Recorder:
    """A pytest plugin: per-test deadlines on the connection, results to the driver."""

    def __init__(self, control: Control, conn: Any, config: dict[str, Any]):
        self.control = control
        self.conn = conn
        self.suite_dir = config["suite_dir"]
        self.settings(config)
        self.collected: list[dict[str, Any]] = []
        self.reports: dict[str, list[Any]] = {}
        self.started: dict[str, float] = {}
        self.compare: dict[str, tuple[str, str]] = {}
        self.compared_learner_objects: set[str] = set()
        self.current: str | None = None

    def settings(self, config: dict[str, Any]) -> None:
        """The run's settings (they come after pytest started, in a judge started ahead)."""
        self.hidden_prefix = config.get("hidden_prefix", "hidden")
        self.timeout_s = float(config.get("timeout_s", 10))
        self.output_limit = int(config.get("output_limit", 65536))

    def _hidden(self, nodeid: str) -> bool:
        return nodeid.startswith(self.hidden_prefix + "/")

    def pytest_configure(self, config: Any) -> None:
        config.addinivalue_line("markers", "points(n): the points this test is worth")

    def pytest_collectreport(self, report: Any) -> None:
        if not report.failed:
            return
        # A file that cannot be imported: each of its tests (as read from its source)
        # gets the error, as in the kernel; the file itself when none can be read.
        message = _crash_message(report)
        path = os.path.join(self.suite_dir, report.nodeid)
        tests = _static_tests(path, report.nodeid) if report.nodeid.endswith(".py") else []
        for nodeid, name, points in tests or [
            (report.nodeid, os.path.basename(report.nodeid), 1.0)
        ]:
            self.collected.append(
                {
                    "id": nodeid,
                    "name": name,
                    "hidden": self._hidden(nodeid),
                    "max_points": points,
                    "_error": message,
                }
            )

    def pytest_collection_finish(self, session: Any) -> None:
        for item in session.items:
            self.collected.append(
                {
                    "id": item.nodeid,
                    "name": _display_name(item),
                    "hidden": self._hidden(item.nodeid),
                    "max_points": _points(item),
                }
            )
        self.control.emit(
            "collected",
            {
                "total": len(self.collected),
                "tests": [
                    {k: v for k, v in t.items() if not k.startswith("_")} for t in self.collected
                ],
            },
        )
        for t in self.collected:
            if "_error" in t:
                self._emit(
                    t["id"], t["name"], t["hidden"], "error", t["max_points"], message=t["_error"]
                )

    def pytest_runtest_logstart(self, nodeid: str, location: Any) -> None:
        self.current = nodeid
        _unittest_current[0] = nodeid
        self.conn.output_dropped = 0
        self.started[nodeid] = time.perf_counter()
        self.conn.deadline = time.monotonic() + self.timeout_s
        self.conn.timeout_message = f"Took longer than {self.timeout_s:g} s and was stopped."

    def pytest_assertrepr_compare(self, config: Any, op: str, left: Any, right: Any) -> None:
        if self.current is not None and op == "==":
            self.compare[self.current] = (_safe_repr(left), _safe_repr(right))
            from .proxy import RemoteObject

            if isinstance(left, RemoteObject) and isinstance(right, RemoteObject):
                self.compared_learner_objects.add(self.current)

    def pytest_runtest_logreport(self, report: Any) -> None:
        self.reports.setdefault(report.nodeid, []).append(report)

    def pytest_runtest_logfinish(self, nodeid: str, location: Any) -> None:
        self.conn.deadline = None
        _unittest_current[0] = None
        unittest_compared = _unittest_compare.pop(nodeid, None)
        reports = self.reports.pop(nodeid, [])
        info = next((t for t in self.collected if t["id"] == nodeid), None)
        name = info["name"] if info else nodeid.rsplit("::", 1)[-1]
        max_points = info["max_points"] if info else 1.0
        status, message, failing = _outcome(reports)
        output = None
        dropped, self.conn.output_dropped = self.conn.output_dropped, 0
        if reports:
            last = reports[-1]
            parts = [
                s for s in (getattr(last, "capstdout", ""), getattr(last, "capstderr", "")) if s
            ]
            text = "".join(parts)
            if dropped and len(text) <= self.output_limit + 200:
                output = text  # cut in the kernel, and told there
            elif parts:
                output = _cap(text, self.output_limit)
                dropped += max(len(text) - self.output_limit, 0)
        expected = actual = traceback = None
        if failing is not None:
            kind = getattr(failing, "_cq_kind", None) or _kind_from_text(failing)
            if failing.when != "call" and kind == "failed":
                kind = "error"
            status = kind
            message = getattr(failing, "_cq_message", None) or _crash_message(failing)
            compared = self.compare.pop(nodeid, None) or unittest_compared
            if compared is not None and kind == "failed":
                actual, expected = compared
            if nodeid in self.compared_learner_objects and kind == "failed":
                message = (message or "")[:1500] + LEARNER_EQ_NOTE
            if failing.longrepr:
                text = self._clean(str(failing.longrepr))
                learner_tb = getattr(failing, "_cq_learner_tb", None)
                if learner_tb:
                    text += "\n\nRaised in the learner's code:\n" + learner_tb
                traceback = _cap(text, 8000)
        self._emit(
            nodeid,
            name,
            self._hidden(nodeid),
            status,
            max_points,
            duration_ms=int(
                (time.perf_counter() - self.started.get(nodeid, time.perf_counter())) * 1000
            ),
            message=message,
            expected=expected,
            actual=actual,
            output=output,
            output_truncated=bool(dropped),
            traceback=traceback,
        )
        self.current = None
        self.compared_learner_objects.discard(nodeid)

    def _clean(self, text: str) -> str:
        text = _ANSI.sub("", text)
        return text.replace(self.suite_dir + os.sep, "")

    def _emit(
        self, nodeid: str, name: str, hidden: bool, status: str, max_points: float, **fields: Any
    ) -> None:
        message = fields.pop("message", None)
        self.control.emit(
            "test",
            {
                "id": nodeid,
                "name": name,
                "hidden": hidden,
                "status": status,
                "message": _cap(_ANSI.sub("", message), 2000) if message else None,
                "points": max_points if status == "passed" else 0,
                "max_points": max_points,
                "duration_ms": fields.pop("duration_ms", 0),
                **fields,
            },
        )


def _kind_hooks() -> Any:
    import pytest

    from .proxy import CallTimeout, KernelError

    class Kinds:
        @pytest.hookimpl(hookwrapper=True)
        def pytest_runtest_makereport(self, item: Any, call: Any) -> Any:
            outcome = yield
            report = outcome.get_result()
            excinfo = call.excinfo
            if excinfo is None:
                return
            exc = excinfo.value
            if isinstance(exc, KernelError):
                # The boundary's own message, without the class's dotted name.
                report._cq_message = str(exc)
                kind = "timeout" if isinstance(exc, CallTimeout) else "error"
            elif isinstance(exc, (AssertionError, pytest.fail.Exception)):
                kind = "failed"
            else:
                kind = "error"
            report._cq_kind = kind
            learner_tb = getattr(exc, "_cq_learner_tb", None)
            if type(learner_tb) is str:
                report._cq_learner_tb = learner_tb

    return Kinds()


def non_dumpable() -> None:
    """No core dumps, and /proc/<pid>/mem and ptrace closed to processes lacking
    CAP_SYS_PTRACE even of the same uid (a second line behind the uid)."""
    from ..grading.launcher import prctl

    prctl(PR_SET_DUMPABLE, 0)


def _rewrite_ahead(suite: str, config: Any) -> None:
    """Rewrite the asserts of the suite's test files (and conftests) now, while the
    kernel may still run the notebook: importing them at collection then takes the
    code made here (pytest's own rewriting, 4-11 ms a file) instead of making it. A
    file that cannot be read or parsed is left to pytest, which reports it as before."""
    import fnmatch
    from pathlib import Path

    from _pytest.assertion import rewrite

    original = rewrite._rewrite_test
    patterns = config.getini("python_files") + ["conftest.py"]
    made: dict[str, Any] = {}
    for path in sorted(Path(suite).rglob("*.py")):
        if any(fnmatch.fnmatch(path.name, pattern) for pattern in patterns):
            with contextlib.suppress(Exception):
                made[str(path)] = original(path, config)

    def rewrite_test(fn: Any, config: Any) -> Any:
        found = made.pop(str(fn), None)
        return found if found is not None else original(fn, config)

    rewrite._rewrite_test = rewrite_test


def _read_line(sock: socket.socket) -> dict[str, Any] | None:
    """One JSON line from the driver, read a byte at a time (what follows it on the
    socket, the agent's connection, is not to be consumed with it)."""
    data = bytearray()
    while not data.endswith(b"\n"):
        byte = sock.recv(1)
        if not byte:
            return None  # the driver went away before this judge was used
        data += byte
    value = json.loads(data)
    return value if isinstance(value, dict) else None


def main(config: dict[str, Any]) -> int:
    """Run the tests; the exit status is pytest's (or 3 when it could not start)."""
    non_dumpable()
    # The wire nests up to 500 levels, one frame each, on top of pytest's own stack.
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 4000))
    control_sock = socket.socket(fileno=int(config["control_fd"]))
    control = Control(control_sock)
    # What every run needs, imported while the kernel may still run the notebook.
    import _pytest.assertion.rewrite
    import _pytest.python
    import _pytest.unittest  # noqa: F401
    import pytest

    from .connection import Connection
    from .proxy import RemoteImporter
    from .wire import Limits

    # A judge started ahead of its run (a pool) gets the run's settings as one line
    # once it has a run; pytest starts before that (configuring it, its plugins and
    # the session: tens of ms), and the run's tests are set in ``Handover`` below.
    ahead = "paths" not in config
    handed: list[float] = []

    def run_settings() -> bool:
        nonlocal ahead
        if ahead:
            setup = _read_line(control_sock)
            if setup is None:
                return False  # the driver went away before this judge was used
            config.update(setup)
            ahead = False
        if config.get("work_dir") and os.getcwd() != config["work_dir"]:
            # The kernel's work directory as the run wrote it (the starter files): a
            # test opens data/words.txt from here as it would in the kernel.
            os.chdir(config["work_dir"])
        return True

    def agent_connection() -> socket.socket | None:
        # The driver hands over the connection to the agent once the kernel has run
        # the notebook: pytest's start-up has overlapped that.
        if not run_settings():
            return None
        _msg, fds, _flags, _addr = socket.recv_fds(control_sock, 64, 1)
        handed.append(time.perf_counter())
        return socket.socket(fileno=fds[0]) if fds else None

    conn = Connection(
        agent_connection,
        Limits(max_frame_bytes=int(config.get("max_reply_mb", 32)) * 1024 * 1024),
        notify=lambda what: control.emit("kernel", {"what": what}),
        grace_s=float(config.get("grace_s", 2.0)),
    )
    conn.track_logger_levels()
    # A failing assertEqual keeps its actual and expected values, as in the kernel.
    _patch_unittest()

    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    os.environ["PY_COLORS"] = "0"
    sys.dont_write_bytecode = True
    suite = config["suite_dir"]
    ini = os.path.join(suite, "pytest.ini")
    recorder = Recorder(control, conn, config)
    report = io.StringIO()

    def handed_over() -> bool:
        """Wait for the kernel (if not yet): nothing is reported before the driver
        has handed it over (it relays this judge's events from then on)."""
        if conn.open():
            return True
        if not ahead:
            control.emit(
                "done", {"exit_code": -1, "error": "no connection to the kernel was handed over"}
            )
        return False

    class Handover:
        @pytest.hookimpl(tryfirst=True)
        def pytest_collection(self, session: Any) -> None:
            # Pytest is set up: say so (a pool counts this judge as ready), wait for
            # the run (its tests are in the suite directory once its settings come),
            # then for the kernel, before collecting.
            control.emit("ready", {})
            if not run_settings():
                os._exit(3)
            session.config.args = [os.path.join(suite, p) for p in config.get("paths") or ["."]]
            # Read by pytest's own deselection when the tests are collected.
            session.config.option.deselect = list(config.get("deselect") or [])
            recorder.settings(config)
            conn.default_timeout_s = float(config.get("timeout_s", 10))
            # ``import <module>`` in a test gives the learner's module from the kernel.
            RemoteImporter(conn, set(config["modules"])).install()
            _rewrite_ahead(suite, session.config)
            if not handed_over():
                os._exit(3)  # the run is gone: nothing to collect for

    try:
        with contextlib.redirect_stdout(report):
            code = int(
                pytest.main(
                    [
                        suite,  # the run's paths and deselected tests: see Handover
                        # A test file that cannot be imported stops only its tests.
                        "--continue-on-collection-errors",
                        "--rootdir",
                        suite,
                        "-c",
                        ini,
                        *PYTEST_OPTIONS,
                    ],
                    plugins=[Handover(), recorder, _kind_hooks()],
                )
            )
    except BaseException as exc:
        with contextlib.suppress(BaseException):
            if handed_over():
                control.emit("done", {"exit_code": -1, "error": f"{type(exc).__name__}: {exc}"})
        raise
    if not handed_over():  # pytest stopped before collecting (a usage error)
        return 3
    started = handed[0] if handed else time.perf_counter()
    done = {
        "exit_code": code,
        "calls": conn.calls,
        "duration_ms": int((time.perf_counter() - started) * 1000),
        "kernel_gone": conn.gone,
    }
    if code not in (0, 1, 5):
        # pytest itself could not run (interrupted, an internal or usage error).
        done["error"] = _cap(_ANSI.sub("", report.getvalue()[-4000:]), 4000)
    control.emit("done", done)
    with contextlib.suppress(BaseException):
        if not conn.gone:
            conn.deadline = time.monotonic() + 1.0
            conn.request("bye")
    return code
