import assert from "node:assert/strict";
import { test } from "node:test";
import { timeoutFromHeaders } from "../src/platform/deadline.js";

test("the shortest deadline header wins, in milliseconds", () => {
  assert.equal(timeoutFromHeaders({ "x-request-timeout-ms": "800", "grpc-timeout": "2S" }), 800);
  assert.equal(timeoutFromHeaders({ "x-envoy-expected-rq-timeout-ms": "150", "x-request-timeout-ms": "800" }), 150);
  assert.equal(timeoutFromHeaders({ "grpc-timeout": "250m" }), 250);
  assert.equal(timeoutFromHeaders({ "grpc-timeout": "1M" }), 60_000);
});

test("malformed deadline headers are ignored, a negative one has passed", () => {
  assert.equal(timeoutFromHeaders({ "x-request-timeout-ms": "soon", "grpc-timeout": "123456789S" }), undefined);
  assert.equal(timeoutFromHeaders({ "x-request-timeout-ms": "١٠٠" }), undefined);
  assert.equal(timeoutFromHeaders({ "x-request-timeout-ms": "-5" }), 0);
  assert.equal(timeoutFromHeaders({}), undefined);
});
