"""The HTTP path under load: latency, sustained throughput and a class submitting at once.

Starts a real ``jupyter server`` with the extension on loopback, a fresh SQLite store
and the bundled challenges, then runs three scenarios (``--scenario`` picks some):

``latency``
    One learner submits the fizzbuzz reference solution (10 tests) with
    ``POST …/submissions?wait=true``, waiting between submissions long enough for the
    pool to refill: the time from the POST to the final result, stored. p50/p95.
``sustained``
    ``--learners`` simulated learners (20) each submit in a loop for ``--duration``
    seconds, every submission in a fresh kernel: submissions per second, latency, and
    what it costs: CPU seconds of the server and everything it started (kernels, fork
    server) per submission, and their memory (PSS, sampled).
``burst``
    ``--submissions`` submissions sent at the same moment, each followed through its
    event stream to the result, while ``/api/status`` is polled to see whether the
    event loop stays responsive.

Figures only, no pass/fail. Other work on the machine shows in them: the machine's
busy CPU share during the run is printed beside the server's own.

    python benchmarks/bench_server.py                       # all three scenarios
    python benchmarks/bench_server.py --scenario sustained --learners 20 --duration 30
    python benchmarks/bench_server.py --quick               # smoke run, well under a minute
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TOKEN = "bench-token"
CHALLENGE = "fizzbuzz"
TICK = os.sysconf("SC_CLK_TCK")


# -- figures ---------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = q * (len(ordered) - 1)
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summary(name: str, seconds: list[float]) -> str:
    ms = [s * 1000 for s in seconds]
    if not ms:
        return f"{name:<36} n=0"
    return (
        f"{name:<36} n={len(ms):<5} p50={statistics.median(ms):8.1f}  "
        f"p95={percentile(ms, 0.95):8.1f}  max={max(ms):8.1f}  (ms)"
    )


# -- the server's processes, from /proc --------------------------------------------------------


def _stat(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def process_tree(root: int) -> list[int]:
    """``root`` and every live descendant."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat(int(entry))
            if fields is not None:
                children.setdefault(int(fields[1]), []).append(int(entry))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def tree_cpu_s(root: int) -> float:
    """CPU seconds used by the tree, counting children it has already reaped."""
    total = 0
    for pid in process_tree(root):
        fields = _stat(pid)
        if fields is not None:
            total += sum(int(v) for v in fields[11:15])  # utime stime cutime cstime
    return total / TICK


def tree_memory_mb(root: int) -> tuple[float, int]:
    """(PSS of the tree in MB, number of processes)."""
    pids = process_tree(root)
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
                    break
        except OSError:
            continue
    return total / 1024, len(pids)


def machine_busy() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine so far."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return sum(fields) - idle, sum(fields)


class CpuAccount:
    """CPU time of the server and everything it starts.

    A cpuacct cgroup of its own counts every descendant, including processes nobody
    waits for (a kernel inside bubblewrap); without one (no permission), the process
    tree's own and reaped children's times are summed instead.
    """

    def __init__(self) -> None:
        self.path: Path | None = Path(f"/sys/fs/cgroup/cpuacct/codequest-bench-{os.getpid()}")
        try:
            self.path.mkdir()
            (self.path / "cpuacct.usage").read_text()
        except OSError:
            self.path = None

    @property
    def method(self) -> str:
        return "cpuacct cgroup" if self.path else "process tree"

    def wrap(self, cmd: list[str]) -> list[str]:
        if self.path is None:
            return cmd
        return ["/bin/sh", "-c", 'echo $$ > "$0/cgroup.procs" && exec "$@"', str(self.path), *cmd]

    def cpu_s(self, root: int) -> float:
        if self.path is not None:
            return int((self.path / "cpuacct.usage").read_text()) / 1e9
        return tree_cpu_s(root)

    def close(self) -> None:
        if self.path is not None:
            for _ in range(50):
                try:
                    self.path.rmdir()
                    return
                except OSError:
                    time.sleep(0.1)


class Sampler(threading.Thread):
    """Samples the server tree's memory every ``interval`` seconds."""

    def __init__(self, root: int, interval: float = 1.0):
        super().__init__(daemon=True)
        self.root, self.interval = root, interval
        self.samples: list[tuple[float, int]] = []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(self.interval):
            self.samples.append(tree_memory_mb(self.root))


