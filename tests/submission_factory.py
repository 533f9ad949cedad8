"""Submissions for store tests: queued, graded and submitted at fixed times."""

from __future__ import annotations

import datetime as dt
from typing import Any

from codequest_jupyter.results import GradeResult, new_submission_id
from codequest_jupyter.results import (
    TestResult as Outcome,  # renamed: pytest would try to collect "Test*" classes
)
from codequest_jupyter.store import SubmissionStore

BASE_TIME = dt.datetime(2026, 11, 24, 14, 0, 0, tzinfo=dt.timezone.utc)
NOTEBOOK = {
    "nbformat": 4,
    "nbformat_minor": 5,
    "metadata": {},
    "cells": [{"cell_type": "code", "source": "def two_sum(a, t):\n    return []", "id": "c1",
               "metadata": {}, "outputs": [], "execution_count": None}],
}  # fmt: skip


def stamp(seconds: int) -> str:
    return (BASE_TIME + dt.timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


def queued(
    user: str = "alice", challenge: str = "two-sum", mode: str = "submit", at: int = 0
) -> GradeResult:
    return GradeResult(
        id=new_submission_id(),
        challenge=challenge,
        challenge_version="v1",
        user=user,
        mode=mode,  # type: ignore[arg-type]
        submitted_at=stamp(at),
    )


def graded(result: GradeResult, passed: int, total: int, *, hidden: int = 0) -> dict[str, Any]:
    """``result`` finished with ``passed`` of ``total`` tests passing."""
    result.tests = [
        Outcome(
            id=f"tests/test_it.py::test_{i}",
            name=f"test_{i}",
            hidden=i < hidden,
            status="passed" if i < passed else "failed",
            message=None if i < passed else "assert 7 == 5",
            expected=None if i < passed else "5",
            actual=None if i < passed else "7",
            duration_ms=3,
            points=1 if i < passed else 0,
            max_points=1,
        )
        for i in range(total)
    ]
    result.duration_ms = 400
    return result.finish().to_json()


def submit(
    store: SubmissionStore,
    passed: int,
    total: int,
    **kwargs: Any,
) -> str:
    """Create, run and finish one submission; return its id."""
    result = queued(**kwargs)
    sid = store.create_submission(result.to_json(), code={"notebook": NOTEBOOK, "files": {}})
    store.mark_running(sid)
    assert store.finish(sid, graded(result, passed, total))
    return sid
