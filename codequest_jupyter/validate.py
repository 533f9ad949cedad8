"""``codequest validate``: is each challenge usable, and does it mean what it says?

For every challenge: the format loads, the reference solution passes every test, the
untouched starter fails at least one, and two gradings of the solution agree. The
author sees why a test failed, hidden tests included (message, expected, actual):
gradings here reveal hidden details, whatever ``show_hidden_details`` says.

And the solution's tests get the same verdicts in the judge (tests in a process of
their own, :mod:`.judge`) as in the kernel: a test that relies on sharing the
learner's process (a learner class's ``__eq__``, the truth of a learner object, files
the test made or learner code wrote) is named with the reason and what to do,
when the challenge is written rather than when learners submit. A challenge whose
``challenge.toml`` says ``isolation = "kernel"`` is graded in the kernel and skips
this check.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .challenges import Challenge, ChallengeError, discover, load_challenge
from .grading import Grader, GradingSettings, notebook_from_code, parse_notebook


@dataclass
class ChallengeReport:
    path: Path
    id: str
    format: str = "ok"
    solution: str = "-"
    starter: str = "-"
    stable: str = "-"
    judge: str = "-"
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def solution_submission(challenge: Challenge) -> tuple[dict[str, Any], dict[str, str]]:
    """The reference solution as (notebook, learner files).

    ``solution/`` holds either a notebook, or ``<module>.py``; its other files are
    graded as the learner's versions of the starter files.
    """
    root = challenge.path / "solution"
    notebooks = [p for p in challenge.solution if p.endswith(".ipynb")]
    module_file = f"solution/{challenge.module}.py"
    if notebooks:
        nb = parse_notebook((challenge.path / notebooks[0]).read_bytes())
        used = notebooks[0]
    elif module_file in challenge.solution:
        nb = notebook_from_code((challenge.path / module_file).read_text(encoding="utf-8"))
        used = module_file
    else:
        raise ChallengeError(
            root, f"holds neither a notebook nor {challenge.module}.py (the reference solution)"
        )
    files = {
        rel.split("/", 1)[1]: (challenge.path / rel).read_text(encoding="utf-8")
        for rel in challenge.solution
        if rel != used and not rel.endswith(".ipynb")
    }
    return nb, files


_KERNEL_INSTEAD = 'or set isolation = "kernel" in challenge.toml'


def judge_advice(status: str, message: str | None) -> str:
    """Why a test that passes in the kernel does not in the judge, and what to do."""
    text = message or ""
    if "not decided in the judge" in text:
        return (
            "the test relies on the truth of a learner object (assert obj, if obj:), "
            "which the judge does not decide; compare a value (len(x) == 0, "
            f"x.attr == ...) instead, {_KERNEL_INSTEAD}"
        )
    if "may only call this object" in text or "JudgeObject" in text:
        return (
            "learner code uses an object the test handed it (a path, a real file) as more "
            "than a function: in the judge only in-memory files (StringIO, BytesIO, "
            "mock_open) and mocks may be; hand learner code data or a StringIO instead, "
            + _KERNEL_INSTEAD
        )
    if "FileNotFoundError" in text or "No such file" in text:
        return (
            "the judge and the kernel have file systems of their own: learner code cannot "
            "see files a test makes (tmp_path), nor a test files learner code writes (the "
            "tests find the challenge's files as in the kernel: the starter files in "
            "their working directory, the files beside them next to them); give learner "
            f"code the data and check what it returns, {_KERNEL_INSTEAD}"
        )
    if "cannot be copied back" in text:
        return (
            "learner code puts into a test's argument what the judge cannot copy back into "
            "the test's object (a list holding itself, a value nested too deep): check "
            "what it returns instead, " + _KERNEL_INSTEAD
        )
    if "compare by identity in the judge" in text:
        return (
            "a test comparing learner objects with == relies on the learner class's "
            "__eq__, which the judge does not run; compare attributes instead, " + _KERNEL_INSTEAD
        )
    return (
        "the test relies on sharing the learner's process, which the judge does not: "
        'patching a module where it is defined (mock.patch("random.choice") acts on '
        "the judge's random; patch mod.random.choice), capfd on learner code writing to "
        "file descriptors itself, a test's list that learner code keeps and changes after "
        "the call that was given it returned (the judge sees the list as that call left "
        "it); " + _KERNEL_INSTEAD
    )


def _judge_differences(kernel: Any, judged: Any) -> list[str]:
    """One line per test whose verdict in the judge differs from the kernel's."""
    judge = {t["id"]: t for t in judged.tests}
    lines = []
    for test in kernel.tests:
        other = judge.get(test.id)
        if other is None:
            lines.append(f"{test.id}: {test.status} in the kernel, not run in the judge")
            continue
        if other["status"] == test.status:
            continue
        message = _short(other.get("message"), 100)
        lines.append(
            f"{test.id}: {test.status} in the kernel, {other['status']} in the judge"
            + (f": {message}" if message else "")
            + f" — {judge_advice(other['status'], other.get('message'))}"
        )
    for tid in judge.keys() - {t.id for t in kernel.tests}:
        lines.append(f"{tid}: not run in the kernel, {judge[tid]['status']} in the judge")
    return lines


