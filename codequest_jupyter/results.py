"""The result of grading one submission: the result JSON of the design contract.

These dataclasses are the single source of that JSON. The CLI prints
``GradeResult.to_json()``, the store keeps it, the REST API serves it.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

# The vocabularies of the result JSON, defined here once: the OpenAPI document's enums
# are built from them, and a test compares them with the frontend's TypeScript unions.
SubmissionStatus = Literal["queued", "running", "passed", "failed", "error"]
TestStatus = Literal["passed", "failed", "error", "timeout", "skipped", "not_run"]
ErrorKind = Literal["syntax", "timeout", "memory", "kernel_died", "notebook", "internal"]
Mode = Literal["submit", "run"]

SUBMISSION_STATUSES: tuple[str, ...] = get_args(SubmissionStatus)
TEST_STATUS_WORDS: tuple[str, ...] = get_args(TestStatus)
ERROR_KINDS: tuple[str, ...] = get_args(ErrorKind)
MODE_WORDS: tuple[str, ...] = get_args(Mode)

FINAL_STATUSES: frozenset[str] = frozenset({"passed", "failed", "error"})
TEST_STATUSES: frozenset[str] = frozenset(TEST_STATUS_WORDS)
MODES: frozenset[str] = frozenset(MODE_WORDS)


def utc_now_iso() -> str:
    """The current UTC time as ``2026-11-24T14:32:05Z``."""
    now = _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0)
    return now.strftime("%Y-%m-%dT%H:%M:%SZ")


def new_submission_id() -> str:
    """A fresh, unguessable submission id."""
    return uuid.uuid4().hex


@dataclass
class TestResult:
    """The outcome of one test."""

    id: str
    name: str
    hidden: bool
    status: TestStatus
    message: str | None = None
    expected: str | None = None
    actual: str | None = None
    duration_ms: int = 0
    points: float = 0
    max_points: float = 1
    output: str | None = None
    # Extension of the contract: the short traceback of a failing public test.
    traceback: str | None = None
    # Extension: true when what the test printed was cut at the challenge's output_kb
    # (``output`` then ends with a line saying how much was left out).
    output_truncated: bool = False

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TestResult:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})

    def redacted(self) -> TestResult:
        """The learner's view of a hidden test: name, status, timing and points only."""
        return dataclasses.replace(
            self,
            message=None,
            expected=None,
            actual=None,
            output=None,
            traceback=None,
            output_truncated=False,
        )


def learner_test(test: dict[str, Any], show_hidden_details: bool) -> dict[str, Any]:
    """A test's JSON as a learner sees it: a hidden test's message, expected and actual
    values, output and traceback withheld unless the challenge shows them.

    The store keeps every detail (instructors see them); the serving layer applies
    this to each result and streamed test event it gives a learner. A timeout's or a
    not-run test's message is the grader's own words and reveals nothing: it stays.
    """
    if not test.get("hidden") or show_hidden_details:
        return test
    redacted = TestResult.from_json(test).redacted().to_json()
    if test.get("status") in ("timeout", "not_run"):
        redacted["message"] = test.get("message")
    return {**test, **redacted}


def learner_result(result: dict[str, Any], show_hidden_details: bool) -> dict[str, Any]:
    """A result JSON as a learner sees it (:func:`learner_test` of every test)."""
    tests = result.get("tests")
    if not tests or show_hidden_details:
        return result
    return {**result, "tests": [learner_test(t, False) for t in tests]}


CellErrorKind = Literal["exception", "timeout"]


@dataclass
class CellError:
    """A notebook cell that raised, or ran past its time limit and was interrupted,
    while the learner's notebook ran (the tests ran after it all the same)."""

    cell: int
    ename: str
    evalue: str
    traceback: str | None = None
    kind: CellErrorKind = "exception"

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CellError:
        """From stored JSON; entries stored before ``kind`` existed are exceptions."""
        kind = data.get("kind")
        return cls(
            cell=int(data.get("cell", 0)),
            ename=str(data.get("ename", "")),
            evalue=str(data.get("evalue", "")),
            traceback=data.get("traceback"),
            kind=kind if kind in ("exception", "timeout") else "exception",
        )


