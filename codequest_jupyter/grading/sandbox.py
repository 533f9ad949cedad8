"""How a grading kernel is confined: its command line, user, environment and limits.

Three layers, the strongest the platform offers (``SandboxPolicy.mode``):

``bwrap``
    Linux with bubblewrap: no network, its own process tree (a fork bomb or a
    forgotten child dies with the kernel), a read-only view of an allow-list of the
    machine (the system, a minimal ``/etc``, the Python installation and its
    ``sys.path``, ``expose_paths``: see :mod:`.bwrap`) in which the challenges, Jupyter's
    private directories and whatever the policy names stay hidden, a private ``/tmp``,
    and only the run directory writable. Plus everything below.
``rlimits``
    Resource limits (address space, CPU time, processes, file size, open files, no
    core dumps), set by :mod:`.launcher` before ipykernel is imported; every child
    inherits them.
``none``
    Nothing but a fresh environment (trusted, local use).

``auto`` picks ``bwrap`` when it is installed and passes a one-time probe (a real
kernel start-up in the sandbox, cached per process), else ``rlimits``, and logs which.

A server running as root grades as an unprivileged user: by default each kernel gets
its own uid from ``uid_range`` (so ``RLIMIT_NPROC`` counts that kernel's processes
only, kernels cannot signal or read each other, and everything a kernel left running
is killed by uid when it is disposed of). The kernel's environment is built from
scratch: nothing of the server's (tokens, passwords, database URLs) reaches it.
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
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from . import bwrap as _bwrap
from .rundirs import probe_dir

log = logging.getLogger(__name__)

MiB = 1024 * 1024

SANDBOX_MODES = ("auto", "bwrap", "rlimits", "none")

# Variables a Python kernel needs; everything else of the server's is left out.
_PASSED_ENV = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "SYSTEMROOT")

# The variable that marks every process of one kernel (to find leftovers without a pid
# namespace or a uid of their own).
MARKER_ENV = "CODEQUEST_KERNEL"

PR_SET_PDEATHSIG = 1

# How long the one-time probe (a kernel start-up, 0.4 s on an idle machine) may take.
PROBE_TIMEOUT_S = 120.0

LAUNCHER = Path(__file__).with_name("launcher.py")


class SandboxUnavailable(RuntimeError):
    """The sandbox the policy asks for cannot be had on this machine."""


@dataclass(frozen=True)
class SandboxPolicy:
    """Limits and isolation every grading kernel gets, whatever the challenge asks for.

    ``max_memory_mb`` and ``max_cpu_s`` cap a pooled kernel before it knows its
    challenge; the run then lowers them to the challenge's own limits (a process may
    always lower its limits, never raise a hard one).

    ``user`` (root servers only): ``None`` gives each kernel a uid of its own from
    ``uid_range`` (``(first, count)``; uids without a passwd entry are fine); a name or
    number runs every kernel as that user instead (then kernels share one process
    count and can signal each other outside a pid namespace). A bwrap sandbox shows only
    an allow-list: ``expose_paths`` are more directories the kernel may read;
    ``hide_paths`` are directories to keep from it wherever an exposed one contains
    them (the server's root directory, the database's directory, challenge
    directories).
    """

    mode: str = "auto"
    max_memory_mb: int = 2048
    max_cpu_s: int = 600
    processes: int = 256
    file_size_mb: int = 64
    open_files: int = 256
    tmp_size_mb: int = 64
    extra_env: dict[str, str] = field(default_factory=dict)
    user: str | int | None = None
    uid_range: tuple[int, int] = (1_900_000_000, 1_000_000)
    hide_paths: tuple[str, ...] = ()
    expose_paths: tuple[str, ...] = ()
    bwrap_path: str | None = None

    def __post_init__(self) -> None:
        if self.mode not in SANDBOX_MODES:
            raise ValueError(
                f"sandbox mode must be one of {', '.join(SANDBOX_MODES)}, not {self.mode!r}"
            )
        object.__setattr__(self, "hide_paths", tuple(str(p) for p in self.hide_paths))
        object.__setattr__(self, "expose_paths", tuple(str(p) for p in self.expose_paths))

    def _key(self) -> tuple:
        return (
            self.mode,
            self.user,
            self.uid_range,
            self.hide_paths,
            self.expose_paths,
            self.bwrap_path,
            tuple(sorted(self.extra_env.items())),
        )


# -- what a policy comes to on this machine --------------------------------------------


@dataclass(frozen=True)
class SandboxPlan:
    """A policy resolved on this machine (probed once per process)."""

    mode: str  # bwrap | rlimits | none
    uid_strategy: str  # "per-kernel" | "fixed" | "own"
    fixed_uid: int | None = None
    fixed_gid: int | None = None
    bwrap: str | None = None
    bwrap_version: tuple[int, ...] = ()
    hide: tuple[str, ...] = ()
    expose: tuple[str, ...] = ()
    note: str = ""

    def describe(self) -> str:
        who = {
            "per-kernel": "each kernel as its own unprivileged uid",
            "fixed": f"kernels as uid {self.fixed_uid}",
            "own": "kernels as the server's user" + (" (root!)" if os.geteuid() == 0 else ""),
        }[self.uid_strategy]
        what = {
            "bwrap": "bubblewrap (no network, read-only filesystem, private /tmp, own pid namespace)"
            " and resource limits",
            "rlimits": "resource limits only",
            "none": "no confinement",
        }[self.mode]
        return f"{what}; {who}" + (f"; {self.note}" if self.note else "")


_plans: dict[tuple, SandboxPlan] = {}
_plans_lock = threading.Lock()


def resolve(policy: SandboxPolicy) -> SandboxPlan:
    """What ``policy`` comes to here; probes once per policy and process (blocking).

    Raises ``SandboxUnavailable`` when the policy names a mode that cannot work.
    """
    key = policy._key()
    plan = _plans.get(key)
    if plan is not None:
        return plan
    with _plans_lock:
        plan = _plans.get(key)
        if plan is None:
            plan = _resolve(policy)
            log.info("grading sandbox: %s", plan.describe())
            _plans[key] = plan
    return plan


def forget_probes() -> None:
    """Drop cached plans (tests; or after installing bubblewrap while running)."""
    with _plans_lock:
        _plans.clear()


def _resolve(policy: SandboxPolicy) -> SandboxPlan:
    if policy.mode == "none":
        return SandboxPlan("none", "own")
    strategy, fixed_uid, fixed_gid = _uid_strategy(policy)
    if policy.mode in ("auto", "bwrap"):
        reason = None
        path = _bwrap.find_bwrap(policy.bwrap_path)
        if path is None:
            reason = "bubblewrap (bwrap) is not installed" + (
                f" at {policy.bwrap_path}" if policy.bwrap_path else ""
            )
        elif not sys.platform.startswith("linux"):
            reason = "bubblewrap needs Linux"
        else:
            version = _bwrap.version(path)
            plan = SandboxPlan(
                "bwrap",
                strategy,
                fixed_uid,
                fixed_gid,
                path,
                version,
                hide=tuple(_hidden_paths(policy)),
                expose=tuple(_exposed_paths(policy)),
            )
            reason = _probe(policy, plan)
            if reason is None:
                return plan
        if policy.mode == "bwrap":
            raise SandboxUnavailable(f"the bwrap sandbox cannot be used: {reason}")
        log.warning(
            "bubblewrap sandbox unavailable (%s); grading kernels get resource limits only", reason
        )
    plan = SandboxPlan("rlimits", strategy, fixed_uid, fixed_gid)
    if strategy != "own":
        reason = _probe(policy, plan)
        if reason is not None:
            # The Python installation is not readable by other users (e.g. under
            # /root): without a mount namespace to show it, kernels must stay root.
            log.warning(
                "grading kernels cannot run as an unprivileged user (%s); they run as "
                "root with resource limits only, and RLIMIT_NPROC does not bind root",
                reason,
            )
            plan = SandboxPlan("rlimits", "own", note="could not drop root: " + reason)
    return plan


def _uid_strategy(policy: SandboxPolicy) -> tuple[str, int | None, int | None]:
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        if policy.user is not None:
            log.warning(
                "sandbox user %r ignored: only a server running as root can switch users",
                policy.user,
            )
        return "own", None, None
    if policy.user is None:
        return "per-kernel", None, None
    import pwd

    try:
        entry = (
            pwd.getpwuid(policy.user) if isinstance(policy.user, int) else pwd.getpwnam(policy.user)
        )
        uid, gid = entry.pw_uid, entry.pw_gid
    except KeyError:
        if isinstance(policy.user, int) or str(policy.user).isdigit():
            uid = gid = int(policy.user)
        else:
            raise SandboxUnavailable(f"sandbox user {policy.user!r} does not exist") from None
    if uid == 0:
        raise SandboxUnavailable("the sandbox user must not be root")
    return "fixed", uid, gid


def _hidden_paths(policy: SandboxPolicy) -> list[str]:
    hidden = _bwrap.default_hidden()
    with contextlib.suppress(Exception):
        from ..challenges import bundled_challenges_dir

        hidden.append(str(bundled_challenges_dir()))
    return hidden + list(policy.hide_paths)


def _exposed_paths(policy: SandboxPolicy) -> list[str]:
    """What the kernel's Python needs besides the system (:func:`.bwrap.system_paths`):
    its installation and the ``sys.path`` entries it imports from, then the policy's
    ``expose_paths``.

    A source checkout on ``sys.path`` (an editable install of CodeQuest) is not shown
    whole: only its ``codequest_jupyter`` package, which the kernel imports the
    harness from (the checkout also holds the challenges, tests, data, ``.git``).
    """
    package = Path(__file__).resolve().parents[1]
    paths = {
        sys.prefix,
        sys.exec_prefix,
        sys.base_prefix,
        sys.base_exec_prefix,
        os.path.dirname(sys.executable),
        os.path.dirname(os.path.realpath(sys.executable)),
        str(package),
    }
    env = kernel_env(policy, Path("/"))
    try:
        out = subprocess.run(
            [sys.executable, "-c", "import sys, json; print(json.dumps(sys.path))"],
            env=env,
            cwd="/",
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
            preexec_fn=die_with_parent(),
        ).stdout
        entries = [p for p in json.loads(out) if p and p != "/"]
    except (OSError, subprocess.SubprocessError, ValueError) as exc:
        log.warning("could not list the kernel's sys.path (%s); using the server's", exc)
        entries = [p for p in sys.path if p and os.path.isabs(p)]
    for entry in entries:
        real = os.path.realpath(entry)
        if real == str(package.parent) and Path(real).name not in (
            "site-packages",
            "dist-packages",
        ):
            continue  # the checkout: its package alone is exposed (above)
        paths.add(entry)
    return sorted(paths) + list(policy.expose_paths)


def die_with_parent() -> Callable[[], None]:
    """A ``preexec_fn`` for a sandbox's process: it is killed when the thread that
    starts it ends (Linux), and exits at once if that happened before it could ask.

    bwrap's own ``--die-with-parent`` is asked for only once bwrap runs: a server (or
    ``codequest grade``) stopped in between would leave bwrap and the kernel running,
    re-parented to init. The setting survives the exec into bwrap.
    """
    from .launcher import libc, prctl

    libc()  # loaded now, not in the child
    parent = os.getpid()

    def preexec() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:
            os._exit(1)

    return preexec


def _sweep_stale_probes(max_age_s: float = 3600) -> None:
    """Remove probe directories left by processes killed in the middle of a probe."""
    now = time.time()
    for path in Path(tempfile.gettempdir()).glob("codequest-probe-*"):
        with contextlib.suppress(OSError):
            if now - path.stat().st_mtime > max_age_s:
                shutil.rmtree(path, ignore_errors=True)


def _probe(policy: SandboxPolicy, plan: SandboxPlan) -> str | None:
    """Start the launcher the way a kernel starts, up to importing ipykernel; None if fine."""
    _sweep_stale_probes()
    run_dir = probe_dir()
    workdir = run_dir / "work"
    workdir.mkdir()
    spec = None
    try:
        spec = _spec(policy, plan, run_dir, workdir, inner_args=["--probe"])
        started = time.perf_counter()
        proc = subprocess.run(
            spec.argv,
            env=spec.env,
            cwd=str(spec.cwd),
            capture_output=True,
            text=True,
            timeout=PROBE_TIMEOUT_S,
            check=False,
            preexec_fn=die_with_parent(),
        )
        reason = probe_outcome(spec, spec.decode_exit(proc.returncode), proc.stderr)
        if reason is None:
            log.debug(
                "sandbox probe (%s) passed in %.0f ms",
                plan.mode,
                (time.perf_counter() - started) * 1000,
            )
        return reason
    except (OSError, subprocess.SubprocessError, ValueError, SandboxUnavailable) as exc:
        return f"probe failed: {exc}"
    finally:
        if spec is not None:
            spec.release()
        shutil.rmtree(run_dir, ignore_errors=True)


def probe_spec(policy: SandboxPolicy, run_dir: Path, workdir: Path) -> LaunchSpec:
    """A kernel command that only proves a kernel could start (``launcher.py --probe``)."""
    return _spec(policy, resolve(policy), run_dir, workdir, inner_args=["--probe"])


def probe_outcome(spec: LaunchSpec, code: int | None, stderr: str = "") -> str | None:
    """Why the probe started from ``spec`` failed (``code``: its exit status); None if
    it passed. Its report is the ``probe-ok`` file it wrote in its run directory."""
    try:
        report = json.loads((spec.cwd / "probe-ok").read_text())
    except (OSError, ValueError):
        report = None
    if code != 0 or not isinstance(report, dict):
        detail = stderr.strip().splitlines()
        with contextlib.suppress(OSError):
            detail += (spec.cwd / "kernel.log").read_text(errors="replace").strip().splitlines()
        return f"probe exited with {code}: {detail[-1] if detail else 'no output'}"
    if spec.uid is not None and report.get("uid") != spec.uid:
        return "the probe did not run as the kernel's user"
    return None


# -- uids ------------------------------------------------------------------------------


class _UidPool:
    """Per-kernel uids: random in the range, never two live kernels on one uid."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._used: set[int] = set()

    def acquire(self, first: int, count: int) -> int:
        busy = _uids_with_processes()
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


