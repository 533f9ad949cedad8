"""What the Tests panel says about a notebook cell that loops and about output cut
at the cap, against the real grading engine.

Both rely on the result fields the engine reports from this round on:
``cell_errors[].kind`` with ``status: passed`` when every test passed (a looping
"Try it" cell is a warning, not a failure), and ``output_truncated`` on tests and
on the result.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .lab import Lab
from .pages import PANEL, VISIBLE_NOTEBOOK, latest_submission, open_challenge, press, wait_summary

pytestmark = pytest.mark.browser

CHALLENGES = Path(__file__).resolve().parents[2] / "challenges"


def set_code_cells(lab: Lab, challenge: str, first: str, last: str) -> str:
    """The first code cell becomes `first`, the last one `last`; the notebook's path."""
    path = lab.workspace(challenge)
    model = lab.api("GET", f"api/contents/{path}?content=1")
    code = [c for c in model["content"]["cells"] if c["cell_type"] == "code"]
    code[0]["source"] = first
    code[-1]["source"] = last
    lab.api(
        "PUT",
        f"api/contents/{path}",
        {"type": "notebook", "format": "json", "content": model["content"]},
    )
    return path


def test_a_looping_try_it_cell_is_a_warning_when_every_test_passes(page: Any, lab: Lab) -> None:
    right = (CHALLENGES / "two-sum" / "solution" / "two_sum.py").read_text()
    set_code_cells(lab, "two-sum", right, "while True:\n    pass\n")
    open_challenge(page, lab, "two-sum")
    press(page, "Run tests")
    summary = wait_summary(page)
    result = latest_submission(lab, "two-sum")
    assert result["status"] == "passed" and result["error"] is None
    timeouts = [e for e in result["cell_errors"] if e["kind"] == "timeout"]
    assert len(timeouts) == 1
    cell = timeouts[0]["cell"]

    assert summary.startswith(f"{result['total']}/{result['total']} passed")
    assert "jp-codequest-tone-pass" in page.get_attribute(
        f"{PANEL} .jp-codequest-summary-text", "class"
    )
    # A warning, not the banner of an error that stopped the tests.
    assert page.locator(f"{PANEL} .jp-codequest-result [role='alert']").count() == 0
    warning = page.locator(f"{PANEL} .jp-codequest-cell-errors[role='status']")
    limits = lab.api("GET", "codequest/api/challenges/two-sum")["limits"]
    seconds = limits.get("cell_timeout_s") or limits["timeout_s"]
    assert (
        f"All tests passed · cell {cell + 1} of the notebook timed out after "
        f"{seconds:g} s and was interrupted"
    ) in warning.inner_text()
    warning.locator(f"button:text-is('cell {cell + 1}')").click()
    active = page.evaluate(
        """(s) => [...document.querySelectorAll(s + ' .jp-Notebook .jp-Cell')]
                  .findIndex(c => c.classList.contains('jp-mod-active'))""",
        VISIBLE_NOTEBOOK,
    )
    assert active == cell


def test_output_cut_at_the_cap_is_told(page: Any, lab: Lab) -> None:
    loud = (
        (CHALLENGES / "fizzbuzz" / "solution" / "fizzbuzz.py")
        .read_text()
        .replace('    """', '    print("x" * 200_000)\n    """', 1)
    )
    assert "200_000" in loud
    set_code_cells(lab, "fizzbuzz", loud, "")
    open_challenge(page, lab, "fizzbuzz")
    press(page, "Run tests")
    wait_summary(page)
    result = latest_submission(lab, "fizzbuzz")
    cut = [t for t in result["tests"] if t.get("output_truncated")]
    assert cut and result["output_truncated"] is True
    kb = lab.api("GET", "codequest/api/challenges/fizzbuzz")["limits"]["output_kb"]
    assert f"Some output was cut at {kb} kB per test." in page.inner_text(
        f"{PANEL} .jp-codequest-summary"
    )
    row = page.locator(f"{PANEL} [data-test-id='{cut[0]['id']}']")
    header = row.locator("button.jp-codequest-test-header")
    if header.get_attribute("aria-expanded") != "true":
        header.click()
    assert (
        row.locator(".jp-codequest-truncated")
        .inner_text()
        .startswith(f"Output truncated at {kb} kB")
    )
