/** Retries reach another instance: resolved addresses, outlier ejection, bounded per-host state. */
import assert from "node:assert/strict";
import type { IncomingMessage, ServerResponse } from "node:http";
import { test } from "node:test";
import { CircuitOpen, DownstreamError } from "../src/platform/errors.js";
import type { Metrics } from "../src/platform/metrics.js";
import { instanceFailed, retryable, serviceOutcome } from "../src/platform/outcome.js";
import { closedPort, downstream, instanceServers, ManualClock, staticResolver, status, testClient } from "./support.js";

// Instance addresses: each is dialled to its own server on 127.0.0.1 (support.ts).
const A = "10.0.0.1";
const B = "10.0.0.2";
const C = "10.0.0.3";

function answerWith(code: (address: string) => number) {
  return (address: string, _req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(code(address));
    res.end();
  };
}

async function metricLines(metrics: Metrics, name: string): Promise<string[]> {
  return (await metrics.registry.metrics()).split("\n").filter((line) => line.startsWith(`${name}{`));
}

test("attempts are spread over the instances and keep the host name", async () => {
  const servers = await instanceServers([A, B], answerWith(() => 200));
  const { client } = testClient({}, { dial: servers.dial, resolve: staticResolver({ "spread.test": [A, B] }) });
  try {
    for (let i = 0; i < 4; i += 1) assert.equal((await client.get(`http://spread.test/x`)).status, 200);
    assert.deepEqual(servers.seen, [A, B, A, B]);
    // The Host header (and so TLS's server name) is the name, never the address.
    for (const request of servers.requests) assert.equal(request.headers.host, "spread.test");
  } finally {
    await client.close();
    await servers.close();
  }
});

test("a retry goes to an instance the call has not tried", async () => {
  const servers = await instanceServers([A, B], answerWith((address) => (address === A ? 503 : 200)));
  const { client } = testClient({}, { dial: servers.dial, resolve: staticResolver({ "retry.test": [A, B] }) });
  try {
    assert.equal((await client.get(`http://retry.test/x`)).status, 200);
    assert.deepEqual(servers.seen, [A, B]);
  } finally {
    await client.close();
    await servers.close();
  }
});

test("a retry skips the instance that failed even when it is next in turn", async () => {
  // Two calls at once: X is sent to A, Y to B; the rotation is back at A when X's retry goes.
  const held: (() => void)[] = [];
  const servers = await instanceServers([A, B], (address, _req, res) => {
    const reply = () => {
      res.writeHead(address === A ? 503 : 200);
      res.end();
    };
    if (held.length >= 2) return reply();
    held.push(reply);
    if (held.length === 2) for (const release of held) release();
  });
  const { client } = testClient({}, { dial: servers.dial, resolve: staticResolver({ "turn.test": [A, B] }) });
  try {
    const url = `http://turn.test/x`;
    const answers = await Promise.all([client.get(url), client.get(url)]);
    assert.deepEqual(answers.map((answer) => answer.status), [200, 200]);
    assert.deepEqual(servers.seen, [A, B, B]);
  } finally {
    await client.close();
    await servers.close();
  }
});

test("a refused instance is retried on the other", async () => {
  const servers = await instanceServers([B], answerWith(() => 200), [C]); // nothing listens on C
  const { client } = testClient({}, { dial: servers.dial, resolve: staticResolver({ "refused.test": [C, B] }) });
  try {
    for (let i = 0; i < 2; i += 1) assert.equal((await client.get(`http://refused.test/x`)).status, 200);
    assert.deepEqual(servers.seen, [B, B]);
  } finally {
    await client.close();
    await servers.close();
  }
});

test("five failures in a row eject an instance for thirty seconds, then sixty", async () => {
  const clock = new ManualClock();
  const servers = await instanceServers([A, B], answerWith((address) => (address === A ? 503 : 200)));
  const { client, metrics } = testClient({}, { clock: clock.read, dial: servers.dial, resolve: staticResolver({ "eject.test": [A, B] }) });
  const seen: string[][] = [];
  try {
    for (const [advance, count] of [
      [0, 8],
      [30_000 - 1, 2],
      [1, 6],
      [60_000 - 1, 2],
      [1, 1],
    ] as const) {
      clock.now += advance;
      servers.seen.length = 0;
      for (let i = 0; i < count; i += 1) {
        // Every call succeeds: its retry reaches B.
        assert.equal((await client.get(`http://eject.test/x`)).status, 200);
      }
      seen.push([...servers.seen]);
    }
  } finally {
    await client.close();
    await servers.close();
  }
  assert.deepEqual(seen[0], [A, B, A, B, A, B, A, B, A, B, B, B, B]); // A out after its fifth failure
  assert.deepEqual(seen[1], [B, B]); // still out 1 ms before 30 s
  assert.deepEqual(seen[2], [A, B, A, B, A, B, A, B, A, B, B]); // back after 30 s; five failures: out again
  assert.deepEqual(seen[3], [B, B]); // the second ejection lasts 60 s
  assert.deepEqual(seen[4], [A, B]);
  assert.deepEqual(await metricLines(metrics, "outbound_instance_ejections_total"), [
    'outbound_instance_ejections_total{host="eject.test"} 2',
  ]);
});

