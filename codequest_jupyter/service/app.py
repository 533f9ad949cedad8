"""``codequest service``: the grading service of a JupyterHub deployment.

A Jupyter server that loads the CodeQuest extension and nothing else, run by the hub
as a service under a system user of its own (never a learner). It owns the challenge
library (hidden tests and solutions included), the store, the grader and the rate
limits, and serves the REST API of personal mode at
``{JUPYTERHUB_SERVICE_PREFIX}codequest/api/``. Its settings are the same traitlets as
the server extension's (``c.CodeQuestApp.db_url`` ...) plus ``instructor_group``,
read from ``codequest_service_config.py`` (``--config=PATH``) rather than the
``jupyter_server_config.py`` that learners' servers read.

Everything that decides a grade, an identity or a role is fixed here, after the
configuration files are read: the hub's identity provider, the authorizer that allows
the CodeQuest API only, no other server extension and none of Jupyter's own services
(contents, kernels, terminals: they would run as the service's user).
"""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from jupyter_core.paths import jupyter_data_dir, jupyter_runtime_dir
from jupyter_server.serverapp import ServerApp
from traitlets import Enum, Float, Unicode, default

from ..challenges import Challenge
from ..errors import InvalidRequest
from ..server.app import CodeQuestApp
from ..server.handlers import HANDLERS
from ..workspace import WorkspaceManager
from .auth import HubIdentityProvider, ServiceAuthorizer, hub_groups
from .handlers import SERVICE_HANDLERS, SERVICE_PAGES

EXTENSION_PACKAGE = "codequest_jupyter.service"


class ServiceServerApp(ServerApp):
    """The Jupyter server under the service: no Jupyter services, one extension."""

    name = "codequest-service"  # reads codequest_service_config.py, not jupyter_server_config.py
    description = "The CodeQuest grading service for JupyterHub."
    # None of the contents, kernels, terminals, sessions... handlers: only the
    # extension's (and the hub's OAuth callback, from the identity provider).
    default_services = ("auth",)  # type: ignore[assignment]  # a shorter tuple

    def init_signal(self) -> None:
        """SIGINT stops the service as SIGTERM does (what JupyterHub does for single-user
        servers): JupyterHub stops a managed service with SIGINT, which without a
        terminal became a KeyboardInterrupt that left the event loop without stopping
        the service, whose process then lingered until the hub's SIGTERM (10 s on; the
        hub stops its proxy only after its services)."""
        super().init_signal()
        signal.signal(signal.SIGINT, self._signal_stop)

    def init_server_extensions(self) -> None:
        # Whatever a configuration file enables, the service loads only itself.
        self.jpserver_extensions = {EXTENSION_PACKAGE: True}
        super().init_server_extensions()


class ServiceWorkspace(WorkspaceManager):
    """The service has no workspace: learners' files live on their own servers."""

    async def info(self, challenge: Challenge) -> dict[str, Any]:
        return {"path": self.notebook_path(challenge), "exists": False}

    async def open(self, challenge: Challenge) -> dict[str, Any]:
        raise InvalidRequest(
            "The grading service has no workspace: open the challenge from your own server"
        )

    async def read_submission(
        self, challenge: Challenge, path: str | None = None
    ) -> tuple[dict[str, Any], dict[str, str]]:
        raise InvalidRequest(
            "The grading service has no workspace: send the notebook (and files) in the request"
        )

    async def restore(self, challenge: Challenge, *args: Any, **kwargs: Any) -> dict[str, Any]:
        raise InvalidRequest("The grading service has no workspace: restore from your own server")


