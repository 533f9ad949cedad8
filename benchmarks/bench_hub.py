"""Hub mode's cost: a graded submission through a learner's server vs to the service.

Builds the hub of ``tests/hub`` (a real JupyterHub, configurable-http-proxy, system
users, the grading service as its own user, PostgreSQL; needs root and ``make
hub-deps``), then submits the reference solution of a 3-test challenge with
``POST …/submissions?wait=true``, one at a time with a pause for the kernel pool to
refill, along three paths through the hub's proxy:

``service``      a script straight to the service (notebook in the body)
``server``       to the learner's server, notebook in the body (relayed to the service)
``workspace``    to the learner's server, graded from the workspace on disk (the
                 server reads the notebook and sends it)

and times ``GET challenges`` on the service and through the server. Figures only.

    python benchmarks/bench_hub.py            # 20 submissions per path
    python benchmarks/bench_hub.py --quick    # 5
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "tests" / "hub"))
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_server import percentile  # noqa: E402
from challenge_factory import make_challenge, notebook  # noqa: E402
from hubenv import start_hub  # noqa: E402

CID = "adder"
RIGHT = notebook("def add(a, b):\n    return a + b\n")


def timed(call, count: int, pause: float) -> list[float]:
    out = []
    for _ in range(count):
        start = time.perf_counter()
        call()
        out.append(time.perf_counter() - start)
        time.sleep(pause)
    return out


def line(name: str, seconds: list[float]) -> str:
    ms = [s * 1000 for s in seconds]
    return (f"{name:<34} n={len(ms):<3} p50 {percentile(ms, 0.5):7.1f} ms   "
            f"p95 {percentile(ms, 0.95):7.1f} ms")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5 submissions per path")
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--pause", type=float, default=1.0, help="seconds between submissions")
    args = parser.parse_args()
    count = 5 if args.quick else args.count

    library = Path(tempfile.mkdtemp(prefix="codequest-bench-hub-"))
    make_challenge(library, CID)
    started = time.perf_counter()
    hub = start_hub(library, learners=1)
    try:
        learner = hub.learners[0]
        spawn = time.perf_counter()
        hub.start_server(learner)
        print(f"hub and service up in {spawn - started:.1f} s, "
              f"the learner's server in {time.perf_counter() - spawn:.1f} s")  # fmt: skip
        token = hub.token_for(learner)
        service = "services/codequest/codequest/api/"
        server = f"user/{learner}/codequest/api/"
        status, opened, _ = hub.request("POST", server + f"challenges/{CID}/workspace", token)
        assert status == 200, opened
        copy = Path(os.path.expanduser(f"~{learner}")) / opened["path"]
        subprocess.run(["runuser", "-u", learner, "--", "tee", str(copy)],
                       input=json.dumps(RIGHT), text=True, capture_output=True, check=True)

        def submit(base: str, body: dict) -> None:
            status, result, _ = hub.request(
                "POST", base + f"challenges/{CID}/submissions?wait=true", token, body
            )
            assert status == 200 and result["status"] == "passed", result

        submit(service, {"mode": "submit", "notebook": RIGHT})  # warm both paths
        submit(server, {"mode": "submit"})
        print(line("GET challenges, service", timed(
            lambda: hub.request("GET", service + "challenges", token), count * 2, 0.05)))
        print(line("GET challenges, learner's server", timed(
            lambda: hub.request("GET", server + "challenges", token), count * 2, 0.05)))
        print(line("submit, script -> service", timed(
            lambda: submit(service, {"mode": "submit", "notebook": RIGHT}), count, args.pause)))
        print(line("submit, server (notebook in body)", timed(
            lambda: submit(server, {"mode": "submit", "notebook": RIGHT}), count, args.pause)))
        print(line("submit, server (from workspace)", timed(
            lambda: submit(server, {"mode": "submit"}), count, args.pause)))  # fmt: skip
        load = os.getloadavg()
        print(f"load average during the run: {load[0]:.2f} (machine has {os.cpu_count()} CPUs)")
    finally:
        hub.close()
        subprocess.run(["rm", "-rf", str(library)])
    return 0


if __name__ == "__main__":
    sys.exit(main())
