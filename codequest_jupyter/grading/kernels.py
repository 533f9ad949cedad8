"""Fresh grading kernels, and a pool of pre-started, never-used ones.

Every kernel serves exactly one submission and is then killed with its run directory.
The pool only hides the start-up cost: a kernel in the pool has run nothing but the
harness's imports.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import shutil
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from jupyter_client import AsyncKernelManager
from jupyter_client.kernelspec import KernelSpec

from .sandbox import LaunchSpec, SandboxPolicy, launch_spec

log = logging.getLogger(__name__)

WARM_UP_CODE = (
    "from codequest_jupyter.grading.harness import warm_up as _cq_warm_up\n"
    "_cq_warm_up()\n"
    "del _cq_warm_up\n"
    "import sys as _cq_sys\n"
    "_cq_sys.modules.pop('codequest_jupyter.grading.harness', None)\n"
    "del _cq_sys\n"
)


class KernelStartError(RuntimeError):
    """A grading kernel could not be started."""


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
        """Kill the kernel and remove everything it left on disk."""
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
        await asyncio.to_thread(shutil.rmtree, self.run_dir, True)


async def start_kernel(
    policy: SandboxPolicy, *, startup_timeout: float = 60, warm: bool = True
) -> GradingKernel:
    """Start one confined kernel in a new run directory and wait until it is ready."""
    run_dir = Path(await asyncio.to_thread(tempfile.mkdtemp, prefix="codequest-run-"))
    workdir = run_dir / "work"
    workdir.mkdir()
    try:
        # Blocking: the first call probes the platform, a root server chowns the run dir.
        spec = await asyncio.to_thread(launch_spec, policy, run_dir, workdir)
    except BaseException as exc:
        await asyncio.to_thread(shutil.rmtree, run_dir, True)
        if isinstance(exc, asyncio.CancelledError):
            raise
        raise KernelStartError(f"could not start a grading kernel: {exc}") from exc
    km = _GradingKernelManager(spec)
    km.transport = spec.transport
    if spec.transport == "ipc":
        km.ip = str(run_dir / "kernel")
    km.connection_file = str(run_dir / "connection.json")
    kernel = GradingKernel(km, run_dir, workdir, spec)
    try:
        await km.start_kernel(env=spec.env, cwd=str(spec.cwd))
        kc = km.client()
        kc.start_channels()
        kernel.kc = kc
        await kc.wait_for_ready(timeout=startup_timeout)
        if warm:
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


class KernelPool:
    """Pre-started, never-used kernels, refilled in the background.

    ``acquire()`` hands out a pooled kernel when one is ready and otherwise starts one
    (a cold start), so an empty or failing pool costs time, never a grading.
    """

    def __init__(
        self,
        policy: SandboxPolicy,
        size: int = 0,
        *,
        max_age_s: float = 3600,
        startup_timeout: float = 60,
        starter: Callable[..., Awaitable[GradingKernel]] = start_kernel,
    ):
        self.policy = policy
        self.size = max(0, int(size))
        self.max_age_s = max_age_s
        self.startup_timeout = startup_timeout
        self._starter = starter
        self._ready: asyncio.Queue[GradingKernel] = asyncio.Queue()
        self._wakeup = asyncio.Event()
        self._refill_task: asyncio.Task | None = None
        self._closed = False
        self._starting = 0
        self.stats = {"pooled": 0, "cold": 0, "start_failures": 0}

    @property
    def ready_count(self) -> int:
        return self._ready.qsize()

    def start(self) -> None:
        """Start refilling (needs a running event loop)."""
        if self.size and self._refill_task is None and not self._closed:
            self._refill_task = asyncio.get_running_loop().create_task(self._refill_loop())

    async def _refill_loop(self) -> None:
        failures = 0
        while not self._closed:
            self._drop_stale()
            if self._ready.qsize() + self._starting < self.size:
                self._starting += 1
                try:
                    kernel = await self._starter(self.policy, startup_timeout=self.startup_timeout)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # noqa: BLE001 - keep grading with cold starts
                    failures += 1
                    self.stats["start_failures"] += 1
                    log.warning("grading kernel pool: start failed (%s)", exc)
                    await asyncio.sleep(min(30.0, 0.5 * 2**failures))
                    continue
                finally:
                    self._starting -= 1
                failures = 0
                if self._closed:
                    await kernel.dispose()
                    return
                kernel.pooled = True
                self._ready.put_nowait(kernel)
                continue
            self._wakeup.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), timeout=max(1.0, self.max_age_s / 4))

    def _drop_stale(self) -> None:
        now = time.monotonic()
        keep: list[GradingKernel] = []
        while not self._ready.empty():
            kernel = self._ready.get_nowait()
            if now - kernel.started_at > self.max_age_s:
                asyncio.get_running_loop().create_task(kernel.dispose())
            else:
                keep.append(kernel)
        for kernel in keep:
            self._ready.put_nowait(kernel)

    async def acquire(self) -> GradingKernel:
        """A fresh kernel for one run: pooled if one is ready and alive, else cold."""
        while not self._ready.empty():
            kernel = self._ready.get_nowait()
            self._wakeup.set()
            if await kernel.is_alive():
                self.stats["pooled"] += 1
                return kernel
            await kernel.dispose()
        self._wakeup.set()
        self.stats["cold"] += 1
        return await self._starter(self.policy, startup_timeout=self.startup_timeout)

    async def close(self) -> None:
        self._closed = True
        self._wakeup.set()
        if self._refill_task is not None:
            self._refill_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._refill_task
            self._refill_task = None
        kernels = []
        while not self._ready.empty():
            kernels.append(self._ready.get_nowait())
        await asyncio.gather(*(k.dispose() for k in kernels), return_exceptions=True)
