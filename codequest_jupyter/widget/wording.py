"""The words and numbers the Tests panel shows: points, durations, times, statuses,
the summary line and the titles of errors.

Pure Python, worded like the JupyterLab Tests panel so both read the same.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any

ERROR_TITLES = {
    "syntax": "Your notebook has a syntax error",
    "timeout": "Your code took too long",
    "memory": "Your code used too much memory",
    "kernel_died": "The Python process running your code stopped",
    "notebook": "The notebook could not be read",
    "internal": "The tests could not run",
    "connection": "The tests could not run",
}


def format_points(points: float | None) -> str:
    """``6`` for 6.0, ``2.5`` for 2.5, ``0.33`` for 1/3."""
    value = round(float(points or 0), 2)
    return f"{value:g}" if value != int(value) else str(int(value))


def format_duration(ms: float | None) -> str:
    """``0.4 s``, ``12 s``, ``2 min 5 s``: milliseconds would be noise for a learner."""
    value = max(0.0, float(ms or 0))
    if value < 10_000:
        return f"{round(value / 100) / 10:.1f} s"
    if value < 60_000:
        return f"{round(value / 1000)} s"
    minutes, rest = divmod(value, 60_000)
    return f"{int(minutes)} min {round(rest / 1000)} s"


def summary_text(result: dict[str, Any]) -> str:
    """``3/4 passed · 6/8 points · 0.4 s``."""
    return " · ".join(
        [
            f"{result.get('score', 0)}/{result.get('total', 0)} passed",
            f"{format_points(result.get('points'))}/{format_points(result.get('max_points'))} points",
            format_duration(result.get("duration_ms")),
        ]
    )


@dataclass(frozen=True)
class StatusLabel:
    glyph: str
    label: str
    tone: str  # pass | fail | warn | idle


def status_label(status: str) -> StatusLabel:
    """The glyph, the word and the colour family of a test status."""
    return {
        "passed": StatusLabel("✓", "passed", "pass"),
        "failed": StatusLabel("✗", "failed", "fail"),
        "error": StatusLabel("⚠", "error", "warn"),
        "timeout": StatusLabel("⚠", "timed out", "warn"),
        "skipped": StatusLabel("–", "skipped", "idle"),
        "not_run": StatusLabel("–", "not run", "idle"),
    }.get(status, StatusLabel("…", "running", "idle"))


def error_title(kind: str) -> str:
    """A heading for an error kind that stopped the tests."""
    return ERROR_TITLES.get(kind, "The tests could not run")


def format_when(iso: str | None, now: _dt.datetime | None = None) -> str:
    """When a submission was made, in local time: ``today 14:32``, ``yesterday 09:05``,
    ``24 Nov 14:32``, ``24 Nov 2025 14:32``; the input as it is when it is not a time."""
    if not iso:
        return ""
    try:
        when = _dt.datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return iso
    if when.tzinfo is None:
        when = when.replace(tzinfo=_dt.timezone.utc)
    when = when.astimezone()
    now = (now or _dt.datetime.now(_dt.timezone.utc)).astimezone()
    clock = when.strftime("%H:%M")
    if when.date() == now.date():
        return f"today {clock}"
    if when.date() == now.date() - _dt.timedelta(days=1):
        return f"yesterday {clock}"
    day = f"{when.day} {when.strftime('%b')}"
    if when.year == now.year:
        return f"{day} {clock}"
    return f"{day} {when.year} {clock}"