def _proc_pids() -> list[int]:
    try:
        return [int(name) for name in os.listdir("/proc") if name.isdigit()]
    except OSError:
        return []


def _uids_with_processes() -> set[int]:
    out = set()
    for pid in _proc_pids():
        with contextlib.suppress(OSError):
            out.add(os.stat(f"/proc/{pid}").st_uid)
    return out


def processes_of_uid(uid: int) -> list[int]:
    """Pids of live processes whose real uid is ``uid``."""
    pids = []
    for pid in _proc_pids():
        try:
            with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as fh:
                for line in fh:
                    if line.startswith("Uid:"):
                        if int(line.split()[1]) == uid:
                            pids.append(pid)
                        break
        except (OSError, ValueError, IndexError):
            continue
    return pids


def processes_with_marker(marker: str) -> list[int]:
    """Pids of live processes whose environment holds this kernel's marker."""
    needle = f"{MARKER_ENV}={marker}".encode()
    me = os.getpid()
    pids = []
    for pid in _proc_pids():
        if pid == me:
            continue
        try:
            with open(f"/proc/{pid}/environ", "rb") as fh:
                if needle in fh.read().split(b"\0"):
                    pids.append(pid)
        except OSError:
            continue
    return pids


# -- one kernel ------------------------------------------------------------------------


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


