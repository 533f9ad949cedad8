"""Nothing left behind: every way a grading server or ``codequest grade`` stops.

A real ``jupyter server`` with CodeQuest (kernel pool, fork server, bwrap where it
works) grades, then gets SIGTERM; ``codequest grade`` is interrupted mid-grading with
SIGINT and with SIGTERM. Each runs with a temporary directory of its own, so that
"nothing left" is exact: no process of it (nor one mentioning that directory) is
alive afterwards, and no ``codequest-*`` directory is left in it. Both cores are kept
busy by spinning processes for the whole test, as on a shared machine.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from live_server import ServerProcess, free_port
from procs import alive, descendants, kill_all, leftovers, mentioning
from server_fixtures import ANSWER_TESTS, answer_notebook, write_challenge

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def busy_cpus():
    """Busy loops on every core for the duration of the test."""
    spinners = [
        subprocess.Popen([sys.executable, "-c", "while True: pass"])
        for _ in range(max(2, os.cpu_count() or 2))
    ]
    yield
    for proc in spinners:
        proc.kill()
        proc.wait()


@pytest.fixture
def home(tmp_path: Path) -> Path:
    write_challenge(
        tmp_path / "challenges",
        "answer",
        starter="def answer():\n    return 0\n",
        tests=ANSWER_TESTS,
    )
    (tmp_path / "root").mkdir()
    (tmp_path / "config").mkdir()
    (tmp_path / "tmp").mkdir()
    (tmp_path / "config" / "jupyter_server_config.json").write_text(
        json.dumps(
            {
                "ServerApp": {"jpserver_extensions": {"codequest_jupyter": True}},
                "CodeQuestApp": {
                    "challenge_dirs": [str(tmp_path / "challenges")],
                    "db_url": f"sqlite:///{tmp_path / 'codequest.sqlite'}",
                    "grader_pool_size": 2,
                    "single_user_name": "alice",
                },
            }
        )
    )
    return tmp_path


@pytest.mark.parametrize(
    ("grade_first", "signum"),
    [
        (True, signal.SIGTERM),
        (False, signal.SIGTERM),
        (True, signal.SIGINT),
        (True, signal.SIGKILL),
    ],
    ids=[
        "SIGTERM-after-grading",
        "SIGTERM-while-starting",
        "SIGINT-after-grading",
        "SIGKILL-after-grading",
    ],
)
def test_a_stopped_server_leaves_no_process_and_no_directory(home, busy_cpus, grade_first, signum):
    """SIGKILL too: the kernels die with the server, and the fork server removes the
    run directories of the kernels it forked (all of them here) and its own."""
    tmpdir = home / "tmp"
    server = ServerProcess(home, free_port())
    saved = os.environ.get("TMPDIR")
    os.environ["TMPDIR"] = str(tmpdir)  # the server's own (Server passes os.environ on)
    try:
        server.start()
    finally:
        if saved is None:
            os.environ.pop("TMPDIR")
        else:
            os.environ["TMPDIR"] = saved
    assert server.proc is not None
    try:
        family: set[int] = set()
        if grade_first:
            status, body = server.api(
                "POST",
                "challenges/answer/submissions?wait=true",
                {"mode": "submit", "notebook": answer_notebook(42)},
            )
            assert status == 200 and body["status"] == "passed", body
            # The pool refills in the background: stop it while it holds kernels.
            deadline = time.monotonic() + 120
            while (
                len(mentioning(str(tmpdir / "codequest-run-"))) < 2 and time.monotonic() < deadline
            ):
                time.sleep(0.2)
        else:
            # Stop it as soon as it has started a grading process (the fork server or a
            # pooled kernel), while the rest is still starting.
            # (A sandbox probe may come and go in between: what was seen counts.)
            deadline = time.monotonic() + 60
            while not family and time.monotonic() < deadline:
                family = set(descendants(server.proc.pid))
                time.sleep(0.02)
        family |= set(descendants(server.proc.pid))
        assert family, "the server started no grading process"
        server.proc.send_signal(signum)
        server.proc.wait(120)
    finally:
        server.stop()
    procs, dirs = leftovers(tmpdir, family)
    kill_all(procs)
    assert procs == [] and dirs == [], (procs, dirs, server.log.read_text()[-3000:])


SLOW_TESTS = {
    "test_answer.py": """
        import time
        from answer import answer

        def test_is_42():
            time.sleep(60)
            assert answer() == 42
    """,
}


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("when", ["grading", "probing"])
def test_an_interrupted_codequest_grade_leaves_no_process_and_no_directory(
    tmp_path, busy_cpus, signum, when
):
    challenge = write_challenge(
        tmp_path / "challenges",
        "answer",
        starter="def answer():\n    return 0\n",
        tests=SLOW_TESTS,
        extra_toml="timeout_s = 120\nrun_timeout_s = 300\n",
    )
    nb = tmp_path / "answer.ipynb"
    nb.write_text(json.dumps(answer_notebook(42)))
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    env = {
        **os.environ,
        "TMPDIR": str(tmpdir),
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "codequest_jupyter.cli", "grade", str(challenge), str(nb)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        # Mid-grading: the test is sleeping in the kernel. Probing: the sandbox's
        # one-time probe (or the fork server's) is under way, before any kernel.
        marker = str(tmpdir / ("codequest-run-" if when == "grading" else "codequest-"))
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            if when == "grading" and mentioning(marker):
                time.sleep(2.0)  # a kernel runs: let the grading get into the test's sleep
                break
            if when == "probing" and any(d.startswith("codequest-") for d in os.listdir(tmpdir)):
                break
            time.sleep(0.01)
        assert proc.poll() is None, proc.communicate()
        family = descendants(proc.pid)
        proc.send_signal(signum)
        _out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode in (130, 143), (proc.returncode, err[-3000:])
    procs, dirs = leftovers(tmpdir, family)
    kill_all(procs)
    assert procs == [] and dirs == [], (procs, dirs, err.decode(errors="replace")[-3000:])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="bubblewrap needs Linux")
def test_a_probe_that_times_out_leaves_no_process_and_no_directory(
    tmp_path, busy_cpus, monkeypatch, caplog
):
    from codequest_jupyter.grading import sandbox

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(sandbox, "PROBE_TIMEOUT_S", 0.2)  # a starved machine
    sandbox.forget_probes()
    try:
        plan = sandbox.resolve(sandbox.SandboxPolicy(mode="auto"))
    finally:
        sandbox.forget_probes()
    # The probe's kernel start did not make it in time: graded with limits only, said so.
    assert plan.mode == "rlimits" and "timed out" in caplog.text
    procs, dirs = leftovers(tmp_path, set(), timeout=30)
    kill_all(procs)
    assert procs == [] and dirs == []


OWNER = """
import asyncio, sys, time
from codequest_jupyter.grading.forkclient import ForkServer
from codequest_jupyter.grading.rundirs import new_run_dir, probe_dir

