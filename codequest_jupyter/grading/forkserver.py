"""A fork server: fresh grading kernels forked from a parent that has imported them.

Starting a kernel the usual way spends nearly all of its CPU time importing
ipykernel, IPython and pytest; on a small machine that, not grading, bounds how many
submissions a second can be graded. The fork server is a process started once, from
a clean environment (nothing of the server's), that imports all of that, runs one
throwaway pytest session, and then only forks: each child becomes one new kernel
(``launcher.main`` with the kernel's own limits, environment, working directory and
connection file) at a fraction of the cost (figures: benchmarks/README.md). The parent
never runs challenge or learner code, and every child is as fresh as a kernel started
from scratch.

Run as ``python -c "from codequest_jupyter.grading.forkserver import serve; serve()"``
(:class:`.forkclient.ForkServer` does). The server talks to it over its stdin and stdout, one JSON
object per line:

* server → fork server: ``{"op": "spawn", "id": N, "cmd": [...], "env": {...}, "cwd": "..."}``
  and ``{"op": "signal", "pid": P, "sig": S}`` (to the child's process group; the fork
  server reaps its children, so a signal never reaches a recycled pid);
* fork server → server: ``{"op": "ready", "pid": P}`` once, then
  ``{"op": "spawned", "id": N, "pid": P}`` (or ``"error"``) and
  ``{"op": "exit", "pid": P, "code": C}`` (``C`` as ``Popen.returncode``: ``-N`` for
  signal N).

When the server goes away (stdin closes) the fork server kills every child it forked
and exits. Kernel commands of the launcher form (``python .../launcher.py CONFIG ...``)
can be forked, bare or wrapped in a bubblewrap sandbox (:func:`.bwrap.command`): then the
child builds that sandbox with bwrap and forks the kernel inside it (:mod:`.nsenter`).
Anything else is started as a process of its own.

A forked child's ``/proc/PID/environ`` would show the fork server's environment, not
the kernel's; the sandbox finds a kernel's leftover processes by a marker variable in
it, so the fork server starts with a placeholder marker that each child overwrites in
place with its own.

The server's side (starting one, asking it for kernels, its children as processes) is
:class:`.forkclient.ForkServer`; this module is what runs in the fork server process,
and the protocol and the commands it can fork are defined here for both.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import signal
import sys
from collections.abc import Callable
from typing import Any

from . import bwrap as _bwrap
from .rundirs import FORK_SERVER_DIR_PREFIX, SERVER_DIR_PREFIXES

LAUNCHER_MODULE = "codequest_jupyter.grading.launcher"
LAUNCHER_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "launcher.py")
# Must match codequest_jupyter.grading.procfs.MARKER_ENV; a marker is 16 hex digits.
MARKER_ENV = "CODEQUEST_KERNEL"
# Where the server makes its kernels' run directories, and their name's start (see
# rundirs.new_run_dir): what a fork server whose server was killed outright removes.
RUN_DIRS_ENV = "CODEQUEST_SERVER_RUN_DIRS"
_PLACEHOLDER = "0" * 16
PR_SET_CHILD_SUBREAPER = 36

log = logging.getLogger(__name__)


def launcher_args(cmd: list[str]) -> list[str] | None:
    """The launcher's arguments when ``cmd`` runs the launcher (in a bwrap sandbox or
    not), else None."""
    sandboxed = _bwrap.split_command(cmd)
    if sandboxed is not None:
        cmd = sandboxed[1]
    if not cmd or cmd[0] != sys.executable:
        return None
    if len(cmd) >= 4 and cmd[1:3] == ["-m", LAUNCHER_MODULE]:
        return list(cmd[3:])
    if len(cmd) >= 3 and os.path.realpath(cmd[1]) == os.path.realpath(LAUNCHER_PATH):
        return list(cmd[2:])
    return None


def forkable(cmd: list[str]) -> bool:
    """Whether a kernel command is the launcher, which the fork server can run."""
    return launcher_args(cmd) is not None


# -- the fork server process ----------------------------------------------------------


def _preload() -> None:
    """Import and initialise what every kernel needs, once, before any fork."""
    import ipykernel.ipkernel
    import ipykernel.kernelapp
    import ipykernel.zmqshell  # noqa: F401

    from . import harness, launcher, nsenter  # noqa: F401

    # Imported by every kernel as it initialises.
    launcher.import_debugger_support()
    for name in ("IPython.core.completerlib", "tornado.platform.asyncio"):
        with contextlib.suppress(ImportError):
            __import__(name)

    harness.warm_up()
    # A kernel started from scratch does not have the harness imported; neither will a
    # forked one (the kernel's own warm-up imports it and removes it again).
    for name in [n for n in sys.modules if n.startswith(harness.__name__)]:
        del sys.modules[name]
    import gc

    gc.collect()
    # What the parent has allocated so far stays shared with every child: keep the
    # garbage collector from touching (and so copying) those pages in the children.
    gc.freeze()
    import threading

    if threading.active_count() != 1:
        # fork() copies only the calling thread: a lock held by another one would stay
        # locked in every child.
        raise RuntimeError(
            f"the fork server has {threading.active_count()} threads after preloading"
        )


def _become_subreaper() -> None:
    """Adopt the orphans of our children (Linux): when a sandboxed kernel's keeper dies
    before the kernel, the kernel is reaped here at once, not whenever init gets to it."""
    from .launcher import prctl

    prctl(PR_SET_CHILD_SUBREAPER, 1)


def _mark_environ_block(value: str) -> None:
    """Write the kernel's marker over the placeholder in ``/proc/self/environ``."""
    import ctypes

    needle = f"{MARKER_ENV}={_PLACEHOLDER}".encode()
    if len(value) != len(_PLACEHOLDER):
        return
    try:
        with open("/proc/self/stat", "rb") as fh:
            fields = fh.read().rsplit(b")", 1)[1].split()
        # Fields 50 and 51 of stat(5), counted from field 3 after the command name.
        start, end = int(fields[47]), int(fields[48])
        block = ctypes.string_at(start, end - start)
    except (OSError, ValueError, IndexError):
        return
    at = block.find(needle)
    if at >= 0:
        ctypes.memmove(start + at + len(needle) - len(_PLACEHOLDER), value.encode(), len(value))