def launch_spec(policy: SandboxPolicy, run_dir: Path, workdir: Path) -> LaunchSpec:
    """The command that starts a confined kernel for a run living in ``run_dir``.

    Blocking (the first call per policy probes the platform; a root server chowns the
    run directory): call it from a worker thread in async code.
    """
    return _spec(policy, resolve(policy), run_dir, workdir)


def _spec(
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


def run_limits_code(memory_mb: int, cpu_budget_s: float, file_size_mb: int) -> str:
    """Python run in the kernel, before learner code, lowering its limits for this run.

    The address-space limit is what the kernel already maps plus the challenge's
    ``memory_mb``, so the learner gets the memory the challenge promises on top of the
    interpreter itself.
    """
    return f"""
def _codequest_limits():
    import resource
    size_kb = 0
    with open('/proc/self/status') as fh:
        for line in fh:
            if line.startswith('VmSize:'):
                size_kb = int(line.split()[1])
    want = size_kb * 1024 + {int(memory_mb)} * {MiB}
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard == resource.RLIM_INFINITY or want < hard:
        resource.setrlimit(resource.RLIMIT_AS, (want, want))
    used = resource.getrusage(resource.RUSAGE_SELF)
    cpu = int(used.ru_utime + used.ru_stime + {float(cpu_budget_s)!r}) + 1
    soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    if hard == resource.RLIM_INFINITY or cpu < hard:
        # SIGXCPU at the soft limit (reported as too much CPU), SIGKILL at the hard one.
        top = cpu + 2 if hard == resource.RLIM_INFINITY else min(cpu + 2, hard)
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, top))
    fsize = {int(file_size_mb)} * {MiB}
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    if hard == resource.RLIM_INFINITY or fsize < hard:
        resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
try:
    _codequest_limits()
except (ImportError, OSError, ValueError):
    pass
del _codequest_limits
"""
