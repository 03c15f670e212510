"""A failure-rate circuit breaker for one downstream host.

Closed: calls go through and their outcomes are counted over a sliding window;
when at least `min_calls` were made and `failure_ratio` of them failed, the
breaker opens. Open: every call is rejected at once (no socket, no wait) for
`open_seconds`. Half-open: `probes` calls are let through; if all succeed the
breaker closes with a fresh window, the first failure opens it again.

A rate over a window, rather than N consecutive failures, keeps one flaky call
in a busy stream from tripping the breaker and still trips fast under a real
outage (the model of resilience4j's COUNT/TIME windows and Envoy's outlier
detection by success rate).
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable

from .window import Clock, RollingCounts

_SUCCESSES, _FAILURES = 0, 1


class State(enum.IntEnum):
    """Values exported by the `outbound_circuit_breaker_state` gauge."""

    CLOSED = 0
    OPEN = 1
    HALF_OPEN = 2


class CircuitBreaker:
    def __init__(
        self,
        *,
        failure_ratio: float,
        min_calls: int,
        window_seconds: float,
        open_seconds: float,
        probes: int,
        clock: Clock = time.monotonic,
        on_change: Callable[[State], None] = lambda state: None,
    ) -> None:
        self._failure_ratio = failure_ratio
        self._min_calls = min_calls
        self._open_seconds = open_seconds
        self._probes = probes
        self._clock = clock
        self._on_change = on_change
        self._counts = RollingCounts(window_seconds, kinds=2, clock=clock)
        self._state = State.CLOSED
        self._opened_at = 0.0
        self._probes_started = 0
        self._probes_succeeded = 0

    @property
    def state(self) -> State:
        return self._state

    def allow(self) -> bool:
        """May a call start now? In half-open this takes one of the probe slots."""
        if self._state is State.OPEN:
            if self._clock() - self._opened_at < self._open_seconds:
                return False
            self._move(State.HALF_OPEN)
        if self._state is State.HALF_OPEN:
            if self._probes_started >= self._probes:
                return False
            self._probes_started += 1
        return True

    def record(self, success: bool) -> None:
        """The outcome of a call that `allow()` let through."""
        if self._state is State.HALF_OPEN:
            if not success:
                self._open()
                return
            self._probes_succeeded += 1
            if self._probes_succeeded >= self._probes:
                self._counts.clear()
                self._move(State.CLOSED)
            return
        if self._state is State.OPEN:
            return  # a call started before the breaker opened: the decision is made
        self._counts.add(_SUCCESSES if success else _FAILURES)
        if not success:
            successes, failures = self._counts.totals()
            calls = successes + failures
            if calls >= self._min_calls and failures >= self._failure_ratio * calls:
                self._open()

    def cancel(self) -> None:
        """A call let through ended with no outcome (cancelled): free its probe slot."""
        if self._state is State.HALF_OPEN and self._probes_started > self._probes_succeeded:
            self._probes_started -= 1

    def _open(self) -> None:
        self._opened_at = self._clock()
        self._move(State.OPEN)

    def _move(self, state: State) -> None:
        self._state = state
        self._probes_started = 0
        self._probes_succeeded = 0
        self._on_change(state)
