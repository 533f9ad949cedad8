"""The test harness that runs inside the grading kernel.

The engine does not import this module into the kernel: it sends this file, compiled, in
the final execute request and runs it in a fresh namespace, after every learner cell
has run, together with a per-run secret and the test files. So learner code that ran
earlier cannot have patched it, and has never seen the secret or the hidden tests.

It registers the module the notebook's cells ran in under the challenge's module name,
writes the test files to a private directory, runs pytest in-process and reports each
test as it finishes on a display-data channel whose messages carry an HMAC of the per-run secret. The engine
ignores any message on that channel without a valid signature.

This file must stay self-contained: the kernel runs it as a whole, it does not import it.
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import hmac
import io
import json
import linecache
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
import types
import unittest

CHANNEL_MIME = "application/vnd.codequest.event+json"

# Everything run_tests imports, and what the engine's call unpacks the harness with. The
# engine imports these in the kernel before the work directory is on sys.path, so a
# learner's file named like one of them (pytest.py, unittest.py, hmac.py) cannot stand
# in for it here.
HARNESS_IMPORTS = (
    "ast", "binascii", "contextlib", "hashlib", "hmac", "io", "json", "linecache", "re", "shutil",
    "signal", "tempfile", "threading", "types", "unittest", "zlib", "IPython", "pytest",
    "_pytest.python", "_pytest.unittest", "_pytest.capture", "_pytest.assertion.rewrite",
)
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

# pytest's options for a grading run: the plugins it has no use for are left out.
# unraisableexception matters most: it ends every session with five gc.collect() calls,
# about 0.2 s of CPU in a kernel's heap, to turn unraisable exceptions into warnings
# that grading never reports (without it they go to stderr, captured with the test).
PYTEST_OPTIONS = (
    "-p", "no:cacheprovider", "-p", "no:stepwise", "-p", "no:pastebin", "-p", "no:nose",
    "-p", "no:doctest", "-p", "no:legacypath", "-p", "no:unraisableexception",
    "-p", "no:junitxml", "-p", "no:setuponly", "-p", "no:setupplan",
    "--capture=sys", "--import-mode=importlib", "--tb=short", "-q", "--color=no",
)



class TestTimeout(BaseException):
    """Raised in a test that ran past its time limit.

    A BaseException, so ``except Exception`` in learner code does not swallow it.
    """


def _safe_repr(value, limit=2000):
    try:
        text = repr(value)
    except BaseException as exc:  # noqa: BLE001 - a hostile __repr__ must not stop grading
        text = f"<unrepresentable {type(value).__name__}: {type(exc).__name__}>"
    if len(text) > limit:
        text = text[: limit - 15] + "… (truncated)"
    return text


def _cap(text, limit):
    if text is None:
        return None
    if len(text) > limit:
        return text[:limit] + _truncated_note(len(text) - limit)
    return text


def _truncated_note(dropped):
    return f"\n… output truncated ({dropped:,} more characters)"


class _OutputBudget:
    """What one test may still print into the captured output, and what it printed
    beyond that (shared by its stdout and stderr, reset when the next test starts)."""

    def __init__(self, limit):
        self.limit = limit
        self.room = limit
        self.dropped = 0

    def reset(self):
        self.room = self.limit
        self.dropped = 0


def _install_capped_capture(budget):
    """pytest's global sys capture, keeping at most ``budget.limit`` characters per test.

    A function that prints 50 MB would otherwise have it all encoded into pytest's
    buffer, then read back and decoded: copies that can exhaust the kernel's memory
    limit mid-capture and leave ``sys.stdout`` a closed buffer for every later test.
    Here the text beyond the limit is only counted, never copied (``s[:room]`` copies
    what is kept). The ``capsys``/``capfd`` fixtures are pytest's own, uncapped: what a
    test captures itself is the test's business.
    """
    import _pytest.capture as capture

    class CappedIO(capture.CaptureIO):
        def write(self, s):
            if not isinstance(s, str) or len(s) <= budget.room:
                written = super().write(s)
                budget.room -= len(s)
                return written
            kept = s[: max(budget.room, 0)]
            budget.dropped += len(s) - len(kept)
            budget.room = 0
            if kept:
                super().write(kept)
            return len(s)

    original = capture._get_multicapture

    def multicapture(method):
        if method != "sys":
            return original(method)
        return capture.MultiCapture(
            in_=capture.SysCapture(0),
            out=capture.SysCapture(1, CappedIO()),
            err=capture.SysCapture(2, CappedIO()),
        )

    capture._get_multicapture = multicapture


class _Channel:
    """Signed events to the engine over the kernel's display publisher."""

    def __init__(self, secret):
        self._key = bytes.fromhex(secret)
        import IPython

        shell = IPython.get_ipython()
        publisher = shell.display_pub
        # publish() flushes stdout and stderr first, a wait on the kernel's IO thread per
        # event; result events need no ordering with printed output (the kernel is
        # discarded after this run, so the change does not outlive it).
        if hasattr(publisher, "_flush_streams"):
            publisher._flush_streams = lambda: None
        self._publish = publisher.publish
        # The kernel's stdout (pytest has not replaced it yet): its flush() waits until
        # the IO thread has handed everything queued before to zmq.
        self._stream = sys.stdout

    def emit(self, kind, data):
        body = json.dumps({"kind": kind, "data": data}, default=str)
        sig = hmac.new(self._key, body.encode(), hashlib.sha256).hexdigest()
        self._publish(data={CHANNEL_MIME: {"body": body, "sig": sig}}, metadata={})
        if kind in ("collected", "test"):
            # The listing and each finished result must be out before the next test runs:
            # it may kill the kernel (os._exit, a segfault) and take queued messages along.
            try:
                self._stream.flush()
            except Exception:  # noqa: BLE001 - delivery is best effort
                pass