# -- the server ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A jupyter server with the extension, in a temporary home of its own."""

    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.home = Path(tempfile.mkdtemp(prefix="codequest-bench-server-"))
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self.cpu = CpuAccount()

    def config(self) -> dict:
        """The server's jupyter_server_config.json."""
        args = self.args
        options = {"kernel_start": args.kernel_start, "pool_refill": args.refill}
        return {
            "ServerApp": {"jpserver_extensions": {"codequest_jupyter": True}},
            "IdentityProvider": {"token": TOKEN},
            "CodeQuestApp": {
                "challenge_dirs": [str(ROOT / "challenges")],
                "db_url": f"sqlite:///{self.home / 'codequest.sqlite'}",
                "grading_concurrency": args.concurrency,
                "grader_pool_size": args.pool,
                "sandbox": args.sandbox,
                "grading_options": options,
                "submissions_per_minute": 0,
            },
        }

    def __enter__(self) -> Server:
        home = self.home
        (home / "root").mkdir()
        (home / "config").mkdir()
        (home / "config" / "jupyter_server_config.json").write_text(json.dumps(self.config()))
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(ROOT), str(Path(__file__).resolve().parent)]),
            "JUPYTER_CONFIG_DIR": str(home / "config"),
            "JUPYTER_DATA_DIR": str(home / "data"),
            "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        }
        self.log = open(home / "server.log", "wb")
        self.proc = subprocess.Popen(
            self.cpu.wrap(
                [
                    sys.executable,
                    "-m",
                    "jupyter_server",
                    f"--port={self.port}",
                    "--ip=127.0.0.1",
                    "--no-browser",
                    "--allow-root",
                    f"--ServerApp.root_dir={home / 'root'}",
                ]
            ),
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 90
        while True:
            try:
                self.request("GET", "/api/status")
                break
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    self.__exit__(None, None, None)
                    sys.exit("the server did not start:\n" + self.log_tail())
                time.sleep(0.2)
        return self

    def log_tail(self) -> str:
        return (self.home / "server.log").read_text(errors="replace")[-3000:]

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()
        self.cpu.close()
        subprocess.run(["rm", "-rf", str(self.home)], check=False)

    def request(
        self, method: str, path: str, body: object = None, *, token: str = TOKEN
    ) -> tuple[int, bytes]:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}",
            data=data,
            method=method,
            headers={"Authorization": f"token {token}"},
        )
        with urllib.request.urlopen(req, timeout=600) as response:
            return response.status, response.read()

    def submit_and_wait(self, notebook: dict) -> dict:
        _, body = self.request(
            "POST",
            f"/codequest/api/challenges/{CHALLENGE}/submissions?wait=true",
            {"mode": "submit", "notebook": notebook},
        )
        return json.loads(body)

    def follow(self, sid: str) -> None:
        """Read the submission's event stream until its result."""
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/codequest/api/submissions/{sid}/events",
            headers={"Authorization": f"token {TOKEN}"},
        )
        with urllib.request.urlopen(req, timeout=600) as stream:
            for line in stream:
                if line.startswith(b"event: result"):
                    return
        raise RuntimeError(f"stream of {sid} ended without a result")


def check(result: dict) -> None:
    if result.get("status") != "passed" or result.get("total") != 10:
        raise SystemExit(f"unexpected result: {json.dumps(result)[:1500]}")


# -- scenarios ------------------------------------------------------------------------------


def latency(server: Server, notebook: dict, runs: int, gap: float) -> None:
    times = []
    for _ in range(runs):
        time.sleep(gap)  # the pool refills between two submissions of one learner
        started = time.perf_counter()
        result = server.submit_and_wait(notebook)
        times.append(time.perf_counter() - started)
        check(result)
    print(summary("POST ?wait=true -> result stored", times))


