"""The environment a GitHub runner keeps for one job, here (paved.delivery.workflow_run).

Between the steps of a job a runner keeps the variables and directories steps
add through the files GITHUB_ENV and GITHUB_PATH, sets CI, GITHUB_* and
RUNNER_TEMP, and evaluates `${{ }}` expressions. Of the expressions, those
that mean the same here are evaluated (`github.sha`, `runner.temp`, `env.X`,
`matrix.X`, `secrets.X` as empty, `||` between them); any other is
`Unsupported`, which the caller reports as a step it could not run.
`actions/setup-python` becomes `use_python`: that version first on PATH, found
on PATH or among pyenv's installed versions, else the nearest one here (noted);
`actions/setup-node` becomes `use_node`: the node on PATH, noted when its major
version is not the one asked for.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from paved import git
from paved.errors import PavedError

_EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


class Unsupported(Exception):
    """Something GitHub would evaluate that this local run cannot."""


@dataclass(frozen=True)
class Outcome:
    """How one step's script ended: its exit status (None: timed out) and its output."""

    returncode: int | None
    output: str
    seconds: float


class JobEnvironment:
    """What a runner keeps for one job: variables, files, PATH, and the expressions it knows."""

    def __init__(self, project: Path, temporary: Path, matrix: Mapping[str, Any]) -> None:
        self.project, self.matrix, self.step_number = project, matrix, 0
        self.home = Path(tempfile.mkdtemp(dir=temporary, prefix="job-"))
        self.files = {name: self.home / name.lower() for name in
                      ("GITHUB_ENV", "GITHUB_PATH", "GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY")}
        self.exported: dict[str, str] = {}
        self.paths: list[str] = []
        self.github = {"sha": _head(project), "ref": "refs/pull/1/merge", "event_name":
                       "pull_request", "workspace": str(project), "repository": "local/"
                       + project.name, "repository_owner": "local", "run_id": "1",
                       "actor": "paved", "token": ""}

    def use_python(self, wanted: str) -> tuple[str, str]:
        """Put Python `wanted` (or the nearest one here) first on PATH; (version, note)."""
        found = next((candidate for candidate in _pythons(wanted)
                      if _version(candidate).startswith(f"{wanted}.")), None) if wanted else None
        python = found or str(getattr(sys, "_base_executable", None) or sys.executable)
        version = _version(python)
        shims = self.home / f"python-{version}"
        shims.mkdir(exist_ok=True)
        for name in ("python", "python3"):
            # exec, not a link: a venv made with it must point at the real interpreter,
            # which outlives this run's temporary directory.
            shim = shims / name
            shim.write_text(f"#!/bin/sh\nexec {shlex.quote(python)} \"$@\"\n", encoding="utf-8")
            shim.chmod(0o755)
        self.paths.insert(0, str(shims))
        note = "" if found or not wanted or version.startswith(f"{wanted}.") else (
            f"the workflow asks for Python {wanted}; ran with {version}, the nearest here")
        return version, note

    def use_node(self, wanted: str) -> tuple[str, str]:
        """Node.js `wanted` (a major version): the one on PATH; (version, note)."""
        node = shutil.which("node")
        if node is None:
            return "", f"the workflow asks for Node.js {wanted}; none is on PATH here"
        done = subprocess.run([node, "--version"], capture_output=True, text=True, check=False)
        version = done.stdout.strip().removeprefix("v")
        note = "" if not wanted or version.split(".")[0] == wanted.split(".")[0] else (
            f"the workflow asks for Node.js {wanted}; ran with {version}, the one here")
        return version, note

    def evaluate(self, text: str) -> str:
        return _EXPRESSION.sub(lambda match: self._value(match.group(1)), text)

    def _value(self, expression: str) -> str:
        for term in (part.strip() for part in expression.split("||")):
            value = self._term(term)
            if value:
                return value
        return ""

    def _term(self, term: str) -> str:
        if re.fullmatch(r"'[^']*'", term):
            return term[1:-1]
        scope, _, key = term.partition(".")
        values: Mapping[str, Any] = {
            "github": self.github, "runner": {"temp": str(self.home), "os": "Linux"},
            "env": self.exported, "matrix": self.matrix, "secrets": {}}.get(scope, {})
        if scope in ("secrets",) or (scope in ("github", "runner", "env", "matrix")
                                     and key in values):
            return str(values.get(key, ""))
        raise Unsupported(f"uses the expression ${{{{ {term} }}}}, not evaluated locally")

    def run(self, script: str, shell: list[str], workdir: Path, env: Mapping[str, str],
            limit: float) -> Outcome:
        """Run one step's script as GitHub would, then keep what it asked GitHub to keep."""
        self.step_number += 1
        script_file = self.home / f"step-{self.step_number}.sh"
        script_file.write_text(script, encoding="utf-8")
        for file in self.files.values():
            file.write_text("", encoding="utf-8")
        full_env = {**os.environ, "CI": "true", "GITHUB_ACTIONS": "true",
                    "RUNNER_OS": "Linux", "RUNNER_TEMP": str(self.home),
                    **{f"GITHUB_{key.upper()}": value for key, value in self.github.items()
                       if key not in ("token",)},
                    **{name: str(path) for name, path in self.files.items()},
                    **self.exported, **env}
        full_env["PATH"] = os.pathsep.join([*self.paths, full_env.get("PATH", "")])
        started = time.monotonic()
        try:
            done = subprocess.run([part.replace("{0}", str(script_file)) for part in shell],
                                  cwd=workdir, env=full_env, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True, errors="replace",
                                  timeout=max(limit, 1), check=False)
        except subprocess.TimeoutExpired:
            return Outcome(None, "", round(time.monotonic() - started, 3))
        self._carry_over()
        return Outcome(done.returncode, done.stdout, round(time.monotonic() - started, 3))

    def _carry_over(self) -> None:
        """What a step asked GitHub to keep: GITHUB_ENV variables, GITHUB_PATH entries."""
        lines = self.files["GITHUB_ENV"].read_text(encoding="utf-8").splitlines()
        index = 0
        while index < len(lines):
            line = lines[index]
            index += 1
            if "<<" in line and "=" not in line.split("<<")[0]:  # NAME<<DELIMITER … DELIMITER
                name, _, delimiter = line.partition("<<")
                end = lines.index(delimiter, index) if delimiter in lines[index:] else len(lines)
                self.exported[name] = "\n".join(lines[index:end])
                index = end + 1
            elif "=" in line:
                name, _, text = line.partition("=")
                self.exported[name] = text
        added = self.files["GITHUB_PATH"].read_text(encoding="utf-8").splitlines()
        self.paths[:0] = [entry for entry in reversed(added) if entry]


def _pythons(wanted: str) -> list[str]:
    """Interpreters that may be Python `wanted`: on PATH, then pyenv's installed versions
    (pyenv's shims answer only for the versions it has activated)."""
    found = shutil.which(f"python{wanted}")
    candidates = [found] if found else []
    if found and Path(found).parent.name == "shims":
        versions = Path(found).parent.parent / "versions"
        candidates += [str(path) for path in
                       sorted(versions.glob(f"{wanted}*/bin/python{wanted}"), reverse=True)]
    return candidates


def _version(python: str) -> str:
    done = subprocess.run([python, "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"],
                          capture_output=True, text=True, check=False)
    return done.stdout.strip() if done.returncode == 0 else ""


def _head(project: Path) -> str:
    try:
        return git.resolve(project, "HEAD")
    except PavedError:
        return "0" * 40  # not a git repository (yet)