test("at most one of two instances is ejected", async () => {
  const servers = await instanceServers([A, B], answerWith(() => 503));
  const { client, metrics } = testClient(
    { retryBudgetRatio: 1, breakerEnabled: false },
    { dial: servers.dial, resolve: staticResolver({ "both.test": [A, B] }) },
  );
  try {
    for (let i = 0; i < 10; i += 1) await client.get(`http://both.test/x`);
  } finally {
    await client.close();
    await servers.close();
  }
  assert.deepEqual(await metricLines(metrics, "outbound_instance_ejections_total"), [
    'outbound_instance_ejections_total{host="both.test"} 1',
  ]);
  assert.ok(servers.seen.filter((address) => address === A).length >= 5, servers.seen.join(" "));
  assert.ok(servers.seen.filter((address) => address === B).length >= 5, servers.seen.join(" "));
});

test("each answer means what outcome.ts documents", () => {
  const table: [number, boolean, string, boolean][] = [
    [200, false, "success", false],
    [404, false, "success", false],
    [429, true, "neutral", false],
    [499, false, "success", false],
    [500, false, "failure", true],
    [501, false, "failure", true],
    [502, true, "failure", true],
    [503, true, "failure", true],
    [504, true, "failure", true],
    [505, false, "failure", true],
  ];
  for (const [code, retried, breaker, instance] of table) {
    assert.deepEqual([retryable(code, {}), serviceOutcome(code, {}), instanceFailed(code, {})], [retried, breaker, instance]);
    const relayed = { "x-paved-no-retry": "1" };
    assert.deepEqual([retryable(code, relayed), serviceOutcome(code, relayed), instanceFailed(code, relayed)], [
      false,
      "neutral",
      false,
    ]);
  }
});

test("relayed failures and 429 do not eject an instance", async () => {
  let count = 0;
  const servers = await instanceServers([A, B], (_address, _req, res) => {
    count += 1;
    res.writeHead(count % 2 === 1 ? 502 : 429, count % 2 === 1 ? { "x-paved-no-retry": "1" } : {});
    res.end();
  });
  const { client, metrics } = testClient(
    { outboundMaxAttempts: 1 },
    { dial: servers.dial, resolve: staticResolver({ "relay.test": [A, B] }) },
  );
  try {
    for (let i = 0; i < 20; i += 1) await client.get(`http://relay.test/x`);
  } finally {
    await client.close();
    await servers.close();
  }
  assert.equal(servers.seen.length, 20);
  assert.deepEqual(await metricLines(metrics, "outbound_instance_ejections_total"), []);
});

test("a host with one address gets no outlier state", async () => {
  const down = await downstream(status(503));
  const port = new URL(down.url).port;
  let lookups = 0;
  const resolve = async () => {
    lookups += 1;
    return ["127.0.0.1"];
  };
  const { client, metrics } = testClient({ outboundMaxAttempts: 1, breakerEnabled: false }, { resolve });
  try {
    for (let i = 0; i < 10; i += 1) assert.equal((await client.get(`http://localhost:${port}/x`)).status, 503);
  } finally {
    await client.close();
    await down.close();
  }
  assert.equal(lookups, 1);
  assert.deepEqual(await metricLines(metrics, "outbound_instance_ejections_total"), []);
});

test("addresses are looked up again after five seconds, and a failed lookup keeps the last", async () => {
  const clock = new ManualClock();
  const answers: (string[] | undefined)[] = [[A, B], undefined, [B, C]];
  let lookups = 0;
  const resolve = async () => {
    const answer = answers[lookups];
    lookups += 1;
    if (answer === undefined) throw Object.assign(new Error("temporary failure"), { code: "EAI_AGAIN" });
    return answer;
  };
  const servers = await instanceServers([A, B, C], answerWith(() => 200));
  const { client } = testClient({}, { clock: clock.read, dial: servers.dial, resolve });
  const seen: number[] = [];
  try {
    for (const advance of [0, 5000 - 1, 1, 5000]) {
      clock.now += advance;
      await client.get(`http://dns.test/x`);
      await client.get(`http://dns.test/x`);
      seen.push(lookups);
    }
  } finally {
    await client.close();
    await servers.close();
  }
  assert.deepEqual(seen, [1, 1, 2, 3]);
  assert.deepEqual(servers.seen, [A, B, A, B, A, B, B, C]);
});

