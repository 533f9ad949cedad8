"""Latency of one grading: CodeQuest (pooled and cold) beside nbconvert, nbgrader and pytest.

The work is the same in every column: the reference solution of a bundled challenge
(fizzbuzz: 10 tests with its hidden ones) is run in a fresh kernel and its tests are
run with pytest; each column does it its own way:

* CodeQuest, pooled: ``Grader.grade`` with a never-used kernel ready in the pool
  (what a learner pressing Submit waits for);
* CodeQuest, cold: the same with an empty pool (a kernel forked from the fork server
  when the sandbox allows it, and one started as a new process);
* ``jupyter nbconvert --execute`` of an equivalent notebook (the learner's code, then
  one cell that writes the same test files and runs them with ``pytest.main``);
* ``nbgrader autograde`` of that notebook as a one-student assignment whose test cell
  is an autograded cell;
* ``pytest.main`` on the solution as a ``.py`` file in one warm process: the floor.

nbgrader is not a dependency of CodeQuest. To include it, install it (a separate
virtual environment keeps its server extensions out of your Jupyter)::

    python -m venv --system-site-packages /tmp/nbgrader-venv
    /tmp/nbgrader-venv/bin/pip install nbgrader
    python benchmarks/bench_grading.py --nbgrader /tmp/nbgrader-venv/bin/nbgrader

(or ``pip install nbgrader`` into this environment; it is then found on PATH). Without
it that row is skipped with a note. Figures only, no pass/fail; other work on the
machine shows in them, so the load average is printed too.

    python benchmarks/bench_grading.py [--runs 30] [--sandbox auto] [--kernel-start auto]
    python benchmarks/bench_grading.py --quick      # smoke run, well under a minute
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from codequest_jupyter.challenges import Challenge, load_challenge  # noqa: E402
from codequest_jupyter.grading import Grader, GradingSettings  # noqa: E402
from codequest_jupyter.grading.harness import PYTEST_OPTIONS  # noqa: E402
from codequest_jupyter.validate import solution_submission  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_server import percentile  # noqa: E402

# -- figures ---------------------------------------------------------------------------


class Table:
    def __init__(self) -> None:
        self.rows: list[tuple[str, list[float] | None, str]] = []

    def add(self, name: str, seconds: list[float] | None, note: str = "") -> None:
        self.rows.append((name, seconds, note))

    def print(self, reference: str) -> None:
        ref = next((s for n, s, _ in self.rows if n == reference and s), None)
        ref_p50 = statistics.median(ref) if ref else None
        print(f"\n{'':<44}{'runs':>5}{'p50 ms':>10}{'p95 ms':>10}{'vs pooled':>11}")
        for name, seconds, note in self.rows:
            if not seconds:
                print(f"{name:<44}{'-':>5}{'-':>10}{'-':>10}{'-':>11}  {note}")
                continue
            p50 = statistics.median(seconds)
            ratio = f"{p50 / ref_p50:.1f}x" if ref_p50 else "-"
            print(
                f"{name:<44}{len(seconds):>5}{p50 * 1000:>10.0f}"
                f"{percentile(seconds, 0.95) * 1000:>10.0f}{ratio:>11}  {note}"
            )


# -- CodeQuest ---------------------------------------------------------------------------


class CodeQuest:
    """One grader; ``once()`` times one grading (pooled: with a kernel ready)."""

    def __init__(
        self,
        challenge: Challenge,
        notebook: dict,
        files: dict,
        *,
        pooled: bool,
        sandbox: str,
        kernel_start: str,
    ):
        self.challenge, self.notebook, self.files, self.pooled = challenge, notebook, files, pooled
        self.grader = Grader(
            GradingSettings(
                pool_size=1 if pooled else 0, sandbox=sandbox, kernel_start=kernel_start
            )
        )
        self.times: list[float] = []

    async def start(self) -> None:
        await self.grader.start()
        # Wait for the fork server, if kernels are forked (cold starts fork from it too).
        await self.grader.pool.wait_fork_server(timeout=120)
        await self.once(record=False)  # warms the server's own caches

    async def once(self, record: bool = True) -> None:
        if self.pooled and not await self.grader.pool.wait_ready(1, timeout=120):
            raise SystemExit("the kernel pool did not fill in 120 s")
        # Let the previous kernel's disposal and the refill settle: we time one
        # submission arriving at a quiet server.
        await asyncio.sleep(0.3)
        started = time.perf_counter()
        result = await self.grader.grade(
            self.challenge, self.notebook, self.files, "submit", user="bench"
        )
        elapsed = time.perf_counter() - started
        if result.status != "passed" or (self.challenge.id == "fizzbuzz" and result.total != 10):
            raise SystemExit(f"CodeQuest grading did not pass: {result.to_json()}")
        if record:
            self.times.append(elapsed)

    @property
    def how(self) -> str:
        return "forked" if self.grader.pool.stats.get("forked") else "exec"

    async def close(self) -> None:
        await self.grader.close()


# -- the equivalent notebook ---------------------------------------------------------------


def runner_source(challenge: Challenge) -> str:
    """A cell that runs the challenge's submit-mode tests with pytest in the kernel."""
    sources = challenge.read_sources(challenge.test_files("submit"))
    return textwrap.dedent(
        f"""\
        import os, sys, types, tempfile, pytest
        _mod = types.ModuleType({challenge.module!r})
        _mod.__dict__.update({{k: v for k, v in globals().items() if not k.startswith('_')}})
        sys.modules[{challenge.module!r}] = _mod
        _suite = tempfile.mkdtemp()
        for _rel, _src in {sources!r}.items():
            os.makedirs(os.path.join(_suite, os.path.dirname(_rel)), exist_ok=True)
            with open(os.path.join(_suite, _rel), 'w') as _fh:
                _fh.write(_src)
        _code = pytest.main([_suite, '-q', '-p', 'no:cacheprovider', '-o', 'markers=points'])
        assert _code == 0, f'pytest exit code {{_code}}'
        """
    )


