"""A real JupyterLab with CodeQuest, as its own process, for the browser tests.

The server runs on a loopback port, with a temporary root directory, database,
settings and workspaces, a token, and a non-root base URL (so every URL the
extension builds is checked against one). The fixtures that start it (and
Chromium) are in ``conftest.py``.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

from procs import stop_process

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
BASE_URL = "/cq/"
CHALLENGES = Path(__file__).resolve().parents[2] / "challenges"
TOKEN = "browser-test-token"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def labextension_installed() -> bool:
    out = subprocess.run(
        [sys.executable, "-m", "jupyter", "labextension", "list"],
        capture_output=True,
        text=True,
        check=False,
    )
    return "codequest-jupyter" in out.stdout + out.stderr


class Lab:
    """A running JupyterLab server."""

    def __init__(self, root: Path, port: int, process: subprocess.Popen, log: Path):
        self.root = root
        self.port = port
        self.process = process
        self.log = log
        self.url = f"http://127.0.0.1:{port}{BASE_URL}"

    def api(self, method: str, path: str, body: Any = None) -> Any:
        """Call the server (`path` is relative to the base URL) and return its JSON."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.url + path,
            data=data,
            method=method,
            headers={"Authorization": f"token {TOKEN}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            text = response.read().decode()
        return json.loads(text) if text else None

    def workspace(self, challenge: str) -> str:
        """Copy a challenge's starter into the workspace; its notebook's path."""
        return self.api("POST", f"codequest/api/challenges/{challenge}/workspace", {})["path"]

    def write_code(self, challenge: str, code: str) -> str:
        """Put `code` into the first code cell of the challenge's workspace notebook."""
        path = self.workspace(challenge)
        model = self.api("GET", f"api/contents/{path}?content=1")
        cells = model["content"]["cells"]
        first = next(c for c in cells if c["cell_type"] == "code")
        first["source"] = code
        self.api(
            "PUT",
            f"api/contents/{path}",
            {"type": "notebook", "format": "json", "content": model["content"]},
        )
        return path

    def read_code(self, path: str) -> list[str]:
        model = self.api("GET", f"api/contents/{path}?content=1")
        return [c["source"] for c in model["content"]["cells"] if c["cell_type"] == "code"]

    def lab_url(self) -> str:
        """A fresh, empty workspace of the Lab UI, logged in by token."""
        return f"{self.url}lab/workspaces/t{uuid.uuid4().hex[:8]}?reset&token={TOKEN}"


def start_lab(
    base: Path,
    *,
    codequest: bool = True,
    challenge_dirs: list[Path] | None = None,
    config: dict[str, Any] | None = None,
    extra_env: dict[str, str] | None = None,
) -> Lab:
    """Start JupyterLab on ``base``, serving the repository's challenges or
    ``challenge_dirs``; ``config``: more server config (merged per section),
    ``extra_env``: more environment variables."""
    root = base / "root"
    config_dir = base / "config"
    for folder in (root, config_dir / "labconfig", base / "settings", base / "workspaces"):
        folder.mkdir(parents=True, exist_ok=True)
    # No "would you like news?" pop-up over the page.
    (config_dir / "labconfig" / "page_config.json").write_text(
        json.dumps({"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}})
    )
    settings: dict[str, dict[str, Any]] = {
        "ServerApp": {"jpserver_extensions": {"codequest_jupyter": codequest}},
        "CodeQuestApp": {
            "db_url": f"sqlite:///{base / 'codequest.sqlite'}",
            "challenge_dirs": [str(d) for d in (challenge_dirs or [CHALLENGES])],
            "grader_pool_size": 1,
            "submissions_per_minute": 0,
        },
    }
    for section, values in (config or {}).items():
        settings[section] = {**settings.get(section, {}), **values}
    (config_dir / "jupyter_server_config.json").write_text(json.dumps(settings))
    port = _free_port()
    env = dict(os.environ, **(extra_env or {}), JUPYTER_CONFIG_DIR=str(config_dir))
    log = base / "lab.log"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyter",
            "lab",
            "--allow-root",
            "--no-browser",
            f"--port={port}",
            "--ip=127.0.0.1",
            f"--ServerApp.base_url={BASE_URL}",
            f"--IdentityProvider.token={TOKEN}",
            f"--ServerApp.root_dir={root}",
            f"--LabApp.user_settings_dir={base / 'settings'}",
            f"--LabApp.workspaces_dir={base / 'workspaces'}",
            "--ServerApp.allow_unauthenticated_access=False",
        ],
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        env=env,
        cwd=base,
    )
    lab = Lab(root, port, process, log)
    deadline = time.monotonic() + 90
    while True:
        try:
            lab.api("GET", "api/status")
            break
        except (urllib.error.URLError, ConnectionError, OSError):
            if process.poll() is not None or time.monotonic() > deadline:
                stop_lab(lab)
                raise RuntimeError(
                    f"JupyterLab did not start:\n{log.read_text()[-3000:]}"
                ) from None
            time.sleep(0.2)
    return lab


def stop_lab(lab: Lab) -> None:
    stop_process(lab.process, 15)
