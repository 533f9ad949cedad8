"""Helpers for testing the server extension through pytest-jupyter.

The fixtures built on them (``jp_server_config``, ``challenges_root``, ``api``...)
are in ``conftest.py``. The server runs with unauthenticated access off and an identity provider that gives
each token its own user, so tests can act as several learners and an instructor.
Every response that goes through :func:`api` is validated against the served
OpenAPI document.
"""

from __future__ import annotations

import functools
import inspect
import json
import textwrap
import urllib.parse
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from jupyter_core.utils import ensure_event_loop
from jupyter_server.auth.identity import IdentityProvider, User
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse
from traitlets import Dict

from codequest_jupyter.openapi import SCHEMAS

BASE_URL = "/a%40b/"  # pytest-jupyter's jp_base_url
API = "codequest/api"
TOKENS = {
    "alice-token": "alice",
    "bob-token": "bob",
    "carol-token": "carol",  # the instructor
    "dave-token": "dave",
    "erin-token": "erin",
}


def server_test(fn: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """Run an async test on pytest-jupyter's event loop, where the server lives.

    The project runs pytest-asyncio in auto mode, which would otherwise run the test
    on a loop of its own, where the server never answers. The wrapper is a plain
    function (so pytest-asyncio leaves it alone) with the test's signature (so
    pytest still hands it the fixtures).
    """
    assert inspect.iscoroutinefunction(fn)

    @functools.wraps(fn)
    def run(**kwargs: Any) -> None:
        ensure_event_loop(prefer_selector_loop=True).run_until_complete(fn(**kwargs))

    return run


def auth(user: str) -> dict[str, str]:
    """Headers authenticating as ``user`` (one of TOKENS' users)."""
    token = next(t for t, u in TOKENS.items() if u == user)
    return {"Authorization": f"token {token}"}


class MultiUserIdentityProvider(IdentityProvider):
    """One user per token (the server's own token is alice's)."""

    tokens = Dict(config=True, help="token -> user name")

    async def get_user_token(self, handler: Any) -> User | None:
        given = self.get_token(handler)
        if not given:
            return None
        name = self.tokens.get(given) or ("alice" if given == self.token else None)
        if name is None:
            return None
        return User(username=name, name=name, display_name=name.title())


# -- test-local challenges ------------------------------------------------------


def notebook(*sources: str) -> dict[str, Any]:
    """An nbformat 4 notebook with one code cell per source."""
    return {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
        "cells": [
            {
                "cell_type": "code",
                "id": f"c{i}",
                "metadata": {},
                "execution_count": None,
                "outputs": [],
                "source": src,
            }
            for i, src in enumerate(sources)
        ],
    }


def write_challenge(
    root: Path,
    cid: str,
    *,
    starter: str,
    tests: dict[str, str],
    hidden: dict[str, str] | None = None,
    files: dict[str, str] | None = None,
    locked: list[str] | None = None,
    listed: list[str] | None = None,
    extra_toml: str = "",
) -> Path:
    """Write a small challenge directory ``root/cid`` whose module is ``cid`` (underscored).

    ``files`` are written and listed in ``files =`` (or ``listed`` is, when given:
    e.g. a folder name).
    """
    path = root / cid
    module = cid.replace("-", "_")
    (path / "tests").mkdir(parents=True)
    toml = [
        f'title = "{cid.title()}"',
        'difficulty = "easy"',
        "estimated_minutes = 5",
        'tags = ["test"]',
        f'notebook = "{module}.ipynb"',
        f'module = "{module}"',
    ]
    if files:
        toml.append("files = " + json.dumps(listed or sorted(files)))
        for rel, text in files.items():
            (path / rel).parent.mkdir(parents=True, exist_ok=True)
            (path / rel).write_text(text)
    if locked:
        toml.append("locked = " + json.dumps(locked))
    toml.append(textwrap.dedent(extra_toml))
    (path / "challenge.toml").write_text("\n".join(toml) + "\n")
    (path / f"{module}.ipynb").write_text(json.dumps(notebook(starter)))
    for name, src in tests.items():
        (path / "tests" / name).write_text(textwrap.dedent(src))
    if hidden:
        (path / "hidden").mkdir()
        for name, src in hidden.items():
            (path / "hidden" / name).write_text(textwrap.dedent(src))
    return path


ANSWER_TESTS = {
    "test_answer.py": """
        from answer import answer

        def test_is_42():
            assert answer() == 42

        def test_is_int():
            assert isinstance(answer(), int)
    """,
}
ANSWER_HIDDEN = {
    "test_hidden.py": """
        from answer import answer

        def test_secret():
            assert answer() + 1 == 43, "the secret check"
    """,
}


def answer_notebook(value: int) -> dict[str, Any]:
    return notebook(f"def answer():\n    return {value}\n")


# -- OpenAPI-validated requests ---------------------------------------------------


def validate_schema(name: str, data: Any) -> None:
    """Validate ``data`` against one component schema of the OpenAPI document."""
    from openapi_schema_validator import OAS31Validator

    # "$ref" next to other keywords is fine in JSON Schema 2020-12: the reference
    # resolves inside this very document.
    schema = {"components": {"schemas": SCHEMAS}, "$ref": f"#/components/schemas/{name}"}
    OAS31Validator(schema).validate(data)


class Api:
    """``await api.get("challenges", user="bob")`` -> (status, json body, response)."""

    def __init__(self, fetch: Any, openapi: OpenAPI):
        self.fetch = fetch
        self.openapi = openapi

    async def request(
        self,
        method: str,
        *parts: str,
        user: str | None = "alice",
        body: Any = None,
        raw: bytes | None = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        validate: bool = True,
        **kwargs: Any,
    ) -> tuple[int, Any, Any]:
        hdrs = dict(headers or {})
        if user is not None:
            hdrs.update(auth(user))
        else:
            hdrs.setdefault("Authorization", "")
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        if method == "GET":
            data = None
        elif data is None:
            data = b""
        response = await self.fetch(
            API,
            *parts,
            method=method,
            body=data,
            headers=hdrs,
            params=params,
            raise_error=False,
            **kwargs,
        )
        if validate:
            self.check(method, response)
        text = response.body.decode() if response.body else ""
        ctype = response.headers.get("Content-Type", "")
        payload = json.loads(text) if text and ctype.startswith("application/json") else text
        return response.code, payload, response

    def check(self, method: str, response: Any) -> None:
        """Validate a response against the OpenAPI document."""
        url = urllib.parse.urlsplit(response.effective_url)
        request = MockRequest(
            f"{url.scheme}://{url.netloc}",
            method,
            url.path,
            args=dict(urllib.parse.parse_qsl(url.query)),
        )
        ctype = response.headers.get("Content-Type", "application/json").split(";")[0]
        if ctype == "text/event-stream":
            return  # events are validated one by one (see parse_events)
        mock = MockResponse(
            response.body or b"",
            status_code=response.code,
            headers=dict(response.headers),
            content_type=ctype,
        )
        self.openapi.validate_response(request, mock)

    async def get(self, *parts: str, **kwargs: Any) -> tuple[int, Any, Any]:
        return await self.request("GET", *parts, **kwargs)

    async def post(self, *parts: str, **kwargs: Any) -> tuple[int, Any, Any]:
        return await self.request("POST", *parts, **kwargs)


EVENT_SCHEMAS = {
    "status": "StatusEvent",
    "collected": "CollectedEvent",
    "test": "TestResult",
    "result": "Result",
}


def parse_events(text: str) -> list[tuple[str, Any]]:
    """Parse a text/event-stream body into ``[(event, data)]``, validating each payload."""
    events = []
    for block in text.split("\n\n"):
        lines = [line for line in block.split("\n") if line and not line.startswith(":")]
        if not lines:
            continue
        kind = next(line[7:] for line in lines if line.startswith("event: "))
        data = json.loads("\n".join(line[6:] for line in lines if line.startswith("data: ")))
        validate_schema(EVENT_SCHEMAS[kind], data)
        events.append((kind, data))
    return events
