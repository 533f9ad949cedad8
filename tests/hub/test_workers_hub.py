"""Hub mode with grading workers: the hub-managed service queues, a worker grades.

A hub of its own (the guide's files as they are, plus
``c.CodeQuestService.grading = "workers"``) and one ``codequest worker`` started as
the service's system user with the service's configuration file. A learner's
submission through their own server, in remote mode, is accepted while no worker
runs (saved, said to wait), then graded by the worker once it starts; its rows stream
to the learner through the service and the learner's server.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest
from hubcase import API, CID, make_library, stream, wrong_and_right
from hubenv import HubEnv, start_hub
from procs import stop_process

pytestmark = pytest.mark.hub


@pytest.fixture(scope="module")
def hub_workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubEnv]:
    library = tmp_path_factory.mktemp("library")
    make_library(library)
    env = start_hub(
        library,
        learners=1,
        service_config='c.CodeQuestService.grading = "workers"\n'
        "c.QueuedSubmissionService.sweep_s = 1.0",
    )
    try:
        yield env
    finally:
        env.close()


def start_worker(hub: HubEnv) -> subprocess.Popen[bytes]:
    sdir = hub.service_dir
    log = open(hub.base / "worker.log", "wb")
    return subprocess.Popen(
        [
            "runuser", "-u", hub.service_user, "--", "env",
            f"CODEQUEST_SERVICE_DIR={sdir}",
            f"JUPYTER_CONFIG_DIR={sdir / 'jupyter/config'}",
            f"JUPYTER_DATA_DIR={sdir / 'jupyter/data'}",
            f"JUPYTER_RUNTIME_DIR={sdir / 'jupyter/runtime'}",
            str(hub.python), "-m", "codequest_jupyter", "worker",
            f"--config={sdir / 'codequest_service_config.py'}",
        ],
        cwd=sdir, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip


def test_the_hub_managed_service_queues_and_a_worker_grades(hub_workers: HubEnv) -> None:
    hub = hub_workers
    name = hub.learners[0]
    hub.start_server(name)
    token = hub.token_for(name)
    base = f"user/{name}/{API}"
    wrong, right = wrong_and_right()

    # No worker yet: accepted and saved, waiting.
    status, queued, _ = hub.request(
        "POST", base + f"challenges/{CID}/submissions", token, {"mode": "submit", "notebook": wrong}
    )
    assert status == 202, (queued, hub.log_tail())
    status, waiting, _ = hub.request("GET", base + f"submissions/{queued['id']}", token)
    assert status == 200 and waiting["status"] == "queued" and waiting["user"] == name

    worker = start_worker(hub)
    try:
        events = stream(hub, base + f"submissions/{queued['id']}/events", token)
        kinds = [kind for kind, _ in events]
        assert kinds.count("test") == 3 and kinds[-1] == "result", kinds
        assert events[-1][1]["status"] == "failed" and events[-1][1]["user"] == name

        status, result, _ = hub.request(
            "POST", base + f"challenges/{CID}/submissions?wait=true", token,
            {"mode": "submit", "notebook": right},
        )  # fmt: skip
        assert status == 200, (result, hub.log_tail())
        assert result["status"] == "passed" and result["score"] == 3
        assert result["user"] == name
    finally:
        stop_process(worker, 60)
    log = (hub.base / "worker.log").read_text(errors="replace")
    assert "stopped (2 graded)" in log, log[-3000:]
    assert "grading sandbox" in log
