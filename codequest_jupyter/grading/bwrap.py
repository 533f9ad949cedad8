"""The bubblewrap (``bwrap``) command line that confines a grading kernel on Linux.

The kernel sees the machine read-only, with no network, its own process tree, a
private ``/tmp`` and ``/dev/shm``, and only its run directory writable. Directories
that hold other people's data (home directories, ``/run``, Jupyter's data, runtime and
config directories, the server's root and database directories given by the policy)
are covered with empty tmpfs mounts; what the kernel needs from inside them (the
Python installation, the site-packages and source directories on its ``sys.path``)
is bound back read-only on top.

This module only builds argument lists and parses versions: no process is started
here (the probe lives in :mod:`.sandbox`).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterable, Sequence
from pathlib import Path

MiB = 1024 * 1024

# SIGINT must reach the kernel (it interrupts a running cell), but jupyter_client sends
# it to the whole process group, bwrap included, and bwrap dies of it (taking the
# kernel along). An ignored signal stays ignored across exec, so bwrap ignores it; the
# launcher restores Python's handler in the kernel.
_IGNORE_SIGINT = ["/bin/sh", "-c", 'trap "" INT; exec "$@"', "codequest-sandbox"]

# Directories that commonly hold other users' files, secrets or service sockets.
_DEFAULT_HIDDEN = ("/home", "/root", "/run", "/var/run", "/var/lib", "/var/tmp", "/srv", "/mnt", "/media")


def find_bwrap(configured: str | None = None) -> str | None:
    """The bwrap executable to use, or None when there is none."""
    if configured:
        return configured if os.access(configured, os.X_OK) else None
    return shutil.which("bwrap")


def version(bwrap: str) -> tuple[int, ...]:
    """bwrap's version as a tuple (``(0, 8, 0)``), ``()`` when it cannot be told."""
    try:
        out = subprocess.run(
            [bwrap, "--version"], capture_output=True, text=True, timeout=10, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return ()
    match = re.search(r"(\d+)\.(\d+)(?:\.(\d+))?", out)
    if not match:
        return ()
    return tuple(int(g or 0) for g in match.groups())


def jupyter_private_dirs() -> list[str]:
    """Jupyter's per-user data, runtime (server tokens) and config directories."""
    try:
        from jupyter_core import paths
    except ImportError:  # pragma: no cover - jupyter_core comes with jupyter_client
        return []
    dirs = [paths.jupyter_data_dir(), paths.jupyter_runtime_dir(), paths.jupyter_config_dir()]
    # System-wide config may hold server passwords or tokens too; kernels never need it.
    dirs += list(paths.jupyter_config_path())
    return dirs


def default_hidden() -> list[str]:
    """Directories hidden from every sandbox unless a policy says otherwise."""
    return [*_DEFAULT_HIDDEN, str(Path.home()), *jupyter_private_dirs()]


def _real(path: str) -> str | None:
    try:
        real = os.path.realpath(path)
    except (OSError, ValueError):
        return None
    return real if os.path.exists(real) else None


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def mount_plan(
    hide: Iterable[str],
    expose: Iterable[str],
    writable: Iterable[str],
    private: Iterable[str] = ("/tmp", "/dev/shm"),
) -> list[tuple[str, str]]:
    """The ``(operation, path)`` mounts to apply over the read-only root, in order.

    Operations: ``private`` (an empty, world-writable tmpfs), ``hide`` (an empty tmpfs),
    ``dir`` (a directory on such a tmpfs, mode 0755, leading to a mount inside it),
    ``ro`` (bind read-only) and ``rw`` (bind writable). Mounts are applied shallowest
    first, so a path inside another one ends on top of it: a hidden directory can hold
    an exposed one and the other way round. A read-only exposure that is not inside a
    hidden or private directory is visible anyway and is left out. Paths that do not
    exist are skipped; symlinks are resolved.
    """
    private = [p for p in private if p and p != "/"]
    exposed = [p for p in map(_real, expose) if p]
    ops: dict[str, str] = {p: "private" for p in private}
    for path in filter(None, map(_real, hide)):
        if path == "/":
            continue
        # Inside a private tmpfs a path is gone anyway, unless an exposure brings its
        # surroundings back (say the Python installation lives under /tmp, next to the
        # challenges): then it must be hidden on top of that exposure.
        in_private = any(_inside(path, p) for p in private)
        if not in_private or any(_inside(path, e) and path != e for e in exposed):
            ops[path] = "hide"
    covers = dict(ops)
    for path in exposed:
        if any(_inside(path, c) for c in covers):
            ops[path] = "ro"
    for path in filter(None, map(_real, writable)):
        ops[path] = "rw"
    # bwrap creates missing mount points with mode 0700, which an unprivileged kernel
    # cannot traverse: create the directories between a tmpfs and a mount inside it.
    for path, op in list(ops.items()):
        if op not in ("ro", "rw"):
            continue
        enclosing = max(
            (q for q, o in ops.items() if q != path and o != "dir" and _inside(path, q)),
            key=len,
            default=None,
        )
        if enclosing is None or ops[enclosing] not in ("hide", "private"):
            continue
        parent = os.path.dirname(path)
        while parent != enclosing and _inside(parent, enclosing):
            ops.setdefault(parent, "dir")
            parent = os.path.dirname(parent)
    # Equal depth never nests, so any order among them is fine; sort for stable argv.
    return sorted(((op, path) for path, op in ops.items()), key=lambda item: (item[1].count("/"), item[1]))


def command(
    inner: Sequence[str],
    *,
    bwrap: str,
    run_dir: str,
    hide: Iterable[str] = (),
    expose: Iterable[str] = (),
    tmp_size_mb: int = 64,
    bwrap_version: tuple[int, ...] = (),
) -> list[str]:
    """The full argv that runs ``inner`` inside a sandbox whose only writable place is ``run_dir``."""
    new_enough = not bwrap_version or bwrap_version >= (0, 6)
    argv = [
        *_IGNORE_SIGINT,
        bwrap,
        # The kernel dies with the server, even without ipykernel's parent poller
        # (which cannot work in a pid namespace).
        "--die-with-parent",
        "--unshare-pid",
        "--unshare-net",
        "--unshare-ipc",
        "--unshare-uts",
        "--unshare-cgroup-try",
        "--hostname",
        "codequest",
        "--ro-bind",
        "/",
        "/",
        "--dev",
        "/dev",
        "--proc",
        "/proc",
    ]
    for op, path in mount_plan(hide, expose, [run_dir]):
        if op == "private":
            if new_enough:
                argv += ["--perms", "1777", "--size", str(tmp_size_mb * MiB)]
            argv += ["--tmpfs", path]
        elif op == "hide":
            argv += ["--tmpfs", path]
        elif op == "dir":
            argv += ["--dir", path]
        elif op == "ro":
            argv += ["--ro-bind", path, path]
        else:
            argv += ["--bind", path, path]
    argv += ["--chdir", run_dir, "--", *inner]
    return argv


def split_command(argv: Sequence[str]) -> tuple[list[str], list[str]] | None:
    """``(bwrap and its options, the sandboxed command)`` of a :func:`command` argv.

    None when ``argv`` is not a command this module built.
    """
    n = len(_IGNORE_SIGINT)
    if list(argv[:n]) != _IGNORE_SIGINT or "--" not in argv[n:]:
        return None
    end = list(argv).index("--", n)
    options, inner = list(argv[n:end]), list(argv[end + 1:])
    if len(options) < 2 or "--die-with-parent" not in options or not inner:
        return None
    return options, inner


def decode_exit(code: int | None) -> int | None:
    """A kernel's exit status as Popen would report it without bwrap in between.

    bwrap exits with 128 + N when the sandboxed command died of signal N; Popen reports
    a signal death as -N. (A kernel calling ``os._exit(139)`` is indistinguishable from
    a segfault here; real programs do not exit with such codes.)
    """
    if code is not None and 128 < code < 128 + 65:
        return -(code - 128)
    return code