async def main():
    server = ForkServer()
    await server.start(timeout=120)
    made = new_run_dir()  # a kernel's directory, its kernel not forked yet
    probing = probe_dir()  # a sandbox probe under way
    print(server.pid, made, probing, flush=True)
    time.sleep(600)

asyncio.run(main())
"""


def test_a_server_killed_outright_leaves_no_run_directory_it_had_made(tmp_path, busy_cpus):
    """The window between making a kernel's run directory and forking its kernel (or
    between its kernel's exit and the directory's removal), or a sandbox probe under
    way: a server SIGKILLed there leaves the directories to its fork server, which
    removes every one named after it."""
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    bystander = tmpdir / "codequest-run-1-someone-else"
    bystander.mkdir()
    env = {
        **os.environ,
        "TMPDIR": str(tmpdir),
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
    }
    proc = subprocess.Popen(
        [sys.executable, "-c", OWNER],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        fork_pid, made, probing = proc.stdout.readline().split()
        assert Path(made).is_dir() and Path(made).parent == tmpdir
        assert Path(probing).is_dir() and Path(probing).parent == tmpdir
        family = descendants(proc.pid)
        assert int(fork_pid) in family
        proc.kill()
        proc.wait(60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        procs = sorted({p for p in family if alive(p)} | set(mentioning(str(tmpdir))))
        dirs = sorted(p.name for p in tmpdir.glob("codequest-*"))
        if not procs and dirs == [bystander.name]:
            break
        time.sleep(0.2)
    kill_all(procs)
    assert (procs, dirs) == ([], [bystander.name])


STARTER = """
import asyncio, sys
from codequest_jupyter.grading.forkclient import ForkServer
from codequest_jupyter.grading.kernel import start_kernel
from codequest_jupyter.grading.policy import SandboxPolicy
from codequest_jupyter.grading.sandbox import resolve
from codequest_jupyter.judge.driver import JudgeProcess

