/**
 * `make bench`: measure the golden path's target figures on loopback, at the shipped defaults.
 *
 * The figures and the output of paved's python-service bench (targets from the platform's
 * product description):
 *   retry amplification at 100 % downstream failure, at 1, 5 and 50 req/s over 15 s
 *   after 10 s of healthy traffic, with fan-out to 10 hosts and spread over 10 hosts <= 1.2
 *   (the shipped budget side by side with a naive client, and with every default on)
 *   one of two instances failing: calls that succeed, instances with their own
 *   addresses / behind one address (a virtual IP balancing connections at random) >= 99 % / >= 80 %
 *   two-hop chain amplification                                                       <= 1.2 (naive: 9)
 *   load shedding, 2x the default limit of slow requests                  N served, N shed with Retry-After
 *   deadline overshoot p99, breaker on                                                <= 50 ms
 *   open breaker rejection time                                                       <= 1 ms
 *   observability + platform CPU per trivial request vs bare Fastify                  <= 350 us
 *   failed requests across a graceful shutdown                                        0
 * Services under test that measure latency or CPU run in processes of their own (node
 * dist/src/main.js, as in production); the amplification services run in this process (the
 * counts do not depend on timing). Run on an idle machine for stable timings; Linux only
 * (CPU time is read from /proc). `make bench BENCH_ARGS=--quick` runs each traffic phase a
 * fifth as long (a smoke run, not the figures).
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { type AddressInfo, connect, createServer as createNetServer } from "node:net";
import { Writable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { request } from "undici";
import type { Budget, Spend } from "../src/platform/budget.js";
import { CircuitOpen } from "../src/platform/errors.js";
import type { Resolve } from "../src/platform/instances.js";
import { createLogger } from "../src/platform/logs.js";
import { Metrics } from "../src/platform/metrics.js";
import { createPlatform, type Platform } from "../src/platform/server.js";
import { loadSettings, type PlatformSettings } from "../src/platform/settings.js";
import { startTelemetry } from "../src/platform/telemetry.js";
import { Connections } from "../src/platform/transport.js";

const scale = process.argv.includes("--quick") ? 0.2 : 1;
const WARM_SECONDS = 10;
const FAIL_SECONDS = 15;
const REQUESTS = 500;
const SERVICE = fileURLToPath(new URL("../src/main.js", import.meta.url));
const BARE = fileURLToPath(new URL("./bare.js", import.meta.url));
startTelemetry({ serviceName: "bench", version: "bench", exporter: "none" }, [], {});

const quiet = new Writable({ write: (_chunk, _encoding, done) => done() });

function row(name: string, value: string, target: string): void {
  process.stdout.write(`${name.padEnd(60)} ${value.padStart(16)}   target ${target}\n`);
}

function p99(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(0.99 * sorted.length) - 1)] ?? 0;
}

/** GET `url`: the status, or 0 when no answer came (every request of the bench is bounded in time). */
async function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown> }> {
  try {
    const answer = await request(url, { headers, signal: AbortSignal.timeout(60_000) });
    await answer.body.dump();
    return { status: answer.statusCode, headers: answer.headers };
  } catch {
    return { status: 0, headers: {} };
  }
}

/** Open-loop load: request i starts at i / rate seconds, whatever the answers take. */
async function paced(url: string, rate: number, seconds: number): Promise<number[]> {
  const start = performance.now();
  const answers: Promise<number>[] = [];
  for (let i = 0; i < Math.round(rate * seconds); i += 1) {
    const delay = start + (i * 1000) / rate - performance.now();
    if (delay > 0) await sleep(delay);
    answers.push(get(url).then((answer) => answer.status));
  }
  return Promise.all(answers);
}

interface Listening {
  url: string;
  port: number;
  close(): Promise<void>;
}

