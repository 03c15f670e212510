"""A repository that passes every `paved check` rule, written file by file.

It mirrors what PRODUCT.md says the python-service golden path contains, in
the smallest form the rules need. Tests break one property at a time.
"""

from __future__ import annotations

import json
from pathlib import Path

import paved
from paved.check import RuleResult, run_check
from paved.check.options import CheckOptions
from tests.helpers import build_file_tree

DIGEST = "sha256:" + "a" * 64
SHA = "11bd71901bbe5b1630ceea73d27597364c9af683"

FILES = {
    ".paved.yml": f"""\
catalog: bundled
version: {paved.__version__}
golden_path: python-service
layers: [base, python-service, ci-github, deploy-k8s]
answers:
  service_name: payments-api
paved_version: {paved.__version__}
""",
    "catalog-info.yaml": """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments-api
spec:
  type: service
  lifecycle: production
  owner: team-payments
""",
    "CODEOWNERS": "* @team-payments\n",
    "docs/runbook.md": """\
# Runbook: payments-api

## 1. A dependency is down or failing
Breaker open; roll back if a deploy started it.

## 2. Latency spike
Check traces.

## 3. Bad deploy
Roll back.

## 4. Overload
Scale out.

## 5. Bad configuration
Revert the change.
""",
    "docs/postmortem.md": "# Postmortem: <title>\n\n## Timeline\n\n## Action items\n",
    "Dockerfile": """\
FROM python:3.12-slim AS build
RUN pip wheel --wheel-dir /wheels .

FROM python:3.12-slim
COPY --from=build /wheels /wheels
USER 10001:10001
CMD ["uvicorn", "payments_api.main:app"]
""",
    "src/payments_api/__init__.py": "",
    "src/payments_api/main.py": """\
from fastapi import FastAPI

from payments_api.platform.shedding import LoadSheddingMiddleware

app = FastAPI()
app.add_middleware(LoadSheddingMiddleware)


@app.get("/livez")
def livez() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/readyz")
def readyz() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/metrics")
def metrics() -> str:
    return ""


@app.get("/version")
def version() -> dict[str, str]:
    return {"commit": "", "image": ""}
""",
    "src/payments_api/platform/__init__.py": "",
    "src/payments_api/platform/settings.py": """\
from pydantic import Field
from pydantic_settings import BaseSettings


# Names and defaults as the golden path's platform settings have them.
class PlatformSettings(BaseSettings):
    max_in_flight_requests: int = Field(100, ge=1, description="load shedding")
    shutdown_timeout_seconds: float = 20
    request_timeout_default_ms: int = 10_000
    outbound_connect_timeout_seconds: float = Field(0.5, gt=0)
    outbound_timeout_seconds: float = Field(2.0, gt=0)
    outbound_max_attempts: int = Field(3, ge=1)
    outbound_max_in_flight_per_host: int = 20
    retry_budget_ratio: float = 0.1
    retry_budget_min_retries: int = 5
    breaker_failure_ratio: float = 0.5
    breaker_half_open_probes: int = 3
    breaker_enabled: bool = Field(True, description="tests only")
""",
    "src/payments_api/platform/client.py": """\
import httpx

from payments_api.platform.breaker import CircuitBreaker
from payments_api.platform.budget import RetryBudget


def make_client(settings):
    timeout = httpx.Timeout(settings.outbound_timeout_seconds,
                            connect=settings.outbound_connect_timeout_seconds)
    return httpx.AsyncClient(timeout=timeout)
""",
    "src/payments_api/platform/breaker.py": "class CircuitBreaker:\n    pass\n",
    "src/payments_api/platform/budget.py": "class RetryBudget:\n    pass\n",
    "src/payments_api/platform/shedding.py": "class LoadSheddingMiddleware:\n    pass\n",
    "src/payments_api/platform/telemetry.py": """\
import structlog
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider


def configure() -> None:
    trace.set_tracer_provider(TracerProvider())
    structlog.configure(processors=[add_span_context, structlog.processors.JSONRenderer()])


def add_span_context(logger, name, event):
    context = trace.get_current_span().get_span_context()
    event["trace_id"] = format(context.trace_id, "032x")
    return event
""",
    "tests/test_health.py": "import httpx\n\nhttpx.get('http://example')\n",
    "deploy/base/kustomization.yaml": """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - deployment.yaml
  - hpa.yaml
""",
    "deploy/base/deployment.yaml": """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: payments-api
spec:
  replicas: 2
  progressDeadlineSeconds: 120
  strategy:
    rollingUpdate:
      maxSurge: 2
      maxUnavailable: 0
  template:
    spec:
      securityContext:
        runAsNonRoot: true
        runAsUser: 10001
        seccompProfile:
          type: RuntimeDefault
      containers:
        - name: app
          image: payments-api
          env:
            - name: OUTBOUND_MAX_ATTEMPTS
              value: "3"
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities:
              drop: [ALL]
          startupProbe:
            httpGet: {path: /livez, port: 8080}
            periodSeconds: 2
            failureThreshold: 10
          livenessProbe:
            httpGet: {path: /livez, port: 8080}
          readinessProbe:
            httpGet: {path: /readyz, port: 8080}
            periodSeconds: 5
""",
    "deploy/base/hpa.yaml": """\
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: payments-api
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: payments-api
  minReplicas: 2
  maxReplicas: 4
""",
    "deploy/overlays/prod/kustomization.yaml": f"""\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../../base
images:
  - name: payments-api
    newName: ghcr.io/acme/payments-api
    digest: {DIGEST}
""",
    ".github/workflows/ci.yml": f"""\
name: ci
on: [pull_request]
permissions:
  contents: read
jobs:
  test:
    runs-on: ubuntu-latest
    timeout-minutes: 15
    steps:
      - uses: actions/checkout@{SHA} # v4.2.2
      - run: make install
      - run: make test
""",
    ".github/workflows/deploy.yml": f"""\
name: deploy
on:
  push:
    branches: [main]
permissions:
  contents: read
concurrency: deploy-prod
jobs:
  deploy:
    runs-on: ubuntu-latest
    timeout-minutes: 20
    permissions:
      contents: read
      packages: write
      id-token: write
    steps:
      - uses: actions/checkout@{SHA} # v4.2.2
      - run: docker build -t app .
      - run: kubectl apply -k deploy/overlays/prod
      - run: kubectl rollout status deployment/payments-api --timeout=120s
      - name: Roll back on failure
        if: failure()
        run: make rollback ENV=prod
""",
    ".github/workflows/rollback.yml": f"""\
name: rollback
on:
  workflow_dispatch:
    inputs:
      digest:
        description: digest to go back to
permissions:
  contents: read
concurrency: deploy-prod
jobs:
  rollback:
    runs-on: ubuntu-latest
    timeout-minutes: 5
    environment: prod
    steps:
      - uses: actions/checkout@{SHA} # v4.2.2
      - run: make rollback ENV=prod TO="$DIGEST"
        env:
          DIGEST: ${{{{ inputs.digest }}}}
""",
}


