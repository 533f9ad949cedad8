"""One grading's progress events, fanned out to any number of followers.

A grading publishes ``collected``, one ``test`` per test and a final ``result`` on an
:class:`EventChannel`; every follower (a server-sent-event stream, a ``?wait=true``
request) replays what was published so far, then waits for more. A finished
grading's events are rebuilt from its stored result (:func:`replay_events`).
No tornado imports.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

Event = tuple[str, dict[str, Any]]


class EventChannel:
    """The events of one grading, kept in order for any number of followers.

    Followers replay everything published so far, then wait for more; nothing is
    dropped and a slow follower never slows the grading down.
    """

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.closed = False
        self.final: dict[str, Any] | None = None
        self._wakeup = asyncio.Event()

    def publish(self, kind: str, data: dict[str, Any]) -> None:
        if self.closed:
            return
        self.events.append((kind, data))
        if kind == "result":
            self.final = data
        self._wake()

    def close(self) -> None:
        self.closed = True
        self._wake()

    def _wake(self) -> None:
        # Swap in a fresh Event so followers waiting on the old one all wake once.
        wakeup, self._wakeup = self._wakeup, asyncio.Event()
        wakeup.set()

    def partial_tests(self) -> list[dict[str, Any]]:
        return [data for kind, data in self.events if kind == "test"]

    async def follow(self, keepalive_s: float) -> AsyncIterator[Event]:
        """Every event from the first; ``("ping", {})`` after ``keepalive_s`` of quiet."""
        index = 0
        while True:
            while index < len(self.events):
                yield self.events[index]
                index += 1
            if self.closed:
                return
            wakeup = self._wakeup
            try:
                await asyncio.wait_for(wakeup.wait(), keepalive_s)
            except asyncio.TimeoutError:
                yield ("ping", {})

    async def wait_closed(self) -> dict[str, Any] | None:
        while not self.closed:
            await self._wakeup.wait()
        return self.final


def replay_events(result: dict[str, Any]) -> list[Event]:
    """The events of a finished grading, rebuilt from its stored result."""
    tests = result.get("tests") or []
    collected = {
        "total": len(tests),
        "tests": [
            {"id": t["id"], "name": t["name"], "hidden": t["hidden"], "max_points": t["max_points"]}
            for t in tests
        ],
    }
    return [("collected", collected), *(("test", t) for t in tests), ("result", result)]
