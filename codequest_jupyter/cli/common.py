"""What every ``codequest`` command shares: exit codes, the usage error, interruption
by a signal, and the options several commands take."""

from __future__ import annotations

import asyncio
import signal
from typing import Any

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Input the command cannot work with; printed as one line, exit 2."""


class Interrupted(Exception):
    """SIGINT or SIGTERM stopped the command (after its clean-up); ``code`` is 128 + N."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.code = 128 + signum


def run_interruptibly(main: Any) -> Any:
    """``asyncio.run(main())``, where SIGINT and SIGTERM cancel ``main``: its clean-up
    runs (kernels killed, run directories removed) before the process exits, which
    then raises :class:`Interrupted`."""
    received: list[int] = []

    async def runner() -> Any:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None

        def stop(signum: int) -> None:
            received.append(signum)
            task.cancel()

        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop, signum)
        return await main()

    try:
        result = asyncio.run(runner())
    except asyncio.CancelledError:
        if not received:
            raise
    if received:
        raise Interrupted(received[0])
    return result


SANDBOX_OPTION: dict[str, Any] = {
    "default": "auto",
    "choices": ["auto", "bwrap", "rlimits", "none"],
    "help": "how grading kernels are confined: auto (the strongest available, default), "
    "bwrap (namespaces plus resource limits), rlimits (resource limits only), none",
}
VERBOSE_HELP = "also log what the grader does, the kernels' messages included"
