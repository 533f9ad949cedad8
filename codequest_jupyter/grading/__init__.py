"""The grading engine: fresh sandboxed kernels, nbclient, pytest inside the kernel.

:mod:`.engine` describes the modules, one job each. Where the tests are collected and
run is one object, a test runner (:mod:`.suite`): today's runs the harness inside the
learner's kernel; one that runs them in a trusted process of its own takes its place
in :class:`~.run.GradingRun` and reports through the same events.
"""

from .engine import Grader, GradingSettings, check_files, populate_workdir
from .kernel import KernelStartError
from .notebook import SubmissionInvalid, code_cells, notebook_from_code, parse_notebook
from .pool import KernelPool

__all__ = [
    "Grader",
    "GradingSettings",
    "KernelPool",
    "KernelStartError",
    "SubmissionInvalid",
    "check_files",
    "code_cells",
    "notebook_from_code",
    "parse_notebook",
    "populate_workdir",
]
