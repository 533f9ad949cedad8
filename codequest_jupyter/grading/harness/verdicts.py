"""The harness's verdicts: what kind of failure ended a test, and its one-line message.

Runs inside the grading kernel as part of the harness (see the package docstring).
"""

from __future__ import annotations

import re
import unittest

if __name__ != "__codequest_harness__":  # on the host; in the kernel the files share one namespace
    from .capture import _safe_repr

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class TestTimeout(BaseException):
    """Raised in a test that ran past its time limit.

    A BaseException, so ``except Exception`` in learner code does not swallow it.
    """


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


def _outcome(reports):
    """``(status, message, failing report)`` of a test from its phases' reports, as
    pytest decides it: an xfail test that failed as expected is skipped (no points: it
    checks nothing the learner's code must do), one that passed is passed, or failed
    when the mark is strict."""
    for rep in reports:
        if rep.skipped:
            return "skipped", _skip_reason(rep), None
        if rep.failed:
            return "passed", None, rep
    return "passed", None, None


def _skip_reason(report):
    if hasattr(report, "wasxfail"):
        reason = report.wasxfail
        return f"Expected to fail (xfail): {reason}" if reason else "Expected to fail (xfail)."
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2])
    return None
