"""A learner's whole journey through one challenge, in a real Chromium.

The test opens FizzBuzz from the challenge browser, types a plausible wrong
answer, runs the tests, submits a right one, reads the history and restores
the first attempt. On the way it takes the screenshots the README shows. They
are written only when asked: `make screenshots` sets CODEQUEST_SCREENSHOT_DIR to
`docs/screenshots/`; a plain test run takes them in memory and checks them, so
`make test` leaves the tracked images alone.
"""

from __future__ import annotations

from typing import Any

import pytest

from .lab import Lab
from .pages import (
    PANEL,
    VISIBLE_NOTEBOOK,
    expand,
    kernel_idle,
    latest_submission,
    open_challenge,
    press,
    shot,
    show_browser,
    show_code,
    sidebar_width,
    solution,
    wait_summary,
)

pytestmark = pytest.mark.browser


# What a learner might write first: each branch overwrites the word, so 15 ends
# up "Buzz". Plain numbers, Fizz and Buzz pass; both FizzBuzz tests fail.
WRONG = '''def fizzbuzz(n):
    """The FizzBuzz words for 1..n."""
    words = []
    for i in range(1, n + 1):
        word = ""
        if i % 3 == 0:
            word = "Fizz"
        if i % 5 == 0:
            word = "Buzz"
        words.append(word or str(i))
    return words'''


def sidebar_clip(page: Any, side: str, items: str) -> dict:
    """The sidebar down to the last of `items` that is fully in view."""
    box = page.locator(f"#jp-{side}-stack").bounding_box()
    bottom = page.locator(items).evaluate_all(
        """(els, limit) => Math.max(...els.map(e => e.getBoundingClientRect().bottom)
                                      .filter(b => b <= limit))""",
        box["y"] + box["height"],
    )
    return {
        "x": box["x"],
        "y": box["y"],
        "width": box["width"],
        "height": min(box["height"], bottom + 12 - box["y"]),
    }


def set_cell(page: Any, code: str) -> None:
    """Replace the first code cell's text by typing into its editor."""
    editor = page.locator(f"{VISIBLE_NOTEBOOK} .jp-CodeCell .cm-content").first
    editor.click()
    page.keyboard.press("Control+a")
    # Inserted as typed text, without the editor's auto-indent and bracket closing.
    page.keyboard.insert_text(code)
    page.keyboard.press("Escape")


def cell_text(page: Any) -> str:
    editor = page.locator(f"{VISIBLE_NOTEBOOK} .jp-CodeCell .cm-content").first
    return editor.inner_text().rstrip("\n")


