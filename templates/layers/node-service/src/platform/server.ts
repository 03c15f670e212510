/**
 * The HTTP server: Fastify behind the platform's guards.
 *
 * Around every request, before Fastify sees it (serverFactory): load shedding (more than
 * MAX_IN_FLIGHT_REQUESTS at once are answered 503 with a jittered Retry-After; probes and
 * /metrics never are), the deadline from the inbound headers (already spent: 504 before
 * any work; reached while the handler works: 504, and the handler's outbound calls are
 * cut), a server span continuing the caller's W3C trace, the request-duration histogram
 * (neither for probes, /version and /metrics, as python-service) and one access-log line. /livez, /readyz, /metrics and /version are built in. Shutdown
 * (SIGTERM): /readyz answers 503 first, the listener stays open for the drain delay so load
 * balancers stop sending traffic, in-flight requests finish, spans are flushed.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { context, INVALID_SPAN_CONTEXT, propagation, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import Fastify, { type FastifyInstance } from "fastify";
import type { Logger } from "pino";
import { type ClientOptions, OutboundClient } from "./client.js";
import { Deadline, timeoutFromHeaders, withScope } from "./deadline.js";
import { PlatformError } from "./errors.js";
import { createLogger } from "./logs.js";
import { Metrics } from "./metrics.js";
import { NO_RETRY_HEADER } from "./outcome.js";
import type { PlatformSettings } from "./settings.js";
import { tracer } from "./telemetry.js";

export const LIVE_PATH = "/livez";
export const READY_PATH = "/readyz";
export const METRICS_PATH = "/metrics";
export const VERSION_PATH = "/version";
const UNGUARDED = new Set([LIVE_PATH, READY_PATH, METRICS_PATH, VERSION_PATH]);

export interface Platform {
  app: FastifyInstance;
  client: OutboundClient;
  metrics: Metrics;
  logger: Logger;
  /** Requests being served now (probes and /metrics included). */
  inFlight(): number;
  listen(): Promise<string>;
  /** Readiness 503, drain delay, close after in-flight requests, then `flush` (spans). */
  shutdown(flush?: () => Promise<void>): Promise<void>;
}

declare module "fastify" {
  interface FastifyInstance {
    outbound: OutboundClient;
  }
}

function retryAfter(settings: PlatformSettings, random: () => number): string {
  const base = settings.shedRetryAfterSeconds;
  return String(base + Math.floor(random() * (base + 1)));
}

function answer(res: ServerResponse, status: number, body: object, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
  res.end(JSON.stringify(body));
}

