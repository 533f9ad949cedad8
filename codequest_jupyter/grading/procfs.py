"""What the grading machinery reads of live processes in ``/proc`` (Linux).

Whether a pid is alive, a process's descendants, its memory. Elsewhere these degrade
to what can be told without ``/proc``.
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
