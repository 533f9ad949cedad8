"""The panels at the size a learner meets them: Chromium at 1400x900, sidebars at
their default width, a real server grading for real.

What is checked is what a learner sees: the last test row and the hints can be
scrolled into view inside the Tests panel, so can the last challenge of the list;
test names sit on one line with the full name at hand; failures come first; the
panel follows a notebook it cannot read; the last result is back after a reload;
Reset to starter and its undo.
"""

from __future__ import annotations

from typing import Any

import pytest

from .lab import Lab
from .pages import (
    PANEL,
    VISIBLE_NOTEBOOK,
    latest_submission,
    open_challenge,
    press,
    show_browser,
    show_tests_panel,
    wait_summary,
)

pytestmark = pytest.mark.browser

TESTS_SCROLL = "#codequest-tests .jp-codequest-scroll"
BROWSER_SCROLL = "#codequest-browser .jp-codequest-scroll"

# The box of an element, and of the scroll area it lives in, as seen on screen.
BOXES = """([selector, area]) => {
  const el = document.querySelector(selector);
  const box = el.getBoundingClientRect();
  const frame = document.querySelector(area).getBoundingClientRect();
  return {top: box.top, bottom: box.bottom, frameTop: frame.top, frameBottom: frame.bottom};
}"""


def in_view(page: Any, selector: str, area: str) -> bool:
    box = page.evaluate(BOXES, [selector, area])
    return box["top"] >= box["frameTop"] - 1 and box["bottom"] <= box["frameBottom"] + 1


def scroll_metrics(page: Any, area: str) -> dict:
    return page.locator(area).evaluate(
        """el => ({client: el.clientHeight, scroll: el.scrollHeight, top: el.scrollTop,
                   parent: el.closest('.jp-SidePanel').getBoundingClientRect().height,
                   own: el.getBoundingClientRect().height})"""
    )


def wheel_to_bottom(page: Any, area: str) -> None:
    """Turn the mouse wheel over the panel, as a learner does, until it stops moving."""
    box = page.locator(area).bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    for _ in range(20):
        before = scroll_metrics(page, area)["top"]
        page.mouse.wheel(0, 400)
        page.wait_for_timeout(60)
        if scroll_metrics(page, area)["top"] == before:
            break


def test_tests_panel_is_readable_and_scrolls_at_the_default_width(page: Any, lab: Lab) -> None:
    # Eleven tests, all failing with the starter: the longest panel a learner gets.
    open_challenge(page, lab, "bank-account")
    press(page, "Submit")
    wait_summary(page)
    result = latest_submission(lab, "bank-account")
    assert len(result["tests"]) == 11 and result["status"] == "failed"

    # The default right sidebar is wide enough for names and the summary.
    width = page.locator("#jp-right-stack").bounding_box()["width"]
    assert width >= 378, width
    summary = page.locator(f"{PANEL} .jp-codequest-summary-text")
    line = page.evaluate(
        "el => parseFloat(getComputedStyle(el).lineHeight) || 18",
        summary.element_handle(),
    )
    assert summary.bounding_box()["height"] < 1.6 * line

    # Failures first, in the run's order; the first of them open, the others closed.
    rows = page.locator(f"{PANEL} .jp-codequest-result [data-test-id]")
    shown = rows.evaluate_all("els => els.map(e => e.dataset.testId)")
    problems = [t["id"] for t in result["tests"] if t["status"] in ("failed", "error", "timeout")]
    others = [t["id"] for t in result["tests"] if t["id"] not in problems]
    assert shown == problems + others
    expanded = rows.evaluate_all(
        "els => els.map(e => e.querySelector('[aria-expanded]')?.getAttribute('aria-expanded'))"
    )
    assert expanded[0] == "true" and "true" not in expanded[1:], expanded

    # Collapsed names keep to one line, ellipsized, with the full name on hover;
    # the expanded row shows its full name.
    names = {t["id"]: t["name"] for t in result["tests"]}
    for index, test_id in enumerate(shown):
        name = rows.nth(index).locator(".jp-codequest-test-name")
        assert name.get_attribute("title") == names[test_id]
        assert name.inner_text().replace("\n", "") == names[test_id]
        if index > 0:
            height = name.bounding_box()["height"]
            assert height < 1.6 * line, (names[test_id], height)

    # The hint unlocked by this failed submission reads as Markdown, not backticks.
    page.click(f"{PANEL} button:text-is('Show hint')")
    hint = page.locator(f"{PANEL} .jp-codequest-hint").first
    hint.locator("code").first.wait_for()
    assert "self._balance" in hint.locator("code").all_inner_texts()
    assert "`" not in hint.inner_text()

    # Every row opened: longer than the panel. The scroll area keeps to the panel
    # and scrolls inside it.
    closed = page.locator(f"{PANEL} .jp-codequest-result button[aria-expanded='false']")
    while closed.count():
        closed.first.click()
    metrics = scroll_metrics(page, TESTS_SCROLL)
    assert metrics["own"] <= metrics["parent"] + 1, metrics
    assert metrics["scroll"] > metrics["client"], metrics
    last_row = f"{PANEL} .jp-codequest-result [data-test-id]:last-child"
    hints = f"{PANEL} .jp-codequest-hints"
    assert not in_view(page, hints, TESTS_SCROLL)
    wheel_to_bottom(page, TESTS_SCROLL)
    assert in_view(page, last_row, TESTS_SCROLL)
    assert in_view(page, hints, TESTS_SCROLL)


