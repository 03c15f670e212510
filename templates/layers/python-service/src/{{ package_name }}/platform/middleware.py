"""Server-side protection, as plain ASGI middleware (cheap: no request objects built).

LoadShedding admits at most `max_in_flight` requests at once and answers the
rest 503 with Retry-After immediately: a fast "no" that a client can retry
elsewhere costs less than a slow "yes" that times out, and it keeps latency of
admitted requests flat under overload. It is in the app rather than uvicorn's
`--limit-concurrency`, which counts connections, not requests, and also
rejects the probes, so an overloaded pod would be killed by its liveness probe.

Deadlines sets the request's deadline from its headers (or the default) and
answers 504 before any work when the caller's deadline has already passed.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Receive, Scope, Send

from . import metrics
from .deadline import Deadline, deadline_scope, timeout_from_headers

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
    def __init__(self, app: ASGIApp, *, max_in_flight: int, retry_after_seconds: int) -> None:
        self.app = app
        self.max_in_flight = max_in_flight
        self.in_flight = 0
        self._retry_after = str(retry_after_seconds).encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in UNPROTECTED_PATHS:
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.max_in_flight:
            metrics.SHED.inc()
            await _send_json(send, 503, "overloaded, retry later", [(b"retry-after", self._retry_after)])
            return
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1


class Deadlines:
    def __init__(self, app: ASGIApp, *, default_timeout_seconds: float) -> None:
        self.app = app
        self.default_timeout_seconds = default_timeout_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in UNPROTECTED_PATHS:
            await self.app(scope, receive, send)
            return
        headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}
        timeout = timeout_from_headers(headers)
        deadline = Deadline.after(self.default_timeout_seconds if timeout is None else timeout)
        if deadline.remaining() <= 0:
            metrics.DEADLINE_EXCEEDED.labels("inbound").inc()
            await _send_json(send, 504, "deadline already exceeded", [])
            return
        with deadline_scope(deadline):
            await self.app(scope, receive, send)
