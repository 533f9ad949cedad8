"""A class submitting at once: nothing lost, nothing doubled, nothing misattributed.

Starts a real ``jupyter server`` with the extension on loopback (127.0.0.1 only), a
fresh SQLite store and the bundled challenges. ``--learners`` simulated learners, each
with a token of its own, submit ``--rounds`` notebooks each at the same moment (half a
correct fizzbuzz, half a wrong one, each carrying the learner's name in a comment),
follow their submissions to the end, then check against the server:

* every submission reached a final state (0 lost), with the result its code deserves;
* each learner's history holds exactly their submissions, once each (0 duplicated);
* every stored result and code snapshot belongs to the learner who sent it (0 misattributed);
* the instructor's listing of everyone holds exactly the submissions sent.

It prints those counts, the latency from POST to final result (p50/p95) and the
throughput, and exits 1 if anything was lost, doubled or misattributed. Requests are
bounded in number and time; the server is stopped at the end.

    python benchmarks/load_test.py                  # 50 learners, one submission each
    python benchmarks/load_test.py --quick          # CI smoke run: 10 learners
    python benchmarks/load_test.py --learners 50 --rounds 3
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from bench_server import TOKEN, Server, percentile  # noqa: E402

CHALLENGE = "fizzbuzz"
INSTRUCTOR = "instructor"
RIGHT = (ROOT / "challenges" / CHALLENGE / "solution" / "fizzbuzz.py").read_text()
WRONG = "def fizzbuzz(n):\n    return [str(i) for i in range(1, n + 1)]\n"


def notebook(learner: str, round_no: int, right: bool) -> dict:
    source = f"# by {learner}, round {round_no}\n" + (RIGHT if right else WRONG)
    return {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {},
        "cells": [
            {
                "cell_type": "code",
                "id": "c0",
                "metadata": {},
                "outputs": [],
                "execution_count": None,
                "source": source,
            }
        ],
    }


class LoadServer(Server):
    """The benchmarks' server, with one token per learner and an instructor."""

    def __init__(self, tokens: dict[str, str], args: argparse.Namespace):
        super().__init__(args)
        self.tokens = tokens

    def config(self) -> dict:
        config = super().config()
        config["ServerApp"]["identity_provider_class"] = "load_identity.TokenPerUser"
        # The benchmarks' own token (which Server uses to see it is up) is the instructor's.
        config["TokenPerUser"] = {"tokens": {**self.tokens, TOKEN: INSTRUCTOR}}
        config["CodeQuestApp"].update(single_user=False, instructors=[INSTRUCTOR])
        return config

    def get(self, path: str, *, token: str) -> dict:
        return json.loads(self.request("GET", path, token=token)[1])

    def post(self, path: str, body: object, *, token: str) -> dict:
        return json.loads(self.request("POST", path, body, token=token)[1])

    def pages(self, path: str, *, token: str) -> list[str]:
        """Every submission id of a paginated listing."""
        ids: list[str] = []
        while True:
            page = self.get(f"{path}?limit=500&offset={len(ids)}", token=token)
            ids += [s["id"] for s in page["submissions"]]
            if not page["submissions"] or len(ids) >= page["total"]:
                return ids


