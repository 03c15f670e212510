"""The retry budget: retries to one host may add only a small share of its calls.

Per-call retry limits multiply under a full outage (3 attempts = 3x load, and
3x at every hop of a chain). A budget caps the *extra* load instead: retries
over the window may not exceed `ratio` of the calls, plus a small floor so a
service with little traffic can still retry a rare failure. This is the design
of Finagle's RetryBudget and of the Google SRE book's per-client retry budget
(chapter 22, "Addressing Cascading Failures").
"""

from __future__ import annotations

import time

from .window import Clock, RollingCounts

_CALLS, _RETRIES = 0, 1


class RetryBudget:
    def __init__(
        self,
        *,
        ratio: float,
        min_retries: int,
        window_seconds: float,
        clock: Clock = time.monotonic,
    ) -> None:
        self._ratio = ratio
        self._min_retries = min_retries
        self._counts = RollingCounts(window_seconds, kinds=2, clock=clock)

    def record_call(self) -> None:
        """A new call (not a retry) to the host: it earns `ratio` of a retry."""
        self._counts.add(_CALLS)

    def try_spend(self) -> bool:
        """Take one retry from the budget; False when it is spent."""
        calls, retries = self._counts.totals()
        if retries >= self._min_retries + self._ratio * calls:
            return False
        self._counts.add(_RETRIES)
        return True