def learner_module(name, shell):
    """The learner's notebook as the module ``name``: the very module the cells ran in.

    IPython runs every cell in ``shell.user_module``, whose ``__dict__`` is the user
    namespace: the learner's functions look their globals up there. Registered under
    the challenge's module name, ``mock.patch("mod.open", create=True)``,
    ``monkeypatch.setattr(mod, ...)`` and ``mod.CONSTANT = ...`` in a test act on the
    learner's functions exactly as on a ``.py`` module's. What IPython itself put into
    that namespace (``In``, ``Out``, ``get_ipython``, ``exit``, its own ``open``...) is
    taken out first, so the module holds what a ``.py`` file with the same code would.
    """
    module = shell.user_module
    namespace = module.__dict__
    for key, value in list(shell.user_ns_hidden.items()):
        if key.startswith("__") or namespace.get(key, _MISSING) is not value:
            continue
        del namespace[key]
    for key in [k for k in namespace if _HISTORY.match(k)]:
        del namespace[key]
    sys.modules[name] = module
    return module


_MISSING = object()
# The history variables IPython sets after each cell: _, __, ___, _i, _ii, _iii, _iN, _N.
_HISTORY = re.compile(r"^(_{1,3}|_i{1,3}|_i\d+|_\d+)$")


def _static_tests(path, relpath):
    """(nodeid, name, points) of the tests in a file that failed to import, read from source."""
    try:
        with open(path, encoding="utf-8") as fh:
            return _static_tests_from_source(fh.read(), relpath)
    except OSError:
        return []


def _static_tests_from_source_files(files):
    return [t for rel, src in files.items() for t in _static_tests_from_source(src, rel)
            if os.path.basename(rel).startswith("test_") or rel.endswith("_test.py")]


