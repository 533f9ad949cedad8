"""Checking relative paths that come from outside: the one place for path rules.

Learner files, workspace paths, ``challenge.toml``'s ``notebook``/``files``/``locked``
and the server's ``workspace_dir`` all pass through :func:`safe_relpath`; learner
files also through :func:`check_learner_file`, which keeps them off the names that
hold a challenge's tests. A refused path is an :class:`~codequest_jupyter.errors.UnsafePath`
(an ``InvalidRequest``, so a 400 naming the path).
"""

from __future__ import annotations

from pathlib import PurePosixPath

from .errors import InvalidRequest, UnsafePath

__all__ = [
    "RESERVED_FILE_ROOTS",
    "UnsafePath",
    "check_learner_file",
    "check_notebook_path",
    "check_relpath",
    "safe_relpath",
]

#: Top-level names a learner's file may not take: they hold the challenge's tests.
RESERVED_FILE_ROOTS = frozenset({"tests", "hidden", "solution", "conftest.py", "challenge.toml"})


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


def check_relpath(value: object, what: str = "path") -> str:
    """:func:`safe_relpath` with ``what`` positional (the services' spelling)."""
    return safe_relpath(value, what=what)


def check_notebook_path(value: object, what: str = "path") -> str:
    """A safe relative path that names a notebook (``.ipynb``)."""
    path = safe_relpath(value, what=what)
    if not path.endswith(".ipynb"):
        raise InvalidRequest(f"{what} {path!r} is not a notebook (.ipynb)")
    return path


def check_learner_file(value: object, notebook: str) -> str:
    """A learner file's safe path that neither shadows the tests nor the notebook.

    ``notebook`` is the challenge's notebook path (graded from the notebook sent).
    """
    rel = safe_relpath(value, what="file path")
    if rel.split("/")[0] in RESERVED_FILE_ROOTS or rel == notebook:
        raise UnsafePath(f"file path {rel!r} is reserved by the challenge")
    return rel