def test_challenge_list_scrolls_to_the_focused_challenge(page: Any, lab: Lab) -> None:
    challenges = lab.api("GET", "codequest/api/challenges")["challenges"]
    assert len(challenges) >= 11
    show_browser(page)
    last = f"[data-challenge-id='{challenges[-1]['id']}'] button"
    metrics = scroll_metrics(page, BROWSER_SCROLL)
    assert metrics["own"] <= metrics["parent"] + 1, metrics
    assert not in_view(page, last, BROWSER_SCROLL)

    # Keyboard: from the filter, Tab past the two selects and every challenge.
    page.focus(".jp-codequest-browser input[type='search']")
    for _ in range(2 + len(challenges)):
        page.keyboard.press("Tab")
    focused = page.evaluate(
        "document.activeElement.closest('[data-challenge-id]')?.dataset.challengeId"
    )
    assert focused == challenges[-1]["id"]
    assert in_view(page, last, BROWSER_SCROLL)

    # And the wheel, back up and down again.
    page.locator(BROWSER_SCROLL).evaluate("el => { el.scrollTop = 0; }")
    assert not in_view(page, last, BROWSER_SCROLL)
    wheel_to_bottom(page, BROWSER_SCROLL)
    assert in_view(page, last, BROWSER_SCROLL)


def test_panel_follows_a_notebook_it_cannot_read(page: Any, lab: Lab) -> None:
    path = lab.workspace("two-sum")
    lab.api(
        "PUT",
        f"api/contents/{path}",
        {"type": "file", "format": "text", "content": '{"cells": [ oops'},
    )
    open_challenge(page, lab, "fizzbuzz")
    show_browser(page)
    page.click("[data-challenge-id='two-sum'] button")
    # JupyterLab says it could not load the file; the panel says which challenge.
    page.wait_for_selector(".jp-Dialog:has-text('File Load Error')")
    page.wait_for_selector(f"{PANEL} .jp-codequest-path:text-is('{path}')", timeout=30000)
    banner = page.wait_for_selector(f"{PANEL} .jp-codequest-banner:has-text('Cannot read')")
    text = banner.inner_text()
    title = lab.api("GET", "codequest/api/challenges/two-sum")["title"]
    assert f"Cannot read the notebook of {title}" in text
    assert f"{path} is not a notebook JupyterLab can open (it is not valid JSON)" in text
    assert page.locator(f"{PANEL} .jp-codequest-actions button:text-is('Run tests')").is_disabled()

    # JupyterLab then offers to close the tab; kept open, the panel offers the starter,
    # keeping the broken file as a checkpoint.
    page.click(".jp-Dialog button:has-text('Close')")
    page.wait_for_selector(".jp-Dialog:has-text('Save your work')")
    page.click(".jp-Dialog button:has-text('Cancel')")
    page.click(f"{PANEL} .jp-codequest-banner button:text-is('Reset to starter')")
    page.wait_for_selector(".jp-Dialog:has-text('Reset to the starter?')")
    page.click(".jp-Dialog button.jp-mod-accept")
    # The starter opens in a fresh tab and the panel follows it, readable again.
    page.wait_for_selector(f"{VISIBLE_NOTEBOOK} .jp-CodeCell")
    page.wait_for_selector(
        f"{PANEL} .jp-codequest-banner:has-text('Cannot read')", state="detached"
    )
    assert not page.locator(
        f"{PANEL} .jp-codequest-actions button:text-is('Run tests')"
    ).is_disabled()
    assert lab.read_code(path), "the starter notebook is back"
    checkpoints = lab.api("GET", f"api/contents/{path}/checkpoints")
    assert len(checkpoints) == 1


def test_last_result_after_reload_and_reset_to_starter(page: Any, lab: Lab) -> None:
    path = lab.write_code("roman-numerals", "def to_roman(n):\n    return 'I' * n\n")
    open_challenge(page, lab, "roman-numerals")
    press(page, "Run tests")
    before = wait_summary(page)
    run = latest_submission(lab, "roman-numerals")

    # A reload of the same Lab workspace: the notebook and the panel come back with
    # the last result, where the learner left it.
    url = page.url.split("?")[0]
    page.wait_for_timeout(1500)  # the layout is saved to the workspace shortly after changes
    page.goto(f"{url}?token=browser-test-token")
    page.wait_for_selector(f"{VISIBLE_NOTEBOOK} .jp-Notebook")
    show_tests_panel(page)
    page.wait_for_selector(f"{PANEL} .jp-codequest-last-result:has-text('Your last test run')")
    assert wait_summary(page) == before
    assert page.locator(f"{PANEL} [data-test-id]").count() == len(run["tests"])

    # Reset to starter, from History: the starter code is back, then undone.
    page.click(f"{PANEL} #jp-codequest-tab-history")
    page.click(f"{PANEL} button:text-is('Reset to starter')")
    page.wait_for_selector(".jp-Dialog:has-text('Reset to the starter?')")
    page.click(".jp-Dialog button.jp-mod-accept")
    page.wait_for_selector(f"{PANEL} button:text-is('Undo reset')")
    code = lab.read_code(path)[0]
    assert "return 'I' * n" not in code
    page.wait_for_function(
        """(s) => { const cell = document.querySelector(s + ' .jp-CodeCell .cm-content');
                    return !!cell && !cell.textContent.includes("'I' * n"); }""",
        arg=VISIBLE_NOTEBOOK,
    )
    page.click(f"{PANEL} button:text-is('Undo reset')")
    page.wait_for_selector(f"{PANEL} .jp-codequest-notice:has-text('Undid the reset')")
    assert "return 'I' * n" in lab.read_code(path)[0]
