/** The fault proxy (src/platform/faults.ts) on real sockets: what a client meets under each fault. */
import assert from "node:assert/strict";
import { afterEach, beforeEach, test } from "node:test";
import { request } from "undici";
import { FaultProxy } from "../src/platform/faults.js";
import { type Downstream, downstream } from "./support.js";

let dependency: Downstream;
let proxy: FaultProxy;

beforeEach(async () => {
  dependency = await downstream((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" }).end('{"status": 200}');
  });
  proxy = await FaultProxy.start(dependency.url);
});

afterEach(async () => {
  await proxy.close();
  await dependency.close();
});

async function control(method: "GET" | "PUT" | "DELETE", fault?: unknown): Promise<[number, unknown]> {
  const answer = await request(`${proxy.controlUrl}/fault`, {
    method,
    headers: { "content-type": "application/json" },
    body: fault === undefined ? null : JSON.stringify(fault),
  });
  return [answer.statusCode, await answer.body.json()];
}

test("without a fault it forwards and counts", async () => {
  const answers = [];
  for (let i = 0; i < 3; i += 1) {
    const answer = await request(`${proxy.url}/example`, { headers: { "x-test": "1" } });
    answers.push([answer.statusCode, await answer.body.json()]);
  }
  assert.deepEqual(answers, Array(3).fill([200, { status: 200 }]));
  assert.equal(dependency.requests.length, 3);
  assert.equal(dependency.requests[0]?.headers["x-test"], "1");
  const { in_flight: _, ...state } = proxy.state(); // the last answer is read before the proxy counts it done
  assert.deepEqual(state, {
    fault: { kind: "none", seconds: 0, status: 503 },
    requests: 3,
    forwarded: 3,
    peak_in_flight: 1,
    abandoned: 0,
    deadlines_ms: [null, null, null],
  });
});

test("a status fault answers without calling the dependency", async () => {
  assert.equal((await control("PUT", { kind: "status", status: 503 }))[0], 200);
  const answer = await request(`${proxy.url}/example`);
  await answer.body.dump();
  assert.equal(answer.statusCode, 503);
  assert.deepEqual([dependency.requests.length, proxy.requests, proxy.forwarded], [0, 1, 0]);
});

test("a reset fault resets the connection", async () => {
  proxy.inject({ kind: "reset", seconds: 0, status: 503 });
  await assert.rejects(request(`${proxy.url}/example`), (error: Error & { cause?: { code?: string } }) => {
    assert.match(`${error.message} ${error.cause?.code ?? ""}`, /ECONNRESET|other side closed/);
    return true;
  });
  assert.equal(dependency.requests.length, 0);
});

test("latency delays the answer and trickle sends its body one byte at a time", async () => {
  proxy.inject({ kind: "latency", seconds: 0.3, status: 503 });
  const started = performance.now();
  const late = await request(`${proxy.url}/example`);
  await late.body.dump();
  assert.equal(late.statusCode, 200);
  assert.ok(performance.now() - started >= 290); // timers may fire a little early, never 10 ms
  proxy.inject({ kind: "trickle", seconds: 0.05, status: 503 });
  const answer = await request(`${proxy.url}/example`);
  assert.equal(answer.statusCode, 200); // status and headers come at once
  const chunks: Buffer[] = [];
  for await (const chunk of answer.body) chunks.push(chunk as Buffer);
  assert.equal(Buffer.concat(chunks).toString(), '{"status": 200}');
  // One byte per 50 ms: a machine too busy to read for 50 ms may read two at once, rarely more.
  assert.ok(chunks.length >= 8, `${chunks.length} chunks`);
});

test("a client that gives up under latency is no longer counted in flight", async () => {
  proxy.inject({ kind: "latency", seconds: 5, status: 503 });
  await assert.rejects(request(`${proxy.url}/example`, { headersTimeout: 100 }), { name: "HeadersTimeoutError" });
  for (let waited = 0; proxy.inFlight > 0 && waited < 100; waited += 1) await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual([proxy.inFlight, proxy.forwarded, dependency.requests.length], [0, 0, 0]);
});

/** Poll `check` (the proxy sees a client leave when its read ends): true once it holds. */
async function eventually(check: () => boolean): Promise<boolean> {
  for (let i = 0; i < 200 && !check(); i += 1) await new Promise((r) => setTimeout(r, 50));
  return check();
}

for (const kind of ["latency", "trickle"] as const) {
  test(`a client that hangs up before the answer is counted abandoned (${kind})`, async () => {
    // What the chaos experiment's timeout hypotheses count: the service cut the call before
    // the dependency's answer was complete.
    proxy.inject({ kind, seconds: 30, status: 503 });
    const options = { headers: { "x-request-timeout-ms": "180" }, headersTimeout: 200, bodyTimeout: 200 };
    await assert.rejects(async () => (await request(`${proxy.url}/example`, options)).body.text());
    assert.ok(await eventually(() => proxy.abandoned === 1));
    assert.deepEqual(proxy.state().deadlines_ms, [180]);
    proxy.inject({ kind: "none", seconds: 0, status: 503 });
    const answer = await request(`${proxy.url}/example`, { headers: { "x-request-timeout-ms": "bad" } });
    await answer.body.dump();
    assert.equal(answer.statusCode, 200);
    assert.deepEqual([proxy.abandoned, proxy.state().deadlines_ms], [1, [180, null]]);
  });
}

test("the control API refuses an unknown fault and clears with DELETE", async () => {
  assert.deepEqual(await control("PUT", { kind: "latency", seconds: "soon" }), [
    422,
    { detail: "seconds must be a number from 0 to 60" },
  ]);
  assert.deepEqual(await control("PUT", { kind: "flood" }), [
    422,
    { detail: "kind must be one of none, latency, status, reset, trickle" },
  ]);
  proxy.inject({ kind: "status", seconds: 0, status: 503 });
  const [status, cleared] = await control("DELETE");
  assert.equal(status, 200);
  assert.deepEqual((cleared as { fault: unknown }).fault, { kind: "none", seconds: 0, status: 503 });
  const answer = await request(`${proxy.url}/example`);
  await answer.body.dump();
  assert.equal(answer.statusCode, 200);
});
