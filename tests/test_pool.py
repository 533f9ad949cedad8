"""The kernel pool and the fork server, on real kernels."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from challenge_factory import make_challenge, notebook
from procs import alive

from codequest_jupyter.challenges import load_challenge
from codequest_jupyter.grading import Grader, GradingSettings
from codequest_jupyter.grading.pool import KernelPool
from codequest_jupyter.grading.rundirs import new_run_dir, sweep_run_dirs
from codequest_jupyter.grading.sandbox import SandboxPolicy

POLICY = SandboxPolicy(mode="rlimits")


async def until(predicate, timeout: float = 60.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def run(kernel, code: str) -> tuple[dict, str]:
    """Execute ``code`` in ``kernel``: (reply content, stdout)."""
    out: list[str] = []

    def hook(msg):
        if msg["msg_type"] == "stream":
            out.append(msg["content"]["text"])

    reply = await kernel.kc.execute_interactive(code, timeout=30, output_hook=hook)
    return reply["content"], "".join(out)


@pytest.fixture
def runs_dir(tmp_path, monkeypatch):
    """Run directories (and the fork server's) go here, so leftovers can be checked."""
    path = tmp_path / "runs"
    path.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(path))
    return path


@pytest.fixture
async def make_pool(runs_dir):
    """Pools built by a test; each is closed and checked to leave nothing behind."""
    pools: list[KernelPool] = []
    pids: list[int] = []

    def make(size: int = 1, **kwargs) -> KernelPool:
        kwargs.setdefault("start_method", "exec")
        pool = KernelPool(POLICY, size, startup_timeout=60, **kwargs)
        pools.append(pool)
        return pool

    def track(*kernels) -> None:
        pids.extend(k.pid for k in kernels if k.pid)

    make.track = track
    yield make
    for pool in pools:
        if pool._forks.latest is not None and pool._forks.latest.pid:
            pids.append(pool._forks.latest.pid)
        pids.extend(k.pid for k in pool._ready if k.pid)
        await pool.close()
    await until(lambda: not any(alive(p) for p in pids), 10, "kernel processes to end")
    assert list(runs_dir.iterdir()) == []


@pytest.mark.parametrize("method", ["exec", "fork"])
async def test_pooled_kernel_is_fresh_and_never_handed_out_twice(make_pool, method):
    pool = make_pool(1, start_method=method)
    pool.start()
    assert await pool.wait_ready(1)
    first = await pool.acquire()
    make_pool.track(first)
    assert first.pooled and first.forked == (method == "fork")
    assert pool.ready_count == 0
    reply, _ = await run(first, "secret = 41")
    assert reply["status"] == "ok"
    await first.dispose()
    assert not first.run_dir.exists()

    assert await pool.wait_ready(1)
    second = await pool.acquire()
    make_pool.track(second)
    assert second is not first and second.pid != first.pid
    reply, _ = await run(second, "secret")
    assert reply["status"] == "error" and reply["ename"] == "NameError"
    assert pool.stats["pooled"] == 2 and pool.stats["cold"] == 0
    await second.dispose()


async def test_after_use_refill_waits_until_the_kernel_is_disposed(make_pool):
    pool = make_pool(1, refill="after_use")
    pool.start()
    assert await pool.wait_ready(1)
    kernel = await pool.acquire()
    make_pool.track(kernel)
    await asyncio.sleep(0.5)
    # No replacement competes with the grading for the CPU...
    assert pool.ready_count == 0 and pool.starting_count == 0
    await kernel.dispose()
    # ...and it starts as soon as the grading is over.
    await until(lambda: pool.starting_count or pool.ready_count, 5, "the refill to start")
    assert await pool.wait_ready(1)


async def test_eager_refill_starts_at_once(make_pool):
    pool = make_pool(1, refill="eager")
    pool.start()
    assert await pool.wait_ready(1)
    kernel = await pool.acquire()
    make_pool.track(kernel)
    assert await pool.wait_ready(1)
    assert await kernel.is_alive()
    await kernel.dispose()


async def test_empty_pool_means_a_cold_start(make_pool):
    pool = make_pool(0)
    pool.start()
    kernel = await pool.acquire()
    make_pool.track(kernel)
    assert not kernel.pooled
    reply, out = await run(kernel, "print(6 * 7)")
    assert reply["status"] == "ok" and out.strip() == "42"
    assert pool.stats == {**pool.stats, "cold": 1, "pooled": 0}
    await kernel.dispose()


async def test_a_pool_that_is_not_started_grades_cold(make_pool):
    pool = make_pool(2)
    kernel = await pool.acquire()
    make_pool.track(kernel)
    assert not kernel.pooled and pool.ready_count == 0
    await kernel.dispose()


