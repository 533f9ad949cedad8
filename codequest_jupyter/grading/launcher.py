"""Start an IPython kernel as an unprivileged user under resource limits.

Run as ``python …/grading/launcher.py CONFIG_JSON -f CONNECTION_FILE [kernel args]``
(by path, so that nothing but the standard library runs before the privileges are
dropped), or with ``--probe`` instead of the kernel arguments to check that a kernel
could start here (used once per process by :mod:`.sandbox`), or with ``--judge JUDGE_CONFIG``
to run the judge process of :mod:`codequest_jupyter.judge` confined the same way.

``CONFIG_JSON`` keys:

``uid``, ``gid``
    When set and this process is root: hand the connection file to that user, drop
    every supplementary group and switch for good (real, effective and saved ids).
``limits``
    ``{name: value}`` rlimits, set soft = hard after the switch, so the kernel and all
    its children can lower them but never raise them again.
``nproc_relative``
    Count ``processes`` on top of the processes this user already runs (needed when
    the kernel shares its uid with other programs outside a user namespace).
``no_new_privs``
    Forbid gaining privileges through set-user-id programs (bwrap does this itself).
``log_file``
    Where the kernel's own stdout and stderr go once ipykernel is imported (the run
    directory's ``kernel.log``), instead of the server's: whatever learner code writes
    to file descriptors 1 and 2, or its forked children print, must not flood or forge
    the server's log. A kernel that fails to start still reports to the server's stderr.
``unset_env``, ``set_env``
    Variables to drop or set before ipykernel reads them. In a pid namespace the
    kernel's parent is pid 1, and ipykernel, polling its parent, would exit at once:
    ``JPY_PARENT_PID=1`` tells it not to poll (the sandbox kills the kernel with the
    server instead).
"""

import os
import sys

# Run by path, Python puts this file's directory first on sys.path: the kernel must not
# import the grading modules (or anything shadowing a library) from there.
if (
    __name__ == "__main__"
    and sys.path
    and os.path.abspath(sys.path[0]) == os.path.dirname(os.path.abspath(__file__))
):
    del sys.path[0]

import functools
import json
import signal

try:
    import resource
except ImportError:  # pragma: no cover - not POSIX
    resource = None  # type: ignore[assignment]

_RLIMITS = {
    "address_space": "RLIMIT_AS",
    "cpu_s": "RLIMIT_CPU",
    "processes": "RLIMIT_NPROC",
    "file_size": "RLIMIT_FSIZE",
    "open_files": "RLIMIT_NOFILE",
    "core": "RLIMIT_CORE",
}

PR_SET_NO_NEW_PRIVS = 38
PR_CAPBSET_DROP = 24


def apply_limits(limits):
    """Set each named rlimit to ``value`` (soft = hard), where the platform has it."""
    if resource is None:
        return
    for key, value in limits.items():
        name = _RLIMITS.get(key)
        if name is None or not hasattr(resource, name):
            continue
        which = getattr(resource, name)
        _soft, hard = resource.getrlimit(which)
        value = int(value)
        if hard != resource.RLIM_INFINITY and value > hard:
            value = hard
        try:
            resource.setrlimit(which, (value, value))
        except (ValueError, OSError):
            # An unprivileged process may not raise a hard limit; keep the soft one.
            resource.setrlimit(which, (min(value, hard), hard))


def drop_privileges(uid, gid):
    """Become ``uid``/``gid`` with no supplementary groups, irreversibly."""
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)
    if os.getresuid() != (uid, uid, uid) or os.getresgid() != (gid, gid, gid):
        raise SystemExit("codequest launcher: could not switch to the sandbox user")
    try:
        os.setuid(0)
    except PermissionError:
        return
    raise SystemExit("codequest launcher: root privileges could be regained")


def tasks_of_uid(uid):
    """Processes and threads of ``uid`` now (what RLIMIT_NPROC counts)."""
    count = 0
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/status", encoding="ascii", errors="replace") as fh:
                real = threads = None
                for line in fh:
                    if line.startswith("Uid:"):
                        real = int(line.split()[1])
                    elif line.startswith("Threads:"):
                        threads = int(line.split()[1])
                if real == uid:
                    count += threads or 1
        except (OSError, ValueError, IndexError):
            continue
    return count


