"""The server's handle on a fork server process (:mod:`.forkserver`).

:class:`ForkServer` starts the fork server from a clean environment, asks it for
kernels over its stdin and stdout, and closes it (with every kernel it forked);
:class:`ForkedProcess` is one forked kernel as the kernel provisioner sees it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Callable
from typing import Any

from . import forkserver
from .forkserver import _PLACEHOLDER, MARKER_ENV, RUN_DIRS_ENV, forkable
from .rundirs import SERVER_DIR_PREFIXES, fork_server_dir


class ForkedProcess:
    """A forked kernel as the kernel provisioner sees it (the parts of Popen it uses)."""

    stdin = stdout = stderr = None

    def __init__(self, server: ForkServer, pid: int):
        self._server = server
        self.pid = pid
        self.returncode: int | None = None
        self._exited = asyncio.Event()

    def poll(self) -> int | None:
        return self.returncode

    def wait(self, timeout: float | None = None) -> int | None:
        # Called by the provisioner only once poll() has seen the exit.
        return self.returncode

    async def wait_async(self) -> int | None:
        await self._exited.wait()
        return self.returncode

    def send_signal(self, sig: int) -> None:
        if self.returncode is None:
            self._server.signal(self.pid, sig)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def _set_exit(self, code: int) -> None:
        if self.returncode is None:
            self.returncode = code
        self._exited.set()


class ForkServerError(RuntimeError):
    """The fork server could not start or is gone."""


class ForkServer:
    """The server's handle on one fork server process."""

    def __init__(
        self,
        env_for: Callable[[str], dict[str, str]] | None = None,
        on_exit: Callable[[], None] | None = None,
    ):
        self._env_for = env_for
        self._on_exit = on_exit
        self._proc: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task | None = None
        self._pending: dict[int, asyncio.Future] = {}
        self._children: dict[int, ForkedProcess] = {}
        self._early_exits: dict[int, int] = {}
        self._next_id = 0
        self._home: str | None = None
        self._ready: asyncio.Future | None = None
        self.pid: int | None = None
        # Called with this server once it is closed (and its directory removed).
        self.on_close: Callable[[ForkServer], None] | None = None

    @property
    def alive(self) -> bool:
        return (
            self._proc is not None
            and self._proc.returncode is None
            and self._ready is not None
            and self._ready.done()
            and not self._ready.cancelled()
            and self._ready.exception() is None
        )

    async def start(self, timeout: float = 60) -> None:
        """Start the fork server and wait until it has imported everything."""
        loop = asyncio.get_running_loop()
        # Not in a thread: a cancellation meanwhile would leave the directory behind.
        self._home = str(fork_server_dir())
        if self._env_for is not None:
            env = dict(self._env_for(self._home))
        else:
            env = {"PATH": os.environ.get("PATH", ""), "HOME": self._home, "TMPDIR": self._home}
        env[MARKER_ENV] = _PLACEHOLDER
        env[RUN_DIRS_ENV] = "\n".join(
            os.path.join(tempfile.gettempdir(), f"{start}{os.getpid()}-")
            for start in SERVER_DIR_PREFIXES
        )
        self._ready = loop.create_future()
        try:
            self._proc = await asyncio.create_subprocess_exec(
                # -c, not -m: the package imports this module, and runpy warns about that.
                sys.executable,
                "-c",
                f"from {forkserver.__name__} import serve; serve()",
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                env=env,
                cwd=self._home,
                start_new_session=True,
            )
            self._reader = loop.create_task(self._read())
            await asyncio.wait_for(asyncio.shield(self._ready), timeout)
        except BaseException as exc:
            await self.close()
            if isinstance(exc, asyncio.CancelledError):
                raise
            raise ForkServerError(f"the kernel fork server did not start: {exc}") from exc

    async def _read(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        try:
            while True:
                line = await self._proc.stdout.readline()
                if not line:
                    break
                try:
                    message = json.loads(line)
                except ValueError:
                    continue
                self._dispatch(message)
        finally:
            gone = ForkServerError("the kernel fork server exited")
            if self._ready is not None and not self._ready.done():
                self._ready.set_exception(gone)
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(gone)
            self._pending.clear()
            # Its children were killed as it left (or die with it): none is running.
            for child in list(self._children.values()):
                child._set_exit(-signal.SIGKILL)
            self._children.clear()
            if self._on_exit is not None:
                with contextlib.suppress(Exception):
                    self._on_exit()

    def _dispatch(self, message: dict[str, Any]) -> None:
        op = message.get("op")
        if op == "ready":
            self.pid = message.get("pid")
            if self._ready is not None and not self._ready.done():
                self._ready.set_result(True)
        elif op == "spawned":
            future = self._pending.pop(message.get("id", -1), None)
            if future is None or future.done():
                return
            if "error" in message:
                future.set_exception(ForkServerError(f"fork failed: {message['error']}"))
                return
            pid = int(message["pid"])
            child = ForkedProcess(self, pid)
            if pid in self._early_exits:
                child._set_exit(self._early_exits.pop(pid))
            else:
                self._children[pid] = child
            future.set_result(child)
        elif op == "exit":
            pid, code = int(message["pid"]), int(message["code"])
            exited = self._children.pop(pid, None)
            if exited is not None:
                exited._set_exit(code)
            else:
                self._early_exits[pid] = code

    def _send(self, message: dict[str, Any]) -> None:
        if self._proc is None or self._proc.stdin is None or self._proc.stdin.is_closing():
            raise ForkServerError("the kernel fork server is not running")
        self._proc.stdin.write((json.dumps(message) + "\n").encode())

    async def spawn(self, cmd: list[str], env: dict[str, str], cwd: str) -> ForkedProcess:
        """Fork one kernel running ``cmd`` (a :func:`forkable` launcher command)."""
        if not self.alive:
            raise ForkServerError("the kernel fork server is not running")
        if not forkable(cmd):
            raise ForkServerError("only plain launcher commands can be forked")
        self._next_id += 1
        request_id = self._next_id
        future = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        self._send({"op": "spawn", "id": request_id, "cmd": cmd, "env": env, "cwd": str(cwd)})
        return await future

    def signal(self, pid: int, sig: int) -> None:
        with contextlib.suppress(ForkServerError, RuntimeError):
            self._send({"op": "signal", "pid": pid, "sig": int(sig)})

    async def close(self) -> None:
        """Stop the fork server; every kernel it forked is killed."""
        proc, self._proc = self._proc, None
        if proc is not None:
            if proc.stdin is not None:
                with contextlib.suppress(Exception):
                    proc.stdin.close()
            try:
                await asyncio.wait_for(proc.wait(), 10)
            except (asyncio.TimeoutError, ProcessLookupError):
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                await proc.wait()
        if self._reader is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(self._reader, 10)
            self._reader = None
        if self._home is not None:
            await asyncio.to_thread(shutil.rmtree, self._home, True)
            self._home = None
        if self.on_close is not None:
            self.on_close(self)

    def kill_now(self) -> None:
        """Kill the fork server (and so everything it forked) and remove its directory,
        synchronously: for a process that exits without running its event loop again."""
        proc = self._proc
        if proc is not None and proc.returncode is None:
            with contextlib.suppress(ProcessLookupError, OSError):
                os.kill(proc.pid, signal.SIGKILL)
                os.waitpid(proc.pid, 0)
        if self._home is not None:
            shutil.rmtree(self._home, ignore_errors=True)
            self._home = None