def _static_tests_from_source(source, relpath):
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []

    def points_of(node):
        for dec in node.decorator_list:
            if (
                isinstance(dec, ast.Call)
                and isinstance(dec.func, ast.Attribute)
                and dec.func.attr == "points"
                and dec.args
                and isinstance(dec.args[0], ast.Constant)
                and isinstance(dec.args[0].value, (int, float))
            ):
                return float(dec.args[0].value)
        return 1.0

    out = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test"):
            out.append((f"{relpath}::{node.name}", node.name, points_of(node)))
        elif isinstance(node, ast.ClassDef):
            cls_points = points_of(node)
            for sub in node.body:
                if isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef)) and sub.name.startswith("test"):
                    pts = points_of(sub) if sub.decorator_list else cls_points
                    out.append((f"{relpath}::{node.name}::{sub.name}", f"{node.name}.{sub.name}", pts))
    return out


class _Recorder:
    """A pytest plugin that turns test outcomes into result events."""

    def __init__(self, channel, suite_dir, hidden_prefix, timeout_s, output_limit,
                 deadline=None, budget_s=None, min_share_s=0.2):
        self.channel = channel
        self.budget = _OutputBudget(output_limit)
        # The run's time budget: its end on the wall clock, its length (for messages).
        self.deadline = deadline
        self.budget_s = budget_s
        self.min_share_s = min_share_s
        self.timed_out = False  # a test ran out of time: the rest share what is left
        self.left_here = 0  # tests of this phase still to run, this one included
        self.left_later = []  # tests of each later phase, as read from source
        self.limits = {}
        self.suite_dir = suite_dir
        self.hidden_prefix = hidden_prefix
        self.timeout_s = timeout_s
        self.output_limit = output_limit
        self.compare = {}
        self.current = None
        self.reports = {}
        self.started = {}
        self.collected = []
        self.emitted = set()

    # -- collection --------------------------------------------------------------------
    def pytest_configure(self, config):
        config.addinivalue_line("markers", "points(n): the points this test is worth")

    def pytest_collectreport(self, report):
        if report.failed and report.nodeid.endswith(".py"):
            path = os.path.join(self.suite_dir, report.nodeid)
            message = _crash_message(report)
            for nodeid, name, points in _static_tests(path, report.nodeid):
                self.collected.append(
                    {"id": nodeid, "name": name, "hidden": self._hidden(nodeid),
                     "max_points": points, "_error": message}
                )
            if not _static_tests(path, report.nodeid):
                self.collected.append(
                    {"id": report.nodeid, "name": os.path.basename(report.nodeid),
                     "hidden": self._hidden(report.nodeid), "max_points": 1.0,
                     "_error": message}
                )

    def pytest_collection_finish(self, session):
        for item in session.items:
            self.collected.append(
                {"id": item.nodeid, "name": _display_name(item),
                 "hidden": self._hidden(item.nodeid), "max_points": _points(item)}
            )
        # Hidden sources leave the disk once imported; tracebacks read the cached lines.
        hidden_root = os.path.join(self.suite_dir, self.hidden_prefix)
        if os.path.isdir(hidden_root):
            for root, _dirs, files in os.walk(hidden_root):
                for fname in files:
                    full = os.path.join(root, fname)
                    try:
                        with open(full, encoding="utf-8") as fh:
                            lines = fh.readlines()
                        linecache.cache[full] = (sum(map(len, lines)), None, lines, full)
                    except OSError:
                        pass
            shutil.rmtree(hidden_root, ignore_errors=True)
        self.channel.emit(
            "collected",
            {"total": len(self.collected),
             "tests": [{k: v for k, v in t.items() if not k.startswith("_")} for t in self.collected]},
        )
        for t in self.collected:
            if "_error" in t:
                self._emit_result(
                    t["id"], t["name"], t["hidden"], "error", t["max_points"], 0,
                    message=t["_error"],
                )

    def _hidden(self, nodeid):
        return nodeid.startswith(self.hidden_prefix + "/")

    # -- running -----------------------------------------------------------------------
    def pytest_runtest_logstart(self, nodeid, location):
        self.budget.reset()
        self.limits[nodeid] = self.test_limit()
        self.current = nodeid
        self.started[nodeid] = time.perf_counter()

    def pytest_assertrepr_compare(self, config, op, left, right):
        if self.current is not None and op == "==":
            self.compare[self.current] = (left, right)
        return None

    def remaining(self):
        return None if self.deadline is None else self.deadline - time.time()

    def out_of_time(self):
        remaining = self.remaining()
        return remaining is not None and remaining < self.min_share_s

    def test_limit(self):
        """The time limit of the test starting now: the challenge's, capped by what is
        left of the run's budget; after a test ran out of time, an equal share of that
        for each test still to run (the engine's watchdog works it out alike)."""
        limit = self.timeout_s
        remaining = self.remaining()
        if remaining is None or not limit or limit <= 0:
            return limit
        if self.timed_out:
            left = max(self.left_here + sum(self.left_later), 1)
            limit = min(limit, max(remaining / left, self.min_share_s))
        return max(min(limit, remaining), self.min_share_s)

    def timeout_message(self, limit):
        if limit < self.timeout_s:
            return (
                f"Took longer than {limit:.2g} s and was stopped: its share of what was left "
                f"of the run's {self.budget_s:g} s budget after an earlier test ran out of time."
            )
        return f"Took longer than {self.timeout_s:g} s and was stopped."

    def not_run(self, item):
        """Report a test the run has no time left for, without running it."""
        budget = f" of {self.budget_s:g} s" if self.budget_s else ""
        self._emit_result(
            item.nodeid, _display_name(item), self._hidden(item.nodeid), "not_run",
            _points(item), 0,
            message=f"Not run: the run used up its time budget{budget} "
                    "(earlier code ran out of time).",
        )

    def _guarded(self, item, phase):
        budget = self.limits.get(item.nodeid, self.timeout_s)
        if budget and budget > 0 and threading.current_thread() is threading.main_thread():

            def on_alarm(signum, frame):
                raise TestTimeout(f"stopped after {budget:g} s ({phase})")

            previous = signal.signal(signal.SIGALRM, on_alarm)
            signal.setitimer(signal.ITIMER_REAL, budget)
            return previous
        return None

    def _unguard(self, previous):
        if previous is not None:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)

    def _wrap_phase(self, item, phase):
        previous = self._guarded(item, phase)
        try:
            yield
        finally:
            self._unguard(previous)

    def pytest_runtest_logreport(self, report):
        self.reports.setdefault(report.nodeid, []).append(report)

    def pytest_runtest_logfinish(self, nodeid, location):
        reports = self.reports.pop(nodeid, [])
        duration_ms = int((time.perf_counter() - self.started.get(nodeid, time.perf_counter())) * 1000)
        info = next((t for t in self.collected if t["id"] == nodeid), None)
        name = info["name"] if info else nodeid.rsplit("::", 1)[-1]
        hidden = self._hidden(nodeid)
        max_points = info["max_points"] if info else 1.0
        status, message, failing = "passed", None, None
        for rep in reports:
            # pytest's own outcome: an xfail test that failed as expected is skipped
            # (no points: it checks nothing the learner's code must do), one that passed
            # is passed, or failed when the mark is strict.
            if rep.skipped:
                status, message = "skipped", _skip_reason(rep)
                break
            if rep.failed:
                failing = rep
                break
        output = None
        truncated = self.budget.dropped > 0
        if reports:
            last = reports[-1]
            parts = [s for s in (getattr(last, "capstdout", ""), getattr(last, "capstderr", "")) if s]
            if parts:
                output = "".join(parts)
                dropped = self.budget.dropped + max(len(output) - self.output_limit, 0)
                if dropped:
                    output = output[: self.output_limit] + _truncated_note(dropped)
                    truncated = True
        expected = actual = traceback = None
        if failing is not None:
            kind = getattr(failing, "_codequest_kind", None) or _kind_from_text(failing)
            if failing.when != "call" and kind == "failed":
                kind = "error"
            status = {"failed": "failed", "timeout": "timeout", "memory": "error", "error": "error"}[kind]
            message = _crash_message(failing)
            if kind == "timeout":
                self.timed_out = True
                message = self.timeout_message(self.limits.get(nodeid, self.timeout_s))
            elif kind == "memory":
                message = "Ran out of memory (MemoryError)."
            compared = self.compare.pop(nodeid, None)
            if compared is not None and kind == "failed":
                actual, expected = _safe_repr(compared[0]), _safe_repr(compared[1])
            elif nodeid in _unittest_compare:
                actual, expected = _unittest_compare.pop(nodeid)
            traceback = _cap(self._clean(str(failing.longrepr)), 8000) if failing.longrepr else None
        points = max_points if status == "passed" else 0
        self._emit_result(
            nodeid, name, hidden, status, max_points, points, duration_ms=duration_ms,
            message=message, expected=expected, actual=actual, output=output,
            traceback=traceback, output_truncated=truncated,
        )
        self.current = None

    def _clean(self, text):
        """Test paths as the author wrote them, without the private suite directory."""
        text = _ANSI.sub("", text)
        for prefix in (self.suite_dir + os.sep, os.path.relpath(self.suite_dir) + os.sep):
            text = text.replace(prefix, "")
        return text

    def _emit_result(self, nodeid, name, hidden, status, max_points, points, duration_ms=0,
                     message=None, expected=None, actual=None, output=None, traceback=None,
                     output_truncated=False):
        if nodeid in self.emitted:
            return
        self.emitted.add(nodeid)
        self.channel.emit(
            "test",
            {"id": nodeid, "name": name, "hidden": hidden, "status": status,
             "message": _cap(_ANSI.sub("", message), 2000) if message else None, "expected": expected, "actual": actual,
             "duration_ms": duration_ms, "points": points, "max_points": max_points,
             "output": output, "traceback": traceback, "output_truncated": output_truncated},
        )


