from __future__ import annotations

from pathlib import Path

from paved.check.rule import Status
from tests.check.fixture_repo import change, line, results, where

TELEMETRY = "src/payments_api/platform/telemetry.py"
MAIN = "src/payments_api/main.py"
DEPLOYMENT = "deploy/base/deployment.yaml"


def test_no_tracer_provider_fails_at_the_app(repo: Path) -> None:
    change(repo, TELEMETRY, "from opentelemetry.sdk.trace import TracerProvider\n", "")
    change(repo, TELEMETRY, "    trace.set_tracer_provider(TracerProvider())\n", "")
    result = results(repo)["observability/tracing"]
    assert result.status is Status.FAIL
    assert where(result) == [(MAIN, line(repo, MAIN, "FastAPI()"))]


def test_logs_without_trace_ids_fail(repo: Path) -> None:
    change(repo, TELEMETRY, '    event["trace_id"] = format(context.trace_id, "032x")\n', "")
    result = results(repo)["observability/structured-logs"]
    assert result.status is Status.FAIL
    assert result.message == "no trace ids in log lines"
    assert where(result) == [(TELEMETRY, 1)]


def test_plain_text_logs_fail(repo: Path) -> None:
    (repo / TELEMETRY).write_text("import logging\nlogging.basicConfig()\n")
    result = results(repo)["observability/structured-logs"]
    assert result.status is Status.FAIL
    assert result.message == "no structured (JSON) logs"


def test_no_metrics_endpoint_fails_at_the_app(repo: Path) -> None:
    change(repo, MAIN, '@app.get("/metrics")', '@app.get("/stats")')
    result = results(repo)["observability/metrics-endpoint"]
    assert result.status is Status.FAIL
    assert where(result) == [(MAIN, line(repo, MAIN, "FastAPI()"))]


def test_a_dropped_readiness_probe_fails_at_its_container(repo: Path) -> None:
    change(repo, DEPLOYMENT, "          readinessProbe:\n            httpGet: {path: /readyz, "
                             "port: 8080}\n            periodSeconds: 5\n", "")
    result = results(repo)["observability/probes"]
    assert result.status is Status.FAIL
    assert where(result) == [(DEPLOYMENT, line(repo, DEPLOYMENT, "- name: app"))]
    assert result.evidence[0].message == ("container app of Deployment/payments-api has no "
                                          "readinessProbe")


def test_a_probe_on_an_unserved_path_fails(repo: Path) -> None:
    change(repo, DEPLOYMENT, "path: /readyz", "path: /healthz")
    result = results(repo)["observability/probes"]
    assert result.status is Status.FAIL
    assert where(result) == [(DEPLOYMENT, line(repo, DEPLOYMENT, "readinessProbe:"))]
    assert "checks /healthz, which the application does not serve" in result.evidence[0].message
