"""One attempt of a grading run: what a single kernel's part of the run changes.

A run grades in one kernel, and in a fresh one when a test had to be stopped with its
kernel (see :meth:`.run.GradingRun.can_resume`). Everything that belongs to one kernel
lives in an :class:`Attempt`, made afresh for each: nothing is reset by hand. What
outlives a kernel (the tests listed and reported, the time budget, the result) is the
run's.

Three actors share an attempt, all on the event loop (none runs while another awaits
nothing, so no locks): who writes what is stated per field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Attempt:
    """The state of one kernel's part of a run.

    Writers: *execute* (the run's attempt, :meth:`.run.GradingRun.execute`), *events*
    (nbclient's hooks: a cell's reply, a verified harness event, see :mod:`.client`),
    *watchdog* (:meth:`.run.GradingRun.watchdog`).
    """

    number: int  # 1 for the run's first kernel
    # The time limit of the notebook cell that ran last (written by nbclient's timeout
    # hook, read when that cell's error is worded).
    last_cell_limit: float
    # The tests' cell is running: the result channel is open (execute).
    test_phase: bool = False
    # Execute replies by cell index (events).
    replies: dict[int, dict[str, Any]] = field(default_factory=dict)
    # The test the harness runs now, when it started and its limit (events; the
    # watchdog and execute clear it when they record its result themselves).
    current: str | None = None
    current_started: float = 0.0
    current_limit: float = 0.0
    # The harness's "done" event, when it came (events).
    done: dict[str, Any] | None = None
    # A test was stopped with this kernel and recorded by the engine (watchdog, execute).
    stopped: bool = False
    # The engine killed this kernel itself (watchdog, execute): a SIGKILL is no mystery.
    killed_by_us: bool = False
