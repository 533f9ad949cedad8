"""How does the server behave when a class submits at once?

Starts a real ``jupyter server`` with the extension on a fresh SQLite store, sends
``--submissions`` submissions at the same moment and follows each one through its
event stream to the result, while ``/api/status`` is polled to see whether the event
loop stays responsive. Prints p50/p95/max in milliseconds; figures only, no pass/fail.

    python benchmarks/bench_server.py                         # 40 submissions at once
    python benchmarks/bench_server.py --submissions 10 --concurrency 4 --pool 4
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

TOKEN = "bench-token"
STARTER = "def answer():\n    return 0\n"
TESTS = """\
from answer import answer


def test_value():
    assert answer() == 42


def test_type():
    assert isinstance(answer(), int)
"""


def notebook(value: int) -> dict:
    return {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {},
        "cells": [
            {
                "cell_type": "code",
                "id": "c0",
                "metadata": {},
                "execution_count": None,
                "outputs": [],
                "source": f"def answer():\n    return {value}\n",
            }
        ],
    }


def write_challenge(root: Path) -> None:
    path = root / "answer"
    (path / "tests").mkdir(parents=True)
    (path / "challenge.toml").write_text(
        'title = "Answer"\nnotebook = "answer.ipynb"\nmodule = "answer"\n'
    )
    (path / "answer.ipynb").write_text(json.dumps(notebook(0)))
    (path / "tests" / "test_answer.py").write_text(TESTS)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(port: int, method: str, path: str, body: object = None) -> tuple:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        data=data,
        method=method,
        headers={"Authorization": f"token {TOKEN}"},
    )
    with urllib.request.urlopen(req, timeout=600) as response:
        return response.status, response.read()


def follow(port: int, sid: str) -> None:
    """Read the submission's event stream until its result."""
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/codequest/api/submissions/{sid}/events",
        headers={"Authorization": f"token {TOKEN}"},
    )
    with urllib.request.urlopen(req, timeout=600) as stream:
        for line in stream:
            if line.startswith(b"event: result"):
                return
    raise RuntimeError(f"stream of {sid} ended without a result")


def summary(name: str, seconds: list[float]) -> str:
    ms = sorted(s * 1000 for s in seconds)
    p95 = ms[min(len(ms) - 1, int(round(0.95 * (len(ms) - 1))))]
    return (
        f"{name:<34} n={len(ms):<5} p50={statistics.median(ms):8.1f}  "
        f"p95={p95:8.1f}  max={ms[-1]:8.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--submissions", type=int, default=40)
    parser.add_argument("--concurrency", type=int, default=2, help="grading_concurrency")
    parser.add_argument("--pool", type=int, default=2, help="grader_pool_size")
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="codequest-bench-"))
    write_challenge(home / "challenges")
    (home / "root").mkdir()
    (home / "config").mkdir()
    (home / "config" / "jupyter_server_config.json").write_text(
        json.dumps(
            {
                "ServerApp": {"jpserver_extensions": {"codequest_jupyter": True}},
                "CodeQuestApp": {
                    "challenge_dirs": [str(home / "challenges")],
                    "db_url": f"sqlite:///{home / 'codequest.sqlite'}",
                    "grading_concurrency": args.concurrency,
                    "grader_pool_size": args.pool,
                    "submissions_per_minute": 0,
                },
            }
        )
    )
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(Path(__file__).resolve().parents[1])]),
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_DATA_DIR": str(home / "data"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
    }
    log = open(home / "server.log", "wb")  # noqa: SIM115 - closed at the end
    server = subprocess.Popen(
        [
            sys.executable, "-m", "jupyter_server", f"--port={port}", "--ip=127.0.0.1",
            "--no-browser", "--allow-root", f"--ServerApp.root_dir={home / 'root'}",
            f"--IdentityProvider.token={TOKEN}",
        ],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                request(port, "GET", "/api/status")
                break
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline or server.poll() is not None:
                    sys.exit((home / "server.log").read_text()[-3000:])
                time.sleep(0.2)
        # One grading to start the pool and warm the caches.
        request(port, "POST", "/codequest/api/challenges/answer/submissions?wait=true",
                {"mode": "run", "notebook": notebook(42)})  # fmt: skip
        time.sleep(2)  # let the pool refill

        status_latency: list[float] = []
        stop = threading.Event()

        def poll_status() -> None:
            while not stop.is_set():
                t0 = time.perf_counter()
                request(port, "GET", "/api/status")
                status_latency.append(time.perf_counter() - t0)
                time.sleep(0.05)

        accept: list[float] = []
        to_result: list[float] = []

        def one(i: int) -> None:
            t0 = time.perf_counter()
            _, body = request(
                port, "POST", "/codequest/api/challenges/answer/submissions",
                {"mode": "submit", "notebook": notebook(42 if i % 2 else i)},
            )  # fmt: skip
            accept.append(time.perf_counter() - t0)
            follow(port, json.loads(body)["id"])
            to_result.append(time.perf_counter() - t0)

        poller = threading.Thread(target=poll_status)
        poller.start()
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=args.submissions) as pool:
            list(pool.map(one, range(args.submissions)))
        wall = time.perf_counter() - started
        stop.set()
        poller.join()

        print(
            f"{args.submissions} submissions at once, grading_concurrency={args.concurrency}, "
            f"pool={args.pool}, {os.cpu_count()} CPUs"
        )
        print(summary("POST accepted (202)", accept))
        print(summary("submission -> result event", to_result))
        print(summary("GET /api/status under load", status_latency))
        print(f"{'throughput':<34} {args.submissions / wall:.2f} submissions/s ({wall:.1f} s)")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        log.close()


if __name__ == "__main__":
    main()
