/**
 * `make bench`: the golden path's figures at the shipped defaults, on 127.0.0.1 only.
 *
 * The same figures as paved's python-service: retry amplification against a host that
 * always fails (one hop and two hops), deadline overshoot p99, the open breaker's rejection
 * time, 2N slow requests against a limit of N, the time per request with tracing and
 * access logs on, and failed requests across a graceful shutdown. Bounded in count and time.
 * `--quick` shortens every phase (a smoke run, not the figures).
 */
import { Writable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { request } from "undici";
import { Deadline, withScope } from "../src/platform/deadline.js";
import { CircuitOpen } from "../src/platform/errors.js";
import { createLogger } from "../src/platform/logs.js";
import { Metrics } from "../src/platform/metrics.js";
import { createPlatform, type Platform } from "../src/platform/server.js";
import { loadSettings, type PlatformSettings } from "../src/platform/settings.js";
import { startTelemetry } from "../src/platform/telemetry.js";

const quick = process.argv.includes("--quick");
const CALLS = quick ? 50 : 500;
startTelemetry({ serviceName: "bench", version: "bench", exporter: "none" }, [], {});

// Every request of the bench is bounded in time: it stops by itself.
const get = (url: string) => request(url, { signal: AbortSignal.timeout(30_000) });
const quiet = new Writable({ write: (_chunk, _encoding, done) => done() });

async function serve(overrides: Partial<PlatformSettings>, setup: (p: Platform) => void): Promise<[Platform, string]> {
  const settings = { ...loadSettings(process.env), host: "127.0.0.1", port: 0, shutdownDrainSeconds: 0, ...overrides };
  const platform = createPlatform(settings, {
    logger: createLogger({ serviceName: "bench", level: "info" }, quiet),
    metrics: new Metrics({ processMetrics: false }),
  });
  setup(platform);
  return [platform, await platform.listen()];
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

function report(name: string, value: string, target: string): void {
  process.stdout.write(`${name.padEnd(52)} ${value.padStart(12)}   (target ${target})\n`);
}

async function amplification(): Promise<void> {
  let attempts = 0;
  const [c, cUrl] = await serve({}, (p) =>
    p.app.get("/fail", async (_req, reply) => {
      attempts += 1;
      return reply.code(503).send({ error: "down" });
    }),
  );
  const [b, bUrl] = await serve({ breakerEnabled: false }, (p) =>
    p.app.get("/relay", async (_req, reply) => {
      const answer = await p.client.get(`${cUrl}/fail`);
      return reply.code(answer.status >= 500 ? 502 : 200).header("x-paved-no-retry", "relayed").send({});
    }),
  );
  const [a] = await serve({ breakerEnabled: false }, () => {});
  for (let i = 0; i < CALLS; i += 1) await a.client.get(`${cUrl}/fail`);
  report("retry amplification, 100 % failure, one hop", (attempts / CALLS).toFixed(3), "<= 1.2");
  attempts = 0;
  for (let i = 0; i < CALLS; i += 1) await a.client.get(`${bUrl}/relay`);
  report("retry amplification, 100 % failure, two hops", (attempts / CALLS).toFixed(3), "<= 1.2");
  for (const p of [a, b, c]) await p.app.close();
}

async function overshoot(): Promise<void> {
  const [slow, url] = await serve({}, (p) =>
    p.app.get("/never", async () => {
      await sleep(5000);
      return {};
    }),
  );
  const [caller] = await serve({ breakerEnabled: false }, () => {});
  const overshoots: number[] = [];
  for (let i = 0; i < (quick ? 10 : 100); i += 1) {
    const started = performance.now();
    const scope = { deadline: Deadline.after(100), signal: new AbortController().signal };
    await withScope(scope, () => caller.client.get(`${url}/never`)).catch(() => undefined);
    overshoots.push(performance.now() - started - 100);
  }
  report("deadline overshoot p99 (ms)", percentile(overshoots, 99).toFixed(1), "<= 50");
  await caller.app.close();
  await slow.app.close();
}

async function breaker(): Promise<void> {
  const [down, url] = await serve({}, (p) => p.app.get("/fail", async (_req, reply) => reply.code(500).send({})));
  const [caller] = await serve({ outboundMaxAttempts: 1 }, () => {});
  for (let i = 0; i < 20; i += 1) await caller.client.get(`${url}/fail`);
  const times: number[] = [];
  for (let i = 0; i < 1000; i += 1) {
    const started = performance.now();
    await caller.client.get(`${url}/fail`).catch((error: unknown) => {
      if (!(error instanceof CircuitOpen)) throw error;
    });
    times.push(performance.now() - started);
  }
  report("open breaker rejection p99 (ms)", percentile(times, 99).toFixed(3), "<= 1");
  await caller.app.close();
  await down.app.close();
}

async function shedding(): Promise<void> {
  const limit = 20;
  const [service, url] = await serve({ maxInFlightRequests: limit }, (p) =>
    p.app.get("/slow", async () => {
      await sleep(500);
      return {};
    }),
  );
  const answers = await Promise.all(Array.from({ length: 2 * limit }, () => get(`${url}/slow`)));
  const served = answers.filter((a) => a.statusCode === 200).length;
  const shed = answers.filter((a) => a.statusCode === 503 && a.headers["retry-after"] !== undefined).length;
  for (const answer of answers) await answer.body.dump();
  report(`2N=${2 * limit} slow requests, limit N=${limit}: served / shed`, `${served} / ${shed}`, `${limit} / ${limit}`);
  await service.app.close();
}

/** CPU time per request (this process serves and sends), with and without the access log. */
async function cpuPerRequest(accessLog: boolean): Promise<number> {
  const [service, url] = await serve({ accessLog }, (p) => p.app.get("/hello", async () => ({ message: "hello" })));
  const count = quick ? 200 : 2000;
  for (let i = 0; i < 50; i += 1) await (await get(`${url}/hello`)).body.dump(); // warm up
  const before = process.cpuUsage();
  for (let i = 0; i < count; i += 1) await (await get(`${url}/hello`)).body.dump();
  const used = process.cpuUsage(before);
  await service.app.close();
  return (used.user + used.system) / 1000 / count;
}

async function overhead(): Promise<void> {
  // Alternated and the best of three each: the JIT warms up over the first runs.
  const runs: [number[], number[]] = [[], []];
  for (let i = 0; i < 3; i += 1) {
    runs[0].push(await cpuPerRequest(false));
    runs[1].push(await cpuPerRequest(true));
  }
  const without = Math.min(...runs[0]);
  const withLog = Math.min(...runs[1]);
  report("CPU per request, tracing + metrics (ms)", without.toFixed(3), "reported");
  report("CPU per request added by the access log (ms)", (withLog - without).toFixed(3), "reported");
}

async function shutdown(): Promise<void> {
  const [service, url] = await serve({ shutdownDrainSeconds: 0.5 }, (p) =>
    p.app.get("/slow", async () => {
      await sleep(300);
      return {};
    }),
  );
  const inFlight = Array.from({ length: 20 }, () => get(`${url}/slow`).then((a) => a.statusCode, () => 0));
  await sleep(50);
  await service.shutdown();
  const failed = (await Promise.all(inFlight)).filter((code) => code !== 200).length;
  report("failed requests across a graceful shutdown", String(failed), "0");
}

for (const phase of [amplification, overshoot, breaker, shedding, overhead, shutdown]) await phase();
process.exit(0);
