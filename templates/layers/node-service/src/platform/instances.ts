/**
 * The instances behind one downstream host: its resolved addresses and their outlier state.
 *
 * A Kubernetes headless Service (the deploy layer makes one, `<name>-pods`) resolves to one
 * address per ready pod. When a host resolves to several addresses the client picks one per
 * attempt, round-robin, and sends a retry to an address the call has not tried yet, so one
 * bad pod costs a retry instead of the call. An instance that fails `consecutiveFailures`
 * times in a row is ejected from the rotation for `ejectionMs`, longer each time it is
 * ejected again (up to `maxEjectionMs`), and at most `maxEjectionPercent` of the instances
 * (always at least one) are ejected at once: this is Envoy's outlier detection by
 * consecutive 5xx, with its defaults. The circuit breaker guards the service as a whole;
 * ejection guards instances.
 *
 * A host that resolves to one address (a ClusterIP Service's virtual IP, or an external
 * name) gets no outlier state and is called by its name.
 *
 * Addresses are resolved with the system resolver (getaddrinfo, as undici does) and kept
 * for `ttlMs` (Envoy's DNS refresh rate, 5 s); a failed lookup keeps the last good answer.
 * The same as python-service's platform/instances.py.
 */
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { type Clock, monotonic } from "./window.js";

export type Resolve = (host: string, port: number) => Promise<string[]>;

/** Every address `host` resolves to, in the resolver's order, without duplicates. */
export const systemResolve: Resolve = async (host) => {
  const answers = await lookup(host, { all: true, order: "verbatim" });
  return [...new Set(answers.map((answer) => answer.address))];
};

/** A literal IPv4 or IPv6 address (as URL.hostname gives it, IPv6 in brackets). */
export function isAddress(hostname: string): boolean {
  return isIP(hostname.replace(/^\[(.*)\]$/, "$1")) !== 0;
}

export interface OutlierPolicy {
  consecutiveFailures: number;
  ejectionMs: number;
  maxEjectionMs: number;
  maxEjectionPercent: number;
}

interface Instance {
  address: string;
  consecutiveFailures: number;
  ejectedUntil: number;
  /** Ejections in a row, without a success in between: multiplies the ejection time. */
  ejections: number;
}

export class Instances {
  private instances: Instance[] = [];
  private resolvedAt: number | undefined;
  private lookup: Promise<void> | undefined;
  private next = 0;

  constructor(
    private readonly policy: OutlierPolicy,
    private readonly ttlMs: number,
    private readonly clock: Clock = monotonic,
  ) {}

  get addresses(): string[] {
    return this.instances.map((instance) => instance.address);
  }

  ejected(): string[] {
    const now = this.clock();
    return this.instances.filter((instance) => instance.ejectedUntil > now).map((instance) => instance.address);
  }

  /** Resolve `host` again when the last answer is older than the TTL (one lookup at a time). */
  async refresh(resolve: Resolve, host: string, port: number): Promise<void> {
    if (this.resolvedAt !== undefined && this.clock() - this.resolvedAt < this.ttlMs) return;
    if (this.lookup === undefined) {
      this.lookup = (async () => {
        try {
          this.update(await resolve(host, port));
        } catch {
          // Keep the last good answer; with none, the call resolves the name itself.
        } finally {
          this.resolvedAt = this.clock();
          this.lookup = undefined;
        }
      })();
    }
    await this.lookup;
  }

  /** The addresses now behind the host; known ones keep their outlier state. */
  update(addresses: readonly string[]): void {
    const known = new Map(this.instances.map((instance) => [instance.address, instance]));
    this.instances = addresses.map(
      (address) => known.get(address) ?? { address, consecutiveFailures: 0, ejectedUntil: 0, ejections: 0 },
    );
  }

  /**
   * The address for the next attempt, or undefined when there is a single address (or none).
   * Round-robin over the instances not ejected and not yet tried by this call; then any not
   * tried; then the one this call tried longest ago.
   */
  pick(tried: readonly string[]): string | undefined {
    const count = this.instances.length;
    if (count < 2) return undefined;
    const now = this.clock();
    const order = Array.from({ length: count }, (_, step) => this.instances[(this.next + step) % count] as Instance);
    const untried = order.filter((instance) => !tried.includes(instance.address));
    const healthy = untried.filter((instance) => instance.ejectedUntil <= now);
    const chosen = healthy[0] ?? untried[0];
    if (chosen !== undefined) {
      this.next = (this.instances.indexOf(chosen) + 1) % count;
      return chosen.address;
    }
    const current = new Set(this.addresses);
    return tried.find((address) => current.has(address)) ?? order[0]?.address;
  }

  /** An attempt's outcome on `address`; true when this failure ejected the instance. */
  record(address: string, failed: boolean): boolean {
    const instance = this.instances.find((candidate) => candidate.address === address);
    if (instance === undefined) return false;
    const now = this.clock();
    const ejected = instance.ejectedUntil > now;
    if (!failed) {
      instance.consecutiveFailures = 0;
      if (!ejected) instance.ejections = 0;
      return false;
    }
    if (ejected) return false; // a call that started before the ejection: the verdict is made
    instance.consecutiveFailures += 1;
    if (instance.consecutiveFailures < this.policy.consecutiveFailures || !this.mayEject()) return false;
    instance.consecutiveFailures = 0;
    instance.ejections += 1;
    instance.ejectedUntil = now + Math.min(this.policy.ejectionMs * instance.ejections, this.policy.maxEjectionMs);
    return true;
  }

  private mayEject(): boolean {
    const allowed = Math.max(1, Math.floor((this.instances.length * this.policy.maxEjectionPercent) / 100));
    return this.ejected().length < allowed;
  }
}
