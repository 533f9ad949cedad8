"""REST handlers of a learner's server in remote mode (same API as personal mode).

The workspace operations run here, on the learner's own files; challenges, grading,
history and snapshots are asked of the grading service with this server's hub token.
The service's replies go back as they are (status and JSON), its event stream chunk by
chunk as it arrives. When the service cannot be reached the reply is a 503 saying
grading is unavailable; nothing in the workspace is lost.
"""

from __future__ import annotations

import json
from typing import Any

from jupyter_server.auth.decorator import authorized
from tornado import web
from tornado.iostream import StreamClosedError

from .._version import __version__
from ..openapi import API_VERSION, build_openapi
from ..paths import check_relpath
from .handlers import CodeQuestHandler, instructor_routes, route_table
from .remote import UNAVAILABLE, ServiceClient, ServiceError, _quote, service_error


class RemoteHandler(CodeQuestHandler):
    @property
    def client(self) -> ServiceClient:
        return self.settings["codequest_client"]

    async def relay(self, method: str, path: str, names: tuple[str, ...] = ()) -> None:
        """Ask the service and reply with its JSON; ``names``: query arguments passed on."""
        query = {n: v for n in names if (v := self.get_query_argument(n, None)) is not None}
        self.reply(await self.client.json(method, path, query=query))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc_info = kwargs.get("exc_info")
        exc = exc_info[1] if exc_info else None
        if isinstance(exc, ServiceError) and exc.retry_after:
            self.set_header("Retry-After", exc.retry_after)
        super().write_error(status_code, **kwargs)


