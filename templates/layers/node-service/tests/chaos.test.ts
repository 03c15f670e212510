/**
 * The chaos experiment (chaos/experiment.json) against the real service, the fault proxy and a
 * stand-in for the dependency, all on 127.0.0.1, as `make chaos` runs it (Chaos Toolkit from
 * .venv, which `make install` creates).
 *
 * As shipped every hypothesis passes (the CI job `chaos` runs `make chaos`). Here a property is
 * broken through its setting, and the experiment must fail naming the hypotheses that cover it.
 * The hypotheses under faults are judged on counts and order (calls cut before the dependency
 * answered, deadline headers sent downstream, answers shed and counted), so a busy machine does
 * not fail them; the steady state's p99 is a time bound (the SLO's), so the verdicts of the
 * hypotheses a test does not break are not asserted here.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { runExperiment, serviceEnvironment } from "../src/platform/chaos/run.js";
import type { Outcome } from "../src/platform/chaos/verdicts.js";
import { loadSettings } from "../src/platform/settings.js";

const EXPERIMENT = "chaos/experiment.json"; // npm test runs in the repository's root, as make chaos
const BREAKER = [
  "breaker: opens under 100 % 503s, then rejects calls without a network attempt",
  "breaker: opens when the dependency resets connections",
];
const DEADLINES = [
  "deadlines: callers get their 504 by their own deadline",
  "deadlines: a request with no time left makes no downstream call",
];
// The settings the experiment's `service` extension may set: MAX_IN_FLIGHT_REQUESTS scaled from
// the shipped default (chaos/experiment.json says why), and what no hypothesis is about.
const SCALE = 10;
const folder = mkdtempSync(join(tmpdir(), "chaos-"));
after(() => rmSync(folder, { recursive: true, force: true }));

function rejected(outcome: Outcome): string[] {
  return outcome.verdicts.filter((verdict) => !verdict.passed).map((verdict) => verdict.name);
}

test("with the breaker disabled and deadline headers ignored, their hypotheses fail", async () => {
  // Two independent properties broken in one run (a run takes about 30 s), as python-service's
  // test; each figure below names its own cause.
  const journal = join(folder, "breaker.json");
  const broken = { BREAKER_ENABLED: "false", DEADLINE_HEADERS_ENABLED: "false" };
  const outcome = await runExperiment(EXPERIMENT, journal, broken);
  for (const name of [...BREAKER, ...DEADLINES]) assert.ok(rejected(outcome).includes(name), `${name} not rejected`);
  assert.deepEqual([outcome.passed, outcome.status], [false, "failed"]);
  assert.equal(JSON.parse(readFileSync(journal, "utf8")).status, "failed"); // Chaos Toolkit's own verdict
  const figures = new Map(outcome.verdicts.map((verdict) => [verdict.name, verdict.figure]));
  assert.equal(figures.get(BREAKER[0] as string), "none of 60 calls was rejected: the breaker did not open");
  // The service gave the calls its own 10 s default instead of the callers' 300 ms and 0 ms:
  // the per-call timeout (2 s) bounded what went downstream, and a spent deadline made calls.
  assert.ok(figures.get(DEADLINES[0] as string)?.endsWith("deadline sent downstream: 2000 ms"), figures.get(DEADLINES[0] as string));
  assert.equal(figures.get(DEADLINES[1] as string), "3 x 504; 3 downstream call(s)");
});

test("the experiment's figures are the shipped settings", () => {
  // No free numbers: each figure a probe or a fault uses is derived from the setting the
  // service runs with, and that is the shipped default, but for the one scaled setting.
  const experiment = JSON.parse(readFileSync(EXPERIMENT, "utf8"));
  const shipped = loadSettings({});
  const limit = Math.floor(shipped.maxInFlightRequests / SCALE);
  assert.deepEqual(serviceEnvironment(experiment), {
    MAX_IN_FLIGHT_REQUESTS: String(limit),
    SHUTDOWN_DRAIN_SECONDS: "0",
    LOG_LEVEL: "warn",
  });
  const timeout = shipped.outboundTimeoutSeconds;
  let fault: { kind?: string; seconds?: number } = {};
  const checked: string[] = [];
  for (const activity of experiment.method) {
    const provider = activity.provider;
    if (activity.type === "action") {
      fault = provider.method === "PUT" ? provider.arguments : {};
      continue;
    }
    const [, probe, ...options] = provider.arguments as string[];
    const args = new Map(options.map((option) => [option.slice(2, option.indexOf("=")), option.slice(option.indexOf("=") + 1)]));
    const number = (name: string): number => Number(args.get(name));
    checked.push(probe as string);
    const seconds = fault.seconds ?? 0;
    if (probe === "calls_end_at_the_timeout") {
      assert.equal(number("timeout-seconds"), timeout);
      // The dependency answers (latency, or 15 bytes trickled) no sooner than twice it.
      assert.ok(seconds * (fault.kind === "latency" ? 1 : 15) >= 2 * timeout);
    } else if (probe === "deadlines_are_kept") {
      assert.deepEqual([number("timeout-seconds"), seconds], [timeout, 2 * timeout]);
      assert.ok(number("deadline-ms") < timeout * 1000);
    } else if (probe === "amplification_within_budget") {
      assert.ok(1 + shipped.retryBudgetRatio <= number("limit") && number("limit") === 1.2);
    } else if (probe === "breaker_opens") {
      assert.equal(number("max-calls"), 3 * shipped.breakerMinCalls);
    } else if (probe === "breaker_closes") {
      assert.equal(number("within-seconds"), 2 * shipped.breakerOpenSeconds);
    } else if (probe === "sheds_with_retry_after") {
      assert.deepEqual([number("limit"), seconds], [limit, timeout / 2]);
    }
  }
  assert.deepEqual(checked, [
    "calls_end_at_the_timeout",
    "deadlines_are_kept",
    "spent_deadline_makes_no_call",
    "amplification_within_budget",
    "breaker_opens",
    "breaker_closes",
    "breaker_opens",
    "breaker_closes",
    "calls_end_at_the_timeout",
    "sheds_with_retry_after",
  ]);
});

test("broken timeouts, retry budget and shedding fail their hypotheses", async () => {
  // The breaker off too: it would otherwise cap the retries a broken budget lets through.
  const broken = {
    OUTBOUND_TIMEOUT_SECONDS: "5", // the experiment expects calls cut at 2 s
    RETRY_BUDGET_RATIO: "1", // every failed call may be retried
    MAX_IN_FLIGHT_REQUESTS: "100", // the experiment sends twice 10 at once
    BREAKER_ENABLED: "false",
  };
  const outcome = await runExperiment(EXPERIMENT, join(folder, "broken.json"), broken);
  for (const name of [
    "timeouts: a call to a dependency slower than the per-call timeout ends at the timeout",
    "retry budget: amplification stays within 1.2 while every attempt fails",
    ...BREAKER,
    "timeouts: a trickling answer is cut at the per-call timeout",
    "shedding: twice the in-flight limit at once, the excess answered 503 with Retry-After",
  ]) {
    assert.ok(rejected(outcome).includes(name), `${name} not rejected`);
  }
  assert.equal(outcome.passed, false);
});
