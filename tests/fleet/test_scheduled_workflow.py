"""The distributed path: the steps of the generated paved-update workflow, run locally."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from paved.catalog import bundled_root
from paved.create import create_service
from tests.helpers import evolving_catalog, git, release_v2

SCRIPT = bundled_root() / "layers/ci-github/.github/scripts/paved-update.sh"


def step(repo: Path, name: str, **env: str) -> subprocess.CompletedProcess[str]:
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    return subprocess.run(["bash", str(SCRIPT), name], cwd=repo, capture_output=True, text=True,
                          env={**os.environ, "PATH": path, **env})


def test_status_update_and_skip_when_the_branch_exists(tmp_path: Path) -> None:
    catalog = evolving_catalog(tmp_path / "catalog", versions=1)
    repo = create_service("svc", dest=tmp_path / "svc", catalog_source=str(catalog)).path
    outputs = tmp_path / "outputs"
    outputs.write_text("")
    current = step(repo, "status", GITHUB_OUTPUT=str(outputs), RUNNER_TEMP=str(tmp_path))
    assert (current.returncode, current.stdout) == (0, "Up to date with the catalog: "
                                                       "nothing to do.\n")
    assert outputs.read_text() == ""

    release_v2(catalog)
    behind = step(repo, "status", GITHUB_OUTPUT=str(outputs), RUNNER_TEMP=str(tmp_path))
    assert behind.returncode == 0, behind.stderr
    assert behind.stdout == "Catalog v2.0.0 is out: updating on paved/update-2.0.0.\n"
    assert outputs.read_text() == "branch=paved/update-2.0.0\n"

    updated = step(repo, "update", BRANCH="paved/update-2.0.0")
    assert updated.returncode == 0, updated.stderr
    assert git(repo, "branch", "--show-current").strip() == "paved/update-2.0.0"
    assert git(repo, "log", "-1", "--format=%an").strip() == "github-actions[bot]"

    git(repo, "checkout", "--quiet", "main")
    git(repo, "update-ref", "refs/remotes/origin/paved/update-2.0.0", "paved/update-2.0.0")
    waiting = step(repo, "status", GITHUB_OUTPUT=str(outputs), RUNNER_TEMP=str(tmp_path))
    assert waiting.stdout == ("paved/update-2.0.0 already exists: its pull request awaits "
                              "review.\n")
