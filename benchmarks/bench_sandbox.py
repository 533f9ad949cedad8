"""What the sandbox adds to a grading kernel's start-up.

For each sandbox mode (``none``, ``rlimits``, ``bwrap``) a kernel is started the way a
cold grading starts one (a process of its own, no fork server, no warm-up) and timed
from the call until it answers; the modes take turns, so load from other work on the
machine falls on all of them alike (on a busy machine the fastest run says more than the
median). Also timed: bwrap around a trivial command (``true``)
and the one-time probe ``auto`` runs. Figures only, no pass/fail.

    python benchmarks/bench_sandbox.py [--runs 15]
    python benchmarks/bench_sandbox.py --quick      # smoke run
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from codequest_jupyter.grading import bwrap, sandbox  # noqa: E402
from codequest_jupyter.grading.kernel import start_kernel  # noqa: E402
from codequest_jupyter.grading.sandbox import SandboxPolicy  # noqa: E402


def _ms(values: list[float]) -> str:
    values = sorted(values)
    p90 = values[min(len(values) - 1, int(len(values) * 0.9))]
    return (
        f"min {values[0] * 1000:7.1f} ms   median {statistics.median(values) * 1000:7.1f} ms"
        f"   p90 {p90 * 1000:7.1f} ms"
    )


async def _kernel_starts(modes: list[str], runs: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {m: [] for m in modes}
    for _ in range(runs):
        for mode in modes:
            started = time.perf_counter()
            kernel = await start_kernel(SandboxPolicy(mode=mode), warm=False)
            times[mode].append(time.perf_counter() - started)
            await kernel.dispose()
    return times


def _bare_bwrap(runs: int) -> tuple[list[float], list[float]]:
    plan = sandbox.resolve(SandboxPolicy())
    run_dir = tempfile.mkdtemp(prefix="codequest-bench-")
    argv = bwrap.command(
        ["true"],
        bwrap=plan.bwrap or "bwrap",
        run_dir=run_dir,
        hide=plan.hide,
        expose=plan.expose,
        bwrap_version=plan.bwrap_version,
    )
    plain, wrapped = [], []
    try:
        for _ in range(runs):
            t = time.perf_counter()
            subprocess.run(["true"], check=True)
            plain.append(time.perf_counter() - t)
            t = time.perf_counter()
            subprocess.run(argv, check=True)
            wrapped.append(time.perf_counter() - t)
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)
    return plain, wrapped


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--quick", action="store_true", help="3 runs")
    args = parser.parse_args()
    runs = 3 if args.quick else args.runs
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs; {runs} runs each")

    sandbox.forget_probes()
    started = time.perf_counter()
    plan = sandbox.resolve(SandboxPolicy())
    print(
        f"auto resolves to: {plan.describe()}  (probe {1000 * (time.perf_counter() - started):.0f} ms, once)"
    )
    modes = ["none", "rlimits"] + (["bwrap"] if plan.mode == "bwrap" else [])
    for mode in modes:  # probes and caches out of the timings
        sandbox.resolve(SandboxPolicy(mode=mode))

    times = asyncio.run(_kernel_starts(modes, runs))
    print("\nkernel start to ready (exec, no warm-up):")
    for mode in modes:
        print(f"  {mode:8s} {_ms(times[mode])}")
    if "bwrap" in times:
        added = statistics.median(times["bwrap"]) - statistics.median(times["rlimits"])
        fastest = min(times["bwrap"]) - min(times["rlimits"])
        print(
            f"  bwrap adds {added * 1000:+.1f} ms (median), {fastest * 1000:+.1f} ms (fastest run) "
            "over rlimits"
        )
        plain, wrapped = _bare_bwrap(max(runs, 10))
        print("\nbwrap around `true` (namespaces, mounts, exec):")
        print(f"  plain    {_ms(plain)}")
        print(f"  in bwrap {_ms(wrapped)}")


if __name__ == "__main__":
    main()
