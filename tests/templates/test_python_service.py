"""The python-service golden path as rendered: its structure, and its own test suite run."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from paved import yaml
from paved.create import create_service
from tests.helpers import ROOT

PACKAGE = "payments_api"
PLATFORM_MODULES = {
    "app", "breaker", "budget", "client", "deadline", "errors", "health", "instances", "logs",
    "metrics", "middleware", "observe", "outcome", "server", "settings", "telemetry", "testing",
    "transport", "window",
}
TEAM_MODULES = {"__main__", "main", "api", "settings"}


@pytest.fixture(scope="session")
def service_venv(rendered_service: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the rendered service with its own venv (`pip install -e '.[test]'`), once per session."""
    workdir = tmp_path_factory.mktemp("runnable") / rendered_service.name
    shutil.copytree(rendered_service, workdir)  # the fixture's tree stays untouched
    subprocess.run([sys.executable, "-m", "venv", str(workdir / ".venv")], check=True)
    subprocess.run(
        [str(workdir / ".venv/bin/python"), "-m", "pip", "install", "--quiet", "-e", ".[test]"],
        cwd=workdir, check=True, capture_output=True, text=True, timeout=900,
    )
    return workdir


@pytest.mark.slow
def test_the_generated_services_own_test_suite_passes(service_venv: Path) -> None:
    done = subprocess.run(
        [str(service_venv / ".venv/bin/python"), "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=service_venv, capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stdout[-5000:] + done.stderr[-2000:]
    assert re.search(r"\d+ passed", done.stdout)
    assert "failed" not in done.stdout.splitlines()[-1]


@pytest.mark.slow
def test_the_generated_ci_lint_and_type_check_steps_pass(service_venv: Path, tmp_path: Path) -> None:
    """The ci workflow's own Lint and Type-check steps, with the tool versions its Install step
    pins, on the default render and on one whose service name has the maximum 63 characters."""
    workflow = yaml.plain(yaml.load(service_venv / ".github" / "workflows" / "ci.yml"))
    steps = {step.get("name"): step for step in workflow["jobs"]["test"]["steps"]}
    install = [line for line in steps["Install"]["run"].splitlines() if line.strip()]
    assert install[0] == "make install"  # what the service_venv fixture did
    longest = tmp_path / ("s" + "x" * 62)
    create_service(longest.name, dest=longest, data={"owner": "team-x"}, use_git=False)
    (longest / ".venv").symlink_to(service_venv / ".venv")  # the tools need no project install
    for project, commands in (
        (service_venv, [*install[1:], steps["Lint"]["run"], steps["Type-check"]["run"]]),
        (longest, [steps["Lint"]["run"], steps["Type-check"]["run"]]),
    ):
        for command in commands:
            done = subprocess.run(command, shell=True, cwd=project, capture_output=True, text=True,
                                  timeout=600)
            assert done.returncode == 0, f"{project.name}: {command}\n{done.stdout[-4000:]}{done.stderr[-2000:]}"


def test_platform_code_is_one_package_apart_from_the_teams_code(rendered_service: Path) -> None:
    package = rendered_service / "src" / PACKAGE
    assert {p.stem for p in (package / "platform").glob("*.py")} == PLATFORM_MODULES | {"__init__"}
    assert {p.stem for p in package.glob("*.py")} == TEAM_MODULES | {"__init__"}
    # The platform never imports the team's modules, so updates to it cannot break on them.
    for module in (package / "platform").glob("*.py"):
        tree = ast.parse(module.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level:
                assert node.level == 1, f"{module.name} imports from outside the platform package"
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


def _documented_defaults() -> dict[str, object]:
    """VARIABLE -> default, from the settings tables of docs/golden-paths/python-service.md.

    A cell is read as: `unset…` None, `empty…` "", a trailing "(N)" N (a default derived
    from an answer, with the value it has for the default answers), `true`/`false`, a
    number, or a `literal`; a row naming several variables lists their defaults in order.
    """
    doc = (ROOT / "docs" / "golden-paths" / "python-service.md").read_text()
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


def test_makefile_has_the_plain_commands(rendered_service: Path) -> None:
    makefile = (rendered_service / "Makefile").read_text()
    for target in ("install", "test", "run", "bench"):
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
