"""Deadlines and attempts in words for the ipywidgets panel, the same as in JupyterLab.

Pure functions of a challenge's schedule (the ``opens``, ``due``, ``late``,
``late_penalty``, ``max_submissions`` and ``submissions_used`` of its
``GET challenges/{id}`` reply, or ``Schedule.to_json()`` when grading locally) and a
clock, so each rule is tested at a fixed time. The server enforces the rules
(:mod:`codequest_jupyter.deadlines`); these say them in advance: before ``opens``
nothing is accepted, not even Run tests; after ``due`` with ``late = "reject"``
Submit is refused and Run tests still works; so it is once ``max_submissions`` are
used. Times are shown in the kernel's local time zone, named.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

from .wording import format_points

SCHEDULE_KEYS = ("opens", "due", "late", "late_penalty", "max_submissions", "submissions_used")


def _time(value: Any) -> _dt.datetime | None:
    if not value:
        return None
    try:
        moment = _dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=_dt.timezone.utc)


def _now(now: _dt.datetime | None) -> _dt.datetime:
    return now if now is not None else _dt.datetime.now(_dt.timezone.utc)


def window_state(schedule: dict[str, Any], now: _dt.datetime | None = None) -> str:
    """``upcoming`` (before opens), ``open``, ``late`` (past due, late work taken) or
    ``closed`` (past due, late work refused); exactly at ``due`` is on time."""
    at = _now(now)
    opens, due = _time(schedule.get("opens")), _time(schedule.get("due"))
    if opens is not None and at < opens:
        return "upcoming"
    if due is None or at <= due:
        return "open"
    return "closed" if schedule.get("late") == "reject" else "late"


def format_time_left(seconds: float) -> str:
    """``2 h 13 min``, ``45 min``, ``3 days 4 h``, ``less than a minute`` (rounded down)."""
    minutes_total = int(max(0.0, seconds) // 60)
    if minutes_total < 1:
        return "less than a minute"
    days, rest = divmod(minutes_total, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        day_words = f"{days} day" if days == 1 else f"{days} days"
        return f"{day_words} {hours} h" if hours else day_words
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min"


def format_moment(moment: _dt.datetime, now: _dt.datetime | None = None) -> str:
    """``today 17:00 UTC``, ``tomorrow 17:00 UTC``, ``Mon 09:00 UTC``, ``15 Dec 23:59 UTC``
    in the kernel's local time zone."""
    local = moment.astimezone()
    today = _now(now).astimezone().date()
    days = (local.date() - today).days
    clock = f"{local:%H:%M}"
    zone = local.tzname() or ""
    if days == 0:
        words = f"today {clock}"
    elif days == 1:
        words = f"tomorrow {clock}"
    elif days == -1:
        words = f"yesterday {clock}"
    elif 1 < days < 7:
        words = f"{local:%a} {clock}"
    elif local.year == today.year:
        words = f"{local.day} {local:%b} {clock}"
    else:
        words = f"{local.day} {local:%b} {local.year} {clock}"
    return f"{words} {zone}".rstrip()


def late_policy_text(schedule: dict[str, Any]) -> str | None:
    """``late submissions lose 20%``, ``... are not accepted``, ``late: accepted and
    flagged``; None without a due time."""
    if not schedule.get("due"):
        return None
    if schedule.get("late") == "reject":
        return "late submissions are not accepted"
    penalty = schedule.get("late_penalty")
    if schedule.get("late") == "penalty" and penalty:
        return f"late submissions lose {_percent(penalty)}"
    return "late: accepted and flagged"


def _percent(fraction: float) -> str:
    return f"{round(float(fraction) * 100, 1):g}%"


def attempts_text(schedule: dict[str, Any]) -> str | None:
    """``3 of 10 submissions used``; None when submissions are unlimited or uncounted."""
    limit, used = schedule.get("max_submissions"), schedule.get("submissions_used")
    if not limit or used is None:
        return None
    return f"{min(int(used), int(limit))} of {limit} submissions used"


def used_up(schedule: dict[str, Any]) -> bool:
    limit, used = schedule.get("max_submissions"), schedule.get("submissions_used")
    return limit is not None and used is not None and int(used) >= int(limit) > 0


def facts(schedule: dict[str, Any], now: _dt.datetime | None = None) -> list[tuple[str, str]]:
    """The header's lines as ``(text, tone)``: when it opens, when it is due with the
    time left, the late policy, the submissions used. Empty without a schedule."""
    at = _now(now)
    state = window_state(schedule, at)
    opens, due = _time(schedule.get("opens")), _time(schedule.get("due"))
    lines: list[tuple[str, str]] = []
    if state == "upcoming" and opens is not None:
        left = format_time_left((opens - at).total_seconds())
        lines.append((f"Opens {format_moment(opens, at)} · in {left}", "idle"))
    if due is not None:
        moment = format_moment(due, at)
        if state == "closed":
            lines.append((f"Closed: was due {moment}", "fail"))
        elif state == "late":
            lines.append((f"Was due {moment}", "warn"))
        elif state == "open":
            left = format_time_left((due - at).total_seconds())
            lines.append((f"Due {moment} · {left} left", "idle"))
        else:
            lines.append((f"Due {moment}", "idle"))
    policy = late_policy_text(schedule)
    if policy:
        lines.append((policy[0].upper() + policy[1:], "idle"))
    attempts = attempts_text(schedule)
    if attempts:
        lines.append((attempts, "fail" if used_up(schedule) else "idle"))
    return lines


def blocked(schedule: dict[str, Any], mode: str, now: _dt.datetime | None = None) -> str | None:
    """Why the server would refuse a ``mode`` grading now, or None."""
    at = _now(now)
    state = window_state(schedule, at)
    opens = _time(schedule.get("opens"))
    if state == "upcoming" and opens is not None:
        return (
            f"This challenge opens {format_moment(opens, at)}; nothing can be run or "
            "submitted before then."
        )
    if mode != "submit":
        return None
    if state == "closed":
        return (
            "The due time has passed and late submissions are not accepted. Run tests still works."
        )
    if used_up(schedule):
        limit = int(schedule["max_submissions"])
        return (
            "Your 1 submission is used. Run tests still works."
            if limit == 1
            else f"All {limit} submissions are used. Run tests still works."
        )
    return None


def late_result_text(result: dict[str, Any]) -> str | None:
    """What lateness did to a result, or None when it was on time."""
    if not result.get("late"):
        return None
    penalty = result.get("penalty") or 0
    if penalty and result.get("raw_points") is not None:
        return (
            f"Submitted after the due time: {format_points(result['raw_points'])} points "
            f"earned, {format_points(result.get('points'))} counted after the "
            f"{_percent(penalty)} penalty."
        )
    return "Submitted after the due time; flagged for your instructor."


def seconds_to_next_change(schedule: dict[str, Any], now: _dt.datetime | None = None) -> float:
    """Seconds until the words change: the next whole minute, or opens/due if sooner."""
    at = _now(now)
    to_minute = 60 - (at.timestamp() % 60)
    edges = [
        (moment - at).total_seconds() + 0.001
        for moment in (_time(schedule.get("opens")), _time(schedule.get("due")))
        if moment is not None and moment >= at
    ]
    return max(0.05, min([to_minute, *edges]))
