"""Fixtures shared by the test modules.

pytest-jupyter's server fixtures (``jp_fetch``, ``jp_serverapp``...) are available
everywhere; the server under them is configured by ``jp_server_config`` below.
Helpers that are not fixtures live in modules of their own: ``server_fixtures``
(requests validated against the OpenAPI document, test-local challenges),
``challenge_factory``, ``submission_factory``, ``live_server`` (a server as its own
process), ``widget_helpers`` (the Tests panel's), ``pg_fixture`` (a PostgreSQL
server) and ``procs``.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from challenge_factory import make_challenge
from openapi_core import OpenAPI
from pg_fixture import PostgresServer, start_postgres_server
from server_fixtures import (
    ANSWER_HIDDEN,
    ANSWER_TESTS,
    BASE_URL,
    TOKENS,
    Api,
    MultiUserIdentityProvider,
    write_challenge,
)
from traitlets.config import Config
from widget_helpers import RLIMITS, XSS_TESTS, JupyterServer

from codequest_jupyter.grading import Grader
from codequest_jupyter.openapi import build_openapi

pytest_plugins = ("pytest_jupyter.jupyter_server",)


# -- databases ------------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server for the whole test session, on 127.0.0.1."""
    server = start_postgres_server()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.base_dir, ignore_errors=True)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    """The URL of an empty database: a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        # A directory that does not exist yet: the store creates it.
        yield f"sqlite:///{tmp_path}/data/codequest.sqlite"
        return
    server = request.getfixturevalue("postgres_server")
    url = server.new_database()
    yield url
    server.drop_database(url)


# -- the server (pytest-jupyter) -------------------------------------------------


@pytest.fixture
def challenges_root(tmp_path: Path) -> Path:
    """Test-local challenges: ``answer`` (fast), ``slow`` (two tests of 0.5 s), ``helper``
    (a starter file and a locked file, with hints)."""
    root = tmp_path / "challenges"
    root.mkdir()
    write_challenge(
        root,
        "answer",
        starter="def answer():\n    return 0\n",
        tests=ANSWER_TESTS,
        hidden=ANSWER_HIDDEN,
        extra_toml="""
            [[hints]]
            text = "The answer to everything."
            after_attempts = 0

            [[hints]]
            text = "Forty-two."
            after_attempts = 1
        """,
    )
    write_challenge(
        root,
        "slow",
        starter="def answer():\n    return 42\n",
        tests={
            "test_slow.py": """
            import time
            from slow import answer

            def test_first():
                time.sleep(0.5)
                assert answer() == 42

            def test_second():
                time.sleep(0.5)
                assert answer() > 0
        """
        },
    )
    write_challenge(
        root,
        "helper",
        starter="from helpers import double\n\ndef quad(x):\n    return x\n",
        tests={
            "test_quad.py": """
            from helper import quad
            import rules

            def test_quad():
                assert quad(3) == 12

            class TestMore:
                def test_zero(self):
                    assert quad(0) == rules.ZERO
        """
        },
        files={"helpers.py": "def double(x):\n    return 2 * x\n", "rules.py": "ZERO = 0\n"},
        locked=["rules.py"],
    )
    return root


@pytest.fixture
def codequest_options() -> dict[str, Any]:
    """Extra CodeQuestApp configuration; a test overrides it with
    ``@pytest.mark.parametrize("codequest_options", [{...}])``."""
    return {}


@pytest.fixture
def jp_server_config(
    challenges_root: Path, tmp_path: Path, codequest_options: dict[str, Any]
) -> Config:
    options = {
        "challenge_dirs": [str(challenges_root)],
        "db_url": f"sqlite:///{tmp_path / 'codequest.sqlite'}",
        "grading_concurrency": 2,
        "grader_pool_size": 0,
        "instructors": {"carol"},
        "submissions_per_minute": 1000,
        "max_payload_bytes": 256 * 1024,
        "drain_timeout_s": 1.0,  # tests end with gradings still running
        **codequest_options,
    }
    return Config(
        {
            "ServerApp": {
                "jpserver_extensions": {"codequest_jupyter": True},
                "allow_unauthenticated_access": False,
                "identity_provider_class": MultiUserIdentityProvider,
            },
            "MultiUserIdentityProvider": {"tokens": TOKENS},
            "CodeQuestApp": options,
        }
    )


@pytest.fixture
def codequest_app(jp_serverapp: Any) -> Any:
    """The running CodeQuestApp."""
    return jp_serverapp.web_app.settings["codequest"]


@pytest.fixture(scope="session")
def openapi() -> OpenAPI:
    return OpenAPI.from_dict(build_openapi(BASE_URL))


@pytest.fixture
def api(jp_fetch: Any, openapi: OpenAPI) -> Api:
    return Api(jp_fetch, openapi)


# -- the Tests panel (ipywidgets) ------------------------------------------------


@pytest.fixture
async def grader() -> AsyncIterator[Grader]:
    """A grader with resource limits (no bwrap), closed after the test."""
    g = Grader(RLIMITS)
    yield g
    await g.close()


@pytest.fixture(scope="module")
def widget_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterServer]:
    """A ``jupyter server`` with the extension and the ``adder``, ``xss`` and ``slow``
    challenges, shared by the tests of a module (the Tests panel's)."""
    home = tmp_path_factory.mktemp("widget-server")
    challenges = home / "challenges"
    make_challenge(challenges)
    make_challenge(challenges, "xss", tests=XSS_TESTS, hidden={})
    make_challenge(
        challenges,
        "slow",
        tests={
            "test_slow.py": """
        import time
        from adder import add

        def test_one():
            time.sleep(0.8)
            assert add(1, 1) == 2

        def test_two():
            time.sleep(0.8)
            assert add(2, 2) == 4
    """
        },
        hidden={},
    )
    srv = JupyterServer(home, challenges)
    yield srv
    srv.stop()
