"""One confined kernel's command: its argv, environment, working directory and user.

:func:`build_spec` turns a policy and its resolved plan into a :class:`LaunchSpec`
(the launcher's command line, wrapped in bubblewrap when the plan says so, and the
kernel's environment built from scratch: nothing of the server's reaches it). A root
server gives each kernel a uid of its own from the policy's range (:class:`_UidPool`);
:meth:`LaunchSpec.release` kills whatever the kernel left running and frees that uid.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import bwrap as _bwrap
from .policy import SandboxPlan, SandboxPolicy, SandboxUnavailable
from .procfs import MARKER_ENV, processes_of_uid, processes_with_marker, uids_with_processes

log = logging.getLogger(__name__)

MiB = 1024 * 1024

# Variables a Python kernel needs; everything else of the server's is left out.
_PASSED_ENV = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "SYSTEMROOT")


PR_SET_PDEATHSIG = 1

LAUNCHER = Path(__file__).with_name("launcher.py")


def die_with_parent() -> Callable[[], None]:
    """A ``preexec_fn`` for a sandbox's process: it is killed when the thread that
    starts it ends (Linux), and exits at once if that happened before it could ask.

    For a process without bubblewrap (and bwrap run by a fork server's keeper, whose
    placeholder reads the keeper's pipe); a sandbox exec'd into bwrap watches the
    :func:`lifeline` instead.
    """
    from .launcher import libc, prctl

    libc()  # loaded now, not in the child
    parent = os.getpid()

    def preexec() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:
            os._exit(1)

    return preexec


# The environment variable naming the lifeline's descriptor in an exec'd sandbox's
# launcher (popped before anything else reads the environment).
LIFELINE_ENV = "CODEQUEST_LIFELINE_FD"
_lifeline: tuple[int, int] | None = None  # (this process's pid, the read end)
_lifeline_lock = threading.Lock()


def lifeline() -> int:
    """The read end of this process's lifeline: a pipe whose only write end this
    process holds (close-on-exec, never closed), so that a reader gets end-of-file
    exactly when this process is gone, however it died.

    A kernel, judge or probe exec'd into a bubblewrap sandbox is given it
    (``pass_fds`` and :data:`LIFELINE_ENV`) and, seeing end-of-file, kills its sandbox
    (the launcher does). That, not a parent-death signal on bwrap, is how such a
    sandbox dies with its server: bwrap's ``--die-with-parent`` is asked for by the
    sandbox's init only once the sandbox is built, so a server killed meanwhile left
    that init and the kernel running for good; and a bwrap killed while it builds the
    sandbox leaves the sandbox's init blocked for good on the go-ahead bwrap was to
    send it. Unkilled, bwrap finishes the sandbox, the launcher starts, finds the
    server gone and ends it all (measured: 39 of 60 plain bwraps killed in their first
    10 ms left their sandbox behind, 3 of them such a blocked init; with the lifeline
    and no parent-death signal, none of 60).
    """
    global _lifeline
    with _lifeline_lock:
        if _lifeline is None or _lifeline[0] != os.getpid():
            read_end, _write_end = os.pipe2(os.O_CLOEXEC)  # the write end is kept open
            _lifeline = (os.getpid(), read_end)
        return _lifeline[1]


def with_lifeline(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Popen keyword arguments (``env``, ``pass_fds``) giving an exec'd sandbox's
    launcher this process's :func:`lifeline`."""
    fd = lifeline()
    return {
        **kwargs,
        "env": {**(kwargs.get("env") or {}), LIFELINE_ENV: str(fd)},
        "pass_fds": (*kwargs.get("pass_fds", ()), fd),
    }


class _UidPool:
    """Per-kernel uids: random in the range, never two live kernels on one uid."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._used: set[int] = set()

    def acquire(self, first: int, count: int) -> int:
        busy = uids_with_processes()
        with self._lock:
            for _ in range(1000):
                uid = first + random.randrange(count)
                if uid not in self._used and uid not in busy:
                    self._used.add(uid)
                    return uid
        raise SandboxUnavailable("no free uid left in the sandbox uid range")

    def release(self, uid: int) -> None:
        with self._lock:
            self._used.discard(uid)


_uids = _UidPool()


@dataclass
class LaunchSpec:
    """The kernel's argv (with ``{connection_file}``), environment, working dir and user.

    ``release()`` must be called once the kernel is gone (it kills whatever the kernel
    left running and returns its uid); ``hand_over()`` gives the kernel's user files the
    server wrote into its work directory.
    """

    argv: list[str]
    env: dict[str, str]
    cwd: Path
    transport: str = "ipc"
    mode: str = "none"
    uid: int | None = None
    gid: int | None = None
    exclusive_uid: bool = False
    marker: str = ""
    _released: bool = field(default=False, repr=False)

    def decode_exit(self, code: int | None) -> int | None:
        """The kernel's own exit status (negative: killed by that signal)."""
        return _bwrap.decode_exit(code) if self.mode == "bwrap" else code

    def hand_over(self, path: Path) -> None:
        """Make ``path`` and everything under it the kernel user's (no-op without one)."""
        if self.uid is None:
            return
        uid, gid = self.uid, self.uid if self.gid is None else self.gid
        # lchown, never following links: nothing under path may redirect a chown.
        os.chown(path, uid, gid, follow_symlinks=False)
        for root, dirs, files in os.walk(path):
            for name in dirs + files:
                with contextlib.suppress(FileNotFoundError):
                    os.chown(os.path.join(root, name), uid, gid, follow_symlinks=False)

    def release(self) -> None:
        """Kill every process the kernel left behind and free its uid (idempotent)."""
        if self._released:
            return
        self._released = True
        try:
            self.reap()
        finally:
            if self.exclusive_uid and self.uid is not None:
                _uids.release(self.uid)

    def leftovers(self) -> list[int]:
        """Pids of this kernel's processes still alive."""
        if self.exclusive_uid and self.uid is not None:
            return processes_of_uid(self.uid)
        if self.marker:
            return processes_with_marker(self.marker)
        return []

    def reap(self, timeout: float = 5.0) -> list[int]:
        """Kill this kernel's processes until none is left; the pids that would not die."""
        deadline = time.monotonic() + timeout
        while True:
            pids = self.leftovers()
            if not pids:
                return []
            if self.exclusive_uid and self.uid is not None:
                _kill_all_of_uid(self.uid, self.gid)
            for pid in pids:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            if time.monotonic() > deadline:
                log.warning("grading kernel processes would not die: %s", pids)
                return pids
            time.sleep(0.01)


def _kill_all_of_uid(uid: int, gid: int | None) -> None:
    """``kill(-1, SIGKILL)`` as ``uid``: every process of that uid at once (fork bombs)."""
    kill = shutil.which("kill") or "/bin/kill"
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        subprocess.run(
            [kill, "-KILL", "-1"],
            user=uid,
            group=gid if gid is not None else uid,
            extra_groups=[],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=5,
            check=False,
            env={"PATH": "/usr/bin:/bin"},
        )


def kernel_env(policy: SandboxPolicy, home: Path, marker: str | None = None) -> dict[str, str]:
    """The kernel's whole environment: a few locale variables, ours, the policy's extras."""
    env = {k: os.environ[k] for k in _PASSED_ENV if k in os.environ}
    env.update(
        {
            "HOME": str(home),
            "TMPDIR": str(home),
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONNOUSERSITE": "1",
            "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
            "MPLBACKEND": "Agg",
            "MALLOC_ARENA_MAX": "2",
            "OPENBLAS_NUM_THREADS": "1",
            "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
            "NUMEXPR_NUM_THREADS": "1",
            "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        }
    )
    if marker:
        env[MARKER_ENV] = marker
    env.update(policy.extra_env)
    return env


def build_spec(
    policy: SandboxPolicy,
    plan: SandboxPlan,
    run_dir: Path,
    workdir: Path,
    inner_args: list[str] | None = None,
) -> LaunchSpec:
    uid = gid = None
    exclusive = False
    if plan.uid_strategy == "per-kernel":
        first, count = policy.uid_range
        uid = gid = _uids.acquire(first, count)
        exclusive = True
    elif plan.uid_strategy == "fixed":
        uid, gid = plan.fixed_uid, plan.fixed_gid
    marker = os.urandom(8).hex()
    spec = LaunchSpec(
        argv=[],
        env={},
        cwd=run_dir,
        mode=plan.mode,
        uid=uid,
        gid=gid,
        exclusive_uid=exclusive,
        marker=marker,
    )
    try:
        if uid is not None:
            os.chmod(run_dir, 0o700)
            spec.hand_over(run_dir)
        config: dict = {"limits": {}, "uid": uid, "gid": gid}
        if plan.mode != "none":
            config["limits"] = {
                # The pooled kernel's ceiling; the run lowers it to the challenge's limit.
                "address_space": (policy.max_memory_mb + 512) * MiB,
                "cpu_s": policy.max_cpu_s,
                "processes": policy.processes,
                "file_size": policy.file_size_mb * MiB,
                "open_files": policy.open_files,
                "core": 0,
            }
            # Without a user namespace or a uid of its own, RLIMIT_NPROC counts every
            # process of the server's user: allow the kernel that many more.
            own_count = plan.uid_strategy == "own" and plan.mode == "rlimits" and os.geteuid() != 0
            config["nproc_relative"] = own_count
            config["no_new_privs"] = plan.mode == "rlimits"
        # The kernel's own stdout/stderr (forked children, fd-level writes) stay out of
        # the server's log.
        config["log_file"] = str(run_dir / "kernel.log")
        if plan.mode == "bwrap":
            # In a pid namespace the parent is pid 1; "1" stops ipykernel polling it
            # (it would exit at once); bwrap --die-with-parent does that job instead.
            config["set_env"] = {"JPY_PARENT_PID": "1"}
        inner = [sys.executable, str(LAUNCHER), json.dumps(config)]
        inner += (
            inner_args
            if inner_args is not None
            else [
                "-f",
                "{connection_file}",
                "--HistoryManager.enabled=False",
                "--IPKernelApp.quiet=True",
                "--IPythonKernel.compiler_class=IPython.core.compilerop.CachingCompiler",
            ]
        )
        if plan.mode == "bwrap":
            argv = _bwrap.command(
                inner,
                bwrap=plan.bwrap or "bwrap",
                run_dir=str(run_dir),
                hide=plan.hide,
                expose=plan.expose,
                tmp_size_mb=policy.tmp_size_mb,
                bwrap_version=plan.bwrap_version,
            )
        else:
            argv = inner
        spec.argv = argv
        spec.env = kernel_env(policy, workdir, marker)
    except BaseException:
        spec.release()
        raise
    return spec
