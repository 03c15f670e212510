import assert from "node:assert/strict";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { request } from "undici";
import { spans, startPlatform, testSettings } from "./support.js";

test("health, readiness, version and metrics answer", async () => {
  const service = await startPlatform({ gitCommit: "abc123" });
  try {
    assert.equal((await request(`${service.url}/livez`)).statusCode, 200);
    assert.equal((await request(`${service.url}/readyz`)).statusCode, 200);
    const version = await (await request(`${service.url}/version`)).body.json();
    assert.deepEqual(version, { service: testSettings().serviceName, git_commit: "abc123", image_digest: "unknown" });
    const metrics = await (await request(`${service.url}/metrics`)).body.text();
    for (const name of ["# TYPE http_server_request_duration_seconds histogram", "server_shed_requests_total 0", 'deadline_exceeded_total{where="inbound"} 0']) {
      assert.ok(metrics.includes(name), name);
    }
  } finally {
    await service.close();
  }
});

test("probes, /version and /metrics scrapes are neither in the request histogram nor traced, as python-service", async () => {
  const service = await startPlatform({}, (platform) => {
    platform.app.get("/hello", async () => ({ message: "hello" }));
  });
  const counts = async () =>
    (await service.platform.metrics.registry.getSingleMetricAsString("http_server_request_duration_seconds"))
      .split("\n")
      .filter((line) => line.startsWith("http_server_request_duration_seconds_count"));
  try {
    spans.reset();
    for (const path of ["/livez", "/readyz", "/version", "/metrics", "/metrics", "/hello"]) {
      await (await request(`${service.url}${path}`)).body.dump();
    }
    // The histogram is observed once the answer has left: wait for the last request's.
    const served = async () => (await counts()).some((line) => line.includes('http_route="/hello"'));
    for (let tries = 0; tries < 200 && !(await served()); tries += 1) await sleep(10);
    assert.deepEqual(await counts(), [
      'http_server_request_duration_seconds_count{http_request_method="GET",http_route="/hello",http_response_status_code="200"} 1',
    ]);
    assert.deepEqual(
      spans.getFinishedSpans().map((span) => span.name),
      ["GET /hello"],
    );
  } finally {
    await service.close();
  }
});

test("2N slow requests against a limit of N: N served, N shed with Retry-After", async () => {
  const service = await startPlatform({ maxInFlightRequests: 3 }, (platform) => {
    platform.app.get("/slow", async () => {
      await sleep(300);
      return { ok: true };
    });
  });
  try {
    const answers = await Promise.all(Array.from({ length: 6 }, () => request(`${service.url}/slow`)));
    const codes = answers.map((a) => a.statusCode).sort();
    assert.deepEqual(codes, [200, 200, 200, 503, 503, 503]);
    for (const answer of answers.filter((a) => a.statusCode === 503)) {
      assert.match(String(answer.headers["retry-after"]), /^[12]$/);
    }
    for (const answer of answers) await answer.body.dump();
    assert.equal((await request(`${service.url}/readyz`)).statusCode, 200); // probes are never shed
  } finally {
    await service.close();
  }
});

test("a spent deadline is answered 504 before any work; a slow handler is cut at its deadline", async () => {
  let calls = 0;
  const service = await startPlatform({}, (platform) => {
    platform.app.get("/work", async () => {
      calls += 1;
      await sleep(1000);
      return { ok: true };
    });
  });
  try {
    const spent = await request(`${service.url}/work`, { headers: { "x-request-timeout-ms": "0" } });
    assert.equal(spent.statusCode, 504);
    assert.equal(calls, 0);
    const started = performance.now();
    const cut = await request(`${service.url}/work`, { headers: { "grpc-timeout": "100m" } });
    assert.equal(cut.statusCode, 504);
    assert.ok(performance.now() - started < 900);
    await cut.body.dump();
  } finally {
    await service.close();
  }
});

test("access logs are JSON with the trace id of the request, credentials redacted", async () => {
  const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
  const service = await startPlatform({}, (platform) => {
    platform.app.get("/hello", async (req) => {
      platform.logger.info({ req: { headers: req.headers } }, "handled");
      return { message: "hello" };
    });
  });
  try {
    const answer = await request(`${service.url}/hello`, {
      headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01`, authorization: "Bearer secret-token" },
    });
    await answer.body.dump();
    await sleep(20);
    const handled = service.logs.lines.find((line) => line.message === "handled");
    const access = service.logs.lines.find((line) => line.message === "request" && line.path === "/hello");
    assert.equal(handled?.trace_id, traceId);
    assert.equal(access?.trace_id, traceId);
    assert.equal(access?.route, "/hello");
    assert.equal(access?.status, 200);
    assert.ok(!JSON.stringify(service.logs.lines).includes("secret-token"));
    assert.equal((handled?.req as { headers: Record<string, string> }).headers.authorization, "[REDACTED]");
  } finally {
    await service.close();
  }
});

test("graceful shutdown: readiness 503 first, in-flight requests finish, none fails", async () => {
  const service = await startPlatform({ shutdownDrainSeconds: 0.3 }, (platform) => {
    platform.app.get("/slow", async () => {
      await sleep(400);
      return { ok: true };
    });
  });
  const inFlight = Array.from({ length: 5 }, () => request(`${service.url}/slow`));
  await sleep(50);
  let flushed = false;
  const stopping = service.platform.shutdown(async () => {
    flushed = true;
  });
  await sleep(50);
  assert.equal((await request(`${service.url}/readyz`)).statusCode, 503);
  const codes = await Promise.all(inFlight.map(async (p) => (await p).statusCode));
  assert.deepEqual(codes, [200, 200, 200, 200, 200]);
  await stopping;
  assert.equal(flushed, true);
});
