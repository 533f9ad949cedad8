"""A real JupyterLab with CodeQuest, and a real Chromium driving it.

The server runs as its own process (``lab.py``: a loopback port, a temporary root
directory, database, settings and workspaces, a token, and a non-root base URL, so
every URL the extension builds is checked against one). Chromium is Debian's
(`/usr/bin/chromium`), driven by Python Playwright. What the tests do on the page
is in ``pages.py``.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from typing import Any

import pytest

from .lab import CHROMIUM, CHROMIUM_ARGS, Lab, labextension_installed, start_lab, stop_lab


# Module scope: Playwright's sync API drives its own event loop on this thread
# while it is open, which would trip the asyncio-based server tests run after.
@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (scripts/system-deps.sh)")
    if not labextension_installed():
        pytest.fail(
            "the codequest-jupyter labextension is not installed: "
            "pip install -e . (or jupyter labextension develop --overwrite .)"
        )
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
