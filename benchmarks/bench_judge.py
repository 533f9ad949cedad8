"""What a call across the judge's boundary costs, and what the judge adds to a run.

A kernel is started as grading starts one (the platform's strongest sandbox), runs a
small notebook, and is judged (``codequest_jupyter.judge.run_judge``) by a suite
whose tests time, inside the judge, a few kinds of call through the proxy:

* ``call``: ``add(i, 1)``, a function with small arguments and result;
* ``method``: ``acc.deposit(1)`` (an attribute read then a call: two round trips);
* ``attribute``: ``acc.balance``;
* ``instance``: ``Account("x")`` (a handle comes back, and is released later);
* ``list 10k``: a call returning a list of 10,000 integers (by value);
* ``callback``: a learner function calling a function of the test's once;
* ``list 200k arg``: ``length(big)``, a list of 200,000 integers passed (copied to the
  kernel, and checked there for changes after the call: none);
* ``list 200k changed``: ``reverse_in_place(big)``, the same list changed in place by
  learner code (its new state copied back and set in the test's list);

and an ordinary test of 100 calls, timed by pytest. Per-call figures are round trips
in microseconds (median of the rounds), as wall time and as the CPU time the judge
and the kernel spent on them together (on a busy machine the wall time is mostly
waiting for a core; the CPU time is what a call costs); the judge's own cost is the run's wall time
beside pytest's time in the judge. Figures only, no pass/fail.

In-kernel grading makes the same calls as plain Python calls (well under a
microsecond): everything printed here is what the boundary adds.

    python benchmarks/bench_judge.py [--rounds 5] [--calls 2000]
    python benchmarks/bench_judge.py --quick      # smoke run
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from codequest_jupyter.grading.kernel import start_kernel  # noqa: E402
from codequest_jupyter.grading.sandbox import SandboxPolicy  # noqa: E402
from codequest_jupyter.judge import run_judge  # noqa: E402

NOTEBOOK = """
def add(a, b):
    return a + b


def numbers(n):
    return list(range(n))


def apply(fn, x):
    return fn(x)


def cpu():
    import time
    return time.process_time()


def length(values):
    return len(values)


def reverse_in_place(values):
    values.reverse()


class Account:
    def __init__(self, owner):
        self.owner, self.balance = owner, 0

    def deposit(self, amount):
        self.balance += amount
        return self.balance
"""

TESTS = """
import json
import time

from target import Account, add, apply, cpu, length, numbers, reverse_in_place

CALLS = @@CALLS@@


CPU = {}


def _time(fn, n, name=None):
    started, judge_cpu, kernel_cpu = time.perf_counter(), time.process_time(), cpu()
    for i in range(n):
        fn(i)
    wall = (time.perf_counter() - started) / n * 1e6
    if name:
        # CPU time of both processes per call: what a call costs on an idle machine,
        # whatever the load (the wall figure adds the waits for a core).
        CPU[name] = ((time.process_time() - judge_cpu) + (cpu() - kernel_cpu)) / n * 1e6
    return wall


def test_per_call():
    acc = Account("bench")
    figures = {
        "call": _time(lambda i: add(i, 1), CALLS, "call"),
        "method": _time(lambda i: acc.deposit(1), CALLS, "method"),
        "attribute": _time(lambda i: acc.balance, CALLS, "attribute"),
        "instance": _time(lambda i: Account("x"), CALLS // 4, "instance"),
        "list 10k": _time(lambda i: numbers(10_000), max(CALLS // 100, 5), "list 10k"),
        "callback": _time(lambda i: apply(lambda x: x + 1, i), CALLS // 4, "callback"),
    }
    big = list(range(200_000))
    figures["list 200k arg"] = _time(lambda i: length(big), max(CALLS // 200, 5), "list 200k arg")
    figures["list 200k changed"] = _time(
        lambda i: reverse_in_place(big), max(CALLS // 200, 5), "list 200k changed"
    )
    figures.update({f"{k} (cpu)": v for k, v in CPU.items()})
    print("FIGURES" + json.dumps(figures))


def test_hundred_calls():
    for i in range(100):
        assert add(i, 1) == i + 1
"""


async def one_round(calls: int) -> dict:
    policy = SandboxPolicy()
    kernel = await start_kernel(policy, warm=False, startup_timeout=120)
    try:
        workdir = str(kernel.workdir)
        await kernel.kc.execute_interactive(
            f"import os, sys\nos.chdir({workdir!r})\nsys.path.insert(0, {workdir!r})\n" + NOTEBOOK,
            timeout=120,
        )
        started = time.perf_counter()
        run = await run_judge(
            kernel,
            policy,
            "target",
            {"test_bench.py": TESTS.replace("@@CALLS@@", str(calls))},
            timeout_s=300,
            budget_s=600,
        )
        wall = time.perf_counter() - started
    finally:
        await kernel.dispose()
    if run.error or run.done is None:
        raise SystemExit(f"the judged run failed: {run.error}")
    per_call = run.test("test_per_call")
    output = per_call.get("output") or ""
    figures = json.loads(output.split("FIGURES", 1)[1].splitlines()[0])
    figures["100-call test (ms)"] = run.test("test_hundred_calls")["duration_ms"]
    figures["judge wall (ms)"] = wall * 1000
    figures["pytest in judge (ms)"] = run.done["duration_ms"]
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--quick", action="store_true", help="one short round (smoke run)")
    args = parser.parse_args()
    rounds, calls = (1, 200) if args.quick else (args.rounds, args.calls)
    results = [asyncio.run(one_round(calls)) for _ in range(rounds)]
    load = os.getloadavg()[0]
    print(f"judge benchmark: {rounds} round(s), {calls} calls per kind, load average {load:.1f}")
    for key in results[0]:
        values = [r[key] for r in results]
        unit = (
            ""
            if "(ms)" in key
            else " µs per call" + (" (judge + kernel CPU)" if "(cpu)" in key else "")
        )
        print(
            f"  {key:24} median {statistics.median(values):9.1f}{unit}"
            f"   min {min(values):9.1f}   max {max(values):9.1f}"
        )


if __name__ == "__main__":
    main()
