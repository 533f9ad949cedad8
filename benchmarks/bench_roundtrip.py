"""A call across the judge's boundary beside the floor: two processes, one socket.

No kernel, no sandbox, no pytest: the judge's :class:`Connection` in this process and
the agent (``judge/agent.py``, run as the kernel runs it) in a forked child, over a
socketpair, calling ``add(i, 1)``; beside it the floor, a bare ping-pong of a frame of
the same size between two Python processes, and that ping-pong with a JSON
``loads``/``dumps`` on each side. Printed per call, median of the rounds: wall time,
and the CPU time of each process (this one's, the child's from its rusage). What the
boundary costs above the floor is the judge's and the agent's own work; on a busy
machine the wall time also holds the waits for a core.

    python benchmarks/bench_roundtrip.py [--rounds 5] [--calls 5000]
    python benchmarks/bench_roundtrip.py --profile judge|agent   # cProfile one side
    python benchmarks/bench_roundtrip.py --quick      # smoke run (about a second)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import statistics
import struct
import sys
import time
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from codequest_jupyter.judge.connection import Connection  # noqa: E402
from codequest_jupyter.judge.driver import AGENT_SOURCE  # noqa: E402

HEADER = struct.Struct(">I")
REQUEST = {"op": "call", "id": 1, "nc": "0123456789abcdef", "h": 2, "a": [1, 1]}


def _child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run(child, parent, calls: int) -> tuple[float, float, float]:
    """Fork ``child(sock)``, time ``parent(sock, calls)``: µs per call (wall, this
    process's CPU, the child's CPU)."""
    ours, theirs = socket.socketpair()
    before = _child_cpu()
    pid = os.fork()
    if pid == 0:
        ours.close()
        try:
            child(theirs)
        finally:
            os._exit(0)
    theirs.close()
    wall, cpu = time.perf_counter(), time.process_time()
    parent(ours, calls)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    ours.close()
    os.waitpid(pid, 0)
    per = 1e6 / calls
    return wall * per, cpu * per, (_child_cpu() - before) * per


def _echo(sock, parse: bool) -> None:
    while True:
        head = sock.recv(4)
        if not head:
            return
        body = sock.recv(HEADER.unpack(head)[0])
        if parse:
            message = json.loads(body)
            body = json.dumps({"re": message["id"], "nc": message["nc"], "ok": 2}).encode()
        sock.sendall(HEADER.pack(len(body)) + body)


def _ping(parse: bool):
    def parent(sock, calls: int) -> None:
        body = json.dumps(REQUEST).encode()
        for i in range(calls):
            if parse:
                body = json.dumps({**REQUEST, "id": i}).encode()
            sock.sendall(HEADER.pack(len(body)) + body)
            reply = sock.recv(HEADER.unpack(sock.recv(4))[0])
            if parse:
                json.loads(reply)

    return parent


def _agent(profile: bool):
    def child(sock) -> None:
        module = types.ModuleType("target")
        exec("def add(a, b):\n    return a + b\n", module.__dict__)
        sys.modules["target"] = module
        namespace: dict = {"__name__": "__codequest_judge_agent__"}
        exec(compile(AGENT_SOURCE, "<codequest-judge-agent>", "exec"), namespace)
        agent = namespace["Agent"](sock)
        if not profile:
            agent.serve()
            return
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.runcall(agent.serve)
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(15)
        sys.stdout.flush()

    return child


def _judge(profile: bool):
    def parent(sock, calls: int) -> None:
        conn = Connection(sock)
        add = conn.import_module("target").add
        add(0, 1)
        if profile:
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            profiler.runcall(lambda: [add(i, 1) for i in range(calls)])
            pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(15)
        else:
            for i in range(calls):
                add(i, 1)
        conn.request("bye")

    return parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=5000)
    parser.add_argument("--profile", choices=("judge", "agent"))
    parser.add_argument("--quick", action="store_true", help="one short round (smoke run)")
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.calls = 1, 500
    if args.profile:
        _run(_agent(args.profile == "agent"), _judge(args.profile == "judge"), args.calls)
        return
    kinds = {
        "floor: ping-pong": (lambda s: _echo(s, False), _ping(False)),
        "floor + JSON both sides": (lambda s: _echo(s, True), _ping(True)),
        "judge <-> agent, add(i, 1)": (_agent(False), _judge(False)),
    }
    figures: dict[str, list[tuple[float, float, float]]] = {k: [] for k in kinds}
    for _ in range(args.rounds):  # the kinds take turns: the load changes
        for name, (child, parent) in kinds.items():
            figures[name].append(_run(child, parent, args.calls))
    load = os.getloadavg()[0]
    print(f"{args.rounds} round(s) of {args.calls} calls, load average {load:.1f}; µs per call")
    print(f"  {'':28} {'wall':>7} {'this CPU':>9} {'child CPU':>10}")
    for name, rows in figures.items():
        wall, ours, theirs = (statistics.median(column) for column in zip(*rows, strict=True))
        print(f"  {name:28} {wall:7.1f} {ours:9.1f} {theirs:10.1f}")


if __name__ == "__main__":
    main()
