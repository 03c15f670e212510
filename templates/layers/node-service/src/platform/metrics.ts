/**
 * The metrics served at /metrics (Prometheus exposition), one registry per app.
 *
 * The names are python-service's, so the runbook and dashboards read both golden paths:
 * the resilience counters and the stable HTTP semantic-convention histograms, in seconds.
 * Every label is bounded: `host` is a downstream the code calls (host:port, at most
 * OUTBOUND_MAX_HOSTS of them, idle ones forgotten with their series), never an instance
 * address; `route` is the name a caller gives a breaker (at most 32 per host);
 * `http_route` is the route template, never the raw path.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

// OpenTelemetry's advised buckets for http.*.request.duration, in seconds.
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

export class Metrics {
  readonly registry = new Registry();
  readonly retries = new Counter({
    name: "outbound_retries_total",
    help: "Retries sent to a downstream host, by the retry's outcome (success or failure).",
    labelNames: ["host", "outcome"] as const,
    registers: [this.registry],
  });
  readonly retryBudgetExhausted = new Counter({
    name: "outbound_retry_budget_exhausted_total",
    help: "Retries not sent because the retry budget was spent.",
    labelNames: ["host"] as const,
    registers: [this.registry],
  });
  readonly breakerState = new Gauge({
    name: "outbound_circuit_breaker_state",
    help:
      "Circuit breaker state per downstream host (and route, when the caller names one): 0 closed, 1 open, 2 half-open.",
    labelNames: ["host", "route"] as const,
    registers: [this.registry],
  });
  readonly breakerRejected = new Counter({
    name: "outbound_circuit_breaker_rejected_total",
    help: "Calls rejected without a network attempt because the host's breaker was open.",
    labelNames: ["host"] as const,
    registers: [this.registry],
  });
  readonly concurrencyRejected = new Counter({
    name: "outbound_concurrency_rejected_total",
    help: "Calls rejected because the host already had its maximum in flight.",
    labelNames: ["host"] as const,
    registers: [this.registry],
  });
  readonly ejections = new Counter({
    name: "outbound_instance_ejections_total",
    help: "Instances of a downstream host taken out of rotation after consecutive failures.",
    labelNames: ["host"] as const,
    registers: [this.registry],
  });
  readonly shed = new Counter({
    name: "server_shed_requests_total",
    help: "Inbound requests answered 503 by load shedding.",
    registers: [this.registry],
  });
  readonly deadlineExceeded = new Counter({
    name: "deadline_exceeded_total",
    help: "Deadlines found spent: inbound (answered 504 before any work), handler (cut at the deadline) or outbound.",
    labelNames: ["where"] as const,
    registers: [this.registry],
  });
  readonly serverDuration = new Histogram({
    name: "http_server_request_duration_seconds",
    help: "Duration of HTTP server requests.",
    labelNames: ["http_request_method", "http_route", "http_response_status_code"] as const,
    buckets: DURATION_BUCKETS,
    registers: [this.registry],
  });
  readonly clientDuration = new Histogram({
    name: "http_client_request_duration_seconds",
    help: "Duration of HTTP client requests (each attempt).",
    labelNames: ["http_request_method", "server_address", "http_response_status_code"] as const,
    buckets: DURATION_BUCKETS,
    registers: [this.registry],
  });

  constructor(options: { processMetrics?: boolean } = {}) {
    // Series known in advance start at zero, so alerts see them before the first event.
    for (const where of ["inbound", "handler", "outbound"]) this.deadlineExceeded.inc({ where }, 0);
    this.shed.inc(0);
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /** Drop every series of `host`: it is no longer called (bounded memory and /metrics size). */
  forgetHost(host: string, routes: Iterable<string>): void {
    for (const metric of [this.retryBudgetExhausted, this.breakerRejected, this.concurrencyRejected, this.ejections]) {
      metric.remove({ host });
    }
    for (const outcome of ["success", "failure"]) this.retries.remove({ host, outcome });
    for (const route of routes) this.breakerState.remove({ host, route });
  }
}
