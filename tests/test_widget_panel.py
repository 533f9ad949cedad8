"""The Tests panel itself (``widget/view.py``, ``controller.py``, ``backends.py``,
``choose.py``), as a learner's notebook uses it: graded locally, through a real ``jupyter server``,
and inside a real kernel (through nbclient)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys

import pytest
from challenge_factory import make_challenge, notebook
from live_server import free_port
from widget_helpers import (
    ESCAPED,
    HALF_RIGHT,
    RLIMITS,
    SOLUTION,
    XSS,
    XSS_HINT,
    XSS_TESTS,
    open_workspace,
    write_nb,
)

from codequest_jupyter.challenges import load_challenge
from codequest_jupyter.widget import TestsPanel
from codequest_jupyter.widget.backends import PanelSetupError
from codequest_jupyter.widget.discovery import (
    ServerInfo,
    connect,
    running_servers,
)


async def test_panel_is_inert_inside_the_grading_kernel(grader, tmp_path):
    """The grader runs the panel's cell too: there it must not discover, grade or fail."""
    nb = notebook(
        "def add(a, b):\n    return a + b\n",
        "from codequest_jupyter.widget import TestsPanel\n"
        "panel = TestsPanel('adder')\n"
        "panel.submit()\n"
        "assert not panel.active and panel.wait(1) and panel.result is None\n"
        "panel",
    )
    result = (
        await grader.grade(load_challenge(make_challenge(tmp_path)), nb, mode="run")
    ).to_json()
    assert result["cell_errors"] == [] and result["status"] == "passed"


def test_local_panel_runs_tests_end_to_end(tmp_path):
    challenges = tmp_path / "challenges"
    make_challenge(challenges)
    nb = write_nb(tmp_path / "work" / "adder.ipynb", HALF_RIGHT)
    panel = TestsPanel(
        notebook=nb, local=True, challenge_dirs=[challenges], grading_settings=RLIMITS
    )
    assert panel.backend.kind == "local" and panel.backend.challenge_id == "adder"
    assert "Graded locally, not saved to your history" in panel.header.value
    assert "adder.ipynb" in panel.header.value

    panel.run_button.click()
    assert panel.run_button.disabled and panel.submit_button.disabled
    assert panel.wait(180)
    rows = [w.value for w in panel.rows.children]
    assert len(rows) == 2  # "Run tests": the public tests only
    assert "✓" in rows[0] and "test_small_numbers" in rows[0] and "passed" in rows[0]
    assert "✗" in rows[1] and "test_negative_numbers" in rows[1] and "<details" in rows[1]
    assert "Expected" in rows[1] and "Actual" in rows[1]
    assert re.search(r"1/2 passed · 1/2 points · [\d.]+ s", panel.summary.value)
    assert (panel.progress.value, panel.progress.max, panel.progress.bar_style) == (
        1 + 1,
        2,
        "danger",
    )
    assert "2 of 2 tests" in panel.progress_label.value
    assert not panel.run_button.disabled
    assert panel.result["status"] == "failed" and panel.result["mode"] == "run"
    assert "failed" in panel.history.value and "not saved to your history" in panel.history.value

    # Fix the notebook, save, submit: hidden tests too, all green.
    write_nb(nb, SOLUTION)
    panel.submit_button.click()
    assert panel.wait(180)
    assert [w.value.count("✓") for w in panel.rows.children] == [1, 1, 1]
    assert "hidden" in panel.rows.children[2].value
    assert "All tests passed" in panel.summary.value
    assert panel.progress.bar_style == "success"
    assert panel.history.value.count("<tr>") == 2
    panel.hints_button.click()
    assert panel.wait(10)
    assert "No hints unlocked yet" in panel.hints.value  # no failed submit yet
    assert "1 more hint unlocks" in panel.hints.value
    panel.close()


