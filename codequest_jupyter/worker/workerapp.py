"""``codequest worker``: a grading worker process (no web server).

Reads the grading service's configuration file (``--config=codequest_service_config.py``)
so the service and its workers cannot disagree on the library, the database, the
sandbox or the limits: the ``c.CodeQuestApp.*`` settings below apply, then any
``c.CodeQuestWorker.*`` ones (say, a bigger pool on a bigger machine)::

    codequest worker --config=/srv/codequest/codequest_service_config.py

Start as many as the machines allow, each as the service's system user (never a
learner): each grades ``grading_concurrency`` submissions at once with a pool of
``grader_pool_size`` warm kernels. SIGINT/SIGTERM stop it after the gradings in
progress (their kernels and run directories removed).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Any

from jupyter_core.paths import jupyter_data_dir, jupyter_runtime_dir
from traitlets import Dict, Float, Integer, List, TraitError, Unicode, default, validate
from traitlets.config import Application

from .._version import __version__

#: Settings read from ``c.CodeQuestApp`` (the service's), overridden by ``c.CodeQuestWorker``.
SHARED = (
    "challenge_dirs",
    "db_url",
    "sandbox",
    "grader_pool_size",
    "grading_concurrency",
    "default_limits",
    "grading_options",
)


class CodeQuestWorker(Application):
    """Grade submissions queued by the CodeQuest service (procrastinate on PostgreSQL)."""

    name = "codequest-worker"
    description = __doc__
    version = __version__

    config_file = Unicode("", config=True, help="The configuration file (the service's, usually).")
    challenge_dirs = List(Unicode(), config=True, help="Directories holding challenges.")
    db_url = Unicode("", config=True, help="The store's PostgreSQL URL (postgresql+psycopg://...).")
    sandbox = Unicode("bwrap", config=True, help="How grading kernels are confined.")
    grader_pool_size = Integer(2, config=True, help="Warm kernels kept ready.")
    grading_concurrency = Integer(2, config=True, help="Submissions graded at once.")
    default_limits = Dict(config=True, help="Server-wide ceilings for grading runs.")
    grading_options = Dict(config=True, help="Further GradingSettings fields.")
    heartbeat_s = Float(
        10.0, config=True, help="How often the worker tells the database it is alive."
    )
    stalled_worker_s = Float(
        30.0,
        config=True,
        help="Seconds without a heartbeat after which another worker takes a worker's "
        "jobs over (at least twice heartbeat_s).",
    )

    job_retention_days = Float(
        7.0,
        config=True,
        help="Days a finished job (failed, cancelled, aborted; succeeded ones are "
        "deleted as they end) stays in the queue's tables before the workers remove it. "
        "0: never remove (the tables grow with every failed job).",
    )
    job_cleanup_cron = Unicode(
        "17 * * * *",
        config=True,
        help="When the workers remove old jobs (cron; a sixth column for seconds). One "
        "worker runs each removal, however many there are.",
    )

    @validate("job_cleanup_cron")
    def _valid_cron(self, proposal: Any) -> str:
        from croniter import croniter  # type: ignore[import-untyped]  # procrastinate's

        if not croniter.is_valid(proposal["value"]):
            raise TraitError(f"job_cleanup_cron: {proposal['value']!r} is not a cron expression")
        return str(proposal["value"])

    @default("log")
    def _log_default(self) -> logging.Logger:
        return logging.getLogger("codequest_jupyter.worker")

    max_attempts = Integer(
        3,
        config=True,
        help="Gradings of one submission cut short by a stopped worker before it ends "
        "with an error saying so (a submission that kills its workers).",
    )

    aliases = {  # noqa: RUF012 (traitlets reads it as the class attribute it is)
        "config": "CodeQuestWorker.config_file",
        "log-level": "Application.log_level",
    }

    def initialize(self, argv: Any = None) -> None:
        self.parse_command_line(argv)
        if self.config_file:
            path = Path(self.config_file)
            if not path.is_file():
                raise TraitError(f"no configuration file {self.config_file}")
            self.load_config_file(path.name, path=str(path.parent.resolve()))
        for section in ("CodeQuestApp", "CodeQuestService", "CodeQuestWorker"):
            values = self.config.get(section, {})
            for name in SHARED:
                if name in values:
                    setattr(self, name, values[name])
        if not self.db_url:
            raise TraitError("set c.CodeQuestApp.db_url (the service's PostgreSQL URL)")
        from .queue import conninfo

        try:
            conninfo(self.db_url)
        except Exception as exc:  # noqa: BLE001 - not a URL, or not PostgreSQL
            raise TraitError(str(exc)) from None

    def private_paths(self) -> list[str]:
        """Hidden from grading kernels: the library, this process's folders, its config."""
        paths = [str(Path(d).resolve()) for d in self.challenge_dirs]
        extra = [os.getcwd(), os.path.expanduser("~"), jupyter_runtime_dir(), jupyter_data_dir()]
        if self.config_file:
            extra.append(str(Path(self.config_file).resolve().parent))
        for path in extra:
            resolved = str(Path(path).resolve())
            if resolved != "/" and resolved not in paths:
                paths.append(resolved)
        return paths

    def grading_settings(self) -> Any:
        from ..grading import GradingSettings

        options = {
            "pool_size": self.grader_pool_size,
            "sandbox": self.sandbox,
            **self.default_limits,
            **self.grading_options,
        }
        options["hide_paths"] = [*self.private_paths(), *options.get("hide_paths", [])]
        known = {f.name for f in dataclasses.fields(GradingSettings)}
        unknown = sorted(set(options) - known)
        if unknown:
            raise TraitError(f"unknown grading setting(s): {', '.join(unknown)}")
        try:
            return GradingSettings(**options)
        except ValueError as exc:
            raise TraitError(f"grading_options: {exc}") from None

    def build(self) -> Any:
        """The :class:`GradingWorker`, its services built (nothing started)."""
        from ..challenges import ChallengeCatalog
        from ..grading import Grader
        from ..store import AsyncSubmissionStore, SubmissionStore, display_url
        from .runner import GradingWorker

        catalog = ChallengeCatalog(self.challenge_dirs)
        for problem in catalog.errors:
            self.log.warning("CodeQuest worker: skipping a broken challenge: %s", problem)
        self.log.info(
            "CodeQuest worker %s: %d challenges; submissions in %s",
            __version__,
            len(catalog),
            display_url(self.db_url),
        )
        settings = self.grading_settings()
        store = AsyncSubmissionStore(SubmissionStore(self.db_url))
        grader = Grader(settings=settings, log=logging.getLogger("codequest_jupyter.grading"))
        return GradingWorker(
            db_url=self.db_url,
            catalog=catalog,
            store=store,
            grader=grader,
            concurrency=self.grading_concurrency,
            heartbeat_s=self.heartbeat_s,
            stalled_worker_s=self.stalled_worker_s,
            max_attempts=self.max_attempts,
            logger=self.log,
            job_retention_hours=(
                max(1, round(self.job_retention_days * 24)) if self.job_retention_days > 0 else 0
            ),
            cleanup_cron=self.job_cleanup_cron,
        )

    def start(self) -> None:
        """Grade until stopped; ``SandboxUnavailable`` before taking any job when the
        sandbox cannot run here (every grading would end in an error charged to its
        learner; the jobs wait for a worker that can grade them instead)."""
        worker = self.build()
        asyncio.run(self._checked_run(worker))

    async def _checked_run(self, worker: Any) -> None:
        """Check the sandbox, then grade; SIGINT or SIGTERM during the check (a real
        kernel start, seconds on a busy machine) stop the worker once the check has
        cleaned up after itself, instead of killing it with its probe under way."""
        loop = asyncio.get_running_loop()
        stopped = asyncio.Event()
        signals = (signal.SIGINT, signal.SIGTERM)
        for signum in signals:
            loop.add_signal_handler(signum, stopped.set)
        try:
            await asyncio.to_thread(self._check_sandbox, worker.grader.settings.policy())
        except BaseException:
            for signum in signals:
                loop.remove_signal_handler(signum)
            raise
        if stopped.is_set():
            self.log.info("CodeQuest worker: stopped before taking any job")
            return
        await worker.run()  # replaces the handlers with its own at once

    def _check_sandbox(self, policy: Any) -> None:
        from ..grading.sandbox import resolve

        plan = resolve(policy)  # SandboxUnavailable says why
        (self.log.info if plan.mode == "bwrap" else self.log.warning)(
            "CodeQuest worker: grading sandbox '%s': %s", self.sandbox, plan.describe()
        )


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(
        force=True,
        level=logging.WARNING,
        format="[%(levelname)1.1s %(asctime)s %(name)s] %(message)s",
    )
    logging.getLogger("codequest_jupyter").setLevel(logging.INFO)
    app = CodeQuestWorker()
    try:
        app.initialize(argv)
    except TraitError as exc:
        print(f"codequest worker: {exc}", file=sys.stderr)
        return 2
    from ..grading.sandbox import SandboxUnavailable

    try:
        app.start()
    except SandboxUnavailable as exc:
        app.log.error("CodeQuest worker: %s; not taking grading jobs", exc)
        print(
            f"codequest worker: {exc}: fix it and start the worker again (submissions "
            "wait in the queue meanwhile)",
            file=sys.stderr,
        )
        return 1
    return 0
