"""The grading engine: one submission, one fresh kernel, every test reported.

``Grader.grade`` runs the learner's notebook cell by cell in a fresh, confined kernel
through nbclient (errors allowed, each cell under a time limit), then runs the
challenge's tests with pytest: in a judge process of their own that calls into the
kernel (:mod:`codequest_jupyter.judge`, a challenge's ``isolation = "judge"``, the
default), or inside that kernel through :mod:`.harness` (``isolation = "kernel"``),
and turns whatever happens (failing cells, syntax errors, timeouts, memory exhaustion,
a dying kernel) into a result the learner can read. It never raises for a learner's fault.

The engine's modules, one job each:

* :mod:`.engine` (here): the :class:`Grader`, its kernel pool and the loop over a run's
  attempts (a fresh kernel after a test had to be stopped with its kernel);
* :mod:`.settings`: :class:`GradingSettings`, what the server configures;
* :mod:`.run`: one run's state across attempts, its time budget, watchdog and result;
* :mod:`.attempt`: one kernel's part of a run, made afresh per kernel, and who writes
  which of its fields (execute, nbclient's hooks, the watchdog);
* :mod:`.client`: the nbclient client and its hooks, the output limit;
* :mod:`.suite`: where the tests are collected and run (see below);
* :mod:`.messages`: the learner-facing wording of every failure (pure);
* :mod:`.kernel_code`: the code sent to the kernel (set-up, the compiled harness);
* :mod:`.harness`: the package that runs in the kernel (pytest, the signed channel);
* :mod:`.events`: progress events to the caller; :mod:`.workdir`: the learner's files;
* :mod:`.kernel`, :mod:`.pool`, :mod:`.forkserver`, :mod:`.launcher`, :mod:`.sandbox`,
  :mod:`.bwrap`, :mod:`.nsenter`, :mod:`.rundirs`, :mod:`.procfs`: kernels, their pool
  and their confinement.

**The test runner seam.** A run collects and runs the tests through one object, a
:class:`~.suite.TestRunner`: :class:`~.suite.InKernelTests` runs the harness inside the
learner's kernel. A runner gets a :class:`~.suite.TestRequest` (the test files, the
tests already reported, the limits and the budget's end) and the attempt's kernel, and
reports the listing, each result and the end to the run (``on_collected``,
``on_test``, ``on_done``); the run's watchdog, time budget, resumption in a fresh
kernel, wording and result assembly do not depend on where the tests ran. A runner
that runs them in a trusted process of its own (a judge calling into the kernel) is
passed to :class:`~.run.GradingRun` in its place.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from ..challenges import Challenge
from ..results import MODES, GradeResult, new_submission_id, utc_now_iso
from . import messages
from .events import EventCallback, EventStream
from .kernel import GradingKernel, KernelStartError
from .notebook import SubmissionInvalid, parse_notebook
from .pool import KernelPool
from .run import GradingRun
from .rundirs import sweep_run_dirs
from .sandbox import resolve as resolve_sandbox
from .settings import GradingSettings
from .workdir import check_files, populate_workdir

log = logging.getLogger(__name__)

__all__ = [
    "EventCallback",
    "Grader",
    "GradingSettings",
    "check_files",
    "populate_workdir",
]


class Grader:
    """Grades submissions, each in a fresh kernel from a pool of never-used ones."""

    def __init__(self, settings: GradingSettings | None = None, log: logging.Logger | None = None):
        self.settings = settings or GradingSettings()
        self.log = log or logging.getLogger(__name__)
        self.pool = KernelPool(
            self.settings.policy(),
            self.settings.pool_size,
            max_age_s=self.settings.pool_max_age_s,
            startup_timeout=self.settings.startup_timeout_s,
            refill=self.settings.pool_refill,
            max_idle_mb=self.settings.pool_max_idle_mb,
            start_method=self.settings.kernel_start,
        )
        self._cleanups: set[asyncio.Task] = set()
        self._policy = self.settings.policy()
        self._judge_refused: str | None = None  # why the judge cannot run here, once known
        self.judges: Any = None  # judges started ahead of their runs (a JudgePool)

    async def check_sandbox(self) -> None:
        """Raise ``SandboxUnavailable`` when the configured sandbox cannot run here.

        Cheap once it worked (the probe's plan is kept for the process); while it
        fails, each call probes again, so fixing the machine needs no restart.
        """
        await asyncio.to_thread(resolve_sandbox, self._policy)

    async def start(self) -> None:
        """Start filling the kernel pool (grading works without it, cold)."""
        self.pool.start()
        swept = await asyncio.to_thread(sweep_run_dirs)
        if swept:
            log.info("removed %d run directories of grading servers that are gone", swept)
        # nbclient pulls in nbformat and jsonschema, slow imports: pay them now rather
        # than in the first grading.
        await asyncio.to_thread(__import__, "nbclient")

    async def close(self) -> None:
        """Stop the pools and wait until every used kernel, judge and run directory is gone."""
        await self.pool.close()
        if self.judges is not None:
            await self.judges.close()
        await self.settle()

    async def settle(self) -> None:
        """Wait until the kernels, judges and run directories of finished gradings are gone."""
        while pending := [task for task in self._cleanups if not task.done()]:
            await asyncio.gather(*pending, return_exceptions=True)
        if self.judges is not None:
            await self.judges.settle()

    async def __aenter__(self) -> Grader:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def grade(
        self,
        challenge: Challenge,
        notebook: Any = None,
        files: dict[str, str] | None = None,
        mode: str = "submit",
        *,
        user: str = "",
        submission_id: str | None = None,
        submitted_at: str | None = None,
        on_event: EventCallback | None = None,
    ) -> GradeResult:
        """Grade one submission; see the module docstring.

        Raises
        ------
        SubmissionInvalid
            when the notebook or the files are not something that can be graded.
        """
        if mode not in MODES:
            raise SubmissionInvalid(f"mode must be 'submit' or 'run', not {mode!r}")
        if notebook is None:
            notebook = challenge.notebook_path.read_bytes()
        nb = parse_notebook(notebook)
        learner_files = check_files(files)
        result = GradeResult(
            id=submission_id or new_submission_id(),
            challenge=challenge.id,
            challenge_version=challenge.version,
            user=user,
            mode=mode,  # type: ignore[arg-type]
            submitted_at=submitted_at or utc_now_iso(),
            status="running",
        )
        started = time.perf_counter()
        isolation = await self.isolation(challenge)
        result.isolation = isolation
        async with EventStream(on_event) as events:
            run = GradingRun(
                self.settings,
                challenge,
                result,
                events,
                isolation=isolation,
                policy=self._policy,
                judges=self.judges,
            )
            try:
                kernel = await self.pool.acquire()
            except KernelStartError as exc:
                result.error = messages.kernel_start_failed(exc)
                run.assemble(challenge.read_sources(challenge.test_files(mode)))
                result.duration_ms = int((time.perf_counter() - started) * 1000)
                return result.finish()
            sources = challenge.read_sources(challenge.test_files(mode))
            while True:
                try:
                    await run.execute(kernel, nb, learner_files, sources)
                finally:
                    self._dispose_later(kernel)
                if not run.can_resume():
                    break
                # A test had to be stopped with its kernel: the rest run in a fresh one.
                try:
                    kernel = await self.pool.acquire()
                except KernelStartError:
                    break
            run.assemble(sources)
        result.output_truncated = run.output.truncated
        result.duration_ms = int((time.perf_counter() - started) * 1000)
        return result.finish()

    async def isolation(self, challenge: Challenge) -> str:
        """Where ``challenge``'s tests run here: "judge" or "kernel" (see
        ``GradingSettings.isolation``). Submit and Run tests alike, so the two buttons
        never disagree."""
        if self.settings.isolation == "kernel" or challenge.isolation == "kernel":
            return "kernel"
        if self._judge_refused is None:
            from ..judge.suite import judge_unavailable

            try:
                reason = await asyncio.to_thread(judge_unavailable, self._policy)
            except Exception:  # noqa: BLE001 - no sandbox: the kernel's start reports it
                return "kernel"
            self._judge_refused = reason or ""
            if not reason and self.settings.pool_size > 0:
                from ..judge.suite import JudgePool

                # As many judges ready as kernels: a pooled grading pays neither start-up.
                self.judges = JudgePool(
                    self._policy, self.settings.pool_size, grace_s=self.settings.grace_s
                )
                self.judges.fill()
            if reason:
                self.log.warning(
                    "tests of challenges with isolation = 'judge' run inside the learner's "
                    "kernel instead: %s",
                    reason,
                )
        return "kernel" if self._judge_refused else "judge"

    def _dispose_later(self, kernel: GradingKernel) -> None:
        """Kill and clean up a used kernel off the latency path (``close`` waits for it)."""
        task = asyncio.get_running_loop().create_task(kernel.dispose())
        self._cleanups.add(task)
        task.add_done_callback(self._cleanups.discard)
