"""Accessibility of the CodeQuest panels, measured in a real Chromium.

axe-core (the npm devDependency of labextension/, injected from its
``axe.min.js``) checks every panel of ours in the states a learner sees: the
challenge browser, the Tests panel with results and every row expanded, the
description, the history with its chart and an opened entry; in the light and
the dark theme. No serious or critical violation may be found inside our panels.
The keyboard part checks that the focus stays where the learner was after Run
tests, Submit, opening a history entry and Restore, and that focus rings stand
out from the panel.
"""

from __future__ import annotations

from typing import Any

import pytest

from .lab import Lab
from .pages import (
    PANEL,
    axe_violations,
    contrast,
    kernel_idle,
    latest_submission,
    open_challenge,
    use_theme,
    wait_summary,
)

pytestmark = pytest.mark.browser

OURS = {"browser": "#codequest-browser", "tests": "#codequest-tests"}


def check(page: Any, where: str, found: dict[str, list]) -> None:
    for name, selector in OURS.items():
        if page.is_visible(selector):
            violations = axe_violations(page, selector)
            if violations:
                found[f"{where}: {name}"] = violations


def active(page: Any) -> str:
    """What has the keyboard focus: its text, or 'body'."""
    return page.evaluate(
        "(() => { const el = document.activeElement;"
        " return !el || el === document.body ? 'body' : el.textContent.trim(); })()"
    )


def focus_ring_contrast(page: Any, selector: str) -> float:
    """Contrast of a focused button's outline against the panel behind it."""
    colours = page.locator(selector).evaluate(
        """el => {
          const rgb = v => {
            const n = v.match(/[\\d.]+/g).map(Number).slice(0, 3);
            return v.startsWith('color(') ? n.map(c => c * 255) : n;
          };
          const panel = el.closest('.jp-codequest-sidepanel');
          return {ring: rgb(getComputedStyle(el).outlineColor),
                  width: getComputedStyle(el).outlineWidth,
                  style: getComputedStyle(el).outlineStyle,
                  panel: rgb(getComputedStyle(panel).backgroundColor)};
        }"""
    )
    assert colours["style"] != "none" and colours["width"] != "0px", colours
    return contrast(colours["ring"], colours["panel"])


@pytest.mark.parametrize("theme", ["JupyterLab Light", "JupyterLab Dark"])
def test_panels_have_no_serious_axe_violations_and_keep_the_focus(
    page: Any, lab: Lab, theme: str
) -> None:
    challenge = "palindromes" if theme.endswith("Light") else "anagram-groups"
    if theme.endswith("Dark"):
        use_theme(page, theme)
    found: dict[str, list] = {}
    open_challenge(page, lab, challenge)
    kernel_idle(page)
    check(page, "description", found)
    # Each of our panels is a region with a name of its own (SidePanel calls them
    # all "side panel content"), with no landmark inside.
    labels = [
        page.get_attribute(f"{sel} > .jp-SidePanel-content", "aria-label") for sel in OURS.values()
    ]
    assert len(set(labels)) == 2 and "side panel content" not in labels, labels
    assert page.locator("#codequest-tests header, #codequest-browser header").count() == 0

    # Run tests from the keyboard: the focus stays on the button.
    run = page.locator(f"{PANEL} .jp-codequest-actions button:text-is('Run tests')")
    run.focus()
    page.keyboard.press("Enter")
    wait_summary(page)
    assert active(page) == "Run tests"
    closed = page.locator(f"{PANEL} .jp-codequest-result button[aria-expanded='false']")
    while closed.count():
        closed.first.click()
    check(page, "results, rows expanded", found)

    # Submit from the keyboard (Tab from Run tests: the focus ring is shown).
    run.focus()
    page.keyboard.press("Tab")
    assert active(page) == "Submit"
    assert focus_ring_contrast(page, f"{PANEL} .jp-codequest-submit") >= 3
    page.keyboard.press("Enter")
    page.wait_for_function(
        "() => document.querySelector('.jp-codequest-panel .jp-codequest-summary-mode')"
        "?.textContent === 'Submission'",
        timeout=90000,
    )
    assert active(page) == "Submit"
    assert latest_submission(lab, challenge)["mode"] == "submit"
    check(page, "submission", found)

    # History: the chart and the list; an entry opened from the keyboard.
    page.click(f"{PANEL} #jp-codequest-tab-history")
    page.wait_for_selector(f"{PANEL} [data-submission-id] button")
    check(page, "history", found)
    page.locator(f"{PANEL} [data-submission-id] button").last.focus()
    page.keyboard.press("Enter")
    page.wait_for_selector(f"{PANEL} .jp-codequest-selected .jp-codequest-summary")
    assert active(page) == "← All submissions"
    check(page, "history entry", found)

    # Restore from the keyboard: confirmed in the dialog, the focus comes back
    # to the panel, not the page.
    page.keyboard.press("Tab")
    assert active(page) == "Restore"
    assert focus_ring_contrast(page, f"{PANEL} .jp-codequest-selected .jp-mod-accept") >= 3
    page.keyboard.press("Enter")
    page.wait_for_selector(".jp-Dialog")
    page.keyboard.press("Enter")
    page.wait_for_selector(f"{PANEL} button:text-is('Undo restore')")
    assert active(page) == "Restore"
    check(page, "after restore", found)

    # Back to the list: the entry that was open has the focus again.
    page.click(f"{PANEL} button:text-is('← All submissions')")
    check(page, "history with reset", found)

    report = [
        f"{where} {v['impact']} {v['id']}: {target} — {summary.splitlines()[-1].strip()}"
        for where, violations in found.items()
        for v in violations
        for target, summary in v["nodes"]
    ]
    assert not report, "\n".join(report)