def probe(name: str) -> dict[str, object]:
    return {"type": "probe", "name": name,
            "provider": {"type": "python", "module": "payments_api.chaos", "func": "measure"}}


HYPOTHESES = ["timeouts: a slow dependency is cut at the per-call timeout",
              "retry budget: amplification stays within 1.2",
              "breaker: opens under 100 % 503s", "shedding: the excess is answered 503",
              "deadlines: callers get their 504 on time"]
EXPERIMENT = {"version": "1.0.0", "title": "payments-api tolerates a failing dependency",
              "description": "faults between the service and its dependency",
              "steady-state-hypothesis": {"title": "served within the SLO",
                                          "probes": [probe("steady state: errors")]},
              "method": [{"type": "action", "name": "inject 503s",
                          "provider": {"type": "http", "url": "http://127.0.0.1:1/fault"}},
                         *map(probe, HYPOTHESES)]}


def journal(status: str = "completed", *, end: str = "2026-11-30T10:00:00+00:00",
            failed: tuple[str, ...] = (), experiment: dict[str, object] | None = None) -> str:
    """A Chaos Toolkit journal of EXPERIMENT (the fields paved reads)."""
    def run(name: str) -> dict[str, object]:
        return {"activity": probe(name), "status": "failed" if name in failed else "succeeded",
                "output": {"figure": "measured"}}
    state = {"steady_state_met": True, "probes": [{**run("steady state: errors"),
                                                   "tolerance_met": True}]}
    return json.dumps({"chaoslib-version": "1.44.0", "experiment": experiment or EXPERIMENT,
                       "start": end, "end": end, "status": status, "deviated": False,
                       "steady_states": {"before": state, "after": state},
                       "run": [run(name) for name in HYPOTHESES], "rollbacks": []})


def drill(automatic: float = 97, workflow: float = 64, *,
          finished: str = "2026-11-30T10:00:00Z") -> str:
    """A record of deploy/scripts/drill.sh."""
    return json.dumps({"kind": "paved-rollback-drill", "version": 1, "finished": finished,
                       "limit_seconds": 300, "rollbacks": [
                           {"kind": "automatic", "decision_to_healthy_seconds": automatic},
                           {"kind": "workflow", "decision_to_healthy_seconds": workflow}]})


FILES["chaos/experiment.json"] = json.dumps(EXPERIMENT, indent=2)
FILES["chaos/journal.json"] = journal()
FILES["deploy/drill.json"] = drill()


def compliant_repo(root: Path) -> Path:
    return build_file_tree(root, FILES)


def results(root: Path, **options: object) -> dict[str, RuleResult]:
    report = run_check(root, CheckOptions(**options))  # type: ignore[arg-type]
    return {result.id: result for result in report.results}


def change(root: Path, path: str, old: str, new: str) -> None:
    """Replace `old` (which must be there) with `new` in the file `path` of `root`."""
    file = root / path
    text = file.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    file.write_text(text.replace(old, new, 1), encoding="utf-8")


def line(root: Path, path: str, needle: str) -> int:
    """The 1-based line of the first occurrence of `needle` in `path`."""
    for number, text in enumerate((root / path).read_text().splitlines(), start=1):
        if needle in text:
            return number
    raise AssertionError(f"{needle!r} not in {path}")


def where(result: RuleResult) -> list[tuple[str, int | None]]:
    return [(evidence.path, evidence.line) for evidence in result.evidence]
