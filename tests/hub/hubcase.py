"""What the hub tests share: the challenges of the library, names, small helpers."""

from __future__ import annotations

import json
import secrets
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from challenge_factory import make_challenge, notebook
from hubenv import HubEnv

SECRET = f"hidden-marker-{secrets.token_hex(8)}"  # in the hidden test and the solution only
CID = "hub-adder"
SLOW = "hub-slow"
API = "codequest/api/"
SERVICE_API = f"services/codequest/{API}"


def make_library(library: Path) -> None:
    """``hub-adder`` (a hidden test and a solution holding SECRET) and ``hub-slow``."""
    make_challenge(
        library,
        CID,
        hidden={
            "test_add_hidden.py": f"""
                from adder import add

                def test_large_numbers():
                    '''{SECRET}'''
                    assert add(10**12, 1) == 10**12 + 1
            """
        },
        solution=f"def add(a, b):\n    # {SECRET}\n    return a + b\n",
    )
    # A test that takes seconds, to tell a streamed event stream from a buffered one.
    make_challenge(
        library,
        SLOW,
        tests={
            "test_slow.py": """
                import time
                from adder import add

                def test_quick():
                    assert add(1, 1) == 2

                def test_slow():
                    time.sleep(4)
                    assert add(2, 2) == 4
            """
        },
        hidden={},
        limits="timeout_s = 60\nmemory_mb = 256",
    )


def wrong_and_right() -> tuple[dict[str, Any], dict[str, Any]]:
    wrong = notebook("def add(a, b):\n    return a - b\n")
    right = notebook("def add(a, b):\n    return a + b\n")
    return wrong, right


def stream(
    hub: HubEnv, path: str, token: str, arrived: dict[str, float] | None = None
) -> list[tuple[str, dict]]:
    """The server-sent events of ``path``, read through the proxy until the result;
    ``arrived`` gets the time each test (by name) and the result came in."""
    req = urllib.request.Request(hub.url + path, headers={"Authorization": f"token {token}"})
    events: list[tuple[str, dict]] = []
    with urllib.request.urlopen(req, timeout=180) as reply:
        assert reply.headers["Content-Type"].startswith("text/event-stream")
        kind = None
        for raw in reply:
            line = raw.decode().rstrip("\n")
            if line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: ") and kind:
                events.append((kind, json.loads(line[6:])))
                if arrived is not None and kind in ("test", "result"):
                    name = events[-1][1]["name"] if kind == "test" else kind
                    arrived[name] = time.monotonic()
                if kind == "result":
                    break
    return events


def restart_with_revoked_token(hub: HubEnv, name: str) -> None:
    """Start ``name``'s server afresh and revoke the token it talks to the service with.

    A fresh server: its token has never reached the service, which keeps the hub's
    answer about a token for minutes (a revocation shows once that has expired).
    """
    if (hub.hub_api("GET", f"users/{name}").get("servers") or {}).get(""):
        hub.stop_server(name)
    hub.start_server(name)
    tokens = hub.hub_api("GET", f"users/{name}/tokens")["api_tokens"]
    server_tokens = [t for t in tokens if (t.get("note") or "").startswith("Server at")]
    assert len(server_tokens) == 1, tokens
    hub.hub_api("DELETE", f"users/{name}/tokens/{server_tokens[0]['id']}")
