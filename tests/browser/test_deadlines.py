"""Deadlines and attempts as the learner sees them, in a real Chromium.

The server serves challenges made for this module with ``opens``, ``due``, late
policies and ``max_submissions`` set relative to the moment it starts: one due in
three hours, one closed (late work refused), one taking late work with a 20%
penalty, one opening in three days, one limited to two submissions. Each test
reads what the challenge browser and the Tests panel say, checks that the buttons
the server would refuse are off with their reason (and that the server does refuse
them), and runs axe-core on those states in the light and dark themes.
"""

from __future__ import annotations

import datetime as dt
import re
import urllib.error
from collections.abc import Iterator
from typing import Any

import pytest
from challenge_factory import make_challenge

from .lab import Lab, start_lab, stop_lab
from .pages import (
    PANEL,
    axe_violations,
    open_challenge,
    press,
    show_browser,
    use_theme,
    wait_summary,
)

pytestmark = pytest.mark.browser

SOLUTION = "def add(a, b):\n    return a + b\n"
REASON = f"{PANEL} .jp-codequest-blocked-reason"


def _toml_time(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    base = tmp_path_factory.mktemp("deadlines")
    challenges = base / "challenges"
    now = dt.datetime.now(dt.timezone.utc)
    schedules = {
        "due-soon": f"due = {_toml_time(now + dt.timedelta(hours=3))}\nlate = 0.2",
        "closed": f'due = {_toml_time(now - dt.timedelta(hours=1))}\nlate = "reject"',
        "penalised": f"due = {_toml_time(now - dt.timedelta(hours=1))}\nlate = 0.2",
        "upcoming": f"opens = {_toml_time(now + dt.timedelta(days=3))}\n"
        f"due = {_toml_time(now + dt.timedelta(days=10))}",
        "limited": f"max_submissions = 2\ndue = {_toml_time(now + dt.timedelta(days=20))}",
    }
    for cid, toml in schedules.items():
        make_challenge(challenges, cid, toml_extra=toml)
    server = start_lab(base / "lab", challenge_dirs=[challenges])
    yield server
    stop_lab(server)


def schedule_text(page: Any) -> str:
    return page.locator(f"{PANEL} .jp-codequest-schedule").inner_text()


def disabled(page: Any, label: str) -> bool:
    button = page.locator(f"{PANEL} .jp-codequest-actions button:text-is('{label}')")
    return button.get_attribute("aria-disabled") == "true"


def refused(lab: Lab, cid: str, mode: str, status: int = 403) -> str | None:
    """The server's refusal of a ``mode`` submission (None when it took it)."""
    path = lab.workspace(cid)
    try:
        lab.api("POST", f"codequest/api/challenges/{cid}/submissions", {"mode": mode, "path": path})
    except urllib.error.HTTPError as error:
        assert error.code == status, error.code
        return error.read().decode()
    return None


def axe_both_panels(page: Any, where: str, found: dict[str, list]) -> None:
    for name, selector in {"browser": "#codequest-browser", "tests": "#codequest-tests"}.items():
        if page.is_visible(selector):
            violations = axe_violations(page, selector)
            if violations:
                found[f"{where}: {name}"] = violations


def test_browser_shows_each_deadline_policy_and_count(page: Any, lab: Lab) -> None:
    show_browser(page)

    def line(cid: str) -> list[str]:
        return page.locator(
            f"[data-challenge-id='{cid}'] .jp-codequest-schedule-line > span"
        ).evaluate_all("els => els.map(e => e.textContent)")

    soon = line("due-soon")
    assert len(soon) == 1 and re.fullmatch(r"due in 2 h \d+ min", soon[0]), soon
    assert line("closed") == ["closed", "late submissions are not accepted"]
    penalised = line("penalised")
    assert penalised[0].startswith("was due ") and penalised[1:] == ["late submissions lose 20%"]
    upcoming = line("upcoming")
    assert len(upcoming) == 1 and re.fullmatch(r"opens \S+ \d\d:\d\d", upcoming[0]), upcoming
    limited = line("limited")
    assert limited[0].startswith("due ") and limited[1:] == ["0 of 2 submissions used"], limited
    # The exact local time is in the tooltip.
    title = page.locator("[data-challenge-id='closed'] .jp-codequest-deadline").get_attribute(
        "title"
    )
    assert re.search(r"\d\d:\d\d", title or ""), title


def test_counter_moves_on_a_submit_and_submit_stops_at_the_limit(page: Any, lab: Lab) -> None:
    lab.write_code("limited", SOLUTION)
    assert refused(lab, "limited", "submit") is None  # the first of two, made outside the page
    open_challenge(page, lab, "limited")
    page.wait_for_selector(f"{PANEL} .jp-codequest-attempts:text-is('1 of 2 submissions used')")
    assert not disabled(page, "Submit") and page.locator(REASON).count() == 0

    press(page, "Submit")
    page.wait_for_selector(f"{PANEL} .jp-codequest-attempts:text-is('2 of 2 submissions used')")
    wait_summary(page)
    assert disabled(page, "Submit")
    assert page.locator(REASON).inner_text() == "All 2 submissions are used. Run tests still works."
    submit = page.locator(f"{PANEL} .jp-codequest-submit")
    assert submit.get_attribute("aria-describedby") == "jp-codequest-blocked-reason"
    # The server agrees, and still runs the public tests.
    assert "All 2 submissions" in (refused(lab, "limited", "submit", 409) or "")
    assert not disabled(page, "Run tests")
    press(page, "Run tests")
    page.wait_for_function(
        "() => document.querySelector('.jp-codequest-panel .jp-codequest-summary-mode')"
        "?.textContent === 'Test run'",
        timeout=90000,
    )
    # The browser's count followed.
    show_browser(page)
    page.wait_for_selector(
        "[data-challenge-id='limited'] .jp-codequest-attempts:text-is('2 of 2 submissions used')"
    )


def test_closed_and_upcoming_challenges_explain_the_buttons(page: Any, lab: Lab) -> None:
    open_challenge(page, lab, "closed")
    page.wait_for_selector(f"{PANEL} .jp-codequest-schedule")
    text = schedule_text(page)
    assert "Closed: was due" in text and "Late submissions are not accepted" in text, text
    assert disabled(page, "Submit") and not disabled(page, "Run tests")
    assert page.locator(REASON).inner_text() == (
        "The due time has passed and late submissions are not accepted. Run tests still works."
    )
    assert "late submissions are not accepted" in (refused(lab, "closed", "submit") or "")
    press(page, "Run tests")
    wait_summary(page)

    open_challenge(page, lab, "upcoming")
    page.wait_for_selector(f"{PANEL} .jp-codequest-schedule-opens")
    text = schedule_text(page)
    assert re.search(r"Opens \S+ \d\d:\d\d · in (2 days 23 h|3 days)", text), text
    assert disabled(page, "Submit") and disabled(page, "Run tests")
    assert re.fullmatch(
        r"This challenge opens \S+ \d\d:\d\d; nothing can be run or submitted before then\.",
        page.locator(REASON).inner_text(),
    )
    assert "opens at" in (refused(lab, "upcoming", "run") or "")


@pytest.mark.parametrize("theme", ["JupyterLab Light", "JupyterLab Dark"])
def test_late_result_shows_the_penalty_with_no_serious_axe_violations(
    page: Any, lab: Lab, theme: str
) -> None:
    if theme.endswith("Dark"):
        use_theme(page, theme)
    found: dict[str, list] = {}
    show_browser(page)
    axe_both_panels(page, "browser with deadlines", found)

    open_challenge(page, lab, "closed")
    page.wait_for_selector(REASON)
    axe_both_panels(page, "closed, Submit off with its reason", found)

    open_challenge(page, lab, "due-soon")
    page.wait_for_selector(f"{PANEL} .jp-codequest-time-left")
    axe_both_panels(page, "due soon", found)

    lab.write_code("penalised", SOLUTION)
    open_challenge(page, lab, "penalised")
    page.wait_for_selector(f"{PANEL} .jp-codequest-schedule")
    assert "Late submissions lose 20%" in schedule_text(page)
    press(page, "Submit")
    note = page.wait_for_selector(f"{PANEL} .jp-codequest-late-note", timeout=90000).inner_text()
    listing = lab.api("GET", "codequest/api/challenges/penalised/submissions?limit=1")
    result = lab.api("GET", f"codequest/api/submissions/{listing['submissions'][0]['id']}")
    assert result["late"] is True and result["penalty"] == 0.2
    raw, points = result["raw_points"], result["points"]
    assert raw == result["max_points"] and points == pytest.approx(raw * 0.8)
    assert f"{raw:g} points earned, {points:g} counted after the 20% penalty" in note, note
    assert f"{points:g}/{result['max_points']:g} points" in wait_summary(page)
    axe_both_panels(page, "late result", found)
    page.click(f"{PANEL} #jp-codequest-tab-history")
    entry = page.wait_for_selector(f"{PANEL} [data-submission-id='{result['id']}']")
    assert entry.query_selector(".jp-codequest-late-badge").inner_text().strip() == "late"
    axe_both_panels(page, "history with a late entry", found)

    report = [
        f"{where} {v['impact']} {v['id']}: {target} — {summary.splitlines()[-1].strip()}"
        for where, violations in found.items()
        for v in violations
        for target, summary in v["nodes"]
    ]
    assert not report, "\n".join(report)