async function listen(handle: (req: IncomingMessage, res: ServerResponse) => void, host = "127.0.0.1", port = 0): Promise<Listening> {
  const server: Server = createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, resolve);
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${bound}`,
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Fake downstreams: hits counted by the first path segment (one per service under test). */
class Downstreams {
  status = 200;
  readonly hits = new Map<string, number>();
  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    const prefix = (req.url ?? "/").split("/")[1] ?? "";
    this.hits.set(prefix, (this.hits.get(prefix) ?? 0) + 1);
    res.writeHead(this.status, { "content-type": "application/json" });
    res.end(this.status === 200 ? '{"ok": true}' : '{"ok": false}');
  };
  count(prefix: string): number {
    return this.hits.get(prefix) ?? 0;
  }
}

/** No budget: every retryable failure is retried up to the attempt limit. */
class Naive implements Budget {
  recordCall(): void {}
  trySpend(): Spend | undefined {
    return "ratio";
  }
  recordAnswer(): void {}
  refund(): void {}
  forget(): void {}
}

interface Candidate {
  name: string;
  budget?: () => Budget; // unset: the shipped one
  breaker: boolean;
  connections?: () => Connections; // unset: the shipped ones
}

/** The control: a connection whose answer failed goes back to the pool (the retry may reuse it). */
class FailedConnectionsReused extends Connections {
  override release(origin: string, connection: Parameters<Connections["release"]>[1]): void {
    super.release(origin, connection, true);
  }
}

const CANDIDATES: Candidate[] = [
  { name: "naive, 3 attempts", budget: () => new Naive(), breaker: false },
  { name: "shipped: 10 % + shared reserve", breaker: false },
  { name: "shipped, breaker on (every default)", breaker: true },
];

interface Caller {
  url: string;
  /** Outbound calls the service's code asked for (an open breaker's rejections included). */
  offered(): number;
  close(): Promise<void>;
}

/** A service at the shipped defaults (but for the candidate's budget and breaker) serving GET /call. */
async function caller(candidate: Candidate, targets: string[], rotate: boolean, resolve?: Resolve): Promise<Caller> {
  const settings: PlatformSettings = {
    ...loadSettings({}),
    host: "127.0.0.1",
    port: 0,
    accessLog: false,
    shutdownDrainSeconds: 0,
    breakerEnabled: candidate.breaker,
  };
  const platform = createPlatform(settings, {
    logger: createLogger({ serviceName: "bench", level: "fatal" }, quiet),
    metrics: new Metrics({ processMetrics: false }),
    ...(candidate.budget === undefined ? {} : { budget: candidate.budget() }),
    ...(resolve === undefined ? {} : { resolve }),
    ...(candidate.connections === undefined ? {} : { connections: candidate.connections() }),
  });
  let offered = 0;
  let turn = 0;
  platform.app.get("/call", async (_request, reply) => {
    const chosen = rotate ? [targets[turn++ % targets.length] as string] : targets;
    offered += chosen.length;
    const answers = await Promise.allSettled(chosen.map((url) => platform.client.get(url)));
    const ok = answers.every((answer) => answer.status === "fulfilled" && answer.value.status === 200);
    return reply.code(ok ? 200 : 502).send({ ok });
  });
  const url = await platform.listen();
  return { url: `${url}/call`, offered: () => offered, close: () => platform.app.close() };
}

interface Shape {
  name: string;
  rate: number;
  hosts: number;
  rotate: boolean;
}

const SHAPES: Shape[] = [
  { name: "1 req/s", rate: 1, hosts: 1, rotate: false },
  { name: "5 req/s", rate: 5, hosts: 1, rotate: false },
  { name: "50 req/s", rate: 50, hosts: 1, rotate: false },
  { name: "fan-out: each request calls 10 hosts, 1 req/s", rate: 1, hosts: 10, rotate: false },
  { name: "spread: each request calls 1 of 10 hosts, 1 req/s", rate: 1, hosts: 10, rotate: true },
];

/**
 * Healthy traffic, then 100 % failure, for every candidate at once. Per candidate: downstream
 * attempts / calls the service's code made during the failure (rejected by an open breaker
 * or not), and those calls per second (below the target rate when the machine cannot keep up).
 */
async function amplification(shape: Shape): Promise<[number, number][]> {
  const down = new Downstreams();
  const hosts = await Promise.all(Array.from({ length: shape.hosts }, () => listen(down.handle)));
  const callers = await Promise.all(
    CANDIDATES.map((candidate, index) =>
      caller(
        candidate,
        hosts.map((host) => `${host.url}/c${index}/x`),
        shape.rotate,
      ),
    ),
  );
  try {
    await Promise.all(callers.map((service) => paced(service.url, shape.rate, WARM_SECONDS * scale)));
    const hitsBefore = CANDIDATES.map((_, index) => down.count(`c${index}`));
    const callsBefore = callers.map((service) => service.offered());
    down.status = 503;
    const started = performance.now();
    await Promise.all(callers.map((service) => paced(service.url, shape.rate, FAIL_SECONDS * scale)));
    const seconds = (performance.now() - started) / 1000;
    return callers.map((service, index) => {
      const made = service.offered() - (callsBefore[index] ?? 0);
      const hits = down.count(`c${index}`) - (hitsBefore[index] ?? 0);
      return [hits / Math.max(1, made), made / seconds];
    });
  } finally {
    await Promise.all(callers.map((service) => service.close()));
    await Promise.all(hosts.map((host) => host.close()));
  }
}

/**
 * A virtual IP in front of `ports` on 127.0.0.1: each connection goes to one of them at
 * random, for its whole life, as kube-proxy balances connections behind a ClusterIP.
 */
async function virtualIp(ports: number[]): Promise<Listening> {
  const server = createNetServer((inbound) => {
    const outbound = connect(ports[Math.floor(Math.random() * ports.length)] as number, "127.0.0.1");
    inbound.pipe(outbound).pipe(inbound);
    for (const end of [inbound, outbound]) end.on("error", () => (end === inbound ? outbound : inbound).destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * Share of calls that succeed while one of two instances answers 503, per candidate. Own
 * addresses: the instances listen on 127.0.0.1 and 127.0.0.2, and the name the service calls
 * resolves to both (a headless Service). One address: both behind a virtual IP that
 * balances connections at random (virtualIp). Both instances are healthy for the first 3 s
 * (a burst of 20 requests at once fills the pools with connections to both), then one fails
 * for the rest of `seconds`.
 */
async function oneInstanceDown(
  candidates: Candidate[],
  sharedAddress: boolean,
  rate: number,
  seconds: number,
): Promise<number[]> {
  let failing = false;
  const good = await listen((_req, res) => {
    res.writeHead(200);
    res.end('{"ok": true}');
  });
  const failingHandler = (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(failing ? 503 : 200);
    res.end(failing ? '{"ok": false}' : '{"ok": true}');
  };
  const bad = await listen(failingHandler, sharedAddress ? "127.0.0.1" : "127.0.0.2", sharedAddress ? 0 : good.port);
  const vip = sharedAddress ? await virtualIp([good.port, bad.port]) : undefined;
  const resolve: Resolve = async () => ["127.0.0.1", "127.0.0.2"];
  const target = vip !== undefined ? `${vip.url}/x` : `http://orders.bench:${good.port}/x`;
  const callers = await Promise.all(candidates.map((candidate) => caller(candidate, [target], false, resolve)));
  try {
    await Promise.all(callers.map((service) => paced(service.url, 20 / 0.05, 0.05))); // 20 at once
    await Promise.all(callers.map((service) => paced(service.url, rate, 3)));
    failing = true;
    const results = await Promise.all(callers.map((service) => paced(service.url, rate, seconds - 3)));
    return results.map((statuses) => statuses.filter((code) => code === 200).length / statuses.length);
  } finally {
    await Promise.all(callers.map((service) => service.close()));
    await vip?.close();
    await good.close();
    await bad.close();
  }
}

