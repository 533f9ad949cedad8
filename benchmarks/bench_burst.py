"""A burst through the grading workers: 300 submissions from 100 learners at once.

Starts, on loopback only: a throw-away PostgreSQL (as the test suite does), a
``jupyter server`` whose submissions go to the grading queue (the code path of
``codequest service`` with ``c.CodeQuestService.grading = "workers"``:
``QueuedSubmissionService``; each learner authenticates with a token of its own, as
through a hub) and ``--workers`` ``codequest worker`` processes, each grading
``--concurrency`` submissions at once from a pool of ``--pool`` warm kernels.

Every submission of every learner is sent at the same moment (half a correct
fizzbuzz, half a wrong one, each carrying its learner's name), then followed through
its event stream (``GET …/events``, fed by the workers over LISTEN/NOTIFY) to the
``result`` event. Afterwards it checks against the server:

* every submission reached a final state with the result its code deserves (0 lost);
* each learner's history holds exactly their submissions, once each (0 duplicated);
* every stored result and code snapshot belongs to the learner who sent it
  (0 misattributed); the instructor's listing holds exactly the submissions sent;
* every test row streamed matches the stored result's tests (events complete).

Prints those counts, POST -> result event p50/p95 and throughput; exits 1 if anything
was lost, doubled, misattributed or incomplete. No timed assertions.

    python benchmarks/bench_burst.py                 # 100 learners x 3, 2 workers
    python benchmarks/bench_burst.py --quick         # smoke run (< 60 s): 10 x 1, 1 worker
    python benchmarks/bench_burst.py --workers 3 --concurrency 2
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "tests"))

from bench_server import TOKEN, percentile  # noqa: E402
from load_test import CHALLENGE, LoadServer, notebook  # noqa: E402


class BurstServer(LoadServer):
    """The load test's server, on PostgreSQL, queueing submissions for the workers."""

    def __init__(self, tokens: dict[str, str], args: argparse.Namespace, db_url: str):
        super().__init__(tokens, args)
        self.db_url = db_url

    def config(self) -> dict:
        config = super().config()
        config["CodeQuestApp"].update(
            db_url=self.db_url,
            grader_pool_size=0,  # grades nothing itself
            submission_service_class="codequest_jupyter.worker.queued.QueuedSubmissionService",
        )
        return config

    def follow(self, sid: str, token: str, timeout: float) -> tuple[int, dict]:
        """Read a submission's event stream to its result: (test rows seen, result)."""
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/codequest/api/submissions/{sid}/events",
            headers={"Authorization": f"token {token}"},
        )
        tests, event = 0, ""
        with urllib.request.urlopen(req, timeout=timeout) as stream:
            for raw in stream:
                line = raw.decode().rstrip("\n")
                if line.startswith("event: "):
                    event = line[7:]
                    tests += event == "test"
                elif line.startswith("data: ") and event == "result":
                    return tests, json.loads(line[6:])
        raise ConnectionError(f"the event stream of {sid} ended without a result")


