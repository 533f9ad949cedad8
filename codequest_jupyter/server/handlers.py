"""REST handlers of the CodeQuest API (``{base_url}codequest/api/...``).

Each handler parses the request, checks its body and query parameters against the
OpenAPI document (:mod:`codequest_jupyter.validation`, named by ``operationId``), awaits
one service call and writes JSON. Typed domain errors (:mod:`codequest_jupyter.errors`)
become 4xx replies in one place, :meth:`CodeQuestHandler.send_error`; anything else is
a bug and a 500. Every verb is ``@web.authenticated`` and ``@authorized`` on the
``codequest`` resource.

It runs past ~400 lines because it holds one short handler per endpoint of the API (21
classes, most under 15 lines) beside the route table that names them all; split by
endpoint, the table and the shared error handling would be read across many files.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from jupyter_server.extension.handler import ExtensionHandlerMixin
from tornado import web
from tornado.iostream import StreamClosedError

from .._version import __version__
from ..errors import (
    CodeQuestError,
    Forbidden,
    InvalidRequest,
    NotSignedIn,
    PayloadTooLarge,
    RateLimited,
)
from ..openapi import API_VERSION, build_openapi
from ..validation import ABSENT, operation

if TYPE_CHECKING:
    from ..submissions import SubmissionService
    from ..views import ChallengeViews
    from ..workspace import WorkspaceManager
    from .app import CodeQuestApp

AUTH_RESOURCE = "codequest"
SIGN_IN_AGAIN = (
    "Your JupyterHub sign-in is missing or no longer valid (it expired or was revoked): "
    "sign in to the hub again."
)


def error_status(exc: BaseException | None) -> int | None:
    """The 4xx status a domain error maps to, or None for anything else."""
    if isinstance(exc, CodeQuestError):
        return exc.status
    return None


class CodeQuestHandler(ExtensionHandlerMixin, APIHandler):
    """Base: services, the user's name, body parsing and the error translation."""

    auth_resource = AUTH_RESOURCE

    @property
    def app(self) -> CodeQuestApp:
        return self.extensionapp  # type: ignore[return-value]

    @property
    def service(self) -> SubmissionService:
        return self.settings["codequest_service"]

    @property
    def views(self) -> ChallengeViews:
        return self.settings["codequest_views"]

    @property
    def workspace(self) -> WorkspaceManager:
        return self.settings["codequest_workspace"]

    @property
    def user_name(self) -> str:
        return self.app.user_name(self.current_user)

    @property
    def is_instructor(self) -> bool:
        return self.app.is_instructor(self.current_user)

    async def prepare(self) -> None:  # type: ignore[override]
        await super().prepare()
        # Idempotent: the first request of a server started without the extension's
        # start hook (e.g. under a test harness) starts workers and crash recovery.
        await self.service.start()
        # Size first, before any parsing. The Content-Length header is checked too, so
        # a lying client cannot slip past with a chunked body.
        limit = self.app.max_payload_bytes
        declared = self.request.headers.get("Content-Length", "")
        if (declared.isdigit() and int(declared) > limit) or len(self.request.body or b"") > limit:
            raise PayloadTooLarge(f"The request body is larger than {limit} bytes")

    def json_body(self, absent: Any = None) -> Any:
        """The parsed JSON body, or ``absent`` when there is none."""
        body = self.request.body
        if not body or not body.strip():
            return absent
        try:
            return json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise InvalidRequest(f"The request body is not valid JSON: {exc}") from None

    def checked_body(self, operation_id: str) -> Any:
        """The JSON body, checked against the operation's ``requestBody`` schema."""
        return operation(operation_id).check_body(self.json_body(absent=ABSENT))

    def checked_query(self, operation_id: str) -> dict[str, Any]:
        """The operation's documented query parameters that were given, typed and checked."""
        return operation(operation_id).check_query(self.request.query_arguments)

    def reply(self, data: Any, status: int = 200) -> None:
        self.set_status(status)
        self.finish(json.dumps(data))

    # -- the one place where domain errors become HTTP replies --------------------

    def send_error(self, status_code: int = 500, **kwargs: Any) -> None:
        exc_info = kwargs.get("exc_info")
        status = error_status(exc_info[1]) if exc_info else None
        if status is None and status_code == 403 and self._unauthenticated(exc_info):
            # A hub service: no valid hub token (expired, revoked) is a 401 that says
            # what to do, not Jupyter's bare 403.
            exc = NotSignedIn(SIGN_IN_AGAIN)
            kwargs["exc_info"] = (NotSignedIn, exc, None)
            status = exc.status
        super().send_error(status or status_code, **kwargs)

    def _unauthenticated(self, exc_info: Any) -> bool:
        """A bare 403 (no other reason, such as a missing XSRF token) to a request in
        which a hub service's identity provider found no valid hub token."""
        exc = exc_info[1] if exc_info else None
        bare = isinstance(exc, web.HTTPError) and not exc.log_message
        return bare and bool(getattr(self, "codequest_signed_out", False))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        if status_code == 405:
            self.set_header("Allow", ", ".join(self.allowed_methods()))
        exc_info = kwargs.get("exc_info")
        exc = exc_info[1] if exc_info else None
        if error_status(exc) is None:
            super().write_error(status_code, **kwargs)
            return
        if isinstance(exc, RateLimited):
            self.set_header("Retry-After", str(exc.retry_after))
        if isinstance(exc, NotSignedIn):
            self.set_header("WWW-Authenticate", 'token realm="JupyterHub"')
        message = exc.message if isinstance(exc, CodeQuestError) else str(exc)
        self.finish(json.dumps({"message": message}))

    @classmethod
    def allowed_methods(cls) -> list[str]:
        """The HTTP methods this handler implements (for a 405's ``Allow`` header)."""
        return [
            verb
            for verb in cls.SUPPORTED_METHODS
            if getattr(cls, verb.lower(), None) is not web.RequestHandler._unimplemented_method
        ]

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        status = error_status(value)
        if status is None:
            super().log_exception(typ, value, tb)
        else:
            self.log.info("%d %s %s: %s", status, self.request.method, self.request.path, value)


