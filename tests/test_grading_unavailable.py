"""A server whose grading sandbox cannot run refuses work with a clear 503.

Bubblewrap that fails (no user namespaces, a broken install: here a stand-in ``bwrap``
first on ``PATH`` that exits as bwrap does without namespaces) must not turn every
submission into a stored "error" attempt charged to the learner: the server answers
503 *Grading is unavailable*, stores nothing, and grades again as soon as the sandbox
works, without a restart. The grading service of hub mode is this same code.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from server_fixtures import answer_notebook, server_test

from codequest_jupyter.grading.sandbox import forget_probes

pytest_plugins = ("pytest_jupyter.jupyter_server", "server_fixtures")

FAILING_BWRAP = """#!/bin/sh
echo "bwrap: No permissions to create a new namespace" >&2
exit 1
"""


@pytest.fixture
def broken_bwrap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "broken-bin"
    folder.mkdir()
    fake = folder / "bwrap"
    fake.write_text(FAILING_BWRAP)
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    forget_probes()  # a plan probed by an earlier test with the real bwrap
    yield folder
    forget_probes()


@pytest.mark.parametrize("codequest_options", [{"sandbox": "bwrap"}])
@server_test
async def test_a_sandbox_that_cannot_run_is_503_and_nothing_is_stored(
    broken_bwrap, api, codequest_options, monkeypatch
):
    body = {"notebook": answer_notebook(42), "mode": "submit"}
    for params in ({"wait": "true"}, None):
        status, reply, _ = await api.post(
            "challenges", "answer", "submissions", body=body, params=params
        )
        assert status == 503, reply
        assert reply["message"].startswith("Grading is unavailable")
        assert "your work is saved" in reply["message"]
        assert "bwrap" not in reply["message"]  # the reason is the admin's, in the log
    status, history, _ = await api.get("challenges", "answer", "submissions")
    assert status == 200 and history["total"] == 0
    status, _detail, _ = await api.get("challenges", "answer")
    assert status == 200

    # Fixed (the real bubblewrap again): graded at once, no restart needed.
    monkeypatch.setenv("PATH", os.environ["PATH"].split(os.pathsep, 1)[1])
    status, result, _ = await api.post(
        "challenges", "answer", "submissions", body=body, params={"wait": "true"}
    )
    assert status == 200 and result["status"] == "passed", result
    status, history, _ = await api.get("challenges", "answer", "submissions")
    assert history["total"] == 1
