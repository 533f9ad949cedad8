"""A token-per-user identity provider for the load test's server (loopback only).

Each simulated learner authenticates with a token of its own, so the server stores its
submissions under its own name, as a hub would.
"""

from __future__ import annotations

from typing import Any

from jupyter_server.auth.identity import IdentityProvider, User
from traitlets import Dict


class TokenPerUser(IdentityProvider):
    """``tokens`` maps each token to a user name."""

    tokens = Dict(config=True, help="token -> user name")

    async def get_user_token(self, handler: Any) -> User | None:
        name = self.tokens.get(self.get_token(handler) or "")
        if name is None:
            return None
        return User(username=name, name=name, display_name=name)
