"""Fresh grading kernels, and a pool of pre-started, never-used ones.

Every kernel serves exactly one submission and is then killed with its run directory.
The pool only hides the start-up cost: a kernel in the pool has run nothing but the
harness's warm-up (imports and one throwaway pytest session on a fixed test).

Kernels are started either as processes of their own (``exec``) or forked from a fork
server that has imported ipykernel and pytest once (``fork``, see :mod:`.forkserver`):
about 0.1 s of CPU per kernel instead of 0.6 s. Forking needs a kernel command of the
launcher form, bare or in a bubblewrap sandbox (which the forked kernel then enters, see
:mod:`.nsenter`); where entering a sandbox fails its one-time check, kernels are exec'd.
"""

from __future__ import annotations

import asyncio
import atexit
import collections
import contextlib
import inspect
import logging
import os
import shutil
import signal
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from queue import Empty
from pathlib import Path
from typing import Any

import zmq.asyncio
from jupyter_client import AsyncKernelManager
from jupyter_client.kernelspec import KernelSpec
from jupyter_client.provisioning import LocalProvisioner

from .forkserver import ForkedProcess, ForkServer, ForkServerError, forkable
from .bwrap import split_command
from .sandbox import (
    LaunchSpec,
    SandboxPolicy,
    SandboxUnavailable,
    die_with_parent,
    kernel_env,
    launch_spec,
    probe_outcome,
    probe_spec,
)

log = logging.getLogger(__name__)

WARM_UP_CODE = (
    "from codequest_jupyter.grading.harness import warm_up as _cq_warm_up\n"
    "_cq_warm_up()\n"
    "del _cq_warm_up\n"
    "import sys as _cq_sys\n"
    "_cq_sys.modules.pop('codequest_jupyter.grading.harness', None)\n"
    "del _cq_sys\n"
)

START_METHODS = ("auto", "fork", "exec")
REFILL_POLICIES = ("after_use", "eager")

# One zmq context for every grading kernel's sockets: a context per kernel would start
# (and join) a zmq I/O thread in the server for each submission.
_context: zmq.asyncio.Context | None = None


def _shared_context() -> zmq.asyncio.Context:
    global _context
    if _context is None or _context.closed:
        _context = zmq.asyncio.Context()
        # The client connects before the kernel has bound its sockets; retry every 10 ms
        # instead of zmq's default 100 ms.
        _context.setsockopt(zmq.RECONNECT_IVL, 10)
    return _context


async def wait_for_ready(kernel: GradingKernel, timeout: float) -> None:
    """Wait until the kernel answers on shell and its IOPub messages reach us.

    ``KernelClient.wait_for_ready`` does the same and then waits for 0.2 s of IOPub
    silence, 0.2 s of every kernel start spent doing nothing.
    """
    kc = kernel.kc
    deadline = time.monotonic() + timeout
    while True:
        kc.kernel_info()
        try:
            reply = await kc.shell_channel.get_msg(timeout=0.5)
        except Empty:
            reply = None
        if reply is not None and reply.get("msg_type") == "kernel_info_reply":
            try:
                # The reply came; the request's status messages prove IOPub is subscribed.
                await kc.iopub_channel.get_msg(timeout=0.2)
                return
            except Empty:
                pass
        if not await kernel.is_alive():
            raise RuntimeError("the kernel died before replying to kernel_info")
        if time.monotonic() > deadline:
            raise RuntimeError(f"the kernel did not reply in {timeout:g} s")


class KernelStartError(RuntimeError):
    """A grading kernel could not be started."""


