"""REST endpoints only the grading service has (added to the API of personal mode)."""

from __future__ import annotations

import anyio
from jupyter_server.auth.decorator import authorized
from tornado import web

from ..handlers import API, CodeQuestHandler
from .material import material_json


class MaterialHandler(CodeQuestHandler):
    """``GET challenges/{id}/material``: notebook, starter files and public tests."""

    @web.authenticated
    @authorized
    async def get(self, challenge_id: str) -> None:
        challenge = self.views.get(challenge_id)
        self.reply(await anyio.to_thread.run_sync(material_json, challenge))


SERVICE_HANDLERS = [
    (rf"{API}/challenges/(?P<challenge_id>[^/]+)/material", MaterialHandler),
]
