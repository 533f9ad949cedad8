"""The Jupyter server extension: configuration, services and their lifecycle.

Services are built once in :meth:`CodeQuestApp.initialize_settings` and can each be
replaced through configuration (``c.CodeQuestApp.store_class = ...``). Background work
(the grader's kernel pool, grading workers, crash recovery) starts with the server's
event loop and stops with the server.
"""

from __future__ import annotations

import dataclasses
import getpass
import logging
import os
import signal
import threading
from pathlib import Path
from typing import Any

import anyio
from jupyter_core.paths import jupyter_data_dir
from jupyter_server.auth.identity import IdentityProvider, PasswordIdentityProvider
from jupyter_server.extension.application import ExtensionApp
from sqlalchemy.engine import make_url
from traitlets import Bool, Dict, Float, Integer, List, TraitError, Type, Unicode, default, validate
from traitlets import Set as SetTrait

from .._version import __version__
from ..challenges import ChallengeCatalog, bundled_challenges_dir, discover
from ..errors import InvalidRequest
from ..grading import Grader, GradingSettings
from ..paths import check_relpath
from ..store import AsyncSubmissionStore, SubmissionStore, display_url
from ..submissions import SubmissionService
from ..views import ChallengeViews
from ..workspace import WorkspaceManager
from .handlers import HANDLERS


