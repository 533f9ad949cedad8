"""The harness's pytest plugin: per-test time limits within the run's budget, and each
test's outcome turned into a result event on the channel.

Runs inside the grading kernel as part of the harness (see the package docstring).
"""

from __future__ import annotations

import contextlib
import linecache
import os
import signal
import threading
import time

if __name__ != "__codequest_harness__":  # on the host; in the kernel the files share one namespace
    from .capture import _cap, _OutputBudget, _safe_repr, _truncated_note
    from .collect import _display_name, _points, _static_tests
    from .verdicts import (
        _ANSI,
        TestTimeout,
        _crash_message,
        _exception_kind,
        _kind_from_text,
        _outcome,
        _unittest_compare,
        _unittest_current,
    )


class _Recorder:
    """A pytest plugin that turns test outcomes into result events."""

    def __init__(
        self,
        channel,
        suite_dir,
        hidden_prefix,
        timeout_s,
        output_limit,
        deadline=None,
        budget_s=None,
        min_share_s=0.2,
    ):
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
                    {
                        "id": nodeid,
                        "name": name,
                        "hidden": self._hidden(nodeid),
                        "max_points": points,
                        "_error": message,
                    }
                )
            if not _static_tests(path, report.nodeid):
                self.collected.append(
                    {
                        "id": report.nodeid,
                        "name": os.path.basename(report.nodeid),
                        "hidden": self._hidden(report.nodeid),
                        "max_points": 1.0,
                        "_error": message,
                    }
                )

    def pytest_collection_finish(self, session):
        for item in session.items:
            self.collected.append(
                {
                    "id": item.nodeid,
                    "name": _display_name(item),
                    "hidden": self._hidden(item.nodeid),
                    "max_points": _points(item),
                }
            )
        # Hidden sources leave the disk once imported; tracebacks read the cached lines.
        # The files beside them (hidden/data/...) stay for the hidden tests to open.
        hidden_root = os.path.join(self.suite_dir, self.hidden_prefix)
        if os.path.isdir(hidden_root):
            for root, _dirs, files in os.walk(hidden_root):
                for fname in files:
                    if not fname.endswith(".py"):
                        continue
                    full = os.path.join(root, fname)
                    try:
                        with open(full, encoding="utf-8") as fh:
                            lines = fh.readlines()
                        linecache.cache[full] = (sum(map(len, lines)), None, lines, full)
                    except OSError:
                        pass
                    with contextlib.suppress(OSError):
                        os.unlink(full)
        self.channel.emit(
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
                self._emit_result(
                    t["id"],
                    t["name"],
                    t["hidden"],
                    "error",
                    t["max_points"],
                    0,
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
            item.nodeid,
            _display_name(item),
            self._hidden(item.nodeid),
            "not_run",
            _points(item),
            0,
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
        duration_ms = int(
            (time.perf_counter() - self.started.get(nodeid, time.perf_counter())) * 1000
        )
        info = next((t for t in self.collected if t["id"] == nodeid), None)
        name = info["name"] if info else nodeid.rsplit("::", 1)[-1]
        hidden = self._hidden(nodeid)
        max_points = info["max_points"] if info else 1.0
        status, message, failing = _outcome(reports)
        output = None
        truncated = self.budget.dropped > 0
        if reports:
            last = reports[-1]
            parts = [
                s for s in (getattr(last, "capstdout", ""), getattr(last, "capstderr", "")) if s
            ]
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
            status = {
                "failed": "failed",
                "timeout": "timeout",
                "memory": "error",
                "error": "error",
            }[kind]
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
            nodeid,
            name,
            hidden,
            status,
            max_points,
            points,
            duration_ms=duration_ms,
            message=message,
            expected=expected,
            actual=actual,
            output=output,
            traceback=traceback,
            output_truncated=truncated,
        )
        self.current = None

    def _clean(self, text):
        """Test paths as the author wrote them, without the private suite directory."""
        text = _ANSI.sub("", text)
        for prefix in (self.suite_dir + os.sep, os.path.relpath(self.suite_dir) + os.sep):
            text = text.replace(prefix, "")
        return text

    def _emit_result(
        self,
        nodeid,
        name,
        hidden,
        status,
        max_points,
        points,
        duration_ms=0,
        message=None,
        expected=None,
        actual=None,
        output=None,
        traceback=None,
        output_truncated=False,
    ):
        if nodeid in self.emitted:
            return
        self.emitted.add(nodeid)
        self.channel.emit(
            "test",
            {
                "id": nodeid,
                "name": name,
                "hidden": hidden,
                "status": status,
                "message": _cap(_ANSI.sub("", message), 2000) if message else None,
                "expected": expected,
                "actual": actual,
                "duration_ms": duration_ms,
                "points": points,
                "max_points": max_points,
                "output": output,
                "traceback": traceback,
                "output_truncated": output_truncated,
            },
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