def equivalent_notebook(challenge: Challenge, notebook: dict, nbgrader: bool = False) -> dict:
    nb = json.loads(json.dumps(notebook))
    cells = [c for c in nb["cells"] if c.get("cell_type") == "code"]
    runner = {
        "cell_type": "code",
        "id": "run-tests",
        "metadata": {},
        "outputs": [],
        "execution_count": None,
        "source": runner_source(challenge),
    }
    if nbgrader:
        for i, cell in enumerate(cells):
            cell["id"] = f"solution-{i}"
            cell["metadata"] = {
                "nbgrader": {
                    "grade": False,
                    "solution": True,
                    "locked": False,
                    "grade_id": f"solution-{i}",
                    "schema_version": 3,
                }
            }
        runner["metadata"] = {
            "nbgrader": {
                "grade": True,
                "solution": False,
                "locked": True,
                "points": 10,
                "grade_id": "tests",
                "schema_version": 3,
            }
        }
    nb["cells"] = cells + [runner]
    nb["metadata"] = {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
    }
    return nb


def passed_in(nb_path: Path) -> bool:
    """Whether the executed notebook's test cell reports every test passed."""
    nb = json.loads(nb_path.read_text())
    runner = nb["cells"][-1]
    text = "".join(
        "".join(o.get("text", ""))
        for o in runner.get("outputs", [])
        if o.get("output_type") == "stream"
    )
    errors = [o for o in runner.get("outputs", []) if o.get("output_type") == "error"]
    return " passed" in text and " failed" not in text and not errors


def run(cmd: list[str], cwd: Path, env: dict | None = None) -> float:
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:3])} failed:\n{proc.stdout[-1500:]}{proc.stderr[-2500:]}")
    return elapsed


class NbConvert:
    """``jupyter nbconvert --execute`` of the equivalent notebook, a new process each run."""

    def __init__(self, work: Path, nb: dict):
        self.path = work / "nbconvert" / "submission.ipynb"
        self.path.parent.mkdir(parents=True)
        self.path.write_text(json.dumps(nb))
        self.times: list[float] = []

    def once(self) -> None:
        out = self.path.with_name("executed.ipynb")
        self.times.append(
            run(
                [
                    sys.executable,
                    "-m",
                    "jupyter",
                    "nbconvert",
                    "--to",
                    "notebook",
                    "--execute",
                    "--output",
                    out.name,
                    self.path.name,
                ],
                self.path.parent,
            )
        )
        if not passed_in(out):
            raise SystemExit("the nbconvert run did not pass every test")


