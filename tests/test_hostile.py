"""The hostile corpus (tests/hostile/corpus.py) graded on real, sandboxed kernels.

Each case is graded through ``Grader`` with the platform's strongest sandbox
(``auto``) against a challenge with short limits, with the tests in a judge process
and inside the kernel, then: the outcome the case expects;
the hidden test's canary nowhere in the result (unless the case documents that leak);
and nothing left behind, neither a process of the kernel nor its run directory.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import os
import shutil
import signal
import socket
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from hostile import corpus
from hostile.corpus import CASES, Case
from procs import _state_and_ppid, kernel_processes

from codequest_jupyter.challenges import load_challenge
from codequest_jupyter.grading import (
    Grader,
    GradingSettings,
    SubmissionInvalid,
    procfs,
    sandbox,
)
from codequest_jupyter.grading import kernel as kernel_module
from codequest_jupyter.judge import driver as judge_driver
from codequest_jupyter.judge.suite import judge_unavailable
from codequest_jupyter.results import learner_result

REPO = Path(__file__).resolve().parents[1]


def _canary(tag: str) -> str:
    return f"cq{tag}-" + os.urandom(6).hex()


class HostileEnv:
    """The challenge and the host-side secrets and traps the corpus aims at."""

    def __init__(self, root: Path, policy_hidden: Path):
        self.root = root
        self.canary = _canary("hidden")
        self.challenge_dir = corpus.make_target_challenge(root / "challenges", self.canary)
        self.challenge = load_challenge(self.challenge_dir)
        self.challenge_digest = self._digest()
        self.db_canary = _canary("db")
        self.db = root / "data" / "codequest.sqlite"
        self.db.parent.mkdir()
        with sqlite3.connect(self.db) as conn:
            conn.execute("create table secrets (value text)")
            conn.execute("insert into secrets values (?)", (self.db_canary,))
        self.workspace_canary = _canary("ws")
        self.other = root / "home" / "bob" / "codequest" / "target"
        self.other.mkdir(parents=True)
        (self.other / "notebook.ipynb").write_text(self.workspace_canary)
        self.policy_hidden = policy_hidden
        self.policy_canary = _canary("policy")
        (policy_hidden / "secret.txt").write_text(self.policy_canary)
        self.runtime = root / "runtime"
        self.runtime.mkdir()
        self.runtime_canary = _canary("runtime")
        (self.runtime / "jpserver-1234.json").write_text(json.dumps({"token": self.runtime_canary}))
        self.outside = root / "outside"
        self.outside.mkdir()
        self.env_canaries = {
            "JUPYTERHUB_API_TOKEN": _canary("hubtoken"),
            "JPY_API_TOKEN": _canary("jpytoken"),
            "DATABASE_URL": "postgresql://codequest:" + _canary("dbpass") + "@127.0.0.1/cq",
            "PGPASSWORD": _canary("pgpass"),
            "AWS_SECRET_ACCESS_KEY": _canary("aws"),
        }
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.listener.setblocking(False)
        self.port = self.listener.getsockname()[1]
        self.unix_path = str(root / "server.sock")
        self.unix = socket.socket(socket.AF_UNIX)
        self.unix.bind(self.unix_path)
        self.unix.listen(4)
        self.runs = root / "runs"
        self.runs.mkdir()
        # Directories nobody named anywhere (neither exposed nor hidden), each holding a
        # secret: under /opt, /srv and next to the checkout. The sandbox shows an
        # allow-list, so they are not there at all.
        self.unlisted_canary = _canary("unlisted")
        self.unlisted: list[Path] = []
        for parent in ("/opt", "/srv", REPO.parent):
            try:
                path = Path(tempfile.mkdtemp(prefix=".codequest-hostile-", dir=parent))
            except OSError:
                continue  # not writable here (an unprivileged test run)
            # Readable by anyone: only the sandbox keeps the kernel from it.
            path.chmod(0o755)
            (path / "secret.txt").write_text(self.unlisted_canary)
            self.unlisted.append(path)
        assert self.unlisted, "no directory outside the sandbox's allow-list to test with"

    def fill(self, source: str) -> str:
        for key, value in {
            "CHALLENGE": self.challenge_dir,
            "DB": self.db,
            "OTHER": self.other,
            "POLICY_HIDDEN": self.policy_hidden,
            "RUNTIME": self.runtime,
            "PORT": self.port,
            "UNIX": self.unix_path,
            "OUTSIDE": self.outside,
            "REPO": REPO,
            "RUNS": self.runs,
            "MIME": corpus.CHANNEL_MIME,
            "UNLISTED": [str(p) for p in self.unlisted],
        }.items():
            source = source.replace(f"@@{key}@@", str(value))
        return source

    def _digest(self) -> str:
        h = hashlib.sha256()
        for path in sorted(self.challenge_dir.rglob("*")):
            h.update(str(path).encode())
            if path.is_file():
                h.update(path.read_bytes())
        return h.hexdigest()

    def challenge_intact(self) -> bool:
        return (
            self._digest() == self.challenge_digest
            and (REPO / "README.md").is_file()
            and Path("/usr/lib").is_dir()
        )

    def must_not_exist(self) -> list[Path]:
        return [
            Path("/etc/codequest-pwned"),
            Path("/usr/codequest-pwned"),
            self.challenge_dir / "pwned",
            REPO / "codequest-pwned",
            self.outside / "pwned",
        ]

    def tcp_connections(self) -> int:
        count = 0
        while True:
            try:
                conn, _ = self.listener.accept()
            except BlockingIOError:
                return count
            conn.close()
            count += 1

    def secrets(self) -> list[str]:
        return [
            self.canary,
            self.db_canary,
            self.workspace_canary,
            self.policy_canary,
            self.runtime_canary,
            self.unlisted_canary,
            *self.env_canaries.values(),
        ]

    def assert_no_server_secrets(self, report: str) -> None:
        for name, value in self.env_canaries.items():
            assert value not in report, f"{name} reached the kernel"
        assert self.runtime_canary not in report, "Jupyter's runtime files reached the kernel"

    def close(self) -> None:
        self.listener.close()
        self.unix.close()
        for path in self.unlisted:
            shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def hostile_env(tmp_path_factory):
    # A directory outside /tmp and outside the default hidden ones: only the policy's
    # hide_paths keeps it from the kernel.
    policy_hidden = Path(tempfile.mkdtemp(prefix=".hostile-hidden-", dir=Path(__file__).parent))
    env = HostileEnv(tmp_path_factory.mktemp("hostile"), policy_hidden)
    saved = {k: os.environ.get(k) for k in env.env_canaries}
    os.environ.update(env.env_canaries)  # the "server's" secrets
    try:
        yield env
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        env.close()
        for child in policy_hidden.iterdir():
            child.unlink()
        policy_hidden.rmdir()


def settings(env: HostileEnv, kernel_start: str = "auto") -> GradingSettings:
    return GradingSettings(
        sandbox="auto", pool_size=0, hide_paths=[str(env.policy_hidden)], kernel_start=kernel_start
    )


# Every case runs with kernels forked from the fork server (into their sandbox), as a
# running server starts them, and with kernels exec'd (as when the fork server is down).
KERNEL_STARTS = ("fork", "exec")
# ... and with the tests in a judge process, and inside the kernel.
ISOLATIONS = ("judge", "kernel")


async def started_grader(env: HostileEnv, kernel_start: str) -> Grader:
    grader = Grader(settings(env, kernel_start))
    if kernel_start == "fork":
        await grader.start()
        assert await grader.pool.wait_fork_server(60), "kernels are not forked here"
    return grader


def kernel_leftovers(specs: list[sandbox.LaunchSpec]) -> list[int]:
    """Processes of these kernels still alive, found by uid or by the kernel's marker."""
    found: set[int] = set()
    for spec in specs:
        found.update(spec.leftovers())
        found.update(procfs.processes_with_marker(spec.marker))
    return sorted(found)