def test_panel_escapes_a_malicious_test_name_in_widget_values(tmp_path):
    challenge = make_challenge(tmp_path / "c", tests=XSS_TESTS, hidden={}, toml_extra=XSS_HINT)
    nb = write_nb(tmp_path / "adder.ipynb", SOLUTION)
    panel = TestsPanel(str(challenge), notebook=nb, grading_settings=RLIMITS)
    assert panel.backend.kind == "local"  # a challenge directory is graded here
    panel.run_tests()
    assert panel.wait(180)
    panel.hints_button.click()
    assert panel.wait(10)
    html_widgets = [
        panel.header,
        panel.summary,
        panel.banner,
        panel.hints,
        panel.history,
        panel.progress_label,
        *panel.rows.children,
    ]
    values = [w.value for w in html_widgets]
    assert panel.result["tests"][0]["name"] == f"test_named[{XSS}]"
    assert any(ESCAPED in v for v in panel.rows.children[0].value.split("</summary>")[:1])
    assert ESCAPED in panel.hints.value
    for value in values:
        assert "<img" not in value, value


def test_panel_setup_errors_are_clear(tmp_path):
    make_challenge(tmp_path / "challenges")
    with pytest.raises(PanelSetupError, match="No challenge 'nope'"):
        TestsPanel("nope", local=True, challenge_dirs=[tmp_path / "challenges"])
    with pytest.raises(PanelSetupError, match="does not belong to a known challenge"):
        TestsPanel(
            notebook=write_nb(tmp_path / "notes.ipynb", SOLUTION),
            local=True,
            challenge_dirs=[tmp_path / "challenges"],
        )
    with pytest.raises(PanelSetupError, match="No CodeQuest server answered"):
        TestsPanel("adder", server=f"http://127.0.0.1:{free_port()}/", token="x")
    # A notebook that is not saved (yet) is a failed run with a message, not an exception.
    panel = TestsPanel(
        "adder",
        notebook=tmp_path / "unsaved.ipynb",
        local=True,
        challenge_dirs=[tmp_path / "challenges"],
    )
    panel.run_tests()
    assert panel.wait(30)
    assert "Save the notebook first" in panel.banner.value
    assert "not graded" in panel.summary.value


def test_panel_finds_the_server_and_its_submissions_are_stored(widget_server):
    relpath, path = open_workspace(widget_server, "adder", HALF_RIGHT)
    servers = running_servers(str(widget_server.runtime), env={})
    assert [s.url for s in servers] == [widget_server.url] and servers[0].root_dir == str(
        widget_server.root
    )
    # No challenge named: told from the workspace folder the notebook is in.
    panel = TestsPanel(notebook=path, runtime_dir=str(widget_server.runtime))
    assert panel.backend.kind == "server" and panel.backend.challenge_id == "adder"
    assert panel.backend.connection.notebook_relpath == relpath
    assert "saved to your history" in panel.header.value and relpath in panel.header.value
    panel.submit_button.click()
    assert panel.wait(120)
    result = panel.result
    assert result is not None and result["status"] == "failed"
    assert [w.value.count("✓") for w in panel.rows.children] == [1, 0, 1]
    assert "hidden" in panel.rows.children[2].value
    assert re.search(r"2/3 passed · 2/3 points", panel.summary.value)
    # Stored on the server: in the history the JupyterLab panel shows too.
    client = widget_server.client()
    assert client.result(result["id"])["status"] == "failed"
    assert client.history("adder", limit=1)["submissions"][0]["id"] == result["id"]
    assert "failed" in panel.history.value
    panel.hints_button.click()  # one failed submit unlocks the default hint
    assert panel.wait(10)
    assert "Use +." in panel.hints.value
    panel.close()


def test_the_server_session_of_this_kernel_names_the_notebook(widget_server):
    """In JupyterLab the kernel is one of the server's sessions: its path is the
    notebook's, whatever the kernel's environment says (e.g. after a rename)."""
    relpath, _path = open_workspace(widget_server, "adder", SOLUTION)
    client = widget_server.client()
    body = {
        "path": relpath,
        "type": "notebook",
        "name": "",
        "kernel": {"name": "python3"},
    }
    session = client.request("POST", "api/sessions", body, api=False)
    try:
        info = running_servers(str(widget_server.runtime), env={})[0]
        conn = connect(None, [info], kid=session["kernel"]["id"], env={})
        assert conn is not None and conn.notebook_relpath == relpath
        assert conn.notebook_path == widget_server.root / relpath
        other = connect(None, [info], kid="not-this-kernel", env={})
        assert other is not None and other.notebook_relpath is None  # the workspace copy
    finally:
        client.request("DELETE", f"api/sessions/{session['id']}", api=False)


