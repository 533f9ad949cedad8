"""A small client of the CodeQuest REST API, for code running inside a kernel.

Plain ``urllib`` (blocking): it is meant for a worker thread, never for the kernel's
main thread while a grading is followed. The event stream of a submission is read as
server-sent events; when the stream breaks before the final result, the client falls
back to polling ``GET submissions/{sid}``. No ipywidgets, no tornado.
"""

from __future__ import annotations

import ipaddress
import json
import ssl
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from typing import Any

FINAL_STATUSES = frozenset({"passed", "failed", "error"})
Event = tuple[str, dict[str, Any]]


class ApiError(Exception):
    """A request that failed: ``status`` is the HTTP status, 0 when nothing answered."""

    def __init__(self, status: int, message: str):
        self.status = status
        self.message = message
        super().__init__(f"{status}: {message}" if status else message)


def parse_sse(lines: Iterable[str]) -> Iterator[Event]:
    """``(event, data)`` pairs from the lines of a ``text/event-stream``.

    Follows the server-sent events format: ``event:`` and ``data:`` fields (several
    ``data:`` lines are joined with newlines), a blank line ends an event, lines
    starting with ``:`` are comments (keep-alive pings). Events whose data is not a
    JSON object are skipped.
    """
    kind, data = "message", list[str]()
    for raw in lines:
        line = raw.rstrip("\r\n")
        if not line:
            if data:
                try:
                    payload = json.loads("\n".join(data))
                except ValueError:
                    payload = None
                if isinstance(payload, dict):
                    yield kind, payload
            kind, data = "message", []
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "event":
            kind = value
        elif name == "data":
            data.append(value)


