"""Submissions: accept, queue, grade in the background, fan results out, recover.

``POST .../submissions`` stores the submission as ``queued`` (with its code snapshot)
and returns at once; a bounded pool of asyncio tasks grades it (``running``, then the
final state). Every grading publishes its progress on an in-memory channel
(:mod:`.channel`) that any number of followers (server-sent-event streams,
``?wait=true`` requests) read without ever missing an event. After a crash,
:meth:`SubmissionService.start` re-grades every submission left ``queued`` or
``running`` from its stored snapshot.

No tornado imports: the REST handlers are a thin layer over this module. It runs past
~400 lines because accepting, grading and reading a submission share one state (the
store, the live channels, the pool of grading tasks) that the hub's queued service
(``worker/queued.py``) specialises as one class.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from traitlets import Float, Instance, Integer, Unicode
from traitlets import Set as SetTrait
from traitlets.config import LoggingConfigurable

from .challenges import Challenge, ChallengeCatalog
from .channel import Event, EventChannel, replay_events
from .deadlines import apply_late
from .errors import ChallengeNotFound, InvalidRequest, NotFound, ServiceUnavailable
from .grading import SubmissionInvalid, parse_notebook
from .grading.sandbox import SandboxUnavailable
from .instructors import InstructorActions
from .paths import check_learner_file, check_notebook_path, check_relpath
from .ratelimit import SlidingWindowLimiter
from .results import (
    FINAL_STATUSES,
    GradeResult,
    error_result,
    learner_result,
    learner_test,
    new_submission_id,
    utc_now_iso,
)
from .store import AsyncSubmissionStore
from .store.values import parse_time
from .validation import operation
from .workspace import WorkspaceManager

SANDBOX_UNAVAILABLE = (
    "Grading is unavailable: the server cannot start its grading sandbox (an "
    "administrator must fix it; the server's log says why). Nothing was submitted and "
    "your work is saved; try again later."
)


@runtime_checkable
class GraderLike(Protocol):
    """What the service needs of a grader: :class:`codequest_jupyter.grading.Grader`,
    or any engine with the same three methods (``start``/``close`` may be plain)."""

    def start(self) -> Any: ...

    def close(self) -> Any: ...

    async def grade(self, challenge: Challenge, *args: Any, **kwargs: Any) -> Any: ...


# -- request validation ---------------------------------------------------------


@dataclass(frozen=True)
class SubmissionRequest:
    """A checked ``POST challenges/{id}/submissions`` body."""

    mode: str
    notebook: dict[str, Any] | None
    files: dict[str, str] | None
    path: str | None

    @classmethod
    def from_json(cls, body: Any, challenge: Challenge) -> SubmissionRequest:
        """Check ``body`` against the ``SubmissionRequest`` schema of the OpenAPI
        document (types, the mode, the number of files), then what a schema cannot
        say: safe, unreserved paths and the notebook's structure. Raise
        :class:`InvalidRequest` naming the bad field.
        """
        body = operation("submit").check_body(body)
        notebook = body.get("notebook")
        if notebook is not None:
            notebook = check_notebook(notebook)
        files = body.get("files")
        if files is not None:
            files = {check_learner_file(k, challenge.notebook): v for k, v in files.items()}
        path = body.get("path")
        if path is not None:
            path = check_notebook_path(path)
        return cls(mode=body.get("mode", "submit"), notebook=notebook, files=files, path=path)


def check_notebook(notebook: Any) -> dict[str, Any]:
    """The structural check grading relies on (nbformat 4, cells with sources)."""
    try:
        return parse_notebook(notebook)
    except SubmissionInvalid as exc:
        raise SubmissionInvalid(f"notebook: {exc}") from None


# -- the service ----------------------------------------------------------------


class SubmissionService(InstructorActions, LoggingConfigurable):
    """Queue, grade and serve submissions; see the module docstring."""

    catalog = Instance(ChallengeCatalog, help="The challenges graded against.")
    grader = Instance(
        GraderLike,  # a runtime-checkable protocol
        help="The grading engine (a codequest_jupyter.grading.Grader).",
    )
    store = Instance(AsyncSubmissionStore, help="Where submissions and results are kept.")
    workspace = Instance(
        WorkspaceManager,
        allow_none=True,
        help="Reads notebooks from the learner's contents and restores snapshots into "
        "them (None: only submissions that carry their notebook are accepted).",
    )

    concurrency = Integer(2, help="Gradings run at the same time.")
    submissions_per_minute = Integer(30, help="Submissions per user per minute; 0 = no limit.")
    keepalive_s = Float(15.0, help="Seconds of quiet before an event stream gets a keep-alive.")
    poll_s = Float(1.0, help="How often a stream polls the store for a grading owned elsewhere.")
    store_retry_s = Float(
        120.0,
        help="How long a grading keeps retrying to record its state when the database is "
        "busy or locked, before it leaves the submission to the next start's recovery.",
    )
    drain_timeout_s = Float(
        5.0, help="On stop, how long running gradings may finish before they are cancelled."
    )
    recover_users = SetTrait(
        Unicode(),
        help="Recover only these users' unfinished submissions on start (empty = everyone's).",
    )

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.limiter = SlidingWindowLimiter(self.submissions_per_minute, 60.0)
        self._channels: dict[str, EventChannel] = {}
        self._waiting: set[asyncio.Task[None]] = set()
        self._running: set[asyncio.Task[None]] = set()
        self._slots: asyncio.Semaphore | None = None
        self._start_task: asyncio.Task[None] | None = None
        self._stopping = False

    # -- lifecycle --------------------------------------------------------------

    async def start(self) -> None:
        """Start the grader and recover unfinished submissions; safe to call often."""
        if self._stopping:
            raise ServiceUnavailable("The server is shutting down")
        task = self._start_task
        if task is None or (task.done() and (task.cancelled() or task.exception())):
            # First call, or the last start failed (e.g. the database was down): try again.
            task = self._start_task = asyncio.ensure_future(self._start())
        await asyncio.shield(task)

    async def _start(self) -> None:
        if self._slots is None:
            self._slots = asyncio.Semaphore(max(1, self.concurrency))
            started = self.grader.start()
            if inspect.isawaitable(started):
                await started
        await self.recover()

    async def recover(self) -> int:
        """Re-queue or fail every submission a previous run left unfinished."""
        count = 0
        for row in await self.store.unfinished():
            sid, cid = row["id"], row["challenge"]
            if sid in self._channels:
                continue  # ours, already in flight
            if self.recover_users and row["user"] not in self.recover_users:
                continue
            count += 1
            if cid not in self.catalog:
                await self.store.mark_error(
                    sid,
                    "internal",
                    f"The server restarted before this submission was graded, and the "
                    f"challenge '{cid}' is no longer available, so it could not be graded.",
                )
                self.log.warning(
                    "CodeQuest: submission %s of missing challenge %s failed", sid, cid
                )
                continue
            self.log.info(
                "CodeQuest: re-grading submission %s (%s) after a restart", sid, row["status"]
            )
            self._enqueue(sid)
        return count

    async def stop(self) -> None:
        """Stop taking work, let running gradings finish briefly, then close the grader.

        Submissions still queued stay ``queued`` in the store and are graded on the
        next start; a grading cut short stays ``running`` and is graded again.
        """
        self._stopping = True
        await self.regrades.stop()
        for task in list(self._waiting):
            task.cancel()
        if self._running:
            _done, pending = await asyncio.wait(set(self._running), timeout=self.drain_timeout_s)
            for task in pending:
                task.cancel()
        tasks = self._waiting | self._running
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        for channel in self._channels.values():
            channel.close()
        self._channels.clear()
        closed = self.grader.close()
        if inspect.isawaitable(closed):
            await closed

    @property
    def active(self) -> dict[str, int]:
        """Gradings waiting for a slot and gradings running now."""
        return {"queued": len(self._waiting), "running": len(self._running)}

    # -- submitting -------------------------------------------------------------

    async def submit(self, user: str, challenge_id: str, body: Any) -> dict[str, Any]:
        """Check, store as ``queued`` and schedule a submission; returns its result JSON."""
        await self.start()
        challenge = self.catalog.get(challenge_id)
        request = SubmissionRequest.from_json(body, challenge)
        schedule = challenge.schedule
        submitted_at = utc_now_iso()
        at = parse_time(submitted_at, "submitted_at")
        schedule.admit(at, request.mode)
        await self._check_sandbox()
        self.limiter.hit(user)
        notebook, files = request.notebook, request.files
        if notebook is None:
            notebook, disk_files = await self._workspace().read_submission(challenge, request.path)
            files = disk_files if files is None else files
        sid = new_submission_id()
        result = GradeResult(
            id=sid,
            challenge=challenge.id,
            challenge_version=challenge.version,
            user=user,
            mode=request.mode,  # type: ignore[arg-type]
            submitted_at=submitted_at,
        ).to_json()
        if request.mode == "submit":
            # Lateness is decided when the work is handed in, not when it is graded.
            result = apply_late(result, schedule.is_late(at), schedule.penalty_at(at))
        # The channel exists before the row, so a follower never sees a stored
        # submission that nobody will publish events for.
        channel = self._channels[sid] = EventChannel()
        try:
            await self.store.create_submission(
                result,
                code={"notebook": notebook, "files": files or {}},
                max_submits=schedule.max_submissions,
            )
        except BaseException:
            self._channels.pop(sid, None)
            raise
        channel.publish("status", {"status": "queued"})
        self._enqueue(sid, channel)
        return result

    async def _check_sandbox(self) -> None:
        """503 before anything is stored when grading kernels cannot be confined."""
        check = getattr(self.grader, "check_sandbox", None)
        if check is None:
            return  # a grader of another kind confines its own
        try:
            await check()
        except SandboxUnavailable as exc:
            self.log.error("CodeQuest: a submission was refused: %s", exc)
            raise ServiceUnavailable(SANDBOX_UNAVAILABLE) from None

    def _enqueue(self, sid: str, channel: EventChannel | None = None) -> None:
        if self._stopping:
            return
        if channel is None:
            channel = self._channels.setdefault(sid, EventChannel())
        task = asyncio.ensure_future(self._grade(sid, channel))
        self._waiting.add(task)
        task.add_done_callback(self._forget)

    def _forget(self, task: asyncio.Task[None]) -> None:
        self._waiting.discard(task)
        self._running.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self.log.error("CodeQuest: grading task failed", exc_info=task.exception())

    async def _grade(self, sid: str, channel: EventChannel) -> None:
        assert self._slots is not None
        task = asyncio.current_task()
        try:
            async with self._slots:
                if self._stopping:
                    return
                self._waiting.discard(task)
                self._running.add(task)  # type: ignore[arg-type]
                await self.grade_submission(sid, channel)
        finally:
            # Followers of a channel closed without a result fall back to the store.
            channel.close()
            if self._channels.get(sid) is channel:
                del self._channels[sid]

    async def grade_submission(self, sid: str, channel: EventChannel) -> dict[str, Any] | None:
        """Grade one stored submission, record its final result and publish it.

        The store keeps the first final result of a submission: when another grader
        (a grading worker, another server) finished it first, that stored result is
        the one published, and this grading's is dropped. A submission found final
        already is not graded again. Returns the final result published, or None when
        the submission is not in the store.
        """
        stored = await self.store.get_result(sid)
        if stored is None:
            self.log.error("CodeQuest: submission %s vanished from the store", sid)
            return None
        if stored["status"] in FINAL_STATUSES:
            channel.publish("result", stored)
            return stored
        final = await self._grade_stored(sid, stored, channel)
        if "late" in stored:
            final = apply_late(final, stored["late"], stored.get("penalty") or 0.0)
        try:
            if not await self._record(self.store.finish, sid, final):
                latest = await self.store.get_result(sid)
                if latest is not None and latest["status"] in FINAL_STATUSES:
                    self.log.info("CodeQuest: %s was finished elsewhere first", sid)
                    final = latest
        except Exception:
            # Left running in the store: the next start (or worker) grades it again.
            self.log.exception("CodeQuest: could not store the result of %s", sid)
        channel.publish("result", final)
        return final

    async def _record(self, write: Any, *args: Any) -> Any:
        """A store write, retried with back-off while the database is busy or locked."""
        deadline = time.monotonic() + self.store_retry_s
        delay = 0.25
        while True:
            try:
                return await write(*args)
            except Exception as exc:
                if time.monotonic() + delay > deadline:
                    raise
                self.log.warning(
                    "CodeQuest: the database refused a write (%s); retrying in %.1f s",
                    str(exc).splitlines()[0],
                    delay,
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def _grade_stored(
        self, sid: str, stored: dict[str, Any], channel: EventChannel
    ) -> dict[str, Any]:
        """Grade a stored submission; learner faults and our own become error results."""
        try:
            challenge = self.catalog.get(stored["challenge"])
        except ChallengeNotFound:
            return error_result(
                stored, "internal", f"The challenge '{stored['challenge']}' is no longer available."
            )
        code = await self.store.get_code(sid)
        if code is None:
            return error_result(stored, "internal", "The code of this submission was not stored.")
        await self._record(self.store.mark_running, sid)
        channel.publish("status", {"status": "running"})
        started = time.monotonic()
        try:
            result = await self.grader.grade(
                challenge,
                notebook=code.get("notebook"),
                files=code.get("files") or None,
                mode=stored["mode"],
                user=stored["user"],
                submission_id=sid,
                submitted_at=stored["submitted_at"],
                on_event=channel.publish,
            )
        except asyncio.CancelledError:
            raise
        except SubmissionInvalid as exc:
            # Checked when it was submitted; only a snapshot stored by an older
            # version (or edited in the database) can get here.
            return error_result(stored, "notebook", str(exc))
        except Exception:
            self.log.exception("CodeQuest: grading %s failed", sid)
            return error_result(
                stored, "internal", "Grading failed because of a problem on the server."
            )
        self.log.info(
            "CodeQuest: graded %s (%s, %s) in %.2f s: %s",
            sid,
            stored["challenge"],
            stored["user"],
            time.monotonic() - started,
            result.status,
        )
        return result.to_json()

    async def wait(self, user: str, sid: str, *, any_user: bool = False) -> dict[str, Any]:
        """The final result of a submission, waiting for its grading if needed."""
        result = await self.result(user, sid, any_user=any_user)
        channel = self._channels.get(sid)
        if channel is not None:
            final = await channel.wait_closed()
            if final is None:
                raise ServiceUnavailable(
                    "The server is shutting down; the submission is graded when it restarts"
                )
            return final if any_user else self._learner_view(final)
        while result["status"] not in FINAL_STATUSES:
            await asyncio.sleep(self.poll_s)
            result = await self.result(user, sid, any_user=any_user)
        return result

    # -- reading ----------------------------------------------------------------

    async def result(self, user: str, sid: str, *, any_user: bool = False) -> dict[str, Any]:
        """The result JSON; while grading, with the tests finished so far."""
        result = await self.store.get_result(sid, user=None if any_user else user)
        if result is None:
            raise NotFound(f"No submission '{sid}'")
        channel = self._channels.get(sid)
        if channel is not None and result["status"] not in FINAL_STATUSES:
            result = {**result, "tests": channel.partial_tests()}
        return result if any_user else self._learner_view(result)

    def _show_hidden(self, challenge_id: str) -> bool:
        try:
            return self.catalog.get(challenge_id).show_hidden_details
        except ChallengeNotFound:
            return False

    def _learner_view(self, result: dict[str, Any]) -> dict[str, Any]:
        """The stored result keeps hidden tests' details (for instructors); a learner's
        copy withholds them unless the challenge shows them."""
        return learner_result(result, self._show_hidden(str(result.get("challenge", ""))))

    def _learner_event(self, event: Event, challenge_id: str) -> Event:
        kind, data = event
        if kind == "test":
            return kind, learner_test(data, self._show_hidden(challenge_id))
        if kind == "result":
            return kind, self._learner_view(data)
        return event

    async def events(
        self, user: str, sid: str, *, any_user: bool = False
    ) -> AsyncGenerator[Event, None]:
        """The submission's events: live while grading, replayed once finished."""
        stored = await self.result(user, sid, any_user=any_user)
        channel = self._channels.get(sid)
        if channel is not None:
            async for event in channel.follow(self.keepalive_s):
                yield event if any_user else self._learner_event(event, stored["challenge"])
            if channel.final is not None:
                return
            stored = await self.result(user, sid, any_user=any_user)
        # Graded earlier, or by another server sharing the database: poll the store.
        quiet = 0.0
        while stored["status"] not in FINAL_STATUSES:
            await asyncio.sleep(self.poll_s)
            quiet += self.poll_s
            if quiet >= self.keepalive_s:
                quiet = 0.0
                yield ("ping", {})
            stored = await self.result(user, sid, any_user=any_user)
        for event in replay_events(stored):
            yield event

    async def history(
        self, user: str, challenge_id: str, limit: int, offset: int
    ) -> dict[str, Any]:
        """This user's submissions of a challenge, newest first."""
        self.catalog.get(challenge_id)
        items, total = await self.store.list_submissions(
            user, challenge=challenge_id, limit=limit, offset=offset
        )
        return {"submissions": items, "total": total}

    async def list_all(
        self, *, user: str | None, challenge: str | None, limit: int, offset: int
    ) -> dict[str, Any]:
        """Everyone's submissions (instructors), newest first."""
        items, total = await self.store.list_all(
            challenge=challenge, user=user, limit=limit, offset=offset
        )
        return {"submissions": items, "total": total}

    async def code(self, user: str, sid: str, *, any_user: bool = False) -> dict[str, Any]:
        """The stored snapshot ``{"notebook", "files"}``."""
        code = await self.store.get_code(sid, user=None if any_user else user)
        if code is None:
            raise NotFound(f"No submission '{sid}'")
        return {"notebook": code.get("notebook"), "files": code.get("files") or {}}

    async def restore(
        self, user: str, sid: str, body: Any, *, any_user: bool = False
    ) -> dict[str, Any]:
        """Write a submission's snapshot back into the workspace (checkpointing first)."""
        body = operation("restoreSubmission").check_body({} if body is None else body)
        path = body.get("path")
        if path is not None:
            path = check_relpath(path, "path")
        result = await self.result(user, sid, any_user=any_user)
        code = await self.code(user, sid, any_user=any_user)
        try:
            challenge = self.catalog.get(result["challenge"])
        except ChallengeNotFound:
            raise NotFound(
                f"The challenge '{result['challenge']}' is no longer available"
            ) from None
        return await self._workspace().restore(challenge, code["notebook"], code["files"], path)

    def _workspace(self) -> WorkspaceManager:
        if self.workspace is None:
            raise InvalidRequest("This server keeps no workspace: send the notebook itself")
        return self.workspace
