"""Deadlines and attempts of a challenge: ``opens``, ``due``, ``late``, ``max_submissions``.

The policy is read from ``challenge.toml`` (:func:`parse_schedule`) and applied by the
server at submission time (:meth:`Schedule.admit`) and to a finished result
(:func:`apply_late`). Every time is timezone-aware: a TOML datetime without an offset
would mean "the server's local time", which differs between a laptop and a hub, so it
is refused. It imports nothing from the server.

Late policies
-------------
``"accept"``   late work is graded normally and flagged (``late: true``);
``"reject"``   after ``due`` the server refuses submissions (Run tests still works);
a number p     in ``[0, 1]``: late work is graded, flagged, and its points multiplied
               by ``1 - p`` (0.25 takes a quarter off; 1 leaves nothing).
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any

from .errors import SubmissionClosed, SubmissionLimitReached

LATE_WORDS = ("accept", "reject")


class ScheduleError(ValueError):
    """A bad deadline key of ``challenge.toml``: ``key`` and a message."""

    def __init__(self, key: str, message: str):
        super().__init__(message)
        self.key = key
        self.message = message


def _iso(value: _dt.datetime | None) -> str | None:
    if value is None:
        return None
    value = value.astimezone(_dt.timezone.utc)
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _moment(meta: dict[str, Any], key: str) -> _dt.datetime | None:
    value = meta.get(key)
    if value is None:
        return None
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ScheduleError(
                key,
                f"{value.isoformat()} has no timezone; write it with an offset, e.g. "
                f"{value.strftime('%Y-%m-%dT%H:%M:%S')}Z (UTC) or "
                f"{value.strftime('%Y-%m-%dT%H:%M:%S')}+01:00",
            )
        return value.astimezone(_dt.timezone.utc)
    if isinstance(value, _dt.date):
        raise ScheduleError(
            key,
            f"{value.isoformat()} is a date without a time; write e.g. "
            f"{value.isoformat()}T23:59:00Z",
        )
    raise ScheduleError(key, f"must be a TOML datetime with a timezone (got {value!r})")


@dataclass(frozen=True)
class Schedule:
    """When a challenge takes submissions, and how many."""

    opens: _dt.datetime | None = None
    due: _dt.datetime | None = None
    late: str = "accept"  # accept | reject | penalty
    penalty: float = 0.0  # the fraction of points taken off late work (late == "penalty")
    max_submissions: int | None = None

    def is_late(self, at: _dt.datetime) -> bool:
        return self.due is not None and at > self.due

    def penalty_at(self, at: _dt.datetime) -> float:
        """The fraction of points a submission made at ``at`` loses (0 when on time)."""
        return self.penalty if self.late == "penalty" and self.is_late(at) else 0.0

    def admit(self, at: _dt.datetime, mode: str) -> None:
        """Raise :class:`SubmissionClosed` when a ``mode`` submission at ``at`` is refused.

        Before ``opens`` nothing is accepted, not even Run tests; after ``due`` with the
        "reject" policy, Submit is refused while Run tests (ungraded) still works.
        """
        if self.opens is not None and at < self.opens:
            raise SubmissionClosed(
                f"This challenge opens at {_iso(self.opens)}; submissions are not "
                "accepted before then"
            )
        if mode == "submit" and self.late == "reject" and self.is_late(at):
            raise SubmissionClosed(
                f"This challenge was due at {_iso(self.due)}; late submissions are not "
                "accepted (Run tests still works)"
            )

    def check_count(self, used: int, mode: str) -> None:
        """Raise :class:`SubmissionLimitReached` when ``used`` submits use up the quota."""
        if mode == "submit" and self.max_submissions is not None and used >= self.max_submissions:
            raise SubmissionLimitReached(
                f"All {self.max_submissions} submissions of this challenge are used "
                "(Run tests still works)"
            )

    def to_json(self) -> dict[str, Any]:
        """The API's view: ISO times, the policy word and the penalty fraction."""
        return {
            "opens": _iso(self.opens),
            "due": _iso(self.due),
            "late": self.late,
            "late_penalty": self.penalty if self.late == "penalty" else None,
            "max_submissions": self.max_submissions,
        }


def parse_schedule(meta: dict[str, Any]) -> Schedule:
    """The schedule keys of a parsed ``challenge.toml``; :class:`ScheduleError` if bad."""
    opens = _moment(meta, "opens")
    due = _moment(meta, "due")
    if opens is not None and due is not None and due <= opens:
        raise ScheduleError("due", f"{_iso(due)} is not after opens ({_iso(opens)})")
    late_value = meta.get("late", "accept")
    penalty = 0.0
    if isinstance(late_value, str):
        if late_value not in LATE_WORDS:
            raise ScheduleError(
                "late", f'must be "accept", "reject" or a penalty from 0 to 1 (got {late_value!r})'
            )
        late = late_value
    elif isinstance(late_value, (int, float)) and not isinstance(late_value, bool):
        if not 0 <= late_value <= 1:
            raise ScheduleError(
                "late", f"a penalty is a fraction of the points from 0 to 1 (got {late_value})"
            )
        late, penalty = "penalty", float(late_value)
    else:
        raise ScheduleError(
            "late", f'must be "accept", "reject" or a penalty from 0 to 1 (got {late_value!r})'
        )
    if "late" in meta and due is None:
        raise ScheduleError("late", "needs a 'due' time to apply to")
    limit = meta.get("max_submissions")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise ScheduleError("max_submissions", f"must be a whole number >= 1 (got {limit!r})")
    return Schedule(opens=opens, due=due, late=late, penalty=penalty, max_submissions=limit)


def apply_late(result: dict[str, Any], late: bool, penalty: float) -> dict[str, Any]:
    """The result JSON with its lateness recorded and the penalty taken off its points.

    Adds ``late`` (bool) and ``penalty`` (the fraction taken off, 0 when none); with a
    penalty, ``points`` becomes ``raw_points * (1 - penalty)`` and ``raw_points`` keeps
    what the tests earned. Idempotent given the same raw result.
    """
    out = dict(result)
    out["late"] = bool(late)
    out["penalty"] = float(penalty) if late else 0.0
    if late and penalty:
        raw = float(out.get("raw_points", out.get("points") or 0.0))
        out["raw_points"] = raw
        out["points"] = round(raw * (1.0 - penalty), 6)
    return out