interface Process {
  url: string;
  pid: number;
}

const CLOCK_TICKS = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }));

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(")").pop()?.trim().split(" ") ?? [];
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS; // utime + stime
}

/** Run `script` with node on a free loopback port until it answers GET /hello, then warmed up. */
async function serviceProcess<T>(script: string, env: Record<string, string>, use: (service: Process) => Promise<T>): Promise<T> {
  const probe = await listen(() => {});
  const port = probe.port;
  await probe.close();
  const child: ChildProcess = spawn(process.execPath, [script], {
    env: { ...process.env, HOST: "127.0.0.1", PORT: String(port), SHUTDOWN_DRAIN_SECONDS: "0", ...env },
    stdio: "ignore",
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    for (let i = 0; i < 300; i += 1) {
      if ((await get(`${url}/hello`)).status === 200) break;
      await sleep(100);
    }
    // Warm up: a fresh process answers its first requests some 100 ms late (lazy loading,
    // the JIT), which is start-up, not what the figures measure.
    for (let wave = 0; wave < 10; wave += 1) await Promise.all(Array.from({ length: 20 }, () => get(`${url}/hello`)));
    return await use({ url, pid: child.pid as number });
  } finally {
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGINT");
    await exited;
  }
}

/** Two hops, every hop with the shipped budget and no breaker: attempts at the last downstream per call. */
async function twoHop(): Promise<number> {
  const down = new Downstreams();
  down.status = 503;
  const last = await listen(down.handle);
  const serve = async (target: string): Promise<[Platform, string]> => {
    const settings = { ...loadSettings({}), host: "127.0.0.1", port: 0, accessLog: false, breakerEnabled: false };
    const platform = createPlatform(settings, {
      logger: createLogger({ serviceName: "bench", level: "fatal" }, quiet),
      metrics: new Metrics({ processMetrics: false }),
    });
    // The pattern a service follows: a failed downstream becomes the platform's 502 (x-paved-no-retry).
    platform.app.get("/example", async (_request, reply) => {
      const answer = await platform.client.get(target);
      if (answer.status >= 500) return reply.code(502).header("x-paved-no-retry", "relayed").send({});
      return {};
    });
    return [platform, await platform.listen()];
  };
  const [second, secondUrl] = await serve(`${last.url}/c/x`);
  const [first, firstUrl] = await serve(`${secondUrl}/example`);
  for (let i = 0; i < REQUESTS; i += 1) await get(`${firstUrl}/example`);
  await first.app.close();
  await second.app.close();
  await last.close();
  return down.count("c") / REQUESTS;
}

interface Shedding {
  limit: number;
  admitted: number; // not shed: held at the downstream, then answered
  shed: number; // 503 from the in-app shedder, with Retry-After
  outboundLimited: number; // 503 from the per-host outbound limit (must be 0: shedding answers first)
  withoutRetryAfter: number; // any 503 without Retry-After (must be 0)
  slowestShedMs: number;
}

/**
 * 2x the default inbound limit of slow requests, every limit at its default. The admitted
 * requests are held at the downstream until every request has been shed or admitted.
 */
async function shedding(): Promise<Shedding> {
  const limit = loadSettings({}).maxInFlightRequests;
  const held: (() => void)[] = [];
  const down = await listen((_req, res) => held.push(() => res.end('{"ok": true}')));
  try {
    return await serviceProcess(SERVICE, { EXAMPLE_DOWNSTREAM_URL: `${down.url}/example`, ACCESS_LOG: "false" }, async (service) => {
      let done = 0;
      const results = Array.from({ length: 2 * limit }, async () => {
        const started = performance.now();
        const answer = await get(`${service.url}/example`);
        done += 1;
        return { ...answer, ms: performance.now() - started };
      });
      while (held.length + done < 2 * limit) await sleep(10);
      for (const release of held) release();
      const answers = await Promise.all(results);
      const unavailable = answers.filter((answer) => answer.status === 503);
      const shed = unavailable.filter((answer) => answer.headers["x-paved-no-retry"] === undefined);
      return {
        limit,
        admitted: answers.length - shed.length,
        shed: shed.length,
        outboundLimited: unavailable.length - shed.length,
        withoutRetryAfter: unavailable.filter((answer) => answer.headers["retry-after"] === undefined).length,
        slowestShedMs: Math.max(0, ...shed.map((answer) => answer.ms)),
      };
    });
  } finally {
    await down.close();
  }
}

/**
 * p99 of (time to the answer - deadline) with the downstream hanging, every default on
 * (breaker included); and how many answers were not 504 (a breaker opened by the caller's
 * own deadlines would turn them into fast 503s).
 */
async function overshoot(deadlineMs = 200): Promise<{ p99: number; firstWaveWorst: number; not504: number }> {
  const down = await listen(() => {}); // never answers
  try {
    return await serviceProcess(SERVICE, { EXAMPLE_DOWNSTREAM_URL: `${down.url}/example`, ACCESS_LOG: "false" }, async (service) => {
      const wave = () =>
        Promise.all(
          Array.from({ length: 10 }, async (): Promise<[number, number]> => {
            const started = performance.now();
            const answer = await get(`${service.url}/example`, { "x-request-timeout-ms": String(deadlineMs) });
            return [performance.now() - started - deadlineMs, answer.status];
          }),
        );
      // The first wave of a fresh process is measured apart: its first outbound calls and
      // errors load code lazily (tens of ms), which is start-up, not the deadline's precision.
      const first = await wave();
      const results: [number, number][] = [];
      for (let round = 0; round < 20; round += 1) results.push(...(await wave()));
      return {
        p99: p99(results.map(([ms]) => ms)),
        firstWaveWorst: Math.max(...first.map(([ms]) => ms)),
        not504: [...first, ...results].filter(([, status]) => status !== 504).length,
      };
    });
  } finally {
    await down.close();
  }
}

/** Time an open breaker takes to reject a call, in microseconds: mean and p99 of 10,000. */
async function breakerRejectionUs(): Promise<[number, number]> {
  const down = await listen((_req, res) => {
    res.writeHead(500);
    res.end();
  });
  const platform = createPlatform(
    { ...loadSettings({}), host: "127.0.0.1", port: 0 },
    { logger: createLogger({ serviceName: "bench", level: "fatal" }, quiet), metrics: new Metrics({ processMetrics: false }) },
  );
  for (let i = 0; i < 20; i += 1) await platform.client.get(`${down.url}/`);
  const timings: number[] = [];
  for (let i = 0; i < 10_000; i += 1) {
    const started = performance.now();
    await platform.client.get(`${down.url}/`).catch((error: unknown) => {
      if (!(error instanceof CircuitOpen)) throw error;
    });
    timings.push((performance.now() - started) * 1000);
  }
  await platform.client.close();
  await down.close();
  return [timings.reduce((a, b) => a + b, 0) / timings.length, p99(timings)];
}

async function cpuPerRequestUs(script: string, env: Record<string, string>, count = 5000): Promise<number> {
  return serviceProcess(script, env, async (service) => {
    for (let i = 0; i < 300; i += 1) await get(`${service.url}/hello`); // warm up
    const before = cpuSeconds(service.pid);
    for (let i = 0; i < count; i += 1) await get(`${service.url}/hello`);
    return ((cpuSeconds(service.pid) - before) / count) * 1e6;
  });
}

/** CPU per trivial request: bare Fastify, and the service with spans exported over OTLP. */
async function observabilityOverheadUs(): Promise<[number, number]> {
  const collector = await listen((req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end("{}");
    });
  });
  try {
    const bare = await cpuPerRequestUs(BARE, {});
    const full = await cpuPerRequestUs(SERVICE, { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url });
    return [bare, full];
  } finally {
    await collector.close();
  }
}

