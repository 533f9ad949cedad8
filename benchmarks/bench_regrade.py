"""How long does a regrade of N stored submissions take?

Fills a fresh SQLite store with ``--submissions`` (default 1,000) graded "submit"
submissions of the bundled ``fizzbuzz`` challenge from ``--learners`` learners (half
of them the reference solution, half the untouched starter), then regrades them all
with :func:`codequest_jupyter.regrade.run_regrade`, the code behind
``codequest regrade`` and ``POST regrades``: the real grader, its kernel pool, the
sandbox, ``--jobs`` gradings at once, each new result stored with the old one kept.
Prints the wall time, the time per submission and the rate, beside nbgrader's
serial ``autograde`` figures measured in benchmarks/README.md (not run here).

    python benchmarks/bench_regrade.py             # 1,000 submissions
    python benchmarks/bench_regrade.py --quick     # 20 submissions, a smoke run
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from codequest_jupyter.challenges import bundled_challenges_dir, load_challenge
from codequest_jupyter.grading import Grader, GradingSettings
from codequest_jupyter.grading.notebook import notebook_from_code
from codequest_jupyter.regrade import RegradeJob, run_regrade
from codequest_jupyter.results import GradeResult, new_submission_id
from codequest_jupyter.store import AsyncSubmissionStore, SubmissionStore

#: nbgrader autograde, measured in benchmarks/README.md / TOOLCHAIN: one notebook per
#: command (p50 of bench_grading.py), and per notebook in a batch of 10.
NBGRADER_SINGLE_S = 5.583
NBGRADER_BATCH_S = 1.23


def fill(store: SubmissionStore, challenge, n: int, learners: int) -> None:
    solution = notebook_from_code((challenge.path / "solution" / "fizzbuzz.py").read_text())
    starter = challenge.notebook_path.read_text()
    import json

    starter_nb = json.loads(starter)
    for i in range(n):
        result = GradeResult(
            id=new_submission_id(), challenge=challenge.id, challenge_version="old",
            user=f"learner-{i % learners:03d}", mode="submit",
            submitted_at=f"2026-11-{1 + i // 1440 % 28:02d}T{i // 60 % 24:02d}:{i % 60:02d}:00Z",
        ).to_json()  # fmt: skip
        sid = store.create_submission(
            result, code={"notebook": solution if i % 2 else starter_nb, "files": {}}
        )
        # A stored result that claims full marks: the regrade puts the starters right.
        store.finish(sid, {**result, "status": "passed", "score": 10, "total": 10,
                           "points": 13.0, "max_points": 13.0})  # fmt: skip


async def regrade(store: SubmissionStore, challenge, jobs: int, sandbox: str) -> RegradeJob:
    job = RegradeJob(challenge=challenge.id)
    settings = GradingSettings(sandbox=sandbox, pool_size=jobs)
    async with Grader(settings) as grader:
        await run_regrade(AsyncSubmissionStore(store), grader, challenge, job, concurrency=jobs)
    return job


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=1000)
    parser.add_argument("--learners", type=int, default=100)
    parser.add_argument("--jobs", type=int, default=2, help="gradings at once (default 2)")
    parser.add_argument("--sandbox", default="auto")
    parser.add_argument("--quick", action="store_true", help="20 submissions (smoke run)")
    args = parser.parse_args()
    n = 20 if args.quick else args.submissions
    challenge = load_challenge(bundled_challenges_dir() / "fizzbuzz")
    workdir = Path(tempfile.mkdtemp(prefix="cq-bench-regrade-"))
    try:
        store = SubmissionStore(f"sqlite:///{workdir / 'codequest.sqlite'}")
        started = time.perf_counter()
        fill(store, challenge, n, min(args.learners, n))
        filled = time.perf_counter() - started
        job = asyncio.run(regrade(store, challenge, args.jobs, args.sandbox))
        changed = sum(1 for item in job.items if item.changed)
        statuses = statistics.multimode(item.new["status"] for item in job.items)
        kept = sum(len(store.result_history(item.id)) for item in job.items[:50])
        store.close()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    per = job.elapsed_s / max(1, job.total)
    print(
        f"regrade of {job.total} fizzbuzz submissions, {args.jobs} at once, "
        f"sandbox {args.sandbox}, {os.cpu_count()} CPUs (store filled in {filled:.1f} s)"
    )
    print(f"  wall time          {job.elapsed_s:8.1f} s")
    print(f"  per submission     {per * 1000:8.0f} ms   ({job.total / job.elapsed_s:.1f} /s)")
    print(
        f"  changed            {changed:8d}       (the starters; most common new status: "
        f"{', '.join(statuses)})"
    )
    print(f"  old results kept   {kept:8d}       (of the first {min(50, job.total)} checked)")
    print(
        f"  nbgrader autograde, serial (README figures): one per command "
        f"{NBGRADER_SINGLE_S * job.total:,.0f} s ({NBGRADER_SINGLE_S / per:.0f}x), "
        f"batched {NBGRADER_BATCH_S * job.total:,.0f} s ({NBGRADER_BATCH_S / per:.0f}x)"
    )
    assert job.status == "finished" and job.done == job.total == n


if __name__ == "__main__":
    main()
