"""Checking relative paths that come from outside (learner files, workspace paths)."""

from __future__ import annotations

from pathlib import PurePosixPath


class UnsafePath(ValueError):
    """A path that is absolute, climbs out of its folder, or is otherwise unusable."""


def safe_relpath(path: object, *, what: str = "path") -> str:
    """``path`` as a normalised relative POSIX path, or ``UnsafePath``.

    Refuses absolute paths, ``..`` parts, backslashes, NUL and other control
    characters, drive letters, and empty names.
    """
    if not isinstance(path, str) or not path.strip():
        raise UnsafePath(f"{what} must be a non-empty string")
    if len(path) > 1024:
        raise UnsafePath(f"{what} is too long")
    if any(ord(ch) < 32 or ch == "\x7f" for ch in path):
        raise UnsafePath(f"{what} {path!r} contains control characters")
    if "\\" in path:
        raise UnsafePath(f"{what} {path!r} must use '/' separators")
    pure = PurePosixPath(path)
    if pure.is_absolute() or (pure.parts and ":" in pure.parts[0]):
        raise UnsafePath(f"{what} {path!r} must be relative")
    parts = [p for p in pure.parts if p not in ("", ".")]
    if not parts or any(p == ".." for p in parts):
        raise UnsafePath(f"{what} {path!r} must stay inside its folder")
    return "/".join(parts)
