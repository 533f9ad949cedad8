"""The judge as a test runner of the grading engine (``isolation = "judge"``).

:class:`JudgeTests` takes the place of :class:`~codequest_jupyter.grading.suite.InKernelTests`
in a :class:`~codequest_jupyter.grading.run.GradingRun`. Per attempt (one kernel):

1. :meth:`begin`, as the attempt starts: a judge process is started in the background
   with the tests (public and hidden), the tests already reported deselected, so its
   start-up (the sandbox, Python, pytest's imports) overlaps the notebook's run;
2. the run executes the learner's notebook as in kernel mode (nbclient, cell errors,
   output limits), but no tests cell;
3. :meth:`run`: the judge is handed the kernel with what is left of the run's budget,
   and its events (``collected``, ``test``, ``done``: the harness's shapes) go to the
   run's bookkeeping as they come, so streaming, points, timeouts and ``not_run``
   follow the same contract; they come from the judge's control socket, which
   learner code cannot reach, so they need no signature;
4. :meth:`end`: the judge's processes, uid and directory are removed on every path
   (by the pool, off the latency path, when the judge came from one).

A kernel lost during a test: when it died, the run is told as when it dies under the
in-kernel harness (``DeadKernelError``: the test in progress gets the kernel's death,
worded by the run, and the tests left resume in a fresh kernel); when it lives but
its agent stopped answering (learner code broke the channel), that test keeps the
judge's error and the kernel is stopped, the rest resuming likewise. A test the judge
timed out by killing the kernel keeps its timeout, and the rest resume. Results the
judge reports after losing the kernel are not kept (they say only that it was gone).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from ..challenges import Challenge
from ..grading.attempt import Attempt
from ..grading.kernel import GradingKernel
from ..grading.sandbox import SandboxPolicy, resolve
from ..grading.suite import TestEvents, TestRequest
from ..results import GradeError
from .driver import JudgeProcess, JudgeRun

log = logging.getLogger(__name__)

# Past the run's budget the run's watchdog stops the kernel; the judge's own limit is
# a backstop behind it.
BACKSTOP_S = 10.0


def judge_unavailable(policy: SandboxPolicy) -> str | None:
    """Why ``policy`` cannot keep a judge out of its kernels' reach here (None: it
    can): the judge needs a uid other than the kernel's, or bubblewrap around the
    kernel (blocking: may probe the sandbox once)."""
    plan = resolve(policy)
    if plan.mode == "bwrap" or plan.uid_strategy == "per-kernel":
        return None
    return (
        f"the sandbox here ({plan.mode}, "
        + (
            "every kernel as one user"
            if plan.uid_strategy == "fixed"
            else "kernels as the server's user"
        )
        + ") cannot keep a judge process out of the kernel's reach: that takes bubblewrap, "
        "or a root server giving each kernel a uid of its own"
    )


class JudgePool:
    """Judges started ahead of their runs: Python, the sandbox, pytest's imports and
    its set-up (configuration, plugins, the session) paid before a run needs them (a
    run then only writes its tests and hands over its kernel). A judge counts as ready
    once it says pytest is set up in it. Each serves one run, then the pool starts
    another; the used one is removed off the latency path (``settle`` waits for it)."""

    def __init__(self, policy: SandboxPolicy, size: int, *, grace_s: float = 2.0):
        self.policy = policy
        self.size = size
        self.grace_s = grace_s
        self.idle: list[JudgeProcess] = []
        # Reading each idle judge's "ready" (pytest set up in it); dropped when taken.
        self._readying: dict[JudgeProcess, asyncio.Task[bool]] = {}
        self._filling: asyncio.Task[None] | None = None
        self._closing: set[asyncio.Task[None]] = set()
        self._closed = False

    def take(self) -> JudgeProcess | None:
        """A started judge, or None (the run starts its own); the pool refills."""
        judge = None
        # A judge with pytest set up first; else one still setting up (it goes on
        # while the notebook runs).
        self.idle.sort(key=lambda j: not j.ready)
        while self.idle and judge is None:
            candidate = self.idle.pop(0)
            readying = self._readying.pop(candidate, None)
            if readying is not None:
                readying.cancel()  # the run's relay reads (and skips) its "ready"
            if candidate.alive():
                judge = candidate
            else:  # it died idle: remove what is left of it
                self.close_later(candidate)
        self.fill()
        return judge

    def close_later(self, judge: JudgeProcess) -> None:
        """Remove a judge (processes, uid, directory) off the latency path: a run whose
        verdicts are in need not wait for it; ``settle`` and ``close`` do."""
        task = asyncio.get_running_loop().create_task(judge.close())
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def settle(self) -> None:
        """Wait until the judges being removed are gone."""
        while pending := [task for task in self._closing if not task.done()]:
            await asyncio.gather(*pending, return_exceptions=True)

    def fill(self) -> None:
        if self._closed or (self._filling is not None and not self._filling.done()):
            return
        self._filling = asyncio.get_running_loop().create_task(self._fill())

    async def _fill(self) -> None:
        while not self._closed and len(self.idle) < self.size:
            try:
                judge = await JudgeProcess.prestart(self.policy, grace_s=self.grace_s)
            except Exception as exc:  # noqa: BLE001 - runs start their own judges then
                log.warning("could not start a judge ahead of its run: %s", exc)
                return
            if self._closed:
                await judge.close()
                return
            self.idle.append(judge)
            self._readying[judge] = asyncio.get_running_loop().create_task(judge.wait_ready())

    async def wait_ready(self, count: int = 1, timeout: float = 60) -> bool:
        """Wait until ``count`` judges are started, pytest set up in each (benchmarks
        and tests)."""
        self.fill()
        deadline = time.monotonic() + timeout

        def ready() -> int:
            return sum(1 for judge in self.idle if judge.ready)

        while ready() < count and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
            self.fill()
        return ready() >= count

    async def close(self) -> None:
        self._closed = True
        if self._filling is not None:
            self._filling.cancel()
            with contextlib.suppress(BaseException):
                await self._filling
        idle, self.idle = self.idle, []
        readying, self._readying = self._readying, {}
        for task in readying.values():
            task.cancel()
        await asyncio.gather(*readying.values(), return_exceptions=True)
        await asyncio.gather(
            *(judge.close() for judge in idle), *self._closing, return_exceptions=True
        )


class _Lost(Exception):
    """The judge lost the kernel during a test (see the module docstring)."""

    def __init__(self, dead: bool):
        self.dead = dead


class JudgeTests:
    """The challenge's tests run by a judge process calling into the learner's kernel."""

    __test__ = False  # not a pytest test class

    def __init__(
        self,
        events: TestEvents,
        policy: SandboxPolicy,
        challenge: Challenge,
        *,
        grace_s: float = 2.0,
        pool: JudgePool | None = None,
    ):
        self.events = events
        self.policy = policy
        self.challenge = challenge
        self.grace_s = grace_s
        self.pool = pool
        self._starting: asyncio.Task[JudgeProcess] | None = None
        self.judged: JudgeRun | None = None  # the last attempt's (tests read it)

    def learner_modules(self) -> tuple[str, ...]:
        """The learner's own top-level modules besides the notebook (a starter
        ``grid.py``): tests importing them get the kernel's."""
        names = {
            rel[:-3]
            for rel in self.challenge.starter_relpaths()
            if rel.endswith(".py") and "/" not in rel
        }
        names.discard(self.challenge.module)
        return tuple(sorted(names))

    async def begin(self, request: TestRequest, *, kernel: GradingKernel) -> None:
        """The attempt starts: start its judge in the background."""
        await self.end()
        started = self.pool.take() if self.pool is not None else None
        self._starting = asyncio.get_running_loop().create_task(self._prime(started, request))

    async def _prime(self, judge: JudgeProcess | None, request: TestRequest) -> JudgeProcess:
        modules, deselect = self.learner_modules(), tuple(request.deselect)
        if judge is None:
            return await JudgeProcess.start(
                self.policy,
                request.module,
                request.sources,
                timeout_s=request.timeout_s,
                output_limit=request.output_limit,
                grace_s=self.grace_s,
                modules=modules,
                deselect=deselect,
                data=request.data,
                work=request.work,
            )
        try:
            await judge.prime(
                request.module,
                request.sources,
                timeout_s=request.timeout_s,
                output_limit=request.output_limit,
                modules=modules,
                deselect=deselect,
                data=request.data,
                work=request.work,
            )
        except BaseException:
            await judge.close()
            raise
        return judge

    async def end(self) -> None:
        """The attempt is over: remove its judge (processes, uid, directory)."""
        starting, self._starting = self._starting, None
        if starting is None:
            return
        try:
            judge = await starting
        except BaseException:  # noqa: BLE001 - it never started: nothing to remove
            return
        if self.pool is not None:
            self.pool.close_later(judge)
        else:
            await judge.close()

    async def run(
        self,
        request: TestRequest,
        *,
        attempt: Attempt,
        kernel: GradingKernel,
        client: Any,
        cell: int,
    ) -> GradeError | None:
        """Judge the notebook's kernel; a GradeError when the judge could not."""
        from nbclient.exceptions import DeadKernelError

        if self._starting is None:
            await self.begin(request, kernel=kernel)
        assert self._starting is not None
        try:
            judge = await self._starting
        except Exception as exc:  # noqa: BLE001 - the run has no verdicts, and says why
            log.error("the judge could not start: %s", exc)
            return GradeError(
                "internal", f"The tests could not run: the judge could not start ({exc})."
            )
        judged = self.judged = JudgeRun()
        remaining = max(request.deadline - time.monotonic(), 0.1)

        async def on_event(kind: str, data: Any) -> None:
            await self._on_event(judged, attempt, kernel, kind, data or {})

        try:
            await judge.judge(
                kernel,
                budget_s=remaining + self.grace_s + BACKSTOP_S,
                start_timeout_s=remaining + self.grace_s,
                on_event=on_event,
                run=judged,
            )
        except _Lost as lost:
            if lost.dead:
                raise DeadKernelError("the kernel died while a test ran") from None
            return None
        finally:
            await self.end()
        if judged.done is not None and "error" not in judged.done:
            return None
        if not await kernel.is_alive() and not attempt.stopped:
            raise DeadKernelError("the kernel died before the tests ran")
        if attempt.stopped:
            return None
        reason = judged.error or (judged.done or {}).get("error") or "the judge ended early"
        log.warning("a judged run could not run its tests: %s", reason)
        return GradeError("notebook", f"The tests could not run: {_first_line(reason)}")

    async def _on_event(
        self,
        judged: JudgeRun,
        attempt: Attempt,
        kernel: GradingKernel,
        kind: str,
        data: dict[str, Any],
    ) -> None:
        if kind == "collected":
            self.events.on_collected(data.get("tests", []))
        elif kind == "done":
            self.events.on_done(data)
        elif kind == "test":
            if not (judged.kernel_gone or judged.kernel_killed):
                self.events.on_test(data)
                return
            # The first result after the kernel was lost is the test it was lost in.
            if judged.kernel_killed:
                # The judge had the kernel killed: a call that would not stop at its
                # time limit (a timeout), or a reply that broke the protocol.
                self.events.on_test(data)
                attempt.stopped = attempt.killed_by_us = True
                raise _Lost(dead=False)
            if attempt.stopped or not await kernel.is_alive():
                raise _Lost(dead=True)  # the run words the death (or has recorded it)
            # Alive, but its agent stopped answering: learner code broke the channel.
            self.events.on_test(data)
            attempt.stopped = attempt.killed_by_us = True
            with contextlib.suppress(Exception):
                await kernel.kill()
            raise _Lost(dead=False)


def _first_line(text: str) -> str:
    line = next((x.strip() for x in str(text).splitlines() if x.strip()), str(text))
    return line if line.endswith(".") else line + "."
