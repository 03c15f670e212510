"""The retry budget: retries add at most about 10 % to a failing host's load, at any request rate.

Per-call retry limits multiply under a full outage (3 attempts = 3x load, and
3x at every hop of a chain). A budget caps the extra load instead. This one
has two parts:

- **A ratio per host** (Finagle's RetryBudget, the Google SRE book's per-client
  retry budget, chapter 22): retries to a host that fail may not exceed
  `ratio` of its calls over a sliding window, rounded down. A retry in flight
  counts as failed until it answers, and a retry that succeeds costs nothing:
  the budget caps *wasted* retries, so a retry that reaches a healthy instance
  while another instance is down is not held against the host.
- **A small reserve shared by the whole process**, for hosts too quiet to have
  earned a whole retry in the window (fewer than 1/ratio calls), so a rare
  failure at 1 request a minute can still be retried. It is an advance on the
  ratio, not an addition: a reserve retry that fails counts against the host's
  ratio like any other, and a host takes one only while none of its retries
  is failed or in flight in the window. A host holds at most one reserve token
  and gives it back when it next answers successfully, as gRPC's retry
  throttling (gRFC A6) refills only on successes: a host that stays down keeps
  it, so a sustained outage never refills the reserve.

Why not a per-host floor of N retries per window (Finagle's minRetriesPerSec,
this budget's first version): it refills with time, about 1.1 + 0.5 / rate, so
at 1 request/s it allowed 1.6-1.8x the load, and every new host got a fresh
floor (fan-out to ten failing hosts retried like a naive client). Why not
gRPC's token bucket alone: a healthy host starts with a full bucket, so every
host gets a few retries per outage whatever its traffic (at 1 request/s, 1.2x
over 15 s; spread over ten hosts, nearly 3x). `make bench` measures these and a
naive client side by side.

With the defaults (ratio 0.1, reserve 2), N calls to a host that always fails,
within one window, cause exactly N + max(1, floor(N / 10)) attempts: over any
10 s a failing host gets at most a tenth of its calls (or one) as retries.
"""

from __future__ import annotations

import enum
import time
from dataclasses import dataclass
from typing import Protocol

from .window import Clock, RollingCounts

_CALLS, _FAILED_RETRIES = 0, 1
# 0.1 * 30 is 3.0000000000000004: compare with a little slack so "10 % of 30" is 3.
_SLACK = 1e-9


class Spend(enum.Enum):
    """Which part of the budget paid for a retry."""

    RATIO = "ratio"
    RESERVE = "reserve"


class Budget(Protocol):
    """What the outbound client asks of a retry budget (the bench compares implementations)."""

    def record_call(self, host: str) -> None:
        """A new call (not a retry) to `host`."""

    def try_spend(self, host: str) -> object | None:
        """A token for one retry to `host`, or None when the budget is spent."""

    def record_answer(self, host: str, ok: bool, spent: object | None) -> None:
        """Every attempt's outcome; `spent` is the token a retry used (None for a first attempt)."""

    def refund(self, host: str, spent: object) -> None:
        """A retry that was allowed but never sent."""

    def forget(self, host: str) -> None:
        """`host` is no longer tracked (idle, or evicted to bound memory)."""


@dataclass
class _HostBudget:
    counts: RollingCounts
    retries_in_flight: int = 0
    holds_reserve: bool = False


class RetryBudget:
    def __init__(
        self,
        *,
        ratio: float,
        reserve: int,
        window_seconds: float,
        clock: Clock = time.monotonic,
    ) -> None:
        self._ratio = ratio
        self._window_seconds = window_seconds
        self._clock = clock
        self._free_reserve = reserve
        self._hosts: dict[str, _HostBudget] = {}

    @property
    def free_reserve(self) -> int:
        return self._free_reserve

    def record_call(self, host: str) -> None:
        self._state(host).counts.add(_CALLS)

    def try_spend(self, host: str) -> Spend | None:
        state = self._state(host)
        calls, failed = state.counts.totals()
        earned = self._ratio * calls
        in_use = failed + state.retries_in_flight
        if in_use + 1 <= earned + _SLACK:
            spent = Spend.RATIO
        elif in_use == 0 and earned + _SLACK < 1 and not state.holds_reserve and self._free_reserve > 0:
            self._free_reserve -= 1
            state.holds_reserve = True
            spent = Spend.RESERVE
        else:
            return None
        state.retries_in_flight += 1
        return spent

    def record_answer(self, host: str, ok: bool, spent: object | None) -> None:
        state = self._hosts.get(host)
        if state is None:
            return  # forgotten while the call ran
        if spent is not None:
            state.retries_in_flight -= 1
            if not ok:
                state.counts.add(_FAILED_RETRIES)
        if ok:
            self._give_back(state)

    def refund(self, host: str, spent: object) -> None:
        state = self._hosts.get(host)
        if state is None:
            return
        state.retries_in_flight -= 1
        if spent is Spend.RESERVE:
            self._give_back(state)

    def forget(self, host: str) -> None:
        state = self._hosts.pop(host, None)
        if state is not None:
            self._give_back(state)

    def _give_back(self, state: _HostBudget) -> None:
        if state.holds_reserve:
            state.holds_reserve = False
            self._free_reserve += 1

    def _state(self, host: str) -> _HostBudget:
        state = self._hosts.get(host)
        if state is None:
            counts = RollingCounts(self._window_seconds, kinds=2, clock=self._clock)
            state = self._hosts[host] = _HostBudget(counts)
        return state
