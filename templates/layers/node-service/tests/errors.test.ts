/**
 * What the inbound caller gets when an outbound call fails: python-service's mapping
 * (platform/errors.py), so callers and the chaos experiment read both golden paths alike.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { request } from "undici";
import { NO_RETRY_HEADER } from "../src/platform/outcome.js";
import { closedPort, downstream, startPlatform } from "./support.js";

test("a call that got no answer within the per-call timeout is answered 504; a refused one 502", async () => {
  const silent = await downstream(() => {}); // holds every request
  const refused = await closedPort();
  const service = await startPlatform({ outboundTimeoutSeconds: 0.2, breakerEnabled: false }, (platform) => {
    platform.app.get("/silent", async () => (await platform.client.get(`${silent.url}/x`)).status);
    platform.app.get("/refused", async () => (await platform.client.get(`${refused}/x`)).status);
  });
  try {
    const timedOut = await request(`${service.url}/silent`);
    const body = (await timedOut.body.json()) as { error: string };
    assert.equal(timedOut.statusCode, 504);
    assert.match(body.error, /^GET 127\.0\.0\.1:\d+: no answer within 200 ms$/);
    assert.equal(timedOut.headers[NO_RETRY_HEADER], "DownstreamError");
    assert.equal(silent.requests.length, 1); // a timed-out call is not retried
    const failed = await request(`${service.url}/refused`);
    await failed.body.dump();
    assert.equal(failed.statusCode, 502);
    assert.equal(failed.headers[NO_RETRY_HEADER], "DownstreamError");
  } finally {
    await service.close();
    await silent.close();
  }
});
