"""The codequest command as a user runs it: a real process, real kernels."""

from __future__ import annotations

import json
import subprocess
import sys

from challenge_factory import make_challenge, notebook
from live_server import start_server

RESULT_KEYS = {
    "id",
    "challenge",
    "challenge_version",
    "user",
    "mode",
    "submitted_at",
    "status",
    "score",
    "total",
    "points",
    "max_points",
    "duration_ms",
    "tests",
    "error",
}
TEST_KEYS = {
    "id",
    "name",
    "hidden",
    "status",
    "message",
    "expected",
    "actual",
    "duration_ms",
    "points",
    "max_points",
    "output",
}


def codequest(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "codequest_jupyter.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
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


def test_grade_keeps_kernel_log_lines_out_of_its_output(tmp_path):
    # A cell that outlives its timeout makes nbclient log "Timeout waiting for execute
    # reply" and "Interrupting kernel": the result reports the timeout, the terminal
    # shows nothing else.
    path = make_challenge(tmp_path, limits="timeout_s = 1\nmemory_mb = 256")
    nb = tmp_path / "hangs.ipynb"
    nb.write_text(
        json.dumps(notebook("def add(a, b):\n    return a + b\n", "import time\ntime.sleep(30)"))
    )
    proc = codequest("grade", str(path), str(nb))
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert "ran longer than 1 s" in proc.stdout and "Timeout waiting" not in proc.stdout
    proc = codequest("grade", str(path), str(nb), "--json")
    assert proc.returncode == 0 and proc.stderr == ""
    timed_out = json.loads(proc.stdout)["cell_errors"]
    assert [c["kind"] for c in timed_out] == ["timeout"]
    # --verbose shows them, in the command's voice.
    proc = codequest("grade", str(path), str(nb), "--json", "--verbose")
    assert "codequest: error: Timeout waiting for execute reply" in proc.stderr
    assert [c["kind"] for c in json.loads(proc.stdout)["cell_errors"]] == ["timeout"]


def test_grade_and_validate_explain_their_arguments():
    text = codequest("grade", "--help").stdout
    for words in (
        "the challenge's folder",
        "the learner's notebook",
        "public tests only",
        "exactly the result JSON",
        "how grading kernels are confined",
    ):
        assert words in " ".join(text.split()), (words, text)
    text = codequest("validate", "--help").stdout
    assert "default: the bundled challenges" in " ".join(text.split())


def test_bare_validate_says_which_folder_it_checks():
    from codequest_jupyter.challenges import bundled_challenges_dir

    proc = subprocess.Popen(
        [sys.executable, "-m", "codequest_jupyter.cli", "validate"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first = proc.stdout.readline()  # printed before any grading starts
    finally:
        proc.kill()
        proc.communicate()
    assert "bundled with CodeQuest" in first and str(bundled_challenges_dir()) in first


def test_validate_shows_the_author_why_a_hidden_test_failed(tmp_path):
    small_only = "def add(a, b):\n    return a + b if abs(a) < 10**6 else 0\n"
    path = make_challenge(tmp_path, "capped", solution=small_only)
    proc = codequest("validate", str(path))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    line = next(x for x in proc.stdout.splitlines() if "test_large_numbers" in x)
    assert "hidden/test_add_hidden.py::test_large_numbers failed" in line
    assert "expected 1000000000001, actual 0" in line


POINTS_SOLUTION = """
class Point:
    def __init__(self, x, y):
        self.x, self.y = x, y

    def __eq__(self, other):
        return (self.x, self.y) == (other.x, other.y)


def add(a, b):
    return Point(a.x + b.x, a.y + b.y)
"""

POINTS_TESTS = {
    "test_points.py": """
    from adder import Point, add

    def test_add_by_attributes():
        total = add(Point(1, 2), Point(3, 4))
        assert (total.x, total.y) == (4, 6)

    def test_add_by_eq():
        assert add(Point(1, 2), Point(3, 4)) == Point(4, 6)
    """
}


def test_validate_names_a_test_that_cannot_work_in_the_judge(tmp_path):
    points = make_challenge(
        tmp_path, "points", tests=POINTS_TESTS, hidden={}, solution=POINTS_SOLUTION
    )
    proc = codequest("validate", str(points))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "1 differ" in proc.stdout
    line = next(x for x in proc.stdout.splitlines() if "test_add_by_eq" in x)
    assert "tests/test_points.py::test_add_by_eq: passed in the kernel, failed in the judge" in line
    assert "failed in the judge: assert " in line  # the judge's failure, then the advice
    assert "relies on the learner class's __eq__, which the judge does not run" in line
    assert 'isolation = "kernel"' in line
    assert "test_add_by_attributes" not in proc.stdout
    # Graded in the kernel, the same challenge is valid: the judge is not asked.
    kernel = make_challenge(
        tmp_path,
        "points-kernel",
        tests=POINTS_TESTS,
        hidden={},
        solution=POINTS_SOLUTION,
        toml_extra='isolation = "kernel"',
    )
    proc = codequest("validate", str(kernel))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    row = next(x for x in proc.stdout.splitlines() if x.startswith("points-kernel"))
    assert row.split()[6:8] == ["yes", "kernel"]  # stable, judge
    # Where no judge can be kept out of a kernel's reach (no sandbox at all), validate
    # says so and judges nothing: a note, not a problem.
    proc = codequest("validate", "--sandbox", "none", str(points))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    row = next(x for x in proc.stdout.splitlines() if x.startswith("points "))
    assert row.split()[6:8] == ["yes", "n/a"]
    assert "points: note: the judge could not run here: " in proc.stdout


def test_db_upgrade_never_prints_the_password(tmp_path):
    url = "postgresql+psycopg://teacher:s3cret-pw@127.0.0.1:1/codequest"
    proc = codequest("db", "upgrade", "--url", url)
    assert proc.returncode == 2
    assert "s3cret-pw" not in proc.stdout + proc.stderr
    assert "postgresql+psycopg://teacher:***@127.0.0.1:1/codequest" in proc.stderr
    proc = codequest("db", "upgrade", "--url", f"sqlite:///{tmp_path / 'cq.sqlite'}")
    assert proc.returncode == 0, proc.stderr
    assert f"Database at sqlite:///{tmp_path / 'cq.sqlite'} is up to date." in proc.stdout


def test_settings_lists_the_server_settings():
    proc = codequest("settings")
    assert proc.returncode == 0
    for name in ("challenge_dirs", "db_url", "sandbox", "instructors", "max_payload_bytes"):
        assert f"--CodeQuestApp.{name}=" in proc.stdout
    assert "--CodeQuestApp.answer_yes" not in proc.stdout  # inherited, not ours


def test_lab_serves_the_challenges_named_on_its_command_line(tmp_path):
    first, second, empty = tmp_path / "first", tmp_path / "second", tmp_path / "empty"
    make_challenge(first, "alpha")
    make_challenge(first, "beta")
    make_challenge(second, "gamma")
    empty.mkdir()
    server = start_server(
        tmp_path / "lab",
        command=[
            sys.executable,
            "-m",
            "codequest_jupyter.cli",
            "lab",
            "--challenges",
            str(first),
            "--challenges",
            str(second),
            "--challenges",
            str(empty),
        ],
    )
    try:
        status, body = server.request("GET", "codequest/api/challenges")
        assert status == 200
        assert sorted(c["id"] for c in body["challenges"]) == ["alpha", "beta", "gamma"]
    finally:
        server.stop()
    log = server.output()
    assert f"codequest: warning: {empty} holds no challenge" in log  # the command's own
    assert f"challenge folder {empty} holds no challenge" in log  # the server's
    # A folder that does not exist is refused before anything starts.
    proc = codequest("lab", "--challenges", str(tmp_path / "missing"))
    assert proc.returncode == 2 and "no such directory" in proc.stderr


def test_grade_output_tells_timeouts_and_cut_output_apart():
    import io

    from codequest_jupyter.cli import print_result

    test = {
        "name": "test_prints",
        "hidden": False,
        "status": "passed",
        "points": 1,
        "max_points": 1,
        "duration_ms": 3,
        "output_truncated": True,
    }
    result = {
        "tests": [test],
        "status": "passed",
        "score": 1,
        "total": 1,
        "points": 1,
        "max_points": 1,
        "duration_ms": 1200,
        "output_truncated": True,
        "cell_errors": [
            {
                "cell": 2,
                "ename": "TimeoutError",
                "kind": "timeout",
                "evalue": "the cell ran past its time limit and was stopped",
            },
            {"cell": 4, "ename": "NameError", "kind": "exception", "evalue": "name 'x'"},
        ],
    }
    out = io.StringIO()
    print_result(result, out)
    text = out.getvalue()
    assert "cell 3 timed out: the cell ran past its time limit" in text
    assert "TimeoutError" not in text
    assert "cell 5 raised NameError: name 'x'" in text
    assert "(its output was cut at the challenge's output limit)" in text
