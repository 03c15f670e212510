import assert from "node:assert/strict";
import { test } from "node:test";
import { CircuitBreaker, State } from "../src/platform/breaker.js";
import { CircuitOpen } from "../src/platform/errors.js";
import { downstream, startPlatform, status } from "./support.js";

function breaker(clock: { now: number }) {
  return new CircuitBreaker({ failureRatio: 0.5, minCalls: 4, windowMs: 10_000, openMs: 5000, probes: 2, clock: () => clock.now });
}

test("the breaker opens at the failure ratio once enough calls were made, then probes and closes", () => {
  const clock = { now: 1000 };
  const guard = breaker(clock);
  for (const outcome of ["success", "failure", "success"] as const) {
    const permit = guard.allow();
    assert.ok(permit);
    guard.record(permit, outcome);
  }
  assert.equal(guard.state, State.Closed); // 3 calls: below minCalls
  const permit = guard.allow();
  assert.ok(permit);
  guard.record(permit, "failure"); // 2 of 4 failed
  assert.equal(guard.state, State.Open);
  assert.equal(guard.allow(), undefined);
  clock.now += 5000;
  const probes = [guard.allow(), guard.allow()];
  assert.equal(guard.allow(), undefined); // only 2 probes
  assert.equal(guard.state, State.HalfOpen);
  for (const probe of probes) guard.record(probe ?? assert.fail(), "success");
  assert.equal(guard.state, State.Closed);
});

test("a failed probe opens the breaker again; a permit from before cannot decide", () => {
  const clock = { now: 0 };
  const guard = breaker(clock);
  const stale = guard.allow() ?? assert.fail();
  for (let i = 0; i < 4; i += 1) guard.record(guard.allow() ?? assert.fail(), "failure");
  assert.equal(guard.state, State.Open);
  clock.now += 5000;
  const probe = guard.allow() ?? assert.fail();
  guard.record(stale, "success");
  assert.equal(guard.state, State.HalfOpen);
  guard.record(probe, "failure");
  assert.equal(guard.state, State.Open);
});

test("an open breaker rejects calls without sending them, and the metric counts them", async () => {
  const down = await downstream(status(500));
  const service = await startPlatform({ breakerMinCalls: 5, outboundMaxAttempts: 1 });
  try {
    for (let i = 0; i < 5; i += 1) assert.equal((await service.platform.client.get(`${down.url}/x`)).status, 500);
    await assert.rejects(service.platform.client.get(`${down.url}/x`), CircuitOpen);
    assert.equal(down.requests.length, 5);
    const text = await service.platform.metrics.registry.metrics();
    assert.match(text, /outbound_circuit_breaker_rejected_total\{host="127\.0\.0\.1:\d+"\} 1/);
    assert.match(text, /outbound_circuit_breaker_state\{host="127\.0\.0\.1:\d+",route=""\} 1/);
  } finally {
    await service.close();
    await down.close();
  }
});
