/**
 * The retry budget: retries add at most about 10 % to a failing host's load, at any rate.
 *
 * A ratio per host (Finagle's RetryBudget, the SRE book's per-client retry budget): retries
 * to a host that fail may not exceed `ratio` of its calls over a sliding window. A retry in
 * flight counts as failed until it answers; a retry that succeeds costs nothing. A small
 * reserve shared by the whole process serves hosts too quiet to have earned a whole retry;
 * a host holds at most one reserve token and gives it back at its next success (gRFC A6),
 * so a sustained outage never refills it. With the defaults (ratio 0.1, reserve 2), N calls
 * to a host that always fails, within one window, cause N + max(1, floor(N / 10)) attempts.
 */
import { type Clock, monotonic, RollingCounts } from "./window.js";

const CALLS = 0;
const FAILED_RETRIES = 1;
// 0.1 * 30 is 3.0000000000000004: compare with a little slack so "10 % of 30" is 3.
const SLACK = 1e-9;

export type Spend = "ratio" | "reserve";

interface HostBudget {
  counts: RollingCounts;
  retriesInFlight: number;
  holdsReserve: boolean;
}

/** What the client asks of a retry budget (the benchmark compares others with this one). */
export interface Budget {
  recordCall(host: string): void;
  trySpend(host: string): Spend | undefined;
  recordAnswer(host: string, ok: boolean, spent: Spend | undefined): void;
  refund(host: string, spent: Spend): void;
  forget(host: string): void;
}

export class RetryBudget implements Budget {
  private freeReserve: number;
  private readonly hosts = new Map<string, HostBudget>();

  constructor(
    private readonly options: { ratio: number; reserve: number; windowMs: number; clock?: Clock },
  ) {
    this.freeReserve = options.reserve;
  }

  get reserveLeft(): number {
    return this.freeReserve;
  }

  /** A new call (not a retry) to `host`. */
  recordCall(host: string): void {
    this.state(host).counts.add(CALLS);
  }

  /** A token for one retry to `host`, or undefined when the budget is spent. */
  trySpend(host: string): Spend | undefined {
    const state = this.state(host);
    const [calls = 0, failed = 0] = state.counts.totals();
    const earned = this.options.ratio * calls;
    const inUse = failed + state.retriesInFlight;
    let spent: Spend;
    if (inUse + 1 <= earned + SLACK) {
      spent = "ratio";
    } else if (inUse === 0 && earned + SLACK < 1 && !state.holdsReserve && this.freeReserve > 0) {
      this.freeReserve -= 1;
      state.holdsReserve = true;
      spent = "reserve";
    } else {
      return undefined;
    }
    state.retriesInFlight += 1;
    return spent;
  }

  /** Every attempt's outcome; `spent` is the token a retry used (undefined for a first attempt). */
  recordAnswer(host: string, ok: boolean, spent: Spend | undefined): void {
    const state = this.hosts.get(host);
    if (state === undefined) return;
    if (spent !== undefined) {
      state.retriesInFlight -= 1;
      if (!ok) state.counts.add(FAILED_RETRIES);
    }
    if (ok) this.giveBack(state);
  }

  /** A retry that was allowed but never sent. */
  refund(host: string, spent: Spend): void {
    const state = this.hosts.get(host);
    if (state === undefined) return;
    state.retriesInFlight -= 1;
    if (spent === "reserve") this.giveBack(state);
  }

  forget(host: string): void {
    const state = this.hosts.get(host);
    this.hosts.delete(host);
    if (state !== undefined) this.giveBack(state);
  }

  private giveBack(state: HostBudget): void {
    if (state.holdsReserve) {
      state.holdsReserve = false;
      this.freeReserve += 1;
    }
  }

  private state(host: string): HostBudget {
    let state = this.hosts.get(host);
    if (state === undefined) {
      state = {
        counts: new RollingCounts(this.options.windowMs, 2, this.options.clock ?? monotonic),
        retriesInFlight: 0,
        holdsReserve: false,
      };
      this.hosts.set(host, state);
    }
    return state;
  }
}
