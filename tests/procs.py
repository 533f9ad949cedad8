"""Looking at live processes through /proc: what a test checks was left behind."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

# How a grading kernel's command line names its launcher (by file path or module).
LAUNCHER_MARKS = ("codequest_jupyter/grading/launcher", "codequest_jupyter.grading.launcher")


def _state_and_ppid(pid: int | str) -> tuple[str, int] | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return fields[0], int(fields[1])


def alive(pid: int | None) -> bool:
    """Whether ``pid`` is a live process (not a zombie)."""
    if pid is None:
        return False
    found = _state_and_ppid(pid)
    return found is not None and found[0] not in ("Z", "X")


def kernel_processes(marker: str) -> list[int]:
    """Live grading-kernel processes whose command line mentions ``marker``."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if marker in cmdline and any(m in cmdline for m in LAUNCHER_MARKS) and alive(entry.name):
            pids.append(int(entry.name))
    return pids


def descendants(pid: int) -> set[int]:
    """Every live descendant of ``pid``."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            found = _state_and_ppid(entry)
            if found is not None:
                children.setdefault(found[1], []).append(int(entry))
    out: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in out:
                out.add(child)
                todo.append(child)
    return out


def stop_process(process: subprocess.Popen, grace_s: float = 30) -> None:
    """Ask ``process`` to stop (SIGTERM), kill it when it has not after ``grace_s``."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(grace_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)


def mentioning(text: str) -> list[int]:
    """Live processes whose command line or environment mentions ``text``."""
    needle = text.encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            blob = (entry / "cmdline").read_bytes() + (entry / "environ").read_bytes()
        except OSError:
            continue
        if needle in blob and alive(int(entry.name)):
            found.append(int(entry.name))
    return found


def leftovers(
    tmpdir: Path, family: set[int], timeout: float = 60, pattern: str = "codequest-*"
) -> tuple[list[int], list[str]]:
    """Processes of ``family`` or mentioning ``tmpdir`` still alive, and entries of
    ``tmpdir`` matching ``pattern``, once they had ``timeout`` seconds to go (a busy machine)."""
    deadline = time.monotonic() + timeout
    while True:
        procs = sorted({p for p in family if alive(p)} | set(mentioning(str(tmpdir))))
        dirs = sorted(p.name for p in tmpdir.glob(pattern))
        if (not procs and not dirs) or time.monotonic() > deadline:
            return procs, dirs
        time.sleep(0.2)


def kill_all(pids: list[int]) -> None:
    for pid in pids:  # do not leak them into other tests
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
