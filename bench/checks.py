"""Fixtures of the `paved check` cases (issue 24).

- a fresh golden-path repo: `paved new service big --defaults`;
- the same repo with P packages of M small modules, each calling
  `httpx.get(…, timeout=2)`, committed (20,000 and 100,000 files);
- a fleet of generated repos, listed in a file for `paved fleet check`.

A check's outcome, compared across runs and between the fresh and the big
repo, is its verdict: each rule's status, and the evidence of what did not pass.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

MODULE = '''"""Module {module} of package {package}."""

import httpx


def fetch_{module}(item: str) -> bytes:
    return httpx.get(f"http://svc-{package}.internal/items/{{item}}", timeout=2).content
'''
REPORT = "report.json"


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def golden(dest: Path, paved: Path, run: Callable[..., None]) -> Path:
    """`paved new service NAME --defaults` (the bundled catalog), once."""
    if not dest.is_dir():
        dest.parent.mkdir(parents=True, exist_ok=True)
        run(paved, "new", "service", dest.name, "--dest", dest, "--defaults")
    return dest


def with_packages(fresh: Path, dest: Path, packages: int, modules: int) -> Path:
    """A copy of `fresh` (history included) with `packages` × `modules` modules in `libs/`,
    committed: `libs/` sorts before `src/`, as in the issue's repository."""
    if dest.is_dir():
        return dest
    shutil.copytree(fresh, dest, symlinks=True)
    for package in range(packages):
        folder = dest / "libs" / f"pkg{package:04d}"
        folder.mkdir(parents=True)
        for module in range(modules):
            (folder / f"mod{module:03d}.py").write_text(
                MODULE.format(package=package, module=module), encoding="utf-8")
    git(dest, "add", "--all")
    git(dest, "-c", "user.name=bench", "-c", "user.email=bench@localhost", "commit", "-qm",
        f"{packages * modules} modules")
    return dest


def fleet(root: Path, count: int, paved: Path, run: Callable[..., None]) -> Path:
    """`count` services made by `paved new service`, listed (local paths) in repos.txt."""
    listed = root / "repos.txt"
    if listed.is_file():
        return listed
    root.mkdir(parents=True, exist_ok=True)
    names = [f"svc{index:03d}" for index in range(count)]
    for name in names:
        run(paved, "new", "service", name, "--dest", root / name, "--defaults")
    listed.write_text("".join(f"{root / name}\n" for name in names))
    return listed


def verdict(report: Path) -> dict[str, Any]:
    """A `paved check --json` report reduced to what must not change with a repo's size."""
    data = json.loads(report.read_text(encoding="utf-8"))
    reports = data.get("services") or [data]
    return {service.get("service", ""): {
        result["id"]: (result["status"], [] if result["status"] == "pass" else
                       [(item["path"], item["line"], item["message"])
                        for item in result["evidence"]])
        for result in service["results"]} for service in reports}


def fleet_verdict(report: Path) -> dict[str, Any]:
    """A `paved fleet check --json` report: each repo's score and failing rules."""
    data = json.loads(report.read_text(encoding="utf-8"))
    return {repo["name"]: (repo["score"], repo["failing"], repo["error"])
            for repo in data["repos"]}
