/**
 * The probes chaos/experiment.json runs (Chaos Toolkit's process provider):
 *
 *     node dist/src/platform/chaos/probes.js <probe> --name=value ...
 *
 * Each hypothesis probe drives real traffic at the service, measures, and prints what it
 * measured as `{"figure": "..."}` on stdout; it exits 1 when the measurement breaks the
 * hypothesis (chaos/hypotheses.py then records the probe as failed, with the figure), 0
 * when it holds, 2 when it could not measure (the reason on stderr). The steady-state
 * probes exit 0 when within the SLO of slo.yaml (their tolerance is exit status 0).
 * The same probes, arguments and figures as paved's python-service (platform/chaos/activities.py).
 */
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { Agent, request } from "undici";
import { parseAllDocuments } from "yaml";
import type { ProxyState } from "../faults.js";

const DURATION = "http_server_request_duration_seconds";
const SETTLE_SECONDS = 10; // the longest wait for the proxy's calls to end before counting them
const agent = new Agent({ keepAliveTimeout: 1000, connectTimeout: 5_000, headersTimeout: 30_000, bodyTimeout: 30_000 });

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  seconds: number;
}

export interface Measured {
  held: boolean;
  figure: string;
}

type Args = Record<string, string | undefined>;

// --- measuring -------------------------------------------------------------------

async function get(url: string, headers: Record<string, string> = {}): Promise<Answer> {
  const started = performance.now();
  const answer = await request(url, { headers, dispatcher: agent, headersTimeout: 30_000, bodyTimeout: 30_000 });
  await answer.body.dump();
  return { status: answer.statusCode, headers: answer.headers, seconds: (performance.now() - started) / 1000 };
}

async function text(url: string): Promise<string> {
  const answer = await request(url, { dispatcher: agent, headersTimeout: 10_000, bodyTimeout: 10_000 });
  return answer.body.text();
}

/** `count` GETs at once, each with its own elapsed seconds. */
function concurrent(url: string, count: number, headers: Record<string, string> = {}): Promise<Answer[]> {
  return Promise.all(Array.from({ length: count }, () => get(url, headers)));
}

/** `count` GETs one after the other: a steady load, never shed. */
async function sequential(url: string, count: number): Promise<Answer[]> {
  const answers: Answer[] = [];
  for (let i = 0; i < count; i += 1) answers.push(await get(url));
  return answers;
}

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a Prometheus text exposition (what /metrics answers). */
export function parseExposition(exposition: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of exposition.split("\n")) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match || line.startsWith("#")) continue;
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
      labels[key as string] = (value as string).replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
    }
    samples.push({ name: match[1] as string, labels, value: number(match[3] as string) });
  }
  return samples;
}

function number(value: string): number {
  return value === "+Inf" ? Number.POSITIVE_INFINITY : value === "-Inf" ? Number.NEGATIVE_INFINITY : Number(value);
}

async function scrape(serviceUrl: string): Promise<Sample[]> {
  return parseExposition(await text(`${serviceUrl}/metrics`));
}

async function proxy(faultProxy: string): Promise<ProxyState> {
  return JSON.parse(await text(`${faultProxy}/fault`)) as ProxyState;
}

function statuses(answers: Answer[]): string {
  const counts = new Map<number, number>();
  for (const answer of answers) counts.set(answer.status, (counts.get(answer.status) ?? 0) + 1);
  return [...counts.entries()]
    .sort(([a], [b]) => a - b)
    .map(([status, n]) => `${n} x ${status}`)
    .join(", ");
}

/** The answer of an open breaker (or any platform refusal): 503 with Retry-After. */
function rejected(answer: Answer): boolean {
  return answer.status === 503 && answer.headers["retry-after"] !== undefined;
}

// --- steady state ------------------------------------------------------------------

