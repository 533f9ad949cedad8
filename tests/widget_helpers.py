"""Helpers of the Tests panel's tests: challenges and notebooks, a real grading fed
to a RunState, and a real ``jupyter server`` with the extension in a subprocess
(the ``grader`` and ``widget_server`` fixtures are in ``conftest.py``)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from challenge_factory import notebook
from live_server import free_port
from procs import stop_process

from codequest_jupyter.challenges import load_challenge
from codequest_jupyter.grading import Grader, GradingSettings
from codequest_jupyter.widget.client import CodeQuestClient
from codequest_jupyter.widget.model import (
    RunState,
)

XSS = "<img src=x onerror=alert(1)>"
ESCAPED = "&lt;img src=x onerror=alert(1)&gt;"
SOLUTION = notebook("def add(a, b):\n    return a + b\n")
# Right for the two small-number tests' sums of positives, wrong for negatives.
HALF_RIGHT = notebook("def add(a, b):\n    return abs(a) + abs(b)\n")
RLIMITS = GradingSettings(sandbox="rlimits")
SUMMARY = re.compile(r"^(\d+)/(\d+) passed · ([\d.]+)/([\d.]+) points · [\d.]+ s$")

XSS_TESTS = {
    "test_x.py": f"""
        import pytest
        from adder import add

        @pytest.mark.parametrize("label", [{XSS!r}])
        def test_named(label):
            print({XSS!r})
            assert add(1, 2) == label
    """
}
XSS_HINT = f'[[hints]]\ntext = "{XSS}"\nafter_attempts = 0\n'


def write_nb(path: Path, nb: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


async def graded_state(grader: Grader, challenge_dir: Path, nb: dict, mode: str):
    """Grade for real, feeding a RunState; returns (state, [(event kind, snapshot after
    it)], result)."""
    challenge = load_challenge(challenge_dir)
    state = RunState(mode=mode)
    state.submitted("s1")
    snapshots: list[tuple[str, dict[str, Any]]] = []

    def on_event(kind: str, data: dict[str, Any]) -> None:
        state.apply(kind, data)
        snapshots.append((kind, state.snapshot()))

    result = (await grader.grade(challenge, nb, mode=mode, on_event=on_event)).to_json()
    state.apply("result", result)
    snapshots.append(("result", state.snapshot()))
    return state, snapshots, result


class JupyterServer:
    """``jupyter server`` with CodeQuest in a subprocess, its runtime files in ``home``."""

    token = "widget-test-token"

    def __init__(self, home: Path, challenges: Path):
        self.home = home
        self.root = home / "root"
        self.runtime = home / "runtime"
        for d in (self.root, self.runtime, home / "config", home / "data"):
            d.mkdir(parents=True, exist_ok=True)
        (home / "config" / "jupyter_server_config.json").write_text(
            json.dumps(
                {
                    "ServerApp": {"jpserver_extensions": {"codequest_jupyter": True}},
                    "CodeQuestApp": {
                        "challenge_dirs": [str(challenges)],
                        "db_url": f"sqlite:///{home / 'codequest.sqlite'}",
                        "grader_pool_size": 0,
                        "sandbox": "rlimits",
                        "single_user_name": "alice",
                    },
                }
            )
        )
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log = home / "server.log"
        self.env = {
            **os.environ,
            "JUPYTER_CONFIG_DIR": str(home / "config"),
            "JUPYTER_DATA_DIR": str(home / "data"),
            "JUPYTER_RUNTIME_DIR": str(self.runtime),
        }
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "jupyter_server",
                    f"--port={self.port}",
                    "--ip=127.0.0.1",
                    "--ServerApp.port_retries=0",
                    "--no-browser",
                    "--allow-root",
                    f"--ServerApp.root_dir={self.root}",
                    f"--IdentityProvider.token={self.token}",
                ],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 60
        while True:
            assert self.proc.poll() is None, self.log.read_text()[-3000:]
            try:
                urllib.request.urlopen(self.url + "api/status", timeout=2).close()
            except urllib.error.HTTPError:
                break  # it answers (403 without a token)
            except OSError:
                assert time.monotonic() < deadline, self.log.read_text()[-3000:]
                time.sleep(0.2)
                continue
            break
        while not list(self.runtime.glob("jpserver-*.json")):
            assert time.monotonic() < deadline
            time.sleep(0.1)

    def client(self) -> CodeQuestClient:
        return CodeQuestClient(self.url, self.token)

    def stop(self) -> None:
        stop_process(self.proc, 30)


def open_workspace(server: JupyterServer, cid: str, nb: dict[str, Any]) -> tuple[str, Path]:
    reply = server.client().request("POST", f"challenges/{cid}/workspace", {})
    path = server.root / reply["path"]
    write_nb(path, nb)  # the learner edits and saves
    return reply["path"], path