def _make_phase_hooks(recorder):
    import pytest

    # Innermost (trylast): the alarm covers the test's own code, never pytest's capture
    # wrapped around it, which a timeout raised mid-way would leave broken (sys.stdout a
    # closed buffer for every later test).
    class _PhaseTimeouts:
        @pytest.hookimpl(hookwrapper=True, trylast=True)
        def pytest_runtest_setup(self, item):
            yield from recorder._wrap_phase(item, "setup")

        @pytest.hookimpl(hookwrapper=True, trylast=True)
        def pytest_runtest_call(self, item):
            _unittest_current[0] = item.nodeid
            try:
                yield from recorder._wrap_phase(item, "call")
            finally:
                _unittest_current[0] = None

        @pytest.hookimpl(hookwrapper=True)
        def pytest_runtest_makereport(self, item, call):
            outcome = yield
            report = outcome.get_result()
            if call.excinfo is not None and report.failed:
                # The report carries only text: keep what kind of exception ended the phase.
                report._codequest_kind = _exception_kind(call.excinfo.value)

    return _PhaseTimeouts()


def _make_phases(later, recorder):
    """A pytest plugin running the session's tests in phases, each collected only once
    the one before has run to the end.

    The first phase is what the session collected from its arguments; each callable in
    ``later`` writes the files of the next phase and returns the paths to collect. A test
    file that fails to import stops nothing (pytest would not run a session with
    collection errors): its tests are reported as errors, every other test runs.
    """
    import pytest

    def run(session):
        items = session.items
        for i, item in enumerate(items):
            recorder.left_here = len(items) - i
            if recorder.out_of_time():
                recorder.not_run(item)
                continue
            nextitem = items[i + 1] if i + 1 < len(items) else None
            item.config.hook.pytest_runtest_protocol(item=item, nextitem=nextitem)
            if session.shouldfail:
                raise session.Failed(session.shouldfail)
            if session.shouldstop:
                raise session.Interrupted(session.shouldstop)

    class _Phases:
        @pytest.hookimpl(tryfirst=True)
        def pytest_runtestloop(self, session):
            run(session)
            for write in later:
                if recorder.left_later:
                    recorder.left_later.pop(0)
                session.perform_collect(write())
                run(session)
            return True

    return _Phases()