async def test_taking_more_than_the_pool_holds_falls_back_to_cold(make_pool):
    pool = make_pool(1, refill="after_use")
    pool.start()
    assert await pool.wait_ready(1)
    first, second = await asyncio.gather(pool.acquire(), pool.acquire())
    make_pool.track(first, second)
    assert sorted([first.pooled, second.pooled]) == [False, True]
    assert first.pid != second.pid
    await asyncio.gather(first.dispose(), second.dispose())


@pytest.mark.parametrize("method", ["exec", "fork"])
async def test_dead_pooled_kernel_is_skipped(make_pool, method):
    pool = make_pool(1, start_method=method, refill="after_use")
    pool.start()
    assert await pool.wait_ready(1)
    dead = pool._ready[0]
    os.kill(dead.pid, signal.SIGKILL)
    await until(lambda: dead.exit_code() is not None, 10, "the pooled kernel to die")
    kernel = await pool.acquire()
    make_pool.track(kernel)
    assert kernel is not dead and await kernel.is_alive()
    assert pool.stats["dead_skipped"] == 1 and pool.stats["cold"] == 1
    reply, _ = await run(kernel, "1 + 1")
    assert reply["status"] == "ok"
    await kernel.dispose()
    await until(lambda: not dead.run_dir.exists(), 10, "the dead kernel's run dir to go")


async def test_stale_kernels_are_replaced(make_pool):
    pool = make_pool(1, max_age_s=1.0)
    pool.start()
    assert await pool.wait_ready(1)
    old = pool._ready[0]
    old_pid = old.pid
    await until(lambda: pool._ready and pool._ready[0] is not old, 30, "a replacement")
    await until(lambda: not alive(old_pid), 10, "the stale kernel to end")
    assert not old.run_dir.exists()


async def test_idle_memory_budget_caps_the_pool(make_pool):
    pool = make_pool(3, max_idle_mb=1.0)
    pool.start()
    assert await pool.wait_ready(1)
    await asyncio.sleep(1.5)
    # The first kernel is measured (tens of MB): no second one fits in the budget.
    assert pool.ready_count == 1 and pool.starting_count == 0
    assert pool.idle_memory_mb() > 1.0


async def test_close_kills_idle_and_forked_kernels_and_removes_their_dirs(make_pool, runs_dir):
    pool = make_pool(2, start_method="fork")
    pool.start()
    assert await pool.wait_ready(2)
    server_pid = pool.fork_server.pid
    taken = await pool.acquire()  # in use when the pool closes
    pids = [taken.pid, server_pid, *(k.pid for k in pool._ready)]
    assert all(alive(p) for p in pids)
    await pool.close()
    await until(lambda: not any(alive(p) for p in pids), 10, "every kernel to end")
    assert taken.exit_code() == -signal.SIGKILL
    await taken.dispose()  # what the grader does afterwards: must still work
    assert list(runs_dir.iterdir()) == []


async def test_forked_kernel_exit_status_and_interrupts(make_pool):
    pool = make_pool(0, start_method="fork")
    pool.start()
    await until(lambda: pool.fork_server is not None, 60, "the fork server")
    kernel = await pool.acquire()
    make_pool.track(kernel)
    assert kernel.forked
    # An interrupt (SIGINT to the process group, through the fork server) stops a loop.
    pending = asyncio.ensure_future(run(kernel, "while True:\n    pass\n"))
    await asyncio.sleep(0.5)
    await kernel.km.interrupt_kernel()
    reply, _ = await asyncio.wait_for(pending, 10)
    assert reply["status"] == "error" and reply["ename"] == "KeyboardInterrupt"
    kernel.kc.execute("import os; os._exit(3)")
    await until(lambda: kernel.exit_code() is not None, 10, "the kernel to exit")
    assert kernel.exit_code() == 3
    await kernel.dispose()


async def test_forked_kernel_gets_its_own_clean_environment(make_pool, monkeypatch):
    monkeypatch.setenv("CODEQUEST_TEST_SERVER_SECRET", "s3cret")
    pool = make_pool(1, start_method="fork")
    pool.start()
    assert await pool.wait_ready(1)
    kernel = await pool.acquire()
    make_pool.track(kernel)
    code = (
        "import os, sys, tempfile\n"
        "print(os.environ.get('CODEQUEST_TEST_SERVER_SECRET'), os.environ['HOME'],"
        " tempfile.gettempdir(), os.getcwd(), 'harness' in str(sorted(sys.modules)))"
    )
    reply, out = await run(kernel, code)
    assert reply["status"] == "ok"
    secret, home, tmp, cwd, harness_loaded = out.split()
    assert secret == "None"
    assert home == tmp == str(kernel.workdir)
    assert cwd == str(kernel.run_dir)
    assert harness_loaded == "False"
    # Leftover processes are found by the marker in /proc/PID/environ: a forked kernel
    # must show its own, not the fork server's placeholder.
    marker = kernel.sandbox.marker
    environ = Path(f"/proc/{kernel.pid}/environ").read_bytes().split(b"\0")
    assert f"CODEQUEST_KERNEL={marker}".encode() in environ
    await kernel.dispose()


