/**
 * A fault-injecting HTTP proxy on loopback, for tests and chaos experiments.
 *
 * It stands between the service and one dependency, on real sockets, and treats each
 * request by the fault in force (no mock of the client: the outbound client meets the
 * fault as it would meet a failing service):
 *
 * | fault   | what the service sees                                                |
 * |---------|----------------------------------------------------------------------|
 * | none    | the dependency's answer                                              |
 * | latency | the dependency's answer, `seconds` late                              |
 * | status  | `status` (503 by default) at once; the dependency is not called      |
 * | reset   | the connection reset (TCP RST) before any answer                     |
 * | trickle | the status and headers at once, then the body one byte per `seconds` |
 *
 * The fault changes while it runs: `proxy.inject(fault)` in-process, or over HTTP on
 * `controlUrl` (what chaos/experiment.json does): `PUT /fault` with the fault as JSON,
 * `DELETE /fault`, `GET /fault` for the fault and the counts (requests seen, forwarded,
 * in flight, the most in flight at once since the fault was set, and abandoned: the client
 * hung up while the latency or the trickle ran, before the answer was complete), and the
 * deadline header (`x-request-timeout-ms`) of the latest requests, as the service propagated
 * it. These are counts and orderings, not clock readings, so an experiment can judge them on
 * a busy machine. The same proxy and control API as paved's python-service
 * (platform/faults.py).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { Agent, request } from "undici";

export const KINDS = ["none", "latency", "status", "reset", "trickle"] as const;
const DEADLINE_HEADER = "x-request-timeout-ms";
const RECENT = 256; // requests whose deadline header is kept
export type FaultKind = (typeof KINDS)[number];

export interface Fault {
  kind: FaultKind;
  /** latency: the delay; trickle: the wait between two bytes. */
  seconds: number;
  status: number;
}

export const NO_FAULT: Fault = { kind: "none", seconds: 0, status: 503 };

/** Hop-by-hop headers (RFC 9110, 7.6.1) and those the proxy sets itself. */
const NOT_FORWARDED = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "host",
  "content-length",
  "content-encoding",
]);

export class FaultError extends Error {}

/** A fault from the control API's JSON; FaultError names what is wrong. */
export function parseFault(data: unknown): Fault {
  const given: Record<string, unknown> =
    typeof data === "object" && data !== null && !Array.isArray(data) ? (data as Record<string, unknown>) : { kind: data };
  const unknown = Object.keys(given).filter((key) => !["kind", "seconds", "status"].includes(key));
  if (unknown.length) throw new FaultError(`unknown field(s): ${unknown.sort().join(", ")}`);
  const kind = given.kind ?? "none";
  if (!KINDS.includes(kind as FaultKind)) throw new FaultError(`kind must be one of ${KINDS.join(", ")}`);
  const seconds = given.seconds ?? 0;
  const status = given.status ?? 503;
  if (typeof seconds !== "number" || !(seconds >= 0 && seconds <= 60)) {
    throw new FaultError("seconds must be a number from 0 to 60");
  }
  if (typeof status !== "number" || !Number.isInteger(status) || status < 100 || status > 599) {
    throw new FaultError("status must be an HTTP status code");
  }
  return { kind: kind as FaultKind, seconds, status };
}

export interface ProxyState {
  fault: Fault;
  requests: number;
  forwarded: number;
  in_flight: number;
  peak_in_flight: number;
  abandoned: number;
  deadlines_ms: (number | null)[];
}

/** Forwards HTTP/1.1 requests to `upstream` (a base URL), applying the fault in force. */
export class FaultProxy {
  fault: Fault = NO_FAULT;
  requests = 0; // requests received
  forwarded = 0; // requests sent on to the dependency
  inFlight = 0;
  peakInFlight = 0;
  abandoned = 0; // the client hung up before the answer was complete
  /** `x-request-timeout-ms` of the latest requests (null: not sent), oldest first. */
  deadlinesMs: (number | null)[] = [];
  url = ""; // set once listening
  controlUrl = "";
  private readonly upstream: string;
  private readonly agent = new Agent({ connectTimeout: 5_000, headersTimeout: 30_000, bodyTimeout: 30_000 });
  private readonly servers: Server[] = [];

  constructor(upstream: string) {
    this.upstream = upstream.replace(/\/+$/, "");
  }

  /** A proxy in front of `upstream`, listening on a free port of `host`, with its control API. */
  static async start(upstream: string, host = "127.0.0.1"): Promise<FaultProxy> {
    const proxy = new FaultProxy(upstream);
    proxy.url = await proxy.listen(createServer((req, res) => void proxy.handle(req, res)), host);
    proxy.controlUrl = await proxy.listen(createServer((req, res) => void proxy.control(req, res)), host);
    return proxy;
  }

  inject(fault: Fault): void {
    this.fault = fault;
    this.peakInFlight = this.inFlight;
  }

