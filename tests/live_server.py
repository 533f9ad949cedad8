"""A real Jupyter server with CodeQuest, as its own process, for black-box tests.

Each server gets its own config, data and runtime directories (never the machine's),
a root directory, a SQLite database, a token, a free loopback port and a non-root base
URL. ``command`` chooses what is launched: ``jupyter server`` by default, or e.g. the
``codequest lab`` command line under test.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from procs import descendants, stop_process

REPO = Path(__file__).resolve().parent.parent
TOKEN = "live-server-test-token"
BASE_URL = "/cq/"
RESTART_TOKEN = "restart-test-token"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LiveServer:
    process: subprocess.Popen
    port: int
    log: Path
    base: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{BASE_URL}"

    @property
    def api_url(self) -> str:
        return f"{self.url}codequest/api"

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """``(status, parsed JSON)`` of a call to ``path`` (relative to the base URL)."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.url + path,
            data=data,
            method=method,
            headers={"Authorization": f"token {TOKEN}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                status, text = response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            status, text = exc.code, exc.read().decode()
        return status, (json.loads(text) if text else None)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        stop_process(self.process, 20)


def start_server(
    base: Path,
    *,
    codequest: dict[str, Any] | None = None,
    command: list[str] | None = None,
    args: list[str] | None = None,
    timeout_s: float = 120.0,
) -> LiveServer:
    """Start a server under ``base`` and wait until its API answers.

    ``codequest`` is written as the ``CodeQuestApp`` section of the server's own
    config file (next to a SQLite database under ``base``); ``args`` are added to the
    command line.
    """
    root, config, data, runtime = (base / n for n in ("root", "config", "data", "runtime"))
    for folder in (root, config, data, runtime):
        folder.mkdir(parents=True, exist_ok=True)
    settings = {"db_url": f"sqlite:///{base / 'codequest.sqlite'}", **(codequest or {})}
    (config / "jupyter_server_config.json").write_text(
        json.dumps(
            {
                "ServerApp": {"jpserver_extensions": {"codequest_jupyter": True}},
                "CodeQuestApp": settings,
            }
        )
    )
    port = free_port()
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(config),
        "JUPYTER_DATA_DIR": str(data),
        "JUPYTER_RUNTIME_DIR": str(runtime),
    }
    argv = [
        *(command or [sys.executable, "-m", "jupyter", "server"]),
        "--no-browser",
        f"--port={port}",
        "--ip=127.0.0.1",
        f"--ServerApp.base_url={BASE_URL}",
        f"--IdentityProvider.token={TOKEN}",
        f"--ServerApp.root_dir={root}",
        "--ServerApp.allow_unauthenticated_access=False",
        *(args or []),
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0 and "--allow-root" not in argv:
        argv.append("--allow-root")
    log = base / "server.log"
    process = subprocess.Popen(
        argv, stdout=log.open("w"), stderr=subprocess.STDOUT, env=env, cwd=base
    )
    server = LiveServer(process, port, log, base)
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            status, _ = server.request("GET", "codequest/api/info")
            if status == 200:
                return server
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"the server did not start:\n{server.output()[-4000:]}")
        time.sleep(0.25)


class ServerProcess:
    """A ``jupyter server`` subprocess with the extension on, in its own session.

    ``home`` holds its ``config`` (written by the test), ``data``, ``runtime`` and
    ``root`` directories; it can be killed outright and started again on it.
    """

    def __init__(self, home: Path, port: int):
        self.home = home
        self.port = port
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = home / "server.log"

    def start(self) -> None:
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
            "JUPYTER_CONFIG_DIR": str(self.home / "config"),
            "JUPYTER_DATA_DIR": str(self.home / "data"),
            "JUPYTER_RUNTIME_DIR": str(self.home / "runtime"),
            "JUPYTER_PLATFORM_DIRS": "1",
        }
        cmd = [
            sys.executable,
            "-m",
            "jupyter_server",
            f"--port={self.port}",
            "--ip=127.0.0.1",
            "--ServerApp.port_retries=0",
            "--no-browser",
            "--allow-root",
            f"--ServerApp.root_dir={self.home / 'root'}",
            f"--IdentityProvider.token={RESTART_TOKEN}",
        ]
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                cmd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log.read_text()[-3000:]
            try:
                self.request("GET", "/api/status")
                return
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.2)
        raise AssertionError("the server did not start:\n" + self.log.read_text()[-3000:])

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        data = (
            json.dumps(body).encode() if body is not None else (b"" if method == "POST" else None)
        )
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}",
            data=data,
            method=method,
            headers={"Authorization": f"token {RESTART_TOKEN}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(req, timeout=30) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read() or b"null")

    def api(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        return self.request(method, f"/codequest/api/{path}", body)

    def kill(self) -> set[int]:
        """SIGKILL the server and everything in its session; returns the pids it had."""
        assert self.proc is not None
        family = descendants(self.proc.pid) | {self.proc.pid}
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)
        return family

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
