"""Observability: when something breaks, the team can see what and where.

Tracing is configured, logs are structured and carry trace ids, metrics are
served, and the manifests' probes point at endpoints the application serves.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from paved import yaml
from paved.check import pycode
from paved.check.isolation import WEB_APPS
from paved.check.repo import Repo
from paved.check.rule import (
    PAVED_UPDATE,
    Evidence,
    Outcome,
    Rule,
    Severity,
    failed,
    failed_with,
    not_applicable,
    passed,
)

AREA = "observability"
TRACING_CODE = r"TracerProvider|set_tracer_provider|Instrumentor$|configure_opentelemetry|" \
               r"configure_azure_monitor|^opentelemetry\.instrumentation"
JSON_LOGS_CODE = r"structlog|JSONRenderer|jsonlogger|Json_?Formatter|ecs_logging|loguru"
TRACE_ID_CODE = r"trace_id|traceid|otelTraceID|LoggingInstrumentor"
METRICS_CODE = r"make_asgi_app|make_wsgi_app|start_http_server|prometheus_fastapi_instrumentator|" \
               r"PrometheusMetricReader"
LONG_RUNNING = ("Deployment", "StatefulSet", "DaemonSet")
PROBES = ("livenessProbe", "readinessProbe")


def _first(repo: Repo, pattern: str) -> Evidence | None:
    for module in repo.python_modules:
        for line in pycode.identifiers(module, pattern):
            return Evidence(module.path, line, "found")
    return None


def _web_app(repo: Repo) -> Evidence | None:
    for module in repo.python_modules:
        for call, name in pycode.calls(module):
            if name in WEB_APPS:
                return Evidence(module.path, call.lineno, f"{name}() application")
    return None


def check_tracing(repo: Repo) -> Outcome:
    if not repo.python_modules:
        return not_applicable("no Python code to look at")
    found = _first(repo, TRACING_CODE)
    if found is not None:
        return passed("OpenTelemetry tracing is configured", found)
    for path in repo.matching(r"(^|/)(Dockerfile[^/]*|Makefile|Procfile)$"):
        line = repo.line_of_text(path, r"opentelemetry-instrument")
        if line:
            return passed("OpenTelemetry auto-instrumentation", Evidence(path, line, "found"))
    app = _web_app(repo)
    where = app or Evidence(repo.python_modules[0].path, 1, "no tracer provider")
    return failed("no tracing: no OpenTelemetry tracer provider or instrumentation",
                  Evidence(where.path, where.line, "requests here are not traced"))


def check_logs(repo: Repo) -> Outcome:
    if not repo.python_modules:
        return not_applicable("no Python code to look at")
    json_logs = _first(repo, JSON_LOGS_CODE)
    trace_ids = _first(repo, TRACE_ID_CODE)
    if json_logs and trace_ids:
        return passed("JSON logs carrying trace ids", json_logs, trace_ids)
    where = json_logs or _first(repo, r"^logging$|basicConfig|getLogger") or \
        Evidence(repo.python_modules[0].path, 1, "")
    missing = "trace ids in log lines" if json_logs else "structured (JSON) logs"
    return failed(f"no {missing}", Evidence(where.path, where.line, f"missing {missing}"))


def check_metrics(repo: Repo) -> Outcome:
    app = _web_app(repo)
    if app is None:
        return not_applicable("no web application found")
    routes = pycode.routes(repo.python_modules)
    if "/metrics" in routes:
        path, line = routes["/metrics"]
        return passed("/metrics is served", Evidence(path, line, "/metrics"))
    found = _first(repo, METRICS_CODE)
    if found is not None:
        return passed("Prometheus metrics are exposed", found)
    return failed("no metrics endpoint", Evidence(app.path, app.line, "serves no /metrics"))


def check_probes(repo: Repo) -> Outcome:
    pods = [pod for pod in repo.pod_specs if pod.kind in LONG_RUNNING]
    if not pods:
        return not_applicable("no Deployment, StatefulSet or DaemonSet manifests")
    served = pycode.routes(repo.python_modules)
    problems = []
    for pod in pods:
        for container in pod.spec.get("containers") or []:
            if not isinstance(container, Mapping):
                continue
            name = container.get("name", "?")
            for probe in PROBES:
                if probe not in container:
                    problems.append(Evidence(pod.path, yaml.line_of(container, "name"),
                                             f"container {name} of {pod.kind}/{pod.name} "
                                             f"has no {probe}"))
                    continue
                unserved = _unserved(container[probe], served)
                if unserved:
                    problems.append(Evidence(pod.path, yaml.line_of(container, probe),
                                             f"{probe} of {name} checks {unserved}, which the "
                                             f"application does not serve"))
    return failed_with(problems, ok="every container has liveness and readiness probes on "
                                    "served endpoints",
                       bad="{count} probe problem(s)")


def _unserved(probe: Any, served: Mapping[str, object]) -> str | None:
    """The probe's HTTP path when the app's routes are known and do not include it."""
    if not isinstance(probe, Mapping) or not served:
        return None
    get = probe.get("httpGet")
    path = str(get.get("path", "/")) if isinstance(get, Mapping) else None
    if path is None or any(path == route or path.endswith(route) for route in served):
        return None
    return path


RULES = (
    Rule("observability/tracing", AREA, "Tracing is configured",
         "Without traces, a slow request spread over several services cannot be "
         "attributed to the hop that was slow.",
         Severity.HIGH,
         "Configure an OpenTelemetry TracerProvider with W3C propagation and OTLP export "
         f"(paved services: the platform telemetry module). {PAVED_UPDATE}.",
         check_tracing),
    Rule("observability/structured-logs", AREA, "Logs are JSON and carry trace ids",
         "JSON lines can be searched; a trace_id on each line takes you from a log line "
         "to the request's trace and back.",
         Severity.MEDIUM,
         "Log JSON (structlog or a JSON formatter) with trace_id and span_id on every "
         f"line, for every logger. {PAVED_UPDATE}.",
         check_logs),
    Rule("observability/metrics-endpoint", AREA, "Metrics are served",
         "Alerts, SLOs and autoscaling all read metrics; no endpoint, no signal.",
         Severity.MEDIUM,
         f"Serve Prometheus metrics on /metrics. {PAVED_UPDATE}.",
         check_metrics),
    Rule("observability/probes", AREA, "Liveness and readiness probes on served endpoints",
         "Without readiness, traffic reaches pods that cannot serve; without liveness, a "
         "hung pod is never restarted; a probe on a path the app does not serve keeps "
         "every pod unready or restarting.",
         Severity.HIGH,
         "Give every container livenessProbe (/livez) and readinessProbe (/readyz) on "
         f"paths the application serves. {PAVED_UPDATE}.",
         check_probes),
)
