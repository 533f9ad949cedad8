"""A per-user sliding-window rate limit (N events per window), in memory.

Grading costs a fresh kernel, so one user pressing Submit in a loop must not starve the
others. The limit is per server process, which is where the kernels are spent.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable

from .errors import RateLimited


class SlidingWindowLimiter:
    """Allow at most ``limit`` events per user in any ``window_s`` seconds.

    Parameters
    ----------
    limit
        events allowed per window; 0 or less disables the limit.
    window_s
        length of the window in seconds.
    clock
        a monotonic clock in seconds (replaceable in tests).
    """

    def __init__(
        self,
        limit: int,
        window_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.limit = limit
        self.window_s = window_s
        self._clock = clock
        self._events: dict[str, deque[float]] = {}

    def retry_after(self, user: str) -> float:
        """Seconds until ``user`` may act again (0 when allowed now); records nothing."""
        if self.limit <= 0:
            return 0.0
        now = self._clock()
        events = self._prune(user, now)
        if len(events) < self.limit:
            return 0.0
        return max(0.0, events[0] + self.window_s - now)

    def hit(self, user: str) -> None:
        """Record one event for ``user``, or raise :class:`RateLimited` if over the limit."""
        wait = self.retry_after(user)
        if wait > 0:
            raise RateLimited(
                f"Too many submissions: at most {self.limit} per "
                f"{self.window_s:g} seconds. Try again in {math.ceil(wait)} s.",
                retry_after=math.ceil(wait),
            )
        if self.limit > 0:
            self._events.setdefault(user, deque()).append(self._clock())

    def _prune(self, user: str, now: float) -> deque[float]:
        events = self._events.get(user)
        if events is None:
            return deque()
        while events and events[0] <= now - self.window_s:
            events.popleft()
        if not events:
            # Forget idle users so the table does not grow with every learner ever seen.
            del self._events[user]
        return events