class _ForkingProvisioner(LocalProvisioner):
    """LocalProvisioner that forks the kernel from a fork server when it can."""

    fork_server: ForkServer | None = None

    async def launch_kernel(self, cmd: list[str], **kwargs: Any):
        server = self.fork_server
        if split_command(cmd) is not None:
            # bwrap: killed with the server even if it stops before bwrap has asked.
            kwargs.setdefault("preexec_fn", die_with_parent())
        if server is None or not server.alive or not forkable(cmd):
            return await super().launch_kernel(cmd, **kwargs)
        cwd = str(kwargs.get("cwd") or os.getcwd())
        try:
            self.process = await server.spawn(cmd, dict(kwargs.get("env") or {}), cwd)
        except ForkServerError as exc:
            # The fork server went away meanwhile: this kernel starts the slow way.
            log.warning("grading kernel started with exec: %s", exc)
            return await super().launch_kernel(cmd, **kwargs)
        # The child made itself a session (and process group) leader.
        self.pid = self.pgid = self.process.pid
        self.cwd = cwd
        return self.connection_info

    async def send_signal(self, signum: int) -> None:
        if isinstance(self.process, ForkedProcess):
            # Through the fork server, which knows whether the pid is still its child.
            self.process.send_signal(signum)
            return
        await super().send_signal(signum)

    async def wait(self) -> int | None:
        if isinstance(self.process, ForkedProcess):
            code = await self.process.wait_async()
            self.process = None
            return code
        return await super().wait()


class _GradingKernelManager(AsyncKernelManager):
    """A kernel manager whose kernel command comes from the sandbox policy."""

    def __init__(self, spec: LaunchSpec, **kwargs):
        super().__init__(kernel_name="", **kwargs)
        self._kernel_spec = KernelSpec(
            argv=spec.argv,
            display_name="CodeQuest grading kernel",
            language="python",
            interrupt_mode="signal",
        )

    @property
    def kernel_spec(self) -> KernelSpec | None:
        return self._kernel_spec


class GradingKernel:
    """One started kernel, its client, and the run directory it owns."""

    def __init__(
        self, km: AsyncKernelManager, run_dir: Path, workdir: Path, sandbox: LaunchSpec | None = None
    ):
        self.km = km
        self.kc = None
        self.run_dir = run_dir
        self.workdir = workdir
        self.sandbox = sandbox
        self.started_at = time.monotonic()
        self.pooled = False
        self.forked = False
        self.idle_mb: float | None = None
        self._on_release: Callable[[GradingKernel], None] | None = None
        self._disposing: asyncio.Future | None = None

    @property
    def pid(self) -> int | None:
        provisioner = getattr(self.km, "provisioner", None)
        return getattr(provisioner, "pid", None)

    def exit_code(self) -> int | None:
        """The kernel process's exit status once it has died (negative: signal)."""
        provisioner = getattr(self.km, "provisioner", None)
        process = getattr(provisioner, "process", None)
        if process is None:
            return None
        code = process.poll()
        return self.sandbox.decode_exit(code) if self.sandbox is not None else code

    def hand_over(self, path: Path) -> None:
        """Give the kernel's user the files the server wrote under ``path`` (blocking)."""
        if self.sandbox is not None:
            self.sandbox.hand_over(path)

    def memory_mb(self) -> float | None:
        """The memory of the kernel's process and its descendants (the sandbox's
        processes, a forked kernel's keeper), as proportional set size: shared pages
        split. Blocking."""
        pid = self.pid
        if pid is None:
            return None
        sizes = [mb for mb in map(_process_mb, _process_tree(pid)) if mb is not None]
        return sum(sizes) if sizes else None

    async def is_alive(self) -> bool:
        try:
            return bool(await self.km.is_alive())
        except Exception:  # noqa: BLE001 - a broken manager counts as dead
            return False

    async def kill(self) -> None:
        """Kill the kernel now (its process group too)."""
        with contextlib.suppress(Exception):
            await self.km.shutdown_kernel(now=True)

    async def dispose(self) -> None:
        """Kill the kernel and remove everything it left on disk (once; safe to repeat)."""
        if self._disposing is not None:
            await asyncio.shield(self._disposing)
            return
        self._disposing = asyncio.get_running_loop().create_future()
        try:
            await self._dispose()
        finally:
            self._disposing.set_result(None)

    async def _dispose(self) -> None:
        # Straight to SIGKILL: a used kernel has nothing worth a graceful shutdown, and
        # jupyter_client's polite interrupt first would only delay the kill.
        provisioner = getattr(self.km, "provisioner", None)
        with contextlib.suppress(Exception):
            if provisioner is not None and provisioner.has_process:
                await provisioner.send_signal(signal.SIGKILL)
        release, self._on_release = self._on_release, None
        if release is not None:
            release(self)  # the pool may start this kernel's successor now
        if self.kc is not None:
            with contextlib.suppress(Exception):
                self.kc.stop_channels()
            self.kc = None
        await self.kill()
        with contextlib.suppress(Exception):
            pending = self.km.cleanup_resources()
            if inspect.isawaitable(pending):
                await pending
        if self.sandbox is not None:
            # Whatever the kernel left running (forks, setsid'd children) dies here.
            await asyncio.to_thread(self.sandbox.release)
        await asyncio.to_thread(remove_run_dir, self.run_dir)


