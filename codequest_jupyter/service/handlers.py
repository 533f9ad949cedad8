"""Endpoints only the grading service has (added to the API of personal mode)."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, cast

import anyio
from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.extension.handler import ExtensionHandlerMixin
from tornado import web

from .._version import __version__
from ..material import material_json
from ..server.handlers import API, AUTH_RESOURCE, CodeQuestHandler

if TYPE_CHECKING:
    from ..server.app import CodeQuestApp


class MaterialHandler(CodeQuestHandler):
    """``GET challenges/{id}/material``: notebook, starter files and public tests."""

    @web.authenticated
    @authorized
    async def get(self, challenge_id: str) -> None:
        challenge = self.views.get(challenge_id)
        self.reply(await anyio.to_thread.run_sync(material_json, challenge))


class HomeHandler(ExtensionHandlerMixin, JupyterHandler):
    """The service's page in a browser (the hub's Services menu links here).

    Not an API handler: a browser without the service's cookie is sent through the
    hub's OAuth login first, then sees who it is signed in as and where the API is.
    """

    auth_resource = AUTH_RESOURCE

    @web.authenticated
    @authorized
    async def get(self) -> None:
        app = cast("CodeQuestApp", self.extensionapp)
        name = app.user_name(self.current_user)
        role = "instructor" if app.is_instructor(self.current_user) else "learner"
        api = html.escape(f"{self.base_url}codequest/api/openapi.json")
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(
            "<!doctype html><html><head><meta charset='utf-8'>"
            "<title>CodeQuest grading service</title></head><body>"
            f"<h1>CodeQuest grading service</h1><p>Version {html.escape(__version__)}. "
            f"Signed in as <b>{html.escape(name)}</b> ({role}). "
            f"{len(app.catalog)} challenges.</p>"
            "<p>Open challenges from JupyterLab on your own server; grading happens here. "
            f"The REST API is described at <a href='{api}'>{api}</a>.</p></body></html>"
        )


SERVICE_HANDLERS = [
    (rf"{API}/challenges/(?P<challenge_id>[^/]+)/material", MaterialHandler),
]

#: Routes outside the API (not in the OpenAPI document).
SERVICE_PAGES = [(r"/codequest/?", HomeHandler)]
