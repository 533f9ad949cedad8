"""One grading kernel's life: started (exec'd, or forked from a fork server), made
ready, and disposed of with its run directory.

Every kernel serves exactly one submission and is then killed with its run directory.
Kernels are started either as processes of their own (``exec``) or forked from a fork
server that has imported ipykernel and pytest once (``fork``, see :mod:`.forkserver`;
what each costs: benchmarks/README.md). Forking needs a kernel command of the
launcher form, bare or in a bubblewrap sandbox (which the forked kernel then enters, see
:mod:`.nsenter`).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import os
import signal
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from queue import Empty
from typing import Any

import zmq.asyncio
from jupyter_client import AsyncKernelClient, AsyncKernelManager
from jupyter_client.kernelspec import KernelSpec
from jupyter_client.provisioning import LocalProvisioner

from .bwrap import split_command
from .forkclient import ForkedProcess, ForkServer, ForkServerError
from .forkserver import forkable
from .launchspec import LaunchSpec, with_lifeline
from .policy import SandboxPolicy
from .procfs import process_mb, process_tree
from .rundirs import new_run_dir, remove_run_dir, track_spec
from .sandbox import launch_spec

log = logging.getLogger(__name__)

WARM_UP_CODE = (
    "from codequest_jupyter.grading.harness import warm_up as _cq_warm_up\n"
    "_cq_warm_up()\n"
    "del _cq_warm_up\n"
    "import sys as _cq_sys\n"
    # The harness package and its modules (the comprehension leaves no name behind).
    "[_cq_sys.modules.pop(_n) for _n in list(_cq_sys.modules)"
    " if _n.startswith('codequest_jupyter.grading.harness')]\n"
    "del _cq_sys\n"
)


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
    assert kc is not None, "the kernel's client is started first"
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
        exec_kwargs = kwargs
        if split_command(cmd) is not None:
            # Exec'd into bwrap, the kernel dies with this process through its lifeline
            # (see ``lifeline``), not a parent-death signal on bwrap: a bwrap killed
            # while it builds the sandbox leaves the sandbox's init waiting for it
            # forever. Forked, its keeper does that job.
            exec_kwargs = with_lifeline(kwargs)
        if server is None or not server.alive or not forkable(cmd):
            return await super().launch_kernel(cmd, **exec_kwargs)
        cwd = str(kwargs.get("cwd") or os.getcwd())
        try:
            process = await server.spawn(cmd, dict(kwargs.get("env") or {}), cwd)
        except ForkServerError as exc:
            # The fork server went away meanwhile: this kernel starts the slow way.
            log.warning("grading kernel started with exec: %s", exc)
            return await super().launch_kernel(cmd, **exec_kwargs)
        # Stands in for the Popen that LocalProvisioner keeps (the methods it calls).
        self.process = process  # type: ignore[assignment]
        # The child made itself a session (and process group) leader.
        self.pid = self.pgid = process.pid
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
        self,
        km: AsyncKernelManager,
        run_dir: Path,
        workdir: Path,
        sandbox: LaunchSpec | None = None,
    ):
        self.km = km
        self.kc: AsyncKernelClient | None = None
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
        sizes = [mb for mb in map(process_mb, process_tree(pid)) if mb is not None]
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
    track_spec(run_dir, spec)
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
