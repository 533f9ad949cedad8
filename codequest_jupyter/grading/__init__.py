"""The grading engine: fresh sandboxed kernels, nbclient, pytest inside the kernel."""

from .engine import Grader, GradingSettings, check_files, populate_workdir
from .kernel import KernelStartError
from .pool import KernelPool
from .notebook import SubmissionInvalid, code_cells, notebook_from_code, parse_notebook

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
