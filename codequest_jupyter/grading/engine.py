"""The grading engine: one submission, one fresh kernel, every test reported.

``Grader.grade`` runs the learner's notebook cell by cell in a fresh, confined kernel
through nbclient (errors allowed, each cell under a time limit), then runs the
challenge's tests with pytest inside that kernel through :mod:`.harness`, and turns
whatever happens (failing cells, syntax errors, timeouts, memory exhaustion, a dying
kernel) into a result the learner can read. It never raises for a learner's fault.
"""

from __future__ import annotations

import asyncio
import binascii
import contextlib
import functools
import hashlib
import hmac
import inspect
import json
import logging
import marshal
import secrets
import signal
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..challenges import Challenge
from ..paths import UnsafePath, safe_relpath
from ..results import (
    MODES,
    CellError,
    GradeError,
    GradeResult,
    TestResult,
    new_submission_id,
    utc_now_iso,
)
from . import harness as _harness
from .kernel import GradingKernel, KernelStartError
from .pool import KernelPool
from .rundirs import sweep_run_dirs
from .notebook import SubmissionInvalid, cell_source, code_cells, parse_notebook
from .sandbox import SandboxPolicy, run_limits_code

log = logging.getLogger(__name__)

HARNESS_SOURCE = Path(_harness.__file__).read_text(encoding="utf-8")


@functools.cache
def _harness_code() -> str:
    """The harness and its call, compiled here once and marshalled (then compressed and
    base64-encoded): the kernel, the same interpreter as this one, loads the code in
    0.2 ms instead of compiling 600 lines of source, 4 ms, on every run."""
    code = compile(HARNESS_SOURCE + "\nrun_tests(PAYLOAD)\n", "<codequest-harness>", "exec")
    return binascii.b2a_base64(zlib.compress(marshal.dumps(code), 9), newline=False).decode("ascii")


CHANNEL_MIME = _harness.CHANNEL_MIME
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

EventCallback = Callable[[str, dict[str, Any]], Any]


@dataclass
class GradingSettings:
    """How the engine runs kernels (the server exposes these as traitlets)."""

    pool_size: int = 0
    sandbox: str = "auto"
    max_memory_mb: int = 2048
    # The whole-run budget of a submission whose challenge sets none (limits.run_timeout_s),
    # and the ceiling of any challenge's: from the notebook's first cell, a run ends
    # within it whatever the learner's code does (see _Run).
    run_s: float = 10.0
    max_run_s: float = 300.0
    grace_s: float = 2.0
    output_limit_bytes: int = 1024 * 1024
    startup_timeout_s: float = 60.0
    pool_max_age_s: float = 3600.0
    # Kernel pool (see KernelPool): "after_use" replaces a pooled kernel once its grading
    # is over, "eager" as soon as it is taken; the memory idle kernels may hold together
    # (0: no limit); "fork" kernels from a pre-imported fork server, "exec" start each
    # as a new process, "auto" forks when the sandbox allows it.
    pool_refill: str = "after_use"
    pool_max_idle_mb: float = 0.0
    kernel_start: str = "auto"
    extra_env: dict[str, str] = field(default_factory=dict)
    # Sandbox details (see SandboxPolicy): the user kernels run as on a root server
    # (None: a uid of their own each), directories to hide from kernels (the server's
    # root, the database's directory, challenge directories) and to show them anyway.
    sandbox_user: str | int | None = None
    hide_paths: list[str] = field(default_factory=list)
    expose_paths: list[str] = field(default_factory=list)

    def policy(self) -> SandboxPolicy:
        return SandboxPolicy(
            mode=self.sandbox,
            max_memory_mb=self.max_memory_mb,
            max_cpu_s=int(self.max_run_s) + 60,
            extra_env=dict(self.extra_env),
            user=self.sandbox_user,
            hide_paths=tuple(self.hide_paths),
            expose_paths=tuple(self.expose_paths),
        )


