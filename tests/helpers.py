"""Helpers shared by the tests: real files, real git repositories, the real CLI."""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from paved.catalog import bundled_root
from paved.cli import app

ROOT = Path(__file__).resolve().parent.parent
# pip's cache for the generated services' installs: shared by the tests (and kept between
# runs; gitignored), so that each package is downloaded and built once.
PIP_CACHE = ROOT / ".tools" / "pip-cache"
NPM_CACHE = ROOT / ".tools" / "npm-cache"


#: For prompts driven by pexpect, which answers no cursor position request (prompt_toolkit
#: would wait for the answer, then warn).
NO_CPR = {"PROMPT_TOOLKIT_NO_CPR": "1"}
#: One of the catalog's questions as questionary draws it: "? name: help", styled or not.
QUESTION = re.compile(r"\?(?:\x1b\[[0-9;]*m)* \w+: ")


def expect_shown(child: Any, text: str) -> None:
    """Wait (pexpect) for `text` on the screen, styled or not (SGR sequences between its
    letters)."""
    child.expect("(?:\x1b\\[[0-9;]*m)*".join(map(re.escape, text)))


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


# --- an evolving test catalog and a repo generated from it (paved update / status) ---

# A one-layer catalog: golden path `svc` of layer `core` (its files in layers/core/).
CORE_COPIER = """\
_subdirectory: "{{ paved_layer }}"
_templates_suffix: .jinja
paved_layer:
  type: str
  default: layers/core
  when: false
service_name:
  type: str
  default: svc
"""
CORE_MANIFEST = """\
golden_paths:
  svc:
    description: a small service
    layers: [core]
layers:
  core:
    description: everything
    path: layers/core
"""

CATALOG_COPIER = CORE_COPIER + """\
greeting:
  type: str
  default: %(greeting)s
"""
CATALOG_MANIFEST = """\
name: test-catalog
golden_paths:
  svc:
    description: a small service
    layers: [core]
layers:
  core:
    description: everything
    path: layers/core
    once: ["app/*"]
    managed: ["ci.yml"]
"""
V1 = {
    "copier.yml": CATALOG_COPIER % {"greeting": "hello"},
    "paved-catalog.yml": CATALOG_MANIFEST,
    "CHANGELOG.md": "# Changelog\n\n## 1.0.0\n\n- First release.\n",
    "layers/core/README.md.jinja": "# {{ service_name }}\n\nline a\nline b\nline c\n",
    "layers/core/config.txt": "alpha\nbeta\ngamma\n",
    "layers/core/notes.txt": "one\ntwo\n",
    "layers/core/old.txt": "to be removed\n",
    "layers/core/legacy.txt": "legacy\n",
    "layers/core/docs/guide.md": "the guide\n",
    "layers/core/dropped.txt": "drop me\n",
    "layers/core/ci.yml": "ci: 1\n",
    "layers/core/app/main.py.jinja": "print('{{ greeting }}')\n",
}
V2_CHANGES = {
    "copier.yml": CATALOG_COPIER % {"greeting": "hello"}
    + "port:\n  type: int\n  default: 8000\n",
    "CHANGELOG.md": "# Changelog\n\n## 2.0.0\n\n- Port question.\n\n## 1.0.0\n\n- First release.\n",
    "layers/core/README.md.jinja": "# {{ service_name }}\n\nline A\nline b\nline c\n",
    "layers/core/config.txt": "ALPHA\nbeta\ngamma\n",
    "layers/core/notes.txt": "one\nTWO from the template\n",
    "layers/core/dropped.txt": "drop me, v2\n",
    "layers/core/app/main.py.jinja": "print('{{ greeting }}!')\n",
    "layers/core/added.txt.jinja": "port={{ port }}\n",
    "layers/core/docs/handbook.md": "the guide\n",  # renamed from docs/guide.md
}
V2_REMOVED = ("layers/core/old.txt", "layers/core/legacy.txt", "layers/core/docs/guide.md")
V3_CHANGES = {
    "copier.yml": CATALOG_COPIER % {"greeting": "hi"}  # a changed default
    + "port:\n  type: int\n  default: 8000\nregion:\n  type: str\n  default: eu\n",
    "CHANGELOG.md": "# Changelog\n\n## 3.0.0\n\n- Region question.\n\n"
                    "## 2.0.0\n\n- Port question.\n\n## 1.0.0\n\n- First release.\n",
    "layers/core/region.txt.jinja": "{{ region }} {{ greeting }}\n",
}


