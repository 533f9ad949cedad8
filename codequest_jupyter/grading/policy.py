"""What a grading kernel's confinement is asked to be, and what it comes to here.

:class:`SandboxPolicy` is the administrator's request (mode, limits, user, paths);
:class:`SandboxPlan` is that request resolved on this machine by :func:`.sandbox.resolve`.
Plain data: nothing here starts a process or probes the machine.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

SANDBOX_MODES = ("auto", "bwrap", "rlimits", "none")


class SandboxUnavailable(RuntimeError):
    """The sandbox the policy asks for cannot be had on this machine."""


@dataclass(frozen=True)
class SandboxPolicy:
    """Limits and isolation every grading kernel gets, whatever the challenge asks for.

    ``max_memory_mb`` and ``max_cpu_s`` cap a pooled kernel before it knows its
    challenge; the run then lowers them to the challenge's own limits (a process may
    always lower its limits, never raise a hard one).

    ``user`` (root servers only): ``None`` gives each kernel a uid of its own from
    ``uid_range`` (``(first, count)``; uids without a passwd entry are fine); a name or
    number runs every kernel as that user instead (then kernels share one process
    count and can signal each other outside a pid namespace). A bwrap sandbox shows only
    an allow-list: ``expose_paths`` are more directories the kernel may read;
    ``hide_paths`` are directories to keep from it wherever an exposed one contains
    them (the server's root directory, the database's directory, challenge
    directories).
    """

    mode: str = "auto"
    max_memory_mb: int = 2048
    max_cpu_s: int = 600
    processes: int = 256
    file_size_mb: int = 64
    open_files: int = 256
    tmp_size_mb: int = 64
    extra_env: dict[str, str] = field(default_factory=dict)
    user: str | int | None = None
    uid_range: tuple[int, int] = (1_900_000_000, 1_000_000)
    hide_paths: tuple[str, ...] = ()
    expose_paths: tuple[str, ...] = ()
    bwrap_path: str | None = None

    def __post_init__(self) -> None:
        if self.mode not in SANDBOX_MODES:
            raise ValueError(
                f"sandbox mode must be one of {', '.join(SANDBOX_MODES)}, not {self.mode!r}"
            )
        object.__setattr__(self, "hide_paths", tuple(str(p) for p in self.hide_paths))
        object.__setattr__(self, "expose_paths", tuple(str(p) for p in self.expose_paths))

    def _key(self) -> tuple:
        return (
            self.mode,
            self.user,
            self.uid_range,
            self.hide_paths,
            self.expose_paths,
            self.bwrap_path,
            tuple(sorted(self.extra_env.items())),
        )


@dataclass(frozen=True)
class SandboxPlan:
    """A policy resolved on this machine (probed once per process)."""

    mode: str  # bwrap | rlimits | none
    uid_strategy: str  # "per-kernel" | "fixed" | "own"
    fixed_uid: int | None = None
    fixed_gid: int | None = None
    bwrap: str | None = None
    bwrap_version: tuple[int, ...] = ()
    hide: tuple[str, ...] = ()
    expose: tuple[str, ...] = ()
    note: str = ""

    def describe(self) -> str:
        who = {
            "per-kernel": "each kernel as its own unprivileged uid",
            "fixed": f"kernels as uid {self.fixed_uid}",
            "own": "kernels as the server's user" + (" (root!)" if os.geteuid() == 0 else ""),
        }[self.uid_strategy]
        what = {
            "bwrap": "bubblewrap (no network, read-only filesystem, private /tmp, own pid namespace)"
            " and resource limits",
            "rlimits": "resource limits only",
            "none": "no confinement",
        }[self.mode]
        return f"{what}; {who}" + (f"; {self.note}" if self.note else "")
