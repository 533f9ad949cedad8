"""The CodeQuest UI in a real Chromium against a real JupyterLab.

Each test starts from an empty Lab workspace and works the way a learner does:
the challenge browser, Run tests, Submit, the history, restore. Grading runs
for real (fresh kernels), so each test takes a few seconds.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from .lab import Lab, start_lab, stop_lab
from .pages import (
    PANEL,
    VISIBLE_NOTEBOOK,
    expand,
    latest_submission,
    open_challenge,
    press,
    show_browser,
    solution,
    wait_summary,
)

pytestmark = pytest.mark.browser


def test_browser_lists_and_filters_challenges(page: Any, lab: Lab) -> None:
    challenges = lab.api("GET", "codequest/api/challenges")["challenges"]
    show_browser(page)
    items = page.locator(".jp-codequest-challenge")
    assert items.count() == len(challenges)
    first = challenges[0]
    item = page.locator(f"[data-challenge-id='{first['id']}']")
    assert first["title"] in item.inner_text()
    assert f"{first['estimated_minutes']} min" in item.inner_text()
    for tag in first["tags"]:
        assert item.locator(f".jp-codequest-tag:text-is('{tag}')").count() == 1

    page.fill(".jp-codequest-browser input[type='search']", "bracket")
    assert page.locator(".jp-codequest-challenge").count() == sum(
        "bracket" in (c["title"] + c["id"] + " ".join(c["tags"])).lower() for c in challenges
    )
    assert page.locator("[data-challenge-id='balanced-brackets']").count() == 1

    page.fill(".jp-codequest-browser input[type='search']", "")
    page.select_option(".jp-codequest-browser select[aria-label='Difficulty']", "hard")
    hard = [c["id"] for c in challenges if c["difficulty"] == "hard"]
    shown = page.locator(".jp-codequest-challenge").evaluate_all(
        "els => els.map(e => e.dataset.challengeId)"
    )
    assert shown == hard


def test_run_tests_streams_results_into_rows(page: Any, lab: Lab) -> None:
    open_challenge(page, lab, "fizzbuzz")
    # Opening shows the description, rendered as markdown (not raw text).
    page.wait_for_selector(f"{PANEL} .jp-codequest-markdown h1")
    assert lab.read_code("codequest/fizzbuzz/fizzbuzz.ipynb")

    # Record every progress label the panel shows while the results stream in.
    page.evaluate(
        """() => {
          window.__labels = [];
          const panel = document.querySelector('.jp-codequest-panel');
          new MutationObserver(() => {
            const label = panel.querySelector('.jp-codequest-progress-label');
            if (label) { window.__labels.push(label.textContent); }
          }).observe(panel, {subtree: true, childList: true, characterData: true});
        }"""
    )
    press(page, "Run tests")
    summary = wait_summary(page)
    result = latest_submission(lab, "fizzbuzz")
    assert result["mode"] == "run"
    assert summary.startswith(f"{result['score']}/{result['total']} passed · ")
    assert re.fullmatch(r"\d+/\d+ passed · [\d.]+/[\d.]+ points · [\d.]+ s", summary)

    labels = page.evaluate("window.__labels")
    total = result["total"]
    assert any(re.fullmatch(rf"\d+ of {total} tests", label) for label in labels), labels

    # Each test has its row, with the status the server recorded.
    glyphs = {"passed": "✓", "failed": "✗", "error": "⚠", "timeout": "⚠"}
    for test in result["tests"]:
        row = page.locator(f"{PANEL} [data-test-id='{test['id']}']")
        assert row.locator(".jp-codequest-status").inner_text() == glyphs[test["status"]]
    failing = next(t for t in result["tests"] if t["status"] == "failed")
    row = page.locator(f"{PANEL} [data-test-id='{failing['id']}']")
    expand(row)
    details = row.locator(".jp-codequest-test-details")
    if failing.get("expected") is not None:
        assert details.locator(".jp-codequest-expected").inner_text() == failing["expected"]
        assert details.locator(".jp-codequest-actual").inner_text() == failing["actual"]
    if failing.get("message"):
        assert failing["message"].splitlines()[0] in details.inner_text()


def test_submit_all_passing_celebrates_and_offers_next(page: Any, lab: Lab) -> None:
    lab.write_code("palindromes", solution("palindromes"))
    open_challenge(page, lab, "palindromes")
    # The notebook's own toolbar has the buttons too.
    page.click(f"{VISIBLE_NOTEBOOK} .jp-Toolbar [data-jp-item-name='codequest-submit'] button")
    page.wait_for_selector(f"{PANEL} .jp-codequest-celebration")
    result = latest_submission(lab, "palindromes")
    assert result["status"] == "passed" and result["mode"] == "submit"
    assert page.locator(".jp-codequest-confetti-piece").count() > 10
    # Once per success: back on the Tests tab, the celebration stays, the confetti
    # does not fall again.
    page.click(f"{PANEL} #jp-codequest-tab-description")
    page.click(f"{PANEL} #jp-codequest-tab-tests")
    page.wait_for_selector(f"{PANEL} .jp-codequest-celebration")
    assert page.locator(".jp-codequest-confetti-piece").count() == 0
    assert page.locator(f"{PANEL} .jp-codequest-badge:text-is('hidden')").count() >= 1

    # The browser now shows the challenge as completed.
    show_browser(page)
    page.wait_for_selector("[data-challenge-id='palindromes'] .jp-codequest-progress-completed")

    following = lab.api("GET", "codequest/api/challenges/palindromes")["next"]
    assert following
    page.click(f"{PANEL} .jp-codequest-celebration button:has-text('Next challenge')")
    title = lab.api("GET", f"codequest/api/challenges/{following}")["title"]
    page.wait_for_selector(f"{PANEL} h2:text-is('{title}')")
    page.wait_for_selector(f"{PANEL} .jp-codequest-path:text-matches('^codequest/{following}/')")


def test_syntax_error_banner_jumps_to_the_cell(page: Any, lab: Lab) -> None:
    path = lab.write_code("roman-numerals", "def to_roman(n:\n    return ''\n")
    open_challenge(page, lab, "roman-numerals")
    press(page, "Run tests")
    banner = page.wait_for_selector(f"{PANEL} .jp-codequest-banner[role='alert']", timeout=90000)
    assert "syntax error" in banner.inner_text().lower()
    result = latest_submission(lab, "roman-numerals")
    cell = result["error"]["cell"]
    assert result["error"]["kind"] == "syntax"
    link = page.locator(f"{PANEL} .jp-codequest-banner-title button.jp-codequest-link")
    assert link.inner_text() == f"cell {cell + 1}"
    link.click()
    active = page.evaluate(
        """(selector) => {
          const cells = [...document.querySelectorAll(selector + ' .jp-Notebook .jp-Cell')];
          return cells.findIndex(c => c.classList.contains('jp-mod-active'));
        }""",
        VISIBLE_NOTEBOOK,
    )
    assert active == cell
    assert path.startswith("codequest/roman-numerals/")


def test_history_restore_and_undo(page: Any, lab: Lab) -> None:
    path = lab.write_code("two-sum", solution("two-sum"))
    open_challenge(page, lab, "two-sum")
    press(page, "Run tests")
    wait_summary(page)
    first = latest_submission(lab, "two-sum")

    # Break the code in the editor, as a learner would, and run again.
    editor = page.locator(f"{VISIBLE_NOTEBOOK} .jp-CodeCell .cm-content").first
    editor.click()
    page.keyboard.press("Control+a")
    page.keyboard.type("two_sum = None")
    page.keyboard.press("Escape")
    # The keyboard shortcut of codequest:run-tests, from the notebook.
    page.keyboard.press("Control+Shift+Enter")
    page.wait_for_function(
        "() => document.querySelector('.jp-codequest-panel .jp-codequest-tab:last-child')"
        ".textContent.includes('(2)')"
    )
    assert lab.read_code(path)[0] == "two_sum = None"

    page.click(f"{PANEL} #jp-codequest-tab-history")
    ids = page.locator(f"{PANEL} [data-submission-id]").evaluate_all(
        "els => els.map(e => e.dataset.submissionId)"
    )
    assert len(ids) == 2 and ids[1] == first["id"]
    assert page.locator(f"{PANEL} svg.jp-codequest-chart circle").count() == 2

    page.click(f"{PANEL} [data-submission-id='{first['id']}'] button")
    page.wait_for_selector(f"{PANEL} .jp-codequest-selected .jp-codequest-summary")
    page.click(f"{PANEL} .jp-codequest-selected button:text-is('Restore')")
    dialog = page.wait_for_selector(".jp-Dialog")
    assert "Restore this submission?" in dialog.inner_text()
    page.click(".jp-Dialog button.jp-mod-accept")
    page.wait_for_selector(f"{PANEL} button:text-is('Undo restore')")
    restored = lab.read_code(path)[0]
    assert "def two_sum" in restored
    page.wait_for_function(
        "(s) => document.querySelector(s + ' .jp-CodeCell .cm-content')?.textContent.includes('def two_sum')",
        arg=VISIBLE_NOTEBOOK,
    )

    page.click(f"{PANEL} button:text-is('Undo restore')")
    page.wait_for_selector(f"{PANEL} .jp-codequest-notice:has-text('Undid the restore')")
    assert lab.read_code(path)[0] == "two_sum = None"
    page.wait_for_function(
        "(s) => document.querySelector(s + ' .jp-CodeCell .cm-content')?.textContent.trim() === 'two_sum = None'",
        arg=VISIBLE_NOTEBOOK,
    )


def test_learner_output_is_shown_as_text(page: Any, lab: Lab) -> None:
    payload = '<img src=x onerror="window.__xss = 1">'
    code = (
        "def is_balanced(text):\n"
        f"    print({payload!r})\n"
        "    return None\n\n"
        "def first_error(text):\n"
        "    return None\n"
    )
    lab.write_code("balanced-brackets", code)
    open_challenge(page, lab, "balanced-brackets")
    press(page, "Run tests")
    wait_summary(page)
    result = latest_submission(lab, "balanced-brackets")
    printed = next(t for t in result["tests"] if t.get("output") and payload in t["output"])
    row = page.locator(f"{PANEL} [data-test-id='{printed['id']}']")
    expand(row)
    assert payload in row.locator(".jp-codequest-output").inner_text()
    assert page.locator(f"{PANEL} img").count() == 0
    assert page.evaluate("window.__xss") is None


def test_missing_server_extension_is_explained(
    chromium: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    bare = start_lab(tmp_path_factory.mktemp("bare"), codequest=False)
    try:
        context = chromium.new_context(viewport={"width": 1400, "height": 900})
        page = context.new_page()
        page.goto(bare.lab_url())
        page.wait_for_selector("#jp-main-dock-panel")
        show_browser_panel = page.locator("li[data-id='codequest-browser']")
        if not page.is_visible(".jp-codequest-browser"):
            show_browser_panel.click()
        alert = page.wait_for_selector(".jp-codequest-browser [role='alert']")
        assert "server extension is not running" in alert.inner_text()
        assert page.locator(".jp-codequest-challenge").count() == 0
        context.close()
    finally:
        stop_lab(bare)
