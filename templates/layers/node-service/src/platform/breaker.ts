/**
 * A failure-rate circuit breaker for one downstream host.
 *
 * Closed: calls go through and their outcomes are counted over a sliding window; when at
 * least `minCalls` were made and `failureRatio` of them failed, the breaker opens. Open:
 * every call is rejected at once (no socket, no wait) for `openMs`. Half-open: `probes`
 * calls are let through; when all succeed it closes with a fresh window, the first failure
 * opens it again. The breaker judges calls after their retries. Every permit `allow()`
 * hands out is settled exactly once by `record()`; permits carry the generation they were
 * issued in, so a call that started before a state change cannot decide the new state, and
 * a half-open round whose probes have not all reported within `openMs` starts afresh.
 */
import { type Clock, monotonic, RollingCounts } from "./window.js";

export enum State {
  Closed = 0,
  Open = 1,
  HalfOpen = 2,
}

/** success and failure count; neutral (a 4xx, a cancelled call) frees its slot only. */
export type Outcome = "success" | "failure" | "neutral";

export interface Permit {
  readonly generation: number;
}

export interface BreakerOptions {
  failureRatio: number;
  minCalls: number;
  windowMs: number;
  openMs: number;
  probes: number;
  clock?: Clock;
  onState?: (state: State) => void;
}

const SUCCESSES = 0;
const FAILURES = 1;

export class CircuitBreaker {
  private current = State.Closed;
  private generation = 0;
  private openedAt = 0;
  private probesIssued = 0;
  private probesSucceeded = 0;
  private readonly counts: RollingCounts;
  private readonly clock: Clock;

  constructor(private readonly options: BreakerOptions) {
    this.clock = options.clock ?? monotonic;
    this.counts = new RollingCounts(options.windowMs, 2, this.clock);
  }

  get state(): State {
    return this.current;
  }

  /** A permit for one call, or undefined when the breaker rejects it. */
  allow(): Permit | undefined {
    const now = this.clock();
    if (this.current === State.Open) {
      if (now - this.openedAt < this.options.openMs) return undefined;
      this.enter(State.HalfOpen, now);
    } else if (this.current === State.HalfOpen && now - this.openedAt >= this.options.openMs) {
      this.enter(State.HalfOpen, now); // probes lost: a fresh round
    }
    if (this.current === State.HalfOpen) {
      if (this.probesIssued >= this.options.probes) return undefined;
      this.probesIssued += 1;
    }
    return { generation: this.generation };
  }

  record(permit: Permit, outcome: Outcome): void {
    if (permit.generation !== this.generation) return;
    const now = this.clock();
    if (this.current === State.HalfOpen) {
      if (outcome === "failure") {
        this.enter(State.Open, now);
      } else if (outcome === "neutral") {
        this.probesIssued -= 1;
      } else {
        this.probesSucceeded += 1;
        if (this.probesSucceeded >= this.options.probes) this.enter(State.Closed, now);
      }
      return;
    }
    if (this.current !== State.Closed || outcome === "neutral") return;
    this.counts.add(outcome === "success" ? SUCCESSES : FAILURES);
    const [successes = 0, failures = 0] = this.counts.totals();
    const calls = successes + failures;
    if (calls >= this.options.minCalls && failures >= this.options.failureRatio * calls) {
      this.enter(State.Open, now);
    }
  }

  private enter(state: State, now: number): void {
    this.current = state;
    this.generation += 1;
    this.openedAt = now;
    this.probesIssued = 0;
    this.probesSucceeded = 0;
    if (state === State.Closed) this.counts.reset();
    this.options.onState?.(state);
  }
}
