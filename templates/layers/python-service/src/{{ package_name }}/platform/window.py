"""A sliding window of event counts, the shared core of the retry budget and the breaker.

The window is cut into buckets on the monotonic clock; a bucket older than the
window is reset before reuse, so counting and totalling are O(buckets) with no
allocation on the request path.
"""

from __future__ import annotations

import time
from collections.abc import Callable

Clock = Callable[[], float]


class RollingCounts:
    """Counts of `kinds` different events over the last `seconds`."""

    def __init__(self, seconds: float, kinds: int, buckets: int = 10, clock: Clock = time.monotonic) -> None:
        self._width = seconds / buckets
        self._size = buckets
        self._kinds = kinds
        self._clock = clock
        self._stamps = [-1] * buckets
        self._counts = [[0] * kinds for _ in range(buckets)]

    def add(self, kind: int) -> None:
        index = int(self._clock() / self._width)
        slot = index % self._size
        if self._stamps[slot] != index:
            self._stamps[slot] = index
            self._counts[slot] = [0] * self._kinds
        self._counts[slot][kind] += 1

    def totals(self) -> list[int]:
        oldest = int(self._clock() / self._width) - self._size + 1
        sums = [0] * self._kinds
        for stamp, counts in zip(self._stamps, self._counts, strict=True):
            if stamp >= oldest:
                for kind, count in enumerate(counts):
                    sums[kind] += count
        return sums

    def clear(self) -> None:
        self._stamps = [-1] * self._size