def capabilities(env: HostileEnv) -> set[str]:
    """What the platform's sandbox guarantees (the corpus's ``needs``)."""
    plan = sandbox.resolve(settings(env).policy())
    caps = set()
    if plan.mode == "bwrap":
        caps |= {"isolation", "unprivileged"}
    elif plan.mode == "rlimits" and plan.uid_strategy != "own":
        caps.add("unprivileged")
    return caps


@pytest.fixture
def recorded_specs(monkeypatch):
    """Every LaunchSpec a test's kernels were started with (to look for leftovers)."""
    specs: list[sandbox.LaunchSpec] = []
    original = kernel_module.launch_spec

    def recording(*args, **kwargs):
        spec = original(*args, **kwargs)
        specs.append(spec)
        return spec

    monkeypatch.setattr(kernel_module, "launch_spec", recording)
    return specs


@pytest.fixture
def judge_specs(monkeypatch):
    """Every LaunchSpec a test's judge processes were started with."""
    specs: list[sandbox.LaunchSpec] = []
    original = judge_driver.judge_spec

    def recording(*args, **kwargs):
        spec = original(*args, **kwargs)
        specs.append(spec)
        return spec

    monkeypatch.setattr(judge_driver, "judge_spec", recording)
    return specs


@pytest.fixture
def runs(hostile_env, monkeypatch):
    """Run directories of this test go to an empty directory of their own."""
    path = Path(tempfile.mkdtemp(dir=hostile_env.runs))
    monkeypatch.setattr(tempfile, "tempdir", str(path))
    yield path
    path.rmdir()


