"""Observability: when something breaks, the team can see what and where.

Tracing is configured, logs are structured and carry trace ids, metrics are
served, and the manifests' probes point at endpoints the application serves.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from paved import yaml
from paved.check.isolation import WEB_APPS
from paved.check.repo import Repo
from paved.check.rule import (
    RESTORE,
    Evidence,
    Outcome,
    Rule,
    Severity,
    failed_with,
    found,
    missing,
    not_applicable,
)

AREA = "observability"
# What the code is searched for (by name: the patterns live in `pycode.MENTIONS`).
TRACING_CODE, JSON_LOGS_CODE, TRACE_ID_CODE = "tracing", "json-logs", "trace-ids"
METRICS_CODE, LOGGING_CODE = "metrics", "logging"
LONG_RUNNING = ("Deployment", "StatefulSet", "DaemonSet")
PROBES = ("livenessProbe", "readinessProbe")


def _first(repo: Repo, name: str) -> Evidence | None:
    for path, line in repo.mentions(name):
        return Evidence(path, line, "found")
    return None


def _web_app(repo: Repo) -> Evidence | None:
    for path, call in repo.calls():
        if call.name in WEB_APPS:
            return Evidence(path, call.line, f"{call.name}() application")
    return None


def _where(repo: Repo, name: str | None = None) -> Evidence | None:
    """Where to point a failure: the first mention of `name`, else the web application.
    Only a location: what could not be read does not make the verdict uncertain."""
    for module in repo.python_facts():
        lines = module.mentions.get(name, ()) if name else ()
        calls = [call for call in module.calls if call.name in WEB_APPS] if not name else []
        if lines or calls:
            line = lines[0] if lines else calls[0].line
            message = "found" if lines else f"{calls[0].name}() application"
            return Evidence(module.path, line, message)
    return None


def check_tracing(repo: Repo) -> Outcome:
    if not repo.source_files:
        return not_applicable("no Python or TypeScript code to look at")
    tracing = _first(repo, TRACING_CODE)
    if tracing is not None:
        return found("OpenTelemetry tracing is configured", tracing)
    for path in repo.matching(r"(^|/)(Dockerfile[^/]*|Makefile|Procfile)$"):
        line = repo.line_of_text(path, r"opentelemetry-instrument")
        if line:
            return found("OpenTelemetry auto-instrumentation", Evidence(path, line, "found"))
    app = _where(repo)
    where = app or Evidence(repo.source_files[0], 1, "no tracer provider")
    return missing("no tracing: no OpenTelemetry tracer provider or instrumentation",
                   Evidence(where.path, where.line, "requests here are not traced"))


def check_logs(repo: Repo) -> Outcome:
    if not repo.source_files:
        return not_applicable("no Python or TypeScript code to look at")
    json_logs = _first(repo, JSON_LOGS_CODE)
    trace_ids = _first(repo, TRACE_ID_CODE)
    if json_logs and trace_ids:
        return found("JSON logs carrying trace ids", json_logs, trace_ids)
    where = json_logs or _where(repo, LOGGING_CODE) or Evidence(repo.source_files[0], 1, "")
    absent = "trace ids in log lines" if json_logs else "structured (JSON) logs"
    return missing(f"no {absent}", Evidence(where.path, where.line, f"missing {absent}"))


def check_metrics(repo: Repo) -> Outcome:
    app = _web_app(repo)
    if app is None:
        return not_applicable("no web application found")
    routes = repo.routes()
    if "/metrics" in routes:
        path, line = routes["/metrics"]
        return found("/metrics is served", Evidence(path, line, "/metrics"))
    metrics = _first(repo, METRICS_CODE)
    if metrics is not None:
        return found("Prometheus metrics are exposed", metrics)
    return missing("no metrics endpoint", Evidence(app.path, app.line, "serves no /metrics"))


def check_probes(repo: Repo) -> Outcome:
    pods = [pod for pod in repo.pod_specs if pod.kind in LONG_RUNNING]
    if not pods:
        return not_applicable("no Deployment, StatefulSet or DaemonSet manifests")
    served = repo.routes()
    problems, unserved_only = [], True
    for pod in pods:
        for container in pod.spec.get("containers") or []:
            if not isinstance(container, Mapping):
                continue
            name = container.get("name", "?")
            for probe in PROBES:
                if probe not in container:
                    unserved_only = False
                    problems.append(Evidence(pod.path, yaml.line_of(container, "name"),
                                             f"container {name} of {pod.kind}/{pod.name} "
                                             f"has no {probe}"))
                    continue
                unserved = _unserved(container[probe], served)
                if unserved:
                    problems.append(Evidence(pod.path, yaml.line_of(container, probe),
                                             f"{probe} of {name} checks {unserved}, which the "
                                             f"application does not serve"))
    outcome = failed_with(problems, ok="every container has liveness and readiness probes on "
                                       "served endpoints",
                          bad="{count} probe problem(s)")
    # A path the application does not serve may be served by code that could not be read
    # (issue 24): that failure is one of absence.
    return replace(outcome, definite=False) if problems and unserved_only else outcome


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
         f"(paved services: the platform telemetry module). {RESTORE}",
         check_tracing),
    Rule("observability/structured-logs", AREA, "Logs are JSON and carry trace ids",
         "JSON lines can be searched; a trace_id on each line takes you from a log line "
         "to the request's trace and back.",
         Severity.MEDIUM,
         "Log JSON (structlog or a JSON formatter) with trace_id and span_id on every "
         f"line, for every logger. {RESTORE}",
         check_logs),
    Rule("observability/metrics-endpoint", AREA, "Metrics are served",
         "Alerts, SLOs and autoscaling all read metrics; no endpoint, no signal.",
         Severity.MEDIUM,
         f"Serve Prometheus metrics on /metrics. {RESTORE}",
         check_metrics),
    Rule("observability/probes", AREA, "Liveness and readiness probes on served endpoints",
         "Without readiness, traffic reaches pods that cannot serve; without liveness, a "
         "hung pod is never restarted; a probe on a path the app does not serve keeps "
         "every pod unready or restarting.",
         Severity.HIGH,
         "Give every container livenessProbe (/livez) and readinessProbe (/readyz) on "
         f"paths the application serves. {RESTORE}",
         check_probes),
)
