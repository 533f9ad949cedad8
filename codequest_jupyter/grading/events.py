"""Progress events of a grading run, delivered to the caller's listener in order.

The run emits events ("collected", "test") from wherever it learns of them, the
nbclient output hook and the watchdog included, without waiting; one task hands them
to the listener, one at a time, awaiting it when it is a coroutine. A listener's fault
is logged and never stops grading.

The stream is an async context: leaving it (however the grading ended) delivers what
is queued and ends the task, so no task outlives the grading waiting on its queue (one
left pending is destroyed with its event loop, and its queue's clean-up then runs on a
closed loop).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger("codequest_jupyter.grading.engine")

EventCallback = Callable[[str, dict[str, Any]], Any]


class EventStream:
    """Events of one grading run to ``listener`` (None: none are kept)."""

    def __init__(self, listener: EventCallback | None):
        self._listener = listener
        self._queue: asyncio.Queue[tuple[str, dict[str, Any]] | None] = asyncio.Queue()
        self._task: asyncio.Task | None = None

    async def __aenter__(self) -> EventStream:
        if self._listener is not None:
            self._task = asyncio.get_running_loop().create_task(self._deliver())
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.drain()

    def emit(self, kind: str, data: dict[str, Any]) -> None:
        if self._task is not None:
            self._queue.put_nowait((kind, data))

    async def drain(self) -> None:
        """Deliver what is queued, then end the delivery task."""
        task, self._task = self._task, None
        if task is None:
            return
        self._queue.put_nowait(None)
        with contextlib.suppress(Exception):
            await task

    async def _deliver(self) -> None:
        while True:
            item = await self._queue.get()
            if item is None:
                return
            kind, data = item
            try:
                outcome = self._listener(kind, data)  # type: ignore[misc]
                if inspect.isawaitable(outcome):
                    await outcome
            except Exception:
                log.exception("grading event listener failed")
