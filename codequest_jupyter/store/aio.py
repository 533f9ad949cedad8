"""``AsyncSubmissionStore``: the store for event-loop code, every call in a worker thread.

Database calls block; run on the server's event loop they would stall every other
request. Each method here hands its call to a worker thread with
``anyio.to_thread.run_sync`` and awaits it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import anyio.to_thread

from .store import SubmissionStore

T = TypeVar("T")


class AsyncSubmissionStore:
    """The async twin of ``SubmissionStore``: same methods, same arguments, awaited.

    >>> astore = AsyncSubmissionStore(SubmissionStore("sqlite:////tmp/cq.sqlite"))
    >>> result = await astore.get_result(sid, user="alice")
    """

    def __init__(self, store: SubmissionStore) -> None:
        self.sync = store

    def __repr__(self) -> str:
        return f"AsyncSubmissionStore({self.sync!r})"

    async def _run(self, func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await anyio.to_thread.run_sync(functools.partial(func, *args, **kwargs))

    async def create_submission(
        self,
        result: dict[str, Any],
        code: dict[str, Any] | None = None,
        max_submits: int | None = None,
    ) -> str:
        return await self._run(self.sync.create_submission, result, code, max_submits)

    async def mark_running(self, sid: str) -> bool:
        return await self._run(self.sync.mark_running, sid)

    async def finish(self, sid: str, result: dict[str, Any]) -> bool:
        return await self._run(self.sync.finish, sid, result)

    async def mark_error(self, sid: str, kind: str, message: str) -> bool:
        return await self._run(self.sync.mark_error, sid, kind, message)

    async def get_result(self, sid: str, user: str | None = None) -> dict[str, Any] | None:
        return await self._run(self.sync.get_result, sid, user)

    async def get_code(self, sid: str, user: str | None = None) -> dict[str, Any] | None:
        return await self._run(self.sync.get_code, sid, user)

    async def list_submissions(
        self, user: str, challenge: str | None = None, limit: int = 20, offset: int = 0
    ) -> tuple[list[dict[str, Any]], int]:
        return await self._run(self.sync.list_submissions, user, challenge, limit, offset)

    async def list_all(
        self,
        challenge: str | None = None,
        user: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[dict[str, Any]], int]:
        return await self._run(self.sync.list_all, challenge, user, limit, offset)

    async def progress(self, user: str) -> dict[str, dict[str, Any]]:
        return await self._run(self.sync.progress, user)

    async def unfinished(self) -> list[dict[str, Any]]:
        return await self._run(self.sync.unfinished)

    async def count_submits(self, user: str, challenge: str | None = None) -> dict[str, int]:
        return await self._run(self.sync.count_submits, user, challenge)

    async def finished_submits(self, challenges: Any = None) -> list[dict[str, Any]]:
        return await self._run(self.sync.finished_submits, challenges)

    async def challenge_results(self, challenge: str, limit: int = 5000) -> list[dict[str, Any]]:
        return await self._run(self.sync.challenge_results, challenge, limit)

    async def regrade_selection(
        self, challenge: str, *, user: str | None = None, latest: bool = False
    ) -> list[dict[str, Any]]:
        return await self._run(self.sync.regrade_selection, challenge, user=user, latest=latest)

    async def replace_result(
        self, sid: str, result: dict[str, Any], regrade_id: str | None = None
    ) -> dict[str, Any]:
        return await self._run(self.sync.replace_result, sid, result, regrade_id)

    async def regraded(self, sid: str, regrade_id: str) -> bool:
        return await self._run(self.sync.regraded, sid, regrade_id)

    async def regrade_items(self, regrade_id: str, sids: Any) -> list[dict[str, Any]]:
        return await self._run(self.sync.regrade_items, regrade_id, list(sids))

    async def save_regrade(self, regrade: dict[str, Any]) -> None:
        await self._run(self.sync.save_regrade, regrade)

    async def get_regrade(self, regrade_id: str) -> dict[str, Any] | None:
        return await self._run(self.sync.get_regrade, regrade_id)

    async def running_regrades(self) -> list[dict[str, Any]]:
        return await self._run(self.sync.running_regrades)

    async def result_history(self, sid: str) -> list[dict[str, Any]]:
        return await self._run(self.sync.result_history, sid)

    async def close(self) -> None:
        await self._run(self.sync.close)