def check_files(files: Any) -> dict[str, str]:
    """Learner files as ``{safe relative path: text}``, or ``SubmissionInvalid``."""
    if files is None:
        return {}
    if not isinstance(files, dict):
        raise SubmissionInvalid("'files' must be an object mapping paths to text")
    out: dict[str, str] = {}
    for path, text in files.items():
        try:
            rel = safe_relpath(path, what="file path")
        except UnsafePath as exc:
            raise SubmissionInvalid(str(exc)) from None
        if not isinstance(text, str):
            raise SubmissionInvalid(f"the content of {rel!r} must be text")
        out[rel] = text
    return out


def populate_workdir(
    workdir: Path, challenge: Challenge, notebook: dict[str, Any], files: dict[str, str]
) -> None:
    """The starter files, the learner's files over them (locked ones excepted), the notebook."""
    for rel, data in challenge.starter_files().items():
        target = workdir / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    for rel, text in files.items():
        if challenge.is_locked(rel) or rel == challenge.notebook:
            continue
        target = workdir / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    nb_path = workdir / challenge.notebook
    nb_path.parent.mkdir(parents=True, exist_ok=True)
    nb_path.write_text(json.dumps(notebook), encoding="utf-8")


def _signal_name(code: int | None) -> str | None:
    if code is None or code >= 0:
        return None
    try:
        return signal.Signals(-code).name
    except ValueError:
        return f"signal {-code}"


def _first_line(text: str | None) -> str:
    return (text or "").strip().splitlines()[0] if (text or "").strip() else ""


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

    async def start(self) -> None:
        """Start filling the kernel pool (grading works without it, cold)."""
        self.pool.start()
        swept = await asyncio.to_thread(sweep_run_dirs)
        if swept:
            log.info("removed %d run directories of grading servers that are gone", swept)
        # nbclient pulls in nbformat and jsonschema, about a second of imports: pay it
        # now rather than in the first grading.
        await asyncio.to_thread(__import__, "nbclient")

    async def close(self) -> None:
        """Stop the pool and wait until every used kernel and run directory is gone."""
        await self.pool.close()
        await self.settle()

    async def settle(self) -> None:
        """Wait until the kernels and run directories of finished gradings are gone."""
        while pending := [task for task in self._cleanups if not task.done()]:
            await asyncio.gather(*pending, return_exceptions=True)

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
        run = _Run(self, challenge, result, on_event)
        try:
            kernel = await self.pool.acquire()
        except KernelStartError as exc:
            result.error = GradeError("internal", f"The grading kernel could not start: {exc}")
            run.assemble(challenge.read_sources(challenge.test_files(mode)))
            result.duration_ms = int((time.perf_counter() - started) * 1000)
            return result.finish()
        sources = challenge.read_sources(challenge.test_files(mode))
        try:
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
        finally:
            await run.drain_events()
        result.output_truncated = run.output_truncated
        result.duration_ms = int((time.perf_counter() - started) * 1000)
        return result.finish()

    def _dispose_later(self, kernel: GradingKernel) -> None:
        """Kill and clean up a used kernel off the latency path (``close`` waits for it)."""
        task = asyncio.get_running_loop().create_task(kernel.dispose())
        self._cleanups.add(task)
        task.add_done_callback(self._cleanups.discard)


_NBCLIENT_LOG = logging.getLogger("codequest_jupyter.grading.nbclient")


@functools.cache
def _client_class() -> type:
    """nbclient's notebook client, handing the result channel's messages to the run
    (defined once: a class built per grading cost traitlets' set-up each time)."""
    from nbclient import NotebookClient

    class Client(NotebookClient):
        codequest_run: _Run

        def output(self, outs, msg, display_id, cell_index):  # type: ignore[override]
            run = self.codequest_run
            content = msg.get("content", {})
            data = content.get("data") if isinstance(content, dict) else None
            if isinstance(data, dict) and CHANNEL_MIME in data:
                run.on_channel(data[CHANNEL_MIME])
                return None
            run.output_bytes += _content_size(content)
            if run.output_bytes > run.grader.settings.output_limit_bytes:
                run.output_truncated = True
                return None
            return super().output(outs, msg, display_id, cell_index)

        async def _async_poll_kernel_alive(self) -> None:
            # nbclient looks every second; once the watchdog has killed the kernel, this
            # notices within 0.1 s (a second of a run's 10 s budget otherwise).
            from nbclient.exceptions import DeadKernelError

            run = self.codequest_run
            ticks = 0
            while True:
                await asyncio.sleep(0.1)
                ticks += 1
                if not run.killed_by_us and ticks % 10:
                    continue
                try:
                    await self._async_check_alive()
                except DeadKernelError:
                    assert self.task_poll_for_reply is not None
                    self.task_poll_for_reply.cancel()
                    return

    return Client


