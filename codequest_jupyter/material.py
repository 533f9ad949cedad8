"""The public material of a challenge, sent by the service to a learner's server.

A learner's server in remote mode has no challenge library. To open a challenge into
the learner's workspace, grade-free, it needs what the learner may see anyway: the
starter notebook, the starter files and the public tests. :func:`material_json` is
what the service sends (never a hidden test, a solution, a hint or ``challenge.toml``);
:func:`challenge_from_material` rebuilds a :class:`Challenge` from it in a private
cache folder, so the workspace code of personal mode works unchanged.

No server imports: both halves are plain data and files.
"""

from __future__ import annotations

import base64
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from .challenges import ISOLATIONS, Challenge, Limits
from .errors import InvalidRequest
from .paths import UnsafePath, safe_relpath


def material_json(challenge: Challenge) -> dict[str, Any]:
    """``{"challenge": metadata, "files": {relpath: base64}}``: the public material."""
    files: dict[str, bytes] = {challenge.notebook: challenge.notebook_path.read_bytes()}
    files.update(challenge.starter_files())
    for rel in challenge.public_tests:
        files[rel] = (challenge.path / rel).read_bytes()
    public_data = challenge.test_data_files("run")  # the files beside the public tests
    files.update(public_data)
    return {
        "challenge": {
            **challenge.summary_json(),
            "module": challenge.module,
            "files": list(challenge.files),
            "locked": list(challenge.locked),
            "limits": challenge.limits.to_json(),
            "description": challenge.description,
            "show_hidden_details": challenge.show_hidden_details,
            "public_tests": list(challenge.public_tests),
            "public_test_data": sorted(public_data),
            "isolation": challenge.isolation,
        },
        "files": {rel: base64.b64encode(data).decode("ascii") for rel, data in files.items()},
    }


def _relpath(value: Any, what: str) -> str:
    try:
        return safe_relpath(value, what=what)
    except UnsafePath as exc:
        raise InvalidRequest(f"the service sent {exc}") from None


def challenge_from_material(data: Any, cache_root: Path) -> Challenge:
    """A :class:`Challenge` with the public material written under ``cache_root``.

    One folder per challenge version (``<id>-<version>``), written to a temporary
    folder first and renamed, so a half-written copy is never used. The result has no
    hidden tests, no solution and no hints: those stay with the service.
    """
    try:
        meta = data["challenge"]
        files = data["files"]
        cid, version = str(meta["id"]), str(meta["version"])
    except (TypeError, KeyError) as exc:
        raise InvalidRequest(f"the service sent incomplete challenge material ({exc})") from None
    _relpath(cid, "challenge id")
    folder = cache_root / f"{cid}-{version[:16]}"
    if not folder.is_dir():
        cache_root.mkdir(parents=True, exist_ok=True, mode=0o700)
        staging = Path(tempfile.mkdtemp(prefix=f".{cid}-", dir=cache_root))
        try:
            for rel, encoded in files.items():
                target = staging / _relpath(rel, "material path")
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(base64.b64decode(encoded))
            try:
                os.rename(staging, folder)
            except OSError:
                if not folder.is_dir():  # not another request's copy, a real failure
                    raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    known = Limits.__dataclass_fields__
    limits = {k: v for k, v in (meta.get("limits") or {}).items() if k in known}
    return Challenge(
        id=cid,
        path=folder,
        title=str(meta.get("title", cid)),
        difficulty=str(meta.get("difficulty", "easy")),
        estimated_minutes=meta.get("estimated_minutes"),
        tags=tuple(meta.get("tags") or ()),
        notebook=_relpath(meta["notebook"], "notebook"),
        module=str(meta.get("module", "")),
        files=tuple(_relpath(f, "file") for f in meta.get("files") or ()),
        locked=tuple(_relpath(f, "locked file") for f in meta.get("locked") or ()),
        limits=Limits(**limits),
        hints=(),
        description=str(meta.get("description", "")),
        show_hidden_details=bool(meta.get("show_hidden_details", False)),
        version=version,
        public_tests=tuple(_relpath(f, "test") for f in meta.get("public_tests") or ()),
        hidden_tests=(),
        test_data=tuple(_relpath(f, "test data") for f in meta.get("public_test_data") or ()),
        solution=(),
        # "Run tests" in a hub's workspace grades where the hub's Submit does.
        isolation=meta.get("isolation") if meta.get("isolation") in ISOLATIONS else "judge",
    )
