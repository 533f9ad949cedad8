"""``codequest grade``: one notebook against a challenge, no server; and the
human-readable rendering of a result (:func:`print_result`)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from .common import EXIT_OK, SANDBOX_OPTION, VERBOSE_HELP, UsageError, run_interruptibly

STATUS_MARKS = {
    "passed": "✓",
    "failed": "✗",
    "error": "⚠",
    "timeout": "⚠",
    "skipped": "-",
    "not_run": "·",
}


def add_parsers(sub: Any) -> None:
    grade = sub.add_parser(
        "grade",
        help="grade one notebook against a challenge, no server",
        description="Grade NOTEBOOK against the challenge in CHALLENGE_DIR in a fresh, "
        "sandboxed kernel, as the server would, and print the result. Exit 0 when grading "
        "ran, whatever the score; 2 when it could not run.",
    )
    grade.add_argument("challenge_dir", help="the challenge's folder (holds challenge.toml)")
    grade.add_argument("notebook", help="the learner's notebook (.ipynb) to grade")
    grade.add_argument(
        "--json",
        action="store_true",
        help="print exactly the result JSON on stdout, nothing else",
    )
    grade.add_argument(
        "--mode",
        choices=["submit", "run"],
        default="submit",
        help="submit: public and hidden tests (default); run: public tests only",
    )
    grade.add_argument(
        "--file",
        action="append",
        metavar="NAME[=PATH]",
        help="a learner file graded beside the notebook (repeatable)",
    )
    grade.add_argument("--sandbox", **SANDBOX_OPTION)
    grade.add_argument("-v", "--verbose", action="store_true", help=VERBOSE_HELP)
    grade.set_defaults(func=cmd_grade)


def cmd_grade(args: argparse.Namespace) -> int:
    from ..challenges import ChallengeError, load_challenge
    from ..grading import Grader, GradingSettings, SubmissionInvalid, parse_notebook

    try:
        challenge = load_challenge(args.challenge_dir)
    except ChallengeError as exc:
        raise UsageError(str(exc)) from None
    path = Path(args.notebook)
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    try:
        notebook = parse_notebook(path.read_bytes())
    except SubmissionInvalid as exc:
        raise UsageError(f"{path}: {exc}") from None
    files = _read_files(args.file or [])

    async def run() -> Any:
        async with Grader(GradingSettings(sandbox=args.sandbox)) as grader:
            return await grader.grade(
                challenge, notebook, files, args.mode, user=os.environ.get("USER", "")
            )

    try:
        result = run_interruptibly(run)
    except SubmissionInvalid as exc:
        raise UsageError(str(exc)) from None
    if args.json:
        json.dump(result.to_json(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print_result(result.to_json())
    return EXIT_OK


def _read_files(paths: list[str]) -> dict[str, str]:
    files = {}
    for spec in paths:
        name, _, source = spec.partition("=")
        source = source or name
        try:
            files[Path(name).as_posix()] = Path(source).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"{source}: cannot read ({exc})") from None
    return files


def print_result(result: dict[str, Any], out=None) -> None:
    out = out or sys.stdout
    for test in result["tests"]:
        mark = STATUS_MARKS.get(test["status"], "?")
        hidden = " (hidden)" if test["hidden"] else ""
        points = f"{test['points']:g}/{test['max_points']:g}"
        print(
            f" {mark} {test['name']}{hidden}  [{test['status']}, {points} pts, "
            f"{test['duration_ms']} ms]",
            file=out,
        )
        if test["status"] not in ("passed", "skipped") and test.get("message"):
            for line in str(test["message"]).splitlines()[:6]:
                print(f"     {line}", file=out)
        if test.get("expected") is not None or test.get("actual") is not None:
            print(f"     expected: {test.get('expected')}", file=out)
            print(f"     actual:   {test.get('actual')}", file=out)
        if test.get("output_truncated"):
            print("     (its output was cut at the challenge's output limit)", file=out)
    for cell in result.get("cell_errors", []):
        if cell.get("kind") == "timeout":
            print(f" ⚠ cell {cell['cell'] + 1} timed out: {cell['evalue']}", file=out)
        else:
            print(f" ⚠ cell {cell['cell'] + 1} raised {cell['ename']}: {cell['evalue']}", file=out)
    if result.get("output_truncated") and not any(
        t.get("output_truncated") for t in result["tests"]
    ):
        print(" ⚠ output was cut at the challenge's output limit", file=out)
    if result.get("error"):
        print(f" ⚠ {result['error']['kind']}: {result['error']['message']}", file=out)
    print(
        f"{result['status'].upper()}: {result['score']}/{result['total']} tests passed · "
        f"{result['points']:g}/{result['max_points']:g} points · "
        f"{result['duration_ms'] / 1000:.2f} s",
        file=out,
    )
