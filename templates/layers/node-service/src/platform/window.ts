/**
 * Counts over a sliding window of time, in buckets (the retry budget and the breaker use it).
 * The clock is injectable so that tests move time instead of sleeping.
 */

export type Clock = () => number; // milliseconds, monotonic

export const monotonic: Clock = () => performance.now();

const BUCKETS = 10;

export class RollingCounts {
  private readonly bucketMs: number;
  private readonly buckets: number[][];
  private readonly starts: number[];

  constructor(
    windowMs: number,
    private readonly kinds: number,
    private readonly clock: Clock = monotonic,
  ) {
    this.bucketMs = windowMs / BUCKETS;
    this.buckets = Array.from({ length: BUCKETS }, () => new Array<number>(kinds).fill(0));
    this.starts = new Array<number>(BUCKETS).fill(Number.NEGATIVE_INFINITY);
  }

  add(kind: number): void {
    const now = this.clock();
    const slot = Math.floor(now / this.bucketMs);
    const index = slot % BUCKETS;
    if (this.starts[index] !== slot) {
      this.starts[index] = slot;
      this.buckets[index] = new Array<number>(this.kinds).fill(0);
    }
    const bucket = this.buckets[index];
    if (bucket !== undefined) bucket[kind] = (bucket[kind] ?? 0) + 1;
  }

  totals(): number[] {
    const oldest = Math.floor(this.clock() / this.bucketMs) - BUCKETS + 1;
    const sums = new Array<number>(this.kinds).fill(0);
    this.buckets.forEach((bucket, index) => {
      if ((this.starts[index] ?? Number.NEGATIVE_INFINITY) >= oldest) {
        bucket.forEach((count, kind) => {
          sums[kind] = (sums[kind] ?? 0) + count;
        });
      }
    });
    return sums;
  }

  reset(): void {
    this.starts.fill(Number.NEGATIVE_INFINITY);
  }
}
