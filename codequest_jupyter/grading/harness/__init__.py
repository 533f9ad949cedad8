"""The test harness that runs inside the grading kernel.

The engine does not import this package into the kernel: it sends the files listed in
``KERNEL_FILES``, each compiled, in the final execute request and runs them in turn in
one fresh namespace, after every learner cell has run, together with a per-run secret
and the test files (see :mod:`..kernel_code`). So learner code that ran earlier cannot
have patched it, and has never seen the secret or the hidden tests.

It registers the module the notebook's cells ran in under the challenge's module name,
writes the test files to a private directory, runs pytest in-process and reports each
test as it finishes on a display-data channel whose messages carry an HMAC of the
per-run secret. The engine ignores any message on that channel without a valid
signature.

One file per job: :mod:`.channel` (the signed channel), :mod:`.capture` (the output
cap), :mod:`.collect` (the learner's module, test files, tests read from source),
:mod:`.verdicts` (what ended a test), :mod:`.recorder` (the pytest plugin building
each result), :mod:`.runner` (``run_tests``, the phases, the pool's ``warm_up``).

In the kernel these files share one namespace, loaded in the order of ``KERNEL_FILES``:
each imports only the standard library and the modules of ``runner.HARNESS_IMPORTS`` at
its top, and the names of the files before it through an import that runs on the host
only (``if __name__ != "__codequest_harness__"``). The host imports the package as usual:
the pool's warm-up runs ``warm_up``, the engine reads the constants below.
"""

from __future__ import annotations

from .channel import CHANNEL_MIME
from .collect import _static_tests_from_source as static_tests_from_source
from .runner import HARNESS_IMPORTS, PYTEST_OPTIONS, run_tests, warm_up

# The files sent to the kernel, in the order they run there.
KERNEL_FILES = ("channel.py", "capture.py", "collect.py", "verdicts.py", "recorder.py", "runner.py")

__all__ = [
    "CHANNEL_MIME",
    "HARNESS_IMPORTS",
    "KERNEL_FILES",
    "PYTEST_OPTIONS",
    "run_tests",
    "static_tests_from_source",
    "warm_up",
]