class InfoHandler(CodeQuestHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.reply(
            {
                "version": __version__,
                "api_version": API_VERSION,
                "user": self.user_name,
                "instructor": self.is_instructor,
            }
        )


class ChallengesHandler(CodeQuestHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.reply(await self.views.list(self.user_name))


class ChallengeHandler(CodeQuestHandler):
    @web.authenticated
    @authorized
    async def get(self, challenge_id: str) -> None:
        self.reply(await self.views.detail(self.user_name, challenge_id))


class WorkspaceHandler(CodeQuestHandler):
    @web.authenticated
    @authorized
    async def post(self, challenge_id: str) -> None:
        self.checked_body("openWorkspace")  # no fields yet, but malformed JSON is an error
        challenge = self.views.get(challenge_id)
        self.reply(await self.workspace.open(challenge))


class ResetHandler(CodeQuestHandler):
    @web.authenticated
    @authorized
    async def post(self, challenge_id: str) -> None:
        self.checked_body("resetWorkspace")  # no fields yet, but malformed JSON is an error
        challenge = self.views.get(challenge_id)
        self.reply(await self.workspace.reset(challenge))


class ChallengeSubmissionsHandler(CodeQuestHandler):
    @web.authenticated
    @authorized
    async def get(self, challenge_id: str) -> None:
        query = self.checked_query("listChallengeSubmissions")
        limit, offset = query.get("limit", 20), query.get("offset", 0)
        self.reply(await self.service.history(self.user_name, challenge_id, limit, offset))

    @web.authenticated
    @authorized
    async def post(self, challenge_id: str) -> None:
        wait = self.checked_query("submit").get("wait", False)
        body = self.checked_body("submit")
        queued = await self.service.submit(self.user_name, challenge_id, body or {})
        if wait:
            self.reply(await self.service.wait(self.user_name, queued["id"]))
        else:
            self.set_header(
                "Location",
                self.request.path.rsplit("/challenges/", 1)[0] + f"/submissions/{queued['id']}",
            )
            self.reply({"id": queued["id"], "status": queued["status"]}, status=202)


class AllSubmissionsHandler(CodeQuestHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        if not self.is_instructor:
            raise Forbidden("Only instructors can list everyone's submissions")
        query = self.checked_query("listAllSubmissions")
        self.reply(
            await self.service.list_all(
                user=query.get("user") or None,
                challenge=query.get("challenge") or None,
                limit=query.get("limit", 50),
                offset=query.get("offset", 0),
            )
        )


class SubmissionHandler(CodeQuestHandler):
    @web.authenticated
    @authorized
    async def get(self, submission_id: str) -> None:
        self.reply(
            await self.service.result(self.user_name, submission_id, any_user=self.is_instructor)
        )


class SubmissionCodeHandler(CodeQuestHandler):
    @web.authenticated
    @authorized
    async def get(self, submission_id: str) -> None:
        self.reply(
            await self.service.code(self.user_name, submission_id, any_user=self.is_instructor)
        )


class RestoreHandler(CodeQuestHandler):
    @web.authenticated
    @authorized
    async def post(self, submission_id: str) -> None:
        self.reply(
            await self.service.restore(
                self.user_name,
                submission_id,
                self.checked_body("restoreSubmission"),
                any_user=self.is_instructor,
            )
        )


class EventsHandler(CodeQuestHandler):
    """``text/event-stream`` of one grading; flushed per event, ends after ``result``."""

    @web.authenticated
    @authorized
    async def get(self, submission_id: str) -> None:
        events = self.service.events(self.user_name, submission_id, any_user=self.is_instructor)
        try:
            # The first event is awaited before any header goes out, so an unknown
            # submission is still a clean 404.
            first = await events.__anext__()
            self.set_header("Content-Type", "text/event-stream; charset=utf-8")
            self.set_header("Cache-Control", "no-cache")
            self.set_header("X-Accel-Buffering", "no")  # tell nginx-style proxies not to buffer
            await self._send(*first)
            async for kind, data in events:
                await self._send(kind, data)
        except StopAsyncIteration:
            pass
        except StreamClosedError:
            return  # the client went away; the grading carries on
        finally:
            await events.aclose()
        self.finish(set_content_type="text/event-stream; charset=utf-8")

    async def _send(self, kind: str, data: dict[str, Any]) -> None:
        if kind == "ping":
            self.write(": ping\n\n")
        else:
            self.write(f"event: {kind}\ndata: {json.dumps(data)}\n\n")
        await self.flush()


class InstructorHandler(CodeQuestHandler):
    """Base of the instructors' endpoints: 403 for everyone else."""

    def require_instructor(self) -> None:
        if not self.is_instructor:
            raise Forbidden("Only instructors can do this")


class GradebookHandler(InstructorHandler):
    """The gradebook CSV, byte for byte what ``codequest export`` prints."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.require_instructor()
        wanted = self.checked_query("getGradebook").get("challenge") or ""
        challenges = [c.strip() for c in wanted.split(",") if c.strip()]
        text = await self.service.gradebook(challenges or None)
        self.set_header("Content-Disposition", 'attachment; filename="gradebook.csv"')
        self.finish(text.encode("utf-8"), set_content_type="text/csv; charset=utf-8")


class ClassMatrixHandler(InstructorHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.require_instructor()
        wanted = self.checked_query("getClassMatrix").get("challenge") or ""
        challenges = [c.strip() for c in wanted.split(",") if c.strip()]
        self.reply(await self.service.class_matrix(challenges or None))


class ChallengeStatsHandler(InstructorHandler):
    @web.authenticated
    @authorized
    async def get(self, challenge_id: str) -> None:
        self.require_instructor()
        self.reply(await self.service.challenge_stats(challenge_id))


class RegradesHandler(InstructorHandler):
    @web.authenticated
    @authorized
    async def post(self) -> None:
        self.require_instructor()
        job = await self.service.start_regrade(self.checked_body("startRegrade"))
        self.set_header("Location", f"{self.request.path}/{job['id']}")
        self.reply(job, status=202)


class RegradeHandler(InstructorHandler):
    @web.authenticated
    @authorized
    async def get(self, job_id: str) -> None:
        self.require_instructor()
        self.reply(await self.service.regrade(job_id))


class ResultHistoryHandler(InstructorHandler):
    @web.authenticated
    @authorized
    async def get(self, submission_id: str) -> None:
        self.require_instructor()
        self.reply(await self.service.result_history(submission_id))


class OpenAPIHandler(CodeQuestHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.reply(build_openapi(self.base_url))


class NoEndpointHandler(CodeQuestHandler):
    """Anything else under the API prefix: a JSON 404 rather than an HTML page."""

    def _missing(self, *args: Any) -> None:
        raise web.HTTPError(404, f"No CodeQuest endpoint {self.request.method} {self.request.path}")

    @web.authenticated
    @authorized
    async def get(self, *args: Any) -> None:
        self._missing()

    @web.authenticated
    @authorized
    async def post(self, *args: Any) -> None:
        self._missing()


_CID = r"(?P<challenge_id>[^/]+)"
_SID = r"(?P<submission_id>[^/]+)"
_JID = r"(?P<job_id>[^/]+)"
API = "/codequest/api"


def route_table(
    info: type,
    challenges: type,
    challenge: type,
    workspace: type,
    reset: type,
    challenge_submissions: type,
    submissions: type,
    submission: type,
    events: type,
    code: type,
    restore: type,
    openapi: type,
    extra: tuple[tuple[str, type], ...] = (),
) -> list[tuple[str, type]]:
    """The API's URL patterns, each with the handler that serves it: one table for a
    server that grades (here) and one in remote mode (:mod:`.remote_handlers`);
    ``extra``: further routes (patterns under the API), before the catch-all."""
    return [
        (rf"{API}/info", info),
        (rf"{API}/challenges", challenges),
        (rf"{API}/challenges/{_CID}", challenge),
        (rf"{API}/challenges/{_CID}/workspace", workspace),
        (rf"{API}/challenges/{_CID}/reset", reset),
        (rf"{API}/challenges/{_CID}/submissions", challenge_submissions),
        (rf"{API}/submissions", submissions),
        (rf"{API}/submissions/{_SID}", submission),
        (rf"{API}/submissions/{_SID}/events", events),
        (rf"{API}/submissions/{_SID}/code", code),
        (rf"{API}/submissions/{_SID}/restore", restore),
        *((API + pattern, handler) for pattern, handler in extra),
        (rf"{API}/openapi.json", openapi),
        (rf"{API}(?:/.*)?", NoEndpointHandler),
    ]


def instructor_routes(
    results: type, stats: type, matrix: type, gradebook: type, regrades: type, regrade: type
) -> tuple[tuple[str, type], ...]:
    """The instructors' endpoints (``extra`` of :func:`route_table`): served where
    grading and the store live, relayed to the service in remote mode."""
    return (
        (rf"/submissions/{_SID}/results", results),
        (rf"/challenges/{_CID}/stats", stats),
        (r"/class", matrix),
        (r"/gradebook.csv", gradebook),
        (r"/regrades", regrades),
        (rf"/regrades/{_JID}", regrade),
    )


HANDLERS = route_table(
    info=InfoHandler,
    challenges=ChallengesHandler,
    challenge=ChallengeHandler,
    workspace=WorkspaceHandler,
    reset=ResetHandler,
    challenge_submissions=ChallengeSubmissionsHandler,
    submissions=AllSubmissionsHandler,
    submission=SubmissionHandler,
    events=EventsHandler,
    code=SubmissionCodeHandler,
    restore=RestoreHandler,
    openapi=OpenAPIHandler,
    extra=instructor_routes(
        results=ResultHistoryHandler,
        stats=ChallengeStatsHandler,
        matrix=ClassMatrixHandler,
        gradebook=GradebookHandler,
        regrades=RegradesHandler,
        regrade=RegradeHandler,
    ),
)
