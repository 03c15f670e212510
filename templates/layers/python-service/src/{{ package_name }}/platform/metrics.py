"""The resilience metrics, in the process-wide Prometheus registry served at /metrics.

HTTP server and client metrics come from OpenTelemetry (see telemetry.py);
these count what the platform code decides. Their names are the ones the
runbook (docs/runbook.md) and dashboards use: rename them there too.

Every label is bounded: `host` is a downstream the code calls (host:port, at
most `outbound_max_hosts` of them, idle ones forgotten with their series),
never an instance address; `route` is the name a caller gives a breaker.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import suppress

from prometheus_client import Counter, Gauge

RETRIES = Counter(
    "outbound_retries",
    "Retries sent to a downstream host, by the retry's outcome (success or failure).",
    ["host", "outcome"],
)
RETRY_BUDGET_EXHAUSTED = Counter(
    "outbound_retry_budget_exhausted",
    "Retries not sent because the retry budget was spent.",
    ["host"],
)
BREAKER_STATE = Gauge(
    "outbound_circuit_breaker_state",
    "Circuit breaker state per downstream host (and route, when the caller names one): "
    "0 closed, 1 open, 2 half-open.",
    ["host", "route"],
)
BREAKER_REJECTED = Counter(
    "outbound_circuit_breaker_rejected",
    "Calls rejected without a network attempt because the host's breaker was open.",
    ["host"],
)
CONCURRENCY_REJECTED = Counter(
    "outbound_concurrency_rejected",
    "Calls rejected because the host already had its maximum in flight.",
    ["host"],
)
EJECTIONS = Counter(
    "outbound_instance_ejections",
    "Instances of a downstream host taken out of rotation after consecutive failures.",
    ["host"],
)
SHED = Counter(
    "server_shed_requests",
    "Inbound requests answered 503 by load shedding.",
)
DEADLINE_EXCEEDED = Counter(
    "deadline_exceeded",
    "Deadlines found spent: inbound (answered 504 before any work), handler (work cut "
    "at the deadline, answered 504) or outbound (a call not started or cut short).",
    ["where"],
)

# Expose the label sets known in advance at zero, so dashboards and alerts see
# a series before the first event (Prometheus instrumentation practice).
for _where in ("inbound", "handler", "outbound"):
    DEADLINE_EXCEEDED.labels(_where)

_PER_HOST = (RETRY_BUDGET_EXHAUSTED, BREAKER_REJECTED, CONCURRENCY_REJECTED, EJECTIONS)


def forget_host(host: str, routes: Iterable[str]) -> None:
    """Drop every series of `host`: it is no longer called (bounded memory and /metrics size)."""
    for metric in _PER_HOST:
        _remove(metric, host)
    for outcome in ("success", "failure"):
        _remove(RETRIES, host, outcome)
    for route in routes:
        _remove(BREAKER_STATE, host, route)


def _remove(metric: Counter | Gauge, *labels: str) -> None:
    with suppress(KeyError):  # never incremented
        metric.remove(*labels)