def _report(result) -> str:
    for test in result.tests:
        if test.name == "test_add":
            return test.output or ""
    return ""


def _status_ok(actual: str, expected) -> bool:
    return actual in expected if isinstance(expected, tuple) else actual == expected


def _check_outcome(case: Case, result, env: HostileEnv, isolation: str) -> None:
    case = case.expected(isolation)
    data = result.to_json()
    report = _report(result)
    if case.status is not None:
        assert _status_ok(result.status, case.status), (result.status, data["error"])
    if case.error_kind is not ...:
        actual = result.error.kind if result.error else None
        assert _status_ok(actual, case.error_kind), data["error"]
    for words in case.error_words:
        assert result.error is not None and words in result.error.message, data["error"]
    statuses = {t.name: t.status for t in result.tests}
    for name, expected in case.tests.items():
        assert _status_ok(statuses.get(name), expected), (name, statuses, data["error"])
    if case.score is not None:
        assert result.score == case.score, (statuses, data["error"])
    if case.cell_errors is not None:
        names = [e.ename for e in result.cell_errors]
        assert len(names) == len(case.cell_errors), names
        for actual, expected in zip(names, case.cell_errors, strict=True):
            assert _status_ok(actual, expected), names
    for words in case.report_has:
        assert words in report, report[:2000]
    for words in case.report_lacks:
        assert words not in report, report[:2000]
    if case.check is not None:
        case.check(result, env, report)
    # Whatever the attack, the hidden test's source and the host's secrets stay out of
    # the result a learner is shown (the documented in-process leaks excepted; the
    # stored result keeps hidden tests' details for instructors).
    shown = learner_result(data, show_hidden_details=False)
    text = json.dumps(shown)
    for secret in env.secrets():
        if case.limitation and secret == env.canary:
            continue
        assert secret not in text, f"a secret reached the result: {secret}"
    for test in shown["tests"]:
        if test["hidden"]:  # the learner sees a hidden test's status, nothing of its insides
            insides = (test["output"], test["traceback"], test["expected"], test["actual"])
            assert insides == (None,) * 4
            if test["status"] == "failed":
                assert test["message"] is None


@pytest.mark.parametrize("isolation", ISOLATIONS)
@pytest.mark.parametrize("kernel_start", KERNEL_STARTS)
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
async def test_hostile_notebook(
    case: Case, kernel_start, isolation, hostile_env, runs, recorded_specs, judge_specs
):
    missing = set(case.needs) - capabilities(hostile_env)
    if missing:
        pytest.skip(
            f"needs {', '.join(sorted(missing))}, which this platform's sandbox "
            "cannot give: running it here could harm the machine"
        )
    grader = await started_grader(hostile_env, kernel_start)
    challenge = dataclasses.replace(hostile_env.challenge, isolation=isolation)
    used = await grader.isolation(challenge)
    if used != isolation:
        # A platform whose sandbox cannot keep a judge apart grades in the kernel (and
        # says why): the case must then hold as kernel mode has it.
        assert isolation == "judge" and judge_unavailable(grader.settings.policy())
        isolation = used
    started = time.monotonic()
    try:
        if case.invalid:
            with pytest.raises(SubmissionInvalid):
                await grader.grade(challenge, case.notebook(hostile_env))
            result = None
        else:
            result = await grader.grade(
                challenge,
                case.notebook(hostile_env),
                files={k: hostile_env.fill(v) for k, v in (case.files or {}).items()},
                mode="submit",
            )
        elapsed = time.monotonic() - started
        # The grading's own clean-up leaves nothing behind (before the fork server,
        # which kills whatever it forked, is closed).
        await grader.settle()
        assert kernel_leftovers(recorded_specs) == [], "processes left by a kernel"
        assert kernel_leftovers(judge_specs) == [], "processes left by a judge"
    finally:
        await grader.close()
    # Nothing left behind: no process of any kernel or judge of this run, no run directory.
    assert kernel_leftovers(recorded_specs) == []
    assert kernel_leftovers(judge_specs) == []
    assert case.invalid or recorded_specs
    # The tests ran where the challenge said (a notebook that never got to its tests
    # may have left the judge unstarted, never the other way round).
    assert isolation == "judge" or judge_specs == []
    assert kernel_processes(str(runs)) == []
    assert list(runs.iterdir()) == []
    if result is None:
        return
    assert elapsed < case.within_s, f"took {elapsed:.1f} s"
    _check_outcome(case, result, hostile_env, isolation)