async def _check_judge(
    grader: Grader, challenge: Challenge, notebook: Any, files: Any, first: Any, report: Any
) -> None:
    from .judge.standalone import judge_notebook

    if challenge.isolation == "kernel":
        report.judge = "kernel"
        return
    judged = await judge_notebook(challenge, notebook, files, grader.settings.policy())
    if judged.error is not None and not judged.tests:
        report.judge = "n/a"
        report.notes.append(f"the judge could not run here: {_short(judged.error, 200)}")
        return
    lines = _judge_differences(first, judged)
    report.judge = "same" if not lines else f"{len(lines)} differ"
    report.problems.extend(
        "in the judge (the default isolation) a test's verdict differs: " + line for line in lines
    )


def _outcome(result: Any) -> str:
    return f"{result.score}/{result.total} passed"


def _why(test: Any) -> str:
    """Why a test did not pass: its message, and expected/actual when it compared."""
    parts = [_short(test.message)] if test.message else []
    if test.expected is not None or test.actual is not None:
        parts.append(f"expected {_short(test.expected, 40)}, actual {_short(test.actual, 40)}")
    return f" ({'; '.join(parts)})" if parts else ""


def _failures(result: Any, limit: int = 3) -> str:
    bad = [t for t in result.tests if t.status != "passed"]
    parts = [f"{t.id} {t.status}{_why(t)}" for t in bad[:limit]]
    if len(bad) > limit:
        parts.append(f"and {len(bad) - limit} more")
    text = "; ".join(parts)
    if result.error is not None:
        text = f"{result.error.kind}: {_short(result.error.message)}" + (
            f"; {text}" if text else ""
        )
    return text


def _short(text: str | None, limit: int = 120) -> str:
    line = " ".join((text or "").split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


async def validate_challenge(grader: Grader, path: Path) -> ChallengeReport:
    started = time.perf_counter()
    report = ChallengeReport(path=path, id=path.name)
    try:
        # The author may see what the learners may not: hidden tests' messages.
        challenge = dataclasses.replace(load_challenge(path), show_hidden_details=True)
        notebook, files = solution_submission(challenge)
    except ChallengeError as exc:
        report.format = "broken"
        report.problems.append(str(exc))
        return report
    first = await grader.grade(challenge, notebook, files, "submit", user="validate")
    report.solution = _outcome(first)
    if first.status != "passed" or first.total == 0:
        report.problems.append(
            "the solution does not pass every test: " + (_failures(first) or "no tests ran")
        )
    await _check_judge(grader, challenge, notebook, files, first, report)
    starter = await grader.grade(challenge, None, None, "submit", user="validate")
    report.starter = _outcome(starter)
    if starter.status == "passed":
        report.problems.append("the untouched starter passes every test")
    second = await grader.grade(challenge, notebook, files, "submit", user="validate")
    same = [(t.id, t.status) for t in first.tests] == [(t.id, t.status) for t in second.tests]
    report.stable = "yes" if same and first.status == second.status else "no"
    if report.stable == "no":
        report.problems.append(
            f"two runs of the solution disagree: {_outcome(first)} then {_outcome(second)}"
        )
    report.seconds = time.perf_counter() - started
    return report


async def validate_all(
    roots: list[Path], *, sandbox: str = "auto", concurrency: int = 2
) -> list[ChallengeReport]:
    dirs = discover(roots)
    limit = asyncio.Semaphore(max(1, concurrency))
    # The solution, the starter and the stability check are graded in the kernel; the
    # judge then grades the solution on its own (_check_judge), so a test whose verdict
    # depends on where it runs is named with its reason rather than only failing.
    settings = GradingSettings(sandbox=sandbox, pool_size=max(1, concurrency), isolation="kernel")
    async with Grader(settings) as grader:

        async def one(path: Path) -> ChallengeReport:
            async with limit:
                return await validate_challenge(grader, path)

        return list(await asyncio.gather(*(one(d) for d in dirs)))


def format_table(reports: list[ChallengeReport]) -> str:
    header = ("challenge", "format", "solution", "starter", "stable", "judge", "time", "result")
    rows = [
        (
            r.id,
            r.format,
            r.solution,
            r.starter,
            r.stable,
            r.judge,
            f"{r.seconds:.1f}s",
            "ok" if r.ok else "PROBLEM",
        )
        for r in reports
    ]
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=True)]
    lines = ["  ".join(str(x).ljust(w) for x, w in zip(header, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for row in rows:
        lines.append("  ".join(str(x).ljust(w) for x, w in zip(row, widths, strict=True)).rstrip())
    for r in reports:
        for problem in r.problems:
            lines.append(f"  {r.id}: {problem}")
        for note in r.notes:
            lines.append(f"  {r.id}: note: {note}")
    return "\n".join(lines)