@functools.lru_cache(maxsize=1)
def libc():
    """The C library, loaded once (ctypes)."""
    import ctypes

    return ctypes.CDLL(None, use_errno=True)


def prctl(option, arg=0):
    """prctl(2) with one argument; -1 where it cannot be called."""
    try:
        import ctypes

        return libc().prctl(
            option, ctypes.c_ulong(arg), ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0)
        )
    except (OSError, AttributeError, ImportError):
        return -1


def no_new_privs():
    """prctl(PR_SET_NO_NEW_PRIVS): set-user-id programs run without their privileges."""
    return prctl(PR_SET_NO_NEW_PRIVS, 1) == 0


def drop_bounding_set():
    """Empty the capability bounding set (needs CAP_SETPCAP, so: before the user switch)."""
    try:
        with open("/proc/sys/kernel/cap_last_cap", encoding="ascii") as fh:
            last = int(fh.read())
    except (OSError, ValueError):
        last = 63
    for cap in range(last + 1):
        prctl(PR_CAPBSET_DROP, cap)


def _connection_file(argv):
    for i, arg in enumerate(argv):
        if arg == "-f" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith(("--f=", "--IPKernelApp.connection_file=")):
            return arg.split("=", 1)[1]
    return None


LIFELINE_ENV = "CODEQUEST_LIFELINE_FD"  # as in launchspec


def watch_lifeline(fd):
    """Kill this sandbox when the server is gone: ``fd`` reads end-of-file then (see
    ``launchspec.lifeline``). Only in a bubblewrap sandbox (a pid namespace of its own),
    where ``kill(-1)`` reaches this sandbox's processes and nothing else."""
    import threading

    os.set_inheritable(fd, False)  # not for what the kernel runs

    def watch():
        try:
            while os.read(fd, 1):
                pass
        except OSError:
            return  # closed by the kernel's own code: nothing to watch any more
        try:
            os.kill(-1, signal.SIGKILL)  # everything else in the sandbox
        finally:
            os._exit(1)

    threading.Thread(target=watch, name="codequest-lifeline", daemon=True).start()


def confine(config, argv):
    """Everything before the kernel: user switch, limits, environment, signals."""
    for name in config.get("unset_env", ()):
        os.environ.pop(name, None)
    os.environ.update(config.get("set_env") or {})
    uid, gid = config.get("uid"), config.get("gid")
    if uid is not None and hasattr(os, "geteuid") and os.geteuid() == 0:
        gid = uid if gid is None else gid
        connection_file = _connection_file(argv)
        if connection_file and os.path.exists(connection_file):
            # jupyter_client wrote it 0600 as the server's user; the kernel must read it.
            os.chown(connection_file, uid, gid)
        # Nothing the kernel runs later may hold a capability, even through a program
        # with file capabilities.
        drop_bounding_set()
        drop_privileges(uid, gid)
    if config.get("no_new_privs"):
        no_new_privs()
    limits = dict(config.get("limits") or {})
    if config.get("nproc_relative") and "processes" in limits and hasattr(os, "getuid"):
        limits["processes"] = int(limits["processes"]) + tasks_of_uid(os.getuid())
    apply_limits(limits)
    # The sandbox starts this process with SIGINT ignored (so that only the kernel
    # gets interrupts); ipykernel needs the default handler to turn them into
    # KeyboardInterrupt.
    signal.signal(signal.SIGINT, signal.default_int_handler)


def redirect_stdio(path):
    """Send file descriptors 1 and 2 to ``path``; return a copy of the old stderr."""
    saved = os.dup(2)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    return saved


def probe():
    """Prove a kernel could start here: ipykernel imports, the run dir is writable.

    The report goes to ``probe-ok`` in the working directory (the run directory).
    """
    import ipykernel.kernelapp  # noqa: F401

    with open(os.path.join(os.getcwd(), "probe-ok"), "w") as fh:
        fh.write(json.dumps({"ok": True, "uid": os.getuid(), "pid": os.getpid()}))


