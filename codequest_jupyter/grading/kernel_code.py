"""The code the engine sends to a grading kernel.

Two cells of it follow the learner's notebook in every attempt: the set-up (imports the
test machinery, enters the work directory, sets the kernel's limits) and the tests
(the :mod:`.harness`, compiled here, with its payload: the per-run secret, the test
files, the run's time budget). Learner code never sees either before it runs.
"""

from __future__ import annotations

import binascii
import functools
import json
import marshal
import zlib
from pathlib import Path
from typing import Any

from . import harness
from .launchspec import MiB

HARNESS_DIR = Path(harness.__file__).parent
# The namespace the harness runs in (its files test for it: see the harness package).
HARNESS_NAME = "__codequest_harness__"


@functools.cache
def harness_code() -> str:
    """The harness's files and the call of its entry point, compiled here once and
    marshalled (then compressed and base64-encoded): the kernel, the same interpreter
    as this one, loads code objects instead of compiling the source on every run
    (figures in benchmarks/README.md)."""
    codes = []
    for name in harness.KERNEL_FILES:
        source = (HARNESS_DIR / name).read_text(encoding="utf-8")
        if name == harness.KERNEL_FILES[-1]:
            source += "\nrun_tests(PAYLOAD)\n"
        codes.append(compile(source, f"<codequest-harness/{name}>", "exec"))
    return binascii.b2a_base64(zlib.compress(marshal.dumps(tuple(codes)), 9), newline=False).decode(
        "ascii"
    )


def prepare_code(workdir: str, memory_mb: int, budget_s: float) -> str:
    """The set-up cell of an attempt (its own time limit, before the run's budget)."""
    return (
        "import os as _cq_os, sys as _cq_sys\n"
        # The test machinery is imported from the installation before the work
        # directory (with the learner's files) is on sys.path: a learner's pytest.py
        # or unittest.py must not stand in for the real ones in the harness.
        + "".join(f"__import__({name!r})\n" for name in harness.HARNESS_IMPORTS)
        + f"_cq_os.chdir({workdir!r})\n"
        f"_cq_sys.path.insert(0, {workdir!r})\n"
        "_cq_sys.dont_write_bytecode = True\n"
        "del _cq_os, _cq_sys\n"
        # Plain tracebacks: quicker to format and easier to read than IPython's context.
        "get_ipython().InteractiveTB.set_mode('Plain')\n" + run_limits_code(memory_mb, budget_s, 64)
    )


def tests_code(payload: dict[str, Any]) -> str:
    """The tests cell: the harness's files run in turn in one fresh namespace (not the
    learner's), then ``run_tests(payload)``; see :func:`.harness.run_tests` for the keys."""
    return (
        "exec('for _code in _CODES: exec(_code, globals())', "
        f"{{'__name__': {HARNESS_NAME!r}, "
        f"'PAYLOAD': __import__('json').loads({json.dumps(payload)!r}), "
        "'_CODES': __import__('marshal').loads(__import__('zlib').decompress("
        f"__import__('binascii').a2b_base64({harness_code()!r})))}})"
    )


def run_limits_code(memory_mb: int, cpu_budget_s: float, file_size_mb: int) -> str:
    """Python run in the kernel, before learner code, lowering its limits for this run.

    The address-space limit is what the kernel already maps plus the challenge's
    ``memory_mb``, so the learner gets the memory the challenge promises on top of the
    interpreter itself.
    """
    return f"""
def _codequest_limits():
    import resource
    size_kb = 0
    with open('/proc/self/status') as fh:
        for line in fh:
            if line.startswith('VmSize:'):
                size_kb = int(line.split()[1])
    want = size_kb * 1024 + {int(memory_mb)} * {MiB}
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard == resource.RLIM_INFINITY or want < hard:
        resource.setrlimit(resource.RLIMIT_AS, (want, want))
    used = resource.getrusage(resource.RUSAGE_SELF)
    cpu = int(used.ru_utime + used.ru_stime + {float(cpu_budget_s)!r}) + 1
    soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    if hard == resource.RLIM_INFINITY or cpu < hard:
        # SIGXCPU at the soft limit (reported as too much CPU), SIGKILL at the hard one.
        top = cpu + 2 if hard == resource.RLIM_INFINITY else min(cpu + 2, hard)
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, top))
    fsize = {int(file_size_mb)} * {MiB}
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    if hard == resource.RLIM_INFINITY or fsize < hard:
        resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
try:
    _codequest_limits()
except (ImportError, OSError, ValueError):
    pass
del _codequest_limits
"""