def sustained(server: Server, notebook: dict, learners: int, duration: float) -> None:
    assert server.proc is not None
    root = server.proc.pid
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    deadline = time.monotonic() + duration

    def learner() -> None:
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                result = server.submit_and_wait(notebook)
                check(result)
            except (SystemExit, Exception) as exc:  # noqa: BLE001 - counted and shown
                with lock:
                    errors.append(str(exc)[:300])
                continue
            with lock:
                latencies.append(time.perf_counter() - started)

    sampler = Sampler(root)
    cpu_before, (busy0, total0) = server.cpu.cpu_s(root), machine_busy()
    sampler.start()
    started = time.perf_counter()
    threads = [threading.Thread(target=learner) for _ in range(learners)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    sampler.stop.set()
    sampler.join()
    cpu = server.cpu.cpu_s(root) - cpu_before
    busy1, total1 = machine_busy()
    done = len(latencies)
    machine = (busy1 - busy0) / max(1, total1 - total0)
    mem = [m for m, _ in sampler.samples] or [tree_memory_mb(root)[0]]
    procs = [n for _, n in sampler.samples] or [0]
    print(
        f"{learners} learners submitting in a loop for {duration:g} s "
        f"(each submission a fresh kernel):"
    )
    print(
        f"{'  throughput':<36} {done / wall:.2f} graded submissions/s "
        f"({done} in {wall:.1f} s, {len(errors)} errors)"
    )
    print(summary("  submission latency", latencies))
    if done:
        print(
            f"{'  CPU, server + kernels':<36} {cpu:.1f} s = {cpu / wall:.2f} cores busy, "
            f"{cpu / done * 1000:.0f} ms per submission ({server.cpu.method})"
        )
    print(
        f"{'  CPU, whole machine':<36} {machine * 100:.0f}% busy "
        f"({os.cpu_count()} CPUs; other work included)"
    )
    print(
        f"{'  memory (PSS), server + kernels':<36} mean {statistics.mean(mem):.0f} MB, "
        f"peak {max(mem):.0f} MB, up to {max(procs)} processes"
    )
    if errors:
        print(f"  first error: {errors[0]}")


def burst(server: Server, notebook: dict, submissions: int) -> None:
    status_latency: list[float] = []
    stop = threading.Event()

    def poll_status() -> None:
        while not stop.is_set():
            t0 = time.perf_counter()
            server.request("GET", "/api/status")
            status_latency.append(time.perf_counter() - t0)
            time.sleep(0.05)

    accept: list[float] = []
    to_result: list[float] = []

    def one(i: int) -> None:
        t0 = time.perf_counter()
        _, body = server.request(
            "POST",
            f"/codequest/api/challenges/{CHALLENGE}/submissions",
            {"mode": "submit", "notebook": notebook},
        )
        accept.append(time.perf_counter() - t0)
        server.follow(json.loads(body)["id"])
        to_result.append(time.perf_counter() - t0)

    poller = threading.Thread(target=poll_status)
    poller.start()
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=submissions) as pool:
        list(pool.map(one, range(submissions)))
    wall = time.perf_counter() - started
    stop.set()
    poller.join()
    print(f"{submissions} submissions at the same moment:")
    print(summary("  POST accepted (202)", accept))
    print(summary("  submission -> result event", to_result))
    print(summary("  GET /api/status meanwhile", status_latency))
    print(f"{'  all graded in':<36} {wall:.1f} s ({submissions / wall:.2f} submissions/s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--scenario",
        action="append",
        choices=["latency", "sustained", "burst"],
        help="run only these (repeatable); default all three",
    )
    parser.add_argument("--runs", type=int, default=30, help="latency: submissions")
    parser.add_argument("--gap", type=float, default=1.0, help="latency: seconds between them")
    parser.add_argument("--learners", type=int, default=20, help="sustained: simulated learners")
    parser.add_argument("--duration", type=float, default=30.0, help="sustained: seconds")
    parser.add_argument("--submissions", type=int, default=40, help="burst: submissions at once")
    parser.add_argument("--concurrency", type=int, default=4, help="grading_concurrency")
    parser.add_argument("--pool", type=int, default=4, help="grader_pool_size")
    parser.add_argument("--sandbox", default="auto", help="auto | bwrap | rlimits | none")
    parser.add_argument("--kernel-start", default="auto", help="auto | fork | exec")
    parser.add_argument("--refill", default="after_use", help="after_use | eager")
    parser.add_argument("--quick", action="store_true", help="a smoke run for CI")
    args = parser.parse_args()
    if args.quick:
        args.runs, args.learners, args.duration, args.submissions = 3, 4, 4.0, 4
    scenarios = args.scenario or ["latency", "sustained", "burst"]

    from codequest_jupyter.challenges import load_challenge
    from codequest_jupyter.validate import solution_submission

    notebook, _files = solution_submission(load_challenge(ROOT / "challenges" / CHALLENGE))
    load = os.getloadavg()[0]
    print(
        f"bench_server: challenge {CHALLENGE!r} (10 tests), sandbox {args.sandbox}, "
        f"kernel start {args.kernel_start}, pool {args.pool}, grading_concurrency "
        f"{args.concurrency}, refill {args.refill}; {os.cpu_count()} CPUs, load average "
        f"{load:.2f} before"
    )
    with Server(args) as server:
        # One grading starts the pool and warms the server's caches.
        check(server.submit_and_wait(notebook))
        time.sleep(2)
        for scenario in scenarios:
            print()
            if scenario == "latency":
                latency(server, notebook, args.runs, args.gap)
            elif scenario == "sustained":
                sustained(server, notebook, args.learners, args.duration)
                time.sleep(2)
            else:
                burst(server, notebook, args.submissions)
    print(f"\nload average {os.getloadavg()[0]:.2f} after (1-minute)")


if __name__ == "__main__":
    main()