RUN_DIR_PREFIX = "codequest-run-"

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


def remove_run_dir(path: Path) -> None:
    """Remove a run directory made by :func:`new_run_dir` (blocking)."""
    shutil.rmtree(path, ignore_errors=True)
    _live_dirs.pop(path, None)


def sweep_run_dirs(min_age_s: float = 3600) -> int:
    """Remove the run directories of servers that are gone; how many went.

    A server killed outright (SIGKILL, the machine's out-of-memory killer) cannot remove
    its kernels' directories; its kernels died with it. Directories of a live process,
    even another server's, stay, and so do those changed in the last ``min_age_s``
    (a server in another pid namespace sharing this temporary directory looks gone).
    """
    removed = 0
    now = time.time()
    for path in Path(tempfile.gettempdir()).glob(f"{RUN_DIR_PREFIX}*-*"):
        owner = path.name[len(RUN_DIR_PREFIX):].split("-", 1)[0]
        if not owner.isdigit() or _pid_exists(int(owner)):
            continue
        try:
            if path.is_symlink() or not path.is_dir() or now - path.stat().st_mtime < min_age_s:
                continue
        except OSError:
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed += not path.exists()
    return removed


def _pid_exists(pid: int) -> bool:
    if pid <= 0:
        return True  # not a name this module gives: leave it
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, someone else's
    return True


def _process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants now (Linux ``/proc``; just ``pid`` elsewhere)."""
    tree, todo = [], [pid]
    while todo and len(tree) < 10_000:
        current = todo.pop()
        tree.append(current)
        with contextlib.suppress(OSError, ValueError), open(
            f"/proc/{current}/task/{current}/children", encoding="ascii"
        ) as fh:
            todo.extend(int(p) for p in fh.read().split())
    return tree


def _process_mb(pid: int) -> float | None:
    """One process's PSS (its RSS where PSS is not reported), in MiB."""
    for name, key in (("smaps_rollup", "Pss:"), ("status", "VmRSS:")):
        try:
            with open(f"/proc/{pid}/{name}", encoding="ascii") as fh:
                for line in fh:
                    if line.startswith(key):
                        return int(line.split()[1]) / 1024
        except (OSError, ValueError, IndexError):
            continue
    return None