def _is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class CodeQuestClient:
    """The CodeQuest API of one Jupyter server.

    Parameters
    ----------
    url
        The server's URL including its base URL, e.g. ``http://127.0.0.1:8888/`` or
        ``https://hub.example.edu/user/alice/``.
    token
        Sent as ``Authorization: token ...`` (a server token or a JupyterHub API token).
    timeout
        Seconds for an ordinary request.
    stream_timeout
        Seconds of silence after which an event stream counts as broken (the server
        sends a keep-alive every 15 s).
    """

    def __init__(
        self,
        url: str,
        token: str | None = None,
        *,
        timeout: float = 10.0,
        stream_timeout: float = 60.0,
    ):
        self.url = url if url.endswith("/") else url + "/"
        self.api_url = self.url + "codequest/api/"
        self.token = token or None
        self.timeout = timeout
        self.stream_timeout = stream_timeout
        parts = urllib.parse.urlsplit(self.url)
        context = None
        if parts.scheme == "https" and _is_loopback(parts.hostname):
            # A local server's certificate is often self-signed; the token goes back
            # to this very machine either way.
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        # No proxies: the server is usually on loopback, which a proxy cannot reach.
        handlers: list[Any] = [urllib.request.ProxyHandler({})]
        if context is not None:
            handlers.append(urllib.request.HTTPSHandler(context=context))
        self._opener = urllib.request.build_opener(*handlers)

    def __repr__(self) -> str:
        return f"CodeQuestClient({self.url!r})"

    # -- plumbing -----------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json", "Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"token {self.token}"
        return headers

    def _open(self, method: str, url: str, body: Any, timeout: float) -> Any:
        data = None
        if body is not None:
            data = json.dumps(body).encode("utf-8")
        elif method != "GET":
            data = b""
        request = urllib.request.Request(url, data=data, method=method, headers=self._headers())
        try:
            return self._opener.open(request, timeout=timeout)
        except urllib.error.HTTPError as err:
            raise ApiError(err.code, _error_message(err)) from None
        except (urllib.error.URLError, OSError) as err:
            reason = getattr(err, "reason", err)
            raise ApiError(0, f"Could not reach the server at {self.url}: {reason}") from None

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        params: dict[str, Any] | None = None,
        *,
        api: bool = True,
    ) -> Any:
        """One JSON request to ``path`` under the CodeQuest API (or the server root)."""
        url = (self.api_url if api else self.url) + path
        if params:
            url += "?" + urllib.parse.urlencode({k: v for k, v in params.items() if v is not None})
        with self._open(method, url, body, self.timeout) as response:
            text = response.read().decode("utf-8")
        try:
            return json.loads(text) if text else None
        except ValueError:
            raise ApiError(response.status, "The server's reply is not JSON") from None

    # -- the API ------------------------------------------------------------------

    def info(self) -> dict[str, Any]:
        """``{"version", "api_version", "user", "instructor"}``."""
        return self.request("GET", "info")

    def challenges(self) -> list[dict[str, Any]]:
        return self.request("GET", "challenges")["challenges"]

    def challenge(self, challenge_id: str) -> dict[str, Any]:
        return self.request("GET", f"challenges/{_q(challenge_id)}")

    def submit(
        self,
        challenge_id: str,
        mode: str,
        *,
        path: str | None = None,
        notebook: dict[str, Any] | None = None,
        files: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """Queue a submission; ``{"id", "status"}``. Without ``notebook`` the server
        grades the saved file at ``path`` (default: the challenge's workspace copy)."""
        body: dict[str, Any] = {"mode": mode}
        if path is not None:
            body["path"] = path
        if notebook is not None:
            body["notebook"] = notebook
        if files is not None:
            body["files"] = files
        return self.request("POST", f"challenges/{_q(challenge_id)}/submissions", body)

    def result(self, submission_id: str) -> dict[str, Any]:
        """The result JSON; while grading, with the tests finished so far."""
        return self.request("GET", f"submissions/{_q(submission_id)}")

    def history(self, challenge_id: str, limit: int = 5, offset: int = 0) -> dict[str, Any]:
        """``{"submissions": [summary, ...], "total": N}``, newest first."""
        return self.request(
            "GET",
            f"challenges/{_q(challenge_id)}/submissions",
            params={"limit": limit, "offset": offset},
        )

    def sessions(self) -> list[dict[str, Any]]:
        """The server's notebook sessions (Jupyter's own ``api/sessions``)."""
        return self.request("GET", "api/sessions", api=False)

    def events(self, submission_id: str) -> Iterator[Event]:
        """The submission's events as they happen, ending after ``result``."""
        url = self.api_url + f"submissions/{_q(submission_id)}/events"
        response = self._open("GET", url, None, self.stream_timeout)
        with response:
            lines = (raw.decode("utf-8", "replace") for raw in iter(response.readline, b""))
            for event in parse_sse(lines):
                yield event
                if event[0] == "result":
                    return

    def follow(
        self,
        submission_id: str,
        on_event: Callable[[str, dict[str, Any]], None],
        *,
        poll_s: float = 1.0,
        stop: threading.Event | None = None,
    ) -> dict[str, Any] | None:
        """Hand every event of a submission to ``on_event``; return the final result.

        Reads the event stream; if it breaks (a proxy that buffers or cuts streams, a
        network hiccup), polls the result every ``poll_s`` seconds instead, handing
        each snapshot over as a ``result`` event. Returns None when ``stop`` is set.
        """
        try:
            for kind, data in self.events(submission_id):
                if stop is not None and stop.is_set():
                    return None
                on_event(kind, data)
                if kind == "result" and data.get("status") in FINAL_STATUSES:
                    return data
        except ApiError as exc:
            if exc.status in (401, 403, 404):
                raise
        except (TimeoutError, OSError, ValueError):
            pass  # the stream broke: poll below
        while stop is None or not stop.is_set():
            result = self.result(submission_id)
            on_event("result", result)
            if result.get("status") in FINAL_STATUSES:
                return result
            if stop is not None:
                stop.wait(poll_s)
            else:
                time.sleep(poll_s)
        return None


def _q(part: str) -> str:
    return urllib.parse.quote(str(part), safe="")


def _error_message(err: urllib.error.HTTPError) -> str:
    """The ``{"message": ...}`` of an error reply, or a sentence about the status."""
    try:
        body = err.read().decode("utf-8", "replace")
    except OSError:
        body = ""
    try:
        message = json.loads(body).get("message")
    except (ValueError, AttributeError):
        message = None
    if message:
        return str(message)
    if err.code in (401, 403):
        return "The server refused the request: not logged in, or the token is wrong"
    return f"The server answered {err.code} {err.reason}"
