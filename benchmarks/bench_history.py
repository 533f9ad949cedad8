"""How fast is a learner's submission history in a big database?

Fills a store with ``--rows`` submissions (default 1,000,000), ``--learner-rows`` of
them (default 10,000) by one learner, spread over a few challenges and interleaved
with everyone else's, then times the store's read calls and prints p50/p95/max in
milliseconds. Figures only, no pass/fail: compare runs by eye.

    python benchmarks/bench_history.py                      # SQLite, 1M rows (~2 min)
    python benchmarks/bench_history.py --rows 20000 --learner-rows 2000   # smoke run
    python benchmarks/bench_history.py --url postgresql+psycopg://...     # another DB

The rows are bulk-inserted with Core ``executemany`` (the store's own
``create_submission`` + ``finish`` would take far longer); every timed call goes
through ``SubmissionStore``, sessions and all.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from codequest_jupyter.store import SubmissionStore
from codequest_jupyter.store.models import Progress, Submission

LEARNER = "learner-0"
CHALLENGES = [f"challenge-{i:02d}" for i in range(20)]
LEARNER_CHALLENGES = CHALLENGES[:4]
START = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


def make_result(i: int, user: str, challenge: str, at: dt.datetime, rng: random.Random) -> dict:
    total = 4
    passed = rng.randint(0, total)
    tests = [
        {"id": f"tests/test_{challenge}.py::test_{t}", "name": f"test_{t}", "hidden": t >= 2,
         "status": "passed" if t < passed else "failed",
         "message": None if t < passed else "assert 7 == 5",
         "expected": None if t < passed else "5", "actual": None if t < passed else "7",
         "duration_ms": 3, "points": 1.0 if t < passed else 0.0, "max_points": 1.0,
         "output": None}
        for t in range(total)
    ]  # fmt: skip
    return {
        "id": f"{i:032x}",
        "challenge": challenge,
        "challenge_version": "0" * 64,
        "user": user,
        "mode": "submit" if i % 3 else "run",
        "submitted_at": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "status": "passed" if passed == total else "failed",
        "score": passed,
        "total": total,
        "points": float(passed),
        "max_points": float(total),
        "duration_ms": rng.randint(300, 900),
        "tests": tests,
        "error": None,
        "cell_errors": [],
    }


def fill(store: SubmissionStore, rows: int, learner_rows: int, batch: int = 20_000) -> None:
    rng = random.Random(1)
    learner_at = set(rng.sample(range(rows), learner_rows))
    users = max(1, (rows - learner_rows) // 500)  # others: ~500 submissions each
    code = {"notebook": {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5},
            "files": {}}  # fmt: skip
    table = Submission.__table__
    started = time.perf_counter()
    with store.engine.begin() as conn:
        for first in range(0, rows, batch):
            values = []
            for i in range(first, min(first + batch, rows)):
                if i in learner_at:
                    user, challenge = LEARNER, rng.choice(LEARNER_CHALLENGES)
                else:
                    user, challenge = f"user-{rng.randrange(users) + 1}", rng.choice(CHALLENGES)
                at = START + dt.timedelta(seconds=i * 7)
                result = make_result(i, user, challenge, at, rng)
                values.append(
                    {"id": result["id"], "username": user, "challenge": challenge,
                     "challenge_version": result["challenge_version"], "mode": result["mode"],
                     "status": result["status"], "score": result["score"],
                     "total": result["total"], "points": result["points"],
                     "max_points": result["max_points"], "duration_ms": result["duration_ms"],
                     "submitted_at": at, "started_at": at,
                     "finished_at": at + dt.timedelta(seconds=1), "code": code,
                     "result": result, "error": None, "error_kind": None}
                )  # fmt: skip
            conn.execute(table.insert(), values)
            done = min(first + batch, rows)
            rate = done / (time.perf_counter() - started)
            print(f"\r  inserted {done:,}/{rows:,} rows ({rate:,.0f}/s)", end="", flush=True)
        # Progress rows as the store keeps them, so progress() has something to read.
        conn.execute(
            Progress.__table__.insert(),
            [{"username": LEARNER, "challenge": c, "attempts": learner_rows // 4}
             for c in LEARNER_CHALLENGES],
        )  # fmt: skip
    print(f"\r  inserted {rows:,} rows in {time.perf_counter() - started:.1f} s" + " " * 20)
    if store.engine.dialect.name == "postgresql":
        # What autovacuum does soon after a bulk load: statistics for the planner and a
        # visibility map, without which every count(*) reads the whole heap.
        with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE submissions")
            conn.exec_driver_sql("VACUUM ANALYZE progress")


def timed(call: Callable[[], Any], repeat: int) -> list[float]:
    call()  # warm caches once, as a running server would have them
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def report(name: str, samples: list[float]) -> None:
    samples = sorted(samples)
    p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    print(f"  {name:<52} p50 {statistics.median(samples):7.2f}   p95 {p95:7.2f}"
          f"   max {samples[-1]:7.2f}")  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="submissions in the table")
    parser.add_argument("--learner-rows", type=int, default=10_000,
                        help="submissions of the learner whose history is read")  # fmt: skip
    parser.add_argument("--repeat", type=int, default=200, help="timed calls per query")
    parser.add_argument("--url", help="database URL (default: a new SQLite file)")
    parser.add_argument("--keep", action="store_true", help="keep the SQLite file")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: 20,000 rows, a learner with 2,000, 20 calls per query",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.rows, args.learner_rows, args.repeat = 20_000, 2_000, 20
    if not 0 < args.learner_rows <= args.rows:
        parser.error("need 0 < --learner-rows <= --rows")

    workdir = None if args.url else Path(tempfile.mkdtemp(prefix="codequest-bench-"))
    url = args.url or f"sqlite:///{workdir}/history.sqlite"
    print(f"database: {url}")
    store = SubmissionStore(url)
    try:
        if store.list_all(limit=0)[1]:
            print("  the database is not empty: timing what is there")
        else:
            fill(store, args.rows, args.learner_rows)
        _, total = store.list_all(limit=0)
        _, mine = store.list_submissions(LEARNER, limit=0)
        one = store.list_submissions(LEARNER, LEARNER_CHALLENGES[0], limit=1)[0][0]["id"]
        print(f"{total:,} submissions, {mine:,} by {LEARNER}; times in ms over "
              f"{args.repeat} calls")  # fmt: skip
        n = args.repeat
        rng = random.Random(2)
        report(
            "list_submissions(user, challenge) first page",
            timed(lambda: store.list_submissions(LEARNER, LEARNER_CHALLENGES[0]), n),
        )
        report(
            "list_submissions(user, challenge) random page",
            timed(
                lambda: store.list_submissions(
                    LEARNER,
                    rng.choice(LEARNER_CHALLENGES),
                    offset=rng.randrange(0, max(1, mine // 4)),
                ),
                n,
            ),
        )
        report(
            "list_submissions(user) first page", timed(lambda: store.list_submissions(LEARNER), n)
        )
        report(
            "list_submissions(user) page at offset 5,000",
            timed(lambda: store.list_submissions(LEARNER, offset=min(5000, mine - 1)), n),
        )
        report("get_result(id, user)", timed(lambda: store.get_result(one, LEARNER), n))
        report("progress(user)", timed(lambda: store.progress(LEARNER), n))
        report("unfinished()", timed(store.unfinished, n))
        report(
            "list_all(challenge) first page (instructors)",
            timed(lambda: store.list_all(challenge=CHALLENGES[5]), max(5, n // 10)),
        )
        report("list_all() first page (instructors)", timed(store.list_all, max(5, n // 10)))
    finally:
        store.close()
        if workdir is not None and not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        elif workdir is not None:
            print(f"kept {workdir}/history.sqlite")


if __name__ == "__main__":
    main()
