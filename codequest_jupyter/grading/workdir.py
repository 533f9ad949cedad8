"""The learner's files, checked, and a kernel's work directory filled with them.

A submission's files arrive as ``{relative path: text}``; each attempt of a run writes
the challenge's starter files, the learner's over them (locked ones excepted) and the
notebook into its kernel's work directory.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from ..challenges import Challenge
from ..paths import UnsafePath, safe_relpath
from .notebook import SubmissionInvalid


def check_files(files: Any) -> dict[str, str]:
    """Learner files as ``{safe relative path: text}``, or ``SubmissionInvalid``."""
    if files is None:
        return {}
    if not isinstance(files, dict):
        raise SubmissionInvalid("'files' must be an object mapping paths to text")
    out: dict[str, str] = {}
    for path, text in files.items():
        try:
            rel = safe_relpath(path, what="file path")
        except UnsafePath as exc:
            raise SubmissionInvalid(str(exc)) from None
        if not isinstance(text, str):
            raise SubmissionInvalid(f"the content of {rel!r} must be text")
        out[rel] = text
    return out


def workdir_files(
    challenge: Challenge, notebook: dict[str, Any], files: dict[str, str]
) -> dict[str, bytes]:
    """What a kernel's work directory holds, relative path to content: the starter
    files, the learner's files over them (locked ones excepted), the notebook."""
    out = dict(challenge.starter_files())
    for rel, text in files.items():
        if challenge.is_locked(rel) or rel == challenge.notebook:
            continue
        out[rel] = text.encode("utf-8")
    out[challenge.notebook] = json.dumps(notebook).encode("utf-8")
    return out


def populate_workdir(
    workdir: Path, challenge: Challenge, notebook: dict[str, Any], files: dict[str, str]
) -> dict[str, bytes]:
    """The starter files, the learner's files over them (locked ones excepted), the
    notebook; returns what it wrote (:func:`workdir_files`)."""
    written = workdir_files(challenge, notebook, files)
    for rel, data in written.items():
        target = workdir / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return written


def code_cell(source: str, metadata: dict[str, Any]) -> dict[str, Any]:
    """A code cell the engine adds after the learner's (its id derived from its source)."""
    return {
        "cell_type": "code",
        "id": "codequest-" + hashlib.sha1(source.encode()).hexdigest()[:8],
        "metadata": metadata,
        "source": source,
        "outputs": [],
        "execution_count": None,
    }
