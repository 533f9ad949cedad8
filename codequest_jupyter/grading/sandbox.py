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

:func:`resolve` decides what a policy (:mod:`.policy`) comes to here, probing once per
policy and process; :func:`launch_spec` gives one kernel's confined command
(:mod:`.launchspec`).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from . import bwrap as _bwrap
from .launchspec import LaunchSpec, build_spec, die_with_parent, kernel_env, with_lifeline
from .policy import SandboxPlan, SandboxPolicy, SandboxUnavailable
from .rundirs import probe_dir

# What the server, the worker and the judge import from here.
__all__ = [
    "LaunchSpec",
    "SandboxPolicy",
    "SandboxUnavailable",
    "die_with_parent",
    "forget_probes",
    "launch_spec",
    "probe_outcome",
    "probe_spec",
    "resolve",
]

log = logging.getLogger(__name__)

# The judge builds its own process's command from a plan (``judge.driver``).
_spec = build_spec

# How long the one-time probe (a kernel start-up, 0.4 s on an idle machine) may take.
PROBE_TIMEOUT_S = 120.0


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
        spec = build_spec(policy, plan, run_dir, workdir, inner_args=["--probe"])
        started = time.perf_counter()
        # As a kernel is (see ``launchspec.lifeline``): killed with this process.
        launch: dict[str, Any] = {"env": spec.env}
        if spec.mode == "bwrap":
            launch = with_lifeline(launch)
        else:
            launch["preexec_fn"] = die_with_parent()
        proc = subprocess.run(
            spec.argv,
            cwd=str(spec.cwd),
            capture_output=True,
            text=True,
            timeout=PROBE_TIMEOUT_S,
            check=False,
            **launch,
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
    return build_spec(policy, resolve(policy), run_dir, workdir, inner_args=["--probe"])


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


def launch_spec(policy: SandboxPolicy, run_dir: Path, workdir: Path) -> LaunchSpec:
    """The command that starts a confined kernel for a run living in ``run_dir``.

    Blocking (the first call per policy probes the platform; a root server chowns the
    run directory): call it from a worker thread in async code.
    """
    return build_spec(policy, resolve(policy), run_dir, workdir)