  state(): ProxyState {
    return {
      fault: this.fault,
      requests: this.requests,
      forwarded: this.forwarded,
      in_flight: this.inFlight,
      peak_in_flight: this.peakInFlight,
      abandoned: this.abandoned,
      deadlines_ms: [...this.deadlinesMs],
    };
  }

  /** Stops listening; requests still held (latency, trickle) end with their connections. */
  async close(): Promise<void> {
    await Promise.all(
      this.servers.map(
        (server) =>
          new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
          }),
      ),
    );
    await this.agent.close();
  }

  private async listen(server: Server, host: string): Promise<string> {
    this.servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, host, resolve));
    const { port } = server.address() as AddressInfo;
    return `http://${host}:${port}`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.requests += 1;
    this.deadlinesMs.push(deadlineMs(req));
    if (this.deadlinesMs.length > RECENT) this.deadlinesMs.shift();
    this.inFlight += 1;
    this.peakInFlight = Math.max(this.peakInFlight, this.inFlight);
    try {
      const fault = this.fault;
      if (fault.kind === "reset") {
        // What a crashed peer's kernel sends: RST instead of FIN, before any answer.
        req.socket.resetAndDestroy();
        return;
      }
      const body = await readAll(req);
      if (fault.kind === "latency" && (await clientLeft(req.socket, fault.seconds))) {
        this.abandoned += 1;
        return;
      }
      let status: number;
      let headers: Record<string, string | string[]>;
      let content: Buffer;
      if (fault.kind === "status") {
        status = fault.status;
        headers = { "content-type": "application/json" };
        content = Buffer.from('{"detail": "injected by the fault proxy"}');
      } else {
        [status, headers, content] = await this.forward(req, body);
      }
      res.writeHead(status, { ...headers, "content-length": String(content.length) });
      if (fault.kind === "trickle") {
        res.flushHeaders();
        for (const byte of content) {
          if (await clientLeft(req.socket, fault.seconds)) {
            this.abandoned += 1;
            return;
          }
          res.write(Buffer.of(byte));
        }
        res.end();
      } else {
        res.end(content);
      }
    } catch {
      req.socket.destroy(); // the client went away, or spoke something else
    } finally {
      this.inFlight -= 1;
    }
  }

  private async forward(req: IncomingMessage, body: Buffer): Promise<[number, Record<string, string | string[]>, Buffer]> {
    this.forwarded += 1;
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined && !NOT_FORWARDED.has(name)) headers[name] = value;
    }
    try {
      const answer = await request(`${this.upstream}${req.url ?? "/"}`, {
        method: (req.method ?? "GET") as "GET",
        headers,
        body: body.length ? body : null,
        dispatcher: this.agent,
        headersTimeout: 30_000,
        bodyTimeout: 30_000,
      });
      const content = Buffer.from(await answer.body.arrayBuffer());
      const kept: Record<string, string | string[]> = {};
      for (const [name, value] of Object.entries(answer.headers)) {
        if (value !== undefined && !NOT_FORWARDED.has(name.toLowerCase())) kept[name] = value;
      }
      return [answer.statusCode, kept, content];
    } catch (error) {
      return [502, { "content-type": "text/plain" }, Buffer.from(`fault proxy: ${String(error)}`)];
    }
  }

  /** The control API: GET, PUT and DELETE /fault. */
  private async control(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const send = (status: number, data: unknown): void => {
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(data));
    };
    if (req.url?.split("?")[0] !== "/fault") return send(404, { detail: "not found" });
    if (req.method === "PUT") {
      try {
        this.inject(parseFault(JSON.parse((await readAll(req)).toString() || "null")));
      } catch (error) {
        return send(422, { detail: error instanceof Error ? error.message : String(error) });
      }
    } else if (req.method === "DELETE") {
      this.inject(NO_FAULT);
    } else if (req.method !== "GET") {
      res.setHeader("allow", "GET, PUT, DELETE");
      return send(405, { detail: "method not allowed" });
    }
    send(200, this.state());
  }
}

function deadlineMs(req: IncomingMessage): number | null {
  const value = req.headers[DEADLINE_HEADER];
  const text = Array.isArray(value) ? value[0] : value;
  return text !== undefined && /^[0-9]+$/.test(text.trim()) ? Number(text.trim()) : null;
}

async function readAll(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Wait `seconds`; true as soon as the client closes the connection (it gave up: a request
 *  it abandoned must not count as in flight). */
function clientLeft(socket: Socket, seconds: number): Promise<boolean> {
  if (socket.destroyed) return Promise.resolve(true);
  return new Promise((resolve) => {
    const gone = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    const timer = setTimeout(() => {
      socket.off("close", gone);
      resolve(false);
    }, seconds * 1000);
    socket.once("close", gone);
  });
}
