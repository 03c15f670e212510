"""Request deadlines: read from inbound headers, kept on the monotonic clock, sent downstream.

A caller that gave up will never read our answer, so work done after its
deadline is wasted and adds load exactly when the system is slowest. We accept
the deadline headers of gRPC (`grpc-timeout`), Envoy
(`x-envoy-expected-rq-timeout-ms`) and our own relative header
(`x-request-timeout-ms`), keep the earliest as an absolute point on the
monotonic clock (wall clocks jump), answer 504 without doing anything when it
has already passed, and give each outbound call only what is left.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

# Our header, relative milliseconds: what the outbound client sends downstream.
TIMEOUT_HEADER = "x-request-timeout-ms"
ENVOY_HEADER = "x-envoy-expected-rq-timeout-ms"
GRPC_HEADER = "grpc-timeout"

# gRPC's TimeoutValue: at most 8 digits, then a unit (PROTOCOL-HTTP2.md). ASCII digits
# only: `\d` and str.isdigit() also accept other scripts' digits and "²", which int() rejects.
_GRPC_TIMEOUT = re.compile(r"([0-9]{1,8})([HMSmun])")
# Relative milliseconds; a negative value is a deadline already passed.
_MILLISECONDS = re.compile(r"-?[0-9]{1,15}")
_GRPC_UNIT_SECONDS = {"H": 3600.0, "M": 60.0, "S": 1.0, "m": 1e-3, "u": 1e-6, "n": 1e-9}


@dataclass(frozen=True)
class Deadline:
    expires_at: float  # on time.monotonic()

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        return cls(time.monotonic() + seconds)

    def remaining(self) -> float:
        """Seconds left; zero or less when the deadline has passed."""
        return self.expires_at - time.monotonic()


_current: ContextVar[Deadline | None] = ContextVar("deadline", default=None)


def current_deadline() -> Deadline | None:
    """The deadline of the request being served, if any."""
    return _current.get()


@contextmanager
def deadline_scope(deadline: Deadline | None) -> Iterator[None]:
    """Make `deadline` the current one for the code inside (and the tasks it starts)."""
    token = _current.set(deadline)
    try:
        yield
    finally:
        _current.reset(token)


def timeout_from_headers(headers: Mapping[str, str]) -> float | None:
    """The shortest timeout, in seconds, that the headers carry; None when none is valid.

    `headers` has lower-case names. Malformed values are ignored rather than
    rejected: a bad header from one client must not fail its requests. A
    negative value counts as zero: the deadline has passed.
    """
    found: list[float] = []
    for name in (TIMEOUT_HEADER, ENVOY_HEADER):
        value = headers.get(name, "").strip()
        if _MILLISECONDS.fullmatch(value):
            found.append(max(0, int(value)) / 1000)
    grpc = headers.get(GRPC_HEADER)
    if grpc is not None and (match := _GRPC_TIMEOUT.fullmatch(grpc.strip())):
        found.append(int(match.group(1)) * _GRPC_UNIT_SECONDS[match.group(2)])
    return min(found) if found else None