/** Requests that failed while the service shut down gracefully (20 in flight at SIGTERM). */
async function gracefulShutdown(): Promise<number> {
  const settings = { ...loadSettings({}), host: "127.0.0.1", port: 0, shutdownDrainSeconds: 0.5 };
  const platform = createPlatform(settings, {
    logger: createLogger({ serviceName: "bench", level: "fatal" }, quiet),
    metrics: new Metrics({ processMetrics: false }),
  });
  platform.app.get("/slow", async () => {
    await sleep(300);
    return {};
  });
  const url = await platform.listen();
  const inFlight = Array.from({ length: 20 }, () => get(`${url}/slow`));
  await sleep(50);
  await platform.shutdown();
  return (await Promise.all(inFlight)).filter((answer) => answer.status !== 200).length;
}

async function main(): Promise<void> {
  process.stdout.write(
    "node-service benchmark, loopback. Retry amplification at 100 % downstream failure: " +
      `downstream attempts / calls over ${(FAIL_SECONDS * scale).toFixed(0)} s of failure after ` +
      `${(WARM_SECONDS * scale).toFixed(0)} s of healthy traffic (target <= 1.2; naive 3.0)\n\n`,
  );
  const table: [number, number][][] = [];
  for (const shape of SHAPES) table.push(await amplification(shape));
  process.stdout.write(`${"budget".padEnd(40)}${SHAPES.map((shape) => (shape.name.split(":")[0] ?? "").padStart(11)).join("")}\n`);
  CANDIDATES.forEach((candidate, index) => {
    const figures = table.map((column) => (column[index]?.[0] ?? 0).toFixed(3).padStart(11)).join("");
    process.stdout.write(`${candidate.name.padEnd(40)}${figures}\n`);
  });
  const rates = table.map((column) => Math.min(...column.map(([, rate]) => rate)));
  process.stdout.write(
    `${"calls/s achieved (lowest of the rows)".padEnd(40)}${rates.map((rate) => rate.toFixed(1).padStart(11)).join("")}\n`,
  );
  for (const shape of SHAPES.slice(3)) process.stdout.write(`  ${shape.name}\n`);

  process.stdout.write(
    "\nOne of two instances answering 503 after 3 s, 50 req/s: share of calls that succeed " +
      "(targets >= 99 % with own addresses, >= 80 % behind one address)\n\n",
  );
  const rounds = 4;
  const roundSeconds = Math.max(5, 10 * scale);
  const control: Candidate = {
    name: "control: failed connection reused",
    breaker: false,
    connections: () => new FailedConnectionsReused(loadSettings({}).outboundConnectTimeoutSeconds * 1000),
  };
  const own = await oneInstanceDown(CANDIDATES, false, 50, FAIL_SECONDS * scale + 3);
  const shared: number[][] = [];
  for (let round = 0; round < rounds; round += 1) {
    shared.push(await oneInstanceDown([...CANDIDATES, control], true, 50, roundSeconds));
  }
  const percent = (share: number, digits: number) => `${(share * 100).toFixed(digits)}%`;
  process.stdout.write(
    `${"budget".padEnd(40)}${"own addresses".padStart(16)}${`one address, ${rounds} runs`.padStart(26)}${"worst run".padStart(12)}\n`,
  );
  [...CANDIDATES, control].forEach((candidate, index) => {
    const runs = shared.map((round) => round[index] ?? 0);
    const mean = runs.reduce((a, b) => a + b, 0) / runs.length;
    const ownShare = index < CANDIDATES.length ? percent(own[index] ?? 0, 2) : "-";
    process.stdout.write(
      `${candidate.name.padEnd(40)}${ownShare.padStart(16)}` +
        `${percent(mean, 2).padStart(26)}${percent(Math.min(...runs), 1).padStart(12)}\n`,
    );
  });
  process.stdout.write(
    `  ${rounds} runs of ${roundSeconds.toFixed(0)} s with fresh services behind one address (a virtual IP ` +
      "balancing connections at random)\n",
  );

  process.stdout.write("\nShipped defaults\n\n");
  row("two-hop chain, budget only (no breaker)", (await twoHop()).toFixed(3), "<= 1.2 (naive 9)");
  const shed = await shedding();
  row(
    `load shedding, ${2 * shed.limit} slow requests, default limits: admitted / shed`,
    `${shed.admitted} / ${shed.shed}`,
    `${shed.limit} / ${shed.limit}`,
  );
  row("  503 from the per-host outbound limit instead", String(shed.outboundLimited), "0");
  row("  503 answers without Retry-After", String(shed.withoutRetryAfter), "0");
  row("  slowest shed answer", `${shed.slowestShedMs.toFixed(1)} ms`, "fast (<< the held ones)");
  const late = await overshoot();
  row("deadline overshoot p99, 200 ms deadline, breaker on", `${late.p99.toFixed(1)} ms`, "<= 50 ms");
  row("  first wave of a fresh process (not in the p99), worst", `${late.firstWaveWorst.toFixed(1)} ms`, "reported");
  row("  answers other than 504 (breaker opened by deadlines)", String(late.not504), "0");
  const [meanUs, p99Us] = await breakerRejectionUs();
  row("open breaker rejection, mean / p99", `${meanUs.toFixed(0)} / ${p99Us.toFixed(0)} us`, "<= 1000 us");
  const [bareUs, fullUs] = await observabilityOverheadUs();
  row("CPU per trivial request, bare Fastify", `${bareUs.toFixed(0)} us`, "");
  row("CPU per trivial request, full golden path", `${fullUs.toFixed(0)} us`, "");
  row("observability + platform CPU overhead", `${(fullUs - bareUs).toFixed(0)} us`, "<= 350 us");
  row("failed requests across a graceful shutdown (20 in flight)", String(await gracefulShutdown()), "0");
}

await main();
process.exit(0);
