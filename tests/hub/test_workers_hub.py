"""Hub mode with grading workers: the hub-managed service queues, a worker grades.

A hub of its own (the guide's files as they are, plus
``c.CodeQuestService.grading = "workers"``) and one ``codequest worker`` started as
the service's system user with the service's configuration file. A learner's
submission through their own server, in remote mode, is accepted while no worker
runs (saved, said to wait), then graded by the worker once it starts; its rows stream
to the learner through the service and the learner's server. An instructor's regrade
through the service is regraded by the worker. And the whole chain in a real
Chromium: JupyterLab through the proxy, the learner's server, the service, the queue,
the worker, LISTEN/NOTIFY and back, the rows streaming in the Tests panel.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest
from hubcase import API, CID, SERVICE_API, make_library, stream, wrong_and_right
from hubenv import HubEnv, start_hub
from procs import stop_process
from test_lab_browser import (  # noqa: F401 - chromium and the two autouse: fixtures
    chromium,
    grade_in_lab,
    jp_asyncio_loop,
    jp_server_cleanup,
    prepare_lab_learner,
)

pytestmark = pytest.mark.hub


@pytest.fixture(scope="module")
def hub_workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubEnv]:
    library = tmp_path_factory.mktemp("library")
    make_library(library)
    env = start_hub(
        library,
        learners=2,  # the second: JupyterLab in Chromium
        service_config='c.CodeQuestService.grading = "workers"\n'
        "c.QueuedSubmissionService.sweep_s = 1.0",
    )
    try:
        yield env
    finally:
        env.close()


def start_worker(hub: HubEnv, log_name: str = "worker.log") -> subprocess.Popen[bytes]:
    sdir = hub.service_dir
    log = open(hub.base / log_name, "wb")
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

        # The instructor regrades the learner's two submissions: the worker does it.
        itoken = hub.token_for(hub.instructor)
        status, job, _ = hub.request(
            "POST", SERVICE_API + "regrades", itoken, {"challenge": CID, "learner": name}
        )
        assert status == 202 and job["total"] == 2, job
        deadline = time.monotonic() + 300
        while job["status"] == "running" and time.monotonic() < deadline:
            time.sleep(1)
            status, job, _ = hub.request("GET", SERVICE_API + f"regrades/{job['id']}", itoken)
            assert status == 200, job
        assert (job["status"], job["done"], job["changed"], job["failed"]) == (
            "finished", 2, 0, 0
        ), job  # fmt: skip
        assert [item["new"]["status"] for item in job["items"]] == ["failed", "passed"]
        status, history, _ = hub.request(
            "GET", SERVICE_API + f"submissions/{result['id']}/results", itoken
        )
        assert status == 200 and [h["regrade_id"] for h in history["previous"]] == [job["id"]]
    finally:
        stop_process(worker, 60)
    log = (hub.base / "worker.log").read_text(errors="replace")
    assert "stopped (2 graded, 2 regraded)" in log, log[-3000:]
    assert "grading sandbox" in log


@pytest.mark.browser
def test_jupyterlab_in_chromium_streams_the_rows_a_worker_grades(
    hub_workers: HubEnv,
    chromium: Any,  # noqa: F811 - the fixture imported above
) -> None:
    """Run tests and Submit in the learner's JupyterLab, graded by a worker: the rows
    stream in (each verdict as its test ends) exactly as when the service grades."""
    hub = hub_workers
    name = prepare_lab_learner(hub, hub.learners[1])
    worker = start_worker(hub, "worker-lab.log")
    try:
        grade_in_lab(hub, chromium, name)
    finally:
        stop_process(worker, 60)
    log = (hub.base / "worker-lab.log").read_text(errors="replace")
    assert "stopped (2 graded, 0 regraded)" in log, log[-3000:]
