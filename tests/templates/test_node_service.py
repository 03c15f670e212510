"""The node-service golden path as rendered: built from the shared layers, same policy as
python-service, and the service run (its own CI runs in tests/templates/test_bundled_catalog.py).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from paved import yaml
from paved.create import create_service
from paved.project import read_record
from tests.helpers import NPM_CACHE, ROOT
from tests.templates.test_python_service import _documented_defaults, free_port, wait_until_up

# Settings of python-service that node-service does not read: python's OpenTelemetry
# instrumentations need it; node-service's spans and metrics are the platform's own, with
# the stable names already.
NOT_PORTED = {"OTEL_SEMCONV_STABILITY_OPT_IN"}


@pytest.fixture(scope="module")
def built_service(node_service: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy with `npm ci` done and the TypeScript compiled, once per module."""
    workdir = tmp_path_factory.mktemp("node-built") / node_service.name
    shutil.copytree(node_service, workdir)
    env = {**os.environ, "npm_config_cache": str(NPM_CACHE)}
    for command in (["npm", "ci", "--no-audit", "--no-fund"], ["npx", "tsc", "-p", "."]):
        subprocess.run(command, cwd=workdir, check=True, capture_output=True, text=True,
                       timeout=600, env=env)
    return workdir


def test_the_shared_layers_render_from_the_node_contract(node_service: Path) -> None:
    ci = (node_service / ".github" / "workflows" / "ci.yml").read_text()
    assert "actions/setup-node@a0853c24544627f65ddf259abe73b1d18a591444  # v5.0.0" in ci
    assert 'node-version: "24"' in ci
    # Python only for Chaos Toolkit (`make install` puts it into .venv), which runs the chaos
    # experiment in `make test` and in the chaos job, each set up by the contract's toolchain.
    toolchain = ('      - uses: actions/setup-node@a0853c24544627f65ddf259abe73b1d18a591444'
                 '  # v5.0.0\n'
                 '        with:\n          node-version: "24"\n'
                 '      - uses: actions/setup-python@e797f83bcb11b83ae66e0230d6156d7c80228e7c'
                 '  # v6.0.0\n'
                 '        with:\n          python-version: "3.12"\n'
                 '      - name: Install\n        run: make install\n')
    assert ci.count(toolchain) == 2
    assert "        run: make chaos\n" in ci
    assert "    - typescript\n" in (node_service / "catalog-info.yaml").read_text()
    assert "package-ecosystem: npm" in (node_service / ".github" / "dependabot.yml").read_text()
    assert "node_modules/" in (node_service / ".gitignore").read_text().splitlines()
    deployment = (node_service / "deploy" / "base" / "deployment.yaml").read_text()
    assert "path: /livez" in deployment and "path: /readyz" in deployment
    readme = (node_service / "README.md").read_text()
    assert "make install   # installs the locked dependencies (npm ci) into node_modules" in readme


def test_the_lock_file_is_the_packages(node_service: Path) -> None:
    package = json.loads((node_service / "package.json").read_text())
    lock = json.loads((node_service / "package-lock.json").read_text())
    root = lock["packages"][""]
    assert (lock["name"], root["name"]) == ("payments-api", "payments-api")
    assert root["dependencies"] == package["dependencies"]
    assert root["devDependencies"] == package["devDependencies"]
    # Exact pins: `npm ci` installs what was tested, and the bots propose each change.
    for version in {**package["dependencies"], **package["devDependencies"]}.values():
        assert re.fullmatch(r"[0-9]+\.[0-9]+\.[0-9]+", version), version


def test_the_image_is_multi_stage_npm_ci_and_a_numeric_non_root_user(node_service: Path) -> None:
    dockerfile = (node_service / "Dockerfile").read_text()
    stages = re.findall(r"^FROM (\S+) AS (\w+)$", dockerfile, re.MULTILINE)
    assert stages == [("node:24.19.0-trixie-slim", "build"),
                      ("gcr.io/distroless/nodejs24-debian13:nonroot", "runtime")]
    assert "RUN npm ci --no-audit --no-fund" in dockerfile
    assert re.search(r"^USER 65532:65532$", dockerfile, re.MULTILINE)
    assert "EXPOSE 8080" in dockerfile


def test_every_node_version_has_an_exact_build_image_on_the_runtime_images_debian(
        tmp_path: Path) -> None:
    """Each `node_version` choice: an exact Node.js release to build on, and the distroless
    image of the same major version and Debian release (the tags are documented in
    docs/golden-paths/node-service.md, "Base images", with what could not be verified)."""
    choices = yaml.plain(yaml.load(ROOT / "templates" / "copier.yml"))["node_version"]["choices"]
    debian = {"bookworm": "debian12", "trixie": "debian13"}
    for version in choices:
        dest = tmp_path / f"node{version}"
        create_service("payments-api", dest=dest, golden_path="node-service",
                       data={"owner": "team-payments", "node_version": version}, use_git=False)
        dockerfile = (dest / "Dockerfile").read_text()
        (build, runtime) = re.findall(r"^FROM (\S+) AS \w+$", dockerfile, re.MULTILINE)
        built = re.fullmatch(r"node:([0-9]+)\.[0-9]+\.[0-9]+-(bookworm|trixie)-slim", build)
        assert built, build
        assert built[1] == version
        assert runtime == f"gcr.io/distroless/nodejs{version}-{debian[built[2]]}:nonroot"
        doc = (ROOT / "docs" / "golden-paths" / "node-service.md").read_text()
        assert f"`{build}`" in doc and f"`{runtime}`" in doc


