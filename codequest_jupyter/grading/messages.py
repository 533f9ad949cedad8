"""The learner-facing wording of every way a grading run can go wrong.

Pure functions from what happened (an exit code, a cell's error reply, a limit) to the
words a learner reads in a result: no kernel, no clock, no state. The run decides
*when* each applies (see :mod:`.run`); this module only says it. The harness words the
outcomes it sees inside the kernel itself (a test's own timeout, failure or error; see
:mod:`.harness.recorder`), alike where the two meet (a test's time limit).
"""

from __future__ import annotations

import re
import signal
from typing import Any

from ..results import CellError, GradeError

SYNTAX_ERRORS = ("SyntaxError", "IndentationError", "TabError")


def signal_name(code: int | None) -> str | None:
    """The signal that ended a process with exit status ``code`` (negative), if any."""
    if code is None or code >= 0:
        return None
    try:
        return signal.Signals(-code).name
    except ValueError:
        return f"signal {-code}"


def first_line(text: str | None) -> str:
    return (text or "").strip().splitlines()[0] if (text or "").strip() else ""


def strip_ansi(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", text)


def syntax_line(traceback: str) -> int | None:
    match = re.search(r"line (\d+)", traceback)
    return int(match.group(1)) if match else None


# -- the kernel ------------------------------------------------------------------------
def kernel_start_failed(exc: BaseException) -> GradeError:
    return GradeError("internal", f"The grading kernel could not start: {exc}")


def kernel_died(
    exit_code: int | None, *, killed_by_us: bool, during: str, cell: int | None
) -> GradeError:
    """Why the kernel ended while ``during`` ("running cell 3", "setting up"...)."""
    sig = signal_name(exit_code)
    if sig == "SIGXCPU":
        return GradeError(
            "timeout", f"The notebook used too much CPU time while {during}.", cell=cell
        )
    if sig == "SIGSEGV":
        return GradeError(
            "kernel_died", f"The kernel crashed (segmentation fault) while {during}.", cell=cell
        )
    if sig == "SIGKILL" and not killed_by_us:
        # Memory limits end in a MemoryError, not a kill: this came from outside.
        return GradeError(
            "kernel_died",
            f"The kernel was killed (SIGKILL) from outside while {during}: by the "
            "system when the machine runs short of memory, or by an administrator.",
            cell=cell,
        )
    if exit_code is not None and exit_code >= 0:
        return GradeError(
            "kernel_died",
            f"The kernel exited (exit code {exit_code}) while {during}; "
            "code such as os._exit() ends the kernel and stops grading.",
            cell=cell,
        )
    what = f" ({sig})" if sig else ""
    return GradeError("kernel_died", f"The kernel died{what} while {during}.", cell=cell)


def unreadable_message(exc: BaseException) -> str:
    """A kernel sent a message jupyter_client refused (e.g. "Invalid Signature")."""
    return f"The kernel sent a message that could not be read ({exc}) and was stopped."


def kernel_died_fallback() -> str:
    return "The kernel died."


# -- the run's time budget -------------------------------------------------------------
def budget_used_up(budget_s: float, *, during: str, cell: int | None) -> GradeError:
    return GradeError(
        "timeout",
        f"The run used up its time budget of {budget_s:g} s and was stopped while {during}.",
        cell=cell,
    )


def budget_message(what: str, budget_s: float) -> str:
    """``what`` ("Stopped", "Not run") because the run's budget ran out."""
    return (
        f"{what}: the run used up its time budget of {budget_s:g} s (earlier code ran out of time)."
    )


def test_timeout(limit: float, timeout_s: float, budget_s: float) -> str:
    """A test stopped after ``limit`` seconds (its share of the budget when below the
    challenge's ``timeout_s``); the harness words its own timeouts alike."""
    if limit < timeout_s:
        return (
            f"Took longer than {limit:.2g} s and was stopped: its share of what was left "
            f"of the run's {budget_s:g} s budget after an earlier test ran out of time."
        )
    return f"Took longer than {timeout_s:g} s and was stopped."


def not_run(
    error: GradeError | None, *, out_of_budget: bool, stopped: bool, budget_s: float
) -> str:
    """Why a test expected by the run has no result."""
    if error is not None:
        return f"Not run: {error.message}"
    if out_of_budget:
        return budget_message("Not run", budget_s)
    if stopped:
        return "Not run: earlier tests had to be stopped too often."
    return "Not run."


# -- the notebook ----------------------------------------------------------------------
def cell_failure(
    index: int, reply: dict[str, Any], *, cell_limit: float, memory_mb: int
) -> tuple[CellError, GradeError | None]:
    """A notebook cell's error reply as the result's cell error, and the run's error it
    becomes when the tests then cannot run at all (None: only a cell error)."""
    ename, evalue = reply.get("ename", "Error"), reply.get("evalue", "")
    tb = strip_ansi("\n".join(reply.get("traceback", []) or []))
    human = index + 1
    if ename == "CellTimeout":
        message = f"Cell {human} ran longer than {cell_limit:g} s and was stopped."
        return (
            CellError(index, "TimeoutError", message, None, kind="timeout"),
            GradeError("timeout", message, cell=index),
        )
    problem = None
    if ename == "MemoryError":
        evalue = f"Cell {human} ran out of memory (the limit is {memory_mb} MB)."
        problem = GradeError("memory", evalue, cell=index, traceback=tb)
    elif ename in SYNTAX_ERRORS:
        line = syntax_line(tb)
        where = f"cell {human}, line {line}" if line else f"cell {human}"
        message = f"Syntax error in {where}: {evalue}"
        problem = GradeError("syntax", message, cell=index, traceback=tb)
    return CellError(index, ename, evalue, tb or None), problem


def tests_broken(ename: Any, evalue: Any) -> GradeError:
    """pytest itself did not run to the end, broken by what the notebook did."""
    return GradeError(
        "notebook",
        "The tests could not run to the end: "
        f"{ename}: {first_line(evalue)}. "
        "Does the notebook replace pytest, unittest or a builtin?",
    )
