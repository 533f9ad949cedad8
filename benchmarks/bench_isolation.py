"""Grading in the judge beside grading in the kernel: the bundled challenges, both modes.

Each bundled challenge's reference solution is graded (Submit: public and hidden tests)
through ``Grader.grade`` with a pooled kernel and, in the judge, a judge started
ahead (both pools refilled and ready before each grading, a ready judge being one
with pytest set up in it; the platform's strongest sandbox), alternately with ``isolation = "judge"``
(the default: pytest in a judge process calling into the kernel) and ``"kernel"``
(pytest inside the kernel). Printed: p50 and p95 per challenge and over all gradings,
in ms, and the judge's p50 as a multiple of the kernel's (target: within 1.5x).

Then the cost of one call across the boundary as the engine pays it: a small
challenge whose one test calls ``add(i, 1)`` N times (``--calls``), graded in the
judge: the test's own duration over N, and the grading's p50 beside that of N = 0. Figures only, no pass/fail.

    python benchmarks/bench_isolation.py [--rounds 5] [--calls 2000]
    python benchmarks/bench_isolation.py --quick      # smoke run (well under 30 s)
    python benchmarks/bench_isolation.py --challenges two-sum,flatten-nested
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from codequest_jupyter.challenges import bundled_challenges_dir, load_challenge  # noqa: E402
from codequest_jupyter.grading import Grader, GradingSettings  # noqa: E402
from codequest_jupyter.validate import solution_submission  # noqa: E402

MODES = ("judge", "kernel")


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def grade_once(grader: Grader, challenge, notebook, files, out=None) -> float:
    if not await grader.pool.wait_ready(1, timeout=120):
        raise SystemExit("the kernel pool did not fill in 120 s")
    if challenge.isolation == "judge" and grader.judges is not None:
        if not await grader.judges.wait_ready(1, timeout=120):
            raise SystemExit("no judge was started ahead in 120 s")
    started = time.perf_counter()
    result = await grader.grade(challenge, notebook, files, mode="submit")
    elapsed = (time.perf_counter() - started) * 1000
    if result.status != "passed":
        raise SystemExit(
            f"{challenge.id} ({challenge.isolation}): {result.status} "
            f"{[(t.name, t.status, t.message) for t in result.tests if t.status != 'passed']}"
        )
    await grader.settle()
    if out is not None:
        out.append(result)
    return elapsed


def calls_challenge(root: Path, calls: int) -> Path:
    path = root / f"calls-{calls}"
    (path / "tests").mkdir(parents=True)
    (path / "challenge.toml").write_text(
        'title = "Calls"\nnotebook = "calls.ipynb"\nmodule = "calls"\n'
        "[limits]\ntimeout_s = 60\nrun_timeout_s = 120\n"
    )
    nb = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
        "cells": [
            {
                "cell_type": "code",
                "id": "c0",
                "metadata": {},
                "outputs": [],
                "execution_count": None,
                "source": "def add(a, b):\n    return a + b\n",
            }
        ],
    }
    (path / "calls.ipynb").write_text(json.dumps(nb))
    (path / "tests" / "test_calls.py").write_text(
        "from calls import add\n\n\ndef test_calls():\n"
        f"    for i in range({calls}):\n        assert add(i, 1) == i + 1\n"
    )
    return path


async def main(args: argparse.Namespace) -> None:
    settings = GradingSettings(pool_size=1, sandbox=args.sandbox)
    ids = sorted(
        p.name for p in bundled_challenges_dir().iterdir() if (p / "challenge.toml").is_file()
    )
    if args.quick:
        ids = ids[:2]
    if args.challenges:
        ids = [i for i in ids if i in args.challenges.split(",")]
    times: dict[str, dict[str, list[float]]] = {m: {} for m in MODES}
    async with Grader(settings) as grader:
        await grader.pool.wait_fork_server(timeout=120)
        base = load_challenge(bundled_challenges_dir() / ids[0])
        used = await grader.isolation(base)
        if used != "judge":
            # Nothing to compare: the log says why (no bubblewrap, not root).
            print(f"The judge cannot run here (sandbox {args.sandbox}): nothing to compare.")
            return
        for cid in ids:
            challenge = load_challenge(bundled_challenges_dir() / cid)
            notebook, files = solution_submission(challenge)
            variants = {m: dataclasses.replace(challenge, isolation=m) for m in MODES}
            await grade_once(grader, variants["judge"], notebook, files)  # warm-up
            for _ in range(args.rounds):
                for mode in MODES:  # alternately: the machine's load falls on both alike
                    ms = await grade_once(grader, variants[mode], notebook, files)
                    times[mode].setdefault(cid, []).append(ms)
        print(
            f"\nBundled challenges, reference solutions, Submit, pooled kernel, sandbox "
            f"{args.sandbox}, {args.rounds} rounds, load {os.getloadavg()[0]:.1f}"
        )
        print(
            f"{'challenge':<22}{'judge p50':>10}{'p95':>8}{'kernel p50':>12}{'p95':>8}{'ratio':>7}"
        )
        for cid in ids:
            j, k = times["judge"][cid], times["kernel"][cid]
            print(
                f"{cid:<22}{statistics.median(j):>10.0f}{p(j, 0.95):>8.0f}"
                f"{statistics.median(k):>12.0f}{p(k, 0.95):>8.0f}"
                f"{statistics.median(j) / statistics.median(k):>7.2f}"
            )
        every = {m: [t for ts in times[m].values() for t in ts] for m in MODES}
        j, k = every["judge"], every["kernel"]
        print(
            f"{'all':<22}{statistics.median(j):>10.0f}{p(j, 0.95):>8.0f}"
            f"{statistics.median(k):>12.0f}{p(k, 0.95):>8.0f}"
            f"{statistics.median(j) / statistics.median(k):>7.2f}"
        )

        with tempfile.TemporaryDirectory() as tmp:
            per: dict[int, list[float]] = {}
            results: list = []
            for n in (0, args.calls):
                challenge = load_challenge(calls_challenge(Path(tmp), n))
                await grade_once(grader, challenge, None, None)  # warm-up
                per[n] = [
                    await grade_once(grader, challenge, None, None, results if n else None)
                    for _ in range(max(args.rounds, 3))
                ]
            extra = statistics.median(per[args.calls]) - statistics.median(per[0])
            inside = statistics.median(r.tests[0].duration_ms for r in results)
            print(
                f"\nOne call across the boundary, as grading pays it: a test of "
                f"{args.calls} calls takes {inside:.0f} ms in the judge (pytest's duration "
                f"of it): {inside * 1000 / args.calls:.0f} µs a call; the grading's p50 grows "
                f"by {extra:.0f} ms ({statistics.median(per[0]):.0f} -> "
                f"{statistics.median(per[args.calls]):.0f} ms)"
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--sandbox", default="auto")
    parser.add_argument("--quick", action="store_true", help="two challenges, one round")
    parser.add_argument("--challenges", help="only these (ids, comma-separated)")
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.calls = 1, 500
    asyncio.run(main(args))
