/**
 * Tracing: the OpenTelemetry Node SDK with W3C trace context, exported over OTLP.
 *
 * OTEL_TRACES_EXPORTER picks the exporter: `otlp` (to OTEL_EXPORTER_OTLP_ENDPOINT, the
 * standard OTEL_* variables apply), `console` (to stdout) or `none`; unset, it is otlp when
 * an endpoint is set and none otherwise, so a laptop without a collector logs no errors.
 * The server and the outbound client make the spans themselves (server.ts, client.ts).
 */
import { trace } from "@opentelemetry/api";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  BatchSpanProcessor,
  ConsoleSpanExporter,
  SimpleSpanProcessor,
  type SpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from "@opentelemetry/semantic-conventions";

export const TRACER_NAME = "platform";

export function tracer() {
  return trace.getTracer(TRACER_NAME);
}

export interface Telemetry {
  /** Export what is buffered and stop (graceful shutdown). */
  shutdown(): Promise<void>;
}

function chooseExporter(setting: string, env: Record<string, string | undefined>): string {
  const chosen = (setting || env.OTEL_TRACES_EXPORTER || "").trim().toLowerCase();
  if (chosen !== "") return chosen;
  return env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ? "otlp" : "none";
}

/**
 * Register the global tracer provider (W3C propagation, async context); `extra` processors
 * (tests) see every span. Without an exporter, spans still carry ids for the logs.
 */
export function startTelemetry(
  options: { serviceName: string; version: string; exporter: string },
  extra: SpanProcessor[] = [],
  env: Record<string, string | undefined> = process.env,
): Telemetry {
  const processors: SpanProcessor[] = [...extra];
  const exporter = chooseExporter(options.exporter, env);
  if (exporter === "otlp") processors.push(new BatchSpanProcessor(new OTLPTraceExporter()));
  else if (exporter === "console") processors.push(new SimpleSpanProcessor(new ConsoleSpanExporter()));
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: env.OTEL_SERVICE_NAME || options.serviceName,
      [ATTR_SERVICE_VERSION]: options.version,
    }),
    spanProcessors: processors,
  });
  provider.register();
  return { shutdown: () => provider.shutdown() };
}
