/**
 * The outbound HTTP client: undici with timeouts, deadlines, retries, budgets and breakers.
 *
 * One OutboundClient per process (createApp makes it). Every call:
 * 1. fails with DeadlineExceeded before any network work when the inbound deadline (minus
 *    the margin) has no time left;
 * 2. fails fast when the host already has its maximum of calls in flight, or when its
 *    breaker is open;
 * 3. sends each attempt with a timeout of min(OUTBOUND_TIMEOUT_SECONDS, remaining deadline
 *    - margin), which also goes downstream in `x-request-timeout-ms`, with the trace
 *    context in `traceparent`;
 * 4. is retried only when the answer is retryable (outcome.ts), the method is idempotent
 *    (POST only with an `Idempotency-Key`), attempts remain, the retry budget allows it
 *    (budget.ts), and the wait (full jitter, or Retry-After when longer) still leaves
 *    OUTBOUND_RETRY_MIN_REMAINING_MS before the deadline.
 * The breaker judges the call after its retries. An answer, even an error status, is
 * returned; a call that got no answer throws DownstreamError.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { context, propagation, SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { Agent } from "undici";
import { CircuitBreaker, type Outcome, type Permit, State } from "./breaker.js";
import { RetryBudget, type Spend } from "./budget.js";
import { currentScope, TIMEOUT_HEADER } from "./deadline.js";
import { CircuitOpen, ConcurrencyLimited, DeadlineExceeded, DownstreamError } from "./errors.js";
import type { Metrics } from "./metrics.js";
import { type Headers, retryAfterMs, retryable, serviceOutcome } from "./outcome.js";
import type { PlatformSettings } from "./settings.js";
import { tracer } from "./telemetry.js";

export const IDEMPOTENT_METHODS = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"]);
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
  breaker: CircuitBreaker;
  inFlight: number;
}

type Result = OutboundResponse | Failure;

function isFailure(result: Result): result is Failure {
  return "error" in result;
}

export class OutboundClient {
  private readonly agent: Agent;
  private readonly budget: RetryBudget;
  private readonly hosts = new Map<string, Host>();

  constructor(
    private readonly settings: PlatformSettings,
    private readonly metrics: Metrics,
    private readonly random: () => number = Math.random,
  ) {
    this.agent = new Agent({ connect: { timeout: settings.outboundConnectTimeoutSeconds * 1000 } });
    this.budget = new RetryBudget({
      ratio: settings.retryBudgetRatio,
      reserve: settings.retryBudgetReserve,
      windowMs: settings.retryBudgetWindowSeconds * 1000,
    });
  }

  get(url: string, options: Omit<CallOptions, "method"> = {}): Promise<OutboundResponse> {
    return this.request(url, { ...options, method: "GET" });
  }

  post(url: string, options: Omit<CallOptions, "method"> = {}): Promise<OutboundResponse> {
    return this.request(url, { ...options, method: "POST" });
  }

  async close(): Promise<void> {
    await this.agent.close();
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
    const permit: Permit | undefined = this.settings.breakerEnabled ? host.breaker.allow() : { generation: -1 };
    if (permit === undefined) {
      this.metrics.breakerRejected.inc({ host: name });
      throw new CircuitOpen(`circuit open for ${name}`);
    }
    host.inFlight += 1;
    this.budget.recordCall(name);
    let outcome: Outcome = "neutral";
    try {
      const result = await this.attempts(name, target, method, options);
      outcome = isFailure(result) ? result.outcome : serviceOutcome(result.status, result.headers);
      if (isFailure(result)) throw result.error;
      return result;
    } finally {
      host.inFlight -= 1;
      if (this.settings.breakerEnabled) host.breaker.record(permit, outcome);
    }
  }

  private async attempts(name: string, target: URL, method: string, options: CallOptions): Promise<Result> {
    const headers = Object.fromEntries(Object.entries(options.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    const mayRetry = IDEMPOTENT_METHODS.has(method) || (method === "POST" && "idempotency-key" in headers);
    let spent: Spend | undefined;
    for (let attempt = 1; ; attempt += 1) {
      const room = this.roomMs();
      if (room <= 0) {
        if (spent !== undefined) this.budget.refund(name, spent);
        this.metrics.deadlineExceeded.inc({ where: "outbound" });
        return { error: new DeadlineExceeded(`no time left to call ${name}`), retryable: false, outcome: "neutral" };
      }
      const full = this.settings.outboundTimeoutSeconds * 1000;
      const result = await this.attempt(target, method, headers, options.body, Math.min(full, room), room < full);
      const ok = isFailure(result) ? false : !retryable(result.status, result.headers) && result.status < 500;
      this.budget.recordAnswer(name, ok, spent);
      if (spent !== undefined) this.metrics.retries.inc({ host: name, outcome: ok ? "success" : "failure" });
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

  private async attempt(
    target: URL,
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
    propagation.inject(context.active(), headers);
    const started = performance.now();
    const scope = currentScope();
    const signals = [AbortSignal.timeout(Math.max(1, Math.ceil(timeoutMs))), ...(scope === undefined ? [] : [scope.signal])];
    let status = "";
    try {
      const answer = await this.agent.request({
        origin: target.origin,
        path: target.pathname + target.search,
        method: method as "GET",
        headers,
        body: body ?? null,
        signal: AbortSignal.any(signals),
      });
      const text = await answer.body.text();
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
    let host = this.hosts.get(name);
    if (host !== undefined) {
      this.hosts.delete(name); // most recently used last
      this.hosts.set(name, host);
      return host;
    }
    const s = this.settings;
    host = {
      inFlight: 0,
      breaker: new CircuitBreaker({
        failureRatio: s.breakerFailureRatio,
        minCalls: s.breakerMinCalls,
        windowMs: s.breakerWindowSeconds * 1000,
        openMs: s.breakerOpenSeconds * 1000,
        probes: s.breakerHalfOpenProbes,
        onState: (state: State) => this.metrics.breakerState.set({ host: name, route: "" }, state),
      }),
    };
    this.metrics.breakerState.set({ host: name, route: "" }, State.Closed);
    this.hosts.set(name, host);
    for (const [oldest, state] of this.hosts) {
      if (this.hosts.size <= s.outboundMaxHosts) break;
      if (state.inFlight > 0) continue;
      this.hosts.delete(oldest);
      this.budget.forget(oldest);
      this.metrics.forgetHost(oldest);
    }
    return host;
  }
}