def test_corpus_is_large_and_named_uniquely():
    names = [c.name for c in CASES]
    assert len(names) >= 30 and len(set(names)) == len(names)
    assert all(c.attack for c in CASES)


def _python_kernels(specs: list[sandbox.LaunchSpec]) -> list[int]:
    """The kernel interpreters themselves: not the bwrap or shell processes around them,
    nor the keeper a forked kernel's sandbox has outside it (the kernel's parent)."""
    exe = os.path.realpath(sys.executable)
    pythons = set()
    for spec in specs:
        for pid in procfs.processes_with_marker(spec.marker):
            try:
                if os.path.realpath(f"/proc/{pid}/exe") == exe:
                    pythons.add(pid)
            except OSError:
                continue
    parents = {found[1] for found in map(_state_and_ppid, pythons) if found is not None}
    return sorted(pythons - parents)


SLOW_TESTS = """
from target import add, slow


def test_first():
    assert add(1, 2) == 3


def test_slow():
    assert slow() == 1


def test_last():
    assert add(2, 2) == 4
"""


@pytest.mark.parametrize("kernel_start", KERNEL_STARTS)
async def test_kernel_killed_from_outside_mid_test(
    kernel_start, tmp_path, runs, recorded_specs, hostile_env
):
    """kill -9 of the kernel during a slow test: that test errors, truthfully; the rest go on."""
    root = tmp_path / "ch"
    path = corpus.make_target_challenge(root, "unused")
    (path / "hidden" / "test_hidden.py").unlink()
    (path / "hidden").rmdir()
    (path / "tests" / "test_unit.py").unlink()
    (path / "tests" / "test_public.py").write_text(SLOW_TESTS)
    (path / "challenge.toml").write_text(
        (path / "challenge.toml")
        .read_text()
        .replace("timeout_s = 2", "timeout_s = 20")
        .replace("run_timeout_s = 10", "run_timeout_s = 60")
    )
    challenge = load_challenge(path)
    nb = corpus.notebook(corpus.ADD, "import time\ndef slow():\n    time.sleep(30)\n    return 1\n")
    killed: list[int] = []

    async def on_event(kind, data):
        if kind == "test" and data["name"] == "test_first":
            await asyncio.sleep(0.5)  # test_slow is sleeping now
            for pid in _python_kernels(recorded_specs):
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)

    grader = await started_grader(hostile_env, kernel_start)
    started = time.monotonic()
    try:
        result = await grader.grade(challenge, nb, mode="run", on_event=on_event)
    finally:
        await grader.close()
    assert killed, "no kernel process was found to kill"
    assert time.monotonic() - started < 20
    statuses = {t.name: t.status for t in result.tests}
    assert statuses["test_first"] == "passed"
    assert statuses["test_slow"] == "error"
    assert statuses["test_last"] in ("passed", "not_run")
    assert result.error is not None and result.error.kind == "kernel_died"
    assert "SIGKILL" in result.error.message and "test_slow" in result.error.message
    slow = next(t for t in result.tests if t.name == "test_slow")
    assert "SIGKILL" in slow.message
    assert kernel_leftovers(recorded_specs) == []
    assert kernel_processes(str(runs)) == [] and list(runs.iterdir()) == []
