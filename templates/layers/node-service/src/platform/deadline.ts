/**
 * Request deadlines: read from inbound headers, kept on the monotonic clock, sent downstream.
 *
 * A caller that gave up will never read our answer, so work done after its deadline is
 * wasted. We accept gRPC's `grpc-timeout`, Envoy's `x-envoy-expected-rq-timeout-ms` and our
 * own relative `x-request-timeout-ms`, keep the earliest as a point on the monotonic clock
 * (wall clocks jump), answer 504 without doing anything when it has passed, and give each
 * outbound call only what is left (the same policy as paved's python-service).
 */
import { AsyncLocalStorage } from "node:async_hooks";

export const TIMEOUT_HEADER = "x-request-timeout-ms";
export const ENVOY_HEADER = "x-envoy-expected-rq-timeout-ms";
export const GRPC_HEADER = "grpc-timeout";

// gRPC's TimeoutValue: at most 8 ASCII digits, then a unit (PROTOCOL-HTTP2.md).
const GRPC_TIMEOUT = /^([0-9]{1,8})([HMSmun])$/;
// Relative milliseconds; a negative value is a deadline already passed.
const MILLISECONDS = /^-?[0-9]{1,15}$/;
const GRPC_UNIT_MS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 1e-3, n: 1e-6 };

export class Deadline {
  /** `expiresAt` is on performance.now(), in milliseconds. */
  constructor(readonly expiresAt: number) {}

  static after(ms: number): Deadline {
    return new Deadline(performance.now() + ms);
  }

  /** Milliseconds left; zero or less when the deadline has passed. */
  remainingMs(): number {
    return this.expiresAt - performance.now();
  }
}

export interface RequestScope {
  deadline: Deadline;
  /** Aborted when the deadline passes: outbound calls and the team's work stop with it. */
  signal: AbortSignal;
}

const storage = new AsyncLocalStorage<RequestScope>();

/** The scope (deadline, abort signal) of the request being served, if any. */
export function currentScope(): RequestScope | undefined {
  return storage.getStore();
}

export function currentDeadline(): Deadline | undefined {
  return storage.getStore()?.deadline;
}

/** Run `fn` (and everything it starts) with `scope` as the current request scope. */
export function withScope<T>(scope: RequestScope, fn: () => T): T {
  return storage.run(scope, fn);
}

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The shortest timeout, in milliseconds, the headers carry; undefined when none is valid.
 * Malformed values are ignored rather than rejected: a bad header from one client must not
 * fail its requests. A negative value counts as zero: the deadline has passed.
 */
export function timeoutFromHeaders(headers: Record<string, string | string[] | undefined>): number | undefined {
  const found: number[] = [];
  for (const name of [TIMEOUT_HEADER, ENVOY_HEADER]) {
    const value = header(headers, name)?.trim() ?? "";
    if (MILLISECONDS.test(value)) found.push(Math.max(0, Number.parseInt(value, 10)));
  }
  const grpc = GRPC_TIMEOUT.exec(header(headers, GRPC_HEADER)?.trim() ?? "");
  if (grpc?.[1] !== undefined && grpc[2] !== undefined) {
    found.push(Number.parseInt(grpc[1], 10) * (GRPC_UNIT_MS[grpc[2]] ?? 0));
  }
  return found.length > 0 ? Math.min(...found) : undefined;
}