def test_learner_journey(page: Any, lab: Lab) -> None:
    # Another challenge tried before, so the browser shows every kind of status.
    lab.workspace("palindromes")
    tried = lab.api(
        "POST", "codequest/api/challenges/palindromes/submissions?wait=true", {"mode": "run"}
    )
    assert 0 < tried["score"] < tried["total"]

    show_browser(page)
    sidebar_width(page, "left", 330)
    page.click(".jp-codequest-browser button[aria-label='Refresh the challenge list']")
    page.wait_for_selector("[data-challenge-id='palindromes'] .jp-codequest-progress-attempted")
    open_challenge(page, lab, "fizzbuzz")
    path = "codequest/fizzbuzz/fizzbuzz.ipynb"
    kernel_idle(page)

    # 1. A wrong answer, typed into the notebook, and Run tests.
    set_cell(page, WRONG)
    press(page, "Run tests")
    summary = wait_summary(page)
    first = latest_submission(lab, "fizzbuzz")
    assert first["mode"] == "run" and first["status"] == "failed"
    assert lab.read_code(path)[0] == WRONG  # saved before grading
    statuses = {t["name"]: t["status"] for t in first["tests"]}
    assert statuses == {
        "test_plain_numbers_stay_numbers": "passed",
        "test_multiples_of_three_say_fizz": "passed",
        "test_multiples_of_five_say_buzz": "passed",
        "test_multiples_of_fifteen_say_fizzbuzz": "failed",
        "test_first_fifteen": "failed",
    }
    assert summary.startswith("3/5 passed · 3/7 points · ")

    # The failure shows what was expected and what the code returned.
    failing = next(
        t for t in first["tests"] if t["name"] == "test_multiples_of_fifteen_say_fizzbuzz"
    )
    row = page.locator(f"{PANEL} [data-test-id='{failing['id']}']")
    expand(row)
    assert row.locator(".jp-codequest-expected").inner_text() == "['FizzBuzz', 'FizzBuzz']"
    assert row.locator(".jp-codequest-actual").inner_text() == "['Buzz', 'Buzz']"
    assert page.locator(f"{PANEL} .jp-codequest-test-passed").count() == 3
    assert page.locator(f"{PANEL} .jp-codequest-test-failed").count() == 2

    # The notebook and the Tests panel side by side, the browser put away.
    page.click("li[data-id='codequest-browser']")
    page.wait_for_selector(".jp-codequest-browser", state="hidden")
    sidebar_width(page, "right", 470)
    show_code(page)
    shot(page, "tests-panel.png")

    # 2. The right answer, submitted: every test passes, hidden ones included.
    set_cell(page, solution("fizzbuzz"))
    press(page, "Submit")
    celebration = page.wait_for_selector(f"{PANEL} .jp-codequest-celebration")
    assert "Challenge completed" in celebration.inner_text()
    second = latest_submission(lab, "fizzbuzz")
    assert second["mode"] == "submit" and second["status"] == "passed"
    assert second["score"] == second["total"] > first["total"]
    assert wait_summary(page).startswith(f"{second['total']}/{second['total']} passed")
    assert page.locator(f"{PANEL} .jp-codequest-test-failed").count() == 0

    show_browser(page)
    page.wait_for_selector("[data-challenge-id='fizzbuzz'] .jp-codequest-progress-completed")
    shot(page, "challenge-browser.png", clip=sidebar_clip(page, "left", ".jp-codequest-challenge"))

    # 3. The history: both attempts, newest first, with the score chart.
    page.click(f"{PANEL} #jp-codequest-tab-history")
    rows = page.locator(f"{PANEL} [data-submission-id]")
    rows.nth(1).wait_for()
    ids = rows.evaluate_all("els => els.map(e => e.dataset.submissionId)")
    assert ids == [second["id"], first["id"]]
    for row, attempt in zip([rows.nth(0), rows.nth(1)], [second, first], strict=True):
        assert row.locator(".jp-codequest-history-mode").inner_text() == attempt["mode"]
        score = f"{attempt['score']}/{attempt['total']}"
        assert row.locator(".jp-codequest-history-score").inner_text() == score
    # The run is a circle, the submission a square, on labelled axes.
    chart = page.locator(f"{PANEL} svg.jp-codequest-chart")
    assert chart.locator("circle.jp-codequest-chart-run").count() == 1
    assert chart.locator("rect.jp-codequest-chart-submit").count() == 1
    assert chart.locator("text").all_text_contents()[-2:] == ["Attempt", "Tests passed"]
    assert page.locator(f"{PANEL} .jp-codequest-chart-legend").inner_text().split() == [
        "Submit",
        "Run",
        "tests",
    ]
    shot(page, "history.png", clip=sidebar_clip(page, "right", f"{PANEL} .jp-codequest-history li"))

    # 4. Restore the first attempt: the wrong answer is back in the notebook.
    page.click(f"{PANEL} [data-submission-id='{first['id']}'] button")
    page.wait_for_selector(f"{PANEL} .jp-codequest-selected .jp-codequest-summary")
    page.click(f"{PANEL} .jp-codequest-selected button:text-is('Restore')")
    page.wait_for_selector(".jp-Dialog")
    page.click(".jp-Dialog button.jp-mod-accept")
    page.wait_for_selector(f"{PANEL} button:text-is('Undo restore')")
    assert lab.read_code(path)[0] == WRONG
    page.wait_for_function(
        "([s, code]) => document.querySelector(s + ' .jp-CodeCell .cm-content')"
        "?.innerText.replace(/\\n+$/, '') === code",
        arg=[VISIBLE_NOTEBOOK, WRONG],
    )
    assert cell_text(page) == WRONG
