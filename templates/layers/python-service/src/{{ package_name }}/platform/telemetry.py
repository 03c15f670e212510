"""OpenTelemetry: traces with W3C propagation, HTTP metrics with stable names, JSON logs.

Set up once per process (`setup_telemetry`). The server side is observed by
our own lean middleware (observe.py); outbound calls by the official httpx
instrumentation (`instrument_client`), which also sends `traceparent`.

- The resource (what every span, metric and log line says the service is)
  follows the SDK environment specification: OTEL_SERVICE_NAME, then
  `service.name` in OTEL_RESOURCE_ATTRIBUTES, then the SERVICE_NAME setting;
  the other OTEL_RESOURCE_ATTRIBUTES (deployment.environment, …) are added.
- OTEL_SDK_DISABLED=true turns the SDK off for every signal: no spans, no
  OpenTelemetry metrics, no exporter; the API's no-ops remain.
- Traces export over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT (or the traces
  endpoint) is set, to stderr with OTEL_TRACES_EXPORTER=console, and nowhere
  otherwise (spans still exist, so logs carry trace ids). All OTEL_* variables
  of the SDK apply (sampling, headers, propagators).
- OTEL_SEMCONV_STABILITY_OPT_IN=http makes OpenTelemetry instrumentations
  (httpx here, any a team adds) emit the stable HTTP conventions, in seconds:
  `http_client_request_duration_seconds` beside our
  `http_server_request_duration_seconds`. It is read once, so it is set here
  before any instrumentation is imported.
"""

from __future__ import annotations

import os

os.environ.setdefault("OTEL_SEMCONV_STABILITY_OPT_IN", "http")

import sys

import httpx
from opentelemetry import metrics, trace
from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.resources import SERVICE_NAME, OTELResourceDetector, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SpanExporter,
)

from .logs import configure_logging
from .settings import PlatformSettings

_tracer_provider: TracerProvider | None = None
_meter_provider: MeterProvider | None = None


def _span_exporter(settings: PlatformSettings) -> SpanExporter | None:
    choice = settings.otel_traces_exporter.strip().lower()
    if not choice:
        configured = os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or os.environ.get(
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
        )
        choice = "otlp" if configured else "none"
    if choice == "console":
        # stderr: stdout carries only JSON log lines.
        return ConsoleSpanExporter(out=sys.stderr)
    if choice == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter()
    return None


def service_resource(settings: PlatformSettings) -> Resource:
    """The service's resource: the OTEL_* environment over the service's own settings."""
    from_environment = OTELResourceDetector().detect().attributes
    return Resource.create({SERVICE_NAME: settings.service_name, **from_environment})


def sdk_disabled() -> bool:
    return os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true"


def setup_telemetry(settings: PlatformSettings) -> None:
    """Logging, tracer and meter providers; the providers are made once per process."""
    global _tracer_provider, _meter_provider
    resource = service_resource(settings)
    configure_logging(str(resource.attributes[SERVICE_NAME]), settings.log_level)
    if _tracer_provider is not None or sdk_disabled():
        return
    _tracer_provider = TracerProvider(resource=resource)
    exporter = _span_exporter(settings)
    if exporter is not None:
        _tracer_provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(_tracer_provider)
    _meter_provider = MeterProvider(resource=resource, metric_readers=[PrometheusMetricReader()])
    metrics.set_meter_provider(_meter_provider)


def instrument_client(client: httpx.AsyncClient) -> None:
    HTTPXClientInstrumentor.instrument_client(
        client, tracer_provider=_tracer_provider, meter_provider=_meter_provider
    )


def flush_spans(timeout_seconds: float) -> None:
    """Export the spans still buffered (at shutdown: they would be lost with the process)."""
    if _tracer_provider is not None:
        _tracer_provider.force_flush(int(timeout_seconds * 1000))
