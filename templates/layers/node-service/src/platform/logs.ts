/**
 * Structured logs: pino, one JSON object a line on stdout, correlated with traces.
 *
 * Every line carries `trace_id` and `span_id` of the active span (when there is one), so a
 * log line leads to its trace; credentials in headers and the usual secret fields are
 * replaced by [REDACTED] before they are written.
 */
import { isSpanContextValid, trace } from "@opentelemetry/api";
import { type DestinationStream, type Logger, pino } from "pino";

export const REDACTED_PATHS = [
  "req.headers.authorization",
  "req.headers.cookie",
  'req.headers["proxy-authorization"]',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  "password",
  "token",
  "secret",
  "*.password",
  "*.token",
  "*.secret",
];

export function traceFields(): Record<string, string> {
  const context = trace.getActiveSpan()?.spanContext();
  if (context === undefined || !isSpanContextValid(context)) return {};
  return { trace_id: context.traceId, span_id: context.spanId };
}

export function createLogger(options: { serviceName: string; level: string }, destination?: DestinationStream): Logger {
  const settings = {
    level: options.level,
    base: { service: options.serviceName },
    messageKey: "message",
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
    mixin: traceFields,
    redact: { paths: REDACTED_PATHS, censor: "[REDACTED]" },
  };
  return destination === undefined ? pino(settings) : pino(settings, destination);
}
