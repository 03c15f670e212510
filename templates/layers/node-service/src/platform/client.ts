/**
 * The outbound HTTP client: undici with timeouts, deadlines, retries, budgets, breakers and
 * instances.
 *
 * One OutboundClient per process (createPlatform makes it). Every call:
 * 1. fails with DeadlineExceeded before any network work when the inbound deadline (minus
 *    the margin) has no time left;
 * 2. fails fast when the host already has its maximum of calls in flight, or when the
 *    breaker guarding it (per host, or per host and `route`) is open;
 * 3. sends each attempt with a timeout of min(OUTBOUND_TIMEOUT_SECONDS, remaining deadline
 *    - margin), which also goes downstream in `x-request-timeout-ms`, with the trace
 *    context in `traceparent`;
 * 4. sends each attempt to one instance when the host resolves to several (a headless
 *    Service), a retry to an instance the call has not tried, skipping ejected instances
 *    (instances.ts); the Host header (and so TLS's server name) stays the host's name;
 * 5. is retried only when the answer is retryable (outcome.ts), the method is idempotent
 *    (POST only with an `Idempotency-Key`), attempts remain, the retry budget allows it
 *    (budget.ts), and the wait (full jitter, or Retry-After when longer) still leaves
 *    OUTBOUND_RETRY_MIN_REMAINING_MS before the deadline.
 * The breaker judges the call after its retries; outlier ejection judges each attempt's
 * instance. A connection whose answer failed is closed instead of reused (transport.ts), so
 * behind a single address (a ClusterIP's virtual IP) the retry travels over another
 * connection. An answer, even an error status, is returned; a call that got no answer throws
 * DownstreamError. Per-host state is bounded: OUTBOUND_MAX_HOSTS hosts at most, and a host
 * not called for OUTBOUND_HOST_IDLE_SECONDS is forgotten with its metric series.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { context, propagation, SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { CircuitBreaker, type Outcome, type Permit, State } from "./breaker.js";
import { type Budget, RetryBudget, type Spend } from "./budget.js";
import { currentScope, TIMEOUT_HEADER } from "./deadline.js";
import { CircuitOpen, ConcurrencyLimited, DeadlineExceeded, DownstreamError } from "./errors.js";
import { Instances, isAddress, type Resolve, systemResolve } from "./instances.js";
import type { Metrics } from "./metrics.js";
import { type Headers, instanceFailed, retryAfterMs, retryable, serviceOutcome } from "./outcome.js";
import type { PlatformSettings } from "./settings.js";
import { tracer } from "./telemetry.js";
import { Connections } from "./transport.js";
import { type Clock, monotonic } from "./window.js";

export const IDEMPOTENT_METHODS = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"]);
// Breakers per route are for a handful of independent endpoints of one host; routes past
// this many share the host's breaker, so a caller passing raw paths cannot grow memory or
// metric series without bound.
export const MAX_ROUTES_PER_HOST = 32;
// Errors raised before the request reached the server: safe to retry for idempotent calls.
const CONNECT_ERRORS = new Set([
  "ECONNREFUSED",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_SOCKET",
]);

export interface CallOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** An endpoint group of the host (e.g. "/search") that fails independently: its own breaker. */
  route?: string;
}

/** What tests and benchmarks replace: the jitter, the clock, the resolver, the budget, the connections. */
export interface ClientOptions {
  random?: () => number;
  clock?: Clock;
  resolve?: Resolve;
  budget?: Budget;
  /** Tests dial each instance address to a server on 127.0.0.1 (transport.ts). */
  connections?: Connections;
}

export interface OutboundResponse {
  status: number;
  headers: Headers;
  body: string;
}

interface Failure {
  error: DownstreamError | DeadlineExceeded;
  retryable: boolean;
  outcome: Outcome;
}

interface Host {
  instances: Instances;
  /** The origins its attempts went to (its name's, its instances'): their connections. */
  origins: Set<string>;
  breakers: Map<string, CircuitBreaker>;
  inFlight: number;
  lastUsed: number;
}

type Result = OutboundResponse | Failure;

function isFailure(result: Result): result is Failure {
  return "error" in result;
}