test("addresses and OUTBOUND_RESOLVE_INSTANCES=false skip resolution", async () => {
  const down = await downstream(status(200));
  const port = new URL(down.url).port;
  let lookups = 0;
  const resolve = async () => {
    lookups += 1;
    return [A, B];
  };
  const literal = testClient({}, { resolve });
  const off = testClient({ outboundResolveInstances: false }, { resolve });
  try {
    assert.equal((await literal.client.get(`http://127.0.0.1:${port}/x`)).status, 200);
    assert.equal((await off.client.get(`http://localhost:${port}/x`)).status, 200);
  } finally {
    await literal.client.close();
    await off.client.close();
    await down.close();
  }
  assert.equal(lookups, 0);
  assert.equal(down.requests.length, 2);
});

test("state is kept for at most OUTBOUND_MAX_HOSTS hosts, and idle hosts are forgotten", async () => {
  const clock = new ManualClock();
  const refused = await closedPort();
  const hosts = Array.from({ length: 10 }, (_, n) => `h${n}.bounded.test`);
  const resolve = staticResolver(Object.fromEntries(hosts.map((host) => [host, [A]])));
  const { client, metrics } = testClient({ outboundMaxHosts: 3 }, { clock: clock.read, resolve, dial: () => refused });
  const tracked = async () =>
    new Set(
      (await metricLines(metrics, "outbound_circuit_breaker_state")).map((line) => /host="([^"]+)"/.exec(line)?.[1]),
    );
  try {
    for (const host of hosts) await assert.rejects(client.get(`http://${host}/x`), DownstreamError);
    assert.deepEqual(await tracked(), new Set(hosts.slice(-3)));
    clock.now += 600_000 + 1; // OUTBOUND_HOST_IDLE_SECONDS
    await assert.rejects(client.get(`http://${hosts[0]}/x`), DownstreamError);
    assert.deepEqual(await tracked(), new Set([hosts[0]]));
    assert.deepEqual(
      (await metricLines(metrics, "outbound_retries_total")).map((line) => /host="([^"]+)"/.exec(line)?.[1]),
      [hosts[0]],
    );
  } finally {
    await client.close();
  }
});

test("a route with its own breaker fails alone, and routes per host are bounded", async () => {
  const down = await downstream((req, res) => status(req.url === "/search" ? 500 : 200)(req, res));
  const { client, metrics } = testClient();
  const host = new URL(down.url).host;
  try {
    for (let i = 0; i < 20; i += 1) await client.get(`${down.url}/search`, { route: "/search" });
    await assert.rejects(client.get(`${down.url}/search`, { route: "/search" }), CircuitOpen);
    assert.equal((await client.get(`${down.url}/orders/1`, { route: "/orders/{id}" })).status, 200);
    assert.equal((await client.get(`${down.url}/orders/1`)).status, 200); // the host's own breaker
    const states = await metricLines(metrics, "outbound_circuit_breaker_state");
    assert.deepEqual(states.sort(), [
      `outbound_circuit_breaker_state{host="${host}",route=""} 0`,
      `outbound_circuit_breaker_state{host="${host}",route="/orders/{id}"} 0`,
      `outbound_circuit_breaker_state{host="${host}",route="/search"} 1`,
    ]);
    for (let i = 0; i < 40; i += 1) await client.get(`${down.url}/orders/${i}`, { route: `/orders/${i}` });
    // At most 32 breakers per host, the host's own included: later routes share the host's.
    assert.equal((await metricLines(metrics, "outbound_circuit_breaker_state")).length, 32);
  } finally {
    await client.close();
    await down.close();
  }
});

test("behind one address, the retry and later calls avoid the connection that failed", async () => {
  const ports: number[] = [];
  const down = await downstream((req, res, count) => {
    ports.push(req.socket.remotePort ?? 0);
    status(count === 1 ? 503 : 200)(req, res);
  });
  const { client } = testClient();
  try {
    for (let i = 0; i < 3; i += 1) assert.equal((await client.get(`${down.url}/x`)).status, 200);
  } finally {
    await client.close();
    await down.close();
  }
  const [failed, retry, second, third] = ports;
  assert.equal(ports.length, 4);
  assert.notEqual(retry, failed); // a new connection: a VIP may balance it to another instance
  assert.deepEqual([second, third], [retry, retry]); // the one that succeeded is kept alive
});