class _GradingClient:
    """Builds the nbclient client that runs a notebook on an already-started kernel."""

    @staticmethod
    def create(nb: dict[str, Any], kernel: GradingKernel, run: _Run):
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


class _Run:
    """The state of one grading run."""

    def __init__(
        self,
        grader: Grader,
        challenge: Challenge,
        result: GradeResult,
        on_event: EventCallback | None,
    ):
        self.grader = grader
        self.challenge = challenge
        self.result = result
        self.limits = challenge.limits
        self.secret = secrets.token_bytes(32)
        self.replies: dict[int, dict[str, Any]] = {}
        self.collected: list[dict[str, Any]] = []
        self.tests: dict[str, TestResult] = {}
        self.current: str | None = None
        self.current_started = 0.0
        self.attempts = 0
        self.stopped_in_attempt = False
        self.budget_s = min(
            self.limits.run_timeout_s or grader.settings.run_s, grader.settings.max_run_s
        )
        self.deadline = 0.0
        self.current_limit = self.limits.timeout_s
        self._static: list[dict[str, Any]] = []
        self.last_cell_limit = self.limits.timeout_s
        self.run_timed_out = False
        self.killed_by_us = False
        self.done: dict[str, Any] | None = None
        self.forged = 0
        self.output_bytes = 0
        self.output_truncated = False
        self.cell_problem: GradeError | None = None
        self.test_phase = False
        self._events: asyncio.Queue = asyncio.Queue()
        self._on_event = on_event
        self._event_task: asyncio.Task | None = None
        if on_event is not None:
            self._event_task = asyncio.get_running_loop().create_task(self._deliver_events())

    # -- events to the caller ----------------------------------------------------------
    async def _deliver_events(self) -> None:
        while True:
            item = await self._events.get()
            if item is None:
                return
            kind, data = item
            try:
                outcome = self._on_event(kind, data)  # type: ignore[misc]
                if inspect.isawaitable(outcome):
                    await outcome
            except Exception:  # noqa: BLE001 - a listener's fault must not stop grading
                log.exception("grading event listener failed")

    def emit(self, kind: str, data: dict[str, Any]) -> None:
        if self._event_task is not None:
            self._events.put_nowait((kind, data))

    async def drain_events(self) -> None:
        if self._event_task is not None:
            self._events.put_nowait(None)
            with contextlib.suppress(Exception):
                await self._event_task

    # -- nbclient hooks ----------------------------------------------------------------
    def cell_timeout(self, cell) -> float | None:
        value = cell.get("metadata", {}).get("codequest_timeout", "cell")
        if value == "cell":
            # A cell may take at most half of what is left of the run's budget: a "Try
            # it" cell that loops leaves the tests time to run.
            seconds = self.limits.cell_timeout_s or self.limits.timeout_s
            remaining = self.deadline - time.monotonic()
            seconds = min(seconds, max(remaining / 2, 0.5))
            self.last_cell_limit = max(0.5, round(seconds, 1))
            return self.last_cell_limit
        return value

    def on_cell_executed(self, cell, cell_index, execute_reply) -> None:
        self.replies[cell_index] = execute_reply

    def on_channel(self, message: Any) -> None:
        """A message on the result channel: accept it only with a valid signature."""
        if not self.test_phase or not isinstance(message, dict):
            self.forged += 1
            return
        body, sig = message.get("body"), message.get("sig")
        if not isinstance(body, str) or not isinstance(sig, str):
            self.forged += 1
            return
        want = hmac.new(self.secret, body.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(want, sig):
            self.forged += 1
            return
        event = json.loads(body)
        kind, data = event.get("kind"), event.get("data", {})
        if kind == "collected":
            # Public and hidden tests are collected in turn, and a resumed run lists
            # only what is left: the listing grows by what it has not seen yet.
            known = {t["id"] for t in self.collected}
            fresh = [t for t in data.get("tests", []) if t.get("id") not in known]
            if fresh:
                self.collected.extend(fresh)
                self.emit("collected", {"total": len(self.collected), "tests": list(self.collected)})
            self._next_test()
        elif kind == "test":
            test = self._learner_view(TestResult.from_json(data))
            if test.id in self.tests:
                return
            self.tests[test.id] = test
            self._next_test()
            self.emit("test", test.to_json())
        elif kind == "done":
            self.done = data

    def _next_test(self) -> None:
        """The harness runs the tests it lists one at a time, in the listed order, and
        reports each before the next starts: the one running is the first listed
        without a result (none between the public and the hidden phase)."""
        self.current = next((t["id"] for t in self.collected if t["id"] not in self.tests), None)
        self.current_started = time.monotonic()
        if self.current is not None:
            self.current_limit = self._test_limit()

    def _learner_view(self, test: TestResult) -> TestResult:
        # Every detail is kept (instructors see hidden tests' failures); what a learner
        # is shown is decided where results are served (results.learner_result).
        return test

    # -- the run -----------------------------------------------------------------------
    async def execute(
        self,
        kernel: GradingKernel,
        nb: dict[str, Any],
        files: dict[str, str],
        sources: dict[str, str],
    ) -> None:
        """One attempt: the notebook then the tests not yet done, in ``kernel``."""
        self.attempts += 1
        self.current = None
        self.done = None
        self.replies = {}
        self.stopped_in_attempt = False
        self.killed_by_us = False
        if self.attempts == 1:
            # Setting up the first kernel (its own 30 s limit) is not the learner's
            # time: the budget starts with the notebook's first cell (see _run_cells).
            self.deadline = time.monotonic() + SETUP_S + self.budget_s
            self._static = _static_list(sources)
        await asyncio.to_thread(populate_workdir, kernel.workdir, self.challenge, nb, files)
        # A kernel running as its own user may change the files it was given.
        await asyncio.to_thread(kernel.hand_over, kernel.workdir)
        cells = code_cells(nb)
        internal = {
            "prepare": len(nb["cells"]),
            "tests": len(nb["cells"]) + 1,
        }
        full = dict(nb)
        full["cells"] = [dict(c, source=cell_source(c)) for c in nb["cells"]] + [
            _code_cell(self._prepare_code(kernel), {"codequest_timeout": 30}),
            # Written when its turn comes: it carries the budget's end.
            _code_cell("", {"codequest_timeout": None}),
        ]
        client = _GradingClient.create(full, kernel, self)
        watchdog = asyncio.get_running_loop().create_task(self._watchdog(kernel))
        try:
            if await self._run_cells(client, kernel, cells, internal) and await kernel.is_alive():
                client.nb.cells[internal["tests"]].source = self._tests_code(kernel, sources)
                await self._run_tests(client, kernel, internal["tests"])
        except Exception as exc:  # noqa: BLE001 - never raise for what a kernel sent
            # jupyter_client refuses a message it cannot read (e.g. "Invalid Signature"
            # from a kernel starved of memory): stop that kernel, go on as after a death.
            log.warning("grading kernel sent an unreadable message: %r", exc)
            self.killed_by_us = True
            await kernel.kill()
            message = f"The kernel sent a message that could not be read ({exc}) and was stopped."
            current = self.current
            if current is not None and current not in self.tests:
                self._stop_test(current, "error", message)
            elif not self.tests:
                self._set_error(GradeError("kernel_died", message))
        finally:
            watchdog.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watchdog

    def can_resume(self) -> bool:
        """Whether the tests left after a stopped test should run in a fresh kernel."""
        if not self.stopped_in_attempt or self.run_timed_out or not self.collected:
            return False
        if self.attempts > MAX_RESUMES or self.out_of_time(MIN_SHARE_S + 0.5):
            return False
        return any(t["id"] not in self.tests for t in self.collected)

    async def _run_cells(self, client, kernel: GradingKernel, cells, internal) -> bool:
        """Run the notebook; False when the kernel did not survive it."""
        from nbclient.exceptions import DeadKernelError

        prepare = client.nb.cells[internal["prepare"]]
        try:
            await client.async_execute_cell(prepare, internal["prepare"], store_history=False)
        except DeadKernelError:
            self._kernel_died(kernel, None, during="setting up")
            return False
        if self.attempts == 1:
            self.deadline = time.monotonic() + self.budget_s - WRAP_UP_S
        for index, _source in cells:
            if self.run_timed_out:
                return False
            try:
                await client.async_execute_cell(client.nb.cells[index], index)
            except DeadKernelError:
                self._kernel_died(kernel, index, during=f"running cell {index + 1}")
                return False
            reply = self.replies.get(index, {}).get("content", {})
            if reply.get("status") == "error" and self.attempts == 1:
                self._cell_failed(index, reply)
        return not self.run_timed_out

    def _cell_failed(self, index: int, reply: dict[str, Any]) -> None:
        ename, evalue = reply.get("ename", "Error"), reply.get("evalue", "")
        tb = _strip_ansi("\n".join(reply.get("traceback", []) or []))
        human = index + 1
        # A cell that raised or timed out is a cell error: the tests run after it all the
        # same. Only when they then cannot run at all does it become the run's error
        # (see assemble), as the likeliest reason.
        if ename == "CellTimeout":
            seconds = self.last_cell_limit
            message = f"Cell {human} ran longer than {seconds:g} s and was stopped."
            self.result.cell_errors.append(
                CellError(index, "TimeoutError", message, None, kind="timeout")
            )
            self._cell_problem(GradeError("timeout", message, cell=index))
            return
        if ename == "MemoryError":
            evalue = f"Cell {human} ran out of memory (the limit is {self.limits.memory_mb} MB)."
            self._cell_problem(GradeError("memory", evalue, cell=index, traceback=tb))
        self.result.cell_errors.append(CellError(index, ename, evalue, tb or None))
        if ename in ("SyntaxError", "IndentationError", "TabError"):
            line = _syntax_line(tb)
            where = f"cell {human}, line {line}" if line else f"cell {human}"
            self._cell_problem(
                GradeError("syntax", f"Syntax error in {where}: {evalue}", cell=index, traceback=tb)
            )

    def _cell_problem(self, error: GradeError) -> None:
        if self.cell_problem is None:
            self.cell_problem = error

    def _set_error(self, error: GradeError) -> None:
        if self.result.error is None:
            self.result.error = error

    def _kernel_died(self, kernel: GradingKernel, index: int | None, *, during: str) -> None:
        code = kernel.exit_code()
        sig = _signal_name(code)
        if self.run_timed_out:
            if self.tests:
                # Tests ran in an earlier kernel of this run: the budget ran out before
                # the rest could; they are not run, saying so (not the run's error).
                return
            self._set_error(
                GradeError("timeout", f"The run used up its time budget of {self.budget_s:g} s "
                           f"and was stopped while {during}.", cell=index)
            )
            return
        if sig == "SIGXCPU":
            error = GradeError("timeout", f"The notebook used too much CPU time while {during}.", cell=index)
        elif sig == "SIGSEGV":
            error = GradeError(
                "kernel_died", f"The kernel crashed (segmentation fault) while {during}.", cell=index
            )
        elif sig == "SIGKILL" and not self.killed_by_us:
            # Memory limits end in a MemoryError, not a kill: this came from outside.
            error = GradeError(
                "kernel_died",
                f"The kernel was killed (SIGKILL) from outside while {during}: by the "
                "system when the machine runs short of memory, or by an administrator.",
                cell=index,
            )
        elif code is not None and code >= 0:
            error = GradeError(
                "kernel_died",
                f"The kernel exited (exit code {code}) while {during}; "
                "code such as os._exit() ends the kernel and stops grading.",
                cell=index,
            )
        else:
            what = f" ({sig})" if sig else ""
            error = GradeError("kernel_died", f"The kernel died{what} while {during}.", cell=index)
        self._set_error(error)

    async def _run_tests(self, client, kernel: GradingKernel, index: int) -> None:
        from nbclient.exceptions import DeadKernelError

        self.test_phase = True
        try:
            await client.async_execute_cell(client.nb.cells[index], index, store_history=False)
        except DeadKernelError:
            if self.stopped_in_attempt:
                return  # the watchdog stopped a test; its result is recorded
            current = self.current
            if self.run_timed_out and (self.tests or current is not None):
                # The tests were running when the budget ran out: the one running is
                # stopped, the rest are not run (see _not_run_reason); not the run's error.
                if current is not None and current not in self.tests:
                    self._stop_test(current, "timeout", self._budget_message("Stopped"))
                return
            if current is None or current in self.tests:
                self._kernel_died(kernel, None, during="running the tests")
                return
            self._kernel_died(kernel, None, during=f"running the test {current}")
            message = self.result.error.message if self.result.error else "The kernel died."
            self._stop_test(current, "error", message)
            return
        finally:
            self.test_phase = False
        reply = self.replies.get(index, {}).get("content", {})
        # A "done" event carrying an error means pytest itself was broken by the notebook.
        broken = self.done is None or "error" in self.done
        if broken and reply.get("status") == "error":
            self._set_error(
                GradeError(
                    "notebook",
                    "The tests could not run to the end: "
                    f"{reply.get('ename')}: {_first_line(reply.get('evalue'))}. "
                    "Does the notebook replace pytest, unittest or a builtin?",
                )
            )

    async def _watchdog(self, kernel: GradingKernel) -> None:
        """Kill the kernel when a test or the whole run exceeds its limit."""
        grace = self.grader.settings.grace_s
        while True:
            await asyncio.sleep(0.1)
            now = time.monotonic()
            current = self.current
            limit = self.current_limit
            if (
                current is not None
                and self.test_phase
                and now - self.current_started > limit + grace
            ):
                self._stop_test(current, "timeout", self._timeout_message(limit))
                self.killed_by_us = True
                await kernel.kill()
                return
            if now > self.deadline:
                self.run_timed_out = True
                self.killed_by_us = True
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
        left += sum(
            1 for t in self._static if t["id"].split("::", 1)[0] not in listed
        )
        return left

    def _test_limit(self) -> float:
        """The time limit of the test starting now (the harness works it out alike)."""
        limit = self.limits.timeout_s
        remaining = self.deadline - time.monotonic()
        if any(t.status == "timeout" for t in self.tests.values()):
            limit = min(limit, max(remaining / max(self._tests_left(), 1), MIN_SHARE_S))
        return max(min(limit, remaining), MIN_SHARE_S)

    def _timeout_message(self, limit: float) -> str:
        if limit < self.limits.timeout_s:
            return (
                f"Took longer than {limit:.2g} s and was stopped: its share of what was left "
                f"of the run's {self.budget_s:g} s budget after an earlier test ran out of time."
            )
        return f"Took longer than {self.limits.timeout_s:g} s and was stopped."

    def _budget_message(self, what: str) -> str:
        return (
            f"{what}: the run used up its time budget of {self.budget_s:g} s "
            "(earlier code ran out of time)."
        )

    def _prepare_code(self, kernel: GradingKernel) -> str:
        workdir = str(kernel.workdir)
        budget = self.budget_s + 5
        return (
            "import os as _cq_os, sys as _cq_sys\n"
            # The test machinery is imported from the installation before the work
            # directory (with the learner's files) is on sys.path: a learner's pytest.py
            # or unittest.py must not stand in for the real ones in the harness.
            + "".join(f"__import__({name!r})\n" for name in _harness.HARNESS_IMPORTS)
            + f"_cq_os.chdir({workdir!r})\n"
            f"_cq_sys.path.insert(0, {workdir!r})\n"
            "_cq_sys.dont_write_bytecode = True\n"
            "del _cq_os, _cq_sys\n"
            # Plain tracebacks: quicker to format and easier to read than IPython's context.
            "get_ipython().InteractiveTB.set_mode('Plain')\n"
            + run_limits_code(self.limits.memory_mb, budget, 64)
        )

    def _tests_code(self, kernel: GradingKernel, sources: dict[str, str]) -> str:
        payload = {
            "secret": self.secret.hex(),
            "module": self.challenge.module,
            "files": sources,
            "hidden_prefix": "hidden",
            "deselect": sorted(self.tests),
            "timeout_s": self.limits.timeout_s,
            # The harness's clock is the wall clock (shared with the kernel whatever its
            # namespaces); it starts no test within MIN_SHARE_S of this.
            "deadline": time.time() + (self.deadline - time.monotonic()),
            "budget_s": self.budget_s,
            "min_share_s": MIN_SHARE_S,
            "timed_out": any(t.status == "timeout" for t in self.tests.values()),
            "output_limit": self.limits.output_kb * 1024,
            "run_dir": str(kernel.run_dir),
        }
        return (
            "exec(__import__('marshal').loads(__import__('zlib').decompress("
            f"__import__('binascii').a2b_base64({_harness_code()!r}))), "
            f"{{'__name__': '__codequest_harness__', "
            f"'PAYLOAD': __import__('json').loads({json.dumps(payload)!r})}})"
        )

    # -- the result --------------------------------------------------------------------
    def _stop_test(self, tid: str, status: str, message: str) -> None:
        """Record the result of a test that its kernel could not finish, and stream it."""
        info = next((t for t in self.collected if t["id"] == tid), {})
        test = TestResult(
            id=tid,
            name=info.get("name", tid.rsplit("::", 1)[-1]),
            hidden=bool(info.get("hidden", tid.startswith("hidden/"))),
            status=status,  # type: ignore[arg-type]
            message=message,
            duration_ms=int((time.monotonic() - self.current_started) * 1000),
            max_points=float(info.get("max_points", 1.0)),
        )
        self.tests[tid] = self._learner_view(test)
        self.current = None
        self.stopped_in_attempt = True
        self.emit("test", self.tests[tid].to_json())

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
        if not expected or self.done is None or "error" in self.done:
            # The run ended before every file was collected (the hidden tests are only
            # collected after the public ones ran): count the rest as read from source.
            listed = {t["id"].split("::", 1)[0] for t in expected}
            expected += [
                t for t in _static_list(sources) if t["id"].split("::", 1)[0] not in listed
            ]
        reason = self._not_run_reason()
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
            tests.append(self._learner_view(test))
        self.result.tests = tests

    def _not_run_reason(self) -> str:
        if self.result.error is not None:
            return f"Not run: {self.result.error.message}"
        if self.run_timed_out or self.out_of_time(MIN_SHARE_S + 0.5):
            return self._budget_message("Not run")
        if self.stopped_in_attempt:
            return "Not run: earlier tests had to be stopped too often."
        return "Not run."


def _code_cell(source: str, metadata: dict[str, Any]) -> dict[str, Any]:
    return {
        "cell_type": "code",
        "id": "codequest-" + hashlib.sha1(source.encode()).hexdigest()[:8],
        "metadata": metadata,
        "source": source,
        "outputs": [],
        "execution_count": None,
    }


def _static_list(sources: dict[str, str]) -> list[dict[str, Any]]:
    """The tests of each file as read from its source (when the kernel never listed them)."""
    out = []
    for rel, source in sources.items():
        name = rel.rsplit("/", 1)[-1]
        if not (name.startswith("test_") or name.endswith("_test.py")):
            continue
        for nodeid, test_name, points in _harness._static_tests_from_source(source, rel):
            out.append(
                {"id": nodeid, "name": test_name, "hidden": rel.startswith("hidden/"),
                 "max_points": points}
            )
    return out


def _content_size(content: Any) -> int:
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


def _strip_ansi(text: str) -> str:
    import re

    return re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", text)


def _syntax_line(traceback: str) -> int | None:
    import re

    match = re.search(r"line (\d+)", traceback)
    return int(match.group(1)) if match else None
