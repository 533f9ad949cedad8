"""The engine's verdicts against plain pytest's, test by test.

``tests/differential/textkit/`` is a challenge whose tests use the pytest and unittest
idioms test authors reach for (patching the module's globals and builtins,
monkeypatch, capsys/capfd/caplog, tmp_path, parametrize with ids, yield fixtures and
fixtures in the test file, test classes, xfail/skip/skipif, approx, ``raises(match=)``,
warnings, ``unittest`` with setUp/tearDown, setUpClass, subTest, expectedFailure,
module-level state, non-ASCII names, tests that print). Its right and wrong solutions
are graded twice: by ``Grader`` from a notebook (one cell per ``# %%`` section), and by
plain ``python -m pytest`` in a subprocess on the same code saved as ``textkit.py``,
whose verdicts ``tests/differential/verdicts.py`` writes in the result JSON's words
(its docstring gives the mapping). They must agree on every test id, and on what each
public test printed.

A third grader is the judge (``codequest_jupyter/judge/``): the same cells in a kernel,
the tests in a process of their own, learner code reached through a proxy. Its
``tests/test_objects.py`` and ``hidden/test_objects_unit.py`` add what crossing that
boundary asks for (learner classes, instances, iteration, context managers both ways,
learner exceptions, callbacks, patching, numpy and pandas values, a file beside the
tests), and ``tests/test_mutation.py`` learner code changing the test's lists, dicts,
sets and bytearrays in place (nested ones too) and exceptions handed to it. It agrees with plain pytest
on every test but those in ``JUDGE_DIFFERENCES``: tests relying on what a test cannot
have outside the learner's process, each with the reason (``codequest validate`` names
such tests to authors).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

import pytest

from codequest_jupyter.challenges import load_challenge
from codequest_jupyter.grading import Grader, GradingSettings
from codequest_jupyter.grading.sandbox import SandboxPolicy
from codequest_jupyter.judge.standalone import judge_notebook

HERE = Path(__file__).parent / "differential"
CHALLENGE = HERE / "textkit"


_OBJECTS = "tests/test_objects.py::"
_PATCHING = "tests/test_patching.py::"
_FILES = (
    "a file the test made (tmp_path) is in the judge's file system, which the kernel cannot see"
)
# test id -> (the judge's verdict on the solution, on the wrong answer (None: plain
# pytest's), why).
JUDGE_DIFFERENCES = {
    _OBJECTS + "test_learner_objects_compared_with_eq": (
        "failed",
        "failed",
        "== of two learner objects is decided in the judge (identity), never by the "
        "learner class's __eq__",
    ),
    _OBJECTS + "test_random_patched_where_it_is_defined": (
        "failed",
        None,
        "mock.patch(\"random.choice\") patches the judge's random module; the learner's "
        "is another (patch textkit.random.choice)",
    ),
    _OBJECTS + "test_truth_of_a_learner_object": (
        "error",
        "error",
        "the truth of a learner object is not decided in the judge (a TypeError)",
    ),
    _PATCHING + "test_capfd": (
        "failed",
        None,  # the wrong answer prints through sys.stdout, which the judge does see
        "capfd reads the judge's file descriptors; learner code writes to the kernel's",
    ),
    _PATCHING + "test_tmp_path_real_file": ("error", "error", _FILES),
    _PATCHING + "test_tmp_path_written": ("error", "error", _FILES),
    _PATCHING + "test_chdir": (
        "error",
        "error",
        "monkeypatch.chdir moves the judge, not the kernel; " + _FILES,
    ),
}


def cells_of(path: Path) -> list[str]:
    """The ``# %%`` sections of a .py file, each a notebook cell."""
    sections = path.read_text(encoding="utf-8").split("# %%\n")
    return [s for s in sections if s.strip()]


def notebook_of(path: Path) -> dict:
    return {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
        "cells": [{"cell_type": "markdown", "id": "task", "metadata": {}, "source": "# Text kit"}]
        + [
            {
                "cell_type": "code",
                "id": f"c{i}",
                "metadata": {},
                "outputs": [],
                "execution_count": None,
                "source": src,
            }
            for i, src in enumerate(cells_of(path))
        ],
    }


