"""Identity and permissions of the grading service, all taken from JupyterHub.

Every request to the service carries a hub token: the OAuth cookie of a browser, or an
API token (a learner's server forwards its ``JUPYTERHUB_API_TOKEN``, which the hub
knows as the server owner's). :class:`HubIdentityProvider` asks the hub whom the token
belongs to (JupyterHub's own ``HubOAuth``, with its cache) and checks it grants
``access:services!service=<name>``. The user's name and groups come from that reply
only: nothing a request, a learner's server or its configuration says is believed.

:class:`ServiceAuthorizer` allows the ``codequest`` resource and nothing else, so the
Jupyter server underneath exposes no contents, kernels or terminals, which would run
as the service's own user.
"""

from __future__ import annotations

from typing import Any

from jupyter_server.auth.authorizer import Authorizer
from jupyterhub.singleuser.extension import JupyterHubIdentityProvider, JupyterHubUser

#: The one authorization resource the service serves (the handlers' ``auth_resource``).
SERVICE_RESOURCE = "codequest"


class HubIdentityProvider(JupyterHubIdentityProvider):
    """JupyterHub's identity provider for servers, used by a hub service.

    It reads the service's settings from the environment the hub gives a managed
    service (``JUPYTERHUB_API_TOKEN``, ``JUPYTERHUB_API_URL``, ``JUPYTERHUB_CLIENT_ID``,
    ``JUPYTERHUB_SERVICE_PREFIX``, ``JUPYTERHUB_OAUTH_ACCESS_SCOPES``...), so browsers
    sign in with the hub's OAuth and servers and scripts send a hub API token.

    A request whose token the hub does not know (none, expired, revoked) is marked
    ``codequest_signed_out``: the API answers it 401 *sign in again*; a known user
    without access to the service stays a 403.
    """

    async def get_user(self, handler: Any) -> Any:
        user = await super().get_user(handler)
        # JupyterHub's provider records None when the hub identified nobody, and
        # nothing when it identified a user it then refused for lack of scopes.
        if user is None and getattr(handler, "_jupyterhub_user", False) is None:
            handler.codequest_signed_out = True
        return user


def hub_groups(user: Any) -> frozenset[str]:
    """The hub groups of an authenticated user (empty for anything not from the hub)."""
    hub_user = getattr(user, "hub_user", None)
    if not isinstance(hub_user, dict):
        return frozenset()
    return frozenset(str(g) for g in hub_user.get("groups") or ())


class ServiceAuthorizer(Authorizer):
    """Only the CodeQuest API, and only for users holding the service's access scope."""

    def is_authorized(self, handler: Any, user: Any, action: str, resource: str) -> bool:
        if resource != SERVICE_RESOURCE or not isinstance(user, JupyterHubUser):
            return False
        hub_auth = self.identity_provider.hub_auth  # type: ignore[attr-defined]
        required = hub_auth.access_scopes
        return bool(required) and bool(hub_auth.check_scopes(required, user.hub_user))
