"""JupyterLab through the hub in a real Chromium: a learner's whole journey.

The learner signs in at the hub's log-in form, lands in their own JupyterLab (a
single-user server in remote mode, spawned by the hub as that system user), opens a
challenge from the CodeQuest browser, presses Run tests and watches the rows stream
in through the hub's proxy (the service grades, the learner's server relays the
event stream), then writes the right answer and presses Submit: the verdict and the
history entry come from the service.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hubcase import API, SLOW, restart_with_revoked_token
from hubenv import HubEnv, run

pytestmark = [pytest.mark.hub, pytest.mark.browser]

CHROMIUM = "/usr/bin/chromium"
PANEL = ".jp-codequest-panel"
VISIBLE_NOTEBOOK = ".jp-NotebookPanel:not(.lm-mod-hidden)"
PASSWORD = "codequest-test"  # the test hub's DummyAuthenticator


# Playwright's sync API runs its own event loop on this thread: pytest-jupyter's
# autouse loop fixtures (active once a server test module loaded the plugin) must not.
@pytest.fixture(autouse=True)
def jp_asyncio_loop() -> None:
    return None


@pytest.fixture(autouse=True)
def jp_server_cleanup() -> None:
    return None


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    from browser.conftest import CHROMIUM_ARGS  # tests/ is on sys.path (hubenv)

    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (scripts/system-deps.sh)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def browser_learner(hub: HubEnv) -> str:
    """The third learner, with JupyterLab's news pop-up turned off in their own config."""
    return prepare_lab_learner(hub, hub.learners[2])


def prepare_lab_learner(hub: HubEnv, name: str) -> str:
    """Turn JupyterLab's news pop-up off in ``name``'s own config; start their server."""
    labconfig = Path(os.path.expanduser(f"~{name}")) / ".jupyter" / "labconfig"
    labconfig.mkdir(parents=True, exist_ok=True)
    (labconfig / "page_config.json").write_text(json.dumps(
        {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}
    ))  # fmt: skip
    run("chown", "-R", f"{name}:{name}", str(labconfig.parent))
    hub.start_server(name)  # JupyterHub 5+ asks before spawning from a /user/ URL
    return name


def sign_in(page: Any, hub: HubEnv, name: str) -> None:
    """The hub's log-in form, then on to the learner's running JupyterLab."""
    lab = f"/user/{name}/lab"
    page.goto(hub.url + "hub/login?next=" + urllib.parse.quote(lab))
    page.fill("#username_input", name)
    page.fill("#password_input", PASSWORD)
    page.click("#login_submit")
    page.wait_for_url(f"**{lab}**", timeout=240000)
    page.wait_for_selector("#jp-main-dock-panel", timeout=120000)


def rows(page: Any) -> dict[str, str]:
    """Each test row's status as the panel says it (its aria-label)."""
    return page.evaluate(
        """(panel) => Object.fromEntries([...document.querySelectorAll(
             panel + ' [data-test-id]')].map(r => [r.dataset.testId.split('::').pop(),
             r.querySelector('.jp-codequest-status').getAttribute('aria-label')]))""",
        PANEL,
    )


def test_a_learner_signs_in_and_grades_in_jupyterlab_through_the_hub(
    hub: HubEnv, chromium: Any, browser_learner: str
) -> None:
    grade_in_lab(hub, chromium, browser_learner)


