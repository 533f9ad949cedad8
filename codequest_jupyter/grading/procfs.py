"""What the grading machinery reads of live processes in ``/proc`` (Linux).

Whether a pid is alive, a process's descendants, its memory, and which live processes
belong to one kernel (by its uid or by the marker in its environment). Elsewhere these
degrade to what can be told without ``/proc``.
"""

from __future__ import annotations

import contextlib
import os


def pid_exists(pid: int) -> bool:
    if pid <= 0:
        return True  # not a name this module gives: leave it
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, someone else's
    return True


def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants now (Linux ``/proc``; just ``pid`` elsewhere)."""
    tree: list[int] = []
    todo = [pid]
    while todo and len(tree) < 10_000:
        current = todo.pop()
        tree.append(current)
        with (
            contextlib.suppress(OSError, ValueError),
            open(f"/proc/{current}/task/{current}/children", encoding="ascii") as fh,
        ):
            todo.extend(int(p) for p in fh.read().split())
    return tree


def process_mb(pid: int) -> float | None:
    """One process's PSS (its RSS where PSS is not reported), in MiB."""
    for name, key in (("smaps_rollup", "Pss:"), ("status", "VmRSS:")):
        try:
            with open(f"/proc/{pid}/{name}", encoding="ascii") as fh:
                for line in fh:
                    if line.startswith(key):
                        return int(line.split()[1]) / 1024
        except (OSError, ValueError, IndexError):
            continue
    return None


# The variable that marks every process of one kernel (to find leftovers without a pid
# namespace or a uid of their own): set by :func:`.launchspec.kernel_env`.
MARKER_ENV = "CODEQUEST_KERNEL"


def _proc_pids() -> list[int]:
    try:
        return [int(name) for name in os.listdir("/proc") if name.isdigit()]
    except OSError:
        return []


def uids_with_processes() -> set[int]:
    out = set()
    for pid in _proc_pids():
        with contextlib.suppress(OSError):
            out.add(os.stat(f"/proc/{pid}").st_uid)
    return out


def processes_of_uid(uid: int) -> list[int]:
    """Pids of live processes whose real uid is ``uid``."""
    pids = []
    for pid in _proc_pids():
        try:
            with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as fh:
                for line in fh:
                    if line.startswith("Uid:"):
                        if int(line.split()[1]) == uid:
                            pids.append(pid)
                        break
        except (OSError, ValueError, IndexError):
            continue
    return pids


def processes_with_marker(marker: str) -> list[int]:
    """Pids of live processes whose environment holds this kernel's marker."""
    needle = f"{MARKER_ENV}={marker}".encode()
    me = os.getpid()
    pids = []
    for pid in _proc_pids():
        if pid == me:
            continue
        try:
            with open(f"/proc/{pid}/environ", "rb") as fh:
                if needle in fh.read().split(b"\0"):
                    pids.append(pid)
        except OSError:
            continue
    return pids
