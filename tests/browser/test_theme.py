"""The CodeQuest panels follow JupyterLab's theme (here: JupyterLab Dark).

The panels' CSS uses only JupyterLab's theme variables; this checks what the
learner actually sees: the colours Chromium computes once the dark theme is
on, and that passed and failed results stay readable and tell apart.
"""

from __future__ import annotations

from typing import Any

import pytest

from .lab import Lab
from .pages import (
    PANEL,
    contrast,
    expand,
    kernel_idle,
    latest_submission,
    luminance,
    open_challenge,
    press,
    shot,
    show_code,
    sidebar_width,
    use_theme,
    wait_summary,
)

pytestmark = pytest.mark.browser

# The colour an element is painted with (its own, or the first ancestor's that
# is not transparent) and its text colour, as [r, g, b] in 0..255.
COLOURS = """(el) => {
  // rgb(r, g, b[, a]) in 0..255, or color(srgb r g b[ / a]) in 0..1 (color-mix()).
  const rgb = value => {
    const n = value.match(/[\\d.]+/g).map(Number);
    return value.startsWith('color(') ? n.map((c, i) => (i < 3 ? c * 255 : c)) : n;
  };
  let bg = null;
  for (let node = el; node; node = node.parentElement) {
    const value = rgb(getComputedStyle(node).backgroundColor);
    if (value.length < 4 || value[3] > 0) { bg = value.slice(0, 3); break; }
  }
  return {background: bg, text: rgb(getComputedStyle(el).color).slice(0, 3)};
}"""


def colours(page: Any, selector: str) -> dict:
    return page.locator(selector).first.evaluate(COLOURS)


def test_panels_follow_the_dark_theme(page: Any, lab: Lab) -> None:
    use_theme(page, "JupyterLab Dark")
    assert page.evaluate("document.body.dataset.jpThemeLight") == "false"

    # The starter answer ignores neither case nor punctuation: a mixed result.
    open_challenge(page, lab, "palindromes")
    kernel_idle(page)
    press(page, "Run tests")
    wait_summary(page)
    result = latest_submission(lab, "palindromes")
    assert 0 < result["score"] < result["total"]
    failing = next(t for t in result["tests"] if t["status"] == "failed")
    row = page.locator(f"{PANEL} [data-test-id='{failing['id']}']")
    expand(row)
    row.locator(".jp-codequest-expected").wait_for()
    # The pointer off the panel: a hovered row is painted differently.
    page.mouse.move(700, 450)

    theme_background = page.evaluate(
        "getComputedStyle(document.body).getPropertyValue('--jp-layout-color1')"
    ).strip()
    assert theme_background, "the dark theme's variables are not loaded"

    panel = colours(page, PANEL)
    heading = colours(page, f"{PANEL} h2")
    passed_row = colours(page, f"{PANEL} .jp-codequest-test-passed .jp-codequest-test-name")
    passed = colours(page, f"{PANEL} .jp-codequest-test-passed .jp-codequest-status")
    failed = colours(page, f"{PANEL} .jp-codequest-test-failed .jp-codequest-status")
    summary = colours(page, f"{PANEL} .jp-codequest-summary-text")
    expected = colours(page, f"{PANEL} .jp-codequest-expected")
    actual = colours(page, f"{PANEL} .jp-codequest-actual")
    browser_item = colours(page, ".jp-codequest-challenge-title")

    # Dark surfaces with light text: the panel, a result row, the values, the browser.
    for name, seen in [
        ("panel", panel),
        ("heading", heading),
        ("result row", passed_row),
        ("expected", expected),
        ("actual", actual),
        ("challenge browser", browser_item),
    ]:
        assert luminance(seen["background"]) < 0.05, (name, seen)
        assert luminance(seen["text"]) > 0.5, (name, seen)
        assert contrast(seen["text"], seen["background"]) >= 7, (name, seen)
    # The panel is painted by the theme's own variable, not a colour of ours.
    assert panel["background"] == page.evaluate(
        """(v) => { const probe = document.createElement('div');
                    probe.style.background = v; document.body.append(probe);
                    const c = getComputedStyle(probe).backgroundColor; probe.remove();
                    return c.match(/[\\d.]+/g).map(Number).slice(0, 3); }""",
        theme_background,
    )

    # Pass and fail glyphs and the summary stand out from the background
    # (WCAG 3:1 for graphics) and from each other.
    for name, seen in [("passed", passed), ("failed", failed), ("summary", summary)]:
        assert contrast(seen["text"], seen["background"]) >= 3, (name, seen)
    assert passed["text"][1] > passed["text"][0], passed  # green
    assert failed["text"][0] > failed["text"][1], failed  # red
    assert sum(abs(a - b) for a, b in zip(passed["text"], failed["text"], strict=True)) > 150

    # The values' side borders keep the same green and red.
    borders = page.locator(f"{PANEL} .jp-codequest-diff pre").evaluate_all(
        "els => els.map(e => getComputedStyle(e).borderLeftColor)"
    )
    assert len(borders) == 2 and borders[0] != borders[1]

    # The notebook and the Tests panel side by side, as in the light screenshot.
    page.click("li[data-id='codequest-browser']")
    page.wait_for_selector(".jp-codequest-browser", state="hidden")
    sidebar_width(page, "right", 470)
    show_code(page)
    shot(page, "dark-theme.png")
