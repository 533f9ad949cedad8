"""Entering a bubblewrap sandbox from a process forked by the fork server (Linux).

A kernel started by bwrap spends most of its start importing ipykernel, IPython and pytest.
A forked kernel has all of that already, but bwrap cannot confine a process it did not
start. So the fork server's child builds the sandbox with bwrap all the same, around a
tiny placeholder command, and then *enters* it, the way ``nsenter`` or ``docker exec``
enter a container:

1. the child (the *keeper*) runs bwrap with the kernel's own sandbox options and
   ``/bin/sh -c 'echo ready; read _'`` as the command, and waits for the line; bwrap
   has then created every namespace, mounted the filesystem view and dropped its
   privileges, exactly as for an exec'd kernel;
2. the keeper joins the placeholder's user namespaces (an unprivileged bwrap makes
   two, one inside the other; a root one none), IPC, UTS, network, cgroup, pid and
   mount namespaces with ``setns(2)``, and makes the placeholder's root directory its
   own (``chroot``), its working directory the run directory;
3. the keeper forks the kernel, which is born inside the sandbox's pid namespace (pid
   namespaces apply to children), and then only waits: the kernel's exit is its exit,
   and when the keeper dies, bwrap (``--die-with-parent``) and with it the whole pid
   namespace (every process the learner started) die too;
4. the kernel (:func:`harden`) drops what the keeper had and bwrap's own command would
   not: it dies with the keeper, gives up every capability (bounding, ambient,
   effective, permitted, inheritable sets), sets ``no_new_privs``, closes every
   descriptor it inherited; the launcher then switches to the kernel's uid and sets
   its limits, and :func:`check_unprivileged` refuses to go on unless the result has
   no capability left.

Nothing here runs learner code; the fork server's process itself stays outside.

What learner code can tell apart from an exec'd kernel: its parent (the keeper) lives
outside its pid namespace, so ``os.getppid()`` is 0 (as under ``docker exec``), and
``os.kill(0, ...)`` signals the kernel's own process group; the sandbox holds one more
process, the placeholder. Neither reaches anything outside the sandbox.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import json
import os
import select
import signal
import subprocess
import time
from dataclasses import dataclass

from . import launcher

CLONE_NEWUSER = 0x10000000
NS_GET_PARENT = 0xB702  # ioctl: the parent of a user namespace

# Namespaces in the order they are joined, after the user namespace (which grants the
# capabilities the others need); the mount namespace last (it changes the root).
_NAMESPACES = (
    ("ipc", 0x08000000),
    ("uts", 0x04000000),
    ("net", 0x40000000),
    ("cgroup", 0x02000000),
    ("pid", 0x20000000),
    ("mnt", 0x00020000),
)
# A sandbox without its own of these is not the sandbox the policy asked for.
_REQUIRED = ("ipc", "uts", "net", "pid", "mnt")

PR_SET_PDEATHSIG = 1
PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_CLEAR_ALL = 4
_CAP_VERSION_3 = 0x20080522

HOLDER = ["/bin/sh", "-c", "echo ready; read _"]


class SandboxEntryError(RuntimeError):
    """The sandbox could not be built or entered."""


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise SandboxEntryError(f"{what}: {os.strerror(err)}")


@dataclass
class Sandbox:
    """A running bwrap placeholder the keeper has joined."""

    proc: subprocess.Popen
    init_pid: int = 0
    holder_pid: int = 0

    def stop(self) -> None:
        """Kill bwrap (its pid namespace goes with it) and reap it."""
        with contextlib.suppress(OSError):
            self.proc.kill()
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            self.proc.wait(10)


def _read(fd: int, deadline: float, what: str, line: bool = False) -> bytes:
    """What ``fd`` gives until end of file (or the first newline), by ``deadline``."""
    data = b""
    while not (line and data.endswith(b"\n")):
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            raise SandboxEntryError(f"bubblewrap did not {what} in time")
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        data += chunk
    return data


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as fh:
            return [int(p) for p in fh.read().split()]
    except (OSError, ValueError):
        return []


def start(bwrap_argv: list[str], env: dict[str, str], timeout: float = 30) -> Sandbox:
    """Run bwrap with ``bwrap_argv`` (its options, no command) around the placeholder."""
    info_r, info_w = os.pipe()
    launcher.libc()  # loaded here, not in the child
    try:
        # No parent-death signal for bwrap: one killed while it builds the sandbox
        # leaves the sandbox's init blocked for good on the go-ahead bwrap was to send
        # it (no child, re-parented to init). Unkilled, bwrap finishes the sandbox and
        # the placeholder, its stdin closed with this keeper, ends at once, and the
        # sandbox with it; once built, bwrap's --die-with-parent takes it down with
        # the keeper. For the same reason bwrap holds a read end of its info pipe:
        # its report must not fail (and bwrap exit before that go-ahead) when this
        # keeper is gone.
        proc = subprocess.Popen(
            [*bwrap_argv, "--info-fd", str(info_w), "--", *HOLDER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            pass_fds=(info_w, info_r),
            env=env,
            # Out of the kernel's process group: an interrupt meant for the kernel
            # must not reach bwrap.
            start_new_session=True,
        )
    except OSError as exc:
        os.close(info_r)
        os.close(info_w)
        raise SandboxEntryError(f"could not run bubblewrap: {exc}") from exc
    os.close(info_w)
    sandbox = Sandbox(proc)
    try:
        deadline = time.monotonic() + timeout
        try:
            info = json.loads(_read(info_r, deadline, "report its sandbox") or b"{}")
            sandbox.init_pid = int(info["child-pid"])
        except (ValueError, KeyError, TypeError) as exc:
            raise SandboxEntryError(f"bubblewrap failed (exit code {proc.poll()})") from exc
        assert proc.stdout is not None
        ready = _read(proc.stdout.fileno(), deadline, "start the sandbox", line=True)
        if ready.strip() != b"ready":
            raise SandboxEntryError(f"bubblewrap failed (exit code {proc.poll()})")
        # bwrap's init is pid 1 of the sandbox; the placeholder (its only child) runs in
        # the namespaces bwrap made for the command itself.
        holders = _children(sandbox.init_pid)
        if len(holders) != 1:
            raise SandboxEntryError("the sandbox's placeholder process was not found")
        sandbox.holder_pid = holders[0]
        return sandbox
    except BaseException:
        sandbox.stop()
        raise
    finally:
        os.close(info_r)


def _same_file(st: os.stat_result, other: os.stat_result) -> bool:
    return (st.st_dev, st.st_ino) == (other.st_dev, other.st_ino)


def _user_namespaces(pid: int) -> list[int]:
    """Descriptors of ``pid``'s user namespace and of its ancestors up to (not
    including) ours, outermost first; empty when it is ours (a root server's bwrap
    makes none). An unprivileged bwrap nests two: the outer one owns the sandbox's
    other namespaces, the inner one is where its command runs."""
    ours = os.stat("/proc/self/ns/user")
    chain: list[int] = []
    fd = os.open(f"/proc/{pid}/ns/user", os.O_RDONLY | os.O_CLOEXEC)
    try:
        while not _same_file(os.fstat(fd), ours):
            chain.insert(0, fd)
            if len(chain) > 8:
                raise SandboxEntryError("the sandbox's user namespaces nest too deep")
            try:
                fd = fcntl.ioctl(fd, NS_GET_PARENT)
            except OSError as exc:
                fd = -1
                raise SandboxEntryError(
                    f"the sandbox's user namespace is not one of ours: {exc.strerror}"
                ) from exc
        os.close(fd)
        return chain
    except BaseException:
        for opened in chain:
            os.close(opened)
        if fd >= 0 and fd not in chain:
            os.close(fd)
        raise


def join(sandbox: Sandbox, cwd: str) -> None:
    """Enter every namespace of the placeholder, its root, then ``cwd`` (single-threaded)."""
    pid = sandbox.holder_pid
    libc = launcher.libc()
    users: list[int] = []
    fds: list[tuple[str, int, int]] = []
    root = -1
    try:
        users = _user_namespaces(pid)
        for name, flag in _NAMESPACES:
            try:
                theirs = os.stat(f"/proc/{pid}/ns/{name}")
                ours = os.stat(f"/proc/self/ns/{name}")
            except FileNotFoundError:
                if name in _REQUIRED:
                    raise SandboxEntryError(f"this kernel has no {name} namespaces") from None
                continue
            if _same_file(theirs, ours):
                if name in _REQUIRED:
                    raise SandboxEntryError(f"the sandbox has no {name} namespace of its own")
                continue
            fds.append((name, flag, os.open(f"/proc/{pid}/ns/{name}", os.O_RDONLY | os.O_CLOEXEC)))
        root = os.open(f"/proc/{pid}/root", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        # Had the placeholder died meanwhile, its pid could name another process now:
        # the descriptors are only trusted if it is still the child of bwrap's init.
        if sandbox.proc.poll() is not None or _children(sandbox.init_pid) != [pid]:
            raise SandboxEntryError("the sandbox ended before it could be entered")
        # The outermost user namespace first: it owns the others and grants what
        # entering them takes.
        if users:
            _check(libc.setns(users[0], CLONE_NEWUSER), "entering the sandbox's user namespace")
        for name, flag, fd in fds:
            _check(libc.setns(fd, flag), f"entering the sandbox's {name} namespace")
        os.fchdir(root)
        os.chroot(".")
        for fd in users[1:]:
            _check(libc.setns(fd, CLONE_NEWUSER), "entering the sandbox's inner user namespace")
        os.chdir(cwd)
    finally:
        for fd in users:
            os.close(fd)
        for _name, _flag, fd in fds:
            os.close(fd)
        if root >= 0:
            os.close(root)


def keep(sandbox: Sandbox, kernel_pid: int) -> None:
    """The keeper's life after the fork: wait for the kernel, then end the sandbox.

    Exits with the kernel's status (``128 + N`` when signal N killed it, as bwrap
    reports it); never returns.
    """
    code = 1
    try:
        while True:
            try:
                _pid, status = os.waitpid(kernel_pid, 0)
            except InterruptedError:
                continue
            except ChildProcessError:
                break
            code = os.waitstatus_to_exitcode(status)
            if code < 0:
                code = 128 - code
            break
    finally:
        sandbox.stop()
        os._exit(code)


def harden() -> None:
    """In the kernel, just forked inside the sandbox: die with the keeper, give up what
    can be given up before the launcher's user switch, close inherited descriptors."""
    if launcher.prctl(PR_SET_PDEATHSIG, signal.SIGKILL) != 0:
        raise SandboxEntryError("prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() != 0:
        # The keeper (outside this pid namespace: parent 0) died before we asked to
        # die with it; we were adopted by the sandbox's init.
        raise SystemExit("codequest: the sandbox's keeper went away")
    # The bounding set limits what any later exec could regain; dropping from it needs
    # CAP_SETPCAP, which the kernel has here (root, or owner of the user namespace).
    launcher.drop_bounding_set()
    launcher.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)
    if not launcher.no_new_privs():
        raise SandboxEntryError("prctl(PR_SET_NO_NEW_PRIVS) failed")
    if os.geteuid() != 0:
        # Not root here: nothing left to do with privileges (no user switch follows).
        drop_capabilities()
    os.closerange(3, _max_fd())


def _max_fd() -> int:
    try:
        import resource

        soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
        return soft if 0 < soft < 1 << 20 else 1 << 20
    except (ImportError, OSError, ValueError):
        return 65536


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [
        ("effective", ctypes.c_uint32),
        ("permitted", ctypes.c_uint32),
        ("inheritable", ctypes.c_uint32),
    ]


def drop_capabilities() -> None:
    """Clear the effective, permitted and inheritable capability sets."""
    header = _CapHeader(_CAP_VERSION_3, 0)
    data = (_CapData * 2)()
    _check(launcher.libc().capset(ctypes.byref(header), data), "capset")


def status_fields(names: tuple[str, ...]) -> dict[str, str]:
    out = {}
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            key, _, value = line.partition(":")
            if key in names:
                out[key] = value.strip()
    return out


def check_unprivileged() -> None:
    """Refuse to run a kernel that kept any capability or may gain privileges."""
    drop_capabilities()
    fields = status_fields(("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs"))
    kept = {k: v for k, v in fields.items() if k.startswith("Cap") and int(v, 16) != 0}
    if kept or fields.get("NoNewPrivs") != "1":
        raise SystemExit(f"codequest: the sandboxed kernel kept privileges: {fields}")
