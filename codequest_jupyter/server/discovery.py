"""Where a learner's server finds the grading service (remote mode), if anywhere.

In order: ``c.CodeQuestApp.service_url``; ``$CODEQUEST_SERVICE_URL`` (an admin can set
it for every server with ``c.Spawner.environment``); the hub's own record of the
service named ``c.CodeQuestApp.service_name`` (``GET {JUPYTERHUB_API_URL}/services/
<name>``, which the server's token may read when the hub grants it
``read:services!service=<name>``). None of them found: personal mode, as without a hub.

Where the service is decides nothing about grades or identities: the service learns
who the user is from the hub, whatever server or script calls it.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from typing import Any

DISCOVERY_TIMEOUT_S = 5.0


def _slash(url: str) -> str:
    return url if url.endswith("/") else url + "/"


def find_service(app: Any) -> str:
    """The service's base URL (ending in ``/``) or ``""`` for personal mode."""
    if getattr(app, "hub_service", False):
        return ""  # the service itself grades
    if app.service_url:
        return _slash(app.service_url)
    env_url = os.environ.get("CODEQUEST_SERVICE_URL", "").strip()
    if env_url:
        return _slash(env_url)
    api_url = os.environ.get("JUPYTERHUB_API_URL")
    token = app.service_token or os.environ.get("JUPYTERHUB_API_TOKEN")
    if not (api_url and token and app.service_name):
        return ""
    url = f"{_slash(api_url)}services/{app.service_name}"
    request = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
    try:
        # Once, while the server starts (before its event loop serves anything).
        with urllib.request.urlopen(request, timeout=DISCOVERY_TIMEOUT_S) as reply:
            model = json.load(reply)
    except urllib.error.HTTPError as exc:
        app.log.info(
            "CodeQuest: no hub service %r readable (%s): personal mode. Set "
            "c.CodeQuestApp.service_url, or grant servers read:services!service=%s.",
            app.service_name, exc.code, app.service_name,
        )  # fmt: skip
        return ""
    except (OSError, ValueError) as exc:
        app.log.warning("CodeQuest: could not ask the hub for its services (%s)", exc)
        return ""
    return service_url_from_model(model)


def service_url_from_model(model: Any) -> str:
    """The URL a server reaches a hub service at, from the hub's service model."""
    if not isinstance(model, dict):
        return ""
    url, prefix = model.get("url") or "", model.get("prefix") or ""
    if url and prefix:
        return _slash(url.rstrip("/") + "/" + prefix.lstrip("/"))
    return _slash(url) if url else ""
