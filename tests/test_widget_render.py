"""The Tests panel's HTML (``widget/render.py``): learner and test text is escaped
in every piece, after a real grading."""

from __future__ import annotations

from challenge_factory import make_challenge
from widget_helpers import (
    ESCAPED,
    SOLUTION,
    XSS,
    XSS_TESTS,
    graded_state,
)

from codequest_jupyter.widget.model import (
    TestRow,
)
from codequest_jupyter.widget.render import (
    banner_html,
    header_html,
    hints_html,
    row_html,
)


async def test_learner_and_test_text_is_escaped_in_every_html_piece(grader, tmp_path):
    state, _snapshots, result = await graded_state(
        grader, make_challenge(tmp_path, tests=XSS_TESTS, hidden={}), SOLUTION, "run"
    )
    row = state.rows[0]
    assert row.name == f"test_named[{XSS}]"  # the payload really is in the name
    assert XSS in row.message and XSS in row.expected and XSS in row.output
    pieces = [
        row_html(row),
        row_html(TestRow(id=XSS, name=XSS, hidden=True, status="pending")),
        header_html(XSS, XSS, XSS, XSS, XSS),
        hints_html(type("H", (), {"unlocked": (XSS,), "locked": 0})()),
        banner_html(state.banner(), [{"cell": 0, "ename": XSS, "evalue": XSS}]),
    ]
    for html in pieces:
        assert "<img" not in html and ESCAPED in html, html
    assert result["tests"][0]["name"] == row.name
