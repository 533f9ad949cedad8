"""The ipywidgets Tests panel: view-model, escaping, local grading, the REST client.

Everything runs for real: gradings on real kernels through the engine, a real
``jupyter server`` subprocess with the extension for the server path, and a real
ipykernel (through nbclient) for the panel as a learner's notebook uses it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from procs import stop_process
from challenge_factory import make_challenge, notebook

from codequest_jupyter.challenges import load_challenge
from codequest_jupyter.grading import Grader, GradingSettings
from codequest_jupyter.widget import TestsPanel
from codequest_jupyter.widget.backends import PanelSetupError
from codequest_jupyter.widget.client import ApiError, CodeQuestClient, parse_sse
from codequest_jupyter.widget.discovery import (
    ChallengeUnknown,
    ServerInfo,
    connect,
    hub_server_url,
    infer_challenge,
    notebook_path_hint,
    relative_to_root,
    running_servers,
)
from codequest_jupyter.widget.model import (
    RunState,
    TestRow,
    format_duration,
    format_points,
    format_when,
    summary_text,
)
from codequest_jupyter.widget.render import (
    banner_html,
    header_html,
    hints_html,
    row_html,
)

XSS = "<img src=x onerror=alert(1)>"
ESCAPED = "&lt;img src=x onerror=alert(1)&gt;"
SOLUTION = notebook("def add(a, b):\n    return a + b\n")
# Right for the two small-number tests' sums of positives, wrong for negatives.
HALF_RIGHT = notebook("def add(a, b):\n    return abs(a) + abs(b)\n")
RLIMITS = GradingSettings(sandbox="rlimits")
SUMMARY = re.compile(r"^(\d+)/(\d+) passed · ([\d.]+)/([\d.]+) points · [\d.]+ s$")

XSS_TESTS = {
    "test_x.py": f"""
        import pytest
        from adder import add

        @pytest.mark.parametrize("label", [{XSS!r}])
        def test_named(label):
            print({XSS!r})
            assert add(1, 2) == label
    """
}
XSS_HINT = f'[[hints]]\ntext = "{XSS}"\nafter_attempts = 0\n'


def write_nb(path: Path, nb: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


@pytest.fixture
async def grader():
    g = Grader(RLIMITS)
    yield g
    await g.close()


async def graded_state(grader: Grader, challenge_dir: Path, nb: dict, mode: str):
    """Grade for real, feeding a RunState; returns (state, [(event kind, snapshot after
    it)], result)."""
    challenge = load_challenge(challenge_dir)
    state = RunState(mode=mode)
    state.submitted("s1")
    snapshots: list[tuple[str, dict[str, Any]]] = []

    def on_event(kind: str, data: dict[str, Any]) -> None:
        state.apply(kind, data)
        snapshots.append((kind, state.snapshot()))

    result = (await grader.grade(challenge, nb, mode=mode, on_event=on_event)).to_json()
    state.apply("result", result)
    snapshots.append(("result", state.snapshot()))
    return state, snapshots, result


# -- words ----------------------------------------------------------------------------


def test_numbers_and_times_in_words():
    assert [format_points(p) for p in (6.0, 2.5, 1 / 3, None)] == [
        "6",
        "2.5",
        "0.33",
        "0",
    ]
    assert [format_duration(ms) for ms in (412, 0, 9_949, 12_400, 125_000)] == [
        "0.4 s",
        "0.0 s",
        "9.9 s",
        "12 s",
        "2 min 5 s",
    ]
    result = {
        "score": 3,
        "total": 4,
        "points": 6.0,
        "max_points": 8.0,
        "duration_ms": 412,
    }
    assert summary_text(result) == "3/4 passed · 6/8 points · 0.4 s"
    now = dt.datetime(2026, 11, 24, 15, 0, tzinfo=dt.timezone.utc)

    def local(iso: str) -> dt.datetime:
        return dt.datetime.fromisoformat(iso).astimezone()

    assert format_when("2026-11-24T14:32:05Z", now) == "today " + local(
        "2026-11-24T14:32:05+00:00"
    ).strftime("%H:%M")
    assert format_when("2026-11-23T14:32:05Z", now).startswith("yesterday ")
    assert format_when("2025-03-02T10:00:00Z", now).endswith(
        "2025 " + local("2025-03-02T10:00:00+00:00").strftime("%H:%M")
    )
    assert format_when("not a time", now) == "not a time"


# -- the view-model, fed by real gradings ---------------------------------------------


async def test_view_model_follows_a_real_grading(grader, tmp_path):
    state, snapshots, result = await graded_state(
        grader, make_challenge(tmp_path), HALF_RIGHT, "submit"
    )
    # Announced first: every announced row pending, nothing done.
    kind, first = snapshots[0]
    assert kind == "collected" and first["rows"][:2] == [
        ("test_small_numbers", "pending", False),
        ("test_negative_numbers", "pending", False),
    ]
    n = len(first["rows"])
    assert all(status == "pending" for _, status, _ in first["rows"])
    assert first["progress"] == (0, n) and first["progress_text"] == f"0 of {n} tests"
    assert first["summary"] is None and first["phase"] == "running"
    # Each test event finishes one more row; a later announcement (the engine may
    # collect the hidden tests in a second step) adds rows and never resets finished ones.
    finished: dict[str, str] = {}
    done = 0
    for kind, snap in snapshots[1:-1]:
        statuses = {name: status for name, status, _ in snap["rows"]}
        for name, status in finished.items():
            assert statuses[name] == status, (kind, snap)
        if kind == "test":
            done += 1
        assert snap["progress"] == (done, len(snap["rows"])), (kind, snap)
        finished = {k: v for k, v in statuses.items() if v != "pending"}
    assert done == 3 and snapshots[1][1]["rows"][0][1] == "passed"
    # The end: the rows, the progress and the summary line of the result.
    final = snapshots[-1][1]
    assert final["rows"] == [
        ("test_small_numbers", "passed", False),
        ("test_negative_numbers", "failed", False),
        ("test_large_numbers", "passed", True),
    ]
    assert final["phase"] == "done" and final["status"] == "failed" == result["status"]
    assert final["progress"] == (3, 3) and final["progress_text"] == "3 of 3 tests"
    match = SUMMARY.match(final["summary"])
    assert match and match.groups()[:4] == ("2", "3", "2", "3"), final["summary"]
    assert state.banner() is None and not state.is_active
    failed = state.rows[1]
    assert (failed.expected, failed.actual) == ("-2", "2") and failed.has_details
    hidden = state.rows[2]
    assert hidden.hidden and not hidden.has_details and hidden.points_text == "1/1 pts"


async def test_view_model_error_banner_names_the_cell(grader, tmp_path):
    broken = notebook("import math\n", "def add(a, b)\n    return a + b\n")
    state, _snapshots, result = await graded_state(
        grader, make_challenge(tmp_path), broken, "run"
    )
    assert result["status"] == "error" and state.status == "error"
    banner = state.banner()
    assert banner is not None and banner.kind == "syntax"
    assert banner.title == "Your notebook has a syntax error"
    # The markdown cell is cell 1, the broken code cell is cell 3.
    assert banner.cell == 2 and banner.where == "cell 3"
    assert "cell 3" in banner.message
    html = banner_html(banner, state.cell_errors())
    assert "Your notebook has a syntax error" in html and "(cell 3)" in html
    assert SUMMARY.match(state.summary()).groups()[:2] == ("0", "2")


def test_view_model_polling_snapshots_and_failures():
    state = RunState(mode="run")
    state.submitted("abc")
    assert state.phase == "queued" and state.progress_text() == "Waiting for a grader…"
    # A result polled while grading carries the finished tests only.
    state.apply(
        "result",
        {
            "status": "running",
            "tests": [
                {
                    "id": "t::a",
                    "name": "a",
                    "hidden": False,
                    "status": "passed",
                    "points": 1,
                    "max_points": 1,
                }
            ],
        },
    )
    assert state.phase == "running" and state.result is None and state.completed == 1
    state.fail("Could not reach the server")
    assert state.phase == "failed" and not state.is_active
    assert state.banner().title == "The tests could not run"
    assert state.banner().message == "Could not reach the server"


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


# -- escaping -------------------------------------------------------------------------


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


# -- finding things -----------------------------------------------------------------


def test_challenge_is_told_from_metadata_workspace_folder_or_file_name(tmp_path):
    listing = [
        {"id": "two-sum", "notebook": "two_sum.ipynb"},
        {"id": "fizzbuzz", "notebook": "fizzbuzz.ipynb"},
        {"id": "fizzbuzz-2", "notebook": "fizzbuzz.ipynb"},
    ]
    assert infer_challenge("codequest/two-sum/two_sum.ipynb", listing) == "two-sum"
    assert (
        infer_challenge("codequest/two-sum/two_sum-Copy1.ipynb", listing) == "two-sum"
    )
    assert infer_challenge("elsewhere/two_sum.ipynb", listing) == "two-sum"
    assert (
        infer_challenge("x.ipynb", listing, {"codequest": {"challenge": "fizzbuzz"}})
        == "fizzbuzz"
    )
    with pytest.raises(ChallengeUnknown, match="Several challenges"):
        infer_challenge("elsewhere/fizzbuzz.ipynb", listing)
    with pytest.raises(ChallengeUnknown, match="does not belong"):
        infer_challenge("notes.ipynb", listing)
    with pytest.raises(ChallengeUnknown, match="TestsPanel"):
        infer_challenge(None, listing)

    nb = write_nb(tmp_path / "root" / "sub" / "a.ipynb", notebook("x = 1"))
    assert relative_to_root(nb, str(tmp_path / "root")) == "sub/a.ipynb"
    assert relative_to_root(nb, str(tmp_path / "other")) is None
    # jupyter_server's JPY_SESSION_NAME, VS Code's __vsc_ipynb_file__; missing files skipped.
    assert notebook_path_hint({}, {"JPY_SESSION_NAME": str(nb)}) == nb
    assert notebook_path_hint({"__vsc_ipynb_file__": str(nb)}, {}) == nb
    assert (
        notebook_path_hint({}, {"JPY_SESSION_NAME": str(tmp_path / "gone.ipynb")})
        is None
    )


def test_servers_from_runtime_files_and_jupyterhub(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    for name, pid, url in (
        ("a", os.getpid(), "http://localhost:8888/"),
        ("b", dead.pid, "http://x/"),
    ):
        info = {"url": url, "token": "t", "root_dir": "/srv", "pid": pid}
        (tmp_path / f"jpserver-{name}.json").write_text(json.dumps(info))
    (tmp_path / "jpserver-c.json").write_text("{half written")
    env = {
        "JUPYTERHUB_SERVICE_URL": "http://:8890/user/alice/",
        "JUPYTERHUB_API_TOKEN": "hub-token",
    }
    servers = running_servers(str(tmp_path), env=env)
    assert servers == [
        ServerInfo("http://localhost:8888/", "t", "/srv"),
        ServerInfo(
            "http://127.0.0.1:8890/user/alice/", "hub-token", None, "JupyterHub"
        ),
    ]
    assert hub_server_url({"JUPYTERHUB_SERVICE_URL": "http://0.0.0.0:9000"}) == (
        "http://127.0.0.1:9000/"
    )
    assert running_servers(str(tmp_path / "none"), env={}) == []


def test_event_stream_parsing():
    text = (
        ": ping\n\n"
        'event: collected\ndata: {"total": 1, "tests": []}\n\n'
        'event: test\ndata: {"id": "a",\n'
        'data: "status": "passed"}\n\n'
        "event: junk\ndata: not json\n\n"
        'event: result\r\ndata: {"status": "passed"}\r\n\r\n'
    )
    assert list(parse_sse(text.splitlines(keepends=True))) == [
        ("collected", {"total": 1, "tests": []}),
        ("test", {"id": "a", "status": "passed"}),
        ("result", {"status": "passed"}),
    ]


# -- the panel, graded locally ---------------------------------------------------------


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
    assert (
        "✗" in rows[1] and "test_negative_numbers" in rows[1] and "<details" in rows[1]
    )
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
    assert (
        "failed" in panel.history.value
        and "not saved to your history" in panel.history.value
    )

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
    challenge = make_challenge(
        tmp_path / "c", tests=XSS_TESTS, hidden={}, toml_extra=XSS_HINT
    )
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
    assert any(
        ESCAPED in v for v in panel.rows.children[0].value.split("</summary>")[:1]
    )
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


# -- a real jupyter server with the extension -----------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class JupyterServer:
    """``jupyter server`` with CodeQuest in a subprocess, its runtime files in ``home``."""

    token = "widget-test-token"

    def __init__(self, home: Path, challenges: Path):
        self.home = home
        self.root = home / "root"
        self.runtime = home / "runtime"
        for d in (self.root, self.runtime, home / "config", home / "data"):
            d.mkdir(parents=True, exist_ok=True)
        (home / "config" / "jupyter_server_config.json").write_text(
            json.dumps(
                {
                    "ServerApp": {"jpserver_extensions": {"codequest_jupyter": True}},
                    "CodeQuestApp": {
                        "challenge_dirs": [str(challenges)],
                        "db_url": f"sqlite:///{home / 'codequest.sqlite'}",
                        "grader_pool_size": 0,
                        "sandbox": "rlimits",
                        "single_user_name": "alice",
                    },
                }
            )
        )
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log = home / "server.log"
        self.env = {
            **os.environ,
            "JUPYTER_CONFIG_DIR": str(home / "config"),
            "JUPYTER_DATA_DIR": str(home / "data"),
            "JUPYTER_RUNTIME_DIR": str(self.runtime),
        }
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "jupyter_server",
                    f"--port={self.port}",
                    "--ip=127.0.0.1",
                    "--ServerApp.port_retries=0",
                    "--no-browser",
                    "--allow-root",
                    f"--ServerApp.root_dir={self.root}",
                    f"--IdentityProvider.token={self.token}",
                ],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 60
        while True:
            assert self.proc.poll() is None, self.log.read_text()[-3000:]
            try:
                urllib.request.urlopen(self.url + "api/status", timeout=2).close()
            except urllib.error.HTTPError:
                break  # it answers (403 without a token)
            except OSError:
                assert time.monotonic() < deadline, self.log.read_text()[-3000:]
                time.sleep(0.2)
                continue
            break
        while not list(self.runtime.glob("jpserver-*.json")):
            assert time.monotonic() < deadline
            time.sleep(0.1)

    def client(self) -> CodeQuestClient:
        return CodeQuestClient(self.url, self.token)

    def stop(self) -> None:
        stop_process(self.proc, 30)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    home = tmp_path_factory.mktemp("widget-server")
    challenges = home / "challenges"
    make_challenge(challenges)
    make_challenge(challenges, "xss", tests=XSS_TESTS, hidden={})
    make_challenge(
        challenges,
        "slow",
        tests={
            "test_slow.py": """
        import time
        from adder import add

        def test_one():
            time.sleep(0.8)
            assert add(1, 1) == 2

        def test_two():
            time.sleep(0.8)
            assert add(2, 2) == 4
    """
        },
        hidden={},
    )
    srv = JupyterServer(home, challenges)
    yield srv
    srv.stop()


def open_workspace(
    server: JupyterServer, cid: str, nb: dict[str, Any]
) -> tuple[str, Path]:
    reply = server.client().request("POST", f"challenges/{cid}/workspace", {})
    path = server.root / reply["path"]
    write_nb(path, nb)  # the learner edits and saves
    return reply["path"], path


def test_client_submits_streams_events_and_matches_the_stored_result(server):
    client = server.client()
    info = client.info()
    assert info["user"] == "alice" and info["api_version"] >= 1
    relpath, _ = open_workspace(server, "adder", HALF_RIGHT)
    accepted = client.submit("adder", "submit", path=relpath)
    assert accepted["status"] == "queued"
    events = list(client.events(accepted["id"]))
    kinds = [k for k, _ in events]
    assert kinds[-1] == "result" and "collected" in kinds
    assert kinds.count("test") == 3 and kinds.index("collected") < kinds.index("test")
    final = events[-1][1]
    stored = client.result(accepted["id"])
    assert stored["status"] == final["status"] == "failed"
    assert (
        [(t["id"], t["status"]) for t in stored["tests"]]
        == [(t["id"], t["status"]) for t in final["tests"]]
        == [(d["id"], d["status"]) for k, d in events if k == "test"]
    )
    assert (stored["score"], stored["total"]) == (2, 3)
    history = client.history("adder", limit=5)
    assert history["submissions"][0]["id"] == accepted["id"]
    # Errors come back as ApiError with the server's message.
    with pytest.raises(ApiError) as err:
        client.submit("adder", "sideways", path=relpath)
    assert err.value.status == 400 and "mode" in err.value.message
    with pytest.raises(ApiError) as err:
        CodeQuestClient(server.url, "wrong-token").info()
    assert err.value.status == 403


def test_follow_falls_back_to_polling_when_the_stream_breaks(server):
    relpath, _ = open_workspace(server, "slow", SOLUTION)
    # A stream that goes quiet for longer than this counts as broken.
    client = CodeQuestClient(server.url, server.token, stream_timeout=0.3)
    accepted = client.submit("slow", "run", path=relpath)
    seen: list[str] = []
    final = client.follow(
        accepted["id"], lambda kind, data: seen.append(kind), poll_s=0.2
    )
    assert final is not None and final["status"] == "passed" and final["score"] == 2
    assert (
        seen[-1] == "result" and seen.count("result") >= 2
    )  # polled snapshots, then the end


def test_panel_finds_the_server_and_its_submissions_are_stored(server):
    relpath, path = open_workspace(server, "adder", HALF_RIGHT)
    servers = running_servers(str(server.runtime), env={})
    assert [s.url for s in servers] == [server.url] and servers[0].root_dir == str(
        server.root
    )
    # No challenge named: told from the workspace folder the notebook is in.
    panel = TestsPanel(notebook=path, runtime_dir=str(server.runtime))
    assert panel.backend.kind == "server" and panel.backend.challenge_id == "adder"
    assert panel.backend.connection.notebook_relpath == relpath
    assert (
        "saved to your history" in panel.header.value and relpath in panel.header.value
    )
    panel.submit_button.click()
    assert panel.wait(120)
    result = panel.result
    assert result is not None and result["status"] == "failed"
    assert [w.value.count("✓") for w in panel.rows.children] == [1, 0, 1]
    assert "hidden" in panel.rows.children[2].value
    assert re.search(r"2/3 passed · 2/3 points", panel.summary.value)
    # Stored on the server: in the history the JupyterLab panel shows too.
    client = server.client()
    assert client.result(result["id"])["status"] == "failed"
    assert client.history("adder", limit=1)["submissions"][0]["id"] == result["id"]
    assert "failed" in panel.history.value
    panel.hints_button.click()  # one failed submit unlocks the default hint
    assert panel.wait(10)
    assert "Use +." in panel.hints.value
    panel.close()


def test_the_server_session_of_this_kernel_names_the_notebook(server):
    """In JupyterLab the kernel is one of the server's sessions: its path is the
    notebook's, whatever the kernel's environment says (e.g. after a rename)."""
    relpath, _path = open_workspace(server, "adder", SOLUTION)
    client = server.client()
    body = {
        "path": relpath,
        "type": "notebook",
        "name": "",
        "kernel": {"name": "python3"},
    }
    session = client.request("POST", "api/sessions", body, api=False)
    try:
        info = running_servers(str(server.runtime), env={})[0]
        conn = connect(None, [info], kid=session["kernel"]["id"], env={})
        assert conn is not None and conn.notebook_relpath == relpath
        assert conn.notebook_path == server.root / relpath
        other = connect(None, [info], kid="not-this-kernel", env={})
        assert (
            other is not None and other.notebook_relpath is None
        )  # the workspace copy
    finally:
        client.request("DELETE", f"api/sessions/{session['id']}", api=False)


def test_panel_sends_the_notebook_when_the_server_cannot_see_it(server, tmp_path):
    outside = write_nb(tmp_path / "mine" / "adder.ipynb", SOLUTION)
    info = ServerInfo(server.url, server.token, str(server.root))
    conn = connect(outside, [info], env={})
    assert (
        conn is not None
        and conn.notebook_relpath is None
        and conn.notebook_path == outside
    )
    panel = TestsPanel("adder", notebook=outside, server=server.url, token=server.token)
    panel.run_tests()
    assert panel.wait(120)
    assert panel.result["status"] == "passed"
    code = server.client().request("GET", f"submissions/{panel.result['id']}/code")
    assert code["notebook"]["cells"][1]["source"] == SOLUTION["cells"][1]["source"]


def test_server_panel_escapes_a_malicious_test_name(server):
    _relpath, path = open_workspace(server, "xss", SOLUTION)
    panel = TestsPanel("xss", notebook=path, runtime_dir=str(server.runtime))
    assert panel.backend.kind == "server"
    panel.run_tests()
    assert panel.wait(120)
    assert panel.result["tests"][0]["name"] == f"test_named[{XSS}]"
    row = panel.rows.children[0].value
    assert ESCAPED in row and "<img" not in row
    for widget in (panel.summary, panel.banner, panel.header, panel.history):
        assert "<img" not in widget.value


def test_panel_inside_a_real_kernel_finds_everything_by_itself(server, tmp_path):
    """``TestsPanel()`` with no arguments, in a real ipykernel run by nbclient: the
    notebook from JPY_SESSION_NAME, the server from the runtime files, the challenge
    from the workspace folder; widget updates from the worker thread reach the frontend."""
    _relpath, path = open_workspace(server, "adder", SOLUTION)
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
        "JUPYTER_RUNTIME_DIR": str(server.runtime),
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
        pytest.fail(
            "the notebook did not finish in 300 s:\n" + out.decode(errors="replace")
        )
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
    assert any(
        "application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs
    )
    state = nb["metadata"]["widgets"]["application/vnd.jupyter.widget-state+json"][
        "state"
    ]
    values = [
        m["state"].get("value")
        for m in state.values()
        if m["model_name"] == "HTMLModel"
    ]
    assert any(isinstance(v, str) and "All tests passed" in v for v in values)
    assert (
        sum(1 for v in values if isinstance(v, str) and "test_large_numbers" in v) == 1
    )


def test_cell_timeouts_and_cut_output_are_warnings_beside_the_verdict():
    state = RunState(mode="submit")
    state.submitted("s1")
    test = {
        "id": "tests/test_a.py::test_a", "name": "test_a", "hidden": False, "status": "passed",
        "points": 1, "max_points": 1, "output": "x" * 10 + "\n… output truncated (90 more characters)",
        "output_truncated": True,
    }
    state.apply(
        "result",
        {
            "status": "passed", "score": 1, "total": 1, "points": 1, "max_points": 1,
            "duration_ms": 300, "error": None, "tests": [test], "output_truncated": True,
            "cell_errors": [
                {"cell": 2, "ename": "TimeoutError", "kind": "timeout",
                 "evalue": "Cell 3 ran longer than 5 s and was stopped.", "traceback": None},
                # Stored before cell errors had a kind: an exception.
                {"cell": 4, "ename": "ValueError", "evalue": "bad", "traceback": None},
            ],
        },
    )
    assert state.status == "passed" and state.banner() is None
    html = banner_html(state.banner(), state.cell_errors(), state.output_truncated())
    assert "⚠" not in html  # no blocking banner: warnings only
    assert "Cell 3 took too long and was interrupted: Cell 3 ran longer than 5 s" in html
    assert "Cell 5 raised ValueError: bad" in html
    assert "Some output was cut at its limit" in html
    row = TestRow.from_json(test)
    assert row.output_truncated and "Output (cut at the limit" in row_html(row)
    assert "cut at the limit" not in row_html(TestRow.from_json({**test, "output_truncated": False}))
    assert "Some output was cut" not in banner_html(None, [], False)
