"""Which backend a panel gets: a CodeQuest server that has the challenge, else a
local grader with the challenge found on disk.

:func:`open_backend` looks for running servers (or the one given), asks the one that
serves the notebook for the challenge, and falls back to :class:`~.backends.LocalBackend`
when none has it (unless told not to).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..challenges import (
    Challenge,
    ChallengeCatalog,
    ChallengeError,
    bundled_challenges_dir,
    load_challenge,
)
from .backends import LocalBackend, PanelSetupError, ServerBackend
from .client import ApiError
from .discovery import (
    ChallengeUnknown,
    Connection,
    ServerInfo,
    connect,
    infer_challenge,
    kernel_id,
    notebook_path_hint,
    read_notebook_metadata,
    running_servers,
)

CHALLENGE_DIRS_ENV = "CODEQUEST_CHALLENGE_DIRS"


def challenge_dirs_from(value: Any, env: Mapping[str, str]) -> list[Path]:
    """Where local challenges are looked for: the argument, ``CODEQUEST_CHALLENGE_DIRS``
    (``os.pathsep``-separated), then the bundled challenges."""
    dirs: list[Path] = []
    if value:
        dirs.extend(
            Path(v).expanduser() for v in ([value] if isinstance(value, (str, Path)) else value)
        )
    dirs.extend(
        Path(v).expanduser() for v in env.get(CHALLENGE_DIRS_ENV, "").split(os.pathsep) if v
    )
    dirs.append(bundled_challenges_dir())
    return dirs


def local_challenge(challenge: str | None, notebook: Path | None, dirs: list[Path]) -> Challenge:
    """The challenge to grade against locally: a challenge directory given by path, the
    challenge directory the notebook sits in, or one found in ``dirs``."""
    try:
        if challenge is not None and (Path(challenge).expanduser() / "challenge.toml").is_file():
            return load_challenge(Path(challenge).expanduser())
        if notebook is not None and (notebook.parent / "challenge.toml").is_file():
            own = load_challenge(notebook.parent)
            if challenge is None or challenge == own.id:
                return own
    except ChallengeError as exc:
        raise PanelSetupError(f"The challenge cannot be used: {exc}") from None
    catalog = ChallengeCatalog([d for d in dirs if d.is_dir()])
    if challenge is None:
        listing = [{"id": c.id, "notebook": c.notebook} for c in catalog]
        try:
            challenge = infer_challenge(notebook, listing, read_notebook_metadata(notebook))
        except ChallengeUnknown as exc:
            raise PanelSetupError(str(exc)) from None
    if challenge not in catalog:
        where = ", ".join(str(d) for d in dirs)
        raise PanelSetupError(
            f"No challenge {challenge!r} here (looked in {where}), and no CodeQuest server "
            "was found to ask. Start JupyterLab with `codequest lab`, or pass "
            "challenge_dirs=[...] or the challenge's directory."
        )
    return catalog.get(challenge)


def open_backend(
    challenge: str | None = None,
    *,
    notebook: str | Path | None = None,
    server: str | None = None,
    token: str | None = None,
    local: bool | None = None,
    challenge_dirs: Any = None,
    runtime_dir: str | None = None,
    env: Mapping[str, str] | None = None,
    grading_settings: Any = None,
) -> ServerBackend | LocalBackend:
    """The backend for a panel; see :class:`~codequest_jupyter.widget.TestsPanel`.

    ``local=None`` (the default) uses a CodeQuest server when one is found and grades
    locally otherwise; ``True`` always grades locally; ``False`` requires a server.
    """
    env = os.environ if env is None else env
    nb_path = Path(notebook).expanduser().resolve() if notebook else notebook_path_hint(env=env)
    challenge = str(challenge) if challenge is not None else None
    is_dir = challenge is not None and (Path(challenge).expanduser() / "challenge.toml").is_file()
    if local is not True and not is_dir:
        if server:
            known = {s.url.rstrip("/"): s for s in running_servers(runtime_dir, env)}
            found = known.get(server.rstrip("/"))
            servers = [
                ServerInfo(
                    server,
                    token or (found.token if found else ""),
                    found.root_dir if found else None,
                    "given",
                )
            ]
        else:
            servers = running_servers(runtime_dir, env)
            if token:
                servers = [ServerInfo(s.url, token, s.root_dir, s.source) for s in servers]
        conn = connect(nb_path, servers, kid=kernel_id(), env=env)
        if conn is not None:
            backend = _server_backend(conn, challenge, nb_path, local)
            if backend is not None:
                return backend
        elif server or local is False:
            raise PanelSetupError(
                f"No CodeQuest server answered at {server}."
                if server
                else "No running CodeQuest server was found (start one with `codequest lab`)."
            )
    ch = local_challenge(challenge, nb_path, challenge_dirs_from(challenge_dirs, env))
    if nb_path is None and (Path.cwd() / ch.notebook).is_file():
        nb_path = (Path.cwd() / ch.notebook).resolve()
    return LocalBackend(ch, nb_path, settings=grading_settings)


def _server_backend(
    conn: Connection, challenge: str | None, nb_path: Path | None, local: bool | None
) -> ServerBackend | None:
    """A server backend, or None when the server lacks the challenge and local grading
    may be tried instead."""
    try:
        if challenge is None:
            listing = conn.client.challenges()
            where = conn.notebook_relpath or conn.notebook_path or nb_path
            challenge = infer_challenge(where, listing, read_notebook_metadata(conn.notebook_path))
        detail = conn.client.challenge(challenge)
    except ChallengeUnknown as exc:
        raise PanelSetupError(str(exc)) from None
    except ApiError as exc:
        if exc.status == 404 and local is None:
            return None
        raise PanelSetupError(f"The CodeQuest server at {conn.client.url}: {exc.message}") from None
    return ServerBackend(conn, challenge, detail)