class InfoHandler(RemoteHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        info: dict[str, Any] = {
            "version": __version__,
            "api_version": API_VERSION,
            "user": self.current_user.username,
            "instructor": False,
            "mode": "remote",
            "service_available": True,
        }
        try:
            remote = await self.client.json("GET", "info")
            info.update(user=remote["user"], instructor=bool(remote.get("instructor")))
        except ServiceError as exc:
            info.update(service_available=False, service_message=exc.message)
        self.reply(info)


class ChallengesHandler(RemoteHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        await self.relay("GET", "challenges")


class ChallengeHandler(RemoteHandler):
    @web.authenticated
    @authorized
    async def get(self, challenge_id: str) -> None:
        detail = await self.client.json("GET", f"challenges/{_quote(challenge_id)}")
        challenge = await self.client.challenge(challenge_id)
        detail["workspace"] = await self.settings["codequest_workspace"].info(challenge)
        self.reply(detail)


class WorkspaceHandler(RemoteHandler):
    @web.authenticated
    @authorized
    async def post(self, challenge_id: str) -> None:
        self.checked_body("openWorkspace")  # no fields yet, but malformed JSON is an error
        challenge = await self.client.challenge(challenge_id)
        self.reply(await self.settings["codequest_workspace"].open(challenge))


class ResetHandler(RemoteHandler):
    """The starter comes from the service's public material, as when it was opened."""

    @web.authenticated
    @authorized
    async def post(self, challenge_id: str) -> None:
        self.checked_body("resetWorkspace")  # no fields yet, but malformed JSON is an error
        challenge = await self.client.challenge(challenge_id)
        self.reply(await self.settings["codequest_workspace"].reset(challenge))


class ChallengeSubmissionsHandler(RemoteHandler):
    @web.authenticated
    @authorized
    async def get(self, challenge_id: str) -> None:
        await self.relay("GET", f"challenges/{_quote(challenge_id)}/submissions",
                         ("limit", "offset"))  # fmt: skip

    @web.authenticated
    @authorized
    async def post(self, challenge_id: str) -> None:
        wait = self.checked_query("submit").get("wait", False)
        body = self.checked_body("submit")
        body = {} if body is None else dict(body)
        if body.get("notebook") is None:
            # Graded from the workspace: the learner's files travel in the request.
            path = body.pop("path", None)
            path = check_relpath(path, "path") if path is not None else None
            challenge = await self.client.challenge(challenge_id)
            notebook, files = await self.settings["codequest_workspace"].read_submission(
                challenge, path
            )
            body = {**body, "notebook": notebook}
            if body.get("files") is None:
                body["files"] = files
        reply = await self.client.fetch(
            "POST",
            f"challenges/{_quote(challenge_id)}/submissions",
            query={"wait": "true"} if wait else None,
            body=body,
            timeout_s=3600.0 if wait else None,
        )
        data = json.loads(reply.body)
        if reply.code == 202:
            self.set_header(
                "Location",
                self.request.path.rsplit("/challenges/", 1)[0] + f"/submissions/{data['id']}",
            )
        self.reply(data, status=reply.code)


class AllSubmissionsHandler(RemoteHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        await self.relay("GET", "submissions", ("user", "challenge", "limit", "offset"))


class SubmissionHandler(RemoteHandler):
    @web.authenticated
    @authorized
    async def get(self, submission_id: str) -> None:
        await self.relay("GET", f"submissions/{_quote(submission_id)}")


class SubmissionCodeHandler(RemoteHandler):
    @web.authenticated
    @authorized
    async def get(self, submission_id: str) -> None:
        await self.relay("GET", f"submissions/{_quote(submission_id)}/code")


class RestoreHandler(RemoteHandler):
    @web.authenticated
    @authorized
    async def post(self, submission_id: str) -> None:
        body = self.checked_body("restoreSubmission") or {}
        path = body.get("path")
        path = check_relpath(path, "path") if path is not None else None
        sid = _quote(submission_id)
        result = await self.client.json("GET", f"submissions/{sid}")
        code = await self.client.json("GET", f"submissions/{sid}/code")
        challenge = await self.client.challenge(result["challenge"])
        self.reply(
            await self.settings["codequest_workspace"].restore(
                challenge, code["notebook"], code.get("files") or {}, path
            )
        )


class EventsHandler(RemoteHandler):
    """The service's ``text/event-stream``, passed on chunk by chunk."""

    @web.authenticated
    @authorized
    async def get(self, submission_id: str) -> None:
        status: list[int] = []
        error_body: list[bytes] = []
        self._gone = False

        def on_status(code: int) -> None:
            status.append(code)
            if code == 200:
                self.set_header("Content-Type", "text/event-stream; charset=utf-8")
                self.set_header("Cache-Control", "no-cache")
                self.set_header("X-Accel-Buffering", "no")

        def on_chunk(chunk: bytes) -> None:
            if self._gone:
                raise StreamClosedError()  # ends the request to the service too
            if status and status[-1] == 200:
                self.write(chunk)
                # A learner who left shows up here as a closed stream; noticed above.
                self.flush().add_done_callback(_swallow)
            else:
                error_body.append(chunk)

        try:
            reply = await self.client.stream(
                f"submissions/{_quote(submission_id)}/events", on_status, on_chunk
            )
        except OSError:
            reply = None
        if self._gone:
            return
        code = status[-1] if status else (reply.code if reply is not None else 599)
        if code == 200:
            self.finish()
        elif code == 599 or not status:
            raise ServiceError(503, UNAVAILABLE)
        else:
            raise service_error(code, b"".join(error_body))

    def on_connection_close(self) -> None:
        self._gone = True  # the learner went away; the grading carries on
        super().on_connection_close()


def _swallow(future: Any) -> None:
    if not future.cancelled():
        future.exception()


class InstructorRelay(RemoteHandler):
    """Base of the instructors' endpoints in remote mode: passed on to the service.

    This server decides nothing: the service asks the hub whose token it is and
    whether they are in the instructors' group, and answers 403 to everyone else.
    """


class ResultHistoryRelay(InstructorRelay):
    @web.authenticated
    @authorized
    async def get(self, submission_id: str) -> None:
        await self.relay("GET", f"submissions/{_quote(submission_id)}/results")


class ChallengeStatsRelay(InstructorRelay):
    @web.authenticated
    @authorized
    async def get(self, challenge_id: str) -> None:
        await self.relay("GET", f"challenges/{_quote(challenge_id)}/stats")


class ClassMatrixRelay(InstructorRelay):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.checked_query("getClassMatrix")
        await self.relay("GET", "class", ("challenge",))


class GradebookRelay(InstructorRelay):
    """The service's CSV, byte for byte, with its file name."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.checked_query("getGradebook")
        query = {"challenge": c} if (c := self.get_query_argument("challenge", None)) else None
        reply = await self.client.fetch("GET", "gradebook.csv", query=query)
        disposition = reply.headers.get("Content-Disposition")
        if disposition:
            self.set_header("Content-Disposition", disposition)
        content_type = reply.headers.get("Content-Type") or "text/csv; charset=utf-8"
        self.finish(reply.body, set_content_type=content_type)


class RegradesRelay(InstructorRelay):
    @web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.checked_body("startRegrade")
        reply = await self.client.fetch("POST", "regrades", body=body)
        job = json.loads(reply.body)
        self.set_header("Location", f"{self.request.path}/{job['id']}")
        self.reply(job, status=reply.code)


class RegradeRelay(InstructorRelay):
    @web.authenticated
    @authorized
    async def get(self, job_id: str) -> None:
        await self.relay("GET", f"regrades/{_quote(job_id)}")


class OpenAPIHandler(RemoteHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.reply(build_openapi(self.base_url))


REMOTE_HANDLERS = route_table(
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
        results=ResultHistoryRelay,
        stats=ChallengeStatsRelay,
        matrix=ClassMatrixRelay,
        gradebook=GradebookRelay,
        regrades=RegradesRelay,
        regrade=RegradeRelay,
    ),
)
