/**
 * The chaos experiment (chaos/experiment.json) against the real service, the fault proxy and a
 * stand-in for the dependency, all on 127.0.0.1, as `make chaos` runs it (Chaos Toolkit from
 * .venv, which `make install` creates).
 *
 * As shipped every hypothesis passes (the CI job `chaos` runs `make chaos`). Here a property is
 * broken through its setting, and the experiment must fail naming the hypotheses that cover it.
 * (Hypotheses with time bounds, such as the p99 of the steady state, can also fail on a machine
 * too busy to answer in time, so the other verdicts are not asserted here.)
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { runExperiment } from "../src/platform/chaos/run.js";
import type { Outcome } from "../src/platform/chaos/verdicts.js";

const EXPERIMENT = "chaos/experiment.json"; // npm test runs in the repository's root, as make chaos
const BREAKER = [
  "breaker: opens under 100 % 503s, then rejects calls without a network attempt",
  "breaker: opens when the dependency resets connections",
];
const folder = mkdtempSync(join(tmpdir(), "chaos-"));
after(() => rmSync(folder, { recursive: true, force: true }));

function rejected(outcome: Outcome): string[] {
  return outcome.verdicts.filter((verdict) => !verdict.passed).map((verdict) => verdict.name);
}

test("with the breaker disabled the breaker hypotheses fail", async () => {
  const journal = join(folder, "breaker.json");
  const outcome = await runExperiment(EXPERIMENT, journal, { BREAKER_ENABLED: "false" });
  for (const name of BREAKER) assert.ok(rejected(outcome).includes(name), `${name} not rejected`);
  assert.deepEqual([outcome.passed, outcome.status], [false, "failed"]);
  assert.equal(JSON.parse(readFileSync(journal, "utf8")).status, "failed"); // Chaos Toolkit's own verdict
  const figures = new Map(outcome.verdicts.map((verdict) => [verdict.name, verdict.figure]));
  assert.equal(figures.get(BREAKER[0] as string), "none of 60 calls was rejected: the breaker did not open");
});

test("broken timeouts, retry budget and shedding fail their hypotheses", async () => {
  // The breaker off too: it would otherwise cap the retries a broken budget lets through.
  const broken = {
    OUTBOUND_TIMEOUT_SECONDS: "3", // the experiment expects calls cut at 1 s
    RETRY_BUDGET_RATIO: "1", // every failed call may be retried
    MAX_IN_FLIGHT_REQUESTS: "100", // the experiment sends twice 8 at once
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
