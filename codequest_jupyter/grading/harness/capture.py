"""The harness's output cap: what a test may print into its captured output, and how
values and long texts are shortened for the result.

Runs inside the grading kernel as part of the harness (see the package docstring).
"""

from __future__ import annotations


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
