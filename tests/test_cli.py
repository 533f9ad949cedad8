"""The codequest command as a user runs it: a real process, real kernels."""

from __future__ import annotations

import json
import subprocess
import sys

from challenge_factory import make_challenge, notebook

RESULT_KEYS = {
    "id", "challenge", "challenge_version", "user", "mode", "submitted_at", "status",
    "score", "total", "points", "max_points", "duration_ms", "tests", "error",
}
TEST_KEYS = {
    "id", "name", "hidden", "status", "message", "expected", "actual", "duration_ms",
    "points", "max_points", "output",
}


def codequest(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "codequest_jupyter.cli", *args],
        capture_output=True, text=True, cwd=cwd, timeout=300,
    )


def test_grade_json_prints_exactly_the_result(tmp_path):
    path = make_challenge(tmp_path)
    nb = tmp_path / "mine.ipynb"
    nb.write_text(json.dumps(notebook("def add(a, b):\n    return a - b\n")))
    proc = codequest("grade", str(path), str(nb), "--json", "--mode", "run")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)  # nothing but the JSON on stdout
    assert RESULT_KEYS <= set(result)
    assert result["status"] == "failed" and result["mode"] == "run"
    assert result["submitted_at"].endswith("Z")
    for test in result["tests"]:
        assert TEST_KEYS <= set(test)
    assert result["tests"][0]["expected"] == "3" and result["tests"][0]["actual"] == "-1"


def test_grade_human_output(tmp_path):
    path = make_challenge(tmp_path)
    nb = tmp_path / "mine.ipynb"
    nb.write_text(json.dumps(notebook("def add(a, b):\n    return a + b\n")))
    proc = codequest("grade", str(path), str(nb))
    assert proc.returncode == 0
    assert "PASSED: 3/3 tests passed" in proc.stdout
    assert "✓ test_large_numbers (hidden)" in proc.stdout


def test_grade_rejects_bad_input_with_exit_2(tmp_path):
    path = make_challenge(tmp_path)
    not_json = tmp_path / "x.ipynb"
    not_json.write_text("{nope")
    not_nb = tmp_path / "y.ipynb"
    not_nb.write_text('{"hello": 1}')
    for args, words in [
        ((str(path), str(not_json)), "not valid JSON"),
        ((str(path), str(not_nb)), "no 'cells' list"),
        ((str(path), str(tmp_path / "missing.ipynb")), "no such file"),
        ((str(tmp_path / "nochallenge"), str(not_json)), "is not a directory"),
    ]:
        proc = codequest("grade", *args)
        assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and words in lines[0]


def test_new_scaffold_validates_and_validate_finds_problems(tmp_path):
    proc = codequest("new", "sum-evens", "--dir", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert codequest("new", "sum-evens", "--dir", str(tmp_path)).returncode == 2
    # A challenge whose starter already passes is a problem.
    lazy = make_challenge(tmp_path, "lazy", starter=notebook("def add(a, b):\n    return a + b\n"))
    # A challenge whose solution fails is a problem.
    wrong = make_challenge(tmp_path, "wrong", solution="def add(a, b):\n    return 0\n")
    proc = codequest("validate", str(tmp_path / "sum-evens"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "sum-evens" in proc.stdout and "All 1 challenges are valid" in proc.stdout
    proc = codequest("validate", str(lazy), str(wrong))
    assert proc.returncode == 1
    assert "lazy: the untouched starter passes every test" in proc.stdout
    assert "wrong: the solution does not pass every test" in proc.stdout
