"""The instructors' class dashboard in a real Chromium against a real server.

Learners (each with a token of their own) submit right and wrong fizzbuzz answers,
one of them after a challenge's deadline; real kernels grade them. The instructor
opens the dashboard from the launcher and checks the matrix against the server,
sorts and filters it from the keyboard, opens a challenge's charts (drawn by
JupyterLab's Vega-Lite renderer), opens a learner's attempts with Enter, diffs two
of them and sees a hidden test's details, exports the gradebook and runs a regrade
to the end. A learner sees no dashboard anywhere and gets 403 from its API. axe-core
finds no serious or critical violation on any of the dashboard's views in the light
and dark themes.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .lab import CHALLENGES, Lab, start_lab, stop_lab
from .pages import SCREENSHOT_DIR, axe_violations, use_theme

pytestmark = pytest.mark.browser

TOKENS = {"alice-token": "alice", "bob-token": "bob", "dave-token": "dave",
          "carol-token": "carol"}  # fmt: skip
DASHBOARD = "#codequest-dashboard"
SOLUTION = (CHALLENGES / "fizzbuzz" / "solution" / "fizzbuzz.py").read_text()


def notebook(code: str | None) -> dict[str, Any]:
    """The fizzbuzz starter notebook, its first code cell replaced by ``code``."""
    nb = json.loads((CHALLENGES / "fizzbuzz" / "fizzbuzz.ipynb").read_text())
    if code is not None:
        next(c for c in nb["cells"] if c["cell_type"] == "code")["source"] = code
    return nb


def call(lab: Lab, method: str, path: str, token: str, body: Any = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        lab.url + "codequest/api/" + path,
        data=data,
        method=method,
        headers={"Authorization": f"token {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=300) as response:
            status, text = response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        status, text = exc.code, exc.read().decode()
    try:
        return status, json.loads(text)
    except ValueError:
        return status, text


def submit(lab: Lab, user: str, challenge: str, right: bool) -> dict[str, Any]:
    status, result = call(
        lab, "POST", f"challenges/{challenge}/submissions?wait=true", f"{user}-token",
        {"mode": "submit", "notebook": notebook(SOLUTION if right else None)},
    )  # fmt: skip
    assert status == 200, result
    assert result["status"] == ("passed" if right else "failed"), result
    return result


@pytest.fixture(scope="module")
def class_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    base = tmp_path_factory.mktemp("class")
    root = base / "challenges"
    shutil.copytree(CHALLENGES / "fizzbuzz", root / "fizzbuzz")
    late = shutil.copytree(CHALLENGES / "fizzbuzz", root / "fizzbuzz-late")
    yesterday = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1)
    toml = (
        (late / "challenge.toml")
        .read_text()
        .replace(
            'title = "FizzBuzz, Debugged"',
            f'title = "FizzBuzz, Late"\ndue = {yesterday:%Y-%m-%dT%H:%M:%SZ}\nlate = "accept"',
        )
    )
    (late / "challenge.toml").write_text(toml)
    lab = start_lab(
        base,
        config={
            "ServerApp": {"identity_provider_class": "cq_identity.CookieUsers"},
            "CookieUsers": {"tokens": TOKENS, "server_user": "carol"},
            "CodeQuestApp": {"challenge_dirs": [str(root)], "instructors": ["carol"],
                             "grading_concurrency": 2},
        },
        extra_env={"PYTHONPATH": os.pathsep.join(
            [str(Path(__file__).parent), os.environ.get("PYTHONPATH", "")])},
    )  # fmt: skip
    try:
        lab.submitted = [  # type: ignore[attr-defined]
            submit(lab, "alice", "fizzbuzz", right=False),
            submit(lab, "alice", "fizzbuzz", right=True),
            submit(lab, "bob", "fizzbuzz", right=False),
            submit(lab, "dave", "fizzbuzz-late", right=True),
        ]
        yield lab
    finally:
        stop_lab(lab)


def open_as(chromium: Any, lab: Lab, user: str) -> tuple[Any, Any]:
    context = chromium.new_context(viewport={"width": 1400, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(60000)
    page.goto(f"{lab.url}lab/workspaces/{user}-dash?reset&token={user}-token")
    page.wait_for_selector("#jp-main-dock-panel")
    return context, page


def rows(page: Any) -> list[str]:
    return page.eval_on_selector_all(
        f"{DASHBOARD} tbody tr[data-learner]", "rows => rows.map(r => r.dataset.learner)"
    )


def no_violations(page: Any, where: str, found: dict[str, Any]) -> None:
    violations = axe_violations(page, DASHBOARD)
    if violations:
        found[where] = violations


def shoot(page: Any, name: str) -> None:
    """The dashboard as a README picture (only under ``make screenshots``)."""
    if SCREENSHOT_DIR:
        page.locator(DASHBOARD).screenshot(path=str(Path(SCREENSHOT_DIR) / name))


def tab_to(page: Any, selector: str, limit: int = 40) -> None:
    """Press Tab until the element matching ``selector`` has the focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement?.matches(s) ?? false", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_instructor_dashboard(chromium: Any, class_lab: Lab) -> None:
    lab = class_lab
    context, page = open_as(chromium, lab, "carol")
    found: dict[str, Any] = {}
    try:
        # From the launcher.
        page.click(".jp-LauncherCard:has-text('Class Dashboard')")
        page.wait_for_selector(f"{DASHBOARD} tbody tr[data-learner]")
        status, matrix = call(lab, "GET", "class", "carol-token")
        assert status == 200
        assert rows(page) == matrix["learners"] == ["alice", "bob", "dave"]
        for c in matrix["cells"]:
            cell = page.locator(
                f"{DASHBOARD} tr[data-learner='{c['learner']}'] "
                f"td[data-challenge='{c['challenge']}'] .jp-codequest-cell-button"
            )
            text = cell.inner_text()
            assert f"{c['attempts']} attempt" in text
            assert ("late" in text) == c["late"]
            mark = cell.locator("[aria-hidden='true']").first.inner_text().strip()
            assert mark == ("✓" if c["passed"] else "✗")
            best = "–" if c["best_points"] is None else f"{c['best_points']:g}"
            assert f"{best} / {c['max_points']:g}" in text
        assert next(c for c in matrix["cells"] if c["learner"] == "dave")["late"]

        # Keyboard only: Tab from the search box into the header, Enter sorts.
        page.focus(f"{DASHBOARD} .jp-codequest-matrix-search")
        tab_to(page, f"{DASHBOARD} th button[data-sort-key='fizzbuzz']")
        page.keyboard.press("Enter")
        header = page.locator(f"{DASHBOARD} th:has(button[data-sort-key='fizzbuzz'])")
        assert header.get_attribute("aria-sort") == "descending"
        assert rows(page) == ["alice", "bob", "dave"]  # 7 points, the draft's, none
        page.keyboard.press("Enter")
        assert header.get_attribute("aria-sort") == "ascending"
        assert rows(page) == ["dave", "bob", "alice"]

        page.select_option(f"{DASHBOARD} select[aria-label='Show learners']", "late")
        assert rows(page) == ["dave"]
        page.select_option(f"{DASHBOARD} select[aria-label='Show learners']", "all")
        page.fill(f"{DASHBOARD} .jp-codequest-matrix-search", "bo")
        assert rows(page) == ["bob"]
        page.fill(f"{DASHBOARD} .jp-codequest-matrix-search", "")
        no_violations(page, "class (light)", found)
        shoot(page, "dashboard-class.png")

        # A challenge's charts, drawn by JupyterLab's Vega-Lite renderer.
        page.click(f"{DASHBOARD} button[aria-label='Charts and failures of fizzbuzz']")
        page.wait_for_function(
            "(s) => document.querySelectorAll(s).length === 3",
            arg=f"{DASHBOARD} .jp-codequest-chart .jp-RenderedVegaCommon5 svg.marks",
        )  # fmt: skip
        status, stats = call(lab, "GET", "challenges/fizzbuzz/stats", "carol-token")
        worst = max(stats["tests"], key=lambda t: t["failure_rate"])
        first_row = page.locator(f"{DASHBOARD} .jp-codequest-failures tbody tr").first
        assert first_row.get_attribute("data-test-id") == worst["id"]
        assert f"({worst['failures']} of {worst['runs']})" in first_row.inner_text()
        assert worst["common_failures"][0]["message"] in first_row.inner_text()
        assert "3 submissions by 2 learners" in page.inner_text(DASHBOARD)
        no_violations(page, "challenge (light)", found)
        shoot(page, "dashboard-challenge.png")

        # Regrade every fizzbuzz submission, with progress to the end.
        page.click(f"{DASHBOARD} button:text-is('Regrade all')")
        status_line = page.locator(f"{DASHBOARD} .jp-codequest-regrade-status")
        status_line.filter(has_text="Regrade done").wait_for(timeout=300000)
        assert status_line.inner_text() == "Regrade done: 3 of 3 regraded, 0 changed"
        history = call(lab, "GET", f"submissions/{lab.submitted[0]['id']}/results",
                       "carol-token")[1]  # fmt: skip
        assert len(history["previous"]) == 1  # the old result is kept beside the new

        # The gradebook, the same bytes as the endpoint's.
        with page.expect_download() as download:
            page.click(f"{DASHBOARD} .jp-codequest-export")
        saved = Path(download.value.path()).read_text()
        assert saved == call(lab, "GET", "gradebook.csv", "carol-token")[1]
        assert saved.startswith("learner,challenge,best_points")

        # Enter on a learner opens their attempts; the two are diffed.
        page.click(f"{DASHBOARD} [role='tab']:has-text('Class')")
        page.focus(f"{DASHBOARD} tr[data-learner='alice'] .jp-codequest-learner-link")
        page.keyboard.press("Enter")
        page.wait_for_selector(
            f"{DASHBOARD} [role='tab'][aria-selected='true']:text-is('Attempts: alice')"
        )
        diff = page.wait_for_selector(f"{DASHBOARD} .jp-codequest-attempt-diff-text")
        assert "+ " + "        if i % 15 == 0:" in diff.inner_text()
        # The older (wrong) attempt in full: the hidden test's details are there.
        wrong = lab.submitted[0]
        page.check(f"{DASHBOARD} tr[data-submission-id='{wrong['id']}'] input[aria-label^='Show']")
        results = page.locator(f"{DASHBOARD} .jp-codequest-attempt-results")
        results.filter(has_text="Results: failed").wait_for()
        status, full = call(lab, "GET", f"submissions/{wrong['id']}", "carol-token")
        hidden = next(t for t in full["tests"] if t["hidden"] and t["status"] == "failed")
        assert hidden["message"]
        shown = results.locator(f"[data-test-id='{hidden['id']}']")
        assert hidden["message"].splitlines()[0] in shown.inner_text()
        mine = call(lab, "GET", f"submissions/{wrong['id']}", "alice-token")[1]
        assert next(t for t in mine["tests"] if t["id"] == hidden["id"])["message"] is None
        no_violations(page, "attempts (light)", found)
        shoot(page, "dashboard-attempts.png")

        # The dark theme, every view again.
        use_theme(page, "JupyterLab Dark")
        no_violations(page, "attempts (dark)", found)
        page.click(f"{DASHBOARD} [role='tab']:has-text('Challenge')")
        page.wait_for_selector(f"{DASHBOARD} .jp-codequest-chart :is(svg, canvas)")
        no_violations(page, "challenge (dark)", found)
        page.click(f"{DASHBOARD} [role='tab']:has-text('Class')")
        no_violations(page, "class (dark)", found)
        assert not found, found

        # The matrix follows new submissions by itself (it polls while on screen).
        bob = page.locator(f"{DASHBOARD} tr[data-learner='bob'] td[data-challenge='fizzbuzz']")
        assert "1 attempt" in bob.inner_text()
        submit(lab, "bob", "fizzbuzz", right=True)
        bob.filter(has_text="2 attempts").wait_for(timeout=30000)
        assert bob.locator("[aria-hidden='true']").first.inner_text().strip() == "✓"
    finally:
        context.close()


