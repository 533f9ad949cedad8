"""A pool of pre-started, never-used grading kernels.

The pool only hides the start-up cost: a kernel in the pool has run nothing but the
harness's warm-up (imports and one throwaway pytest session on a fixed test). The fork
server its kernels are forked from (see :mod:`.forkserver`) is kept by a
:class:`~.forkkeeper.ForkServerKeeper`: started, checked once on this machine, and
restarted when it dies.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

from .forkclient import ForkServer
from .forkkeeper import ForkServerKeeper
from .kernel import GradingKernel, KernelStartError, start_kernel
from .policy import SandboxPolicy

log = logging.getLogger(__name__)

START_METHODS = ("auto", "fork", "exec")
REFILL_POLICIES = ("after_use", "eager")


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
            raise ValueError(
                f"pool refill must be one of {', '.join(REFILL_POLICIES)}, not {refill!r}"
            )
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
        self._forks = ForkServerKeeper(policy, start_method, startup_timeout, self._wake)
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
        return self._forks.server

    def idle_memory_mb(self) -> float:
        """What the idle kernels hold together, as last measured."""
        return sum(k.idle_mb or 0.0 for k in self._ready)

    async def wait_fork_server(self, timeout: float = 60) -> bool:
        """Wait until it is known whether kernels are forked and, if so, the fork server
        is up (needs ``start()``); True when kernels are forked."""
        deadline = time.monotonic() + timeout
        while self._forks.wanted is None or (self._forks.wanted and self.fork_server is None):
            if time.monotonic() > deadline or self._closed or self._refill_task is None:
                return False
            await asyncio.sleep(0.02)
        return bool(self._forks.wanted)

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
        if self.size or self._forks.wanted is not False:
            self._refill_task = asyncio.get_running_loop().create_task(self._refill_loop())

    async def close(self) -> None:
        """Stop refilling; kill idle kernels and the fork server (with what it forked)."""
        self._closed = True
        self._forks.closed = True
        if self._wakeup is not None:
            self._wakeup.set()
        tasks = [t for t in (self._refill_task, self._forks.task, *self._starting) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._refill_task = self._forks.task = None
        await self._forks.wait_probe()
        kernels = list(self._ready)
        self._ready.clear()
        await asyncio.gather(*(k.dispose() for k in kernels), return_exceptions=True)
        if self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)
        await self._forks.close_server()

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
            self.policy,
            startup_timeout=self.startup_timeout,
            warm=warm,
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
            await self._forks.ensure()
            now = time.monotonic()
            # While the fork server starts (it will take a second), starting kernels
            # the slow way would only slow it down.
            holding = self._forks.task is not None
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
            if self._forks.wanted and self.fork_server is None and self._forks.task is None:
                waits.append(self._forks.retry_at - now)
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
