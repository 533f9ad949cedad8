"""The harness's entry point: ``run_tests`` runs the challenge's tests with pytest on the
learner's namespace, public tests first and hidden ones after, and reports over the
channel; ``warm_up`` prepares a pooled kernel.

Runs inside the grading kernel as part of the harness (see the package docstring).
"""

from __future__ import annotations

import binascii
import contextlib
import io
import os
import shutil
import sys
import tempfile
import time

if __name__ != "__codequest_harness__":  # on the host; in the kernel the files share one namespace
    from .capture import _install_capped_capture
    from .channel import _Channel
    from .collect import _static_tests_from_source_files, _write_files, learner_module
    from .recorder import _make_phase_hooks, _Recorder
    from .verdicts import _patch_unittest

# Everything run_tests imports, and what the engine's call unpacks the harness with. The
# engine imports these in the kernel before the work directory is on sys.path, so a
# learner's file named like one of them (pytest.py, unittest.py, hmac.py) cannot stand
# in for it here.
HARNESS_IMPORTS = (
    "ast",
    "binascii",
    "contextlib",
    "hashlib",
    "hmac",
    "io",
    "json",
    "linecache",
    "re",
    "shutil",
    "signal",
    "tempfile",
    "threading",
    "types",
    "unittest",
    "zlib",
    "IPython",
    "pytest",
    "_pytest.python",
    "_pytest.unittest",
    "_pytest.capture",
    "_pytest.assertion.rewrite",
)

# pytest's options for a grading run: the plugins it has no use for are left out.
# unraisableexception matters most: it ends every session with five gc.collect() calls,
# costly in a kernel's heap (benchmarks/README.md), to turn unraisable exceptions into warnings
# that grading never reports (without it they go to stderr, captured with the test).
PYTEST_OPTIONS = (
    "-p",
    "no:cacheprovider",
    "-p",
    "no:stepwise",
    "-p",
    "no:pastebin",
    "-p",
    "no:nose",
    "-p",
    "no:doctest",
    "-p",
    "no:legacypath",
    "-p",
    "no:unraisableexception",
    "-p",
    "no:junitxml",
    "-p",
    "no:setuponly",
    "-p",
    "no:setupplan",
    "--capture=sys",
    "--import-mode=importlib",
    "--tb=short",
    "-q",
    "--color=no",
)


def _make_phases(later, recorder):
    """A pytest plugin running the session's tests in phases, each collected only once
    the one before has run to the end.

    The first phase is what the session collected from its arguments; each callable in
    ``later`` writes the files of the next phase and returns the paths to collect. A test
    file that fails to import stops nothing (pytest would not run a session with
    collection errors): its tests are reported as errors, every other test runs.
    """
    import pytest

    def run(session):
        items = session.items
        for i, item in enumerate(items):
            recorder.left_here = len(items) - i
            if recorder.out_of_time():
                recorder.not_run(item)
                continue
            nextitem = items[i + 1] if i + 1 < len(items) else None
            item.config.hook.pytest_runtest_protocol(item=item, nextitem=nextitem)
            if session.shouldfail:
                raise session.Failed(session.shouldfail)
            if session.shouldstop:
                raise session.Interrupted(session.shouldstop)

    class _Phases:
        @pytest.hookimpl(tryfirst=True)
        def pytest_runtestloop(self, session):
            run(session)
            for write in later:
                if recorder.left_later:
                    recorder.left_later.pop(0)
                session.perform_collect(write())
                run(session)
            return True

    return _Phases()


