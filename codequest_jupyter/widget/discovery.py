"""Finding, from inside a kernel, the notebook, the CodeQuest server and the challenge.

* The notebook: VS Code puts its path in ``__vsc_ipynb_file__``; jupyter_server sets
  ``JPY_SESSION_NAME`` in the kernel's environment (ipykernel copies it to
  ``__session__``); the running server's ``api/sessions`` names the notebook of this
  very kernel, which stays right after a rename.
* The server: every running Jupyter server leaves a ``jpserver-*.json`` file with its
  URL, token and root directory (what ``list_running_servers`` reads);
  under JupyterHub, ``JUPYTERHUB_SERVICE_URL`` and ``JUPYTERHUB_API_TOKEN`` name the
  user's server and a token it accepts. A server counts when ``codequest/api/info``
  answers and the notebook is inside its root.
* The challenge: notebook metadata ``codequest.challenge``, else the workspace layout
  (``codequest/<id>/<notebook>``), else the one challenge whose notebook has this name.
"""

from __future__ import annotations

import json
import os
import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from .client import ApiError, CodeQuestClient


@dataclass(frozen=True)
class ServerInfo:
    """A running Jupyter server the kernel may talk to."""

    url: str
    token: str = ""
    root_dir: str | None = None
    source: str = "runtime file"  # runtime file | JupyterHub | given


@dataclass(frozen=True)
class Connection:
    """A CodeQuest server that can grade this notebook."""

    client: CodeQuestClient
    server: ServerInfo
    user: str
    #: The notebook's path relative to the server's root; None = the server grades the
    #: challenge's workspace copy.
    notebook_relpath: str | None
    #: The notebook's file on this machine, when known.
    notebook_path: Path | None


#: Set in every grading kernel by the engine (codequest_jupyter.grading.sandbox).
GRADING_KERNEL_ENV = "CODEQUEST_KERNEL"


def in_grading_kernel(env: Mapping[str, str] | None = None) -> bool:
    """Whether this code runs inside a CodeQuest grading kernel.

    The grader runs every cell of the learner's notebook, the panel's cell included:
    there the panel must do nothing (no discovery, no network, and above all no
    submission of its own).
    """
    return bool((os.environ if env is None else env).get(GRADING_KERNEL_ENV))


# -- the notebook -------------------------------------------------------------------


def kernel_id() -> str | None:
    """This kernel's id, from its connection file name (``kernel-<id>.json``)."""
    try:
        from ipykernel.connect import get_connection_file

        name = os.path.basename(get_connection_file())
    except Exception:  # noqa: BLE001 - not in a kernel, or a kernel that is not ipykernel
        return None
    match = re.fullmatch(r"kernel-(.+)\.json", name)
    return match.group(1) if match else None


def user_namespace() -> dict[str, Any]:
    """The running IPython's user namespace, or an empty dict outside IPython."""
    try:
        from IPython import get_ipython
    except ImportError:
        return {}
    shell = get_ipython()
    return dict(shell.user_ns) if shell is not None else {}


def notebook_path_hint(
    user_ns: Mapping[str, Any] | None = None, env: Mapping[str, str] | None = None
) -> Path | None:
    """The notebook this kernel belongs to, as an absolute path, when the frontend says."""
    ns = user_namespace() if user_ns is None else user_ns
    env = os.environ if env is None else env
    for value in (
        ns.get("__vsc_ipynb_file__"),
        env.get("JPY_SESSION_NAME"),
        ns.get("__session__"),
    ):
        if not isinstance(value, str) or not value.endswith(".ipynb"):
            continue
        path = Path(value)
        if path.is_absolute():
            if path.is_file():
                return path
            continue
        # A server-relative path; the kernel runs in the notebook's folder.
        for candidate in (Path.cwd() / path, Path.cwd() / path.name):
            if candidate.is_file():
                return candidate.resolve()
    return None


