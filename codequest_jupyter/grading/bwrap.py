"""The bubblewrap (``bwrap``) command line that confines a grading kernel on Linux.

The kernel sees an **allow-list** of the machine, read-only: its root is an empty
tmpfs on which only what a Python kernel needs is mounted (:func:`system_paths`: the
system's programs and shared libraries under ``/usr``, a minimal ``/etc``), plus the
directories the policy exposes (the Python installation and the ``sys.path`` entries
the kernel imports from, ``expose_paths``), ``/dev``, ``/proc``, a private ``/tmp``
and ``/dev/shm``, and its run directory, the only writable place. A directory nobody
listed is not there at all. Directories inside an exposed one that hold other
people's data or secrets (Jupyter's data, runtime and config directories, the server's
root and database directories, the challenges: ``hide``) are covered with empty tmpfs
mounts.

There is no network, and the kernel has its own process tree, IPC and host name.

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

# Directories that commonly hold other users' files, secrets or service sockets:
# hidden wherever an exposed directory contains them (say an installation under /).
_DEFAULT_HIDDEN = (
    "/home",
    "/root",
    "/run",
    "/var/run",
    "/var/lib",
    "/var/tmp",
    "/srv",
    "/mnt",
    "/media",
)

# The system every program runs on: the dynamic loader, the C library and the shared
# libraries Python and its extension modules link against, /bin/sh. On merged-/usr
# systems the top-level ones are links into /usr (and stay links in the sandbox).
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")

# What of /etc a Python kernel reads, and nothing else: the loader's cache and config
# (ld.so.*), users and groups with the name service switch (pwd, grp, getpass),
# hosts/services/protocols/networks (socket; there is no network anyway), the time
# zone, locale aliases, TLS certificates and OpenSSL's config (ssl; not
# /etc/ssl/private), MIME types (mimetypes), Debian's per-version Python config and
# sitecustomize, and the alternatives' links (a BLAS or LAPACK chosen through them).
ETC_PATHS = (
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/passwd",
    "/etc/group",
    "/etc/nsswitch.conf",
    "/etc/hosts",
    "/etc/host.conf",
    "/etc/services",
    "/etc/protocols",
    "/etc/networks",
    "/etc/localtime",
    "/etc/timezone",
    "/etc/locale.alias",
    "/etc/locale.conf",
    "/etc/ssl/certs",
    "/etc/ssl/openssl.cnf",
    "/etc/ca-certificates",
    "/etc/pki/tls/certs",
    "/etc/pki/ca-trust",
    "/etc/mime.types",
    "/etc/python3",
    "/etc/alternatives",
)


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


def system_paths() -> list[str]:
    """What every sandbox shows besides the policy's exposures (those that exist here):
    :data:`SYSTEM_DIRS`, :data:`ETC_PATHS` and ``/etc/python3.X``."""
    extra = sorted(str(p) for p in Path("/etc").glob("python3.*"))
    return [p for p in (*SYSTEM_DIRS, *ETC_PATHS, *extra) if os.path.lexists(p)]


def _real(path: str) -> str | None:
    try:
        real = os.path.realpath(path)
    except (OSError, ValueError):
        return None
    return real if os.path.exists(real) else None


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def _is_link(path: str) -> bool:
    return os.path.islink(path) and os.path.isabs(path)


def mount_plan(
    hide: Iterable[str],
    expose: Iterable[str],
    writable: Iterable[str],
    private: Iterable[str] = ("/tmp", "/dev/shm"),
    special: Iterable[tuple[str, str]] = (("dev", "/dev"), ("proc", "/proc")),
) -> list[tuple[str, str]]:
    """The ``(operation, path)`` mounts that build the sandbox's root, in order.

    The root starts as an empty tmpfs. Operations: ``ro`` (bind read-only), ``rw``
    (bind writable), ``link`` (the same symbolic link as on the host), ``private`` (an
    empty, world-writable tmpfs), ``hide`` (an empty tmpfs over a directory inside an
    exposed one), ``null`` (``/dev/null`` over a hidden file), ``dev`` and ``proc``
    (``special``), and ``dir`` (a directory, mode 0755, leading from a tmpfs to a mount
    on it). Mounts are applied shallowest first, so a path inside another one ends on
    top of it: an exposed directory can hold a hidden one and the other way round (an
    exposure equal to a hidden path wins). Hidden paths outside every exposure need no
    mount: they are not there. Paths that do not exist are skipped; symlinks are
    resolved (an exposed path that is itself a link becomes that link, plus its target).
    """
    ops: dict[str, str] = {}
    for op, path in special:
        ops[path] = op
    for path in private:
        if path and path != "/":
            ops[path] = "private"
    exposed: list[str] = []
    for path in expose:
        if not path:
            continue
        if _is_link(path) and os.path.normpath(path) != "/":
            ops[os.path.normpath(path)] = "link"
        real = _real(path)
        if real is not None and real not in exposed:
            exposed.append(real)
    for path in [p for p, op in ops.items() if op == "link"]:
        if any(_inside(os.path.dirname(path), e) for e in exposed):
            del ops[path]  # inside an exposed directory: there already, as on the host
    hidden = []
    for path in filter(None, map(_real, hide)):
        # Only what an exposure would show needs covering; an exposure of the very
        # same path (or of one inside it) is brought back on top.
        if (
            path != "/"
            and path not in exposed
            and any(_inside(path, e) and path != e for e in exposed)
        ):
            hidden.append(path)
    for path in hidden:
        ops[path] = "hide" if os.path.isdir(path) else "null"
    for path in exposed:
        # Inside another exposure with nothing hidden in between: visible already.
        covered = any(
            _inside(path, e)
            and path != e
            and not any(_inside(path, h) and _inside(h, e) and h != e for h in hidden)
            for e in exposed
        )
        if not covered and ops.get(path) not in ("dev", "proc"):
            ops[path] = "ro"
    for path in filter(None, map(_real, writable)):
        ops[path] = "rw"
    # The directories leading to each mount, where it lands on a tmpfs (the root, a
    # hidden or private one): created with mode 0755 (bwrap would make them 0700, which
    # an unprivileged kernel cannot traverse). Inside a bind they exist already.
    for path in list(ops):
        enclosing = max(
            (q for q, o in ops.items() if q != path and o != "dir" and _inside(path, q)),
            key=len,
            default="/",
        )
        if ops.get(enclosing) in ("ro", "rw", "dev", "proc"):
            continue
        parent = os.path.dirname(path)
        while parent != enclosing and parent != "/":
            ops.setdefault(parent, "dir")
            parent = os.path.dirname(parent)
    # Equal depth never nests, so any order among them is fine; sort for stable argv.
    return sorted(
        ((op, path) for path, op in ops.items() if path != "/" or op == "ro"),
        key=lambda item: (item[1].rstrip("/").count("/"), item[1]),
    )


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
    ]
    for op, path in mount_plan(hide, [*system_paths(), *expose], [run_dir]):
        if op == "private":
            if new_enough:
                argv += ["--perms", "1777", "--size", str(tmp_size_mb * MiB)]
            argv += ["--tmpfs", path]
        elif op == "hide":
            argv += ["--tmpfs", path]
        elif op == "null":
            argv += ["--ro-bind", "/dev/null", path]
        elif op == "link":
            argv += ["--symlink", os.readlink(path), path]
        elif op in ("dev", "proc"):
            argv += [f"--{op}", path]
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
    options, inner = list(argv[n:end]), list(argv[end + 1 :])
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