async def test_fork_server_death_falls_back_to_exec_then_recovers(make_pool):
    pool = make_pool(0, start_method="fork")
    pool.start()
    await until(lambda: pool.fork_server is not None, 60, "the fork server")
    os.kill(pool.fork_server.pid, signal.SIGKILL)
    await until(lambda: pool.fork_server is None, 10, "the fork server to be gone")
    kernel = await pool.acquire()
    make_pool.track(kernel)
    assert not kernel.forked
    reply, _ = await run(kernel, "1")
    assert reply["status"] == "ok"
    await kernel.dispose()
    await until(lambda: pool.fork_server is not None, 60, "the fork server to be back")
    again = await pool.acquire()
    make_pool.track(again)
    assert again.forked
    await again.dispose()


async def test_grader_with_a_pool_grades_like_a_cold_start(runs_dir, tmp_path):
    ch = load_challenge(make_challenge(tmp_path))
    solution = notebook("def add(a, b):\n    return a + b\n")
    async with Grader(GradingSettings(sandbox="rlimits", pool_size=1)) as grader:
        assert await grader.pool.wait_ready(1)
        pooled = await grader.grade(ch, solution, mode="submit")
        assert grader.pool.stats["pooled"] == 1
        assert await grader.pool.wait_ready(1)
        again = await grader.grade(ch, solution, mode="submit")
        assert grader.pool.stats["pooled"] == 2
    async with Grader(
        GradingSettings(sandbox="rlimits", pool_size=0, kernel_start="exec")
    ) as grader:
        cold = await grader.grade(ch, solution, mode="submit")
        assert grader.pool.stats["cold"] == 1
    for result in (pooled, again, cold):
        assert result.status == "passed" and result.error is None
    assert [t.to_json() | {"duration_ms": 0} for t in pooled.tests] == [
        t.to_json() | {"duration_ms": 0} for t in cold.tests
    ]
    assert list(runs_dir.iterdir()) == []


async def test_input_in_learner_code_fails_at_once(make_pool):
    pool = make_pool(0, start_method="fork")
    pool.start()
    await until(lambda: pool.fork_server is not None, 60, "the fork server")
    kernel = await pool.acquire()
    make_pool.track(kernel)
    started = time.monotonic()
    reply, _ = await run(kernel, "input('name? ')")
    # No stdin channel: nobody would ever answer, so the kernel must not wait for one.
    assert reply["status"] == "error" and reply["ename"] == "StdinNotImplementedError"
    assert time.monotonic() - started < 10
    await kernel.dispose()


async def test_fork_is_not_used_when_told_exec(make_pool):
    pool = make_pool(1, start_method="exec")
    pool.start()
    assert await pool.wait_fork_server(5) is False
    assert await pool.wait_ready(1)
    assert pool.fork_server is None and not pool._ready[0].forked


async def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="refill"):
        KernelPool(POLICY, 1, refill="sometimes")
    with pytest.raises(ValueError, match="start method"):
        KernelPool(POLICY, 1, start_method="spawn")


@pytest.mark.parametrize("after", [0.0, 0.3, 1.0])
async def test_closing_while_kernels_start_leaves_nothing(make_pool, runs_dir, after):
    pool = make_pool(2, start_method="fork")
    pool.start()
    await asyncio.sleep(after)
    server = pool._forks.latest
    await pool.close()
    # The fixture checks that no run directory is left; the fork server must be gone too.
    if server is not None and server.pid:
        await until(lambda: not alive(server.pid), 10, "the fork server to end")
    assert list(runs_dir.iterdir()) == []


def test_run_dirs_of_servers_that_are_gone_are_swept(runs_dir):
    """A server killed outright leaves its kernels' run directories; the next grader's
    start removes them, and nothing of a live process or anything recent."""
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead_pid = int(gone.stdout)
    old = time.time() - 7200

    def run_dir(name: str, age: float | None = old) -> Path:
        path = runs_dir / name
        (path / "work").mkdir(parents=True)
        (path / "work" / "notebook.ipynb").write_text("{}")
        if age is not None:
            os.utime(path, (age, age))
        return path

    orphan = run_dir(f"codequest-run-{dead_pid}-abc")
    live = run_dir(f"codequest-run-{os.getpid()}-def")  # this process: alive
    recent = run_dir(f"codequest-run-{dead_pid}-ghi", age=None)
    unnamed = run_dir("codequest-run-xyz")  # no owner in the name
    outside = runs_dir / "elsewhere"
    outside.mkdir()
    (runs_dir / f"codequest-run-{dead_pid}-link").symlink_to(outside)

    assert sweep_run_dirs() == 1
    assert not orphan.exists()
    assert live.exists() and recent.exists() and unnamed.exists() and outside.exists()
    assert new_run_dir().name.startswith(f"codequest-run-{os.getpid()}-")
    for path in runs_dir.iterdir():
        if path.is_symlink():
            path.unlink()
        else:
            shutil.rmtree(path)
