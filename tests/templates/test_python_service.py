"""The python-service golden path as rendered: its structure, and the service run.

Its own CI (lint, type-check, its test suite) runs for several service names in
tests/templates/test_bundled_catalog.py.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from paved import yaml
from paved.check import run_check
from paved.check.options import CheckOptions
from paved.check.rule import Status
from paved.create import create_service
from tests.helpers import PIP_CACHE, ROOT

PACKAGE = "payments_api"
PLATFORM_MODULES = {
    "access", "app", "breaker", "budget", "client", "deadline", "errors", "faults", "health",
    "instances", "logs", "metrics", "middleware", "observe", "outcome", "server", "settings",
    "telemetry", "testing", "transport", "window",
}
CHAOS_MODULES = {"__init__", "__main__", "activities", "run", "verdicts"}
TEAM_MODULES = {"__main__", "main", "api", "settings"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(url: str, process: subprocess.Popen[str]) -> None:
    """Poll `url` until it answers; fail with the process's output if it exits first."""
    for _ in range(600):
        if process.poll() is not None:
            out, err = process.communicate()
            pytest.fail(f"exited {process.returncode} before answering: {out[-2000:]}{err[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"{url} did not answer within 60 s")


@pytest.fixture(scope="session")
def service_venv(rendered_service: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the rendered service with its own venv (`pip install -e '.[test]'`), once per session."""
    workdir = tmp_path_factory.mktemp("runnable") / rendered_service.name
    shutil.copytree(rendered_service, workdir)  # the fixture's tree stays untouched
    subprocess.run([sys.executable, "-m", "venv", str(workdir / ".venv")], check=True)
    subprocess.run(
        [str(workdir / ".venv/bin/python"), "-m", "pip", "install", "--quiet", "-e", ".[test]"],
        cwd=workdir, check=True, capture_output=True, text=True, timeout=900,
        env={**os.environ, "PIP_CACHE_DIR": str(PIP_CACHE)},
    )
    return workdir


def test_platform_code_is_one_package_apart_from_the_teams_code(rendered_service: Path) -> None:
    package = rendered_service / "src" / PACKAGE
    assert {p.stem for p in (package / "platform").glob("*.py")} == PLATFORM_MODULES | {"__init__"}
    assert {p.stem for p in package.glob("*.py")} == TEAM_MODULES | {"__init__"}
    assert {p.stem for p in (package / "platform" / "chaos").glob("*.py")} == CHAOS_MODULES
    # The platform never imports the team's modules, so updates to it cannot break on them.
    for module in (package / "platform").rglob("*.py"):
        depth = len(module.relative_to(package / "platform").parts)  # 1 in platform/, 2 below
        tree = ast.parse(module.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level:
                assert node.level <= depth, f"{module.name} imports from outside the platform package"
            if isinstance(node, ast.ImportFrom) and node.module and not node.level:
                assert not node.module.startswith(PACKAGE), module.name


def _settings_fields(rendered_service: Path) -> dict[str, ast.Call]:
    source = (rendered_service / "src" / PACKAGE / "platform" / "settings.py").read_text()
    settings_class = next(
        node for node in ast.parse(source).body
        if isinstance(node, ast.ClassDef) and node.name == "PlatformSettings"
    )
    fields = {}
    for node in settings_class.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            if node.target.id != "model_config":
                assert isinstance(node.value, ast.Call), node.target.id
                fields[node.target.id] = node.value
    return fields


def test_every_platform_setting_has_a_default_and_a_description(rendered_service: Path) -> None:
    fields = _settings_fields(rendered_service)
    assert len(fields) > 25
    for name, call in fields.items():
        keywords = {k.arg for k in call.keywords}
        assert "default" in keywords, f"{name} has no default"
        assert "description" in keywords, f"{name} is undocumented"


def test_the_golden_path_doc_covers_every_setting(rendered_service: Path) -> None:
    doc = (ROOT / "docs" / "golden-paths" / "python-service.md").read_text()
    missing = [name.upper() for name in _settings_fields(rendered_service) if name.upper() not in doc]
    assert missing == []


def _documented_defaults(golden_path: str = "python-service") -> dict[str, object]:
    """VARIABLE -> default, from the settings tables of docs/golden-paths/<golden_path>.md.

    A cell is read as: `unset…` None, `empty…` "", a trailing "(N)" N (a default derived
    from an answer, with the value it has for the default answers), `true`/`false`, a
    number, or a `literal`; a row naming several variables lists their defaults in order.
    """
    doc = (ROOT / "docs" / "golden-paths" / f"{golden_path}.md").read_text()
    settings = doc[doc.index("\n## Settings"):doc.index("\n## Endpoints")]
    found: dict[str, object] = {}
    for line in settings.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not re.fullmatch(r"`[A-Z][A-Z0-9_]+`(, `[A-Z][A-Z0-9_]+`)*", cells[0]):
            continue
        names = re.findall(r"`([A-Z][A-Z0-9_]+)`", cells[0])
        values = cells[1].split(", ") if len(names) > 1 else [cells[1]]
        assert len(values) == len(names), line
        for name, value in zip(names, values, strict=True):
            assert name not in found, f"{name} is documented twice"
            found[name] = _cell_value(value)
    return found


def _cell_value(cell: str) -> object:
    if cell == "the `service_name` answer":
        return "payments-api"  # the answer of the test render
    if cell.startswith("unset"):
        return None
    if cell.startswith("empty"):
        return ""
    if derived := re.search(r"\(([0-9.]+)\)$", cell):
        cell = derived.group(1)
    if cell in ("`true`", "`false`"):
        return cell == "`true`"
    if re.fullmatch(r"[0-9]+(\.[0-9]+)?", cell):
        return float(cell)
    if literal := re.fullmatch(r"`([^`]*)`", cell):
        return literal.group(1)
    return cell


def test_the_documented_defaults_are_the_rendered_ones(rendered_service: Path) -> None:
    documented = _documented_defaults()
    rendered: dict[str, object] = {}
    for name, call in _settings_fields(rendered_service).items():
        (default,) = (k.value for k in call.keywords if k.arg == "default")
        value = ast.literal_eval(default)
        numeric = isinstance(value, int | float) and not isinstance(value, bool)
        rendered[name.upper()] = float(value) if numeric else value
    assert {name: documented.get(name, "(not in a table)") for name in rendered} == rendered


def test_runbook_metric_names_are_the_ones_the_service_exports(rendered_service: Path) -> None:
    runbook = (rendered_service / "docs" / "runbook.md").read_text()
    exported = (rendered_service / "src" / PACKAGE / "platform" / "metrics.py").read_text()
    exported += (rendered_service / "src" / PACKAGE / "platform" / "observe.py").read_text()
    named = set(re.findall(r"`((?:outbound|server|deadline|http)_[a-z_]+)`", runbook))
    assert named
    for name in named:
        assert f'"{name.removesuffix("_total")}"' in exported, name


def test_the_runbook_names_hypotheses_the_experiment_tests(rendered_service: Path) -> None:
    experiment = json.loads((rendered_service / "chaos" / "experiment.json").read_text())
    tested = {activity["name"].split(":", 1)[0] for activity in experiment["method"]
              if activity["type"] == "probe"}
    assert tested == {"timeouts", "deadlines", "retry budget", "breaker", "shedding"}
    runbook = (rendered_service / "docs" / "runbook.md").read_text()
    named = set(re.findall(r"`([a-z ]+): …`", runbook))
    assert named == tested


def test_makefile_has_the_plain_commands(rendered_service: Path) -> None:
    makefile = (rendered_service / "Makefile").read_text()
    for target in ("install", "test", "run", "bench", "chaos"):
        assert re.search(rf"^{target}:", makefile, re.MULTILINE), target
    assert "-e '.[test]'" in makefile
    assert f"-m {PACKAGE}" in makefile
    assert "PORT ?= 8080" in makefile
    assert "-include deploy/*.mk" in makefile


def test_answers_reach_the_service_defaults(tmp_path: Path) -> None:
    dest = tmp_path / "orders"
    create_service(
        "orders",
        dest=dest,
        data={"http_port": 9090, "shutdown_timeout_seconds": 30},
        use_git=False,
    )
    settings = (dest / "src" / "orders" / "platform" / "settings.py").read_text()
    assert re.search(r'service_name: str = Field\(\s+default="orders",', settings)
    assert "default=9090, ge=1" in settings
    assert re.search(r"shutdown_timeout_seconds: float = Field\(\s+default=30,", settings)
    assert re.search(r"shutdown_drain_seconds: float = Field\(\s+default=5,", settings)
    assert "PORT ?= 9090" in (dest / "Makefile").read_text()


def test_the_readme_says_how_the_service_is_reached(rendered_service: Path) -> None:
    readme = (rendered_service / "README.md").read_text()
    settings = (rendered_service / "src" / PACKAGE / "platform" / "settings.py").read_text()
    assert 'host: str = Field(default="0.0.0.0"' in settings
    assert "127.0.0.1:${PORT" not in readme  # it never served on loopback only
    assert "It listens on port 8080 (`PORT`) on every interface (`HOST`, default\n`0.0.0.0`" \
        in readme
    assert "`GET /hello` answers" in readme
    assert "out of\n  the box they answer **502**" in readme
    assert "`EXAMPLE_DOWNSTREAM_URL`, by default\n  `http://127.0.0.1:8081/example`" in readme
    assert "[deploy/README.md](deploy/README.md)" in readme
    assert (rendered_service / "deploy" / "README.md").is_file()


def _descendants(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(child) for child in children] + [
        grandchild for child in children for grandchild in _descendants(int(child))]


@pytest.mark.slow
def test_make_run_ends_cleanly_when_the_service_is_stopped(service_venv: Path) -> None:
    """SIGTERM to the service (as `docker stop` or a process manager sends it): a clean end."""
    port = free_port()
    env = {**os.environ, "SHUTDOWN_DRAIN_SECONDS": "0", "HOST": "127.0.0.1"}
    make = subprocess.Popen(["make", "run", f"PORT={port}"], cwd=service_venv, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_until_up(f"http://127.0.0.1:{port}/livez", make)
        (server,) = [pid for pid in _descendants(make.pid)
                     if "-m\0payments_api" in Path(f"/proc/{pid}/cmdline").read_text()]
        os.kill(server, signal.SIGTERM)
        _, stderr = make.communicate(timeout=60)
    finally:
        if make.poll() is None:
            make.kill()
    assert make.returncode == 0, stderr[-2000:]
    assert "make: ***" not in stderr


@pytest.mark.slow
def test_make_chaos_passes_and_paved_check_reads_its_journal(service_venv: Path) -> None:
    """The experiment as shipped, against the real service: every hypothesis passes, and the
    journal Chaos Toolkit wrote is the evidence `paved check --evidence` reads."""
    done = subprocess.run(["make", "chaos"], cwd=service_venv, capture_output=True, text=True,
                          timeout=300, check=False)
    lines = done.stdout.splitlines()
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert lines[-1] == "chaos experiment passed (completed); journal: chaos/journal.json"
    assert [line.split("  ", 1)[0] for line in lines[1:-1]] == ["PASS"] * 16  # after make's echo
    result = {r.id: r for r in run_check(service_venv, CheckOptions(
        evidence=service_venv / "chaos")).results}["evidence/chaos-journal"]
    assert result.status is Status.PASS
    assert re.fullmatch(r"measured: the chaos run of \S+ passed \(10 hypotheses under faults\)",
                        result.message)


TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"


@contextmanager
def running(service_venv: Path, tmp_path: Path, **env: str) -> Iterator[tuple[str, Path]]:
    """`python -m payments_api` (as `make run` and the image start it) on a free port; yields
    its URL and the file its stdout goes to. Stopped with SIGTERM (spans are flushed)."""
    port = free_port()
    stdout = tmp_path / "stdout.jsonl"
    full_env = {**os.environ, "HOST": "127.0.0.1", "PORT": str(port),
                "SHUTDOWN_DRAIN_SECONDS": "0", **env}
    with stdout.open("w") as out:
        process = subprocess.Popen([str(service_venv / ".venv/bin/python"), "-m", PACKAGE],
                                   cwd=service_venv, env=full_env, stdout=out,
                                   stderr=subprocess.PIPE, text=True)
        try:
            wait_until_up(f"http://127.0.0.1:{port}/livez", process)
            yield f"http://127.0.0.1:{port}", stdout
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=60)


def get(url: str, headers: dict[str, str] | None = None) -> int:
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return int(answer.status)


def log_records(stdout: Path) -> list[dict[str, object]]:
    import json

    return [json.loads(line) for line in stdout.read_text().splitlines() if line.strip()]


class Collector(BaseHTTPRequestHandler):
    """An OTLP/HTTP collector: keeps each request body by path, answers 200."""

    received: dict[str, list[bytes]]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.setdefault(self.path, []).append(body)
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def collector() -> Iterator[tuple[str, dict[str, list[bytes]]]]:
    received: dict[str, list[bytes]] = {}
    handler = type("Handler", (Collector,), {"received": received})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", received
    finally:
        server.shutdown()
        server.server_close()


# Run with the service's own interpreter: it has opentelemetry-proto, paved's does not.
DECODE_RESOURCE = """
import json, sys
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
request = ExportTraceServiceRequest.FromString(open(sys.argv[1], "rb").read())
resource = request.resource_spans[0].resource
print(json.dumps({a.key: a.value.string_value for a in resource.attributes}))
"""


@pytest.mark.slow
def test_the_opentelemetry_environment_names_the_service(service_venv: Path,
                                                          tmp_path: Path) -> None:
    """OTEL_SERVICE_NAME, then OTEL_RESOURCE_ATTRIBUTES, then the service's own setting."""
    import json

    attributes = "service.name=overridden,deployment.environment=staging,service.namespace=shop"
    with collector() as (endpoint, received), running(
            service_venv, tmp_path, OTEL_SERVICE_NAME="checkout-edge",
            OTEL_RESOURCE_ATTRIBUTES=attributes, OTEL_EXPORTER_OTLP_ENDPOINT=endpoint,
            OTEL_BSP_SCHEDULE_DELAY="50") as (url, stdout):
        assert get(f"{url}/hello", {"traceparent": TRACEPARENT}) == 200
    (body, *_) = received["/v1/traces"]
    exported = tmp_path / "export.bin"
    exported.write_bytes(body)
    decoded = subprocess.run([str(service_venv / ".venv/bin/python"), "-c", DECODE_RESOURCE,
                              str(exported)], capture_output=True, text=True, check=True)
    resource = json.loads(decoded.stdout)
    assert {key: resource[key] for key in ("service.name", "deployment.environment",
                                           "service.namespace", "telemetry.sdk.language")} == {
        "service.name": "checkout-edge", "deployment.environment": "staging",
        "service.namespace": "shop", "telemetry.sdk.language": "python"}
    names = {record["service.name"] for record in log_records(stdout)}
    assert names == {"checkout-edge"}


@pytest.mark.slow
def test_otel_sdk_disabled_exports_nothing(service_venv: Path, tmp_path: Path) -> None:
    with collector() as (endpoint, received), running(
            service_venv, tmp_path, OTEL_SDK_DISABLED="true",
            OTEL_EXPORTER_OTLP_ENDPOINT=endpoint, OTEL_BSP_SCHEDULE_DELAY="50") as (url, stdout):
        assert get(f"{url}/hello", {"traceparent": TRACEPARENT}) == 200
    assert received == {}
    # No span of its own: the request's lines carry the caller's span, propagated as is.
    (hello,) = [record for record in log_records(stdout) if record.get("url.path") == "/hello"]
    assert (hello["trace_id"], hello["span_id"]) == (TRACE_ID, TRACEPARENT.split("-")[2])


@pytest.mark.slow
def test_the_access_log_is_structured_and_keeps_secrets_out(service_venv: Path,
                                                            tmp_path: Path) -> None:
    secrets = {"query": "abc123tok", "token": "t0k3nvalue", "auth": "s3cr3tbearer",
               "cookie": "c00k1esession", "referer": "r3f3rertoken"}
    with running(service_venv, tmp_path, LOG_LEVEL="DEBUG") as (url, stdout):
        assert get(f"{url}/hello?access_token={secrets['query']}&page=2&token={secrets['token']}",
                   {"traceparent": TRACEPARENT, "Authorization": f"Bearer {secrets['auth']}",
                    "Cookie": f"session={secrets['cookie']}", "User-Agent": "probe/1.0",
                    "Referer": f"https://shop.example/?access_token={secrets['referer']}",
                    "X-Request-Id": "req-1"}) == 200
        assert get(f"{url}/livez") == 200
        assert get(f"{url}/metrics") == 200
    text = stdout.read_text()
    assert [name for name, value in secrets.items() if value in text] == []
    access = [record for record in log_records(stdout)
              if str(record.get("logger", "")).endswith(".platform.access")]
    (hello,) = [record for record in access if record["url.path"] == "/hello"]
    duration = hello.pop("duration_ms")
    assert isinstance(duration, float) and duration >= 0
    assert {key: value for key, value in hello.items()
            if key not in ("timestamp", "span_id")} == {
        "message": "GET /hello 200", "level": "info",
        "logger": f"{PACKAGE}.platform.access", "service.name": "payments-api",
        "trace_id": TRACE_ID, "http.request.method": "GET", "url.path": "/hello",
        "http.route": "/hello", "http.response.status_code": 200,
        "url.query": "access_token=[redacted]&page=2&token=[redacted]",
        "client.address": "127.0.0.1", "user_agent.original": "probe/1.0",
        "http.request.header.x-request-id": "req-1"}
    quiet = {record["url.path"]: record["level"] for record in access
             if record["url.path"] != "/hello"}
    assert quiet == {"/livez": "debug", "/metrics": "debug"}
