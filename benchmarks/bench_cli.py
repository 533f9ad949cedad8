"""Median latency of `codequest grade` beside `jupyter nbconvert --execute`, same run.

Both start from nothing, as a command-line user would: a new process that starts a
fresh kernel, runs the learner's notebook and the challenge's tests, and exits.
nbconvert runs an equivalent notebook: the learner's cells, then one cell that writes
the same test files and runs them with pytest in that kernel.

    python benchmarks/bench_cli.py [--challenge fizzbuzz] [--runs 7] [--quick]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from codequest_jupyter.challenges import load_challenge  # noqa: E402
from codequest_jupyter.validate import solution_submission  # noqa: E402


def timed(cmd: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    try:
        proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=600)
    except subprocess.TimeoutExpired as exc:
        # Its output still open after 10 minutes: it hangs, or left a process behind.
        raise SystemExit(f"{' '.join(cmd[:3])} did not finish in {exc.timeout:g} s") from None
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:3])} failed:\n{proc.stderr[-2000:]}")
    return elapsed


def equivalent_notebook(challenge, notebook: dict) -> dict:
    """The learner's notebook plus a cell that runs the same tests with pytest."""
    sources = challenge.read_sources(challenge.test_files("submit"))
    runner = (
        "import os, sys, types, tempfile, pytest\n"
        f"_mod = types.ModuleType({challenge.module!r})\n"
        "_mod.__dict__.update({k: v for k, v in globals().items() if not k.startswith('_')})\n"
        f"sys.modules[{challenge.module!r}] = _mod\n"
        "_suite = tempfile.mkdtemp()\n"
        f"for _rel, _src in {sources!r}.items():\n"
        "    os.makedirs(os.path.join(_suite, os.path.dirname(_rel)), exist_ok=True)\n"
        "    open(os.path.join(_suite, _rel), 'w').write(_src)\n"
        "pytest.main([_suite, '-q', '-p', 'no:cacheprovider', '-o', 'markers=points'])\n"
    )
    nb = json.loads(json.dumps(notebook))
    nb["cells"].append(
        {
            "cell_type": "code",
            "id": "run-tests",
            "metadata": {},
            "outputs": [],
            "execution_count": None,
            "source": runner,
        }
    )
    nb.setdefault("metadata", {})["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return nb


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--challenge", default="fizzbuzz")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="3 runs (CI smoke run)")
    args = parser.parse_args()
    runs = 3 if args.quick else args.runs

    challenge = load_challenge(ROOT / "challenges" / args.challenge)
    notebook, files = solution_submission(challenge)
    work = Path(tempfile.mkdtemp(prefix="bench-cli-"))
    try:
        learner = work / "learner.ipynb"
        learner.write_text(json.dumps(notebook))
        for rel, text in files.items():
            (work / rel).parent.mkdir(parents=True, exist_ok=True)
            (work / rel).write_text(text)
        for rel, data in challenge.starter_files().items():
            (work / rel).parent.mkdir(parents=True, exist_ok=True)
            if not (work / rel).exists():
                (work / rel).write_bytes(data)
        plain = work / "nbconvert.ipynb"
        plain.write_text(json.dumps(equivalent_notebook(challenge, notebook)))
        codequest = [
            sys.executable,
            "-m",
            "codequest_jupyter.cli",
            "grade",
            str(challenge.path),
            str(learner),
            "--json",
        ]
        nbconvert = [
            sys.executable,
            "-m",
            "jupyter",
            "nbconvert",
            "--to",
            "notebook",
            "--execute",
            "--output",
            str(work / "out.ipynb"),
            str(plain),
        ]
        results: dict[str, list[float]] = {"codequest grade": [], "nbconvert --execute": []}
        for _ in range(runs):  # interleaved, so load affects both alike
            results["codequest grade"].append(timed(codequest, work))
            results["nbconvert --execute"].append(timed(nbconvert, work))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    base = statistics.median(results["codequest grade"])
    print(
        f"Challenge {challenge.id}: {len(challenge.test_files('submit'))} test files, "
        f"{runs} runs each, fresh process and fresh kernel every run"
    )
    print(f"{'command':<22}{'median':>10}{'min':>10}{'max':>10}{'ratio':>9}")
    for name, times in results.items():
        med = statistics.median(times)
        print(f"{name:<22}{med:>9.2f}s{min(times):>9.2f}s{max(times):>9.2f}s{med / base:>8.2f}x")


if __name__ == "__main__":
    main()
