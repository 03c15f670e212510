"""The access log: one structured line per request, with nothing secret in it.

Fields (OpenTelemetry's semantic-convention names): `http.request.method`,
`url.path`, `url.query`, `http.route`, `http.response.status_code`,
`duration_ms`, `client.address`, `user_agent.original`, and, from the log
configuration, the request's `trace_id` and `span_id`. The query string and the
headers go through the one redaction of logs.py: `?access_token=…` and
`Authorization` never reach the log. Probes and scrapes (/livez, /readyz,
/metrics) are logged at debug level, so they do not drown the requests.

Replaces uvicorn's access log, a preformatted line that logs the raw query
string and knows neither the route nor the trace.
"""

from __future__ import annotations

import time

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .logs import redact, redact_query

QUIET_PATHS = frozenset({"/livez", "/readyz", "/metrics"})
HEADERS = {"user-agent": "user_agent.original", "x-request-id": "http.request.header.x-request-id"}

log = structlog.get_logger(__name__)


class AccessLog:
    def __init__(self, app: ASGIApp, *, enabled: bool = True) -> None:
        self.app = app
        self.enabled = enabled

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.enabled or scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500  # unless a response starts: an exception escaped

        async def send_and_watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        started = time.perf_counter()
        try:
            await self.app(scope, receive, send_and_watch)
        finally:
            self._log(scope, status, time.perf_counter() - started)

    def _log(self, scope: Scope, status: int, seconds: float) -> None:
        path = scope["path"]
        method = scope["method"]
        fields: dict[str, object] = {
            "http.request.method": method,
            "url.path": path,
            "http.route": getattr(scope.get("route"), "path", ""),
            "http.response.status_code": status,
            "duration_ms": round(seconds * 1000, 3),
        }
        query = scope.get("query_string", b"").decode("latin-1")
        if query:
            fields["url.query"] = redact_query(query)
        client = scope.get("client")
        if client:
            fields["client.address"] = client[0]
        for raw_name, raw_value in scope["headers"]:
            name = raw_name.decode("latin-1").lower()
            if name in HEADERS:
                fields[HEADERS[name]] = redact(name, raw_value.decode("latin-1"))
        level = log.debug if path in QUIET_PATHS else log.info
        level(f"{method} {path} {status}", **fields)
