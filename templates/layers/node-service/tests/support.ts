/** Test helpers: servers on loopback only, settings with test values, a log capture, a clock. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { type ClientOptions, OutboundClient } from "../src/platform/client.js";
import type { Resolve } from "../src/platform/instances.js";
import { createLogger } from "../src/platform/logs.js";
import { Metrics } from "../src/platform/metrics.js";
import { createPlatform, type Platform } from "../src/platform/server.js";
import { loadSettings, type PlatformSettings } from "../src/platform/settings.js";
import { startTelemetry } from "../src/platform/telemetry.js";
import { Connections } from "../src/platform/transport.js";

export const spans = new InMemorySpanExporter();
startTelemetry({ serviceName: "test", version: "test", exporter: "none" }, [new SimpleSpanProcessor(spans)], {});

export function testSettings(overrides: Partial<PlatformSettings> = {}): PlatformSettings {
  return { ...loadSettings({}), host: "127.0.0.1", port: 0, shutdownDrainSeconds: 0, ...overrides };
}

export class LogLines extends Writable {
  readonly lines: Record<string, unknown>[] = [];
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    for (const line of chunk.toString().split("\n")) if (line.trim()) this.lines.push(JSON.parse(line));
    done();
  }
}

export interface Started {
  platform: Platform;
  url: string;
  logs: LogLines;
  close(): Promise<void>;
}

/** A platform server with `setup` adding routes; random() is 0 (no backoff) unless given. */
export async function startPlatform(
  overrides: Partial<PlatformSettings> = {},
  setup: (platform: Platform) => void = () => {},
  random: () => number = () => 0,
): Promise<Started> {
  const settings = testSettings(overrides);
  const logs = new LogLines();
  const logger = createLogger({ serviceName: "test", level: "debug" }, logs);
  const platform = createPlatform(settings, { logger, metrics: new Metrics({ processMetrics: false }), random });
  setup(platform);
  const url = await platform.listen();
  return { platform, url, logs, close: () => platform.app.close() };
}

export interface Downstream {
  url: string;
  requests: IncomingMessage[];
  close(): Promise<void>;
}

/** A downstream that answers each request with `handle` and records what it received. */
export async function downstream(
  handle: (req: IncomingMessage, res: ServerResponse, count: number) => void,
): Promise<Downstream> {
  const requests: IncomingMessage[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(req);
    handle(req, res, requests.length);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port where nothing listens (connection refused). */
export async function closedPort(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

export function status(code: number, headers: Record<string, string> = {}) {
  return (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(code, headers);
    res.end(String(code));
  };
}

/** A clock the test moves by hand (milliseconds), for the breaker, the budget and ejections. */
export class ManualClock {
  now = 1_000_000;
  readonly read = (): number => this.now;
}

/**
 * An outbound client of its own, with random() 0 (no backoff) unless given; metrics in
 * `metrics`; `dial` says where an origin's connections go (instanceServers' dial).
 */
export function testClient(
  overrides: Partial<PlatformSettings> = {},
  options: ClientOptions & { dial?: (origin: string) => string } = {},
): { client: OutboundClient; metrics: Metrics } {
  const metrics = new Metrics({ processMetrics: false });
  const settings = testSettings(overrides);
  const { dial, ...rest } = options;
  const connections = new Connections(settings.outboundConnectTimeoutSeconds * 1000, dial);
  return { client: new OutboundClient(settings, metrics, { random: () => 0, connections, ...rest }), metrics };
}

/** A resolver answering from `table` (what a headless Service's DNS would say); unknown names fail. */
export function staticResolver(table: Record<string, string[]>): Resolve {
  return async (host) => {
    const addresses = table[host];
    if (addresses === undefined) throw Object.assign(new Error(`${host}: name not known`), { code: "ENOTFOUND" });
    return [...addresses];
  };
}

export interface InstanceServers {
  /** The instance address that answered each request, in order. */
  seen: string[];
  requests: IncomingMessage[];
  /** For ClientOptions.dial: each instance address's origin to its server on 127.0.0.1. */
  dial(origin: string): string;
  close(): Promise<void>;
}

/**
 * The instances a headless Service's name resolves to: one server on 127.0.0.1 for each
 * of `addresses` (the client dials an instance's address through `dial`), and the
 * `refused` addresses, where nothing listens.
 */
export async function instanceServers(
  addresses: string[],
  handle: (address: string, req: IncomingMessage, res: ServerResponse) => void,
  refused: string[] = [],
): Promise<InstanceServers> {
  const seen: string[] = [];
  const requests: IncomingMessage[] = [];
  const servers: Server[] = [];
  const origins = new Map<string, string>();
  for (const address of addresses) {
    const server = createServer((req, res) => {
      seen.push(address);
      requests.push(req);
      handle(address, req, res);
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    origins.set(address, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  }
  for (const address of refused) origins.set(address, await closedPort());
  return {
    seen,
    requests,
    dial: (origin) => origins.get(new URL(origin).hostname) ?? origin,
    close: async () => {
      await Promise.all(
        servers.map(
          (server) =>
            new Promise<void>((resolve) => {
              server.closeAllConnections();
              server.close(() => resolve());
            }),
        ),
      );
    },
  };
}