def run(args: argparse.Namespace) -> int:
    learners = {
        f"tok-{i:03d}-{os.urandom(4).hex()}": f"learner{i:03d}" for i in range(args.learners)
    }
    by_name = {name: token for token, name in learners.items()}
    sent: list[dict] = []  # {"learner", "round", "right", "id", "latency"}
    errors: list[str] = []
    lock = threading.Lock()
    with LoadServer({**learners}, args) as server:
        start_line = threading.Barrier(args.learners)
        deadline = time.monotonic() + args.timeout

        def learner(token: str, name: str, index: int) -> None:
            start_line.wait()
            for round_no in range(args.rounds):
                right = (index + round_no) % 2 == 0
                began = time.perf_counter()
                try:
                    reply = server.post(
                        f"/codequest/api/challenges/{CHALLENGE}/submissions",
                        {"mode": "submit", "notebook": notebook(name, round_no, right)},
                        token=token,
                    )
                    sid = reply["id"]
                    while True:
                        result = server.get(f"/codequest/api/submissions/{sid}", token=token)
                        if result["status"] in ("passed", "failed", "error"):
                            break
                        if time.monotonic() > deadline:
                            raise TimeoutError(f"{sid} still {result['status']}")
                        time.sleep(0.1)
                except Exception as exc:  # noqa: BLE001 - counted and reported below
                    with lock:
                        errors.append(f"{name} round {round_no}: {type(exc).__name__}: {exc}")
                    continue
                with lock:
                    sent.append(
                        {
                            "learner": name,
                            "round": round_no,
                            "right": right,
                            "id": sid,
                            "latency": time.perf_counter() - began,
                            "result": result,
                        }
                    )

        began = time.perf_counter()
        threads = [
            threading.Thread(target=learner, args=(tok, name, i), daemon=True)
            for i, (tok, name) in enumerate(learners.items())
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(args.timeout + 30)
        wall = time.perf_counter() - began

        expected = args.learners * args.rounds
        lost = expected - len(sent)
        wrong_result = [
            s["id"] for s in sent if s["result"]["status"] != ("passed" if s["right"] else "failed")
        ]
        misattributed: list[str] = []
        duplicated = 0
        for name, token in by_name.items():
            ids = server.pages(f"/codequest/api/challenges/{CHALLENGE}/submissions", token=token)
            mine = {s["id"] for s in sent if s["learner"] == name}
            duplicated += len(ids) - len(set(ids))
            misattributed += list(set(ids) ^ mine)
            for sid in mine:
                result = server.get(f"/codequest/api/submissions/{sid}", token=token)
                code = server.get(f"/codequest/api/submissions/{sid}/code", token=token)
                source = "".join(code["notebook"]["cells"][0]["source"])
                if result["user"] != name or f"# by {name}," not in source:
                    misattributed.append(sid)
        listed = server.pages("/codequest/api/submissions", token=TOKEN)
        duplicated += len(listed) - len(set(listed))
        stray = set(listed) - {s["id"] for s in sent}

    latencies = [s["latency"] for s in sent]
    print(
        f"{args.learners} learners × {args.rounds} submission(s), all sent at once "
        f"(grading concurrency {args.concurrency}, pool {args.pool}, sandbox {args.sandbox})"
    )
    print(
        f"  sent {expected}, final {len(sent)}, lost {lost}, duplicated {duplicated}, "
        f"misattributed {len(misattributed)}, wrong result {len(wrong_result)}, "
        f"unknown in the instructor's list {len(stray)}"
    )
    if latencies:
        print(
            f"  POST -> final result: p50 {percentile(latencies, 0.50):.2f} s, "
            f"p95 {percentile(latencies, 0.95):.2f} s, max {max(latencies):.2f} s"
        )
    print(f"  throughput: {len(sent) / wall:.2f} graded submissions/s over {wall:.1f} s")
    for line in errors[:10]:
        print(f"  error: {line}")
    bad = lost or duplicated or misattributed or wrong_result or stray or errors
    return 1 if bad else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--pool", type=int, default=2)
    parser.add_argument("--sandbox", default="auto")
    parser.add_argument("--kernel-start", default="auto", help="auto | fork | exec")
    parser.add_argument("--refill", default="after_use", help="after_use | eager")
    parser.add_argument("--timeout", type=float, default=900, help="seconds for the whole run")
    parser.add_argument("--quick", action="store_true", help="smoke run: 10 learners")
    args = parser.parse_args()
    if args.quick:
        args.learners, args.rounds = 10, 1
    sys.exit(run(args))


if __name__ == "__main__":
    main()
