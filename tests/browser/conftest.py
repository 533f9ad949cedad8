"""A real JupyterLab with CodeQuest, and a real Chromium driving it.

The server runs as its own process on a loopback port, with a temporary root
directory, database, settings and workspaces, a token, and a non-root base URL
(so every URL the extension builds is checked against one). Chromium is
Debian's (`/usr/bin/chromium`), driven by Python Playwright.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

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


def _labextension_installed() -> bool:
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
        self.api("PUT", f"api/contents/{path}", {"type": "notebook", "format": "json",
                                                  "content": model["content"]})
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
    config: dict[str, Any] | None = None,
    extra_env: dict[str, str] | None = None,
) -> Lab:
    """A JupyterLab server in ``base``; ``config``: more server config (merged per
    section), ``extra_env``: more environment variables."""
    root = base / "root"
    config_dir = base / "config"
    for folder in (root, config_dir / "labconfig", base / "settings", base / "workspaces"):
        folder.mkdir(parents=True, exist_ok=True)
    # No "would you like news?" pop-up over the page.
    (config_dir / "labconfig" / "page_config.json").write_text(json.dumps(
        {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}
    ))
    settings: dict[str, dict[str, Any]] = {
        "ServerApp": {"jpserver_extensions": {"codequest_jupyter": codequest}},
        "CodeQuestApp": {
            "db_url": f"sqlite:///{base / 'codequest.sqlite'}",
            "challenge_dirs": [str(CHALLENGES)],
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
            sys.executable, "-m", "jupyter", "lab", "--allow-root", "--no-browser",
            f"--port={port}", "--ip=127.0.0.1", f"--ServerApp.base_url={BASE_URL}",
            f"--IdentityProvider.token={TOKEN}", f"--ServerApp.root_dir={root}",
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
                raise RuntimeError(f"JupyterLab did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)
    return lab


def stop_lab(lab: Lab) -> None:
    stop_process(lab.process, 15)


# Module scope: Playwright's sync API drives its own event loop on this thread
# while it is open, which would trip the asyncio-based server tests run after.
@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (scripts/system-deps.sh)")
    if not _labextension_installed():
        pytest.fail("the codequest-jupyter labextension is not installed: "
                    "pip install -e . (or jupyter labextension develop --overwrite .)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    server = start_lab(tmp_path_factory.mktemp("lab"))
    yield server
    stop_lab(server)


# pytest-jupyter's autouse fixtures (active once any server test module loads
# the plugin) would set, run and close an asyncio loop around each test here,
# which clashes with the loop Playwright's sync API runs on this thread. These
# tests start their server in a process of its own and need none of that.
@pytest.fixture(autouse=True)
def jp_asyncio_loop() -> None:
    return None


@pytest.fixture(autouse=True)
def jp_server_cleanup() -> None:
    return None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture
def page(request: pytest.FixtureRequest, chromium: Any, lab: Lab) -> Iterator[Any]:
    context = chromium.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    # Requests still in flight, to tell a hung request from a UI that did not ask.
    pending: dict[Any, float] = {}
    page.on("request", lambda req: pending.__setitem__(req, time.monotonic()))
    page.on("requestfinished", lambda req: pending.pop(req, None))
    page.on("requestfailed", lambda req: pending.pop(req, None))
    page.codequest_pending = lambda: [
        f"{req.method} {req.url} ({time.monotonic() - at:.0f} s)" for req, at in pending.items()
    ]
    page.goto(lab.lab_url())
    page.wait_for_selector("#jp-main-dock-panel")
    yield page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        # What the learner would have seen, for whoever reads the failure.
        shot = lab.root.parent / f"{request.node.name}.png"
        page.screenshot(path=str(shot))
        print(f"screenshot: {shot}\nserver log: {lab.log}")
    context.close()
    # An uncaught error in the page is a bug even when the test saw what it wanted.
    ours = [e for e in errors if "codequest" in e.lower() or "not attached" in e.lower()]
    assert not ours, ours
