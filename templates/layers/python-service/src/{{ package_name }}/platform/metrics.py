"""The resilience metrics, in the process-wide Prometheus registry served at /metrics.

HTTP server and client metrics come from OpenTelemetry (see telemetry.py);
these count what the platform code decides. Their names are the ones the
runbook (docs/runbook.md) and dashboards use: rename them there too.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge

RETRIES = Counter(
    "outbound_retries",
    "Retries sent to a downstream host, by the retry's outcome (success or failure).",
    ["host", "outcome"],
)
RETRY_BUDGET_EXHAUSTED = Counter(
    "outbound_retry_budget_exhausted",
    "Retries not sent because the host's retry budget was spent.",
    ["host"],
)
BREAKER_STATE = Gauge(
    "outbound_circuit_breaker_state",
    "Circuit breaker state per downstream host: 0 closed, 1 open, 2 half-open.",
    ["host"],
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
SHED = Counter(
    "server_shed_requests",
    "Inbound requests answered 503 by load shedding.",
)
DEADLINE_EXCEEDED = Counter(
    "deadline_exceeded",
    "Deadlines found spent: inbound (answered 504 before any work) or outbound "
    "(a call not started or cut short).",
    ["where"],
)

# Expose the label sets known in advance at zero, so dashboards and alerts see
# a series before the first event (Prometheus instrumentation practice).
for _where in ("inbound", "outbound"):
    DEADLINE_EXCEEDED.labels(_where)
