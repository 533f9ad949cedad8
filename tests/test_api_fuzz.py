"""Schema-driven fuzzing of the REST API: schemathesis against a real server.

A real ``jupyter server`` process with CodeQuest (token auth, its own config, data and
runtime directories, a small challenge) is fuzzed from the OpenAPI document it
publishes. Every request, valid or not, must get an answer the document describes: no
5xx, the documented status codes, content types, headers and schemas; malformed input
a 4xx; a 405 with its ``Allow`` header. Bounded in examples and time: schemathesis
fuzzes until ``MAX_TIME_S`` is spent, so the test takes about 1.5 minutes even on a
busy two-core machine. A failure prints a reproducible ``curl`` line and the seed.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from live_server import TOKEN, start_server
from server_fixtures import ANSWER_HIDDEN, ANSWER_TESTS, write_challenge

from codequest_jupyter.openapi import build_openapi

# Every check schemathesis has, less one: positive_data_acceptance expects any request
# the schema allows to succeed, but a few rules are the domain's on purpose, not the
# schema's (paths without '..' or reserved names, a notebook's cells, an existing
# workspace notebook): those requests get a documented 400/404 with a message.
EXCLUDED_CHECKS = ["positive_data_acceptance"]
MAX_EXAMPLES = 12
MAX_TIME_S = 50
# Latency is the benchmarks' business, not this test's: a response may take as long as
# the request timeout (a ``?wait=true`` submission waits for the gradings queued before
# it, on a busy machine), and schemathesis's own response-time check is held to that.
REQUEST_TIMEOUT_S = 60


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    base = tmp_path_factory.mktemp("fuzz")
    write_challenge(
        base / "challenges",
        "answer",
        starter="def answer():\n    return 0\n",
        tests=ANSWER_TESTS,
        hidden=ANSWER_HIDDEN,
    )
    live = start_server(
        base,
        codequest={
            "challenge_dirs": [str(base / "challenges")],
            # A kernel and a judge started ahead keep the queue of fuzzed submissions short.
            "grader_pool_size": 1,
            "grading_concurrency": 1,
            "single_user_name": "fuzzer",
            "instructors": ["fuzzer"],
            "submissions_per_minute": 0,
        },
    )
    # A workspace copy, so submissions without a notebook reach the grader too.
    status, _ = live.request("POST", "codequest/api/challenges/answer/workspace", {})
    assert status == 200
    yield live
    live.stop()


def test_the_api_answers_every_generated_request_as_documented(server, tmp_path: Path):
    command = [
        sys.executable, "-m", "schemathesis.cli", "run",
        f"{server.api_url}/openapi.json",
        "--header", f"Authorization: token {TOKEN}",
        "--checks", "all",
        "--exclude-checks", ",".join(EXCLUDED_CHECKS),
        "--phases", "examples,coverage,fuzzing,stateful",
        "--max-examples", str(MAX_EXAMPLES),
        "--max-time", str(MAX_TIME_S),
        "--workers", "1",
        "--request-timeout", str(REQUEST_TIMEOUT_S),
        "--max-response-time", str(REQUEST_TIMEOUT_S),
        "--suppress-health-check", "all",
        "--no-color",
        "--report", "junit",
        "--report-dir", str(tmp_path),
    ]  # fmt: skip
    run = subprocess.run(
        command,
        check=False,
        capture_output=True,
        text=True,
        timeout=MAX_TIME_S + 120,
        cwd=tmp_path,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-12000:] + "\n--- server log ---\n" + server.output()[-4000:]
    # The run did test every operation it selected (not just load the document and stop).
    selected = re.search(r"Selected: (\d+)/(\d+)", output)
    tested = re.search(r"Tested: (\d+)", output)
    assert selected and tested, output[-3000:]
    assert int(tested[1]) == int(selected[1]) == int(selected[2]) >= len(build_openapi()["paths"])
    assert "Uncaught exception" not in server.output(), server.output()[-6000:]
