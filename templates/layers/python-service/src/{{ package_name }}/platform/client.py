"""The outbound HTTP client: httpx with timeouts, deadlines, retries, budgets, breakers and instances.

One `OutboundClient` per process (the app factory makes it; endpoints get it
with the `Outbound` dependency). Every call:

1. fails with DeadlineExceeded before any network work when the inbound
   deadline (minus the margin) has no time left;
2. fails fast when the host already has its maximum of calls in flight, or
   when the breaker guarding it (per host, or per host and `route=`) is open;
3. sends each attempt with a timeout of min(`outbound_timeout_seconds`,
   remaining deadline - margin), which also goes downstream in
   `x-request-timeout-ms` (and the trace context in `traceparent`, through the
   OpenTelemetry httpx instrumentation);
4. sends each attempt to one instance when the host resolves to several (a
   headless Service), a retry to an instance the call has not tried, skipping
   ejected instances (instances.py);
5. is retried only when the answer is retryable (outcome.py), the method is
   idempotent (POST only with an `Idempotency-Key`), attempts remain, the retry
   budget allows it (budget.py), and the wait (full jitter, or `Retry-After`
   when longer) still leaves `outbound_retry_min_remaining_ms` before the
   deadline.

The breaker judges the *call*, after its retries; outlier ejection judges each
attempt's instance. An answer, even an error status, is returned as an
httpx.Response (call `raise_for_status()`); a call that got no answer raises a
DownstreamError.
"""

from __future__ import annotations

import asyncio
import random
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from . import metrics
from .breaker import CircuitBreaker
from .budget import Budget, RetryBudget
from .deadline import TIMEOUT_HEADER, current_deadline
from .errors import (
    CircuitOpen,
    ConcurrencyLimited,
    DeadlineExceeded,
    DownstreamError,
    DownstreamUnavailable,
)
from .instances import Instances, OutlierPolicy, Resolve, is_address, system_resolve
from .outcome import Outcome, instance_failed, retryable, service_outcome
from .settings import PlatformSettings
from .transport import INSTANCE, InstanceTransport
from .window import Clock

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})
# Breakers per route are for a handful of independent endpoints of one host;
# routes past this many share the host's breaker, so a caller passing raw paths
# cannot grow memory or metric series without bound.
MAX_ROUTES_PER_HOST = 32
# Retry-After as delta-seconds: ASCII digits only (str.isdigit() also accepts "²").
_DELTA_SECONDS = re.compile(r"[0-9]{1,10}")


@dataclass
class _Host:
    """What the client keeps per downstream host (host:port)."""

    instances: Instances
    breakers: dict[str, CircuitBreaker] = field(default_factory=dict)
    in_flight: int = 0
    last_used: float = 0.0


@dataclass(frozen=True)
class _Failure:
    """An attempt that got no answer."""

    error: DownstreamError
    retryable: bool
    downstream_fault: bool  # False when the caller's own deadline cut it