/** (availability target, latency threshold in seconds, latency target) from an OpenSLO file. */
export function sloObjectives(sloFile: string): [number, number, number] {
  let availability: number | undefined;
  let threshold: number | undefined;
  let latencyTarget: number | undefined;
  for (const document of parseAllDocuments(readFileSync(sloFile, "utf8"))) {
    const objective = document.toJS().spec.objectives[0];
    const good: string = objective.ratioMetric.good.metricSource.spec.query;
    const bound = /le="([^"]+)"/.exec(good);
    if (bound) {
      threshold = Number(bound[1]);
      latencyTarget = Number(objective.target);
    } else {
      availability = Number(objective.target);
    }
  }
  if (availability === undefined || threshold === undefined || latencyTarget === undefined) {
    throw new Error(`${sloFile}: needs an availability and a latency objective`);
  }
  return [availability, threshold, latencyTarget];
}

interface Histogram {
  buckets: Map<number, number>;
  count: number;
  errors: number;
  exhausted: number;
}

/** Requests per bucket bound, all requests, 5xx answers (every route), and retries not
 *  sent for want of budget. */
function histogram(samples: Sample[]): Histogram {
  const found: Histogram = { buckets: new Map(), count: 0, errors: 0, exhausted: 0 };
  for (const { name, labels, value } of samples) {
    if (name === `${DURATION}_bucket`) {
      const le = number(labels.le ?? "");
      found.buckets.set(le, (found.buckets.get(le) ?? 0) + value);
    } else if (name === `${DURATION}_count`) {
      found.count += value;
      if ((labels.http_response_status_code ?? "").startsWith("5")) found.errors += value;
    } else if (name === "outbound_retry_budget_exhausted_total") {
      found.exhausted += value;
    }
  }
  return found;
}

/** Send `calls` requests to each path and measure `errors`, `latency` or `retry-budget` over
 *  them, from the service's /metrics, against the SLO in `sloFile`. */
export async function steadyState(
  serviceUrl: string,
  paths: string[],
  calls: number,
  sloFile: string,
  measure: string,
): Promise<Measured> {
  const [availability, threshold, latencyTarget] = sloObjectives(sloFile);
  const before = histogram(await scrape(serviceUrl));
  for (const path of paths) await sequential(`${serviceUrl}${path}`, calls);
  const after = histogram(await scrape(serviceUrl));
  const requests = after.count - before.count;
  if (measure === "errors") {
    const ratio = requests ? (after.errors - before.errors) / requests : 1;
    const limit = 1 - availability;
    return {
      held: ratio <= limit,
      figure: `error ratio ${ratio.toFixed(4)} over ${requests} requests (SLO: ≤ ${limit.toFixed(4)})`,
    };
  }
  if (measure === "latency") {
    const bounds = [...after.buckets.keys()].sort((a, b) => a - b);
    const within = Math.max(0, ...bounds.filter((bound) => bound <= threshold));
    const good = (after.buckets.get(within) ?? 0) - (before.buckets.get(within) ?? 0);
    const share = requests ? good / requests : 0;
    const p99 =
      bounds.find((b) => requests && (after.buckets.get(b) ?? 0) - (before.buckets.get(b) ?? 0) >= 0.99 * requests) ??
      Number.POSITIVE_INFINITY;
    return {
      held: share >= latencyTarget,
      figure:
        `p99 ≤ ${(p99 * 1000).toFixed(0)} ms, ${(share * 100).toFixed(1)}% of ${requests} requests within ` +
        `${(threshold * 1000).toFixed(0)} ms (SLO: ${(latencyTarget * 100).toFixed(0)}%)`,
    };
  }
  if (measure === "retry-budget") {
    const spent = after.exhausted - before.exhausted;
    return { held: spent === 0, figure: `retry budget exhausted ${spent} time(s) over ${requests} requests` };
  }
  throw new Error(`unknown measure ${JSON.stringify(measure)}`);
}

// --- while a fault is active ----------------------------------------------------------