def grade_in_lab(hub: HubEnv, chromium: Any, name: str) -> None:
    """The journey of the module docstring, asserted step by step (also run by
    ``test_workers_hub.py`` on a hub whose service queues to a grading worker)."""
    context = chromium.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(60000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    streams: list[int] = []  # the statuses of the event streams the panel opened
    page.on("response", lambda r: "/events" in r.url and streams.append(r.status))
    try:
        sign_in(page, hub, name)
        info = page.evaluate(
            """async (url) => {
              // A cookie-authenticated API request sends the XSRF token, as Lab does.
              const xsrf = (document.cookie.match(/(?:^|; )_xsrf=([^;]*)/) || [])[1] || '';
              const r = await fetch(url, {headers: {'X-XSRFToken': decodeURIComponent(xsrf)}});
              return [r.status, await r.json()];
            }""",
            f"/user/{name}/{API}info",
        )
        assert info[0] == 200 and info[1]["mode"] == "remote" and info[1]["user"] == name

        # The CodeQuest browser lists the service's library; open the slow challenge.
        if not page.is_visible(".jp-codequest-browser"):
            page.click("li[data-id='codequest-browser']")
        page.wait_for_selector(f"[data-challenge-id='{SLOW}']")
        page.click(f"[data-challenge-id='{SLOW}'] button")
        page.wait_for_selector(f"{VISIBLE_NOTEBOOK} .jp-Notebook")
        if not page.is_visible(PANEL):
            page.click("li[data-id='codequest-tests']")
        page.wait_for_selector(f"{PANEL} h2:text-is('Adder {SLOW}')")
        home = Path(os.path.expanduser(f"~{name}"))
        assert (home / "codequest" / SLOW / "adder.ipynb").is_file()  # written by their server

        # Run tests with the starter (add returns 0): rows stream in as tests finish.
        page.evaluate(
            """(panel) => {
              window.__snapshots = [];
              const root = document.querySelector(panel);
              const take = () => window.__snapshots.push(Object.fromEntries(
                [...root.querySelectorAll('[data-test-id]')].map(r => [
                  r.dataset.testId.split('::').pop(),
                  r.querySelector('.jp-codequest-status').getAttribute('aria-label')])));
              new MutationObserver(take).observe(root,
                {subtree: true, childList: true, characterData: true, attributes: true});
            }""",
            PANEL,
        )
        page.click(f"{PANEL} .jp-codequest-actions button:text-is('Run tests')")
        summary = page.wait_for_selector(f"{PANEL} .jp-codequest-summary-text", timeout=180000)
        assert summary.inner_text().startswith("0/2 passed"), summary.inner_text()
        assert rows(page) == {"test_quick": "failed", "test_slow": "failed"}
        snapshots = page.evaluate("window.__snapshots")
        # Both pending, then test_quick's verdict while test_slow still ran (4 s).
        assert {"test_quick": "running", "test_slow": "running"} in snapshots, snapshots
        assert {"test_quick": "failed", "test_slow": "running"} in snapshots, snapshots
        assert streams and set(streams) == {200}, streams  # streamed, not polled

        # The right answer, typed into the notebook as a learner does, then Submit.
        editor = page.locator(f"{VISIBLE_NOTEBOOK} .jp-CodeCell .cm-content").first
        editor.click()
        page.keyboard.press("Control+a")
        page.keyboard.type("def add(a, b):\n    return a + b")
        page.keyboard.press("Escape")
        page.click(f"{PANEL} .jp-codequest-actions button:text-is('Submit')")
        page.wait_for_selector(f"{PANEL} .jp-codequest-celebration", timeout=180000)
        assert rows(page) == {"test_quick": "passed", "test_slow": "passed"}
        assert page.inner_text(f"{PANEL} .jp-codequest-summary-text").startswith("2/2 passed")

        # The history: both attempts, as the service stored them, newest first.
        status, history, _ = hub.request(
            "GET", f"services/codequest/{API}challenges/{SLOW}/submissions",
            hub.token_for(name),
        )  # fmt: skip
        assert status == 200 and [s["status"] for s in history["submissions"]] == [
            "passed", "failed"
        ]  # fmt: skip
        assert [s["mode"] for s in history["submissions"]] == ["submit", "run"]
        assert all(s["user"] == name for s in history["submissions"])
        page.click(f"{PANEL} #jp-codequest-tab-history")
        ids = page.locator(f"{PANEL} [data-submission-id]").evaluate_all(
            "els => els.map(e => e.dataset.submissionId)"
        )
        assert ids == [s["id"] for s in history["submissions"]]
        # What was submitted was saved first: the notebook on disk has the answer.
        saved = json.loads((home / "codequest" / SLOW / "adder.ipynb").read_text())
        assert "a + b" in json.dumps(saved["cells"])
    except BaseException:
        shot = Path(tempfile.gettempdir()) / f"codequest-hub-lab-{name}.png"
        page.screenshot(path=str(shot))
        print(f"screenshot: {shot}\n{hub.log_tail()}")
        raise
    finally:
        context.close()
    ours = [e for e in errors if "codequest" in e.lower()]
    assert not ours, ours


def test_a_revoked_server_token_asks_the_learner_to_sign_in_again(
    hub: HubEnv, chromium: Any, browser_learner: str
) -> None:
    """What the learner sees when the hub revoked their server's token: the reason and
    what to do, in the CodeQuest browser; the work stays as it was."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    name = browser_learner
    notebook = Path(os.path.expanduser(f"~{name}")) / "codequest" / SLOW / "adder.ipynb"
    saved = notebook.read_bytes() if notebook.exists() else None
    restart_with_revoked_token(hub, name)
    context = chromium.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(60000)
    try:
        sign_in(page, hub, name)
        # Lab reopens the learner's notebook and its Tests panel (the workspace of
        # their last session), or the learner opens the CodeQuest browser: either says
        # what happened and what to do.
        said = ".jp-codequest-banner[role='alert']:visible:has-text('Sign in to the hub again')"
        try:
            alert = page.wait_for_selector(said, timeout=45000)
        except PlaywrightTimeout:
            page.click("li[data-id='codequest-browser']")
            alert = page.wait_for_selector(said, timeout=60000)
        text = alert.inner_text()
        assert "did not accept your hub sign-in (it expired or was revoked)" in text, text
        assert "Sign in to the hub again and restart your server" in text, text
        assert "Your work is saved in your workspace" in text, text
    except BaseException:
        shot = Path(tempfile.gettempdir()) / f"codequest-hub-lab-revoked-{name}.png"
        page.screenshot(path=str(shot))
        print(f"screenshot: {shot}\n{hub.log_tail()}")
        raise
    finally:
        context.close()
    if saved is not None:
        assert notebook.read_bytes() == saved