async def start_kernel(
    policy: SandboxPolicy,
    *,
    startup_timeout: float = 60,
    warm: bool = True,
    fork_server: ForkServer | None = None,
) -> GradingKernel:
    """Start one confined kernel in a new run directory and wait until it is ready.

    With a running ``fork_server`` and a forkable kernel command the kernel is forked
    from it; otherwise it is started as a process of its own. ``warm`` runs the
    harness's warm-up in a kernel started on its own (a forked one inherits it).
    """
    # Two quick syscalls, made here rather than in a thread: a cancellation while a
    # thread created the directory would leave it behind with nobody to remove it.
    run_dir = new_run_dir()
    workdir = run_dir / "work"
    workdir.mkdir()
    # Blocking: the first call probes the platform, a root server chowns the run dir.
    making = asyncio.ensure_future(asyncio.to_thread(launch_spec, policy, run_dir, workdir))
    try:
        spec = await asyncio.shield(making)
    except asyncio.CancelledError:
        # A thread cannot be stopped: let it finish, then undo what it did (its spec
        # may hold a uid of the sandbox's).
        with contextlib.suppress(Exception):
            made = await making
            await asyncio.to_thread(made.release)
        await asyncio.to_thread(remove_run_dir, run_dir)
        raise
    except Exception as exc:
        await asyncio.to_thread(remove_run_dir, run_dir)
        raise KernelStartError(f"could not start a grading kernel: {exc}") from exc
    if run_dir in _live_dirs:
        _live_dirs[run_dir] = spec
    # The module's logger, not the application's: Jupyter's runs at DEBUG (its handlers
    # filter), and jupyter_client formats a debug line for every kernel it starts.
    km = _GradingKernelManager(spec, context=_shared_context(), log=log)
    km.transport = spec.transport
    if spec.transport == "ipc":
        km.ip = str(run_dir / "kernel")
    km.connection_file = str(run_dir / "connection.json")
    km.kernel_id = str(uuid.uuid4())
    provisioner = _ForkingProvisioner(kernel_id=km.kernel_id, kernel_spec=km.kernel_spec, parent=km)
    provisioner.fork_server = fork_server
    km.provisioner = provisioner
    kernel = GradingKernel(km, run_dir, workdir, spec)
    try:
        await km.start_kernel(env=spec.env, cwd=str(spec.cwd))
        kernel.forked = isinstance(provisioner.process, ForkedProcess)
        # The manager's shared zmq context (a client's own would start and join an I/O
        # thread per kernel); no heartbeat (the process is watched instead) and no stdin:
        # input() in learner code fails at once, as under nbclient's own client, instead
        # of waiting for an answer until the cell's time limit.
        kc = km.client(context=km.context)
        kc.start_channels(stdin=False, hb=False)
        kernel.kc = kc
        await wait_for_ready(kernel, startup_timeout)
        if warm and not kernel.forked:
            reply = await kc.execute_interactive(
                WARM_UP_CODE, store_history=False, timeout=startup_timeout, output_hook=_ignore
            )
            if reply["content"].get("status") != "ok":
                raise KernelStartError(
                    f"grading kernel warm-up failed: {reply['content'].get('evalue')}"
                )
    except BaseException as exc:
        await kernel.dispose()
        if isinstance(exc, (asyncio.CancelledError, KernelStartError)):
            raise
        raise KernelStartError(f"could not start a grading kernel: {exc}") from exc
    return kernel


def _ignore(_msg) -> None:
    return None


Starter = Callable[..., Awaitable[GradingKernel]]


