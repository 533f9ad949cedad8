"""How a grading kernel is confined: its command line, environment and limits.

Resource limits apply always (through :mod:`.launcher`); stronger isolation is added by
the platform-specific layers chosen here. The kernel's environment is built from
scratch: nothing of the server's (tokens, passwords, database URLs) reaches it.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

MiB = 1024 * 1024

SANDBOX_MODES = ("auto", "rlimits", "none")

# Variables a Python kernel needs; everything else of the server's is left out.
_PASSED_ENV = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "SYSTEMROOT")


@dataclass(frozen=True)
class SandboxPolicy:
    """Limits every grading kernel gets, whatever the challenge asks for.

    ``max_memory_mb`` and ``max_cpu_s`` cap a pooled kernel before it knows its
    challenge; the run then lowers them to the challenge's own limits (a process may
    always lower its limits, never raise a hard one).
    """

    mode: str = "auto"
    max_memory_mb: int = 2048
    max_cpu_s: int = 600
    processes: int = 256
    file_size_mb: int = 64
    open_files: int = 256
    extra_env: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.mode not in SANDBOX_MODES:
            raise ValueError(
                f"sandbox mode must be one of {', '.join(SANDBOX_MODES)}, not {self.mode!r}"
            )


@dataclass
class LaunchSpec:
    """The kernel's argv (with ``{connection_file}``), environment and working dir."""

    argv: list[str]
    env: dict[str, str]
    cwd: Path
    transport: str = "ipc"


def kernel_env(policy: SandboxPolicy, home: Path) -> dict[str, str]:
    env = {k: os.environ[k] for k in _PASSED_ENV if k in os.environ}
    env.update(
        {
            "HOME": str(home),
            "TMPDIR": str(home),
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONNOUSERSITE": "1",
            "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
            "MPLBACKEND": "Agg",
            "MALLOC_ARENA_MAX": "2",
            "OPENBLAS_NUM_THREADS": "1",
            "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
            "NUMEXPR_NUM_THREADS": "1",
            "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        }
    )
    env.update(policy.extra_env)
    return env


def launch_spec(policy: SandboxPolicy, run_dir: Path, workdir: Path) -> LaunchSpec:
    """The command that starts a confined kernel for a run living in ``run_dir``."""
    limits: dict[str, int] = {}
    if policy.mode != "none":
        limits = {
            # The pooled kernel's ceiling; the run lowers it to the challenge's limit.
            "address_space": (policy.max_memory_mb + 512) * MiB,
            "cpu_s": policy.max_cpu_s,
            "processes": policy.processes,
            "file_size": policy.file_size_mb * MiB,
            "open_files": policy.open_files,
            "core": 0,
        }
    argv = [
        sys.executable,
        "-m",
        "codequest_jupyter.grading.launcher",
        json.dumps(limits),
        "-f",
        "{connection_file}",
        "--HistoryManager.enabled=False",
        "--IPKernelApp.quiet=True",
    ]
    return LaunchSpec(argv=argv, env=kernel_env(policy, workdir), cwd=workdir)


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
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 2))
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
