/** Test helpers: servers on 127.0.0.1 only, settings with test values, a log capture. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { createLogger } from "../src/platform/logs.js";
import { Metrics } from "../src/platform/metrics.js";
import { createPlatform, type Platform } from "../src/platform/server.js";
import { loadSettings, type PlatformSettings } from "../src/platform/settings.js";
import { startTelemetry } from "../src/platform/telemetry.js";

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
