"""What a learner does in the browser tests' Chromium, and what they measure.

Opening a challenge, pressing the panel's buttons, waiting for results, dragging a
sidebar, switching the theme, taking a README screenshot, WCAG contrast, axe-core.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from .lab import CHALLENGES, Lab

VISIBLE_NOTEBOOK = ".jp-NotebookPanel:not(.lm-mod-hidden)"
PANEL = ".jp-codequest-panel"


def solution(challenge: str) -> str:
    files = sorted((CHALLENGES / challenge / "solution").glob("*.py"))
    return "\n\n".join(f.read_text() for f in files)


def show_browser(page: Any) -> None:
    if not page.is_visible(".jp-codequest-browser"):
        page.click("li[data-id='codequest-browser']")
    page.wait_for_selector(".jp-codequest-challenge")


TESTS_TAB = "li[data-id='codequest-tests']"


def show_tests_panel(page: Any) -> None:
    """Open the Tests panel by its sidebar tab, as a learner would, if it is not open.

    The tab toggles: clicking it while its panel is current collapses the sidebar. Right
    after a page load the sidebar may already show the panel (restored layout) before
    the panel's content is rendered, so the tab's own state decides, not the content's
    visibility; the click is repeated only while the tab is still not current.
    """
    page.wait_for_selector(TESTS_TAB)
    for _ in range(3):
        if "lm-mod-current" not in (page.get_attribute(TESTS_TAB, "class") or ""):
            page.click(TESTS_TAB)
        try:
            page.wait_for_selector(PANEL, state="visible", timeout=15000)
            return
        except PlaywrightTimeout:
            continue
    page.wait_for_selector(PANEL, state="visible", timeout=15000)


def open_challenge(page: Any, lab: Lab, challenge: str) -> None:
    """Open a challenge from the browser, as a learner does."""
    show_browser(page)
    page.click(f"[data-challenge-id='{challenge}'] button")
    page.wait_for_selector(f"{VISIBLE_NOTEBOOK} .jp-Notebook")
    # An earlier test may have left the right sidebar collapsed: open the Tests panel
    # the way a learner would (its tab), then wait for it to follow the new notebook.
    show_tests_panel(page)
    title = lab.api("GET", f"codequest/api/challenges/{challenge}")["title"]
    try:
        page.wait_for_selector(f"{PANEL} h2:text-is('{title}')", timeout=60000)
    except Exception as exc:
        tabs = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab").evaluate_all(
            "els => els.map(e => [e.title, e.classList.contains('lm-mod-current')])"
        )
        shown = page.locator(PANEL).inner_text() if page.is_visible(PANEL) else "(panel hidden)"
        raise AssertionError(
            f"the Tests panel did not follow {challenge}: it shows "
            f"{shown[:500]!r}; main-area tabs {tabs}; requests in flight: "
            f"{page.codequest_pending()}"
        ) from exc


def press(page: Any, label: str) -> None:
    page.click(f"{PANEL} .jp-codequest-actions button:text-is('{label}')")


def expand(row: Any) -> None:
    """Open a test row, unless it is open already (the first failure is)."""
    header = row.locator("button.jp-codequest-test-header")
    if header.get_attribute("aria-expanded") != "true":
        header.click()
    row.locator(".jp-codequest-test-details").wait_for()


def wait_summary(page: Any) -> str:
    return page.wait_for_selector(f"{PANEL} .jp-codequest-summary-text", timeout=90000).inner_text()


def latest_submission(lab: Lab, challenge: str) -> dict:
    listing = lab.api("GET", f"codequest/api/challenges/{challenge}/submissions?limit=1")
    return lab.api("GET", f"codequest/api/submissions/{listing['submissions'][0]['id']}")


# Where the README's screenshots go; unset: nowhere (they are taken and checked only).
SCREENSHOT_DIR = os.environ.get("CODEQUEST_SCREENSHOT_DIR") or None


def sidebar_width(page: Any, side: str, width: int) -> None:
    """Drag the handle between a sidebar and the main area, as a learner would."""
    handles = page.locator("#jp-main-split-panel > .lm-SplitPanel-handle:not(.lm-mod-hidden)")
    sidebar = page.locator(f"#jp-{side}-stack")
    box = sidebar.bounding_box()
    handle = handles.first if side == "left" else handles.last
    hbox = handle.bounding_box()
    x = hbox["x"] + hbox["width"] / 2
    y = hbox["y"] + hbox["height"] / 2
    target = box["x"] + width if side == "left" else box["x"] + box["width"] - width
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(target, y, steps=5)
    page.mouse.up()
    page.wait_for_function(
        "([sel, w]) => Math.abs(document.querySelector(sel).getBoundingClientRect().width - w) < 8",
        arg=[f"#jp-{side}-stack", width],
    )


def kernel_idle(page: Any) -> None:
    """Wait for the notebook's kernel, so no screenshot shows it starting.

    The toolbar's indicator may sit in the toolbar's overflow menu when the main
    area is narrow; the status bar names the kernel's state too.
    """
    page.wait_for_function(
        """(s) => document.querySelector(s + ' .jp-Notebook-ExecutionIndicator[data-status="idle"]')
              || /\\| Idle\\b/.test(document.querySelector('#jp-main-statusbar')?.innerText || '')""",
        arg=VISIBLE_NOTEBOOK,
        timeout=60000,
    )


def show_code(page: Any) -> None:
    """Scroll the notebook down to its code cells, the last one at the bottom."""
    page.locator(f"{VISIBLE_NOTEBOOK} .jp-CodeCell").last.evaluate(
        "cell => cell.scrollIntoView({block: 'end'})"
    )


def shot(page: Any, name: str, clip: dict | None = None) -> Path | None:
    """A screenshot for the README, with the pointer off anything it could highlight;
    saved as `name` under CODEQUEST_SCREENSHOT_DIR when that is set."""
    page.mouse.move(1300, 12)  # the empty end of the menu bar
    image = page.screenshot(animations="disabled", clip=clip)
    assert image.startswith(b"\x89PNG") and len(image) > 10_000, (name, len(image))
    if SCREENSHOT_DIR is None:
        return None
    path = Path(SCREENSHOT_DIR) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(image)
    return path


def luminance(rgb: list[float]) -> float:
    """WCAG relative luminance, 0 (black) to 1 (white)."""

    def channel(c: float) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: list[float], b: list[float]) -> float:
    """WCAG contrast ratio, 1 to 21."""
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def use_theme(page: Any, theme: str) -> None:
    """Switch the theme from the Settings menu, as a learner does."""
    page.click("#jp-menu-panel .lm-MenuBar-itemLabel:text-is('Settings')")
    page.hover(".lm-Menu-itemLabel:text-is('Theme')")
    page.click(f".lm-Menu-itemLabel:text-is('{theme}')")
    page.wait_for_function("(name) => document.body.dataset.jpThemeName === name", arg=theme)


AXE = (
    Path(__file__).resolve().parents[2]
    / "labextension"
    / "node_modules"
    / "axe-core"
    / "axe.min.js"
)

RUN_AXE = """async (selector) => {
  const results = await axe.run({include: [[selector]]}, {resultTypes: ['violations']});
  return results.violations
    .filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => [n.target.join(' '), n.failureSummary])}));
}"""


def axe_violations(page: Any, selector: str) -> list[dict]:
    """Serious and critical axe violations inside `selector`."""
    if not AXE.is_file():
        pytest.fail(f"{AXE} is missing: cd labextension && jlpm install")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Lab's body has height 0, which makes axe skip every text-contrast check
        # as "not visible"; this changes no pixel.
        page.add_style_tag(content="html, body { height: 100% }")
        page.add_script_tag(path=str(AXE))
    return page.evaluate(RUN_AXE, selector)
