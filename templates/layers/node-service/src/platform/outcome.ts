/**
 * What one answer from a downstream means: retry it? the service's failure? the instance's?
 *
 * One place decides, so the retry policy, the circuit breaker (which guards the downstream
 * service), outlier ejection (which guards one instance) and the retry budget never
 * disagree about the same answer:
 *
 * | answer                              | retried | breaker | instance | budget |
 * |-------------------------------------|---------|---------|----------|--------|
 * | 2xx, 3xx, 4xx other than 429        | no      | success | healthy  | ok     |
 * | 429 Too Many Requests               | yes     | neutral | healthy  | failed |
 * | 502, 503, 504                       | yes     | failure | failed   | failed |
 * | other 5xx                           | no      | failure | failed   | failed |
 * | any answer with `x-paved-no-retry`  | no      | neutral | healthy  | failed |
 *
 * An answer with `x-paved-no-retry` was relayed: the downstream answered on behalf of its
 * own downstream, so it is neither its failure nor a reason to retry it. Attempts that got
 * no answer: a connection failure is retried and a failure; a timeout of the full outbound
 * timeout is a failure (of the service and of the instance); a timeout the caller's own
 * deadline caused is neutral.
 */
import type { Outcome } from "./breaker.js";

export const NO_RETRY_HEADER = "x-paved-no-retry";
const RETRYABLE_STATUSES = new Set([429, 502, 503, 504]);

export type Headers = Record<string, string | string[] | undefined>;

export function relayed(headers: Headers): boolean {
  return headers[NO_RETRY_HEADER] !== undefined;
}

export function retryable(status: number, headers: Headers): boolean {
  return RETRYABLE_STATUSES.has(status) && !relayed(headers);
}

export function serviceOutcome(status: number, headers: Headers): Outcome {
  if (relayed(headers) || status === 429) return "neutral";
  return status >= 500 ? "failure" : "success";
}

/** Counts toward ejecting the instance that answered (Envoy's consecutive 5xx). */
export function instanceFailed(status: number, headers: Headers): boolean {
  return status >= 500 && !relayed(headers);
}

const DELTA_SECONDS = /^[0-9]{1,10}$/;

/** Retry-After in milliseconds: delta-seconds or an HTTP date (RFC 9110, 10.2.3); 0 if absent or invalid. */
export function retryAfterMs(value: string | string[] | undefined, now: number = Date.now()): number {
  const text = (Array.isArray(value) ? value[0] : value)?.trim() ?? "";
  if (text === "") return 0;
  if (DELTA_SECONDS.test(text)) return Number.parseInt(text, 10) * 1000;
  const when = Date.parse(text);
  return Number.isNaN(when) ? 0 : Math.max(0, when - now);
}
