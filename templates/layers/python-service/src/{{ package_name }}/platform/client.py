"""The outbound HTTP client: httpx with timeouts, deadlines, retries, budgets and breakers.

One `OutboundClient` per process (the app factory makes it; endpoints get it
with the `Outbound` dependency). Every call:

1. gets a per-attempt timeout of min(`outbound_timeout_seconds`, remaining
   deadline - margin), and fails with DeadlineExceeded before any network work
   when nothing is left;
2. fails fast when the host already has `outbound_max_in_flight_per_host`
   calls in flight, or when its circuit breaker is open;
3. sends the timeout downstream in `x-request-timeout-ms` (and the trace
   context in `traceparent`, through the OpenTelemetry httpx instrumentation);
4. is retried only when the failure is retryable (connection failure, 429,
   502, 503, 504 without `x-paved-no-retry`), the method is idempotent (POST
   only with an `Idempotency-Key`), attempts remain, the host's retry budget
   allows it, and the backoff (full jitter, or `Retry-After` when longer) ends
   before the deadline.

An answer, even an error status, is returned as an httpx.Response (call
`raise_for_status()`); a call that got no answer raises a DownstreamError.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from . import metrics
from .breaker import CircuitBreaker
from .budget import RetryBudget
from .deadline import TIMEOUT_HEADER, current_deadline
from .errors import (
    NO_RETRY_HEADER,
    CircuitOpen,
    ConcurrencyLimited,
    DeadlineExceeded,
    DownstreamError,
    DownstreamUnavailable,
)
from .settings import PlatformSettings

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})
RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})


@dataclass
class _Host:
    """What the client keeps per downstream host (host:port)."""

    budget: RetryBudget
    breaker: CircuitBreaker
    in_flight: int = 0


@dataclass(frozen=True)
class _Failure:
    """An attempt that got no answer."""

    error: DownstreamError
    retryable: bool


class OutboundClient:
    def __init__(
        self,
        settings: PlatformSettings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self._settings = settings
        self._jitter = jitter
        self._hosts: dict[str, _Host] = {}
        self.http = httpx.AsyncClient(
            transport=transport,
            timeout=httpx.Timeout(
                settings.outbound_timeout_seconds, connect=settings.outbound_connect_timeout_seconds
            ),
            # Our own limit fails fast; httpx's pool would queue instead.
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=50),
        )

    async def aclose(self) -> None:
        await self.http.aclose()

    async def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.request("GET", url, **kwargs)

    async def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.request("POST", url, **kwargs)

    async def put(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.request("PUT", url, **kwargs)

    async def delete(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.request("DELETE", url, **kwargs)

    async def request(
        self,
        method: str,
        url: str | httpx.URL,
        *,
        headers: dict[str, str] | httpx.Headers | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """Send one call with the golden-path policies; kwargs go to httpx (json=, params=…)."""
        method = method.upper()
        target = httpx.URL(url)
        sent_headers = httpx.Headers(headers)
        name = target.netloc.decode("ascii")
        host = self._host(name)
        may_retry = method in IDEMPOTENT_METHODS or (method == "POST" and "idempotency-key" in sent_headers)
        host.budget.record_call()
        attempt = 1
        while True:
            timeout, deadline_bound = self._attempt_timeout(name)
            result = await self._attempt(host, name, method, target, sent_headers, timeout, kwargs)
            if isinstance(result, _Failure) and deadline_bound and result.error.status_code == 504:
                metrics.DEADLINE_EXCEEDED.labels("outbound").inc()
                result = _Failure(DeadlineExceeded(name, "deadline reached during the call"), False)
            if attempt > 1:
                outcome = "success" if isinstance(result, httpx.Response) and result.is_success else "failure"
                metrics.RETRIES.labels(name, outcome).inc()
            wait = self._retry_wait(result, attempt) if may_retry else None
            if wait is None:
                return _answer(result)
            if not host.budget.try_spend():
                metrics.RETRY_BUDGET_EXHAUSTED.labels(name).inc()
                return _answer(result)
            if isinstance(result, httpx.Response):
                await result.aclose()
            await asyncio.sleep(wait)
            attempt += 1

    def _host(self, name: str) -> _Host:
        host = self._hosts.get(name)
        if host is None:
            s = self._settings
            gauge = metrics.BREAKER_STATE.labels(name)
            gauge.set(0)
            host = self._hosts[name] = _Host(
                budget=RetryBudget(
                    ratio=s.retry_budget_ratio,
                    min_retries=s.retry_budget_min_retries,
                    window_seconds=s.retry_budget_window_seconds,
                ),
                breaker=CircuitBreaker(
                    failure_ratio=s.breaker_failure_ratio,
                    min_calls=s.breaker_min_calls,
                    window_seconds=s.breaker_window_seconds,
                    open_seconds=s.breaker_open_seconds,
                    probes=s.breaker_half_open_probes,
                    on_change=lambda state: gauge.set(int(state)),
                ),
            )
        return host

    def _attempt_timeout(self, name: str) -> tuple[float, bool]:
        """This attempt's timeout, and whether the deadline (not the setting) set it."""
        limit = self._settings.outbound_timeout_seconds
        deadline = current_deadline()
        if deadline is None:
            return limit, False
        left = deadline.remaining() - self._settings.deadline_margin_ms / 1000
        if left <= 0:
            metrics.DEADLINE_EXCEEDED.labels("outbound").inc()
            raise DeadlineExceeded(name, "no time left before the deadline")
        return (left, True) if left < limit else (limit, False)

    async def _attempt(
        self,
        host: _Host,
        name: str,
        method: str,
        url: httpx.URL,
        headers: httpx.Headers,
        timeout: float,
        kwargs: dict[str, Any],
    ) -> httpx.Response | _Failure:
        if host.in_flight >= self._settings.outbound_max_in_flight_per_host:
            metrics.CONCURRENCY_REJECTED.labels(name).inc()
            raise ConcurrencyLimited(name, "too many calls in flight")
        if self._settings.breaker_enabled and not host.breaker.allow():
            metrics.BREAKER_REJECTED.labels(name).inc()
            raise CircuitOpen(name, "circuit open")
        headers[TIMEOUT_HEADER] = str(max(1, int(timeout * 1000)))
        connect = min(self._settings.outbound_connect_timeout_seconds, timeout)
        host.in_flight += 1
        try:
            # httpx timeouts bound each socket operation; asyncio.timeout bounds the whole call.
            async with asyncio.timeout(timeout):
                response = await self.http.request(
                    method, url, headers=headers, timeout=httpx.Timeout(timeout, connect=connect), **kwargs
                )
        except asyncio.CancelledError:
            host.breaker.cancel()
            raise
        except (TimeoutError, httpx.TimeoutException) as exc:
            host.breaker.record(False)
            connecting = isinstance(exc, httpx.ConnectTimeout)
            what = "connect timeout" if connecting else f"no answer within {timeout:.3f}s"
            return _Failure(DownstreamUnavailable(name, what, timed_out=True), connecting)
        except httpx.ConnectError as exc:
            host.breaker.record(False)
            return _Failure(DownstreamUnavailable(name, f"cannot connect: {exc}"), True)
        except httpx.TransportError as exc:
            host.breaker.record(False)
            return _Failure(DownstreamUnavailable(name, f"{type(exc).__name__}: {exc}"), False)
        finally:
            host.in_flight -= 1
        host.breaker.record(response.status_code < 500 and response.status_code != 429)
        return response

    def _retry_wait(self, result: httpx.Response | _Failure, attempt: int) -> float | None:
        """Seconds to wait before retrying `result`, or None when it must not be retried."""
        s = self._settings
        if attempt >= s.outbound_max_attempts:
            return None
        if isinstance(result, _Failure):
            if not result.retryable:
                return None
            retry_after = 0.0
        else:
            if result.status_code not in RETRYABLE_STATUSES or NO_RETRY_HEADER in result.headers:
                return None
            retry_after = _retry_after_seconds(result.headers.get("retry-after"))
        backoff = min(s.outbound_backoff_cap_seconds, s.outbound_backoff_base_seconds * 2 ** (attempt - 1))
        wait = max(self._jitter() * backoff, retry_after)
        deadline = current_deadline()
        # Never sleep past the deadline: a retry that cannot finish in time is only load.
        room = (
            deadline.remaining() - s.deadline_margin_ms / 1000
            if deadline is not None
            else max(s.outbound_backoff_cap_seconds, s.outbound_timeout_seconds)
        )
        return wait if wait < room else None


def _answer(result: httpx.Response | _Failure) -> httpx.Response:
    if isinstance(result, _Failure):
        raise result.error
    return result


def _retry_after_seconds(value: str | None) -> float:
    """Retry-After as seconds: delta-seconds or an HTTP date (RFC 9110, 10.2.3); 0 if absent."""
    if not value:
        return 0.0
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return 0.0
    return max(0.0, when.timestamp() - time.time())
