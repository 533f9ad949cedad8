"""One grading run: the notebook, then the tests, in one kernel or more, within a budget.

A :class:`GradingRun` holds what outlives a kernel: the tests listed and reported, the
run's time budget, the first problem a cell had, the output kept, and the result it
assembles. Each kernel's part is an :class:`~.attempt.Attempt`, made afresh by
:meth:`GradingRun.execute`: the notebook cell by cell through nbclient, then the tests
through the run's test runner (:mod:`.suite`, the seam a judge replaces), with a
watchdog stopping the kernel when a test or the whole run exceeds its limit.

Three actors change a run, all on the event loop: *execute* (the attempt's own course),
the *events* nbclient's hooks deliver (a cell's reply, the runner's listing and results:
:meth:`on_collected`, :meth:`on_test`, :meth:`on_done`) and the *watchdog*. Results of
tests go through :meth:`on_test` or, for a test its kernel could not finish,
:meth:`stop_test`, whoever calls it; the first result of a test is the one kept. The
words of every failure come from :mod:`.messages`. (A little over 400 lines: the run's
state and the handlers of its three actors read best side by side.)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from ..challenges import Challenge
from ..results import GradeError, GradeResult, TestResult
from . import messages
from .attempt import Attempt
from .client import OutputMeter, create_client
from .events import EventStream
from .harness import static_tests_from_source
from .kernel import GradingKernel
from .kernel_code import prepare_code
from .notebook import cell_source, code_cells
from .sandbox import SandboxPolicy
from .settings import GradingSettings
from .suite import InKernelTests, TestRequest, TestRunner
from .workdir import code_cell, populate_workdir

log = logging.getLogger("codequest_jupyter.grading.engine")

# Fresh kernels a run may take after tests that had to be stopped with their kernel.
MAX_RESUMES = 3
# Within the run's budget (from the notebook's first cell): the watchdog stops the kernel
# this long before its end (the kernel's setting up and the result's assembly take the
# time left), and the harness starts no test once
# less than MIN_SHARE_S is left before that. After a test timed out, each test still to
# run gets an equal share of what is left (at least MIN_SHARE_S), capped by timeout_s.
WRAP_UP_S = 0.5
MIN_SHARE_S = 0.2
# The first kernel's setting up (the prepare cell's own limit), before the budget starts.
SETUP_S = 30.0


class GradingRun:
    """The state of one grading run, across its attempts."""

    def __init__(
        self,
        settings: GradingSettings,
        challenge: Challenge,
        result: GradeResult,
        events: EventStream,
        runner: TestRunner | None = None,
        *,
        isolation: str = "kernel",
        policy: SandboxPolicy | None = None,
        judges: Any = None,
    ):
        self.settings = settings
        self.challenge = challenge
        self.result = result
        self.limits = challenge.limits
        self.events = events
        if runner is None and isolation == "judge":
            from ..judge.suite import JudgeTests

            runner = JudgeTests(
                self,
                policy or settings.policy(),
                challenge,
                grace_s=settings.grace_s,
                pool=judges,
            )
        self.isolation = isolation
        self.runner: TestRunner = runner or InKernelTests(self)
        self.budget_s = min(self.limits.run_timeout_s or settings.run_s, settings.max_run_s)
        self.deadline = 0.0
        self.attempts = 0
        self.attempt = Attempt(0, last_cell_limit=self.limits.timeout_s)
        self.collected: list[dict[str, Any]] = []
        self.tests: dict[str, TestResult] = {}
        self.run_timed_out = False  # the watchdog stopped the run at its budget's end
        self.cell_problem: GradeError | None = None
        self.output = OutputMeter(settings.output_limit_bytes)
        self._static: list[dict[str, Any]] = []
        self._data: dict[str, bytes] = {}  # the files beside the tests
        self._work: dict[str, bytes] = {}  # what the attempt's kernel's work dir holds

    # -- nbclient's hooks ----------------------------------------------------------------
    def cell_timeout(self, cell) -> float | None:
        value = cell.get("metadata", {}).get("codequest_timeout", "cell")
        if value == "cell":
            # A cell may take at most half of what is left of the run's budget: a "Try
            # it" cell that loops leaves the tests time to run.
            seconds = self.limits.cell_timeout_s or self.limits.timeout_s
            remaining = self.deadline - time.monotonic()
            seconds = min(seconds, max(remaining / 2, 0.5))
            self.attempt.last_cell_limit = max(0.5, round(seconds, 1))
            return self.attempt.last_cell_limit
        return value

    def on_cell_executed(self, cell, cell_index, execute_reply) -> None:
        self.attempt.replies[cell_index] = execute_reply

    def on_channel(self, message: Any) -> None:
        """A message on the harness's result channel (see :class:`.suite.InKernelTests`)."""
        if isinstance(self.runner, InKernelTests):
            self.runner.on_channel(message, open=self.attempt.test_phase)

    # -- the test runner's events --------------------------------------------------------
    def on_collected(self, tests: list[dict[str, Any]]) -> None:
        # Public and hidden tests are collected in turn, and a resumed run lists only
        # what is left: the listing grows by what it has not seen yet.
        known = {t["id"] for t in self.collected}
        fresh = [t for t in tests if t.get("id") not in known]
        if fresh:
            self.collected.extend(fresh)
            self.events.emit(
                "collected", {"total": len(self.collected), "tests": list(self.collected)}
            )
        self._next_test()

    def on_test(self, data: dict[str, Any]) -> None:
        # Every detail is kept (instructors see hidden tests' failures); what a learner
        # is shown is decided where results are served (results.learner_result).
        test = TestResult.from_json(data)
        if test.id in self.tests:
            return
        self.tests[test.id] = test
        self._next_test()
        self.events.emit("test", test.to_json())

    def on_done(self, data: dict[str, Any]) -> None:
        self.attempt.done = data

    def _next_test(self) -> None:
        """The runner runs the tests it lists one at a time, in the listed order, and
        reports each before the next starts: the one running is the first listed
        without a result (none between the public and the hidden phase)."""
        attempt = self.attempt
        attempt.current = next((t["id"] for t in self.collected if t["id"] not in self.tests), None)
        attempt.current_started = time.monotonic()
        if attempt.current is not None:
            attempt.current_limit = self._test_limit()

    def stop_test(self, tid: str, status: str, message: str) -> None:
        """Record the result of a test that its kernel could not finish, and stream it."""
        attempt = self.attempt
        info = next((t for t in self.collected if t["id"] == tid), {})
        test = TestResult(
            id=tid,
            name=info.get("name", tid.rsplit("::", 1)[-1]),
            hidden=bool(info.get("hidden", tid.startswith("hidden/"))),
            status=status,  # type: ignore[arg-type]
            message=message,
            duration_ms=int((time.monotonic() - attempt.current_started) * 1000),
            max_points=float(info.get("max_points", 1.0)),
        )
        self.tests[tid] = test
        attempt.current = None
        attempt.stopped = True
        self.events.emit("test", self.tests[tid].to_json())

    # -- an attempt ----------------------------------------------------------------------
    async def execute(
        self,
        kernel: GradingKernel,
        nb: dict[str, Any],
        files: dict[str, str],
        sources: dict[str, str],
    ) -> None:
        """One attempt: the notebook then the tests not yet done, in ``kernel``."""
        self.attempts += 1
        self.attempt = attempt = Attempt(self.attempts, last_cell_limit=self.limits.timeout_s)
        if attempt.number == 1:
            # Setting up the first kernel (its own 30 s limit) is not the learner's
            # time: the budget starts with the notebook's first cell (see _run_cells).
            self.deadline = time.monotonic() + SETUP_S + self.budget_s
            self._static = _static_list(sources)
            self._data = await asyncio.to_thread(self.challenge.test_data_files, self.result.mode)
        self._work = await asyncio.to_thread(
            populate_workdir, kernel.workdir, self.challenge, nb, files
        )
        # A kernel running as its own user may change the files it was given.
        await asyncio.to_thread(kernel.hand_over, kernel.workdir)
        cells = code_cells(nb)
        prepare, tests = len(nb["cells"]), len(nb["cells"]) + 1
        full = dict(nb)
        full["cells"] = [dict(c, source=cell_source(c)) for c in nb["cells"]] + [
            code_cell(
                prepare_code(str(kernel.workdir), self.limits.memory_mb, self.budget_s + 5),
                {"codequest_timeout": 30},
            ),
            # Written when its turn comes: it carries the budget's end.
            code_cell("", {"codequest_timeout": None}),
        ]
        client = create_client(full, kernel, self)
        # A runner may start a process of its own now, to overlap the notebook.
        await self.runner.begin(self._request(sources), kernel=kernel)
        watchdog = asyncio.get_running_loop().create_task(self.watchdog(kernel))
        try:
            if await self._run_cells(client, kernel, cells, prepare) and await kernel.is_alive():
                await self._run_tests(client, kernel, tests, sources)
        except Exception as exc:  # noqa: BLE001 - never raise for what a kernel sent
            # jupyter_client refuses a message it cannot read (e.g. "Invalid Signature"
            # from a kernel starved of memory): stop that kernel, go on as after a death.
            log.warning("grading kernel sent an unreadable message: %r", exc)
            attempt.killed_by_us = True
            await kernel.kill()
            message = messages.unreadable_message(exc)
            current = attempt.current
            if current is not None and current not in self.tests:
                self.stop_test(current, "error", message)
            elif not self.tests:
                self._set_error(GradeError("kernel_died", message))
        finally:
            watchdog.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watchdog
            await self.runner.end()

    def can_resume(self) -> bool:
        """Whether the tests left after a stopped test should run in a fresh kernel."""
        if not self.attempt.stopped or self.run_timed_out or not self.collected:
            return False
        if self.attempts > MAX_RESUMES or self.out_of_time(MIN_SHARE_S + 0.5):
            return False
        return any(t["id"] not in self.tests for t in self.collected)

    async def _run_cells(self, client, kernel: GradingKernel, cells, prepare: int) -> bool:
        """Run the notebook; False when the kernel did not survive it."""
        from nbclient.exceptions import DeadKernelError

        try:
            await client.async_execute_cell(client.nb.cells[prepare], prepare, store_history=False)
        except DeadKernelError:
            self._kernel_died(kernel, None, during="setting up")
            return False
        first = self.attempt.number == 1
        if first:
            self.deadline = time.monotonic() + self.budget_s - WRAP_UP_S
        for index, _source in cells:
            if self.run_timed_out:
                return False
            try:
                await client.async_execute_cell(client.nb.cells[index], index)
            except DeadKernelError:
                self._kernel_died(kernel, index, during=f"running cell {index + 1}")
                return False
            reply = self.attempt.replies.get(index, {}).get("content", {})
            if reply.get("status") == "error" and first:
                # A cell that raised or timed out is a cell error: the tests run after it
                # all the same. Only when they then cannot run at all does it become the
                # run's error (see assemble), as the likeliest reason.
                cell_error, problem = messages.cell_failure(
                    index,
                    reply,
                    cell_limit=self.attempt.last_cell_limit,
                    memory_mb=self.limits.memory_mb,
                )
                self.result.cell_errors.append(cell_error)
                if problem is not None and self.cell_problem is None:
                    self.cell_problem = problem
        return not self.run_timed_out

    async def _run_tests(
        self, client, kernel: GradingKernel, cell: int, sources: dict[str, str]
    ) -> None:
        from nbclient.exceptions import DeadKernelError

        attempt = self.attempt
        request = self._request(sources)
        attempt.test_phase = True
        try:
            broken = await self.runner.run(
                request, attempt=attempt, kernel=kernel, client=client, cell=cell
            )
        except DeadKernelError:
            self._tests_killed(kernel)
            return
        finally:
            attempt.test_phase = False
        if isinstance(broken, GradeError):
            self._set_error(broken)
        elif broken is not None:
            self._set_error(messages.tests_broken(*broken))

    def _request(self, sources: dict[str, str]) -> TestRequest:
        return TestRequest(
            module=self.challenge.module,
            sources=sources,
            deselect=sorted(self.tests),
            timeout_s=self.limits.timeout_s,
            deadline=self.deadline,
            budget_s=self.budget_s,
            min_share_s=MIN_SHARE_S,
            timed_out=any(t.status == "timeout" for t in self.tests.values()),
            output_limit=self.limits.output_kb * 1024,
            data=self._data,
            work=self._work,
        )

    def _tests_killed(self, kernel: GradingKernel) -> None:
        """The kernel ended while the tests ran."""
        attempt = self.attempt
        if attempt.stopped:
            return  # the watchdog stopped a test; its result is recorded
        current = attempt.current
        if self.run_timed_out and (self.tests or current is not None):
            # The tests were running when the budget ran out: the one running is
            # stopped, the rest are not run (see assemble); not the run's error.
            if current is not None and current not in self.tests:
                message = messages.budget_message("Stopped", self.budget_s)
                self.stop_test(current, "timeout", message)
            return
        if current is None or current in self.tests:
            self._kernel_died(kernel, None, during="running the tests")
            return
        self._kernel_died(kernel, None, during=f"running the test {current}")
        error = self.result.error
        message = error.message if error else messages.kernel_died_fallback()
        self.stop_test(current, "error", message)

    def _kernel_died(self, kernel: GradingKernel, index: int | None, *, during: str) -> None:
        exit_code = kernel.exit_code()
        if self.run_timed_out:
            if self.tests:
                # Tests ran in an earlier kernel of this run: the budget ran out before
                # the rest could; they are not run, saying so (not the run's error).
                return
            self._set_error(messages.budget_used_up(self.budget_s, during=during, cell=index))
            return
        self._set_error(
            messages.kernel_died(
                exit_code, killed_by_us=self.attempt.killed_by_us, during=during, cell=index
            )
        )

    def _set_error(self, error: GradeError) -> None:
        if self.result.error is None:
            self.result.error = error

    async def watchdog(self, kernel: GradingKernel) -> None:
        """Kill the kernel when a test or the whole run exceeds its limit."""
        grace = self.settings.grace_s
        attempt = self.attempt
        while True:
            await asyncio.sleep(0.1)
            now = time.monotonic()
            current = attempt.current
            limit = attempt.current_limit
            overdue = now - attempt.current_started > limit + grace
            if current is not None and attempt.test_phase and overdue:
                self.stop_test(
                    current,
                    "timeout",
                    messages.test_timeout(limit, self.limits.timeout_s, self.budget_s),
                )
                attempt.killed_by_us = True
                await kernel.kill()
                return
            if now > self.deadline:
                self.run_timed_out = True
                attempt.killed_by_us = True
                await kernel.kill()
                return

    # -- the run's time budget -----------------------------------------------------------
    def out_of_time(self, margin: float = 0.0) -> bool:
        return time.monotonic() > self.deadline - margin

    def _tests_left(self) -> int:
        """Tests still to run: listed ones without a result, and those of files not
        listed yet (the hidden ones, until their phase), as read from their source."""
        left = sum(1 for t in self.collected if t["id"] not in self.tests)
        listed = {t["id"].split("::", 1)[0] for t in self.collected}
        left += sum(1 for t in self._static if t["id"].split("::", 1)[0] not in listed)
        return left

    def _test_limit(self) -> float:
        """The time limit of the test starting now (the harness works it out alike)."""
        limit = self.limits.timeout_s
        remaining = self.deadline - time.monotonic()
        if any(t.status == "timeout" for t in self.tests.values()):
            limit = min(limit, max(remaining / max(self._tests_left(), 1), MIN_SHARE_S))
        return max(min(limit, remaining), MIN_SHARE_S)

    # -- the result ----------------------------------------------------------------------
    def assemble(self, sources: dict[str, str]) -> None:
        """Every expected test, in collection order, with a final status."""
        ran = any(t.status in ("passed", "failed") for t in self.tests.values())
        if self.cell_problem is not None and not ran:
            # The tests could not run at all: the cell that failed first is the likeliest
            # reason (before "the tests could not run to the end", or a run that then
            # ran out of time in a notebook left without memory), unless the kernel died.
            if self.result.error is None or self.result.error.kind != "kernel_died":
                self.result.error = self.cell_problem
        expected = list(self.collected)
        done = self.attempt.done
        if not expected or done is None or "error" in done:
            # The run ended before every file was collected (the hidden tests are only
            # collected after the public ones ran): count the rest as read from source.
            listed = {t["id"].split("::", 1)[0] for t in expected}
            expected += [
                t for t in _static_list(sources) if t["id"].split("::", 1)[0] not in listed
            ]
        reason = messages.not_run(
            self.result.error,
            out_of_budget=self.run_timed_out or self.out_of_time(MIN_SHARE_S + 0.5),
            stopped=self.attempt.stopped,
            budget_s=self.budget_s,
        )
        tests: list[TestResult] = []
        for info in expected:
            tid = info["id"]
            if tid in self.tests:
                tests.append(self.tests[tid])
                continue
            test = TestResult(
                id=tid,
                name=info.get("name", tid.rsplit("::", 1)[-1]),
                hidden=bool(info.get("hidden")),
                status="not_run",
                max_points=float(info.get("max_points", 1.0)),
                message=reason,
            )
            tests.append(test)
        self.result.tests = tests


def _static_list(sources: dict[str, str]) -> list[dict[str, Any]]:
    """The tests of each file as read from its source (when the kernel never listed them)."""
    out = []
    for rel, source in sources.items():
        name = rel.rsplit("/", 1)[-1]
        if not (name.startswith("test_") or name.endswith("_test.py")):
            continue
        for nodeid, test_name, points in static_tests_from_source(source, rel):
            out.append(
                {
                    "id": nodeid,
                    "name": test_name,
                    "hidden": rel.startswith("hidden/"),
                    "max_points": points,
                }
            )
    return out