class NbGrader:
    """``nbgrader autograde`` of the equivalent notebook as a one-student assignment."""

    def __init__(self, work: Path, nb: dict, exe: str):
        self.exe = exe
        self.course = course = work / "course"
        source = course / "source" / "ps1"
        source.mkdir(parents=True)
        (source / "submission.ipynb").write_text(json.dumps(nb))
        (course / "nbgrader_config.py").write_text(
            "c = get_config()\n"
            f"c.CourseDirectory.root = {str(course)!r}\n"
            f"c.CourseDirectory.db_url = {'sqlite:///' + str(course / 'gradebook.db')!r}\n"
            "c.CourseDirectory.course_id = 'bench'\n"
            "c.Exchange.root = " + repr(str(work / "exchange")) + "\n"
        )
        self.env = env = {**os.environ, "JUPYTER_CONFIG_DIR": str(work / "jupyter-config")}
        python = Path(exe).with_name("python")
        if python.exists():
            # The gradebook runs `alembic` from PATH, which must import nbgrader: in a
            # separate environment, that is its Python's alembic.
            shim = work / "nbgrader-bin"
            shim.mkdir()
            (shim / "alembic").write_text(f'#!/bin/sh\nexec "{python}" -m alembic "$@"\n')
            (shim / "alembic").chmod(0o755)
            env["PATH"] = os.pathsep.join([str(shim), str(python.parent), env.get("PATH", "")])
        run([exe, "db", "student", "add", "student1"], course, env)
        run([exe, "generate_assignment", "ps1", "--force"], course, env)
        submitted = course / "submitted" / "student1" / "ps1"
        submitted.mkdir(parents=True)
        # The learner hands in the notebook with their solution in it.
        shutil.copy(source / "submission.ipynb", submitted / "submission.ipynb")
        self.times: list[float] = []

    def once(self) -> None:
        self.times.append(
            run(
                [self.exe, "autograde", "ps1", "--student", "student1", "--force"],
                self.course,
                self.env,
            )
        )
        graded = self.course / "autograded" / "student1" / "ps1" / "submission.ipynb"
        if not passed_in(graded):
            raise SystemExit("the nbgrader run did not pass every test")


# -- the floor ------------------------------------------------------------------------------

FLOOR = """
import io, json, os, sys, time, contextlib
import pytest
suite, runs, options = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
sys.path.insert(0, suite)
times = []
for _ in range(runs + 1):
    t = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        code = pytest.main([suite, '-o', 'markers=points', *options])
    times.append(time.perf_counter() - t)
    assert code == 0, code
print(json.dumps(times[1:]))
"""


