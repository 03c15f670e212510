/**
 * The outbound connections: keep-alive connections per origin, and a connection whose answer
 * counted against the instance closed instead of reused.
 *
 * Behind a virtual IP (a ClusterIP Service, an external name) a connection is pinned to one
 * backend: closing the connection whose answer failed (5xx, not relayed) is the only handle
 * on an instance. The retry, and later calls, travel over other connections: pooled ones
 * whose last answer succeeded, or new ones the VIP balances anew. The same as python-service's
 * platform/transport.py.
 *
 * Each connection is an undici Client with one request at a time (no pipelining): the
 * client takes one from the origin's idle ones or opens a new one, and gives it back or
 * destroys it. Attempts the client addressed to one instance (instances.ts) have that
 * address as their origin, so each instance has its own connections.
 */
import { Client } from "undici";

// Idle keep-alive connections kept per origin (as python-service's httpx pool keeps 50).
const MAX_IDLE_PER_ORIGIN = 50;

export class Connections {
  private readonly idle = new Map<string, Client[]>();
  private readonly open = new Set<Client>();

  /** `dial` says where an origin's connections go: itself, but for tests (instances on 127.0.0.1). */
  constructor(
    private readonly connectTimeoutMs: number,
    private readonly dial: (origin: string) => string = (origin) => origin,
  ) {}

  /** An idle connection to `origin`, or a new one (never more than one request on it at a time). */
  acquire(origin: string): Client {
    const idle = this.idle.get(origin);
    while (idle !== undefined && idle.length > 0) {
      const connection = idle.pop() as Client;
      if (!connection.closed && !connection.destroyed) return connection;
      this.open.delete(connection);
    }
    const connection = new Client(this.dial(origin), { connect: { timeout: this.connectTimeoutMs }, pipelining: 1 });
    this.open.add(connection);
    return connection;
  }

  /** Back to the idle ones, or closed when its answer failed (or too many are idle). */
  release(origin: string, connection: Client, reuse: boolean): void {
    const idle = this.idle.get(origin) ?? [];
    if (reuse && idle.length < MAX_IDLE_PER_ORIGIN && !connection.closed && !connection.destroyed) {
      idle.push(connection);
      this.idle.set(origin, idle);
      return;
    }
    this.open.delete(connection);
    connection.destroy().catch(() => {});
  }

  /** Close the idle connections of `origins` (a forgotten host's). */
  forget(origins: Iterable<string>): void {
    for (const origin of origins) {
      for (const connection of this.idle.get(origin) ?? []) {
        this.open.delete(connection);
        connection.close().catch(() => {});
      }
      this.idle.delete(origin);
    }
  }

  async close(): Promise<void> {
    const all = [...this.open];
    this.open.clear();
    this.idle.clear();
    await Promise.all(all.map((connection) => connection.close().catch(() => {})));
  }
}