def test_panel_sends_the_notebook_when_the_server_cannot_see_it(widget_server, tmp_path):
    outside = write_nb(tmp_path / "mine" / "adder.ipynb", SOLUTION)
    info = ServerInfo(widget_server.url, widget_server.token, str(widget_server.root))
    conn = connect(outside, [info], env={})
    assert conn is not None and conn.notebook_relpath is None and conn.notebook_path == outside
    panel = TestsPanel(
        "adder", notebook=outside, server=widget_server.url, token=widget_server.token
    )
    panel.run_tests()
    assert panel.wait(120)
    assert panel.result["status"] == "passed"
    code = widget_server.client().request("GET", f"submissions/{panel.result['id']}/code")
    assert code["notebook"]["cells"][1]["source"] == SOLUTION["cells"][1]["source"]


def test_server_panel_escapes_a_malicious_test_name(widget_server):
    _relpath, path = open_workspace(widget_server, "xss", SOLUTION)
    panel = TestsPanel("xss", notebook=path, runtime_dir=str(widget_server.runtime))
    assert panel.backend.kind == "server"
    panel.run_tests()
    assert panel.wait(120)
    assert panel.result["tests"][0]["name"] == f"test_named[{XSS}]"
    row = panel.rows.children[0].value
    assert ESCAPED in row and "<img" not in row
    for widget in (panel.summary, panel.banner, panel.header, panel.history):
        assert "<img" not in widget.value


def test_panel_inside_a_real_kernel_finds_everything_by_itself(widget_server, tmp_path):
    """``TestsPanel()`` with no arguments, in a real ipykernel run by nbclient: the
    notebook from JPY_SESSION_NAME, the server from the runtime files, the challenge
    from the workspace folder; widget updates from the worker thread reach the frontend."""
    _relpath, path = open_workspace(widget_server, "adder", SOLUTION)
    code = (
        "import json\n"
        "from codequest_jupyter.widget import TestsPanel\n"
        "panel = TestsPanel()\n"
        "panel.submit_button.click()\n"
        "assert panel.wait(120)\n"
        "print(json.dumps(panel.controller.snapshot()))\n"
        "panel"
    )
    source, executed = tmp_path / "in.ipynb", tmp_path / "out.ipynb"
    write_nb(source, notebook(code, markdown=None))
    # nbclient in a process of its own, so a kernel that dies or hangs cannot hang the
    # test run: the whole process group goes at the deadline.
    script = (
        "import sys, nbformat\n"
        "from nbclient import NotebookClient\n"
        "nb = nbformat.read(sys.argv[1], as_version=4)\n"
        "NotebookClient(nb, timeout=180, startup_timeout=120, kernel_name='python3',\n"
        "               resources={'metadata': {'path': sys.argv[3]}}).execute()\n"
        "nbformat.write(nb, sys.argv[2])\n"
    )
    env = {
        **os.environ,
        "JUPYTER_RUNTIME_DIR": str(widget_server.runtime),
        "JPY_SESSION_NAME": str(path),
    }
    proc = subprocess.Popen(
        [sys.executable, "-c", script, str(source), str(executed), str(path.parent)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        out, _ = proc.communicate(timeout=300)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        pytest.fail("the notebook did not finish in 300 s:\n" + out.decode(errors="replace"))
    assert proc.returncode == 0, out.decode(errors="replace")
    import nbformat  # joins the multi-line strings of the file format back up

    nb = nbformat.read(executed, as_version=4)
    outputs = nb["cells"][0]["outputs"]
    text = "".join(o.get("text", "") for o in outputs if o["output_type"] == "stream")
    snapshot = json.loads(text.strip().splitlines()[-1])
    assert snapshot["backend"] == "server" and snapshot["challenge"] == "adder"
    assert snapshot["run"]["status"] == "passed" and snapshot["run"]["progress"] == [
        3,
        3,
    ]
    assert snapshot["history"][0][:2] == ["submit", "passed"]
    # The panel was displayed as a widget, and the frontend side holds the final state.
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs)
    state = nb["metadata"]["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    values = [m["state"].get("value") for m in state.values() if m["model_name"] == "HTMLModel"]
    assert any(isinstance(v, str) and "All tests passed" in v for v in values)
    assert sum(1 for v in values if isinstance(v, str) and "test_large_numbers" in v) == 1
