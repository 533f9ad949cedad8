"""Start an IPython kernel under resource limits.

Run as ``python -m codequest_jupyter.grading.launcher LIMITS_JSON -f CONNECTION_FILE``.
The limits are applied to this process (soft and hard, so learner code cannot raise
them again) before ipykernel is imported; every child the kernel forks inherits them.
"""

from __future__ import annotations

import json
import os
import sys

try:
    import resource
except ImportError:  # pragma: no cover - not POSIX
    resource = None  # type: ignore[assignment]

_RLIMITS = {
    "address_space": "RLIMIT_AS",
    "cpu_s": "RLIMIT_CPU",
    "processes": "RLIMIT_NPROC",
    "file_size": "RLIMIT_FSIZE",
    "open_files": "RLIMIT_NOFILE",
    "core": "RLIMIT_CORE",
}


def apply_limits(limits: dict[str, int]) -> None:
    """Set each named rlimit to ``value`` (soft = hard), where the platform has it."""
    if resource is None:
        return
    for key, value in limits.items():
        name = _RLIMITS.get(key)
        if name is None or not hasattr(resource, name):
            continue
        which = getattr(resource, name)
        _soft, hard = resource.getrlimit(which)
        value = int(value)
        if hard != resource.RLIM_INFINITY and value > hard:
            value = hard
        try:
            resource.setrlimit(which, (value, value))
        except (ValueError, OSError):
            # An unprivileged process may not raise a hard limit; keep the soft one.
            resource.setrlimit(which, (min(value, hard), hard))


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    limits = json.loads(argv.pop(0))
    apply_limits(limits)
    from ipykernel.kernelapp import IPKernelApp

    IPKernelApp.launch_instance(argv=argv)


if __name__ == "__main__":
    main()
