"""Values crossing the store's boundary: checks on what comes in, conversions out.

Result JSON fields become column values here (and back, for summaries); ids, names
and page bounds are checked; JSON is cleaned so that every backend stores it.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from typing import Any

#: The largest page ``list_submissions``/``list_all`` return, whatever is asked.
MAX_PAGE_SIZE = 1000
#: The longest user name or challenge id stored.
MAX_NAME = 255

_ID_RE = re.compile(r"[A-Za-z0-9_.-]{1,64}")


def valid_id(value: object) -> bool:
    return isinstance(value, str) and _ID_RE.fullmatch(value) is not None


def valid_name(value: object) -> bool:
    return (
        isinstance(value, str)
        and 0 < len(value) <= MAX_NAME
        and "\x00" not in value
        and value.isprintable()
    )


def require_id(value: object) -> str:
    if not valid_id(value):
        raise ValueError(f"submission id must be 1-64 letters, digits, '_', '.', '-': {value!r}")
    assert isinstance(value, str)
    return value


def require_name(value: object, what: str) -> str:
    if not valid_name(value):
        raise ValueError(f"{what} must be 1-{MAX_NAME} printable characters: {value!r}")
    assert isinstance(value, str)
    return value


def page_bounds(limit: object, offset: object) -> tuple[int, int]:
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        raise ValueError(f"limit must be a non-negative integer, not {limit!r}")
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise ValueError(f"offset must be a non-negative integer, not {offset!r}")
    return min(limit, MAX_PAGE_SIZE), offset


def _number(result: dict[str, Any], key: str, kind: type) -> Any:
    value = result.get(key, 0)
    if value is None:
        value = 0
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{key} must be a number, not {value!r}")
    return kind(value)


def result_figures(result: dict[str, Any]) -> dict[str, Any]:
    return {
        "score": _number(result, "score", int),
        "total": _number(result, "total", int),
        "points": _number(result, "points", float),
        "max_points": _number(result, "max_points", float),
        "duration_ms": _number(result, "duration_ms", int),
    }


def utc_now() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc)


def parse_time(value: object, what: str) -> _dt.datetime:
    if isinstance(value, _dt.datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            # fromisoformat before Python 3.11 does not read a "Z" suffix.
            parsed = _dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"{what} must be an ISO 8601 timestamp, not {value!r}") from None
    else:
        raise ValueError(f"{what} must be an ISO 8601 timestamp, not {value!r}")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=_dt.timezone.utc)
    return parsed.astimezone(_dt.timezone.utc)


def format_time(value: _dt.datetime | None) -> str | None:
    """``2026-11-24T14:32:05Z``, the result JSON's format (fractions only if present)."""
    if value is None:
        return None
    value = value.astimezone(_dt.timezone.utc)
    fraction = f".{value.microsecond:06d}" if value.microsecond else ""
    return value.strftime("%Y-%m-%dT%H:%M:%S") + fraction + "Z"


def summary_of(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "challenge": row.challenge,
        "challenge_version": row.challenge_version,
        "user": row.user,
        "mode": row.mode,
        "submitted_at": format_time(row.submitted_at),
        "status": row.status,
        "score": row.score,
        "total": row.total,
        "points": row.points,
        "max_points": row.max_points,
        "duration_ms": row.duration_ms,
        "error": row.error,
        "late": bool(getattr(row, "late", False)),
    }


def clean_json(value: Any) -> Any:
    """A copy of a JSON value that every backend stores and gives back unchanged.

    PostgreSQL's JSONB refuses NUL characters and unpaired surrogates, and JSON has
    no NaN or infinity; learner output can contain any of them. NUL becomes U+FFFD,
    a lone surrogate '?', a non-finite number null; on every backend alike.
    """
    if isinstance(value, str):
        if value.isascii():
            return value.replace("\x00", "\ufffd") if "\x00" in value else value
        value = value.encode("utf-8", "replace").decode("utf-8")
        return value.replace("\x00", "\ufffd")
    if isinstance(value, dict):
        return {str(clean_json(k)): clean_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean_json(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, (bool, int, float)):
        return value
    raise ValueError(f"not a JSON value: {type(value).__name__}")