class CodeQuestApp(ExtensionApp):
    """CodeQuest: coding challenges graded in fresh, sandboxed kernels."""

    # The services, built once by initialize_settings (see there).
    catalog: ChallengeCatalog
    store: AsyncSubmissionStore
    grader: Grader
    workspace: WorkspaceManager
    service: SubmissionService
    views: ChallengeViews

    name = "codequest"
    version = __version__
    description = __doc__
    load_other_extensions = True

    # -- what is served -------------------------------------------------------------

    challenge_dirs = List(
        Unicode(),
        config=True,
        help="Directories holding challenges (each either a challenge or a folder of them). "
        "Default: the challenges bundled with the package.",
    )

    @default("challenge_dirs")
    def _challenge_dirs_default(self) -> list[str]:
        return [str(bundled_challenges_dir())]

    db_url = Unicode(
        config=True,
        help="SQLAlchemy URL of the submission store, e.g. "
        "postgresql+psycopg://user:password@host/codequest. Default: a SQLite file "
        "codequest.sqlite in the Jupyter data directory's codequest folder.",
    )

    @default("db_url")
    def _db_url_default(self) -> str:
        path = Path(jupyter_data_dir()) / "codequest" / "codequest.sqlite"
        return f"sqlite:///{path}"

    workspace_dir = Unicode(
        "codequest",
        config=True,
        help="Folder, relative to the server's root directory, into which challenges "
        "are opened (one sub-folder per challenge).",
    )

    @validate("workspace_dir")
    def _check_workspace_dir(self, proposal: Any) -> str:
        value = proposal["value"].strip("/")
        try:
            return check_relpath(value, "workspace_dir") if value else ""
        except InvalidRequest as exc:
            raise TraitError(str(exc)) from None

    # -- grading ----------------------------------------------------------------------

    grading_concurrency = Integer(
        2, config=True, help="Submissions graded at the same time; more wait in a queue."
    )
    grader_pool_size = Integer(
        2, config=True, help="Pre-started, never-used kernels kept ready for grading (0 = none)."
    )
    sandbox = Unicode(
        "auto",
        config=True,
        help="How grading kernels are confined: 'auto' (the strongest available), "
        "'bwrap' (bubblewrap namespaces plus resource limits), 'rlimits' (resource "
        "limits only) or 'none'.",
    )
    default_limits = Dict(
        config=True,
        help="Server-wide ceilings for grading runs, passed to the grader: "
        "max_memory_mb, run_s (a run's time budget unless its challenge sets one), "
        "max_run_s (the ceiling of any run's), grace_s, output_limit_bytes.",
    )
    grading_options = Dict(
        config=True,
        help="Further GradingSettings fields passed to the grader as they are "
        "(e.g. startup_timeout_s, pool_max_age_s, extra_env; isolation: 'challenge', "
        "each challenge's own, the judge by default, or 'kernel', every challenge's "
        "tests inside the learner's kernel).",
    )

    # -- protection ------------------------------------------------------------------

    submissions_per_minute = Integer(
        30, config=True, help="Submissions one user may make per minute (0 = no limit)."
    )
    max_payload_bytes = Integer(
        5 * 1024 * 1024, config=True, help="Largest request body accepted, in bytes."
    )
    instructors = SetTrait(
        Unicode(),
        config=True,
        help="User names that may list everyone's submissions and read any of them.",
    )
    drain_timeout_s = Float(
        5.0,
        config=True,
        help="On shutdown, seconds running gradings get to finish before they are cut "
        "short (they are graded again on the next start).",
    )

    # -- who the user is ----------------------------------------------------------------

    single_user = Bool(
        None,
        allow_none=True,
        config=True,
        help="Store every request's submissions under single_user_name. Default: on "
        "when the server uses Jupyter's own token/password login, whose users are "
        "anonymous and change with every browser session; off behind JupyterHub or "
        "any identity provider that knows user names.",
    )
    single_user_name = Unicode(config=True, help="The user name in single-user mode.")

    @default("single_user_name")
    def _single_user_name_default(self) -> str:
        try:
            return getpass.getuser()
        except (ImportError, KeyError, OSError):  # no passwd entry (some containers)
            return "learner"

    # -- hub mode: grading by the CodeQuest service -------------------------------------

    service_url = Unicode(
        config=True,
        help="Remote mode: the URL of the CodeQuest grading service (e.g. "
        "http://127.0.0.1:10101/services/codequest/). This server then keeps the "
        "learner's workspace only and asks the service for challenges, grading and "
        "history. Default: $CODEQUEST_SERVICE_URL, else the hub's service named "
        "service_name when this server runs under JupyterHub, else personal mode.",
    )
    service_name = Unicode(
        "codequest",
        config=True,
        help="The JupyterHub service looked up when service_url is not set.",
    )
    service_token = Unicode(
        config=True,
        help="Token sent to the service. Default: $JUPYTERHUB_API_TOKEN, which the hub "
        "knows as this server's owner.",
    )

    # -- swappable services ------------------------------------------------------------

    store_class = Type(SubmissionStore, config=True, help="The submission store.")
    grader_class = Type(Grader, config=True, help="The grading engine.")
    workspace_class = Type(
        WorkspaceManager,
        klass=WorkspaceManager,
        config=True,
        help="Copies challenges into the learner's contents.",
    )
    submission_service_class = Type(
        SubmissionService,
        klass=SubmissionService,
        config=True,
        help="Queues, grades and serves submissions.",
    )
    views_class = Type(
        ChallengeViews,
        klass=ChallengeViews,
        config=True,
        help="Builds the challenge listing and detail replies.",
    )

    def initialize_settings(self) -> None:
        """Build the services once; nothing here needs the running event loop."""
        assert self.serverapp is not None
        self._route_package_logs()
        from .discovery import find_service

        self.remote_url = find_service(self)
        if self.remote_url:
            from .remote import setup_remote_mode

            setup_remote_mode(self, self.remote_url)
            return
        self.catalog = ChallengeCatalog(self.challenge_dirs)
        for problem in self.catalog.errors:
            self.log.warning("CodeQuest: skipping a broken challenge: %s", problem)
        for folder in self.challenge_dirs:
            if not Path(folder).is_dir():
                self.log.warning("CodeQuest: challenge folder %s does not exist", folder)
            elif not discover([folder]):
                self.log.warning(
                    "CodeQuest: challenge folder %s holds no challenge (no challenge.toml "
                    "in it or in its sub-folders)",
                    folder,
                )
        (self.log.info if len(self.catalog) else self.log.warning)(
            "CodeQuest %s: %d challenges from %s",
            __version__,
            len(self.catalog),
            ", ".join(self.challenge_dirs),
        )
        self.log.info("CodeQuest: submissions stored in %s", display_url(self.db_url))
        self.store = AsyncSubmissionStore(self.store_class(self.db_url))
        self.grader = self.grader_class(settings=self.grading_settings(), log=self.log)
        self.workspace = self.workspace_class(
            parent=self, contents_manager=self.serverapp.contents_manager, root=self.workspace_dir
        )
        hub_user = os.environ.get("JUPYTERHUB_USER")
        self.service = self.submission_service_class(
            parent=self,
            catalog=self.catalog,
            grader=self.grader,
            store=self.store,
            workspace=self.workspace,
            concurrency=self.grading_concurrency,
            submissions_per_minute=self.submissions_per_minute,
            drain_timeout_s=self.drain_timeout_s,
            # A JupyterHub single-user server may share its database with every other
            # user's server: it recovers only its own user's interrupted gradings.
            recover_users={hub_user} if hub_user else set(),
        )
        self.views = self.views_class(
            parent=self, catalog=self.catalog, store=self.store, workspace=self.workspace
        )
        if self.single_user is None:
            provider = type(self.serverapp.identity_provider)
            self.single_user = provider in (IdentityProvider, PasswordIdentityProvider)
        self.settings.update(
            codequest_service=self.service,
            codequest_views=self.views,
            codequest_workspace=self.workspace,
        )

    def grading_settings(self) -> GradingSettings:
        """The grader's settings from the traits, with unknown keys refused by name."""
        options = {
            "pool_size": self.grader_pool_size,
            "sandbox": self.sandbox,
            **self.default_limits,
            **self.grading_options,
        }
        # Kernels must not see the users' files, the database or the challenges
        # (hidden tests live there), whatever else the configuration hides.
        options["hide_paths"] = [*self._private_paths(), *options.get("hide_paths", [])]

        known = {f.name for f in dataclasses.fields(GradingSettings)}
        unknown = sorted(set(options) - known)
        if unknown:
            raise TraitError(
                f"CodeQuestApp.default_limits/grading_options: unknown setting(s) "
                f"{', '.join(unknown)}; known: {', '.join(sorted(known))}"
            )
        try:
            return GradingSettings(**options)
        except ValueError as exc:
            raise TraitError(f"CodeQuestApp.grading_options: {exc}") from None

    def _private_paths(self) -> list[str]:
        paths = [str(Path(d).resolve()) for d in self.challenge_dirs]
        root_dir = getattr(self.serverapp, "root_dir", None) if self.serverapp else None
        if root_dir:
            paths.append(str(Path(root_dir).resolve()))
        url = make_url(self.db_url)
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
            paths.append(str(Path(url.database).resolve().parent))
        return paths

    def initialize_handlers(self) -> None:
        if getattr(self, "remote_url", None):
            from .remote_handlers import REMOTE_HANDLERS

            self.handlers.extend(REMOTE_HANDLERS)
            return
        self.handlers.extend(HANDLERS)

    def is_instructor(self, user: Any) -> bool:
        """Whether the authenticated ``user`` may read everyone's submissions."""
        return self.user_name(user) in self.instructors

    def user_name(self, user: Any) -> str:
        """The name submissions of the authenticated ``user`` are stored under."""
        if self.single_user:
            return self.single_user_name
        return str(user.username)

    def _route_package_logs(self) -> None:
        """Send the domain's log records (``codequest_jupyter.*``: the sandbox chosen,
        kernel pool problems) to the server's log, where an admin reads them; without
        this, Python drops their INFO records and prints warnings without a time."""
        package = logging.getLogger("codequest_jupyter")
        source: logging.Logger | None = self.log
        while source is not None and not source.handlers:
            source = source.parent if source.propagate else None
        for handler in source.handlers if source is not None else []:
            if handler not in package.handlers:
                package.addHandler(handler)
        if package.level == logging.NOTSET:
            package.setLevel(logging.INFO)
        if self.log.getEffectiveLevel() > logging.DEBUG:
            # nbclient's "Timeout waiting for execute reply": each result reports it.
            logging.getLogger("codequest_jupyter.grading.nbclient").setLevel(logging.CRITICAL)

    async def _start_jupyter_server_extension(self, serverapp: Any) -> None:
        stop_on_sigint(serverapp)
        await self.service.start()
        await self._log_sandbox()

    async def _log_sandbox(self) -> None:
        """Make sure the log says how grading kernels are confined, and why, at start."""
        from ..grading.sandbox import SandboxUnavailable, resolve

        settings = getattr(getattr(self, "grader", None), "settings", None)
        if not isinstance(settings, GradingSettings):
            # Remote mode (no grader here), or a grader of another kind (e.g. a
            # remote queue) that confines its own.
            return
        try:
            plan = await anyio.to_thread.run_sync(resolve, settings.policy())
        except SandboxUnavailable as exc:
            self.log.error("CodeQuest: %s; gradings will fail until this is fixed", exc)
            return
        # resolve() itself logs the plan (INFO) the first time; a weaker one than
        # bubblewrap is worth a warning: auto fell back (its reason was logged just
        # before), or it was asked for.
        if plan.mode != "bwrap":
            self.log.warning(
                "CodeQuest: grading sandbox '%s': %s%s",
                self.sandbox,
                plan.describe(),
                "" if self.sandbox != "auto" else " (bubblewrap could not be used, see above)",
            )

    async def stop_extension(self) -> None:
        """Drain the graders and close the kernel pool."""
        await self.service.stop()


def stop_on_sigint(serverapp: Any) -> None:
    """SIGINT stops the server as SIGTERM does, when no terminal is there to confirm.

    Jupyter Server asks for confirmation on SIGINT only when it has a terminal; without
    one (JupyterHub's spawners, systemd, a test) SIGINT stays Python's default: a
    ``KeyboardInterrupt`` that ends the event loop without the server's clean-up (the
    kernel pool, a remote server's material cache: left in ``/tmp``), or lands inside
    a callback that swallows it and the server runs on. JupyterHub stops single-user
    servers with SIGINT first.
    """
    if threading.current_thread() is not threading.main_thread():
        return  # signal handlers belong to the main thread (an embedding test's server)
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, serverapp._signal_stop)
