"""A failure-rate circuit breaker for one downstream service (host, or host and route).

Closed: calls go through and their outcomes are counted over a sliding window;
when at least `min_calls` were made and `failure_ratio` of them failed, the
breaker opens. Open: every call is rejected at once (no socket, no wait) for
`open_seconds`. Half-open: `probes` calls are let through; when all succeed the
breaker closes with a fresh window, the first failure opens it again.

A rate over a window, rather than N consecutive failures, keeps one flaky call
in a busy stream from tripping the breaker and still trips fast under a real
outage (resilience4j's time-based sliding window; Hystrix's error percentage).

The breaker counts *calls*, each after its retries: a call whose first attempt
failed on one instance and whose retry succeeded on another found the service
up. Guarding single instances is outlier ejection's job (instances.py).

Never stuck half-open: every permit `allow()` hands out is settled exactly
once by `record()` (the client does it in a `finally`), an outcome that is
neither success nor failure frees its probe slot, and a half-open breaker whose
probes have not all reported within `open_seconds` starts a fresh round of
probes. Permits carry the generation they were issued in, so a call that
started before a state change cannot decide the new state.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable
from dataclasses import dataclass

from .outcome import Outcome
from .window import Clock, RollingCounts

_SUCCESSES, _FAILURES = 0, 1


class State(enum.IntEnum):
    """Values exported by the `outbound_circuit_breaker_state` gauge."""

    CLOSED = 0
    OPEN = 1
    HALF_OPEN = 2


@dataclass(frozen=True)
class Permit:
    """Leave to make one call; give it back to `record()` with the call's outcome."""

    generation: int


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
        self._generation = 0
        self._changed_at = 0.0
        self._probes_started = 0
        self._probes_succeeded = 0

    @property
    def state(self) -> State:
        return self._state

    def allow(self) -> Permit | None:
        """A permit for one call now, or None (open; or half-open with every probe slot taken)."""
        now = self._clock()
        if self._state is State.OPEN:
            if now - self._changed_at < self._open_seconds:
                return None
            self._move(State.HALF_OPEN)
        if self._state is State.HALF_OPEN:
            if self._probes_started >= self._probes:
                if now - self._changed_at < self._open_seconds:
                    return None
                self._move(State.HALF_OPEN)  # the probes never reported: a fresh round
            self._probes_started += 1
        return Permit(self._generation)

    def record(self, permit: Permit, outcome: Outcome) -> None:
        """Settle a permit: the outcome of the call it allowed."""
        if permit.generation != self._generation:
            return  # the state changed while the call ran: its verdict was made without it
        if self._state is State.HALF_OPEN:
            if outcome is Outcome.FAILURE:
                self._move(State.OPEN)
            elif outcome is Outcome.IGNORED:
                self._probes_started -= 1
            else:
                self._probes_succeeded += 1
                if self._probes_succeeded >= self._probes:
                    self._counts.clear()
                    self._move(State.CLOSED)
            return
        if outcome is Outcome.IGNORED:
            return
        self._counts.add(_SUCCESSES if outcome is Outcome.SUCCESS else _FAILURES)
        if outcome is Outcome.FAILURE:
            successes, failures = self._counts.totals()
            calls = successes + failures
            if calls >= self._min_calls and failures >= self._failure_ratio * calls:
                self._move(State.OPEN)

    def _move(self, state: State) -> None:
        self._state = state
        self._generation += 1
        self._changed_at = self._clock()
        self._probes_started = 0
        self._probes_succeeded = 0
        self._on_change(state)
