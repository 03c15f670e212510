"""Helpers shared by the tests: real files, real git repositories, the real CLI."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from typer.testing import CliRunner

from paved.catalog import bundled_root
from paved.cli import app

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Run:
    exit_code: int
    stdout: str
    stderr: str


def run_cli(args: Sequence[str], input: str | None = None) -> Run:
    """Run paved in-process, as a user would, with stdout and stderr kept apart."""
    result = CliRunner().invoke(app, list(args), input=input, catch_exceptions=False)
    return Run(result.exit_code, result.stdout, result.stderr)


def build_file_tree(root: Path, files: Mapping[str, str]) -> Path:
    """Write `files` (relative path -> text) under `root`."""
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def git(cwd: Path, *args: str) -> str:
    """Run git in `cwd` and return its stdout (tests drive git as a user would)."""
    done = subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True)
    return done.stdout


def commit_all(repo: Path, message: str, tag: str | None = None) -> None:
    if not (repo / ".git").exists():
        git(repo, "init", "--quiet")
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "--allow-empty", "-m", message)
    if tag:
        git(repo, "tag", "-a", tag, "-m", f"release {tag}")


def bundled_catalog_repo(dest: Path, tag: str = "v0.1.0") -> Path:
    """A copy of the bundled catalog (`templates/`) committed into a git repo and tagged."""
    shutil.copytree(bundled_root(), dest, ignore=shutil.ignore_patterns("__pycache__"))
    commit_all(dest, "catalog", tag=tag)
    return dest


def tree(root: Path) -> dict[str, str]:
    """Every file under `root` (outside .git) with its text: for whole-tree assertions."""
    return {
        str(path.relative_to(root)): path.read_text(encoding="utf-8", errors="replace")
        for path in sorted(root.rglob("*"))
        if path.is_file() and ".git" not in path.relative_to(root).parts
    }