_unittest_compare: dict = {}
_unittest_current: list = [None]


def _patch_unittest():
    """Record first/second of a failing assertEqual (convention: actual, expected)."""
    original = unittest.TestCase.assertEqual
    if getattr(original, "_codequest", False):
        return

    def assertEqual(self, first, second, msg=None):
        try:
            return original(self, first, second, msg)
        except self.failureException:
            if _unittest_current[0] is not None:
                _unittest_compare[_unittest_current[0]] = (_safe_repr(first), _safe_repr(second))
            raise

    assertEqual._codequest = True  # type: ignore[attr-defined]
    unittest.TestCase.assertEqual = assertEqual  # type: ignore[method-assign]
    unittest.TestCase.assertEquals = assertEqual


def _exception_kind(exc):
    if isinstance(exc, TestTimeout):
        return "timeout"
    if isinstance(exc, MemoryError):
        return "memory"
    if isinstance(exc, AssertionError):
        return "failed"
    # pytest.fail() and pytest.raises' "DID NOT RAISE" are failed checks, not crashes.
    import pytest

    if isinstance(exc, pytest.fail.Exception):
        return "failed"
    return "error"


def _crash_message(report):
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is not None and crash.message:
        # The headline only; the full explanation stays in the traceback.
        head = []
        for line in crash.message.strip().splitlines():
            if not line.strip() or "Use -v to get" in line:
                break
            head.append(line)
        return "\n".join(head) or crash.message.strip()
    text = str(report.longrepr or "")
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    errors = [ln[2:].strip() for ln in lines if ln.startswith("E ")]
    if errors:
        return "\n".join(errors[:6])
    return lines[-1] if lines else "failed"


