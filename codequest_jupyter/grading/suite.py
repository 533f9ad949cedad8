"""Where a run's tests are collected and run: the seam between the run and its tests.

The run (:mod:`.run`) prepares a kernel, runs the learner's notebook in it, keeps the
time budget and the watchdog, and assembles the result. Collecting and running the
challenge's tests is one object's job, a *test runner*: given a :class:`TestRequest`
and the attempt's kernel, it runs the tests and reports what it learns to the run's
:class:`TestEvents` (the listing, each result, the end), and returns why the tests
could not run to the end, if they could not. A kernel that dies under it raises
nbclient's ``DeadKernelError`` to the run, which words it.

:class:`InKernelTests` is today's runner: the :mod:`.harness` runs pytest inside the
learner's kernel and signs its events with a per-run secret; the nbclient output hook
hands this object every message on the result channel (:meth:`on_channel`). A runner
that runs the tests elsewhere (a trusted judge process calling into the kernel) takes
its place in :class:`~.run.GradingRun` and reports through the same events:
:class:`codequest_jupyter.judge.suite.JudgeTests`, for challenges graded with
``isolation = "judge"``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..results import GradeError
from .attempt import Attempt
from .kernel import GradingKernel
from .kernel_code import tests_code


@dataclass
class TestRequest:
    """What a run asks of its test runner in one attempt."""

    __test__ = False  # not a pytest test class

    module: str  # the challenge's module name: the learner's notebook as a module
    sources: dict[str, str]  # test files (hidden ones under "hidden/") and their helpers
    deselect: list[str]  # tests reported by an earlier attempt
    timeout_s: float  # a test's time limit
    deadline: float  # the run's budget ends (time.monotonic())
    budget_s: float  # the budget's length (for messages)
    min_share_s: float  # no test starts within this of the deadline
    timed_out: bool  # a test of an earlier attempt ran out of time: the rest share
    output_limit: int  # bytes of captured output kept per test
    data: dict[str, bytes] = field(default_factory=dict)  # files beside the tests
    work: dict[str, bytes] = field(default_factory=dict)  # files of the kernel's work dir


class TestEvents(Protocol):
    """Where a test runner reports (the run)."""

    def on_collected(self, tests: list[dict[str, Any]]) -> None: ...

    def on_test(self, data: dict[str, Any]) -> None: ...

    def on_done(self, data: dict[str, Any]) -> None: ...


class TestRunner(Protocol):
    async def begin(self, request: TestRequest, *, kernel: GradingKernel) -> None:
        """An attempt starts, before the notebook runs (a runner may start a process
        of its own now); ``end`` follows on every path."""
        ...

    async def end(self) -> None: ...

    async def run(
        self,
        request: TestRequest,
        *,
        attempt: Attempt,
        kernel: GradingKernel,
        client: Any,
        cell: int,
    ) -> tuple[Any, Any] | GradeError | None:
        """Run the tests; (exception name, value) when pytest itself was broken by the
        notebook, or the run's error when the tests could not run."""
        ...


class InKernelTests:
    """The challenge's tests run by the harness inside the learner's kernel."""

    __test__ = False  # not a pytest test class

    def __init__(self, events: TestEvents):
        self.secret = secrets.token_bytes(32)
        self.events = events
        self.forged = 0  # messages on the channel without a valid signature

    async def begin(self, request: TestRequest, *, kernel: GradingKernel) -> None:
        return None

    async def end(self) -> None:
        return None

    async def run(
        self,
        request: TestRequest,
        *,
        attempt: Attempt,
        kernel: GradingKernel,
        client: Any,
        cell: int,
    ) -> tuple[Any, Any] | None:
        """Run the harness in the notebook's tests cell ``cell`` (written now: it
        carries the budget's end); the tests' cell error when pytest was broken."""
        payload = {
            "secret": self.secret.hex(),
            "module": request.module,
            "files": request.sources,
            # Files beside the tests (tests/data/...), written next to them.
            "data": {
                rel: base64.b64encode(content).decode() for rel, content in request.data.items()
            },
            "hidden_prefix": "hidden",
            "deselect": request.deselect,
            "timeout_s": request.timeout_s,
            # The harness's clock is the wall clock (shared with the kernel whatever its
            # namespaces); it starts no test within min_share_s of this.
            "deadline": time.time() + (request.deadline - time.monotonic()),
            "budget_s": request.budget_s,
            "min_share_s": request.min_share_s,
            "timed_out": request.timed_out,
            "output_limit": request.output_limit,
            "run_dir": str(kernel.run_dir),
        }
        client.nb.cells[cell].source = tests_code(payload)
        await client.async_execute_cell(client.nb.cells[cell], cell, store_history=False)
        reply = attempt.replies.get(cell, {}).get("content", {})
        # A "done" event carrying an error means pytest itself was broken by the notebook.
        broken = attempt.done is None or "error" in attempt.done
        if broken and reply.get("status") == "error":
            return reply.get("ename"), reply.get("evalue")
        return None

    def on_channel(self, message: Any, *, open: bool) -> None:
        """A message on the result channel (``open``: while the tests cell runs):
        accept it only with a valid signature."""
        if not open or not isinstance(message, dict):
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
            self.events.on_collected(data.get("tests", []))
        elif kind == "test":
            self.events.on_test(data)
        elif kind == "done":
            self.events.on_done(data)