def evolving_catalog(root: Path, versions: int = 3) -> Path:
    """A git catalog tagged v1.0.0, v2.0.0 and v3.0.0 (see V1, V2_CHANGES, V3_CHANGES)."""
    build_file_tree(root, V1)
    commit_all(root, "v1", tag="v1.0.0")
    if versions >= 2:
        release_v2(root)
    if versions >= 3:
        release_v3(root)
    return root


def release_v2(root: Path) -> None:
    build_file_tree(root, V2_CHANGES)
    for name in V2_REMOVED:
        (root / name).unlink()
    commit_all(root, "v2", tag="v2.0.0")


def release_v3(root: Path) -> None:
    build_file_tree(root, V3_CHANGES)
    commit_all(root, "v3", tag="v3.0.0")


def edit_like_a_team(repo: Path) -> None:
    """Local edits of every kind, committed: other lines, same lines, deleted, new files."""
    (repo / "config.txt").write_text("alpha\nbeta\nGAMMA by the team\n")
    (repo / "notes.txt").write_text("one\ntwo from the team\n")
    (repo / "legacy.txt").write_text("legacy, kept by the team\n")
    (repo / "dropped.txt").unlink()
    (repo / "docs/guide.md").write_text("the guide, with the team's advice\n")
    (repo / "TEAM.md").write_text("our own notes\n")
    commit_all(repo, "team edits")


def snapshot(repo: Path) -> dict[str, object]:
    """Everything an update may change: files and links (with modes), folders (an empty one
    left behind counts), index bytes, refs, merge state and git's lock files."""
    files: dict[str, object] = {}
    folders: dict[str, int] = {}
    for top, dirs, names in os.walk(repo):
        here = Path(top)
        dirs[:] = sorted(name for name in dirs if not (here == repo and name == ".git"))
        for name in dirs + names:
            path = here / name
            relative = str(path.relative_to(repo))
            info = path.lstat()
            if stat.S_ISLNK(info.st_mode):
                files[relative] = ("link", os.readlink(path))
            elif stat.S_ISDIR(info.st_mode):
                folders[relative] = info.st_mode
            else:
                files[relative] = (info.st_mode, path.read_bytes())
    git_dir = repo / ".git"
    return {
        "files": files,
        "folders": folders,
        "index": (git_dir / "index").read_bytes(),
        "refs": git(repo, "for-each-ref", "--format=%(refname) %(objectname)"),
        "HEAD": (git_dir / "HEAD").read_text(),
        "merge": sorted(p.name for p in git_dir.iterdir() if p.name.startswith("MERGE_")),
        "locks": sorted(p.name for p in git_dir.iterdir() if p.name.endswith(".lock")),
    }


def start_paved(args: Sequence[str], faults: Path, *, pause: Sequence[str] = (),
                env: Mapping[str, str] | None = None) -> subprocess.Popen[str]:
    """A real paved process whose fault points report to `faults` and hold at `pause`."""
    faults.mkdir(parents=True, exist_ok=True)
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "PAVED_TEST_FAULTS": str(faults),
                   "PAVED_TEST_PAUSE_AT": ",".join(pause), **(env or {})}
    return subprocess.Popen([sys.executable, "-m", "paved", *args], env=environment,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_until_reached(faults: Path, name: str, process: subprocess.Popen[str]) -> None:
    """Wait for `process` to reach fault point `name` (failing if it ends first)."""
    marker = faults / f"{name}.reached"
    deadline = time.monotonic() + 120
    while not marker.exists():
        if process.poll() is not None:
            _, err = process.communicate()
            raise AssertionError(f"paved ended ({process.returncode}) before {name}: {err}")
        assert time.monotonic() < deadline, f"paved never reached {name}"
        time.sleep(0.01)


def release(faults: Path, name: str) -> None:
    """Let a process held at fault point `name` go on."""
    (faults / f"{name}.go").write_text("go")