/** Since `before` (the proxy's state): requests that reached the dependency, those the service
 *  abandoned before the answer was complete, and the deadline headers they carried. Read once
 *  every call the proxy holds has ended (the proxy sees a hang-up a moment after the service's
 *  answer left), at most SETTLE_SECONDS later. */
async function downstream(
  faultProxy: string,
  before: ProxyState,
): Promise<{ reached: number; abandoned: number; deadlines: (number | null)[] }> {
  let after = await proxy(faultProxy);
  for (let waited = 0; after.in_flight && waited < SETTLE_SECONDS; waited += 0.05) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    after = await proxy(faultProxy);
  }
  const reached = after.requests - before.requests;
  const deadlines = reached ? after.deadlines_ms.slice(Math.max(0, after.deadlines_ms.length - reached)) : [];
  return { reached, abandoned: after.abandoned - before.abandoned, deadlines };
}

/** Callers with no deadline of their own get a 5xx once the per-call timeout has run out,
 *  while the dependency is slower still (its answer would come later).
 *
 *  Judged on counts and order, so that a busy machine cannot fail it: every caller got a 5xx
 *  after at least the timeout (not sooner), and every call reaching the dependency was
 *  abandoned by the service before the dependency's answer was complete. */
export async function callsEndAtTheTimeout(
  serviceUrl: string,
  path: string,
  calls: number,
  timeoutSeconds: number,
  faultProxy: string,
): Promise<Measured> {
  const before = await proxy(faultProxy);
  const answers = await concurrent(`${serviceUrl}${path}`, calls);
  const { reached, abandoned } = await downstream(faultProxy, before);
  const fastest = Math.min(...answers.map((answer) => answer.seconds));
  const slowest = Math.max(...answers.map((answer) => answer.seconds));
  const failed = answers.every((answer) => answer.status >= 500);
  return {
    // A timer can fire a little early on a coarse clock: 50 ms of tolerance below.
    held: failed && fastest >= timeoutSeconds - 0.05 && reached > 0 && abandoned === reached,
    figure:
      `${statuses(answers)} after ${fastest.toFixed(2)} to ${slowest.toFixed(2)} s (per-call timeout ${timeoutSeconds} s); ` +
      `${abandoned} of ${reached} downstream call(s) cut by the service before the answer`,
  };
}

/** Callers that send a deadline shorter than the per-call timeout get their 504 from the
 *  deadline, not the timeout, and the deadline left is what goes downstream.
 *
 *  Judged on order, so that a busy machine cannot fail it: every caller got a 504 before the
 *  per-call timeout could have ended its call, and every downstream call carried a deadline
 *  header within the caller's. (How close to the deadline the 504 comes is measured by
 *  `make bench`, at p99 ≤ 50 ms past it.) */
export async function deadlinesAreKept(
  serviceUrl: string,
  path: string,
  calls: number,
  deadlineMs: number,
  timeoutSeconds: number,
  faultProxy: string,
): Promise<Measured> {
  const before = await proxy(faultProxy);
  const answers = await concurrent(`${serviceUrl}${path}`, calls, { "x-request-timeout-ms": String(deadlineMs) });
  const { reached, deadlines } = await downstream(faultProxy, before);
  const slowest = Math.max(...answers.map((answer) => answer.seconds));
  const all504 = answers.every((answer) => answer.status === 504);
  const sent = [...new Set(deadlines.map((value) => (value === null ? "None" : String(value))))].sort();
  const propagated = reached > 0 && deadlines.every((value) => value !== null && value <= deadlineMs);
  return {
    held: all504 && slowest < timeoutSeconds && propagated,
    figure:
      `${statuses(answers)}, the last after ${(slowest * 1000).toFixed(0)} ms ` +
      `(deadline ${deadlineMs} ms, per-call timeout ${timeoutSeconds} s); ` +
      `deadline sent downstream: ${sent.join(", ") || "none"} ms`,
  };
}

