"""The Tests panel as ipywidgets 8, for any notebook frontend.

>>> from codequest_jupyter.widget import TestsPanel
>>> TestsPanel("two-sum")   # or TestsPanel(): the challenge is told from the notebook

The widgets only show a :class:`~.controller.PanelController`'s state: every change
arrives on a worker thread and is drawn under a lock (ipywidgets 8 sends state from
any thread; the kernel's main thread is never held up by a grading).
"""

from __future__ import annotations

import datetime as _dt
import threading
from pathlib import Path
from typing import Any

import ipywidgets as widgets

from . import deadline, render
from .backends import LocalBackend, ServerBackend
from .choose import open_backend
from .controller import PanelController
from .discovery import in_grading_kernel

RESULT_BAR_STYLES = {"passed": "success", "failed": "danger", "error": "warning"}


class TestsPanel(widgets.VBox):
    """Run tests / Submit for a CodeQuest challenge, with results as they arrive.

    Parameters
    ----------
    challenge
        The challenge id (``"two-sum"``) or a challenge directory; default: told from
        the notebook's metadata (``codequest.challenge``), its folder in the workspace
        (``codequest/two-sum/``) or its file name.
    notebook
        The notebook file to grade; default: the notebook this kernel belongs to.
        The last *saved* version is graded.
    server, token
        A CodeQuest server's URL (with its base URL) and token; default: found among
        the running Jupyter servers (and JupyterHub's environment).
    local
        ``None``: grade through a server when one is found, locally otherwise;
        ``True``: always locally (nothing is stored); ``False``: a server is required.
    challenge_dirs
        Where to look for challenges when grading locally (besides
        ``CODEQUEST_CHALLENGE_DIRS`` and the bundled ones).
    history
        How many earlier submissions to list.
    runtime_dir, grading_settings
        Where to look for running servers; the local grader's ``GradingSettings``.
    """

    __test__ = False

    def __init__(
        self,
        challenge: str | Path | None = None,
        *,
        notebook: str | Path | None = None,
        server: str | None = None,
        token: str | None = None,
        local: bool | None = None,
        challenge_dirs: Any = None,
        history: int = 5,
        runtime_dir: str | None = None,
        grading_settings: Any = None,
        **kwargs: Any,
    ):
        self.controller: PanelController | None = None
        if in_grading_kernel():
            # The grader runs this cell too: stay inert there (and never submit).
            super().__init__(
                children=[
                    widgets.HTML("<i>The Tests panel is off while the notebook is graded.</i>")
                ],
                **kwargs,
            )
            return
        backend = open_backend(
            None if challenge is None else str(challenge),
            notebook=notebook,
            server=server,
            token=token,
            local=local,
            challenge_dirs=challenge_dirs,
            runtime_dir=runtime_dir,
            grading_settings=grading_settings,
        )
        controller = self.controller = PanelController(backend, history_limit=history)
        self._draw_lock = threading.RLock()

        self.header = widgets.HTML()
        #: Due date, time left, late policy, submissions used; renewed each minute.
        self.schedule = widgets.HTML()
        #: Why Run tests or Submit is off, when the server would refuse them now.
        self.blocked = widgets.HTML()
        self.run_button = widgets.Button(
            description="Run tests", icon="play", tooltip="Run the public tests"
        )
        self.submit_button = widgets.Button(
            description="Submit",
            icon="check",
            button_style="primary",
            tooltip="Run every test, hidden ones included"
            + (", and save the result" if backend.kind == "server" else ""),
        )
        self.hints_button = widgets.Button(
            description="Hints",
            icon="lightbulb-o",
            tooltip="Show the hints unlocked so far",
        )
        self.progress = widgets.IntProgress(
            value=0, min=0, max=1, layout=widgets.Layout(width="200px")
        )
        self.progress_label = widgets.HTML()
        self.banner = widgets.HTML()
        self.summary = widgets.HTML()
        self.rows = widgets.VBox(layout=widgets.Layout(width="100%"))
        self.hints = widgets.HTML()
        self.history = widgets.HTML(value=render.history_html([], "Loading…"))
        self.history_box = widgets.Accordion(
            children=[self.history], titles=("History",), selected_index=0
        )
        self._row_widgets: list[widgets.HTML] = []

        self.run_button.on_click(lambda _b: self.run_tests())
        self.submit_button.on_click(lambda _b: self.submit())
        self.hints_button.on_click(lambda _b: controller.load_hints())

        kwargs.setdefault(
            "layout",
            widgets.Layout(border="1px solid var(--jp-border-color2, #d0d7de)", padding="6px 10px"),
        )
        super().__init__(
            children=[
                self.header,
                self.schedule,
                widgets.HBox([self.run_button, self.submit_button, self.hints_button]),
                self.blocked,
                widgets.HBox([self.progress, self.progress_label]),
                self.banner,
                self.summary,
                self.rows,
                self.hints,
                self.history_box,
            ],
            **kwargs,
        )
        controller.on_change(self._changed)
        self._draw_header()
        self._draw_run()
        controller.refresh_history()
        controller.warm_up()
        self._clock_stop = threading.Event()
        if any(controller.schedule.get(k) for k in ("opens", "due")):
            threading.Thread(target=self._tick, name="codequest-clock", daemon=True).start()

    # -- actions ------------------------------------------------------------------

    @property
    def active(self) -> bool:
        """False inside a grading kernel, where the panel does nothing."""
        return self.controller is not None

    @property
    def backend(self) -> ServerBackend | LocalBackend:
        return self._controller.backend  # type: ignore[return-value]

    @property
    def _controller(self) -> PanelController:
        assert self.controller is not None, "an inactive panel (inside a grading kernel)"
        return self.controller

    def run_tests(self) -> None:
        """Run the public tests on the saved notebook (what **Run tests** does)."""
        self._start("run")

    def submit(self) -> None:
        """Run every test, hidden ones included (what **Submit** does)."""
        self._start("submit")

    def _start(self, mode: str) -> None:
        if self.controller is None:
            return  # inside a grading kernel
        try:
            self.controller.start(mode)
        except RuntimeError:
            pass  # a grading is under way; the buttons are disabled, a double click lands here

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the current grading (and history/hints loading) is done.

        Not needed in a notebook, where the panel fills in by itself; for scripts.
        """
        return True if self.controller is None else self.controller.wait(timeout)

    @property
    def result(self) -> dict[str, Any] | None:
        """The last grading's result JSON, once it is finished."""
        state = self.controller.state if self.controller is not None else None
        return None if state is None else state.result

    def close(self) -> None:
        """Stop following gradings and close the widgets."""
        # Absent when __init__ failed before setting it (the widget is closed anyway).
        controller = getattr(self, "controller", None)
        if controller is not None:
            controller.close()
            getattr(self, "_clock_stop", threading.Event()).set()
        super().close()

    # -- drawing ------------------------------------------------------------------

    def _changed(self, what: str) -> None:
        with self._draw_lock:
            if what == "run":
                self._draw_run()
                self._draw_header()
            elif what == "history":
                self._draw_history()
            elif what == "schedule":
                self._draw_run()
            elif what == "hints":
                self.hints.value = render.hints_html(
                    self._controller.hints, self._controller.hints_error
                )

    def _draw_header(self) -> None:
        backend = self.backend
        self.header.value = render.header_html(
            backend.title,
            backend.difficulty,
            backend.notebook_label,
            backend.describe(),
            _saved_at(backend.notebook_path),
        )

    def _draw_history(self) -> None:
        controller = self._controller
        note = controller.history_error
        if note is None and self.backend.kind == "local":
            note = "Graded locally: these runs are not saved to your history."
        self.history.value = render.history_html(controller.history, note)

    def _tick(self) -> None:
        """Renew the time left each minute (and at opens/due) until the panel closes."""
        while not self._clock_stop.wait(deadline.seconds_to_next_change(self._controller.schedule)):
            with self._draw_lock:
                self._draw_schedule()

    def _draw_schedule(self, now: _dt.datetime | None = None) -> None:
        """The deadline facts, and the buttons the server would refuse now turned off."""
        controller = self._controller
        schedule = controller.schedule
        self.schedule.value = render.schedule_html(deadline.facts(schedule, now))
        run_off = deadline.blocked(schedule, "run", now)
        submit_off = deadline.blocked(schedule, "submit", now)
        self.blocked.value = render.blocked_html(submit_off or run_off)
        busy = controller.busy
        self.run_button.disabled = busy or run_off is not None
        self.submit_button.disabled = busy or submit_off is not None

    def _draw_run(self) -> None:
        state = self._controller.state
        self._draw_schedule()
        if state is None:
            self.progress.layout.visibility = "hidden"
            return
        with state.lock:
            rows = list(state.rows)
            done, total = state.progress()
            progress_text = state.progress_text()
            banner, cell_errors = state.banner(), state.cell_errors()
            truncated = state.output_truncated()
            status = state.status
        self.progress.layout.visibility = "visible"
        self.progress.max = max(total, 1)
        self.progress.value = done
        self.progress.bar_style = RESULT_BAR_STYLES.get(status, "info")
        self.progress_label.value = (
            f'<span style="{render.FONT}">{render.esc(progress_text)}</span>'
        )
        self.banner.value = render.banner_html(banner, cell_errors, truncated)
        self.summary.value = render.summary_html(state)
        while len(self._row_widgets) < len(rows):
            self._row_widgets.append(widgets.HTML(layout=widgets.Layout(width="100%")))
        for widget, row in zip(self._row_widgets, rows, strict=False):
            widget.value = render.row_html(row)
        if len(self.rows.children) != len(rows):
            self.rows.children = tuple(self._row_widgets[: len(rows)])


def _saved_at(path: Path | None) -> str | None:
    """When the notebook file was last saved, as ``14:32:05``."""
    if path is None:
        return None
    try:
        mtime = path.stat().st_mtime
    except OSError:
        return None
    return _dt.datetime.fromtimestamp(mtime).strftime("%H:%M:%S")
