"""The gradebook: one row per learner and challenge, as CSV.

``codequest export`` and the instructors' ``GET gradebook.csv`` both print
:func:`gradebook_csv` of :func:`gradebook_rows`, so the two give the same bytes for
the same database. Only "submit" submissions count (Run tests is practice).

Columns (header fixed by the design contract):

``learner, challenge``
``best_points``      most points of a graded submission (late penalty applied); empty
                     when none was graded (every attempt ended in an error)
``last_points``      points of the newest finished submission
``max_points``       the maximum of the best submission (else of the newest)
``attempts``         finished submissions
``first_passed_at``  submission time of the first one that passed every test (UTC ISO)
``late``             ``true`` when the best points were first reached by a late
                     submission (after ``due``), else ``false``
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import groupby
from typing import Any

from .store.values import format_time

HEADER = (
    "learner",
    "challenge",
    "best_points",
    "last_points",
    "max_points",
    "attempts",
    "first_passed_at",
    "late",
)


@dataclass(frozen=True)
class GradebookRow:
    learner: str
    challenge: str
    best_points: float | None
    last_points: float
    max_points: float
    attempts: int
    first_passed_at: str | None
    late: bool

    def cells(self) -> list[str]:
        return [
            self.learner,
            self.challenge,
            _number(self.best_points),
            _number(self.last_points),
            _number(self.max_points),
            str(self.attempts),
            self.first_passed_at or "",
            "true" if self.late else "false",
        ]

    def to_json(self) -> dict[str, Any]:
        return {
            "learner": self.learner,
            "challenge": self.challenge,
            "best_points": self.best_points,
            "last_points": self.last_points,
            "max_points": self.max_points,
            "attempts": self.attempts,
            "first_passed_at": self.first_passed_at,
            "late": self.late,
        }


def _number(value: float | None) -> str:
    # Up to 6 significant digits: 3, 2.5, 2.4 (not 2.4000000000000004).
    return "" if value is None else f"{value:g}"


def rows_from_submits(submits: Iterable[dict[str, Any]]) -> list[GradebookRow]:
    """Gradebook rows from finished submits ordered by learner, challenge, time
    (``SubmissionStore.finished_submits``)."""
    out: list[GradebookRow] = []
    for (learner, challenge), group in groupby(submits, key=lambda s: (s["user"], s["challenge"])):
        items = list(group)
        graded = [s for s in items if s["status"] in ("passed", "failed")]
        last = items[-1]
        best = None
        if graded:
            best_points = max(s["points"] for s in graded)
            # The earliest submission that reached the best points decides lateness.
            best = next(s for s in graded if s["points"] == best_points)
        passed = next((s for s in items if s["status"] == "passed"), None)
        out.append(
            GradebookRow(
                learner=learner,
                challenge=challenge,
                best_points=best["points"] if best else None,
                last_points=last["points"],
                max_points=(best or last)["max_points"],
                attempts=len(items),
                first_passed_at=format_time(passed["submitted_at"]) if passed else None,
                late=bool(best and best["late"]),
            )
        )
    return out


def gradebook_rows(store: Any, challenges: Iterable[str] | None = None) -> list[GradebookRow]:
    """The gradebook of a (sync) ``SubmissionStore``, optionally for some challenges."""
    return rows_from_submits(store.finished_submits(list(challenges) if challenges else None))


def gradebook_csv(rows: Iterable[GradebookRow]) -> str:
    """The CSV text: the header, then one line per row, ``\\n`` line ends."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER)
    for row in rows:
        writer.writerow(row.cells())
    return buffer.getvalue()
