"""Whether a kernel pool's kernels are forked, and the fork server they are forked from.

Decided once, on first need: "fork" and "auto" fork when the sandbox's kernel command
is the launcher (:func:`.forkserver.forkable`), "exec" never does. The keeper starts the
fork server in the background, checks once that a kernel forked into its sandbox works
on this machine (else kernels are exec'd for good), and restarts a fork server that
died, backing off while starts fail; meanwhile kernels are started with exec.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import time
from collections.abc import Callable
from pathlib import Path

from .bwrap import split_command
from .forkclient import ForkServer, ForkServerError
from .forkserver import forkable
from .launchspec import kernel_env
from .policy import SandboxPolicy, SandboxUnavailable
from .rundirs import probe_dir, track_fork_server
from .sandbox import launch_spec, probe_outcome, probe_spec

log = logging.getLogger(__name__)


class ForkServerKeeper:
    """One pool's fork server: started, checked and restarted in the background.

    ``on_change`` is called whenever the fork server comes or goes (the pool's refill
    loop wakes up to it).
    """

    def __init__(
        self,
        policy: SandboxPolicy,
        start_method: str,
        startup_timeout: float,
        on_change: Callable[[], None],
    ):
        self.policy = policy
        self.start_method = start_method
        self.startup_timeout = startup_timeout
        self._on_change = on_change
        # Decided on first need (it asks the sandbox for a kernel command): None = not yet.
        self.wanted: bool | None = False if start_method == "exec" else None
        # The fork server last started (alive or not; ``server`` is the live one).
        self.latest: ForkServer | None = None
        # Starting (and checking) a fork server; kernels are not started meanwhile.
        self.task: asyncio.Task | None = None
        self.retry_at = 0.0
        self.closed = False
        self._failures = 0
        self._probe: asyncio.Future | None = None

    @property
    def server(self) -> ForkServer | None:
        """The running fork server, if kernels are being forked."""
        server = self.latest
        return server if server is not None and server.alive else None

    async def wait_probe(self) -> None:
        """Wait for the command probe's thread: it cannot be cancelled, and removes
        what it made once it is done."""
        if self._probe is not None:
            with contextlib.suppress(Exception):
                await self._probe

    async def close_server(self) -> None:
        """Close the fork server (and so every kernel it forked)."""
        server, self.latest = self.latest, None
        if server is not None:
            await server.close()

    # -- starting one ------------------------------------------------------------------
    async def ensure(self) -> None:
        """Start (or restart) the fork server in the background when kernels are forked."""
        if self.wanted is None:
            if self._probe is None:
                self._probe = asyncio.ensure_future(asyncio.to_thread(self._command_forkable))
            self.wanted = await asyncio.shield(self._probe)
            if not self.wanted:
                (log.warning if self.start_method == "fork" else log.info)(
                    "grading kernels are started as processes of their own: the sandbox's "
                    "kernel command cannot be forked"
                )
        if not self.wanted or self.closed:
            return
        if self.task is not None or (self.latest is not None and self.latest.alive):
            return
        if time.monotonic() < self.retry_at:
            return
        self.task = asyncio.get_running_loop().create_task(self._run())

    def _command_forkable(self) -> bool:
        run_dir = probe_dir()
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
        run_dir = probe_dir()
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

    async def _run(self) -> None:
        old, self.latest = self.latest, None
        try:
            if old is not None:
                await old.close()
            server = ForkServer(
                env_for=lambda home: kernel_env(self.policy, Path(home)), on_exit=self._on_change
            )
            track_fork_server(server)
            try:
                await server.start(timeout=self.startup_timeout)
            except ForkServerError as exc:
                self._failures += 1
                self.retry_at = time.monotonic() + min(60.0, 2.0 * 2**self._failures)
                log.warning("grading kernels are started with exec for now: %s", exc)
                return
            if self.closed:
                await server.close()
                return
            try:
                reason = await self._check_sandboxed_fork(server)
            except BaseException:
                await server.close()  # cancelled: the pool is closing
                raise
            if reason is not None:
                # Not a passing failure: this platform cannot enter its sandboxes.
                log.warning(
                    "grading kernels are started as processes of their own: a "
                    "kernel forked into its sandbox failed (%s)",
                    reason,
                )
                self.wanted = False
                await server.close()
                return
            self._failures = 0
            self.latest = server
        finally:
            self.task = None
            self._on_change()
