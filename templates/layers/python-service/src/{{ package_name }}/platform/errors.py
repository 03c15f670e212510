"""Why an outbound call failed, and the answer each failure gives the inbound caller.

    DownstreamError                 a call to another service did not give an answer
    ├── DeadlineExceeded            the inbound deadline left no time (504)
    ├── CircuitOpen                 the host's breaker is open; no attempt made (503, Retry-After)
    ├── ConcurrencyLimited          the host already has its maximum in flight (503, Retry-After)
    └── DownstreamUnavailable       connection failed or timed out, retries spent (502/504)

Every answer caused by a downstream failure carries `x-paved-no-retry: 1`:
retries already happened at the hop next to the failure, so callers further up
must not multiply them (Google SRE book, chapter 22: retry at one layer only).
The outbound client honours the header. httpx.HTTPStatusError, raised by
`response.raise_for_status()` on a downstream's error answer, is mapped the
same way so the example pattern needs no try/except.

Every 503 the platform gives (load shedding, an open breaker, the per-host
limit) carries `Retry-After`, jittered so that the clients it turns away do not
all come back in the same second: uniform over base … twice base, in whole
seconds as RFC 9110 requires, with base = `shed_retry_after_seconds`.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import httpx
import structlog
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from .outcome import NO_RETRY_HEADER

log = structlog.get_logger(__name__)


class DownstreamError(Exception):
    status_code = 502

    def __init__(self, host: str, reason: str) -> None:
        super().__init__(f"{host}: {reason}")
        self.host = host


class DeadlineExceeded(DownstreamError):
    status_code = 504


class CircuitOpen(DownstreamError):
    status_code = 503


class ConcurrencyLimited(DownstreamError):
    status_code = 503


class DownstreamUnavailable(DownstreamError):
    def __init__(self, host: str, reason: str, timed_out: bool = False) -> None:
        super().__init__(host, reason)
        if timed_out:
            self.status_code = 504


def _downstream_failed(request: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc, DownstreamError):
        status, detail = exc.status_code, str(exc)
    else:
        assert isinstance(exc, httpx.HTTPStatusError)
        status = 502
        detail = f"{exc.request.url.netloc.decode()}: answered {exc.response.status_code}"
    # The runbook's first symptom of a failing dependency: "circuit open", "answered 503"...
    log.warning(f"downstream call failed: {detail}", status=status)
    headers = {NO_RETRY_HEADER: "1"}
    if status == 503:
        headers["retry-after"] = retry_after(request.app.state.platform.settings.shed_retry_after_seconds)
    return JSONResponse({"detail": detail}, status_code=status, headers=headers)


def retry_after(base_seconds: int, draw: Callable[[], float] = random.random) -> str:
    """A jittered Retry-After value: uniform over base … twice base, in whole seconds."""
    return str(base_seconds + int(draw() * (base_seconds + 1)))


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DownstreamError, _downstream_failed)
    app.add_exception_handler(httpx.HTTPStatusError, _downstream_failed)