async def main():
    policy = SandboxPolicy(mode="bwrap")
    await asyncio.to_thread(resolve, policy)
    server = None
    if sys.argv[1] == "fork":  # kernels forked, their keepers building the sandboxes
        server = ForkServer()
        await server.start(timeout=120)
    print("probed", flush=True)
    # Two kernels (by exec, or forked) and a judge (by exec) into their sandboxes.
    starts = [
        asyncio.ensure_future(start_kernel(policy, warm=False, fork_server=server))
        for _ in range(2)
    ]
    starts.append(asyncio.ensure_future(JudgeProcess.prestart(policy)))
    await asyncio.sleep(600)

asyncio.run(main())
"""


@pytest.mark.skipif(shutil.which("bwrap") is None, reason="needs bubblewrap")
@pytest.mark.parametrize("start", ["exec", "fork"])
def test_a_server_killed_while_bwrap_builds_its_sandboxes_leaves_no_process(tmp_path, start):
    """bwrap's ``--die-with-parent`` is set by the sandbox's init once the sandbox is
    built: a server killed before (its bwrap killed with it by the parent-death signal
    it had) left that init and the kernel in it running, re-parented to init, or that
    init blocked for good waiting for bwrap's go-ahead. Exec'd sandboxes now die
    through the launcher's lifeline instead, a forked kernel's through its keeper's
    placeholder. Kills at several moments of the start-ups; then the next grader's
    sweep removes the directories."""
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    env = {
        **os.environ,
        "TMPDIR": str(tmpdir),
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
    }
    for step in range(16):  # killed 0 to 300 ms into the start-ups
        proc = subprocess.Popen(
            [sys.executable, "-c", STARTER, start],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        try:
            assert proc.stdout.readline().strip() == "probed"
            time.sleep(step * 0.02)
            proc.kill()
            proc.wait(60)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    # Every process of theirs mentions the directory (bwrap's binds, the launchers').
    deadline = time.monotonic() + 60
    while (procs := mentioning(str(tmpdir))) and time.monotonic() < deadline:
        time.sleep(0.2)
    described = []
    for pid in procs:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[:2]
            wchan = Path(f"/proc/{pid}/wchan").read_text()
            described.append((pid, stat, wchan, Path(f"/proc/{pid}/cmdline").read_bytes()[:100]))
        except OSError:
            continue
    kill_all(procs)
    assert procs == [], described
    # Their directories are named after the dead servers: the next grader's sweep.
    from codequest_jupyter.grading import rundirs

    saved, tempfile.tempdir = tempfile.tempdir, str(tmpdir)
    try:
        rundirs.sweep_run_dirs(min_age_s=0)
    finally:
        tempfile.tempdir = saved
    assert sorted(os.listdir(tmpdir)) == []