def _kind_from_text(report):
    if str(report.longrepr).startswith("[XPASS(strict)]"):
        return "failed"
    message = _crash_message(report)
    if message.startswith(("AssertionError", "assert ")):
        return "failed"
    return "error"


def _skip_reason(report):
    if hasattr(report, "wasxfail"):
        reason = report.wasxfail
        return f"Expected to fail (xfail): {reason}" if reason else "Expected to fail (xfail)."
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2])
    return None


def _display_name(item):
    cls = getattr(item, "cls", None)
    if cls is not None:
        return f"{cls.__name__}.{item.name}"
    return item.name


def _points(item):
    marker = item.get_closest_marker("points")
    if marker is not None and marker.args:
        try:
            return float(marker.args[0])
        except (TypeError, ValueError):
            return 1.0
    return 1.0


def run_tests(payload):
    """Run the challenge's tests on the learner's namespace; report over the channel.

    ``payload`` keys: secret, module, files ({relpath: source}), hidden_prefix,
    timeout_s, output_limit, run_dir.
    """
    import IPython
    import pytest

    shell = IPython.get_ipython()
    channel = _Channel(payload["secret"])
    sys.dont_write_bytecode = True
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    os.environ["PY_COLORS"] = "0"
    for name in ("FORCE_COLOR", "CLICOLOR_FORCE"):
        os.environ.pop(name, None)
    learner_module(payload["module"], shell)

    hidden_prefix = payload.get("hidden_prefix", "hidden")
    public = {r: src for r, src in payload["files"].items() if r.split("/", 1)[0] != hidden_prefix}
    hidden = {r: src for r, src in payload["files"].items() if r.split("/", 1)[0] == hidden_prefix}
    suite_dir = tempfile.mkdtemp(prefix="suite-", dir=payload.get("run_dir") or None)
    with open(os.path.join(suite_dir, "pytest.ini"), "w") as fh:
        fh.write("[pytest]\npython_files = test_*.py *_test.py\n")
    recorder = _Recorder(
        channel, suite_dir, hidden_prefix,
        payload.get("timeout_s", 10), payload.get("output_limit", 65536),
        deadline=payload.get("deadline"), budget_s=payload.get("budget_s"),
        min_share_s=payload.get("min_share_s", 0.2),
    )
    # A test of an earlier kernel of this run timed out: the rest share what is left.
    recorder.timed_out = bool(payload.get("timed_out"))
    _patch_unittest()
    _install_capped_capture(recorder.budget)

    def write(files):
        # Test modules must not be taken from an earlier run or a learner file of that name.
        for rel in files:
            sys.modules.pop(os.path.splitext(os.path.basename(rel))[0], None)
        _write_files(suite_dir, files)
        return [os.path.join(suite_dir, t) for t in sorted({rel.split("/", 1)[0] for rel in files})]

    cwd = os.getcwd()
    started = time.perf_counter()
    # Public tests run first, before the hidden tests exist on disk or in memory: learner
    # code they call, and whatever it prints into their visible output, cannot reach the
    # hidden tests' source. The hidden tests are written and collected once the public
    # ones have finished, in the same pytest session (a second session would cost its
    # configuration and plugin set-up again).
    def write_later(files):
        def later():
            os.chdir(cwd)  # where the tests before may have left it
            return write(files)

        return later

    phases = [files for files in (public, hidden) if files]
    code = 0
    try:
        if phases:
            later = [write_later(files) for files in phases[1:]]
            args = write(phases[0]) + [
                "--rootdir", suite_dir, "-c", os.path.join(suite_dir, "pytest.ini"), *PYTEST_OPTIONS,
            ]
            for nodeid in payload.get("deselect", []):
                # Tests already reported by an earlier kernel of this run.
                args += ["--deselect", nodeid]
            recorder.left_later = [
                len(_static_tests_from_source_files(files)) for files in phases[1:]
            ]
            plugins = [recorder, _make_phase_hooks(recorder), _make_phases(later, recorder)]
            # pytest's own report is not wanted: results travel on the channel.
            with contextlib.redirect_stdout(io.StringIO()):
                code = int(pytest.main(args, plugins=plugins))
    except BaseException as exc:  # noqa: BLE001 - report, never hang the engine
        channel.emit("done", {"exit_code": -1, "error": f"{type(exc).__name__}: {exc}"})
        raise
    finally:
        os.chdir(cwd)
        shutil.rmtree(suite_dir, ignore_errors=True)
    channel.emit(
        "done",
        {"exit_code": code,
         "duration_ms": int((time.perf_counter() - started) * 1000)},
    )