def run_tests(payload):
    """Run the challenge's tests on the learner's namespace; report over the channel.

    ``payload`` keys: secret, module, files ({relpath: source}), data (the files
    beside the tests, {relpath: base64}), hidden_prefix, timeout_s, output_limit,
    run_dir.
    """
    import IPython
    import pytest

    shell = IPython.get_ipython()
    channel = _Channel(payload["secret"])
    sys.dont_write_bytecode = True
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    os.environ["PY_COLORS"] = "0"
    for name in ("FORCE_COLOR", "CLICOLOR_FORCE"):
        os.environ.pop(name, None)
    learner_module(payload["module"], shell)

    hidden_prefix = payload.get("hidden_prefix", "hidden")
    public = {r: src for r, src in payload["files"].items() if r.split("/", 1)[0] != hidden_prefix}
    hidden = {r: src for r, src in payload["files"].items() if r.split("/", 1)[0] == hidden_prefix}
    suite_dir = tempfile.mkdtemp(prefix="suite-", dir=payload.get("run_dir") or None)
    with open(os.path.join(suite_dir, "pytest.ini"), "w") as fh:
        fh.write("[pytest]\npython_files = test_*.py *_test.py\n")
    recorder = _Recorder(
        channel,
        suite_dir,
        hidden_prefix,
        payload.get("timeout_s", 10),
        payload.get("output_limit", 65536),
        deadline=payload.get("deadline"),
        budget_s=payload.get("budget_s"),
        min_share_s=payload.get("min_share_s", 0.2),
    )
    # A test of an earlier kernel of this run timed out: the rest share what is left.
    recorder.timed_out = bool(payload.get("timed_out"))
    _patch_unittest()
    _install_capped_capture(recorder.budget)

    def write(files):
        # Test modules must not be taken from an earlier run or a learner file of that name.
        for rel in files:
            sys.modules.pop(os.path.splitext(os.path.basename(rel))[0], None)
        _write_files(suite_dir, files)
        tops = sorted({rel.split("/", 1)[0] for rel in files})
        for rel, encoded in (payload.get("data") or {}).items():
            if rel.split("/", 1)[0] in tops:  # the files beside this phase's tests
                path = os.path.join(suite_dir, rel)
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "wb") as fh:
                    fh.write(binascii.a2b_base64(encoded))
        return [os.path.join(suite_dir, t) for t in tops]

    cwd = os.getcwd()
    started = time.perf_counter()

    # Public tests run first, before the hidden tests exist on disk or in memory: learner
    # code they call, and whatever it prints into their visible output, cannot reach the
    # hidden tests' source. The hidden tests are written and collected once the public
    # ones have finished, in the same pytest session (a second session would cost its
    # configuration and plugin set-up again).
    def write_later(files):
        def later():
            os.chdir(cwd)  # where the tests before may have left it
            return write(files)

        return later

    phases = [files for files in (public, hidden) if files]
    code = 0
    try:
        if phases:
            later = [write_later(files) for files in phases[1:]]
            args = write(phases[0]) + [
                "--rootdir",
                suite_dir,
                "-c",
                os.path.join(suite_dir, "pytest.ini"),
                *PYTEST_OPTIONS,
            ]
            for nodeid in payload.get("deselect", []):
                # Tests already reported by an earlier kernel of this run.
                args += ["--deselect", nodeid]
            recorder.left_later = [
                len(_static_tests_from_source_files(files)) for files in phases[1:]
            ]
            plugins = [recorder, _make_phase_hooks(recorder), _make_phases(later, recorder)]
            # pytest's own report is not wanted: results travel on the channel.
            with contextlib.redirect_stdout(io.StringIO()):
                code = int(pytest.main(args, plugins=plugins))
    except BaseException as exc:
        channel.emit("done", {"exit_code": -1, "error": f"{type(exc).__name__}: {exc}"})
        raise
    finally:
        os.chdir(cwd)
        shutil.rmtree(suite_dir, ignore_errors=True)
    channel.emit(
        "done",
        {"exit_code": code, "duration_ms": int((time.perf_counter() - started) * 1000)},
    )


def warm_up():
    """Import and initialise what a test run needs while the kernel waits in the pool.

    Besides the imports, one throwaway pytest session on a single passing test (in a
    temporary directory removed afterwards) sets up pytest's plugin and hook machinery,
    assertion rewriting and capture once, which makes the first real session cheaper
    (figures: benchmarks/README.md). It runs no challenge or learner code.
    """
    import _pytest.assertion.rewrite
    import _pytest.capture
    import _pytest.python
    import _pytest.unittest  # noqa: F401
    import IPython  # noqa: F401
    import pytest

    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    scratch = tempfile.mkdtemp(prefix="codequest-warm-")
    modules = set(sys.modules)
    try:
        with open(os.path.join(scratch, "test_warm_up.py"), "w", encoding="utf-8") as fh:
            fh.write("def test_warm_up():\n    assert [1, 2] == [1, 2]\n")
        ini = os.path.join(scratch, "pytest.ini")
        with open(ini, "w", encoding="utf-8") as fh:
            fh.write("[pytest]\n")
        with contextlib.redirect_stdout(io.StringIO()):
            pytest.main([scratch, "--rootdir", scratch, "-c", ini, *PYTEST_OPTIONS])
    finally:
        for name in set(sys.modules) - modules:
            if name == "test_warm_up" or name.startswith("test_warm_up."):
                del sys.modules[name]
        shutil.rmtree(scratch, ignore_errors=True)
