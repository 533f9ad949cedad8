"""Run directories of grading kernels: made, removed, swept, and cleaned up at exit.

Each kernel lives in a run directory of its own, ``codequest-run-<pid>-…`` in the
temporary directory, named after the process that made it. This module also keeps
track of what this process has running or on disk for its kernels (their run
directories and fork servers) and, when the process exits without having cleaned up
(its event loop stopped short of the grader's clean-up), kills and removes it.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from .procfs import pid_exists

if TYPE_CHECKING:
    from .forkclient import ForkServer
    from .launchspec import LaunchSpec

RUN_DIR_PREFIX = "codequest-run-"
# Directories a server makes named after its pid: its kernels' (and judges') run
# directories and its sandbox probes'. The fork server of a server killed outright
# removes them.
SERVER_DIR_PREFIXES = (RUN_DIR_PREFIX, "codequest-probe-")
# The fork server's own directory, named after its server too (it removes it as it exits).
FORK_SERVER_DIR_PREFIX = "codequest-forkserver-"
# What ``sweep_run_dirs`` removes once their server is gone.
SWEPT_PREFIXES = (*SERVER_DIR_PREFIXES, FORK_SERVER_DIR_PREFIX)

# What this process has running or on disk for kernels, for the last-resort clean-up at
# exit: a server whose event loop ends without its clean-up (Jupyter Server on SIGINT
# without a terminal, an interrupted ``codequest grade``) must not leave them behind.
_live_dirs: dict[Path, LaunchSpec | None] = {}
_live_fork_servers: set[ForkServer] = set()
_exit_hook_pid: int | None = None


def _ensure_exit_hook() -> None:
    global _exit_hook_pid
    if _exit_hook_pid != os.getpid():
        _exit_hook_pid = os.getpid()
        atexit.register(_clean_up_at_exit)


def _clean_up_at_exit() -> None:
    """Kill what this process's kernels left running and remove their directories."""
    if _exit_hook_pid != os.getpid():
        return  # a forked child of the process that registered this
    for server in list(_live_fork_servers):
        server.kill_now()  # what it forked dies with it
    for path, spec in list(_live_dirs.items()):
        if spec is not None:
            with contextlib.suppress(Exception):
                spec.release()
        shutil.rmtree(path, ignore_errors=True)
    _live_dirs.clear()


def new_run_dir() -> Path:
    """A new kernel's run directory, named after this process (see ``sweep_run_dirs``)."""
    _ensure_exit_hook()
    path = Path(tempfile.mkdtemp(prefix=f"{RUN_DIR_PREFIX}{os.getpid()}-"))
    _live_dirs[path] = None
    return path


def probe_dir() -> Path:
    """A new directory for a sandbox probe, named after this process (as run directories
    are) so that the fork server of a server killed in the middle of a probe removes it."""
    return Path(tempfile.mkdtemp(prefix=f"codequest-probe-{os.getpid()}-"))


def remove_run_dir(path: Path) -> None:
    """Remove a run directory made by :func:`new_run_dir` (blocking)."""
    shutil.rmtree(path, ignore_errors=True)
    _live_dirs.pop(path, None)


def fork_server_dir() -> Path:
    """A new fork server's directory (its HOME and working directory), named after this
    process as run directories are: swept once this process is gone."""
    return Path(tempfile.mkdtemp(prefix=f"{FORK_SERVER_DIR_PREFIX}{os.getpid()}-"))


def _owner(name: str) -> int | None:
    """The pid a swept directory is named after, or None."""
    for start in SWEPT_PREFIXES:
        if name.startswith(start):
            owner = name[len(start) :].split("-", 1)
            return int(owner[0]) if len(owner) == 2 and owner[0].isdigit() else None
    return None


def sweep_run_dirs(min_age_s: float = 3600) -> int:
    """Remove the run, probe and fork server directories of servers that are gone; how
    many went.

    A server killed outright (SIGKILL, the machine's out-of-memory killer) cannot remove
    them; its kernels and judges died with it, and its fork server removes what it
    knows of unless it was killed too (the whole process group, the out-of-memory
    killer) or had not started yet. Directories of a live process, even another
    server's, stay, and so do those changed in the last ``min_age_s`` (a server in
    another pid namespace sharing this temporary directory looks gone).
    """
    removed = 0
    now = time.time()
    for path in Path(tempfile.gettempdir()).glob("codequest-*-*"):
        owner = _owner(path.name)
        if owner is None or pid_exists(owner):
            continue
        try:
            if path.is_symlink() or not path.is_dir() or now - path.stat().st_mtime < min_age_s:
                continue
        except OSError:
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed += not path.exists()
    return removed


def track_fork_server(server: ForkServer) -> None:
    """Have the exit clean-up kill ``server`` unless it was closed before."""
    _ensure_exit_hook()
    _live_fork_servers.add(server)
    server.on_close = _live_fork_servers.discard


def track_spec(run_dir: Path, spec: LaunchSpec) -> None:
    """The sandbox of the kernel living in ``run_dir``, released by the exit clean-up."""
    if run_dir in _live_dirs:
        _live_dirs[run_dir] = spec
