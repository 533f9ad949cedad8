"""Where a panel's gradings happen: the CodeQuest server, or a local grader.

:class:`ServerBackend` submits to the running CodeQuest server (so the submission is
stored and shows up in every history) and follows its event stream.
:class:`LocalBackend` grades the saved notebook with the same engine the server uses,
in a fresh sandboxed kernel, on an event loop of its own; nothing is stored.
:func:`.choose.open_backend` picks one. Both feed a :class:`~.model.RunState` from the calling
(worker) thread; neither imports ipywidgets.
"""

from __future__ import annotations

import asyncio
import getpass
import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..challenges import (
    Challenge,
)
from ..results import learner_result, learner_test, new_submission_id, utc_now_iso
from .client import ApiError
from .deadline import SCHEDULE_KEYS
from .discovery import (
    Connection,
)
from .history import Hints, HistoryEntry
from .model import RunState

Changed = Callable[[], None]


class PanelSetupError(RuntimeError):
    """The panel cannot work: no challenge, no notebook, a server that does not answer."""


def read_saved_notebook(path: Path) -> dict[str, Any]:
    """The notebook as last saved, or :class:`PanelSetupError` saying what is wrong."""
    try:
        notebook = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PanelSetupError(
            f"There is no saved notebook at {path}. Save the notebook first."
        ) from None
    except (OSError, ValueError) as exc:
        raise PanelSetupError(f"The notebook {path} could not be read: {exc}") from None
    if not isinstance(notebook, dict):
        raise PanelSetupError(f"The file {path} is not a notebook.")
    return notebook


def read_local_submission(
    challenge: Challenge, notebook_path: Path
) -> tuple[dict[str, Any], dict[str, str]]:
    """The saved notebook and the learner's copies of the starter files next to it.

    The same choice the server makes for a notebook in the workspace: locked files and
    files that are not UTF-8 text are left out (the challenge's own copy is graded).
    """
    notebook = read_saved_notebook(notebook_path)
    files: dict[str, str] = {}
    folder = notebook_path.parent
    for rel in challenge.starter_files():
        if challenge.is_locked(rel):
            continue
        try:
            files[rel] = (folder / rel).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue  # missing or binary: the grader uses the challenge's copy
    return notebook, files


# -- the server -----------------------------------------------------------------------


class ServerBackend:
    """Grades through the CodeQuest server; submissions are stored in its history."""

    kind = "server"

    def __init__(self, connection: Connection, challenge_id: str, detail: dict[str, Any]):
        self.connection = connection
        self.client = connection.client
        self.challenge_id = challenge_id
        self.title = str(detail.get("title") or challenge_id)
        self.difficulty = str(detail.get("difficulty") or "")
        self._detail = detail

    @property
    def notebook_label(self) -> str:
        """What gets graded, in words."""
        if self.connection.notebook_relpath:
            return self.connection.notebook_relpath
        if self.connection.notebook_path is not None:
            return str(self.connection.notebook_path)
        workspace = self._detail.get("workspace") or {}
        return str(workspace.get("path") or "the challenge's workspace copy")

    @property
    def notebook_path(self) -> Path | None:
        return self.connection.notebook_path

    def describe(self) -> str:
        user = f" as {self.connection.user}" if self.connection.user else ""
        return f"Graded by the CodeQuest server at {self.client.url}{user}; saved to your history."

    def run(self, mode: str, state: RunState, changed: Changed, stop: threading.Event) -> None:
        """Submit and follow one grading (blocking: call it on a worker thread)."""
        conn = self.connection
        try:
            if conn.notebook_relpath is not None:
                accepted = self.client.submit(self.challenge_id, mode, path=conn.notebook_relpath)
            elif conn.notebook_path is not None:
                # The server cannot see this file: send its saved content.
                notebook, files = _read_for_upload(conn.notebook_path, self._detail)
                accepted = self.client.submit(
                    self.challenge_id, mode, notebook=notebook, files=files
                )
            else:
                accepted = self.client.submit(self.challenge_id, mode)
        except (ApiError, PanelSetupError) as exc:
            state.fail(_message(exc))
            changed()
            return
        state.submitted(accepted.get("id"))
        changed()

        def on_event(kind: str, data: dict[str, Any]) -> None:
            state.apply(kind, data)
            changed()

        try:
            self.client.follow(str(accepted["id"]), on_event, stop=stop)
        except ApiError as exc:
            state.fail(f"Lost track of the grading: {exc.message}")
            changed()

    def schedule(self, refresh: bool = False) -> dict[str, Any]:
        """The challenge's deadlines and this learner's submissions used (``refresh``:
        asked again from the server, as after a submit)."""
        if refresh:
            self._detail = self.client.challenge(self.challenge_id)
        return {key: self._detail.get(key) for key in SCHEDULE_KEYS}

    def history(self, limit: int) -> list[HistoryEntry]:
        reply = self.client.history(self.challenge_id, limit=limit)
        return [HistoryEntry.from_json(s) for s in reply.get("submissions", [])]

    def hints(self) -> Hints:
        self._detail = self.client.challenge(self.challenge_id)
        return Hints(
            unlocked=tuple(str(h.get("text", "")) for h in self._detail.get("hints", [])),
            locked=int(self._detail.get("locked_hints") or 0),
        )