def read_notebook_metadata(path: Path | None) -> dict[str, Any]:
    """The saved notebook's top-level metadata (empty when it cannot be read)."""
    if path is None:
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    metadata = data.get("metadata") if isinstance(data, dict) else None
    return metadata if isinstance(metadata, dict) else {}


# -- servers ------------------------------------------------------------------------


def server_info_files(runtime_dir: str | None = None) -> list[dict[str, Any]]:
    """The ``jpserver-*.json`` files of running Jupyter servers.

    What ``jupyter_server.serverapp.list_running_servers`` reads, without importing
    the server (over 3 s in a kernel) and without deleting other servers' stale files.
    """
    if runtime_dir is None:
        from jupyter_core.paths import jupyter_runtime_dir

        runtime_dir = jupyter_runtime_dir()
    out = []
    for path in sorted(Path(runtime_dir).glob("jpserver-*.json")):
        try:
            info = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # being written, or unreadable
        if isinstance(info, dict) and _pid_alive(info.get("pid")):
            out.append(info)
    return out


def _pid_alive(pid: Any) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, another user's
    except OSError:
        return False
    return True


def hub_server_url(env: Mapping[str, str]) -> str | None:
    """This user's server URL under JupyterHub, as something a client can connect to.

    ``JUPYTERHUB_SERVICE_URL`` is the server's bind URL (``http://:8888/user/alice/``
    or ``http://0.0.0.0:8888/...``): an empty or wildcard host becomes loopback.
    """
    url = env.get("JUPYTERHUB_SERVICE_URL")
    if not url:
        return None
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if host in ("", "0.0.0.0", "::"):
        port = f":{parts.port}" if parts.port else ""
        parts = parts._replace(netloc=f"127.0.0.1{port}")
    path = parts.path or env.get("JUPYTERHUB_SERVICE_PREFIX", "/")
    return urllib.parse.urlunsplit(parts._replace(path=path if path.endswith("/") else path + "/"))


def running_servers(
    runtime_dir: str | None = None, env: Mapping[str, str] | None = None
) -> list[ServerInfo]:
    """Every running Jupyter server this kernel can find (duplicates removed)."""
    env = os.environ if env is None else env
    out: list[ServerInfo] = []
    for info in server_info_files(runtime_dir):
        url = info.get("url")
        if not url or str(url).startswith("http+unix"):
            continue  # unix-socket servers: urllib cannot reach them
        out.append(
            ServerInfo(
                url=str(url),
                token=info.get("token") or "",
                root_dir=info.get("root_dir"),
            )
        )
    hub_url = hub_server_url(env)
    token = env.get("JUPYTERHUB_API_TOKEN")
    if hub_url and token and not any(_same_url(hub_url, s.url) for s in out):
        out.append(ServerInfo(url=hub_url, token=token, source="JupyterHub"))
    return out


def _same_url(a: str, b: str) -> bool:
    def norm(url: str) -> str:
        return url.rstrip("/").replace("://localhost", "://127.0.0.1")

    return norm(a) == norm(b)


def relative_to_root(path: Path, root: str | None) -> str | None:
    """``path`` relative to ``root`` as a POSIX path, or None when it is outside."""
    if root is None:
        return None
    real, real_root = os.path.realpath(path), os.path.realpath(root)
    try:
        if os.path.commonpath([real, real_root]) != real_root:
            return None
    except ValueError:  # different drives
        return None
    rel = os.path.relpath(real, real_root)
    return None if rel == "." else PurePosixPath(*Path(rel).parts).as_posix()


def _tokens(server: ServerInfo, env: Mapping[str, str]) -> list[str]:
    tokens = [server.token] if server.token else []
    hub = env.get("JUPYTERHUB_API_TOKEN")
    if hub and hub not in tokens:
        tokens.append(hub)
    return tokens or [""]


