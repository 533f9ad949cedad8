"""What a Tests panel does, without the widgets: runs, history, hints, the schedule,
on worker threads.

The kernel's main thread must never wait for a grading (the learner's next cell, and
the widgets' own messages, go through it). Every network call and every grading runs
on a daemon thread; listeners hear about each change from that thread and redraw.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from .history import Hints, HistoryEntry
from .model import RunState

log = logging.getLogger(__name__)
Listener = Callable[[str], None]  # called with "run", "history", "hints" or "schedule"


class Backend(Protocol):
    kind: str
    challenge_id: str
    title: str
    difficulty: str

    @property
    def notebook_label(self) -> str: ...

    def describe(self) -> str: ...

    def run(
        self,
        mode: str,
        state: RunState,
        changed: Callable[[], None],
        stop: threading.Event,
    ) -> None: ...

    def history(self, limit: int) -> list[HistoryEntry]: ...

    def hints(self) -> Hints: ...

    def schedule(self, refresh: bool = False) -> dict[str, Any]: ...


class PanelController:
    """Runs gradings through a backend and keeps the panel's state.

    Parameters
    ----------
    backend
        A :class:`~.backends.ServerBackend` or :class:`~.backends.LocalBackend`.
    history_limit
        How many earlier submissions the history shows.
    """

    def __init__(self, backend: Backend, *, history_limit: int = 5):
        self.backend = backend
        self.history_limit = history_limit
        self.state: RunState | None = None
        self.history: list[HistoryEntry] = []
        self.history_error: str | None = None
        self.hints: Hints | None = None
        self.hints_error: str | None = None
        #: The challenge's deadlines and submissions used (deadline.SCHEDULE_KEYS).
        self.schedule: dict[str, Any] = backend.schedule()
        self._listeners: list[Listener] = []
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()

    # -- listeners ----------------------------------------------------------------

    def on_change(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def _notify(self, what: str) -> None:
        for listener in list(self._listeners):
            try:
                listener(what)
            except Exception:  # a broken view must not stop the grading
                log.exception("CodeQuest panel: redraw failed")

    # -- background work ----------------------------------------------------------

    def _spawn(self, name: str, target: Callable[[], None]) -> threading.Thread:
        thread = threading.Thread(target=target, name=f"codequest-{name}", daemon=True)
        with self._lock:
            self._threads = [t for t in self._threads if t.is_alive()]
            self._threads.append(thread)
        thread.start()
        return thread

    @property
    def busy(self) -> bool:
        """Whether a grading is under way."""
        state = self.state
        return state is not None and state.is_active

    def start(self, mode: str) -> RunState:
        """Start grading in ``mode`` ("run" or "submit") on a worker thread.

        Raises RuntimeError while another grading of this panel is under way.
        """
        if mode not in ("run", "submit"):
            raise ValueError(f"mode must be 'run' or 'submit', not {mode!r}")
        with self._lock:
            if self.busy:
                raise RuntimeError("A grading is already under way")
            state = self.state = RunState(mode=mode)
        self._notify("run")

        def work() -> None:
            try:
                self.backend.run(mode, state, lambda: self._notify("run"), self._stop)
            except Exception as exc:  # noqa: BLE001 - a bug, or a failure below the backend's handling
                state.fail(f"Grading failed: {exc}")
            if state.is_active:  # stopped before the end
                state.fail("Stopped following this grading.")
            self._notify("run")
            if mode == "submit":
                # Counted when accepted; a refusal may mean the count shown was stale.
                self._load_schedule()
            self._load_history()

        self._spawn(f"{mode}-{self.backend.challenge_id}", work)
        return state

    def warm_up(self) -> None:
        """Let the backend prepare in the background (the local one imports the engine)."""
        warm_up = getattr(self.backend, "warm_up", None)
        if warm_up is not None:
            self._spawn("warm-up", warm_up)

    def refresh_history(self) -> None:
        """Reload the history in the background."""
        self._spawn("history", self._load_history)

    def _load_history(self) -> None:
        try:
            self.history = self.backend.history(self.history_limit)
            self.history_error = None
        except Exception as exc:  # noqa: BLE001 - a worker thread reports, never dies silently
            self.history_error = f"The history could not be loaded: {getattr(exc, 'message', exc)}"
        self._notify("history")

    def _load_schedule(self) -> None:
        try:
            self.schedule = self.backend.schedule(refresh=True)
        except Exception:
            log.warning("CodeQuest panel: could not reload the schedule", exc_info=True)
        self._notify("schedule")

    def load_hints(self) -> None:
        """Fetch the hints unlocked so far, in the background."""

        def work() -> None:
            try:
                self.hints = self.backend.hints()
                self.hints_error = None
            except Exception as exc:  # noqa: BLE001 - a worker thread reports, never dies silently
                self.hints_error = f"The hints could not be loaded: {getattr(exc, 'message', exc)}"
            self._notify("hints")

        self._spawn("hints", work)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until all background work of this panel is done; False on timeout.

        For scripts and tests: in a notebook, the panel fills in by itself.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            with self._lock:
                pending = [t for t in self._threads if t.is_alive()]
            if not pending:
                return True
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                return False
            pending[0].join(remaining)

    def close(self) -> None:
        """Stop following gradings (a server grading carries on and is stored)."""
        self._stop.set()

    def snapshot(self) -> dict[str, Any]:
        """Plain data of what the panel shows (for tests and logging)."""
        return {
            "backend": self.backend.kind,
            "challenge": self.backend.challenge_id,
            "run": self.state.snapshot() if self.state is not None else None,
            "history": [(h.mode, h.status, h.score_text) for h in self.history],
            "hints": None if self.hints is None else list(self.hints.unlocked),
        }
