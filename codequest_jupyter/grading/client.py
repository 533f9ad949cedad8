"""The nbclient client that runs a notebook on an already-started grading kernel.

nbclient's hooks are where the kernel's messages reach the run: every output message
(the result channel's go to the run's test runner, the rest count against the output
limit), each cell's execute reply, each cell's time limit. Its liveness poll notices a
kernel the watchdog killed within a tenth of a second.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import TYPE_CHECKING, Any

from .harness import CHANNEL_MIME
from .kernel import GradingKernel

if TYPE_CHECKING:
    from .run import GradingRun

_NBCLIENT_LOG = logging.getLogger("codequest_jupyter.grading.nbclient")


@functools.cache
def _client_class() -> type:
    """nbclient's notebook client, handing the result channel's messages to the run
    (defined once: a class built per grading cost traitlets' set-up each time)."""
    from nbclient import NotebookClient

    class Client(NotebookClient):
        codequest_run: GradingRun

        def output(self, outs, msg, display_id, cell_index):
            run = self.codequest_run
            content = msg.get("content", {})
            data = content.get("data") if isinstance(content, dict) else None
            if isinstance(data, dict) and CHANNEL_MIME in data:
                run.on_channel(data[CHANNEL_MIME])
                return None
            if not run.output.admit(content):
                return None
            return super().output(outs, msg, display_id, cell_index)

        async def _async_poll_kernel_alive(self) -> None:
            # nbclient looks every second; once the watchdog has killed the kernel, this
            # notices within 0.1 s (up to a second of the run's budget otherwise).
            from nbclient.exceptions import DeadKernelError

            run = self.codequest_run
            ticks = 0
            while True:
                await asyncio.sleep(0.1)
                ticks += 1
                if not run.attempt.killed_by_us and ticks % 10:
                    continue
                try:
                    await self._async_check_alive()
                except DeadKernelError:
                    assert self.task_poll_for_reply is not None
                    self.task_poll_for_reply.cancel()
                    return

    return Client


def create_client(nb: dict[str, Any], kernel: GradingKernel, run: GradingRun):
    """A client running ``nb`` on ``kernel``, reporting to ``run``."""
    import nbformat

    node = nbformat.from_dict(nb)
    client = _client_class()(
        node,
        km=kernel.km,
        allow_errors=True,
        interrupt_on_timeout=True,
        error_on_timeout={
            "ename": "CellTimeout",
            "evalue": "the cell ran past its time limit and was stopped",
            "traceback": [],
        },
        timeout_func=run.cell_timeout,
        record_timing=False,
        iopub_timeout=2,
        shutdown_kernel="immediate",
        # Not the server's logger: Jupyter's runs at DEBUG (its handlers filter), and
        # nbclient formats every message it receives into a debug line.
        log=_NBCLIENT_LOG,
    )
    client.kc = kernel.kc
    client.codequest_run = run
    client.on_cell_executed = run.on_cell_executed
    return client


class OutputMeter:
    """The notebook's output a run keeps, up to ``limit`` bytes over all its kernels
    (written by the output hook only)."""

    def __init__(self, limit: int):
        self.limit = limit
        self.bytes = 0
        self.truncated = False

    def admit(self, content: Any) -> bool:
        """Count an output message; False once the run is past its limit (dropped)."""
        self.bytes += content_size(content)
        if self.bytes > self.limit:
            self.truncated = True
            return False
        return True


def content_size(content: Any) -> int:
    """About how many characters an output message carries, without copying it (a
    cell that prints 100 MB sends messages this must not turn into strings again)."""
    if not isinstance(content, dict):
        return 0
    size = 0
    for key in ("text", "data", "traceback", "evalue"):
        value = content.get(key)
        if isinstance(value, str):
            size += len(value)
        elif isinstance(value, dict):
            size += sum(len(v) if isinstance(v, str) else 64 for v in value.values())
        elif isinstance(value, list):
            size += sum(len(v) if isinstance(v, str) else 64 for v in value)
    return size + 64