def _session_path(client: CodeQuestClient, kid: str | None) -> str | None:
    if not kid:
        return None
    try:
        sessions = client.sessions()
    except ApiError:
        return None
    for session in sessions or []:
        if (session.get("kernel") or {}).get("id") == kid and session.get("path"):
            return str(session["path"])
    return None


def connect(
    notebook: Path | None,
    servers: list[ServerInfo],
    *,
    kid: str | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 3.0,
) -> Connection | None:
    """A server with CodeQuest to grade ``notebook`` with, or None.

    Servers whose root holds the notebook are tried first (the deepest root first).
    A server qualifies when its CodeQuest API answers with one of the tokens known
    for it. One that can see the notebook (this kernel is one of its sessions, or the
    notebook lies under its root) is preferred: it grades the saved file itself. Else
    the first server with CodeQuest is used, and the panel sends the saved notebook's
    content (``notebook_relpath`` None); with no notebook known at all, that server
    grades the challenge's workspace copy.
    """
    env = os.environ if env is None else env

    def order(server: ServerInfo) -> tuple[int, int]:
        inside = notebook is not None and relative_to_root(notebook, server.root_dir) is not None
        return (0 if inside else 1, -len(server.root_dir or ""))

    fallback: Connection | None = None
    for server in sorted(servers, key=order):
        for token in _tokens(server, env):
            client = CodeQuestClient(server.url, token, timeout=timeout)
            try:
                info = client.info()
            except ApiError as exc:
                if exc.status in (401, 403):
                    continue  # try the next token
                break  # no CodeQuest there (404), or nothing answers
            client.timeout = 10.0
            relpath = _session_path(client, kid)
            local = notebook
            if relpath is not None and server.root_dir:
                local = Path(server.root_dir, relpath)
            if relpath is None and notebook is not None:
                relpath = relative_to_root(notebook, server.root_dir)
            found = Connection(
                client=client,
                server=server,
                user=str(info.get("user", "")),
                notebook_relpath=relpath,
                notebook_path=local,
            )
            if relpath is not None or notebook is None:
                return found
            fallback = fallback or found
            break
    return fallback


# -- the challenge ------------------------------------------------------------------


class ChallengeUnknown(LookupError):
    """The challenge of a notebook could not be told; the message says what to do."""


def infer_challenge(
    notebook: str | Path | None,
    challenges: list[dict[str, Any]],
    metadata: Mapping[str, Any] | None = None,
) -> str:
    """The id of the challenge ``notebook`` belongs to.

    ``challenges`` are ``{"id", "notebook"}`` entries (the API's listing or the local
    catalog); ``notebook`` is the notebook's path (relative to the server root, or on
    disk). Raises :class:`ChallengeUnknown` when no rule decides.
    """
    ids = {str(c["id"]) for c in challenges}
    tagged = (metadata or {}).get("codequest")
    if isinstance(tagged, Mapping):
        cid = tagged.get("challenge") or tagged.get("id")
        if isinstance(cid, str) and (cid in ids or not ids):
            return cid
    if notebook is None:
        raise ChallengeUnknown(
            "Could not tell which challenge this notebook belongs to (its path is not "
            "known here). Name it: TestsPanel('two-sum')."
        )
    path = PurePosixPath(Path(notebook).as_posix())
    by_id = {str(c["id"]): c for c in challenges}
    folder = path.parent.name
    if folder in by_id:
        return folder  # the workspace layout: <workspace>/<id>/<notebook>
    named = sorted(str(c["id"]) for c in challenges if c.get("notebook") == path.name)
    if len(named) == 1:
        return named[0]
    if named:
        raise ChallengeUnknown(
            f"Several challenges use a notebook named {path.name!r} ({', '.join(named)}). "
            f"Name one: TestsPanel({named[0]!r})."
        )
    raise ChallengeUnknown(
        f"The notebook {path.as_posix()!r} does not belong to a known challenge. "
        "Name the challenge: TestsPanel('two-sum')."
    )
