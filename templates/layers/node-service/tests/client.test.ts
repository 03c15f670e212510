import assert from "node:assert/strict";
import { test } from "node:test";
import { context, trace } from "@opentelemetry/api";
import { Deadline, withScope } from "../src/platform/deadline.js";
import { ConcurrencyLimited, DeadlineExceeded, DownstreamError } from "../src/platform/errors.js";
import { closedPort, downstream, startPlatform, status } from "./support.js";

test("502, 503 and 504 are retried up to 3 attempts in all (when the budget allows)", async () => {
  const down = await downstream((req, res, count) => status([502, 504, 200, 503, 503, 503, 503][count - 1] ?? 200)(req, res));
  const service = await startPlatform({ retryBudgetRatio: 2 });
  try {
    assert.equal((await service.platform.client.get(`${down.url}/x`)).status, 200);
    assert.equal(down.requests.length, 3);
    assert.equal((await service.platform.client.get(`${down.url}/x`)).status, 503);
    assert.equal(down.requests.length, 6);
  } finally {
    await service.close();
    await down.close();
  }
});

test("connection refused is retried and ends in DownstreamError", async () => {
  const service = await startPlatform({ breakerEnabled: false, retryBudgetRatio: 2 });
  try {
    await assert.rejects(service.platform.client.get(`${await closedPort()}/x`), DownstreamError);
    const text = await service.platform.metrics.registry.metrics();
    assert.match(text, /outbound_retries_total\{host="127\.0\.0\.1:\d+",outcome="failure"\} 2/);
  } finally {
    await service.close();
  }
});

test("a POST is retried only with an Idempotency-Key; other 5xx and 4xx never", async () => {
  const down = await downstream(status(503));
  const service = await startPlatform({ breakerEnabled: false, retryBudgetRatio: 2 });
  try {
    await service.platform.client.post(`${down.url}/x`, { body: "{}" });
    assert.equal(down.requests.length, 1);
    await service.platform.client.post(`${down.url}/x`, { body: "{}", headers: { "Idempotency-Key": "k1" } });
    assert.equal(down.requests.length, 4);
  } finally {
    await service.close();
    await down.close();
  }
  for (const code of [500, 404]) {
    const other = await downstream(status(code));
    const again = await startPlatform({ breakerEnabled: false });
    try {
      assert.equal((await again.platform.client.get(`${other.url}/x`)).status, code);
      assert.equal(other.requests.length, 1);
    } finally {
      await again.close();
      await other.close();
    }
  }
});

test("the retry budget: N calls to a failing host send N + max(1, N / 10) attempts", async () => {
  const down = await downstream(status(503));
  const service = await startPlatform({ breakerEnabled: false });
  try {
    for (let i = 0; i < 30; i += 1) await service.platform.client.get(`${down.url}/x`);
    assert.equal(down.requests.length, 33);
    const text = await service.platform.metrics.registry.metrics();
    assert.match(text, /outbound_retry_budget_exhausted_total\{host="127\.0\.0\.1:\d+"\} 30/);
  } finally {
    await service.close();
    await down.close();
  }
});

test("Retry-After longer than the deadline allows is not waited for", async () => {
  const down = await downstream(status(503, { "retry-after": "5" }));
  const service = await startPlatform({ breakerEnabled: false });
  try {
    const answer = await withScope({ deadline: Deadline.after(1000), signal: new AbortController().signal }, () =>
      service.platform.client.get(`${down.url}/x`),
    );
    assert.equal(answer.status, 503);
    assert.equal(down.requests.length, 1);
  } finally {
    await service.close();
    await down.close();
  }
});

test("the deadline goes downstream, less the margin, with the trace context", async () => {
  const down = await downstream(status(200));
  const service = await startPlatform();
  try {
    const span = trace.getTracer("test").startSpan("caller");
    await context.with(trace.setSpan(context.active(), span), () =>
      withScope({ deadline: Deadline.after(500), signal: new AbortController().signal }, () =>
        service.platform.client.get(`${down.url}/x`),
      ),
    );
    span.end();
    const [request] = down.requests;
    const sent = Number(request?.headers["x-request-timeout-ms"]);
    assert.ok(sent > 0 && sent <= 480, `x-request-timeout-ms ${sent}`);
    assert.match(String(request?.headers.traceparent), new RegExp(`^00-${span.spanContext().traceId}-`));
  } finally {
    await service.close();
    await down.close();
  }
});

test("a spent deadline fails before any network work; a slow answer is cut at the deadline", async () => {
  let release = () => {};
  const down = await downstream((_req, res) => {
    release = () => res.end("late");
  });
  const service = await startPlatform();
  try {
    const spent = { deadline: Deadline.after(10), signal: new AbortController().signal };
    await new Promise((resolve) => setTimeout(resolve, 40));
    await assert.rejects(withScope(spent, () => service.platform.client.get(`${down.url}/x`)), DeadlineExceeded);
    assert.equal(down.requests.length, 0);
    const started = performance.now();
    const scope = { deadline: Deadline.after(200), signal: new AbortController().signal };
    await assert.rejects(withScope(scope, () => service.platform.client.get(`${down.url}/x`)), DeadlineExceeded);
    const overshoot = performance.now() - started - 200;
    assert.ok(overshoot < 200, `overshoot ${overshoot} ms`);
    assert.equal(down.requests.length, 1);
  } finally {
    release();
    await service.close();
    await down.close();
  }
});

test("a host's concurrency limit fails the call at once", async () => {
  const held: (() => void)[] = [];
  const down = await downstream((_req, res) => held.push(() => res.end("ok")));
  const service = await startPlatform({ outboundMaxInFlightPerHost: 2 });
  try {
    const first = [service.platform.client.get(`${down.url}/a`), service.platform.client.get(`${down.url}/b`)];
    while (down.requests.length < 2) await new Promise((resolve) => setTimeout(resolve, 5));
    await assert.rejects(service.platform.client.get(`${down.url}/c`), ConcurrencyLimited);
    for (const answer of held) answer();
    assert.deepEqual((await Promise.all(first)).map((a) => a.status), [200, 200]);
  } finally {
    await service.close();
    await down.close();
  }
});