/** A request arriving with no time left is answered 504 and causes no downstream call. */
export async function spentDeadlineMakesNoCall(
  serviceUrl: string,
  path: string,
  calls: number,
  faultProxy: string,
): Promise<Measured> {
  const seen = (await proxy(faultProxy)).requests;
  const answers = await concurrent(`${serviceUrl}${path}`, calls, { "x-request-timeout-ms": "0" });
  const reached = (await proxy(faultProxy)).requests - seen;
  return {
    held: reached === 0 && answers.every((answer) => answer.status === 504),
    figure: `${statuses(answers)}; ${reached} downstream call(s)`,
  };
}

/** Downstream attempts per call stay within `limit` while every attempt fails. */
export async function amplificationWithinBudget(
  serviceUrl: string,
  path: string,
  calls: number,
  faultProxy: string,
  limit: number,
): Promise<Measured> {
  const seen = (await proxy(faultProxy)).requests;
  await sequential(`${serviceUrl}${path}`, calls);
  const attempts = (await proxy(faultProxy)).requests - seen;
  return {
    held: attempts / calls <= limit,
    figure: `amplification ${(attempts / calls).toFixed(2)}: ${attempts} attempts for ${calls} calls (limit ${limit})`,
  };
}

/** Under a failing dependency the breaker opens within `maxCalls` calls; then `calls` calls
 *  are answered 503 with Retry-After and none reaches the dependency. */
export async function breakerOpens(
  serviceUrl: string,
  path: string,
  faultProxy: string,
  maxCalls: number,
  calls: number,
): Promise<Measured> {
  let made = 0;
  let open = false;
  while (made < maxCalls && !open) {
    made += 1;
    open = rejected(await get(`${serviceUrl}${path}`));
  }
  if (!open) return { held: false, figure: `none of ${maxCalls} calls was rejected: the breaker did not open` };
  const seen = (await proxy(faultProxy)).requests;
  const answers = await sequential(`${serviceUrl}${path}`, calls);
  const reached = (await proxy(faultProxy)).requests - seen;
  const refused = answers.filter(rejected).length;
  return {
    held: reached === 0 && refused === calls,
    figure:
      `open after ${made} calls; then ${refused} of ${calls} calls rejected with 503 and ` +
      `Retry-After, ${reached} reached the dependency`,
  };
}

