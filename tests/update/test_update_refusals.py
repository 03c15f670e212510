"""What `paved update` refuses before it touches anything: a git operation stopped half-way,
a record naming no catalog, a move to an older version nobody asked for (issue 21, items
12 and 14). Each refusal is one line, exit 1, and the repo is left exactly as it was."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from paved.create import create_service
from tests.helpers import (
    commit_all,
    evolving_catalog,
    git,
    release_v2,
    release_v3,
    run_cli,
    snapshot,
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A repo at v1.0.0 of a catalog that has v2.0.0 too."""
    catalog = evolving_catalog(tmp_path / "catalog", versions=1)
    repo = create_service("demo", dest=tmp_path / "demo", catalog_source=str(catalog)).path
    release_v2(catalog)
    return repo


def refused(project: Path, message: str, *args: str) -> None:
    before = snapshot(project)
    result = run_cli(["update", str(project), *args])
    assert (result.exit_code, result.stderr) == (1, f"paved: error: {message}\n")
    assert snapshot(project) == before


def two_commits(project: Path) -> None:
    for name in ("first", "second"):
        (project / f"{name}.txt").write_text(f"{name}\n")
        commit_all(project, name)


def test_refused_while_an_interactive_rebase_stopped_on_edit(project: Path) -> None:
    two_commits(project)
    editor = "sed -i -e '1s/^pick/edit/'"
    env = {**os.environ, "GIT_SEQUENCE_EDITOR": editor}
    subprocess.run(["git", "rebase", "-i", "HEAD~2"], cwd=project, env=env, check=True,
                   capture_output=True)
    assert (project / ".git/rebase-merge").is_dir()
    refused(project, "a git rebase is in progress; finish it (git rebase --continue) or run "
                     "git rebase --abort first")


def test_refused_during_a_stopped_cherry_pick_revert_or_bisect(project: Path) -> None:
    (project / "config.txt").write_text("on a side branch\n")
    git(project, "checkout", "-qb", "side")
    commit_all(project, "side change")
    git(project, "checkout", "-q", "main")
    (project / "config.txt").write_text("on main\n")
    commit_all(project, "main change")
    picked = subprocess.run(["git", "cherry-pick", "side"], cwd=project, capture_output=True,
                            check=False)
    assert picked.returncode != 0  # stopped on a conflict
    assert (project / ".git/CHERRY_PICK_HEAD").exists()
    refused(project, "a git cherry-pick is in progress; finish it (git cherry-pick --continue) "
                     "or run git cherry-pick --abort first")
    git(project, "cherry-pick", "--abort")

    reverted = subprocess.run(["git", "revert", "--no-edit", "HEAD~1"], cwd=project,
                              capture_output=True, check=False)
    assert reverted.returncode != 0
    assert (project / ".git/REVERT_HEAD").exists()
    refused(project, "a git revert is in progress; finish it (git revert --continue) or run "
                     "git revert --abort first")
    git(project, "revert", "--abort")

    git(project, "bisect", "start")
    refused(project, "a git bisect is in progress; end it with git bisect reset first")


def test_a_record_naming_no_catalog_is_refused(project: Path) -> None:
    record = project / ".paved.yml"
    record.write_text(record.read_text().replace(f"catalog: {project.parent}/catalog\n",
                                                 "catalog: ''\n"))
    commit_all(project, "catalog emptied")
    refused(project, f"{record} is malformed: catalog is empty")


def test_never_to_an_older_version_unless_asked_twice(project: Path) -> None:
    catalog = project.parent / "catalog"
    release_v3(catalog)
    assert run_cli(["update", str(project)]).exit_code == 0
    git(catalog, "tag", "-d", "v3.0.0")  # the platform team withdrew the release
    downgrade = (f"catalog {catalog} v2.0.0 is older than this repo's v3.0.0; paved update "
                 "never goes back unless asked: --to 2.0.0 --allow-downgrade")
    refused(project, downgrade)
    refused(project, downgrade, "--to", "2.0.0")
    refused(project, downgrade, "--allow-downgrade")
    refused(project, downgrade, "--dry-run")
    asked = run_cli(["update", str(project), "--to", "2.0.0", "--allow-downgrade"])
    assert asked.exit_code == 0, asked.stderr
    assert "version: 2.0.0\n" in (project / ".paved.yml").read_text()
