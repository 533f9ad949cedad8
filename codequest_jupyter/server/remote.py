"""A learner's server in remote mode: its client of the grading service.

The server keeps what is the learner's (the workspace: opening a challenge into it,
reading the notebook to submit, restoring a snapshot) and asks the service for the
rest with the server's hub token. :func:`setup_remote_mode` replaces the local
catalog, store and grader of personal mode: this server then holds no hidden test, no
solution and no database URL.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import anyio
from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest, HTTPResponse

from ..challenges import Challenge
from ..errors import CodeQuestError
from ..material import challenge_from_material

UNAVAILABLE = (
    "Grading is unavailable: the CodeQuest service cannot be reached. Your work is "
    "saved in your workspace; try again in a moment."
)

SIGN_IN_AGAIN = (
    "The grading service did not accept your hub sign-in (it expired or was revoked). "
    "Sign in to the hub again and restart your server (Hub Control Panel: Stop My "
    "Server, then Start My Server). Your work is saved in your workspace."
)


class ServiceError(CodeQuestError):
    """A reply of the service that is not a success, passed on with its status."""

    def __init__(self, status: int, message: str, retry_after: str | None = None):
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


class ServiceClient:
    """Requests to the service's ``codequest/api/``, authenticated as the server's owner."""

    def __init__(self, base_url: str, token: str, *, timeout_s: float = 60.0, log: Any = None):
        self.api = base_url + "codequest/api/"
        self.token = token
        self.timeout_s = timeout_s
        self.log = log
        self.material_ttl_s = 60.0
        self._materials: dict[str, tuple[float, Challenge]] = {}
        self.cache_root = Path(tempfile.mkdtemp(prefix="codequest-material-"))

    # -- the SubmissionService lifecycle the handlers and the app expect ----------

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        await anyio.to_thread.run_sync(shutil.rmtree, self.cache_root, True)

    # -- requests ---------------------------------------------------------------

    def _request(self, method: str, path: str, query: dict[str, str] | None = None,
                 body: Any = None, timeout_s: float | None = None,
                 **kwargs: Any) -> HTTPRequest:  # fmt: skip
        url = self.api + path + (f"?{urlencode(query)}" if query else "")
        headers = {"Authorization": f"token {self.token}", "Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body)
            headers["Content-Type"] = "application/json"
        elif method == "POST":
            data = ""
        timeout = self.timeout_s if timeout_s is None else timeout_s
        return HTTPRequest(url, method=method, headers=headers, body=data,
                           connect_timeout=10.0, request_timeout=timeout,
                           follow_redirects=False, **kwargs)  # fmt: skip

    async def fetch(self, method: str, path: str, **kwargs: Any) -> HTTPResponse:
        """The service's reply, or :class:`ServiceError` carrying its status and message."""
        request = self._request(method, path, **kwargs)
        try:
            return await AsyncHTTPClient().fetch(request)
        except HTTPClientError as exc:
            if exc.response is None or exc.code == 599:
                raise self._unavailable(exc) from None
            raise service_error(exc.code, exc.response.body, exc.response.headers) from None
        except OSError as exc:  # refused, unreachable, name not found
            raise self._unavailable(exc) from None

    def _unavailable(self, exc: BaseException) -> ServiceError:
        if self.log is not None:
            self.log.warning("CodeQuest: the service at %s is unreachable: %s", self.api, exc)
        return ServiceError(503, UNAVAILABLE)

    async def json(self, method: str, path: str, **kwargs: Any) -> Any:
        reply = await self.fetch(method, path, **kwargs)
        return json.loads(reply.body or b"null")

    def stream(self, path: str, on_status: Callable[[int], None],
               on_chunk: Callable[[bytes], None]) -> Any:  # fmt: skip
        """Fetch ``path`` handing each chunk to ``on_chunk`` as it arrives (no buffering)."""

        def header(line: str) -> None:
            if line.startswith("HTTP/"):
                on_status(int(line.split()[1]))

        request = self._request("GET", path, timeout_s=24 * 3600.0,
                                header_callback=header, streaming_callback=on_chunk)  # fmt: skip
        request.headers["Accept"] = "text/event-stream"
        return AsyncHTTPClient().fetch(request, raise_error=False)

    # -- challenges as this server needs them -------------------------------------

    async def challenge(self, challenge_id: str) -> Challenge:
        """The challenge's public material, kept on disk; asked again after a minute,
        so a challenge the instructor changes reaches new workspaces."""
        cached = self._materials.get(challenge_id)
        if cached is not None and time.monotonic() - cached[0] < self.material_ttl_s:
            return cached[1]
        material = await self.json("GET", f"challenges/{_quote(challenge_id)}/material")
        challenge = await anyio.to_thread.run_sync(
            challenge_from_material, material, self.cache_root
        )
        self._materials[challenge_id] = (time.monotonic(), challenge)
        return challenge


def _quote(value: str) -> str:
    return quote(value, safe="")


def service_error(status: int, body: bytes | None, headers: Any = None) -> ServiceError:
    """The service's error reply as a :class:`ServiceError` (its message kept)."""
    message = f"The grading service answered {status}"
    try:
        data = json.loads(body or b"")
        if isinstance(data, dict) and isinstance(data.get("message"), str):
            message = data["message"]
    except ValueError:
        pass
    if status == 401:
        # The token refused is this server's: the hub gives a new one when it starts.
        message = SIGN_IN_AGAIN
    elif status == 403 and message.startswith("The grading service answered"):
        message = "The grading service did not accept your sign-in: sign in to the hub again."
    retry_after = headers.get("Retry-After") if headers is not None else None
    return ServiceError(status, message, retry_after)


def setup_remote_mode(app: Any, url: str) -> None:
    """Configure ``app`` (a CodeQuestApp) as a learner's server in remote mode."""
    token = app.service_token or os.environ.get("JUPYTERHUB_API_TOKEN", "")
    app.client = ServiceClient(url, token, log=app.log)
    app.workspace = app.workspace_class(
        parent=app, contents_manager=app.serverapp.contents_manager, root=app.workspace_dir
    )
    app.service = app.client  # started and stopped with the server, like the local one
    if app.single_user is None:
        app.single_user = False
    app.log.info("CodeQuest %s: remote mode, grading by the service at %s", app.version, url)
    app.settings.update(
        codequest_service=app.client,
        codequest_client=app.client,
        codequest_workspace=app.workspace,
    )