def plain_pytest(solution: Path, root: Path) -> dict[str, dict]:
    """Verdicts of plain pytest on the solution saved as a module next to the tests."""
    root.mkdir()
    shutil.copy(solution, root / "textkit.py")
    for folder in ("tests", "hidden"):
        shutil.copytree(CHALLENGE / folder, root / folder)
    (root / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    out = root / "verdicts.json"
    env = {
        **os.environ,
        "CODEQUEST_VERDICTS": str(out),
        "PYTHONPATH": os.pathsep.join([str(HERE), str(root)]),
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
    }
    env.pop("TEXTKIT_GREETING", None)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "verdicts",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(root),
            "-c",
            str(root / "pytest.ini"),
            "tests",
            "hidden",
        ],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.exists(), proc.stdout[-3000:] + proc.stderr[-3000:]
    return json.loads(out.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """(engine, plain) verdicts of the right and the wrong solution."""
    import asyncio

    challenge = load_challenge(CHALLENGE)
    root = tmp_path_factory.mktemp("differential")

    async def engine_runs():
        async with Grader(GradingSettings(sandbox="rlimits")) as grader:
            return {
                which: await grader.grade(
                    challenge, notebook_of(CHALLENGE / which / "textkit.py"), mode="submit"
                )
                for which in ("solution", "wrong")
            }

    old_tempdir = tempfile.tempdir
    tempfile.tempdir = str(root)  # the run directories, removed again by the grader
    try:
        results = asyncio.run(engine_runs())
    finally:
        tempfile.tempdir = old_tempdir
    return {
        which: (results[which], plain_pytest(CHALLENGE / which / "textkit.py", root / which))
        for which in ("solution", "wrong")
    }


@pytest.mark.parametrize("which", ["solution", "wrong"])
def test_engine_and_plain_pytest_agree_on_every_test(graded, which):
    result, plain = graded[which]
    engine = {t.id: t.status for t in result.tests}
    statuses = {nodeid: v["status"] for nodeid, v in plain.items()}
    print(
        f"\n{which}: {len(engine)} tests; engine {dict(Counter(engine.values()))}, "
        f"plain pytest {dict(Counter(statuses.values()))}; graded in {result.duration_ms} ms"
    )
    assert len(statuses) >= 60
    assert sorted(engine) == sorted(statuses)
    disagree = {tid: (engine[tid], statuses[tid]) for tid in engine if engine[tid] != statuses[tid]}
    assert disagree == {}, disagree
    assert [t.id for t in result.tests if t.hidden] == [
        t for t in statuses if t.startswith("hidden/")
    ]


@pytest.mark.parametrize("which", ["solution", "wrong"])
def test_engine_and_plain_pytest_agree_on_what_public_tests_printed(graded, which):
    result, plain = graded[which]
    for test in result.tests:
        if not test.hidden:
            assert test.output == plain[test.id]["output"], test.id


def test_the_corpus_tells_right_from_wrong(graded):
    right, _ = graded["solution"]
    wrong, _ = graded["wrong"]
    counts = Counter(t.status for t in right.tests)
    # The right solution: nothing failed but the strict xfail that passed, as pytest says.
    assert {t.name for t in right.tests if t.status in ("failed", "error")} == {
        "test_xfail_strict_that_passes"
    }
    assert counts["skipped"] >= 6 and counts["passed"] >= 50
    bad = Counter(t.status for t in wrong.tests)
    assert bad["failed"] >= 20 and bad["error"] >= 3, bad
    assert right.error is None and wrong.error is None


@pytest.fixture(scope="module")
def judged(graded):
    """The judge's verdicts (JudgeRun) on the right and the wrong solution."""
    import asyncio

    challenge = load_challenge(CHALLENGE)

    async def runs():
        return {
            which: await judge_notebook(
                challenge, notebook_of(CHALLENGE / which / "textkit.py"), {}, SandboxPolicy()
            )
            for which in ("solution", "wrong")
        }

    return asyncio.run(runs())


@pytest.mark.parametrize("which", ["solution", "wrong"])
def test_the_judge_and_plain_pytest_agree_but_for_the_documented_differences(graded, judged, which):
    run = judged[which]
    assert run.error is None, run.error
    _, plain = graded[which]
    judge = {t["id"]: t["status"] for t in run.tests}
    statuses = {nodeid: v["status"] for nodeid, v in plain.items()}
    print(
        f"\n{which}: {len(judge)} tests; judge {dict(Counter(judge.values()))}, "
        f"plain pytest {dict(Counter(statuses.values()))}; {run.done['calls']} calls "
        f"across the boundary in {run.done['duration_ms']} ms"
    )
    assert len(judge) >= 60 and sorted(judge) == sorted(statuses)
    column = 0 if which == "solution" else 1
    expected = {
        tid: (JUDGE_DIFFERENCES.get(tid, (None, None))[column] or status)
        for tid, status in statuses.items()
    }
    disagree = {tid: (judge[tid], expected[tid]) for tid in judge if judge[tid] != expected[tid]}
    assert disagree == {}, disagree
    # Each documented difference is one on the right solution (plain pytest passes it),
    # and the judge says why in the test's message.
    if which == "solution":
        assert {tid: statuses[tid] for tid in JUDGE_DIFFERENCES} == dict.fromkeys(
            JUDGE_DIFFERENCES, "passed"
        )
    truth = next(t for t in run.tests if t["id"].endswith("test_truth_of_a_learner_object"))
    assert "not decided in the judge" in truth["message"]
    eq = next(t for t in run.tests if t["id"].endswith("test_learner_objects_compared_with_eq"))
    assert "compare by identity in the judge" in eq["message"]
    assert [t["id"] for t in run.tests if t["hidden"]] == [
        t for t in statuses if t.startswith("hidden/")
    ]


@pytest.mark.parametrize("which", ["solution", "wrong"])
def test_the_judge_and_plain_pytest_agree_on_what_public_tests_printed(graded, judged, which):
    _, plain = graded[which]
    for test in judged[which].tests:
        if not test["hidden"] and test["id"] not in JUDGE_DIFFERENCES:
            assert test["output"] == plain[test["id"]]["output"], test["id"]