def _child(request: dict[str, Any], close_fds: list[int]) -> None:
    """In a new child: become the kernel ``request`` describes; never returns."""
    code = 1
    try:
        os.setsid()
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        # The fork server ignores SIGINT; a kernel turns it into KeyboardInterrupt.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        for fd in close_fds:
            with contextlib.suppress(OSError):
                os.close(fd)
        cwd = request["cwd"]
        if request["env"].get(MARKER_ENV):
            _mark_environ_block(request["env"][MARKER_ENV])
        sandboxed = _bwrap.split_command(request["cmd"])
        after_confine = None
        if sandboxed is not None:
            # From here on this is the kernel, forked inside the sandbox.
            after_confine = _enter_sandbox(sandboxed[0], request)
        os.chdir(cwd)
        os.environ.clear()
        os.environ.update(request["env"])
        os.environ["JPY_PARENT_PID"] = str(os.getppid())
        import tempfile as _tempfile

        _tempfile.tempdir = None  # TMPDIR is the kernel's own now
        # `python -c` put our working directory first on sys.path; the launcher, run by
        # path, removes its own directory there: the kernel starts with neither.
        if sys.path and sys.path[0] in ("", request.get("parent_cwd")):
            del sys.path[0]
        from . import launcher

        args = launcher_args(request["cmd"]) or []
        sys.argv = [launcher.__file__, *args]
        # ipykernel read JPY_PARENT_PID when it was imported here, in the fork server:
        # tell the kernel its parent (this fork server) explicitly.
        parent = str(os.getppid())
        with contextlib.suppress(ValueError, TypeError, AttributeError, IndexError):
            parent = str(json.loads(args[0]).get("set_env", {}).get("JPY_PARENT_PID", parent))
        launcher.main([*args, f"--IPKernelApp.parent_handle={parent}"], after_confine=after_confine)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # noqa: BLE001 - report and leave; never return to the loop
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        os._exit(code)


