"""Grading events from the workers to the service: PostgreSQL LISTEN/NOTIFY.

A worker publishes each event of a grading (``status``, ``collected``, ``test``,
``result``) with ``pg_notify`` on the channel ``codequest_events``; every service
listening on the database receives it and hands it to the followers of that
submission, whichever worker graded it. A notification carries at most 8000 bytes:
an event that does not fit is sent as numbered parts in one transaction (PostgreSQL
delivers a transaction's notifications together and in order) and put back together
by the listener. Nothing is truncated.

Notifications are not stored: a listener that was disconnected (a PostgreSQL restart)
misses what was sent meanwhile, and the service falls back to the stored result.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import uuid
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

CHANNEL = "codequest_events"
#: PostgreSQL refuses a payload of 8000 bytes or more; leave room for the envelope.
MAX_PAYLOAD = 7800
_PART_BYTES = 5600  # base64 grows it by 4/3, to at most 7468 bytes

EventHandler = Callable[[str, str, dict[str, Any]], None]


def encode(sid: str, kind: str, data: dict[str, Any]) -> list[str]:
    """The notification payloads for one event: one, or numbered parts."""
    whole = json.dumps({"s": sid, "k": kind, "d": data}, separators=(",", ":"))
    if len(whole.encode()) <= MAX_PAYLOAD:
        return [whole]
    raw = whole.encode()
    key = uuid.uuid4().hex[:12]
    count = -(-len(raw) // _PART_BYTES)
    return [
        json.dumps(
            {
                "p": key,
                "i": i,
                "n": count,
                "c": base64.b64encode(raw[i * _PART_BYTES : (i + 1) * _PART_BYTES]).decode(),
            },
            separators=(",", ":"),
        )
        for i in range(count)
    ]


class Decoder:
    """Turns payloads back into ``(sid, kind, data)`` events, joining parts."""

    def __init__(self) -> None:
        self._parts: dict[str, list[bytes | None]] = {}

    def feed(self, payload: str) -> tuple[str, str, dict[str, Any]] | None:
        message = json.loads(payload)
        if "p" in message:
            key, index, count = str(message["p"]), int(message["i"]), int(message["n"])
            parts = self._parts.setdefault(key, [None] * count)
            parts[index] = base64.b64decode(message["c"])
            if any(part is None for part in parts):
                if len(self._parts) > 1000:  # parts of events never completed
                    self._parts.pop(next(iter(self._parts)))
                return None
            del self._parts[key]
            message = json.loads(b"".join(parts))  # type: ignore[arg-type]
        return str(message["s"]), str(message["k"]), dict(message["d"])


class EventPublisher:
    """Sends a worker's grading events, in order, on a connection of its own."""

    def __init__(self, conninfo: str) -> None:
        self.conninfo = conninfo
        self._conn: Any = None
        self._lock = asyncio.Lock()

    async def publish(self, sid: str, kind: str, data: dict[str, Any]) -> bool:
        """Send one event; False (logged) when the database cannot be reached.

        A lost event costs a follower only the live row: the result is in the store.
        """
        payloads = encode(sid, kind, data)
        async with self._lock:
            for attempt in (1, 2):
                try:
                    conn = await self._connection()
                    async with conn.transaction():
                        for payload in payloads:
                            await conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, payload))
                    return True
                except Exception as exc:  # noqa: BLE001 - psycopg's errors vary
                    await self._drop()
                    if attempt == 2:
                        log.warning("grading event of %s not sent: %s", sid, exc)
        return False

    async def _connection(self) -> Any:
        import psycopg

        if self._conn is None or self._conn.closed:
            self._conn = await psycopg.AsyncConnection.connect(self.conninfo, autocommit=True)
        return self._conn

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                await conn.close()
            except Exception:  # noqa: BLE001
                pass

    async def close(self) -> None:
        async with self._lock:
            await self._drop()


class EventListener:
    """Receives every worker's events and passes them to ``handler(sid, kind, data)``.

    Reconnects after losing the database; ``on_connect`` is awaited after each
    (re)connection, once LISTEN is in place, so the caller can catch up from the
    store on what was missed.
    """

    def __init__(
        self,
        conninfo: str,
        handler: EventHandler,
        on_connect: Callable[[], Any] | None = None,
        retry_s: float = 1.0,
    ) -> None:
        self.conninfo = conninfo
        self.handler = handler
        self.on_connect = on_connect
        self.retry_s = retry_s
        self.connected = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.ensure_future(self._run())

    async def wait_connected(self, timeout: float) -> bool:
        try:
            await asyncio.wait_for(self.connected.wait(), timeout)
        except asyncio.TimeoutError:
            return False
        return True

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _run(self) -> None:
        import psycopg

        delay = self.retry_s
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                    self.conninfo, autocommit=True
                ) as conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    self.connected.set()
                    delay = self.retry_s
                    if self.on_connect is not None:
                        await self.on_connect()
                    decoder = Decoder()
                    async for note in conn.notifies():
                        try:
                            event = decoder.feed(note.payload)
                        except (ValueError, KeyError, TypeError):
                            log.warning("ignoring a malformed grading event notification")
                            continue
                        if event is not None:
                            self.handler(*event)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - connection lost, refused...
                self.connected.clear()
                log.warning(
                    "grading events: lost the database (%s); reconnecting in %.0f s",
                    str(exc).splitlines()[0] if str(exc) else type(exc).__name__,
                    delay,
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