def _write_files(root, files):
    for rel, source in files.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(source)


def prepare(workdir):
    """First request of a run: work in ``workdir`` and import from it."""
    os.chdir(workdir)
    if workdir not in sys.path:
        sys.path.insert(0, workdir)
    sys.dont_write_bytecode = True


def warm_up():
    """Import and initialise what a test run needs while the kernel waits in the pool.

    Besides the imports, one throwaway pytest session on a single passing test (in a
    temporary directory removed afterwards) sets up pytest's plugin and hook machinery,
    assertion rewriting and capture once, which takes about a third off the first real
    session. It runs no challenge or learner code.
    """
    import IPython  # noqa: F401
    import _pytest.assertion.rewrite  # noqa: F401
    import _pytest.capture  # noqa: F401
    import _pytest.python  # noqa: F401
    import _pytest.unittest  # noqa: F401
    import pytest

    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    scratch = tempfile.mkdtemp(prefix="codequest-warm-")
    modules = set(sys.modules)
    try:
        with open(os.path.join(scratch, "test_warm_up.py"), "w", encoding="utf-8") as fh:
            fh.write("def test_warm_up():\n    assert [1, 2] == [1, 2]\n")
        ini = os.path.join(scratch, "pytest.ini")
        with open(ini, "w", encoding="utf-8") as fh:
            fh.write("[pytest]\n")
        with contextlib.redirect_stdout(io.StringIO()):
            pytest.main([scratch, "--rootdir", scratch, "-c", ini, *PYTEST_OPTIONS])
    finally:
        for name in set(sys.modules) - modules:
            if name == "test_warm_up" or name.startswith("test_warm_up."):
                del sys.modules[name]
        shutil.rmtree(scratch, ignore_errors=True)