def kernel_class():
    """ipykernel's kernel with IPython's own cell compiler.

    ipykernel's compiler names each cell's file for its debugger after a murmur2 hash
    computed in pure Python, for the test harness's large cell on every run.
    Grading kernels serve no debugger; IPython's compiler names cells by a SHA-1 and
    tracebacks still read "Cell In[n], line m".
    """
    from ipykernel.ipkernel import IPythonKernel
    from IPython.core.compilerop import CachingCompiler
    from traitlets import Type

    class GradingKernel(IPythonKernel):
        compiler_class = Type(CachingCompiler)  # type: ignore[assignment]  # on purpose

    return GradingKernel


def import_debugger_support():
    """Import ipykernel's debugger support with debugpy out of its reach.

    Grading kernels serve no debugger. With debugpy installed, ipykernel would import
    it (and a hundred modules with it) and give every kernel a debugger; without, the kernel says
    it has none. Learner code can still import debugpy itself.
    """
    if "ipykernel.debugger" in sys.modules:
        return
    blocked = "debugpy" not in sys.modules
    if blocked:
        sys.modules["debugpy"] = None  # type: ignore[assignment]  # an import of it raises ImportError
    try:
        import ipykernel.debugger  # noqa: F401
    finally:
        if blocked and "debugpy" in sys.modules and sys.modules["debugpy"] is None:
            del sys.modules["debugpy"]


def command_line_config(argv):
    """The kernel's options as traitlets config when they are all ``-f FILE`` and
    ``--Class.trait=value`` (what the grading engine passes), else None.

    Values stay strings, converted by each trait as traitlets does for the command line.
    """
    import re

    from traitlets.config import Config
    from traitlets.config.loader import DeferredConfigString

    config = Config()
    args = iter(argv)
    for arg in args:
        if arg == "-f":
            value = next(args, None)
            if value is None:
                return None
            config.IPKernelApp.connection_file = DeferredConfigString(value)
            continue
        match = re.fullmatch(r"--([A-Z]\w*)\.([A-Za-z_]\w*)=(.*)", arg, re.DOTALL)
        if match is None:
            return None
        config[match[1]][match[2]] = DeferredConfigString(match[3])
    return config


def kernel_app_class():
    """ipykernel's kernel application, reading the engine's options directly.

    traitlets' command line parser is built from every option of every configurable
    class first, dearest in a freshly forked kernel, where each page it touches is
    copied (figures: benchmarks/README.md). Anything else goes to that parser as usual.
    """
    import copy

    from ipykernel.kernelapp import IPKernelApp

    class GradingKernelApp(IPKernelApp):
        def parse_command_line(self, argv=None):
            config = command_line_config(argv) if argv is not None else None
            if config is None:
                return super().parse_command_line(argv)
            self.argv = list(argv)
            self.extra_args = []
            self.cli_config = copy.deepcopy(config)
            self.update_config(config)
            return None

    return GradingKernelApp


def main(argv=None, after_confine=None):
    """Confine this process and become the kernel (``after_confine()`` runs in between)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    config = json.loads(argv.pop(0))
    if isinstance(config, dict) and "limits" not in config and "uid" not in config:
        config = {"limits": config}  # the older form: the limits alone
    lifeline = os.environ.pop(LIFELINE_ENV, None)
    confine(config, argv)
    if lifeline is not None and lifeline.isdigit():
        watch_lifeline(int(lifeline))
    if after_confine is not None:
        after_confine()
    server_stderr = None
    if config.get("log_file"):
        server_stderr = redirect_stdio(config["log_file"])
    try:
        if argv[:1] == ["--probe"]:
            probe()
            return
        if argv[:1] == ["--judge"]:
            # Not a kernel: the judge process (pytest on the challenge's tests), confined
            # as a kernel is but under a uid and sandbox of its own.
            from codequest_jupyter.judge.runner import main as judge

            judge_config = json.loads(argv[1])
        else:
            import_debugger_support()
            app = kernel_app_class().instance(kernel_class=kernel_class())
            app.initialize(argv)
    except Exception:
        if server_stderr is not None:
            import traceback

            os.write(server_stderr, traceback.format_exc().encode(errors="replace"))
        raise
    finally:
        # Learner code runs only once the kernel has started, and must not hold the
        # server's stderr: it would write (or forge) lines of the server's log.
        if server_stderr is not None:
            os.close(server_stderr)
    if argv[:1] == ["--judge"]:
        sys.exit(judge(judge_config))
    app.start()


if __name__ == "__main__":
    main()