def test_the_makefile_has_every_contract_target(node_service: Path) -> None:
    makefile = (node_service / "Makefile").read_text()
    for target in ("install", "lint", "typecheck", "test", "ci", "run", "bench"):
        assert re.search(rf"^{target}:", makefile, re.MULTILINE), target
    assert "$(NPM) ci --no-audit --no-fund" in makefile


def test_the_settings_table_is_python_services() -> None:
    """docs/golden-paths/node-service.md documents python-service's variables with its defaults."""
    python = _documented_defaults("python-service")
    node = _documented_defaults("node-service")
    for name in NOT_PORTED:
        del python[name]
    # pino spells the levels in lower case; the service accepts either.
    python["LOG_LEVEL"] = str(python["LOG_LEVEL"]).lower()
    assert node == python


def test_each_language_version_is_recorded_only_for_its_golden_path(
        node_service: Path, rendered_service: Path) -> None:
    node = read_record(node_service).answers
    python = read_record(rendered_service).answers
    assert (node.get("node_version"), "python_version" in node) == ("24", False)
    assert (python.get("python_version"), "node_version" in python) == ("3.12", False)


@pytest.mark.slow
def test_the_defaults_are_python_services(built_service: Path) -> None:
    """Every setting node-service reads has python-service's documented default, and the one
    node-service.md documents."""
    done = subprocess.run(
        ["node", "--input-type=module", "-e",
         "import { loadSettings } from './dist/src/platform/settings.js';"
         "console.log(JSON.stringify(loadSettings({})))"],
        cwd=built_service, capture_output=True, text=True, check=True)
    settings = json.loads(done.stdout)
    rendered = {re.sub(r"([A-Z])", r"_\1", key).upper(): value for key, value in settings.items()}
    documented = _documented_defaults()
    # Unset in python-service means "the inbound limit": node-service spells that out.
    documented["OUTBOUND_MAX_IN_FLIGHT_PER_HOST"] = documented["MAX_IN_FLIGHT_REQUESTS"]
    documented["LOG_LEVEL"] = str(documented["LOG_LEVEL"]).lower()
    for name, value in rendered.items():
        expected = documented[name]
        assert (float(value) if isinstance(value, int | float) and not isinstance(value, bool)
                else value) == expected, name
    assert set(documented) - set(rendered) == NOT_PORTED
    own = _documented_defaults("node-service")
    own["OUTBOUND_MAX_IN_FLIGHT_PER_HOST"] = own["MAX_IN_FLIGHT_REQUESTS"]
    assert {name: float(value) if isinstance(value, int | float) and not isinstance(value, bool)
            else value for name, value in rendered.items()} == own


@pytest.mark.slow
def test_the_service_runs_and_stops_cleanly_on_sigterm(built_service: Path) -> None:
    port = free_port()
    process = subprocess.Popen(
        ["node", "dist/src/main.js"], cwd=built_service, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env={**os.environ, "PORT": str(port), "SHUTDOWN_DRAIN_SECONDS": "0.1",
             "EXAMPLE_DOWNSTREAM_URL": f"http://127.0.0.1:{free_port()}/example"})
    try:
        wait_until_up(f"http://127.0.0.1:{port}/livez", process)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/hello", timeout=5) as answer:
            assert json.load(answer) == {"message": "hello"}
        with pytest.raises(urllib.error.HTTPError) as failed:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/example", timeout=10)
        assert failed.value.code == 502
        assert failed.value.headers["x-paved-no-retry"] == "DownstreamError"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
            metrics = answer.read().decode()
        assert 'http_server_request_duration_seconds_count{http_request_method="GET",' \
               'http_route="/hello",http_response_status_code="200"} 1' in metrics
        assert 'outbound_retries_total{host="127.0.0.1:' in metrics
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert (process.returncode, err) == (0, "")
    lines = [json.loads(line) for line in out.splitlines()]
    hello = next(line for line in lines if line.get("path") == "/hello")
    assert (hello["service"], hello["route"], hello["status"]) == ("payments-api", "/hello", 200)
    assert re.fullmatch(r"[0-9a-f]{32}", hello["trace_id"])
    assert lines[-1]["message"] == "stopped"


def test_the_runbook_metric_names_are_the_ones_node_service_exports(node_service: Path) -> None:
    runbook = (node_service / "docs" / "runbook.md").read_text()
    exported = (node_service / "src" / "platform" / "metrics.ts").read_text()
    named = set(re.findall(r"`((?:outbound|server|deadline|http)_[a-z_]+)`", runbook))
    # Failing pods are ejected, as python-service's: the runbook says how that shows.
    assert "outbound_instance_ejections_total" in named
    for name in named:
        base = name.removesuffix("_total")
        assert f'"{base}"' in exported or f'"{base}_total"' in exported, name


def test_the_docs_name_the_node_service_golden_path() -> None:
    doc = (ROOT / "docs" / "golden-paths" / "node-service.md").read_text()
    assert doc.startswith("# Golden path: node-service\n")