export class OutboundClient {
  private readonly connections: Connections;
  private readonly budget: Budget;
  private readonly hosts = new Map<string, Host>();

  private readonly random: () => number;
  private readonly clock: Clock;
  private readonly resolve: Resolve;

  constructor(
    private readonly settings: PlatformSettings,
    private readonly metrics: Metrics,
    options: ClientOptions = {},
  ) {
    this.random = options.random ?? Math.random;
    this.clock = options.clock ?? monotonic;
    this.resolve = options.resolve ?? systemResolve;
    // Our own per-host limit fails fast; the connections never queue (transport.ts).
    this.connections = options.connections ?? new Connections(settings.outboundConnectTimeoutSeconds * 1000);
    this.budget =
      options.budget ??
      new RetryBudget({
        ratio: settings.retryBudgetRatio,
        reserve: settings.retryBudgetReserve,
        windowMs: settings.retryBudgetWindowSeconds * 1000,
        clock: this.clock,
      });
  }

  get(url: string, options: Omit<CallOptions, "method"> = {}): Promise<OutboundResponse> {
    return this.request(url, { ...options, method: "GET" });
  }

  post(url: string, options: Omit<CallOptions, "method"> = {}): Promise<OutboundResponse> {
    return this.request(url, { ...options, method: "POST" });
  }

  async close(): Promise<void> {
    await this.connections.close();
  }

  async request(url: string, options: CallOptions = {}): Promise<OutboundResponse> {
    const target = new URL(url);
    const name = target.host;
    const method = (options.method ?? "GET").toUpperCase();
    if (this.roomMs() <= 0) {
      this.metrics.deadlineExceeded.inc({ where: "outbound" });
      throw new DeadlineExceeded(`no time left to call ${name}`);
    }
    const host = this.host(name);
    if (host.inFlight >= this.settings.outboundMaxInFlightPerHost) {
      this.metrics.concurrencyRejected.inc({ host: name });
      throw new ConcurrencyLimited(`${name} has ${host.inFlight} calls in flight`);
    }
    const breaker = this.breaker(host, name, options.route ?? "");
    const permit: Permit | undefined = this.settings.breakerEnabled ? breaker.allow() : { generation: -1 };
    if (permit === undefined) {
      this.metrics.breakerRejected.inc({ host: name });
      throw new CircuitOpen(`circuit open for ${name}`);
    }
    host.inFlight += 1;
    this.budget.recordCall(name);
    let outcome: Outcome = "neutral";
    try {
      const result = await this.attempts(host, name, target, method, options);
      outcome = isFailure(result) ? result.outcome : serviceOutcome(result.status, result.headers);
      if (isFailure(result)) throw result.error;
      return result;
    } finally {
      host.inFlight -= 1;
      host.lastUsed = this.clock();
      if (this.settings.breakerEnabled) breaker.record(permit, outcome);
    }
  }