/** Once the dependency is healthy again, calls succeed and every breaker is closed again. */
export async function breakerCloses(
  serviceUrl: string,
  path: string,
  withinSeconds: number,
  successes: number,
): Promise<Measured> {
  const started = performance.now();
  let streak = 0;
  while (streak < successes && performance.now() - started < withinSeconds * 1000) {
    streak = (await get(`${serviceUrl}${path}`)).status === 200 ? streak + 1 : 0;
    if (streak === 0) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const took = (performance.now() - started) / 1000;
  const closed = (await scrape(serviceUrl))
    .filter((sample) => sample.name === "outbound_circuit_breaker_state")
    .every((sample) => sample.value === 0);
  return {
    held: streak >= successes && closed,
    figure:
      `${Math.min(streak, successes)} calls in a row succeeded after ${took.toFixed(2)} s; ` +
      `breaker ${closed ? "closed" : "not closed"}`,
  };
}

/** Twice `limit` concurrent slow requests: at most `limit` in the dependency at once, the
 *  excess answered 503 with Retry-After at once by load shedding, and nothing else.
 *
 *  Judged on counts, so that a busy machine cannot fail it: every answer is either served
 *  (200) or shed (503 with Retry-After, counted by the service's `server_shed_requests`: not a
 *  breaker's or a timeout's answer), at least one was shed, and the dependency never held
 *  more than `limit` calls at once. */
export async function shedsWithRetryAfter(
  serviceUrl: string,
  path: string,
  limit: number,
  faultProxy: string,
): Promise<Measured> {
  const shedCount = async (): Promise<number> =>
    (await scrape(serviceUrl))
      .filter((sample) => sample.name === "server_shed_requests_total")
      .reduce((sum, sample) => sum + sample.value, 0);
  const shedBefore = await shedCount();
  const answers = await concurrent(`${serviceUrl}${path}`, 2 * limit);
  const counted = (await shedCount()) - shedBefore;
  const peak = (await proxy(faultProxy)).peak_in_flight;
  const shed = answers.filter(rejected).map((answer) => answer.seconds);
  const served = answers.filter((answer) => answer.status === 200).length;
  const slowest = shed.length ? `, the slowest rejection after ${(Math.max(...shed) * 1000).toFixed(0)} ms` : "";
  return {
    held: shed.length > 0 && shed.length === counted && served + shed.length === 2 * limit && peak <= limit,
    figure:
      `${2 * limit} concurrent (${statuses(answers)}): ${served} served, ` +
      `${shed.length} shed with Retry-After${slowest} (${counted.toFixed(0)} counted by load shedding); ` +
      `${peak} in the dependency at once (limit ${limit})`,
  };
}

// --- the command line ----------------------------------------------------------------

const PROBES: Record<string, (args: Args) => Promise<Measured>> = {
  steady_state: (a) =>
    steadyState(need(a, "service-url"), need(a, "paths").split(","), int(a, "calls"), need(a, "slo-file"), need(a, "measure")),
  calls_end_at_the_timeout: (a) =>
    callsEndAtTheTimeout(need(a, "service-url"), need(a, "path"), int(a, "calls"), num(a, "timeout-seconds"), need(a, "fault-proxy")),
  deadlines_are_kept: (a) =>
    deadlinesAreKept(
      need(a, "service-url"),
      need(a, "path"),
      int(a, "calls"),
      int(a, "deadline-ms"),
      num(a, "timeout-seconds"),
      need(a, "fault-proxy"),
    ),
  spent_deadline_makes_no_call: (a) =>
    spentDeadlineMakesNoCall(need(a, "service-url"), need(a, "path"), int(a, "calls"), need(a, "fault-proxy")),
  amplification_within_budget: (a) =>
    amplificationWithinBudget(need(a, "service-url"), need(a, "path"), int(a, "calls"), need(a, "fault-proxy"), num(a, "limit")),
  breaker_opens: (a) =>
    breakerOpens(need(a, "service-url"), need(a, "path"), need(a, "fault-proxy"), int(a, "max-calls"), int(a, "calls")),
  breaker_closes: (a) => breakerCloses(need(a, "service-url"), need(a, "path"), num(a, "within-seconds"), int(a, "successes")),
  sheds_with_retry_after: (a) => shedsWithRetryAfter(need(a, "service-url"), need(a, "path"), int(a, "limit"), need(a, "fault-proxy")),
};

function need(args: Args, name: string): string {
  const value = args[name];
  if (value === undefined || value === "") throw new Error(`--${name} is required`);
  return value;
}

function num(args: Args, name: string): number {
  const value = Number(need(args, name));
  if (!Number.isFinite(value)) throw new Error(`--${name} must be a number`);
  return value;
}

function int(args: Args, name: string): number {
  const value = num(args, name);
  if (!Number.isInteger(value) || value < 0) throw new Error(`--${name} must be a whole number`);
  return value;
}

/** Runs the probe named by the first argument; the exit status is the verdict. */
export async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({ args: argv, strict: false, allowPositionals: true });
  const probe = PROBES[positionals[0] ?? ""];
  if (!probe) {
    process.stderr.write(`probes: the first argument is one of ${Object.keys(PROBES).join(", ")}\n`);
    return 2;
  }
  try {
    const measured = await probe(values as Args);
    process.stdout.write(`${JSON.stringify({ figure: measured.figure })}\n`);
    return measured.held ? 0 : 1;
  } catch (error) {
    process.stderr.write(`probes: ${positionals[0]}: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  } finally {
    await agent.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) process.exitCode = await main(process.argv.slice(2));
