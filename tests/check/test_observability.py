from __future__ import annotations

from pathlib import Path

from paved.check.rule import Status
from tests.check.fixture_repo import change, line, results, where
from tests.helpers import build_file_tree

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


def test_auto_instrumentation_in_the_dockerfile_is_tracing(repo: Path) -> None:
    change(repo, TELEMETRY, "from opentelemetry.sdk.trace import TracerProvider\n", "")
    change(repo, TELEMETRY, "    trace.set_tracer_provider(TracerProvider())\n", "")
    change(repo, "Dockerfile", 'CMD ["uvicorn"', 'CMD ["opentelemetry-instrument", "uvicorn"')
    result = results(repo)["observability/tracing"]
    assert (result.status, result.message) == (Status.PASS, "OpenTelemetry auto-instrumentation")
    assert where(result) == [("Dockerfile", line(repo, "Dockerfile", "opentelemetry-instrument"))]


def test_no_tracing_fails_at_the_first_application(repo: Path) -> None:
    change(repo, TELEMETRY, "from opentelemetry.sdk.trace import TracerProvider\n", "")
    change(repo, TELEMETRY, "    trace.set_tracer_provider(TracerProvider())\n", "")
    change(repo, MAIN, "app = FastAPI()\n", "app = FastAPI()\nadmin = FastAPI()\n")
    result = results(repo)["observability/tracing"]
    assert result.message == "no tracing: no OpenTelemetry tracer provider or instrumentation"
    assert [(e.path, e.line, e.message) for e in result.evidence] == [
        (MAIN, line(repo, MAIN, "app = FastAPI()"), "requests here are not traced")]


def test_code_without_tracing_logs_or_an_application_fails_at_its_first_file(
        tmp_path: Path) -> None:
    build_file_tree(tmp_path, {"src/jobs/a.py": "import os\n", "src/jobs/b.py": "import sys\n"})
    found = results(tmp_path)
    tracing, logs = found["observability/tracing"], found["observability/structured-logs"]
    assert (tracing.status, [(e.path, e.line, e.message) for e in tracing.evidence]) == (
        Status.FAIL, [("src/jobs/a.py", 1, "requests here are not traced")])
    assert (logs.status, logs.message) == (Status.FAIL, "no structured (JSON) logs")
    assert [(e.path, e.line, e.message) for e in logs.evidence] == [
        ("src/jobs/a.py", 1, "missing structured (JSON) logs")]
    assert found["observability/metrics-endpoint"].status is Status.NOT_APPLICABLE


def test_trace_ids_in_plain_logs_fail_at_the_first_logging_call(repo: Path) -> None:
    (repo / TELEMETRY).write_text(
        '"""Logging set up by hand."""\n'
        "import logging\n"
        "\n"
        "from opentelemetry import trace\n"
        "from opentelemetry.sdk.trace import TracerProvider\n"
        "\n"
        "\n"
        "def configure() -> None:\n"
        "    trace.set_tracer_provider(TracerProvider())\n"
        "    logging.basicConfig(format='%(message)s trace_id=%(otelTraceID)s')\n")
    result = results(repo)["observability/structured-logs"]
    assert (result.status, result.message) == (Status.FAIL, "no structured (JSON) logs")
    assert [(e.path, e.line, e.message) for e in result.evidence] == [
        (TELEMETRY, 2, "missing structured (JSON) logs")]


def test_probe_problems_are_all_listed_each_where_it_is(repo: Path) -> None:
    change(repo, DEPLOYMENT, "          livenessProbe:\n            httpGet: {path: /livez, "
                             "port: 8080}\n", "")
    change(repo, DEPLOYMENT, "path: /readyz", "path: /status")
    change(repo, DEPLOYMENT, "        - name: app\n", "        - oops\n        - name: app\n")
    result = results(repo)["observability/probes"]
    assert (result.status, result.message) == (Status.FAIL, "2 probe problem(s)")
    assert [(e.path, e.line, e.message) for e in result.evidence] == [
        (DEPLOYMENT, line(repo, DEPLOYMENT, "- name: app"),
         "container app of Deployment/payments-api has no livenessProbe"),
        (DEPLOYMENT, line(repo, DEPLOYMENT, "readinessProbe:"),
         "readinessProbe of app checks /status, which the application does not serve")]


def test_a_probe_under_a_path_prefix_of_a_served_route_is_served(repo: Path) -> None:
    change(repo, DEPLOYMENT, "path: /readyz", "path: /payments/readyz")
    assert results(repo)["observability/probes"].status is Status.PASS


def test_probes_are_not_called_unserved_when_the_routes_are_unknown(repo: Path) -> None:
    (repo / MAIN).write_text("from fastapi import FastAPI\n\nfrom payments_api.routes import "
                             "router\n\napp = FastAPI()\napp.include_router(router)\n")
    change(repo, DEPLOYMENT, "path: /readyz", "path: /status")
    assert results(repo)["observability/probes"].status is Status.PASS


def test_an_unserved_probe_is_not_checked_when_some_code_could_not_be_read(repo: Path) -> None:
    """The route may be served by the code that could not be read; a missing probe cannot."""
    (repo / "src/payments_api/broken.py").write_text('@app.get("/status")\ndef broken(:\n')
    change(repo, DEPLOYMENT, "path: /readyz", "path: /status")
    result = results(repo)["observability/probes"]
    assert (result.status, result.message) == (Status.NOT_CHECKED, (
        "not checked: could not read src/payments_api/broken.py (not valid Python); on the "
        "files read: fail, 1 probe problem(s)"))
    change(repo, DEPLOYMENT, "          livenessProbe:\n            httpGet: {path: /livez, "
                             "port: 8080}\n", "")
    result = results(repo)["observability/probes"]
    assert (result.status, result.message) == (Status.FAIL, "2 probe problem(s)")