export function createPlatform(
  settings: PlatformSettings,
  options: { logger?: Logger; metrics?: Metrics } & ClientOptions = {},
): Platform {
  const logger = options.logger ?? createLogger({ serviceName: settings.serviceName, level: settings.logLevel });
  const metrics = options.metrics ?? new Metrics();
  const random = options.random ?? Math.random;
  const client = new OutboundClient(settings, metrics, { ...options, random });
  let guarded = 0;
  let all = 0;
  let draining = false;
  let closing = false;
  const routes = new WeakMap<IncomingMessage, string>();

  function guard(handler: (req: IncomingMessage, res: ServerResponse) => void) {
    return (req: IncomingMessage, res: ServerResponse): void => {
      const started = performance.now();
      const path = (req.url ?? "/").split("?")[0] ?? "/";
      const probe = UNGUARDED.has(path);
      const parent = propagation.extract(context.active(), req.headers);
      // Probes and scrapes would drown the traces and the latency histogram (python-service's list).
      const span = probe
        ? trace.wrapSpanContext(INVALID_SPAN_CONTEXT)
        : tracer().startSpan(
            req.method ?? "GET",
            { kind: SpanKind.SERVER, attributes: { "http.request.method": req.method ?? "", "url.path": path } },
            parent,
          );
      const active = trace.setSpan(parent, span);
      all += 1;
      if (!probe) guarded += 1;
      const controller = new AbortController();
      let timer: NodeJS.Timeout | undefined;
      res.once("close", () => {
        all -= 1;
        if (!probe) guarded -= 1;
        clearTimeout(timer);
        const route = routes.get(req) ?? "";
        const seconds = (performance.now() - started) / 1000;
        if (!probe) {
          metrics.serverDuration.observe(
            { http_request_method: req.method ?? "", http_route: route, http_response_status_code: String(res.statusCode) },
            seconds,
          );
        }
        span.setAttribute("http.response.status_code", res.statusCode);
        if (route !== "") span.updateName(`${req.method} ${route}`);
        if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        if (settings.accessLog) {
          context.with(active, () =>
            logger[probe ? "debug" : "info"](
              { method: req.method, path, route, status: res.statusCode, duration_ms: Math.round(seconds * 1000) },
              "request",
            ),
          );
        }
        span.end();
      });
      context.with(active, () => {
        if (!probe && guarded > settings.maxInFlightRequests) {
          metrics.shed.inc();
          answer(res, 503, { error: "overloaded: retry later" }, { "retry-after": retryAfter(settings, random) });
          return;
        }
        // DEADLINE_HEADERS_ENABLED off (tests only): every request gets the default deadline.
        const given = settings.deadlineHeadersEnabled ? timeoutFromHeaders(req.headers) : undefined;
        const timeout = given ?? settings.requestTimeoutDefaultMs;
        if (timeout <= 0 && !probe) {
          metrics.deadlineExceeded.inc({ where: "inbound" });
          answer(res, 504, { error: "deadline exceeded before the request was served" });
          return;
        }
        const deadline = Deadline.after(timeout);
        timer = setTimeout(() => {
          controller.abort(new Error("deadline exceeded"));
          if (!res.headersSent) {
            metrics.deadlineExceeded.inc({ where: "handler" });
            answer(res, 504, { error: "deadline exceeded" }, { [NO_RETRY_HEADER]: "deadline" });
          }
        }, timeout);
        withScope({ deadline, signal: controller.signal }, () => handler(req, res));
      });
    };
  }

  let server: Server | undefined;
  const app = Fastify({
    logger: false,
    serverFactory: (handler) => {
      server = createServer(guard(handler));
      return server;
    },
    // Keep-alive connections idle at close are closed; busy ones finish first.
    forceCloseConnections: "idle",
  });
  app.decorate("outbound", client);
  app.addHook("onRequest", async (request) => {
    routes.set(request.raw, request.routeOptions.url ?? "");
  });
  app.addHook("onSend", async (_request, reply, payload) => {
    // The deadline answered 504 first: the handler's late answer is dropped.
    if (reply.raw.headersSent) reply.hijack();
    // Closing: the connection ends with this answer, so the close need not wait for the
    // client to drop its idle keep-alive connection.
    else if (closing) reply.header("connection", "close");
    return payload;
  });
  app.setErrorHandler(async (error, request, reply) => {
    if (error instanceof PlatformError) {
      logger.warn({ error: error.constructor.name, path: request.url }, error.message);
      // A downstream's failure, answered on its behalf: callers must not retry us for it.
      reply.header(NO_RETRY_HEADER, error.constructor.name);
      if (error.retryAfter) reply.header("retry-after", retryAfter(settings, random));
      return reply.code(error.status).send({ error: error.message });
    }
    const status = (error as { statusCode?: number }).statusCode ?? 500;
    if (status >= 500) logger.error({ err: error, path: request.url }, "request failed");
    const message = error instanceof Error ? error.message : String(error);
    return reply.code(status).send({ error: status >= 500 ? "internal error" : message });
  });
  app.get(LIVE_PATH, async () => ({ status: "ok" }));
  app.get(READY_PATH, async (_request, reply) =>
    draining ? reply.code(503).send({ status: "shutting down" }) : { status: "ok" },
  );
  app.get(METRICS_PATH, async (_request, reply) =>
    reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );
  app.get(VERSION_PATH, async () => ({
    service: settings.serviceName,
    git_commit: settings.gitCommit,
    image_digest: settings.imageDigest,
  }));

  return {
    app,
    client,
    metrics,
    logger,
    inFlight: () => all,
    async listen() {
      const address = await app.listen({ host: settings.host, port: settings.port });
      logger.info({ address }, "listening");
      return address;
    },
    async shutdown(flush) {
      draining = true;
      logger.info({ drain_seconds: settings.shutdownDrainSeconds }, "shutting down: readiness 503, draining");
      await sleep(settings.shutdownDrainSeconds * 1000);
      const left = (settings.shutdownTimeoutSeconds - settings.shutdownDrainSeconds) * 1000;
      closing = true;
      const closed = app.close();
      const cut = setTimeout(() => server?.closeAllConnections(), left);
      await closed;
      clearTimeout(cut);
      await client.close();
      await flush?.();
      logger.info("stopped");
    },
  };
}
