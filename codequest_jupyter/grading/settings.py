"""How the grading engine runs kernels: the settings the server exposes as traitlets.

Plain data, read by the :class:`~.engine.Grader` (its pool) and by each run (its limits).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .policy import SandboxPolicy

ISOLATION_SETTINGS = ("challenge", "kernel")


@dataclass
class GradingSettings:
    """How the engine runs kernels (the server exposes these as traitlets)."""

    pool_size: int = 0
    sandbox: str = "auto"
    max_memory_mb: int = 2048
    # The whole-run budget of a submission whose challenge sets none (limits.run_timeout_s),
    # and the ceiling of any challenge's: from the notebook's first cell, a run ends
    # within it whatever the learner's code does (see GradingRun).
    run_s: float = 10.0
    max_run_s: float = 300.0
    grace_s: float = 2.0
    output_limit_bytes: int = 1024 * 1024
    startup_timeout_s: float = 60.0
    pool_max_age_s: float = 3600.0
    # Kernel pool (see KernelPool): "after_use" replaces a pooled kernel once its grading
    # is over, "eager" as soon as it is taken; the memory idle kernels may hold together
    # (0: no limit); "fork" kernels from a pre-imported fork server, "exec" start each
    # as a new process, "auto" forks when the sandbox allows it.
    pool_refill: str = "after_use"
    pool_max_idle_mb: float = 0.0
    kernel_start: str = "auto"
    extra_env: dict[str, str] = field(default_factory=dict)
    # Sandbox details (see SandboxPolicy): the user kernels run as on a root server
    # (None: a uid of their own each), directories to hide from kernels (the server's
    # root, the database's directory, challenge directories) and to show them anyway.
    sandbox_user: str | int | None = None
    # Where tests run: "challenge" as each challenge's ``isolation`` says (a judge
    # process by default), "kernel" inside the learner's kernel for every challenge.
    # Where the sandbox cannot keep a judge out of the kernel's reach (no bubblewrap
    # and no uid of its own per kernel), judged challenges are graded in the kernel,
    # and the server logs a warning saying why.
    isolation: str = "challenge"
    hide_paths: list[str] = field(default_factory=list)
    expose_paths: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.isolation not in ISOLATION_SETTINGS:
            raise ValueError(
                f"isolation must be one of {', '.join(ISOLATION_SETTINGS)}, not {self.isolation!r}"
            )

    def policy(self) -> SandboxPolicy:
        return SandboxPolicy(
            mode=self.sandbox,
            max_memory_mb=self.max_memory_mb,
            max_cpu_s=int(self.max_run_s) + 60,
            extra_env=dict(self.extra_env),
            user=self.sandbox_user,
            hide_paths=tuple(self.hide_paths),
            expose_paths=tuple(self.expose_paths),
        )