def floor(
    work: Path,
    challenge: Challenge,
    runs: int,
    options: tuple[str, ...] = ("-q", "-p", "no:cacheprovider"),
) -> list[float]:
    suite = Path(tempfile.mkdtemp(prefix="floor-", dir=work))
    for rel, text in challenge.read_sources(challenge.test_files("submit")).items():
        (suite / rel).parent.mkdir(parents=True, exist_ok=True)
        (suite / rel).write_text(text)
    (suite / f"{challenge.module}.py").write_text(
        (challenge.path / "solution" / f"{challenge.module}.py").read_text()
    )
    proc = subprocess.run(
        [sys.executable, "-c", FLOOR, str(suite), str(runs), json.dumps(list(options))],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},
    )
    if proc.returncode != 0:
        raise SystemExit(f"the pytest floor failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# -- main -------------------------------------------------------------------------------------


def find_nbgrader(given: str | None) -> str | None:
    if given:
        return given if os.access(given, os.X_OK) else None
    return shutil.which("nbgrader")


async def measure(args: argparse.Namespace, challenge: Challenge, table: Table) -> None:
    """Every column takes its turn in each round, so load from other work on the
    machine falls on all of them alike."""
    notebook, files = solution_submission(challenge)
    rounds = max(1, args.baseline_runs)
    work = Path(tempfile.mkdtemp(prefix="codequest-bench-grading-"))
    graders: list[CodeQuest] = []
    try:
        pooled = CodeQuest(
            challenge,
            notebook,
            files,
            pooled=True,
            sandbox=args.sandbox,
            kernel_start=args.kernel_start,
        )
        cold = CodeQuest(
            challenge,
            notebook,
            files,
            pooled=False,
            sandbox=args.sandbox,
            kernel_start=args.kernel_start,
        )
        graders = [pooled, cold]
        for grader in graders:
            await grader.start()
        cold_exec = None
        if cold.how != "exec":
            cold_exec = CodeQuest(
                challenge, notebook, files, pooled=False, sandbox=args.sandbox, kernel_start="exec"
            )
            graders.append(cold_exec)
            await cold_exec.start()
        nbconvert = NbConvert(work, equivalent_notebook(challenge, notebook))
        exe = find_nbgrader(args.nbgrader)
        nbgrader_note = ""
        nbgrader = None
        if args.quick and not args.nbgrader:
            nbgrader_note = "skipped in --quick (give --nbgrader to run it)"
        elif exe is None:
            nbgrader_note = "skipped: nbgrader not installed (pip install nbgrader; see --help)"
        else:
            nbgrader = await asyncio.to_thread(
                NbGrader, work, equivalent_notebook(challenge, notebook, nbgrader=True), exe
            )
        floor_default: list[float] = []
        floor_ours: list[float] = []
        per_round = -(-args.runs // rounds)
        cold_per_round = -(-args.cold_runs // rounds)
        for _ in range(rounds):
            for _ in range(per_round):
                await pooled.once()
            for _ in range(cold_per_round):
                await cold.once()
            if cold_exec is not None:
                await cold_exec.once()
            await asyncio.to_thread(nbconvert.once)
            if nbgrader is not None:
                await asyncio.to_thread(nbgrader.once)
            floor_default += await asyncio.to_thread(floor, work, challenge, per_round)
            floor_ours += await asyncio.to_thread(floor, work, challenge, per_round, PYTEST_OPTIONS)
        table.add(
            "CodeQuest, pooled kernel",
            pooled.times,
            f"{pooled.how} kernels, sandbox {args.sandbox}",
        )
        table.add(f"CodeQuest, cold start ({cold.how} kernel)", cold.times)
        if cold_exec is not None:
            table.add("CodeQuest, cold start (exec kernel)", cold_exec.times)
        table.add("jupyter nbconvert --execute", nbconvert.times, "new process + kernel each")
        table.add(
            "nbgrader autograde",
            nbgrader.times if nbgrader else None,
            "one student, one notebook" if nbgrader else nbgrader_note,
        )
        table.add(
            "pytest.main, one warm process (floor)",
            floor_default,
            "no kernel, no notebook, default plugins",
        )
        table.add(
            "pytest.main, one warm process, our options",
            floor_ours,
            "as the grading kernel runs it",
        )
    finally:
        for grader in graders:
            await grader.close()
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--challenge", default="fizzbuzz", help="a bundled challenge")
    parser.add_argument("--runs", type=int, default=30, help="pooled gradings (and floor runs)")
    parser.add_argument("--cold-runs", type=int, default=10)
    parser.add_argument(
        "--baseline-runs", type=int, default=5, help="nbconvert and nbgrader runs, one per round"
    )
    parser.add_argument("--sandbox", default="auto", help="auto | bwrap | rlimits | none")
    parser.add_argument("--kernel-start", default="auto", help="auto | fork | exec")
    parser.add_argument("--nbgrader", help="the nbgrader executable (default: on PATH)")
    parser.add_argument("--quick", action="store_true", help="a smoke run for CI")
    args = parser.parse_args()
    if args.quick:
        args.runs, args.cold_runs, args.baseline_runs = 5, 2, 1

    challenge = load_challenge(ROOT / "challenges" / args.challenge)
    tests = len(challenge.test_files("submit"))
    load_before = os.getloadavg()
    print(
        f"bench_grading: challenge {challenge.id!r} ({tests} test files, submit mode), "
        f"{os.cpu_count()} CPUs, load average {load_before[0]:.2f} before"
    )
    table = Table()
    logs = io.StringIO()
    with contextlib.redirect_stderr(logs):
        asyncio.run(measure(args, challenge, table))
    table.print("CodeQuest, pooled kernel")
    load_after = os.getloadavg()
    busy = max(load_before[0], load_after[0]) > (os.cpu_count() or 1)
    print(
        f"\nload average {load_after[0]:.2f} after (1-minute); "
        f"{'busy machine: expect noisy figures' if busy else 'quiet machine'}"
    )


if __name__ == "__main__":
    main()
