"""The state of one press of **Run tests** or **Submit**.

Pure Python: no widgets, no I/O. A :class:`RunState` is fed the grading events (the
same ``collected`` / ``test`` / ``result`` events whether they come from the server's
event stream or from a local :class:`~codequest_jupyter.grading.Grader`) and answers
what a view needs: one row per test, the progress, the summary line and the error
banner, worded by :mod:`.wording`. Earlier submissions and hints are :mod:`.history`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from .wording import StatusLabel, error_title, format_points, status_label, summary_text

PENDING = "pending"
FINAL_STATUSES = frozenset({"passed", "failed", "error"})


# -- one test ---------------------------------------------------------------------


@dataclass
class TestRow:
    """A test as the panel shows it: announced (``pending``) or finished."""

    __test__ = False  # not a pytest test class, whatever its name

    id: str
    name: str
    hidden: bool = False
    status: str = PENDING
    message: str | None = None
    expected: str | None = None
    actual: str | None = None
    duration_ms: int | None = None
    points: float | None = None
    max_points: float | None = None
    output: str | None = None
    traceback: str | None = None
    output_truncated: bool = False

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TestRow:
        """A row from a TestResult JSON, or from a ``collected`` entry (then pending)."""
        return cls(
            id=str(data.get("id", "")),
            name=str(data.get("name") or data.get("id") or "test"),
            hidden=bool(data.get("hidden", False)),
            status=str(data.get("status", PENDING)),
            message=data.get("message"),
            expected=data.get("expected"),
            actual=data.get("actual"),
            duration_ms=data.get("duration_ms"),
            points=data.get("points"),
            max_points=data.get("max_points"),
            output=data.get("output"),
            traceback=data.get("traceback"),
            output_truncated=bool(data.get("output_truncated", False)),
        )

    @property
    def finished(self) -> bool:
        return self.status != PENDING

    @property
    def label(self) -> StatusLabel:
        return status_label(self.status)

    @property
    def has_details(self) -> bool:
        """Whether there is anything to expand (hidden tests usually have nothing)."""
        return any(
            v not in (None, "")
            for v in (
                self.message,
                self.expected,
                self.actual,
                self.output,
                self.traceback,
            )
        )

    @property
    def points_text(self) -> str:
        """``1/2 pts`` once finished, ``2 pts`` while pending."""
        if self.max_points is None:
            return ""
        if not self.finished or self.points is None:
            return f"{format_points(self.max_points)} pts"
        return f"{format_points(self.points)}/{format_points(self.max_points)} pts"


@dataclass(frozen=True)
class Banner:
    """Why the tests could not run (or not all of them): shown above the rows."""

    kind: str
    title: str
    message: str
    cell: int | None = None  # index into the notebook's cells (0-based), as in the result JSON
    traceback: str | None = None

    @property
    def where(self) -> str:
        return f"cell {self.cell + 1}" if self.cell is not None else ""


# -- one run ------------------------------------------------------------------------


@dataclass
class RunState:
    """One grading as it happens: fed events, read by the view.

    Thread-safe: the events arrive on a worker thread while the view may read from
    another, so every change and every read that spans several fields holds ``lock``.
    """

    mode: str
    phase: str = "submitting"  # submitting | queued | running | done | failed
    submission_id: str | None = None
    rows: list[TestRow] = field(default_factory=list)
    total: int | None = None
    result: dict[str, Any] | None = None
    failure: str | None = None
    #: The server's word on why the submission waits (no grading worker is running,
    #: say), while it waits; None once grading starts.
    waiting: str | None = None
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)

    # -- feeding ----------------------------------------------------------------

    def submitted(self, submission_id: str | None) -> None:
        with self.lock:
            self.submission_id = submission_id
            if self.phase == "submitting":
                self.phase = "queued"

    def apply(self, kind: str, data: dict[str, Any]) -> None:
        """Take one grading event: ``status``, ``collected``, ``test`` or ``result``.

        Unknown kinds are ignored, so a newer server can add events.
        """
        with self.lock:
            if kind == "status":
                status = data.get("status")
                if status in ("queued", "running") and self.phase not in (
                    "done",
                    "failed",
                ):
                    self.phase = status
                    message = data.get("message")
                    self.waiting = str(message) if status == "queued" and message else None
            elif kind == "collected":
                self._collected(data)
            elif kind == "test":
                self._test(data)
            elif kind == "result":
                self._result(data)

    def _collected(self, data: dict[str, Any]) -> None:
        known = {row.id: row for row in self.rows}
        tests = data.get("tests") or []
        # A result that arrived before its announcement (never expected) is kept.
        self.rows = [known.get(str(t.get("id"))) or TestRow.from_json(t) for t in tests]
        self.total = int(data.get("total", len(tests)))
        self.waiting = None
        if self.phase in ("submitting", "queued"):
            self.phase = "running"

    def _test(self, data: dict[str, Any]) -> None:
        row = TestRow.from_json(data)
        for i, existing in enumerate(self.rows):
            if existing.id == row.id:
                self.rows[i] = row
                break
        else:
            self.rows.append(row)
        self.waiting = None
        if self.phase in ("submitting", "queued"):
            self.phase = "running"

    def _result(self, data: dict[str, Any]) -> None:
        if data.get("status") not in FINAL_STATUSES:
            # A snapshot taken while grading (the polling fallback): rows only.
            for test in data.get("tests") or []:
                self._test(test)
            if data.get("status") == "running" and self.phase in (
                "submitting",
                "queued",
            ):
                self.phase = "running"
                self.waiting = None
            return
        self.waiting = None
        self.result = data
        self.submission_id = data.get("id") or self.submission_id
        tests = data.get("tests")
        if tests is not None:
            self.rows = [TestRow.from_json(t) for t in tests]
            self.total = len(tests)
        else:
            self.total = data.get("total", self.total)
        self.phase = "done"

    def fail(self, message: str) -> None:
        """The run could not be submitted or followed (not a grading error)."""
        with self.lock:
            self.failure = message
            self.waiting = None
            self.phase = "failed"

    # -- reading ----------------------------------------------------------------

    @property
    def is_active(self) -> bool:
        return self.phase not in ("done", "failed")

    @property
    def completed(self) -> int:
        with self.lock:
            return sum(1 for row in self.rows if row.finished)

    def progress(self) -> tuple[int, int]:
        """``(finished tests, tests)`` for a progress bar; ``(0, 0)`` until collected."""
        with self.lock:
            total = self.total if self.total is not None else 0
            return min(self.completed, total) if total else 0, total

    def progress_text(self) -> str:
        """``4 of 10 tests``, or what is happening before the tests are known."""
        with self.lock:
            if self.total is None:
                if self.phase == "queued" and self.waiting:
                    return self.waiting
                return {
                    "submitting": "Submitting…",
                    "queued": "Waiting for a grader…",
                    "running": "Running your notebook…",
                    "failed": "Not graded",
                }.get(self.phase, "")
            done, total = self.progress()
            noun = "test" if total == 1 else "tests"
            return f"{done} of {total} {noun}"

    def summary(self) -> str | None:
        """``3/4 passed · 6/8 points · 0.4 s`` once graded, else None."""
        with self.lock:
            return summary_text(self.result) if self.result is not None else None

    @property
    def status(self) -> str:
        """``passed``/``failed``/``error`` once graded; the phase before that."""
        with self.lock:
            if self.result is not None:
                return str(self.result.get("status"))
            return self.phase

    def banner(self) -> Banner | None:
        """The error that stopped the tests (or the run), if any."""
        with self.lock:
            if self.failure is not None:
                return Banner("connection", error_title("connection"), self.failure)
            error = (self.result or {}).get("error")
            if not error:
                return None
            kind = str(error.get("kind", "internal"))
            return Banner(
                kind=kind,
                title=error_title(kind),
                message=str(error.get("message", "")),
                cell=error.get("cell"),
                traceback=error.get("traceback"),
            )

    def cell_errors(self) -> list[dict[str, Any]]:
        """Cells of the learner's notebook that raised or timed out (grading went on
        regardless): warnings beside the verdict, not what decided it."""
        with self.lock:
            return list((self.result or {}).get("cell_errors") or [])

    def output_truncated(self) -> bool:
        """Whether some output of the graded run was cut at its limit."""
        with self.lock:
            return bool((self.result or {}).get("output_truncated", False))

    def snapshot(self) -> dict[str, Any]:
        """A plain-data copy of everything a view shows (for tests and logging)."""
        with self.lock:
            banner = self.banner()
            return {
                "mode": self.mode,
                "phase": self.phase,
                "status": self.status,
                "submission_id": self.submission_id,
                "progress": self.progress(),
                "progress_text": self.progress_text(),
                "waiting": self.waiting,
                "summary": self.summary(),
                "rows": [(r.name, r.status, r.hidden) for r in self.rows],
                "banner": None if banner is None else banner.title,
            }
