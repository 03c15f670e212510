"""Server-side protection, as plain ASGI middleware (cheap: no request objects built).

LoadShedding admits at most `max_in_flight` requests at once and answers the
rest 503 with Retry-After immediately: a fast "no" that a client can retry
elsewhere costs less than a slow "yes" that times out, and it keeps latency of
admitted requests flat under overload. It is in the app rather than uvicorn's
`--limit-concurrency`, which counts connections, not requests, and also
rejects the probes, so an overloaded pod would be killed by its liveness probe.

Deadlines sets the request's deadline from its headers (or the default),
answers 504 before any work when the caller's deadline has already passed,
and bounds the handler by it: work still running at the deadline is cancelled
and answered 504, since the caller has stopped waiting. Once the answer has
started the deadline no longer applies (it cannot be changed into a 504).
Code in a thread (a plain `def` endpoint) cannot be cancelled: its answer is
still a 504 at the deadline, but the thread runs to its end.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import metrics
from .deadline import Deadline, deadline_scope, timeout_from_headers
from .errors import retry_after

# Probes and scrapes are never shed nor given deadlines: failing them under
# load would restart or unroute a pod that is merely busy.
UNPROTECTED_PATHS = frozenset({"/livez", "/readyz", "/metrics", "/version"})


async def _send_json(send: Send, status: int, detail: str, headers: list[tuple[bytes, bytes]]) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class LoadShedding:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_in_flight: int,
        retry_after_seconds: int,
        draw: Callable[[], float] = random.random,
    ) -> None:
        self.app = app
        self.max_in_flight = max_in_flight
        self.in_flight = 0
        self._retry_after_seconds = retry_after_seconds
        self._draw = draw

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in UNPROTECTED_PATHS:
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.max_in_flight:
            metrics.SHED.inc()
            wait = retry_after(self._retry_after_seconds, self._draw).encode()
            await _send_json(send, 503, "overloaded, retry later", [(b"retry-after", wait)])
            return
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1


class Deadlines:
    def __init__(self, app: ASGIApp, *, default_timeout_seconds: float, read_headers: bool = True) -> None:
        self.app = app
        self.default_timeout_seconds = default_timeout_seconds
        self.read_headers = read_headers  # off: every request gets the default (tests only)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in UNPROTECTED_PATHS:
            await self.app(scope, receive, send)
            return
        headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}
        timeout = timeout_from_headers(headers) if self.read_headers else None
        deadline = Deadline.after(self.default_timeout_seconds if timeout is None else timeout)
        if deadline.remaining() <= 0:
            metrics.DEADLINE_EXCEEDED.labels("inbound").inc()
            await _send_json(send, 504, "deadline already exceeded", [])
            return
        started = False

        async def send_and_watch(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                cut.reschedule(None)  # the answer is on its way: let it finish
            await send(message)

        with deadline_scope(deadline):
            try:
                async with asyncio.timeout(deadline.remaining()) as cut:
                    await self.app(scope, receive, send_and_watch)
            except TimeoutError:
                if started or not cut.expired():
                    raise  # not our deadline: the app's own timeout
                metrics.DEADLINE_EXCEEDED.labels("handler").inc()
                await _send_json(send, 504, "deadline exceeded", [])
