"""What the instructors' dashboard shows: the class matrix and per-challenge statistics.

Pure functions over what the store returns (no tornado, no database here):

* :func:`class_matrix`: learner x challenge cells (best points, attempts, last
  activity, passed, late) from the finished Submit submissions, the gradebook's input;
* :func:`challenge_stats`: one challenge's score distribution (each learner's best),
  per-test failure rates, the most common failure messages, and submissions per day.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from itertools import groupby
from typing import Any

from .gradebook import rows_from_submits
from .store.values import format_time

#: How many of the most common failure messages a test's statistics list.
TOP_MESSAGES = 5
#: Longest failure message kept (the first line, shortened).
MESSAGE_CHARS = 200


def class_matrix(submits: list[dict[str, Any]]) -> dict[str, Any]:
    """``{"learners", "challenges", "cells"}`` from ``finished_submits()`` rows."""
    last_at: dict[tuple[str, str], Any] = {}
    for key, group in groupby(submits, key=lambda s: (s["user"], s["challenge"])):
        last_at[key] = max(s["submitted_at"] for s in group)
    cells = [
        {
            **row.to_json(),
            "passed": row.first_passed_at is not None,
            "last_submitted_at": format_time(last_at[(row.learner, row.challenge)]),
        }
        for row in rows_from_submits(submits)
    ]
    return {
        "learners": sorted({c["learner"] for c in cells}),
        "challenges": sorted({c["challenge"] for c in cells}),
        "cells": cells,
    }


def _first_line(message: Any) -> str:
    text = str(message or "").strip().splitlines()
    line = text[0] if text else ""
    return line if len(line) <= MESSAGE_CHARS else line[: MESSAGE_CHARS - 1] + "…"


def challenge_stats(
    challenge: str, results: Iterable[dict[str, Any]], bins: int = 10
) -> dict[str, Any]:
    """Statistics of one challenge from its finished Submit results (result JSON)."""
    results = list(results)
    best: dict[str, float] = {}
    max_points = 0.0
    per_day: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    runs: dict[str, int] = defaultdict(int)
    fails: dict[str, int] = defaultdict(int)
    names: dict[str, dict[str, Any]] = {}
    messages: dict[str, Counter[str]] = defaultdict(Counter)
    for r in results:
        statuses[r.get("status", "")] += 1
        per_day[str(r.get("submitted_at", ""))[:10]] += 1
        if r.get("status") in ("passed", "failed"):
            user = r.get("user", "")
            best[user] = max(best.get(user, 0.0), float(r.get("points") or 0.0))
            max_points = max(max_points, float(r.get("max_points") or 0.0))
        for t in r.get("tests") or []:
            tid = t.get("id", "")
            names.setdefault(tid, {"name": t.get("name", tid), "hidden": bool(t.get("hidden"))})
            runs[tid] += 1
            if t.get("status") not in ("passed", "skipped"):
                fails[tid] += 1
                line = _first_line(t.get("message")) or t.get("status", "")
                messages[tid][line] += 1
    width = max_points / bins if max_points else 1.0
    histogram = [0] * bins
    for points in best.values():
        index = min(bins - 1, int(points / width)) if max_points else 0
        histogram[index] += 1
    return {
        "challenge": challenge,
        "submissions": len(results),
        "learners": len(best),
        "statuses": dict(sorted(statuses.items())),
        "max_points": max_points,
        "score_distribution": [
            {"from": round(i * width, 6), "to": round((i + 1) * width, 6), "learners": n}
            for i, n in enumerate(histogram)
        ],
        "tests": [
            {
                "id": tid,
                **names[tid],
                "runs": runs[tid],
                "failures": fails[tid],
                "failure_rate": fails[tid] / runs[tid] if runs[tid] else 0.0,
                "common_failures": [
                    {"message": m, "count": n} for m, n in messages[tid].most_common(TOP_MESSAGES)
                ],
            }
            for tid in names
        ],
        "submissions_per_day": [{"day": d, "count": n} for d, n in sorted(per_day.items())],
    }