def _read_for_upload(path: Path, detail: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The saved notebook and the unlocked starter files beside it, for the request body
    (``detail`` is the challenge's ``GET challenges/{id}`` reply: its files and locks)."""
    notebook = read_saved_notebook(path)
    locked = [str(p).rstrip("/") for p in detail.get("locked") or []]

    def is_locked(rel: str) -> bool:
        return any(rel == lp or rel.startswith(lp + "/") for lp in locked)

    files: dict[str, str] = {}
    for entry in detail.get("files") or []:
        target = path.parent / entry
        found = sorted(p for p in target.rglob("*") if p.is_file()) if target.is_dir() else [target]
        for file in found:
            rel = file.relative_to(path.parent).as_posix()
            if is_locked(rel) or "__pycache__" in file.parts:
                continue
            try:
                files[rel] = file.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue  # missing or binary: the grader uses the challenge's copy
    return notebook, files


# -- locally ----------------------------------------------------------------------


class LocalBackend:
    """Grades the saved notebook here, in a fresh sandboxed kernel; nothing is stored."""

    kind = "local"

    def __init__(
        self,
        challenge: Challenge,
        notebook_path: Path | None,
        *,
        settings: Any = None,
        user: str | None = None,
    ):
        self.challenge = challenge
        self.challenge_id = challenge.id
        self.title = challenge.title
        self.difficulty = challenge.difficulty
        self.notebook_path = notebook_path
        self.settings = settings
        self.user = user if user is not None else _user_name()
        self.failed_attempts = 0
        self._history: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    @property
    def notebook_label(self) -> str:
        return str(self.notebook_path) if self.notebook_path else "(notebook not found)"

    def warm_up(self) -> None:
        """Import the grading engine ahead of the first press (about a second, cold)."""
        from .. import grading  # noqa: F401

    def describe(self) -> str:
        return "Graded locally, not saved to your history (no CodeQuest server was found)."

    def schedule(self, refresh: bool = False) -> dict[str, Any]:
        """The challenge's deadlines; submissions are not counted locally."""
        return {**self.challenge.schedule.to_json(), "submissions_used": None}

    def run(self, mode: str, state: RunState, changed: Changed, stop: threading.Event) -> None:
        """Grade once on this (worker) thread, with an event loop of its own."""
        if self.notebook_path is None:
            state.fail(
                "Could not find this notebook's file. Name it: "
                f"TestsPanel({self.challenge_id!r}, notebook='path/to/notebook.ipynb')."
            )
            changed()
            return
        try:
            notebook, files = read_local_submission(self.challenge, self.notebook_path)
        except PanelSetupError as exc:
            state.fail(str(exc))
            changed()
            return
        sid = new_submission_id()
        state.submitted(sid)
        changed()
        shown = self.challenge.show_hidden_details

        def on_event(kind: str, data: dict[str, Any]) -> None:
            # The learner's view, as a server serves it: hidden tests' details withheld.
            if kind == "test":
                data = learner_test(data, shown)
            elif kind == "result":
                data = learner_result(data, shown)
            state.apply(kind, data)
            changed()

        try:
            result = asyncio.run(self._grade(notebook, files, mode, sid, on_event))
        except Exception as exc:  # noqa: BLE001 - SubmissionInvalid, or a kernel that cannot start
            state.fail(f"Grading failed: {exc}")
            changed()
            return
        summary = {k: v for k, v in result.items() if k not in ("tests", "cell_errors")}
        with self._lock:
            self._history.insert(0, summary)
            if mode == "submit" and result.get("status") != "passed":
                self.failed_attempts += 1
        on_event("result", result)

    async def _grade(
        self,
        notebook: dict[str, Any],
        files: dict[str, str],
        mode: str,
        sid: str,
        on_event: Callable[[str, dict[str, Any]], None],
    ) -> dict[str, Any]:
        from ..grading import Grader, GradingSettings

        grader = Grader(settings=self.settings or GradingSettings(pool_size=0))
        try:
            result = await grader.grade(
                self.challenge,
                notebook=notebook,
                files=files,
                mode=mode,
                user=self.user,
                submission_id=sid,
                submitted_at=utc_now_iso(),
                on_event=on_event,
            )
        finally:
            await grader.close()
        return result.to_json()

    def history(self, limit: int) -> list[HistoryEntry]:
        with self._lock:
            return [HistoryEntry.from_json(s) for s in self._history[:limit]]

    def hints(self) -> Hints:
        unlocked = self.challenge.unlocked_hints(self.failed_attempts)
        return Hints(
            unlocked=tuple(h.text for h in unlocked),
            locked=len(self.challenge.hints) - len(unlocked),
        )


def _user_name() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no passwd entry (some containers)
        return "learner"


def _message(exc: BaseException) -> str:
    return exc.message if isinstance(exc, ApiError) else str(exc)