@dataclass
class GradeError:
    """Why the tests could not run at all, in words a learner understands."""

    kind: ErrorKind
    message: str
    cell: int | None = None
    traceback: str | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind, "message": self.message}
        if self.cell is not None:
            data["cell"] = self.cell
        if self.traceback is not None:
            data["traceback"] = self.traceback
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> GradeError | None:
        if not data:
            return None
        return cls(
            kind=data["kind"],
            message=data["message"],
            cell=data.get("cell"),
            traceback=data.get("traceback"),
        )


@dataclass
class GradeResult:
    """The result JSON of one submission."""

    id: str
    challenge: str
    challenge_version: str
    user: str
    mode: Mode
    submitted_at: str
    status: SubmissionStatus = "queued"
    score: int = 0
    total: int = 0
    points: float = 0.0
    max_points: float = 0.0
    duration_ms: int = 0
    tests: list[TestResult] = field(default_factory=list)
    error: GradeError | None = None
    # Extensions of the contract: cells of the learner's notebook that raised or timed
    # out (the tests ran anyway), and whether any output of the run was cut at its
    # limit (a test's captured output, or the notebook's).
    cell_errors: list[CellError] = field(default_factory=list)
    output_truncated: bool = False
    # Where the tests ran: "judge" (a process of their own, the default) or "kernel"
    # (inside the learner's kernel); None for a result graded before it was recorded,
    # or that never reached its tests.
    isolation: str | None = None

    def finish(self) -> GradeResult:
        """Compute score, totals and status from the tests and the error.

        ``passed`` when every test passed, ``failed`` when some did not, ``error`` only
        when the tests could not run at all (an ``error`` and no test that passed or
        failed). Cells that raised or timed out before the tests ran do not change it:
        they are in ``cell_errors``.
        """
        self.total = len(self.tests)
        self.score = sum(1 for t in self.tests if t.status == "passed")
        self.points = float(sum(t.points for t in self.tests))
        self.max_points = float(sum(t.max_points for t in self.tests))
        self.output_truncated = self.output_truncated or any(t.output_truncated for t in self.tests)
        if self.total and self.score == self.total:
            self.status = "passed"
        elif self.total == 0 and self.error is None:
            self.status = "passed"
        elif self.error is not None and not any(
            t.status in ("passed", "failed") for t in self.tests
        ):
            self.status = "error"
        else:
            self.status = "failed"
        return self

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "challenge": self.challenge,
            "challenge_version": self.challenge_version,
            "user": self.user,
            "mode": self.mode,
            "submitted_at": self.submitted_at,
            "status": self.status,
            "score": self.score,
            "total": self.total,
            "points": self.points,
            "max_points": self.max_points,
            "duration_ms": self.duration_ms,
            "tests": [t.to_json() for t in self.tests],
            "error": self.error.to_json() if self.error else None,
            "cell_errors": [c.to_json() for c in self.cell_errors],
            "output_truncated": self.output_truncated,
            "isolation": self.isolation,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> GradeResult:
        return cls(
            id=data["id"],
            challenge=data["challenge"],
            challenge_version=data.get("challenge_version", ""),
            user=data.get("user", ""),
            mode=data.get("mode", "submit"),
            submitted_at=data.get("submitted_at", ""),
            status=data.get("status", "queued"),
            score=data.get("score", 0),
            total=data.get("total", 0),
            points=data.get("points", 0.0),
            max_points=data.get("max_points", 0.0),
            duration_ms=data.get("duration_ms", 0),
            tests=[TestResult.from_json(t) for t in data.get("tests", [])],
            error=GradeError.from_json(data.get("error")),
            cell_errors=[CellError.from_json(c) for c in data.get("cell_errors") or []],
            output_truncated=bool(data.get("output_truncated", False)),
            isolation=data.get("isolation"),
        )


def error_result(
    base: dict[str, Any], kind: str, message: str, challenge_version: str | None = None
) -> dict[str, Any]:
    """A final ``error`` result for a stored submission that could not be graded
    (``base``: its stored result), graded by ``challenge_version`` when given."""
    result = GradeResult.from_json({**base, "tests": [], "cell_errors": []})
    if challenge_version is not None:
        result.challenge_version = challenge_version
    result.error = GradeError(kind=kind, message=message)  # type: ignore[arg-type]
    return result.finish().to_json()
