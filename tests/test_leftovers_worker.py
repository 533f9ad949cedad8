"""Nothing left behind by a hub's grading worker, however it stops.

A real ``codequest worker`` (as in ``test_workers.py``: real PostgreSQL, real kernels,
bwrap where it works) with a temporary directory of its own grades a submission, so
that its kernel pool and its judge pool hold a started kernel and a started judge
again, then gets SIGTERM, SIGINT or SIGKILL. Afterwards no process of it is alive
(kernels, judges, their bubblewrap sandboxes, the fork server: its process tree as it
was, and whatever still mentions its temporary directory). Stopped by SIGTERM or
SIGINT, it leaves no file at all in that directory; killed outright, what it could not
remove is removed by the next worker started on the same directory (once the killed
worker's directories are an hour old, as the sweep wants: aged here by hand).
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest
from procs import alive, descendants, kill_all, leftovers
from test_workers import RIGHT, SETTLE_S, WorkerProcess, db_url, library, make_service

pytestmark = pytest.mark.postgres

__all__ = ["db_url", "library"]  # fixtures, used by name

RUNNING = "grading up to"  # the worker's log line once it takes jobs


def _cmdlines(pids: set[int]) -> dict[int, str]:
    found = {}
    for pid in pids:
        try:
            found[pid] = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
    return found


def _pools_full(worker: WorkerProcess) -> bool:
    """A started judge waiting in the judge pool, and a kernel in the kernel pool: two
    run directories, one of them a live judge's."""
    runs = list(worker.tmp.glob("codequest-run-*"))
    judges = [cmd for cmd in _cmdlines(descendants(worker.proc.pid)).values() if " --judge " in cmd]
    return len(runs) >= 2 and bool(judges)


def _describe(pids: list[int]) -> list[str]:
    out = []
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out.append(f"{pid} ppid={stat[1]} {_cmdlines({pid}).get(pid, '')[:160]}")
    return out


async def _grade_until_pools_are_full(service: Any, worker: WorkerProcess) -> None:
    queued = await service.submit("ada", "adder", {"notebook": RIGHT})
    result = await asyncio.wait_for(service.wait("ada", queued["id"]), SETTLE_S)
    assert result["status"] == "passed", (result, worker.log[-3000:])
    assert result.get("isolation") == "judge", result  # so a judge pool was filled
    deadline = time.monotonic() + SETTLE_S
    while not _pools_full(worker):
        assert time.monotonic() < deadline, (sorted(os.listdir(worker.tmp)), worker.log[-3000:])
        await asyncio.sleep(0.2)


@pytest.mark.parametrize(
    ("signum", "group"),
    [
        (signal.SIGTERM, False),
        (signal.SIGINT, False),
        (signal.SIGKILL, False),
        (signal.SIGKILL, True),
    ],
    ids=["SIGTERM", "SIGINT", "SIGKILL", "SIGKILL-with-its-fork-server"],
)
async def test_a_stopped_worker_leaves_no_process_and_no_file(
    tmp_path: Path, db_url: str, library: Path, signum: int, group: bool
) -> None:
    """Killed outright alone, its fork server removes every directory it had made;
    killed together with its fork server (the out-of-memory killer, a test's last
    resort), its kernels and judges still die with it, and what is left on disk (its
    judges' and kernels' run directories, the fork server's own) goes with the next
    worker started on the same directory."""
    tmp = tmp_path / "tmp"
    service = await make_service(db_url, library)
    worker = WorkerProcess(tmp_path, "w1", db_url, library, tmp=tmp)
    try:
        await _grade_until_pools_are_full(service, worker)
        family = descendants(worker.proc.pid)
        assert any(" --judge " in cmd for cmd in _cmdlines(family).values())
        if group:
            fork_servers = [
                pid for pid, cmd in _cmdlines(family).items() if "forkserver import serve" in cmd
            ]
            assert fork_servers, _cmdlines(family)
            for pid in [worker.proc.pid, *fork_servers]:
                os.kill(pid, signum)
        else:
            worker.proc.send_signal(signum)
        code = await asyncio.to_thread(worker.proc.wait, 120)
    finally:
        worker.stop()
    try:
        procs, names = await asyncio.to_thread(leftovers, tmp, family, 20 if group else 60, "*")
        procs = [p for p in procs if alive(p)]
        described = _describe(procs)
        kill_all(procs)
        assert procs == [], (described, worker.log[-3000:])
        if not group:
            assert code == (-signum if signum == signal.SIGKILL else 0), worker.log[-3000:]
            assert names == [], worker.log[-3000:]
            return
        # Killed outright with its fork server: what is left on disk goes with the next
        # worker started on this directory.
        assert any(n.startswith("codequest-forkserver-") for n in names), names
        assert any(n.startswith("codequest-run-") for n in names), names
        hour_ago = time.time() - 3700
        for name in names:
            os.utime(tmp / name, (hour_ago, hour_ago))
        after = WorkerProcess(tmp_path, "w2", db_url, library, tmp=tmp)
        try:
            deadline = time.monotonic() + SETTLE_S
            while set(names) & set(os.listdir(tmp)) or RUNNING not in after.log:
                assert time.monotonic() < deadline, (names, os.listdir(tmp), after.log[-3000:])
                await asyncio.sleep(0.2)
            family = descendants(after.proc.pid)
            after.proc.send_signal(signal.SIGTERM)
            assert await asyncio.to_thread(after.proc.wait, 120) == 0, after.log[-3000:]
        finally:
            after.stop()
        procs, names = await asyncio.to_thread(leftovers, tmp, family, 60, "*")
        kill_all(procs)
        assert (procs, names) == ([], []), after.log[-3000:]
    finally:
        await service.stop()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
async def test_a_worker_stopped_while_starting_leaves_no_process_and_no_file(
    tmp_path: Path, db_url: str, library: Path, signum: int
) -> None:
    """Stopped while it checks its sandbox (a real kernel start in the sandbox) or
    starts its pools: it still stops cleanly."""
    tmp = tmp_path / "tmp"
    worker = WorkerProcess(tmp_path, "w1", db_url, library, tmp=tmp)
    family: set[int] = set()
    try:
        # As soon as it has started something of its grading (the probe, the pools).
        deadline = time.monotonic() + SETTLE_S
        while not os.listdir(tmp) and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        family = descendants(worker.proc.pid)
        assert os.listdir(tmp), worker.log[-3000:]
        worker.proc.send_signal(signum)
        code = await asyncio.to_thread(worker.proc.wait, 120)
    finally:
        worker.stop()
    procs, names = await asyncio.to_thread(leftovers, tmp, family, 60, "*")
    described = _describe(procs)
    kill_all(procs)
    assert (procs, names, code) == ([], [], 0), (described, worker.log[-3000:])