class KernelPool:
    """Pre-started, never-used kernels, refilled in the background.

    ``acquire()`` hands out a pooled kernel when one is ready and alive, and otherwise
    starts one (a cold start): an empty or failing pool costs time, never a grading.
    Each kernel is handed out once; its ``dispose()`` ends it.

    Parameters
    ----------
    policy
        The sandbox every kernel is started in.
    size
        How many ready kernels to keep (0: no pool, every grading starts cold).
    refill
        ``"after_use"`` (default): a kernel taken from the pool is replaced once its
        grading is over, so the replacement's start-up does not compete with that
        grading for the CPU; ``"eager"``: replaced as soon as it is taken.
    max_idle_mb
        Memory the idle kernels may hold together (0: no limit); the pool stops short
        of ``size`` rather than exceed it. Measured as each kernel's PSS, so pages a
        forked kernel shares with the fork server count only in part.
    max_age_s
        Idle kernels older than this (counted from when they were ready) are replaced.
    start_method
        ``"fork"``, ``"exec"`` or ``"auto"`` (fork when the sandbox's kernel command
        allows it, else exec). A fork server that dies is restarted; meanwhile kernels
        are started with exec.
    max_parallel_starts
        Pooled kernels started at the same time while refilling.
    """

    def __init__(
        self,
        policy: SandboxPolicy,
        size: int = 0,
        *,
        max_age_s: float = 3600,
        startup_timeout: float = 60,
        refill: str = "after_use",
        max_idle_mb: float = 0,
        start_method: str = "auto",
        max_parallel_starts: int = 2,
        starter: Starter | None = None,
    ):
        if refill not in REFILL_POLICIES:
            raise ValueError(f"pool refill must be one of {', '.join(REFILL_POLICIES)}, not {refill!r}")
        if start_method not in START_METHODS:
            raise ValueError(
                f"kernel start method must be one of {', '.join(START_METHODS)}, not {start_method!r}"
            )
        self.policy = policy
        self.size = max(0, int(size))
        self.max_age_s = max_age_s
        self.startup_timeout = startup_timeout
        self.refill = refill
        self.max_idle_mb = max(0.0, float(max_idle_mb or 0))
        self.start_method = start_method
        self.max_parallel_starts = max(1, int(max_parallel_starts))
        self._starter = starter
        self._ready: collections.deque[GradingKernel] = collections.deque()
        self._starting: set[asyncio.Task] = set()
        self._background: set[asyncio.Task] = set()
        self._outstanding = 0  # pooled kernels handed out and not yet released
        self._wakeup: asyncio.Event | None = None
        self._refill_task: asyncio.Task | None = None
        self._closed = False
        self._failures = 0
        self._retry_at = 0.0
        self._idle_estimate = 0.0
        self._fork_server: ForkServer | None = None
        self._fork_task: asyncio.Task | None = None
        self._fork_failures = 0
        self._fork_retry_at = 0.0
        # Decided on first need (it asks the sandbox for a kernel command): None = not yet.
        self._fork_wanted: bool | None = False if start_method == "exec" else None
        self._probe: asyncio.Future | None = None
        self.stats = {"pooled": 0, "cold": 0, "start_failures": 0, "forked": 0, "dead_skipped": 0}

    # -- state -------------------------------------------------------------------------
    @property
    def ready_count(self) -> int:
        return len(self._ready)

    @property
    def starting_count(self) -> int:
        return len(self._starting)

    @property
    def fork_server(self) -> ForkServer | None:
        """The running fork server, if kernels are being forked."""
        server = self._fork_server
        return server if server is not None and server.alive else None

    def idle_memory_mb(self) -> float:
        """What the idle kernels hold together, as last measured."""
        return sum(k.idle_mb or 0.0 for k in self._ready)

    async def wait_fork_server(self, timeout: float = 60) -> bool:
        """Wait until it is known whether kernels are forked and, if so, the fork server
        is up (needs ``start()``); True when kernels are forked."""
        deadline = time.monotonic() + timeout
        while self._fork_wanted is None or (self._fork_wanted and self.fork_server is None):
            if time.monotonic() > deadline or self._closed or self._refill_task is None:
                return False
            await asyncio.sleep(0.02)
        return bool(self._fork_wanted)

    async def wait_ready(self, count: int | None = None, timeout: float = 60) -> bool:
        """Wait until ``count`` (default: ``size``) kernels are ready; False on timeout."""
        want = self.size if count is None else count
        deadline = time.monotonic() + timeout
        while len(self._ready) < want:
            if time.monotonic() > deadline or self._closed:
                return False
            await asyncio.sleep(0.02)
        return True

    # -- life cycle --------------------------------------------------------------------
    def start(self) -> None:
        """Start the fork server (if used) and the refilling (needs a running loop)."""
        if self._closed or self._refill_task is not None:
            return
        self._wakeup = asyncio.Event()
        if self.size or self._fork_wanted is not False:
            self._refill_task = asyncio.get_running_loop().create_task(self._refill_loop())

    async def close(self) -> None:
        """Stop refilling; kill idle kernels and the fork server (with what it forked)."""
        self._closed = True
        if self._wakeup is not None:
            self._wakeup.set()
        tasks = [t for t in (self._refill_task, self._fork_task, *self._starting) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._refill_task = self._fork_task = None
        if self._probe is not None:
            # Its thread cannot be cancelled; it removes what it made once it is done.
            with contextlib.suppress(Exception):
                await self._probe
        kernels = list(self._ready)
        self._ready.clear()
        await asyncio.gather(*(k.dispose() for k in kernels), return_exceptions=True)
        if self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)
        server, self._fork_server = self._fork_server, None
        if server is not None:
            await server.close()

    # -- handing out -------------------------------------------------------------------
    async def acquire(self) -> GradingKernel:
        """A fresh kernel for one run: pooled if one is ready and alive, else cold."""
        if self._closed:
            raise KernelStartError("the kernel pool is closed")
        now = time.monotonic()
        while self._ready:
            kernel = self._ready.popleft()
            if now - kernel.started_at > self.max_age_s or not await kernel.is_alive():
                self.stats["dead_skipped"] += 1
                self._dispose_later(kernel)
                continue
            self.stats["pooled"] += 1
            self._outstanding += 1
            kernel._on_release = self._released
            self._wake()
            return kernel
        self.stats["cold"] += 1
        self._wake()
        # A cold kernel skips the warm-up: the grading imports what it needs anyway.
        return await self._start_one(warm=False)

    def _released(self, kernel: GradingKernel) -> None:
        self._outstanding = max(0, self._outstanding - 1)
        self._wake()

    def _wake(self) -> None:
        if self._wakeup is not None:
            self._wakeup.set()

    async def _start_one(self, *, warm: bool) -> GradingKernel:
        if self._starter is not None:
            return await self._starter(self.policy, startup_timeout=self.startup_timeout)
        kernel = await start_kernel(
            self.policy, startup_timeout=self.startup_timeout, warm=warm,
            fork_server=self.fork_server,
        )
        if kernel.forked:
            self.stats["forked"] += 1
        return kernel

    def _dispose_later(self, kernel: GradingKernel) -> None:
        self._track(asyncio.get_running_loop().create_task(kernel.dispose()))

    def _track(self, task: asyncio.Task) -> None:
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # -- refilling ---------------------------------------------------------------------
    def _wanted(self) -> int:
        """How many more kernels to start now."""
        target = self.size
        if self.refill == "after_use":
            target -= self._outstanding
        missing = target - len(self._ready) - len(self._starting)
        missing = min(missing, self.max_parallel_starts - len(self._starting))
        if missing > 0 and self.max_idle_mb:
            each = self._idle_estimate
            if not each:
                # Nothing measured yet: one at a time until a kernel has been measured.
                missing = min(missing, 1 - len(self._starting))
            else:
                held = self.idle_memory_mb() + each * len(self._starting)
                missing = min(missing, int((self.max_idle_mb - held) // each))
        return max(0, missing)

    async def _refill_loop(self) -> None:
        assert self._wakeup is not None
        while not self._closed:
            self._wakeup.clear()
            self._drop_stale()
            await self._ensure_fork_server()
            now = time.monotonic()
            # While the fork server starts (it will take a second), starting kernels
            # the slow way would only slow it down.
            holding = self._fork_task is not None
            if now >= self._retry_at and not holding:
                for _ in range(self._wanted()):
                    task = asyncio.get_running_loop().create_task(self._start_pooled())
                    self._starting.add(task)
                    task.add_done_callback(self._starting.discard)
            waits = [3600.0]
            if now < self._retry_at:
                waits.append(self._retry_at - now)
            if self._ready:
                waits.append(min(k.started_at for k in self._ready) + self.max_age_s - now)
            if self._fork_wanted and self.fork_server is None and self._fork_task is None:
                waits.append(self._fork_retry_at - now)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), timeout=max(0.05, min(waits)))

    async def _start_pooled(self) -> None:
        try:
            kernel = await self._start_one(warm=True)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - keep grading with cold starts
            self._failures += 1
            self.stats["start_failures"] += 1
            self._retry_at = time.monotonic() + min(30.0, 0.5 * 2**self._failures)
            log.warning("grading kernel pool: start failed (%s)", exc)
            return
        finally:
            self._wake()
        self._failures = 0
        if self._closed:
            await kernel.dispose()
            return
        kernel.pooled = True
        # Its idle age counts from now: on a busy machine a start-up can take longer
        # than max_age_s, and a kernel stale on arrival would be replaced for ever.
        kernel.started_at = time.monotonic()
        if self.max_idle_mb:
            kernel.idle_mb = await asyncio.to_thread(kernel.memory_mb)
            if kernel.idle_mb:
                self._idle_estimate = kernel.idle_mb
        self._ready.append(kernel)

    def _drop_stale(self) -> None:
        now = time.monotonic()
        for kernel in [k for k in self._ready if now - k.started_at > self.max_age_s]:
            self._ready.remove(kernel)
            self._dispose_later(kernel)

    # -- the fork server ---------------------------------------------------------------
    async def _ensure_fork_server(self) -> None:
        """Start (or restart) the fork server in the background when kernels are forked."""
        if self._fork_wanted is None:
            if self._probe is None:
                self._probe = asyncio.ensure_future(asyncio.to_thread(self._command_forkable))
            self._fork_wanted = await asyncio.shield(self._probe)
            if not self._fork_wanted:
                (log.warning if self.start_method == "fork" else log.info)(
                    "grading kernels are started as processes of their own: the sandbox's "
                    "kernel command cannot be forked"
                )
        if not self._fork_wanted or self._closed:
            return
        if self._fork_task is not None or (self._fork_server is not None and self._fork_server.alive):
            return
        if time.monotonic() < self._fork_retry_at:
            return
        self._fork_task = asyncio.get_running_loop().create_task(self._run_fork_server())

    def _command_forkable(self) -> bool:
        run_dir = Path(tempfile.mkdtemp(prefix="codequest-probe-"))
        workdir = run_dir / "work"
        workdir.mkdir()
        spec = None
        try:
            spec = launch_spec(self.policy, run_dir, workdir)
            return forkable(spec.argv)
        except Exception as exc:  # noqa: BLE001 - then exec it is, and starts report why
            log.warning("grading kernel pool: could not tell the kernel command (%s)", exc)
            return False
        finally:
            if spec is not None:
                with contextlib.suppress(Exception):
                    spec.release()
            shutil.rmtree(run_dir, ignore_errors=True)

    async def _check_sandboxed_fork(self, server: ForkServer) -> str | None:
        """Fork one probe into its sandbox (when kernels have one); None if that worked."""
        run_dir = Path(tempfile.mkdtemp(prefix="codequest-probe-"))
        workdir = run_dir / "work"
        workdir.mkdir()
        spec = process = None
        try:
            spec = await asyncio.to_thread(probe_spec, self.policy, run_dir, workdir)
            if split_command(spec.argv) is None:
                return None
            process = await server.spawn(spec.argv, spec.env, str(spec.cwd))
            code = await asyncio.wait_for(process.wait_async(), self.startup_timeout)
            return await asyncio.to_thread(probe_outcome, spec, spec.decode_exit(code))
        except (asyncio.TimeoutError, ForkServerError, OSError, SandboxUnavailable) as exc:
            return f"{type(exc).__name__}: {exc}"
        finally:
            if process is not None and process.poll() is None:
                # Timed out or cancelled (the pool closes): the probe must not go on
                # into a directory removed under it.
                with contextlib.suppress(Exception):
                    process.kill()
                    await asyncio.wait_for(process.wait_async(), 5)
            if spec is not None:
                await asyncio.to_thread(spec.release)
            await asyncio.to_thread(shutil.rmtree, run_dir, True)

    async def _run_fork_server(self) -> None:
        old, self._fork_server = self._fork_server, None
        try:
            if old is not None:
                await old.close()
            server = ForkServer(
                env_for=lambda home: kernel_env(self.policy, Path(home)), on_exit=self._wake
            )
            _ensure_exit_hook()
            _live_fork_servers.add(server)
            server.on_close = _live_fork_servers.discard
            try:
                await server.start(timeout=self.startup_timeout)
            except ForkServerError as exc:
                self._fork_failures += 1
                self._fork_retry_at = time.monotonic() + min(60.0, 2.0 * 2**self._fork_failures)
                log.warning("grading kernels are started with exec for now: %s", exc)
                return
            if self._closed:
                await server.close()
                return
            try:
                reason = await self._check_sandboxed_fork(server)
            except BaseException:
                await server.close()  # cancelled: the pool is closing
                raise
            if reason is not None:
                # Not a passing failure: this platform cannot enter its sandboxes.
                log.warning("grading kernels are started as processes of their own: a "
                            "kernel forked into its sandbox failed (%s)", reason)
                self._fork_wanted = False
                await server.close()
                return
            self._fork_failures = 0
            self._fork_server = server
        finally:
            self._fork_task = None
            self._wake()