def _enter_sandbox(options: list[str], request: dict[str, Any]) -> Callable[[], None]:
    """Build the kernel's bwrap sandbox, enter it and fork the kernel inside.

    This process stays outside as the sandbox's keeper (see :mod:`.nsenter`) and never
    returns; the kernel returns, with the check to make once the launcher has switched
    users.
    """
    from . import launcher, nsenter

    parent = os.getppid()
    # The keeper dies with the fork server; bwrap and the kernel die with the keeper.
    launcher.prctl(nsenter.PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        raise SystemExit("codequest: the fork server went away")
    env = {"PATH": request["env"].get("PATH") or os.defpath}
    sandbox = nsenter.start(options, env)
    try:
        nsenter.join(sandbox, request["cwd"])
        # An interrupt for the kernel reaches its whole process group: not the keeper.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        pid = os.fork()
    except BaseException:
        sandbox.stop()
        raise
    if pid:
        nsenter.keep(sandbox, pid)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    nsenter.harden()
    return nsenter.check_unprivileged


def serve() -> None:
    """The fork server's loop (the process's entry point)."""
    import selectors

    # The command pipes are ours alone: children get /dev/null as stdin and our stderr
    # as stdout, where the kernel's low-level output would go anyway.
    cmd_in = os.dup(0)
    cmd_out = os.dup(1)
    server_pid = os.getppid()
    server_run_dirs = os.environ.pop(RUN_DIRS_ENV, "")
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.dup2(2, 1)
    parent_cwd = os.getcwd()

    def send(message: dict[str, Any]) -> None:
        data = (json.dumps(message) + "\n").encode()
        while data:
            data = data[os.write(cmd_out, data) :]

    children: set[int] = set()
    run_dirs: dict[int, str] = {}  # child -> its run directory
    try:
        _preload()
    except BaseException:
        # Nothing forked yet; our directory must not outlive us (a server stopped
        # while we were still importing: the "ready" below would fail the same way).
        _clean_up_after(server_pid, server_run_dirs, [parent_cwd])
        raise
    _become_subreaper()

    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    selector = selectors.DefaultSelector()
    selector.register(cmd_in, selectors.EVENT_READ)
    selector.register(wake_r, selectors.EVENT_READ)

    def reap() -> None:
        # Orphans of a child (a sandboxed kernel whose keeper died first, bwrap) are
        # reaped here too: this process is their subreaper.
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                children.clear()
                return
            if pid == 0:
                return
            if pid in children:
                children.discard(pid)
                run_dirs.pop(pid, None)
                send({"op": "exit", "pid": pid, "code": os.waitstatus_to_exitcode(status)})

    def kill_all() -> None:
        for pid in list(children):
            with contextlib.suppress(OSError):
                os.killpg(pid, signal.SIGKILL)
            # A child forked a moment ago may not have made its own process group yet
            # (its first step): killpg then finds none, and the wait below would last
            # as long as the child, which goes on to build its sandbox. Not reaped yet,
            # its pid cannot have been reused.
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)

    def handle(request: dict[str, Any]) -> None:
        op = request.get("op")
        if op == "spawn":
            request["parent_cwd"] = parent_cwd
            try:
                pid = os.fork()
            except OSError as exc:
                send({"op": "spawned", "id": request.get("id"), "error": str(exc)})
                return
            if pid == 0:
                selector.close()
                _child(request, [cmd_in, cmd_out, wake_r, wake_w])
            children.add(pid)
            run_dirs[pid] = str(request.get("cwd") or "")
            send({"op": "spawned", "id": request.get("id"), "pid": pid})
        elif op == "signal":
            target = request.get("pid")
            # Only children not yet reaped: their pid cannot have been reused.
            if target in children:
                try:
                    os.killpg(target, int(request["sig"]))
                except OSError:
                    with contextlib.suppress(OSError):
                        os.kill(target, int(request["sig"]))

    buffer = b""
    try:
        try:
            send({"op": "ready", "pid": os.getpid()})
        except BrokenPipeError:
            return  # the server went away while we imported: the clean-up below runs
        while True:
            for key, _events in selector.select():
                if key.fd == wake_r:
                    with contextlib.suppress(BlockingIOError):
                        while os.read(wake_r, 4096):
                            pass
                    reap()
                    continue
                data = os.read(cmd_in, 65536)
                if not data:
                    return
                buffer += data
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    if line.strip():
                        handle(json.loads(line))
            reap()
    finally:
        kill_all()
        for pid in list(children):
            with contextlib.suppress(OSError):
                _pid, status = os.waitpid(pid, 0)
                with contextlib.suppress(OSError):
                    send({"op": "exit", "pid": pid, "code": os.waitstatus_to_exitcode(status)})
        _clean_up_after(server_pid, server_run_dirs, [*run_dirs.values(), parent_cwd])


def _clean_up_after(server_pid: int, server_run_dirs: str, paths: list[str]) -> None:
    """The server went away (killed outright, it cannot clean up any more): remove the
    run directories of the kernels still running, and our own (``paths``)."""
    for path in paths:
        if os.path.basename(path).startswith(SERVER_DIR_PREFIXES + (FORK_SERVER_DIR_PREFIX,)):
            shutil.rmtree(path, ignore_errors=True)
    if server_run_dirs and _exiting(server_pid):
        # Killed outright, the server also left the directories it had made for a
        # kernel not yet forked, or not yet removed after its kernel exited.
        _remove_server_run_dirs(server_run_dirs)


def _exiting(pid: int) -> bool:
    """Whether our server ``pid`` is gone or on its way out (its pipe closes before it is
    re-parented away from us, so the parent pid alone can still name it)."""
    if os.getppid() != pid:
        return True
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        return True
    fields = stat[stat.rindex(")") + 2 :].split()
    # state, ppid, pgrp, session, tty_nr, tpgid, flags: PF_EXITING is 0x4.
    return fields[0] in ("Z", "X", "x") or bool(int(fields[6]) & 0x4)


def _remove_server_run_dirs(prefixes: str) -> None:
    for prefix in prefixes.splitlines():
        folder, start = os.path.split(prefix)
        if not start.startswith(SERVER_DIR_PREFIXES):
            continue
        with contextlib.suppress(OSError):
            for name in os.listdir(folder):
                if name.startswith(start):
                    shutil.rmtree(os.path.join(folder, name), ignore_errors=True)


if __name__ == "__main__":
    serve()
