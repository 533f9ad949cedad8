"""Fixtures of the hub tests: one JupyterHub for the session (see hubenv.py)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hubcase import make_library
from hubenv import HubEnv, start_hub


@pytest.fixture(scope="session")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubEnv]:
    library = tmp_path_factory.mktemp("library")
    make_library(library)
    env = start_hub(library, learners=3)  # the third: the browser and a revoked token
    try:
        yield env
    finally:
        env.close()


@pytest.fixture(scope="session")
def learner(hub: HubEnv) -> dict[str, str]:
    """The first learner: a hub token and a running server (in remote mode)."""
    name = hub.learners[0]
    hub.start_server(name)
    return {"name": name, "token": hub.token_for(name)}
