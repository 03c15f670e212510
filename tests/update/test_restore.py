"""`paved restore PATH...`: the template's version of files at the applied version, as one
commit, with the update's journaled safety (issue 17)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from paved.create import create_service
from paved.git import Repository
from paved.update import journal
from tests.helpers import (
    ROOT,
    commit_all,
    edit_like_a_team,
    evolving_catalog,
    git,
    release_v2,
    release_v3,
    run_cli,
    snapshot,
)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repo generated at v1.0.0 and edited by its team; the catalog has moved to v3."""
    catalog = evolving_catalog(tmp_path / "catalog", versions=1)
    repo = create_service("demo", dest=tmp_path / "demo", catalog_source=str(catalog)).path
    edit_like_a_team(repo)
    release_v2(catalog)
    release_v3(catalog)
    monkeypatch.chdir(repo)
    return repo


def test_restores_a_changed_file_as_one_commit(project: Path) -> None:
    head = git(project, "rev-parse", "HEAD").strip()
    result = run_cli(["restore", "config.txt"])
    assert result.exit_code == 0, result.stderr
    commit = git(project, "rev-parse", "HEAD").strip()
    assert result.stdout == (f"  restored  config.txt\nRestored 1 file(s) of svc v1.0.0 in "
                             f"{project}: commit {commit[:12]}.\n")
    assert (project / "config.txt").read_text() == "alpha\nbeta\ngamma\n"  # v1's, not v3's
    assert git(project, "rev-parse", "HEAD~1").strip() == head
    assert git(project, "show", "--name-only", "--format=%s", "HEAD").split("\n") == [
        "Restore config.txt from paved catalog v1.0.0", "", "config.txt", ""]
    assert "Paved-Restore: 1.0.0" in git(project, "log", "-1", "--format=%B")
    assert git(project, "status", "--porcelain") == ""
    # The team's other edits stay.
    assert (project / "notes.txt").read_text() == "one\ntwo from the team\n"
    assert (project / "TEAM.md").read_text() == "our own notes\n"


def test_a_deleted_file_comes_back_and_a_folder_restores_its_files(project: Path) -> None:
    result = run_cli(["restore", "dropped.txt", "docs", "--json"])
    assert result.exit_code == 0, result.stderr
    assert (project / "dropped.txt").read_text() == "drop me\n"
    assert (project / "docs/guide.md").read_text() == "the guide\n"
    document = json.loads(result.stdout)
    assert document["files"] == [{"path": "dropped.txt", "action": "restored"},
                                 {"path": "docs/guide.md", "action": "restored"}]
    assert (document["version"], document["base"]) == ("1.0.0", "stored")


def test_paths_are_relative_to_the_current_directory(project: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(project / "docs")
    assert run_cli(["restore", "guide.md"]).exit_code == 0
    assert (project / "docs/guide.md").read_text() == "the guide\n"


def test_a_file_already_the_templates_needs_no_commit(project: Path) -> None:
    head = git(project, "rev-parse", "HEAD")
    result = run_cli(["restore", "ci.yml"])
    assert (result.exit_code, result.stdout) == (0, (
        " unchanged  ci.yml\nNothing to restore: already the template's version at v1.0.0.\n"))
    assert git(project, "rev-parse", "HEAD") == head


@pytest.mark.parametrize("path, message", [
    ("TEAM.md", "TEAM.md is not a file of the golden path at v1.0.0: nothing to restore it "
                "from"),
    (".paved.yml", ".paved.yml is paved's record, not a template file; paved update rewrites "
                   "it"),
    ("../elsewhere", "../elsewhere is outside the repository {project}"),
])
def test_refusals_write_nothing(project: Path, path: str, message: str) -> None:
    before = snapshot(project)
    result = run_cli(["restore", "config.txt", path])
    assert (result.exit_code, result.stderr) == (
        1, f"paved: error: {message.format(project=project)}\n")
    assert snapshot(project) == before


def test_uncommitted_changes_are_never_overwritten(project: Path) -> None:
    (project / "config.txt").write_text("work in progress\n")
    before = snapshot(project)
    result = run_cli(["restore", "config.txt"])
    assert (result.exit_code, result.stderr) == (1, (
        f"paved: error: {project} has uncommitted changes to tracked files (config.txt); "
        "commit or stash them first\n"))
    assert snapshot(project) == before


def test_an_untracked_file_in_the_way_is_refused(project: Path) -> None:
    (project / "dropped.txt").write_text("mine, not committed\n")
    before = snapshot(project)
    result = run_cli(["restore", "dropped.txt"])
    assert (result.exit_code, result.stderr) == (1, (
        "paved: error: untracked files are in the way of files the update adds (dropped.txt); "
        "move them away first\n"))
    assert snapshot(project) == before


def test_without_a_stored_render_the_applied_version_is_rendered_again(
        tmp_path: Path, project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    copy = tmp_path / "imported"
    git(tmp_path, "clone", "--quiet", str(project), str(copy))
    subprocess.run(["rm", "-rf", str(copy / ".git")], check=True)
    commit_all(copy, "imported without history")
    monkeypatch.chdir(copy)
    result = run_cli(["restore", "config.txt", "--json"])
    assert result.exit_code == 0, result.stderr
    assert '"base": "re-rendered"' in result.stdout
    assert (copy / "config.txt").read_text() == "alpha\nbeta\ngamma\n"
    assert git(copy, "status", "--porcelain") == ""


def test_killed_at_any_point_the_repo_is_left_as_it_was(project: Path) -> None:
    before = snapshot(project)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    step = 0
    while True:
        step += 1
        env["PAVED_TEST_KILL_AT"] = str(step)
        done = subprocess.run([sys.executable, "-m", "paved", "restore", "config.txt",
                               "dropped.txt", "docs"], cwd=project, env=env,
                              capture_output=True, text=True, check=False)
        if done.returncode != -9:
            break
        with journal.locked(Repository(project)):  # what the next paved restore does first
            pass
        assert snapshot(project) == before, f"killed at step {step}"
    assert done.returncode == 0, done.stderr
    assert step > 8  # every file write, the index and the ref were a kill point
    assert git(project, "status", "--porcelain") == ""
