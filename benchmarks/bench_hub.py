"""Hub mode's cost: one graded submission through the hub beside personal mode.

Builds the hub of ``tests/hub`` (a real JupyterHub, configurable-http-proxy, system
users, the grading service as its own user, PostgreSQL; needs root and ``make
hub-deps``) and, in the same run, a personal-mode ``jupyter server`` grading for
itself on SQLite, both with the same 3-test challenge, a kernel pool of 2 and the
bubblewrap sandbox. It then submits the reference solution with ``POST
…/submissions?wait=true``, one at a time with a pause for the pools to refill, the
paths taking turns (so the machine's other load falls on all of them alike):

``personal``     to the personal server (notebook in the body): the baseline
``service``      a script straight to the service through the hub's proxy
``server``       to the learner's server through the proxy, notebook in the body
                 (relayed to the service)
``workspace``    to the learner's server, graded from the workspace on disk (what
                 JupyterLab's Submit does: the server reads the notebook and sends it)

and prints p50/p95 of each, with hub mode's over personal mode's (target: within
1.5x), and ``GET challenges`` on the service and through the server. Figures only.

    python benchmarks/bench_hub.py            # 20 submissions per path
    python benchmarks/bench_hub.py --quick    # 5 (make test's smoke run)
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

from bench_server import Server, percentile  # noqa: E402
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


def line(name: str, seconds: list[float], base: list[float] | None = None) -> str:
    ms = [s * 1000 for s in seconds]
    text = (f"{name:<36} n={len(ms):<3} p50 {percentile(ms, 0.5):7.1f} ms   "
            f"p95 {percentile(ms, 0.95):7.1f} ms")  # fmt: skip
    if base:
        text += (
            f"   x{percentile(seconds, 0.5) / percentile(base, 0.5):.2f} / "
            f"x{percentile(seconds, 0.95) / percentile(base, 0.95):.2f} of personal"
        )
    return text


class PersonalServer(Server):
    """A personal-mode ``jupyter server`` (bench_server's) grading the same library."""

    def __init__(self, library: Path):
        options = argparse.Namespace(kernel_start="auto", refill="after_use", concurrency=2,
                                     pool=2, sandbox="bwrap")  # fmt: skip
        super().__init__(options)
        self.library = library

    def config(self) -> dict:
        config = super().config()
        config["CodeQuestApp"]["challenge_dirs"] = [str(self.library)]
        return config

    def submit(self, notebook: dict) -> None:
        _, body = self.request(
            "POST", f"/codequest/api/challenges/{CID}/submissions?wait=true",
            {"mode": "submit", "notebook": notebook},
        )  # fmt: skip
        result = json.loads(body)
        assert result["status"] == "passed", result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5 submissions per path")
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--pause", type=float, default=1.0, help="seconds between submissions")
    args = parser.parse_args()
    count = 5 if args.quick else args.count

    library = Path(tempfile.mkdtemp(prefix="codequest-bench-hub-"))
    make_challenge(library, CID)
    os.chmod(library, 0o755)
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
        subprocess.run(
            ["runuser", "-u", learner, "--", "tee", str(copy)],
            input=json.dumps(RIGHT),
            text=True,
            capture_output=True,
            check=True,
        )

        def submit(base: str, body: dict) -> None:
            status, result, _ = hub.request(
                "POST", base + f"challenges/{CID}/submissions?wait=true", token, body
            )
            assert status == 200 and result["status"] == "passed", result

        with PersonalServer(library) as personal:
            paths = {
                "personal mode (baseline)": lambda: personal.submit(RIGHT),
                "hub: script -> service": lambda: submit(
                    service, {"mode": "submit", "notebook": RIGHT}),
                "hub: server (notebook in body)": lambda: submit(
                    server, {"mode": "submit", "notebook": RIGHT}),
                "hub: server (from workspace)": lambda: submit(server, {"mode": "submit"}),
            }  # fmt: skip
            for call in paths.values():  # warm every path (pools, caches, imports)
                call()
            time.sleep(args.pause)
            times: dict[str, list[float]] = {name: [] for name in paths}
            for _ in range(count):  # the paths take turns
                for name, call in paths.items():
                    times[name] += timed(call, 1, args.pause)
        print(
            line(
                "GET challenges, service",
                timed(lambda: hub.request("GET", service + "challenges", token), count * 2, 0.05),
            )
        )
        print(
            line(
                "GET challenges, learner's server",
                timed(lambda: hub.request("GET", server + "challenges", token), count * 2, 0.05),
            )
        )
        print("one submission (3 tests), POST ?wait=true -> result stored:")
        base = times["personal mode (baseline)"]
        for name, seconds in times.items():
            print("  " + line(name, seconds, None if seconds is base else base))
        load = os.getloadavg()
        print(f"load average during the run: {load[0]:.2f} (machine has {os.cpu_count()} CPUs)")
    finally:
        hub.close()
        subprocess.run(["rm", "-rf", str(library)])
    return 0


if __name__ == "__main__":
    sys.exit(main())