class OutboundClient:
    def __init__(
        self,
        settings: PlatformSettings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        resolve: Resolve = system_resolve,
        budget: Budget | None = None,
        jitter: Callable[[], float] = random.random,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Clock = time.monotonic,
    ) -> None:
        self._settings = settings
        self._resolve = resolve
        self._jitter = jitter
        self._sleep = sleep
        self._clock = clock
        self._budget: Budget = budget or RetryBudget(
            ratio=settings.retry_budget_ratio,
            reserve=settings.retry_budget_reserve,
            window_seconds=settings.retry_budget_window_seconds,
            clock=clock,
        )
        self._outliers = OutlierPolicy(
            consecutive_failures=settings.outbound_outlier_consecutive_failures,
            ejection_seconds=settings.outbound_outlier_ejection_seconds,
            max_ejection_seconds=settings.outbound_outlier_max_ejection_seconds,
            max_ejection_percent=settings.outbound_outlier_max_ejection_percent,
        )
        self._hosts: OrderedDict[str, _Host] = OrderedDict()
        # Our own limit fails fast; httpx's pool would queue instead.
        pool = transport or httpx.AsyncHTTPTransport(
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=50)
        )
        self.http = httpx.AsyncClient(
            transport=InstanceTransport(pool),
            timeout=httpx.Timeout(
                settings.outbound_timeout_seconds, connect=settings.outbound_connect_timeout_seconds
            ),
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
        route: str | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """Send one call with the golden-path policies; kwargs go to httpx (json=, params=…).

        `route` names an endpoint group of the host (e.g. "/search") that fails
        independently of the others: it gets a circuit breaker of its own.
        """
        method = method.upper()
        target = httpx.URL(url)
        name = target.netloc.decode("ascii")
        self._attempt_timeout(name)  # no time left: no breaker probe, no budget, no socket
        host = self._host(name)
        if host.in_flight >= self._settings.outbound_host_limit:
            metrics.CONCURRENCY_REJECTED.labels(name).inc()
            raise ConcurrencyLimited(name, "too many calls in flight")
        breaker = self._breaker(host, name, route or "")
        permit = breaker.allow() if self._settings.breaker_enabled else None
        if self._settings.breaker_enabled and permit is None:
            metrics.BREAKER_REJECTED.labels(name).inc()
            raise CircuitOpen(name, "circuit open")
        host.in_flight += 1
        outcome = Outcome.IGNORED  # unless the call ends with a verdict
        try:
            response = await self._attempts(host, name, method, target, httpx.Headers(headers), kwargs)
            outcome = service_outcome(response.status_code, response.headers)
            return response
        except DownstreamUnavailable:
            outcome = Outcome.FAILURE
            raise
        finally:
            host.in_flight -= 1
            host.last_used = self._clock()
            if permit is not None:
                breaker.record(permit, outcome)

    async def _attempts(
        self,
        host: _Host,
        name: str,
        method: str,
        target: httpx.URL,
        headers: httpx.Headers,
        kwargs: dict[str, Any],
    ) -> httpx.Response:
        may_retry = method in IDEMPOTENT_METHODS or (method == "POST" and "idempotency-key" in headers)
        self._budget.record_call(name)
        tried: list[str] = []  # instances this call has sent to
        spent: object | None = None  # the budget token paying for this attempt (a retry)
        previous: httpx.Response | _Failure | None = None
        attempt = 1
        while True:
            try:
                timeout, deadline_bound = self._attempt_timeout(name)
                address = await self._pick(host, target, tried)
                result = await self._attempt(
                    name, address, method, target, headers, timeout, deadline_bound, kwargs
                )
            except BaseException as error:
                if spent is not None:
                    self._budget.refund(name, spent)
                if previous is not None and isinstance(error, DeadlineExceeded):
                    return _answer(previous)  # the wait overran the deadline: the last answer stands
                raise
            self._record(host, name, address, result, spent, retry=attempt > 1)
            if address is not None:
                tried.append(address)
            wait = self._retry_wait(result, attempt) if may_retry else None
            if wait is None:
                return _answer(result)
            spent = self._budget.try_spend(name)
            if spent is None:
                metrics.RETRY_BUDGET_EXHAUSTED.labels(name).inc()
                return _answer(result)
            try:
                if isinstance(result, httpx.Response):
                    await result.aclose()
                await self._sleep(wait)
            except BaseException:
                self._budget.refund(name, spent)
                raise
            previous = result
            attempt += 1

    def _record(
        self,
        host: _Host,
        name: str,
        address: str | None,
        result: httpx.Response | _Failure,
        spent: object | None,
        retry: bool,
    ) -> None:
        """Tell the budget, the instance's outlier state and the metrics how an attempt went."""
        if isinstance(result, httpx.Response):
            ok = service_outcome(result.status_code, result.headers) is Outcome.SUCCESS
            instance_fault = instance_failed(result.status_code, result.headers)
        else:
            ok, instance_fault = False, result.downstream_fault
        self._budget.record_answer(name, ok, spent)
        if address is not None and host.instances.record(address, failed=instance_fault):
            metrics.EJECTIONS.labels(name).inc()
        if retry:
            metrics.RETRIES.labels(name, "success" if ok else "failure").inc()

    def _host(self, name: str) -> _Host:
        now = self._clock()
        host = self._hosts.get(name)
        if host is None:
            host = self._hosts[name] = _Host(
                Instances(self._outliers, self._settings.outbound_resolve_ttl_seconds, clock=self._clock)
            )
        self._hosts.move_to_end(name)
        host.last_used = now
        self._forget_idle_hosts(now)
        return host

    def _forget_idle_hosts(self, now: float) -> None:
        """Bound per-host state: past `outbound_max_hosts`, or idle too long, a host is forgotten."""
        s = self._settings
        while self._hosts:
            name, oldest = next(iter(self._hosts.items()))
            idle = oldest.in_flight == 0 and now - oldest.last_used > s.outbound_host_idle_seconds
            if len(self._hosts) <= s.outbound_max_hosts and not idle:
                return
            del self._hosts[name]
            self._budget.forget(name)
            metrics.forget_host(name, oldest.breakers)

    def _breaker(self, host: _Host, name: str, route: str) -> CircuitBreaker:
        breaker = host.breakers.get(route)
        if breaker is None:
            if route and len(host.breakers) >= MAX_ROUTES_PER_HOST:
                return self._breaker(host, name, "")
            s = self._settings
            gauge = metrics.BREAKER_STATE.labels(name, route)
            gauge.set(0)
            breaker = host.breakers[route] = CircuitBreaker(
                failure_ratio=s.breaker_failure_ratio,
                min_calls=s.breaker_min_calls,
                window_seconds=s.breaker_window_seconds,
                open_seconds=s.breaker_open_seconds,
                probes=s.breaker_half_open_probes,
                clock=self._clock,
                on_change=lambda state: gauge.set(int(state)),
            )
        return breaker

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

    async def _pick(self, host: _Host, target: httpx.URL, tried: list[str]) -> str | None:
        """The instance for this attempt, or None to send it to the host name as it resolves."""
        if not self._settings.outbound_resolve_instances or is_address(target.host):
            return None
        port = target.port or (443 if target.scheme == "https" else 80)
        await host.instances.refresh(self._resolve, target.host, port)
        return host.instances.pick(tried)

    async def _attempt(
        self,
        name: str,
        address: str | None,
        method: str,
        url: httpx.URL,
        headers: httpx.Headers,
        timeout: float,
        deadline_bound: bool,
        kwargs: dict[str, Any],
    ) -> httpx.Response | _Failure:
        headers[TIMEOUT_HEADER] = str(max(1, int(timeout * 1000)))
        connect = min(self._settings.outbound_connect_timeout_seconds, timeout)
        options = dict(kwargs)
        if address is not None:
            options["extensions"] = {**kwargs.get("extensions", {}), INSTANCE: address}
        try:
            # httpx timeouts bound each socket operation; asyncio.timeout bounds the whole call.
            async with asyncio.timeout(timeout):
                return await self.http.request(
                    method, url, headers=headers, timeout=httpx.Timeout(timeout, connect=connect), **options
                )
        except (TimeoutError, httpx.TimeoutException) as exc:
            connecting = isinstance(exc, httpx.ConnectTimeout)
            if deadline_bound and (not connecting or connect >= timeout):
                # The caller's deadline cut it: not the downstream's failure, and no time to retry.
                metrics.DEADLINE_EXCEEDED.labels("outbound").inc()
                return _Failure(DeadlineExceeded(name, "deadline reached during the call"), False, False)
            what = "connect timeout" if connecting else f"no answer within {timeout:.3f}s"
            return _Failure(DownstreamUnavailable(name, what, timed_out=True), connecting, True)
        except httpx.ConnectError as exc:
            return _Failure(DownstreamUnavailable(name, f"cannot connect: {exc}"), True, True)
        except httpx.UnsupportedProtocol:
            raise  # the caller's URL, not the downstream
        except (httpx.TransportError, httpx.DecodingError) as exc:
            # The request may have been processed: not retried (read timeouts neither).
            return _Failure(DownstreamUnavailable(name, f"{type(exc).__name__}: {exc}"), False, True)

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
            if not retryable(result.status_code, result.headers):
                return None
            retry_after = retry_after_seconds(result.headers.get("retry-after"))
        backoff = min(s.outbound_backoff_cap_seconds, s.outbound_backoff_base_seconds * 2 ** (attempt - 1))
        wait = max(self._jitter() * backoff, retry_after)
        deadline = current_deadline()
        room = (
            deadline.remaining() - s.deadline_margin_ms / 1000
            if deadline is not None
            else max(s.outbound_backoff_cap_seconds, s.outbound_timeout_seconds)
        )
        # Never sleep past the deadline, and never send a retry with too little time
        # left to be answered: such a retry is only load.
        return wait if wait + s.outbound_retry_min_remaining_ms / 1000 <= room else None


def _answer(result: httpx.Response | _Failure) -> httpx.Response:
    if isinstance(result, _Failure):
        raise result.error
    return result


def retry_after_seconds(value: str | None) -> float:
    """Retry-After as seconds: delta-seconds or an HTTP date (RFC 9110, 10.2.3); 0 if absent or invalid."""
    if not value:
        return 0.0
    value = value.strip()
    if _DELTA_SECONDS.fullmatch(value):
        return float(value)
    try:
        when = parsedate_to_datetime(value)
        return max(0.0, when.timestamp() - time.time())
    except (TypeError, ValueError, OverflowError, IndexError):
        return 0.0