def test_a_learner_sees_no_dashboard_and_gets_403(chromium: Any, class_lab: Lab) -> None:
    context, page = open_as(chromium, class_lab, "alice")
    try:
        page.wait_for_selector(".jp-LauncherCard")
        # The challenge list loaded: the server's info (who this is) has been read.
        page.click("li[data-id='codequest-browser']")
        page.wait_for_selector("[data-challenge-id='fizzbuzz']")
        page.wait_for_timeout(1000)
        assert page.locator(".jp-LauncherCard:has-text('Class Dashboard')").count() == 0
        assert page.locator(".jp-codequest-dashboard-button").count() == 0
        page.keyboard.press("Control+Shift+C")
        page.fill(".lm-CommandPalette-input", "Class Dashboard")
        assert page.locator(".lm-CommandPalette-item:has-text('Class Dashboard')").count() == 0
        # The page's own session (its login cookie) is refused by the API.
        statuses = page.evaluate(
            """async (base) => Promise.all(['class', 'challenges/fizzbuzz/stats',
                  'gradebook.csv', 'submissions?user=bob'].map(async p =>
                  (await fetch(base + 'codequest/api/' + p)).status))""",
            class_lab.url,
        )  # fmt: skip
        assert statuses == [403, 403, 403, 403]
        info = page.evaluate(
            "async (base) => (await fetch(base + 'codequest/api/info')).json()", class_lab.url
        )
        assert info["user"] == "alice" and info["instructor"] is False
        body = {"challenge": "fizzbuzz"}
        assert call(class_lab, "POST", "regrades", "alice-token", body)[0] == 403
    finally:
        context.close()