class Workers:
    """``count`` ``codequest worker`` processes on the database."""

    def __init__(self, count: int, args: argparse.Namespace, db_url: str):
        self.home = Path(tempfile.mkdtemp(prefix="codequest-bench-workers-"))
        config = self.home / "codequest_service_config.py"
        config.write_text(
            f"c.CodeQuestApp.challenge_dirs = [{str(ROOT / 'challenges')!r}]\n"
            f"c.CodeQuestApp.db_url = {db_url!r}\n"
            f"c.CodeQuestApp.sandbox = {args.sandbox!r}\n"
            f"c.CodeQuestApp.grader_pool_size = {args.pool}\n"
            f"c.CodeQuestApp.grading_concurrency = {args.concurrency}\n"
        )
        env = {
            **os.environ,
            "JUPYTER_CONFIG_DIR": str(self.home / "config"),
            "JUPYTER_DATA_DIR": str(self.home / "data"),
            "JUPYTER_RUNTIME_DIR": str(self.home / "runtime"),
        }
        self.logs = [open(self.home / f"worker{i}.log", "wb") for i in range(count)]
        self.procs = [
            subprocess.Popen(
                [sys.executable, "-m", "codequest_jupyter", "worker", f"--config={config}"],
                cwd=self.home,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            for log in self.logs
        ]

    def wait_registered(self, db_url: str, timeout: float) -> None:
        import psycopg

        from codequest_jupyter.worker.queue import conninfo

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(p.poll() is not None for p in self.procs):
                break
            try:
                with psycopg.connect(conninfo(db_url)) as conn:
                    n = conn.execute("SELECT count(*) FROM procrastinate_workers").fetchone()[0]
                if n >= len(self.procs):
                    return
            except psycopg.Error:
                pass  # the tables come with the first worker
            time.sleep(0.3)
        self.close()
        tail = (self.home / "worker0.log").read_text(errors="replace")[-3000:]
        sys.exit(f"the workers did not start:\n{tail}")

    def notable(self) -> list[str]:
        """Log lines worth showing: takeovers, warnings, errors."""
        lines = []
        for path in sorted(self.home.glob("worker*.log")):
            for line in path.read_text(errors="replace").splitlines():
                if line.startswith(("[W", "[E")) or "Traceback" in line:
                    lines.append(f"{path.stem}: {line}")
        return lines

    def close(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        for log in self.logs:
            log.close()
        subprocess.run(["rm", "-rf", str(self.home)], check=False)


def burst(server: BurstServer, learners: dict[str, str], args: argparse.Namespace) -> dict:
    """Send every submission at once, follow each to its result."""
    jobs = [
        (tok, name, i, r)
        for i, (tok, name) in enumerate(learners.items())
        for r in range(args.rounds)
    ]
    sent: list[dict] = []
    errors: list[str] = []
    lock = threading.Lock()
    start_line = threading.Barrier(len(jobs))

    def submit(token: str, name: str, index: int, round_no: int) -> None:
        right = (index + round_no) % 2 == 0
        start_line.wait()
        began = time.perf_counter()
        try:
            reply = server.post(
                f"/codequest/api/challenges/{CHALLENGE}/submissions",
                {"mode": "submit", "notebook": notebook(name, round_no, right)},
                token=token,
            )
            streamed, result = server.follow(reply["id"], token, args.timeout)
        except Exception as exc:  # noqa: BLE001 - counted and reported
            with lock:
                errors.append(f"{name} round {round_no}: {type(exc).__name__}: {exc}")
            return
        with lock:
            sent.append(
                {
                    "learner": name,
                    "right": right,
                    "id": reply["id"],
                    "result": result,
                    "streamed": streamed,
                    "latency": time.perf_counter() - began,
                }
            )

    threads = [threading.Thread(target=submit, args=job, daemon=True) for job in jobs]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(args.timeout + 30)
    return {
        "sent": sent,
        "errors": errors,
        "wall": time.perf_counter() - began,
        "expected": len(jobs),
    }


def check(server: BurstServer, learners: dict[str, str], run: dict) -> dict:
    sent = run["sent"]
    wrong = [
        s["id"] for s in sent if s["result"]["status"] != ("passed" if s["right"] else "failed")
    ]
    incomplete = [s["id"] for s in sent if s["streamed"] != len(s["result"].get("tests") or [])]
    misattributed: list[str] = []
    duplicated = 0
    for token, name in learners.items():
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
    return {
        "wrong": wrong,
        "incomplete": incomplete,
        "misattributed": misattributed,
        "duplicated": duplicated,
        "stray": set(listed) - {s["id"] for s in sent},
    }


def run(args: argparse.Namespace) -> int:
    from pg_fixture import start_postgres_server

    learners = {
        f"tok-{i:03d}-{os.urandom(4).hex()}": f"learner{i:03d}" for i in range(args.learners)
    }
    postgres = start_postgres_server()
    try:
        db_url = postgres.new_database("burst")
        workers = Workers(args.workers, args, db_url)  # they start while the server does
        try:
            with BurstServer(learners, args, db_url) as server:
                workers.wait_registered(db_url, 180)
                outcome = burst(server, learners, args)
                found = check(server, learners, outcome)
        finally:
            notable = workers.notable()
            workers.close()
    finally:
        postgres.stop()
        subprocess.run(["rm", "-rf", str(postgres.base_dir)], check=False)

    sent, expected = outcome["sent"], outcome["expected"]
    lost = expected - len(sent)
    latencies = [s["latency"] for s in sent]
    print(
        f"{args.learners} learners x {args.rounds} submission(s), all sent at once, "
        f"graded by {args.workers} worker(s) x {args.concurrency} "
        f"(pool {args.pool}, sandbox {args.sandbox}), PostgreSQL on loopback"
    )
    print(
        f"  sent {expected}, final {len(sent)}, lost {lost}, "
        f"duplicated {found['duplicated']}, misattributed {len(found['misattributed'])}, "
        f"wrong result {len(found['wrong'])}, incomplete event streams "
        f"{len(found['incomplete'])}, unknown in the instructor's list {len(found['stray'])}"
    )
    if latencies:
        print(
            f"  POST -> result event: p50 {percentile(latencies, 0.50):.2f} s, "
            f"p95 {percentile(latencies, 0.95):.2f} s, max {max(latencies):.2f} s"
        )
    print(
        f"  throughput: {len(sent) / outcome['wall']:.2f} graded submissions/s "
        f"over {outcome['wall']:.1f} s"
    )
    for line in outcome["errors"][:10]:
        print(f"  error: {line}")
    for sid in found["incomplete"][:10]:
        s = next(s for s in sent if s["id"] == sid)
        print(
            f"  incomplete stream: {sid}: {s['streamed']} test rows streamed, "
            f"{len(s['result'].get('tests') or [])} in the result"
        )
    for line in notable[:20]:
        print(f"  {line}")
    bad = (
        lost
        or found["duplicated"]
        or found["misattributed"]
        or found["wrong"]
        or found["incomplete"]
        or found["stray"]
        or outcome["errors"]
    )
    return 1 if bad else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3, help="submissions per learner")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=2, help="gradings per worker")
    parser.add_argument("--pool", type=int, default=2, help="warm kernels per worker")
    parser.add_argument("--sandbox", default="auto")
    parser.add_argument("--timeout", type=float, default=1200, help="seconds for the burst")
    parser.add_argument("--quick", action="store_true", help="smoke run: 10 learners x 1, 1 worker")
    args = parser.parse_args()
    # LoadServer's settings (the server itself grades nothing).
    args.kernel_start, args.refill = "auto", "after_use"
    if args.quick:
        args.learners, args.rounds, args.workers = 10, 1, 1
    sys.exit(run(args))


if __name__ == "__main__":
    main()