  private async attempts(
    host: Host,
    name: string,
    target: URL,
    method: string,
    options: CallOptions,
  ): Promise<Result> {
    const headers = Object.fromEntries(Object.entries(options.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    const mayRetry = IDEMPOTENT_METHODS.has(method) || (method === "POST" && "idempotency-key" in headers);
    const tried: string[] = []; // instances this call has sent to
    let spent: Spend | undefined;
    for (let attempt = 1; ; attempt += 1) {
      let room = this.roomMs();
      const address = room > 0 ? await this.pick(host, target, tried) : undefined;
      room = this.roomMs(); // a lookup takes time too
      if (room <= 0) {
        if (spent !== undefined) this.budget.refund(name, spent);
        this.metrics.deadlineExceeded.inc({ where: "outbound" });
        return { error: new DeadlineExceeded(`no time left to call ${name}`), retryable: false, outcome: "neutral" };
      }
      const full = this.settings.outboundTimeoutSeconds * 1000;
      const result = await this.attempt(host, target, address, method, headers, options.body, Math.min(full, room), room < full);
      const ok = isFailure(result) ? false : serviceOutcome(result.status, result.headers) === "success";
      this.budget.recordAnswer(name, ok, spent);
      if (spent !== undefined) this.metrics.retries.inc({ host: name, outcome: ok ? "success" : "failure" });
      if (address !== undefined) {
        const failed = isFailure(result) ? result.outcome === "failure" : instanceFailed(result.status, result.headers);
        if (host.instances.record(address, failed)) this.metrics.ejections.inc({ host: name });
        tried.push(address);
      }
      spent = undefined;
      const wait = mayRetry ? this.retryWait(result, attempt) : undefined;
      if (wait === undefined) return result;
      spent = this.budget.trySpend(name);
      if (spent === undefined) {
        this.metrics.retryBudgetExhausted.inc({ host: name });
        return result;
      }
      await sleep(wait);
    }
  }

  /** Milliseconds to wait before retrying `result`, or undefined when it must not be retried. */
  private retryWait(result: Result, attempt: number): number | undefined {
    const s = this.settings;
    if (attempt >= s.outboundMaxAttempts) return undefined;
    let retryAfter = 0;
    if (isFailure(result)) {
      if (!result.retryable) return undefined;
    } else {
      if (!retryable(result.status, result.headers)) return undefined;
      retryAfter = retryAfterMs(result.headers["retry-after"]);
    }
    const backoff = Math.min(s.outboundBackoffCapSeconds, s.outboundBackoffBaseSeconds * 2 ** (attempt - 1)) * 1000;
    const wait = Math.max(this.random() * backoff, retryAfter);
    const deadline = currentScope()?.deadline;
    const room =
      deadline !== undefined
        ? deadline.remainingMs() - s.deadlineMarginMs
        : Math.max(s.outboundBackoffCapSeconds, s.outboundTimeoutSeconds) * 1000;
    // Never sleep past the deadline, and never send a retry with too little time left to
    // be answered: such a retry is only load.
    return wait + s.outboundRetryMinRemainingMs <= room ? wait : undefined;
  }

  /** The instance for this attempt, or undefined to send it to the host name as it resolves. */
  private async pick(host: Host, target: URL, tried: string[]): Promise<string | undefined> {
    if (!this.settings.outboundResolveInstances || isAddress(target.hostname)) return undefined;
    const port = target.port !== "" ? Number(target.port) : target.protocol === "https:" ? 443 : 80;
    await host.instances.refresh(this.resolve, target.hostname, port);
    return host.instances.pick(tried);
  }

  private async attempt(
    host: Host,
    target: URL,
    address: string | undefined,
    method: string,
    given: Record<string, string>,
    body: string | undefined,
    timeoutMs: number,
    deadlineBound: boolean,
  ): Promise<Result> {
    const span = tracer().startSpan(method, {
      kind: SpanKind.CLIENT,
      attributes: { "http.request.method": method, "server.address": target.hostname, "url.full": target.href },
    });
    const headers: Record<string, string> = { ...given, [TIMEOUT_HEADER]: String(Math.max(1, Math.floor(timeoutMs))) };
    let origin = target.origin;
    if (address !== undefined) {
      // To this instance, with the host's name in Host (undici takes TLS's server name from it).
      const url = new URL(target.origin);
      url.hostname = address.includes(":") ? `[${address}]` : address;
      origin = url.origin;
      headers.host = target.host;
    }
    propagation.inject(context.active(), headers);
    const started = performance.now();
    const scope = currentScope();
    const signals = [AbortSignal.timeout(Math.max(1, Math.ceil(timeoutMs))), ...(scope === undefined ? [] : [scope.signal])];
    let status = "";
    host.origins.add(origin);
    const connection = this.connections.acquire(origin);
    let reuse = false;
    try {
      const answer = await connection.request({
        path: target.pathname + target.search,
        method: method as "GET",
        headers,
        body: body ?? null,
        signal: AbortSignal.any(signals),
      });
      const text = await answer.body.text();
      // A connection whose answer counted against the instance is closed, not reused.
      reuse = !instanceFailed(answer.statusCode, answer.headers);
      status = String(answer.statusCode);
      span.setAttribute("http.response.status_code", answer.statusCode);
      if (answer.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      return { status: answer.statusCode, headers: answer.headers, body: text };
    } catch (error) {
      const code = (error as { code?: string }).code ?? "";
      const elapsed = performance.now() - started;
      // A timeout the caller's deadline caused says nothing about the downstream.
      const timedOut = elapsed >= timeoutMs - 1 || code === "UND_ERR_HEADERS_TIMEOUT";
      const ownDeadline = (timedOut && deadlineBound) || (scope?.signal.aborted ?? false);
      span.setStatus({ code: SpanStatusCode.ERROR, message: code || String(error) });
      if (ownDeadline) {
        this.metrics.deadlineExceeded.inc({ where: "outbound" });
        return { error: new DeadlineExceeded(`${target.host}: cut at the deadline`), retryable: false, outcome: "neutral" };
      }
      const what = timedOut ? `no answer within ${Math.round(timeoutMs)} ms` : code || String(error);
      return {
        error: new DownstreamError(`${method} ${target.host}: ${what}`, timedOut || code === "UND_ERR_CONNECT_TIMEOUT"),
        retryable: CONNECT_ERRORS.has(code),
        outcome: "failure",
      };
    } finally {
      this.connections.release(origin, connection, reuse);
      this.metrics.clientDuration.observe(
        { http_request_method: method, server_address: target.host, http_response_status_code: status },
        (performance.now() - started) / 1000,
      );
      span.end();
    }
  }

  /** Milliseconds an outbound call may take: the deadline minus the margin, or no bound. */
  private roomMs(): number {
    const deadline = currentScope()?.deadline;
    return deadline === undefined ? Number.POSITIVE_INFINITY : deadline.remainingMs() - this.settings.deadlineMarginMs;
  }

  private host(name: string): Host {
    const now = this.clock();
    let host = this.hosts.get(name);
    if (host !== undefined) {
      this.hosts.delete(name); // most recently used last
    } else {
      const s = this.settings;
      const policy = {
        consecutiveFailures: s.outboundOutlierConsecutiveFailures,
        ejectionMs: s.outboundOutlierEjectionSeconds * 1000,
        maxEjectionMs: s.outboundOutlierMaxEjectionSeconds * 1000,
        maxEjectionPercent: s.outboundOutlierMaxEjectionPercent,
      };
      host = {
        instances: new Instances(policy, s.outboundResolveTtlSeconds * 1000, this.clock),
        origins: new Set(),
        breakers: new Map(),
        inFlight: 0,
        lastUsed: now,
      };
    }
    host.lastUsed = now;
    this.hosts.set(name, host);
    this.forgetIdleHosts(name, now);
    return host;
  }

  /** Bound per-host state: past OUTBOUND_MAX_HOSTS, or idle too long, a host is forgotten. */
  private forgetIdleHosts(calling: string, now: number): void {
    const s = this.settings;
    for (const [name, host] of this.hosts) {
      if (name === calling) return; // the most recent: every older one was looked at
      const idle = host.inFlight === 0 && now - host.lastUsed > s.outboundHostIdleSeconds * 1000;
      if (this.hosts.size <= s.outboundMaxHosts && !idle) return;
      if (host.inFlight > 0) continue; // its calls still hold its state
      this.hosts.delete(name);
      this.budget.forget(name);
      this.metrics.forgetHost(name, host.breakers.keys());
      this.connections.forget(host.origins);
    }
  }

  private breaker(host: Host, name: string, route: string): CircuitBreaker {
    const known = host.breakers.get(route);
    if (known !== undefined) return known;
    if (route !== "" && host.breakers.size >= MAX_ROUTES_PER_HOST) return this.breaker(host, name, "");
    const s = this.settings;
    const breaker = new CircuitBreaker({
      failureRatio: s.breakerFailureRatio,
      minCalls: s.breakerMinCalls,
      windowMs: s.breakerWindowSeconds * 1000,
      openMs: s.breakerOpenSeconds * 1000,
      probes: s.breakerHalfOpenProbes,
      clock: this.clock,
      onState: (state: State) => this.metrics.breakerState.set({ host: name, route }, state),
    });
    this.metrics.breakerState.set({ host: name, route }, State.Closed);
    host.breakers.set(route, breaker);
    return breaker;
  }
}