class CodeQuestService(CodeQuestApp):
    """The CodeQuest grading service (a JupyterHub service)."""

    description = __doc__
    load_other_extensions = False
    serverapp_class = ServiceServerApp
    hub_service = True  # grades itself: never looks for a service to forward to

    instructor_group = Unicode(
        "codequest-instructors",
        config=True,
        help="Members of this JupyterHub group are instructors: they may list and read "
        "everyone's submissions. Empty: only the user names in CodeQuestApp.instructors.",
    )

    grading = Enum(
        ["service", "workers"],
        "service",
        config=True,
        help="Where submissions are graded: 'service' (in this process, with its kernel "
        "pool) or 'workers' (queued in PostgreSQL for `codequest worker` processes, any "
        "number, on any machine; instructors' regrades too).",
    )
    stalled_worker_s = Float(
        30.0,
        config=True,
        help="With grading = 'workers': seconds without a heartbeat after which a "
        "worker counts as gone and its gradings go to another worker.",
    )

    @default("sandbox")
    def _sandbox_default(self) -> str:
        # Learner code runs as the service's user: without namespaces it could read
        # what that user can (the database URL, the library, the hub token).
        return "bwrap"

    @default("workspace_class")
    def _workspace_class_default(self) -> type:
        return ServiceWorkspace

    @classmethod
    def get_extension_package(cls) -> str:
        return EXTENSION_PACKAGE

    @classmethod
    def get_extension_point(cls) -> str:
        return EXTENSION_PACKAGE

    def _jupyter_server_config(self) -> dict[str, Any]:
        # Applied after the configuration files, so none of them can change these.
        # An empty root for the contents manager nothing serves: not the working
        # directory, which holds the library and the database URL in the guide's layout.
        root = Path(jupyter_runtime_dir()) / "codequest-service-root"
        root.mkdir(mode=0o700, parents=True, exist_ok=True)
        server: dict[str, Any] = {
            "default_url": "/codequest/",  # the service's page; the hub links to it
            "root_dir": str(root),
            "identity_provider_class": HubIdentityProvider,
            "authorizer_class": ServiceAuthorizer,
            "open_browser": False,
            "terminals_enabled": False,
        }
        url = os.environ.get("JUPYTERHUB_SERVICE_URL")
        if url:
            parsed = urlparse(url)
            server["ip"] = parsed.hostname or "127.0.0.1"
            server["port"] = parsed.port or (443 if parsed.scheme == "https" else 80)
        prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX")
        if prefix:
            server["base_url"] = prefix
        return {"ServerApp": server, "ServiceServerApp": server}

    def initialize_settings(self) -> None:
        self.single_user = False
        super().initialize_settings()
        if self.grading == "workers":
            self._use_workers()
        # The hub sets JUPYTERHUB_USER for a managed service too (to its system user's
        # name): the service grades for everyone and recovers everyone's submissions.
        self.service.recover_users = set()
        web_settings = self.settings  # copied into the web app's settings afterwards
        # Tornado's own XSRF check runs before the hub has said whether the request
        # came with a token; Jupyter Server checks again once it knows (as JupyterHub's
        # single-user servers do). Never embedded in another site's frames.
        web_settings["xsrf_cookies"] = False
        web_settings.setdefault("headers", {}).setdefault(
            "Content-Security-Policy", "frame-ancestors 'none'"
        )
        self.log.info(
            "CodeQuest service: instructors are the hub group %r%s",
            self.instructor_group,
            f" and {sorted(self.instructors)}" if self.instructors else "",
        )

    def _use_workers(self) -> None:
        """Queue submissions for the grading workers instead of grading them here."""
        from ..worker.queue import JobQueue
        from ..worker.queued import QueuedSubmissionService

        self.service = QueuedSubmissionService(
            parent=self,
            catalog=self.catalog,
            store=self.store,
            workspace=self.workspace,
            queue=JobQueue(self.db_url),
            concurrency=self.grading_concurrency,
            submissions_per_minute=self.submissions_per_minute,
            drain_timeout_s=self.drain_timeout_s,
            stalled_worker_s=self.stalled_worker_s,
        )
        self.grader = self.service.grader  # the workers grade and regrade: nothing here
        self.settings["codequest_service"] = self.service
        self.log.info("CodeQuest service: submissions are graded by `codequest worker`s")

    def _private_paths(self) -> list[str]:
        """Also hidden from grading kernels: the service's own folders and config."""
        paths = super()._private_paths()
        extra = [os.getcwd(), os.path.expanduser("~"), jupyter_runtime_dir(), jupyter_data_dir()]
        serverapp = self.serverapp
        if serverapp is not None:
            extra.append(serverapp.config_dir)
            extra += [os.path.dirname(f) for f in serverapp.loaded_config_files]
        for path in extra:
            resolved = str(Path(path).resolve())
            if path and resolved != "/" and resolved not in paths:
                paths.append(resolved)
        return paths

    def initialize_handlers(self) -> None:
        # Before the API's catch-all 404, which HANDLERS ends with.
        self.handlers.extend([*SERVICE_PAGES, *SERVICE_HANDLERS, *HANDLERS])

    def is_instructor(self, user: Any) -> bool:
        if self.instructor_group and self.instructor_group in hub_groups(user):
            return True
        return super().is_instructor(user)


main = launch_new_instance = CodeQuestService.launch_instance
