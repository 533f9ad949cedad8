"""An identity provider for browser tests with several users on one JupyterLab.

JupyterLab's page sends the server's own token with every request, whatever user
opened it. Here a page opened with ``?token=<a user's token>`` logs that user in
(a login cookie), and the page's requests are then that user's: the server's own
token counts only where no login cookie came with it (the tests' own API calls,
which act as ``server_user``). Loaded by the lab process (``PYTHONPATH``).
"""

from __future__ import annotations

from typing import Any

from jupyter_server.auth.identity import IdentityProvider, User
from traitlets import Dict, Unicode


class CookieUsers(IdentityProvider):
    tokens = Dict(config=True, help="token -> user name")
    server_user = Unicode("carol", config=True, help="Who the server's own token is.")

    async def get_user_token(self, handler: Any) -> User | None:
        given = self.get_token(handler)
        if not given:
            return None
        name = self.tokens.get(given)
        if name is None and given == self.token:
            if handler.get_cookie(self.get_cookie_name(handler)):
                return None  # a browser page: its login cookie says who
            name = self.server_user
        if name is None:
            return None
        return User(username=name, name=name, display_name=name.title())
